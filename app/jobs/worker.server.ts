/**
 * The worker: registers one handler per queue (app/jobs/queue.server.ts). Runs inside the app process
 * (demo, small installs) or on its own (`npm run worker`); several worker processes on one PostgreSQL
 * share the work (pg-boss claims jobs with SKIP LOCKED).
 *
 * A handler that throws is retried by pg-boss (retryLimit / retryDelay / retryBackoff). On the last
 * attempt the failure is recorded as a `job.dead_lettered` event with its cause, and pg-boss moves the
 * job with its data to the dead-letter queue, from where it can be replayed (`replayDeadLetter`).
 */
import type { JobResult, JobWithMetadata, PgBoss } from "pg-boss";
import prisma from "../db.server";
import { getBoss, enqueue, replayDeadLetter, QUEUES, type JobData, type QueueName } from "./queue.server";
import { processReceipt } from "../sync/intake/process-receipt.server";
import { settleStaleLevelReceipts } from "../sync/intake/stale-receipts.server";
import { settleProductObservations } from "../sync/intake/receipt-batch.server";
import { applyLevelReceipts } from "../sync/intake/level-batch.server";
import { applyAdjustment } from "../sync/stock/adjust.server";
import { drainPushes, markForPush, queueDrain } from "../sync/stock/push.server";
import {
  importShopifyCatalog,
  linkSalesChannel,
  queueInitialPushes,
  requestInitialPushes,
} from "../sync/stores/link.server";
import { emitEvent } from "../sync/events.server";
import { reconcileChannel, reconcileShop, scheduleDueReconciliations } from "../sync/reconcile/reconcile.server";
import { runBulkJob, type BulkJobData } from "./bulk.server";
import { drainRebalances, requestRebalance } from "../sync/allocation/allocation-batch.server";
import { ChannelError, RECORD_KIND } from "../channels/channel";
import { markImportDeadLettered, runOrderImport } from "../sync/orders-hub/import.server";
import { pollChannel, scheduleDuePolls } from "../sync/intake/poll.server";
import { markPushDeadLettered, runFulfilmentPush } from "../sync/orders-hub/pushback.server";
import { lookbackAfterLink, requeueStuckImports } from "../sync/orders-hub/catch-up.server";
// ---- notifications, sheets (issue 6) ----
import { handleNotifySend, processEvent, sweepUnnotifiedEvents } from "../notify/dispatch.server";
import { sendFlowTriggersForEvent } from "../flow/triggers.server";
import { signalStockChanged, watchStock } from "../notify/stock-watch.server";
import { runDailySummaries } from "../notify/summary.server";
import { computeShopForecasts, runForecasts } from "../forecast/forecast.server";
import { runScheduledReports } from "../reports/reports.server";
import { syncSheet } from "../exports/sheets.server";
import { env } from "../env.server";
// ---- merchant API outbound webhooks (issue 18) ----
import { deliverWebhook, fanOutDomainEvent, fanOutStock, markDeliveryDead } from "../outbound/webhooks.server";

/** A handler per queue, typed by the queue's job data (`JobData`, app/jobs/queue.server.ts). */
type Handlers = { [N in QueueName]?: (data: JobData[N]) => Promise<unknown> };

/** Job handlers by queue. Each takes the job's data and is idempotent. */
export const handlers: Handlers = {
  [QUEUES.webhook]: async ({ receiptId }: { receiptId: string }) => {
    const res = await processReceipt(receiptId);
    // issue 6: low-stock watch + sheet update (debounced). An "ignored" receipt (stale, echo, duplicate,
    // unknown item, ...) wrote no ledger row and no order, so there is nothing for either to look at.
    // The outcome names the receipt's shop (issue 11: one lookup per webhook less; a receipt without a shop has none).
    if (res.status !== "ignored") await signalStockChanged(res.shopId);
    return res;
  },

  // Orders hub (issue 15): one sales-channel order into the central shop, once (app/sync/orders-hub).
  [QUEUES.orderImport]: (data) => runOrderImport(data),
  // Orders hub pushback: one central fulfilment's version to its source store, once (app/sync/orders-hub/pushback).
  [QUEUES.fulfilmentPush]: (data) => runFulfilmentPush(data),

  [QUEUES.shopifyAdjust]: async ({ shopId, adjustmentId }: { shopId: string; adjustmentId: string }) => {
    // The stores' pushes after a sale reaches Shopify are requested by the flush that applied it (adjust-batch.server.ts).
    const res = await applyAdjustment(shopId, adjustmentId);
    await signalStockChanged(shopId); // issue 6
    return res;
  },

  [QUEUES.pushStock]: async ({
    shopId,
    channelId,
    itemIds,
  }: {
    shopId: string;
    channelId: string;
    itemIds?: string[];
  }) => {
    // Jobs queued before pushes were coalesced (docs/decisions/100) carry their items: requested like any push.
    if (itemIds?.length) await markForPush(prisma, shopId, channelId, itemIds);
    const res = await drainPushes(shopId, channelId);
    if (res.written) await signalStockChanged(shopId); // issue 6
    return res;
  },

  [QUEUES.linkChannel]: async ({ shopId, channelId }: { shopId: string; channelId: string }) => {
    const channel = await prisma.channel.findFirst({ where: { id: channelId, shopId } });
    if (!channel) return { skipped: "channel not found" };
    // Nothing to link for a store disconnected (or a retailer unlinked) since the job was queued: done, not retried
    // toward the dead letter queue; linking it again queues a job of its own.
    if (channel.status === "disconnected") return { skipped: "channel disconnected" };
    if (channel.kind === "shopify") {
      const report = await importShopifyCatalog(shopId);
      const stores = await prisma.channel.findMany({
        where: { shopId, kind: { not: RECORD_KIND }, status: { not: "disconnected" } },
      });
      for (const s of stores)
        await enqueue(QUEUES.linkChannel, { shopId, channelId: s.id }, { singletonKey: `link:${s.id}` });
      return report;
    }
    const report = await linkSalesChannel(shopId, channelId);
    await queueInitialPushes(shopId, channelId);
    // Orders hub (issue 15): linked with import on → the look-back window's orders, without moving stock (decision 236).
    const lookback = await lookbackAfterLink(shopId, channelId);
    return { ...report, linkedItemIds: report.linkedItemIds.length, ...(lookback ? { lookback } : {}) };
  },

  [QUEUES.initialPushCheck]: async ({ shopId, channelId }: { shopId: string; channelId: string }) => ({
    requested: await requestInitialPushes(shopId, channelId),
  }),

  [QUEUES.sweep]: async () => sweep(),
  [QUEUES.maintenance]: async () => (await import("./maintenance.server")).runMaintenance(),
  [QUEUES.analyticsTick]: async () => (await import("../analytics/tick.server")).runAnalyticsTick(), // issue 18

  [QUEUES.rebalance]: async ({ shopId, itemId }: { shopId: string; itemId?: string }) => {
    // Jobs queued per item before rebalancing was batched (docs/decisions/104) carry their item: requested like any.
    if (itemId) await requestRebalance(shopId, [itemId]);
    const res = await drainRebalances(shopId);
    if (res.moves || res.salesApplied || res.storeWrites) await signalStockChanged(shopId); // issue 6
    return { ...res };
  },

  // ---- notifications, sheets (issue 6) ----
  // Notifications, then the event's Shopify Flow triggers (app/flow, issue 17; once per event and trigger).
  [QUEUES.notify]: async ({ eventId }: { eventId: string }) => {
    const r = await processEvent(eventId);
    await sendFlowTriggersForEvent(eventId);
    await fanOutDomainEvent(eventId); // issue 18: the merchant's outbound webhooks (once per event and subscription)
    return r;
  },
  [QUEUES.notifySend]: async (data: Parameters<typeof handleNotifySend>[0]) => handleNotifySend(data),
  [QUEUES.stockWatch]: async ({ shopId }: { shopId: string }) => watchStock(shopId),
  [QUEUES.sheetsSync]: async ({ shopId, full }: { shopId: string; full?: boolean }) =>
    syncSheet(shopId, { full: !!full }),
  // The hourly e-mail tick: the daily summary and the scheduled reports (issue 18, app/reports) — each runs even when
  // the other fails; a failure fails the job (retried; both are claimed per period, so a retry sends nothing twice).
  [QUEUES.dailySummary]: async () => {
    const [shops, reports] = await Promise.allSettled([runDailySummaries(), runScheduledReports()]);
    if (shops.status === "rejected") throw shops.reason;
    if (reports.status === "rejected") throw reports.reason;
    return { shops: shops.value, reports: reports.value };
  },
  // Issue 18 (R): forecasts and low-cover alerts (app/forecast).
  [QUEUES.forecastTick]: async ({ shopId }: { shopId?: string }) =>
    shopId ? computeShopForecasts(shopId) : { shops: await runForecasts() },

  [QUEUES.bulk]: async (data) => runBulkJob(data as BulkJobData),

  [QUEUES.reconcile]: async ({
    shopId,
    channelId,
    dryRun,
    trigger,
  }: {
    shopId: string;
    channelId?: string;
    dryRun?: boolean;
    trigger?: string;
  }) => {
    const runs = channelId
      ? [await reconcileChannel(shopId, channelId, { dryRun, trigger })]
      : await reconcileShop(shopId, { dryRun, trigger });
    return runs.map((r) => ({
      runId: r.runId,
      changes: r.changes.length,
      checked: r.checked,
      durationMs: r.durationMs,
      phases: r.phases,
    }));
  },

  [QUEUES.reconcileTick]: async () => ({ queued: await scheduleDueReconciliations() }),
  // issue 16: polled sales channels (Amazon) — a tick queues the due polls; each poll stores receipts + its cursor.
  [QUEUES.pollTick]: async () => ({ queued: await scheduleDuePolls() }),
  [QUEUES.pollChannel]: ({ shopId, channelId }) => pollChannel(shopId, channelId),
  // issue 18: outbound webhooks (app/outbound) — one signed delivery per job; the stock fan-out debounced per shop.
  [QUEUES.webhookDeliver]: ({ deliveryId }) => deliverWebhook(deliveryId),
  [QUEUES.webhookStock]: async ({ shopId }) => ({ created: await fanOutStock(shopId) }),
};

/**
 * Re-queues work that was stored but never queued (crash between commit and send): webhook receipts
 * still "received" after 30 s, pending Shopify adjustments older than 60 s, stores with pushes requested for 30 s
 * and no live drainer, and domain events older than 2 min without notification rows (`sweepUnnotifiedEvents`). Keys make re-queueing harmless when the
 * original job is merely slow.
 */
export async function sweep(): Promise<{
  receipts: number;
  adjustments: number;
  events: number;
  pushDrains: number;
  orderImports: number;
}> {
  const receipts = await prisma.webhookReceipt.findMany({
    where: { status: "received", receivedAt: { lt: new Date(Date.now() - 30_000) } },
    select: { id: true },
    take: 500,
  });
  for (const r of receipts) await enqueue(QUEUES.webhook, { receiptId: r.id }, { singletonKey: `receipt:${r.id}` });
  const adjustments = await prisma.shopifyAdjustment.findMany({
    where: { status: "pending", createdAt: { lt: new Date(Date.now() - 60_000) } },
    select: { id: true, shopId: true },
    take: 500,
  });
  for (const a of adjustments)
    await enqueue(QUEUES.shopifyAdjust, { shopId: a.shopId, adjustmentId: a.id }, { singletonKey: `adjust:${a.id}` });
  // Stores with pushes requested (or left in flight) for 30 s and no drainer holding their lease: a drainer died, or
  // its job was lost between commit and send (docs/decisions/100). A disconnected channel is left alone: its listings
  // keep their push state for a relink (whose initial push sends the derived value), and draining a channel that is
  // gone would queue a no-op job every minute forever (found by the stream bench with a retailer unlinked mid-push).
  const stale = new Date(Date.now() - 30_000);
  const stores = await prisma.listing.groupBy({
    by: ["shopId", "channelId"],
    where: {
      OR: [{ pushRequestedAt: { lt: stale } }, { inFlightPushAt: { lt: stale } }],
      channel: {
        status: { not: "disconnected" },
        OR: [{ pushLeaseUntil: null }, { pushLeaseUntil: { lt: new Date() } }],
      },
    },
  });
  for (const s of stores) await queueDrain(s.shopId, s.channelId);
  // Shops with rebalances requested (or put off after a failure) and due for 5 s: their drainer died or gave up.
  const rebalances = await prisma.catalogItem.groupBy({
    by: ["shopId"],
    where: { rebalanceRequestedAt: { lt: new Date(Date.now() - 5_000) } },
  });
  for (const r of rebalances)
    await enqueue(QUEUES.rebalance, { shopId: r.shopId }, { singletonKey: `rebalance:${r.shopId}` });
  // Domain events whose notify job was lost (issue 6 gap): re-queued once they are 2 minutes old.
  const events = await sweepUnnotifiedEvents();
  // Orders hub (issue 15, decision 236): order imports claimed but whose job was lost.
  const orderImports = await requeueStuckImports();
  return {
    receipts: receipts.length,
    adjustments: adjustments.length,
    events,
    pushDrains: stores.length,
    orderImports,
  };
}

const CONCURRENCY: Partial<Record<QueueName, number>> = {
  [QUEUES.webhook]: 4,
  [QUEUES.shopifyAdjust]: 4,
  [QUEUES.orderImport]: 2,
  [QUEUES.fulfilmentPush]: 2,
  [QUEUES.pushStock]: 4,
  [QUEUES.linkChannel]: 1,
  [QUEUES.initialPushCheck]: 2,
  [QUEUES.rebalance]: 2,
  [QUEUES.sweep]: 1,
  // issue 6
  [QUEUES.notify]: 2,
  [QUEUES.notifySend]: 2,
  [QUEUES.stockWatch]: 2,
  [QUEUES.sheetsSync]: 2,
  [QUEUES.dailySummary]: 1,
  [QUEUES.forecastTick]: 1,
  [QUEUES.bulk]: 2,
  [QUEUES.reconcile]: 1,
  [QUEUES.reconcileTick]: 1,
  [QUEUES.maintenance]: 1,
  [QUEUES.analyticsTick]: 1,
  [QUEUES.pollTick]: 1,
  [QUEUES.pollChannel]: 2,
  [QUEUES.webhookDeliver]: 2,
  [QUEUES.webhookStock]: 1,
};

/**
 * Backstop poll of each worker slot of a queue, s (issue 11). NOTIFY wakes idle slots at once for a job that is due
 * now; the backstop only finds jobs dated later — retries, debounced and deferred jobs — and a backlog left when
 * NOTIFYs stop. Every slot of every queue polls, so an idle queue of 2 slots at 1 s costs 2 fetches a second (≈ 18 a
 * second over the rare queues: ≈ 1,600 fetches in the stream bench's 90 s window). The hot queues of a sale keep 1 s;
 * the notification queues (debounced stock watch, SMS status polls, mail retries) find a dated job within 2 s; the
 * rest (linking, initial-push checks, exports, reconciliation, the cron ticks — all due-now jobs NOTIFY wakes) 5 s.
 */
const BACKSTOP_S: Partial<Record<QueueName, number>> = {
  // Issue 11 (session 9): queues a store sale never touches — fulfilment pushback, channel polls, outbound webhook
  // deliveries — were still at 1 s (≈ 2 fetches a second each, ≈ 500 of the stream bench's 90 s window); their due-now
  // jobs are NOTIFY-woken, their retries (≥ retryDelay later) are found within 5 s.
  [QUEUES.fulfilmentPush]: 5,
  [QUEUES.pollChannel]: 5,
  [QUEUES.webhookDeliver]: 5,
  [QUEUES.notify]: 2,
  [QUEUES.notifySend]: 2,
  [QUEUES.stockWatch]: 2,
  [QUEUES.linkChannel]: 5,
  [QUEUES.initialPushCheck]: 5,
  [QUEUES.sheetsSync]: 5,
  [QUEUES.dailySummary]: 5,
  [QUEUES.forecastTick]: 5,
  [QUEUES.bulk]: 5,
  [QUEUES.reconcile]: 5,
  [QUEUES.reconcileTick]: 5,
  [QUEUES.sweep]: 5,
  [QUEUES.maintenance]: 5,
  [QUEUES.analyticsTick]: 5,
};

/**
 * Jobs fetched (and settled) per round trip, for high-volume queues of short jobs. Each job of a batch
 * still succeeds or fails on its own (pg-boss `perJobResults`), with its own retries and dead letter.
 */
const BATCH_SIZE: Partial<Record<QueueName, number>> = {
  [QUEUES.webhook]: 10,
};

async function runJob(queue: QueueName, job: JobWithMetadata<any>): Promise<unknown> {
  const handler = handlers[queue]!;
  const started = Date.now();
  try {
    const out = await handler(job.data);
    // SYNCFLOW_JOB_LOG=1 (tests, debugging): one line per finished job, so a test can tell which process ran it.
    if (env.SYNCFLOW_JOB_LOG)
      console.log(`[worker] done ${queue} ${JSON.stringify(job.data)} pid=${process.pid} ms=${Date.now() - started}`);
    return out;
  } catch (err) {
    // A non-retryable error is final at its second attempt (pg-boss still runs the attempts left, failing the same
    // way): the dead-letter hooks below run once per job — at that attempt, or at the last one — never again, so the
    // merchant is told once (a repeat at every remaining attempt notified twice).
    const nonRetryable = err instanceof ChannelError && !err.retryable;
    const final = nonRetryable ? job.retryCount === Math.min(1, job.retryLimit) : job.retryCount >= job.retryLimit;
    const cause = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    console.error(
      `[worker] ${queue} job ${job.id} attempt ${job.retryCount + 1}/${job.retryLimit + 1} failed: ${cause}`,
    );
    if (final) {
      const shopId = (job.data as { shopId?: string }).shopId ?? (await shopOfReceipt(job.data));
      if (shopId) {
        await emitEvent(shopId, "job.dead_lettered", {
          queue,
          jobId: job.id,
          data: job.data,
          cause,
          attempts: job.retryCount + 1,
        });
      }
      if (queue === QUEUES.orderImport) await markImportDeadLettered(job.data, cause, job.retryCount + 1);
      if (queue === QUEUES.fulfilmentPush) await markPushDeadLettered(job.data.fulfilmentId, cause);
      if (queue === QUEUES.webhookDeliver) await markDeliveryDead(job.data.deliveryId, cause);
      if (queue === QUEUES.shopifyAdjust) {
        await prisma.shopifyAdjustment.updateMany({
          where: { id: job.data.adjustmentId, status: "pending" },
          data: { lastError: `dead-lettered: ${cause}` },
        });
      }
    }
    throw err;
  }
}

async function shopOfReceipt(data: { receiptId?: string }): Promise<string | null> {
  if (!data?.receiptId) return null;
  const r = await prisma.webhookReceipt.findUnique({ where: { id: data.receiptId }, select: { shopId: true } });
  return r?.shopId ?? null;
}

/**
 * Registers a worker that takes up to `batchSize` jobs per fetch, each settled on its own
 * (`perJobResults`: one job's failure retries or dead-letters only that job), one after another.
 *
 * `burstWhenBatchFull`: after a full batch the worker fetches again at once. Without it pg-boss waits
 * `notifyPollingIntervalSeconds` after every fetch unless a NOTIFY for a new job arrives, so a backlog
 * left after a burst (a flash sale's store webhooks) drained at a few jobs per 5 s (pg-boss 12
 * `Manager.work` → `resolveInterval`). A short batch means the queue is drained; the worker then waits
 * for the next NOTIFY (or the 5 s backstop).
 */
async function workBatched(boss: PgBoss, queue: QueueName, workers: number, batchSize: number): Promise<string> {
  const options = {
    includeMetadata: true as const,
    batchSize,
    perJobResults: true as const,
    localConcurrency: workers,
    pollingIntervalSeconds: 0.5,
    notifyPollingIntervalSeconds: 5,
    burstWhenBatchFull: true,
  };
  const settle = async (job: JobWithMetadata<any>): Promise<JobResult> => {
    try {
      return { id: job.id, status: "completed", output: await runJob(queue, job) };
    } catch (err) {
      return { id: job.id, status: "failed", output: err };
    }
  };
  return boss.work(queue, options, async (jobs: JobWithMetadata<any>[]) => {
    const results: JobResult[] = [];
    // Webhook receipts that are certainly no-ops (stale level updates), WooCommerce product observations (echoes
    // of our writes, the stock moves of the store's own orders) and Shopify level changes (issue 11, decision 313) are
    // settled for the whole batch at once; what a pass leaves goes through processReceipt one by one, in order.
    const presettled = new Map<string, unknown>();
    if (queue === QUEUES.webhook) {
      const ids = jobs.map((j) => String(j.data?.receiptId ?? ""));
      for (const [name, pass] of [
        ["stale-receipt", settleStaleLevelReceipts],
        ["product-observation", settleProductObservations],
        ["level-batch", applyLevelReceipts],
      ] as const) {
        const done = await pass(ids.filter((id) => !presettled.has(id))).catch((err: unknown) => {
          console.error(`[worker] ${name} pre-pass failed (processing one by one):`, err);
          return new Map<string, unknown>();
        });
        for (const [id, o] of done) presettled.set(id, o);
      }
      // The shops whose stock a pass changed: the low-stock watch and sheet (as the webhook handler does per receipt).
      const shops = new Set<string>();
      for (const o of presettled.values()) {
        const r = o as { status?: string; shopId?: string };
        if (r.status === "processed" && r.shopId) shops.add(r.shopId);
      }
      for (const shopId of shops) await signalStockChanged(shopId);
    }
    for (const job of jobs) {
      const outcome = presettled.get(String(job.data?.receiptId ?? ""));
      if (outcome) {
        if (env.SYNCFLOW_JOB_LOG) console.log(`[worker] done ${queue} ${JSON.stringify(job.data)} pid=${process.pid}`);
        results.push({ id: job.id, status: "completed", output: outcome });
        continue;
      }
      results.push(await settle(job));
    }
    return results;
  });
}

export interface WorkerHandle {
  boss: PgBoss;
  stop(): Promise<void>;
}

/** Starts workers for every queue on the process-wide pg-boss instance and schedules the sweep. */
export async function startWorker(): Promise<WorkerHandle> {
  const boss = await getBoss();
  const ids: string[] = [];
  for (const [queue, concurrency] of Object.entries(CONCURRENCY) as [QueueName, number][]) {
    const batchSize = BATCH_SIZE[queue];
    if (batchSize) {
      ids.push(await workBatched(boss, queue, concurrency, batchSize));
      continue;
    }
    ids.push(
      await boss.work(
        queue,
        // One job per fetch: a slow job (a lock wait, a store timeout) never holds another back. pg-boss does
        // not burst at batchSize 1, so the hot queues' backstop poll is short (1 s) to drain a backlog left after a
        // burst when NOTIFYs stop; NOTIFY still wakes idle workers at once. Rare queues poll less (BACKSTOP_S).
        {
          includeMetadata: true,
          batchSize: 1,
          localConcurrency: concurrency,
          pollingIntervalSeconds: 0.5,
          notifyPollingIntervalSeconds: BACKSTOP_S[queue] ?? 1,
        },
        async (jobs: JobWithMetadata<any>[]) => {
          let out: unknown;
          for (const job of jobs) out = await runJob(queue, job);
          // A reconcile job's summary (per store: counts, phase timings) becomes its output in pgboss.job,
          // for operators and the benchmark; other queues keep none (their results can be large).
          return queue === QUEUES.reconcile ? out : undefined;
        },
      ),
    );
  }
  await boss
    .schedule(QUEUES.sweep, "* * * * *", {})
    .catch((err: unknown) => console.error("[worker] could not schedule sweep:", err));
  await boss
    .schedule(QUEUES.dailySummary, "0 * * * *", {})
    .catch((err: unknown) => console.error("[worker] could not schedule daily summary:", err)); // issue 6
  await boss
    .schedule(QUEUES.forecastTick, "23 * * * *", {})
    .catch((err: unknown) => console.error("[worker] could not schedule forecasts:", err)); // issue 18
  await boss
    .schedule(QUEUES.maintenance, "17 * * * *", {})
    .catch((err: unknown) => console.error("[worker] could not schedule maintenance:", err)); // issue 13
  await boss
    .schedule(QUEUES.analyticsTick, "*/5 * * * *", {})
    .catch((err: unknown) => console.error("[worker] could not schedule analytics:", err)); // issue 18
  await boss
    .schedule(QUEUES.reconcileTick, "* * * * *", {})
    .catch((err: unknown) => console.error("[worker] could not schedule reconciliation:", err));
  await boss
    .schedule(QUEUES.pollTick, "* * * * *", {})
    .catch((err: unknown) => console.error("[worker] could not schedule channel polls:", err)); // issue 16
  return {
    boss,
    stop: async () => {
      for (const q of Object.keys(CONCURRENCY)) await boss.offWork(q, { wait: true }).catch(() => {});
    },
  };
}

/** Re-sending dead letters lives with the queue (a leaf the models may use). */
export { replayDeadLetter };
