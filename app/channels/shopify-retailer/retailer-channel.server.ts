/**
 * A retailer Shopify shop as a SALES CHANNEL of the central shop (issue 14 item 4, docs/decisions/196).
 *
 * The retailer installed SyncFlow on its own shop; the central shop holds the stock record. This adapter talks to the
 * retailer's shop with the retailer's own offline token (never copied: the template's session storage hands it out and
 * refreshes it, `app/shopify.server.ts` `unauthenticated.admin`), and touches ONE location of the retailer — the one
 * the central shop chose (`credentials.locationId`).
 *
 * - Listings: the retailer's variants (`externalId` = variant GID), `quantity` = `available` at the write location
 *   (null when the variant's inventory is not tracked). SKU matching is the engine's (the same matcher and review as
 *   WooCommerce listings).
 * - Writes (`writeModel: "delta-cas"`): one Admin GraphQL call per operation, so each carries its own `@idempotent`
 *   key (the engine's key, unchanged): `delta` → `inventoryAdjustQuantities` (relative, atomic on Shopify),
 *   `cas` → `inventorySetQuantities` with `changeFromQuantity` = expected (a lost compare-and-set is ChannelError
 *   STALE with `current`), `set` → `inventorySetQuantities` without a guard. Admin API 2026-10 (app/channels/shopify/
 *   api-version.ts): `changeFromQuantity` is sent on every change (null = no check) and `@idempotent(key:)` is
 *   required. Shopify replays a key's first answer and refuses the same key with another input, so a resent
 *   operation can never apply twice. One call per operation (not a 250-change batch) because a batched call shares one
 *   key: an operation resent in another batch would get a new key and could apply twice (decision 196).
 * - Events: the retailer's `orders/create`, `orders/updated`, `orders/cancelled`, `refunds/create`, `products/update`
 *   and `inventory_levels/update` webhooks (declared app-wide in shopify.app.toml, so they reach this app for every
 *   shop that installed it; the intake routes a linked retailer's to its central shop's channel) become normalised
 *   events. `stockTaken` of a line = units the line still holds for the central shop: ordered − restocked by refunds,
 *   and 0 once the order is cancelled (the central shop ships the retailer's orders: a cancelled order's units never
 *   left the record).
 *
 * Quantities are units; times ISO-8601 as Shopify stated them. Every method rejects with `ChannelError` only.
 */
import { ChannelError, RETAILER_KIND, type ChannelListing, type QuantityWriteResult } from "../channel";
import { DeliveryParseError, type RawDelivery, type SalesEvent, type SalesOrder, type SalesOrderLine } from "../events";
import type {
  FulfilmentPush,
  FulfilmentPushResult,
  ListingDetails,
  ListingQuantity,
  QuantityOp,
  QuantityOpResult,
  SalesChannel,
  SalesChannelCapabilities,
  SubscriptionState,
  SubscriptionTarget,
} from "../sales-channel";
import { ShopifyChannel } from "../shopify/shopify-channel.server";
import { pushRetailerFulfilment } from "./fulfilment";
import {
  ORDER_LINES_QUERY,
  ORDERS_PAGE,
  RETAILER_ORDERS_QUERY,
  salesOrderOf,
  updatedSince,
  type GqlLine,
  type GqlLines,
  type GqlOrder,
  type GqlRefund,
} from "./orders";
import {
  parseInventoryLevelWebhook,
  parseOrderWebhook,
  parseProductWebhook,
  parseRefundWebhook,
  WebhookPayloadError,
  type ShopifyOrder,
} from "../shopify/webhook-payloads";

/** What the engine stores (encrypted) for a retailer channel: which shop, and which of its locations SyncFlow writes. */
export interface RetailerCredentials {
  /** The retailer's myshopify domain. */
  shop: string;
  /** The retailer location GID SyncFlow writes; null = inventory sync off (writes refused, UNSUPPORTED). */
  locationId: string | null;
  /** Tests and tools only: a token to use instead of the retailer's offline session. */
  accessToken?: string;
}

/** Webhook topics of a retailer shop this adapter turns into events (all declared in shopify.app.toml). */
export const RETAILER_TOPICS = [
  "orders/create",
  "orders/updated",
  "orders/cancelled",
  "refunds/create",
  "products/update",
  "inventory_levels/update",
] as const;

/**
 * Header the webhook intake adds to a retailer's `inventory_levels/update` receipt when the level is at the location
 * SyncFlow writes: the variant GID of the listing whose inventory item it is (the payload names only the inventory
 * item and parsing is synchronous and needs no credentials).
 */
export const LISTING_HEADER = "x-syncflow-listing-id";

/**
 * The inventory item and location a retailer `inventory_levels/update` body names (GIDs), or null when the body is
 * unreadable (the parser reports it when the receipt is processed). For the webhook intake's listing mark.
 */
export function retailerLevelRef(body: unknown): { inventoryItemId: string; locationId: string } | null {
  try {
    const l = parseInventoryLevelWebhook(body);
    return { inventoryItemId: l.inventoryItemGid, locationId: l.locationGid };
  } catch {
    return null;
  }
}

/** Shopify's orders without the `read_all_orders` scope: the last 60 days. */
const ORDER_LOOKBACK_MS = 60 * 86_400_000;

/** What every retailer shop offers (no per-shop differences: the Admin API is the same everywhere). */
export const RETAILER_DECLARED_CAPABILITIES: SalesChannelCapabilities = {
  writeModel: "delta-cas",
  writeBatchSize: 1,
  listPageSize: 250,
  events: "webhook",
  orderLookBackMs: ORDER_LOOKBACK_MS,
  // Shopify's cost budget is per shop (each retailer has its own); the GraphQL client waits out THROTTLED itself.
  rateLimit: { concurrency: 4 },
  snapshot: false,
  stockEvents: false,
  features: [],
  version: null,
};

/** Token of a shop's offline session, through the app template (refreshes expiring offline tokens). AUTH when absent/refused. */
async function sessionToken(shop: string): Promise<string> {
  try {
    const { unauthenticated } = await import("../../shopify.server");
    const { session } = await unauthenticated.admin(shop);
    if (session?.accessToken) return session.accessToken;
  } catch (err) {
    throw new ChannelError("AUTH", `no usable SyncFlow session for ${shop}: ${(err as Error).message ?? err}`, {
      retryable: false,
      cause: err,
    });
  }
  throw new ChannelError("AUTH", `no SyncFlow session for ${shop} (app not installed)`, { retryable: false });
}

const asChannelError = (err: unknown): ChannelError =>
  err instanceof ChannelError
    ? err
    : new ChannelError("NETWORK", String((err as Error)?.message ?? err), { cause: err });

/** Runs `fn` over `items` with at most `n` at once, keeping input order in the results. */
async function mapLimit<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** The retailer sales channel for one linked retailer shop. */
export class ShopifyRetailerChannel implements SalesChannel {
  readonly kind = RETAILER_KIND;
  readonly topics = RETAILER_TOPICS;
  private shopify: Promise<ShopifyChannel> | null = null;
  /** Variant GID → inventory item GID, learnt from every read (Shopify: one inventory item per variant). */
  private readonly items = new Map<string, string>();

  constructor(
    readonly creds: RetailerCredentials,
    private readonly client: {
      maxRetries?: number;
      baseBackoffMs?: number;
      token?: (shop: string) => Promise<string>;
    } = {},
  ) {
    if (!creds?.shop || typeof creds.shop !== "string")
      throw new ChannelError("BAD_REQUEST", "retailer credentials need the shop domain", { retryable: false });
  }

  /** The retailer's Admin API (built once per adapter, with the session's token). */
  private api(): Promise<ShopifyChannel> {
    this.shopify ??= (async () => {
      const accessToken = this.creds.accessToken ?? (await (this.client.token ?? sessionToken)(this.creds.shop));
      return new ShopifyChannel({
        shop: this.creds.shop,
        accessToken,
        maxRetries: this.client.maxRetries,
        baseBackoffMs: this.client.baseBackoffMs,
      });
    })();
    this.shopify.catch(() => (this.shopify = null));
    return this.shopify;
  }

  private location(): string {
    if (!this.creds.locationId)
      throw new ChannelError(
        "UNSUPPORTED",
        `inventory sync is off for retailer ${this.creds.shop} (no location chosen)`,
        { retryable: false },
      );
    return this.creds.locationId;
  }

  /** Shop name and currency. AUTH when the retailer's token is refused or missing. */
  async verifyConnection(): Promise<{ name: string; currency?: string | null }> {
    return (await this.api()).verifyConnection();
  }

  /** The declared capabilities (the Admin API does not differ per shop). */
  async discoverCapabilities(): Promise<SalesChannelCapabilities> {
    return RETAILER_DECLARED_CAPABILITIES;
  }

  concurrency(): number {
    return RETAILER_DECLARED_CAPABILITIES.rateLimit.concurrency;
  }

  /** The retailer's active locations (settings page, link time). */
  async listLocations(): Promise<{ id: string; name: string; isActive: boolean }[]> {
    return (await this.api()).listLocations();
  }

  private toListing(l: ChannelListing): ChannelListing {
    if (l.inventoryItemId) this.items.set(l.externalId, l.inventoryItemId);
    const at = this.creds.locationId ? (l.quantitiesByLocation?.[this.creds.locationId] ?? 0) : null;
    return { ...l, quantity: l.manageStock ? at : null, quantitiesByLocation: undefined };
  }

  /** Every variant of the retailer shop, a page at a time (≤ 250, sized to Shopify's query cost), quantity at the write location. */
  async *listListings(): AsyncGenerator<ChannelListing[]> {
    const api = await this.api();
    for await (const page of api.listListings()) yield page.map((l) => this.toListing(l));
  }

  /** Variants by GID (Shopify search `id:` terms, ≤ 50 per query) as listings. */
  private async variants(ids: string[]): Promise<Map<string, ChannelListing>> {
    const api = await this.api();
    const out = new Map<string, ChannelListing>();
    for (let i = 0; i < ids.length; i += 50) {
      const part = ids.slice(i, i + 50);
      const query = part.map((id) => `id:${id.split("/").pop()}`).join(" OR ");
      for await (const page of api.listListings({ query }))
        for (const l of page) if (part.includes(l.externalId)) out.set(l.externalId, this.toListing(l));
    }
    return out;
  }

  private async inventoryItemOf(listingId: string): Promise<string> {
    const known = this.items.get(listingId);
    if (known) return known;
    const l = (await this.variants([listingId])).get(listingId);
    if (!l?.inventoryItemId)
      throw new ChannelError("NOT_FOUND", `retailer variant ${listingId} not found on ${this.creds.shop}`, {
        retryable: false,
      });
    return l.inventoryItemId;
  }

  /** `available` of a variant at the write location (units); null when not tracked. NOT_FOUND for an unknown variant. */
  async readQuantity(listingId: string): Promise<number | null> {
    const l = (await this.variants([listingId])).get(listingId);
    if (!l)
      throw new ChannelError("NOT_FOUND", `retailer variant ${listingId} not found on ${this.creds.shop}`, {
        retryable: false,
      });
    return l.quantity ?? null;
  }

  /** No cheaper snapshot than the listing read on Shopify: UNSUPPORTED (the engine reads `listListings`). */
  // eslint-disable-next-line require-yield
  async *readSnapshot(): AsyncGenerator<ListingQuantity[]> {
    throw new ChannelError("UNSUPPORTED", "retailer shops have no snapshot route; read listListings", {
      retryable: false,
    });
  }

  /** Operations one call each, at most `concurrency()` at once; answered per operation in input order, never thrown. */
  async writeQuantities(ops: QuantityOp[]): Promise<QuantityOpResult[]> {
    return mapLimit(ops, this.concurrency(), async (op): Promise<QuantityOpResult> => {
      try {
        return { ok: true, ...(await this.writeQuantity(op)) };
      } catch (err) {
        return { ok: false, error: asChannelError(err) };
      }
    });
  }

  /**
   * One operation at the write location. Throws ChannelError: STALE (with `current`) for a lost `cas`, UNSUPPORTED when
   * inventory sync is off, NOT_FOUND for an unknown variant, BAD_REQUEST for an untracked one, transport errors as the
   * client maps them. `set` operations carry no key from the engine: each gets a fresh key (last writer wins, as on
   * set-only stores; the engine sends `delta` / `cas` to this delta-cas kind).
   */
  async writeQuantity(op: QuantityOp): Promise<QuantityWriteResult> {
    const locationId = this.location();
    const api = await this.api();
    const inventoryItemId = await this.inventoryItemOf(op.listingId);
    const key = op.op === "set" ? `set:${op.listingId}:${op.quantity}:${Date.now()}` : op.idempotencyKey;
    const meta = {
      idempotencyKey: key,
      reason: "correction",
      referenceDocumentUri: `gid://syncflow/RetailerWrite/${encodeURIComponent(key)}`,
    };
    if (op.op === "delta") {
      const [r] = await api.adjustAvailable(
        [{ inventoryItemId, locationId, delta: op.delta, changeFromQuantity: null }],
        meta,
      );
      return r!;
    }
    const [r] = await api.setAvailable(
      [
        {
          inventoryItemId,
          locationId,
          quantity: op.quantity,
          changeFromQuantity: op.op === "cas" ? op.expected : null,
        },
      ],
      meta,
    );
    return r!;
  }

  /** Price / title are the retailer's own business: not written by SyncFlow (BAD_REQUEST). */
  async updateListingDetails(
    _listing: { listingId: string; parentId: string | null },
    _details: ListingDetails,
  ): Promise<{ regularPrice: string; name: string; modifiedAt: string | null }> {
    throw new ChannelError("BAD_REQUEST", "price and title overrides are not written to retailer shops", {
      retryable: false,
    });
  }

  /** A retailer webhook as normalised events (`parseRetailerDelivery`). DeliveryParseError for an unreadable body. */
  parseDelivery(delivery: RawDelivery): SalesEvent[] {
    return parseRetailerDelivery(delivery);
  }

  /**
   * Orders created or modified at or after `since` (ISO-8601), oldest change first, a page (≤ ORDERS_PAGE) at a time,
   * for reconciliation's missed-order catch-up: Admin GraphQL `orders(query: "updated_at:>='…'", sortKey:
   * UPDATED_AT)` (orders.ts; decision 208). `since` is clamped to the look-back Shopify allows without
   * `read_all_orders` (60 days, `orderLookBackMs`). Each order is the same SalesOrder its webhooks give. ChannelError as
   * the client maps transport errors (AUTH, THROTTLED after its own retries, NETWORK).
   */
  async *ordersSince(since: string): AsyncGenerator<SalesOrder[]> {
    const api = await this.api();
    const floor = Date.now() - ORDER_LOOKBACK_MS;
    const from = new Date(Math.max(Date.parse(since) || 0, floor)).toISOString();
    let after: string | null = null;
    do {
      const r: {
        data: { orders: { nodes: GqlOrder[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      } = await api.client.request(RETAILER_ORDERS_QUERY, { first: ORDERS_PAGE, after, query: updatedSince(from) });
      const page: SalesOrder[] = [];
      for (const o of r.data.orders.nodes) {
        let lines = o.lineItems.nodes;
        let refunds = o.refunds;
        if (o.lineItems.pageInfo.hasNextPage || refunds.some((x) => x.refundLineItems.pageInfo.hasNextPage))
          ({ lines, refunds } = await this.orderLines(o.id));
        page.push(salesOrderOf(o, lines, refunds));
      }
      if (page.length) yield page;
      after = r.data.orders.pageInfo.hasNextPage ? r.data.orders.pageInfo.endCursor : null;
    } while (after);
  }

  /** Every line of one order (100 per call) and its refunds with up to 100 lines each. */
  private async orderLines(orderId: string): Promise<{ lines: GqlLine[]; refunds: GqlRefund[] }> {
    const api = await this.api();
    const lines: GqlLine[] = [];
    let refunds: GqlRefund[] = [];
    let after: string | null = null;
    do {
      const r: { data: { order: { lineItems: GqlLines; refunds: GqlRefund[] } | null } } = await api.client.request(
        ORDER_LINES_QUERY,
        { id: orderId, after },
      );
      if (!r.data.order)
        throw new ChannelError("NOT_FOUND", `retailer order ${orderId} not found on ${this.creds.shop}`, {
          retryable: false,
        });
      lines.push(...r.data.order.lineItems.nodes);
      refunds = r.data.order.refunds;
      after = r.data.order.lineItems.pageInfo.hasNextPage ? r.data.order.lineItems.pageInfo.endCursor : null;
    } while (after);
    return { lines, refunds };
  }

  /** Orders hub pushback: the central fulfilment as a fulfilment of the retailer's order (./fulfilment.ts). */
  async pushFulfilment(push: FulfilmentPush): Promise<FulfilmentPushResult> {
    return pushRetailerFulfilment(await this.api(), push);
  }

  /**
   * Webhooks of a retailer are the app's own subscriptions (shopify.app.toml, created by Shopify for every shop that
   * installs the app): nothing to create per retailer. The target's address and secret are not used.
   */
  async subscribe(_target: SubscriptionTarget): Promise<void> {}

  /** App-wide subscriptions are always active while the app is installed (an uninstall ends the link's token). */
  async subscriptionHealth(_deliveryUrl: string): Promise<SubscriptionState[]> {
    return this.topics.map((topic) => ({ topic, state: "active" as const }));
  }

  async repairSubscriptions(_target: SubscriptionTarget, _states: SubscriptionState[]): Promise<void> {}
}

type Obj = Record<string, unknown>;

/**
 * A retailer webhook as normalised events (parsing needs no credentials: the registry's kind-level parser is this
 * function too). `inventory_levels/update` is reported only when the intake marked it with {@link LISTING_HEADER}, which
 * it does only for a level at the location SyncFlow writes, of a listing the hub knows; other retailer locations are the
 * retailer's own. Throws DeliveryParseError for an unreadable body.
 */
export function parseRetailerDelivery(delivery: RawDelivery): SalesEvent[] {
  try {
    switch (delivery.topic) {
      case "orders/create":
        return [
          {
            type: "order.placed",
            order: retailerOrder(parseOrderWebhook(delivery.body, delivery.topic), delivery.body),
          },
        ];
      case "orders/updated":
      case "orders/cancelled": {
        const o = parseOrderWebhook(delivery.body, delivery.topic);
        return [
          { type: "order.changed", order: retailerOrder(o, delivery.body, delivery.topic === "orders/cancelled") },
        ];
      }
      case "refunds/create":
        return refundEvents(delivery.body);
      case "products/create":
      case "products/update": {
        const p = parseProductWebhook(delivery.body);
        return p.variants.map((v) => ({
          type: "listing.changed" as const,
          listing: {
            listingId: v.variantGid,
            parentId: p.productGid,
            sku: v.sku,
            productType: "variant",
            manageStock: true,
            quantity: null,
            modifiedAt: v.updatedAt ?? p.updatedAt,
            quantityUnknown: true,
          },
        }));
      }
      case "inventory_levels/update": {
        const l = parseInventoryLevelWebhook(delivery.body);
        const listingId = delivery.headers?.[LISTING_HEADER];
        if (!listingId) return [];
        return [
          {
            type: "listing.changed",
            listing: {
              listingId,
              parentId: null,
              sku: null,
              productType: "variant",
              manageStock: l.available !== null,
              quantity: l.available,
              modifiedAt: l.updatedAt,
              skuUnknown: true,
            },
          },
        ];
      }
    }
    return [];
  } catch (err) {
    if (err instanceof WebhookPayloadError) throw new DeliveryParseError(err.message);
    throw err;
  }
}

/** Units restocked per line GID by the refunds an order payload carries (restock_type other than no_restock). */
function restockedByLine(body: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const refunds = (body as Obj | null)?.refunds;
  if (!Array.isArray(refunds)) return out;
  for (const r of refunds) {
    const items = (r as Obj | null)?.refund_line_items;
    if (!Array.isArray(items)) continue;
    for (const rli of items as Obj[]) {
      if (rli?.restock_type === "no_restock" || typeof rli?.quantity !== "number") continue;
      const li = rli.line_item as Obj | undefined;
      const gid =
        typeof li?.admin_graphql_api_id === "string"
          ? li.admin_graphql_api_id
          : typeof rli.line_item_id === "number"
            ? `gid://shopify/LineItem/${rli.line_item_id}`
            : null;
      if (gid) out.set(gid, (out.get(gid) ?? 0) + rli.quantity);
    }
  }
  return out;
}

/** A parsed retailer order as the port's `SalesOrder`; `cancelled` forces every line's `stockTaken` to 0. */
function retailerOrder(o: ShopifyOrder, body: unknown, cancelled = false): SalesOrder {
  const restocked = restockedByLine(body);
  const isCancelled = cancelled || !!o.cancelledAt;
  const name = o.customer?.name ?? null;
  return {
    orderId: o.orderGid,
    number: o.name,
    status: isCancelled ? "cancelled" : (o.financialStatus ?? "open"),
    statusEffect: isCancelled ? "release" : "keep",
    currency: o.currency,
    total: o.total,
    createdAt: o.createdAt,
    modifiedAt: o.updatedAt ?? o.cancelledAt ?? o.createdAt,
    customer: { firstName: name, lastName: null, email: o.customer?.email ?? null },
    shippingAddress: o.shippingAddress,
    billingAddress: o.billingAddress,
    paid: o.financialStatus === "paid",
    shipping: o.shipping,
    lines: o.lines.map((l): SalesOrderLine => ({
      lineId: l.lineGid,
      productId: l.productGid ?? l.variantGid ?? l.lineGid,
      variantId: l.variantGid,
      sku: l.sku,
      quantity: l.quantity,
      price: l.price,
      title: l.title,
      stockTaken: isCancelled ? 0 : Math.max(0, l.quantity - (restocked.get(l.lineGid) ?? 0)),
    })),
  };
}

/**
 * refunds/create: the restocked lines as an `order.refunded` carrying only those lines. `stockTaken` = the line's
 * `current_quantity` after this refund (Shopify: ordered − refunded so far). Exact when every refund of the line
 * restocked; a line refunded earlier WITHOUT restock and later with one counts the earlier units as returned too
 * (reconciliation shows the difference). Lines refunded without restock move no stock and are left out.
 */
function refundEvents(body: unknown): SalesEvent[] {
  const r = parseRefundWebhook(body);
  if (!r.orderGid || r.restockLines.length === 0) return [];
  const raw = ((body as Obj).refund_line_items as Obj[]) ?? [];
  const lines: SalesOrderLine[] = r.restockLines.map((l) => {
    const li = (raw.find((x) => (x.line_item as Obj | undefined)?.admin_graphql_api_id === l.lineGid)?.line_item ??
      {}) as Obj;
    const quantity = typeof li.quantity === "number" ? li.quantity : l.quantity;
    const current = typeof li.current_quantity === "number" ? li.current_quantity : quantity - l.quantity;
    return {
      lineId: l.lineGid,
      productId:
        typeof li.product_id === "number" ? `gid://shopify/Product/${li.product_id}` : (l.variantGid ?? l.lineGid),
      variantId: l.variantGid,
      sku: l.sku,
      quantity,
      price: typeof li.price === "string" ? li.price : "0.00",
      title: typeof li.title === "string" ? li.title : (l.sku ?? "line"),
      stockTaken: Math.max(0, current),
    };
  });
  return [
    {
      type: "order.refunded",
      order: {
        orderId: r.orderGid,
        number: "",
        status: "refunded",
        statusEffect: "keep",
        currency: "",
        total: "",
        createdAt: null,
        modifiedAt: r.createdAt,
        customer: { firstName: null, lastName: null, email: null },
        lines,
        partial: true,
      },
    },
  ];
}
