/**
 * Pure helpers for the hub's WooCommerce webhook route (no I/O).
 *
 * WooCommerce delivery (plugins/woocommerce/includes/class-wc-webhook.php `deliver()` / `deliver_ping()`):
 * JSON body = the REST v3 resource built at delivery time; `X-WC-Webhook-Signature` =
 * base64(HMAC-SHA256(raw body, secret)); `X-WC-Webhook-Delivery-ID` = wp_hash(webhook id . unix time) — not
 * unique, so dedupe on the resource; the creation ping is a form POST `webhook_id=N` without signature.
 * Each parse* function throws `WooWebhookParseError` on malformed input.
 */
import type { OrderAddress } from "../record";
import { createHmac, timingSafeEqual } from "node:crypto";
import { DeliveryParseError } from "../events";

/** Thrown when a delivery body is not what WooCommerce sends (a `DeliveryParseError` of the port). */
export class WooWebhookParseError extends DeliveryParseError {
  constructor(message: string) {
    super(message);
    this.name = "WooWebhookParseError";
  }
}

/**
 * Verifies `X-WC-Webhook-Signature`. Inputs: the raw body exactly as received (Buffer or string, UTF-8),
 * the header value, the webhook secret. Returns false for a missing/garbled header. Constant-time compare.
 */
export function verifyWooSignature(
  rawBody: Buffer | string,
  signatureHeader: string | null | undefined,
  secret: string,
): boolean {
  if (!signatureHeader || !secret) return false;
  const expected = createHmac("sha256", secret)
    .update(typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody)
    .digest();
  let given: Buffer;
  try {
    given = Buffer.from(signatureHeader.trim(), "base64");
  } catch {
    return false;
  }
  return given.length === expected.length && timingSafeEqual(given, expected);
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;
function header(h: HeaderBag, name: string): string | undefined {
  if (typeof (h as Headers).get === "function") return (h as Headers).get(name) ?? undefined;
  const rec = h as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key ? rec[key] : undefined;
  return Array.isArray(v) ? v[0] : v;
}

/**
 * True for WooCommerce's creation ping: body `webhook_id=<digits>` and no X-WC-Webhook-Signature / -Topic
 * header. The route should answer 200 (anything else makes WooCommerce report "Delivery URL returned response code").
 */
export function isPingDelivery(headers: HeaderBag, rawBody: Buffer | string): boolean {
  if (header(headers, "x-wc-webhook-signature") || header(headers, "x-wc-webhook-topic")) return false;
  const body = (typeof rawBody === "string" ? rawBody : rawBody.toString("utf8")).trim();
  return /^webhook_id=\d+$/.test(body);
}

/** The X-WC-Webhook-* headers of a delivery (undefined when absent). */
export function readWooWebhookHeaders(headers: HeaderBag) {
  return {
    source: header(headers, "x-wc-webhook-source"),
    topic: header(headers, "x-wc-webhook-topic"),
    resource: header(headers, "x-wc-webhook-resource"),
    event: header(headers, "x-wc-webhook-event"),
    signature: header(headers, "x-wc-webhook-signature"),
    webhookId: header(headers, "x-wc-webhook-id"),
    deliveryId: header(headers, "x-wc-webhook-delivery-id"),
  };
}

/** Normalised order from an order.* payload. Money as decimal strings; quantity in units; times ISO-8601 UTC. */
export interface ParsedWooOrder {
  orderId: string;
  number: string;
  status: string;
  currency: string;
  total: string;
  createdAt: string | null;
  modifiedAt: string | null;
  customer: { firstName: string | null; lastName: string | null; email: string | null };
  /** REST v3 `shipping` / `billing` as addresses (null when the store left them empty). */
  shippingAddress: OrderAddress | null;
  billingAddress: OrderAddress | null;
  /** `date_paid_gmt` is set: WooCommerce counts the order as paid. */
  paid: boolean;
  /** `shipping_lines` joined (titles) with `shipping_total`, null when nothing was charged for shipping. */
  shipping: { title: string; price: string } | null;
  lines: Array<{
    lineId: string;
    productId: string;
    variationId: string | null;
    sku: string | null;
    quantity: number;
    price: string;
    title: string;
    /**
     * The line's `_reduced_stock` meta: units WooCommerce reduced for it and has not given back (0 when the meta is
     * absent). null when the payload renders no line meta at all (not a real WooCommerce REST v3 order).
     */
    reducedStock: number | null;
  }>;
}

/** Normalised product from a product.* payload (product or variation). */
export interface ParsedWooProduct {
  productId: string;
  parentId: string | null;
  sku: string | null;
  type: string | null;
  /** true / false, or "parent" for a variation whose stock the parent manages. */
  manageStock: boolean | "parent";
  /** Units; null when stock is not managed. */
  stockQuantity: number | null;
  modifiedAt: string | null;
}

function parseBody(body: unknown): Record<string, any> {
  let b = body;
  if (Buffer.isBuffer(b)) b = b.toString("utf8");
  if (typeof b === "string") {
    try {
      b = JSON.parse(b);
    } catch {
      throw new WooWebhookParseError("WooCommerce webhook body is not JSON");
    }
  }
  if (!b || typeof b !== "object" || Array.isArray(b))
    throw new WooWebhookParseError("WooCommerce webhook body is not a JSON object");
  return b as Record<string, any>;
}
const id = (v: unknown, what: string): string => {
  if (
    (typeof v === "number" && Number.isInteger(v) && v > 0) ||
    (typeof v === "string" && /^\d+$/.test(v) && v !== "0")
  )
    return String(v);
  throw new WooWebhookParseError(`WooCommerce webhook: ${what} is missing or not a positive integer`);
};
/** WooCommerce "YYYY-MM-DDTHH:MM:SS" (GMT, no zone) → ISO-8601 with Z. */
const gmt = (v: unknown): string | null =>
  typeof v === "string" && v ? (/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : v + "Z") : null;

/** Parses an order.created / order.updated payload (REST v3 order). Throws WooWebhookParseError. */
export function parseWooOrder(body: unknown): ParsedWooOrder {
  const b = parseBody(body);
  const orderId = id(b.id, "order id");
  if (!Array.isArray(b.line_items)) throw new WooWebhookParseError(`WooCommerce order ${orderId}: line_items missing`);
  if (typeof b.status !== "string") throw new WooWebhookParseError(`WooCommerce order ${orderId}: status missing`);
  return {
    orderId,
    number: String(b.number ?? orderId),
    status: b.status,
    currency: String(b.currency ?? ""),
    total: String(b.total ?? "0"),
    createdAt: gmt(b.date_created_gmt),
    modifiedAt: gmt(b.date_modified_gmt),
    customer: {
      firstName: b.billing?.first_name || null,
      lastName: b.billing?.last_name || null,
      email: b.billing?.email || null,
    },
    shippingAddress: wooAddress(b.shipping),
    billingAddress: wooAddress(b.billing),
    paid: typeof b.date_paid_gmt === "string" && b.date_paid_gmt !== "",
    shipping: wooShipping(b),
    lines: b.line_items.map((l: any, i: number) => {
      const q = Number(l?.quantity);
      if (!Number.isInteger(q) || q < 0)
        throw new WooWebhookParseError(`WooCommerce order ${orderId}: line ${i} has a bad quantity`);
      return {
        lineId: id(l.id, `line ${i} id`),
        productId: String(l.product_id ?? 0),
        variationId: l.variation_id ? String(l.variation_id) : null,
        sku: l.sku ? String(l.sku) : null,
        quantity: q,
        price: String(l.price ?? "0"),
        title: String(l.name ?? ""),
        reducedStock: reducedStockOf(l),
      };
    }),
  };
}

/** A REST v3 address object (`shipping` / `billing`) as an `OrderAddress`; null when it names nobody and no street. */
function wooAddress(a: unknown): OrderAddress | null {
  if (!a || typeof a !== "object") return null;
  const x = a as Record<string, unknown>;
  const s = (k: string) => (typeof x[k] === "string" && x[k] !== "" ? (x[k] as string) : null);
  const out: OrderAddress = {
    firstName: s("first_name"),
    lastName: s("last_name"),
    company: s("company"),
    address1: s("address_1"),
    address2: s("address_2"),
    city: s("city"),
    provinceCode: s("state"),
    zip: s("postcode"),
    countryCode: s("country"),
    phone: s("phone"),
  };
  return out.firstName || out.lastName || out.address1 || out.company ? out : null;
}

/** What the order charged for shipping (REST v3 `shipping_total`, `shipping_lines[].method_title`), null for none. */
function wooShipping(b: Record<string, any>): { title: string; price: string } | null {
  const total = Number(b.shipping_total ?? 0);
  if (!Number.isFinite(total) || total <= 0) return null;
  const titles = Array.isArray(b.shipping_lines)
    ? b.shipping_lines.map((l: any) => String(l?.method_title ?? "")).filter(Boolean)
    : [];
  return { title: titles.join(", ") || "Shipping", price: total.toFixed(2) };
}

/**
 * `_reduced_stock` of a REST v3 order line (wc_reduce_stock_levels / wc_increase_stock_levels /
 * wc_restock_refunded_items keep it): units; 0 when absent; null when the line has no `meta_data` array or the
 * value is not a number.
 */
function reducedStockOf(line: any): number | null {
  if (!Array.isArray(line?.meta_data)) return null;
  const meta = line.meta_data.find((m: any) => m && m.key === "_reduced_stock");
  if (!meta || meta.value === "" || meta.value == null) return 0;
  const n = Number(meta.value);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/** Parses a product.created / product.updated payload (product or variation). Throws WooWebhookParseError. */
export function parseWooProduct(body: unknown): ParsedWooProduct {
  const b = parseBody(body);
  const productId = id(b.id, "product id");
  const manage = b.manage_stock === "parent" ? "parent" : b.manage_stock === true;
  const q = b.stock_quantity;
  if (q !== null && q !== undefined && !Number.isFinite(Number(q)))
    throw new WooWebhookParseError(`WooCommerce product ${productId}: bad stock_quantity`);
  return {
    productId,
    parentId: b.parent_id ? String(b.parent_id) : null,
    sku: b.sku ? String(b.sku) : null,
    type: typeof b.type === "string" ? b.type : null,
    manageStock: manage,
    stockQuantity: manage && q !== null && q !== undefined ? Number(q) : null,
    modifiedAt: gmt(b.date_modified_gmt),
  };
}

/**
 * Dedupe key of a delivery: `<resource>:<id>:<date_modified_gmt>` plus the state that matters
 * (`:<stock_quantity>:<manage_stock>:<sku>` for products; `:<status>` for orders, plus each line's `_reduced_stock` when a refund or a line
 * edit moved stock without a status change). Delivery-ID is not unique (hash of id + second),
 * and date_modified_gmt has one-second resolution, so two real changes in the same second would otherwise
 * share a key and the second would be dropped. Duplicates of the same state still collapse.
 * `topic` like "product.updated" / "order.created". Throws WooWebhookParseError on a bad body/topic.
 */
export function dedupeKeyFor(topic: string, body: unknown): string {
  const b = parseBody(body);
  const [resource] = topic.split(".");
  if (!resource || !topic.includes(".")) throw new WooWebhookParseError(`WooCommerce webhook: bad topic "${topic}"`);
  const rid = id(b.id, `${resource} id`);
  const mod = typeof b.date_modified_gmt === "string" ? b.date_modified_gmt : "";
  const tallies =
    resource === "order" && Array.isArray(b.line_items) && b.line_items.some((l: any) => Array.isArray(l?.meta_data))
      ? `:${b.line_items.map((l: any) => reducedStockOf(l) ?? "").join(",")}`
      : "";
  // A product's SKU and stock management count too: a SKU fixed (or stock management switched) in the same second as
  // an earlier delivery of the same quantity — e.g. a product renamed right after it was created — is a real change
  // that links or unlinks the listing, not a retry (decision 307).
  const state =
    resource === "product"
      ? `${String(b.stock_quantity ?? "")}:${b.manage_stock === true ? 1 : b.manage_stock === "parent" ? "p" : 0}:${String(b.sku ?? "")}`
      : resource === "order"
        ? `${String(b.status ?? "")}${tallies}`
        : "";
  return `${resource}:${rid}:${mod}:${state}`;
}
