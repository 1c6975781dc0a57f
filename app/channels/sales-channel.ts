/**
 * The port, role 2 of 2: a SALES CHANNEL — a store that sells units the record holds (docs/decisions/180).
 *
 * A WooCommerce store (`app/channels/woocommerce/`), a retailer Shopify shop (issue 14 item 4), later Amazon and Etsy
 * (issue 16). The engine never asks "which platform is this?": it reads the channel's declared capabilities and calls
 * the methods below. Each adapter parses its platform's payloads itself and hands the engine normalised events
 * (`./events.ts`).
 *
 * Quantities in units, times in ms (durations) or ISO-8601 (instants the platform stated). Every method rejects with
 * `ChannelError` only; `retryable` says whether the job layer retries.
 */
import type { Channel, ChannelError, ChannelListing, QuantityWriteResult } from "./channel";
import type { RawDelivery, SalesEvent, SalesOrder } from "./events";

/**
 * How a store takes quantity writes.
 * - `delta-cas`: relative changes and compare-and-set, each atomic on the store and idempotent per key (WooCommerce
 *   with the SyncFlow plugin — `wc_update_product_stock` under the plugin's request keys; Shopify retailer shops —
 *   `inventoryAdjustQuantities` with `changeFromQuantity` and `@idempotent`). Exact: a sale on the store never races
 *   the hub's write.
 * - `set-only`: absolute quantities only, last writer wins (WooCommerce without the plugin: REST `stock_quantity`;
 *   Amazon's feeds; Etsy's listing inventory). The engine guards these stores with a buffer and reconciliation.
 */
export type WriteModel = "delta-cas" | "set-only";

/** How a store reports what happened on it. */
export type EventSource = "webhook" | "polling";

/**
 * What a sales channel can do, as its adapter declares it (per kind, refined per store by `discoverCapabilities`:
 * a WooCommerce store is `delta-cas` only when its plugin answers). The engine reads only this, never the kind.
 */
export interface SalesChannelCapabilities {
  writeModel: WriteModel;
  /** Most quantity operations one `writeQuantities` call sends in one request (1 = no batch route). */
  writeBatchSize: number;
  /** Listings per page of `listListings`. */
  listPageSize: number;
  events: EventSource;
  /** When `events` is "polling": how often the engine polls (ms). */
  pollIntervalMs?: number;
  /** How far back the store lets the hub read orders (ms); null when there is no limit. */
  orderLookBackMs: number | null;
  /**
   * The store's rate limit as the adapter knows it: `concurrency` calls at once at most (the adapter's client adapts
   * below it, see `concurrency()`), and `requestsPerSecond` when the platform publishes one.
   */
  rateLimit: { concurrency: number; requestsPerSecond?: number };
  /** Whether `readSnapshot` reads every listing's quantity in a few large pages (cheaper than `listListings`). */
  snapshot: boolean;
  /** Whether the store reports each stock change with its cause (`stock.changed` events; the hub's echo by key). */
  stockEvents: boolean;
  /** Named contract features the store offers now (WooCommerce plugin `features`: `stock-batch`, `stock-snapshot`). */
  features: string[];
  /**
   * Calls a reconciliation sends one store at once: `read` listing pages of `listListings`, `write` single
   * corrections when the store has no batch route (a batch route follows `concurrency()`). The store's workers bound
   * both: more only queues on the store (docs/decisions/081). Absent: `DEFAULT_RECONCILE_CONCURRENCY`.
   */
  reconcileConcurrency?: { read: number; write: number };
  /**
   * Whether `updateListingDetails` writes a listing's price and title (per-store overrides in the admin); absent or
   * false when the store takes no overrides (its adapter refuses with BAD_REQUEST).
   */
  listingDetails?: boolean;
  /** The store-side software version that answered (plugin version), when known. */
  version?: string | null;
  /**
   * Set-only platforms whose adapter EMULATES `delta` and `cas` (docs/decisions/300): each such operation reads the
   * listing's quantity afresh (the platform's single-listing read) and then sets an absolute quantity computed from
   * that read (`readThenSetQuantity`, ./read-then-set.ts). Not atomic: a sale landing between the read and the set is
   * overwritten (the window is a round trip). Such a channel can hold allocations (exact by allocation); without them
   * it stays buffered (`set` operations of the derived quantity).
   */
  readThenSet?: boolean;
}

/** Reconciliation's calls at once to a store whose kind declares no `reconcileConcurrency` (2 reads, 2 writes). */
export const DEFAULT_RECONCILE_CONCURRENCY = { read: 2, write: 2 } as const;

/** Contract feature: the store writes many quantity operations in one request. */
export const FEATURE_BATCH = "stock-batch";
/** Contract feature: the store reads every listing's quantity in paged snapshots. */
export const FEATURE_SNAPSHOT = "stock-snapshot";

/**
 * One quantity operation on a listing. `listingId` is the listing's `externalId`; `idempotencyKey` makes a resent
 * operation a replay (the store answers the first result again).
 * - `delta`: add `delta` units (negative to take);
 * - `cas`: set `quantity` only if the store holds `expected` now, else ChannelError STALE with `current`. On a
 *   read-then-set store (capabilities `readThenSet`, decision 300) `expected` is the hub's upper bound instead: the
 *   store sets min(read, expected) + (quantity − expected) — units sold there and not yet polled stay sold — and
 *   refuses STALE only when that would be below 0;
 * - `set`: set `quantity` unconditionally (set-only stores; last writer wins). `parentId` is the variant's product
 *   id where the platform addresses variants under their product.
 */
export type QuantityOp =
  | {
      op: "delta";
      listingId: string;
      delta: number;
      idempotencyKey: string;
      /**
       * Read-then-set stores only (decision 300): the quantity read is first capped at this (the hub's baseline: a read
       * above it holds units no allocation covers — a sale an earlier set overwrote — so they are not shown again).
       * Atomic stores ignore it.
       */
      atMost?: number;
    }
  | { op: "cas"; listingId: string; expected: number; quantity: number; idempotencyKey: string }
  | { op: "set"; listingId: string; parentId?: string | null; quantity: number };

/** The outcome of one operation, in input order: the write (`before`/`after` units), or why the store refused it. */
export type QuantityOpResult = ({ ok: true } & QuantityWriteResult) | { ok: false; error: ChannelError };

/** A listing's quantity as a snapshot reads it: units, null when the store does not manage its stock. */
export interface ListingQuantity {
  listingId: string;
  quantity: number | null;
}

/** Where the store delivers events, and the secret it signs them with. */
export interface SubscriptionTarget {
  deliveryUrl: string;
  secret: string;
}

/** Health of one event subscription the engine relies on. */
export interface SubscriptionState {
  topic: string;
  /** `missing`: the store has no subscription for the topic at that address. */
  state: "active" | "paused" | "disabled" | "missing";
}

/** Details the merchant may override on a listing (money as a decimal string). */
export interface ListingDetails {
  regularPrice?: string | null;
  name?: string | null;
}

/** Contract feature: the store runs WooCommerce Shipment Tracking (the plugin reports it; orders hub pushback). */
export const FEATURE_SHIPMENT_TRACKING = "shipment-tracking";

/**
 * One central fulfilment as the source store must show it (orders hub pushback, issue 15 item 3;
 * app/sync/orders-hub/pushback.server.ts). `key` marks what the store keeps for it so a retry after a lost answer can
 * find it instead of writing it again: `[syncflow:<key>]` in a WooCommerce order note, the tracking numbers of a
 * retailer Shopify fulfilment. Quantities in units.
 */
export interface FulfilmentPush {
  /** `<fulfilment row id>/<version>`: unique per central fulfilment and version (status + tracking + lines). */
  key: string;
  /** The hub's fulfilment row id (the same for every version of one central fulfilment). */
  fulfilmentId: string;
  /** The source order (`SalesOrder.orderId`). */
  orderId: string;
  /** "shipped": the central fulfilment is in effect; "cancelled": it was cancelled on the central shop. */
  status: "shipped" | "cancelled";
  /** Carrier as the central shop names it (null when none was given). */
  company: string | null;
  /** Each tracking number with its URL (null when none). */
  tracking: { number: string; url: string | null }[];
  /** The source order's lines this fulfilment covers (`SalesOrderLine.lineId`) and units. */
  lines: { lineId: string; sku: string | null; quantity: number }[];
  /** Whether every line of the source order is fully shipped once this push is in (WooCommerce: completed). */
  orderFullyShipped: boolean;
  /** Whether the store tells its customer (WooCommerce: a customer note; Shopify: `notifyCustomer`). */
  notifyCustomer: boolean;
  /** What the store holds for this fulfilment from an earlier push (note id, retailer Fulfillment GID), if known. */
  sourceRef: string | null;
}

/** What a push left at the source: `sourceRef` (note id / Fulfillment GID) and whether it was there already. */
export interface FulfilmentPushResult {
  sourceRef: string | null;
  /** true when the store already held this version (a retry after a lost answer): nothing was written twice. */
  alreadyThere: boolean;
  /** What the store did, in words ("note 12 (customer), tracking meta, status completed"). */
  summary: string;
}

/**
 * What every sales channel adapter offers the engine.
 *
 * Writes: `writeQuantities` sends the operations in as few calls as the store allows (its batch route when it has one,
 * else one call per operation, concurrently) and answers per operation; a call that failed as a whole answers every
 * operation of it with that error (a retryable one means the outcome is unknown). It never throws.
 */
export interface SalesChannel extends Channel {
  /** Checks credentials; resolves with the store's name. Throws ChannelError AUTH / NETWORK / TIMEOUT. */
  verifyConnection(): Promise<{ name: string; currency?: string | null }>;
  /** What this store offers now (asks the store: e.g. the plugin's `/capabilities`). */
  discoverCapabilities(): Promise<SalesChannelCapabilities>;
  /** How many calls the store takes at once right now (adaptive: lowered on 429/5xx, raised on success). ≥ 1. */
  concurrency(): number;
  /** Every listing on the store, a page at a time. `concurrency` pages read at once where the store allows. */
  listListings(opts?: { concurrency?: number }): AsyncGenerator<ChannelListing[]>;
  /** One listing's quantity now (units; null when the store does not manage its stock). Throws NOT_FOUND. */
  readQuantity(listingId: string): Promise<number | null>;
  /** Every listing's quantity in pages (only when `capabilities.snapshot`; else ChannelError UNSUPPORTED). */
  readSnapshot(opts?: { pageSize?: number }): AsyncGenerator<ListingQuantity[]>;
  /** A batch of quantity operations (see the interface comment). `opts.minBatch`: fewest ops worth the batch route (default 1). */
  writeQuantities(ops: QuantityOp[], opts?: { minBatch?: number }): Promise<QuantityOpResult[]>;
  /** One quantity operation; throws its ChannelError (STALE with `current` for a lost compare-and-set). */
  writeQuantity(op: QuantityOp): Promise<QuantityWriteResult>;
  /** Price / name of a listing on the store (merchant overrides). Throws BAD_REQUEST when the store cannot take it. */
  updateListingDetails(
    listing: { listingId: string; parentId: string | null },
    details: ListingDetails,
  ): Promise<{ regularPrice: string; name: string; modifiedAt: string | null }>;
  /** A raw delivery (webhook or plugin call) as normalised events. Throws `DeliveryParseError` for an unreadable body. */
  parseDelivery(delivery: RawDelivery): SalesEvent[];
  /**
   * The platform's own count of the application's request budget as it last reported it (Etsy's `x-limit-per-day` /
   * `x-remaining-today`), for the Channels page; absent/null when the platform reports none.
   */
  requestUsage?(): { limitPerDay: number; remainingToday: number } | null;
  /** Polling stores (`events: "polling"`): events since `cursor` (null = from now) and the next cursor. */
  pollEvents?(cursor: string | null): Promise<{ events: SalesEvent[]; cursor: string }>;
  /** Orders created or modified at or after `since` (ISO-8601), a page at a time (missed-order reconciliation). */
  ordersSince(since: string): AsyncGenerator<SalesOrder[]>;
  /** The event topics this kind subscribes to. */
  readonly topics: readonly string[];
  /** Subscribes every topic at `target` afresh (removes this hub's earlier subscriptions at the same address first). */
  subscribe(target: SubscriptionTarget): Promise<void>;
  /** Health of each topic's subscription at `deliveryUrl`. */
  subscriptionHealth(deliveryUrl: string): Promise<SubscriptionState[]>;
  /** Re-activates or recreates the subscriptions `subscriptionHealth` found not active. */
  repairSubscriptions(target: SubscriptionTarget, states: SubscriptionState[]): Promise<void>;
  /**
   * Orders hub pushback (optional capability): shows a central fulfilment on the source order — exactly once per
   * `push.key`: the adapter first looks at the store for what an earlier attempt may have written (a lost answer), and
   * writes only what is missing. Throws ChannelError (retryable for transport failures; NOT_FOUND when the order is
   * gone; BAD_REQUEST when the store refused).
   */
  pushFulfilment?(push: FulfilmentPush): Promise<FulfilmentPushResult>;
}

/**
 * Where an adapter keeps credentials its platform REPLACES while the channel runs (Etsy rotates the refresh token on
 * every refresh, docs/decisions/305). The engine implements it over the channel's stored, encrypted credentials
 * (app/sync/stores/stores.server.ts): `rotate` runs `update` with the LATEST stored credentials while holding the
 * channel's credential lock across every process, stores what `update` returns (encrypted) and returns it — so two
 * processes never refresh with the same refresh token, and one that loaded the channel earlier sees the newer one.
 * `update` returns its argument unchanged when nothing needs replacing (nothing is written). Throws ChannelError AUTH
 * when the channel was disconnected meanwhile, and whatever `update` throws (nothing stored then).
 */
export interface CredentialStore {
  rotate<T>(update: (latest: T) => Promise<T>): Promise<T>;
}

/** A request limit as windows: at most `points` requests in each window of `durationMs`. */
export interface PaceLimit {
  points: number;
  durationMs: number;
}

/**
 * A request pace shared by every process of the hub (the app and the worker), so a platform's per-seller or per-app
 * limit is kept by all of them together (docs/decisions/306). The engine implements it with rate-limiter-flexible's
 * PostgreSQL store (app/lib/request-pacer.server.ts); an adapter without one paces its own process only.
 */
export interface RequestPacer {
  /**
   * Takes one request of `key` under `limit`, waiting up to `maxWaitMs` for a window with room.
   * @returns 0 when taken; else the ms until one could be taken (nothing is sent: the caller answers THROTTLED)
   */
  take(key: string, limit: PaceLimit, maxWaitMs: number): Promise<number>;
  /** Whether `key` has room now under `limit` (nothing taken). */
  available(key: string, limit: PaceLimit): Promise<boolean>;
}

/**
 * A token bucket (`rate` requests a second refilled, `burst` held; Amazon's usage plans) as fixed windows that never
 * exceed it, for a `RequestPacer`: ⌊burst/2⌋ requests per ⌊burst/2⌋ / rate seconds. Any interval t then holds at most
 * p·(t/d + 2) = rate·t + 2p ≤ rate·t + burst requests — exactly what the bucket accepts — so two windows meeting at a
 * boundary never overdraw it, and the sustained rate is the plan's. Needs burst ≥ 2 (every published plan has it).
 */
export function windowsOfBucket(rate: number, burst: number): PaceLimit {
  const points = Math.max(1, Math.floor(burst / 2));
  return { points, durationMs: Math.ceil((points / rate) * 1000) };
}

/**
 * A sliding-window limit (`limit` requests in any `windowMs`; Etsy's per-second QPS) as fixed windows of one request:
 * any window then holds at most ⌈windowMs/d⌉ + 1 ≤ `limit` requests.
 */
export function windowsOfSliding(limit: number, windowMs: number): PaceLimit {
  return { points: 1, durationMs: Math.ceil(windowMs / Math.max(1, limit - 1)) };
}

/**
 * How a kind of sales channel is connected when the merchant authorises SyncFlow on the platform (OAuth-style: Amazon's
 * website authorisation workflow; Etsy's OAuth 2.0 with PKCE later), instead of a plugin registration. The engine keeps
 * the one-time state and builds the channel (app/sync/stores/authorize.server.ts); the adapter knows the platform.
 */
export interface ChannelAuthorizationFlow {
  /**
   * OAuth 2.0 with PKCE (RFC 7636; Etsy): the engine makes a verifier per authorisation, keeps it server-side
   * (encrypted, with the one-time state), passes its S256 `codeChallenge` to `consentUrl` and the verifier to
   * `complete`. Absent/false: no PKCE (Amazon).
   */
  pkce?: boolean;
  /**
   * What the merchant reads on the Connect card about this kind's protection level and limits (absent: the generic
   * set-only text).
   */
  description?: string;
  /** Whether the SyncFlow application's platform credentials are configured on this server. */
  configured(): boolean;
  /** The markets the merchant chooses from (Amazon marketplaces), by id with the name the merchant reads. */
  markets: readonly { id: string; name: string }[];
  /** The platform's consent page for `state`, returning to `redirectUri`. Throws ChannelError BAD_REQUEST for an unknown market. */
  consentUrl(input: { state: string; redirectUri: string; market: string; codeChallenge?: string }): string;
  /**
   * The callback's query (after the state was checked): exchanges the grant for credentials. Throws ChannelError AUTH
   * (grant refused), BAD_REQUEST (query incomplete), NETWORK/SERVER.
   * @returns the credentials to store encrypted, the channel's `baseUrl` (unique per shop: reconnecting the same account
   *   and market revives the same channel) and its name
   */
  complete(input: {
    query: URLSearchParams;
    redirectUri: string;
    market: string;
    /** The PKCE verifier kept with the state (`pkce` flows only). */
    codeVerifier?: string;
  }): Promise<{ credentials: unknown; baseUrl: string; name: string }>;
}
