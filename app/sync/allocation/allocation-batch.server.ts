/**
 * Allocations at catalog scale (docs/decisions/103, 104): targets that follow demand, and rebalancing in batches.
 *
 * Requests: anything that may change an item's split (a sale on any channel, a Shopify level change, linking,
 * enabling allocations, reconciliation finding an item off target) marks the item (`CatalogItem.rebalanceRequestedAt`,
 * once) and queues the shop's drainer (`rebalance` job, one per shop). The drainer takes up to `SYNCFLOW_REBALANCE_ROUND`
 * requested items at a time, holding each item's allocation lock (the lock every `safety_stock` writer holds, decision
 * 090), and per round:
 * 1. applies the items' pending store sales to Shopify's `safety_stock`: one `inventoryAdjustQuantities` call per store
 *    (one ledger document per call) for all its items, compare-and-set per change on Σ allocations (the hub is
 *    `safety_stock`'s only writer under the lock), composition stored before sending (`ShopifyWriteBatch`);
 * 2. finishes steps left in flight (a crash, an unknown outcome) — a stored Shopify call is resent exactly first;
 * 3. plans every item from the hub's own numbers (no Shopify read): what each channel holds, what each sells
 *    (`planItem`), and acts only where a channel is running dry, holds far more than its share, or is not migrated yet;
 * 4. executes the plan in three batched phases that keep the order of decision 008 — a unit is never shown twice:
 *    take-backs on the stores (compare-and-set, plugin batch per store), then Shopify (`inventoryMoveQuantities`, one
 *    call per store, ≤ 250 changes, compare-and-set on both terminals; releases of the taken-back units, reservations
 *    for top-ups and migrations), then the stores again (deltas for top-ups, compare-and-set for migrations).
 * Each listing's step is persisted in `Listing.allocOp` (decision 008's format, plus the stored call it rides in)
 * before each remote write, with the same keys as the per-item steps, so allocation.server.ts resumes it.
 * Pipelined (decision 318): steps 1–4b of a round (its "front": planning, Shopify's calls) run while the store calls of
 * the round before (its "back", 4c) are still out, so a store's workers always have the next round's calls queued; at
 * most PIPELINE_DEPTH rounds are in flight, each under its own items' locks (a round's items are disjoint from the
 * others', so every item keeps decision 008's order: a unit moves on Shopify before a store may show it, and back only
 * after the store stopped showing it).
 * Times in ms, quantities in units.
 */
import prisma from "../../db.server";
import { ChannelError, RECORD_KIND } from "../../channels/channel";
import type { QuantityOp } from "../../channels/sales-channel";
import type { MoveChange } from "../../channels/record";
import { appendLedgerMany, type LedgerRow } from "../stock/ledger.server";
import { recordOwnLevels } from "../intake/levels.server";
import { recordForShop, salesAdapter } from "../stores/stores.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import {
  allocationDocument,
  flushAllocationAdjustments,
  keepBuffersOnShopify,
  maybeCrash,
  resumeItemSteps,
  SAFETY_STOCK,
  usesAllocations,
  withAdvisoryLock,
  type AllocOp,
} from "./allocation.server";
import { readThenSetKind, readThenSetKinds } from "./allocation-terms";
import { Prisma, type Channel as ChannelRow } from "@prisma/client";
import { env } from "../../env.server";

/**
 * Items per round (`SYNCFLOW_REBALANCE_ROUND`, default 800): a multiple of a store's workers × 100 operations per call
 * (4 × 100 on the measured WooCommerce host, twice over), so a round's store calls fill whole waves of the store's
 * workers; Shopify calls are split at 250 changes. Read at each round (tests set it small).
 */
const roundItems = () => env.SYNCFLOW_REBALANCE_ROUND;
/**
 * Steps of one read-then-set channel (a set-only marketplace with allocations, decision 300) per round: each costs a
 * fresh read and a set at the platform's published pace, so 50 keep a round near 10 s (Amazon 5 reads + 5 patches a
 * second, two at once; Etsy 8 requests a second, GET + PUT per listing).
 */
export const READ_THEN_SET_STEPS = 50;
/**
 * Rounds in flight at once (decision 318): the front of round n+1 runs while round n's store calls are out; round n+2
 * waits for round n to finish. Two keep a store's queue full without reserving far ahead of what stores show.
 */
export const PIPELINE_DEPTH = 2;
/** Demand is measured over this window, with this decay (an order τ ago counts 1/e), ms. */
export const DEMAND_WINDOW_MS = 30 * 60_000;
export const DEMAND_TAU_MS = 10 * 60_000;
/** A channel should hold at least what it sells in this long (the time a rebalance takes to reach it), ms. */
export const REACT_MS = 60_000;
/** Demand every channel is credited with (units/hour), so a quiet channel keeps a share and can still sell. */
export const FLOOR_RATE = 1;

// ----------------------------------------------------------------------------------------------- requests

/**
 * Requests a rebalance of `itemIds` (a sale, a level change, linking, enabling allocations, reconciliation): marks
 * the items (an item already marked keeps its place) and queues the shop's drainer.
 */
export async function requestRebalance(shopId: string, itemIds: string[]): Promise<void> {
  const ids = [...new Set(itemIds)];
  if (!ids.length) return;
  let marked = 0;
  for (let i = 0; i < ids.length; i += 5000) {
    marked += (
      await prisma.catalogItem.updateMany({
        where: { shopId, id: { in: ids.slice(i, i + 5000) }, rebalanceRequestedAt: null },
        data: { rebalanceRequestedAt: new Date() },
      })
    ).count;
  }
  // An item already marked has a drain queued or running (see requestPush in push.server.ts).
  if (marked) await enqueue(QUEUES.rebalance, { shopId }, { singletonKey: `rebalance:${shopId}` });
}

// ----------------------------------------------------------------------------------------------- planning

/** What `planItem` needs for one item at one sales location. */
export interface PlanInput {
  /** Shopify's available at the location (the hub's cache), units. */
  available: number;
  /** Shopify's sales rate of the item, units per hour (decayed). */
  shopifyRate: number;
  stores: {
    /** What the store shows (the baseline), units. */
    have: number;
    /** Whether the listing already holds an allocation (false: it is migrated in this plan). */
    migrated: boolean;
    /** Units of the store's safety buffer: kept on Shopify. */
    buffer: number;
    /** The store's sales rate of the item, units per hour (decayed). */
    rate: number;
  }[];
}

/** One store's step of a plan. */
export type PlanStep =
  | { kind: "topup"; store: number; qty: number }
  | { kind: "takeback"; store: number; qty: number }
  /** Reserve `qty` (≤ what the store shows) and set the store to it. */
  | { kind: "migrate"; store: number; qty: number };

/**
 * Splits `total` units over channels in proportion to `weights` (largest remainder, ties to the lower index), at least
 * one unit to every channel while `total` ≥ channels (the floor: a quiet channel can still sell), and each store's
 * buffer (index ≥ 1) moved to index 0 (Shopify). Pure.
 */
export function demandSplit(total: number, weights: number[], buffers: number[] = []): number[] {
  const n = weights.length;
  const out = new Array<number>(n).fill(0);
  if (total <= 0 || !n) return out;
  const w = weights.map((x) => Math.max(0, x));
  const sum = w.reduce((a, b) => a + b, 0) || n;
  const share = w.map((x) => (sum === n && w.every((v) => v === 0) ? 1 : x));
  const denom = share.reduce((a, b) => a + b, 0);
  if (total >= n) {
    // One unit each first, the rest in proportion.
    const rest = total - n;
    const exact = share.map((x) => (rest * x) / denom);
    for (let i = 0; i < n; i++) out[i] = 1 + Math.floor(exact[i]!);
    let left = total - out.reduce((a, b) => a + b, 0);
    const order = [...exact.keys()].sort(
      (a, b) => exact[b]! - Math.floor(exact[b]!) - (exact[a]! - Math.floor(exact[a]!)) || a - b,
    );
    for (let k = 0; left > 0; k = (k + 1) % n, left--) out[order[k]!]!++;
  } else {
    const order = [...share.keys()].sort((a, b) => share[b]! - share[a]! || a - b);
    for (let k = 0; k < total; k++) out[order[k]!] = 1;
  }
  return keepBuffersOnShopify(out, buffers);
}

/**
 * Plans one item (pure): targets follow demand — each channel's share of the sellable total is its recent sales rate
 * plus FLOOR_RATE — and steps are taken only when worth it: a channel below its low-water mark (what it sells in
 * REACT_MS, at least 1 unit, at most its target) or below half its target, a channel holding more than twice its
 * target plus one while another is below target, or a listing not migrated yet. When it acts, every store goes to its
 * target (Shopify gets what is left). @returns the targets ([Shopify, ...stores]) and the steps
 */
export function planItem(input: PlanInput): { targets: number[]; steps: PlanStep[] } {
  const avail = Math.max(0, input.available);
  const total = avail + input.stores.reduce((n, s) => n + (s.migrated ? Math.max(0, s.have) : 0), 0);
  const rates = [input.shopifyRate, ...input.stores.map((s) => s.rate)];
  const targets = demandSplit(
    total,
    rates.map((r) => r + FLOOR_RATE),
    [0, ...input.stores.map((s) => s.buffer)],
  );
  const holdings = [avail, ...input.stores.map((s) => (s.migrated ? Math.max(0, s.have) : 0))];
  const lowWater = (i: number) => Math.min(targets[i]!, Math.max(1, Math.ceil((rates[i]! * REACT_MS) / 3_600_000)));
  const below = (i: number) =>
    holdings[i]! < targets[i]! && (holdings[i]! < lowWater(i) || holdings[i]! < Math.ceil(targets[i]! / 2));
  const over = (i: number) => holdings[i]! > 2 * targets[i]! + 1;
  const unmigrated = input.stores.some((s) => !s.migrated);
  const act =
    unmigrated ||
    holdings.some((_, i) => below(i)) ||
    (holdings.some((_, i) => over(i)) && holdings.some((h, i) => h < targets[i]!));
  const steps: PlanStep[] = [];
  if (!act) return { targets, steps };
  input.stores.forEach((s, k) => {
    const target = targets[k + 1]!;
    if (!s.migrated) steps.push({ kind: "migrate", store: k, qty: Math.min(target, Math.max(0, s.have)) });
    else if (target > s.have) steps.push({ kind: "topup", store: k, qty: target - Math.max(0, s.have) });
    else if (target < s.have) steps.push({ kind: "takeback", store: k, qty: s.have - target });
  });
  return { targets, steps };
}

/**
 * Recent sales rates (units per hour, exponentially decayed with DEMAND_TAU_MS over DEMAND_WINDOW_MS) of `itemIds`:
 * per store from its sales taken by the hub (ShopifyAdjustment), for Shopify from its orders (Order/OrderLine).
 * @returns itemId → channelId → rate
 */
export async function demandRates(
  shopId: string,
  shopifyChannelId: string | null,
  itemIds: string[],
): Promise<Map<string, Map<string, number>>> {
  const since = new Date(Date.now() - DEMAND_WINDOW_MS);
  const now = Date.now();
  const weight = (at: Date, q: number) =>
    (q * Math.exp(-(now - at.getTime()) / DEMAND_TAU_MS) * 3_600_000) / DEMAND_TAU_MS;
  const out = new Map<string, Map<string, number>>();
  const add = (itemId: string, channelId: string, r: number) => {
    const m = out.get(itemId) ?? out.set(itemId, new Map()).get(itemId)!;
    m.set(channelId, (m.get(channelId) ?? 0) + r);
  };
  const storeSales = await prisma.shopifyAdjustment.findMany({
    where: { shopId, itemId: { in: itemIds }, delta: { lt: 0 }, createdAt: { gt: since } },
    select: { itemId: true, sourceChannelId: true, delta: true, createdAt: true },
  });
  for (const s of storeSales) if (s.sourceChannelId) add(s.itemId, s.sourceChannelId, weight(s.createdAt, -s.delta));
  if (shopifyChannelId) {
    const lines = await prisma.orderLine.findMany({
      where: {
        itemId: { in: itemIds },
        order: { channelId: shopifyChannelId, placedAt: { gt: since }, cancelledAt: null },
      },
      select: { itemId: true, quantity: true, order: { select: { placedAt: true } } },
    });
    for (const l of lines) if (l.itemId) add(l.itemId, shopifyChannelId, weight(l.order.placedAt, l.quantity));
  }
  return out;
}

// ----------------------------------------------------------------------------------------------- the drainer

/** What one drain did. */
export interface RebalanceDrainOutcome {
  busy: boolean;
  rounds: number;
  items: number;
  salesApplied: number;
  moves: number;
  storeWrites: number;
  shopifyCalls: number;
  /** Rounds whose front (planning, Shopify's calls) ran while an earlier round's store calls were still out. */
  overlapped: number;
}

/**
 * Drains the shop's requested rebalances (the `rebalance` job): rounds of ≤ `SYNCFLOW_REBALANCE_ROUND` requested items
 * under the shop's drain lock (held while a round is planned and its Shopify calls are made) and the items' allocation
 * locks (held until the round's store calls are recorded; items another holder has locked stay requested for a later
 * round), pipelined up to PIPELINE_DEPTH rounds (see the module docs), until none is left. A busy shop lock returns at
 * once (`busy`): its holder checks for requests after each round.
 * @throws ChannelError when Shopify or a store failed in a way the job should retry (steps stay persisted)
 */
export async function drainRebalances(shopId: string): Promise<RebalanceDrainOutcome> {
  const out: RebalanceDrainOutcome = {
    busy: false,
    rounds: 0,
    items: 0,
    salesApplied: 0,
    moves: 0,
    storeWrites: 0,
    shopifyCalls: 0,
    overlapped: 0,
  };
  let lastError: unknown = null;
  const fail = (err: unknown) => void (lastError ??= err);
  /** Rounds whose store phase is still out (oldest first); each settles, never rejects (errors go to `fail`). */
  const inFlight: Promise<void>[] = [];
  try {
    for (let pass = 0; pass < 100000 && !lastError; pass++) {
      while (inFlight.length >= PIPELINE_DEPTH) await inFlight.shift();
      if (lastError) break;
      const res = await withAdvisoryLock(`syncflow:rebalance:${shopId}`, async () => {
        const items = await prisma.catalogItem.findMany({
          where: { shopId, rebalanceRequestedAt: { lte: new Date() } },
          orderBy: [{ rebalanceRequestedAt: "asc" }, { id: "asc" }],
          // The first round is half a round: the stores get their first calls sooner, and the next round's front
          // (planning, Shopify's calls) is done before they finish.
          take: pass === 0 ? Math.max(1, Math.floor(roundItems() / 2)) : roundItems(),
          select: { id: true },
        });
        if (!items.length) return false;
        const overlapping = inFlight.length > 0;
        const round = startRound(
          shopId,
          items.map((i) => i.id),
          out,
          fail,
        );
        const locked = await round.front;
        if (locked && overlapping) out.overlapped++;
        return { found: items.length, locked, done: round.done };
      });
      if (!res.locked) {
        out.busy = pass === 0;
        break;
      }
      if (res.value === false) {
        // Nothing requested now; a round still out may ask again for items whose steps it left in flight.
        if (!inFlight.length) break;
        await inFlight.shift();
        continue;
      }
      out.rounds++;
      out.items += res.value.locked;
      if (res.value.locked) inFlight.push(res.value.done);
      // Every requested item was locked by another holder (a per-item step, or our own round still out): wait for our
      // oldest round, or a moment, rather than spin.
      else if (inFlight.length) await inFlight.shift();
      else await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await Promise.all(inFlight);
  }
  if (lastError) throw lastError;
  return out;
}

/**
 * Starts one round over `itemIds`: takes the allocation locks of those that are free (in one transaction that stays
 * open until the round is recorded), clears their requests and runs the round's front; `front` resolves with the
 * number of items locked once the front is done (or failed), `done` once the store phase is recorded. A failure
 * re-requests the round's items (their steps are persisted; the job's retry takes them first) and goes to `fail`.
 */
function startRound(
  shopId: string,
  itemIds: string[],
  out: RebalanceDrainOutcome,
  fail: (err: unknown) => void,
): { front: Promise<number>; done: Promise<void> } {
  let frontDone!: (n: number) => void;
  const front = new Promise<number>((resolve) => (frontDone = resolve));
  const done = withItemLocks(itemIds, async (ids) => {
    if (!ids.length) return frontDone(0);
    // Requests made from here on mark the item again (a later round sees them).
    await prisma.catalogItem.updateMany({ where: { id: { in: ids } }, data: { rebalanceRequestedAt: null } });
    try {
      const movesBefore = out.moves; // fronts run one at a time (the shop lock): these moves are this round's
      const back = await rebalanceRound(shopId, ids, out);
      const moved = out.moves > movesBefore;
      frontDone(ids.length);
      await back?.();
      if (moved) await pushBufferedStores(shopId, ids);
    } catch (err) {
      fail(err);
      await prisma.catalogItem.updateMany({
        where: { id: { in: ids }, rebalanceRequestedAt: null },
        data: { rebalanceRequestedAt: new Date() },
      });
      frontDone(ids.length);
    }
  }).then(
    () => undefined,
    (err: unknown) => {
      // The locks' transaction itself failed (no connection, timeout): the items stay or become requested again.
      fail(err);
      frontDone(0);
    },
  );
  return { front, done };
}

/**
 * The shop's stores without allocations (buffered, e.g. a set-only marketplace beside allocation stores) derive from
 * Shopify's `available`, which a round's moves changed: their pushes of `itemIds` are requested (as the single-item
 * rebalance does, allocation.server.ts). Without it a buffered channel kept showing what it showed before the
 * migration moved units into safety_stock (found by the stream bench with Amazon, issue 16).
 */
async function pushBufferedStores(shopId: string, itemIds: string[]): Promise<void> {
  const channels = await prisma.channel.findMany({
    where: { shopId, kind: { not: RECORD_KIND }, status: { not: "disconnected" } },
    select: { id: true, kind: true, mode: true, allocationEnabled: true },
  });
  const buffered = channels.filter((c) => !usesAllocations(c));
  if (!buffered.length) return;
  const { requestPush } = await import("../stock/push.server");
  for (const c of buffered) await requestPush(shopId, c.id, itemIds);
}

/**
 * Runs `fn` holding the allocation locks of as many of `itemIds` as are free (transaction-scoped advisory locks,
 * `syncflow:alloc:<item>`, taken without waiting in one transaction). `fn` receives the locked ids.
 */
async function withItemLocks<T>(itemIds: string[], fn: (locked: string[]) => Promise<T>): Promise<T> {
  return prisma.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<{ id: string; ok: boolean }[]>`
        SELECT id, pg_try_advisory_xact_lock(hashtext('syncflow:alloc:' || id)) AS ok FROM unnest(${itemIds}::text[]) AS u(id)`;
      return fn(rows.filter((r) => r.ok).map((r) => r.id));
    },
    { timeout: 300_000, maxWait: 30_000 },
  );
}

type StoreListing = {
  id: string;
  channelId: string;
  itemId: string;
  externalId: string;
  allocatedQuantity: number | null;
  lastWrittenQuantity: number | null;
  lastObservedQuantity: number | null;
  allocSeq: number;
  allocOp: Prisma.JsonValue;
};

/**
 * One round over `itemIds` (their locks held): runs the front (steps 0–4b: calls left open, steps in flight, pending
 * store sales, planning, take-backs on the stores, Shopify's moves) and returns the back (4c: the stores' top-ups and
 * migrations, then the bookkeeping), which the caller runs while the next round's front does its work; null when the
 * round has nothing for the stores.
 */
async function rebalanceRound(
  shopId: string,
  itemIds: string[],
  out: RebalanceDrainOutcome,
): Promise<(() => Promise<void>) | null> {
  const channels = (
    await prisma.channel.findMany({
      where: { shopId, kind: { not: RECORD_KIND }, status: { not: "disconnected" } },
      orderBy: { id: "asc" },
    })
  ).filter((c) => usesAllocations(c) && c.salesLocationId);
  if (!channels.length) return null;
  const channelOf = new Map(channels.map((c) => [c.id, c]));
  const { adapter: shopify, shop } = await recordForShop(shopId);
  const scId =
    (await prisma.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } }))?.id ?? null;
  const items = await prisma.catalogItem.findMany({
    where: { id: { in: itemIds }, inventoryItemId: { not: null }, tracked: true },
    select: { id: true, inventoryItemId: true },
  });
  if (!items.length) return null;
  const inv = new Map(items.map((i) => [i.id, i.inventoryItemId!]));
  const ids = items.map((i) => i.id);

  // 0. Calls left stored and unanswered by an earlier round: resend exactly, then finish their steps.
  await resendOpenMoves(shopId, shopify, scId, channelOf, out);
  // 1. Steps left in flight one listing at a time (decision 008's resume), and sales claimed by the per-item flush.
  const busy = await prisma.listing.findMany({
    where: {
      shopId,
      itemId: { in: ids },
      channelId: { in: channels.map((c) => c.id) },
      NOT: { allocOp: { equals: Prisma.DbNull } },
    },
    select: { itemId: true },
  });
  for (const itemId of new Set(busy.map((b) => b.itemId!))) await resumeItemSteps(shopId, itemId);
  const claimed = await prisma.shopifyAdjustment.findMany({
    where: {
      shopId,
      itemId: { in: ids },
      status: "pending",
      quantityName: SAFETY_STOCK,
      batchId: null,
      inFlightChangeFrom: { not: null },
    },
    select: { itemId: true },
  });
  for (const itemId of new Set(claimed.map((c) => c.itemId))) await flushAllocationAdjustments(shopId, itemId);
  // 2. Pending store sales, one call per store for all its items. A store whose call fails does not hold up the
  //    others (its sales stay pending, its items are not planned this round); the round then fails and is retried.
  //    Calls left unanswered are resolved first, for every store: until then Shopify's safety_stock may already hold
  //    them, so no new call may compare-and-set against Σ allocations.
  let salesError: unknown = null;
  for (const onlyOpen of [true, false]) {
    for (const ch of channels) {
      try {
        out.salesApplied += await flushStoreSales(shopId, shop.domain, scId, shopify, ch, ids, inv, onlyOpen);
      } catch (err) {
        salesError ??= err;
        console.error(`[allocation] store sales of ${ch.name} not applied yet: ${(err as Error)?.message ?? err}`);
      }
    }
    if (salesError && onlyOpen) throw salesError;
  }

  // 3. Plan from the hub's numbers. A read-then-set channel (decision 300) writes at its platform's pace (a fresh read
  //    and a set per step, ≈ 5 steps/s on Amazon, ≈ 4 on Etsy): at most READ_THEN_SET_STEPS of its steps per round, so
  //    a round — which holds its items' allocation locks, and with them the application of every store's sales of those
  //    items — stays seconds long; the items of the steps left out are asked again (the next round takes them).
  const deferred = new Set<string>();
  const perChannel = new Map<string, number>();
  const planned = (await planRound(shopId, ids, channels, scId)).filter((p) => {
    if (p.channel.mode === "exact" || !readThenSetKind(p.channel.kind)) return true;
    const n = perChannel.get(p.channel.id) ?? 0;
    if (n >= READ_THEN_SET_STEPS) {
      deferred.add(p.listing.itemId);
      return false;
    }
    perChannel.set(p.channel.id, n + 1);
    return true;
  });
  if (deferred.size)
    await prisma.catalogItem.updateMany({
      where: { id: { in: [...deferred] }, rebalanceRequestedAt: null },
      data: { rebalanceRequestedAt: new Date() },
    });
  // Read-then-set listings a polled sale marked for verification (decision 300): a fresh read capped at the baseline.
  await verifyReadThenSet(shopId, ids, channels, out);
  if (!planned.length) {
    if (salesError) throw salesError;
    return null;
  }

  // 4a. Take-backs on the stores first (compare-and-set on what the store shows).
  const takebacks = planned.filter((p) => p.step.kind === "takeback");
  const takenBack = new Set<string>();
  await persistOps(
    takebacks.map((p) => ({
      id: p.listing.id,
      op: {
        kind: "takeback",
        seq: p.listing.allocSeq + 1,
        qty: p.step.qty,
        stage: "store",
        attempt: 0,
        expected: p.listing.lastWrittenQuantity ?? 0,
        fromCfq: null,
        toCfq: null,
      },
    })),
  );
  await Promise.all(
    [...groupBy(takebacks, (p) => p.channel.id)].map(async ([ch, group]) => {
      const results = await storeWrite(
        channelOf.get(ch)!,
        group.map((p) => ({
          op: "cas",
          listingId: p.listing.externalId,
          expected: p.listing.lastWrittenQuantity ?? 0,
          quantity: (p.listing.lastWrittenQuantity ?? 0) - p.step.qty,
          idempotencyKey: `alloc:${p.listing.id}:${p.listing.allocSeq + 1}:store:0`,
        })),
      );
      out.storeWrites += group.length;
      const ledger: LedgerRow[] = [];
      const steps: ListingStep[] = [];
      for (let i = 0; i < group.length; i++) {
        const p = group[i]!;
        const r = results[i]!;
        const seq = p.listing.allocSeq + 1;
        if (r.ok) {
          takenBack.add(p.listing.id);
          steps.push({
            id: p.listing.id,
            op: {
              kind: "takeback",
              seq,
              qty: p.step.qty,
              stage: "shopify",
              attempt: 0,
              expected: p.listing.lastWrittenQuantity ?? 0,
              fromCfq: null,
              toCfq: null,
            },
            writtenDelta: -p.step.qty,
            observed: r.after,
          });
          ledger.push({
            shopId,
            itemId: p.listing.itemId,
            channelId: p.channel.id,
            cause: "allocate",
            delta: -p.step.qty,
            before: r.before,
            after: r.after,
            idempotencyKey: `alloc:${p.listing.id}:${seq}:store`,
            note: `take-back: ${p.step.qty} unit(s) taken off the store (compare-and-set, batched)`,
          });
        } else if (r.error.code === "STALE" || !r.error.retryable) {
          // The store sold meanwhile (or refused): nothing applied; plan again once its sale is in.
          steps.push({ id: p.listing.id, op: null, seq });
        } // unknown outcome: the step stays persisted at stage "store"; allocation.server resumes it with the same key
      }
      await prisma.$transaction(
        async (tx) => {
          await updateListings(tx, steps);
          await appendLedgerMany(tx, ledger);
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
    }),
  );

  // 4b. Shopify: one move call per store (one ledger document each) for every reservation and release of the round.
  const moves: { p: Planned; direction: "reserve" | "unreserve"; qty: number }[] = [];
  for (const p of planned) {
    if (p.step.kind === "takeback" && takenBack.has(p.listing.id))
      moves.push({ p, direction: "unreserve", qty: p.step.qty });
    if (p.step.kind === "topup" || (p.step.kind === "migrate" && p.step.qty > 0))
      moves.push({ p, direction: "reserve", qty: p.step.qty });
  }
  const migratedEmpty = planned.filter((p) => p.step.kind === "migrate" && p.step.qty === 0);
  const safetyOf = await heldSafety(shopId, ids);
  const levels = await prisma.inventoryLevel.findMany({
    where: { shopId, itemId: { in: ids } },
    select: { itemId: true, locationGid: true, available: true },
  });
  const availOf = new Map(levels.map((l) => [`${l.itemId}|${l.locationGid}`, l.available]));
  const reserved = new Map<string, number>(); // listing → units reserved in this round
  for (const [ch, group] of groupBy(moves, (m) => m.p.channel.id)) {
    const done = await moveBatch(shopId, shopify, scId, channelOf.get(ch)!, group, availOf, safetyOf, inv, out);
    for (const [listingId, qty] of done) reserved.set(listingId, qty);
  }

  // 4c runs in the back: the caller starts the next round's front meanwhile (decision 318).
  return async () => {
    if (planned.some((p) => p.step.kind === "topup" && reserved.has(p.listing.id))) maybeCrash("topup:shopify"); // test hook (decision 008's crash tests)
    if (takenBack.size) maybeCrash("takeback:store");

    // 4c. The stores again: top-ups shown (+x), migrations set to what was reserved (compare-and-set on what they showed).
    const after = planned.filter(
      (p) =>
        (p.step.kind === "topup" && reserved.has(p.listing.id)) ||
        (p.step.kind === "migrate" && (reserved.has(p.listing.id) || p.step.qty === 0)),
    );
    if (migratedEmpty.length) {
      await prisma.$executeRaw`UPDATE "Listing" SET "allocatedQuantity" = 0 WHERE id = ANY(${migratedEmpty.map((p) => p.listing.id)}::text[])`;
      await persistOps(
        migratedEmpty.map((p) => ({
          id: p.listing.id,
          op: {
            kind: "migrate",
            seq: p.listing.allocSeq + 1,
            qty: 0,
            stage: "store",
            attempt: 0,
            fromCfq: null,
            toCfq: null,
            expected: null,
          },
        })),
      );
    }
    await Promise.all(
      [...groupBy(after, (p) => p.channel.id)].map(async ([ch, group]) => {
        const ops: StoreOp[] = group.map((p) => {
          const seq = p.listing.allocSeq + 1;
          const qty = reserved.get(p.listing.id) ?? 0;
          const shows = p.listing.lastWrittenQuantity ?? p.listing.lastObservedQuantity ?? 0;
          return p.step.kind === "topup"
            ? {
                op: "delta",
                listingId: p.listing.externalId,
                // A read-then-set channel caps its fresh read at the baseline (decision 300); exact stores ignore it.
                ...(p.listing.lastWrittenQuantity != null ? { atMost: p.listing.lastWrittenQuantity } : {}),
                delta: qty,
                idempotencyKey: `alloc:${p.listing.id}:${seq}:store`,
              }
            : {
                op: "cas",
                listingId: p.listing.externalId,
                expected: shows,
                quantity: qty,
                idempotencyKey: `alloc:${p.listing.id}:${seq}:store:0`,
              };
        });
        const send = ops
          .map((o, i) => ({ o, i }))
          .filter(({ o }) => (o.op === "cas" ? o.expected !== o.quantity : o.delta !== 0));
        const results = send.length
          ? await storeWrite(
              channelOf.get(ch)!,
              send.map((x) => x.o),
            )
          : [];
        out.storeWrites += send.length;
        const resultOf = new Map(send.map((x, k) => [x.i, results[k]!]));
        const ledger: LedgerRow[] = [];
        const steps: ListingStep[] = [];
        {
          for (let i = 0; i < group.length; i++) {
            const p = group[i]!;
            const seq = p.listing.allocSeq + 1;
            const qty = reserved.get(p.listing.id) ?? 0;
            const r = resultOf.get(i);
            const shows = p.listing.lastWrittenQuantity ?? p.listing.lastObservedQuantity ?? 0;
            if (!r) {
              // Nothing to write (a migration whose store already shows what was reserved).
              steps.push({ id: p.listing.id, op: null, seq, written: shows });
              continue;
            }
            if (r.ok) {
              steps.push(
                p.step.kind === "topup"
                  ? { id: p.listing.id, op: null, seq, writtenDelta: qty, observed: r.after }
                  : { id: p.listing.id, op: null, seq, written: r.after, observed: r.after },
              );
              ledger.push({
                shopId,
                itemId: p.listing.itemId,
                channelId: p.channel.id,
                cause: "allocate",
                delta: r.after - (r.before ?? shows),
                before: r.before,
                after: r.after,
                idempotencyKey: `alloc:${p.listing.id}:${seq}:store`,
                note:
                  p.step.kind === "topup"
                    ? `top-up: ${qty} reserved unit(s) shown on the store (batched)`
                    : `migration to allocations: store set to its reserved ${qty} unit(s) (batched)`,
              });
            } else if (r.error.code === "STALE" && p.step.kind === "migrate") {
              // The store changed since it was read: decision 008's migration step re-reads it and compares-and-sets again.
              steps.push({
                id: p.listing.id,
                op: {
                  kind: "migrate",
                  seq,
                  qty,
                  stage: "store",
                  attempt: 1,
                  fromCfq: null,
                  toCfq: null,
                  expected: null,
                },
              });
            } // otherwise the step stays persisted at stage "store" and is resumed with the same key
          }
        }
        await prisma.$transaction(
          async (tx) => {
            await updateListings(tx, steps);
            await appendLedgerMany(tx, ledger);
          },
          { timeout: 120_000, maxWait: 30_000 },
        );
      }),
    );
    if (salesError) throw salesError;
    // Steps still in flight are finished by the next round of these items.
    const left = await prisma.listing.findMany({
      where: { shopId, itemId: { in: ids }, NOT: { allocOp: { equals: Prisma.DbNull } } },
      select: { itemId: true },
    });
    if (left.length)
      await prisma.catalogItem.updateMany({
        where: { id: { in: [...new Set(left.map((l) => l.itemId!))] }, rebalanceRequestedAt: null },
        data: { rebalanceRequestedAt: new Date() },
      });
  };
}

type Planned = { listing: StoreListing; channel: ChannelRow; step: PlanStep; loc: string };

/**
 * Verification steps of read-then-set listings (decision 300). A polled sale placed before its listing's last write
 * may have landed between that write's read and its set, and been overwritten: its units shown again, beyond what the
 * allocation holds. The intake marks such a listing (`pushRequestedAt`, unused otherwise on an allocation channel);
 * here, before the round's steps, each marked listing of `itemIds` gets a zero delta capped at its baseline — the
 * adapter reads the channel afresh and writes only when it shows more than the baseline (the overwritten units), taking
 * them off. At most READ_THEN_SET_STEPS per channel and round; the rest stay marked and their items asked again.
 */
async function verifyReadThenSet(
  shopId: string,
  itemIds: string[],
  channels: ChannelRow[],
  out: RebalanceDrainOutcome,
): Promise<void> {
  const rts = channels.filter((c) => c.mode !== "exact" && readThenSetKind(c.kind));
  if (!rts.length) return;
  const marked = await prisma.listing.findMany({
    where: {
      shopId,
      itemId: { in: itemIds },
      channelId: { in: rts.map((c) => c.id) },
      matchStatus: "linked",
      pushRequestedAt: { not: null },
      allocatedQuantity: { not: null },
      allocOp: { equals: Prisma.DbNull },
    },
    select: { id: true, channelId: true, itemId: true, externalId: true, lastWrittenQuantity: true },
    orderBy: { id: "asc" },
  });
  const left = new Set<string>();
  for (const [ch, group] of groupBy(marked, (l) => l.channelId)) {
    const send = group.slice(0, READ_THEN_SET_STEPS);
    for (const l of group.slice(READ_THEN_SET_STEPS)) left.add(l.itemId!);
    const at = Date.now();
    const results = await storeWrite(
      rts.find((c) => c.id === ch)!,
      send.map((l): StoreOp => ({
        op: "delta",
        listingId: l.externalId,
        delta: 0,
        idempotencyKey: `verify:${l.id}:${at}`,
        atMost: l.lastWrittenQuantity ?? 0,
      })),
    );
    out.storeWrites += send.length;
    const ledger: LedgerRow[] = [];
    const done: { id: string; observed: number }[] = [];
    send.forEach((l, i) => {
      const r = results[i]!;
      if (!r.ok) return void left.add(l.itemId!); // still marked: the next round of the item tries again
      done.push({ id: l.id, observed: r.after });
      if (r.before != null && r.after < r.before)
        ledger.push({
          shopId,
          itemId: l.itemId!,
          channelId: ch,
          cause: "allocate",
          delta: r.after - r.before,
          before: r.before,
          after: r.after,
          idempotencyKey: `verify:${l.id}:${at}`,
          note: `verification: the channel showed ${r.before}, more than its baseline ${l.lastWrittenQuantity} (a sale an earlier set overwrote); lowered to it`,
        });
    });
    if (done.length)
      await prisma.$transaction(async (tx) => {
        await tx.$executeRaw`
          UPDATE "Listing" l SET "pushRequestedAt" = NULL, "lastObservedQuantity" = u.observed, "lastObservedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3)
          FROM unnest(${done.map((d) => d.id)}::text[], ${done.map((d) => d.observed)}::int[]) AS u(id, observed)
          WHERE l.id = u.id`;
        await appendLedgerMany(tx, ledger);
      });
  }
  if (left.size)
    await prisma.catalogItem.updateMany({
      where: { id: { in: [...left] }, rebalanceRequestedAt: null },
      data: { rebalanceRequestedAt: new Date() },
    });
}

/**
 * Plans `ids` (no lock needed: reads only the hub's numbers) for the shop's allocation `channels`: the steps of every
 * item that `planItem` says should move, skipping items with a step in flight or a store sale not yet applied.
 */
async function planRound(
  shopId: string,
  ids: string[],
  channels: ChannelRow[],
  scId: string | null,
): Promise<Planned[]> {
  const channelOf = new Map(channels.map((c) => [c.id, c]));
  const listings = (await prisma.listing.findMany({
    where: {
      shopId,
      itemId: { in: ids },
      channelId: { in: channels.map((c) => c.id) },
      matchStatus: "linked",
      allocOp: { equals: Prisma.DbNull },
    },
    select: {
      id: true,
      channelId: true,
      itemId: true,
      externalId: true,
      allocatedQuantity: true,
      lastWrittenQuantity: true,
      lastObservedQuantity: true,
      allocSeq: true,
      allocOp: true,
    },
    orderBy: { id: "asc" },
  })) as StoreListing[];
  const pending = await prisma.shopifyAdjustment.groupBy({
    by: ["itemId", "sourceChannelId"],
    where: { shopId, itemId: { in: ids }, status: "pending", quantityName: SAFETY_STOCK },
    _sum: { delta: true },
  });
  const stillPending = new Set(pending.filter((p) => (p._sum.delta ?? 0) !== 0).map((p) => p.itemId));
  const byLoc = new Map<string, ChannelRow[]>();
  for (const c of channels)
    (byLoc.get(c.salesLocationId!) ?? byLoc.set(c.salesLocationId!, []).get(c.salesLocationId!)!).push(c);
  const rates = await demandRates(shopId, scId, ids);
  const levels = await prisma.inventoryLevel.findMany({
    where: { shopId, itemId: { in: ids } },
    select: { itemId: true, locationGid: true, available: true },
  });
  const availOf = new Map(levels.map((l) => [`${l.itemId}|${l.locationGid}`, l.available]));
  const listingOf = new Map(listings.map((l) => [`${l.itemId}|${l.channelId}`, l]));
  const planned: Planned[] = [];
  for (const [loc, group] of byLoc) {
    for (const itemId of ids) {
      if (stillPending.has(itemId)) continue; // a sale's write failed: plan once it is applied
      const ls = group.map((c) => listingOf.get(`${itemId}|${c.id}`)).filter((l): l is StoreListing => !!l);
      if (!ls.length) continue;
      const r = rates.get(itemId);
      const plan = planItem({
        available: availOf.get(`${itemId}|${loc}`) ?? 0,
        shopifyRate: (scId && r?.get(scId)) || 0,
        stores: ls.map((l) => ({
          have:
            l.allocatedQuantity == null
              ? (l.lastWrittenQuantity ?? l.lastObservedQuantity ?? 0)
              : (l.lastWrittenQuantity ?? 0),
          migrated: l.allocatedQuantity != null,
          buffer: channelOf.get(l.channelId)!.bufferUnits,
          rate: r?.get(l.channelId) ?? 0,
        })),
      });
      for (const step of plan.steps)
        if (step.qty > 0 || step.kind === "migrate")
          planned.push({ listing: ls[step.store]!, channel: channelOf.get(ls[step.store]!.channelId)!, step, loc });
    }
  }
  return planned;
}

/**
 * The items of `itemIds` whose allocations are off target — not migrated, a channel running dry, or one holding far
 * more than its share while another is short (`planItem`) — for reconciliation, which rebalances only those.
 */
export async function offTargetItems(shopId: string, itemIds: string[]): Promise<string[]> {
  const channels = (
    await prisma.channel.findMany({
      where: { shopId, kind: { not: RECORD_KIND }, status: { not: "disconnected" } },
      orderBy: { id: "asc" },
    })
  ).filter((c) => usesAllocations(c) && c.salesLocationId);
  if (!channels.length || !itemIds.length) return [];
  const scId =
    (await prisma.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } }))?.id ?? null;
  const out = new Set<string>();
  for (let i = 0; i < itemIds.length; i += 1000)
    for (const p of await planRound(shopId, itemIds.slice(i, i + 1000), channels, scId)) out.add(p.listing.itemId);
  return [...out];
}

/** Puts a stored call's sales in it: each sale's `batchId` and the compare-and-set value of its change, one statement. */
export async function claimMembers(
  tx: Prisma.TransactionClient,
  batchId: string,
  changes: { changeFromQuantity: number; members: string[] }[],
): Promise<number> {
  const ids = changes.flatMap((c) => c.members);
  const cfq = changes.flatMap((c) => c.members.map(() => c.changeFromQuantity));
  return tx.$executeRaw`
    UPDATE "ShopifyAdjustment" a SET "batchId" = ${batchId}, "inFlightChangeFrom" = u.cfq
    FROM unnest(${ids}::text[], ${cfq}::int[]) AS u(id, cfq)
    WHERE a.id = u.id AND a.status = 'pending' AND a."batchId" IS NULL`;
}

/** One listing's change after a batched step (a field left undefined keeps its value). */
type ListingStep = {
  id: string;
  op?: AllocOp | null;
  seq?: number;
  writtenDelta?: number;
  written?: number;
  observed?: number;
};

/** Applies many listings' step results in one statement (a round touches up to ROUND_ITEMS listings per store). */
async function updateListings(tx: Prisma.TransactionClient, rows: ListingStep[]): Promise<void> {
  if (!rows.length) return;
  const col = <T>(f: (r: ListingStep) => T) => rows.map(f);
  await tx.$executeRaw`
    UPDATE "Listing" l SET
      "allocOp" = CASE WHEN u.set_op THEN u.op::jsonb ELSE l."allocOp" END,
      "allocSeq" = COALESCE(u.seq, l."allocSeq"),
      "lastWrittenQuantity" = CASE WHEN u.written IS NOT NULL THEN u.written WHEN u.wdelta IS NOT NULL THEN COALESCE(l."lastWrittenQuantity", 0) + u.wdelta ELSE l."lastWrittenQuantity" END,
      "lastWrittenAt" = CASE WHEN u.written IS NOT NULL OR u.wdelta IS NOT NULL THEN (now() AT TIME ZONE 'UTC')::timestamp(3) ELSE l."lastWrittenAt" END,
      "lastObservedQuantity" = COALESCE(u.observed, l."lastObservedQuantity"),
      "lastObservedAt" = CASE WHEN u.observed IS NOT NULL THEN (now() AT TIME ZONE 'UTC')::timestamp(3) ELSE l."lastObservedAt" END
    FROM unnest(${col((r) => r.id)}::text[], ${col((r) => r.op !== undefined)}::boolean[], ${col((r) => (r.op ? JSON.stringify(r.op) : null))}::text[],
                ${col((r) => r.seq ?? null)}::int[], ${col((r) => r.writtenDelta ?? null)}::int[], ${col((r) => r.written ?? null)}::int[], ${col((r) => r.observed ?? null)}::int[])
         AS u(id, set_op, op, seq, wdelta, written, observed)
    WHERE l.id = u.id`;
}

/** Σ allocations (units) of the allocation stores per item and sales location: Shopify's safety_stock as the hub wrote it. */
async function heldSafety(shopId: string, itemIds: string[]): Promise<Map<string, number>> {
  const rows = await prisma.$queryRaw<{ itemId: string; loc: string; held: bigint }[]>`
    SELECT l."itemId", c."salesLocationId" AS loc, COALESCE(SUM(l."allocatedQuantity"), 0)::bigint AS held
    FROM "Listing" l JOIN "Channel" c ON c.id = l."channelId"
    WHERE l."shopId" = ${shopId} AND l."itemId" = ANY(${itemIds}::text[]) AND c."allocationEnabled" AND (c.mode = 'exact' OR c.kind = ANY(${readThenSetKinds()}::text[])) AND c.status <> 'disconnected' AND l."matchStatus" = 'linked'
    GROUP BY 1, 2`;
  return new Map(rows.map((r) => [`${r.itemId}|${r.loc}`, Number(r.held)]));
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) (m.get(key(x)) ?? m.set(key(x), []).get(key(x))!).push(x);
  return m;
}

async function persistOps(rows: { id: string; op: AllocOp }[]): Promise<void> {
  if (!rows.length) return;
  await prisma.$executeRaw`
    UPDATE "Listing" l SET "allocOp" = u.op::jsonb FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => JSON.stringify(r.op))}::text[]) AS u(id, op) WHERE l.id = u.id`;
}

/** A store's writes in as few calls as it allows (the sales channel's `writeQuantities`: its batch route, else one call per op). */
type StoreWriteResult = { ok: true; before: number | null; after: number } | { ok: false; error: ChannelError };
type StoreOp = Exclude<QuantityOp, { op: "set" }>;
async function storeWrite(channel: ChannelRow, ops: StoreOp[]): Promise<StoreWriteResult[]> {
  return salesAdapter(channel).writeQuantities(ops);
}

/** A stored move call's change: the listing whose step it carries. */
interface MoveBatchChange {
  listingId: string;
  itemId: string;
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  direction: "reserve" | "unreserve";
  fromCfq: number;
  toCfq: number;
  seq: number;
  kind: AllocOp["kind"];
}

/**
 * One store's Shopify moves of a round in calls of ≤ 250 changes, each stored before it is sent (its listings' steps
 * point to it) and sent under `syncflow-move:<call>`; compare-and-set on both terminals from the hub's numbers (cached
 * available, Σ allocations), re-read only after a lost compare-and-set. @returns listing → units moved
 */
async function moveBatch(
  shopId: string,
  shopify: Awaited<ReturnType<typeof recordForShop>>["adapter"],
  scId: string | null,
  channel: ChannelRow,
  group: {
    p: { listing: StoreListing; step: PlanStep; loc: string };
    direction: "reserve" | "unreserve";
    qty: number;
  }[],
  availOf: Map<string, number>,
  safetyOf: Map<string, number>,
  inv: Map<string, string>,
  out: RebalanceDrainOutcome,
): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  let todo = group;
  for (let attempt = 0; attempt < 4 && todo.length; attempt++) {
    const changes: MoveBatchChange[] = [];
    for (const m of todo.slice(0, 250)) {
      const k = `${m.p.listing.itemId}|${m.p.loc}`;
      const avail = Math.max(0, availOf.get(k) ?? 0);
      const safety = safetyOf.get(k) ?? 0;
      const qty = m.direction === "reserve" ? Math.min(m.qty, avail) : Math.min(m.qty, safety);
      if (qty <= 0) continue;
      changes.push({
        listingId: m.p.listing.id,
        itemId: m.p.listing.itemId,
        inventoryItemId: inv.get(m.p.listing.itemId)!,
        locationId: m.p.loc,
        quantity: qty,
        direction: m.direction,
        fromCfq: m.direction === "reserve" ? avail : safety,
        toCfq: m.direction === "reserve" ? safety : avail,
        seq: m.p.listing.allocSeq + 1,
        kind: m.p.step.kind,
      });
    }
    if (!changes.length) break;
    const batch = await prisma.$transaction(
      async (tx) => {
        const b = await tx.shopifyWriteBatch.create({
          data: {
            shopId,
            quantityName: "move",
            channelId: channel.id,
            changes: changes as unknown as Prisma.InputJsonValue,
          },
        });
        const ops = changes.map((c) =>
          JSON.stringify({
            kind: c.kind,
            seq: c.seq,
            qty: c.quantity,
            stage: "shopify",
            attempt: 0,
            fromCfq: c.fromCfq,
            toCfq: c.toCfq,
            expected: null,
            batchId: b.id,
          }),
        );
        await tx.$executeRaw`
        UPDATE "Listing" l SET "allocOp" = u.op::jsonb, "allocatedQuantity" = CASE WHEN u.migrate THEN 0 ELSE l."allocatedQuantity" END
        FROM unnest(${changes.map((c) => c.listingId)}::text[], ${ops}::text[], ${changes.map((c) => c.kind === "migrate")}::boolean[]) AS u(id, op, migrate)
        WHERE l.id = u.id`;
        return b;
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
    const r = await sendMoves(shopId, shopify, scId, channel, batch.id, changes, out);
    if (r.kind === "applied") {
      for (const c of changes) {
        done.set(c.listingId, c.quantity);
        const k = `${c.itemId}|${c.locationId}`;
        const s = c.direction === "reserve" ? 1 : -1;
        availOf.set(k, (availOf.get(k) ?? 0) - s * c.quantity);
        safetyOf.set(k, (safetyOf.get(k) ?? 0) + s * c.quantity);
      }
      todo = todo.slice(250);
      continue;
    }
    // Lost compare-and-set: read the round's terminals fresh and try again (a new call, a new key).
    const fresh = await shopify.readQuantities(
      [...new Set(changes.map((c) => c.inventoryItemId))],
      [...new Set(changes.map((c) => c.locationId))],
      ["available", SAFETY_STOCK],
    );
    for (const c of changes) {
      const q = fresh.get(c.inventoryItemId)?.get(c.locationId);
      if (!q) continue;
      availOf.set(`${c.itemId}|${c.locationId}`, q.available ?? 0);
      safetyOf.set(`${c.itemId}|${c.locationId}`, q[SAFETY_STOCK] ?? 0);
    }
  }
  return done;
}

/**
 * Sends a stored move call and settles it: applied → each listing's allocation moves, its step advances (take-back
 * done; top-up and migration to their store stage), Shopify's available is cached (own write) and a ledger row each;
 * lost compare-and-set or refused → the call is dissolved (its steps back to "not yet moved"); unknown outcome → left
 * stored, rethrown (the next round resends it exactly).
 */
async function sendMoves(
  shopId: string,
  shopify: Awaited<ReturnType<typeof recordForShop>>["adapter"],
  scId: string | null,
  channel: ChannelRow,
  batchId: string,
  changes: MoveBatchChange[],
  out: RebalanceDrainOutcome,
): Promise<{ kind: "applied" } | { kind: "stale" }> {
  const doc = allocationDocument(channel.id);
  const input: MoveChange[] = changes.map((c) => ({
    inventoryItemId: c.inventoryItemId,
    locationId: c.locationId,
    quantity: c.quantity,
    from:
      c.direction === "reserve"
        ? { name: "available", changeFromQuantity: c.fromCfq, ledgerDocumentUri: null }
        : { name: SAFETY_STOCK, changeFromQuantity: c.fromCfq, ledgerDocumentUri: doc },
    to:
      c.direction === "reserve"
        ? { name: SAFETY_STOCK, changeFromQuantity: c.toCfq, ledgerDocumentUri: doc }
        : { name: "available", changeFromQuantity: c.toCfq, ledgerDocumentUri: null },
  }));
  out.shopifyCalls++;
  let results;
  const sentAt = new Date();
  try {
    results = await shopify.moveQuantities(input, {
      idempotencyKey: `syncflow-move:${batchId}`,
      reason: "safety_stock",
      referenceDocumentUri: `gid://syncflow/AllocationBatch/${batchId}`,
    });
  } catch (err) {
    const msg = String((err as Error).message ?? err).slice(0, 2000);
    if (err instanceof ChannelError && (err.code === "STALE" || !err.retryable)) {
      await prisma.$transaction(async (tx) => {
        await tx.shopifyWriteBatch.update({
          where: { id: batchId },
          data: { status: "failed", finishedAt: new Date(), attempts: { increment: 1 }, lastError: msg },
        });
        for (const c of changes) {
          // Nothing moved: take-backs keep their store stage done (the units are off the store, release them later);
          // top-ups and migrations are forgotten (planned again).
          if (c.kind === "takeback")
            await tx.listing.update({
              where: { id: c.listingId },
              data: {
                allocOp: {
                  kind: "takeback",
                  seq: c.seq,
                  qty: c.quantity,
                  stage: "shopify",
                  attempt: 1,
                  expected: null,
                  fromCfq: null,
                  toCfq: null,
                } as unknown as Prisma.InputJsonValue,
              },
            });
          else
            await tx.listing.update({
              where: { id: c.listingId },
              data: {
                allocOp: Prisma.DbNull,
                ...(c.kind === "migrate" ? { allocatedQuantity: null } : { allocSeq: c.seq }),
              },
            });
        }
      });
      if (err.code === "STALE") return { kind: "stale" };
      throw err;
    }
    await prisma.shopifyWriteBatch.update({
      where: { id: batchId },
      data: { attempts: { increment: 1 }, lastError: msg },
    });
    throw err;
  }
  await settleMoves(shopId, scId, channel, batchId, changes, results, sentAt);
  out.moves += changes.length;
  return { kind: "applied" };
}

/** Records an applied move call (see `sendMoves`), in one transaction. */
async function settleMoves(
  shopId: string,
  scId: string | null,
  channel: ChannelRow,
  batchId: string,
  changes: MoveBatchChange[],
  results: { fromAfter: number; toAfter: number }[],
  sentAt: Date,
): Promise<void> {
  await prisma.$transaction(
    async (tx) => {
      const { count } = await tx.shopifyWriteBatch.updateMany({
        where: { id: batchId, status: "sending" },
        data: { status: "applied", finishedAt: new Date(), attempts: { increment: 1 } },
      });
      if (count !== 1) return;
      const ledger: LedgerRow[] = [];
      const levels: { itemId: string; locationGid: string; available: number; before: number; key: string }[] = [];
      const upd: { id: string; delta: number; op: string | null; seq: number }[] = [];
      for (let i = 0; i < changes.length; i++) {
        const c = changes[i]!;
        const r = results[i]!;
        const reserve = c.direction === "reserve";
        const available = reserve ? r.fromAfter : r.toAfter;
        const safety = reserve ? r.toAfter : r.fromAfter;
        const next =
          c.kind === "takeback"
            ? null
            : {
                kind: c.kind,
                seq: c.seq,
                qty: c.quantity,
                stage: "store",
                attempt: 0,
                fromCfq: c.fromCfq,
                toCfq: c.toCfq,
                expected: null,
              };
        upd.push({
          id: c.listingId,
          delta: reserve ? c.quantity : -c.quantity,
          op: next === null ? null : JSON.stringify(next),
          seq: c.seq,
        });
        levels.push({
          itemId: c.itemId,
          locationGid: c.locationId,
          available,
          before: available + (reserve ? c.quantity : -c.quantity),
          key: `syncflow-move:${batchId}:${i}`,
        });
        ledger.push({
          shopId,
          itemId: c.itemId,
          channelId: scId,
          locationGid: c.locationId,
          cause: "allocate",
          delta: reserve ? -c.quantity : c.quantity,
          after: available,
          idempotencyKey: `alloc:${c.listingId}:${c.seq}:shopify`,
          note: `${c.kind}: ${c.quantity} unit(s) ${reserve ? "available → safety_stock (reserved for" : "safety_stock → available (released from"} ${channel.name}); safety_stock now ${safety} (one call of ${changes.length})`,
        });
      }
      await tx.$executeRaw`
        UPDATE "Listing" l SET "allocatedQuantity" = COALESCE(l."allocatedQuantity", 0) + u.delta, "allocOp" = u.op::jsonb,
               "allocSeq" = CASE WHEN u.op IS NULL THEN u.seq ELSE l."allocSeq" END
        FROM unnest(${upd.map((x) => x.id)}::text[], ${upd.map((x) => x.delta)}::int[], ${upd.map((x) => x.op)}::text[], ${upd.map((x) => x.seq)}::int[]) AS u(id, delta, op, seq)
        WHERE l.id = u.id`;
      await recordOwnLevels(tx, shopId, levels, scId, sentAt);
      await appendLedgerMany(tx, ledger);
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
}

/** Move calls left "sending" (unknown outcome) for the shop: resent exactly, then settled. */
async function resendOpenMoves(
  shopId: string,
  shopify: Awaited<ReturnType<typeof recordForShop>>["adapter"],
  scId: string | null,
  channelOf: Map<string, ChannelRow>,
  out: RebalanceDrainOutcome,
): Promise<void> {
  const open = await prisma.shopifyWriteBatch.findMany({
    where: { shopId, quantityName: "move", status: "sending" },
    orderBy: { createdAt: "asc" },
  });
  for (const b of open) {
    const channel = channelOf.get(b.channelId ?? "");
    if (!channel) continue;
    await sendMoves(shopId, shopify, scId, channel, b.id, b.changes as unknown as MoveBatchChange[], out);
  }
}

/**
 * A store's pending sales (and restocks) of `itemIds` on `safety_stock`: one stored call for all of them (≤ 250 items,
 * one change per item, the store's ledger document), compare-and-set on Σ allocations; a lost compare-and-set (someone
 * outside SyncFlow moved safety_stock) is re-read and sent again. @returns sales applied
 */
async function flushStoreSales(
  shopId: string,
  domain: string,
  scId: string | null,
  shopify: Awaited<ReturnType<typeof recordForShop>>["adapter"],
  channel: ChannelRow,
  itemIds: string[],
  inv: Map<string, string>,
  onlyOpen = false,
): Promise<number> {
  let applied = 0;
  const loc = channel.salesLocationId!;
  const read = new Map<string, number>();
  for (let attempt = 0; attempt < 4; attempt++) {
    // An unanswered call of this store: resend it exactly first.
    const open = await prisma.shopifyWriteBatch.findFirst({
      where: { shopId, quantityName: SAFETY_STOCK, channelId: channel.id, status: "sending" },
      orderBy: { createdAt: "asc" },
    });
    let batchId: string;
    let changes: {
      inventoryItemId: string;
      locationId: string;
      delta: number;
      changeFromQuantity: number;
      itemId: string;
      members: string[];
    }[];
    if (open) {
      batchId = open.id;
      changes = open.changes as unknown as typeof changes;
    } else if (onlyOpen) {
      return applied;
    } else {
      // Items in another store's call whose outcome is unknown are left out: Shopify may hold that call already, so a
      // compare-and-set on Σ allocations would lose to our own write (decision 090's rule, kept across stores).
      const unresolved = new Set(
        (
          await prisma.shopifyWriteBatch.findMany({
            where: { shopId, quantityName: SAFETY_STOCK, status: "sending" },
            select: { changes: true },
          })
        ).flatMap((b) => (b.changes as unknown as { itemId: string }[]).map((c) => c.itemId)),
      );
      const sales = (
        await prisma.shopifyAdjustment.findMany({
          where: {
            shopId,
            itemId: { in: itemIds },
            status: "pending",
            quantityName: SAFETY_STOCK,
            sourceChannelId: channel.id,
            locationGid: loc,
            batchId: null,
            inFlightChangeFrom: null,
          },
          orderBy: { id: "asc" },
        })
      ).filter((a) => !unresolved.has(a.itemId));
      if (!sales.length) return applied;
      const held = await heldSafety(shopId, [...new Set(sales.map((s) => s.itemId))]);
      const by = groupBy(sales, (s) => s.itemId);
      changes = [...by.entries()].slice(0, 250).map(([itemId, ms]) => ({
        inventoryItemId: inv.get(itemId)!,
        locationId: loc,
        delta: ms.reduce((n, m) => n + m.delta, 0),
        changeFromQuantity: read.get(itemId) ?? held.get(`${itemId}|${loc}`) ?? 0,
        itemId,
        members: ms.map((m) => m.id),
      }));
      batchId = await prisma.$transaction(
        async (tx) => {
          const b = await tx.shopifyWriteBatch.create({
            data: {
              shopId,
              quantityName: SAFETY_STOCK,
              channelId: channel.id,
              changes: changes as unknown as Prisma.InputJsonValue,
            },
          });
          await claimMembers(tx, b.id, changes);
          return b.id;
        },
        { timeout: 60_000, maxWait: 30_000 },
      );
    }
    const live = changes.filter((c) => c.delta !== 0);
    let results: { before: number | null; after: number }[] = [];
    try {
      if (live.length) {
        results = await shopify.adjustQuantitiesCall(
          SAFETY_STOCK,
          live.map((c) => ({
            inventoryItemId: c.inventoryItemId,
            locationId: c.locationId,
            delta: c.delta,
            changeFromQuantity: c.changeFromQuantity,
            ledgerDocumentUri: allocationDocument(channel.id),
          })),
          {
            idempotencyKey: `syncflow-batch:${batchId}`,
            reason: "correction",
            referenceDocumentUri: `gid://syncflow/AdjustmentBatch/${batchId}`,
          },
        );
      }
    } catch (err) {
      const msg = String((err as Error).message ?? err).slice(0, 2000);
      if (err instanceof ChannelError && (err.code === "STALE" || !err.retryable)) {
        await prisma.$transaction([
          prisma.shopifyWriteBatch.update({
            where: { id: batchId },
            data: { status: "failed", finishedAt: new Date(), attempts: { increment: 1 }, lastError: msg },
          }),
          prisma.shopifyAdjustment.updateMany({
            where: { batchId, status: "pending" },
            data: {
              batchId: null,
              inFlightChangeFrom: null,
              keyAttempt: { increment: 1 },
              attempts: { increment: 1 },
              lastError: msg,
            },
          }),
        ]);
        if (err.code !== "STALE") throw err;
        const fresh = await shopify.readQuantities(
          [...new Set(changes.map((c) => c.inventoryItemId))],
          [loc],
          [SAFETY_STOCK],
        );
        for (const c of changes) read.set(c.itemId, fresh.get(c.inventoryItemId)?.get(loc)?.[SAFETY_STOCK] ?? 0);
        continue;
      }
      await prisma.shopifyWriteBatch.update({
        where: { id: batchId },
        data: { attempts: { increment: 1 }, lastError: msg },
      });
      throw err;
    }
    maybeCrash("flush:shopify"); // test hook: a crash between Shopify's write and our commit (the call is resent exactly)
    const resultOf = new Map(live.map((c, i) => [c.itemId, results[i]!]));
    await prisma.$transaction(
      async (tx) => {
        const { count } = await tx.shopifyWriteBatch.updateMany({
          where: { id: batchId, status: "sending" },
          data: { status: "applied", finishedAt: new Date(), attempts: { increment: 1 } },
        });
        if (count !== 1) return;
        const members = await tx.shopifyAdjustment.findMany({
          where: { batchId, status: "pending" },
          orderBy: { id: "asc" },
        });
        const rows: LedgerRow[] = [];
        const movedBy: { itemId: string; moved: number }[] = [];
        for (const c of changes) {
          let q = resultOf.get(c.itemId)?.before ?? c.changeFromQuantity;
          let moved = 0;
          for (const m of members.filter((x) => x.itemId === c.itemId)) {
            rows.push({
              shopId,
              itemId: m.itemId,
              channelId: scId,
              locationGid: m.locationGid,
              cause: m.delta < 0 ? "order" : "cancel",
              delta: m.delta,
              before: q,
              after: q + m.delta,
              idempotencyKey: `${m.idempotencyKey}:applied`,
              orderId: m.orderId,
              note: `applied to Shopify (${domain}) safety_stock (the store's allocation) with key syncflow-batch:${batchId}`,
            });
            q += m.delta;
            moved += m.delta;
            applied++;
          }
          if (moved) movedBy.push({ itemId: c.itemId, moved });
        }
        if (movedBy.length) {
          await tx.$executeRaw`
            UPDATE "Listing" l SET "allocatedQuantity" = l."allocatedQuantity" + u.moved
            FROM unnest(${movedBy.map((m) => m.itemId)}::text[], ${movedBy.map((m) => m.moved)}::int[]) AS u(item, moved)
            WHERE l."shopId" = ${shopId} AND l."channelId" = ${channel.id} AND l."itemId" = u.item AND l."allocatedQuantity" IS NOT NULL`;
        }
        await tx.shopifyAdjustment.updateMany({
          where: { batchId, status: "pending" },
          data: {
            status: "applied",
            appliedAt: new Date(),
            inFlightChangeFrom: null,
            attempts: { increment: 1 },
            lastError: null,
          },
        });
        await appendLedgerMany(tx, rows);
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }
  return applied;
}
