/**
 * Pushing derived quantities to linked stores (GUIDE §2 rules 1–3, 5; docs/decisions/100).
 *
 * Coalesced: a push is *requested* (`requestPush`: the listing's `pushRequestedAt` is set, once — at most one pending
 * push per listing, however many causes asked) and the store's *drainer* (`drainPushes`, the `push-stock` job; one per
 * store at a time through a lease on the channel row) decides and writes it:
 * 1. decide, in one transaction holding the listings' row locks (`FOR UPDATE SKIP LOCKED`) — the same lock under which
 *    a store's own sale moves the listing's baseline: derived = available(feed locations) − buffer − pending sales
 *    (derive.ts, the latest value: every request since the last decision is folded in), then
 *    - exact mode (SyncFlow plugin): the delta `derived − baseline`, keyed `push:<listing>:<seq>`;
 *    - buffered mode (plain REST): the absolute quantity `derived`;
 *    recorded as the listing's push in flight (`inFlightPushSeq` + delta / quantity) before anything is sent;
 * 2. send a chunk's writes in one call: the plugin's batch (contract 1.1: ≤ 100 deltas, per-op keys and results;
 *    one `/stock/delta` per listing on an older plugin), or WooCommerce's `products/batch` /
 *    `products/<parent>/variations/batch` (buffered) — several chunks at once, as many as
 *    the store's adaptive concurrency allows (app/channels/woocommerce/concurrency.ts);
 * 3. record, again under the row locks: the baseline moves by the delta (exact) or becomes the value set (buffered),
 *    one ledger row `push` per listing. A listing requested again while its push was in flight is decided again in the
 *    next round, from the new baseline — so two writes of one listing are never in flight at once, and a value computed
 *    from an old baseline is never written after a newer one (B1).
 * A write whose outcome is unknown (timeout, 5xx) stays in flight and is resent verbatim (same key: the plugin replays
 * it) by the next drain; a write the store refused is forgotten (its sequence used up, so the next write of the listing
 * carries a new key) and the listing requested again; the job then fails,
 * so pg-boss retries it and finally parks it in the dead-letter queue with the store's reason.
 * Allocation stores (docs/decisions/008) are not pushed: a request there is a rebalance request.
 */
import { randomUUID } from "node:crypto";
import prisma, { type Tx } from "../../db.server";
import { ChannelError, RECORD_KIND } from "../../channels/channel";
import type { QuantityOp, SalesChannel } from "../../channels/sales-channel";
import { deriveStoreQuantity, feedLocations } from "./derive";
import { appendLedgerMany, type LedgerRow } from "./ledger.server";
import { NotFoundError, salesChannelOf } from "../stores/stores.server";
import { emitEvents } from "../events.server";
import { requestRebalance, usesAllocations } from "../allocation/allocation.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import type { Channel as ChannelRow } from "@prisma/client";

/**
 * Computes a store's derived quantity for items (one statement, one snapshot, no N+1): item id → units.
 * Pending sales of every store lower it; pending restocks of other stores are not handed out until Shopify has them;
 * the store's own pending restocks count at once — the store put those units back on its shelf itself (a cancelled
 * WooCommerce order restocks on the store), so deriving without them would take them away again (the 38 → 36 → 38 dip
 * of issue 11's B1).
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
  const rows = await db.$queryRaw<
    { kind: "level" | "pending"; itemId: string; locationGid: string; sourceChannelId: string | null; units: number }[]
  >`
    SELECT 'level' AS kind, "itemId", "locationGid", NULL::text AS "sourceChannelId", available AS units FROM "InventoryLevel"
     WHERE "shopId" = ${channel.shopId} AND "itemId" = ANY(${itemIds}) AND "locationGid" = ANY(${locs})
    UNION ALL
    SELECT 'pending' AS kind, "itemId", "locationGid", "sourceChannelId", SUM(delta)::int AS units FROM "ShopifyAdjustment"
     WHERE "shopId" = ${channel.shopId} AND "itemId" = ANY(${itemIds}) AND status = 'pending' AND "locationGid" = ANY(${locs}) AND "quantityName" = 'available'
     GROUP BY "itemId", "locationGid", "sourceChannelId"`;
  // Group once (linear), so 10,000 items do not cost 10,000 × rows comparisons.
  const levelsBy = new Map<string, Record<string, number>>();
  const pendingBy = new Map<string, Record<string, number>>();
  const ownBy = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const into = r.kind === "level" ? levelsBy : r.sourceChannelId === channel.id ? ownBy : pendingBy;
    const m = into.get(r.itemId) ?? into.set(r.itemId, {}).get(r.itemId)!;
    m[r.locationGid] = (r.kind === "level" ? 0 : (m[r.locationGid] ?? 0)) + Number(r.units);
  }
  const out = new Map<string, number>();
  for (const itemId of itemIds) {
    let availableByLocation = levelsBy.get(itemId) ?? {};
    const override = opts.availableOverride?.(itemId);
    if (override) {
      availableByLocation = { ...availableByLocation };
      for (const loc of locs) if (override.has(loc)) availableByLocation[loc] = override.get(loc)!;
    }
    out.set(
      itemId,
      deriveStoreQuantity({
        availableByLocation,
        pendingByLocation: pendingBy.get(itemId) ?? {},
        ownPendingByLocation: ownBy.get(itemId) ?? {},
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
 * Requests a push of `itemIds` to one store: marks their linked listings (a listing already marked keeps its place)
 * and queues the store's drainer (`push-stock`, collapsed per store). On an allocation store it requests a rebalance
 * of the items instead (docs/decisions/008). Cheap: one UPDATE and one job insert, whatever the number of items.
 */
export async function requestPush(shopId: string, channelId: string, itemIds: string[]): Promise<void> {
  if (!itemIds.length) return;
  const channel = (await storesOf(shopId)).find((c) => c.id === channelId);
  if (!channel) return;
  if (usesAllocations(channel)) {
    await requestRebalance(shopId, itemIds);
    return;
  }
  // Only a listing this call marked needs a drain queued: a listing already marked has one queued or running (its
  // marker queued it after marking; a running drainer checks for marks again after releasing its lease).
  if (!(await markForPush(prisma, shopId, channelId, itemIds))) return;
  // Nor while a live drainer holds the store's lease (issue 11, decision 314: under a stream most requests arrive while
  // one does, and each queued a job that found nothing left). Read AFTER the mark committed: a drainer releases its
  // lease and then counts the marks (drainPushes), so a lease seen held here is released after this mark and that count
  // sees it.
  if (!(await leaseHeld(channelId))) await queueDrain(shopId, channelId);
}

/** Whether a drainer holds the store's push lease now (not expired). */
async function leaseHeld(channelId: string): Promise<boolean> {
  const rows = await prisma.$queryRaw<{ held: boolean }[]>`
    SELECT ("pushLeaseOwner" IS NOT NULL AND "pushLeaseUntil" > now()) AS held FROM "Channel" WHERE id = ${channelId}`;
  return rows[0]?.held === true;
}

/**
 * Requests a push of `itemIds` to every connected sales channel of the shop. The allocation stores among them share
 * one rebalance request (the shop's drainer rebalances an item on all its stores at once; issue 11: one UPDATE and one
 * job insert per change instead of one per store).
 */
export async function requestPushToStores(shopId: string, itemIds: string[]): Promise<void> {
  if (!itemIds.length) return;
  let rebalance = false;
  for (const c of await storesOf(shopId)) {
    if (usesAllocations(c)) rebalance = true;
    else await requestPush(shopId, c.id, itemIds);
  }
  if (rebalance) await requestRebalance(shopId, itemIds);
}

/**
 * The shop's connected WooCommerce stores (id and what decides how they are pushed), cached per process for
 * STORES_TTL_MS: every sale and level change asks, and these change only in Settings or at registration.
 */
export async function storesOf(shopId: string): Promise<
  {
    id: string;
    kind: string;
    mode: string;
    allocationEnabled: boolean;
    feedLocationIds: string[];
    salesLocationId: string | null;
  }[]
> {
  const hit = storesCache.get(shopId);
  if (hit && hit.at > Date.now() - STORES_TTL_MS) return hit.rows;
  const rows = await prisma.channel.findMany({
    where: { shopId, kind: { not: RECORD_KIND }, status: { not: "disconnected" } },
    select: { id: true, kind: true, mode: true, allocationEnabled: true, feedLocationIds: true, salesLocationId: true },
    orderBy: { id: "asc" },
  });
  storesCache.set(shopId, { at: Date.now(), rows });
  return rows;
}
export const STORES_TTL_MS = 2_000;
const storesCache = new Map<string, { at: number; rows: Awaited<ReturnType<typeof storesOf>> }>();

/** Sets `pushRequestedAt` on the linked listings of `itemIds` that have none (in `db`'s transaction when given one). */
export async function markForPush(
  db: Tx | typeof prisma,
  shopId: string,
  channelId: string,
  itemIds: string[],
): Promise<number> {
  const { count } = await db.listing.updateMany({
    where: { shopId, channelId, itemId: { in: itemIds }, matchStatus: "linked", pushRequestedAt: null },
    data: { pushRequestedAt: new Date() },
  });
  return count;
}

/** Queues the store's drainer (collapsed: the `push-stock` queue keeps one queued job per store). */
export async function queueDrain(shopId: string, channelId: string): Promise<void> {
  await enqueue(QUEUES.pushStock, { shopId, channelId }, { singletonKey: `push:${channelId}` });
}

/**
 * Pushes `itemIds` to one store now and returns what happened to each (for callers that need the outcome: tests,
 * bulk actions). The listings are requested like any push and the store's pushes are drained in this call (waiting up
 * to `waitMs` for another drainer of the store to finish first).
 * @throws ChannelError when the store refused or did not answer some writes (after the others were recorded)
 */
export async function pushStock(
  shopId: string,
  channelId: string,
  itemIds: string[],
  opts: { waitMs?: number } = {},
): Promise<PushOutcome[]> {
  const { channel } = await salesChannelOf(shopId, channelId);
  if (usesAllocations(channel)) {
    await requestRebalance(shopId, itemIds);
    return [];
  }
  await markForPush(prisma, shopId, channelId, itemIds);
  const deadline = Date.now() + (opts.waitMs ?? 30_000);
  const wanted = new Set(itemIds);
  const outcomes: PushOutcome[] = [];
  for (let pause = 25; ; pause = Math.min(250, pause * 2)) {
    const res = await drainPushes(shopId, channelId, { onOutcome: (o) => wanted.has(o.itemId) && outcomes.push(o) });
    if (!res.busy) return outcomes;
    if (Date.now() > deadline)
      throw new ChannelError("THROTTLED", `pushes of store ${channelId} stayed busy for ${opts.waitMs ?? 30_000} ms`, {
        retryable: true,
      });
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** What one drain did. */
export interface DrainOutcome {
  /** Another drainer holds the store's lease (it drains what was requested). */
  busy: boolean;
  decided: number;
  unchanged: number;
  written: number;
  /** Store calls (batch or single) sent. */
  calls: number;
  failed: number;
}

/** Passes (take the lease, drain, release, look for requests made meanwhile) of one drain job. */
const MAX_PASSES = 20;
/** A drainer of one store holds its lease this long without renewing it, ms. */
const LEASE_MS = 60_000;
/** Listings decided and sent per call (the plugin's and WooCommerce's batch limit). */
const CHUNK = 100;
/** Longest wait before a listing the store keeps refusing is tried again, s. */
const REFUSED_RETRY_MAX_S = 300;
/** A drain with nothing else to do waits this long at most for a refused listing to become due again, ms. */
const REFUSED_WAIT_MS = 10_000;

/**
 * Drains the store's requested pushes (the `push-stock` job; docs/decisions/100): takes the store's lease, then, as
 * many chunks at once as the store's adaptive concurrency allows, decides ≤ 100 requested listings (plus pushes left
 * in flight by an earlier drainer), sends them in one call and records the results, until nothing is requested. A
 * busy lease returns at once (`busy`): its holder checks for requests again after releasing it.
 * @param opts.onOutcome called for every decided listing (unchanged, or written)
 * @throws ChannelError when writes were refused or went unanswered (everything else was recorded; the job retries)
 */
export async function drainPushes(
  shopId: string,
  channelId: string,
  opts: { onOutcome?: (o: PushOutcome) => void } = {},
): Promise<DrainOutcome> {
  const out: DrainOutcome = { busy: false, decided: 0, unchanged: 0, written: 0, calls: 0, failed: 0 };
  let store: Awaited<ReturnType<typeof salesChannelOf>>;
  try {
    store = await salesChannelOf(shopId, channelId);
  } catch (err) {
    // Disconnected (or gone) since the drain was queued: nothing to send, and nothing to retry toward the dead letter
    // queue. Its requests stay marked; linking the store again requests its initial pushes (queueInitialPushes).
    if (err instanceof NotFoundError) return out;
    throw err;
  }
  const { channel, adapter } = store;
  if (usesAllocations(channel)) {
    // Requests left from before allocations were enabled: they become rebalance requests.
    const marked = await prisma.listing.findMany({
      where: { channelId, pushRequestedAt: { not: null } },
      select: { id: true, itemId: true },
    });
    if (marked.length) {
      await requestRebalance(shopId, marked.map((m) => m.itemId!).filter(Boolean));
      // On a set-only channel with allocations the marks are verification requests (decision 300): the rebalance
      // clears them once it has read the channel.
      if (channel.mode === "exact")
        await prisma.listing.updateMany({
          where: { id: { in: marked.map((m) => m.id) } },
          data: { pushRequestedAt: null },
        });
    }
    return out;
  }
  const owner = `${process.pid}:${randomUUID()}`;
  const failures: string[] = [];
  let lastError: unknown = null;
  let requeue = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    if (!(await takeLease(channelId, owner))) {
      out.busy = pass === 0;
      break;
    }
    const drainStarted = new Date(Date.now() - 1);
    let leaseAt = Date.now();
    const skip = new Set<string>();
    try {
      await runLanes(
        {
          get limit() {
            return adapter.concurrency();
          },
        },
        async (spawn) => {
          // Renewed once a sixth of the lease has passed (issue 11: was one UPDATE per step); a drainer that lost it
          // (stalled past LEASE_MS) stops here.
          if (Date.now() - leaseAt > LEASE_MS / 6) {
            if (!(await takeLease(channelId, owner))) return false;
            leaseAt = Date.now();
          }
          const chunk = await decide(channel, drainStarted, skip);
          if (!chunk) return false;
          out.decided += chunk.decided.length + chunk.unchanged.length;
          out.unchanged += chunk.unchanged.length;
          for (const u of chunk.unchanged) opts.onOutcome?.(u);
          if (!chunk.decided.length) return true;
          // While this chunk is on its way to the store, another lane looks for more (as the store's limiter allows).
          spawn();
          out.calls++;
          const results = await send(adapter, chunk.decided);
          const rec = await record(channel, chunk.decided, results, skip);
          out.written += rec.written.length;
          out.failed += rec.failed.length;
          for (const o of rec.written) opts.onOutcome?.(o);
          for (const f of rec.failed) {
            failures.push(f.reason);
            lastError = f.error;
          }
          return true;
        },
      );
    } finally {
      await releaseLease(channelId, owner);
    }
    // Requests that arrived after the last decision (their job saw the lease busy and left them to us).
    const more = await prisma.listing.count({
      where: { channelId, matchStatus: "linked", pushRequestedAt: { lte: new Date() }, id: { notIn: [...skip] } },
    });
    if (more) {
      // The last pass of this job: requests made while it held the lease queued no drain of their own (requestPush).
      requeue = pass === MAX_PASSES - 1;
      continue;
    }
    // A listing the store refused recently is due again within seconds: wait for it, so this job (typically the
    // failed job's retry) tries it and fails again while the store keeps refusing — retried, then dead-lettered with
    // the store's reason, as pg-boss does for any job — instead of succeeding without trying.
    if (failures.length) break;
    const next = await prisma.listing.findFirst({
      where: {
        channelId,
        matchStatus: "linked",
        pushRefusals: { gt: 0 },
        pushRequestedAt: { gt: new Date(), lte: new Date(Date.now() + REFUSED_WAIT_MS) },
      },
      orderBy: { pushRequestedAt: "asc" },
      select: { pushRequestedAt: true },
    });
    if (!next) break;
    await new Promise((r) => setTimeout(r, Math.max(0, next.pushRequestedAt!.getTime() - Date.now()) + 20));
  }
  if (requeue) await queueDrain(shopId, channelId);
  if (out.written || out.unchanged)
    await prisma.channel.update({ where: { id: channel.id }, data: { lastSyncAt: new Date() } });
  if (failures.length) {
    const retryable = !(lastError instanceof ChannelError) || lastError.retryable || lastError.code === "BAD_REQUEST";
    throw new ChannelError(
      lastError instanceof ChannelError ? lastError.code : "SERVER",
      `push to ${channel.name}: ${failures.length} of ${out.decided - out.unchanged} items refused by the store or unanswered: ${failures.join("; ").slice(0, 1500)}`,
      { retryable, cause: lastError },
    );
  }
  return out;
}

/**
 * Runs `step` in parallel lanes (issue 11, decision 314): one lane at first; a step that is about to wait on the store
 * calls `spawn` to start one more lane, up to the store's limiter (it grows while the store answers quickly, shrinks
 * when it slows down or refuses — re-checked after every step). A lane whose step finds nothing left (false) ends; the
 * run ends when every lane has. Before, every pass started as many lanes as the limiter allowed (up to 16), all but one
 * of which found nothing: one locking transaction each.
 */
async function runLanes(limiter: { limit: number }, step: (spawn: () => void) => Promise<boolean>): Promise<void> {
  let active = 0;
  let failure: unknown = null;
  const lanes: Promise<void>[] = [];
  const lane = async () => {
    try {
      while (failure == null && active <= Math.max(1, limiter.limit)) {
        if (!(await step(spawn))) return;
      }
    } catch (err) {
      failure ??= err;
    } finally {
      active--;
    }
  };
  const spawn = () => {
    if (failure != null || active >= Math.max(1, limiter.limit)) return;
    active++;
    lanes.push(lane());
  };
  spawn();
  for (let i = 0; i < lanes.length; i++) await lanes[i];
  if (failure != null) throw failure;
}

/** Takes or renews the store's drain lease; false when another live drainer holds it. */
async function takeLease(channelId: string, owner: string): Promise<boolean> {
  const n = await prisma.$executeRaw`
    UPDATE "Channel" SET "pushLeaseOwner" = ${owner}, "pushLeaseUntil" = now() + make_interval(secs => ${LEASE_MS / 1000})
    WHERE id = ${channelId} AND ("pushLeaseOwner" IS NULL OR "pushLeaseOwner" = ${owner} OR "pushLeaseUntil" < now())`;
  return n === 1;
}

async function releaseLease(channelId: string, owner: string): Promise<void> {
  await prisma.$executeRaw`UPDATE "Channel" SET "pushLeaseOwner" = NULL, "pushLeaseUntil" = NULL WHERE id = ${channelId} AND "pushLeaseOwner" = ${owner}`;
}

/** A listing's push decided and recorded as in flight. */
interface Decided {
  listingId: string;
  itemId: string;
  externalId: string;
  productId: string;
  variantId: string | null;
  sku: string | null;
  seq: number;
  /** Exact mode: the delta sent; buffered: null. */
  delta: number | null;
  /** Buffered mode: the quantity set; exact: null. */
  quantity: number | null;
  baseline: number | null;
}

type ListingRow = {
  id: string;
  itemId: string;
  externalId: string;
  productId: string;
  variantId: string | null;
  sku: string | null;
  lastWrittenQuantity: number | null;
  lastObservedQuantity: number | null;
  pushSeq: number;
  inFlightPushSeq: number | null;
  inFlightPushDelta: number | null;
  inFlightPushQuantity: number | null;
};

/**
 * Decides up to CHUNK listings in one transaction holding their row locks: pushes left in flight by an earlier drainer
 * first (exact: resent verbatim; buffered: decided again — an absolute set carries no history), then requested
 * listings in request order. Listings another transaction holds are skipped (SKIP LOCKED), as are `skip` (refused or
 * unanswered in this drain). Returns null when nothing is left.
 */
async function decide(
  channel: ChannelRow,
  drainStarted: Date,
  skip: Set<string>,
): Promise<{ decided: Decided[]; unchanged: PushOutcome[] } | null> {
  // Nothing due that no other lane holds: answered by one statement instead of a locking transaction (BEGIN, the
  // locking read, COMMIT) — under a stream most lanes end here (issue 11, decision 314). The probe locks its row only
  // for its own statement; the transaction below takes the rows for good.
  const [due] = await prisma.$queryRaw<{ id: string }[]>`
    SELECT id FROM "Listing"
    WHERE "channelId" = ${channel.id} AND "matchStatus" = 'linked' AND "itemId" IS NOT NULL
      AND (("pushRequestedAt" <= now() AND "inFlightPushSeq" IS NULL)
           OR ("inFlightPushSeq" IS NOT NULL AND ("inFlightPushAt" IS NULL OR "inFlightPushAt" < ${drainStarted})))
      AND NOT (id = ANY(${[...skip]}::text[]))
    LIMIT 1
    FOR UPDATE SKIP LOCKED`;
  if (!due) return null;
  return prisma.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<ListingRow[]>`
        SELECT id, "itemId", "externalId", "productId", "variantId", sku, "lastWrittenQuantity", "lastObservedQuantity", "pushSeq",
               "inFlightPushSeq", "inFlightPushDelta", "inFlightPushQuantity"
        FROM "Listing"
        WHERE "channelId" = ${channel.id} AND "matchStatus" = 'linked' AND "itemId" IS NOT NULL
          AND (("pushRequestedAt" <= now() AND "inFlightPushSeq" IS NULL)
               OR ("inFlightPushSeq" IS NOT NULL AND ("inFlightPushAt" IS NULL OR "inFlightPushAt" < ${drainStarted})))
          AND NOT (id = ANY(${[...skip]}::text[]))
        ORDER BY "inFlightPushSeq" IS NULL, "pushRequestedAt" NULLS FIRST, id
        LIMIT ${CHUNK}
        FOR UPDATE SKIP LOCKED`;
      if (!rows.length) return null;
      const derived = await derivedQuantities(tx, channel, [...new Set(rows.map((r) => r.itemId))]);
      const decided: Decided[] = [];
      const unchanged: PushOutcome[] = [];
      const clear: string[] = [];
      const set: { id: string; seq: number; delta: number | null; quantity: number | null }[] = [];
      for (const r of rows) {
        const base = {
          listingId: r.id,
          itemId: r.itemId,
          externalId: r.externalId,
          productId: r.productId,
          variantId: r.variantId,
          sku: r.sku,
        };
        const baseline = r.lastWrittenQuantity ?? r.lastObservedQuantity;
        if (r.inFlightPushSeq != null && r.inFlightPushDelta != null && channel.mode === "exact") {
          // An exact push whose outcome is unknown: the same key and delta again (the plugin replays it if it landed).
          decided.push({ ...base, seq: r.inFlightPushSeq, delta: r.inFlightPushDelta, quantity: null, baseline });
          set.push({ id: r.id, seq: r.inFlightPushSeq, delta: r.inFlightPushDelta, quantity: null });
          continue;
        }
        const d = derived.get(r.itemId)!;
        if (baseline === d) {
          clear.push(r.id);
          unchanged.push({ itemId: r.itemId, listingId: r.id, action: "unchanged", before: d, after: d });
          continue;
        }
        const seq = r.pushSeq + 1;
        if (channel.mode === "exact" && baseline != null) {
          decided.push({ ...base, seq, delta: d - baseline, quantity: null, baseline });
          set.push({ id: r.id, seq, delta: d - baseline, quantity: null });
        } else {
          // Buffered mode (or no baseline yet): an absolute set, as WooCommerce REST allows.
          decided.push({ ...base, seq, delta: null, quantity: d, baseline });
          set.push({ id: r.id, seq, delta: null, quantity: d });
        }
      }
      if (clear.length) {
        await tx.$executeRaw`UPDATE "Listing" SET "pushRequestedAt" = NULL, "inFlightPushSeq" = NULL, "inFlightPushDelta" = NULL, "inFlightPushQuantity" = NULL, "inFlightPushAt" = NULL WHERE id = ANY(${clear}::text[])`;
      }
      if (set.length) {
        await tx.$executeRaw`
          UPDATE "Listing" l SET "pushRequestedAt" = NULL, "inFlightPushSeq" = u.seq, "inFlightPushDelta" = u.delta, "inFlightPushQuantity" = u.qty,
                 "inFlightPushAt" = now()
          FROM unnest(${set.map((x) => x.id)}::text[], ${set.map((x) => x.seq)}::int[], ${set.map((x) => x.delta)}::int[], ${set.map((x) => x.quantity)}::int[]) AS u(id, seq, delta, qty)
          WHERE l.id = u.id`;
      }
      return { decided, unchanged };
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
}

/** Per decided listing: the store's answer (quantities in units), or the error; null = outcome unknown. */
type SendResult =
  | { ok: true; before: number | null; after: number; replayed?: boolean }
  | { ok: false; error: ChannelError; unknown: boolean };

/**
 * Sends one chunk's writes through the sales channel's `writeQuantities` (app/channels/sales-channel.ts): deltas for
 * exact stores (idempotency key `push:<listing>:<seq>`; the store's batch route when it has one and the chunk holds
 * two or more), absolute sets for buffered stores or an exact listing without a baseline yet. A failed call (after the
 * client's retries) makes its writes' outcome unknown when its error is retryable.
 */
async function send(adapter: SalesChannel, chunk: Decided[]): Promise<SendResult[]> {
  const ops: QuantityOp[] = chunk.map((d) =>
    d.delta != null
      ? { op: "delta", listingId: d.externalId, delta: d.delta, idempotencyKey: `push:${d.listingId}:${d.seq}` }
      : { op: "set", listingId: d.externalId, parentId: d.variantId ? d.productId : null, quantity: d.quantity! },
  );
  const res = await adapter.writeQuantities(ops, { minBatch: 2 });
  return res.map((r) =>
    r.ok
      ? { ok: true, before: r.before, after: r.after, replayed: r.replayed }
      : { ok: false, error: r.error, unknown: r.error.retryable },
  );
}

/**
 * Records a chunk's answers in one transaction: every written listing's baseline (exact: += delta, only while that
 * push is still the one in flight; buffered: the value set), a `push` ledger row each; refused writes are forgotten
 * and their listings requested again (skipped for the rest of this drain); unanswered ones stay in flight for the
 * next drain. Then the low-stock events of the written listings.
 */
async function record(
  channel: ChannelRow,
  chunk: Decided[],
  results: SendResult[],
  skip: Set<string>,
): Promise<{ written: PushOutcome[]; failed: { listingId: string; reason: string; error: ChannelError }[] }> {
  const written: PushOutcome[] = [];
  const failed: { listingId: string; reason: string; error: ChannelError }[] = [];
  const ok: { d: Decided; r: Extract<SendResult, { ok: true }> }[] = [];
  const refused: Decided[] = [];
  chunk.forEach((d, i) => {
    const r = results[i]!;
    if (r.ok) ok.push({ d, r });
    else {
      failed.push({ listingId: d.listingId, reason: `${d.sku ?? d.externalId} (${r.error.message})`, error: r.error });
      skip.add(d.listingId);
      if (!r.unknown) refused.push(d);
    }
  });
  const now = new Date();
  await prisma.$transaction(
    async (tx) => {
      if (ok.length) {
        const exact = ok.filter((x) => x.d.delta != null && x.d.quantity == null);
        const sets = ok.filter((x) => x.d.quantity != null);
        const recorded = new Set<string>();
        if (exact.length) {
          const rows = await tx.$queryRaw<{ id: string }[]>`
            UPDATE "Listing" l SET "pushSeq" = u.seq, "inFlightPushSeq" = NULL, "inFlightPushDelta" = NULL, "inFlightPushQuantity" = NULL, "inFlightPushAt" = NULL,
                   "pushRefusals" = 0, "pushLastError" = NULL, "lastWrittenQuantity" = COALESCE(l."lastWrittenQuantity", 0) + u.delta, "lastWrittenAt" = ${now}, "lastObservedQuantity" = u.after, "lastObservedAt" = ${now}
            FROM unnest(${exact.map((x) => x.d.listingId)}::text[], ${exact.map((x) => x.d.seq)}::int[], ${exact.map((x) => x.d.delta!)}::int[], ${exact.map((x) => x.r.after)}::int[]) AS u(id, seq, delta, after)
            WHERE l.id = u.id AND l."inFlightPushSeq" = u.seq
            RETURNING l.id`;
          for (const r of rows) recorded.add(r.id);
        }
        if (sets.length) {
          const rows = await tx.$queryRaw<{ id: string }[]>`
            UPDATE "Listing" l SET "pushSeq" = u.seq, "inFlightPushSeq" = NULL, "inFlightPushDelta" = NULL, "inFlightPushQuantity" = NULL, "inFlightPushAt" = NULL,
                   "pushRefusals" = 0, "pushLastError" = NULL, "lastWrittenQuantity" = u.after, "lastWrittenAt" = ${now}, "lastObservedQuantity" = u.after, "lastObservedAt" = ${now}
            FROM unnest(${sets.map((x) => x.d.listingId)}::text[], ${sets.map((x) => x.d.seq)}::int[], ${sets.map((x) => x.r.after)}::int[]) AS u(id, seq, after)
            WHERE l.id = u.id AND l."inFlightPushSeq" = u.seq
            RETURNING l.id`;
          for (const r of rows) recorded.add(r.id);
        }
        const ledger: LedgerRow[] = [];
        for (const { d, r } of ok) {
          if (!recorded.has(d.listingId)) continue;
          const exactWrite = d.delta != null && d.quantity == null;
          ledger.push({
            shopId: channel.shopId,
            itemId: d.itemId,
            channelId: channel.id,
            cause: "push",
            delta: exactWrite ? d.delta : r.before == null ? null : r.after - r.before,
            before: r.before,
            after: r.after,
            idempotencyKey: `push:${d.listingId}:${d.seq}`,
            note: exactWrite
              ? r.replayed
                ? "replayed by the store (already applied)"
                : null
              : "buffered mode: absolute set",
          });
          written.push({
            itemId: d.itemId,
            listingId: d.listingId,
            action: exactWrite ? "delta" : "set",
            before: r.before ?? d.baseline,
            after: r.after,
          });
        }
        await appendLedgerMany(tx, ledger);
      }
      if (refused.length) {
        // Nothing was applied: forget the write and ask for the listing again, 2^(n−1) s after its n-th refusal in a
        // row (≤ REFUSED_RETRY_MAX_S) — a request dated in the future is not due before then, so one listing the store
        // keeps refusing does not fail every drain of the store meanwhile. The refused write's sequence is used up
        // (`pushSeq` = its seq): the next write is another change (a new delta from a moved baseline) and must carry
        // a new key — Shopify remembers a refused @idempotent key as failed and refuses it for ever after, and the
        // plugin's contract asks for a key unique per intended change (docs/decisions/245).
        const errs = refused.map(
          (d) => failed.find((f) => f.listingId === d.listingId)?.error.message.slice(0, 500) ?? "refused",
        );
        await tx.$executeRaw`
          UPDATE "Listing" l SET "pushSeq" = u.seq, "inFlightPushSeq" = NULL, "inFlightPushDelta" = NULL, "inFlightPushQuantity" = NULL, "inFlightPushAt" = NULL,
                 "pushRefusals" = l."pushRefusals" + 1, "pushLastError" = u.err,
                 "pushRequestedAt" = now() + make_interval(secs => LEAST(${REFUSED_RETRY_MAX_S}, power(2, l."pushRefusals")))
          FROM unnest(${refused.map((d) => d.listingId)}::text[], ${refused.map((d) => d.seq)}::int[], ${errs}::text[]) AS u(id, seq, err)
          WHERE l.id = u.id AND l."inFlightPushSeq" = u.seq`;
      }
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
  await lowStockEvents(channel, written);
  return { written, failed };
}

/** `stock.low` for written listings that crossed the store's (or shop's) threshold downwards. */
async function lowStockEvents(channel: ChannelRow, written: PushOutcome[]): Promise<void> {
  if (!written.length) return;
  const threshold = channel.lowStockThreshold ?? (await shopLowStockThreshold(channel.shopId));
  // One insert for the chunk's events and one for their notify jobs (issue 11: two statements per event before).
  await emitEvents(
    channel.shopId,
    written
      .filter((w) => w.after != null && w.after <= threshold && (w.before == null || w.before > threshold))
      .map((w) => ({
        type: "stock.low" as const,
        payload: { channelId: channel.id, itemId: w.itemId, quantity: w.after, threshold },
        refs: { itemId: w.itemId, channelId: channel.id },
      })),
  );
}

/**
 * The shop's low-stock threshold (units), cached per process for STORES_TTL_MS like `storesOf` (issue 11: one read per
 * written chunk before; it changes only in Settings).
 */
async function shopLowStockThreshold(shopId: string): Promise<number> {
  const hit = thresholdCache.get(shopId);
  if (hit && hit.at > Date.now() - STORES_TTL_MS) return hit.value;
  const value =
    (await prisma.shop.findUnique({ where: { id: shopId }, select: { lowStockThreshold: true } }))?.lowStockThreshold ??
    0;
  thresholdCache.set(shopId, { at: Date.now(), value });
  return value;
}
const thresholdCache = new Map<string, { at: number; value: number }>();

/** Item ids linked on a channel (for a full push after linking). */
export async function linkedItemIds(shopId: string, channelId: string): Promise<string[]> {
  const rows = await prisma.listing.findMany({
    where: { shopId, channelId, matchStatus: "linked" },
    select: { itemId: true },
  });
  return rows.map((r) => r.itemId!).filter(Boolean);
}
