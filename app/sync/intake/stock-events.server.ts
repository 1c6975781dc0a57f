/**
 * The plugin's stock events (docs/contracts/hub-api-v1.md §2 "stock events"; decisions 130–132): each stock change a
 * WooCommerce store makes, reported by SyncFlow for WooCommerce ≥ 1.1 with its cause, and applied by the hub as what
 * the store really did — instead of inferring stock moves from order statuses.
 *
 * Intake (`acceptStockEvents`, route `POST /api/woo/stock-events`): every valid event is stored as a webhook receipt
 * (topic `stock.event`, dedupe key = channel + event id, so a resent event is a no-op) before the answer, and its
 * `webhook` job applies it (persist, acknowledge, then work: GUIDE §2 rule 4). An invalid event is answered as
 * `rejected` with a reason — never stored, never retried by the plugin — so one bad event cannot block the store's
 * outbox; a malformed envelope is a 400.
 *
 * The plugin's wire shape and cause words are read by the WooCommerce adapter (app/channels/woocommerce/stock-events.ts)
 * into the port's `StockChange`; this module applies the normalised change (decision 200).
 *
 * Effects by kind (`applyStockEvent`):
 * - "order" (WooCommerce `order_reduced`, `order_restocked` → cancelled / → pending, `refund_restocked`,
 *   `order_adjusted` — a line edited in wp-admin): the order line's tally moves to the change's `order.lineTaken`
 *   (WooCommerce's `_reduced_stock` after the change) through orders.server.ts `moveLineTallies` — a Shopify adjustment through the existing pending-adjustment
 *   path, the store's baseline moved by the same delta. Events of one store carry a stream id and an increasing
 *   sequence: an event older than the last one applied to its line changes nothing, so a late or resent event never
 *   undoes a newer one. A store that reports events moves no stock from its order webhooks (orders.server.ts); an
 *   event reaching a tally its webhook set before the store switched to events moves nothing.
 * - "echo" (`hub_write`): the hub's own write coming back (plugin endpoints with its request key, or REST with its
 *   key) — the store's observed quantity is noted, nothing moves (GUIDE §2 rule 5).
 * - "store" (`admin_edit`, `import`, `rest_api`, `other`, or a cause this hub does not know): a change on the
 *   store that is no sale. Never taken as one: it is a ledger row (cause `store`) and follows the store's conflict
 *   policy — `shopify_wins`: the baseline moves to what the store shows and the store is pushed back to its derived
 *   quantity at once (corrected from Shopify); `review`: a `store_edit` conflict is opened for a person and the store
 *   keeps its value until it is resolved. A negative result always opens a `negative_stock` conflict.
 */
import prisma from "../../db.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { appendLedger } from "../stock/ledger.server";
import {
  channelLinkedAt,
  lockOrCreateOrder,
  placedBeforeLink,
  moveLineTallies,
  resolveOrderLines,
} from "./orders.server";
import { derivedQuantities } from "../stock/push.server";
import { feedLocations } from "../stock/derive";
import { openConflict } from "../reconcile/conflicts.server";
import { emitEvent } from "../events.server";
import type { Channel as ChannelRow } from "@prisma/client";
import type { StockChange } from "../../channels/events";

export interface StockEventOutcome {
  status: "processed" | "ignored";
  note: string;
  adjustmentIds: string[];
  itemIds: string[];
}

const done = (status: StockEventOutcome["status"], note: string): StockEventOutcome => ({
  status,
  note,
  adjustmentIds: [],
  itemIds: [],
});

/**
 * Applies one stored stock event of `channel` (see the module comment). Idempotent: the order path is guarded by
 * the line's stream + sequence and the adjustments' keys, the store-change path by the ledger key of the event.
 * @throws on database errors (the job retries)
 */
export async function applyStockEvent(channel: ChannelRow, e: StockChange): Promise<StockEventOutcome> {
  if (e.kind === "order" && e.order) return applyOrderEvent(channel, e, e.order);
  const listing = await prisma.listing.findUnique({
    where: { channelId_externalId: { channelId: channel.id, externalId: e.listingId } },
  });
  if (!listing?.itemId || listing.matchStatus !== "linked")
    return done("ignored", "not a linked listing of this store");
  if (e.kind === "echo") {
    await prisma.listing.update({
      where: { id: listing.id },
      data: { lastObservedQuantity: e.after, lastObservedAt: new Date(e.at) },
    });
    return done("processed", `echo of the hub's own write${e.requestKey ? ` (${e.requestKey})` : ""}`);
  }
  return applyStoreChange(channel, listing as typeof listing & { itemId: string }, e);
}

/** An order's stock move: the line's tally follows the event (sequence-guarded). */
async function applyOrderEvent(
  channel: ChannelRow,
  e: StockChange,
  o: NonNullable<StockChange["order"]>,
): Promise<StockEventOutcome> {
  const orderExternalId = o.orderId;
  const linked = await channelLinkedAt(channel);
  const res = await prisma.$transaction(async (tx) => {
    const order = await lockOrCreateOrder(tx, {
      shopId: channel.shopId,
      channelId: channel.id,
      externalId: orderExternalId,
      number: orderExternalId,
      status: o.status ?? "unknown",
      placedAt: new Date(e.at),
      sourceModifiedAt: null,
    });
    const [line] = await resolveOrderLines(tx, channel, [
      { lineId: o.lineId, listingExternalId: e.listingId, sku: e.sku },
    ]);
    const saved = await tx.orderLine.upsert({
      where: { orderId_externalLineId: { orderId: order.id, externalLineId: line!.lineId } },
      create: {
        orderId: order.id,
        externalLineId: line!.lineId,
        sku: line!.sku,
        itemId: line!.itemId,
        title: e.sku ?? "",
        quantity: o.lineQuantity ?? Math.abs(e.delta),
      },
      update: {},
    });
    if (saved.stockEventSeq != null && saved.stockEventStream === e.stream && saved.stockEventSeq >= e.seq) return null;
    const target = o.lineTaken ?? saved.stockTakenQuantity - e.delta;
    const [{ number, placedAt }] = await tx.$queryRaw<{ number: string; placedAt: Date }[]>`
      SELECT number, "placedAt" FROM "Order" WHERE id = ${order.id}`;
    // An order sold before the link (decision 260). A change made before the link (its event delivered late) is in
    // the quantity the store had at link time: the line takes the store's tally and nothing moves. A change after the
    // link moves stock; when no event has reached the line yet, the hub's tally is the adoption's (the store's tally
    // when the hub first heard of the order — possibly already AFTER this change: the cancel's webhook came first and
    // adopted 0), so the line is counted from the tally the store held just before it (`lineTaken` − the stock delta).
    let taken = saved.stockTakenQuantity;
    if (placedBeforeLink(placedAt, linked)) {
      if (placedBeforeLink(new Date(e.at), linked)) {
        taken = target;
        await tx.orderLine.update({ where: { id: saved.id }, data: { stockTakenQuantity: target } });
      } else if (saved.stockEventSeq == null && o.lineTaken != null) taken = o.lineTaken + e.delta;
    }
    const moved = await moveLineTallies(
      tx,
      channel,
      { id: order.id, externalId: orderExternalId, number },
      [
        {
          line: { ...line!, itemId: line!.itemId ?? saved.itemId },
          orderLineId: saved.id,
          taken,
          target,
        },
      ],
      { kind: "event", move: o.move, status: o.status, eventId: e.id },
    );
    await tx.orderLine.update({ where: { id: saved.id }, data: { stockEventStream: e.stream, stockEventSeq: e.seq } });
    return { orderId: order.id, ...moved, from: taken, target };
  });
  if (!res) return done("ignored", "older than a stock event already applied to this order line");
  if (res.taken)
    await emitEvent(
      channel.shopId,
      "order.imported",
      { channelId: channel.id, orderId: res.orderId },
      { channelId: channel.id },
    );
  const note = res.adjustmentIds.length
    ? `order #${orderExternalId} line ${o.lineId}: ${e.cause} (${res.from} → ${res.target} units held)`
    : `order #${orderExternalId} line ${o.lineId}: ${e.cause}, already counted`;
  return { status: "processed", note, adjustmentIds: res.adjustmentIds, itemIds: res.itemIds };
}

/** A change on the store that is no order: ledger row, then the store's conflict policy. */
async function applyStoreChange(
  channel: ChannelRow,
  listing: { id: string; itemId: string; sku: string | null; lastWrittenQuantity: number | null },
  e: StockChange,
): Promise<StockEventOutcome> {
  const label = e.label;
  const review = channel.conflictPolicy === "review";
  const recorded = await prisma.$transaction(async (tx) => {
    const fresh = await appendLedger(tx, {
      shopId: channel.shopId,
      itemId: listing.itemId,
      channelId: channel.id,
      cause: "store",
      delta: e.delta,
      before: e.before,
      after: e.after,
      idempotencyKey: `stock-event:${channel.id}:${e.id}`,
      note: `${label}: ${e.before} → ${e.after}. ${review ? "Raised for review (the store keeps its value until resolved)." : "Shopify wins: the store is set back to its SyncFlow quantity."}`,
    });
    if (!fresh) return false;
    // The store shows `delta` more (or less) than before: with shopify_wins the baseline follows it, so the push
    // that corrects the store sends exactly the difference; with review the hub keeps its baseline (the edit stays
    // visible as drift until a person resolves it).
    await tx.listing.update({
      where: { id: listing.id },
      data: {
        lastObservedQuantity: e.after,
        lastObservedAt: new Date(e.at),
        ...(!review && listing.lastWrittenQuantity != null ? { lastWrittenQuantity: { increment: e.delta } } : {}),
      },
    });
    return true;
  });
  if (!recorded) return done("ignored", "stock event already applied");
  if (e.after < 0 || review) {
    const derived = (await derivedQuantities(prisma, channel, [listing.itemId])).get(listing.itemId) ?? 0;
    const locs = feedLocations(channel);
    const levels = await prisma.inventoryLevel.findMany({
      where: { itemId: listing.itemId, locationGid: { in: locs } },
      select: { available: true },
    });
    await openConflict({
      shopId: channel.shopId,
      itemId: listing.itemId,
      channelId: channel.id,
      listingId: listing.id,
      sku: listing.sku,
      kind: e.after < 0 ? "negative_stock" : "store_edit",
      expected: derived,
      storeQuantity: e.after,
      recordQuantity: levels.length ? levels.reduce((n, l) => n + l.available, 0) : null,
      detail: {
        baseline: listing.lastWrittenQuantity,
        sku: listing.sku,
        cause: e.cause,
        before: e.before,
        after: e.after,
        at: e.at,
        eventId: e.id,
      },
    });
  }
  if (!review)
    await enqueue(QUEUES.pushStock, { shopId: channel.shopId, channelId: channel.id, itemIds: [listing.itemId] });
  return {
    status: "processed",
    note: `${label} (${e.before} → ${e.after}): ${review ? "conflict raised for review" : "corrected from Shopify"}`,
    adjustmentIds: [],
    itemIds: [],
  };
}
