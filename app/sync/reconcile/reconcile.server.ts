/**
 * Reconciliation (GUIDE §2 rule 7): webhooks get lost, so a scheduled job (default every 15 minutes,
 * `Shop.reconcileEveryMin`) and an on-demand run compare every linked listing with the record.
 *
 * For one WooCommerce store, in order:
 *  1. webhook health — SyncFlow's webhooks on the store exist and are active (WooCommerce disables a
 *     webhook after more than 5 consecutive failed deliveries and never retries); missing ones are
 *     recreated, disabled/paused ones re-activated;
 *  2. missed orders — orders modified since the last run (minus a margin) are read back and ingested
 *     through the same idempotent path as their webhooks, so a never-delivered order webhook still takes
 *     its stock exactly once;
 *  3. the record — Shopify's available at the store's feed locations is re-read (cost-throttled GraphQL,
 *     or a bulk operation above `SYNCFLOW_BULK_THRESHOLD` items when the adapter offers one) and the
 *     hub's cache corrected (ledger cause `reconcile`) unless the hub has observed that level since the read
 *     started (a newer webhook wins); a shop-wide run (`reconcileShop`) reads the record once for all its
 *     stores;
 *  4. the store — its listings are read `reconcileConcurrency.read` pages at a time (as its kind declares: 2 on
 *     WooCommerce), in parallel with
 *     step 3 (docs/decisions/081) — every linked listing's quantity S is compared with its derived quantity D
 *     (the compare-and-set writes go out `reconcileConcurrency.write` (2) at a time, after the comparison):
 *     - S = D: nothing to do;
 *     - S equals the hub's baseline (the store shows what the hub last set): an *explained* difference
 *       (e.g. a lost Shopify webhook) → corrected through compare-and-set (expected S → D);
 *     - otherwise *unexplained* (a manual edit on the store, a lost stock change): the store's policy
 *       decides — `shopify_wins` corrects it like above, `review` raises a Conflict for a person;
 *     - S < 0 always raises a Conflict (`negative_stock`).
 * Allocation stores (exact mode with allocations, docs/decisions/008): the expected quantity D is the
 * listing's baseline (its allocation remaining as far as the hub knows), never a value derived from
 * `available`; the same explained/unexplained rules apply. Shopify's `safety_stock` at the sales location
 * is checked against Σ allocations of the allocation stores (pending store sales included, they are still
 * held); a difference is reported as a conflict (not fixed automatically), and the items whose split is off target
 * (allocation-batch.server.ts `planItem`) are rebalanced, in batches (docs/decisions/104).
 * Memory stays flat in the catalog size (docs/decisions/082): the store's listings are kept as externalId →
 * quantity only, and the hub's listings are compared in keyset chunks of `SYNCFLOW_RECONCILE_CHUNK` (1,000)
 * with only the columns the comparison needs; only drifted listings are held until the writes.
 * A dry run performs only the reads and returns the full list of changes it would make.
 * Every run is a SyncRun row (progress, counts, duration, plan); the result also carries per-phase timings
 * (`phases`, ms), which the `reconcile` job keeps as its output.
 */
import prisma from "../../db.server";
import { ChannelError, type ChannelListing, RECORD_KIND } from "../../channels/channel";
import { appendLedger, appendLedgerMany, type LedgerRow } from "../stock/ledger.server";
import {
  DEFAULT_RECONCILE_CONCURRENCY,
  FEATURE_BATCH,
  FEATURE_SNAPSHOT,
  type SalesChannel,
} from "../../channels/sales-channel";
import { salesChannelKind } from "../../channels/registry.server";
import { derivedQuantities } from "../stock/push.server";
import { feedLocations } from "../stock/derive";
import { ingestSalesOrder, orderRef } from "../intake/orders.server";
import { recordForShop, salesChannelOf } from "../stores/stores.server";
import { webhookUrlFor } from "../stores/registration.server";
import { emitEvent } from "../events.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import type { Listing, Prisma } from "@prisma/client";
import { SAFETY_STOCK, usesAllocations, withItemLock } from "../allocation/allocation.server";
import { readThenSetKinds } from "../allocation/allocation-terms";
import { openConflict } from "./conflicts.server";
import { catchUpPushback } from "../orders-hub/pushback.server";
import { queueOrderImport } from "../orders-hub/import.server";
import { catchUpImports, describeCatchUp } from "../orders-hub/catch-up.server";
import { env } from "../../env.server";

export type ReconcileChangeKind =
  | "webhook_repaired"
  | "order_ingested"
  | "record_corrected"
  | "store_corrected"
  | "conflict"
  | "skipped"
  | "fulfilment_queued";

export interface ReconcileChange {
  kind: ReconcileChangeKind;
  sku?: string | null;
  itemId?: string | null;
  listingId?: string;
  /** Quantities in units. */
  from?: number | null;
  to?: number | null;
  explained?: boolean;
  reason: string;
}

export interface ReconcileResult {
  runId: string;
  dryRun: boolean;
  changes: ReconcileChange[];
  checked: number;
  durationMs: number;
  /**
   * Where the time went, ms, by phase: `webhooks`, `orders` (store calls), `load` (the hub's listings),
   * `readRecord` (Shopify: bulk operation or paged reads) and `readStore` (the store's listings) — these two
   * run in parallel, so `reads` is their wall time —, `compare` (cached levels, record corrections, derived
   * quantities), `writes` (the compare loop with its compare-and-set writes and conflicts), `finish`.
   */
  phases: Record<string, number>;
}

/** Orders modified up to this long before the previous run's start are read again (clock skew, seconds truncation). */
const ORDER_MARGIN_MS = 10 * 60_000;

/**
 * Reconciles one WooCommerce store of a shop.
 * @param opts.dryRun only read; return the changes that would be made
 * @param opts.record where Shopify's record comes from (reconcileShop shares one read between its stores);
 *   by default it is read for this store's linked items and feed locations
 * @throws ChannelError when a store or Shopify read fails (the job retries)
 */
export async function reconcileChannel(
  shopId: string,
  channelId: string,
  opts: { dryRun?: boolean; trigger?: string; record?: RecordSource } = {},
): Promise<ReconcileResult> {
  const dryRun = !!opts.dryRun;
  const started = Date.now();
  const { channel, adapter } = await salesChannelOf(shopId, channelId);
  const previous = await prisma.syncRun.findFirst({
    where: { shopId, channelId, kind: "reconcile", dryRun: false, status: "succeeded" },
    orderBy: { startedAt: "desc" },
  });
  const run = await prisma.syncRun.create({
    data: { shopId, channelId, kind: "reconcile", trigger: opts.trigger ?? "manual", dryRun },
  });
  const changes: ReconcileChange[] = [];
  const phases: Record<string, number> = {};
  let mark = Date.now();
  const phase = (name: string) => {
    const now = Date.now();
    phases[name] = (phases[name] ?? 0) + (now - mark);
    mark = now;
  };
  try {
    const ctx: ReconcileRun = { shopId, channelId, channel, adapter, dryRun, runId: run.id, changes };
    await refreshStoreFeatures(ctx);
    const repaired = await repairSubscriptions(ctx);
    phase("webhooks");
    await ingestMissedOrders(ctx, new Date((previous?.startedAt ?? channel.createdAt).getTime() - ORDER_MARGIN_MS));
    // Orders hub (issue 15): the import look-back window, when due (first connection; decisions 235–236).
    const lookback = await catchUpImports({ ...ctx, trigger: opts.trigger });
    if (lookback?.read) changes.push({ kind: "order_ingested", reason: describeCatchUp(lookback) });
    phase("orders");

    // 3 + 4. Read the record and the store in parallel (they are independent and both rate-limited).
    const where = { shopId, channelId, matchStatus: "linked" } as const;
    const total = await prisma.listing.count({ where });
    await prisma.syncRun.update({ where: { id: run.id }, data: { total } });
    const locs = feedLocations(channel);
    phase("load");
    const t0 = Date.now();
    const timed = <T>(name: string, p: Promise<T>) => p.then((v) => ((phases[name] = Date.now() - t0), v));
    const recordSource = opts.record ?? (() => readRecord(shopId, [channelId], locs));
    const [record, storeListings] = await Promise.all([
      timed("readRecord", recordSource()),
      timed("readStore", readStore(channel, adapter)),
    ]);
    phase("reads");

    // 5. Compare, chunk by chunk (keyset on the listing id). Drifted listings are kept for the writes.
    const allocation = usesAllocations(channel);
    const corrections: Correction[] = [];
    for await (const chunk of linkedListingChunks(where)) {
      phase("load");
      await correctRecordLevels(ctx, chunk, record, locs);
      const derived = allocation
        ? new Map(
            chunk
              .filter((l) => l.allocatedQuantity != null && l.lastWrittenQuantity != null)
              .map((l) => [l.itemId!, l.lastWrittenQuantity!]),
          )
        : await derivedQuantities(
            prisma,
            channel,
            chunk.map((l) => l.itemId!),
            dryRun ? { availableOverride: recordFor(chunk, record.levels) } : {},
          );
      phase("compare");
      corrections.push(...(await compareChunk(ctx, chunk, derived, storeListings, record.levels, locs)));
      phase("writes");
    }
    storeListings.clear();
    await writeCorrections(ctx, corrections, total);

    if (allocation)
      for await (const chunk of linkedListingChunks(where))
        changes.push(...(await checkAllocations(channel, chunk, dryRun, record.safety)));
    phase("writes");
    // Orders hub pushback catch-up (issue 15 item 4), after the stock writes: central fulfilments never pushed back.
    if (!dryRun) changes.push(...(await catchUpPushbackPhase(channel)));
    phase("pushback");

    const durationMs = Date.now() - started;
    await prisma.syncRun.update({
      where: { id: run.id },
      data: {
        status: "succeeded",
        processed: total,
        finishedAt: new Date(),
        durationMs,
        changed: changes.filter((c) => c.kind !== "conflict" && c.kind !== "skipped").length,
        conflicts: changes.filter((c) => c.kind === "conflict").length,
        plan: (dryRun ? changes : changes.slice(0, 1000)) as object[],
      },
    });
    if (!dryRun) {
      const healthy = !repaired;
      await prisma.channel.update({
        where: { id: channel.id },
        data: {
          lastSyncAt: new Date(),
          ...(healthy && channel.status === "degraded" && channel.statusReason?.startsWith("webhooks were disabled")
            ? { status: "active", statusReason: null }
            : {}),
        },
      });
    }
    phase("finish");
    return { runId: run.id, dryRun, changes, checked: total, durationMs, phases };
  } catch (err) {
    await prisma.syncRun.update({
      where: { id: run.id },
      data: {
        status: "failed",
        error: String((err as Error).message ?? err).slice(0, 2000),
        finishedAt: new Date(),
        durationMs: Date.now() - started,
      },
    });
    throw err;
  }
}

/** One reconciliation run of one store, as its phases share it. */
interface ReconcileRun {
  shopId: string;
  channelId: string;
  channel: Awaited<ReturnType<typeof salesChannelOf>>["channel"];
  adapter: SalesChannel;
  dryRun: boolean;
  runId: string;
  /** What the run found and did, in order (the run's plan). */
  changes: ReconcileChange[];
}

/** A listing whose store quantity is corrected by the writes phase (units). */
type Correction = { l: ReconcileListing; storeQty: number; d: number; explained: boolean; reason: string };

/** Phase 0: what the store offers now (an update may have added the plugin's batch and snapshot routes: decision 101). */
async function refreshStoreFeatures({ channel, adapter, dryRun }: ReconcileRun): Promise<void> {
  if (channel.mode !== "exact") return;
  const caps = await adapter.discoverCapabilities().catch(() => null);
  const features = caps?.writeModel === "delta-cas" ? caps.features : null;
  if (
    features &&
    (features.length !== channel.pluginFeatures.length || features.some((f) => !channel.pluginFeatures.includes(f)))
  ) {
    if (!dryRun) await prisma.channel.update({ where: { id: channel.id }, data: { pluginFeatures: features } });
    channel.pluginFeatures = features;
  }
}

/**
 * Phase 1: the store's event subscriptions. Each topic not active is re-activated or recreated (a real run) and the
 * store is marked degraded with a `store.unhealthy` event. @returns whether any was broken
 */
async function repairSubscriptions({ shopId, channel, adapter, dryRun, changes }: ReconcileRun): Promise<boolean> {
  const deliveryUrl = webhookUrlFor(channel.id);
  const states = await adapter.subscriptionHealth(deliveryUrl);
  const broken = states.filter((st) => st.state !== "active");
  for (const { topic, state } of broken)
    changes.push({
      kind: "webhook_repaired",
      reason:
        state === "missing" ? `${topic} webhook was missing: recreated` : `${topic} webhook was ${state}: re-activated`,
    });
  if (!broken.length || dryRun) return broken.length > 0;
  const { decryptSecret } = await import("../../lib/crypto.server");
  const secret = broken.some((st) => st.state === "missing") ? decryptSecret(channel.webhookSecretEnc!) : "";
  await adapter.repairSubscriptions({ deliveryUrl, secret }, states);
  await prisma.channel.update({
    where: { id: channel.id },
    data: { status: "degraded", statusReason: "webhooks were disabled on the store; repaired, gap reconciled" },
  });
  await emitEvent(
    shopId,
    "store.unhealthy",
    { channelId: channel.id, reason: "webhooks disabled on the store (repaired)" },
    { channelId: channel.id },
  );
  return true;
}

/**
 * Orders hub pushback catch-up (app/sync/orders-hub/pushback.server.ts `catchUpPushback`): the channel's imported
 * orders still waiting for tracking are read back from the central shop and their unpushed fulfilments queued. A
 * failure here (the central shop's order scopes withdrawn, …) is reported as a skipped change, never fails the
 * stock reconciliation.
 */
async function catchUpPushbackPhase(channel: ReconcileRun["channel"]): Promise<ReconcileChange[]> {
  try {
    const r = await catchUpPushback(channel);
    return r.queued
      ? [
          {
            kind: "fulfilment_queued",
            reason: `${r.queued} fulfilment(s) of ${r.orders} imported order(s) queued for pushback (their webhooks never arrived)`,
          },
        ]
      : [];
  } catch (err) {
    return [
      {
        kind: "skipped",
        reason: `fulfilment pushback catch-up failed: ${(err as Error).message ?? err}`.slice(0, 500),
      },
    ];
  }
}

/** Phase 2: orders modified since `since` whose delivery never came, ingested (their stock moves queued). */
async function ingestMissedOrders(
  { shopId, channelId, channel, adapter, dryRun, changes }: ReconcileRun,
  since: Date,
): Promise<void> {
  for await (const page of adapter.ordersSince(since.toISOString())) {
    for (const order of page) {
      if (dryRun) {
        const known = await prisma.order.findUnique({
          where: { channelId_externalId: { channelId, externalId: order.orderId } },
        });
        if (!known || known.status !== order.status)
          changes.push({
            kind: "order_ingested",
            reason: `order ${orderRef(order.number)} (${order.status}) not yet seen by the hub`,
          });
        continue;
      }
      const res = await ingestSalesOrder(channel, order, "reconcile");
      if (res.result === "taken" || res.result === "released") {
        changes.push({
          kind: "order_ingested",
          reason: `order ${orderRef(order.number)} ${order.status}: stock ${res.result} (its webhook never arrived)`,
        });
        for (const adjustmentId of res.adjustmentIds) await enqueue(QUEUES.shopifyAdjust, { shopId, adjustmentId });
      }
      // Orders hub (issue 15): a missed order is imported like its webhook would have it (claimed once; decision 235).
      await queueOrderImport(channel, res.orderId, order);
    }
  }
}

/**
 * Phase 5a, per chunk: the hub's cached levels against the record's, one read of the chunk's cached levels (not one
 * per listing: 1,000 lookups cost ~3.5 s, one query ~25 ms). A difference is a lost `inventory_levels/update`: corrected
 * as observed when the read started (a webhook or hub write seen since then is newer and wins) — `recordLevel`'s rule,
 * for the whole chunk in one transaction of four statements (the locking read, the update, the inserts of levels the
 * cache lacks, the ledger rows), not one transaction per level: a reconciliation that finds every level of a
 * 10,000-item catalog changed (stock received with its webhooks lost) spent most of its time here (decision 319).
 */
async function correctRecordLevels(
  { shopId, dryRun, runId, changes }: ReconcileRun,
  chunk: ReconcileListing[],
  record: ShopifyRecord,
  locs: string[],
): Promise<void> {
  const itemIds = chunk.map((l) => l.itemId!);
  const cachedRows = await prisma.inventoryLevel.findMany({
    where: { shopId, itemId: { in: itemIds }, locationGid: { in: locs } },
    select: { itemId: true, locationGid: true, available: true },
  });
  const cachedBy = new Map(cachedRows.map((c) => [`${c.itemId}|${c.locationGid}`, c.available]));
  const diffs: { item: NonNullable<ReconcileListing["item"]>; loc: string; truth: number; cached: number | null }[] =
    [];
  const seen = new Set<string>();
  for (const l of chunk) {
    const item = l.item!;
    for (const loc of locs) {
      const truth = record.levels.get(item.inventoryItemId ?? "")?.get(loc);
      if (truth == null || seen.has(`${item.id}|${loc}`)) continue;
      seen.add(`${item.id}|${loc}`);
      const cached = cachedBy.get(`${item.id}|${loc}`);
      if (cached === truth) continue;
      diffs.push({ item, loc, truth, cached: cached ?? null });
    }
  }
  const change = (d: (typeof diffs)[number], from: number | null): ReconcileChange => ({
    kind: "record_corrected",
    sku: d.item.sku,
    itemId: d.item.id,
    from,
    to: d.truth,
    explained: true,
    reason: "Shopify's level differed from the hub's record (a lost inventory_levels/update)",
  });
  if (dryRun) {
    for (const d of diffs) changes.push(change(d, d.cached));
    return;
  }
  if (!diffs.length) return;
  const applied = await prisma.$transaction(
    async (tx) => {
      const current = await tx.$queryRaw<
        { itemId: string; locationGid: string; available: number; observedAt: Date }[]
      >`
        SELECT il."itemId", il."locationGid", il.available, il."observedAt" FROM "InventoryLevel" il
        JOIN unnest(${diffs.map((d) => d.item.id)}::text[], ${diffs.map((d) => d.loc)}::text[]) AS u(item, loc)
          ON il."itemId" = u.item AND il."locationGid" = u.loc
        ORDER BY il.id FOR UPDATE OF il`;
      const currentBy = new Map(current.map((c) => [`${c.itemId}|${c.locationGid}`, c]));
      const done: { d: (typeof diffs)[number]; before: number | null }[] = [];
      for (const d of diffs) {
        const c = currentBy.get(`${d.item.id}|${d.loc}`);
        if (!c) done.push({ d, before: null });
        // A newer observation (a webhook, the hub's own write) since the read started wins; an equal one needs nothing.
        else if (c.observedAt <= record.readStartedAt && c.available !== d.truth) done.push({ d, before: c.available });
      }
      const updates = done.filter((x) => x.before != null);
      if (updates.length)
        await tx.$executeRaw`
          UPDATE "InventoryLevel" il SET available = u.available, "observedAt" = GREATEST(il."observedAt", ${record.readStartedAt}::timestamp(3)), "updatedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3)
          FROM unnest(${updates.map((x) => x.d.item.id)}::text[], ${updates.map((x) => x.d.loc)}::text[], ${updates.map((x) => x.d.truth)}::int[]) AS u(item, loc, available)
          WHERE il."itemId" = u.item AND il."locationGid" = u.loc`;
      const creates = done.filter((x) => x.before == null);
      if (creates.length)
        await tx.inventoryLevel.createMany({
          data: creates.map((x) => ({
            shopId,
            itemId: x.d.item.id,
            locationGid: x.d.loc,
            available: x.d.truth,
            observedAt: record.readStartedAt,
          })),
          skipDuplicates: true,
        });
      await appendLedgerMany(
        tx,
        done.map(({ d, before }) => ({
          shopId,
          itemId: d.item.id,
          channelId: null,
          locationGid: d.loc,
          cause: "reconcile" as const,
          before,
          after: d.truth,
          delta: before == null ? null : d.truth - before,
          idempotencyKey: `reconcile:${runId}:level:${d.item.id}:${d.loc}`,
          note: "record corrected from Shopify (lost webhook)",
        })),
      );
      return done;
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
  for (const { d, before } of applied) changes.push(change(d, before));
}

/**
 * Phase 5b, per chunk: each linked listing's store quantity against its derived quantity. Gone, unmanaged and negative
 * listings are reported (a negative one raises a conflict); a drift the hub cannot explain under the `review` policy
 * raises a conflict; every other difference is a correction for the writes phase (a dry run only reports it).
 * @returns the chunk's corrections
 */
async function compareChunk(
  { channel, dryRun, changes }: ReconcileRun,
  chunk: ReconcileListing[],
  derived: Map<string, number>,
  storeListings: Map<string, ChannelListing["quantity"]>,
  levels: ShopifyRecord["levels"],
  locs: string[],
): Promise<Correction[]> {
  const corrections: Correction[] = [];
  for (const l of chunk) {
    const storeQty = storeListings.get(l.externalId);
    const d = derived.get(l.itemId!);
    if (d == null) continue;
    if (storeQty === undefined) {
      changes.push({ kind: "skipped", sku: l.sku, listingId: l.id, reason: "listing no longer on the store" });
      continue;
    }
    if (storeQty == null) {
      changes.push({
        kind: "skipped",
        sku: l.sku,
        listingId: l.id,
        reason: "the store stopped managing stock for this listing",
      });
      continue;
    }
    if (storeQty < 0) {
      changes.push({
        kind: "conflict",
        sku: l.sku,
        listingId: l.id,
        from: storeQty,
        to: d,
        explained: false,
        reason: "negative stock on the store (it sold more than it had)",
      });
      if (!dryRun) await raiseConflict(l, "negative_stock", d, storeQty, levels, locs);
      continue;
    }
    if (storeQty === d) {
      if (!dryRun && l.lastWrittenQuantity !== storeQty)
        await prisma.listing.update({
          where: { id: l.id },
          data: { lastWrittenQuantity: storeQty, lastObservedQuantity: storeQty, lastObservedAt: new Date() },
        });
      continue;
    }
    if (storeQty < d && usesAllocations(channel) && channel.mode !== "exact") {
      // A set-only channel under allocations (decision 300) showing less than its baseline: its own sales the poll
      // has not delivered yet (order index lag). Raising it would show sold units again; the poll takes them from the
      // allocation, and the next allocation step's fresh read settles the rest.
      changes.push({
        kind: "skipped",
        sku: l.sku,
        listingId: l.id,
        reason: `shows ${storeQty}, its allocation ${d}: sales not polled yet are never shown again`,
      });
      continue;
    }
    const explained = l.lastWrittenQuantity == null || storeQty === l.lastWrittenQuantity;
    if (!explained && channel.conflictPolicy === "review") {
      changes.push({
        kind: "conflict",
        sku: l.sku,
        listingId: l.id,
        from: storeQty,
        to: d,
        explained,
        reason: `store shows ${storeQty}, the hub expected ${l.lastWrittenQuantity}: raised for review`,
      });
      if (!dryRun) await raiseConflict(l, "store_drift", d, storeQty, levels, locs);
      continue;
    }
    const reason = explained
      ? "store behind the record (explained): corrected"
      : `store drift (showed ${storeQty}, the hub expected ${l.lastWrittenQuantity}): Shopify wins`;
    if (dryRun) {
      changes.push({ kind: "store_corrected", sku: l.sku, listingId: l.id, from: storeQty, to: d, explained, reason });
      continue;
    }
    corrections.push({ l, storeQty, d, explained, reason });
  }
  return corrections;
}

/**
 * Phase 6: the compare-and-set writes. With the store's batch route (plugin contract 1.1) ≤ its batch size per call,
 * as many calls at once as the store's adaptive concurrency allows, each chunk under its listings' row locks
 * (decision 101); else one call per listing, the kind's declared `reconcileConcurrency.write` at a time. Progress every 200 writes.
 */
async function writeCorrections(
  { channel, adapter, runId, changes }: ReconcileRun,
  corrections: Correction[],
  total: number,
): Promise<void> {
  let written = 0;
  const report = async (c: Correction, outcome: string) => {
    changes.push({
      kind: outcome === "written" ? "store_corrected" : "skipped",
      sku: c.l.sku,
      listingId: c.l.id,
      from: c.storeQty,
      to: c.d,
      explained: c.explained,
      reason: outcome === "written" ? c.reason : outcome,
    });
    if (++written % 200 === 0)
      await prisma.syncRun.update({ where: { id: runId }, data: { processed: total - corrections.length + written } });
  };
  if (channel.mode === "exact" && channel.pluginFeatures.includes(FEATURE_BATCH)) {
    const batchSize = Math.max(1, salesChannelKind(channel.kind)?.declared.writeBatchSize ?? 1);
    const chunks: Correction[][] = [];
    for (let i = 0; i < corrections.length; i += batchSize) chunks.push(corrections.slice(i, i + batchSize));
    // One lane more than the store's concurrency: while a lane records its answer (and the next prepares), the store's
    // next call already waits at the limiter, so the store's workers are not idle during the hub's own work (decision 319).
    await runPool(
      chunks,
      () => adapter.concurrency() + 1,
      async (chunk) => {
        const outcomes = await correctStoreBatch(channel, adapter, chunk, runId);
        for (let i = 0; i < chunk.length; i++) await report(chunk[i]!, outcomes[i]!);
      },
    );
  } else {
    await runPool(corrections, reconcileConcurrency(channel.kind).write, async (c) =>
      report(c, await correctStore(channel, adapter, c.l, c.storeQty, c.d, runId, c.reason)),
    );
  }
}

/**
 * Allocation stores: Shopify safety_stock at the sales location must equal Σ allocations (allocatedQuantity)
 * of the allocation stores selling from it, for items without an allocation step in flight. A difference is
 * confirmed under the item's allocation lock (both values re-read) before it is reported (kind "conflict", not
 * fixed: another app or a person may have moved safety stock); then every linked item of `listings` (one chunk
 * of the store's) is queued for a rebalance (a real run only).
 */
async function checkAllocations(
  channel: { id: string; shopId: string; salesLocationId: string | null },
  listings: ReconcileListing[],
  dryRun: boolean,
  recordSafety?: Map<string, Map<string, number>>,
): Promise<ReconcileChange[]> {
  const out: ReconcileChange[] = [];
  const loc = channel.salesLocationId;
  if (!loc) return out;
  const { adapter } = await recordForShop(channel.shopId);
  const itemIds = listings.map((l) => l.itemId!).filter(Boolean);
  const peerWhere = (ids: string[]) => ({
    shopId: channel.shopId,
    itemId: { in: ids },
    matchStatus: "linked",
    channel: {
      allocationEnabled: true,
      OR: [{ mode: "exact" }, { kind: { in: readThenSetKinds() } }],
      salesLocationId: loc,
      status: { not: "disconnected" },
    },
  });
  const heldBy = async (ids: string[]) => {
    const peers = await prisma.listing.findMany({
      where: peerWhere(ids),
      select: { itemId: true, allocatedQuantity: true, allocOp: true },
    });
    const held = new Map<string, { sum: number; busy: boolean }>();
    for (const p of peers) {
      const h = held.get(p.itemId!) ?? { sum: 0, busy: false };
      h.sum += p.allocatedQuantity ?? 0;
      h.busy ||= p.allocOp != null;
      held.set(p.itemId!, h);
    }
    return held;
  };
  const safetyStock = async (ids: string[]) => {
    const truth = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 100) {
      const part = await adapter.readQuantities(ids.slice(i, i + 100), [loc], [SAFETY_STOCK]);
      for (const [k, v] of part) truth.set(k, v.get(loc)?.[SAFETY_STOCK] ?? 0);
    }
    return truth;
  };
  // A first pass without locks finds candidates; both reads are then repeated under the item's allocation lock
  // (which every safety_stock writer holds), so a sale or rebalance landing between the two reads of the first
  // pass is not reported as a conflict. An item whose lock is busy is being worked on: not reported this run.
  const held = await heldBy(itemIds);
  // The first pass reads safety_stock from the record's bulk read when there was one (one read for the whole catalog,
  // not a query per 100 items: at 10,000 items those cost ~50,000 points at 100 points/s); candidates are re-read below.
  const invIds = [...new Set(listings.map((l) => l.item?.inventoryItemId).filter((x): x is string => !!x))];
  const truth = recordSafety
    ? new Map(invIds.map((id) => [id, recordSafety.get(id)?.get(loc) ?? 0]))
    : await safetyStock(invIds);
  for (const l of listings) {
    const h = held.get(l.itemId!);
    const inventoryItemId = l.item?.inventoryItemId;
    const shopifySafety = truth.get(inventoryItemId ?? "");
    if (!h || h.busy || !inventoryItemId || shopifySafety == null || shopifySafety === h.sum) continue;
    const locked = await withItemLock(l.itemId!, async () => {
      const again = (await heldBy([l.itemId!])).get(l.itemId!);
      const now = (await safetyStock([inventoryItemId])).get(inventoryItemId);
      return again && !again.busy && now != null && now !== again.sum ? { shopifySafety: now, sum: again.sum } : null;
    });
    const confirmed = locked.locked ? locked.value : null;
    if (!confirmed) continue;
    out.push({
      kind: "conflict",
      sku: l.sku,
      itemId: l.itemId,
      listingId: l.id,
      from: confirmed.shopifySafety,
      to: confirmed.sum,
      explained: false,
      reason: `Shopify safety_stock at the sales location is ${confirmed.shopifySafety}, SyncFlow's allocations add up to ${confirmed.sum} (changed outside SyncFlow?)`,
    });
  }
  // Only the items whose split is off target (or not migrated yet) are rebalanced, in the drainer's batches (decision 104).
  if (!dryRun) {
    const { offTargetItems, requestRebalance } = await import("../allocation/allocation-batch.server");
    await requestRebalance(channel.shopId, await offTargetItems(channel.shopId, [...new Set(itemIds)]));
  }
  return out;
}

/**
 * Reconciles every connected WooCommerce store of a shop, in parallel (each store is rate-limited on its own
 * side). Shopify's record is read once for all of them — the first store to reach its reads starts it, for
 * the union of their feed locations — so a 10,000-SKU shop with two stores runs one bulk operation and holds
 * one copy of the record, not two.
 */
export async function reconcileShop(
  shopId: string,
  opts: { dryRun?: boolean; trigger?: string } = {},
): Promise<ReconcileResult[]> {
  const all = await prisma.channel.findMany({
    where: { shopId, kind: { not: RECORD_KIND }, status: { not: "disconnected" } },
    orderBy: { id: "asc" },
  });
  // A channel whose platform's day budget is shared by every merchant (Etsy) is reconciled on the schedule its
  // budget allows, not the shop's (decision 273); a manual run reconciles it at once.
  const { reconcileWaitsForBudget } = await import("../intake/request-budget.server");
  const channels: typeof all = [];
  for (const c of all) if (opts.trigger !== "schedule" || !(await reconcileWaitsForBudget(c))) channels.push(c);
  const locs = [...new Set(channels.flatMap((c) => feedLocations(c)))];
  let shared: ReturnType<RecordSource> | undefined;
  const record: RecordSource = () =>
    (shared ??= readRecord(
      shopId,
      channels.map((c) => c.id),
      locs,
    ));
  return Promise.all(channels.map((c) => reconcileChannel(shopId, c.id, { ...opts, record })));
}

/**
 * Queues scheduled reconciliations: every shop whose last scheduled run is older than its
 * `reconcileEveryMin`. Run each minute by the scheduler.
 */
export async function scheduleDueReconciliations(): Promise<number> {
  const shops = await prisma.shop.findMany({
    where: { uninstalledAt: null },
    select: { id: true, reconcileEveryMin: true },
  });
  let n = 0;
  for (const s of shops) {
    const last = await prisma.syncRun.findFirst({
      where: { shopId: s.id, kind: "reconcile", dryRun: false },
      orderBy: { startedAt: "desc" },
      select: { startedAt: true },
    });
    if (last && Date.now() - last.startedAt.getTime() < s.reconcileEveryMin * 60_000) continue;
    await enqueue(
      QUEUES.reconcile,
      { shopId: s.id, dryRun: false, trigger: "schedule" },
      { singletonKey: `reconcile:${s.id}` },
    );
    n++;
  }
  return n;
}

type StoreAdapter = SalesChannel;

/** A dry run's view of the levels: item id → Shopify's record for its inventory item (as if corrected). */
function recordFor(
  listings: ReconcileListing[],
  record: Map<string, Map<string, number>>,
): (itemId: string) => Map<string, number> | undefined {
  const inventoryItem = new Map(listings.map((l) => [l.itemId!, l.item?.inventoryItemId ?? ""]));
  return (itemId) => record.get(inventoryItem.get(itemId) ?? "");
}

/** The columns of a linked listing the comparison, the writes and conflicts need (not the whole row). */
const RECONCILE_LISTING = {
  id: true,
  shopId: true,
  channelId: true,
  itemId: true,
  externalId: true,
  productId: true,
  variantId: true,
  sku: true,
  lastWrittenQuantity: true,
  allocatedQuantity: true,
  item: { select: { id: true, sku: true, inventoryItemId: true } },
} as const satisfies Prisma.ListingSelect;
type ReconcileListing = Prisma.ListingGetPayload<{ select: typeof RECONCILE_LISTING }>;

/**
 * Hub listings compared per query (`SYNCFLOW_RECONCILE_CHUNK`, default 1,000): the chunk's listings, cached
 * levels and derived quantities are what a reconciliation holds besides the store's quantities.
 */
const reconcileChunk = () => env.SYNCFLOW_RECONCILE_CHUNK;

/** The linked listings matching `where`, in keyset chunks of `SYNCFLOW_RECONCILE_CHUNK` ordered by id. */
async function* linkedListingChunks(where: Prisma.ListingWhereInput): AsyncGenerator<ReconcileListing[]> {
  const size = reconcileChunk();
  let after: string | undefined;
  for (;;) {
    const chunk = await prisma.listing.findMany({
      where: { ...where, ...(after ? { id: { gt: after } } : {}) },
      select: RECONCILE_LISTING,
      orderBy: { id: "asc" },
      take: size,
    });
    if (chunk.length) yield chunk;
    if (chunk.length < size) return;
    after = chunk[chunk.length - 1]!.id;
  }
}

/** Shopify's record as read: available by inventory item GID → location GID → units, and when the read started. */
export interface ShopifyRecord {
  levels: Map<string, Map<string, number>>;
  /** safety_stock by inventory item GID → location GID, when the read was a bulk operation (decision 104). */
  safety?: Map<string, Map<string, number>>;
  readStartedAt: Date;
}

/** Where a reconciliation gets Shopify's record; called once per run (reconcileShop shares one read). */
export type RecordSource = () => Promise<ShopifyRecord>;

/**
 * Shopify available for the inventory items linked on `channelIds` at `locs`. Above `SYNCFLOW_BULK_THRESHOLD`
 * (2,000) items, one bulk operation (JSONL, every item at `locs`: decision 030); below it, cost-throttled
 * pages of 100 items.
 */
async function readRecord(shopId: string, channelIds: string[], locs: string[]): Promise<ShopifyRecord> {
  const readStartedAt = new Date();
  const { adapter } = await recordForShop(shopId);
  const rows = await prisma.catalogItem.findMany({
    where: {
      shopId,
      inventoryItemId: { not: null },
      listings: { some: { channelId: { in: channelIds }, matchStatus: "linked" } },
    },
    select: { inventoryItemId: true },
  });
  const ids = rows.map((r) => r.inventoryItemId!);
  const threshold = env.SYNCFLOW_BULK_THRESHOLD;
  const bulk = (
    adapter as unknown as {
      readAllAvailableBulk?: (
        locs: string[],
        opts: { safetyStock?: Map<string, Map<string, number>> },
      ) => Promise<Map<string, Map<string, number>>>;
    }
  ).readAllAvailableBulk;
  if (ids.length > threshold && typeof bulk === "function") {
    const safety = new Map<string, Map<string, number>>();
    return { levels: await bulk.call(adapter, locs, { safetyStock: safety }), safety, readStartedAt };
  }
  const levels = new Map<string, Map<string, number>>();
  for (let i = 0; i < ids.length; i += 100) {
    const part = await adapter.readAvailable(ids.slice(i, i + 100), locs);
    for (const [k, v] of part) levels.set(k, v);
  }
  return { levels, readStartedAt };
}

/**
 * Calls a reconciliation sends one store at once (pages read, single corrections written), as the store's kind
 * declares them (`SalesChannelCapabilities.reconcileConcurrency`; WooCommerce: 2 and 2, decision 081).
 */
function reconcileConcurrency(kind: string): { read: number; write: number } {
  return salesChannelKind(kind)?.declared.reconcileConcurrency ?? DEFAULT_RECONCILE_CONCURRENCY;
}

/**
 * Runs `fn` over `items`, at most `n` at a time (`n` may be a function, read again whenever a lane finishes an item:
 * a store's adaptive concurrency); rejects with the first failure once the running ones settle.
 */
async function runPool<T>(items: T[], n: number | (() => number), fn: (item: T) => Promise<void>): Promise<void> {
  const width = () => Math.max(1, typeof n === "function" ? n() : n);
  let next = 0;
  let failed: unknown = null;
  let active = 0;
  const lanes: Promise<void>[] = [];
  const lane = async () => {
    try {
      while (next < items.length && failed == null && active <= width()) {
        const item = items[next++]!;
        try {
          await fn(item);
        } catch (err) {
          failed ??= err;
        }
        spawn();
      }
    } finally {
      active--;
    }
  };
  const spawn = () => {
    while (next < items.length && failed == null && active < width()) {
      active++;
      lanes.push(lane());
    }
  };
  spawn();
  for (let i = 0; i < lanes.length; i++) await lanes[i];
  if (failed != null) throw failed;
}

/**
 * The store's stock by listing external id: units, or null when the store does not manage its stock. With the plugin's
 * snapshot (contract 1.1, decision 101) a few keyset pages of up to 5,000 rows; else the REST product pages
 * (the kind's declared `reconcileConcurrency.read` at a time) and each variable product's variations.
 */
async function readStore(
  channel: { kind: string; mode: string; pluginFeatures: string[] },
  adapter: StoreAdapter,
): Promise<Map<string, ChannelListing["quantity"]>> {
  const out = new Map<string, ChannelListing["quantity"]>();
  if (channel.mode === "exact" && channel.pluginFeatures.includes(FEATURE_SNAPSHOT)) {
    for await (const rows of adapter.readSnapshot({ pageSize: SNAPSHOT_PAGE }))
      for (const r of rows) out.set(r.listingId, r.quantity);
    return out;
  }
  for await (const page of adapter.listListings({ concurrency: reconcileConcurrency(channel.kind).read }))
    for (const l of page) out.set(l.externalId, l.quantity);
  return out;
}

/** Rows per snapshot call (`SYNCFLOW_SNAPSHOT_PAGE`, default 5,000: the plugin's largest page). */
const SNAPSHOT_PAGE = env.SYNCFLOW_SNAPSHOT_PAGE;

/**
 * Exact stores with the plugin's batch (decision 101): up to 100 compare-and-set corrections in one call, under the
 * chunk's row locks (taken in id order, so it never deadlocks with another chunk or a push) — a listing with a push in
 * flight is left to that push, as `correctStore` does. Same keys (`reconcile:<run>:<listing>`) and same ledger rows.
 * @returns one outcome per correction, in order: "written" or the reason it was skipped
 * @throws ChannelError when the call failed as a whole (its CASes' outcomes unknown; the job retries with the same keys)
 */
async function correctStoreBatch(
  channel: { id: string; shopId: string },
  adapter: StoreAdapter,
  chunk: { l: ReconcileListing; storeQty: number; d: number; reason: string }[],
  runId: string,
): Promise<string[]> {
  return prisma.$transaction(
    async (tx) => {
      const ids = [...chunk.map((c) => c.l.id)].sort();
      const rows = await tx.$queryRaw<
        { id: string; inFlightPushSeq: number | null }[]
      >`SELECT id, "inFlightPushSeq" FROM "Listing" WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE`;
      const inFlight = new Set(rows.filter((r) => r.inFlightPushSeq != null).map((r) => r.id));
      const present = new Set(rows.map((r) => r.id));
      const send = chunk.filter((c) => present.has(c.l.id) && !inFlight.has(c.l.id));
      const results = send.length
        ? await adapter.writeQuantities(
            send.map((c) => ({
              op: "cas" as const,
              listingId: c.l.externalId,
              expected: c.storeQty,
              quantity: c.d,
              idempotencyKey: `reconcile:${runId}:${c.l.id}`,
            })),
          )
        : [];
      const byListing = new Map(send.map((c, i) => [c.l.id, results[i]!]));
      const out: string[] = [];
      const ledger: LedgerRow[] = [];
      const written: { id: string; after: number }[] = [];
      for (const c of chunk) {
        if (!present.has(c.l.id)) {
          out.push("the listing is gone");
          continue;
        }
        if (inFlight.has(c.l.id)) {
          out.push("a push is in flight for this listing; left to it");
          continue;
        }
        const r = byListing.get(c.l.id)!;
        if (!r.ok) {
          if (r.error.code === "STALE") {
            out.push(`the store changed during reconciliation (now ${r.error.opts.current}); next run`);
            continue;
          }
          throw r.error;
        }
        written.push({ id: c.l.id, after: r.after });
        ledger.push({
          shopId: channel.shopId,
          itemId: c.l.itemId!,
          channelId: channel.id,
          cause: "reconcile",
          before: r.before ?? c.storeQty,
          after: r.after,
          delta: r.after - (r.before ?? c.storeQty),
          idempotencyKey: `reconcile:${runId}:${c.l.id}`,
          note: c.reason,
        });
        out.push("written");
      }
      // One statement for the chunk's baselines (was one per listing): the rows stay locked only briefly after the
      // store's answer, so the echoes of these writes (product.updated) are not held up behind them (decision 319).
      if (written.length)
        await tx.$executeRaw`
          UPDATE "Listing" l SET "lastWrittenQuantity" = u.after, "lastWrittenAt" = (now() AT TIME ZONE 'UTC')::timestamp(3),
                 "lastObservedQuantity" = u.after, "lastObservedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3),
                 "updatedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3)
          FROM unnest(${written.map((w) => w.id)}::text[], ${written.map((w) => w.after)}::int[]) AS u(id, after)
          WHERE l.id = u.id`;
      await appendLedgerMany(tx, ledger);
      return out;
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}

/**
 * Writes D to the store through compare-and-set (exact mode) or an absolute set (buffered), under the
 * listing's row lock so it never races a push; a listing with a push in flight is left to that push.
 * @returns "written" or the reason it was skipped
 */
async function correctStore(
  channel: { id: string; mode: string; shopId: string; kind: string; allocationEnabled: boolean },
  adapter: StoreAdapter,
  l: ReconcileListing,
  storeQty: number,
  d: number,
  runId: string,
  reason: string,
): Promise<string> {
  return prisma.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<Listing[]>`SELECT * FROM "Listing" WHERE id = ${l.id} FOR UPDATE`;
      if (!row || row.inFlightPushSeq != null) return "a push is in flight for this listing; left to it";
      let res;
      try {
        // Exact stores: compare-and-set; a set-only channel under allocations: the emulated one (decision 300).
        res =
          channel.mode === "exact" || usesAllocations(channel)
            ? await adapter.writeQuantity({
                op: "cas",
                listingId: l.externalId,
                expected: storeQty,
                quantity: d,
                idempotencyKey: `reconcile:${runId}:${l.id}`,
              })
            : await adapter.writeQuantity({
                op: "set",
                listingId: l.externalId,
                quantity: d,
                parentId: l.variantId ? l.productId : null,
              });
      } catch (err) {
        if (err instanceof ChannelError && err.code === "STALE")
          return `the store changed during reconciliation (now ${err.opts.current}); next run`;
        throw err;
      }
      await tx.listing.update({
        where: { id: l.id },
        data: {
          lastWrittenQuantity: res.after,
          lastWrittenAt: new Date(),
          lastObservedQuantity: res.after,
          lastObservedAt: new Date(),
        },
      });
      await appendLedger(tx, {
        shopId: channel.shopId,
        itemId: l.itemId!,
        channelId: channel.id,
        cause: "reconcile",
        before: res.before ?? storeQty,
        after: res.after,
        delta: res.after - (res.before ?? storeQty),
        idempotencyKey: `reconcile:${runId}:${l.id}`,
        note: reason,
      });
      return "written";
    },
    { timeout: 60_000 },
  );
}

/** Opens (or refreshes) the open conflict for a listing and emits `conflict.raised` for a new one. */
async function raiseConflict(
  l: ReconcileListing,
  kind: string,
  expected: number,
  storeQty: number,
  record: Map<string, Map<string, number>>,
  locs: string[],
) {
  const truth = record.get(l.item?.inventoryItemId ?? "");
  const recordQuantity = truth ? locs.reduce((n, loc) => n + (truth.get(loc) ?? 0), 0) : null;
  await openConflict({
    shopId: l.shopId,
    itemId: l.itemId!,
    channelId: l.channelId,
    listingId: l.id,
    sku: l.sku,
    kind,
    expected,
    storeQuantity: storeQty,
    recordQuantity,
    detail: { baseline: l.lastWrittenQuantity, sku: l.sku },
  });
}
