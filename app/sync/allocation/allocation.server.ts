/**
 * Exact mode with allocations (docs/decisions/008-exact-mode-allocations-in-safety-stock.md).
 *
 * For a WooCommerce store with the SyncFlow plugin and `Channel.allocationEnabled`, the hub never lets two
 * channels sell the same unit: per linked item the store's units are *allocated* — moved on Shopify from
 * `available` to `safety_stock` at the store's sales location — and the store shows exactly its allocation
 * remaining (`Listing.lastWrittenQuantity`, the baseline). Shopify's checkout sells only `available`.
 *
 * Per listing, `allocatedQuantity` (A) is what the hub holds in safety_stock for the store. Invariants
 * (quantities in units, per item and sales location L):
 *   Shopify safety_stock(L) = Σ A over the allocation stores selling from L;
 *   A + Σ pending store adjustments − baseline = units reserved but not shown (in-flight steps) ≥ 0.
 * Every step is ordered so that a crash leaves units "reserved but not yet shown", never "shown twice":
 * - top-up x:    move x available → safety_stock (CAS both), THEN +x to the store (plugin delta, keyed);
 * - take-back x: store c → c − x (plugin CAS, only while it still shows c), THEN move x safety_stock → available;
 * - migration:   move min(store, available) available → safety_stock, THEN lower the store to that (CAS).
 * The step in flight is persisted in `Listing.allocOp` before each remote write and resumed with the same
 * idempotency key and the same compare-and-set values, so Shopify / the plugin replay instead of applying twice.
 * Rebalances of one item are serialised (pg-boss `stately` queue per item + a transaction-scoped advisory lock).
 */
import prisma from "../../db.server";
import { ChannelError, RECORD_KIND } from "../../channels/channel";
import { appendLedger } from "../stock/ledger.server";
import { recordLevel } from "../intake/levels.server";
import { recordForShop, salesAdapter } from "../stores/stores.server";
import { allocationDocument, MAX_ROUNDS, SAFETY_STOCK, usesAllocations } from "./allocation-terms";
import { allocationFaults, maybeCrash } from "./allocation-faults";
import { flushAllocationAdjustments, logFailed } from "./allocation-flush.server";

// The parts of allocations, re-exported so callers keep one entry point: the terms (allocation-terms.ts), the test
// crash hooks (allocation-faults.ts) and the application of store sales to safety_stock (allocation-flush.server.ts).
export { allocationDocument, SAFETY_STOCK, usesAllocations, allocationFaults, maybeCrash };
export { batchWrite, flushAllocationAdjustments, groupOf, type FlushOutcome } from "./allocation-flush.server";
import { Prisma, type Channel as ChannelRow, type Listing } from "@prisma/client";

/** A persisted allocation step (Listing.allocOp). `stage` is the next remote write to (re)send. */
export type AllocOp =
  | {
      kind: "topup";
      seq: number;
      qty: number;
      stage: "shopify" | "store";
      attempt: number;
      fromCfq: number | null;
      toCfq: number | null;
    }
  | {
      kind: "takeback";
      seq: number;
      qty: number;
      stage: "store" | "shopify";
      attempt: number;
      expected: number | null;
      fromCfq: number | null;
      toCfq: number | null;
    }
  | {
      kind: "migrate";
      seq: number;
      qty: number;
      stage: "shopify" | "store";
      attempt: number;
      fromCfq: number | null;
      toCfq: number | null;
      expected: number | null;
    }
  | {
      kind: "release";
      seq: number;
      qty: number;
      stage: "shopify";
      attempt: number;
      fromCfq: number | null;
      toCfq: number | null;
    };

/** `requestPush` of push.server.ts, loaded on use (push.server imports this module). */
async function requestPushLater(shopId: string, channelId: string, itemIds: string[]): Promise<void> {
  const { requestPush } = await import("../stock/push.server");
  await requestPush(shopId, channelId, itemIds);
}

/**
 * Requests a rebalance of `itemIds` (a push request on an allocation store, a sale, linking, enabling allocations):
 * the items are marked and the shop's batched drainer queued (allocation-batch.server.ts, docs/decisions/104).
 */
export async function requestRebalance(shopId: string, itemIds: string[]): Promise<void> {
  const { requestRebalance: request } = await import("./allocation-batch.server");
  await request(shopId, itemIds);
}

/** Requests a rebalance of one item (kept for callers of decision 008's API; `full` no longer differs). */
export async function queueRebalance(shopId: string, itemId: string, _full = false): Promise<void> {
  await requestRebalance(shopId, [itemId]);
}

/**
 * Finishes the allocation steps left in flight for `itemId`'s listings (a crash, an unknown outcome), one listing at a
 * time with the same keys and compare-and-set values (decision 008). The caller holds the item's allocation lock.
 * Steps riding in a stored batched call (`batchId`) are left to that call's resend (allocation-batch.server.ts).
 */
export async function resumeItemSteps(shopId: string, itemId: string): Promise<void> {
  const item = await prisma.catalogItem.findFirst({ where: { id: itemId, shopId } });
  if (!item?.inventoryItemId) return;
  const listings = await prisma.listing.findMany({
    where: { shopId, itemId, NOT: { allocOp: { equals: Prisma.DbNull } } },
    orderBy: { id: "asc" },
  });
  if (!listings.length) return;
  const { adapter: shopify } = await recordForShop(shopId);
  const scId =
    (await prisma.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } }))?.id ?? null;
  for (const l of listings) {
    const channel = await prisma.channel.findUnique({ where: { id: l.channelId } });
    if (!channel || !usesAllocations(channel) || !channel.salesLocationId) continue;
    const ctx: Ctx = {
      shopId,
      itemId,
      inventoryItemId: item.inventoryItemId,
      location: channel.salesLocationId,
      shopify,
      shopifyChannelId: scId,
      moves: [],
    };
    await resume(ctx, channel, l);
  }
}

export interface RebalanceOutcome {
  itemId: string;
  status: "done" | "busy" | "skipped";
  moves: { channelId: string; kind: AllocOp["kind"]; qty: number }[];
}

/**
 * Rebalances one item across Shopify and its allocation stores (serialised per item). Resumes steps in
 * flight first, migrates listings without allocation, releases orphaned reservations, then moves units
 * toward the target split when a channel runs low (or always, with `full`).
 * @returns "busy" when another rebalance of the item holds the lock (the caller retries)
 * @throws ChannelError on remote failures (the job layer retries; the step stays persisted for resume)
 */
export async function rebalanceItem(
  shopId: string,
  itemId: string,
  opts: { full?: boolean } = {},
): Promise<RebalanceOutcome> {
  const res = await withItemLock(itemId, () => rebalanceLocked(shopId, itemId, !!opts.full));
  return res.locked ? res.value : { itemId, status: "busy", moves: [] };
}

/**
 * Runs `fn` while holding the item's allocation lock (a transaction-scoped PostgreSQL advisory lock on
 * `syncflow:alloc:<itemId>`), the one serialisation point of everything that writes the item's Shopify
 * `safety_stock`: rebalance steps and the application of store sales (`flushAllocationAdjustments`). Never waits:
 * `{ locked: false }` when someone else holds it (the caller retries). `fn` uses its own connections; the
 * lock's transaction only holds the lock (≤ 300 s).
 */
export async function withItemLock<T>(
  itemId: string,
  fn: () => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  return withAdvisoryLock(`syncflow:alloc:${itemId}`, fn);
}

/**
 * Runs `fn` while holding the transaction-scoped PostgreSQL advisory lock `key` (hashtext), without waiting:
 * `{ locked: false }` when someone else holds it. `fn` uses its own connections; the lock's transaction only holds the
 * lock (≤ 300 s).
 */
export async function withAdvisoryLock<T>(
  key: string,
  fn: () => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  return prisma.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${key})) AS ok`;
      if (!row?.ok) return { locked: false as const };
      return { locked: true as const, value: await fn() };
    },
    { timeout: 300_000, maxWait: 30_000 },
  );
}

type Ctx = {
  shopId: string;
  itemId: string;
  inventoryItemId: string;
  location: string;
  shopify: Awaited<ReturnType<typeof recordForShop>>["adapter"];
  shopifyChannelId: string | null;
  moves: RebalanceOutcome["moves"];
};

async function rebalanceLocked(shopId: string, itemId: string, full: boolean): Promise<RebalanceOutcome> {
  const item = await prisma.catalogItem.findFirst({ where: { id: itemId, shopId } });
  const moves: RebalanceOutcome["moves"] = [];
  if (!item?.inventoryItemId || !item.tracked) return { itemId, status: "skipped", moves };
  const channels = (
    await prisma.channel.findMany({
      where: { shopId, kind: { not: RECORD_KIND }, status: { not: "disconnected" } },
      orderBy: { id: "asc" },
    })
  ).filter((c) => usesAllocations(c) && c.salesLocationId);
  if (!channels.length) return { itemId, status: "skipped", moves };
  const { adapter: shopify } = await recordForShop(shopId);
  const scId =
    (await prisma.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } }))?.id ?? null;
  // Store sales first (one compare-and-set per store, docs/decisions/090): they change safety_stock, which every
  // move below compares against. A failure here is left to the shopify-adjust jobs (retries, dead letters).
  await flushAllocationAdjustments(shopId, itemId).then(logFailed, (err) =>
    console.error(
      `[allocation] applying store sales of ${itemId} before the rebalance failed: ${(err as Error).message}`,
    ),
  );
  const byLocation = new Map<string, ChannelRow[]>();
  for (const c of channels)
    (byLocation.get(c.salesLocationId!) ?? byLocation.set(c.salesLocationId!, []).get(c.salesLocationId!)!).push(c);
  for (const [location, group] of byLocation) {
    const ctx: Ctx = {
      shopId,
      itemId,
      inventoryItemId: item.inventoryItemId,
      location,
      shopify,
      shopifyChannelId: scId,
      moves,
    };
    await rebalanceAt(ctx, group, full);
  }
  // Sales ingested while this rebalance ran: apply them before the lock is released (their jobs are waiting for it).
  await flushAllocationAdjustments(shopId, itemId).then(logFailed, (err) =>
    console.error(
      `[allocation] applying store sales of ${itemId} after the rebalance failed: ${(err as Error).message}`,
    ),
  );
  // Buffered stores derive from `available`, which the moves changed (their echo is recognised as ours).
  const others = await prisma.channel.findMany({
    where: { shopId, kind: { not: RECORD_KIND }, status: { not: "disconnected" } },
  });
  if (moves.length) for (const c of others) if (!usesAllocations(c)) await requestPushLater(shopId, c.id, [itemId]);
  return { itemId, status: "done", moves };
}

/** Shopify available and safety_stock of the item at the location, read fresh. */
async function readShopify(ctx: Ctx): Promise<{ available: number; safety: number }> {
  const q = (await ctx.shopify.readQuantities([ctx.inventoryItemId], [ctx.location], ["available", SAFETY_STOCK]))
    .get(ctx.inventoryItemId)
    ?.get(ctx.location);
  return { available: q?.available ?? 0, safety: q?.[SAFETY_STOCK] ?? 0 };
}

async function rebalanceAt(ctx: Ctx, channels: ChannelRow[], full: boolean): Promise<void> {
  const load = () =>
    prisma.listing.findMany({
      where: {
        shopId: ctx.shopId,
        itemId: ctx.itemId,
        channelId: { in: channels.map((c) => c.id) },
        matchStatus: "linked",
      },
      orderBy: { id: "asc" },
    });
  const channelOf = new Map(channels.map((c) => [c.id, c]));
  // 1. Finish steps in flight.
  for (const l of await load()) if (l.allocOp) await resume(ctx, channelOf.get(l.channelId)!, l);
  // 2. Migrate listings that have no allocation yet.
  for (const l of await load()) if (l.allocatedQuantity == null) await migrate(ctx, channelOf.get(l.channelId)!, l);
  // 3. Release orphaned reservations (reserved, not shown, not pending): e.g. a store edited down.
  // One snapshot (REPEATABLE READ) of pending adjustments and listings: an order ingested (pending −q and
  // baseline −q in one transaction) or applied (pending gone and allocation −q) between two separate reads
  // would look like q orphaned units and release units a pending sale still needs.
  const snapshot = await prisma.$transaction(
    async (tx) => ({
      pending: await pendingByChannel(ctx, tx),
      listings: await tx.listing.findMany({
        where: {
          shopId: ctx.shopId,
          itemId: ctx.itemId,
          channelId: { in: channels.map((c) => c.id) },
          matchStatus: "linked",
        },
        orderBy: { id: "asc" },
      }),
    }),
    { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
  );
  for (const l of snapshot.listings) {
    const orphan = (l.allocatedQuantity ?? 0) + (snapshot.pending.get(l.channelId) ?? 0) - (l.lastWrittenQuantity ?? 0);
    if (orphan > 0 && l.allocatedQuantity != null && !l.allocOp)
      await release(ctx, channelOf.get(l.channelId)!, l, Math.min(orphan, l.allocatedQuantity));
  }
  // 4. Target split.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const listings = (await load()).filter((l) => l.allocatedQuantity != null && !l.allocOp);
    if (!listings.length) return;
    const { available } = await readShopify(ctx);
    const holdings = [Math.max(0, available), ...listings.map((l) => Math.max(0, l.lastWrittenQuantity ?? 0))];
    const buffers = [0, ...listings.map((l) => channelOf.get(l.channelId)!.bufferUnits)];
    const targets = targetSplit(holdings, buffers);
    const starving = holdings.some((h, i) => targets[i]! > 0 && (h === 0 || h < Math.ceil(targets[i]! / 2)));
    if (!full && !starving) return;
    if (holdings.every((h, i) => h === targets[i])) return;
    // Take-backs first (they free units into available), then top-ups from available.
    let acted = false;
    for (let i = 0; i < listings.length; i++) {
      const x = holdings[i + 1]! - targets[i + 1]!;
      if (x > 0) acted = (await takeBack(ctx, channelOf.get(listings[i]!.channelId)!, listings[i]!, x)) || acted;
    }
    let free = (await readShopify(ctx)).available;
    for (let i = 0; i < listings.length; i++) {
      const want = targets[i + 1]! - holdings[i + 1]!;
      const x = Math.min(want, free);
      if (x > 0) {
        const fresh = await prisma.listing.findUniqueOrThrow({ where: { id: listings[i]!.id } });
        if (await topUp(ctx, channelOf.get(fresh.channelId)!, fresh, x)) {
          acted = true;
          free -= x;
        }
      }
    }
    if (!acted) return;
    full = false; // one full pass is enough; later rounds only fix starvation caused meanwhile
  }
}

/**
 * Target split of the sellable total over [Shopify, ...stores] (pure): equal shares, remainder to Shopify,
 * at least 1 unit per channel while stock lasts (when fewer units than channels, current holders keep
 * theirs first); each store's share is reduced by its safety buffer, which stays on Shopify.
 * @param holdings units each channel can sell now (Shopify available, then each store's shown quantity)
 * @param buffers units held back per channel (index 0 ignored)
 */
export function targetSplit(holdings: number[], buffers: number[] = []): number[] {
  const n = holdings.length;
  const total = holdings.reduce((a, b) => a + Math.max(0, b), 0);
  const out = new Array<number>(n).fill(0);
  if (total >= n) {
    const base = Math.floor(total / n);
    for (let i = 0; i < n; i++) out[i] = base;
    out[0]! += total - base * n;
  } else {
    const order = [...holdings.keys()].sort((a, b) => holdings[b]! - holdings[a]! || a - b);
    for (let k = 0; k < total; k++) out[order[k]!] = 1;
  }
  return keepBuffersOnShopify(out, buffers);
}

/**
 * Moves each store's safety buffer (units, `buffers[i]` for store i ≥ 1) from its share to Shopify's (index 0), at most
 * what the store was given. Mutates and returns `split`.
 */
export function keepBuffersOnShopify(split: number[], buffers: number[]): number[] {
  for (let i = 1; i < split.length; i++) {
    const b = Math.min(split[i]!, Math.max(0, buffers[i] ?? 0));
    split[i]! -= b;
    split[0]! += b;
  }
  return split;
}

/** Σ pending store adjustments (safety_stock) per source channel for the item, in units (sales negative). */
async function pendingByChannel(ctx: Ctx, db: Prisma.TransactionClient = prisma): Promise<Map<string, number>> {
  const rows = await db.shopifyAdjustment.groupBy({
    by: ["sourceChannelId"],
    where: {
      shopId: ctx.shopId,
      itemId: ctx.itemId,
      status: "pending",
      quantityName: SAFETY_STOCK,
      locationGid: ctx.location,
    },
    _sum: { delta: true },
  });
  return new Map(rows.map((r) => [r.sourceChannelId ?? "", r._sum.delta ?? 0]));
}

async function setOp(listingId: string, op: AllocOp | null, extra: Prisma.ListingUpdateInput = {}): Promise<void> {
  await prisma.listing.update({
    where: { id: listingId },
    data: { allocOp: op === null ? Prisma.DbNull : (op as unknown as Prisma.InputJsonValue), ...extra },
  });
}

async function ledger(
  ctx: Ctx,
  row: {
    channelId: string | null;
    key: string;
    delta: number;
    before?: number | null;
    after?: number | null;
    note: string;
    locationGid?: string | null;
  },
  tx: Prisma.TransactionClient,
) {
  await appendLedger(tx, {
    shopId: ctx.shopId,
    itemId: ctx.itemId,
    channelId: row.channelId,
    locationGid: row.locationGid ?? null,
    cause: "allocate",
    delta: row.delta,
    before: row.before ?? null,
    after: row.after ?? null,
    idempotencyKey: row.key,
    note: row.note,
  });
}

/**
 * One Shopify move between available and safety_stock for `listing`'s store, persisted in `op` (CAS values
 * and key attempt) before sending; STALE → next attempt with fresh reads (bounded).
 * @returns the terminals after the move, or null when nothing is left to move (qty shrank to 0)
 */
async function shopifyMove(
  ctx: Ctx,
  channel: ChannelRow,
  listing: Listing,
  op: AllocOp,
  direction: "reserve" | "unreserve",
): Promise<{ op: AllocOp; available: number; safety: number; sentAt: Date } | null> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (op.fromCfq == null || op.toCfq == null) {
      const q = await readShopify(ctx);
      if (direction === "reserve") {
        const qty = Math.min(op.qty, Math.max(0, q.available));
        if (qty <= 0) return null;
        op = { ...op, qty, fromCfq: q.available, toCfq: q.safety } as AllocOp;
      } else {
        const qty = Math.min(op.qty, Math.max(0, q.safety));
        if (qty <= 0) return null;
        op = { ...op, qty, fromCfq: q.safety, toCfq: q.available } as AllocOp;
      }
      await setOp(listing.id, op);
    }
    const doc = allocationDocument(channel.id);
    const avail = { name: "available", ledgerDocumentUri: null };
    const safe = { name: SAFETY_STOCK, ledgerDocumentUri: doc };
    // The own-write observation time of the new available: when the move was sent (see adjust.server.ts applyOne).
    const sentAt = new Date();
    try {
      const [res] = await ctx.shopify.moveQuantities(
        [
          {
            inventoryItemId: ctx.inventoryItemId,
            locationId: ctx.location,
            quantity: op.qty,
            from: { ...(direction === "reserve" ? avail : safe), changeFromQuantity: op.fromCfq },
            to: { ...(direction === "reserve" ? safe : avail), changeFromQuantity: op.toCfq },
          },
        ],
        {
          idempotencyKey: `alloc:${listing.id}:${op.seq}:shopify:${op.attempt}`,
          reason: "safety_stock",
          referenceDocumentUri: `gid://syncflow/Allocation/${channel.id}-${listing.id}-${op.seq}`,
        },
      );
      return direction === "reserve"
        ? { op, available: res!.fromAfter, safety: res!.toAfter, sentAt }
        : { op, available: res!.toAfter, safety: res!.fromAfter, sentAt };
    } catch (err) {
      if (err instanceof ChannelError && err.code === "STALE") {
        op = { ...op, attempt: op.attempt + 1, fromCfq: null, toCfq: null } as AllocOp;
        await setOp(listing.id, op);
        continue;
      }
      throw err;
    }
  }
  throw new ChannelError(
    "STALE",
    `allocation move for listing ${listing.id}: Shopify kept changing (${MAX_ROUNDS} stale rounds)`,
    { retryable: true },
  );
}

/** Records a finished Shopify move: allocation ±qty, the new available in the cache (our own write), a ledger row. */
async function recordMove(
  ctx: Ctx,
  channel: ChannelRow,
  listing: Listing,
  op: AllocOp,
  r: { available: number; safety: number; sentAt?: Date },
  sign: 1 | -1,
  next: AllocOp | null,
  extra: Prisma.ListingUpdateInput = {},
) {
  await prisma.$transaction(async (tx) => {
    await tx.listing.update({
      where: { id: listing.id },
      data: {
        allocatedQuantity: { increment: sign * op.qty },
        allocOp: next === null ? Prisma.DbNull : (next as unknown as Prisma.InputJsonValue),
        ...(next === null ? { allocSeq: op.seq } : {}),
        ...extra,
      },
    });
    await recordLevel(tx, {
      shopId: ctx.shopId,
      itemId: ctx.itemId,
      locationGid: ctx.location,
      available: r.available,
      observedAt: r.sentAt ?? new Date(),
      ownWrite: true,
      writeBefore: {
        before: r.available + sign * op.qty,
        key: `alloc:${listing.id}:${op.seq}:shopify`,
        shopifyChannelId: ctx.shopifyChannelId,
      },
    });
    await ledger(
      ctx,
      {
        channelId: ctx.shopifyChannelId,
        locationGid: ctx.location,
        key: `alloc:${listing.id}:${op.seq}:shopify`,
        delta: -sign * op.qty,
        after: r.available,
        note: `${op.kind}: ${op.qty} unit(s) ${sign > 0 ? "available → safety_stock (reserved for" : "safety_stock → available (released from"} ${channel.name}); safety_stock now ${r.safety}`,
      },
      tx,
    );
  });
  ctx.moves.push({ channelId: channel.id, kind: op.kind, qty: op.qty });
}

/** Top-up: reserve on Shopify first, then show on the store. @returns whether units moved */
async function topUp(ctx: Ctx, channel: ChannelRow, listing: Listing, qty: number): Promise<boolean> {
  const op: AllocOp = {
    kind: "topup",
    seq: listing.allocSeq + 1,
    qty,
    stage: "shopify",
    attempt: 0,
    fromCfq: null,
    toCfq: null,
  };
  await setOp(listing.id, op);
  return runTopUp(ctx, channel, listing, op);
}

async function runTopUp(
  ctx: Ctx,
  channel: ChannelRow,
  listing: Listing,
  op: Extract<AllocOp, { kind: "topup" }>,
): Promise<boolean> {
  if (op.stage === "shopify") {
    const r = await shopifyMove(ctx, channel, listing, op, "reserve");
    if (!r) {
      await setOp(listing.id, null, { allocSeq: op.seq });
      return false;
    }
    op = { ...(r.op as typeof op), stage: "store" };
    await recordMove(ctx, channel, listing, r.op, r, 1, op);
    maybeCrash("topup:shopify");
  }
  const store = salesAdapter(channel);
  const key = `alloc:${listing.id}:${op.seq}:store`;
  const res = await store.writeQuantity({
    op: "delta",
    listingId: listing.externalId,
    delta: op.qty,
    idempotencyKey: key,
    // A read-then-set channel caps its fresh read at the baseline (decision 300); exact stores ignore it.
    ...(listing.lastWrittenQuantity != null ? { atMost: listing.lastWrittenQuantity } : {}),
  });
  await prisma.$transaction(async (tx) => {
    await tx.listing.update({
      where: { id: listing.id },
      data: {
        allocOp: Prisma.DbNull,
        allocSeq: op.seq,
        lastWrittenQuantity: { increment: op.qty },
        lastWrittenAt: new Date(),
        lastObservedQuantity: res.after,
        lastObservedAt: new Date(),
      },
    });
    await ledger(
      ctx,
      {
        channelId: channel.id,
        key,
        delta: op.qty,
        before: res.before,
        after: res.after,
        note: `top-up: ${op.qty} reserved unit(s) shown on the store${res.replayed ? " (replayed)" : ""}`,
      },
      tx,
    );
  });
  return true;
}

/** Take-back: take from the store first (CAS), then release on Shopify. @returns whether units moved */
async function takeBack(ctx: Ctx, channel: ChannelRow, listing: Listing, qty: number): Promise<boolean> {
  const op: AllocOp = {
    kind: "takeback",
    seq: listing.allocSeq + 1,
    qty,
    stage: "store",
    attempt: 0,
    expected: null,
    fromCfq: null,
    toCfq: null,
  };
  await setOp(listing.id, op);
  return runTakeBack(ctx, channel, listing, op);
}

async function runTakeBack(
  ctx: Ctx,
  channel: ChannelRow,
  listing: Listing,
  op: Extract<AllocOp, { kind: "takeback" }>,
): Promise<boolean> {
  if (op.stage === "store") {
    const store = salesAdapter(channel);
    for (let round = 0; ; round++) {
      if (op.expected == null) {
        const c = (await store.readQuantity(listing.externalId)) ?? 0;
        const qty = Math.min(op.qty, Math.max(0, c));
        if (qty <= 0) {
          await setOp(listing.id, null, { allocSeq: op.seq });
          return false;
        }
        op = { ...op, qty, expected: c };
        await setOp(listing.id, op);
      }
      const key = `alloc:${listing.id}:${op.seq}:store:${op.attempt}`;
      try {
        const res = await store.writeQuantity({
          op: "cas",
          listingId: listing.externalId,
          expected: op.expected!,
          quantity: op.expected! - op.qty,
          idempotencyKey: key,
        });
        const next = { ...op, stage: "shopify" as const };
        await prisma.$transaction(async (tx) => {
          await tx.listing.update({
            where: { id: listing.id },
            data: {
              allocOp: next as unknown as Prisma.InputJsonValue,
              lastWrittenQuantity: { increment: -op.qty },
              lastWrittenAt: new Date(),
              lastObservedQuantity: res.after,
              lastObservedAt: new Date(),
            },
          });
          await ledger(
            ctx,
            {
              channelId: channel.id,
              key: `alloc:${listing.id}:${op.seq}:store`,
              delta: -op.qty,
              before: res.before,
              after: res.after,
              note: `take-back: ${op.qty} unit(s) taken off the store (compare-and-set)`,
            },
            tx,
          );
        });
        op = next;
        maybeCrash("takeback:store");
        break;
      } catch (err) {
        // The store sold meanwhile: nothing applied; re-read and retry with a new key.
        if (err instanceof ChannelError && err.code === "STALE" && round < MAX_ROUNDS) {
          op = { ...op, attempt: op.attempt + 1, expected: null };
          await setOp(listing.id, op);
          continue;
        }
        throw err;
      }
    }
  }
  const r = await shopifyMove(ctx, channel, listing, op, "unreserve");
  if (!r) {
    await setOp(listing.id, null, { allocSeq: op.seq });
    return true;
  }
  await recordMove(ctx, channel, listing, r.op, r, -1, null);
  return true;
}

/** Releases `qty` reserved-but-unshown units of a store back to available. */
async function release(ctx: Ctx, channel: ChannelRow, listing: Listing, qty: number): Promise<void> {
  const op: AllocOp = {
    kind: "release",
    seq: listing.allocSeq + 1,
    qty,
    stage: "shopify",
    attempt: 0,
    fromCfq: null,
    toCfq: null,
  };
  await setOp(listing.id, op);
  await runRelease(ctx, channel, listing, op);
}

async function runRelease(
  ctx: Ctx,
  channel: ChannelRow,
  listing: Listing,
  op: Extract<AllocOp, { kind: "release" }>,
): Promise<void> {
  const r = await shopifyMove(ctx, channel, listing, op, "unreserve");
  if (!r) {
    await setOp(listing.id, null, { allocSeq: op.seq });
    return;
  }
  await recordMove(ctx, channel, listing, r.op, r, -1, null);
}

/**
 * Migration of a listing into allocation mode: reserve min(store, Shopify available) first, then lower the
 * store to what was reserved (compare-and-set). Until then the store kept showing what it showed before.
 */
async function migrate(ctx: Ctx, channel: ChannelRow, listing: Listing): Promise<void> {
  const store = salesAdapter(channel);
  const c = Math.max(0, (await store.readQuantity(listing.externalId)) ?? 0);
  const op: AllocOp = {
    kind: "migrate",
    seq: listing.allocSeq + 1,
    qty: c,
    stage: "shopify",
    attempt: 0,
    fromCfq: null,
    toCfq: null,
    expected: null,
  };
  await setOp(listing.id, op, { allocatedQuantity: 0, lastWrittenQuantity: c });
  await runMigrate(ctx, channel, { ...listing, allocatedQuantity: 0, lastWrittenQuantity: c }, op);
}

async function runMigrate(
  ctx: Ctx,
  channel: ChannelRow,
  listing: Listing,
  op: Extract<AllocOp, { kind: "migrate" }>,
): Promise<void> {
  if (op.stage === "shopify") {
    let reserved = 0;
    if (op.qty > 0) {
      const r = await shopifyMove(ctx, channel, listing, op, "reserve");
      if (r) {
        reserved = r.op.qty;
        op = { ...(r.op as typeof op), stage: "store" };
        await recordMove(ctx, channel, listing, r.op, r, 1, op);
      }
    }
    if (!reserved) op = { ...op, qty: 0, stage: "store" };
    await setOp(listing.id, op);
  }
  const store = salesAdapter(channel);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fresh = await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } });
    const c = op.expected ?? Math.max(0, (await store.readQuantity(listing.externalId)) ?? 0);
    // The store's sales not yet applied to safety_stock already left its shelf (c) and will leave its allocation: the
    // store may show only what the allocation holds after them (issue 11, session 9: a sale between the reservation
    // and this compare-and-set left the store one unit above its allocation).
    const pending = await prisma.shopifyAdjustment.aggregate({
      where: {
        shopId: ctx.shopId,
        itemId: ctx.itemId,
        sourceChannelId: channel.id,
        status: "pending",
        quantityName: SAFETY_STOCK,
        delta: { lt: 0 },
      },
      _sum: { delta: true },
    });
    const target = Math.max(0, Math.min(c, (fresh.allocatedQuantity ?? 0) + (pending._sum.delta ?? 0)));
    if (c <= target) {
      await setOp(listing.id, null, {
        allocSeq: op.seq,
        lastWrittenQuantity: c,
        lastObservedQuantity: c,
        lastObservedAt: new Date(),
      });
      return;
    }
    op = { ...op, expected: c };
    await setOp(listing.id, op);
    try {
      const res = await store.writeQuantity({
        op: "cas",
        listingId: listing.externalId,
        expected: c,
        quantity: target,
        idempotencyKey: `alloc:${listing.id}:${op.seq}:store:${op.attempt}`,
      });
      await prisma.$transaction(async (tx) => {
        await tx.listing.update({
          where: { id: listing.id },
          data: {
            allocOp: Prisma.DbNull,
            allocSeq: op.seq,
            lastWrittenQuantity: res.after,
            lastWrittenAt: new Date(),
            lastObservedQuantity: res.after,
            lastObservedAt: new Date(),
          },
        });
        await ledger(
          ctx,
          {
            channelId: channel.id,
            key: `alloc:${listing.id}:${op.seq}:store`,
            delta: res.after - c,
            before: c,
            after: res.after,
            note: `migration to allocations: store lowered to its reserved ${target} unit(s)`,
          },
          tx,
        );
      });
      return;
    } catch (err) {
      if (err instanceof ChannelError && err.code === "STALE") {
        op = { ...op, attempt: op.attempt + 1, expected: null };
        await setOp(listing.id, op);
        continue;
      }
      throw err;
    }
  }
  throw new ChannelError("STALE", `allocation migration of listing ${listing.id}: the store kept changing`, {
    retryable: true,
  });
}

/** Resumes the persisted step of a listing (after a crash or a failed attempt), with the same keys and CAS values. */
async function resume(ctx: Ctx, channel: ChannelRow, listing: Listing): Promise<void> {
  const op = listing.allocOp as unknown as AllocOp & { batchId?: string };
  if (op.batchId) return; // rides in a stored batched call: resent (exactly) by allocation-batch.server.ts
  if (op.kind === "topup") await runTopUp(ctx, channel, listing, op);
  else if (op.kind === "takeback") await runTakeBack(ctx, channel, listing, op);
  else if (op.kind === "release") await runRelease(ctx, channel, listing, op);
  else await runMigrate(ctx, channel, listing, op);
}

/** Rebalances with retries (50 → 200 ms apart) while another holder (a rebalance, store sales being applied) has the item lock (≤ 10 s), for the job handler. */
export async function rebalanceItemWhenFree(shopId: string, itemId: string, full = false): Promise<RebalanceOutcome> {
  const deadline = Date.now() + 10_000;
  for (let pause = 50; Date.now() < deadline; pause = Math.min(200, pause * 2)) {
    const res = await rebalanceItem(shopId, itemId, { full });
    if (res.status !== "busy") return res;
    await new Promise((r) => setTimeout(r, pause));
  }
  throw new ChannelError("THROTTLED", `rebalance of ${itemId} is busy`, { retryable: true });
}
