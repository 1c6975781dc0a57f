/**
 * Outbound webhooks: the merchant's own endpoints told what happens (docs/decisions/284–285).
 *
 * Topics and where they come from — the events SyncFlow already records, no second event path:
 * - `order.imported`, `conflict.raised`, `store.unhealthy`: DomainEvent rows (app/sync/events.server.ts), fanned out by
 *   the `notify` job that already turns each event into notifications and Flow triggers (`fanOutDomainEvent`);
 *   event id `evt_<DomainEvent id>`;
 * - `stock.changed`: StockLedger rows (every stock movement the hub observes or makes, GUIDE §2 rule 6), fanned out by
 *   the debounced `webhook-stock` job that `signalStockChanged` queues after sync work, like the stock watch
 *   (`fanOutStock`: rows above each subscription's cursor); event id `evt_ledger_<ledger id>`.
 * One WebhookDelivery per (subscription, event id) — unique, so a fan-out that runs twice creates nothing twice: the
 * receiver sees one event id per event, and duplicates only when a delivery is retried.
 *
 * Delivery (`deliverWebhook`, queue `webhook-deliver`): a POST of `{ type, timestamp, data }` signed per Standard
 * Webhooks with the `standardwebhooks` library (`webhook-id` = event id, `webhook-timestamp` = this attempt's time,
 * `webhook-signature` = `v1,<base64 HMAC-SHA256>` with the subscription's `whsec_` secret). 2xx = delivered; anything
 * else throws, so pg-boss retries with exponential backoff and finally dead-letters the job (the worker marks the
 * delivery `dead` with the cause); replay from the Dead letters page resends the same event id. URLs go through the
 * SSRF guard (app/lib/outbound-guard.server.ts): https on 443 only, no internal addresses, no redirects, 10 s.
 */
import crypto from "node:crypto";
import axios from "axios";
import { Webhook } from "standardwebhooks";
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { decryptSecret, encryptSecret } from "../lib/crypto.server";
import { checkStoreUrl, outboundPolicy, OutboundBlockedError, storeRequestConfig } from "../lib/outbound-guard.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { env } from "../env.server";
import { hasFeature } from "../billing/billing.server";
import { ledgerEntry } from "../api/views";

import { OUTBOUND_TOPICS } from "./topics";

export { OUTBOUND_TOPICS, TOPIC_INFO, type OutboundTopic } from "./topics";

/** Subscriptions per shop (a merchant's few endpoints, not a fan-out service). */
export const MAX_SUBSCRIPTIONS = 10;
/** Deadline of one delivery attempt, ms. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** Ledger rows fanned out per subscription and round. */
const STOCK_BATCH = 500;

/** A subscription as the admin lists it (never its secret). */
export interface SubscriptionView {
  id: string;
  url: string;
  topics: string[];
  createdAt: string;
  disabledAt: string | null;
}

/** A user-facing refusal of a subscription change. */
export class SubscriptionError extends Error {}

/**
 * Subscribes `url` to `topics`. @returns the subscription and its signing secret (`whsec_…`, shown ONCE; kept encrypted
 * because the hub must sign with it). @throws SubscriptionError (bad URL, no or unknown topics, too many)
 */
export async function createSubscription(
  shopId: string,
  input: { url: string; topics: string[] },
): Promise<{ subscription: SubscriptionView; secret: string }> {
  const raw = input.url.trim();
  try {
    checkStoreUrl(raw);
  } catch (err) {
    if (err instanceof OutboundBlockedError)
      throw new SubscriptionError("Enter the endpoint's public https address (port 443), without a user or password.");
    throw err;
  }
  const topics = [...new Set(input.topics)];
  if (!topics.length) throw new SubscriptionError("Choose at least one topic.");
  const unknown = topics.filter((t) => !(OUTBOUND_TOPICS as readonly string[]).includes(t));
  if (unknown.length) throw new SubscriptionError(`Unknown topic: ${unknown.join(", ")}.`);
  const count = await prisma.webhookSubscription.count({ where: { shopId, disabledAt: null } });
  if (count >= MAX_SUBSCRIPTIONS)
    throw new SubscriptionError(`A shop can have ${MAX_SUBSCRIPTIONS} endpoints; delete one first.`);
  const secret = `whsec_${crypto.randomBytes(32).toString("base64")}`;
  const max = await prisma.stockLedger.aggregate({ where: { shopId }, _max: { id: true } });
  const row = await prisma.webhookSubscription.create({
    data: { shopId, url: raw, topics, secretEnc: encryptSecret(secret), ledgerCursor: max._max.id ?? 0n },
  });
  subscribedShops.delete(shopId);
  if (topics.includes("stock.changed")) await queueCatchUpFanOut(shopId);
  return { subscription: subView(row), secret };
}

/**
 * Other processes may still hold "no stock.changed subscription" for this shop for up to SUBSCRIBED_TTL_MS, and skip
 * their fan-out signals until it expires: one fan-out queued just after that window delivers the ledger rows they
 * committed meanwhile (the subscription's cursor starts at creation, so nothing before it is sent). Never throws.
 */
async function queueCatchUpFanOut(shopId: string): Promise<void> {
  try {
    await enqueue(
      QUEUES.webhookStock,
      { shopId },
      // Its own key: the debounced job of the usual signal must not absorb this later one.
      { singletonKey: `webhook-stock-new:${shopId}`, startAfterSeconds: Math.ceil(SUBSCRIBED_TTL_MS / 1000) + 1 },
    );
  } catch (err) {
    console.error(`[outbound] could not queue the first stock fan-out of ${shopId}:`, err);
  }
}

function subView(r: {
  id: string;
  url: string;
  topics: string[];
  createdAt: Date;
  disabledAt: Date | null;
}): SubscriptionView {
  return {
    id: r.id,
    url: r.url,
    topics: r.topics,
    createdAt: r.createdAt.toISOString(),
    disabledAt: r.disabledAt?.toISOString() ?? null,
  };
}

/** The shop's active subscriptions, newest first. */
export async function listSubscriptions(shopId: string): Promise<SubscriptionView[]> {
  const rows = await prisma.webhookSubscription.findMany({
    where: { shopId, disabledAt: null },
    orderBy: { createdAt: "desc" },
  });
  return rows.map(subView);
}

/** Stops a subscription (pending deliveries are dropped as `cancelled`). @returns false when not the shop's */
export async function deleteSubscription(shopId: string, id: string): Promise<boolean> {
  const { count } = await prisma.webhookSubscription.updateMany({
    where: { id, shopId, disabledAt: null },
    data: { disabledAt: new Date() },
  });
  subscribedShops.delete(shopId);
  return count === 1;
}

/** One delivery as the admin's log shows it. */
export interface DeliveryView {
  id: string;
  eventId: string;
  topic: string;
  url: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** The shop's latest deliveries (newest first). */
export async function listDeliveries(shopId: string, limit = 50): Promise<DeliveryView[]> {
  const rows = await prisma.webhookDelivery.findMany({
    where: { shopId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    include: { subscription: { select: { url: true } } },
  });
  return rows.map((d) => ({
    id: d.id,
    eventId: d.eventId,
    topic: d.topic,
    url: d.subscription.url,
    status: d.status,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  }));
}

/** Stores the deliveries (skipping ones that exist) and queues every one not yet delivered. */
async function createDeliveries(
  db: Prisma.TransactionClient | typeof prisma,
  rows: { shopId: string; subscriptionId: string; eventId: string; topic: string; payload: Prisma.InputJsonValue }[],
): Promise<number> {
  if (!rows.length) return 0;
  const { count } = await db.webhookDelivery.createMany({ data: rows, skipDuplicates: true });
  return count;
}

async function queuePending(shopId: string, where: Prisma.WebhookDeliveryWhereInput): Promise<void> {
  const pending = await prisma.webhookDelivery.findMany({
    where: { shopId, status: "pending", attempts: 0, ...where },
    select: { id: true },
  });
  for (const d of pending)
    await enqueue(QUEUES.webhookDeliver, { shopId, deliveryId: d.id }, { singletonKey: `deliver:${d.id}` });
}

/**
 * Fans one DomainEvent out to the shop's subscriptions of its topic (run by the notify job; idempotent).
 * @returns deliveries created
 */
export async function fanOutDomainEvent(eventId: string): Promise<number> {
  const event = await prisma.domainEvent.findUnique({ where: { id: eventId } });
  if (!event || !(OUTBOUND_TOPICS as readonly string[]).includes(event.type) || event.type === "stock.changed")
    return 0;
  const subs = await prisma.webhookSubscription.findMany({
    where: { shopId: event.shopId, disabledAt: null, topics: { has: event.type } },
    select: { id: true },
  });
  if (!subs.length) return 0;
  // API access left with the plan (docs/decisions/286): nothing is sent until the shop is on Enterprise again.
  if (!(await hasFeature(event.shopId, "apiAccess"))) return 0;
  const p = (event.payload ?? {}) as Record<string, unknown>;
  const itemId = event.itemId ?? (typeof p.itemId === "string" ? p.itemId : null);
  const item = itemId
    ? await prisma.catalogItem.findFirst({ where: { id: itemId, shopId: event.shopId }, select: { sku: true } })
    : null;
  const id = `evt_${event.id}`;
  const payload = {
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    data: {
      ...p,
      itemId,
      channelId: event.channelId ?? (typeof p.channelId === "string" ? p.channelId : null),
      ...(item ? { sku: item.sku } : {}),
    },
  } as Prisma.InputJsonValue;
  const n = await createDeliveries(
    prisma,
    subs.map((s) => ({ shopId: event.shopId, subscriptionId: s.id, eventId: id, topic: event.type, payload })),
  );
  await queuePending(event.shopId, { eventId: id });
  return n;
}

/**
 * Fans the shop's new ledger rows out to its `stock.changed` subscriptions (queue `webhook-stock`, debounced per shop):
 * rows above each subscription's cursor, in id order, one event per row; the cursor moves in the same transaction as
 * the deliveries are stored (compare-and-set on the cursor, so two runs never both take a batch). @returns deliveries created
 */
export async function fanOutStock(shopId: string): Promise<number> {
  const subs = await prisma.webhookSubscription.findMany({
    where: { shopId, disabledAt: null, topics: { has: "stock.changed" } },
    select: { id: true, ledgerCursor: true },
  });
  if (!subs.length) return 0;
  if (!(await hasFeature(shopId, "apiAccess"))) {
    // Off the plan (docs/decisions/286): the cursors skip what happened meanwhile, so an upgrade sends no backlog.
    const max = await prisma.stockLedger.aggregate({ where: { shopId }, _max: { id: true } });
    await prisma.webhookSubscription.updateMany({
      where: { id: { in: subs.map((x) => x.id) }, ledgerCursor: { lt: max._max.id ?? 0n } },
      data: { ledgerCursor: max._max.id ?? 0n },
    });
    return 0;
  }
  let created = 0;
  for (const sub of subs) {
    let cursor = sub.ledgerCursor;
    for (;;) {
      const rows = await prisma.stockLedger.findMany({
        where: { shopId, id: { gt: cursor } },
        orderBy: { id: "asc" },
        take: STOCK_BATCH,
        include: { item: { select: { sku: true } } },
      });
      if (!rows.length) break;
      const next = rows[rows.length - 1]!.id;
      const moved = await prisma.$transaction(async (tx) => {
        const { count } = await tx.webhookSubscription.updateMany({
          where: { id: sub.id, ledgerCursor: cursor },
          data: { ledgerCursor: next },
        });
        if (count !== 1) return false; // another run took this batch
        created += await createDeliveries(
          tx,
          rows.map((r) => ({
            shopId,
            subscriptionId: sub.id,
            eventId: `evt_ledger_${r.id}`,
            topic: "stock.changed",
            payload: {
              type: "stock.changed",
              timestamp: r.createdAt.toISOString(),
              data: ledgerEntry(r),
            },
          })),
        );
        return true;
      });
      if (!moved) break;
      cursor = next;
      await queuePending(shopId, { subscriptionId: sub.id, topic: "stock.changed" });
      if (rows.length < STOCK_BATCH) break;
    }
  }
  return created;
}

/** Shops known to have (or not) a stock.changed subscription, for `queueStockFanOut` (ms timestamps). */
const subscribedShops = new Map<string, { has: boolean; at: number }>();
const SUBSCRIBED_TTL_MS = 5_000;

/**
 * After sync work changed stock (`signalStockChanged`): queues the shop's debounced stock fan-out when it has a
 * `stock.changed` subscription (looked up at most every 5 s per process). Never throws.
 */
export async function queueStockFanOut(shopId: string): Promise<void> {
  try {
    let known = subscribedShops.get(shopId);
    if (!known || Date.now() - known.at > SUBSCRIBED_TTL_MS) {
      const n = await prisma.webhookSubscription.count({
        where: { shopId, disabledAt: null, topics: { has: "stock.changed" } },
      });
      known = { has: n > 0, at: Date.now() };
      subscribedShops.set(shopId, known);
    }
    if (!known.has) return;
    await enqueue(
      QUEUES.webhookStock,
      { shopId },
      { singletonKey: `webhook-stock:${shopId}`, startAfterSeconds: env.NOTIFY_WATCH_DEBOUNCE_S },
    );
  } catch (err) {
    console.error(`[outbound] could not queue the stock fan-out of ${shopId}:`, err);
  }
}

/** A delivery attempt the receiver did not accept (the job retries it). */
export class DeliveryFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeliveryFailedError";
  }
}

/**
 * Delivers one WebhookDelivery (queue `webhook-deliver`). Delivered, or its subscription gone → done. Otherwise one
 * signed POST; 2xx → `delivered`; else the attempt is recorded and DeliveryFailedError thrown (pg-boss retries, then
 * dead-letters). @returns the outcome
 */
export async function deliverWebhook(deliveryId: string): Promise<{ status: string; httpStatus?: number }> {
  const d = await prisma.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { subscription: true } });
  if (!d) return { status: "missing" };
  if (d.status === "delivered") return { status: "delivered" };
  if (d.subscription.disabledAt) {
    await prisma.webhookDelivery.update({ where: { id: d.id }, data: { status: "cancelled" } });
    return { status: "cancelled" };
  }
  const body = JSON.stringify(d.payload);
  const wh = new Webhook(decryptSecret(d.subscription.secretEnc));
  const now = new Date();
  const headers = {
    "content-type": "application/json",
    "user-agent": "SyncFlow-Webhooks/1",
    "webhook-id": d.eventId,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": wh.sign(d.eventId, now, body),
  };
  let httpStatus: number | undefined;
  let error: string | null = null;
  try {
    const policy = { ...outboundPolicy(), maxRequestMs: DELIVERY_TIMEOUT_MS, maxResponseBytes: 64 * 1024 };
    const res = await axios.post(d.subscription.url, body, {
      ...storeRequestConfig(d.subscription.url, policy),
      headers,
      timeout: DELIVERY_TIMEOUT_MS,
      validateStatus: () => true,
      transformRequest: [(x: unknown) => x],
      responseType: "text",
    });
    httpStatus = res.status;
    if (res.status < 200 || res.status >= 300) error = `the endpoint answered HTTP ${res.status}`;
  } catch (err) {
    error =
      err instanceof OutboundBlockedError || (err as { code?: string })?.code === "OUTBOUND_BLOCKED"
        ? "the endpoint's address is not allowed (internal or non-https)"
        : `the endpoint could not be reached (${(err as Error)?.message ?? String(err)})`;
  }
  if (!error) {
    await prisma.webhookDelivery.update({
      where: { id: d.id },
      data: {
        status: "delivered",
        attempts: { increment: 1 },
        lastStatus: httpStatus ?? null,
        lastError: null,
        deliveredAt: new Date(),
      },
    });
    return { status: "delivered", httpStatus };
  }
  await prisma.webhookDelivery.update({
    where: { id: d.id },
    data: { status: "failed", attempts: { increment: 1 }, lastStatus: httpStatus ?? null, lastError: error },
  });
  throw new DeliveryFailedError(`webhook ${d.eventId} to ${new URL(d.subscription.url).host}: ${error}`);
}

/** The worker's last word on a delivery whose retries are spent: `dead` with the cause (replayable). */
export async function markDeliveryDead(deliveryId: string, cause: string): Promise<void> {
  await prisma.webhookDelivery.updateMany({
    where: { id: deliveryId, status: { not: "delivered" } },
    data: { status: "dead", lastError: `dead-lettered: ${cause}` },
  });
}
