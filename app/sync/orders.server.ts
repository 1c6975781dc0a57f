/**
 * Orders from every store into one table, and the stock they take (GUIDE §2 rules 2 and 4).
 *
 * WooCommerce: an order takes stock while its status is processing / on-hold / completed (WooCommerce's
 * own rule: `wc_maybe_reduce_stock_levels`; pending does not) and gives it back when cancelled, refunded
 * or failed (`wc_maybe_increase_stock_levels`). Each transition of each line becomes one ShopifyAdjustment
 * (−qty to take, +qty to release) with an idempotency key unique per order line and transition, so a
 * duplicate, replayed or reordered webhook never takes or releases twice. Payloads are the latest state
 * (WooCommerce builds them at delivery time); an older `date_modified_gmt` than stored is ignored.
 *
 * Shopify: orders are recorded for the unified view only — Shopify already moved its own stock, which
 * reaches the stores through `inventory_levels/update` (never decrement from both).
 */
import prisma, { type Tx } from "../db.server";
import { appendLedger } from "./ledger.server";
import { normalizeSku } from "./sku";
import { SAFETY_STOCK, usesAllocations } from "./allocation.server";
import type { ParsedWooOrder } from "../channels/woocommerce/webhook.server";
import type { ShopifyOrder } from "../channels/shopify/webhook-payloads";
import type { Channel as ChannelRow, Prisma } from "@prisma/client";

const TAKING = new Set(["processing", "on-hold", "completed"]);

/** Whether a WooCommerce order in `status` holds stock. */
export const wooStatusTakesStock = (status: string): boolean => TAKING.has(status);

export interface WooOrderOutcome {
  orderId: string;
  /** "stale" when an older state than the one stored arrived; "unchanged" when stock did not move. */
  result: "taken" | "released" | "unchanged" | "stale";
  adjustmentIds: string[];
  itemIds: string[];
}

/**
 * The order row of (`create.channelId`, `create.externalId`), created from `create` when absent, locked
 * (FOR UPDATE) until the transaction ends, so concurrent deliveries of one order serialise.
 * Insert-if-absent is `INSERT … ON CONFLICT DO NOTHING` (createMany + skipDuplicates), not Prisma's upsert:
 * that one reads, then inserts, so two first deliveries of one order (order.created and order.updated
 * together, or a webhook and reconciliation's missed-order read) both inserted and the loser failed on the
 * unique key (its job retried). ON CONFLICT waits for the other insert and yields.
 */
async function lockOrCreateOrder(tx: Tx, create: Prisma.OrderCreateManyInput): Promise<{ id: string; status: string; stockTaken: boolean; sourceModifiedAt: Date | null }> {
  await tx.order.createMany({ data: [create], skipDuplicates: true });
  const [row] = await tx.$queryRaw<{ id: string; status: string; stockTaken: boolean; sourceModifiedAt: Date | null }[]>`
    SELECT id, status, "stockTaken", "sourceModifiedAt" FROM "Order" WHERE "channelId" = ${create.channelId} AND "externalId" = ${create.externalId} FOR UPDATE`;
  if (!row) throw new Error("order row vanished");
  return row;
}

/**
 * Records a WooCommerce order of `channel` and moves stock for its status transition.
 * The order row is locked for the transition so concurrent deliveries serialise.
 */
export async function ingestWooOrder(channel: ChannelRow, order: ParsedWooOrder): Promise<WooOrderOutcome> {
  const modifiedAt = order.modifiedAt ? new Date(order.modifiedAt) : null;
  const placedAt = order.createdAt ? new Date(order.createdAt) : new Date();
  const customerName = [order.customer.firstName, order.customer.lastName].filter(Boolean).join(" ") || null;
  return prisma.$transaction(async (tx) => {
    const row = await lockOrCreateOrder(tx, {
      shopId: channel.shopId, channelId: channel.id, externalId: order.orderId, number: order.number, status: order.status,
      currency: order.currency, totalPrice: order.total, customerName, customerEmail: order.customer.email, placedAt,
      sourceModifiedAt: null,
    });
    if (row.sourceModifiedAt && modifiedAt && modifiedAt < row.sourceModifiedAt) {
      return { orderId: row.id, result: "stale" as const, adjustmentIds: [], itemIds: [] };
    }
    await tx.order.update({
      where: { id: row.id },
      data: {
        status: order.status, number: order.number, currency: order.currency, totalPrice: order.total, customerName,
        customerEmail: order.customer.email, sourceModifiedAt: modifiedAt ?? row.sourceModifiedAt,
        cancelledAt: ["cancelled", "refunded", "failed"].includes(order.status) ? new Date() : null,
      },
    });
    // Lines: link to catalog items by SKU (case-insensitive), else by the listing's external id.
    const listingIds = order.lines.map((l) => l.variationId ?? l.productId);
    const listings = await tx.listing.findMany({ where: { shopId: channel.shopId, channelId: channel.id, externalId: { in: listingIds } } });
    const skuKeys = order.lines.map((l) => normalizeSku(l.sku)).filter((k): k is string => !!k);
    const items = await tx.catalogItem.findMany({ where: { shopId: channel.shopId, skuKey: { in: skuKeys } } });
    const lines = order.lines.map((l) => {
      const listing = listings.find((x) => x.externalId === (l.variationId ?? l.productId));
      const item = listing?.itemId ? { id: listing.itemId } : items.find((i) => i.skuKey === normalizeSku(l.sku));
      return { ...l, itemId: item?.id ?? null, listing };
    });
    for (const l of lines) {
      await tx.orderLine.upsert({
        where: { orderId_externalLineId: { orderId: row.id, externalLineId: l.lineId } },
        create: { orderId: row.id, externalLineId: l.lineId, sku: l.sku, itemId: l.itemId, title: l.title, quantity: l.quantity, price: l.price },
        update: { quantity: l.quantity, itemId: l.itemId, sku: l.sku },
      });
    }
    const shouldTake = wooStatusTakesStock(order.status);
    if (shouldTake === row.stockTaken) {
      return { orderId: row.id, result: "unchanged" as const, adjustmentIds: [], itemIds: [] };
    }
    if (!channel.salesLocationId) throw new Error(`channel ${channel.id} has no Shopify sales location`);
    const transition = shouldTake ? "take" : "release";
    const seq = await tx.shopifyAdjustment.count({ where: { shopId: channel.shopId, orderId: row.id } });
    const adjustmentIds: string[] = [];
    const itemIds: string[] = [];
    for (const l of lines) {
      if (!l.itemId || l.quantity <= 0) continue;
      if (l.listing && l.listing.matchStatus !== "linked") continue;
      const delta = shouldTake ? -l.quantity : l.quantity;
      const key = `woo:${channel.id}:order:${order.orderId}:line:${l.lineId}:${transition}:${seq}`;
      // Allocation stores (docs/decisions/008) sold from their allocation: Shopify's safety_stock moves, not available.
      const allocated = usesAllocations(channel) && l.listing?.allocatedQuantity != null;
      const adj = await tx.shopifyAdjustment.create({
        data: {
          quantityName: allocated ? SAFETY_STOCK : "available",
          shopId: channel.shopId, itemId: l.itemId, locationGid: channel.salesLocationId, delta, idempotencyKey: key,
          sourceChannelId: channel.id, orderId: row.id, reason: shouldTake ? "correction" : "restock",
        },
      });
      adjustmentIds.push(adj.id);
      itemIds.push(l.itemId);
      await appendLedger(tx, {
        shopId: channel.shopId, itemId: l.itemId, channelId: channel.id, cause: shouldTake ? "order" : "cancel", delta,
        idempotencyKey: `${key}:taken`, orderId: row.id,
        note: `WooCommerce order #${order.number} ${order.status}: ${shouldTake ? "sale taken" : "stock released"}, pending on Shopify`,
      });
      // The store moved its own stock for its own order: its baseline moves with it, so pushes never repeat it.
      if (l.listing?.lastWrittenQuantity != null) {
        await tx.listing.update({ where: { id: l.listing.id }, data: { lastWrittenQuantity: { increment: delta } } });
      }
    }
    await tx.order.update({ where: { id: row.id }, data: { stockTaken: shouldTake } });
    return { orderId: row.id, result: shouldTake ? ("taken" as const) : ("released" as const), adjustmentIds, itemIds };
  });
}

/**
 * Records (or updates) a Shopify order for the unified order view. Stock is not touched here.
 * Monotonic on `updated_at`; concurrent deliveries of one order serialise on its row lock.
 * @returns the hub's order id
 */
export async function recordShopifyOrder(shopId: string, shopifyChannelId: string, order: ShopifyOrder, status: string): Promise<string> {
  const updatedAt = order.updatedAt ? new Date(order.updatedAt) : null;
  return prisma.$transaction(async (tx) => {
    const data = {
      number: order.name, status, currency: order.currency, totalPrice: order.total,
      customerName: order.customer?.name ?? null, customerEmail: order.customer?.email ?? null,
      cancelledAt: order.cancelledAt ? new Date(order.cancelledAt) : null, sourceModifiedAt: updatedAt,
    };
    const existing = await lockOrCreateOrder(tx, { shopId, channelId: shopifyChannelId, externalId: order.orderGid, placedAt: order.createdAt ? new Date(order.createdAt) : new Date(), ...data });
    if (existing.sourceModifiedAt && updatedAt && updatedAt < existing.sourceModifiedAt) return existing.id;
    const row = await tx.order.update({ where: { id: existing.id }, data });
    const keys = order.lines.map((l) => normalizeSku(l.sku)).filter((k): k is string => !!k);
    const items = await tx.catalogItem.findMany({ where: { shopId, skuKey: { in: keys } }, select: { id: true, skuKey: true } });
    for (const l of order.lines) {
      const itemId = items.find((i) => i.skuKey === normalizeSku(l.sku))?.id ?? null;
      await tx.orderLine.upsert({
        where: { orderId_externalLineId: { orderId: row.id, externalLineId: l.lineGid } },
        create: { orderId: row.id, externalLineId: l.lineGid, sku: l.sku, itemId, title: l.title, quantity: l.quantity, price: l.price },
        update: { quantity: l.quantity, itemId },
      });
    }
    return row.id;
  });
}
