/**
 * The port, role 1 of 2: the RECORD — the one store whose inventory is the truth (docs/decisions/180).
 *
 * SyncFlow is a Shopify app: the merchant's Shopify shop holds the stock record (GUIDE §1). Every other store is a
 * sales channel (`./sales-channel.ts`) that sells units the record holds. The engine (`app/sync`, `app/jobs`,
 * `app/models`) talks to the record only through this interface; `app/channels/shopify/` implements it.
 *
 * Terms: an *inventory item* is what the record counts (one per variant, Shopify `InventoryItem`); a *location* is
 * where units sit (Shopify `Location`); a *level* is an item's quantities at one location; *quantity names* are the
 * record's own buckets (`available`, `on_hand`, `committed`, `reserved`, `safety_stock`, …,
 * https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states).
 * Quantities are whole units. Every write carries an idempotency key and, per change, the value it expects
 * (compare-and-set, `changeFromQuantity`; null = no check): a lost compare-and-set raises `ChannelError("STALE")`
 * with `current`, and the caller retries with a NEW key (the record replays a key's first answer).
 */
import type { Channel, ChannelListing, QuantityWriteResult } from "./channel";

/** A place the record keeps stock. `id` is the record's own id (Shopify Location GID). */
export interface RecordLocation {
  id: string;
  name: string;
  isActive: boolean;
}

/** A relative change of `available` at one level; `changeFromQuantity` is the compare-and-set guard (null = none). */
export interface AdjustChange {
  inventoryItemId: string;
  locationId: string;
  /** Units, signed. */
  delta: number;
  changeFromQuantity: number | null;
}

/** An absolute value of `available` at one level, guarded like `AdjustChange`. */
export interface SetQuantity {
  inventoryItemId: string;
  locationId: string;
  /** Units. */
  quantity: number;
  changeFromQuantity: number | null;
}

/** A relative change of a named quantity; `ledgerDocumentUri` is required by the record for every name but `available`. */
export interface NamedAdjustChange extends AdjustChange {
  ledgerDocumentUri: string | null;
}

/** One end of a move: quantity name, expected current value (compare-and-set; null = no check), ledger document (not for `available`). */
export interface MoveTerminal {
  name: string;
  changeFromQuantity: number | null;
  ledgerDocumentUri: string | null;
}

/** Move `quantity` units of an item between two quantity names at one location (atomic on the record). */
export interface MoveChange {
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  from: MoveTerminal;
  to: MoveTerminal;
}

/** Result of a move: each terminal's quantity after the change, in units. */
export interface MoveResult {
  fromAfter: number;
  toAfter: number;
}

/**
 * Audit data of a record write: the idempotency key, a documented reason (e.g. "correction") and a reference URI
 * such as `gid://syncflow/ShopifyAdjustment/<id>` (Shopify requires both on every inventory mutation).
 */
export interface WriteMeta {
  idempotencyKey: string;
  reason: string;
  referenceDocumentUri: string;
}

/** Levels as the record reports them: inventory item → location → units. */
export type LevelMap = Map<string, Map<string, number>>;

/**
 * What the record offers the engine. Every method rejects with `ChannelError` only (THROTTLED and the transient codes
 * already retried by the adapter's client). Batches: any length; the adapter chunks by `RECORD_MAX_BATCH` and suffixes
 * chunk n > 0's idempotency key with `:n`.
 */
export interface InventoryRecord extends Channel {
  /** Every active location of the record (paged inside). */
  listLocations(): Promise<RecordLocation[]>;
  /** Every listing (variant) of the record, a page at a time; `quantitiesByLocation` holds `available` per location. */
  listListings(opts?: { query?: string }): AsyncGenerator<ChannelListing[]>;
  /** `available` of these items at these locations (missing level = absent from the inner map). */
  readAvailable(inventoryItemIds: string[], locationIds: string[]): Promise<LevelMap>;
  /**
   * `available` of EVERY item at these locations in one bulk read (Shopify bulk operation; minutes, not pages).
   * `opts.safetyStock`, when given, is filled with the `safety_stock` quantity per item and location from the same read.
   */
  readAllAvailableBulk(locationIds: string[], opts?: { safetyStock?: LevelMap }): Promise<LevelMap>;
  /** Named quantities (`names`) of these items at these locations: item → location → name → units. */
  readQuantities(
    inventoryItemIds: string[],
    locationIds: string[],
    names: string[],
  ): Promise<Map<string, Map<string, Record<string, number>>>>;
  /** Relative changes of `available`, compare-and-set per change, idempotent per key. One result per change. */
  adjustAvailable(changes: AdjustChange[], meta: WriteMeta): Promise<QuantityWriteResult[]>;
  /** Absolute values of `available`, compare-and-set per change, idempotent per key. */
  setAvailable(quantities: SetQuantity[], meta: WriteMeta): Promise<QuantityWriteResult[]>;
  /** Relative changes of the named quantity `name` (e.g. `safety_stock`), chunked like every write. */
  adjustQuantities(name: string, changes: NamedAdjustChange[], meta: WriteMeta): Promise<QuantityWriteResult[]>;
  /** The same as ONE call (≤ `RECORD_MAX_BATCH` changes; a stored call replayed with its key must stay one call). */
  adjustQuantitiesCall(name: string, changes: NamedAdjustChange[], meta: WriteMeta): Promise<QuantityWriteResult[]>;
  /** Atomic moves between quantity names (e.g. `available` → `safety_stock` for allocations, decision 008). */
  moveQuantities(changes: MoveChange[], meta: WriteMeta): Promise<MoveResult[]>;
  /**
   * The current unit cost of each inventory item (analytics, issue 18): item GID → { amount (decimal string), currency
   * (ISO 4217) } or null when the item has no cost; items the record does not know are absent.
   */
  readUnitCosts(inventoryItemIds: string[]): Promise<Map<string, UnitCost | null>>;
}

/** A unit cost as the record holds it: a decimal string and its ISO 4217 currency. */
export interface UnitCost {
  amount: string;
  currency: string;
}

/** One app subscription (billing) as the record's platform holds it. Times ISO-8601. */
export interface AppSubscriptionRead {
  id: string;
  name: string;
  status: string;
  test: boolean;
  trialDays: number;
  createdAt: string;
  currentPeriodEnd: string | null;
}

/**
 * The app's own calls on the record's shop that are not inventory (Shopify billing and Flow). Kept beside the record
 * because SyncFlow is an app of that platform; the engine reaches them only through this interface.
 */
export interface RecordApp {
  /** The app subscription `id` (billing), or null when it is not among the app's recent subscriptions. */
  readAppSubscription(id: string): Promise<AppSubscriptionRead | null>;
  /**
   * The app's API budget on the shop now, from one cheap query's `extensions.cost.throttleStatus` (points and
   * points/s; https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits — one bucket per app and shop).
   * null when the platform reports none.
   */
  readApiBudget(): Promise<{ maximum: number; available: number; restoreRate: number } | null>;
  /** Starts the record's automation (Shopify Flow) for `handle` with `payload`. Throws ChannelError BAD_REQUEST when refused. */
  sendFlowTrigger(handle: string, payload: Record<string, unknown>): Promise<void>;
}

/** The record caps inventory mutations and connection pages at 250 (Shopify Admin GraphQL input limits). */
export const RECORD_MAX_BATCH = 250;

/** A postal address for an imported order (the record's MailingAddressInput; absent parts null). */
export interface OrderAddress {
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  address1: string | null;
  address2: string | null;
  city: string | null;
  /** ISO 3166-2 subdivision code without the country (e.g. "KY", "QC"). */
  provinceCode: string | null;
  zip: string | null;
  /** ISO 3166-1 alpha-2 (e.g. "GB"). */
  countryCode: string | null;
  phone: string | null;
}

/** One line of an order imported into the record: a linked variant, or a custom line (variantId null). */
export interface ImportOrderLine {
  /** The record's variant id (Shopify ProductVariant GID), or null for a custom line (SKU not linked). */
  variantId: string | null;
  sku: string | null;
  title: string;
  /** Units. */
  quantity: number;
  /** Unit price as sold, decimal string in `ImportOrderInput.currency`. */
  unitPrice: string;
}

/**
 * An order of a sales channel to create on the record (the central shop). `key` is the unique key stored with the
 * order (Shopify `sourceIdentifier`) that makes creation idempotent. Times ISO-8601; money decimal strings.
 */
export interface ImportOrderInput {
  key: string;
  currency: string;
  /** When the sale happened at the source (the record's processedAt). */
  processedAt: string | null;
  email: string | null;
  lines: ImportOrderLine[];
  shippingAddress: OrderAddress | null;
  billingAddress: OrderAddress | null;
  /** Shipping charged at the source (one line), null when none. */
  shipping: { title: string; price: string } | null;
  tags: string[];
  note: string | null;
  /** Shown in the order's "Additional details" (source store, source order number). */
  attributes: { key: string; value: string }[];
  /** Paid or pending as at the source. */
  paid: boolean;
  /** Whether the record e-mails the customer its order confirmation (false: the source store already did). */
  notifyCustomer: boolean;
}

/** An order on the record as the orders hub follows it. */
export interface RecordOrderRef {
  id: string;
  /** The number the merchant sees (#1001). */
  name: string;
  key: string | null;
  cancelledAt: string | null;
  /** The record's words, e.g. PAID / PENDING and UNFULFILLED / PARTIALLY_FULFILLED / FULFILLED. */
  financialStatus: string | null;
  fulfillmentStatus: string | null;
}

/** One fulfilment of a record order: its tracking (one company, one or more numbers with URLs) and line units. */
export interface RecordFulfilment {
  id: string;
  name: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  tracking: { company: string | null; number: string | null; url: string | null }[];
  lines: { lineId: string; sku: string | null; variantId: string | null; quantity: number }[];
}

/**
 * Orders the orders hub keeps on the record (issue 15; docs/decisions/215). Every method rejects with ChannelError
 * (BAD_REQUEST for what the record refused, with its messages; AUTH when the token lacks the order scopes).
 */
export interface RecordOrders {
  /** The record's order carrying `key`, or null (the newest when, against the rule, several carry it). */
  findOrderByKey(key: string): Promise<RecordOrderRef | null>;
  /**
   * Creates `input` as one order WITHOUT moving inventory (the sale already reached the record as a stock movement),
   * unless an order with `input.key` exists: then that one is returned with `created` false. One attempt per call:
   * an ambiguous failure (timeout, 5xx) is thrown, and the caller's retry looks the key up first.
   */
  createImportedOrder(input: ImportOrderInput): Promise<{ order: RecordOrderRef; created: boolean }>;
  /** Cancels the order without restocking and without refunding; `false` when it was already cancelled. */
  cancelImportedOrder(orderId: string, opts: { notifyCustomer: boolean; staffNote: string | null }): Promise<boolean>;
  /** The order and its fulfilments; null when the order does not exist. */
  readFulfilments(orderId: string): Promise<{ order: RecordOrderRef; fulfilments: RecordFulfilment[] } | null>;
}
