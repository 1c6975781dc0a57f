/**
 * Shopify's available quantities as the hub last observed them (the record's cache), and the handling of
 * `inventory_levels/update` webhooks (GUIDE §2 rules 4–5).
 *
 * Monotonic per (item, location): an observation older than the stored one is ignored, so late and
 * out-of-order webhooks cannot roll a level back. The hub's own writes are stored with the time of
 * Shopify's answer; their echo (same available, older or equal timestamp) is recognised and not
 * propagated again.
 */
import prisma, { type Tx } from "../../db.server";
import { appendLedger, appendLedgerMany } from "../stock/ledger.server";
import type { RecordLevelChange } from "../../channels/events";

/**
 * Upserts a level if `observedAt` is newer than the stored one.
 * `writeBefore` (the hub's own writes): Shopify's value just before the write, from its answer. When it differs from
 * the cached level, Shopify changed in between without the hub having seen it (a sale whose webhook is still on its
 * way — and will be judged stale, as this write is newer): that change gets its own ledger row (cause `webhook`, key
 * `shopify-gap:<writeKey>`, on the Shopify channel), so the ledger's Shopify-side sum keeps matching Shopify's real
 * change (issue 11, B8).
 * @returns the previous available (null when new) and whether the row changed.
 */
export async function recordLevel(
  tx: Tx,
  input: {
    shopId: string;
    itemId: string;
    locationGid: string;
    available: number;
    observedAt: Date;
    ownWrite?: boolean;
    writeBefore?: { before: number; key: string; shopifyChannelId: string | null } | null;
  },
): Promise<{ changed: boolean; before: number | null; stale: boolean }> {
  const rows = await tx.$queryRaw<{ available: number; observedAt: Date }[]>`
    SELECT available, "observedAt" FROM "InventoryLevel" WHERE "itemId" = ${input.itemId} AND "locationGid" = ${input.locationGid} FOR UPDATE`;
  const current = rows[0];
  if (!current) {
    await tx.inventoryLevel.create({
      data: {
        shopId: input.shopId,
        itemId: input.itemId,
        locationGid: input.locationGid,
        available: input.available,
        observedAt: input.observedAt,
      },
    });
    return { changed: true, before: null, stale: false };
  }
  const gap = input.writeBefore;
  if (gap && input.ownWrite && gap.before !== current.available) {
    await appendLedger(tx, {
      shopId: input.shopId,
      itemId: input.itemId,
      channelId: gap.shopifyChannelId,
      locationGid: input.locationGid,
      cause: "webhook",
      delta: gap.before - current.available,
      before: current.available,
      after: gap.before,
      idempotencyKey: `shopify-gap:${gap.key}`,
      note: "a change on Shopify the hub had not seen yet (its inventory_levels/update was still on its way), read from the answer to SyncFlow's own write",
    });
  }
  if (current.observedAt > input.observedAt && !input.ownWrite)
    return { changed: false, before: current.available, stale: true };
  await tx.inventoryLevel.update({
    where: { itemId_locationGid: { itemId: input.itemId, locationGid: input.locationGid } },
    data: {
      available: input.available,
      observedAt: input.observedAt > current.observedAt ? input.observedAt : current.observedAt,
    },
  });
  return { changed: current.available !== input.available, before: current.available, stale: false };
}

/**
 * `recordLevel` for many of the hub's own writes at once (a batched Shopify call): each level becomes Shopify's answer,
 * observed at `sentAt` (when the call was sent: its compare-and-set answer includes every change before then, and a
 * change Shopify made while the answer was on its way must not look older than it — decision 007's addendum); a level whose cached value differed from the answer's `before` gets its gap ledger row (B8), as
 * `recordLevel` does. Three statements whatever the number of levels: the locking read, the update, the ledger rows.
 * Levels missing from the cache are created. Quantities in units.
 */
export async function recordOwnLevels(
  tx: Tx,
  shopId: string,
  rows: { itemId: string; locationGid: string; available: number; before: number; key: string }[],
  shopifyChannelId: string | null,
  sentAt: Date = new Date(),
): Promise<void> {
  if (!rows.length) return;
  // One row per level: the last write of a level in the batch is its value; its first write's `before` is the gap test.
  const by = new Map<string, { itemId: string; locationGid: string; available: number; before: number; key: string }>();
  for (const r of rows) {
    const k = `${r.itemId}|${r.locationGid}`;
    const prev = by.get(k);
    by.set(k, prev ? { ...r, before: prev.before, key: prev.key } : r);
  }
  const list = [...by.values()];
  const current = await tx.$queryRaw<{ itemId: string; locationGid: string; available: number }[]>`
    SELECT il."itemId", il."locationGid", il.available FROM "InventoryLevel" il
    JOIN unnest(${list.map((r) => r.itemId)}::text[], ${list.map((r) => r.locationGid)}::text[]) AS u(item, loc) ON il."itemId" = u.item AND il."locationGid" = u.loc
    ORDER BY il.id FOR UPDATE OF il`;
  const cached = new Map(current.map((c) => [`${c.itemId}|${c.locationGid}`, c.available]));
  const gaps = list.filter(
    (r) => cached.has(`${r.itemId}|${r.locationGid}`) && cached.get(`${r.itemId}|${r.locationGid}`) !== r.before,
  );
  await appendLedgerMany(
    tx,
    gaps.map((r) => {
      const was = cached.get(`${r.itemId}|${r.locationGid}`)!;
      return {
        shopId,
        itemId: r.itemId,
        channelId: shopifyChannelId,
        locationGid: r.locationGid,
        cause: "webhook" as const,
        delta: r.before - was,
        before: was,
        after: r.before,
        idempotencyKey: `shopify-gap:${r.key}`,
        note: "a change on Shopify the hub had not seen yet (its inventory_levels/update was still on its way), read from the answer to SyncFlow's own write",
      };
    }),
  );
  await tx.$executeRaw`
    UPDATE "InventoryLevel" il SET available = u.available, "observedAt" = GREATEST(il."observedAt", ${sentAt}::timestamp(3)), "updatedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3)
    FROM unnest(${list.map((r) => r.itemId)}::text[], ${list.map((r) => r.locationGid)}::text[], ${list.map((r) => r.available)}::int[]) AS u(item, loc, available)
    WHERE il."itemId" = u.item AND il."locationGid" = u.loc`;
  for (const r of list.filter((x) => !cached.has(`${x.itemId}|${x.locationGid}`))) {
    await tx.inventoryLevel.create({
      data: { shopId, itemId: r.itemId, locationGid: r.locationGid, available: r.available, observedAt: sentAt },
    });
  }
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
  update: RecordLevelChange,
  receiptKey: string,
  triggeredAt?: string | null,
): Promise<{ outcome: LevelWebhookOutcome; itemId?: string; locationGid?: string }> {
  if (update.available == null) return { outcome: "untracked" };
  let observedAt = webhookObservedAt(update.updatedAt, triggeredAt);
  // The item and, without a lock, its stored observation. observedAt only ever moves forward (recordLevel keeps the
  // newest), so an update older than it is stale for good: answered here without a transaction — the common case for
  // late and replayed deliveries (docs/decisions/070).
  const [item] = await prisma.$queryRaw<{ id: string; observedAt: Date | null; available: number | null }[]>`
    SELECT ci.id, il."observedAt", il.available FROM "CatalogItem" ci
    LEFT JOIN "InventoryLevel" il ON il."itemId" = ci.id AND il."locationGid" = ${update.locationId}
    WHERE ci."shopId" = ${shopId} AND ci."inventoryItemId" = ${update.inventoryItemId}
    LIMIT 1`;
  if (!item) return { outcome: "unknown_item" };
  if (item.observedAt && item.observedAt > observedAt) return { outcome: "stale" };
  let available = update.available;
  let note = "inventory_levels/update from Shopify";
  const second = wholeSecondOf(update.updatedAt);
  // A sub-second X-Shopify-Triggered-At placed the change inside its second (webhookObservedAt): the order is known.
  const placed = second != null && observedAt.getTime() !== second.getTime() + 999;
  if (
    second &&
    !placed &&
    item.observedAt &&
    item.available != null &&
    item.available !== available &&
    item.observedAt.getTime() >= second.getTime()
  ) {
    // Ambiguous order (issue 11, B7): the hub already holds a different value observed within this webhook's second
    // (another delivery of the same second, or SyncFlow's own write), and no sub-second Triggered-At orders them. Shopify does not order webhooks and `updated_at`
    // has one-second resolution, so neither value can be trusted: read the level from Shopify now.
    const readAt = new Date();
    const truth = await readLevel(shopId, update.inventoryItemId, update.locationId);
    if (truth != null) {
      available = truth;
      observedAt = readAt > observedAt ? readAt : observedAt;
      note = `inventory_levels/update from Shopify, order ambiguous within ${update.updatedAt}: level read from Shopify (${truth}; the webhook said ${update.available})`;
    }
  }
  return prisma.$transaction(async (tx) => {
    const res = await recordLevel(tx, {
      shopId,
      itemId: item.id,
      locationGid: update.locationId,
      available,
      observedAt,
    });
    if (res.stale) return { outcome: "stale" as const };
    if (!res.changed) return { outcome: "echo" as const };
    await appendLedger(tx, {
      shopId,
      itemId: item.id,
      channelId: await shopifyChannelOf(shopId),
      locationGid: update.locationId,
      cause: "webhook",
      delta: res.before == null ? null : available - res.before,
      before: res.before,
      after: available,
      idempotencyKey: `shopify-level:${receiptKey}`,
      note,
    });
    return { outcome: "applied" as const, itemId: item.id, locationGid: update.locationId };
  });
}

/** The shop's Shopify channel id (created at install, never changes), cached per process. */
async function shopifyChannelOf(shopId: string): Promise<string | null> {
  if (shopifyChannels.has(shopId)) return shopifyChannels.get(shopId)!;
  const id = (await prisma.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } }))?.id ?? null;
  if (id) shopifyChannels.set(shopId, id);
  return id;
}
const shopifyChannels = new Map<string, string>();

/** Start of the second of a whole-second `updated_at` (null for a timestamp with fractions or an invalid one). */
function wholeSecondOf(updatedAt: string): Date | null {
  if (!/T\d{2}:\d{2}:\d{2}(?:[Z+-]|$)/.test(updatedAt)) return null;
  const t = new Date(updatedAt);
  return Number.isNaN(t.getTime()) ? null : t;
}

/** Shopify's available of one inventory item at one location, read now (null when Shopify has no such level). */
async function readLevel(shopId: string, inventoryItemGid: string, locationGid: string): Promise<number | null> {
  const { recordForShop } = await import("../stores/stores.server");
  const { adapter } = await recordForShop(shopId);
  return (
    (await adapter.readAvailable([inventoryItemGid], [locationGid])).get(inventoryItemGid)?.get(locationGid) ?? null
  );
}

/** WooCommerce channels of a shop fed by `locationGid` (explicit feed list, or sales location). */
export async function channelsFedBy(shopId: string, locationGid: string): Promise<string[]> {
  const { storesOf } = await import("../stock/push.server");
  const channels = await storesOf(shopId);
  return channels
    .filter((c) =>
      c.feedLocationIds.length ? c.feedLocationIds.includes(locationGid) : c.salesLocationId === locationGid,
    )
    .map((c) => c.id);
}
