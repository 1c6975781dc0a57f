/**
 * Forecasts end to end on real PostgreSQL (decisions 294–295): ledger sales on a WooCommerce store and Shopify levels
 * with a stockout week → the analytics rollups (N's `rebuildRollups`) → `computeShopForecasts` → stored ItemForecast
 * rows with the known answers; per-item settings; the low-cover alert (`stock.low_cover`) raised once, not again while
 * it lasts, cleared on restock and raised again; the dispatcher holds it in quiet hours like every non-critical kind;
 * the plan gate (no analytics → no forecast); the Reorder list and its CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../db.server";
import { stopBoss } from "../jobs/queue.server";
import { rebuildRollups } from "../analytics/rollups.server";
import { processEvent } from "../notify/dispatch.server";
import { summaryLines } from "../notify/summary.server";
import { createTestShop } from "../notify/test-shop";
import { computeShopForecasts, runForecasts } from "./forecast.server";
import { reorderPage, reorderRows } from "./reorder.server";
import { saveItemForecastSettings, saveShopForecastSettings } from "./settings.server";
import { addDays } from "./model";

const LOC = "gid://shopify/Location/1";
const DAY = 86_400_000;
const todayUtc = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00Z").getTime();
const at = (dayOffset: number, hour = 12) => new Date(todayUtc + dayOffset * DAY + hour * 3_600_000);
const TODAY = new Date(todayUtc).toISOString().slice(0, 10);

beforeAll(() => {
  Object.assign(process.env, {
    SYNCFLOW_QUEUE_SCHEMA: "pgboss_test_forecast",
    SMTP_URL: "smtp://127.0.0.1:9", // configured (the dispatcher decides); nothing is sent in this file
  });
});
afterAll(async () => {
  await stopBoss();
});

async function fixture(prefix: string, settings: Record<string, unknown> = {}) {
  const shop = await createTestShop(prefix, { emailRecipients: ["buyer@forecast.test"], timezone: "UTC", ...settings });
  const woo = await prisma.channel.create({
    data: { shopId: shop.id, kind: "woocommerce", name: "Woo", baseUrl: `http://woo.${prefix}.test` },
  });
  await prisma.channel.create({
    data: { shopId: shop.id, kind: "shopify", name: "Shopify", baseUrl: `http://shopify.${prefix}.test` },
  });
  let seq = 0;
  const key = () => `fc:${shop.id}:${++seq}:${crypto.randomUUID()}`;
  const item = async (sku: string, bornDay: number) =>
    prisma.catalogItem.create({
      data: { shopId: shop.id, sku, skuKey: sku.toLowerCase(), title: `${sku} item`, createdAt: at(bornDay, 0) },
    });
  /** A Shopify level observation (the record) at `day`, `hour`. */
  const level = async (itemId: string, available: number, day: number, hour = 0) => {
    await prisma.stockLedger.create({
      data: {
        shopId: shop.id,
        itemId,
        cause: "webhook",
        locationGid: LOC,
        after: available,
        idempotencyKey: key(),
        createdAt: at(day, hour),
      },
    });
    await prisma.inventoryLevel.upsert({
      where: { id: `${itemId}-lv` },
      create: { id: `${itemId}-lv`, shopId: shop.id, itemId, locationGid: LOC, available, observedAt: at(day, hour) },
      update: { available },
    });
  };
  /** `units` sold on the WooCommerce store on `day`. */
  const sale = (itemId: string, units: number, day: number) =>
    prisma.stockLedger.create({
      data: {
        shopId: shop.id,
        itemId,
        channelId: woo.id,
        cause: "order",
        delta: -units,
        idempotencyKey: key(),
        createdAt: at(day),
      },
    });
  return { shop, woo, item, level, sale };
}

describe("computeShopForecasts", () => {
  it("forecasts from every channel's sales without the stockout days, stores the rows, and alerts low cover once", async () => {
    const f = await fixture("fc-main");
    await saveShopForecastSettings(f.shop.id, {
      leadTimeDays: "7",
      safetyStock: "20",
      orderForDays: "30",
      historyDays: "56",
      lowCoverAlerts: "on",
    });
    // FAST: born 28 days ago, 10 a day; sold out from day −12 (level 0) until restocked at 00:30 of day −7 → days −12 …
    // −7 are stockout days (day −7 started at 0). 22 in-stock days of 10 → 10/day.
    const fast = await f.item("FAST", -28);
    await f.level(fast.id, 300, -28, 0);
    for (let d = -28; d <= -1; d++) if (d < -12 || d > -7) await f.sale(fast.id, 10, d);
    await f.level(fast.id, 0, -12, 13);
    await f.level(fast.id, 200, -7, 0.5);
    await f.level(fast.id, 150, -1, 20); // now: 150 available → 15 days of cover, over the reorder point 90
    // SLOW: 1 a day, 100 available. NEW: born 3 days ago, 5 a day, 6 left.
    const slow = await f.item("SLOW", -40);
    await f.level(slow.id, 100, -40, 0);
    for (let d = -40; d <= -1; d++) await f.sale(slow.id, 1, d);
    const fresh = await f.item("NEW", -3);
    await f.level(fresh.id, 21, -3, 0);
    for (let d = -3; d <= -1; d++) await f.sale(fresh.id, 5, d);
    await f.level(fresh.id, 6, -1, 20);
    // NEW has its own lead time (2 days) and safety stock (0): reorder point ⌈5·2⌉ = 10.
    expect(
      await saveItemForecastSettings(f.shop.id, { itemId: fresh.id, leadTimeDays: "2", safetyStock: "0" }),
    ).toEqual({ ok: true });

    await rebuildRollups(f.shop.id);
    const first = await computeShopForecasts(f.shop.id);
    expect(first).toMatchObject({ items: 3, baseline: true, raised: 0 });
    const rows = Object.fromEntries(
      (await prisma.itemForecast.findMany({ where: { shopId: f.shop.id } })).map((r) => [r.itemId, r]),
    );
    expect(rows[fast.id]).toMatchObject({
      method: "mean",
      demandPerDay: 10,
      stockoutDays: 6,
      daysUsed: 22,
      available: 150,
      daysOfCover: 15,
      stockoutDate: addDays(TODAY, 15),
      reorderPoint: 90,
      reorderNow: false,
      suggestedQty: 0,
    });
    expect(rows[slow.id]).toMatchObject({ demandPerDay: 1, daysUsed: 40, daysOfCover: 100, reorderPoint: 27 });
    expect(rows[fresh.id]).toMatchObject({
      lowHistory: true,
      demandPerDay: 5,
      daysUsed: 3,
      leadTimeDays: 2,
      safetyStock: 0,
      reorderPoint: 10,
      reorderNow: true,
      suggestedQty: Math.ceil(5 * 32 - 6), // 154
      lowCover: true,
    });
    // The first run is a silent baseline: NEW was already low, no event.
    expect(await prisma.domainEvent.count({ where: { shopId: f.shop.id, type: "stock.low_cover" } })).toBe(0);

    // FAST sells down to 40 (≤ 90): one event; a second run does not repeat it.
    await f.level(fast.id, 40, 0, 0);
    expect(await computeShopForecasts(f.shop.id)).toMatchObject({ raised: 1, baseline: false });
    expect(await computeShopForecasts(f.shop.id)).toMatchObject({ raised: 0 });
    const events = await prisma.domainEvent.findMany({ where: { shopId: f.shop.id, type: "stock.low_cover" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.itemId).toBe(fast.id);
    expect(events[0]!.payload).toMatchObject({
      available: 40,
      demandPerDay: 10,
      daysOfCover: 4,
      reorderPoint: 90,
      suggestedQty: 10 * 37 + 20 - 40,
    });

    // Through the dispatcher: an e-mail "Time to reorder" (queued), deduped per item like stock.low.
    const r = await processEvent(events[0]!.id);
    expect(r.kind).toBe("stock.low_cover");
    expect(r.rows).toHaveLength(1); // e-mail only: not a critical kind, no SMS
    expect(r.rows[0]).toMatchObject({ channel: "email", status: "queued" });
    const n = await prisma.notification.findFirstOrThrow({ where: { eventId: events[0]!.id } });
    expect(n.subject).toBe("Time to reorder: FAST has 4 days of cover · Notify Outfitters");
    expect(n.body).toContain("Suggested order: 350 units");
    expect(n.body).toContain("/app/reorder?q=FAST");

    // Restocked: cleared; low again: a new event.
    await f.level(fast.id, 500, 0, 1);
    expect(await computeShopForecasts(f.shop.id)).toMatchObject({ cleared: 1, raised: 0 });
    await f.level(fast.id, 30, 0, 2);
    expect(await computeShopForecasts(f.shop.id)).toMatchObject({ raised: 1 });
    expect(await prisma.domainEvent.count({ where: { shopId: f.shop.id, type: "stock.low_cover" } })).toBe(2);

    // The Reorder list: to reorder now, least cover first; CSV with the header and both rows.
    const page = await reorderPage(f.shop.id, { filter: "reorder" });
    expect(page.toReorder).toBe(2);
    expect(page.rows.map((x) => x.sku)).toEqual(["NEW", "FAST"]); // 1.2 days, then 3 days
    expect((await reorderPage(f.shop.id, { filter: "all", q: "slo" })).rows.map((x) => x.sku)).toEqual(["SLOW"]);
    // The daily summary (app/notify/summary.server.ts) names them too.
    expect(await summaryLines(f.shop.id)).toContain("Items to reorder now (forecast): 2 (NEW, FAST)");
    const csv = await reorderRows(f.shop.id, "reorder");
    expect(csv[0]![0]).toBe("SKU");
    expect(csv.slice(1).map((x) => [x[0], x[2], x[3], x[5], x[9], x[11]])).toEqual([
      ["NEW", 6, 5, 1.2, 10, 154],
      ["FAST", 30, 10, 3, 90, 360],
    ]);
  });

  it("low-cover alerts wait out quiet hours as every non-critical kind does, and can be turned off", async () => {
    // Quiet all day long (00:00–23:59): held, not sent.
    const f = await fixture("fc-quiet", { quietStartMin: 0, quietEndMin: 1439, criticalBypassQuiet: true });
    const it1 = await f.item("Q-1", -20);
    await f.level(it1.id, 500, -20, 0);
    for (let d = -20; d <= -1; d++) await f.sale(it1.id, 4, d);
    await rebuildRollups(f.shop.id);
    await computeShopForecasts(f.shop.id); // baseline
    await f.level(it1.id, 10, 0, 0);
    expect(await computeShopForecasts(f.shop.id)).toMatchObject({ raised: 1 });
    const ev = await prisma.domainEvent.findFirstOrThrow({ where: { shopId: f.shop.id, type: "stock.low_cover" } });
    const r = await processEvent(ev.id);
    expect(r.rows[0]).toMatchObject({ status: "held", reason: "quiet_hours" });

    // Alerts off: the state is recorded, no event.
    await saveShopForecastSettings(f.shop.id, {
      leadTimeDays: "14",
      safetyStock: "0",
      orderForDays: "30",
      historyDays: "56",
    });
    const it2 = await f.item("Q-2", -20);
    await f.level(it2.id, 500, -20, 0);
    for (let d = -20; d <= -1; d++) await f.sale(it2.id, 4, d);
    await rebuildRollups(f.shop.id);
    await f.level(it2.id, 10, 0, 0);
    expect(await computeShopForecasts(f.shop.id)).toMatchObject({ raised: 0 });
    expect(
      await prisma.alertState.count({ where: { shopId: f.shop.id, key: `stock.low_cover:${it2.id}`, active: true } }),
    ).toBe(1);
  });

  it("plan gate: a shop without analytics gets no forecast from the hourly run", async () => {
    const f = await fixture("fc-plan");
    await prisma.shop.update({ where: { id: f.shop.id }, data: { planKey: "starter", subscriptionStatus: "ACTIVE" } });
    const i = await f.item("P-1", -10);
    await f.level(i.id, 5, -10, 0);
    const done = await runForecasts({ shopIds: [f.shop.id] });
    expect(done).not.toContain(f.shop.id);
    expect(await prisma.itemForecast.count({ where: { shopId: f.shop.id } })).toBe(0);
  });

  it("rejects bad settings with field errors and writes nothing", async () => {
    const f = await fixture("fc-settings");
    const r = await saveShopForecastSettings(f.shop.id, {
      leadTimeDays: "-1",
      safetyStock: "x",
      orderForDays: "0",
      historyDays: "200",
    });
    expect(r.ok).toBe(false);
    expect(Object.keys((r as { errors: object }).errors).sort()).toEqual([
      "historyDays",
      "leadTimeDays",
      "orderForDays",
      "safetyStock",
    ]);
    expect(await prisma.forecastSettings.count({ where: { shopId: f.shop.id } })).toBe(0);
    const other = await fixture("fc-other");
    const foreign = await other.item("X-1", -1);
    expect(
      await saveItemForecastSettings(f.shop.id, { itemId: foreign.id, leadTimeDays: "3", safetyStock: "" }),
    ).toEqual({
      ok: false,
      errors: { itemId: "No such item in this shop" },
    });
  });
});
