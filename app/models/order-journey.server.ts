/**
 * The orders hub journey's queries (issue 15 item 5, decisions 240–241): the channels that import, the Prisma filter of
 * each journey filter (indexed: migrations 20261208110000_u_orders_journey_filters, 20261208120000_h_journey_filter_indexes) and the echo guard of the list.
 * The stage of an order and the labels are in app/lib/order-journey.ts (shared with the pages).
 */
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { RECORD_KIND, RETAILER_KIND } from "../channels/channel";
import { ATTENTION_FLAGS, UNPUSHED, type JourneyFilter } from "../lib/order-journey";

export * from "../lib/order-journey";

/**
 * Channels of `shopId` whose orders import into the central shop now: WooCommerce (and other non-retailer sales
 * channels) with OrderImportSetting.importOrders, linked retailers with RetailerLink.importOrders.
 */
export async function importingChannelIds(shopId: string): Promise<string[]> {
  const [own, retailers] = await Promise.all([
    prisma.orderImportSetting.findMany({
      where: { importOrders: true, channel: { shopId, kind: { notIn: [RECORD_KIND, RETAILER_KIND] } } },
      select: { channelId: true },
    }),
    prisma.retailerLink.findMany({
      where: { centralShopId: shopId, importOrders: true, status: "linked" },
      select: { channelId: true },
    }),
  ]);
  return [...own.map((s) => s.channelId), ...retailers.map((r) => r.channelId)];
}

/** What the journey filters need to know of a shop beyond the order row (`journeyContext`). */
export interface JourneyContext {
  /** Channels whose orders import now (`importingChannelIds`). */
  importing: string[];
  /**
   * Ids of the shop's orders with a failed pushback (OrderFulfilment.pushState "failed"), or null when there are more
   * than FAILED_PUSHBACK_LIST_MAX (the filter then falls back to the semi-join on OrderFulfilment).
   */
  failedPushback: string[] | null;
}

/** Above this many orders with a failed pushback, "needs attention" asks OrderFulfilment in the query instead. */
export const FAILED_PUSHBACK_LIST_MAX = 1000;

/**
 * The journey context of `shopId`: its importing channels and its orders with a failed pushback — two indexed reads
 * (the failed pushbacks through OrderFulfilment(pushState); they are dead letters waiting for the merchant, so few).
 * Reading the failed pushbacks first lets "needs attention" be an OR of indexed conditions on Order alone, which
 * PostgreSQL answers with a BitmapOr instead of walking (shopId, placedAt) (decision 263).
 */
export async function journeyContext(shopId: string): Promise<JourneyContext> {
  const [importing, failed] = await Promise.all([
    importingChannelIds(shopId),
    prisma.orderFulfilment.findMany({
      where: { pushState: "failed", order: { shopId } },
      select: { orderId: true },
      distinct: ["orderId"],
      take: FAILED_PUSHBACK_LIST_MAX + 1,
    }),
  ]);
  return {
    importing,
    failedPushback: failed.length > FAILED_PUSHBACK_LIST_MAX ? null : failed.map((f) => f.orderId),
  };
}

/**
 * The Prisma filter of a journey filter (ANDed with the page's other filters); `ctx` from `journeyContext`.
 * Measured at 100k orders in bench/orders-journey.ts (decisions 241, 263):
 * - not_imported: no central order, not cancelled, and either on a channel that imports and counted against stock
 *   (an order that should travel) or claimed by the import (queued / failed) — the partial index
 *   Order_journey_not_imported_idx (shopId, placedAt) holds exactly the orders this can match on any channel (its
 *   predicate is this filter without the channel list: the central shop's own orders never count against stock,
 *   imported and cancelled ones are not in it);
 * - not_pushed: a central fulfilment not yet delivered to the source (pending, pushing, failed) — driven by
 *   OrderFulfilment's pushState index;
 * - attention: import failed or needs attention (decision 239), a cancel of the central order failed, an attention
 *   flag (GIN index), or a failed pushback (the order ids read first, `journeyContext`) — a BitmapOr of
 *   (shopId, importState, placedAt), the GIN index and the primary key.
 */
export function journeyWhere(filter: JourneyFilter, ctx: JourneyContext): Prisma.OrderWhereInput {
  switch (filter) {
    case "not_imported":
      return {
        centralOrderId: null,
        cancelledAt: null,
        OR: [{ channelId: { in: ctx.importing }, stockTaken: true }, { importState: { in: ["queued", "failed"] } }],
      };
    case "not_pushed":
      return { fulfilments: { some: { pushState: { in: UNPUSHED } } } };
    case "attention":
      return {
        OR: [
          { importState: { in: ["failed", "needs_attention"] } },
          { importState: "cancelling", importError: { not: null } },
          { importFlags: { hasSome: [...ATTENTION_FLAGS] } },
          ctx.failedPushback ? { id: { in: ctx.failedPushback } } : { fulfilments: { some: { pushState: "failed" } } },
        ],
      };
  }
}

/**
 * Of `rows` (a page of the list), the ids that are the central shop's own record of an order the hub imported — an
 * echo (its id is another row's central order). They are not listed: decision 217 keeps echoes from being recorded
 * at all; this guards the list should one ever have been (e.g. recorded by an older version). One indexed lookup on
 * (shopId, centralOrderId) per page, never a scan.
 */
export async function echoRowIds(
  shopId: string,
  rows: { id: string; externalId: string; channelKind: string }[],
): Promise<Set<string>> {
  const record = rows.filter((r) => r.channelKind === RECORD_KIND);
  if (!record.length) return new Set();
  const hits = await prisma.order.findMany({
    where: { shopId, centralOrderId: { in: record.map((r) => r.externalId) } },
    select: { centralOrderId: true },
  });
  const central = new Set(hits.map((h) => h.centralOrderId));
  return new Set(record.filter((r) => central.has(r.externalId)).map((r) => r.id));
}
