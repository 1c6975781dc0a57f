/**
 * Amazon (Selling Partner API) as a sales channel of the port (app/channels/sales-channel.ts; docs/decisions/250–253).
 *
 * - **Calls** go through the official generated clients of `@sp-api-sdk/*` (`ListingsItemsApi` 2021-08-01,
 *   `OrdersApi` v0, `FeedsApi` 2021-06-30) built on our own axios instance and base URL: the packages' ready-made
 *   `*ApiClient` classes take only a region (fixed amazon.com hosts) and their auth is fixed to api.amazon.com, so the
 *   adapter adds the LWA access token (`x-amz-access-token`, ./lwa.ts) itself. Each call first takes a token from the
 *   operation's published usage plan (the packages' `clientRateLimits`: rate per second, burst), per seller — across
 *   every process of the hub through the engine's shared pacer (windows that never overdraw the plan's bucket,
 *   decision 306), or in this process alone without one; a call that would wait longer than its budget is refused
 *   THROTTLED without being sent. A 429 is
 *   THROTTLED with `retryAfterMs` from `x-amzn-RateLimit-Limit`.
 * - **Listings** are linked by seller SKU (`externalId` = SKU). A merchant-fulfilled (MFN, `DEFAULT` channel) offer
 *   manages stock; an FBA offer (`AMAZON_*` channel) is shown with Amazon's own quantity and `manageStock` false, so
 *   linking leaves it `not_stocked` and the engine never writes it; a variation parent holds no stock (`variable`).
 * - **Writes** are set-only (`fulfillment_availability` quantity, last writer wins): one change through
 *   `patchListingsItem`; `feedMinOps` or more through one `JSON_LISTINGS_FEED` (createFeedDocument → upload →
 *   createFeed → getFeed until DONE → the processing report) when the createFeed plan has a token (0.0083/s, burst
 *   15), else as single patches. Per-SKU issues of the report (or an INVALID patch) answer that operation
 *   BAD_REQUEST with Amazon's message; the engine re-requests it and, while Amazon keeps refusing, dead-letters the
 *   drain with the message (app/sync/stock/push.server.ts). A feed still processing after `feedTimeoutMs` answers
 *   TIMEOUT (unknown outcome: a set is simply decided again).
 * - **Orders** are polled (`pollEvents`) with `LastUpdatedAfter` (oldest update first, NextToken paging), each
 *   order's items fetched with getOrderItems. A merchant-fulfilled order holds its units from Pending on (Amazon
 *   reserves stock at order time): every line's `stockTaken` is its ordered quantity until Canceled (0: the engine
 *   gives the units back once). FBA (AFN) orders take nothing (Amazon ships its own stock).
 */
import axios, { AxiosError, type InternalAxiosRequestConfig } from "axios";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import type { ListingsItemsApi, Item as SpListingsItem } from "@sp-api-sdk/listings-items-api-2021-08-01";
import type { OrdersApi, Order as SpOrder, OrderItem as SpOrderItem } from "@sp-api-sdk/orders-api-v0";
import type { FeedsApi } from "@sp-api-sdk/feeds-api-2021-06-30";
import { ChannelError, type ChannelListing, type QuantityWriteResult } from "../channel";
import { DeliveryParseError, type RawDelivery, type SalesEvent, type SalesOrder } from "../events";
import {
  windowsOfBucket,
  type ListingQuantity,
  type QuantityOp,
  type QuantityOpResult,
  type RequestPacer,
  type SalesChannel,
  type SalesChannelCapabilities,
  type SubscriptionState,
} from "../sales-channel";
import { accessTokenFor, forgetAccessToken, type LwaClient } from "./lwa";
import { readThenSetQuantity, rememberReplay, replayOf, type EmulatedOp } from "../read-then-set";
import { marketplaceById } from "./marketplaces";

/** The stored `Channel.kind`. */
export const AMAZON_KIND = "amazon" as const;

/** Raw delivery topic of one polled order (the poll job stores each as a receipt; the body is `PolledOrder`). */
export const AMAZON_ORDER_TOPIC = "amazon/order";

/** The channel's credentials as stored (encrypted) on its `Channel` row. */
export interface AmazonCredentials {
  /** LWA refresh token from the website authorisation (`Atzr|…`). */
  refreshToken: string;
  /** `selling_partner_id` from the authorisation callback. */
  sellingPartnerId: string;
  marketplaceId: string;
  /**
   * Every marketplace the merchant chose (unified account: all of one region, `marketplaceId` first; decision 276).
   * Absent = `[marketplaceId]`. The seller's merchant-fulfilled stock is one: orders are polled in all of them and a
   * SKU's quantity is written to each marketplace it is offered in.
   */
  marketplaceIds?: string[];
  /** The SP-API endpoint and LWA token URL chosen at connection (production hosts, or an emulator in tests). */
  endpoint: string;
  lwaTokenUrl: string;
}

/** The SyncFlow application's LWA credentials and write tuning (env, app/env.server.ts). */
export interface AmazonAppConfig {
  clientId: string;
  clientSecret: string;
  /** Fewest set operations sent as a feed rather than single patches (default 25). */
  feedMinOps?: number;
  /** How long a write waits for a feed's processing report (ms; default 15 min: feeds take minutes). */
  feedTimeoutMs?: number;
  /** Multiplies the usage plans' refill rates (default 1 = published; an emulator's `rateScale` in tests). */
  rateScale?: number;
  /** Pause between getFeed checks (ms; default 30 s; getFeed allows 2/s). */
  feedPollMs?: number;
  /** HTTP timeout per call (ms). */
  timeoutMs?: number;
}

/** getOrders' usage plan: one call a minute sustained (0.0167/s), burst 20 — the poll interval follows it. */
export const GET_ORDERS_RATE = 0.0167;
/** How far back each poll re-reads (ms): Amazon's order index lags up to two minutes (LastUpdatedBefore ≥ now − 2 min). */
export const POLL_OVERLAP_MS = 2 * 60_000;

/**
 * The quantity a several-marketplace listing reports when its marketplaces show different quantities: no derived
 * quantity equals it, so the engine writes the SKU again (in every marketplace).
 */
export const DISAGREE = -1;

/** What every Amazon channel can do. */
export const AMAZON_DECLARED_CAPABILITIES: SalesChannelCapabilities = {
  writeModel: "set-only",
  // A JSON listings feed carries up to 10,000 messages (listings-feed-schema-v2 `messages.maxItems`).
  writeBatchSize: 10_000,
  listPageSize: 20,
  events: "polling",
  pollIntervalMs: Math.ceil(1000 / GET_ORDERS_RATE / 1000) * 1000,
  orderLookBackMs: null,
  rateLimit: { concurrency: 2, requestsPerSecond: 5 },
  snapshot: false,
  stockEvents: false,
  features: ["listings-feed"],
  reconcileConcurrency: { read: 1, write: 2 },
  listingDetails: false,
  // Allocation steps as a fresh getListingsItem read then a patch (decision 300).
  readThenSet: true,
};

type Plan = { method: string; urlRegex: RegExp; rate: number; burst: number };
/** The published usage plans, once the SDK is loaded (`loadSdk`). */
let PLANS: Plan[] = [];

interface Sdk {
  ListingsItemsApi: typeof ListingsItemsApi;
  OrdersApi: typeof OrdersApi;
  FeedsApi: typeof FeedsApi;
}
let sdkLoad: Promise<Sdk> | null = null;

/**
 * The SDK packages, loaded on the first Amazon call (≈ 7 MB and 0.2 s a process without Amazon channels need not pay,
 * decision 071).
 */
function loadSdk(): Promise<Sdk> {
  sdkLoad ??= Promise.all([
    import("@sp-api-sdk/listings-items-api-2021-08-01"),
    import("@sp-api-sdk/orders-api-v0"),
    import("@sp-api-sdk/feeds-api-2021-06-30"),
  ]).then(([l, o, f]) => {
    PLANS = [...l.clientRateLimits, ...o.clientRateLimits, ...f.clientRateLimits] as Plan[];
    return { ListingsItemsApi: l.ListingsItemsApi, OrdersApi: o.OrdersApi, FeedsApi: f.FeedsApi };
  });
  return sdkLoad;
}

/** The three generated clients of one adapter, on its axios instance. */
interface Apis {
  listings: ListingsItemsApi;
  orders: OrdersApi;
  feeds: FeedsApi;
}
const buckets = new Map<string, { tokens: number; at: number }>();
/** `seller:sku` → the marketplaces the SKU was last seen offered in (listings reads; several-marketplace channels). */
const skuMarkets = new Map<string, string[]>();

/** The published usage plan of a request (method + path), or null. */
function planOf(method: string, path: string): Plan | null {
  return PLANS.find((p) => p.method === method.toLowerCase() && p.urlRegex.test(path)) ?? null;
}

/**
 * Takes a token from the seller's bucket of `plan`, waiting up to `maxWaitMs`.
 * @returns 0 when taken, else the ms still to wait (nothing taken)
 */
async function takeToken(seller: string, plan: Plan, maxWaitMs: number): Promise<number> {
  const key = `${seller}:${plan.method}:${plan.urlRegex.source}`;
  for (;;) {
    const now = Date.now();
    const b = buckets.get(key) ?? { tokens: plan.burst, at: now };
    b.tokens = Math.min(plan.burst, b.tokens + ((now - b.at) / 1000) * plan.rate);
    b.at = now;
    buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    const wait = Math.ceil(((1 - b.tokens) / plan.rate) * 1000);
    if (wait > maxWaitMs) return wait;
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * The shared pacer's key of a seller's usage plan at an SP-API endpoint (every process of the hub paces one seller's
 * plan together; the endpoint keeps regions — and emulators in tests — apart).
 */
const paceKey = (endpoint: string, seller: string, plan: Plan) =>
  `amazon:${new URL(endpoint).host}:${seller}:${plan.method}:${plan.urlRegex.source}`;

/** Whether a token of the plan of (method, path) is available now for the seller (nothing taken). */
function tokenAvailable(seller: string, method: string, path: string, scale = 1): boolean {
  const plan = planOf(method, path);
  if (!plan) return true;
  const b = buckets.get(`${seller}:${plan.method}:${plan.urlRegex.source}`);
  if (!b) return true;
  return Math.min(plan.burst, b.tokens + ((Date.now() - b.at) / 1000) * plan.rate * scale) >= 1;
}

/** The SP-API error body's first message (`{ errors: [{ code, message, details }] }`). */
function spMessage(data: unknown): string {
  const e = (data as { errors?: { code?: string; message?: string; details?: string }[] } | undefined)?.errors?.[0];
  return e ? [e.code, e.message, e.details].filter(Boolean).join(": ") : "";
}

/** An axios failure as the port's ChannelError. */
function toChannelError(err: unknown, what: string): ChannelError {
  if (err instanceof ChannelError) return err;
  if (err instanceof AxiosError) {
    const status = err.response?.status;
    const msg = `${what}: ${spMessage(err.response?.data) || err.message}`;
    if (status === 429) {
      const rate = Number(err.response?.headers?.["x-amzn-ratelimit-limit"]);
      return new ChannelError("THROTTLED", msg, { status, retryAfterMs: rate > 0 ? Math.ceil(1000 / rate) : 60_000 });
    }
    if (status === 401 || status === 403) return new ChannelError("AUTH", msg, { status, retryable: false });
    if (status === 404) return new ChannelError("NOT_FOUND", msg, { status, retryable: false });
    if (status && status >= 500) return new ChannelError("SERVER", msg, { status });
    if (status) return new ChannelError("BAD_REQUEST", msg, { status, retryable: false });
    if (err.code === "ECONNABORTED" || err.code === "ETIMEDOUT")
      return new ChannelError("TIMEOUT", msg, { cause: err });
    return new ChannelError("NETWORK", msg, { cause: err });
  }
  return new ChannelError("SERVER", `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** One polled order as stored in its receipt: the Orders API order and every item. */
export interface PolledOrder {
  order: SpOrder;
  items: SpOrderItem[];
}

const PolledOrderSchema = z.object({
  order: z
    .object({
      AmazonOrderId: z.string().min(1),
      PurchaseDate: z.string(),
      LastUpdateDate: z.string(),
      OrderStatus: z.string(),
      FulfillmentChannel: z.string().optional(),
      OrderTotal: z.object({ CurrencyCode: z.string().optional(), Amount: z.string().optional() }).optional(),
      BuyerInfo: z.object({ BuyerEmail: z.string().optional() }).optional(),
    })
    .passthrough(),
  items: z.array(
    z
      .object({
        OrderItemId: z.string().min(1),
        SellerSKU: z.string().optional(),
        ASIN: z.string(),
        Title: z.string().optional(),
        QuantityOrdered: z.number().int().min(0),
        ItemPrice: z.object({ CurrencyCode: z.string().optional(), Amount: z.string().optional() }).optional(),
      })
      .passthrough(),
  ),
});

/** Amazon's order status as the engine's status word (cancelled / refunded / failed stamp `cancelledAt`). */
function statusWord(s: string): string {
  return s === "Canceled" ? "cancelled" : s.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
}

/**
 * A polled Amazon order as the port's SalesOrder. MFN: every line holds its ordered units until Canceled (Amazon took
 * them off the offer at order time, Pending included); AFN (FBA): nothing (Amazon's own stock).
 * `fallbackCurrency`: the marketplace's, for Pending orders (they carry no OrderTotal yet).
 */
export function toSalesOrder(p: PolledOrder, fallbackCurrency: string, severalMarketplaces = false): SalesOrder {
  const o = p.order;
  const fba = o.FulfillmentChannel === "AFN";
  const cancelled = o.OrderStatus === "Canceled";
  const currency =
    o.OrderTotal?.CurrencyCode ?? p.items.find((i) => i.ItemPrice)?.ItemPrice?.CurrencyCode ?? fallbackCurrency;
  const total = o.OrderTotal?.Amount ?? p.items.reduce((s, i) => s + Number(i.ItemPrice?.Amount ?? 0), 0).toFixed(2);
  return {
    orderId: o.AmazonOrderId,
    number: o.AmazonOrderId,
    status: statusWord(o.OrderStatus),
    currency,
    total,
    createdAt: o.PurchaseDate,
    modifiedAt: o.LastUpdateDate,
    customer: { firstName: null, lastName: null, email: o.BuyerInfo?.BuyerEmail ?? null },
    statusEffect: fba ? "keep" : cancelled ? "release" : "take",
    // One marketplace's quantity moved; the channel's others still show the units (decision 276).
    ...(severalMarketplaces ? { listingFollowsSale: false } : {}),
    paid: !["Pending", "PendingAvailability", "Canceled"].includes(o.OrderStatus),
    lines: p.items.map((i) => ({
      lineId: i.OrderItemId,
      productId: i.SellerSKU ?? i.ASIN,
      variantId: null,
      sku: i.SellerSKU ?? null,
      quantity: i.QuantityOrdered,
      price: i.ItemPrice?.Amount ?? "0.00",
      title: i.Title ?? i.SellerSKU ?? i.ASIN,
      stockTaken: fba || cancelled ? 0 : i.QuantityOrdered,
    })),
  };
}

/** A stored polled order's events (`SalesChannel.parseDelivery` for Amazon). Throws DeliveryParseError. */
export function parseAmazonDelivery(delivery: RawDelivery): SalesEvent[] {
  if (delivery.topic !== AMAZON_ORDER_TOPIC) return [];
  const p = PolledOrderSchema.safeParse(delivery.body);
  if (!p.success)
    throw new DeliveryParseError(
      `Amazon order: ${p.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  const currency = (delivery.headers?.["x-syncflow-currency"] as string | undefined) ?? "USD";
  return [{ type: "order.changed", order: toSalesOrder(p.data as unknown as PolledOrder, currency) }];
}

/** The poll cursor: orders updated at or after `since`; `next` resumes a listing cut short by the rate limit. */
interface PollCursor {
  since: string;
  next?: string;
}

/** Amazon Selling Partner API adapter for one seller and marketplace. */
export class AmazonChannel implements SalesChannel {
  readonly kind = AMAZON_KIND;
  readonly topics: readonly string[] = [];
  private readonly lwa: LwaClient;
  private readonly currency: string;

  /**
   * `ports.pacer` (the engine's, for stored channels): the seller's usage plans paced together by every process of the
   * hub (docs/decisions/306); without one, this process paces alone (an in-memory token bucket per plan).
   */
  constructor(
    private readonly creds: AmazonCredentials,
    private readonly app: AmazonAppConfig,
    private readonly ports: { pacer?: RequestPacer } = {},
  ) {
    if (!creds?.refreshToken || !creds.sellingPartnerId || !creds.marketplaceId || !creds.endpoint)
      throw new ChannelError("BAD_REQUEST", "Amazon credentials incomplete (refresh token, seller, marketplace)", {
        retryable: false,
      });
    this.lwa = { tokenUrl: creds.lwaTokenUrl, clientId: app.clientId, clientSecret: app.clientSecret };
    this.currency = marketplaceById(creds.marketplaceId)?.currency ?? "USD";
  }

  private apisLoad: Promise<Apis> | null = null;

  /** The generated clients on an axios instance that paces each call by its usage plan and adds the access token. */
  private apis(): Promise<Apis> {
    const creds = this.creds;
    this.apisLoad ??= loadSdk().then((sdk) => {
      const http = axios.create({ timeout: this.app.timeoutMs ?? 30_000 });
      http.interceptors.request.use(async (config: InternalAxiosRequestConfig) => {
        const url = new URL(config.url ?? "", config.baseURL ?? creds.endpoint);
        const plan = planOf(config.method ?? "get", url.pathname);
        const budget = (config as { syncflowMaxWaitMs?: number }).syncflowMaxWaitMs ?? 5_000;
        // The access token first: a revoked authorisation surfaces (AUTH revoked) even while the plan is spent.
        const accessToken = await accessTokenFor(this.lwa, creds.refreshToken);
        if (plan) {
          const pacer = this.ports.pacer;
          const wait = pacer
            ? await pacer.take(
                paceKey(creds.endpoint, creds.sellingPartnerId, plan),
                windowsOfBucket(plan.rate * this.rateScale, plan.burst),
                budget,
              )
            : await takeToken(creds.sellingPartnerId, { ...plan, rate: plan.rate * this.rateScale }, budget);
          if (wait)
            throw new ChannelError(
              "THROTTLED",
              `Amazon ${url.pathname}: usage plan spent (${plan.rate}/s, burst ${plan.burst})`,
              { retryAfterMs: wait },
            );
        }
        config.headers.set("x-amz-access-token", accessToken);
        config.headers.set("user-agent", "SyncFlow/1.0 (Language=TypeScript)");
        return config;
      });
      return {
        listings: new sdk.ListingsItemsApi(undefined, creds.endpoint, http),
        orders: new sdk.OrdersApi(undefined, creds.endpoint, http),
        feeds: new sdk.FeedsApi(undefined, creds.endpoint, http),
      };
    });
    return this.apisLoad;
  }

  /**
   * One SP-API call. A 403 with a cached access token (expired early, or the seller revoked the app) forgets it and is
   * tried once more with a fresh one: a revoked authorisation then surfaces as LWA's `invalid_grant` (ChannelError
   * AUTH with `revoked`), which stops polling until the seller connects again (decision 277).
   */
  private async call<T>(what: string, fn: (api: Apis) => Promise<{ data: T }>, retried = false): Promise<T> {
    try {
      return (await fn(await this.apis())).data;
    } catch (err) {
      const e = toChannelError(err, `Amazon ${what}`);
      if (e.code === "AUTH" && !e.opts.revoked) {
        forgetAccessToken(this.lwa, this.creds.refreshToken);
        if (!retried && e.opts.status === 403) return this.call(what, fn, true);
      }
      throw e;
    }
  }

  /** Whether the seller's usage plan of (method, path) has room now (nothing taken), across processes with a pacer. */
  private async planHasRoom(method: string, path: string): Promise<boolean> {
    await loadSdk();
    const plan = planOf(method, path);
    if (!plan || !this.ports.pacer) return tokenAvailable(this.seller, method, path, this.rateScale);
    return this.ports.pacer.available(
      paceKey(this.creds.endpoint, this.seller, plan),
      windowsOfBucket(plan.rate * this.rateScale, plan.burst),
    );
  }

  private get rateScale(): number {
    return Math.max(1, this.app.rateScale ?? 1);
  }

  private get seller() {
    return this.creds.sellingPartnerId;
  }
  /** Every marketplace of the channel, primary first (getOrders takes them all at once: ≤ 50). */
  private get marketplaces(): string[] {
    const all = this.creds.marketplaceIds?.length ? this.creds.marketplaceIds : [this.creds.marketplaceId];
    return [...new Set([this.creds.marketplaceId, ...all])];
  }

  /**
   * The marketplaces `sku` is offered in, as the last listing read found them (this process; `listListings` fills it),
   * else every marketplace of the channel (a write then skips the ones answering NOT_FOUND).
   */
  private marketsOf(sku: string): string[] {
    return skuMarkets.get(`${this.seller}:${sku}`) ?? this.marketplaces;
  }

  async verifyConnection(): Promise<{ name: string; currency?: string | null }> {
    await this.call("searchListingsItems", (api) =>
      api.listings.searchListingsItems({
        sellerId: this.seller,
        marketplaceIds: [this.creds.marketplaceId],
        pageSize: 1,
      }),
    );
    const m = marketplaceById(this.creds.marketplaceId);
    return { name: `Amazon ${m?.name ?? this.creds.marketplaceId} · ${this.seller}`, currency: this.currency };
  }

  async discoverCapabilities(): Promise<SalesChannelCapabilities> {
    return AMAZON_DECLARED_CAPABILITIES;
  }

  concurrency(): number {
    return AMAZON_DECLARED_CAPABILITIES.rateLimit.concurrency;
  }

  /** A listings item as the port's listing (see the module comment for MFN / FBA / variation parents). */
  private toListing(item: SpListingsItem): ChannelListing {
    const summary = item.summaries?.[0];
    const fa = item.fulfillmentAvailability ?? [];
    const mfn = fa.find((f) => f.fulfillmentChannelCode === "DEFAULT");
    const afn = fa.find((f) => f.fulfillmentChannelCode !== "DEFAULT");
    const rel = item.relationships?.[0]?.relationships ?? [];
    const parentSku = rel.find((r) => r.parentSkus?.length)?.parentSkus?.[0] ?? null;
    const isParent = rel.some((r) => r.childSkus?.length) || (!fa.length && !!rel.length);
    const productType = isParent ? "variable" : afn && !mfn ? "fba" : parentSku ? "variation" : "simple";
    return {
      externalId: item.sku,
      productId: parentSku ?? item.sku,
      variantId: parentSku ? item.sku : null,
      sku: item.sku,
      title: summary?.itemName ?? item.sku,
      productType,
      manageStock: !!mfn && !isParent,
      quantity: mfn?.quantity ?? afn?.quantity ?? null,
      modifiedAt: summary?.lastUpdatedDate ?? null,
    };
  }

  /** One marketplace's listings (searchListingsItems takes one marketplace per request), page by page. */
  private async *listIn(marketplaceId: string): AsyncGenerator<SpListingsItem[]> {
    let pageToken: string | undefined;
    do {
      const page = await this.call("searchListingsItems", (api) =>
        api.listings.searchListingsItems(
          {
            sellerId: this.seller,
            marketplaceIds: [marketplaceId],
            includedData: ["summaries", "fulfillmentAvailability", "relationships"],
            pageSize: 20,
            ...(pageToken ? { pageToken } : {}),
          },
          { syncflowMaxWaitMs: 60_000 } as object,
        ),
      );
      yield page.items ?? [];
      pageToken = page.pagination?.nextToken;
    } while (pageToken);
  }

  /**
   * Every listing of the seller, by SKU. With several marketplaces each is read in turn and a SKU is one listing,
   * merchant-fulfilled when it is in any marketplace. Its quantity is the one every marketplace shows; when they
   * disagree it is `DISAGREE` (−1), which equals no derived quantity, so the next push or reconciliation writes the
   * SKU in every marketplace it is offered in (a write always goes to all of them).
   */
  async *listListings(): AsyncGenerator<ChannelListing[]> {
    const markets = this.marketplaces;
    if (markets.length === 1) {
      for await (const items of this.listIn(markets[0]!)) {
        for (const i of items) skuMarkets.set(`${this.seller}:${i.sku}`, markets);
        yield items.map((i) => this.toListing(i));
      }
      return;
    }
    const merged = new Map<string, { listing: ChannelListing; markets: string[] }>();
    for (const m of markets)
      for await (const items of this.listIn(m))
        for (const i of items) {
          const l = this.toListing(i);
          const had = merged.get(i.sku);
          if (!had) merged.set(i.sku, { listing: l, markets: [m] });
          else {
            had.markets.push(m);
            if (l.manageStock && !had.listing.manageStock) had.listing = { ...l };
            else if (l.manageStock && had.listing.manageStock && l.quantity !== had.listing.quantity)
              had.listing.quantity = DISAGREE;
          }
        }
    const all = [...merged.values()];
    for (const x of all) skuMarkets.set(`${this.seller}:${x.listing.externalId}`, x.markets);
    for (let k = 0; k < all.length; k += 20) yield all.slice(k, k + 20).map((x) => x.listing);
  }

  /**
   * A SKU's merchant-fulfilled quantity: the one its marketplaces show, `DISAGREE` (−1) when they differ (null when
   * none manages it; an FBA quantity is Amazon's, never compared or written). A marketplace not offering it is skipped.
   */
  async readQuantity(listingId: string): Promise<number | null> {
    let best: number | null = null;
    const seen = new Set<number>();
    let found = false;
    for (const m of this.marketsOf(listingId)) {
      let item: SpListingsItem;
      try {
        item = await this.call("getListingsItem", (api) =>
          api.listings.getListingsItem({
            sellerId: this.seller,
            sku: listingId,
            marketplaceIds: [m],
            includedData: ["fulfillmentAvailability"],
          }),
        );
      } catch (err) {
        if (err instanceof ChannelError && err.code === "NOT_FOUND" && this.marketplaces.length > 1) continue;
        throw err;
      }
      found = true;
      const q = item.fulfillmentAvailability?.find((f) => f.fulfillmentChannelCode === "DEFAULT")?.quantity;
      if (q != null) {
        seen.add(q);
        best = q;
      }
    }
    if (seen.size > 1) return DISAGREE;
    if (!found)
      throw new ChannelError("NOT_FOUND", `Amazon: SKU ${listingId} is in none of the channel's marketplaces`, {
        retryable: false,
      });
    return best;
  }

  // eslint-disable-next-line require-yield
  async *readSnapshot(): AsyncGenerator<ListingQuantity[]> {
    throw new ChannelError("UNSUPPORTED", "Amazon has no quantity snapshot route (use listListings)", {
      retryable: false,
    });
  }

  /** The fulfillment_availability patch of a merchant-fulfilled quantity (productType PRODUCT: offer-only change). */
  private static patches(quantity: number) {
    return [
      {
        op: "replace" as const,
        path: "/attributes/fulfillment_availability",
        value: [{ fulfillment_channel_code: "DEFAULT", quantity }],
      },
    ];
  }

  /**
   * Set operations as patches or one listings feed; `delta` / `cas` operations (allocation steps, decision 300) each as
   * a fresh getListingsItem read then a patch computed from it (`emulated`), never in a feed (each needs its own read).
   */
  async writeQuantities(ops: QuantityOp[]): Promise<QuantityOpResult[]> {
    const results: (QuantityOpResult | null)[] = ops.map(() => null);
    const sets = ops.map((op, i) => ({ op, i })).filter((x) => x.op.op === "set") as {
      op: Extract<QuantityOp, { op: "set" }>;
      i: number;
    }[];
    const emulated = ops.map((op, i) => ({ op, i })).filter((x) => x.op.op !== "set") as {
      op: EmulatedOp;
      i: number;
    }[];
    const feedMin = this.app.feedMinOps ?? 25;
    if (sets.length >= feedMin) await this.apis(); // the usage plans are known once the SDK is loaded
    const useFeed = sets.length >= feedMin && (await this.planHasRoom("post", "/feeds/2021-06-30/feeds"));
    if (useFeed) {
      const out = await this.writeFeed(sets.map((s) => s.op));
      sets.forEach((s, k) => (results[s.i] = out[k]!));
    }
    const single: ({ kind: "set"; op: Extract<QuantityOp, { op: "set" }> } | { kind: "emulated"; op: EmulatedOp })[] =
      [];
    const index: number[] = [];
    if (!useFeed)
      for (const s of sets) {
        single.push({ kind: "set", op: s.op });
        index.push(s.i);
      }
    for (const e of emulated) {
      single.push({ kind: "emulated", op: e.op });
      index.push(e.i);
    }
    let next = 0;
    const lane = async () => {
      while (next < single.length) {
        const k = next++;
        const s = single[k]!;
        results[index[k]!] = await (s.kind === "set" ? this.patchOne(s.op) : this.readThenPatch(s.op)).then(
          (r): QuantityOpResult => ({ ok: true, ...r }),
          (error: ChannelError): QuantityOpResult => ({ ok: false, error: toChannelError(error, "Amazon write") }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency(), single.length) }, lane));
    return results as QuantityOpResult[];
  }

  /**
   * An allocation step on Amazon (decision 300): getListingsItem's merchant-fulfilled quantity read afresh, then one
   * patch of the quantity `readThenSetQuantity` computes from it (the read and the patch back to back: the window in
   * which an Amazon order can be overwritten is one round trip). A channel of several marketplaces is refused
   * UNSUPPORTED (one allocation shown in each would be sold in each). Throws ChannelError (STALE when the read holds
   * fewer units than the step takes).
   */
  private async readThenPatch(op: EmulatedOp): Promise<QuantityWriteResult> {
    const replay = replayOf(`amazon:${this.seller}:${op.idempotencyKey}`);
    if (replay) return { ...replay, replayed: true };
    if (this.marketplaces.length > 1)
      throw new ChannelError(
        "UNSUPPORTED",
        "Amazon: allocations need a channel of one marketplace (each marketplace would show the same reserved units)",
        { retryable: false },
      );
    const read = (await this.readQuantity(op.listingId)) ?? 0;
    const quantity = readThenSetQuantity(op, read);
    if (quantity instanceof ChannelError) throw quantity;
    // Nothing to change (e.g. a take-back the channel's own unpolled sales already made): no write, no window.
    if (quantity !== read)
      await this.patchIn({ op: "set", listingId: op.listingId, quantity }, this.creds.marketplaceId);
    const result = { before: read, after: quantity };
    rememberReplay(`amazon:${this.seller}:${op.idempotencyKey}`, result);
    return result;
  }

  /**
   * One merchant-fulfilled quantity through patchListingsItem, in every marketplace the SKU is offered in (a patch
   * names one marketplace); an INVALID submission is BAD_REQUEST with Amazon's issues.
   */
  private async patchOne(op: Extract<QuantityOp, { op: "set" }>): Promise<QuantityWriteResult> {
    let written = 0;
    for (const m of this.marketsOf(op.listingId)) {
      try {
        await this.patchIn(op, m);
        written++;
      } catch (err) {
        // Several marketplaces: one that does not offer the SKU is not an error.
        if (err instanceof ChannelError && err.code === "NOT_FOUND" && this.marketplaces.length > 1) continue;
        throw err;
      }
    }
    if (!written)
      throw new ChannelError("NOT_FOUND", `Amazon: SKU ${op.listingId} is in none of the channel's marketplaces`, {
        retryable: false,
      });
    return { before: null, after: op.quantity };
  }

  private async patchIn(op: Extract<QuantityOp, { op: "set" }>, marketplaceId: string): Promise<void> {
    const res = await this.call("patchListingsItem", (api) =>
      api.listings.patchListingsItem({
        sellerId: this.seller,
        sku: op.listingId,
        marketplaceIds: [marketplaceId],
        body: { productType: "PRODUCT", patches: AmazonChannel.patches(op.quantity) },
      }),
    );
    if (res.status !== "ACCEPTED") {
      const msg = (res.issues ?? [])
        .filter((i) => i.severity === "ERROR")
        .map((i) => `${i.code}: ${i.message}`)
        .join("; ");
      throw new ChannelError("BAD_REQUEST", `Amazon refused ${op.listingId}: ${msg || res.status}`, {
        retryable: false,
      });
    }
  }

  /**
   * Many quantities in one JSON_LISTINGS_FEED, answered per operation from the processing report (messageId = index + 1).
   * A feed not done within `feedTimeoutMs` answers every operation TIMEOUT (outcome unknown; a set is decided again).
   */
  private async writeFeed(ops: Extract<QuantityOp, { op: "set" }>[]): Promise<QuantityOpResult[]> {
    const failAll = (error: ChannelError) => ops.map((): QuantityOpResult => ({ ok: false, error }));
    try {
      const contentType = "application/json; charset=UTF-8";
      const doc = await this.call("createFeedDocument", (api) =>
        api.feeds.createFeedDocument({ body: { contentType } }),
      );
      const feed = {
        header: { sellerId: this.seller, version: "2.0", issueLocale: "en_US" },
        messages: ops.map((op, i) => ({
          messageId: i + 1,
          sku: op.listingId,
          operationType: "PATCH",
          productType: "PRODUCT",
          patches: AmazonChannel.patches(op.quantity),
        })),
      };
      // The pre-signed upload URL takes no SP-API token (plain axios, not the signed instance).
      await axios
        .put(doc.url, JSON.stringify(feed), { headers: { "content-type": contentType }, timeout: 60_000 })
        .catch((err) => {
          throw toChannelError(err, "Amazon feed upload");
        });
      const { feedId } = await this.call("createFeed", (api) =>
        api.feeds.createFeed({
          body: {
            feedType: "JSON_LISTINGS_FEED",
            marketplaceIds: this.marketplaces,
            inputFeedDocumentId: doc.feedDocumentId,
          },
        }),
      );
      const deadline = Date.now() + (this.app.feedTimeoutMs ?? 15 * 60_000);
      const pollMs = this.app.feedPollMs ?? 30_000;
      for (;;) {
        await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
        const f = await this.call("getFeed", (api) => api.feeds.getFeed({ feedId }));
        if (f.processingStatus === "CANCELLED")
          return failAll(new ChannelError("BAD_REQUEST", `Amazon feed ${feedId} was cancelled`, { retryable: false }));
        if ((f.processingStatus === "DONE" || f.processingStatus === "FATAL") && f.resultFeedDocumentId) {
          const report = await this.readReport(f.resultFeedDocumentId);
          return this.answersFromReport(feedId, f.processingStatus, report, ops);
        }
        if (Date.now() >= deadline)
          return failAll(
            new ChannelError("TIMEOUT", `Amazon feed ${feedId} still ${f.processingStatus} after the wait`, {
              retryable: true,
            }),
          );
      }
    } catch (err) {
      return failAll(toChannelError(err, "Amazon feed"));
    }
  }

  private async readReport(documentId: string): Promise<ProcessingReport> {
    const d = await this.call("getFeedDocument", (api) =>
      api.feeds.getFeedDocument({ feedDocumentId: documentId }, { syncflowMaxWaitMs: 120_000 } as object),
    );
    const res = await axios.get<ArrayBuffer>(d.url, { responseType: "arraybuffer", timeout: 60_000 }).catch((err) => {
      throw toChannelError(err, "Amazon feed report download");
    });
    const buf = Buffer.from(res.data);
    const text = (d.compressionAlgorithm === "GZIP" ? gunzipSync(buf) : buf).toString("utf8");
    const parsed = ProcessingReportSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new ChannelError("SERVER", "Amazon feed report unreadable", { retryable: true });
    return parsed.data;
  }

  private answersFromReport(
    feedId: string,
    status: string,
    report: ProcessingReport,
    ops: Extract<QuantityOp, { op: "set" }>[],
  ): QuantityOpResult[] {
    const general = report.issues.filter((i) => i.messageId == null && i.severity === "ERROR");
    if (status === "FATAL" || general.length) {
      const msg = general.map((i) => i.message).join("; ") || "feed FATAL";
      return ops.map(() => ({
        ok: false,
        error: new ChannelError("BAD_REQUEST", `Amazon feed ${feedId} refused: ${msg}`, { retryable: false }),
      }));
    }
    return ops.map((op, i): QuantityOpResult => {
      const errs = report.issues.filter((x) => x.messageId === i + 1 && x.severity === "ERROR");
      if (errs.length)
        return {
          ok: false,
          error: new ChannelError(
            "BAD_REQUEST",
            `Amazon refused ${op.listingId}: ${errs.map((e) => `${e.code ?? ""}${e.code ? ": " : ""}${e.message}`).join("; ")}`,
            { retryable: false },
          ),
        };
      return { ok: true, before: null, after: op.quantity };
    });
  }

  async writeQuantity(op: QuantityOp): Promise<QuantityWriteResult> {
    const [r] = await this.writeQuantities([op]);
    if (!r!.ok) throw r!.error;
    return { before: r!.before, after: r!.after };
  }

  async updateListingDetails(): Promise<{ regularPrice: string; name: string; modifiedAt: string | null }> {
    throw new ChannelError("BAD_REQUEST", "SyncFlow does not write prices or titles to Amazon", { retryable: false });
  }

  parseDelivery(delivery: RawDelivery): SalesEvent[] {
    return parseAmazonDelivery({
      ...delivery,
      headers: { ...(delivery.headers ?? {}), "x-syncflow-currency": this.currency },
    });
  }

  /** Every item of an order (getOrderItems pages; 0.5/s burst 30, waiting for tokens up to 10 s each). */
  private async orderItems(orderId: string): Promise<SpOrderItem[]> {
    const items: SpOrderItem[] = [];
    let nextToken: string | undefined;
    do {
      const res = await this.call("getOrderItems", (api) =>
        api.orders.getOrderItems({ orderId, ...(nextToken ? { nextToken } : {}) }, {
          syncflowMaxWaitMs: 10_000,
        } as object),
      );
      items.push(...(res.payload?.OrderItems ?? []));
      nextToken = res.payload?.NextToken;
    } while (nextToken);
    return items;
  }

  /**
   * Polled orders from `cursor` on (null: from `lookBackMs` ago, default the poll overlap), oldest update first, each
   * with its items (`PolledOrder`: what the poll job stores as one receipt per order update), and the next cursor.
   * One getOrders call per page, never waiting for a token: when the usage plan is spent mid-listing the cursor keeps
   * the NextToken and the next poll resumes there. A completed listing moves `since` to this poll's start minus the
   * overlap (Amazon's index lags up to two minutes); re-read orders are the same receipts (deduplicated).
   */
  async pollOrders(
    cursor: string | null,
    opts: { lookBackMs?: number } = {},
  ): Promise<{ orders: PolledOrder[]; cursor: string; complete: boolean }> {
    const started = Date.now();
    let c: PollCursor;
    try {
      c = cursor ? (JSON.parse(cursor) as PollCursor) : { since: "" };
    } catch {
      c = { since: "" };
    }
    if (!c.since) c.since = new Date(started - (opts.lookBackMs ?? POLL_OVERLAP_MS)).toISOString();
    const orders: PolledOrder[] = [];
    let next = c.next;
    for (;;) {
      let page;
      try {
        page = await this.call("getOrders", (api) =>
          api.orders.getOrders(
            next
              ? { marketplaceIds: this.marketplaces, nextToken: next }
              : { marketplaceIds: this.marketplaces, lastUpdatedAfter: c.since, maxResultsPerPage: 100 },
            { syncflowMaxWaitMs: 0 } as object,
          ),
        );
      } catch (err) {
        if (err instanceof ChannelError && err.code === "THROTTLED" && orders.length)
          return { orders, cursor: JSON.stringify({ since: c.since, ...(next ? { next } : {}) }), complete: false };
        throw err;
      }
      for (const order of page.payload?.Orders ?? [])
        orders.push({ order, items: await this.orderItems(order.AmazonOrderId) });
      next = page.payload?.NextToken;
      if (!next) break;
    }
    const since = new Date(Math.max(Date.parse(c.since), started - POLL_OVERLAP_MS)).toISOString();
    return { orders, cursor: JSON.stringify({ since }), complete: true };
  }

  async pollEvents(cursor: string | null): Promise<{ events: SalesEvent[]; cursor: string }> {
    const res = await this.pollOrders(cursor);
    return {
      events: res.orders.map((p) => ({
        type: "order.changed",
        order: toSalesOrder(p, this.currency, this.marketplaces.length > 1),
      })),
      cursor: res.cursor,
    };
  }

  async *ordersSince(since: string): AsyncGenerator<SalesOrder[]> {
    let nextToken: string | undefined;
    do {
      const page = await this.call("getOrders", (api) =>
        api.orders.getOrders(
          nextToken
            ? { marketplaceIds: this.marketplaces, nextToken }
            : { marketplaceIds: this.marketplaces, lastUpdatedAfter: since, maxResultsPerPage: 100 },
          // Reconciliation's catch-up waits for getOrders' next token (one a minute) rather than failing the run.
          { syncflowMaxWaitMs: 65_000 } as object,
        ),
      );
      const out: SalesOrder[] = [];
      for (const order of page.payload?.Orders ?? [])
        out.push(
          toSalesOrder(
            { order, items: await this.orderItems(order.AmazonOrderId) },
            this.currency,
            this.marketplaces.length > 1,
          ),
        );
      yield out;
      nextToken = page.payload?.NextToken;
    } while (nextToken);
  }

  async subscribe(): Promise<void> {
    /* polling: nothing to subscribe */
  }
  async subscriptionHealth(): Promise<SubscriptionState[]> {
    return [];
  }
  async repairSubscriptions(): Promise<void> {
    /* polling: nothing to repair */
  }
}

const ProcessingReportSchema = z.object({
  header: z.object({ feedId: z.string().optional() }).passthrough(),
  issues: z.array(
    z
      .object({
        messageId: z.number().int().optional(),
        sku: z.string().optional(),
        code: z.string().optional(),
        severity: z.enum(["ERROR", "WARNING", "INFO"]),
        message: z.string(),
      })
      .passthrough(),
  ),
  summary: z.object({ errors: z.number(), messagesAccepted: z.number(), messagesInvalid: z.number() }).passthrough(),
});
type ProcessingReport = z.infer<typeof ProcessingReportSchema>;
