/**
 * Merchant retries of the orders hub (Orders page bulk retry and the order detail's per-step retry; issue 15 item 5,
 * decision 242). Nothing here imports or pushes by itself: each retry re-enters the engine's own path, so its
 * exactly-once rules still hold —
 * - an import re-queues the `order-import` job (app/sync/orders-hub/import.server.ts `runOrderImport`, which looks the
 *   order's unique key up in Shopify before creating): the order's dead letter is replayed when there is one (its
 *   data carries the delivery's addresses), otherwise the last job's data is sent again; an order with neither was
 *   never queued and SyncFlow keeps no copy of its addresses — reconciliation's catch-up imports it from the store;
 * - a pushback re-queues through `requeueFulfilmentPushback` (pushback.server.ts).
 * Every order id is checked against the shop first (another shop's ids are ignored).
 */
import prisma from "../../db.server";
import { getBoss, QUEUES, replayDeadLetter, type JobData } from "../../jobs/queue.server";
import { importKeyOf } from "./import.server";
import { requeueFulfilmentPushback } from "./pushback.server";

/** What a retry did: how many were re-queued, and why the others were not (merchant-readable). */
export interface RetryOutcome {
  requeued: number;
  skipped: { orderId: string; number: string; reason: string }[];
}

/** Most orders one retry takes (the Orders page selects at most a page; bulk "all" is capped here). */
export const MAX_RETRY = 250;

/** Job states in which an `order-import` job is still to run (pg-boss 12: created, retry, active). */
const LIVE = new Set(["created", "retry", "active"]);

/**
 * Re-queues the import of `orderIds` of `shopId` that have no central order yet.
 * @returns re-queued count and the skipped orders with the reason (already imported, cancelled, already queued, no
 *   stored delivery)
 */
export async function retryOrderImports(shopId: string, orderIds: string[]): Promise<RetryOutcome> {
  const orders = await prisma.order.findMany({
    where: { shopId, id: { in: orderIds.slice(0, MAX_RETRY) } },
    select: {
      id: true,
      number: true,
      channelId: true,
      externalId: true,
      cancelledAt: true,
      centralOrderId: true,
      importState: true,
      channel: { select: { kind: true } },
    },
  });
  const out: RetryOutcome = { requeued: 0, skipped: [] };
  const skip = (o: { id: string; number: string }, reason: string) =>
    out.skipped.push({ orderId: o.id, number: o.number, reason });
  const boss = await getBoss();
  for (const o of orders) {
    if (o.channel.kind === "shopify") {
      skip(o, "It is an order of this Shopify shop itself.");
      continue;
    }
    if (o.centralOrderId) {
      skip(o, "Already imported.");
      continue;
    }
    if (o.cancelledAt) {
      skip(o, "Cancelled at the store; a cancelled order is not imported.");
      continue;
    }
    const claim = () =>
      prisma.order.updateMany({
        where: { id: o.id, centralOrderId: null },
        data: { importState: "queued", importKey: importKeyOf(o.channelId, o.externalId), importLeaseUntil: null },
      });
    // 1. Its dead letter (retries spent): replayed to `order-import`, once even when two merchants click at once.
    const dead = (await boss.findJobs(QUEUES.deadLetter, { data: { orderId: o.id }, queued: true })).filter(
      (j) => (j as { sourceName?: string | null }).sourceName === QUEUES.orderImport,
    );
    if (dead.length) {
      const ids = dead.map((j) => j.id);
      const n = await replayDeadLetter(ids, QUEUES.orderImport);
      await boss.complete(QUEUES.deadLetter, ids, { replayed: true }, { includeQueued: true }).catch(() => {});
      if (n > 0) {
        await claim();
        out.requeued++;
      } else skip(o, "Its retry is already under way.");
      continue;
    }
    // 2. A job of it still to run: nothing to add.
    const jobs = await boss.findJobs<JobData["order-import"]>(QUEUES.orderImport, { data: { orderId: o.id } });
    if (jobs.some((j) => LIVE.has(j.state))) {
      skip(o, "Its import is already queued.");
      continue;
    }
    // 3. Its last job's data (the delivery's addresses), sent again as a fresh import.
    const last = jobs
      .filter((j) => (j.data.action ?? "import") === "import")
      .sort((a, b) => b.createdOn.getTime() - a.createdOn.getTime())[0];
    if (!last) {
      skip(
        o,
        o.importState
          ? "SyncFlow no longer holds this order's delivery; reconciliation re-reads it from the store."
          : "It was never queued for import (import was off, or it was outside the look-back window); reconciliation imports it from the store within the look-back window.",
      );
      continue;
    }
    await claim();
    await boss.send(
      QUEUES.orderImport,
      { shopId, orderId: o.id, source: last.data.source },
      { singletonKey: `order-import:${o.id}` },
    );
    out.requeued++;
  }
  return out;
}

/**
 * Re-queues the pushback of the central fulfilments of `orderIds` of `shopId` that did not reach the source
 * (failed or still pending) through `requeueFulfilmentPushback`.
 * @returns re-queued fulfilment count; orders with nothing to push are listed as skipped
 */
export async function retryOrderPushbacks(shopId: string, orderIds: string[]): Promise<RetryOutcome> {
  const orders = await prisma.order.findMany({
    where: { shopId, id: { in: orderIds.slice(0, MAX_RETRY) } },
    select: { id: true, number: true, fulfilments: { select: { pushState: true } } },
  });
  const out: RetryOutcome = { requeued: 0, skipped: [] };
  const due = orders.filter((o) => o.fulfilments.some((f) => f.pushState === "failed" || f.pushState === "pending"));
  for (const o of orders)
    if (!due.includes(o))
      out.skipped.push({
        orderId: o.id,
        number: o.number,
        reason: o.fulfilments.length ? "Its fulfilments already reached the store." : "Nothing shipped yet.",
      });
  out.requeued = await requeueFulfilmentPushback(due.map((o) => o.id));
  return out;
}
