/**
 * Normalised events: what an adapter turns a platform's raw delivery (webhook body, plugin call, polled page) into,
 * so the engine never parses a platform payload (docs/decisions/180). Quantities in units; money as decimal strings
 * in the store's currency; times ISO-8601 UTC strings as the platform stated them (null when it gave none).
 *
 * Ids are the store's own ids as strings: `listingId` is a listing's `externalId` (`ChannelListing`), order and line
 * ids are what the store calls them. Adapters raise `DeliveryParseError` for a body they cannot read (the intake
 * answers 400 with the reason; a stored receipt that fails to parse is parked, never retried forever).
 */
import type { OrderAddress, RecordFulfilment } from "./record";

/** A raw delivery as the intake stored it: the platform's topic name, headers (lower-case keys) and parsed body. */
export interface RawDelivery {
  topic: string;
  headers?: Record<string, string>;
  body: unknown;
}

/** The delivery could not be read as its topic says; `message` names the field. Not retryable. */
export class DeliveryParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeliveryParseError";
  }
}

/** One line of a sales channel's order. */
export interface SalesOrderLine {
  lineId: string;
  /** The listing's product id on the store (its own id for a simple product). */
  productId: string;
  /** The variant / variation id when the line sold one, else null. The listing is `variantId ?? productId`. */
  variantId: string | null;
  sku: string | null;
  /** Units ordered. */
  quantity: number;
  price: string;
  title: string;
  /**
   * Units the store's own stock tally says this line holds now (WooCommerce `_reduced_stock`; a retailer Shopify
   * line's fulfillable units), 0 when none; null when the store reports no tally (the engine then follows the order's
   * `statusEffect`).
   */
  stockTaken: number | null;
}

/** An order of a sales channel as the engine records it. */
export interface SalesOrder {
  orderId: string;
  /** The number the merchant sees (#1001). */
  number: string;
  /** The store's status word (WooCommerce `processing`, …; retailer Shopify: `open`, `cancelled`, financial status). */
  status: string;
  currency: string;
  total: string;
  createdAt: string | null;
  modifiedAt: string | null;
  customer: { firstName: string | null; lastName: string | null; email: string | null };
  lines: SalesOrderLine[];
  /**
   * What the order's status does to its stock by the store's own rules (the adapter states it; the engine names no
   * platform's statuses, decision 200): "take" — entering this status takes every line's units, once per order;
   * "release" — it gives every line's units back (a cancellation); "keep" — it moves nothing by itself (a refund or a
   * failure gives back only what the store restocked). The engine follows it for a line whose `stockTaken` is null,
   * and names a give-back "cancel" (release) or "refund" (otherwise) in the ledger. Absent: "keep".
   */
  statusEffect?: "take" | "release" | "keep";
  /**
   * Whether the store's listing already shows the sale everywhere it sells (default true: the store moved its own
   * stock for its own order, so the engine moves the listing's baseline by it and pushes nothing). false when one
   * listing covers several storefronts and the sale moved only its own (an Amazon order in one marketplace of a
   * several-marketplace channel, decision 276): the baseline stays and the next push writes every storefront.
   */
  listingFollowsSale?: boolean;
  /**
   * true when the delivery carries only some lines and no order header (a retailer Shopify `refunds/create`: the
   * restocked lines, no number, total or status): the engine moves those lines' stock and keeps the stored header.
   */
  partial?: boolean;
  /** The customer's shipping address, when the store gave one (orders hub, issue 15). */
  shippingAddress?: OrderAddress | null;
  /** The customer's billing address, when the store gave one. */
  billingAddress?: OrderAddress | null;
  /** Whether the store counts the order as paid (WooCommerce `date_paid_gmt` set; Shopify `financial_status` paid). */
  paid?: boolean | null;
  /** Shipping charged (one line: the method's title and the total, decimal string), null when none. */
  shipping?: { title: string; price: string } | null;
}

/** A listing's state as a product/variant delivery reports it. */
export interface ListingChange {
  listingId: string;
  /** Parent product id for a variant / variation, else null. */
  parentId: string | null;
  sku: string | null;
  /** The store's product type word, null when the delivery omits it. */
  productType: string | null;
  /** true / false, or "parent" when a variation's stock is managed by its parent. */
  manageStock: boolean | "parent";
  /** Units the store shows, null when stock is not managed. */
  quantity: number | null;
  modifiedAt: string | null;
  /**
   * true when the delivery does not name the listing's SKU (a retailer Shopify `inventory_levels/update` names only
   * the inventory item): `sku` is then null without meaning "no SKU", and the engine does not compare it.
   */
  skuUnknown?: boolean;
  /**
   * true when the delivery carries no stock figure (a retailer Shopify `products/update`: Shopify sends stock in
   * `inventory_levels/update`): `quantity` and `modifiedAt` then say nothing about stock, and the engine records no
   * stock observation from it (only SKU / stock-management changes count).
   */
  quantityUnknown?: boolean;
}

/**
 * One stock change a store reports itself, with its cause (WooCommerce: the plugin's stock events,
 * docs/contracts/hub-api-v1.md §2). Quantities in units; `at` ISO-8601 as the store stated it.
 */
export interface StockChange {
  /** The store's event id (unique per store: the intake's dedupe key). */
  id: string;
  /** The store's event stream and its increasing sequence: an older event than one applied to a line changes nothing. */
  stream: string;
  seq: number;
  at: string;
  /** The listing whose stock moved (`ChannelListing.externalId`). */
  listingId: string;
  sku: string | null;
  before: number;
  after: number;
  delta: number;
  /**
   * "order": an order moved the stock (`order` says how); "echo": the hub's own write coming back (nothing moves);
   * "store": any other change on the store — never a sale (the store's conflict policy applies).
   */
  kind: "order" | "echo" | "store";
  /** The store's own cause word, kept in ledger notes and conflict details. */
  cause: string;
  /** The cause as the merchant reads it ("Stock edited in wp-admin"). */
  label: string;
  /**
   * For kind "order": the order and line, the move ("take" a sale, "restock" a cancellation, "refund" a refund's
   * restock, "adjust" a line edited on the store), the units the line holds after it (`lineTaken`: the store's tally,
   * null when not stated: the engine then applies `delta`) and the line's quantity when stated.
   */
  order: {
    orderId: string;
    lineId: string;
    status: string | null;
    move: "take" | "restock" | "refund" | "adjust";
    lineTaken: number | null;
    lineQuantity: number | null;
  } | null;
  /** The idempotency key of the hub's write, for kind "echo", when the store reports it. */
  requestKey: string | null;
}

/**
 * Events a sales channel reports. `order.placed` / `order.changed` carry the whole order (the engine follows each
 * line's `stockTaken`); `order.refunded` also carries it (restocked lines have a lower `stockTaken`);
 * `stock.changed` is a store's own report of one stock move with its cause (`StockChange`; WooCommerce plugin stock
 * events, parsed by the adapter); `listing.changed` is a
 * product/variant edit (SKU, stock management, quantity observed).
 */
export type SalesEvent =
  | { type: "order.placed" | "order.changed" | "order.refunded"; order: SalesOrder }
  | { type: "stock.changed"; change: StockChange }
  | { type: "listing.changed"; listing: ListingChange };

/** A level of the record changed (Shopify `inventory_levels/update`). */
export interface RecordLevelChange {
  inventoryItemId: string;
  locationId: string;
  /** Units, null when the level stopped tracking. */
  available: number | null;
  updatedAt: string;
  levelId: string;
}

/** One line of an order placed on the record itself (shown in the unified order view). */
export interface RecordOrderLine {
  lineId: string;
  sku: string | null;
  variantId: string | null;
  productId: string | null;
  quantity: number;
  /** Units still on the line after edits/removals, when the record says. */
  currentQuantity: number | null;
  price: string;
  title: string;
}

/** An order placed on the record (Shopify `orders/*`): the record already moved its own stock. */
export interface RecordOrder {
  orderId: string;
  name: string;
  createdAt: string | null;
  updatedAt: string | null;
  cancelledAt: string | null;
  currency: string;
  total: string;
  financialStatus: string | null;
  locationId: string | null;
  customer: { id: string | null; email: string | null; name: string | null } | null;
  lines: RecordOrderLine[];
  /** The order's `source_identifier` (an order the orders hub imported carries its key there; decision 217). */
  sourceIdentifier?: string | null;
  /** The order's fulfilments when the delivery carries them (orders/updated: all of them, cancelled ones too). */
  fulfilments?: RecordFulfilment[];
}

/** A refunded line of a record order; `restock` true when the record put the units back. */
export interface RecordRefundLine {
  lineId: string;
  sku: string | null;
  variantId: string | null;
  quantity: number;
  restockType: string;
  restock: boolean;
  locationId: string | null;
}

/** A refund on the record (Shopify `refunds/create`). */
export interface RecordRefund {
  refundId: string;
  orderId: string | null;
  createdAt: string | null;
  lines: RecordRefundLine[];
  restockLines: RecordRefundLine[];
}

/** Events the record reports about itself. */
export type RecordEvent =
  | { type: "level.changed"; level: RecordLevelChange }
  | { type: "order.placed" | "order.changed" | "order.cancelled"; order: RecordOrder }
  | { type: "order.refunded"; refund: RecordRefund }
  /** A fulfilment of a record order was created or changed (Shopify fulfillments/create, fulfillments/update). */
  | { type: "fulfilment.changed"; orderId: string | null; fulfilment: RecordFulfilment }
  | { type: "catalog.changed" };
