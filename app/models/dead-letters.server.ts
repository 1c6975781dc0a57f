/**
 * Dead letters of a shop: jobs whose retries are spent, waiting in pg-boss's `dead-letter` queue. The
 * cause and attempts come from the `job.dead_lettered` DomainEvent the worker writes on the last attempt
 * (matched by the original job id). A job belongs to the shop when its data names the shop or its
 * event does. Replay re-sends the data to the original queue (app/jobs/queue.server.ts
 * `replayDeadLetter`); discard completes the dead letter with the reason and records a
 * `dead_letter.discarded` event.
 */
import prisma from "../db.server";
import { getBoss, replayDeadLetter, QUEUES, type QueueName } from "../jobs/queue.server";
import { emitEvent } from "../sync/events.server";

/** One dead letter (JSON-safe). */
export interface DeadLetterView {
  id: string;
  queue: string;
  cause: string;
  attempts: number | null;
  failedAt: string;
  /** Short description of what the job was doing (store, items, receipt). */
  summary: string;
  data: unknown;
}

const MAX_EVENTS = 2000;

/** The shop's dead letters, newest first (at most `limit`). */
export async function listDeadLetters(shopId: string, limit = 200): Promise<DeadLetterView[]> {
  const [events, channels] = await Promise.all([
    prisma.domainEvent.findMany({
      where: { shopId, type: "job.dead_lettered" },
      orderBy: { createdAt: "desc" },
      take: MAX_EVENTS,
      select: { payload: true },
    }),
    prisma.channel.findMany({ where: { shopId }, select: { id: true, name: true } }),
  ]);
  const byJob = new Map<string, { queue?: string; cause?: string; attempts?: number }>();
  for (const e of events) {
    const p = e.payload as { jobId?: string; queue?: string; cause?: string; attempts?: number };
    if (p?.jobId && !byJob.has(p.jobId)) byJob.set(p.jobId, p);
  }
  const names = new Map(channels.map((c) => [c.id, c.name]));
  const boss = await getBoss();
  const jobs = await boss.findJobs<Record<string, unknown>>(QUEUES.deadLetter, { queued: true });
  const mine = jobs.filter(
    (j) => (j.data as { shopId?: string } | null)?.shopId === shopId || (j.sourceId && byJob.has(j.sourceId)),
  );
  mine.sort((a, b) => b.createdOn.getTime() - a.createdOn.getTime());
  // Order imports (issue 15) name their order: one query for the page.
  const orderIds = mine
    .slice(0, limit)
    .map((j) => (j.data as { orderId?: unknown } | null)?.orderId)
    .filter((x): x is string => typeof x === "string");
  const orders = new Map(
    (orderIds.length
      ? await prisma.order.findMany({ where: { shopId, id: { in: orderIds } }, select: { id: true, number: true } })
      : []
    ).map((o) => [o.id, o.number.startsWith("#") ? o.number : `#${o.number}`]),
  );
  return mine.slice(0, limit).map((j) => {
    const ev = (j.sourceId && byJob.get(j.sourceId)) || {};
    const data = (j.data ?? {}) as {
      channelId?: string;
      itemIds?: string[];
      receiptId?: string;
      adjustmentId?: string;
      deliveryId?: string;
      orderId?: string;
      action?: string;
    };
    const parts: string[] = [];
    if (data.orderId)
      parts.push(
        `${data.action === "cancel" ? "cancel of order" : "order"} ${orders.get(data.orderId) ?? data.orderId}`,
      );
    if (data.channelId) parts.push(names.get(data.channelId) ?? "a removed store");
    if (Array.isArray(data.itemIds)) parts.push(`${data.itemIds.length} SKU${data.itemIds.length === 1 ? "" : "s"}`);
    if (data.receiptId) parts.push(`webhook receipt ${data.receiptId}`);
    if (data.adjustmentId) parts.push(`Shopify adjustment ${data.adjustmentId}`);
    if (data.deliveryId) parts.push(`outbound webhook delivery ${data.deliveryId}`);
    return {
      id: j.id,
      queue: j.sourceName ?? ev.queue ?? "unknown",
      cause: ev.cause ?? "No cause recorded (the job failed before SyncFlow could record why).",
      attempts: ev.attempts ?? (j.sourceRetryCount != null ? j.sourceRetryCount + 1 : null),
      failedAt: j.createdOn.toISOString(),
      summary: parts.join(" · ") || "—",
      data: j.data,
    };
  });
}

/** Replays the shop's dead letters `ids` (others are ignored). @returns how many were re-sent. */
export async function replayDeadLetters(shopId: string, ids: string[]): Promise<number> {
  const wanted = new Set(ids);
  const mine = (await listDeadLetters(shopId, 10_000)).filter((d) => wanted.has(d.id));
  const byQueue = new Map<string, string[]>();
  for (const d of mine) byQueue.set(d.queue, [...(byQueue.get(d.queue) ?? []), d.id]);
  let n = 0;
  const boss = await getBoss();
  for (const [queue, jobIds] of byQueue) {
    if (queue === "unknown") continue;
    n += await replayDeadLetter(jobIds, queue as QueueName);
    // The dead letters are queued (never fetched): make sure they leave the list.
    await boss.complete(QUEUES.deadLetter, jobIds, { replayed: true }, { includeQueued: true }).catch(() => {});
  }
  return n;
}

/** Discards the shop's dead letters `ids` with `reason` (kept in a `dead_letter.discarded` event). */
export async function discardDeadLetters(
  shopId: string,
  ids: string[],
  reason: string,
  actor: string,
): Promise<number> {
  const wanted = new Set(ids);
  const mine = (await listDeadLetters(shopId, 10_000)).filter((d) => wanted.has(d.id));
  if (!mine.length) return 0;
  const boss = await getBoss();
  await boss.complete(
    QUEUES.deadLetter,
    mine.map((d) => d.id),
    { discarded: true, reason },
    { includeQueued: true },
  );
  for (const d of mine) {
    await emitEvent(shopId, "dead_letter.discarded", {
      jobId: d.id,
      queue: d.queue,
      cause: d.cause,
      reason,
      actor,
      data: d.data as object,
    });
  }
  return mine.length;
}
