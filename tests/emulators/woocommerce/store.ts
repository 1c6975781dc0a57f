/**
 * In-memory WooCommerce store state and the business rules the emulator is held to.
 *
 * Encoded WooCommerce behaviour (WooCommerce 10, REST v3):
 *  - Stock fields only matter when `manage_stock` is true (`WC_Product::validate_props()` clears
 *    stock_quantity otherwise); a variation that does not manage stock but whose parent does reports
 *    `manage_stock: "parent"` and uses the parent's quantity (`get_stock_managed_by_id()`).
 *  - `wc_update_product_stock($product, $qty, 'set'|'increase'|'decrease')` (wc-stock-functions.php):
 *    one atomic SQL update on the stock holder, then `$product->save()`, which bumps date_modified and fires
 *    `woocommerce_update_product(_variation)` => webhook topic product.updated. Quantities may go below 0.
 *  - Orders (includes/wc-stock-functions.php): `wc_maybe_reduce_stock_levels` runs when an order becomes
 *    processing / on-hold / completed (once per order, `_order_stock_reduced` flag); `wc_reduce_stock_levels`
 *    decreases each managed line once and records it in the line's `_reduced_stock` meta.
 *    `wc_maybe_increase_stock_levels` runs ONLY on → cancelled / → pending: `wc_increase_stock_levels` gives
 *    back each line's `_reduced_stock` and deletes the meta. `refunded` and `failed` never restock; → refunded
 *    creates a refund of the remaining amount without line items (`wc_order_fully_refunded`).
 *  - Refunds (`wc_create_refund`, REST `POST orders/<id>/refunds`): a refund restocks only when asked
 *    (`api_restock`, default true over REST) and only the line items it lists with a quantity
 *    (`wc_restock_refunded_items`: +qty on the product, `_reduced_stock` −= qty, `_restock_refunded_items` += qty,
 *    only for lines whose stock was reduced). `api_refund` (default true) asks the payment gateway first; the
 *    offline gateways WooCommerce ships cannot refund (and REST orders have none), so that answers 500
 *    `woocommerce_rest_cannot_create_order_refund`. A refund of the whole remaining amount moves the order to `refunded`.
 *  - REST-created orders (admin) are never refused for stock; a shopper checkout is refused when managed stock is
 *    short and backorders are "no" (cart stock validation).
 *  - A variable product that does not manage stock takes its stock status from its variations (none in stock, or
 *    none at all → outofstock; `WC_Product_Variable_Data_Store_CPT::sync_stock_status`).
 *  - SKUs are unique in any letter case and `?sku=` ignores case (the product lookup table under MySQL's
 *    case-insensitive collation); `findBySku` (the plugin's lookups here) stays exact.
 *  - `date_modified_gmt` has one-second resolution ("YYYY-MM-DDTHH:MM:SS").
 *  - Response bodies: ./json.ts, held to a real WooCommerce 10.0.2 by tests/differential (decision 121).
 *
 * Quantities are whole units; clock values are ms since epoch.
 */
export { wcDate } from "./json.js";
import {
  activePrice,
  orderJson,
  productJson,
  refundJson,
  variationJson,
  webhookJson,
  type JsonContext,
} from "./json.js";
import type { SampleProduct } from "../../fixtures/sample-catalog.js";
import { isStockable } from "../../fixtures/sample-catalog.js";

/**
 * An error the emulator answers with, shaped like a WordPress WP_Error REST response: `{code, message, data:{status,
 * ...extra}}`. `topLevel` also copies `extra` to the top level, as the SyncFlow plugin does for `syncflow_stale`
 * (`current`, docs/contracts/wc-syncflow-v1.md); WooCommerce's own errors keep it in `data` only.
 */
export class WooEmulatorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly opts: { topLevel?: boolean; scalarData?: boolean } = {},
  ) {
    super(message);
    this.name = "WooEmulatorError";
  }
  /** The JSON body WordPress sends. */
  toJSON(): Record<string, unknown> {
    const data = this.opts.scalarData ? this.status : { status: this.status, ...this.extra };
    return { code: this.code, message: this.message, data, ...(this.opts.topLevel ? this.extra : {}) };
  }
}

export type ProductType = "simple" | "variable" | "variation" | "grouped" | "external";
export type Backorders = "no" | "notify" | "yes";

/** Internal product/variation record (WooCommerce prop names). */
export interface ProductRecord {
  id: number;
  name: string;
  slug: string;
  type: ProductType;
  status: "publish" | "draft" | "pending" | "private" | "trash";
  sku: string;
  regular_price: string;
  sale_price: string;
  manage_stock: boolean;
  stock_quantity: number | null;
  backorders: Backorders;
  /** Only for unmanaged products: what the merchant set. */
  stock_status_manual: "instock" | "outofstock" | "onbackorder";
  parent_id: number;
  variations: number[];
  grouped_products: number[];
  external_url: string;
  button_text: string;
  attributes: Array<Record<string, unknown>>;
  meta_data: Array<{ id: number; key: string; value: unknown }>;
  virtual: boolean;
  downloadable: boolean;
  date_created_ms: number;
  date_modified_ms: number;
}

export type OrderStatus = "pending" | "processing" | "on-hold" | "completed" | "cancelled" | "refunded" | "failed";
export const ORDER_STATUSES: OrderStatus[] = [
  "pending",
  "processing",
  "on-hold",
  "completed",
  "cancelled",
  "refunded",
  "failed",
];
const REDUCE_ON: OrderStatus[] = ["processing", "on-hold", "completed"];
const RESTOCK_ON: OrderStatus[] = ["cancelled", "pending"];

/** `_reduced_stock` / `_restock_refunded_items` meta of an order line as REST v3 renders it (absent when 0). */
function lineMeta(l: OrderLineRecord): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (l.reduced_stock)
    out.push({
      id: l.id * 10 + 1,
      key: "_reduced_stock",
      value: String(l.reduced_stock),
      display_key: "_reduced_stock",
      display_value: String(l.reduced_stock),
    });
  if (l.restock_refunded)
    out.push({
      id: l.id * 10 + 2,
      key: "_restock_refunded_items",
      value: String(l.restock_refunded),
      display_key: "_restock_refunded_items",
      display_value: String(l.restock_refunded),
    });
  return out;
}

export interface OrderLineRecord {
  id: number;
  product_id: number;
  variation_id: number;
  sku: string;
  name: string;
  quantity: number;
  price: number;
  /** The line's `_reduced_stock` meta: units WooCommerce took from stock for it and has not given back (0 = absent). */
  reduced_stock: number;
  /** The line's `_restock_refunded_items` meta: units restocked by refunds (0 = absent). */
  restock_refunded: number;
}
/** A refund (`shop_order_refund`): amount in the order's currency; line quantities are negative like WooCommerce's. */
export interface RefundRecord {
  id: number;
  amount: number;
  reason: string;
  refunded_payment: boolean;
  /** Whether it was asked to restock (`restock_items`); only lines listed with a quantity can be restocked. */
  restock: boolean;
  line_items: Array<{ id: number; refunded_item_id: number; quantity: number; total: number }>;
  date_created_ms: number;
}
/**
 * An order note (a WordPress comment of type `order_note`): `customer_note` notes are shown to (and e-mailed to) the
 * customer; `author` is "WooCommerce" for notes the system adds and for REST notes without `added_by_user`, else the
 * calling user's display name (WC_Order::add_order_note, real WooCommerce 10.0.2 checked by the differential suite).
 */
export interface NoteRecord {
  id: number;
  note: string;
  customer_note: boolean;
  author: string;
  date_created_ms: number;
}
export interface OrderRecord {
  id: number;
  status: OrderStatus;
  currency: string;
  billing: { first_name: string; last_name: string; email: string };
  line_items: OrderLineRecord[];
  /** The order's `_order_stock_reduced` flag. */
  stock_reduced: boolean;
  /** Payment method id ("" for admin/REST orders without one; refunds with api_refund need a gateway). */
  payment_method: string;
  refunds: RefundRecord[];
  /** Order notes, oldest first (REST lists them newest first). */
  notes: NoteRecord[];
  /** Order meta (`meta_data`; e.g. Shipment Tracking's `_wc_shipment_tracking_items`), values as written. */
  meta_data: Array<{ id: number; key: string; value: unknown }>;
  date_created_ms: number;
  date_modified_ms: number;
}

/** `wc_get_order_status_name()` labels, as status-change notes print them. */
const STATUS_LABEL: Record<string, string> = {
  pending: "Pending payment",
  processing: "Processing",
  "on-hold": "On hold",
  completed: "Completed",
  cancelled: "Cancelled",
  refunded: "Refunded",
  failed: "Failed",
};

/** WC_Product::get_formatted_name(): "Name (SKU)", or "Name (#id)" without a SKU. */
const formattedName = (p: { name: string; sku: string; id: number }) => `${p.name} (${p.sku ? p.sku : `#${p.id}`})`;

export type WebhookStatus = "active" | "paused" | "disabled";
export interface WebhookRecord {
  id: number;
  name: string;
  status: WebhookStatus;
  topic: string;
  delivery_url: string;
  secret: string;
  failure_count: number;
  pending_delivery: boolean;
  api_version: string;
  date_created_ms: number;
  date_modified_ms: number;
}

/** What the store reports to the webhook engine: a WooCommerce hook that maps to `topic`. */
export type StoreEvent = {
  topic: "product.created" | "product.updated" | "order.created" | "order.updated";
  resourceId: number;
};

/**
 * Why a stock quantity changed, as the SyncFlow plugin names it (docs/contracts/hub-api-v1.md, stock events):
 * an order's reduction or restock (cancel / pending), a refund's restock, an order line edited in wp-admin, the hub's
 * own write (plugin endpoints, or REST with SyncFlow's key), an edit in wp-admin, a product import, another REST client,
 * anything else (another plugin).
 */
export type StockCause =
  | "order_reduced"
  | "order_restocked"
  | "refund_restocked"
  | "order_adjusted"
  | "hub_write"
  | "admin_edit"
  | "import"
  | "rest_api"
  | "other";

/** One stock change of a stock holder (quantities in units). */
export interface StockChange {
  /** The product or variation the change was made through (an order line's product). */
  productId: number;
  /** The product that holds the stock (the parent for a variation whose stock the parent manages). */
  stockProductId: number;
  before: number;
  after: number;
  cause: StockCause;
  orderId?: number;
  orderStatus?: string;
  lineId?: number;
  /** The order line's `_reduced_stock` after this change (units WooCommerce holds as taken for the line). */
  lineReducedAfter?: number;
  refundId?: number;
  /** hub_write: the plugin request key, when the change came through wc-syncflow/v1. */
  requestKey?: string;
}
type StockContext = Omit<StockChange, "productId" | "stockProductId" | "before" | "after">;

const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

/** Options for the store's rules. */
export interface StoreOptions {
  currency?: string;
  siteUrl: string;
  now?: () => number;
}

/** Idempotency record of a SyncFlow plugin call. */
interface IdemRecord {
  fingerprint: string;
  response: Record<string, unknown>;
  atMs: number;
}

/** The store: products, orders, webhooks, API keys, plugin request keys. Synchronous, so each call is atomic. */
export class WooStore {
  products = new Map<number, ProductRecord>();
  orders = new Map<number, OrderRecord>();
  webhooks = new Map<number, WebhookRecord>();
  private nextPostId = 100;
  private nextOrderId = 1000;
  private nextLineId = 1;
  private nextWebhookId = 1;
  private nextMetaId = 1;
  private nextNoteId = 1;
  /** E-mails WooCommerce sent customers (customer notes), for tests: WooCommerce's `WC_Email_Customer_Note`. */
  readonly customerEmails: Array<{ kind: "customer_note"; orderId: number; note: string }> = [];
  private idem = new Map<string, IdemRecord>();
  listeners: Array<(e: StoreEvent) => void> = [];
  /** Every stock change with its cause (the SyncFlow plugin's stock events, ./stock-events.ts). */
  stockListeners: Array<(c: StockChange) => void> = [];
  private stockContext: StockContext = { cause: "other" };
  readonly currency: string;
  readonly now: () => number;

  constructor(readonly opts: StoreOptions) {
    this.currency = opts.currency ?? "USD";
    this.now = opts.now ?? Date.now;
  }

  private emit(e: StoreEvent) {
    for (const l of this.listeners) l(e);
  }

  /** Runs `fn` with `ctx` as the cause of every stock change it makes (nested calls restore the outer cause). */
  withStockCause<T>(ctx: StockContext, fn: () => T): T {
    const outer = this.stockContext;
    this.stockContext = ctx;
    try {
      return fn();
    } finally {
      this.stockContext = outer;
    }
  }

  private stockChanged(p: ProductRecord, holder: ProductRecord, before: number, after: number) {
    if (before === after) return;
    const c: StockChange = { ...this.stockContext, productId: p.id, stockProductId: holder.id, before, after };
    for (const l of this.stockListeners) l(c);
  }

  // ---------------------------------------------------------------- products

  /** Product or variation by id; throws 404 woocommerce_rest_product_invalid_id. */
  getProduct(id: number, status = 404): ProductRecord {
    const p = this.products.get(id);
    if (!p) throw new WooEmulatorError(status, "woocommerce_rest_product_invalid_id", "Invalid ID.");
    return p;
  }

  /** Exact (case-sensitive) SKU lookup over products and variations. */
  findBySku(sku: string): ProductRecord | undefined {
    for (const p of this.products.values()) if (p.sku !== "" && p.sku === sku && p.status !== "trash") return p;
    return undefined;
  }
  /**
   * The product or variation holding `sku` in any letter case: WooCommerce's uniqueness check
   * (`wc_product_has_unique_sku`, a lookup-table query under MySQL's case-insensitive collation) refuses "ABC" when
   * "abc" exists.
   */
  findBySkuAnyCase(sku: string): ProductRecord | undefined {
    const want = sku.toLowerCase();
    for (const p of this.products.values())
      if (p.sku !== "" && p.sku.toLowerCase() === want && p.status !== "trash") return p;
    return undefined;
  }

  /** The record whose stock a product uses (itself, its parent for manage_stock "parent"), or null. */
  stockHolder(p: ProductRecord): ProductRecord | null {
    if (p.manage_stock) return p;
    if (p.type === "variation") {
      const parent = this.products.get(p.parent_id);
      if (parent?.manage_stock) return parent;
    }
    return null;
  }

  stockStatus(p: ProductRecord): string {
    const h = this.stockHolder(p);
    // A variable product that does not manage stock itself takes its status from its variations
    // (WC_Product_Variable_Data_Store_CPT::sync_stock_status): instock if one is, else onbackorder if one is,
    // else outofstock — also with no variation at all.
    if (!h && p.type === "variable") {
      const kids = p.variations
        .map((id) => this.products.get(id))
        .filter((v): v is ProductRecord => !!v && v.status !== "trash")
        .map((v) => this.stockStatus(v));
      return kids.includes("instock") ? "instock" : kids.includes("onbackorder") ? "onbackorder" : "outofstock";
    }
    if (!h) return p.stock_status_manual;
    if ((h.stock_quantity ?? 0) > 0) return "instock";
    return h.backorders === "no" ? "outofstock" : "onbackorder";
  }

  /** Creates a product or variation from REST-style fields. Throws 400 on duplicate SKU / bad parent. */
  createProduct(body: Record<string, any>, parentId = 0): ProductRecord {
    const t = this.now();
    const type: ProductType = parentId ? "variation" : ((body.type as ProductType) ?? "simple");
    if (!["simple", "variable", "variation", "grouped", "external"].includes(type))
      throw new WooEmulatorError(400, "rest_invalid_param", "Invalid parameter(s): type");
    const sku = typeof body.sku === "string" ? body.sku.trim() : "";
    const taken = sku ? this.findBySkuAnyCase(sku) : undefined;
    if (taken)
      throw new WooEmulatorError(400, "product_invalid_sku", "Invalid or duplicated SKU.", {
        resource_id: taken.id,
        unique_sku: sku,
      });
    const parent = parentId ? this.getProduct(parentId, 404) : null;
    if (parent && parent.type !== "variable")
      throw new WooEmulatorError(400, "woocommerce_rest_invalid_product_id", "Invalid product ID.");
    const id = this.nextPostId++;
    const p: ProductRecord = {
      id,
      name: body.name ?? (parent ? parent.name : "Product"),
      slug: body.slug ?? slugify(body.name ?? `product-${id}`),
      type,
      status: body.status ?? "publish",
      sku,
      regular_price: body.regular_price != null ? String(body.regular_price) : "",
      sale_price: body.sale_price != null ? String(body.sale_price) : "",
      manage_stock: false,
      stock_quantity: null,
      backorders: "no",
      stock_status_manual: "instock",
      parent_id: parentId,
      variations: [],
      grouped_products: [],
      external_url: body.external_url ?? "",
      button_text: body.button_text ?? "",
      attributes: [],
      meta_data: [],
      virtual: !!body.virtual,
      downloadable: !!body.downloadable,
      date_created_ms: t,
      date_modified_ms: t,
    };
    this.products.set(id, p);
    this.applyProps(p, body);
    if (parent) {
      parent.variations.push(id);
      p.name = parent.name + (p.attributes.length ? " - " + p.attributes.map((a) => a.option).join(", ") : "");
    }
    this.emit({ topic: "product.created", resourceId: id });
    return p;
  }

  /** Applies REST-style writable fields (no events). Stock fields are ignored unless manage_stock ends true. */
  private applyProps(p: ProductRecord, body: Record<string, any>) {
    if (body.name != null && p.type !== "variation") p.name = String(body.name);
    if (body.status != null) p.status = body.status;
    if (body.regular_price != null) p.regular_price = String(body.regular_price);
    if (body.sale_price != null) p.sale_price = String(body.sale_price);
    if (body.sku != null && body.sku !== p.sku) {
      const other = body.sku ? this.findBySkuAnyCase(String(body.sku)) : undefined;
      if (other && other.id !== p.id)
        throw new WooEmulatorError(400, "product_invalid_sku", "Invalid or duplicated SKU.", {
          resource_id: other.id,
          unique_sku: body.sku,
        });
      p.sku = String(body.sku);
    }
    if (body.manage_stock != null) p.manage_stock = body.manage_stock === true || body.manage_stock === "true";
    if (body.backorders != null && ["no", "notify", "yes"].includes(body.backorders)) p.backorders = body.backorders;
    if (body.stock_status != null && ["instock", "outofstock", "onbackorder"].includes(body.stock_status))
      p.stock_status_manual = body.stock_status;
    if (body.external_url != null) p.external_url = String(body.external_url);
    if (body.button_text != null) p.button_text = String(body.button_text);
    if (Array.isArray(body.grouped_products)) p.grouped_products = body.grouped_products.map(Number);
    if (Array.isArray(body.attributes)) p.attributes = body.attributes;
    if (Array.isArray(body.meta_data))
      for (const m of body.meta_data) {
        const ex = p.meta_data.find((x) => x.key === m.key);
        if (ex) ex.value = m.value;
        else p.meta_data.push({ id: this.nextMetaId++, key: String(m.key), value: m.value });
      }
    if (p.manage_stock) {
      if (body.stock_quantity != null) {
        const q = Number(body.stock_quantity);
        if (!Number.isFinite(q))
          throw new WooEmulatorError(400, "rest_invalid_param", "Invalid parameter(s): stock_quantity");
        const before = p.stock_quantity;
        p.stock_quantity = Math.trunc(q);
        if (before != null) this.stockChanged(p, p, before, p.stock_quantity); // woocommerce_product_set_stock on save
      } else if (p.stock_quantity == null) p.stock_quantity = 0;
    } else {
      p.stock_quantity = null; // WC_Product::validate_props()
      p.backorders = "no";
    }
  }

  /** REST PUT: updates fields, bumps date_modified, fires product.updated. */
  updateProduct(id: number, body: Record<string, any>, expectParent?: number): ProductRecord {
    const p = this.getProduct(id, 400);
    if (expectParent !== undefined && p.parent_id !== expectParent)
      throw new WooEmulatorError(400, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.");
    this.applyProps(p, body);
    this.touch(p);
    return p;
  }

  /** Deletes (force) or trashes a product; variations and parents' lists are kept consistent. */
  deleteProduct(id: number, force: boolean): ProductRecord {
    const p = this.getProduct(id, 404);
    if (!force && p.type !== "variation") {
      p.status = "trash";
      p.date_modified_ms = this.now();
      return p;
    }
    if (!force)
      throw new WooEmulatorError(501, "woocommerce_rest_trash_not_supported", "Variations do not support trashing.");
    this.products.delete(id);
    for (const v of p.variations) this.products.delete(v);
    const parent = this.products.get(p.parent_id);
    if (parent) parent.variations = parent.variations.filter((x) => x !== id);
    return p;
  }

  private touch(p: ProductRecord) {
    p.date_modified_ms = this.now();
    this.emit({ topic: "product.updated", resourceId: p.id });
  }

  /**
   * `wc_update_product_stock()`: set / increase / decrease the stock holder's quantity atomically and save.
   * Returns before/after of the holder. Throws 400 syncflow_not_managed-style error when nobody manages stock.
   */
  updateStock(
    p: ProductRecord,
    qty: number,
    op: "set" | "increase" | "decrease",
  ): { holder: ProductRecord; before: number; after: number } {
    const h = this.stockHolder(p);
    if (!h) throw new WooEmulatorError(400, "woocommerce_stock_not_managed", `Product ${p.id} does not manage stock.`);
    const before = h.stock_quantity ?? 0;
    const after = op === "set" ? qty : op === "increase" ? before + qty : before - qty;
    h.stock_quantity = after;
    this.touch(h);
    this.stockChanged(p, h, before, after);
    return { holder: h, before, after };
  }

  // ---------------------------------------------------------------- JSON

  /**
   * REST v3 product body (also a variation read through /products/<id>): ./json.ts; `edit` context for the answers
   * of writes.
   */
  productJson(p: ProductRecord, context: JsonContext = "view"): Record<string, unknown> {
    return productJson(this, p, context);
  }

  /** REST v3 variation body (GET /products/<pid>/variations/<id>): ./json.ts. */
  variationJson(p: ProductRecord, context: JsonContext = "view"): Record<string, unknown> {
    return variationJson(this, p, context);
  }

  /** REST v3 order body (./json.ts). Line items carry their `_reduced_stock` / `_restock_refunded_items` meta like WooCommerce's. */
  orderJson(o: OrderRecord): Record<string, unknown> {
    return orderJson(this, o, lineMeta);
  }

  /** REST v3 order refund body (`GET orders/<id>/refunds/<refund id>`): ./json.ts. */
  refundJson(o: OrderRecord, r: RefundRecord): Record<string, unknown> {
    return refundJson(this, o, r);
  }

  // ---------------------------------------------------------------- orders

  /** Resolves order lines ({product_id, variation_id?} or {sku}) to purchasable products. Throws 400. */
  private resolveLines(lines: Array<Record<string, any>>): Array<{ product: ProductRecord; quantity: number }> {
    if (!Array.isArray(lines) || !lines.length)
      throw new WooEmulatorError(400, "woocommerce_rest_required_product_reference", "Product ID or SKU is required.");
    return lines.map((l) => {
      let p: ProductRecord | undefined;
      if (l.variation_id) p = this.products.get(Number(l.variation_id));
      else if (l.product_id) p = this.products.get(Number(l.product_id));
      else if (l.sku) p = this.findBySku(String(l.sku));
      if (!p || p.type === "variable" || p.type === "grouped" || p.type === "external" || p.status === "trash")
        throw new WooEmulatorError(
          400,
          "woocommerce_rest_invalid_product_id",
          `Invalid product ${l.sku ?? l.variation_id ?? l.product_id}.`,
        );
      const quantity = Math.trunc(Number(l.quantity ?? 1));
      if (!(quantity > 0))
        throw new WooEmulatorError(400, "woocommerce_rest_invalid_quantity", "Quantity must be positive.");
      return { product: p, quantity };
    });
  }

  /**
   * Creates an order. `asShopper` applies checkout stock validation (409 woocommerce_out_of_stock when a managed
   * item without backorders would go below 0); REST/admin creation never refuses for stock, like WooCommerce.
   * Status processing/on-hold/completed reduces stock once. Fires order.created (+ product.updated per stock change).
   */
  createOrder(
    input: {
      status?: OrderStatus;
      line_items: Array<Record<string, any>>;
      billing?: Partial<OrderRecord["billing"]>;
      currency?: string;
      payment_method?: string;
    },
    asShopper: boolean,
  ): OrderRecord {
    const status = input.status ?? "pending";
    if (!ORDER_STATUSES.includes(status))
      throw new WooEmulatorError(400, "rest_invalid_param", "Invalid parameter(s): status");
    const resolved = this.resolveLines(input.line_items);
    if (asShopper) {
      const need = new Map<ProductRecord, number>();
      for (const { product, quantity } of resolved) {
        const h = this.stockHolder(product);
        if (!h) {
          if (product.stock_status_manual === "outofstock")
            throw new WooEmulatorError(409, "woocommerce_out_of_stock", `Sorry, "${product.name}" is not in stock.`, {
              sku: product.sku,
              available: 0,
            });
          continue;
        }
        need.set(h, (need.get(h) ?? 0) + quantity);
      }
      for (const [h, q] of need)
        if (h.backorders === "no" && (h.stock_quantity ?? 0) < q)
          throw new WooEmulatorError(
            409,
            "woocommerce_out_of_stock",
            `Sorry, we do not have enough "${h.name}" in stock to fulfill your order (${h.stock_quantity ?? 0} available).`,
            { sku: h.sku, available: h.stock_quantity ?? 0, requested: q },
          );
    }
    const t = this.now();
    const o: OrderRecord = {
      id: this.nextOrderId++,
      status,
      currency: input.currency ?? this.currency,
      billing: { first_name: "", last_name: "", email: "", ...(input.billing ?? {}) },
      line_items: resolved.map(({ product, quantity }) => ({
        id: this.nextLineId++,
        product_id: product.type === "variation" ? product.parent_id : product.id,
        variation_id: product.type === "variation" ? product.id : 0,
        sku: product.sku,
        name: product.name,
        quantity,
        price: Number(activePrice(product) || 0),
        reduced_stock: 0,
        restock_refunded: 0,
      })),
      stock_reduced: false,
      payment_method: input.payment_method ?? "",
      refunds: [],
      notes: [],
      meta_data: [],
      date_created_ms: t,
      date_modified_ms: t,
    };
    this.orders.set(o.id, o);
    // A new order's status transition is pending → status (WC_Order::status_transition): stock first, then its note.
    if (REDUCE_ON.includes(status)) this.maybeReduceStock(o);
    if (status !== "pending") this.statusNote(o, "pending", status);
    this.emit({ topic: "order.created", resourceId: o.id });
    return o;
  }

  getOrder(id: number, status = 404): OrderRecord {
    const o = this.orders.get(id);
    if (!o) throw new WooEmulatorError(status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.");
    return o;
  }

  /**
   * Changes an order's status with WooCommerce's stock side effects (`woocommerce_order_status_<to>` hooks, only
   * when the status really changes): → processing / on-hold / completed reduces once; → cancelled / → pending
   * restocks what was reduced; → refunded refunds the remaining amount without restocking; → failed does nothing
   * to stock. Fires order.updated.
   */
  setOrderStatus(id: number, status: OrderStatus): OrderRecord {
    const o = this.getOrder(id, 400);
    if (!ORDER_STATUSES.includes(status))
      throw new WooEmulatorError(400, "rest_invalid_param", "Invalid parameter(s): status");
    const from = o.status;
    o.status = status;
    o.date_modified_ms = this.now();
    if (from !== status) {
      if (REDUCE_ON.includes(status)) this.maybeReduceStock(o);
      if (RESTOCK_ON.includes(status)) this.maybeIncreaseStock(o);
      if (status === "refunded") this.fullyRefunded(o);
      this.statusNote(o, from, status);
    }
    this.emit({ topic: "order.updated", resourceId: o.id });
    return o;
  }

  /** An order saved without a status change (a meta-only update): it fires order.updated like any save. */
  touchOrder(id: number): OrderRecord {
    const o = this.getOrder(id, 400);
    o.date_modified_ms = this.now();
    this.emit({ topic: "order.updated", resourceId: o.id });
    return o;
  }

  /** The system note WC_Order::status_transition adds ("Order status changed from Processing to Completed."). */
  private statusNote(o: OrderRecord, from: string, to: string) {
    this.addNoteRecord(o, {
      note: `Order status changed from ${STATUS_LABEL[from] ?? from} to ${STATUS_LABEL[to] ?? to}.`,
      customer_note: false,
      author: "WooCommerce",
    });
  }

  private addNoteRecord(o: OrderRecord, n: Omit<NoteRecord, "id" | "date_created_ms">): NoteRecord {
    // Notes are WordPress comments: ids from one sequence per site, never reused.
    const note: NoteRecord = { id: this.nextNoteId++, date_created_ms: this.now(), ...n };
    o.notes.push(note);
    return note;
  }

  /**
   * `POST orders/<id>/notes` (WC_REST_Order_Notes_Controller::create_item → WC_Order::add_order_note): `note` required
   * (400 rest_missing_callback_param), `customer_note` (default false), `added_by_user` (default false: author
   * "WooCommerce"; true: the key's user). 404 woocommerce_rest_order_invalid_id for an unknown order. A customer note
   * changes nothing else on the order (WooCommerce e-mails it to the customer: recorded in `customerEmails`).
   */
  addOrderNote(orderId: number, body: Record<string, unknown>, user = "admin"): NoteRecord {
    const o = this.orders.get(orderId);
    if (!o) throw new WooEmulatorError(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.");
    if (typeof body.note !== "string" && typeof body.note !== "number")
      throw new WooEmulatorError(400, "rest_missing_callback_param", "Missing parameter(s): note", {
        params: ["note"],
      });
    const text = String(body.note).trim();
    if (!text)
      throw new WooEmulatorError(
        400,
        "woocommerce_rest_invalid_order_note",
        "Cannot create order note, please try again.",
      );
    const customer = body.customer_note === true || body.customer_note === "true" || body.customer_note === 1;
    const byUser = body.added_by_user === true || body.added_by_user === "true" || body.added_by_user === 1;
    const note = this.addNoteRecord(o, { note: text, customer_note: customer, author: byUser ? user : "WooCommerce" });
    if (customer) this.customerEmails.push({ kind: "customer_note", orderId: o.id, note: text });
    return note;
  }

  /** An order's notes as `GET orders/<id>/notes` lists them: newest first (same second: oldest id first); `type` customer | internal | any. */
  orderNotes(orderId: number, type = "any"): NoteRecord[] {
    const o = this.orders.get(orderId);
    if (!o) throw new WooEmulatorError(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.");
    const sec = (n: NoteRecord) => Math.floor(n.date_created_ms / 1000);
    return o.notes
      .filter((n) => (type === "customer" ? n.customer_note : type === "internal" ? !n.customer_note : true))
      .sort((a, b) => sec(b) - sec(a) || a.id - b.id);
  }

  /**
   * `meta_data` of an order update (WC_REST_Orders_Controller → `update_meta_data`): an entry with `id` updates that
   * meta, one with an existing `key` replaces its (first) value, a new key is added; `value: null` … is stored as is.
   * Values are kept as written (arrays stay arrays: Shipment Tracking's `_wc_shipment_tracking_items`).
   */
  updateOrderMeta(orderId: number, meta: unknown): OrderRecord {
    const o = this.getOrder(orderId, 400);
    if (!Array.isArray(meta)) return o;
    for (const m of meta as Array<Record<string, unknown>>) {
      if (!m || typeof m !== "object" || typeof m.key !== "string") continue;
      const ex =
        (m.id != null && o.meta_data.find((x) => x.id === Number(m.id))) || o.meta_data.find((x) => x.key === m.key);
      const value = structuredClone(m.value ?? "");
      if (ex) {
        ex.key = m.key;
        ex.value = value;
      } else o.meta_data.push({ id: this.nextMetaId++, key: m.key, value });
    }
    o.date_modified_ms = this.now();
    return o;
  }

  /**
   * `POST orders/<id>/refunds` → `wc_create_refund()`. `line_items`: `[{id, quantity, refund_total?}]` (the order's
   * line ids); `api_restock` (default true) restocks only those lines, by their quantity; `api_refund` (default true)
   * needs a payment gateway on the order. `amount` defaults to the sum of the lines' `refund_total`.
   * Throws 404 woocommerce_rest_invalid_order_id, 400 woocommerce_rest_invalid_order_refund (negative amount),
   * 500 woocommerce_rest_cannot_create_order_refund (amount above what remains, no gateway). Fires order.updated.
   */
  createRefund(orderId: number, body: Record<string, any>): { order: OrderRecord; refund: RefundRecord } {
    const o = this.orders.get(orderId);
    if (!o) throw new WooEmulatorError(404, "woocommerce_rest_invalid_order_id", "Invalid order ID.");
    const restock = typeof body.api_restock === "boolean" ? body.api_restock : true;
    const refundPayment = typeof body.api_refund === "boolean" ? body.api_refund : true;
    const lines: Array<{ line: OrderLineRecord; qty: number; total: number }> = [];
    for (const raw of Array.isArray(body.line_items) ? body.line_items : []) {
      const line = o.line_items.find((l) => l.id === Number(raw?.id));
      if (!line) continue; // wc_create_refund skips items that are not the order's
      const qty = Math.trunc(Number(raw.quantity ?? raw.qty ?? 0)) || 0;
      const total = Number(raw.refund_total ?? 0) || 0;
      if (!qty && !total) continue;
      lines.push({ line, qty, total });
    }
    const amount =
      body.amount !== undefined && body.amount !== null && body.amount !== ""
        ? Number(body.amount)
        : lines.reduce((s, l) => s + l.total, 0);
    if (!Number.isFinite(amount) || amount < 0)
      throw new WooEmulatorError(
        400,
        "woocommerce_rest_invalid_order_refund",
        "Refund amount must be greater than zero.",
      );
    const remaining = this.remainingRefundAmount(o);
    if (amount > remaining + 1e-9)
      throw new WooEmulatorError(
        500,
        "woocommerce_rest_cannot_create_order_refund",
        "Invalid refund amount.",
        {},
        { scalarData: true },
      );
    // wc_refund_payment(): the offline gateways WooCommerce ships (bacs, cheque, cod) cannot refund automatically.
    if (refundPayment)
      throw new WooEmulatorError(
        500,
        "woocommerce_rest_cannot_create_order_refund",
        o.payment_method
          ? "The payment gateway for this order does not support automatic refunds."
          : "The payment gateway for this order does not exist.",
        {},
        { scalarData: true },
      );
    const refund: RefundRecord = {
      id: this.nextPostId++,
      amount,
      reason: typeof body.reason === "string" ? body.reason : "",
      refunded_payment: refundPayment,
      restock,
      line_items: lines.map((l) => ({
        id: this.nextLineId++,
        refunded_item_id: l.line.id,
        quantity: -l.qty,
        total: l.total,
      })),
      date_created_ms: this.now(),
    };
    o.refunds.push(refund);
    if (restock) this.restockRefundedItems(o, refund, lines);
    o.date_modified_ms = this.now();
    if (remaining - amount <= 1e-9 && o.status !== "refunded") {
      // woocommerce_order_fully_refunded → update_status('refunded'): its own refund finds nothing left to refund.
      o.status = "refunded";
    }
    this.emit({ topic: "order.updated", resourceId: o.id });
    return { order: o, refund };
  }

  private orderTotal(o: OrderRecord): number {
    return o.line_items.reduce((s, l) => s + l.price * l.quantity, 0);
  }
  private remainingRefundAmount(o: OrderRecord): number {
    return Math.round((this.orderTotal(o) - o.refunds.reduce((s, r) => s + r.amount, 0)) * 100) / 100;
  }

  /** `wc_order_fully_refunded()`: a refund of what remains, no line items, no restock. */
  private fullyRefunded(o: OrderRecord) {
    const remaining = this.remainingRefundAmount(o);
    if (remaining <= 0) return;
    o.refunds.push({
      id: this.nextPostId++,
      amount: remaining,
      reason: "Order fully refunded.",
      refunded_payment: false,
      restock: false,
      line_items: [],
      date_created_ms: this.now(),
    });
  }

  /**
   * wp-admin "Edit item" on an order line, then save: the line's quantity becomes `quantity` and, for an order whose
   * stock was reduced (processing / on-hold / completed), `wc_maybe_adjust_line_item_product_stock()` moves the
   * product's stock by the difference — `_reduced_stock` becomes quantity − refunded units (refund lines are
   * negative), the stock changes by the difference from what was reduced. Fires order.updated.
   */
  editOrderLine(orderId: number, line: { lineId?: number; sku?: string }, quantity: number): OrderRecord {
    const o = this.getOrder(orderId, 400);
    const l = o.line_items.find((x) => (line.lineId ? x.id === line.lineId : x.sku === line.sku));
    if (!l) throw new WooEmulatorError(400, "woocommerce_rest_invalid_order_item", "Invalid order item.");
    l.quantity = quantity;
    const p = this.lineProduct(l);
    if (REDUCE_ON.includes(o.status) && o.stock_reduced && p && this.stockHolder(p)) {
      const refunded = o.refunds.reduce(
        (s, r) => s + r.line_items.filter((x) => x.refunded_item_id === l.id).reduce((t, x) => t + x.quantity, 0),
        0,
      );
      const target = quantity + refunded;
      const diff = target - l.reduced_stock;
      l.reduced_stock = target;
      if (diff)
        this.withStockCause(
          { cause: "order_adjusted", orderId: o.id, orderStatus: o.status, lineId: l.id, lineReducedAfter: target },
          () => this.updateStock(p, Math.abs(diff), diff > 0 ? "decrease" : "increase"),
        );
    }
    o.date_modified_ms = this.now();
    this.emit({ topic: "order.updated", resourceId: o.id });
    return o;
  }

  private lineProduct(l: OrderLineRecord) {
    return this.products.get(l.variation_id || l.product_id);
  }
  /** `wc_maybe_reduce_stock_levels()` + `wc_reduce_stock_levels()`: each managed line once, recorded in `_reduced_stock`. */
  private maybeReduceStock(o: OrderRecord) {
    if (o.stock_reduced) return;
    const changes: string[] = [];
    for (const l of o.line_items) {
      const p = this.lineProduct(l);
      if (l.reduced_stock || !p || !this.stockHolder(p)) continue;
      l.reduced_stock = l.quantity;
      const r = this.withStockCause(
        {
          cause: "order_reduced",
          orderId: o.id,
          orderStatus: o.status,
          lineId: l.id,
          lineReducedAfter: l.reduced_stock,
        },
        () => this.updateStock(p, l.quantity, "decrease"),
      );
      changes.push(`${formattedName(p)} ${r.before}&rarr;${r.after}`);
    }
    o.stock_reduced = true;
    // wc_reduce_stock_levels(): one system note listing every change.
    if (changes.length)
      this.addNoteRecord(o, {
        note: `Stock levels reduced: ${changes.join(", ")}`,
        customer_note: false,
        author: "WooCommerce",
      });
  }
  /** `wc_maybe_increase_stock_levels()` + `wc_increase_stock_levels()`: gives back each line's `_reduced_stock`. */
  private maybeIncreaseStock(o: OrderRecord) {
    if (!o.stock_reduced) return;
    const changes: string[] = [];
    for (const l of o.line_items) {
      const p = this.lineProduct(l);
      if (!l.reduced_stock || !p || !this.stockHolder(p)) continue;
      const qty = l.reduced_stock;
      l.reduced_stock = 0;
      const r = this.withStockCause(
        { cause: "order_restocked", orderId: o.id, orderStatus: o.status, lineId: l.id, lineReducedAfter: 0 },
        () => this.updateStock(p, qty, "increase"),
      );
      changes.push(`${formattedName(p)} ${r.before}&rarr;${r.after}`);
    }
    o.stock_reduced = false;
    // wc_increase_stock_levels(): one system note listing every change.
    if (changes.length)
      this.addNoteRecord(o, {
        note: `Stock levels increased: ${changes.join(", ")}`,
        customer_note: false,
        author: "WooCommerce",
      });
  }
  /** `wc_restock_refunded_items()`: +qty for each listed line whose stock was reduced. */
  private restockRefundedItems(
    o: OrderRecord,
    refund: RefundRecord,
    lines: Array<{ line: OrderLineRecord; qty: number }>,
  ) {
    for (const { line, qty } of lines) {
      const p = this.lineProduct(line);
      if (!line.reduced_stock || !qty || !p || !this.stockHolder(p)) continue;
      line.reduced_stock -= qty;
      line.restock_refunded += qty;
      this.withStockCause(
        {
          cause: "refund_restocked",
          orderId: o.id,
          orderStatus: o.status,
          lineId: line.id,
          refundId: refund.id,
          lineReducedAfter: line.reduced_stock,
        },
        () => this.updateStock(p, qty, "increase"),
      );
    }
  }

  // ---------------------------------------------------------------- webhooks

  createWebhook(body: Record<string, any>): WebhookRecord {
    const topic = String(body.topic ?? "");
    if (
      !/^(coupon|customer|order|product)\.(created|updated|deleted|restored)$/.test(topic) &&
      !/^action\.\w+/.test(topic)
    )
      throw new WooEmulatorError(
        400,
        "woocommerce_rest_shop_webhook_invalid_topic",
        "Webhook topic is required and must be valid.",
      );
    if (!body.delivery_url || !/^https?:\/\//.test(String(body.delivery_url)))
      throw new WooEmulatorError(
        400,
        "woocommerce_rest_shop_webhook_invalid_delivery_url",
        "Webhook delivery URL must be a valid URL starting with http:// or https://.",
      );
    const t = this.now();
    const w: WebhookRecord = {
      id: this.nextWebhookId++,
      name: body.name ?? `Webhook created on ${new Date(t).toUTCString()}`,
      status: ["active", "paused", "disabled"].includes(body.status) ? body.status : "active",
      topic,
      delivery_url: String(body.delivery_url),
      secret: body.secret
        ? String(body.secret)
        : Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2),
      failure_count: 0,
      pending_delivery: true,
      api_version: "wp_api_v3",
      date_created_ms: t,
      date_modified_ms: t,
    };
    this.webhooks.set(w.id, w);
    return w;
  }

  getWebhook(id: number, status = 404): WebhookRecord {
    const w = this.webhooks.get(id);
    if (!w) throw new WooEmulatorError(status, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.");
    return w;
  }

  updateWebhook(id: number, body: Record<string, any>): WebhookRecord {
    const w = this.getWebhook(id, 400);
    if (body.topic != null) {
      if (!/^(coupon|customer|order|product)\.(created|updated|deleted|restored)$/.test(body.topic))
        throw new WooEmulatorError(400, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic must be valid.");
      w.topic = body.topic;
    }
    if (body.name != null) w.name = String(body.name);
    if (body.delivery_url != null) w.delivery_url = String(body.delivery_url);
    if (body.secret != null) w.secret = String(body.secret);
    if (body.status != null)
      w.status = ["active", "paused", "disabled"].includes(body.status) ? body.status : "disabled";
    w.date_modified_ms = this.now();
    return w;
  }

  /** REST v3 webhook body, without its secret (./json.ts). */
  webhookJson(w: WebhookRecord): Record<string, unknown> {
    return webhookJson(this, w);
  }

  // ---------------------------------------------------------------- seeding

  /**
   * Seeds from the sample catalog: simple/variable/external first, then variations (by parent SKU), then grouped.
   * Stock-able items (simple non-virtual-downloadable, variations) get manage_stock true and `stock(sku)` units.
   * Returns SKU -> product id.
   */
  seedCatalog(products: SampleProduct[], stock: (sku: string) => number): Record<string, number> {
    const ids: Record<string, number> = {};
    const stockFields = (p: SampleProduct) =>
      isStockable(p) ? { manage_stock: true, stock_quantity: stock(p.sku) } : { manage_stock: false };
    const attrs = (p: SampleProduct, variable: boolean) =>
      p.attributes.map((a, i) => ({
        id: 0,
        name: a.name,
        position: i,
        visible: a.visible ?? true,
        variation: variable,
        options: a.values,
      }));
    for (const p of products.filter((x) => x.type !== "variation" && x.type !== "grouped")) {
      ids[p.sku] = this.createProduct({
        type: p.type,
        name: p.name,
        sku: p.sku,
        regular_price: p.regularPrice ?? "",
        sale_price: p.salePrice ?? "",
        status: p.published ? "publish" : "draft",
        external_url: p.externalUrl ?? undefined,
        button_text: p.buttonText ?? undefined,
        virtual: p.virtual,
        downloadable: p.downloadable,
        attributes: attrs(p, p.type === "variable"),
        backorders: p.backordersAllowed ? "yes" : "no",
        ...stockFields(p),
      }).id;
    }
    for (const p of products.filter((x) => x.type === "variation")) {
      const parentId = ids[p.parentSku ?? ""];
      if (!parentId) throw new Error(`seedCatalog: variation ${p.sku} has unknown parent ${p.parentSku}`);
      ids[p.sku] = this.createProduct(
        {
          sku: p.sku,
          regular_price: p.regularPrice ?? "",
          sale_price: p.salePrice ?? "",
          attributes: p.attributes.map((a) => ({ id: 0, name: a.name, option: a.values[0] ?? "" })),
          ...stockFields(p),
        },
        parentId,
      ).id;
    }
    for (const p of products.filter((x) => x.type === "grouped")) {
      ids[p.sku] = this.createProduct({
        type: "grouped",
        name: p.name,
        sku: p.sku,
        grouped_products: p.groupedSkus.map((s) => ids[s]).filter(Boolean),
      }).id;
    }
    return ids;
  }

  // ---------------------------------------------------------------- SyncFlow plugin

  /**
   * Runs a SyncFlow plugin stock write with request-key idempotency (24 h). Only successful answers are
   * remembered; same key + same fingerprint => stored answer with replayed:true; same key + other fingerprint
   * => 422 syncflow_idempotency_mismatch.
   */
  idempotent(requestKey: string, fingerprint: string, run: () => Record<string, unknown>): Record<string, unknown> {
    const now = this.now();
    for (const [k, r] of this.idem) if (r.atMs < now - 48 * 3600_000) this.idem.delete(k);
    const prior = this.idem.get(requestKey);
    if (prior) {
      if (prior.fingerprint !== fingerprint)
        throw new WooEmulatorError(
          422,
          "syncflow_idempotency_mismatch",
          "request_key was already used with a different request body.",
        );
      return { ...prior.response, replayed: true };
    }
    const response = run();
    this.idem.set(requestKey, { fingerprint, response, atMs: now });
    return response;
  }
}
