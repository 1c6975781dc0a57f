/**
 * Shopify's available quantities as the hub last observed them (the record's cache), and the handling of
 * `inventory_levels/update` webhooks (GUIDE §2 rules 4–5).
 *
 * Monotonic per (item, location): an observation older than the stored one is ignored, so late and
 * out-of-order webhooks cannot roll a level back. The hub's own writes are stored with the time of
 * Shopify's answer; their echo (same available, older or equal timestamp) is recognised and not
 * propagated again.
 */
import prisma, { type Tx } from "../db.server";
import { appendLedger } from "./ledger.server";
import type { ShopifyInventoryLevelUpdate } from "../channels/shopify/webhook-payloads";

/**
 * Upserts a level if `observedAt` is newer than the stored one.
 * @returns the previous available (null when new) and whether the row changed.
 */
export async function recordLevel(
  tx: Tx,
  input: { shopId: string; itemId: string; locationGid: string; available: number; observedAt: Date; ownWrite?: boolean },
): Promise<{ changed: boolean; before: number | null; stale: boolean }> {
  const rows = await tx.$queryRaw<{ available: number; observedAt: Date }[]>`
    SELECT available, "observedAt" FROM "InventoryLevel" WHERE "itemId" = ${input.itemId} AND "locationGid" = ${input.locationGid} FOR UPDATE`;
  const current = rows[0];
  if (!current) {
    await tx.inventoryLevel.create({ data: { shopId: input.shopId, itemId: input.itemId, locationGid: input.locationGid, available: input.available, observedAt: input.observedAt } });
    return { changed: true, before: null, stale: false };
  }
  if (current.observedAt > input.observedAt && !input.ownWrite) return { changed: false, before: current.available, stale: true };
  await tx.inventoryLevel.update({
    where: { itemId_locationGid: { itemId: input.itemId, locationGid: input.locationGid } },
    data: { available: input.available, observedAt: input.observedAt > current.observedAt ? input.observedAt : current.observedAt },
  });
  return { changed: current.available !== input.available, before: current.available, stale: false };
}

export type LevelWebhookOutcome = "applied" | "echo" | "stale" | "unknown_item" | "untracked";

/**
 * The observation time of a Shopify level webhook (the time its `available` was true).
 *
 * `updatedAt`: the payload's `updated_at`. Shopify writes it to the second ("2026-11-22T12:00:05-05:00",
 * REST InventoryLevel resource), while the hub's own observations (catalog reads, its writes) carry milliseconds.
 * `triggeredAt`: the delivery's raw `X-Shopify-Triggered-At` header, when known — the time Shopify triggered the
 * webhook, normally with sub-second digits ("2025-03-11T20:54:30.516267807Z"; shopify.dev "Deliver webhooks through
 * HTTPS", header list). A zero fraction (".000000Z", seen in samples) is taken as whole-second: it says nothing
 * about where in the second the change happened.
 *
 * - `updated_at` with fractional seconds: taken as is.
 * - whole-second `updated_at` of second S, and a Triggered-At with sub-second digits inside S: the Triggered-At.
 *   Within one second only it orders the change against the hub's own writes. Without it, an echo of the hub's
 *   first of two writes in one second (10 → 5, then 5 → 0) looked newer than the second write (S + 999 ms
 *   against 0's own-write time) and set the level back to 5, pushing 5 phantom units to every store until the
 *   next webhook — or for good, when the echoes were processed newest first (two worker processes race on
 *   same-item sales; faults/two-workers-race).
 * - otherwise (no Triggered-At, a whole-second one, or one outside S): the END of S (S + 999 ms), so a hub read that
 *   started earlier in the same second cannot make the change look stale and drop it. Two such deliveries of the
 *   same second compare equal, and the later one applies.
 * Returns an invalid Date for an unparsable `updatedAt`.
 */
export function webhookObservedAt(updatedAt: string, triggeredAt?: string | null): Date {
  const t = new Date(updatedAt);
  if (!/T\d{2}:\d{2}:\d{2}(?:[Z+-]|$)/.test(updatedAt) || Number.isNaN(t.getTime())) return t;
  const endOfSecond = new Date(t.getTime() + 999);
  if (triggeredAt && /T\d{2}:\d{2}:\d{2}\.\d*[1-9]/.test(triggeredAt)) {
    const trig = new Date(triggeredAt);
    if (!Number.isNaN(trig.getTime()) && trig >= t && trig <= endOfSecond) return trig;
  }
  return endOfSecond;
}

/**
 * Applies an `inventory_levels/update` webhook of `shopId`.
 * @param triggeredAt the delivery's raw `X-Shopify-Triggered-At` header (orders same-second changes; webhookObservedAt)
 * @returns what happened and, when applied, the item whose stores need a push.
 */
export async function applyLevelWebhook(
  shopId: string,
  update: ShopifyInventoryLevelUpdate,
  receiptKey: string,
  triggeredAt?: string | null,
): Promise<{ outcome: LevelWebhookOutcome; itemId?: string; locationGid?: string }> {
  if (update.available == null) return { outcome: "untracked" };
  const observedAt = webhookObservedAt(update.updatedAt, triggeredAt);
  // The item and, without a lock, its stored observation time. observedAt only ever moves forward
  // (recordLevel keeps the newest), so an update older than it is stale for good: answered here without a
  // transaction — the common case for late and replayed deliveries (docs/decisions/070).
  const [item] = await prisma.$queryRaw<{ id: string; observedAt: Date | null }[]>`
    SELECT ci.id, il."observedAt" FROM "CatalogItem" ci
    LEFT JOIN "InventoryLevel" il ON il."itemId" = ci.id AND il."locationGid" = ${update.locationGid}
    WHERE ci."shopId" = ${shopId} AND ci."inventoryItemId" = ${update.inventoryItemGid}
    LIMIT 1`;
  if (!item) return { outcome: "unknown_item" };
  if (item.observedAt && item.observedAt > observedAt) return { outcome: "stale" };
  return prisma.$transaction(async (tx) => {
    const res = await recordLevel(tx, { shopId, itemId: item.id, locationGid: update.locationGid, available: update.available!, observedAt });
    if (res.stale) return { outcome: "stale" as const };
    if (!res.changed) return { outcome: "echo" as const };
    const shopifyChannel = await tx.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } });
    await appendLedger(tx, {
      shopId, itemId: item.id, channelId: shopifyChannel?.id ?? null, locationGid: update.locationGid, cause: "webhook",
      delta: res.before == null ? null : update.available! - res.before, before: res.before, after: update.available,
      idempotencyKey: `shopify-level:${receiptKey}`, note: "inventory_levels/update from Shopify",
    });
    return { outcome: "applied" as const, itemId: item.id, locationGid: update.locationGid };
  });
}

/** WooCommerce channels of a shop fed by `locationGid` (explicit feed list, or sales location). */
export async function channelsFedBy(shopId: string, locationGid: string): Promise<string[]> {
  const channels = await prisma.channel.findMany({ where: { shopId, kind: "woocommerce", status: { not: "disconnected" } } });
  return channels
    .filter((c) => (c.feedLocationIds.length ? c.feedLocationIds.includes(locationGid) : c.salesLocationId === locationGid))
    .map((c) => c.id);
}
