/**
 * `Channel` implementation for a WooCommerce store (REST v3 + the SyncFlow plugin's `wc-syncflow/v1`).
 *
 * Exactness model (GUIDE §2): with the plugin, stock writes are atomic deltas
 * (`wc_update_product_stock(..., 'increase'|'decrease')`) or compare-and-set, both idempotent per
 * request key (docs/contracts/wc-syncflow-v1.md). Without it, only `setStockAbsolute` / `batchSetStock`
 * (REST `PUT stock_quantity`, last writer wins) exist — "buffered mode".
 * Quantities in units; times in ms. Every method rejects with `ChannelError` only.
 */
import { ChannelError, type ChannelListing, type QuantityWriteResult } from "../channel";
import { type RawDelivery, type SalesEvent, type SalesOrder } from "../events";
import { wooStatusEffect } from "./order-status";
import { parseWooStockEvent } from "./stock-events";
import { env as appEnv } from "../../env.server";
import {
  FEATURE_BATCH,
  FEATURE_SNAPSHOT,
  type ListingDetails,
  type ListingQuantity,
  type QuantityOp,
  type QuantityOpResult,
  type SalesChannel,
  type SalesChannelCapabilities,
  type SubscriptionState,
  type SubscriptionTarget,
  type FulfilmentPush,
  type FulfilmentPushResult,
} from "../sales-channel";
import { pushWooFulfilment } from "./fulfilment";
import { WooClient, type WooClientOptions } from "./client.server";
import { parseWooOrder, parseWooProduct } from "./webhook.server";

/** WooCommerce REST v3 product/variation fields the adapter reads. */
export interface WooProductJson {
  id: number;
  name: string;
  type?: string;
  status?: string;
  sku: string;
  price?: string;
  regular_price?: string;
  manage_stock: boolean | "parent";
  stock_quantity: number | null;
  stock_status?: string;
  parent_id?: number;
  variations?: number[];
  grouped_products?: number[];
  date_modified_gmt?: string | null;
  attributes?: Array<{ name: string; option?: string }>;
}

/** REST v3 webhook resource. */
export interface WooWebhookJson {
  id: number;
  name: string;
  status: "active" | "paused" | "disabled";
  topic: string;
  delivery_url: string;
  secret?: string;
  date_created_gmt?: string;
  date_modified_gmt?: string;
}

/** One item of `batchSetStock`. */
export interface WooStockSetItem {
  /** Product or variation id. */
  productId: number;
  /** Required for variations: the variable parent id (batch goes to /products/<parentId>/variations/batch). */
  parentId?: number | null;
  quantity: number;
}
/** Result per item of `batchSetStock` (same order as the input). */
export type WooStockSetResult =
  | { productId: number; ok: true; quantity: number | null; modifiedAt: string | null }
  | { productId: number; ok: false; error: { code: string; message: string; status?: number } };

/** One operation of the plugin's batch (`POST wc-syncflow/v1/stock/batch`, contract 1.1). Quantities in units. */
export type StockOp =
  | { op: "delta"; productId: number | string; delta: number; requestKey: string }
  | { op: "cas"; productId: number | string; expected: number; quantity: number; requestKey: string };

/** Result of one batch operation, in input order: the write, or why the store refused it. */
export type StockOpResult = ({ ok: true } & QuantityWriteResult) | { ok: false; error: ChannelError };

/** One row of the plugin's stock snapshot (`GET wc-syncflow/v1/stock/snapshot`, contract 1.1). */
export interface SnapshotRow {
  id: number;
  parent_id: number;
  type: string;
  sku: string;
  manage_stock: boolean | "parent";
  /** The stock holder's quantity (the parent's for manage_stock "parent"); null when nothing manages stock. */
  stock_quantity: number | null;
  date_modified_gmt: string | null;
}

/** Features of the plugin's contract 1.1 (`GET /capabilities` → `features`), named by the port (app/channels/sales-channel.ts). */
export { FEATURE_BATCH, FEATURE_SNAPSHOT };

/**
 * The WooCommerce webhook topics SyncFlow subscribes each store to (registration; reconciliation recreates any
 * that are missing or disabled, and the plugin's health check does the same from the store's side —
 * woo-plugin/includes/class-syncflow-webhooks.php TOPICS must list the same). product.created links a product
 * the owner adds after onboarding; product.updated observes stock and re-links on SKU / stock-flag changes.
 */
export const WOO_TOPICS = ["order.created", "order.updated", "product.created", "product.updated"] as const;

/** Constructor options of WooCommerceChannel. */
export interface WooCommerceChannelOptions {
  url: string;
  consumerKey: string;
  consumerSecret: string;
  timeoutMs?: number;
  /** Advanced: retry tuning passed to WooClient. */
  client?: Partial<Pick<WooClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs">>;
  /** The plugin features the store reported when last asked (`Channel.pluginFeatures`): `writeQuantities` batches with `stock-batch`. */
  features?: string[];
}

/** Max items per WooCommerce batch request (`woocommerce_rest_batch_items_limit`, 100; more → 413). */
export const WOO_BATCH_LIMIT = 100;
/** Max ops per plugin batch (`POST wc-syncflow/v1/stock/batch`; more → 413). */
export const PLUGIN_BATCH_LIMIT = 100;
const PAGE = 100;

/** WooCommerce store adapter. */
export class WooCommerceChannel implements SalesChannel {
  readonly kind = "woocommerce" as const;
  readonly client: WooClient;
  readonly topics = WOO_TOPICS;
  private readonly features: string[];

  constructor(opts: WooCommerceChannelOptions) {
    this.client = new WooClient({
      url: opts.url,
      consumerKey: opts.consumerKey,
      consumerSecret: opts.consumerSecret,
      timeoutMs: opts.timeoutMs,
      ...opts.client,
    });
    this.features = opts.features ?? [];
  }

  // ---- The sales-channel port (app/channels/sales-channel.ts) ----

  /** The plugin's `/capabilities` as the port's capabilities: `delta-cas` with the plugin (contract 1), else `set-only`. */
  async discoverCapabilities(): Promise<SalesChannelCapabilities> {
    const caps = await this.capabilities();
    if (!caps.exact)
      return {
        ...WOO_DECLARED_CAPABILITIES,
        writeModel: "set-only",
        writeBatchSize: WOO_BATCH_LIMIT,
        snapshot: false,
        stockEvents: false,
        features: [],
        version: null,
      };
    const features = caps.features ?? [];
    return {
      ...WOO_DECLARED_CAPABILITIES,
      features,
      version: caps.version ?? null,
      snapshot: features.includes(FEATURE_SNAPSHOT),
      stockEvents: features.includes("stock-events"),
      writeBatchSize: features.includes(FEATURE_BATCH) ? PLUGIN_BATCH_LIMIT : 1,
    };
  }

  /** The client's adaptive concurrency now (app/channels/woocommerce/concurrency.ts). */
  concurrency(): number {
    return Math.max(1, this.client.limiter.limit);
  }

  /** `stock_quantity` of a product or variation (GET /products/<id>): units, null when stock is not managed. */
  async readQuantity(listingId: string): Promise<number | null> {
    return (await this.getProduct(listingId)).stock_quantity;
  }

  /** The plugin's snapshot (contract 1.1) as listing quantities, exactly as `listListings` maps them (variable parents skipped). */
  async *readSnapshot(opts: { pageSize?: number } = {}): AsyncGenerator<ListingQuantity[]> {
    for await (const rows of this.stockSnapshot(opts)) {
      const out: ListingQuantity[] = [];
      for (const r of rows) {
        const q = snapshotQuantity(r);
        if (q !== undefined) out.push({ listingId: String(r.id), quantity: q });
      }
      if (out.length) yield out;
    }
  }

  /**
   * In as few calls as the store allows: deltas and compare-and-sets through the plugin's batch (≤ 100 per call) when
   * the store reported `stock-batch` and there are at least `minBatch` of them, else one `/stock/delta` or `/stock/cas`
   * each (concurrently); sets through WooCommerce's REST batches (`batchSetStock`). Never throws: a failed call answers
   * each of its operations with its error.
   */
  async writeQuantities(ops: QuantityOp[], opts: { minBatch?: number } = {}): Promise<QuantityOpResult[]> {
    const exact = ops.filter((o): o is Exclude<QuantityOp, { op: "set" }> => o.op !== "set");
    const sets = ops.filter((o): o is Extract<QuantityOp, { op: "set" }> => o.op === "set");
    const [a, b] = await Promise.all([
      exact.length ? this.writeExact(exact, opts.minBatch ?? 1) : [],
      sets.length ? this.writeSets(sets) : [],
    ]);
    const by = new Map<QuantityOp, QuantityOpResult>();
    exact.forEach((o, i) => by.set(o, a[i]!));
    sets.forEach((o, i) => by.set(o, b[i]!));
    return ops.map((o) => by.get(o)!);
  }

  private async writeExact(ops: Exclude<QuantityOp, { op: "set" }>[], minBatch: number): Promise<QuantityOpResult[]> {
    if (this.features.includes(FEATURE_BATCH) && ops.length >= minBatch) {
      const chunks: StockOp[][] = [];
      const all = ops.map(toStockOp);
      for (let i = 0; i < all.length; i += PLUGIN_BATCH_LIMIT) chunks.push(all.slice(i, i + PLUGIN_BATCH_LIMIT));
      const parts = await Promise.all(
        chunks.map((c) =>
          this.stockBatch(c).catch((err: unknown): QuantityOpResult[] =>
            c.map(() => ({ ok: false as const, error: asChannelError(err) })),
          ),
        ),
      );
      return parts.flat();
    }
    return Promise.all(
      ops.map(async (o): Promise<QuantityOpResult> => {
        try {
          return { ok: true as const, ...(await this.writeQuantity(o)) };
        } catch (err) {
          return { ok: false as const, error: asChannelError(err) };
        }
      }),
    );
  }

  private async writeSets(ops: Extract<QuantityOp, { op: "set" }>[]): Promise<QuantityOpResult[]> {
    try {
      const res = await this.batchSetStock(
        ops.map((o) => ({
          productId: Number(o.listingId),
          parentId: o.parentId ? Number(o.parentId) : null,
          quantity: o.quantity,
        })),
      );
      return res.map((r, i) =>
        r.ok
          ? { ok: true as const, before: null, after: r.quantity ?? ops[i]!.quantity }
          : {
              ok: false as const,
              error: new ChannelError("BAD_REQUEST", `${r.error.code}: ${r.error.message}`, {
                status: r.error.status,
                retryable: false,
              }),
            },
      );
    } catch (err) {
      return ops.map(() => ({ ok: false as const, error: asChannelError(err) }));
    }
  }

  /** One operation: `/stock/delta`, `/stock/cas` (plugin) or a REST PUT of `stock_quantity` (set). Throws ChannelError. */
  async writeQuantity(op: QuantityOp): Promise<QuantityWriteResult> {
    if (op.op === "delta")
      return this.adjustStock({ productId: op.listingId, delta: op.delta, requestKey: op.idempotencyKey });
    if (op.op === "cas")
      return this.casStock({
        productId: op.listingId,
        expected: op.expected,
        quantity: op.quantity,
        requestKey: op.idempotencyKey,
      });
    return this.setStockAbsolute(op.listingId, op.quantity, op.parentId ? Number(op.parentId) : null);
  }

  /** A listing's regular price / name (see `updateProductDetails`). */
  async updateListingDetails(
    listing: { listingId: string; parentId: string | null },
    details: ListingDetails,
  ): Promise<{ regularPrice: string; name: string; modifiedAt: string | null }> {
    return this.updateProductDetails(listing.listingId, listing.parentId, details);
  }

  /**
   * A WooCommerce webhook (`order.*`, `product.*`) or a plugin stock event (`stock.event`) as normalised events.
   * Throws DeliveryParseError for an unreadable order or product body; an unknown topic gives no event.
   */
  parseDelivery(delivery: RawDelivery): SalesEvent[] {
    return parseWooDelivery(delivery);
  }

  /** Orders modified at or after `since`, parsed (see `listOrdersModifiedAfter`). Throws DeliveryParseError on an unreadable order. */
  async *ordersSince(since: string): AsyncGenerator<SalesOrder[]> {
    for await (const page of this.listOrdersModifiedAfter(since)) {
      yield page.map((raw) => {
        return toSalesOrder(parseWooOrder(raw));
      });
    }
  }

  /** Deletes this hub's webhooks at `target.deliveryUrl`, then creates one per topic (REST v3 webhooks). */
  async subscribe(target: SubscriptionTarget): Promise<void> {
    const existing = await this.listWebhooks();
    for (const w of existing) if (w.delivery_url === target.deliveryUrl) await this.deleteWebhook(w.id);
    for (const topic of this.topics)
      await this.createWebhook({
        topic,
        deliveryUrl: target.deliveryUrl,
        secret: target.secret,
        name: `SyncFlow ${topic}`,
      });
  }

  /** Each topic's webhook at `deliveryUrl`: its status, or `missing`. WooCommerce disables a webhook after 5 failed deliveries. */
  async subscriptionHealth(deliveryUrl: string): Promise<SubscriptionState[]> {
    const hooks = (await this.listWebhooks()).filter((w) => w.delivery_url === deliveryUrl);
    return this.topics.map((topic) => ({ topic, state: hooks.find((w) => w.topic === topic)?.status ?? "missing" }));
  }

  /** Re-activates paused/disabled webhooks and recreates missing ones (with `target.secret`). */
  async repairSubscriptions(target: SubscriptionTarget, states: SubscriptionState[]): Promise<void> {
    const broken = states.filter((s) => s.state !== "active");
    if (!broken.length) return;
    const hooks = (await this.listWebhooks()).filter((w) => w.delivery_url === target.deliveryUrl);
    for (const s of broken) {
      const hook = hooks.find((w) => w.topic === s.topic);
      if (hook) await this.updateWebhook(hook.id, { status: "active" });
      else
        await this.createWebhook({
          topic: s.topic,
          deliveryUrl: target.deliveryUrl,
          secret: target.secret,
          name: `SyncFlow ${s.topic}`,
        });
    }
  }

  /** Orders hub pushback: a central fulfilment as a note, Shipment Tracking meta and status (./fulfilment.ts). */
  async pushFulfilment(push: FulfilmentPush): Promise<FulfilmentPushResult> {
    return pushWooFulfilment(this.client, this.features, push);
  }

  // ---- WooCommerce and plugin calls ----

  /**
   * GET /wc/v3/system_status. Resolves {name, currency, wcVersion}. Throws ChannelError AUTH (bad keys),
   * NETWORK/TIMEOUT (unreachable).
   */
  async verifyConnection(): Promise<{ name: string; currency?: string | null; wcVersion?: string | null }> {
    const r = await this.client.get("system_status");
    const env = r.data?.environment ?? {};
    return {
      name: env.site_title ?? env.home_url ?? this.client.opts.url,
      currency: r.data?.settings?.currency ?? null,
      wcVersion: env.version ?? null,
    };
  }

  /**
   * Every listing, one page (≤ 100) at a time: simple products, each variation of variable products
   * (GET /products/<id>/variations), and grouped/external products with manageStock false so the matcher can
   * explain why they are not synced. Variable parents themselves are not yielded.
   * @param opts.concurrency product pages read at once after the first (default 1: in order). A store
   *   serves only a few requests at a time (PHP workers; ≈ 2 on a 2-core host), so more than that only
   *   queues on its side; with concurrency > 1 pages are yielded as they arrive, not in page order.
   */
  async *listListings(opts: { concurrency?: number } = {}): AsyncGenerator<ChannelListing[]> {
    const first = await this.listingsPage(1);
    if (first.listings.length) yield first.listings;
    const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
    let next = 2;
    const inFlight = new Map<number, Promise<{ page: number; r: { listings: ChannelListing[]; empty: boolean } }>>();
    const launch = () => {
      while (inFlight.size < concurrency && next <= first.totalPages) {
        const page = next++;
        inFlight.set(
          page,
          this.listingsPage(page).then((r) => ({ page, r })),
        );
      }
    };
    launch();
    while (inFlight.size) {
      const { page, r } = await Promise.race(inFlight.values());
      inFlight.delete(page);
      if (r.empty) next = first.totalPages + 1; // the catalog shrank while reading: stop after the pages in flight
      launch();
      if (r.listings.length) yield r.listings;
    }
  }

  /** One page of `GET /products` (status any) with its variable products' variations, and the page count. */
  private async listingsPage(
    page: number,
  ): Promise<{ listings: ChannelListing[]; totalPages: number; empty: boolean }> {
    const r = await this.client.get<WooProductJson[]>("products", { per_page: PAGE, page, status: "any" });
    const out: ChannelListing[] = [];
    for (const p of r.data) {
      if (p.type === "variable") {
        for (let vp = 1; ; vp++) {
          const vr = await this.client.get<WooProductJson[]>(`products/${p.id}/variations`, {
            per_page: PAGE,
            page: vp,
          });
          for (const v of vr.data) out.push(toListing({ ...v, type: "variation", parent_id: p.id }, p.name));
          if (vp >= Number(vr.headers["x-wp-totalpages"] ?? 1)) break;
        }
      } else out.push(toListing(p));
    }
    return {
      listings: out,
      totalPages: r.data.length ? Number(r.headers["x-wp-totalpages"] ?? 1) : page,
      empty: r.data.length === 0,
    };
  }

  /** Finds products and variations with exactly this SKU (`GET /products?sku=`; WooCommerce searches variations too). */
  async findBySku(sku: string): Promise<WooProductJson[]> {
    return (await this.client.get<WooProductJson[]>("products", { sku, per_page: PAGE })).data;
  }

  /** GET /products/<id> (works for variation ids too). Throws NOT_FOUND. */
  async getProduct(productId: number | string): Promise<WooProductJson> {
    return (await this.client.get<WooProductJson>(`products/${productId}`)).data;
  }

  /**
   * Whether the store runs the SyncFlow plugin (GET wc-syncflow/v1/capabilities).
   * Resolves {exact:true, version} when contract 1 with stock-delta + stock-cas is present; {exact:false}
   * when the route is missing (404). Other failures reject (AUTH, NETWORK, ...).
   */
  async capabilities(): Promise<{ exact: boolean; version?: string; features?: string[] }> {
    try {
      const r = await this.client.get("capabilities", undefined, { namespace: "wc-syncflow/v1" });
      const f: string[] = Array.isArray(r.data?.features) ? r.data.features : [];
      const exact = r.data?.contract === 1 && f.includes("stock-delta") && f.includes("stock-cas");
      return { exact, version: r.data?.version, features: f };
    } catch (e) {
      if (e instanceof ChannelError && (e.code === "UNSUPPORTED" || e.code === "NOT_FOUND")) return { exact: false };
      throw e;
    }
  }

  /**
   * Atomic stock change via POST wc-syncflow/v1/stock/delta (delta in units, ≠ 0; negative = sale).
   * Idempotent per requestKey (retried safely). Throws UNSUPPORTED (no plugin), NOT_FOUND, BAD_REQUEST
   * (not managed / bad body / key reused with another body).
   */
  async adjustStock(input: {
    productId: number | string;
    delta: number;
    requestKey: string;
  }): Promise<QuantityWriteResult> {
    if (!Number.isInteger(input.delta) || input.delta === 0)
      throw new ChannelError("BAD_REQUEST", "delta must be a non-zero integer");
    const r = await this.client.post(
      "stock/delta",
      { product_id: Number(input.productId), delta: input.delta, request_key: input.requestKey },
      { namespace: "wc-syncflow/v1", idempotent: true },
    );
    return { before: r.data.before, after: r.data.after, replayed: !!r.data.replayed };
  }

  /**
   * Compare-and-set via POST wc-syncflow/v1/stock/cas: sets `quantity` only if the store holds `expected`.
   * Throws ChannelError STALE with opts.current = the store's quantity when it does not.
   */
  async casStock(input: {
    productId: number | string;
    expected: number;
    quantity: number;
    requestKey: string;
  }): Promise<QuantityWriteResult> {
    const r = await this.client.post(
      "stock/cas",
      {
        product_id: Number(input.productId),
        expected: input.expected,
        quantity: input.quantity,
        request_key: input.requestKey,
      },
      { namespace: "wc-syncflow/v1", idempotent: true },
    );
    return { before: r.data.before, after: r.data.after, replayed: !!r.data.replayed };
  }

  /**
   * Many stock writes in one call (plugin contract 1.1, `POST wc-syncflow/v1/stock/batch`), chunks of ≤ 100 ops sent
   * one after another. Each op is applied by the store exactly like `adjustStock` / `casStock` (its own request key,
   * its own result); a resent chunk replays per op, so the call is retried on unknown outcomes. Returns one result per
   * op in input order: `{ok:true, before, after, replayed}` or `{ok:false, error}` (STALE with `current`, NOT_FOUND,
   * BAD_REQUEST for 400/422). Rejects (ChannelError) only when a whole chunk failed (after retries): its ops' outcomes
   * are then unknown — resend them with the same keys. UNSUPPORTED when the plugin has no batch route (contract 1.0).
   */
  async stockBatch(ops: StockOp[]): Promise<StockOpResult[]> {
    const out: StockOpResult[] = [];
    for (let i = 0; i < ops.length; i += PLUGIN_BATCH_LIMIT) {
      const chunk = ops.slice(i, i + PLUGIN_BATCH_LIMIT);
      const body = {
        ops: chunk.map((o) =>
          o.op === "delta"
            ? { op: "delta", product_id: Number(o.productId), delta: o.delta, request_key: o.requestKey }
            : {
                op: "cas",
                product_id: Number(o.productId),
                expected: o.expected,
                quantity: o.quantity,
                request_key: o.requestKey,
              },
        ),
      };
      const r = await this.client.post<{ results?: Array<Record<string, any>> }>("stock/batch", body, {
        namespace: "wc-syncflow/v1",
        idempotent: true,
        timeoutMs: 20_000 + chunk.length * 1_000,
      });
      const results = Array.isArray(r.data?.results) ? r.data.results : [];
      chunk.forEach((o, k) => {
        const x = results[k];
        if (!x)
          out.push({
            ok: false,
            error: new ChannelError("SERVER", `stock batch: no result for op ${k} (${o.requestKey})`),
          });
        else if (x.status === 200)
          out.push({ ok: true, before: x.before ?? null, after: x.after, replayed: !!x.replayed });
        else out.push({ ok: false, error: opError(x, o.requestKey) });
      });
    }
    return out;
  }

  /**
   * The store's stock, a page at a time, in product id order (plugin contract 1.1, `GET wc-syncflow/v1/stock/snapshot`,
   * keyset paging on `after`): every product and variation with its parent, type, SKU, stock management and the stock
   * holder's quantity. `pageSize` rows per call (≤ 5,000; default 5,000): a 10,000-product store is read in 2 calls.
   * UNSUPPORTED when the plugin has no snapshot route.
   */
  async *stockSnapshot(opts: { pageSize?: number; after?: number } = {}): AsyncGenerator<SnapshotRow[]> {
    const limit = Math.max(1, Math.min(5000, Math.floor(opts.pageSize ?? 5000)));
    let after = opts.after ?? 0;
    for (;;) {
      const r = await this.client.get<{ rows: SnapshotRow[]; next_after: number | null }>(
        "stock/snapshot",
        { after, limit },
        { namespace: "wc-syncflow/v1", timeoutMs: 60_000 },
      );
      const rows = Array.isArray(r.data?.rows) ? r.data.rows : [];
      if (rows.length) yield rows;
      if (r.data?.next_after == null || !rows.length) return;
      after = r.data.next_after;
    }
  }

  /**
   * Buffered mode: absolute set with REST PUT (manage_stock true + stock_quantity). Last writer wins.
   * `parentId` routes variations to /products/<parent>/variations/<id>. Retried (PUT is idempotent).
   */
  async setStockAbsolute(
    productId: number | string,
    quantity: number,
    parentId?: number | null,
  ): Promise<QuantityWriteResult> {
    const path = parentId ? `products/${parentId}/variations/${productId}` : `products/${productId}`;
    const r = await this.client.put<WooProductJson>(path, { manage_stock: true, stock_quantity: quantity });
    return { before: null, after: r.data.stock_quantity ?? quantity };
  }

  /**
   * Per-store overrides (docs/decisions/054): REST PUT of `regular_price` and/or `name` on a product
   * (`products/<id>`) or a variation (`products/<parent>/variations/<id>` when `parentId` is set).
   * A field that is undefined or null is not sent (the store keeps its value). A WooCommerce variation
   * has no name of its own (it is derived from the parent and its attributes): `name` with a `parentId`
   * throws ChannelError BAD_REQUEST before any request. Retried (PUT is idempotent). Resolves with the
   * store's values after the write; throws NOT_FOUND, AUTH, BAD_REQUEST, NETWORK/TIMEOUT/SERVER.
   */
  async updateProductDetails(
    productId: number | string,
    parentId: number | string | null,
    fields: { regularPrice?: string | null; name?: string | null },
  ): Promise<{ regularPrice: string; name: string; modifiedAt: string | null }> {
    if (parentId && fields.name != null)
      throw new ChannelError(
        "BAD_REQUEST",
        "A WooCommerce variation has no name of its own; only its price can be changed",
        { retryable: false },
      );
    const body: Record<string, string> = {};
    if (fields.regularPrice != null) body.regular_price = fields.regularPrice;
    if (fields.name != null) body.name = fields.name;
    if (!Object.keys(body).length)
      throw new ChannelError("BAD_REQUEST", "Nothing to update: give a regular price or a name", { retryable: false });
    const path = parentId ? `products/${parentId}/variations/${productId}` : `products/${productId}`;
    const r = await this.client.put<WooProductJson>(path, body);
    return {
      regularPrice: r.data.regular_price ?? "",
      name: r.data.name,
      modifiedAt: r.data.date_modified_gmt ? r.data.date_modified_gmt + "Z" : null,
    };
  }

  /**
   * Buffered mode, many items: POST products/batch (simple) and products/<parent>/variations/batch, chunks of
   * ≤ 100. Returns one result per input item in input order; per-item WooCommerce errors come back as
   * {ok:false, error}. A failed chunk (e.g. 5xx after retries) rejects. Batch POST is retried because an
   * absolute set is idempotent.
   */
  async batchSetStock(items: WooStockSetItem[]): Promise<WooStockSetResult[]> {
    const groups = new Map<number, Array<{ item: WooStockSetItem; index: number }>>();
    items.forEach((item, index) => {
      const g = item.parentId ?? 0;
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push({ item, index });
    });
    const results: WooStockSetResult[] = new Array(items.length);
    for (const [parent, list] of groups) {
      for (let i = 0; i < list.length; i += WOO_BATCH_LIMIT) {
        const chunk = list.slice(i, i + WOO_BATCH_LIMIT);
        const path = parent ? `products/${parent}/variations/batch` : "products/batch";
        const r = await this.client.post<{ update?: any[] }>(
          path,
          {
            update: chunk.map(({ item }) => ({
              id: item.productId,
              manage_stock: true,
              stock_quantity: item.quantity,
            })),
          },
          { idempotent: true },
        );
        const upd = r.data.update ?? [];
        chunk.forEach(({ item, index }, k) => {
          const res = upd[k];
          if (!res)
            results[index] = {
              productId: item.productId,
              ok: false,
              error: { code: "missing_result", message: "No result for item in batch response" },
            };
          else if (res.error)
            results[index] = {
              productId: item.productId,
              ok: false,
              error: { code: res.error.code, message: res.error.message, status: res.error.data?.status },
            };
          else
            results[index] = {
              productId: item.productId,
              ok: true,
              quantity: res.stock_quantity ?? null,
              modifiedAt: res.date_modified_gmt ?? null,
            };
        });
      }
    }
    return results;
  }

  /** GET /webhooks (all statuses, pages of 100). */
  async listWebhooks(): Promise<WooWebhookJson[]> {
    const out: WooWebhookJson[] = [];
    for (let page = 1; ; page++) {
      const r = await this.client.get<WooWebhookJson[]>("webhooks", { per_page: PAGE, page, status: "all" });
      out.push(...r.data);
      if (page >= Number(r.headers["x-wp-totalpages"] ?? 1) || !r.data.length) return out;
    }
  }

  /**
   * POST /webhooks. WooCommerce pings `deliveryUrl` (form body webhook_id=N) before answering, so the hub's
   * route must already answer 200. Not retried (POST).
   */
  async createWebhook(input: {
    topic: string;
    deliveryUrl: string;
    secret: string;
    name: string;
    status?: "active" | "paused";
  }): Promise<WooWebhookJson> {
    const r = await this.client.post<WooWebhookJson>("webhooks", {
      name: input.name,
      topic: input.topic,
      delivery_url: input.deliveryUrl,
      secret: input.secret,
      status: input.status ?? "active",
    });
    return r.data;
  }

  /** PUT /webhooks/<id> (e.g. {status:"active"} to re-enable a disabled webhook). */
  async updateWebhook(
    id: number,
    patch: Partial<{
      name: string;
      topic: string;
      deliveryUrl: string;
      secret: string;
      status: "active" | "paused" | "disabled";
    }>,
  ): Promise<WooWebhookJson> {
    const body: Record<string, unknown> = {};
    if (patch.name !== undefined) body.name = patch.name;
    if (patch.topic !== undefined) body.topic = patch.topic;
    if (patch.deliveryUrl !== undefined) body.delivery_url = patch.deliveryUrl;
    if (patch.secret !== undefined) body.secret = patch.secret;
    if (patch.status !== undefined) body.status = patch.status;
    return (await this.client.put<WooWebhookJson>(`webhooks/${id}`, body)).data;
  }

  /** DELETE /webhooks/<id>?force=true (webhooks cannot be trashed). */
  async deleteWebhook(id: number): Promise<void> {
    await this.client.delete(`webhooks/${id}`, { force: "true" });
  }

  /**
   * Orders modified at or after `sinceIso` (GET /orders?modified_after=…&dates_are_gmt=true, paged by 100),
   * oldest first. Used by reconciliation to catch orders whose webhook never arrived.
   */
  async *listOrdersModifiedAfter(sinceIso: string): AsyncGenerator<Record<string, unknown>[]> {
    for (let page = 1; ; page++) {
      const r = await this.client.get<Record<string, unknown>[]>("orders", {
        modified_after: sinceIso.replace(/\.\d+Z$|Z$/, ""),
        dates_are_gmt: "true",
        per_page: PAGE,
        page,
        orderby: "modified",
        order: "asc",
      });
      if (r.data.length) yield r.data;
      if (page >= Number(r.headers["x-wp-totalpages"] ?? 1) || r.data.length === 0) return;
    }
  }

  /** GET /orders/<id> (raw REST v3 order; parse with `parseWooOrder`). Throws NOT_FOUND. */
  async getOrder(id: number | string): Promise<Record<string, unknown>> {
    return (await this.client.get(`orders/${id}`)).data;
  }
}

/** A refused batch op (`{status, code, message, current?}`) as the ChannelError its single route would have raised. */
function opError(x: Record<string, any>, key: string): ChannelError {
  const status = Number(x.status) || 500;
  const msg = `stock batch op ${key}: HTTP ${status} ${x.code ?? ""} — ${x.message ?? ""}`;
  if (status === 409)
    return new ChannelError("STALE", msg, {
      status,
      current: typeof x.current === "number" ? x.current : null,
      cause: x,
    });
  if (status === 404) return new ChannelError("NOT_FOUND", msg, { status, retryable: false, cause: x });
  if (status === 503 || status >= 500) return new ChannelError("SERVER", msg, { status, cause: x });
  return new ChannelError("BAD_REQUEST", msg, { status, retryable: false, cause: x });
}

/**
 * A snapshot row as the listing's quantity, exactly as `listListings` / `toListing` map the REST product: units for a
 * simple product or a variation whose stock is managed (by itself or its parent), null for every other listing
 * (grouped, external, unmanaged); undefined for a variable parent, which `listListings` does not yield.
 */
export function snapshotQuantity(row: SnapshotRow): number | null | undefined {
  if (row.type === "variable") return undefined;
  const stockable = row.type === "simple" || row.type === "variation";
  return !stockable || row.manage_stock === false ? null : (row.stock_quantity ?? 0);
}

/** Maps a REST product/variation to a ChannelListing. `parentName` prefixes variation titles when given. */
export function toListing(p: WooProductJson, parentName?: string): ChannelListing {
  const isVariation = p.type === "variation";
  const stockable = p.type === "simple" || isVariation;
  const manage = stockable && p.manage_stock !== false;
  return {
    externalId: String(p.id),
    productId: String(isVariation ? p.parent_id : p.id),
    variantId: isVariation ? String(p.id) : null,
    sku: p.sku ? p.sku : null,
    title: isVariation && parentName && !p.name?.startsWith(parentName) ? `${parentName} - ${p.name}` : p.name,
    productType: p.type ?? "simple",
    manageStock: manage,
    quantity: manage ? (p.stock_quantity ?? 0) : null,
    price: p.price ?? null,
    modifiedAt: p.date_modified_gmt ? p.date_modified_gmt + "Z" : null,
  };
}

/** What a WooCommerce store offers at most (with the plugin ≥ 1.1); `discoverCapabilities` narrows it per store. */
export const WOO_DECLARED_CAPABILITIES: SalesChannelCapabilities = {
  writeModel: "delta-cas",
  writeBatchSize: PLUGIN_BATCH_LIMIT,
  listPageSize: PAGE,
  events: "webhook",
  // REST v3 `modified_after` has no limit; the hub reads back from its last reconciliation.
  orderLookBackMs: null,
  // No published limit (hosts differ): the client adapts between 1 and 16 concurrent calls (concurrency.ts, decision 105).
  rateLimit: { concurrency: 16 },
  snapshot: true,
  stockEvents: true,
  features: [FEATURE_BATCH, FEATURE_SNAPSHOT, "stock-events"],
  // A WooCommerce host serves only a few requests at once (≈ 2 PHP workers on 2 cores, GUIDE §4): reconciliation
  // reads 2 product pages and sends 2 single writes at a time by default (decision 081; SYNCFLOW_WOO_*_CONCURRENCY).
  reconcileConcurrency: {
    read: appEnv.SYNCFLOW_WOO_READ_CONCURRENCY,
    write: appEnv.SYNCFLOW_WOO_WRITE_CONCURRENCY,
  },
  // Price and title overrides: PUT /products/<id> (or /products/<parent>/variations/<id>), updateListingDetails.
  listingDetails: true,
  version: null,
};

const asChannelError = (err: unknown): ChannelError =>
  err instanceof ChannelError
    ? err
    : new ChannelError("NETWORK", String((err as Error)?.message ?? err), { cause: err });

const toStockOp = (o: Exclude<QuantityOp, { op: "set" }>): StockOp =>
  o.op === "delta"
    ? { op: "delta", productId: o.listingId, delta: o.delta, requestKey: o.idempotencyKey }
    : { op: "cas", productId: o.listingId, expected: o.expected, quantity: o.quantity, requestKey: o.idempotencyKey };

/**
 * A parsed REST v3 order as the port's `SalesOrder` (`stockTaken` = the line's `_reduced_stock`; `statusEffect` =
 * WooCommerce's status rule, ./order-status.ts).
 */
function toSalesOrder(o: ReturnType<typeof parseWooOrder>): SalesOrder {
  return {
    ...o,
    statusEffect: wooStatusEffect(o.status),
    lines: o.lines.map(({ variationId, reducedStock, ...l }) => ({
      ...l,
      variantId: variationId,
      stockTaken: reducedStock,
    })),
  };
}

/**
 * A WooCommerce webhook (`order.*`, `product.*`) or a plugin stock event (`stock.event`) as normalised events. Throws
 * WooWebhookParseError (a DeliveryParseError) for an unreadable order or product body; an unknown topic gives none.
 */
export function parseWooDelivery(delivery: RawDelivery): SalesEvent[] {
  if (delivery.topic === "stock.event") return [{ type: "stock.changed", change: parseWooStockEvent(delivery.body) }];
  if (delivery.topic.startsWith("order."))
    return [
      {
        type: delivery.topic === "order.created" ? "order.placed" : "order.changed",
        order: toSalesOrder(parseWooOrder(delivery.body)),
      },
    ];
  if (delivery.topic.startsWith("product.")) {
    const p = parseWooProduct(delivery.body);
    return [
      {
        type: "listing.changed",
        listing: {
          listingId: p.productId,
          parentId: p.parentId,
          sku: p.sku,
          productType: p.type,
          manageStock: p.manageStock,
          quantity: p.stockQuantity,
          modifiedAt: p.modifiedAt,
        },
      },
    ];
  }
  return [];
}
