/**
 * Pushing derived quantities to a linked store (GUIDE §2 rules 1–3, 5).
 *
 * For each linked listing: derived = available(feed locations) − buffer − pending sales (derive.ts).
 * - exact mode (SyncFlow plugin present): send `derived − baseline` as an atomic, idempotent delta
 *   (`wc-syncflow/v1/stock/delta`, request key `push:<listing>:<seq>`). The store's own sales since the
 *   baseline stay applied, so a unit just sold there is never handed back.
 * - buffered mode (plain REST): absolute set of `derived` (last writer wins; the larger buffer covers it);
 *   several items at once go through WooCommerce batch updates (≤ 100 per call), per-item failures retried.
 * A push whose outcome is unknown (timeout, 5xx) is resent verbatim with the same key on retry, so it is
 * applied at most once. Every applied push is a ledger row with cause `push`.
 */
import prisma, { type Tx } from "../db.server";
import { ChannelError } from "../channels/channel";
import { deriveStoreQuantity, feedLocations } from "./derive";
import { appendLedger } from "./ledger.server";
import { wooForChannel } from "./stores.server";
import { emitLowStockIfCrossed } from "./events.server";
import { queueRebalance, usesAllocations } from "./allocation.server";
import type { Channel as ChannelRow, Listing } from "@prisma/client";

/**
 * Computes a store's derived quantity for items (one statement, one snapshot, no N+1): item id → units.
 * @param opts.availableOverride available by location GID to use instead of the cached level for an item
 *   (reconciliation's dry run: the levels as they would be after its record corrections); only the store's
 *   feed locations are taken from it
 */
export async function derivedQuantities(
  db: Tx | typeof prisma,
  channel: ChannelRow,
  itemIds: string[],
  opts: { availableOverride?: (itemId: string) => Map<string, number> | undefined } = {},
): Promise<Map<string, number>> {
  const locs = feedLocations(channel);
  if (!itemIds.length) return new Map();
  // Levels and pending sales in ONE statement, so both come from one snapshot. Applying a sale changes both in one
  // transaction (adjust.server.ts: the sale leaves "pending" as the cached level drops by it); two statements (they
  // were two concurrent queries) could read the level before that commit and the pending sales after it, and derive
  // the sale's units back: a store at 0 was pushed +5 after two −5 sales on 10 (faults/two-workers-race).
  // Only sales pending on `available`: allocation stores' sales move safety_stock, never available.
  const rows = await db.$queryRaw<{ kind: "level" | "pending"; itemId: string; locationGid: string; units: number }[]>`
    SELECT 'level' AS kind, "itemId", "locationGid", available AS units FROM "InventoryLevel"
     WHERE "shopId" = ${channel.shopId} AND "itemId" = ANY(${itemIds}) AND "locationGid" = ANY(${locs})
    UNION ALL
    SELECT 'pending' AS kind, "itemId", "locationGid", SUM(delta)::int AS units FROM "ShopifyAdjustment"
     WHERE "shopId" = ${channel.shopId} AND "itemId" = ANY(${itemIds}) AND status = 'pending' AND "locationGid" = ANY(${locs}) AND "quantityName" = 'available'
     GROUP BY "itemId", "locationGid"`;
  // Group once (linear), so 10,000 items do not cost 10,000 × rows comparisons.
  const levelsBy = new Map<string, Record<string, number>>();
  const pendingBy = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const into = r.kind === "level" ? levelsBy : pendingBy;
    (into.get(r.itemId) ?? into.set(r.itemId, {}).get(r.itemId)!)[r.locationGid] = Number(r.units);
  }
  const out = new Map<string, number>();
  for (const itemId of itemIds) {
    let availableByLocation = levelsBy.get(itemId) ?? {};
    const override = opts.availableOverride?.(itemId);
    if (override) {
      availableByLocation = { ...availableByLocation };
      for (const loc of locs) if (override.has(loc)) availableByLocation[loc] = override.get(loc)!;
    }
    const pendingByLocation = pendingBy.get(itemId) ?? {};
    out.set(
      itemId,
      deriveStoreQuantity({
        availableByLocation,
        pendingByLocation,
        feedLocationIds: channel.feedLocationIds,
        salesLocationId: channel.salesLocationId,
        bufferUnits: channel.bufferUnits,
        bufferPercent: channel.bufferPercent,
      }).quantity,
    );
  }
  return out;
}

export interface PushOutcome {
  itemId: string;
  listingId: string;
  action: "unchanged" | "delta" | "set";
  before: number | null;
  after: number | null;
}

/**
 * Pushes the derived quantity of `itemIds` to one WooCommerce channel of `shopId`.
 * Throws ChannelError (retryable ones are retried by the job layer); listings whose push is in flight
 * are resent first.
 */
export async function pushStock(shopId: string, channelId: string, itemIds: string[]): Promise<PushOutcome[]> {
  const { channel, adapter } = await wooForChannel(shopId, channelId);
  if (usesAllocations(channel)) {
    // Exact mode with allocations (docs/decisions/008): stores show their allocation; only a rebalance moves units.
    for (const itemId of itemIds) await queueRebalance(shopId, itemId);
    return [];
  }
  const listings = await prisma.listing.findMany({
    where: { shopId, channelId, itemId: { in: itemIds }, matchStatus: "linked" },
    orderBy: { id: "asc" },
  });
  const outcomes: PushOutcome[] = [];
  if (channel.mode !== "exact" && listings.length > 1) {
    // Buffered mode, several items: WooCommerce batch updates (≤ 100 per call) instead of one PUT each.
    outcomes.push(...(await pushBufferedBatch(channel, listings, adapter)));
  } else {
    for (const listing of listings) {
      outcomes.push(await pushListing(channel, listing.id, adapter));
    }
  }
  await prisma.channel.update({ where: { id: channel.id }, data: { lastSyncAt: new Date() } });
  return outcomes;
}

/**
 * Buffered mode, many listings (docs/decisions/036-buffered-batch-push.md): one `products/batch` call per
 * ≤ 100 items (and per variable parent) setting `stock_quantity` to the derived quantity. Each item that
 * succeeded is recorded at once (baseline, ledger row `push`); items the store refused inline are not
 * recorded, and the job fails with a ChannelError naming them, so the job layer retries — the retry sends
 * only what still differs (the recorded successes are now `unchanged`) — and after the last retry parks
 * the job in the dead-letter queue with that cause, from where it can be replayed.
 */
async function pushBufferedBatch(channel: ChannelRow, listings: Listing[], adapter: WooAdapter): Promise<PushOutcome[]> {
  const linked = listings.filter((l): l is Listing & { itemId: string } => !!l.itemId);
  const derived = await derivedQuantities(prisma, channel, linked.map((l) => l.itemId));
  const outcomes: PushOutcome[] = [];
  const todo: { listing: Listing & { itemId: string }; quantity: number }[] = [];
  for (const listing of linked) {
    const quantity = derived.get(listing.itemId)!;
    if ((listing.lastWrittenQuantity ?? listing.lastObservedQuantity) === quantity) {
      outcomes.push({ itemId: listing.itemId, listingId: listing.id, action: "unchanged", before: quantity, after: quantity });
    } else todo.push({ listing, quantity });
  }
  if (!todo.length) return outcomes;
  const results = await adapter.batchSetStock(
    todo.map(({ listing, quantity }) => ({ productId: Number(listing.externalId), parentId: listing.variantId ? Number(listing.productId) : null, quantity })),
  );
  const failed: string[] = [];
  for (let i = 0; i < todo.length; i++) {
    const { listing, quantity } = todo[i]!;
    const res = results[i]!;
    if (!res.ok) {
      failed.push(`${listing.sku ?? listing.externalId} (${res.error.code}: ${res.error.message})`);
      continue;
    }
    const after = res.quantity ?? quantity;
    const now = new Date();
    await prisma.$transaction(async (tx) => {
      await tx.listing.update({
        where: { id: listing.id },
        data: { lastWrittenQuantity: after, lastWrittenAt: now, lastObservedQuantity: after, lastObservedAt: now },
      });
      await appendLedger(tx, {
        shopId: listing.shopId, itemId: listing.itemId, channelId: channel.id, cause: "push", delta: null, before: null, after,
        idempotencyKey: `push:${listing.id}:set:${now.getTime()}:${after}`, note: "buffered mode: absolute set (batch)",
      });
    });
    await emitLowStockIfCrossed(channel, listing.itemId, listing.lastWrittenQuantity, after);
    outcomes.push({ itemId: listing.itemId, listingId: listing.id, action: "set", before: null, after });
  }
  if (failed.length) {
    throw new ChannelError("BAD_REQUEST", `batch stock update: ${failed.length} of ${todo.length} items refused by the store: ${failed.join("; ").slice(0, 1500)}`, { retryable: true });
  }
  return outcomes;
}

type WooAdapter = Awaited<ReturnType<typeof wooForChannel>>["adapter"];

/** One listing: decide under a row lock, write outside it, record the result under the lock again. */
async function pushListing(channel: ChannelRow, listingId: string, adapter: WooAdapter): Promise<PushOutcome> {
  // Bounded: a concurrent change between decide and record makes us loop to push the remainder.
  for (let round = 0; round < 5; round++) {
    const plan = await prisma.$transaction(async (tx) => {
      const [listing] = await tx.$queryRaw<Listing[]>`SELECT * FROM "Listing" WHERE id = ${listingId} FOR UPDATE`;
      if (!listing?.itemId) return null;
      if (listing.inFlightPushSeq != null && listing.inFlightPushDelta != null) {
        return { listing, seq: listing.inFlightPushSeq, delta: listing.inFlightPushDelta, derived: null as number | null };
      }
      const derived = (await derivedQuantities(tx, channel, [listing.itemId])).get(listing.itemId)!;
      const baseline = listing.lastWrittenQuantity ?? listing.lastObservedQuantity;
      if (baseline === derived) return { listing, seq: 0, delta: 0, derived };
      if (channel.mode === "exact" && baseline != null) {
        const seq = listing.pushSeq + 1;
        await tx.listing.update({ where: { id: listing.id }, data: { inFlightPushSeq: seq, inFlightPushDelta: derived - baseline } });
        return { listing, seq, delta: derived - baseline, derived };
      }
      return { listing, seq: -1, delta: 0, derived };
    });
    if (!plan) return { itemId: "", listingId, action: "unchanged", before: null, after: null };
    const { listing } = plan;
    const itemId = listing.itemId!;
    if (plan.seq === 0) return { itemId, listingId, action: "unchanged", before: plan.derived, after: plan.derived };

    if (plan.seq === -1) {
      // Buffered mode (or no baseline yet): absolute set, as WooCommerce REST allows.
      const res = await adapter.setStockAbsolute(listing.externalId, plan.derived!, listing.variantId ? Number(listing.productId) : null);
      await prisma.$transaction(async (tx) => {
        await tx.listing.update({
          where: { id: listing.id },
          data: { lastWrittenQuantity: res.after, lastWrittenAt: new Date(), lastObservedQuantity: res.after, lastObservedAt: new Date() },
        });
        await appendLedger(tx, {
          shopId: listing.shopId, itemId, channelId: channel.id, cause: "push", delta: res.before == null ? null : res.after - res.before,
          before: res.before, after: res.after, idempotencyKey: `push:${listing.id}:set:${Date.now()}:${res.after}`,
          note: "buffered mode: absolute set",
        });
      });
      await emitLowStockIfCrossed(channel, itemId, listing.lastWrittenQuantity, res.after);
      return { itemId, listingId, action: "set", before: res.before, after: res.after };
    }

    let res;
    try {
      res = await adapter.adjustStock({ productId: listing.externalId, delta: plan.delta, requestKey: `push:${listing.id}:${plan.seq}` });
    } catch (err) {
      if (err instanceof ChannelError && !err.retryable) {
        // Definitive refusal: nothing was applied; forget the in-flight push so a fresh decision is made.
        await prisma.listing.updateMany({ where: { id: listing.id, inFlightPushSeq: plan.seq }, data: { inFlightPushSeq: null, inFlightPushDelta: null } });
      }
      throw err;
    }
    const recorded = await prisma.$transaction(async (tx) => {
      const { count } = await tx.listing.updateMany({
        where: { id: listing.id, inFlightPushSeq: plan.seq },
        data: {
          pushSeq: plan.seq,
          inFlightPushSeq: null,
          inFlightPushDelta: null,
          lastWrittenQuantity: { increment: plan.delta },
          lastWrittenAt: new Date(),
          lastObservedQuantity: res.after,
          lastObservedAt: new Date(),
        },
      });
      if (count === 1) {
        await appendLedger(tx, {
          shopId: listing.shopId, itemId, channelId: channel.id, cause: "push", delta: plan.delta,
          before: res.before, after: res.after, idempotencyKey: `push:${listing.id}:${plan.seq}`,
          note: res.replayed ? "replayed by the store (already applied)" : null,
        });
      }
      return count === 1;
    });
    if (recorded) await emitLowStockIfCrossed(channel, itemId, res.before, res.after);
    // Loop: the derived value may have moved while we were writing.
  }
  return { itemId: "", listingId, action: "delta", before: null, after: null };
}

/** Item ids linked on a channel (for a full push after linking). */
export async function linkedItemIds(shopId: string, channelId: string): Promise<string[]> {
  const rows = await prisma.listing.findMany({ where: { shopId, channelId, matchStatus: "linked" }, select: { itemId: true } });
  return rows.map((r) => r.itemId!).filter(Boolean);
}
