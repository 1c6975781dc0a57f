/**
 * Scheduled reports end to end (decision 296) on real PostgreSQL and a real SMTP server on loopback (tests/fakes/smtp):
 * orders on two channels and two currencies → the analytics rollups → the weekly report of a Berlin shop at its local
 * hour, with the channel summary against the previous week and the reorder list in the body and in two CSV
 * attachments; sent exactly once when two workers run the tick at the same moment and when the tick runs again; a
 * refused send is retried by a later tick and still sent once; the plan gate; the record in the notification log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { rebuildRollups } from "../analytics/rollups.server";
import { createTestShop } from "../notify/test-shop";
import { startSmtpFake, type SmtpFake } from "../../tests/fakes/smtp/index";
import { runScheduledReports, saveReportSchedule } from "./reports.server";

let smtp: SmtpFake;

beforeAll(async () => {
  smtp = await startSmtpFake();
  Object.assign(process.env, { SMTP_URL: smtp.url, NOTIFY_FROM: "SyncFlow Reports <reports@syncflow.test>" });
});
afterAll(async () => {
  await smtp?.close();
});

const BOM = "\ufeff";
// Monday 30 November 2026, 07:30 in Berlin (UTC+1): the weekly report (Mondays, 07:00) of 23–29 November is due.
const MONDAY_0730 = new Date("2026-11-30T06:30:00Z");

async function fixture(prefix: string) {
  const shop = await createTestShop(prefix, { timezone: "Europe/Berlin" }, `Report Shop ${prefix}`);
  const ch = (kind: string, name: string) =>
    prisma.channel.create({ data: { shopId: shop.id, kind, name, baseUrl: `http://${kind}.${prefix}.test` } });
  const woo = await ch("woocommerce", "Woo EU");
  const rec = await ch("shopify", "Shopify");
  const item = await prisma.catalogItem.create({ data: { shopId: shop.id, sku: "TEE", skuKey: "tee", title: "Tee" } });
  let n = 0;
  const order = (channelId: string, at: string, currency: string, total: string) =>
    prisma.order.create({
      data: {
        shopId: shop.id,
        channelId,
        externalId: `${++n}`,
        number: `#${n}`,
        status: "processing",
        currency,
        totalPrice: total,
        placedAt: new Date(at),
        lines: { create: [{ externalLineId: "1", itemId: item.id, title: "Tee", quantity: 1, price: total }] },
      },
    });
  // This week (23–29 Nov, Berlin): three Woo orders in EUR, one Shopify order in USD.
  await order(woo.id, "2026-11-23T09:00:00Z", "EUR", "10.00");
  await order(woo.id, "2026-11-25T09:00:00Z", "EUR", "20.00");
  await order(woo.id, "2026-11-29T22:30:00Z", "EUR", "30.00"); // 23:30 Sunday in Berlin: still this week
  await order(rec.id, "2026-11-26T12:00:00Z", "USD", "15.00");
  await order(woo.id, "2026-11-29T23:30:00Z", "EUR", "99.00"); // 00:30 Monday in Berlin: next week, not counted
  // The week before: one Woo order.
  await order(woo.id, "2026-11-18T09:00:00Z", "EUR", "40.00");
  await rebuildRollups(shop.id);
  // Stored forecasts (app/forecast): one item to reorder, one fine.
  const low = await prisma.catalogItem.create({
    data: { shopId: shop.id, sku: "LOW-1", skuKey: "low-1", title: 'Low, "quoted" item' },
  });
  const forecast = (itemId: string, reorderNow: boolean, available: number, cover: number, qty: number) =>
    prisma.itemForecast.create({
      data: {
        itemId,
        shopId: shop.id,
        available,
        demandPerDay: 2.5,
        method: "mean",
        daysUsed: 28,
        stockoutDays: 0,
        lowHistory: false,
        daysOfCover: cover,
        stockoutDate: "2026-12-02",
        leadTimeDays: 14,
        safetyStock: 5,
        reorderPoint: 40,
        reorderNow,
        suggestedQty: qty,
        lowCover: reorderNow,
        computedAt: new Date(),
      },
    });
  await forecast(low.id, true, 5, 2, 110);
  await forecast(item.id, false, 500, 200, 0);
  return { shop };
}

const mailsTo = (addr: string) => smtp.messages.filter((m) => m.to.includes(addr));

describe("scheduled reports", () => {
  it("sends the weekly report once at the local hour, with the period against the previous one and both CSVs", async () => {
    const { shop } = await fixture("rep-weekly");
    expect(
      await saveReportSchedule(shop.id, {
        enabled: "on",
        frequency: "weekly",
        weekday: "1",
        hour: "7",
        recipients: "Owner@Rep-Weekly.test, buyer@rep-weekly.test",
      }),
    ).toEqual({ ok: true });

    // 06:30 in Berlin: not yet.
    expect((await runScheduledReports(new Date("2026-11-30T05:30:00Z"))).filter((r) => r.shopId === shop.id)).toEqual(
      [],
    );

    // Two workers run the tick at the same moment: one report.
    const [a, b] = await Promise.all([runScheduledReports(MONDAY_0730), runScheduledReports(MONDAY_0730)]);
    expect([...a, ...b].filter((r) => r.shopId === shop.id)).toEqual([
      { shopId: shop.id, period: "weekly:2026-11-23", status: "sent" },
    ]);
    // The next tick of the day (and a third worker) sends nothing more.
    expect((await runScheduledReports(new Date("2026-11-30T09:00:00Z"))).filter((r) => r.shopId === shop.id)).toEqual(
      [],
    );
    const mails = mailsTo("owner@rep-weekly.test");
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.to.sort()).toEqual(["buyer@rep-weekly.test", "owner@rep-weekly.test"]);
    expect(m.subject).toBe("Weekly report for Report Shop rep-weekly: 2026-11-23 to 2026-11-29");
    expect(m.text).toContain(
      "- Woo EU (EUR): 3 orders (+200.0 %), 3 units (+200.0 %), revenue 60.00 (+50.0 %), refunds 0.00, average order 20.00",
    );
    expect(m.text).toContain("- Shopify (USD): 1 orders (new), 1 units (new), revenue 15.00 (new)");
    expect(m.text).toContain("Items to reorder now: 1");
    expect(m.text).toContain(
      '- LOW-1 — Low, "quoted" item: 5 available, 2.5/day, 2 days of cover (out ~2026-12-02), reorder 110',
    );
    expect(m.html).toContain(
      '<td style="padding:4px 8px;border-bottom:1px solid #ddd">Low, &quot;quoted&quot; item</td>',
    );

    expect(m.attachments.map((x) => x.filename).sort()).toEqual([
      "syncflow-channels-2026-11-23-2026-11-29.csv",
      "syncflow-reorder-2026-11-29.csv",
    ]);
    const channels = m.attachments.find((x) => x.filename.startsWith("syncflow-channels"))!;
    expect(channels.contentType).toMatch(/^text\/csv/);
    expect(channels.content.startsWith(BOM)).toBe(true);
    const lines = channels.content.slice(1).trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "Channel,Kind,Currency,Period start,Period end,Orders,Cancelled orders,Units,Revenue,Refunded orders,Refunds,Average order value,Previous orders,Previous units,Previous revenue,Previous refunds",
    );
    expect(lines.slice(1).sort()).toEqual([
      "Shopify,shopify,USD,2026-11-23,2026-11-29,1,0,1,15.00,0,0.00,15.00,,,,",
      "Woo EU,woocommerce,EUR,2026-11-23,2026-11-29,3,0,3,60.00,0,0.00,20.00,1,1,40.00,0.00",
    ]);
    const reorder = m.attachments
      .find((x) => x.filename.startsWith("syncflow-reorder"))!
      .content.slice(1)
      .trimEnd()
      .split("\r\n");
    expect(reorder).toHaveLength(2); // header + the one item to reorder
    expect(reorder[0]!.startsWith("SKU,Title,Available,Demand per day")).toBe(true);
    expect(reorder[1]!.startsWith('LOW-1,"Low, ""quoted"" item",5,2.5,mean,2,2026-12-02,14,5,40,yes,110,')).toBe(true);

    const run = await prisma.reportRun.findFirstOrThrow({ where: { shopId: shop.id } });
    expect(run).toMatchObject({ status: "sent", attempts: 1, periodStart: "2026-11-23", periodEnd: "2026-11-29" });
    expect(m.headers["message-id"]).toBe(`<report-${run.id}@syncflow>`);
    const logged = await prisma.notification.findMany({ where: { shopId: shop.id, kind: "report.scheduled" } });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ status: "sent", channel: "email" });
  });

  it("a refused send is failed, retried by a later tick the same day, and sent once", async () => {
    const { shop } = await fixture("rep-retry");
    await saveReportSchedule(shop.id, {
      enabled: "on",
      frequency: "daily",
      weekday: "1",
      hour: "7",
      recipients: "ops@rep-retry.test",
    });
    smtp.failNext(1, 451);
    expect((await runScheduledReports(MONDAY_0730)).filter((r) => r.shopId === shop.id)).toEqual([
      { shopId: shop.id, period: "daily:2026-11-29", status: "failed" },
    ]);
    expect(mailsTo("ops@rep-retry.test")).toHaveLength(0);
    expect(await prisma.reportRun.findFirstOrThrow({ where: { shopId: shop.id } })).toMatchObject({ status: "failed" });
    expect((await runScheduledReports(new Date("2026-11-30T07:00:00Z"))).filter((r) => r.shopId === shop.id)).toEqual([
      { shopId: shop.id, period: "daily:2026-11-29", status: "sent" },
    ]);
    expect((await runScheduledReports(new Date("2026-11-30T08:00:00Z"))).filter((r) => r.shopId === shop.id)).toEqual(
      [],
    );
    expect(mailsTo("ops@rep-retry.test")).toHaveLength(1);
    expect(mailsTo("ops@rep-retry.test")[0]!.subject).toBe("Daily report for Report Shop rep-retry: 2026-11-29");
    expect(await prisma.reportRun.findFirstOrThrow({ where: { shopId: shop.id } })).toMatchObject({
      status: "sent",
      attempts: 2,
    });
  });

  it("a claim left 'sending' by a worker that died is taken again after the lease; a fresh one is not", async () => {
    const { shop } = await fixture("rep-lease");
    await saveReportSchedule(shop.id, {
      enabled: "on",
      frequency: "daily",
      weekday: "1",
      hour: "7",
      recipients: "ops@rep-lease.test",
    });
    const schedule = await prisma.reportSchedule.findUniqueOrThrow({ where: { shopId: shop.id } });
    const run = await prisma.reportRun.create({
      data: {
        shopId: shop.id,
        scheduleId: schedule.id,
        periodKey: "daily:2026-11-29",
        periodStart: "2026-11-29",
        periodEnd: "2026-11-29",
        status: "sending",
        attempts: 1,
        claimedAt: new Date(),
      },
    });
    expect((await runScheduledReports(MONDAY_0730)).filter((r) => r.shopId === shop.id)).toEqual([]);
    await prisma.reportRun.update({ where: { id: run.id }, data: { claimedAt: new Date(Date.now() - 11 * 60_000) } });
    expect((await runScheduledReports(MONDAY_0730)).filter((r) => r.shopId === shop.id)).toEqual([
      { shopId: shop.id, period: "daily:2026-11-29", status: "sent" },
    ]);
    expect(mailsTo("ops@rep-lease.test")).toHaveLength(1);
  });

  it("plan gate: a shop without analytics gets no report and no claim", async () => {
    const { shop } = await fixture("rep-plan");
    await prisma.shop.update({ where: { id: shop.id }, data: { planKey: "starter", subscriptionStatus: "ACTIVE" } });
    await saveReportSchedule(shop.id, {
      enabled: "on",
      frequency: "daily",
      weekday: "1",
      hour: "7",
      recipients: "ops@rep-plan.test",
    });
    expect((await runScheduledReports(MONDAY_0730)).filter((r) => r.shopId === shop.id)).toEqual([]);
    expect(await prisma.reportRun.count({ where: { shopId: shop.id } })).toBe(0);
    expect(mailsTo("ops@rep-plan.test")).toHaveLength(0);
  });
});
