/**
 * Channel registry: the one place the engine obtains a platform adapter (docs/decisions/180).
 *
 * - The record: `recordFor({ shop, accessToken })` → `InventoryRecord` (Shopify).
 * - Sales channels: each kind registers itself once with `registerSalesChannel` (its declared capabilities and a
 *   factory); `salesChannelFor(kind, connection)` builds the adapter for a stored channel. Adding a kind = one
 *   adapter folder + one `registerSalesChannel` line at the bottom of this file; the engine does not change.
 *
 * Credentials arrive decrypted (the engine decrypts `Channel.credentialsEnc`, app/sync/stores/stores.server.ts) and are
 * never logged. Errors: `salesChannelFor` throws `ChannelError("UNSUPPORTED")` for a kind nobody registered.
 */
import { ChannelError, RETAILER_KIND } from "./channel";
import { DeliveryParseError } from "./events";
import type { RawDelivery, RecordEvent, SalesEvent } from "./events";
import type { InventoryRecord, RecordApp, RecordOrders } from "./record";
import type {
  ChannelAuthorizationFlow,
  CredentialStore,
  RequestPacer,
  SalesChannel,
  SalesChannelCapabilities,
} from "./sales-channel";
import { ShopifyChannel } from "./shopify/shopify-channel.server";
import { parseRecordDelivery as parseShopifyRecordDelivery } from "./shopify/record-events";
import {
  parseWooDelivery,
  WooCommerceChannel,
  WOO_DECLARED_CAPABILITIES,
} from "./woocommerce/woocommerce-channel.server";
import { env } from "../env.server";
import {
  parseRetailerDelivery,
  RETAILER_DECLARED_CAPABILITIES,
  ShopifyRetailerChannel,
  type RetailerCredentials,
} from "./shopify-retailer/retailer-channel.server";
import {
  AMAZON_DECLARED_CAPABILITIES,
  AMAZON_KIND,
  AmazonChannel,
  parseAmazonDelivery,
  type AmazonCredentials,
} from "./amazon/amazon-channel.server";
import { amazonAuthorization } from "./amazon/authorize";
import {
  ETSY_DECLARED_CAPABILITIES,
  ETSY_KIND,
  EtsyChannel,
  parseEtsyDelivery,
  type EtsyCredentials,
} from "./etsy/etsy-channel.server";
import { etsyAuthorization } from "./etsy/authorize";
import { etsyBudgetPlan, type RequestBudgetPlan } from "./etsy/budget";

export interface ShopifyCredentials {
  shop: string;
  accessToken: string;
}
export interface WooCredentials {
  consumerKey: string;
  consumerSecret: string;
}

/** A stored sales channel as its adapter needs it. */
export interface SalesChannelConnection {
  /** The store's address (WooCommerce site URL; a retailer shop's myshopify domain). */
  baseUrl: string;
  /** Decrypted credentials, in the kind's own shape. */
  credentials: unknown;
  /** Contract features the store reported when last asked (`Channel.pluginFeatures`), so writes use its batch route. */
  features?: string[];
  /** Client tuning: `maxRetries` 0 makes every call one request (registration checks, docs/decisions/142). */
  client?: { maxRetries?: number };
  /**
   * Where the adapter stores credentials the platform replaces (Etsy's rotated refresh tokens); the engine passes one
   * for every stored channel. Absent (connection checks): replaced credentials live in the adapter only.
   */
  credentialStore?: CredentialStore;
  /**
   * Request pacing shared by every process (marketplace rate limits per seller / per app, decision 306); the engine
   * passes one for every stored channel. Absent: the adapter paces its own process.
   */
  pacer?: RequestPacer;
}

/** A kind of sales channel as it registers itself. */
export interface SalesChannelKind {
  /** The stored `Channel.kind`. */
  kind: string;
  /** Name the merchant reads ("WooCommerce"). */
  label: string;
  /** What every store of this kind can do at most (a store may offer less: `discoverCapabilities`). */
  declared: SalesChannelCapabilities;
  /** Builds the adapter. Throws ChannelError BAD_REQUEST on unusable credentials. */
  create(connection: SalesChannelConnection): SalesChannel;
  /** The same as the adapter's `parseDelivery`, without credentials (parsing needs none). Throws DeliveryParseError. */
  parseDelivery(delivery: RawDelivery): SalesEvent[];
  /** Kinds the merchant connects by authorising SyncFlow on the platform (Amazon): the flow. Absent: other ways. */
  authorization?: ChannelAuthorizationFlow;
  /**
   * Kinds whose platform limits requests per APPLICATION per day, shared by every merchant (Etsy): the plan of one
   * channel — its poll interval and reconciliation cadence — from the connected channels of the kind and the
   * channel's catalog size (linked SKUs). The engine polls and reconciles by it (decision 273). Absent: fixed cadences.
   */
  budgetPlan?(fleet: { channels: number; listings: number }): RequestBudgetPlan;
}

const kinds = new Map<string, SalesChannelKind>();

/** Registers a kind of sales channel (once per kind; a second registration of the same kind replaces the first). */
export function registerSalesChannel(def: SalesChannelKind): void {
  kinds.set(def.kind, def);
}

/** The registered kind `kind`, or undefined. */
export function salesChannelKind(kind: string): SalesChannelKind | undefined {
  return kinds.get(kind);
}

/** The name the merchant reads for a stored `Channel.kind` ("WooCommerce", "Shopify retailer"); the kind itself when unregistered. */
export function salesChannelLabel(kind: string): string {
  return kinds.get(kind)?.label ?? kind;
}

/** Every registered kind of sales channel. */
export function salesChannelKinds(): SalesChannelKind[] {
  return [...kinds.values()];
}

/** The adapter of a stored sales channel of `kind`. Throws ChannelError UNSUPPORTED for an unregistered kind. */
export function salesChannelFor(kind: string, connection: SalesChannelConnection): SalesChannel {
  const def = kinds.get(kind);
  if (!def)
    throw new ChannelError("UNSUPPORTED", `no sales channel adapter registered for kind "${kind}"`, {
      retryable: false,
    });
  return def.create(connection);
}

/**
 * Topic of a receipt the poll job stored for a polled channel (app/sync/intake/poll.server.ts): its body is one
 * normalised `SalesEvent` the adapter's `pollEvents` returned, so no platform parsing is needed again.
 */
export const POLLED_EVENT_TOPIC = "syncflow/polled-event";

const POLLED_TYPES = new Set(["order.placed", "order.changed", "order.refunded", "stock.changed", "listing.changed"]);

/**
 * Normalised events of a delivery to a sales channel of `kind` (see `SalesChannel.parseDelivery`); a polled event
 * (`POLLED_EVENT_TOPIC`) is its stored body. UNSUPPORTED for an unknown kind; DeliveryParseError for a polled body
 * that is not an event.
 */
export function parseSalesDelivery(kind: string, delivery: RawDelivery): SalesEvent[] {
  const def = kinds.get(kind);
  if (!def)
    throw new ChannelError("UNSUPPORTED", `no sales channel adapter registered for kind "${kind}"`, {
      retryable: false,
    });
  if (delivery.topic === POLLED_EVENT_TOPIC) {
    const body = delivery.body as { type?: unknown } | null;
    if (!body || typeof body !== "object" || !POLLED_TYPES.has(String(body.type)))
      throw new DeliveryParseError("polled event: not a sales event");
    return [body as SalesEvent];
  }
  return def.parseDelivery(delivery);
}

/** Normalised events of one of the record's own webhooks (app/channels/shopify/record-events.ts). Throws DeliveryParseError. */
export function parseRecordDelivery(delivery: RawDelivery): RecordEvent[] {
  return parseShopifyRecordDelivery(delivery);
}

/**
 * The record (Shopify) for a shop's offline access token. Client retry tuning (tests, operations):
 * SYNCFLOW_SHOPIFY_MAX_RETRIES (default 5) and SYNCFLOW_SHOPIFY_BACKOFF_MS (base backoff, default 500).
 */
export function recordFor(creds: ShopifyCredentials): InventoryRecord & RecordApp & RecordOrders {
  const maxRetries = env.SYNCFLOW_SHOPIFY_MAX_RETRIES;
  const baseBackoffMs = env.SYNCFLOW_SHOPIFY_BACKOFF_MS;
  return new ShopifyChannel({ shop: creds.shop, accessToken: creds.accessToken, maxRetries, baseBackoffMs });
}

/** The concrete Shopify adapter (tests and the app template's own spots only; the engine uses `recordFor`). */
export function shopifyChannel(creds: ShopifyCredentials): ShopifyChannel {
  return recordFor(creds) as ShopifyChannel;
}

/**
 * WooCommerce adapter for a store URL and its REST keys. Timeout per call: WOO_TIMEOUT_MS (default 15 s).
 * `client.maxRetries` 0 makes every call one request (registration checks, docs/decisions/142).
 */
export function wooChannel(
  baseUrl: string,
  creds: WooCredentials,
  client?: { maxRetries?: number },
  features: string[] = [],
): WooCommerceChannel {
  return new WooCommerceChannel({
    url: baseUrl,
    consumerKey: creds.consumerKey,
    consumerSecret: creds.consumerSecret,
    timeoutMs: env.WOO_TIMEOUT_MS,
    features,
    ...(client ? { client } : {}),
  });
}

// ---- Registered kinds of sales channel (add a kind here: one line) ----
registerSalesChannel({
  kind: "woocommerce",
  label: "WooCommerce",
  declared: WOO_DECLARED_CAPABILITIES,
  create: (c) => wooChannel(c.baseUrl, c.credentials as WooCredentials, c.client, c.features ?? []),
  parseDelivery: parseWooDelivery,
});

registerSalesChannel({
  kind: RETAILER_KIND,
  label: "Shopify retailer",
  declared: RETAILER_DECLARED_CAPABILITIES,
  create: (c) => new ShopifyRetailerChannel(c.credentials as RetailerCredentials, c.client),
  parseDelivery: parseRetailerDelivery,
});

registerSalesChannel({
  kind: AMAZON_KIND,
  label: "Amazon",
  declared: AMAZON_DECLARED_CAPABILITIES,
  create: (c) =>
    new AmazonChannel(
      c.credentials as AmazonCredentials,
      {
        clientId: env.AMAZON_LWA_CLIENT_ID ?? "",
        clientSecret: env.AMAZON_LWA_CLIENT_SECRET ?? "",
        feedMinOps: env.AMAZON_FEED_MIN_OPS,
        feedPollMs: env.AMAZON_FEED_POLL_MS,
        feedTimeoutMs: env.AMAZON_FEED_TIMEOUT_MS,
        rateScale: env.AMAZON_RATE_SCALE,
      },
      { pacer: c.pacer },
    ),
  parseDelivery: parseAmazonDelivery,
  authorization: amazonAuthorization(() => ({
    clientId: env.AMAZON_LWA_CLIENT_ID,
    clientSecret: env.AMAZON_LWA_CLIENT_SECRET,
    applicationId: env.AMAZON_SP_APP_ID,
    draft: env.AMAZON_SP_APP_DRAFT,
    consentBaseUrl: env.AMAZON_CONSENT_BASE_URL,
    endpoint: env.AMAZON_SP_API_ENDPOINT,
    lwaTokenUrl: env.AMAZON_LWA_TOKEN_URL,
  })),
});

registerSalesChannel({
  kind: ETSY_KIND,
  label: "Etsy",
  declared: ETSY_DECLARED_CAPABILITIES,
  create: (c) =>
    new EtsyChannel(
      c.credentials as EtsyCredentials,
      {
        keystring: env.ETSY_KEYSTRING ?? "",
        sharedSecret: env.ETSY_SHARED_SECRET ?? "",
        qps: env.ETSY_QPS,
        qpd: env.ETSY_QPD,
        receiptsPageSize: env.ETSY_RECEIPTS_PAGE_SIZE,
      },
      { credentialStore: c.credentialStore, pacer: c.pacer },
    ),
  parseDelivery: parseEtsyDelivery,
  authorization: etsyAuthorization(() => ({
    keystring: env.ETSY_KEYSTRING,
    sharedSecret: env.ETSY_SHARED_SECRET,
    consentUrl: env.ETSY_CONSENT_URL,
    apiBase: env.ETSY_API_BASE,
    tokenUrl: env.ETSY_TOKEN_URL,
  })),
  budgetPlan: (fleet) => etsyBudgetPlan({ perDay: env.ETSY_QPD, shops: fleet.channels, listings: fleet.listings }),
});

export type { RequestBudgetPlan };
export type { InventoryRecord, RecordApp, RecordOrders, SalesChannel };
