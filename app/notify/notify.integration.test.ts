/**
 * Events → notifications on real PostgreSQL, the real queue and worker, a real SMTP server (fake relay)
 * and the real `twilio` SDK against a local fake of Twilio's Messages API: recipients, subject, both
 * parts and links; low-stock dedupe until recovery (also from Shopify's own level); SMS auth, 160-char
 * bodies, rate limit → one digest, delivery status; quiet hours; a failing SMTP relay → retries → dead letter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startWorker, type WorkerHandle } from "../jobs/worker.server";
import { stopBoss } from "../jobs/queue.server";
import { emitEvent } from "../sync/events.server";
import { waitFor } from "../../tests/harness/world";
import { startSmtpFake, type SmtpFake } from "../../tests/fakes/smtp/index";
import { startTwilioFake, type TwilioFake } from "../../tests/fakes/twilio/index";
import { createTestItem, createTestShop, setLevel } from "./test-shop";
import { watchStock } from "./stock-watch.server";
import { sweepUnnotifiedEvents } from "./dispatch.server";

const SCHEMA = "pgboss_test_notify";
let smtp: SmtpFake;
let twilio: TwilioFake;
let worker: WorkerHandle;

beforeAll(async () => {
  smtp = await startSmtpFake({ auth: { user: "apikey", pass: "s3cret" } });
  twilio = await startTwilioFake({ deliverAfterMs: 0 });
  Object.assign(process.env, {
    SYNCFLOW_QUEUE_SCHEMA: SCHEMA,
    SMTP_URL: smtp.url,
    NOTIFY_FROM: "SyncFlow Alerts <alerts@syncflow.test>",
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: "+15005550006",
    TWILIO_API_BASE: twilio.url,
    SYNCFLOW_RETRY_LIMIT: "2",
    SYNCFLOW_RETRY_DELAY_S: "1",
    NOTIFY_SMS_WINDOW_S: "3",
    NOTIFY_SMS_STATUS_DELAY_S: "1",
    SHOPIFY_APP_URL: "http://127.0.0.1:9",
  });
  worker = await startWorker();
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await smtp?.close();
  await twilio?.close();
});

const rowsOf = (shopId: string) => prisma.notification.findMany({ where: { shopId }, orderBy: { createdAt: "asc" } });

describe("lost notify jobs", () => {
  it("re-queues an event whose notify job was never queued, once, and leaves fresh, old and notified events alone", async () => {
    const shop = await createTestShop("sweep", { emailRecipients: ["owner@sweep.test"] });
    const item = await createTestItem(shop.id, "SWEEP-1", 2, "Sweep socks");
    const ago = (ms: number) => new Date(Date.now() - ms);
    // Written as emitEvent writes them, but with no job queued (the crash between the two writes).
    const lost = await prisma.domainEvent.create({
      data: {
        shopId: shop.id,
        type: "stock.low",
        itemId: item.id,
        payload: { itemId: item.id, quantity: 2, threshold: 5 },
        createdAt: ago(5 * 60_000),
      },
    });
    const fresh = await prisma.domainEvent.create({
      data: { shopId: shop.id, type: "order.imported", payload: {}, createdAt: ago(10_000) },
    });
    const stale = await prisma.domainEvent.create({
      data: { shopId: shop.id, type: "order.imported", payload: {}, createdAt: ago(2 * 86_400_000) },
    });
    const silent = await prisma.domainEvent.create({
      data: { shopId: shop.id, type: "dead_letter.discarded", payload: {}, createdAt: ago(5 * 60_000) },
    });
    const before = smtp.messages.length;

    expect(await sweepUnnotifiedEvents()).toBeGreaterThanOrEqual(1);
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail!.subject).toContain("Low stock: SWEEP-1 is at 2");
    await waitFor(
      "lost event notified",
      async () => (await prisma.notification.count({ where: { eventId: lost.id, status: "sent" } })) === 1,
    );

    // A second sweep finds nothing of this shop to do: the event now has its rows.
    await sweepUnnotifiedEvents();
    await new Promise((r) => setTimeout(r, 500));
    expect(await prisma.notification.count({ where: { eventId: lost.id } })).toBe(1);
    for (const e of [fresh, stale, silent])
      expect(await prisma.notification.count({ where: { eventId: e.id } })).toBe(0);
    expect(smtp.messages.length).toBe(before + 1);
  });
});

describe("e-mail", () => {
  it("sends a low-stock e-mail with both parts and links, once per item until it recovers", async () => {
    const shop = await createTestShop("mail", { emailRecipients: ["owner@shop.test", "ops@shop.test"] });
    const item = await createTestItem(shop.id, "Woo-Beanie-T", 3, "Beanie");
    const before = smtp.messages.length;
    await emitEvent(
      shop.id,
      "stock.low",
      { itemId: item.id, quantity: 3, threshold: 5, where: "Shopify" },
      { itemId: item.id },
    );
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail!.to.sort()).toEqual(["ops@shop.test", "owner@shop.test"]);
    expect(mail!.from).toBe("alerts@syncflow.test");
    expect(mail!.subject).toBe("Low stock: Woo-Beanie-T is at 3 · Notify Outfitters");
    expect(mail!.text).toContain("Beanie (SKU Woo-Beanie-T) is at 3 on Shopify, at or under its threshold of 5.");
    expect(mail!.text).toContain("Open in SyncFlow: http://127.0.0.1:9/app/inventory?q=Woo-Beanie-T");
    expect(mail!.text).toContain("http://127.0.0.1:9/app/settings/notifications");
    expect(mail!.html).toContain('href="http://127.0.0.1:9/app/inventory?q=Woo-Beanie-T"');
    expect(mail!.html).toContain("<h2");
    await waitFor("row sent", async () => (await rowsOf(shop.id)).some((r) => r.status === "sent"));

    // Same condition again (e.g. a store crossing too): recorded as a duplicate, nothing sent.
    await emitEvent(shop.id, "stock.low", { itemId: item.id, quantity: 2, threshold: 5 }, { itemId: item.id });
    await waitFor("duplicate recorded", async () => (await rowsOf(shop.id)).some((r) => r.reason === "duplicate"));
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.messages.length).toBe(before + 1);
  });

  it("alerts from Shopify's own level after a silent baseline, and again only after recovery", async () => {
    const shop = await createTestShop("watch", { emailRecipients: ["owner@watch.test"] });
    const low = await createTestItem(shop.id, "ALREADY-LOW", 1);
    const item = await createTestItem(shop.id, "SOCKS-1", 12, "Socks");
    expect((await watchStock(shop.id)).baseline).toBe(true);
    expect(await prisma.alertState.findFirst({ where: { shopId: shop.id, key: `stock.low:${low.id}` } })).toMatchObject(
      { active: true },
    );
    expect(await prisma.domainEvent.count({ where: { shopId: shop.id } })).toBe(0); // baseline is silent

    const count = () => smtp.messages.filter((m) => m.to.includes("owner@watch.test")).length;
    await setLevel(shop.id, item.id, 4); // a sale applied on Shopify crosses the threshold (5)
    expect(await watchStock(shop.id)).toMatchObject({ low: 1, out: 0 });
    await waitFor("low-stock mail", () => count() === 1);
    expect(smtp.messages.at(-1)!.subject).toContain("Low stock: SOCKS-1 is at 4");

    await setLevel(shop.id, item.id, 3); // still low: no new alert
    expect(await watchStock(shop.id)).toMatchObject({ low: 0, cleared: 0 });
    await setLevel(shop.id, item.id, 30); // recovered
    expect(await watchStock(shop.id)).toMatchObject({ cleared: 1 });
    await setLevel(shop.id, item.id, 0); // low and out of stock everywhere
    expect(await watchStock(shop.id)).toMatchObject({ low: 1, out: 1 });
    await waitFor("two more mails", () => count() === 3);
    expect(smtp.messages.some((m) => m.subject.startsWith("Out of stock everywhere: SOCKS-1"))).toBe(true);
    // No phone numbers: the critical SMS is recorded as suppressed, not lost silently.
    const sms = await prisma.notification.findFirst({ where: { shopId: shop.id, channel: "sms", kind: "stock.out" } });
    expect(sms).toMatchObject({ status: "suppressed", reason: "no_recipients" });
  });

  it("holds non-critical mail in quiet hours, lets critical mail through", async () => {
    const now = new Date();
    const min = now.getUTCHours() * 60 + now.getUTCMinutes();
    const shop = await createTestShop("quiet", {
      emailRecipients: ["night@shop.test"],
      quietStartMin: (min + 1380) % 1440,
      quietEndMin: (min + 60) % 1440,
      timezone: "UTC",
    });
    await emitEvent(shop.id, "order.imported", { orderId: "none" });
    await emitEvent(shop.id, "store.unhealthy", { status: "failing", reason: "HTTP 503" });
    await waitFor(
      "both decided",
      async () => (await rowsOf(shop.id)).filter((r) => r.channel === "email").length === 2,
    );
    const rows = await rowsOf(shop.id);
    expect(rows.find((r) => r.kind === "order.imported")).toMatchObject({ status: "held", reason: "quiet_hours" });
    await waitFor(
      "critical sent",
      async () =>
        (await prisma.notification.findFirst({ where: { shopId: shop.id, kind: "store.unhealthy", channel: "email" } }))
          ?.status === "sent",
    );
    expect((await prisma.notification.findFirst({ where: { shopId: shop.id, kind: "order.imported" } }))?.status).toBe(
      "held",
    ); // still waiting for the morning
  });

  it("retries a failing SMTP relay through the queue, then dead-letters and records the failure", async () => {
    const shop = await createTestShop("smtpfail", { emailRecipients: ["owner@fail.test"] });
    smtp.failNext(100, 451);
    try {
      await emitEvent(shop.id, "conflict.raised", { kind: "store_drift", expectedQuantity: 4, storeQuantity: 7 });
      const row = await waitFor(
        "failed after retries",
        async () => {
          const r = await prisma.notification.findFirst({
            where: { shopId: shop.id, kind: "conflict.raised", channel: "email" },
          });
          return r?.status === "failed" ? r : null;
        },
        25_000,
      );
      expect(row.attempts).toBe(3); // retryLimit 2 → 3 attempts
      expect(row.error).toMatch(/dead-lettered after 3 attempts/);
      expect(smtp.refused.filter((to) => to.includes("owner@fail.test")).length).toBe(3);
      const dead = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
        `SELECT count(*) AS n FROM ${SCHEMA}.job WHERE name = 'dead-letter' AND data->>'notificationId' = $1`,
        row.id,
      );
      expect(Number(dead[0]!.n)).toBe(1);
      // The failure of a notification is recorded, not notified about (no loop).
      expect(await prisma.notification.findFirst({ where: { shopId: shop.id, reason: "loop" } })).not.toBeNull();
    } finally {
      smtp.failNext(0);
    }
  }, 30_000);
});

describe("SMS", () => {
  it("sends critical events through the twilio SDK, digests a burst into one SMS, records delivery", async () => {
    const shop = await createTestShop(
      "sms",
      { smsRecipients: ["+14155550100"] },
      "Harbor & Co. Outfitters With A Long Name",
    );
    await emitEvent(shop.id, "job.dead_lettered", {
      queue: "push-stock",
      cause:
        "ChannelError: WooCommerce answered 503 Service Unavailable after retries on /wp-json/wc-syncflow/v1/stock/adjust",
      attempts: 6,
    });
    const [first] = await twilio.waitFor(1);
    expect(first!.authorization).toBe(
      `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString("base64")}`,
    );
    expect(first!.to).toBe("+14155550100");
    expect(first!.from).toBe("+15005550006");
    expect(first!.body).toMatch(/^Harbor & Co\. Outfitters With A Long Name: Sync FAILED after 6 tries/);
    expect(first!.body.length).toBeLessThanOrEqual(160);
    expect(/^[\x20-\x7e]*$/.test(first!.body)).toBe(true);
    expect(twilio.requests[0]).toMatchObject({
      method: "POST",
      path: `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`,
      status: 201,
    });

    // A burst of three more critical events inside the window: held, then ONE digest SMS.
    for (const reason of ["HTTP 503", "timeout", "HTTP 401"])
      await emitEvent(shop.id, "store.unhealthy", { status: "failing", reason });
    await waitFor(
      "three held",
      async () =>
        (await prisma.notification.count({
          where: { shopId: shop.id, channel: "sms", status: { in: ["held", "digested"] } },
        })) === 3,
    );
    const msgs = await twilio.waitFor(2, 15_000);
    const digest = msgs[1]!;
    expect(digest.body).toMatch(/3 alerts:/);
    expect(digest.body.length).toBeLessThanOrEqual(160);
    await new Promise((r) => setTimeout(r, 1500));
    expect(twilio.messages.length).toBe(2);
    const held = await prisma.notification.findMany({
      where: { shopId: shop.id, channel: "sms", kind: "store.unhealthy" },
    });
    expect(new Set(held.map((h) => h.status))).toEqual(new Set(["digested"]));
    expect(new Set(held.map((h) => h.digestId)).size).toBe(1);

    // Delivery status fetched from Twilio and recorded.
    await waitFor(
      "delivered",
      async () =>
        (await prisma.notification.findFirst({ where: { shopId: shop.id, providerId: first!.sid } }))?.status ===
        "delivered",
    );
  }, 30_000);
});
