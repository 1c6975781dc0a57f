/**
 * Emulated Amazon Selling Partner API for one application and its sellers: an in-process `node:http` server held to
 * the published contracts (./contract.ts, docs/decisions/250). It serves
 *  - Login with Amazon: `POST /auth/o2/token` (authorization_code and refresh_token grants; client credentials
 *    checked; codes single use, 5 minutes) and the website authorisation workflow's consent page
 *    `GET /apps/authorize/consent` (the seller approves: 302 to the app's redirect URI with `state`,
 *    `selling_partner_id` and `spapi_oauth_code`);
 *  - Listings Items API 2021-08-01: getListingsItem, searchListingsItems, patchListingsItem (merchant-fulfilled
 *    `fulfillment_availability` quantity; an FBA listing's quantity is Amazon's own: a patch of it is INVALID);
 *  - Orders API v0: getOrders (LastUpdatedAfter / CreatedAfter, MarketplaceIds, NextToken paging, oldest update
 *    first) and getOrderItems. A Pending order already holds its units (Amazon reserves stock at order time: the
 *    listing's quantity drops); Canceled gives them back once;
 *  - Feeds API 2021-06-30: createFeedDocument (+ the pre-signed upload URL), createFeed (JSON_LISTINGS_FEED),
 *    getFeed (IN_QUEUE → IN_PROGRESS → DONE `feedProcessingMs` later), getFeedDocument (the processing report, with
 *    per-SKU issues).
 * Every SP-API operation has its published usage plan (token bucket: `rate` per second, `burst`): over it the answer
 * is 429 QuotaExceeded; every answer carries `x-amzn-RateLimit-Limit` and `x-amzn-RequestId`. Requests the real API
 * rejects are rejected (400 InvalidInput with the reason; 403 Unauthorized for a missing, expired or foreign access
 * token). A control API (`control`) places orders, cancels them and injects per-SKU feed failures.
 * Quantities in units; times in ms.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { randomBytes, randomUUID } from "node:crypto";
import {
  CreateFeedDocumentSpecification,
  CreateFeedSpecification,
  FulfillmentAvailabilityValue,
  ListingsFeed,
  ListingsFeedMessage,
  ListingsItemPatchRequest,
  USAGE_PLANS,
  isoInstant,
  type SpOperation,
} from "./contract.js";

export { USAGE_PLANS } from "./contract.js";

/** A seller's listing. `fulfillment` AFN = fulfilled by Amazon (FBA): its quantity is Amazon's, never the seller's. */
export interface EmulatedListing {
  sku: string;
  asin: string;
  productType: string;
  title: string;
  fulfillment: "MFN" | "AFN";
  /**
   * Sellable units in the seller's primary marketplace (MFN: what the seller set, minus open Pending/Unshipped orders;
   * AFN: Amazon's fulfillable units).
   */
  quantity: number;
  /**
   * Marketplaces the SKU has an offer in (default: every marketplace of the seller's account). A merchant-fulfilled
   * quantity is per marketplace (the listings attribute `fulfillment_availability` is written per marketplaceIds):
   * `quantity` is the primary marketplace's, `quantityIn` the others'.
   */
  marketplaces?: string[];
  quantityIn?: Record<string, number>;
  price: string;
  /** A variation child's parent SKU (the parent itself has no offer: `isParent`). */
  parentSku?: string | null;
  isParent?: boolean;
  lastUpdatedDate: string;
}

export interface EmulatedOrderItem {
  OrderItemId: string;
  SellerSKU: string;
  ASIN: string;
  Title: string;
  QuantityOrdered: number;
  QuantityShipped: number;
  ItemPrice?: { CurrencyCode: string; Amount: string };
}

export interface EmulatedOrder {
  AmazonOrderId: string;
  PurchaseDate: string;
  LastUpdateDate: string;
  OrderStatus: "Pending" | "Unshipped" | "PartiallyShipped" | "Shipped" | "Canceled";
  FulfillmentChannel: "MFN" | "AFN";
  MarketplaceId: string;
  SalesChannel: string;
  OrderType: "StandardOrder";
  OrderTotal?: { CurrencyCode: string; Amount: string };
  NumberOfItemsShipped: number;
  NumberOfItemsUnshipped: number;
  BuyerInfo?: { BuyerEmail?: string };
  items: EmulatedOrderItem[];
}

interface Feed {
  feedId: string;
  feedType: string;
  marketplaceIds: string[];
  createdTime: string;
  processingStatus: "IN_QUEUE" | "IN_PROGRESS" | "DONE" | "CANCELLED" | "FATAL";
  processingStartTime?: string;
  processingEndTime?: string;
  resultFeedDocumentId?: string;
  inputFeedDocumentId: string;
}

export interface AmazonEmulatorOptions {
  /** The LWA application (client) credentials and the SP-API application id used on the consent page. */
  clientId?: string;
  clientSecret?: string;
  applicationId?: string;
  /** Redirect URIs registered for the application (exact match, as LWA requires). Empty = any. */
  redirectUris?: string[];
  sellerId?: string;
  marketplaceId?: string;
  /**
   * Every marketplace of the seller's (unified) account, primary first (default: `[marketplaceId]`). All must be of one
   * region (one SP-API endpoint serves them); the seller's merchant-fulfilled stock is one, each marketplace shows its
   * own quantity of it.
   */
  marketplaceIds?: string[];
  currency?: string;
  /** How long a feed stays queued + in progress before its report is ready (ms; default 2,000). */
  feedProcessingMs?: number;
  /**
   * Multiplies every usage plan's refill rate (default 1 = the published rates). Tests that make many calls in a
   * short time raise it; the burst sizes stay as published.
   */
  rateScale?: number;
  /** Access-token lifetime (s; default 3,600 as LWA answers). */
  accessTokenTtlS?: number;
  /** Orders per getOrders page at most (the API's own maximum is 100). */
  maxOrdersPerPage?: number;
  /** Items per getOrderItems page (the API pages large orders; default 100). */
  itemsPerPage?: number;
  /**
   * How long an order update takes to reach getOrders' index (ms; default 0). Its LastUpdateDate is the time of the
   * change, so a poll in between misses it and the next poll finds it only by re-reading that window (a late order).
   */
  indexLagMs?: number;
  /** Port to listen on (default: a free one). The bench reserves one so the app can be started with the endpoint first. */
  port?: number;
  /** Time each request takes before it is answered (ms; default 0): the bench's realistic SP-API round trip. */
  latencyMs?: number;
}

export interface RequestLogEntry {
  at: number;
  operation: SpOperation | "token" | "consent" | "upload" | "document";
  status: number;
  path: string;
}

/** Errors in the SP-API shape: `{ errors: [{ code, message, details? }] }`. */
function spErrors(code: string, message: string, details?: string) {
  return { errors: [{ code, message, ...(details ? { details } : {}) }] };
}

/** A running emulator. */
export interface AmazonEmulator {
  url: string;
  sellerId: string;
  marketplaceId: string;
  /** Every marketplace of the account, primary first. */
  marketplaceIds: string[];
  clientId: string;
  clientSecret: string;
  applicationId: string;
  listings: Map<string, EmulatedListing>;
  orders: Map<string, EmulatedOrder>;
  requests: RequestLogEntry[];
  control: {
    addListing(l: Partial<EmulatedListing> & { sku: string }): EmulatedListing;
    /**
     * Places an order (Pending) in `marketplaceId` (default: the primary); MFN lines reserve the listing's units in that
     * marketplace at once, as Amazon does.
     */
    placeOrder(o: {
      lines: { sku: string; quantity: number }[];
      marketplaceId?: string;
      fulfillment?: "MFN" | "AFN";
      status?: EmulatedOrder["OrderStatus"];
      purchaseDate?: string;
    }): EmulatedOrder;
    /** Moves an order to a status; Canceled gives its MFN units back once. */
    setOrderStatus(orderId: string, status: EmulatedOrder["OrderStatus"]): EmulatedOrder;
    /**
     * The next `times` writes of `sku` (a feed message or a patch) get an ERROR issue with this message (Amazon's own
     * wording for, e.g., a suppressed listing); `times` Infinity = until `clearSkuFailures`.
     */
    failSku(sku: string, message: string, opts?: { code?: string; times?: number }): void;
    clearSkuFailures(sku?: string): void;
    /** A refresh token for `sellerId` (as if the seller had authorised the app earlier). */
    issueRefreshToken(sellerId?: string): string;
    revokeRefreshToken(token: string): void;
    /** 429s answered per operation so far. */
    throttled(): Partial<Record<SpOperation, number>>;
    setRateScale(scale: number): void;
    setFeedProcessingMs(ms: number): void;
    /** Per-request latency (ms) from now on. */
    setLatency(ms: number): void;
    /** How long an order update takes to reach getOrders (ms) from now on. */
    setIndexLag(ms: number): void;
    /** Feed messages processed so far (every message of every feed, accepted or not). */
    feedMessages(): number;
    /** The merchant-fulfilled (or FBA) quantity `sku` shows in `marketplaceId` (default: the primary). */
    quantityOf(sku: string, marketplaceId?: string): number;
    /**
     * The read-then-set window, measured (decision 300): patches of a SKU that followed a getListingsItem of it
     * (`readThenSetWrites`), and those that overwrote buyers' orders placed between that read and the patch — the
     * orders' units were shown again (`writes`, `units`).
     */
    overwrittenSales(): { readThenSetWrites: number; writes: number; units: number };
  };
  close(): Promise<void>;
}

const isoNow = (ms = Date.now()) => new Date(ms).toISOString();

/** Starts the emulator on 127.0.0.1 (a free port). */
export async function startAmazonEmulator(opts: AmazonEmulatorOptions = {}): Promise<AmazonEmulator> {
  const clientId = opts.clientId ?? "amzn1.application-oa2-client.syncflowtest";
  const clientSecret = opts.clientSecret ?? "amzn1.oa2-cs.v1.secret-" + randomBytes(8).toString("hex");
  const applicationId = opts.applicationId ?? "amzn1.sp.solution.syncflow-test";
  const sellerId = opts.sellerId ?? "A1SELLERSYNCFLOW";
  const marketplaceId = opts.marketplaceIds?.[0] ?? opts.marketplaceId ?? "ATVPDKIKX0DER";
  const accountMarketplaces = opts.marketplaceIds?.length ? [...opts.marketplaceIds] : [marketplaceId];
  /** Whether the SKU has an offer in marketplace `m`. */
  const sellsIn = (l: EmulatedListing, m: string) => (l.marketplaces ?? accountMarketplaces).includes(m);
  /** The listing's quantity in marketplace `m`. */
  const qtyIn = (l: EmulatedListing, m: string) => (m === marketplaceId ? l.quantity : (l.quantityIn?.[m] ?? 0));
  const setQtyIn = (l: EmulatedListing, m: string, q: number) => {
    if (m === marketplaceId) l.quantity = q;
    else l.quantityIn = { ...(l.quantityIn ?? {}), [m]: q };
  };
  const currency = opts.currency ?? "USD";
  let feedProcessingMs = opts.feedProcessingMs ?? 2000;
  let rateScale = opts.rateScale ?? 1;
  const ttlS = opts.accessTokenTtlS ?? 3600;
  const maxOrdersPerPage = opts.maxOrdersPerPage ?? 100;
  const itemsPerPage = opts.itemsPerPage ?? 100;
  let indexLagMs = opts.indexLagMs ?? 0;
  let latencyMs = opts.latencyMs ?? 0;

  const listings = new Map<string, EmulatedListing>();
  const orders = new Map<string, EmulatedOrder>();
  const requests: RequestLogEntry[] = [];
  const codes = new Map<string, { sellerId: string; redirectUri: string; expiresAt: number }>();
  const refreshTokens = new Map<string, string>(); // token → sellerId
  const accessTokens = new Map<string, { sellerId: string; expiresAt: number }>();
  const documents = new Map<string, { contentType: string; body: string | null; kind: "input" | "result" }>();
  const feeds = new Map<string, Feed>();
  const skuFailures = new Map<string, { message: string; code: string; times: number }>();
  /** The injected failure of `sku` for one write, if any (counted down). */
  const injectedFailure = (sku: string) => {
    const f = skuFailures.get(sku);
    if (!f) return null;
    if (--f.times <= 0) skuFailures.delete(sku);
    return f;
  };
  const nextTokens = new Map<string, { params: URLSearchParams; offset: number }>();
  const throttled: Partial<Record<SpOperation, number>> = {};
  const timers = new Set<NodeJS.Timeout>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  let orderSeq = 0;
  let feedMessagesProcessed = 0;
  /** MFN units buyers took per SKU (primary marketplace) and, per SKU, that count at its last getListingsItem. */
  const soldUnits = new Map<string, number>();
  const readMark = new Map<string, number>();
  const overwritten = { readThenSetWrites: 0, writes: 0, units: 0 };

  /** Token bucket per (seller, operation): true when a request may proceed now. */
  const take = (seller: string, op: SpOperation): boolean => {
    const plan = USAGE_PLANS[op];
    const key = `${seller}:${op}`;
    const now = Date.now();
    const b = buckets.get(key) ?? { tokens: plan.burst, at: now };
    b.tokens = Math.min(plan.burst, b.tokens + ((now - b.at) / 1000) * plan.rate * rateScale);
    b.at = now;
    buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };

  const touch = (l: EmulatedListing) => (l.lastUpdatedDate = isoNow());

  const control: AmazonEmulator["control"] = {
    addListing(l) {
      const full: EmulatedListing = {
        asin: "B0" + randomBytes(4).toString("hex").toUpperCase(),
        productType: "PRODUCT",
        title: l.sku,
        fulfillment: "MFN",
        quantity: 0,
        price: "10.00",
        lastUpdatedDate: isoNow(),
        ...l,
      };
      listings.set(full.sku, full);
      return full;
    },
    placeOrder(o) {
      orderSeq++;
      // The 3-7-7 AmazonOrderId format getOrderItems checks (unique per emulator up to 10^7 orders).
      const id = `${111 + (orderSeq % 889)}-${String(orderSeq).padStart(7, "0")}-${String((orderSeq * 7919) % 10_000_000).padStart(7, "0")}`;
      const fulfillment = o.fulfillment ?? "MFN";
      const market = o.marketplaceId ?? marketplaceId;
      if (!accountMarketplaces.includes(market)) throw new Error(`emulator: the seller does not sell in ${market}`);
      const items: EmulatedOrderItem[] = o.lines.map((line, i) => {
        const l = listings.get(line.sku);
        if (!l) throw new Error(`emulator: no listing ${line.sku}`);
        if (!sellsIn(l, market)) throw new Error(`emulator: ${line.sku} is not offered in ${market}`);
        if (fulfillment === "MFN") {
          if (l.fulfillment !== "MFN") throw new Error(`emulator: ${line.sku} is fulfilled by Amazon`);
          const have = qtyIn(l, market);
          if (have < line.quantity) throw new Error(`emulator: ${line.sku} has only ${have}`);
          setQtyIn(l, market, have - line.quantity);
          if (market === marketplaceId) soldUnits.set(l.sku, (soldUnits.get(l.sku) ?? 0) + line.quantity);
          touch(l);
        }
        return {
          OrderItemId: `${Date.now()}${orderSeq}${i}`,
          SellerSKU: l.sku,
          ASIN: l.asin,
          Title: l.title,
          QuantityOrdered: line.quantity,
          QuantityShipped: 0,
          ItemPrice: { CurrencyCode: currency, Amount: (Number(l.price) * line.quantity).toFixed(2) },
        };
      });
      const total = items.reduce((s, i) => s + Number(i.ItemPrice!.Amount), 0).toFixed(2);
      const now = isoNow();
      const order: EmulatedOrder = {
        AmazonOrderId: id,
        PurchaseDate: o.purchaseDate ?? now,
        LastUpdateDate: now,
        OrderStatus: o.status ?? "Pending",
        FulfillmentChannel: fulfillment,
        MarketplaceId: market,
        SalesChannel: "Amazon.com",
        OrderType: "StandardOrder",
        OrderTotal: { CurrencyCode: currency, Amount: total },
        NumberOfItemsShipped: 0,
        NumberOfItemsUnshipped: items.reduce((s, i) => s + i.QuantityOrdered, 0),
        BuyerInfo: { BuyerEmail: `buyer${orderSeq}@marketplace.amazon.com` },
        items,
      };
      orders.set(id, order);
      return order;
    },
    setOrderStatus(orderId, status) {
      const o = orders.get(orderId);
      if (!o) throw new Error(`emulator: no order ${orderId}`);
      if (o.OrderStatus === status) return o;
      if (status === "Canceled" && o.FulfillmentChannel === "MFN" && o.OrderStatus !== "Shipped")
        for (const i of o.items) {
          const l = listings.get(i.SellerSKU);
          if (l) {
            setQtyIn(l, o.MarketplaceId, qtyIn(l, o.MarketplaceId) + i.QuantityOrdered - i.QuantityShipped);
            touch(l);
          }
        }
      if (status === "Shipped") for (const i of o.items) i.QuantityShipped = i.QuantityOrdered;
      o.OrderStatus = status;
      o.NumberOfItemsShipped = o.items.reduce((s, i) => s + i.QuantityShipped, 0);
      o.NumberOfItemsUnshipped =
        status === "Canceled" ? 0 : o.items.reduce((s, i) => s + i.QuantityOrdered - i.QuantityShipped, 0);
      // LastUpdateDate strictly increases, so a poll that started at the previous update sees this one.
      o.LastUpdateDate = isoNow(Math.max(Date.now(), Date.parse(o.LastUpdateDate) + 1));
      return o;
    },
    failSku(sku, message, o = {}) {
      skuFailures.set(sku, { message, code: o.code ?? "90220", times: o.times ?? 1 });
    },
    clearSkuFailures(sku) {
      if (sku) skuFailures.delete(sku);
      else skuFailures.clear();
    },
    issueRefreshToken(forSeller = sellerId) {
      const t = "Atzr|" + randomBytes(24).toString("base64url");
      refreshTokens.set(t, forSeller);
      return t;
    },
    revokeRefreshToken(token) {
      // The seller removed the app's authorisation: its refresh token and the access tokens issued for the seller.
      const seller = refreshTokens.get(token);
      refreshTokens.delete(token);
      for (const [k, v] of accessTokens) if (v.sellerId === seller) accessTokens.delete(k);
    },
    throttled: () => ({ ...throttled }),
    setRateScale(scale) {
      rateScale = scale;
    },
    setFeedProcessingMs(ms) {
      feedProcessingMs = ms;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    setIndexLag(ms) {
      indexLagMs = ms;
    },
    feedMessages: () => feedMessagesProcessed,
    overwrittenSales: () => ({ ...overwritten }),
    quantityOf(sku, m = marketplaceId) {
      const l = listings.get(sku);
      return l ? qtyIn(l, m) : 0;
    },
  };

  // ---- listings ----
  const itemJson = (l: EmulatedListing, included: string[], marketplaceId: string) => ({
    sku: l.sku,
    ...(included.includes("summaries")
      ? {
          summaries: [
            {
              marketplaceId,
              asin: l.asin,
              productType: l.productType,
              conditionType: "new_new",
              status: l.isParent ? ["DISCOVERABLE"] : ["BUYABLE", "DISCOVERABLE"],
              itemName: l.title,
              createdDate: l.lastUpdatedDate,
              lastUpdatedDate: l.lastUpdatedDate,
            },
          ],
        }
      : {}),
    ...(included.includes("fulfillmentAvailability")
      ? {
          fulfillmentAvailability: l.isParent
            ? []
            : [
                l.fulfillment === "AFN"
                  ? { fulfillmentChannelCode: "AMAZON_NA", quantity: qtyIn(l, marketplaceId) }
                  : { fulfillmentChannelCode: "DEFAULT", quantity: qtyIn(l, marketplaceId) },
              ],
        }
      : {}),
    ...(included.includes("relationships")
      ? {
          relationships: [
            {
              marketplaceId,
              relationships: l.isParent
                ? [
                    {
                      type: "VARIATION",
                      childSkus: [...listings.values()].filter((c) => c.parentSku === l.sku).map((c) => c.sku),
                    },
                  ]
                : l.parentSku
                  ? [{ type: "VARIATION", parentSkus: [l.parentSku] }]
                  : [],
            },
          ],
        }
      : {}),
    ...(included.includes("offers") && !l.isParent
      ? { offers: [{ marketplaceId, offerType: "B2C", price: { currencyCode: currency, amount: l.price } }] }
      : {}),
    ...(included.includes("issues") ? { issues: [] } : {}),
  });

  /** Applies a patch set to a listing; the issues Amazon would report (empty = accepted). */
  const applyPatches = (
    l: EmulatedListing,
    productType: string,
    patches: { op: string; path: string; value?: Record<string, unknown>[] }[],
    market: string,
  ): { code: string; message: string; severity: "ERROR"; attributeNames: string[] }[] => {
    const issues: { code: string; message: string; severity: "ERROR"; attributeNames: string[] }[] = [];
    if (productType !== l.productType && productType !== "PRODUCT")
      issues.push({
        code: "4000001",
        message: `The provided product type '${productType}' does not match the product type of the listing ('${l.productType}').`,
        severity: "ERROR",
        attributeNames: [],
      });
    let newQty: number | null = null;
    for (const p of patches) {
      if (p.path !== "/attributes/fulfillment_availability") continue; // other attributes: accepted, not modelled
      if (p.op === "delete") continue;
      for (const raw of p.value ?? []) {
        const v = FulfillmentAvailabilityValue.safeParse(raw);
        if (!v.success) {
          issues.push({
            code: "4000002",
            message: `'fulfillment_availability' is invalid: ${v.error.issues[0]?.message ?? "bad value"}.`,
            severity: "ERROR",
            attributeNames: ["fulfillment_availability"],
          });
          continue;
        }
        if (l.fulfillment === "AFN" || l.isParent) {
          issues.push({
            code: "90220",
            message: l.isParent
              ? `'fulfillment_availability' is not applicable to a variation parent SKU '${l.sku}'.`
              : `The SKU '${l.sku}' is fulfilled by Amazon: its quantity is managed by Amazon and cannot be set with fulfillment_channel_code '${v.data.fulfillment_channel_code}'.`,
            severity: "ERROR",
            attributeNames: ["fulfillment_availability"],
          });
          continue;
        }
        if (v.data.fulfillment_channel_code !== "DEFAULT") {
          issues.push({
            code: "4000003",
            message: `Fulfillment channel '${v.data.fulfillment_channel_code}' is not valid for a merchant-fulfilled listing.`,
            severity: "ERROR",
            attributeNames: ["fulfillment_availability"],
          });
          continue;
        }
        if (v.data.quantity !== undefined) newQty = v.data.quantity;
      }
    }
    if (!issues.length && newQty != null) {
      // Amazon's quantity is what the seller sets; open orders were already taken off at order time.
      setQtyIn(l, market, newQty);
      touch(l);
    }
    return issues;
  };

  // ---- feeds ----
  const processFeed = (feed: Feed) => {
    const doc = documents.get(feed.inputFeedDocumentId);
    const reportId = "amzn1.tortuga.4.na." + randomUUID();
    const issues: Record<string, unknown>[] = [];
    let processed = 0;
    let accepted = 0;
    let invalid = 0;
    let fatal = false;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(doc?.body ?? "");
    } catch {
      fatal = true;
      issues.push({ code: "100001", severity: "ERROR", message: "The feed document is not valid JSON." });
    }
    const feedDoc = fatal ? null : ListingsFeed.safeParse(parsed);
    if (feedDoc && !feedDoc.success) {
      fatal = true;
      issues.push({
        code: "100002",
        severity: "ERROR",
        message: `The feed does not match the JSON_LISTINGS_FEED schema: ${feedDoc.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
      });
    } else if (feedDoc?.success && feedDoc.data.header.sellerId !== sellerId) {
      fatal = true;
      issues.push({
        code: "100003",
        severity: "ERROR",
        message: "The sellerId in the feed header does not match the feed submitter.",
      });
    }
    if (!fatal && feedDoc?.success) {
      const seen = new Set<number>();
      for (const raw of feedDoc.data.messages) {
        processed++;
        feedMessagesProcessed++;
        const m = ListingsFeedMessage.safeParse(raw);
        const messageId = (raw as { messageId?: unknown })?.messageId;
        const sku = (raw as { sku?: unknown })?.sku;
        const issue = (code: string, message: string) => {
          invalid++;
          issues.push({
            ...(typeof messageId === "number" ? { messageId } : {}),
            ...(typeof sku === "string" && sku ? { sku } : {}),
            code,
            severity: "ERROR",
            message,
          });
        };
        if (!m.success) {
          issue("4000000", `Message does not match the schema: ${m.error.issues.map((i) => i.message).join("; ")}`);
          continue;
        }
        if (seen.has(m.data.messageId)) {
          issue("4000005", `Duplicate messageId ${m.data.messageId}.`);
          continue;
        }
        seen.add(m.data.messageId);
        const l = listings.get(m.data.sku);
        // The feed applies to each of its marketplaces the SKU is offered in.
        const markets = l ? feed.marketplaceIds.filter((mk) => sellsIn(l, mk)) : [];
        if (!l || !markets.length) {
          issue("4000004", `SKU '${m.data.sku}' does not exist in marketplace ${feed.marketplaceIds.join(", ")}.`);
          continue;
        }
        const injected = injectedFailure(m.data.sku);
        if (injected) {
          issue(injected.code, injected.message);
          continue;
        }
        if (m.data.operationType !== "PATCH") {
          accepted++; // UPDATE / PARTIAL_UPDATE / DELETE: accepted, their attributes are not modelled
          continue;
        }
        const found = markets.flatMap((mk) => applyPatches(l, m.data.productType!, m.data.patches!, mk));
        if (found.length) {
          invalid++;
          for (const f of found)
            issues.push({
              messageId: m.data.messageId,
              sku: m.data.sku,
              code: f.code,
              severity: f.severity,
              message: f.message,
            });
        } else accepted++;
      }
    }
    const report = {
      header: { sellerId, version: "2.0", feedId: feed.feedId },
      issues,
      summary: {
        errors: issues.length,
        warnings: 0,
        messagesProcessed: processed,
        messagesAccepted: accepted,
        messagesInvalid: invalid,
      },
    };
    documents.set(reportId, { contentType: "application/json", body: JSON.stringify(report), kind: "result" });
    feed.processingStatus = fatal ? "FATAL" : "DONE";
    feed.processingEndTime = isoNow();
    feed.resultFeedDocumentId = reportId;
  };

  const schedule = (fn: () => void, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  // ---- HTTP ----
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const run = () => {
        try {
          handle(req, res, Buffer.concat(chunks).toString("utf8"));
        } catch (err) {
          send(res, 500, spErrors("InternalFailure", String((err as Error).message)));
        }
      };
      if (latencyMs > 0) schedule(run, latencyMs);
      else run();
    });
  });
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, {
      "content-type": "application/json",
      "x-amzn-requestid": randomUUID(),
      ...headers,
    });
    res.end(body === undefined ? "" : JSON.stringify(body));
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string) {
    const u = new URL(req.url ?? "/", url);
    const path = u.pathname;
    const method = req.method ?? "GET";
    const log = (operation: RequestLogEntry["operation"], status: number) =>
      requests.push({ at: Date.now(), operation, status, path });

    // ---- Login with Amazon ----
    if (path === "/auth/o2/token" && method === "POST") return token(req, res, body, log);
    if (path === "/apps/authorize/consent" && method === "GET") return consent(u, res, log);
    // ---- pre-signed document URLs (S3 in the real service: no SP-API token) ----
    const upload = path.match(/^\/__documents\/([^/]+)$/);
    if (upload) {
      const doc = documents.get(decodeURIComponent(upload[1]!));
      if (!doc) return send(res, 404, { message: "NoSuchKey" });
      if (method === "PUT" && doc.kind === "input") {
        if ((req.headers["content-type"] ?? "") !== doc.contentType) {
          log("upload", 403);
          return send(res, 403, { message: "SignatureDoesNotMatch: the Content-Type differs from the one signed" });
        }
        doc.body = body;
        log("upload", 200);
        return send(res, 200, undefined);
      }
      if (method === "GET" && doc.kind === "result") {
        log("document", 200);
        res.writeHead(200, { "content-type": doc.contentType });
        return res.end(doc.body);
      }
      return send(res, 405, { message: "MethodNotAllowed" });
    }

    // ---- SP-API: access token ----
    const tokenHeader = req.headers["x-amz-access-token"];
    const at = typeof tokenHeader === "string" ? accessTokens.get(tokenHeader) : undefined;
    const op = operationOf(method, path);
    if (!op) return send(res, 404, spErrors("NotFound", `Resource ${path} is not found.`));
    if (!at || at.expiresAt < Date.now()) {
      log(op, 403);
      return send(
        res,
        403,
        spErrors(
          "Unauthorized",
          "Access to requested resource is denied.",
          "The access token you provided is revoked, malformed or invalid.",
        ),
      );
    }
    const limitHeader = { "x-amzn-RateLimit-Limit": String(USAGE_PLANS[op].rate) };
    if (!take(at.sellerId, op)) {
      throttled[op] = (throttled[op] ?? 0) + 1;
      log(op, 429);
      return send(
        res,
        429,
        spErrors("QuotaExceeded", "You exceeded your quota for the requested resource."),
        limitHeader,
      );
    }
    const reply = (status: number, b: unknown) => {
      log(op, status);
      send(res, status, b, limitHeader);
    };
    const bad = (message: string) => reply(400, spErrors("InvalidInput", message));
    const q = u.searchParams;

    if (op === "getListingsItem" || op === "patchListingsItem" || op === "searchListingsItems") {
      const m = path.match(/^\/listings\/2021-08-01\/items\/([^/]+)(?:\/([^/]+))?$/)!;
      const pathSeller = decodeURIComponent(m[1]!);
      if (pathSeller !== at.sellerId)
        return reply(
          403,
          spErrors(
            "Unauthorized",
            "Access to requested resource is denied.",
            "The sellerId does not match the authorised selling partner.",
          ),
        );
      const marketplaces = (q.get("marketplaceIds") ?? "").split(",").filter(Boolean);
      if (!marketplaces.length) return bad("Missing required parameter 'marketplaceIds'.");
      if (marketplaces.length > 1) return bad("Only one marketplaceId is supported per request.");
      const market = marketplaces[0]!;
      if (!accountMarketplaces.includes(market))
        return bad(`Marketplace '${market}' is not a marketplace the seller participates in.`);
      const included = (q.get("includedData") ?? "summaries").split(",").filter(Boolean);
      const allowed = [
        "summaries",
        "attributes",
        "issues",
        "offers",
        "fulfillmentAvailability",
        "procurement",
        "relationships",
        "productTypes",
      ];
      const wrong = included.find((i) => !allowed.includes(i));
      if (wrong) return bad(`Invalid includedData value '${wrong}'.`);
      if (op === "searchListingsItems") {
        const pageSize = q.has("pageSize") ? Number(q.get("pageSize")) : 10;
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 20)
          return bad("pageSize must be between 1 and 20.");
        const all = [...listings.values()].filter((l) => sellsIn(l, market)).sort((a, b) => a.sku.localeCompare(b.sku));
        const offset = q.get("pageToken") ? Number(Buffer.from(q.get("pageToken")!, "base64url").toString()) : 0;
        if (!Number.isInteger(offset) || offset < 0) return bad("Invalid pageToken.");
        const page = all.slice(offset, offset + pageSize);
        const next =
          offset + pageSize < all.length ? Buffer.from(String(offset + pageSize)).toString("base64url") : null;
        return reply(200, {
          numberOfResults: all.length,
          ...(next ? { pagination: { nextToken: next } } : {}),
          items: page.map((l) => itemJson(l, included, market)),
        });
      }
      const sku = decodeURIComponent(m[2] ?? "");
      const l = listings.get(sku);
      if (!l || !sellsIn(l, market))
        return reply(404, spErrors("NOT_FOUND", `SKU '${sku}' not found in marketplace ${market}`));
      if (op === "getListingsItem") {
        if (market === marketplaceId) readMark.set(sku, soldUnits.get(sku) ?? 0);
        return reply(200, itemJson(l, included, market));
      }
      let parsedBody: unknown;
      try {
        parsedBody = JSON.parse(body);
      } catch {
        return bad("The request body is not valid JSON.");
      }
      const p = ListingsItemPatchRequest.safeParse(parsedBody);
      if (!p.success)
        return bad(`Invalid request body: ${p.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
      const injected = injectedFailure(sku);
      const issues = injected
        ? [{ code: injected.code, message: injected.message, severity: "ERROR" as const, attributeNames: [] }]
        : applyPatches(l, p.data.productType, p.data.patches, market);
      const mark = readMark.get(sku);
      if (!issues.length && market === marketplaceId && mark !== undefined) {
        readMark.delete(sku);
        overwritten.readThenSetWrites++;
        const lost = (soldUnits.get(sku) ?? 0) - mark;
        if (lost > 0) {
          overwritten.writes++;
          overwritten.units += lost;
        }
      }
      return reply(200, {
        sku,
        status: issues.length ? "INVALID" : "ACCEPTED",
        submissionId: randomUUID().replace(/-/g, ""),
        issues,
      });
    }

    if (op === "getOrders") {
      const marketplaces = (q.get("MarketplaceIds") ?? "").split(",").filter(Boolean);
      if (!marketplaces.length) return bad("Missing required parameter 'MarketplaceIds'.");
      if (marketplaces.length > 50) return bad("MarketplaceIds may hold at most 50 values.");
      let params = q;
      let offset = 0;
      if (q.get("NextToken")) {
        const saved = nextTokens.get(q.get("NextToken")!);
        if (!saved) return bad("Invalid NextToken.");
        params = saved.params;
        offset = saved.offset;
      } else {
        const created = q.get("CreatedAfter");
        const updated = q.get("LastUpdatedAfter");
        if (!created && !updated) return bad("Either CreatedAfter or LastUpdatedAfter must be specified.");
        if (created && updated) return bad("CreatedAfter and LastUpdatedAfter cannot both be specified.");
        for (const k of ["CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"]) {
          const val = q.get(k);
          if (val != null && !isoInstant.safeParse(val).success) return bad(`${k} must be in ISO 8601 format.`);
        }
        if (updated && (q.get("CreatedBefore") || created))
          return bad("CreatedBefore cannot be set when LastUpdatedAfter is set.");
        if (created && q.get("LastUpdatedBefore"))
          return bad("LastUpdatedBefore cannot be set when CreatedAfter is set.");
        const before = q.get("LastUpdatedBefore") ?? q.get("CreatedBefore");
        const after = updated ?? created!;
        if (before) {
          if (Date.parse(before) < Date.parse(after))
            return bad(
              `${updated ? "LastUpdatedBefore" : "CreatedBefore"} must be after ${updated ? "LastUpdatedAfter" : "CreatedAfter"}.`,
            );
          if (Date.parse(before) > Date.now() - 120_000)
            return bad("The before date must be at least two minutes before the current time.");
        }
        if (Date.parse(after) > Date.now())
          return bad(`${updated ? "LastUpdatedAfter" : "CreatedAfter"} cannot be in the future.`);
        const max = q.get("MaxResultsPerPage");
        if (max != null && (!/^\d+$/.test(max) || Number(max) < 1 || Number(max) > 100))
          return bad("MaxResultsPerPage must be between 1 and 100.");
      }
      const updated = params.get("LastUpdatedAfter");
      const after = Date.parse(updated ?? params.get("CreatedAfter")!);
      const beforeRaw = params.get("LastUpdatedBefore") ?? params.get("CreatedBefore");
      const before = beforeRaw ? Date.parse(beforeRaw) : Infinity;
      const statuses = (params.get("OrderStatuses") ?? "").split(",").filter(Boolean);
      const perPage = Math.min(maxOrdersPerPage, Number(params.get("MaxResultsPerPage") ?? 100));
      const field = updated ? "LastUpdateDate" : "PurchaseDate";
      const matching = [...orders.values()]
        .filter((o) => Date.parse(o.LastUpdateDate) + indexLagMs <= Date.now())
        .filter((o) => marketplaces.includes(o.MarketplaceId))
        .filter((o) => Date.parse(o[field]) >= after && Date.parse(o[field]) <= before)
        .filter((o) => !statuses.length || statuses.includes(o.OrderStatus))
        .sort((a, b) => Date.parse(a[field]) - Date.parse(b[field]) || a.AmazonOrderId.localeCompare(b.AmazonOrderId));
      const page = matching.slice(offset, offset + perPage);
      let NextToken: string | undefined;
      if (offset + perPage < matching.length) {
        NextToken = randomBytes(24).toString("base64");
        nextTokens.set(NextToken, { params, offset: offset + perPage });
      }
      return reply(200, {
        payload: {
          Orders: page.map((o) => orderJson(o)),
          ...(NextToken ? { NextToken } : {}),
          ...(updated
            ? { LastUpdatedBefore: isoNow(Math.min(before, Date.now())) }
            : { CreatedBefore: isoNow(Math.min(before, Date.now())) }),
        },
      });
    }

    if (op === "getOrderItems") {
      const id = decodeURIComponent(path.split("/")[4]!);
      if (!/^\d{3}-\d{7}-\d{7}$/.test(id)) return bad(`Invalid AmazonOrderId '${id}': expected the 3-7-7 format.`);
      const o = orders.get(id);
      if (!o) return reply(404, spErrors("InvalidInput", `Order '${id}' not found.`));
      const offset = q.get("NextToken") ? Number(Buffer.from(q.get("NextToken")!, "base64url").toString()) : 0;
      const page = o.items.slice(offset, offset + itemsPerPage);
      const next =
        offset + itemsPerPage < o.items.length
          ? Buffer.from(String(offset + itemsPerPage)).toString("base64url")
          : null;
      return reply(200, {
        payload: {
          AmazonOrderId: id,
          OrderItems: page.map((i) => ({
            ASIN: i.ASIN,
            SellerSKU: i.SellerSKU,
            OrderItemId: i.OrderItemId,
            Title: i.Title,
            QuantityOrdered: i.QuantityOrdered,
            QuantityShipped: i.QuantityShipped,
            // Pending orders carry no prices yet (the Orders API omits them until payment is authorised).
            ...(o.OrderStatus === "Pending" ? {} : { ItemPrice: i.ItemPrice }),
          })),
          ...(next ? { NextToken: next } : {}),
        },
      });
    }

    if (op === "createFeedDocument") {
      const p = parseJson(body, CreateFeedDocumentSpecification);
      if (!p.ok) return bad(p.message);
      const id = "amzn1.tortuga.4.na." + randomUUID();
      documents.set(id, { contentType: p.value.contentType, body: null, kind: "input" });
      return reply(201, { feedDocumentId: id, url: `${url}/__documents/${encodeURIComponent(id)}` });
    }
    if (op === "createFeed") {
      const p = parseJson(body, CreateFeedSpecification);
      if (!p.ok) return bad(p.message);
      if (p.value.feedType !== "JSON_LISTINGS_FEED") return bad(`Unsupported feedType '${p.value.feedType}'.`);
      if (!p.value.marketplaceIds.every((m) => accountMarketplaces.includes(m))) return bad("Invalid marketplaceIds.");
      const doc = documents.get(p.value.inputFeedDocumentId);
      if (!doc || doc.kind !== "input") return bad(`Invalid inputFeedDocumentId '${p.value.inputFeedDocumentId}'.`);
      const feedId = String(50000000000 + feeds.size + 1);
      const feed: Feed = {
        feedId,
        feedType: p.value.feedType,
        marketplaceIds: p.value.marketplaceIds,
        createdTime: isoNow(),
        processingStatus: "IN_QUEUE",
        inputFeedDocumentId: p.value.inputFeedDocumentId,
      };
      feeds.set(feedId, feed);
      schedule(() => {
        feed.processingStatus = "IN_PROGRESS";
        feed.processingStartTime = isoNow();
      }, feedProcessingMs / 2);
      schedule(() => processFeed(feed), feedProcessingMs);
      return reply(202, { feedId });
    }
    if (op === "getFeed") {
      const feed = feeds.get(decodeURIComponent(path.split("/")[4]!));
      if (!feed) return reply(404, spErrors("NotFound", "The feed was not found."));
      const { inputFeedDocumentId: _in, ...rest } = feed;
      return reply(200, rest);
    }
    if (op === "getFeedDocument") {
      const id = decodeURIComponent(path.split("/")[4]!);
      const doc = documents.get(id);
      if (!doc || doc.kind !== "result") return reply(404, spErrors("NotFound", "The feed document was not found."));
      return reply(200, { feedDocumentId: id, url: `${url}/__documents/${encodeURIComponent(id)}` });
    }
    return send(res, 404, spErrors("NotFound", `Resource ${path} is not found.`));
  }

  function orderJson(o: EmulatedOrder) {
    const { items: _items, OrderTotal, BuyerInfo, ...rest } = o;
    // Pending orders carry no OrderTotal until payment is authorised.
    return { ...rest, ...(o.OrderStatus === "Pending" ? {} : { OrderTotal }), ...(BuyerInfo ? { BuyerInfo } : {}) };
  }

  function parseJson<T extends import("zod").ZodType>(
    body: string,
    schema: T,
  ): { ok: true; value: import("zod").infer<T> } | { ok: false; message: string } {
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      return { ok: false, message: "The request body is not valid JSON." };
    }
    const p = schema.safeParse(raw);
    if (!p.success)
      return {
        ok: false,
        message: `Invalid request body: ${p.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
      };
    return { ok: true, value: p.data };
  }

  /** LWA token endpoint: form or JSON body (the SDK posts JSON; the LWA docs show form encoding). */
  function token(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: string,
    log: (o: "token", s: number) => void,
  ) {
    let p: Record<string, string> = {};
    const ct = req.headers["content-type"] ?? "";
    try {
      p = ct.includes("json") ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body));
    } catch {
      log("token", 400);
      return send(res, 400, { error: "invalid_request", error_description: "The request body is malformed." });
    }
    const fail = (status: number, error: string, description: string) => {
      log("token", status);
      send(res, status, { error, error_description: description });
    };
    if (p.client_id !== clientId || p.client_secret !== clientSecret)
      return fail(401, "invalid_client", "Client authentication failed");
    const issueAccess = (seller: string) => {
      const t = "Atza|" + randomBytes(24).toString("base64url");
      accessTokens.set(t, { sellerId: seller, expiresAt: Date.now() + ttlS * 1000 });
      return t;
    };
    if (p.grant_type === "authorization_code") {
      const c = p.code ? codes.get(p.code) : undefined;
      if (!c || c.expiresAt < Date.now())
        return fail(400, "invalid_grant", "The authorization code is invalid or expired.");
      if (p.redirect_uri !== c.redirectUri)
        return fail(400, "invalid_grant", "The redirect_uri does not match the one used in the authorization request.");
      codes.delete(p.code!);
      const refresh = control.issueRefreshToken(c.sellerId);
      log("token", 200);
      return send(res, 200, {
        access_token: issueAccess(c.sellerId),
        refresh_token: refresh,
        token_type: "bearer",
        expires_in: ttlS,
      });
    }
    if (p.grant_type === "refresh_token") {
      const seller = p.refresh_token ? refreshTokens.get(p.refresh_token) : undefined;
      if (!seller) return fail(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token");
      log("token", 200);
      return send(res, 200, {
        access_token: issueAccess(seller),
        refresh_token: p.refresh_token,
        token_type: "bearer",
        expires_in: ttlS,
      });
    }
    return fail(400, "unsupported_grant_type", `Unsupported grant_type '${p.grant_type ?? ""}'.`);
  }

  /** The seller's consent page, approved at once: 302 to redirect_uri with state, selling_partner_id, spapi_oauth_code. */
  function consent(u: URL, res: http.ServerResponse, log: (o: "consent", s: number) => void) {
    const appId = u.searchParams.get("application_id");
    const state = u.searchParams.get("state");
    const redirectUri = u.searchParams.get("redirect_uri");
    if (appId !== applicationId || !state) {
      log("consent", 400);
      return send(res, 400, { error: "The application is not registered or the request has no state." });
    }
    if (!redirectUri || (opts.redirectUris?.length && !opts.redirectUris.includes(redirectUri))) {
      log("consent", 400);
      return send(res, 400, { error: "The redirect_uri is not registered for this application." });
    }
    const code = "ANvx" + randomBytes(16).toString("base64url");
    codes.set(code, { sellerId, redirectUri, expiresAt: Date.now() + 5 * 60_000 });
    const back = new URL(redirectUri);
    back.searchParams.set("state", state);
    back.searchParams.set("selling_partner_id", sellerId);
    back.searchParams.set("spapi_oauth_code", code);
    log("consent", 302);
    res.writeHead(302, { location: back.toString() });
    res.end();
  }

  return {
    url,
    sellerId,
    marketplaceId,
    marketplaceIds: accountMarketplaces,
    clientId,
    clientSecret,
    applicationId,
    listings,
    orders,
    requests,
    control,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The SP-API operation of a request, or null for a path the emulator does not serve. */
function operationOf(method: string, path: string): SpOperation | null {
  if (/^\/listings\/2021-08-01\/items\/[^/]+\/[^/]+$/.test(path))
    return method === "GET" ? "getListingsItem" : method === "PATCH" ? "patchListingsItem" : null;
  if (/^\/listings\/2021-08-01\/items\/[^/]+$/.test(path)) return method === "GET" ? "searchListingsItems" : null;
  if (path === "/orders/v0/orders" && method === "GET") return "getOrders";
  if (/^\/orders\/v0\/orders\/[^/]+\/orderItems$/.test(path) && method === "GET") return "getOrderItems";
  if (path === "/feeds/2021-06-30/documents" && method === "POST") return "createFeedDocument";
  if (path === "/feeds/2021-06-30/feeds" && method === "POST") return "createFeed";
  if (/^\/feeds\/2021-06-30\/feeds\/[^/]+$/.test(path) && method === "GET") return "getFeed";
  if (/^\/feeds\/2021-06-30\/documents\/[^/]+$/.test(path) && method === "GET") return "getFeedDocument";
  return null;
}
