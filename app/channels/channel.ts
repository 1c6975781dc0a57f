/**
 * The one interface every connected store implements (GUIDE §7: routes → sync → channels).
 *
 * Only code under `app/channels/<kind>/` talks to a platform; the sync engine sees stores only
 * through this module's types. Quantities are whole units; times are ms since epoch unless named `…At`
 * (ISO-8601 strings as the platform sent them).
 */

export type ChannelKind = "shopify" | "woocommerce" | "shopify_retailer" | "amazon" | "etsy";

/** The stored `Channel.kind` of the record (the merchant's Shopify shop); every other kind is a sales channel (decision 180). */
export const RECORD_KIND = "shopify";

/** The stored `Channel.kind` of a retailer Shopify shop selling the central shop's stock (decision 195). */
export const RETAILER_KIND = "shopify_retailer";

/** A sellable thing on one store: a Shopify variant or a WooCommerce simple product / variation. */
export interface ChannelListing {
  /** Stable id of the sellable unit on that store: Shopify variant GID, WooCommerce product/variation id. */
  externalId: string;
  /** Parent product id on the store (Shopify product GID / WooCommerce parent id or own id for simple). */
  productId: string;
  /** Variant/variation id, or null when the listing is a simple product. */
  variantId: string | null;
  /** Shopify only: the inventory item GID that holds quantities. */
  inventoryItemId?: string | null;
  /** SKU as the store holds it (not normalised), or null when the store has none. */
  sku: string | null;
  title: string;
  /** WooCommerce product type (simple, variable, variation, grouped, external) or "variant" on Shopify. */
  productType: string;
  /** Whether the store tracks stock for this listing (Shopify `tracked`, WooCommerce `manage_stock`). */
  manageStock: boolean;
  /**
   * Quantity the store shows as sellable, in units: WooCommerce `stock_quantity`; Shopify `available`
   * summed over the locations asked for. null when the store does not manage stock.
   */
  quantity: number | null;
  /** Shopify only: available per location GID. */
  quantitiesByLocation?: Record<string, number>;
  /** Price in the store's currency as a decimal string, when known. */
  price?: string | null;
  /** Last modification time on the store (ISO-8601, UTC), used for monotonic ordering. */
  modifiedAt?: string | null;
}

/** Why a channel call failed, so the caller can retry, re-read or park it. */
export type ChannelErrorCode =
  | "THROTTLED" // rate limited (Shopify THROTTLED / HTTP 429); retry after retryAfterMs
  | "STALE" // compare-and-set lost: `current` holds the store's value now
  | "NOT_FOUND"
  | "AUTH" // credentials rejected (401/403)
  | "TIMEOUT"
  | "NETWORK" // connection refused/reset
  | "SERVER" // 5xx
  | "BAD_REQUEST" // the store rejected what we sent (4xx, GraphQL validation, userErrors)
  | "UNSUPPORTED"; // the store lacks the capability (e.g. no SyncFlow plugin endpoints)

/** Error raised by every channel adapter. `retryable` tells the job layer whether to retry. */
export class ChannelError extends Error {
  constructor(
    readonly code: ChannelErrorCode,
    message: string,
    readonly opts: {
      retryable?: boolean;
      retryAfterMs?: number;
      current?: number | null;
      status?: number;
      cause?: unknown;
      /**
       * The platform refused the channel's authorisation itself (an OAuth refresh answered `invalid_grant`: revoked
       * or expired): no retry helps, only connecting the channel again (AUTH, not retryable).
       */
      revoked?: boolean;
    } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "ChannelError";
  }
  get retryable(): boolean {
    return this.opts.retryable ?? ["THROTTLED", "TIMEOUT", "NETWORK", "SERVER"].includes(this.code);
  }
}

/** Result of a quantity write. `before`/`after` are the store's values around the write when known. */
export interface QuantityWriteResult {
  before: number | null;
  after: number;
  /** True when the store recognised the idempotency key and did not apply the write again. */
  replayed?: boolean;
}

/** What every store adapter offers the sync engine. */
export interface Channel {
  readonly kind: ChannelKind;
  /** Checks credentials against the store; resolves with the store's own name. Throws ChannelError AUTH/NETWORK. */
  verifyConnection(): Promise<{ name: string; currency?: string | null }>;
  /** Every listing on the store, a page at a time (pages of ≤ 100 on WooCommerce, ≤ 250 on Shopify). */
  listListings(): AsyncGenerator<ChannelListing[]>;
}
