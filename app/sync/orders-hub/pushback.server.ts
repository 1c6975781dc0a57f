/**
 * Orders hub, fulfilment pushback (issue 15 item 3): a central-shop fulfilment of an imported order goes back to the
 * store the customer bought from, exactly once per version of the fulfilment.
 *
 * (Work in progress: this first commit exports the re-queue entry point the Orders UI's bulk retry calls.)
 */
import prisma from "../../db.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";

/** Push states of an `OrderFulfilment` row (prisma/schema.prisma). */
export type PushState = "pending" | "pushing" | "pushed" | "failed" | "skipped";

/** The job's singleton key: one queued push per fulfilment row. */
export const pushJobKey = (fulfilmentId: string): string => `fulfilment-push:${fulfilmentId}`;

/**
 * Re-queues the pushbacks of `orderIds` that did not reach their source store: rows `failed` (dead-lettered) or
 * `pending` (never pushed, or a newer version not pushed yet). Each becomes `pending` again, its error cleared, and
 * one `fulfilment-push` job is sent per row (collapsed while one is queued). The push itself stays exactly-once: it
 * looks at the source before writing again (see `runFulfilmentPush`).
 * @param orderIds the hub's Order ids (any channel; unknown ids are ignored)
 * @returns how many fulfilment rows were re-queued
 */
export async function requeueFulfilmentPushback(orderIds: string[]): Promise<number> {
  if (!orderIds.length) return 0;
  const rows = await prisma.orderFulfilment.findMany({
    where: { orderId: { in: orderIds }, pushState: { in: ["failed", "pending"] } },
    select: { id: true, order: { select: { shopId: true } } },
  });
  let n = 0;
  for (const row of rows) {
    const claimed = await prisma.orderFulfilment.updateMany({
      where: { id: row.id, pushState: { in: ["failed", "pending"] } },
      data: { pushState: "pending", pushError: null, pushLeaseUntil: null },
    });
    if (claimed.count === 0) continue;
    await enqueue(
      QUEUES.fulfilmentPush,
      { shopId: row.order.shopId, fulfilmentId: row.id },
      { singletonKey: pushJobKey(row.id) },
    );
    n++;
  }
  return n;
}
