/**
 * Durable background work on pg-boss 12 in the app's own PostgreSQL (docs/decisions/002-pg-boss-queue.md).
 *
 * Queues (one per task, `app/jobs/<task>.server.ts`) share one retry policy by pg-boss's standard names:
 * `retryLimit`, `retryDelay` (s), `retryBackoff` (exponential with jitter), `retryDelayMax`, and a
 * `deadLetter` queue where a job lands with its data once its retries are spent. Queues use
 * LISTEN/NOTIFY so a worker wakes as soon as a job is sent (polling stays as the backstop).
 *
 * A leaf (docs/decisions/182): this module imports nothing of the app. The engine and the models send jobs through
 * `enqueue`, typed per queue by `JobData`; the worker (app/jobs/worker.server.ts) is the composition root that maps
 * each queue to its handler.
 */
import { PgBoss } from "pg-boss";
import { env } from "../env.server";

export const QUEUES = {
  /** Process one stored webhook receipt. data: { receiptId } */
  webhook: "webhook",
  /** Apply one pending sale/restock to Shopify. data: { shopId, adjustmentId } */
  shopifyAdjust: "shopify-adjust",
  /** Drain one store's requested pushes (docs/decisions/100; collapsed per store). data: { shopId, channelId, itemIds? (legacy) } */
  pushStock: "push-stock",
  /** Read a store's catalog and link SKUs. data: { shopId, channelId } */
  linkChannel: "link-channel",
  /**
   * A freshly linked store's second initial-push check, sent delayed (startAfter) past every process's cached store
   * list (app/sync/stores/link.server.ts `queueInitialPushes`). data: { shopId, channelId }
   */
  initialPushCheck: "initial-push-check",
  /** Reconcile a shop's stores (or one). data: { shopId, channelId?, dryRun, trigger } */
  reconcile: "reconcile",
  /** Every minute: queue reconciliations that are due per shop schedule. data: {} */
  reconcileTick: "reconcile-tick",
  /** Re-enqueue receipts stuck in "received" (ack happened, enqueue did not). data: {} */
  sweep: "sweep",
  /** Inventory bulk action (sync now, set buffer, link, unlink) with progress in a SyncRun. data: BulkJobData (app/jobs/bulk.server.ts) */
  bulk: "bulk",
  /** Drain a shop's requested rebalances in batches (docs/decisions/008, 104; collapsed per shop). data: { shopId, itemId? (legacy) } */
  rebalance: "rebalance",
  /**
   * Import one sales-channel order into the central shop (orders hub, app/sync/orders-hub; decisions 215–218).
   * data: { shopId, orderId, source, deferrals? }
   */
  orderImport: "order-import",
  /** Every minute: queue a poll for each polled sales channel that is due (issue 16, app/sync/intake/poll.server.ts). data: {} */
  pollTick: "poll-tick",
  /** Poll one polled sales channel (Amazon) for orders since its cursor (collapsed per channel). data: { shopId, channelId } */
  pollChannel: "poll-channel",
  /**
   * Push one central fulfilment (tracking) back to the source store of an imported order (orders hub pushback,
   * app/sync/orders-hub/pushback.server.ts). data: { shopId, fulfilmentId, deferrals? }
   */
  fulfilmentPush: "fulfilment-push",
  /** Dead letters: jobs whose retries are spent, with their data. */
  deadLetter: "dead-letter",
  // ---- notifications, sheets (issue 6; app/notify, app/exports) ----
  /** Turn one DomainEvent into notifications per the shop's settings. data: { eventId } */
  notify: "notify",
  /** Deliver one Notification row (email/SMS), flush a digest, or poll an SMS status. data: { notificationId } | { digest: { shopId, channel } } | { smsStatus: notificationId } */
  notifySend: "notify-send",
  /** Evaluate low / out-of-stock alerts from new ledger rows (debounced per shop). data: { shopId } */
  stockWatch: "stock-watch",
  /** Update changed rows of the shop's Google Sheet (debounced per shop) or rewrite it. data: { shopId, full? } */
  sheetsSync: "sheets-sync",
  /** Hourly: send the daily summary to shops whose local summary hour it is. data: {} */
  dailySummary: "daily-summary",
  /**
   * Issue 18 (R): hourly, recompute every analytics shop's forecasts and raise low-cover notifications
   * (app/forecast/forecast.server.ts); with `shopId`, that shop only (the Reorder page's Recalculate). data: { shopId? }
   */
  forecastTick: "forecast-tick",
  /** Hourly: key rotation, webhook payload retention, nonce pruning (app/jobs/maintenance.server.ts). data: {} */
  maintenance: "maintenance",
  /** Every 5 minutes: analytics rollup refresh and the daily inventory-value snapshot (app/analytics, issue 18). data: {} */
  analyticsTick: "analytics-tick",
  /** Deliver one outbound webhook to the merchant's endpoint (app/outbound, issue 18). data: { shopId, deliveryId } */
  webhookDeliver: "webhook-deliver",
  /** Fan a shop's new ledger rows out to its `stock.changed` subscriptions (debounced per shop). data: { shopId } */
  webhookStock: "webhook-stock",
} as const;

/**
 * Queue policy per queue (pg-boss `policy`; default "standard"). "short" keeps at most one *queued* job
 * per singletonKey, so a burst of sends collapses into one debounced job (issue 6).
 */
export const QUEUE_POLICY: Partial<Record<string, "standard" | "short" | "stately">> = {
  "stock-watch": "short",
  "sheets-sync": "short",
  // One queued drain per store (singletonKey push:<channelId>); the drainer's lease keeps one running (decision 100).
  "push-stock": "short",
  // One queued + one running per shop (singletonKey rebalance:<shopId>); the drainer's lock keeps one at work.
  rebalance: "stately",
  // One queued poll per channel (singletonKey poll:<channelId>); the poll state's claim keeps one running.
  "poll-channel": "short",
  "webhook-stock": "short",
};

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Job data per queue: what `enqueue` accepts and each handler receives (ids are the hub's own ids). */
export interface JobData {
  webhook: { receiptId: string };
  "shopify-adjust": { shopId: string; adjustmentId: string };
  /** `itemIds`: jobs queued before pushes were coalesced (decision 100). */
  "push-stock": { shopId: string; channelId: string; itemIds?: string[] };
  "link-channel": { shopId: string; channelId: string };
  "initial-push-check": { shopId: string; channelId: string };
  reconcile: { shopId: string; channelId?: string; dryRun?: boolean; trigger?: string };
  "reconcile-tick": Record<string, never>;
  sweep: Record<string, never>;
  /** The inventory page's bulk action (its full shape: `BulkJobData`, app/jobs/bulk.server.ts). */
  bulk: {
    shopId: string;
    runId: string;
    action: "sync" | "buffer" | "link" | "unlink";
    channelIds: string[];
    itemIds: string[] | null;
    filter?: object;
    buffer?: { units: number; percent: number };
    actor?: string;
  };
  /** `itemId`: jobs queued per item before rebalancing was batched (decision 104). */
  rebalance: { shopId: string; itemId?: string };
  /**
   * `source`: what the order row does not keep — the addresses (`OrderAddress`, app/channels/record.ts; the queue is a
   * leaf and names no app type), paid at the source, shipping charged. `deferrals`: times the job waited for the
   * order's own stock writes to reach the record first.
   */
  "order-import": {
    shopId: string;
    orderId: string;
    source: {
      shippingAddress: Record<string, string | null> | null;
      billingAddress: Record<string, string | null> | null;
      paid: boolean | null;
      shipping: { title: string; price: string } | null;
    };
    deferrals?: number;
    /** "cancel": the source cancelled an imported order — cancel the central one without restock (decision 219). */
    action?: "import" | "cancel";
  };
  "poll-tick": Record<string, never>;
  "poll-channel": { shopId: string; channelId: string };
  /** `fulfilmentId`: the OrderFulfilment row (the hub's id); the job pushes its current version, once. */
  "fulfilment-push": { shopId: string; fulfilmentId: string; deferrals?: number };
  "dead-letter": object;
  notify: { shopId?: string; eventId: string };
  "notify-send": {
    shopId: string;
    notificationId?: string;
    digest?: { channel: "email" | "sms"; recipient: string };
    smsStatus?: string;
    poll?: number;
  };
  "stock-watch": { shopId: string };
  "sheets-sync": { shopId: string; full?: boolean };
  "daily-summary": Record<string, never>;
  "forecast-tick": { shopId?: string };
  maintenance: Record<string, never>;
  "analytics-tick": Record<string, never>;
  "webhook-deliver": { shopId: string; deliveryId: string };
  "webhook-stock": { shopId: string };
}

/** Retry policy per queue (seconds). Tests may shorten delays with SYNCFLOW_RETRY_DELAY_S. */
export function retryPolicy(): {
  retryLimit: number;
  retryDelay: number;
  retryBackoff: boolean;
  retryDelayMax: number;
} {
  const delay = env.SYNCFLOW_RETRY_DELAY_S;
  return { retryLimit: env.SYNCFLOW_RETRY_LIMIT, retryDelay: delay, retryBackoff: true, retryDelayMax: 300 };
}

/**
 * Liveness of a claimed job (docs/decisions/035-killed-worker-recovery.md): workers refresh a heartbeat
 * every heartbeatSeconds/2 while a handler runs; a job whose worker died (SIGKILL, OOM, lost host) stops
 * beating and pg-boss's monitor fails it into a retry after `heartbeatSeconds` instead of waiting for the
 * 15-minute expiry. pg-boss requires ≥ 10. Env SYNCFLOW_JOB_HEARTBEAT_S (default 30).
 */
export function heartbeatSeconds(): number {
  return Math.max(10, Math.round(env.SYNCFLOW_JOB_HEARTBEAT_S));
}

/** Tests only: SYNCFLOW_QUEUE_SUPERVISE_S shortens pg-boss's monitor pass (default 60 s) so dead claims are found fast. */
function superviseOptions(): { superviseIntervalSeconds?: number; monitorIntervalSeconds?: number } {
  const s = env.SYNCFLOW_QUEUE_SUPERVISE_S;
  return s ? { superviseIntervalSeconds: s, monitorIntervalSeconds: s } : {};
}

let bossPromise: Promise<PgBoss> | null = null;

/**
 * The process-wide pg-boss instance, started, with every queue created. Needs DATABASE_URL.
 * Throws when the database cannot be reached.
 */
export function getBoss(): Promise<PgBoss> {
  bossPromise ??= (async () => {
    const connectionString = env.DATABASE_URL;
    if (!connectionString) throw new Error("DATABASE_URL is not set");
    // SYNCFLOW_QUEUE_SCHEMA (tests only): a private pg-boss schema, so one test file's workers never run another's jobs.
    const schema = env.SYNCFLOW_QUEUE_SCHEMA ? { schema: env.SYNCFLOW_QUEUE_SCHEMA } : {};
    const boss = new PgBoss({
      connectionString,
      ...schema,
      ...superviseOptions(),
      max: env.QUEUE_POOL_MAX,
      application_name: "syncflow-queue",
      useListenNotify: true,
    });
    boss.on("error", (err: unknown) => console.error("[queue] pg-boss error:", err));
    await boss.start();
    await boss.createQueue(QUEUES.deadLetter, { notify: false }).catch(ignoreExists);
    const policy = { ...retryPolicy(), heartbeatSeconds: heartbeatSeconds() };
    for (const name of Object.values(QUEUES)) {
      if (name === QUEUES.deadLetter) continue;
      await boss
        .createQueue(name, {
          ...policy,
          ...(QUEUE_POLICY[name] ? { policy: QUEUE_POLICY[name] } : {}),
          deadLetter: QUEUES.deadLetter,
          notify: true,
        })
        .catch(ignoreExists);
      await boss.updateQueue(name, { ...policy, notify: true }).catch(() => {});
    }
    return boss;
  })();
  bossPromise.catch(() => (bossPromise = null));
  return bossPromise;
}

function ignoreExists(err: unknown): void {
  if (!/already exists/i.test(String((err as Error)?.message ?? err))) throw err;
}

/**
 * Sends a job. `singletonKey` collapses duplicates while one is queued (pg-boss semantics).
 * @returns the job id, or null when pg-boss dropped it as a duplicate.
 */
export async function enqueue<N extends QueueName>(
  name: N,
  data: JobData[N],
  opts: { singletonKey?: string; startAfterSeconds?: number } = {},
): Promise<string | null> {
  const boss = await getBoss();
  return boss.send(name, data, {
    ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
    ...(opts.startAfterSeconds ? { startAfter: opts.startAfterSeconds } : {}),
  });
}

/**
 * Sends many jobs of one queue in one statement (pg-boss `insert`, the queue's retry policy and dead letter apply as for
 * `enqueue`); each job keeps its own `singletonKey`. Issue 11: one insert for a chunk's events instead of one per event.
 */
export async function enqueueMany<N extends QueueName>(
  name: N,
  jobs: { data: JobData[N]; singletonKey?: string }[],
): Promise<void> {
  if (!jobs.length) return;
  const boss = await getBoss();
  await boss.insert(
    name,
    jobs.map((j) => ({ data: j.data, ...(j.singletonKey ? { singletonKey: j.singletonKey } : {}) })),
  );
}

/**
 * Re-sends dead letters to their original queue (or `originalQueue`), each at most once even when two operators
 * replay the same job at the same time (the dead letter is claimed by cancelling it first).
 * @returns how many were re-sent
 */
export async function replayDeadLetter(jobIds: string[], originalQueue?: QueueName): Promise<number> {
  const boss = await getBoss();
  let n = 0;
  for (const id of jobIds) {
    const [job] = await boss.findJobs(QUEUES.deadLetter, { id });
    if (!job) continue;
    const target =
      originalQueue ?? ((job as { sourceName?: string | null }).sourceName as QueueName | null | undefined);
    if (!target) continue;
    // complete() only settles *active* jobs; a dead letter sits in "created", so claim it by cancelling.
    const claim = (await boss.cancel(QUEUES.deadLetter, id)) as { affected?: number };
    if (claim.affected !== 1) continue; // already replayed (or being replayed) by someone else
    try {
      await boss.send(target, job.data as object);
    } catch (err) {
      await boss.resume(QUEUES.deadLetter, id).catch(() => {});
      throw err;
    }
    n++;
  }
  return n;
}

/**
 * Deletes the jobs whose payload names a shop (`data.shopId`) in every state but active (queued, retrying, finished,
 * failed, dead letters): shop/redact erases the shop, and a job for it could only fail — or keep its payload for
 * pg-boss's retention. An active job finishes and finds no shop. @returns how many were deleted.
 */
export async function deleteQueuedJobsOfShop(shopId: string): Promise<number> {
  const boss = await getBoss();
  const schema = (env.SYNCFLOW_QUEUE_SCHEMA ?? "pgboss").replace(/"/g, '""');
  const { rows } = await boss
    .getDb()
    .executeSql(
      `WITH gone AS (DELETE FROM "${schema}".job WHERE data->>'shopId' = $1 AND state <> 'active' RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      [shopId],
    );
  return (rows[0] as { n?: number } | undefined)?.n ?? 0;
}

/** Stops the process-wide instance (graceful: waits for active jobs up to `timeoutMs`). */
export async function stopBoss(timeoutMs = 10_000): Promise<void> {
  if (!bossPromise) return;
  const boss = await bossPromise.catch(() => null);
  bossPromise = null;
  await boss?.stop({ graceful: true, timeout: timeoutMs, close: true });
}
