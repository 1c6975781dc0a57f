/**
 * Domain events (DomainEvent rows) that the UI and notifications read: `stock.low` when a store's
 * quantity crosses its low-stock threshold downwards, `job.dead_lettered`, `store.unhealthy`,
 * `order.imported`. Emitting is best-effort bookkeeping and never fails the caller's sync work.
 */
import prisma from "../db.server";
import type { Channel as ChannelRow, Prisma } from "@prisma/client";
import { enqueue, enqueueMany, QUEUES } from "../jobs/queue.server";

export type DomainEventType =
  | "stock.low"
  | "job.dead_lettered"
  | "store.unhealthy"
  | "order.imported"
  | "order.import_failed"
  | "conflict.raised"
  | "summary.daily"
  | "dead_letter.discarded"
  | "customers.data_request"
  | "sku.ambiguous"
  | "stock.low_cover";

/** Records one event for a shop. */
export async function emitEvent(
  shopId: string,
  type: DomainEventType,
  payload: Prisma.InputJsonValue,
  refs: { itemId?: string | null; channelId?: string | null } = {},
): Promise<void> {
  try {
    const event = await prisma.domainEvent.create({
      data: { shopId, type, payload, itemId: refs.itemId ?? null, channelId: refs.channelId ?? null },
    });
    // Issue 6: the notify job turns the event into notifications per the shop's settings (app/notify).
    await enqueue(QUEUES.notify, { shopId, eventId: event.id }, { singletonKey: `notify:${event.id}` }).catch(
      (err: unknown) => console.error(`[events] could not queue notify for ${type}:`, err),
    );
  } catch (err) {
    console.error(`[events] could not record ${type} for shop ${shopId}:`, err);
  }
}

/**
 * Records many events of one shop at once (issue 11: a push chunk's `stock.low` events) — one insert for the rows and
 * one for their notify jobs, instead of two statements per event; otherwise exactly `emitEvent` (best-effort, never
 * throws).
 */
export async function emitEvents(
  shopId: string,
  events: {
    type: DomainEventType;
    payload: Prisma.InputJsonValue;
    refs?: { itemId?: string | null; channelId?: string | null };
  }[],
): Promise<void> {
  if (!events.length) return;
  try {
    const rows = await prisma.domainEvent.createManyAndReturn({
      data: events.map((e) => ({
        shopId,
        type: e.type,
        payload: e.payload,
        itemId: e.refs?.itemId ?? null,
        channelId: e.refs?.channelId ?? null,
      })),
      select: { id: true },
    });
    await enqueueMany(
      QUEUES.notify,
      rows.map((r) => ({ data: { shopId, eventId: r.id }, singletonKey: `notify:${r.id}` })),
    ).catch((err: unknown) => console.error(`[events] could not queue notify for ${rows.length} events:`, err));
  } catch (err) {
    console.error(`[events] could not record ${events.length} events for shop ${shopId}:`, err);
  }
}

/**
 * Emits `stock.low` when a store's quantity goes from above its threshold to at/below it (one event per
 * crossing, so an item that stays low does not repeat). Threshold: the channel's, else the shop's.
 */
export async function emitLowStockIfCrossed(
  channel: ChannelRow,
  itemId: string,
  before: number | null,
  after: number | null,
): Promise<void> {
  if (after == null) return;
  const shop = await prisma.shop.findUnique({ where: { id: channel.shopId }, select: { lowStockThreshold: true } });
  const threshold = channel.lowStockThreshold ?? shop?.lowStockThreshold ?? 0;
  if (after <= threshold && (before == null || before > threshold)) {
    await emitEvent(
      channel.shopId,
      "stock.low",
      { channelId: channel.id, itemId, quantity: after, threshold },
      { itemId, channelId: channel.id },
    );
  }
}
