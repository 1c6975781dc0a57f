/**
 * Emulated WooCommerce store: an in-process `node:http` server held to WooCommerce 10's REST v3, webhook and
 * authentication behaviour, plus the SyncFlow companion plugin's `wc-syncflow/v1` routes
 * (docs/contracts/wc-syncflow-v1.md) and an unauthenticated control API under `/__control/`.
 * Used by tests, the demo and the benchmarks. See ./store.ts, ./webhooks.ts and ./oauth.ts for the exact
 * WooCommerce code paths encoded. Quantities in units; times in ms.
 *
 * Cost model of a `/wp-json` request (all settable at start and at runtime with `control.setLatency`):
 *  - it first waits for one of `maxConcurrent` server workers (PHP-FPM children; default unlimited) —
 *    requests beyond that queue in arrival order, as on a real host;
 *  - then holds that worker for `latencyMs` (per call; a `setFaults({latencyMs})` overrides it), plus
 *    `readLatencyPerItemMs` × items returned by a list (products, variations), or `batchLatencyPerItemMs` ×
 *    items of a batch write.
 * Control routes (`/__control/…`) cost nothing and never queue.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { randomBytes } from "node:crypto";
import {
  WooStore,
  WooEmulatorError,
  type OrderStatus,
  type ProductRecord,
  type StockCause,
  type WebhookStatus,
} from "./store.js";
import { WebhookEngine, type DeliveryLogEntry } from "./webhooks.js";
import { StockEventReporter, type HubConnection, type StockEventCall, type WireStockEvent } from "./stock-events.js";
import { parseOAuthHeader, parsePhpQuery, verifyWooOAuth, type PhpParams, type WooApiKey } from "./oauth.js";
import { noteJson, systemStatusJson } from "./json.js";
import type { SampleProduct } from "../../fixtures/sample-catalog.js";
import { demoStock } from "../../fixtures/sample-catalog.js";
import { syncflowStockRoutes } from "./syncflow-stock.js";

export { WooEmulatorError } from "./store.js";
export type { DeliveryLogEntry } from "./webhooks.js";
export type { HubConnection, StockEventCall, WireStockEvent } from "./stock-events.js";
export { signWooRequest } from "./oauth.js";

/** The WooCommerce and WordPress the emulator answers as: the versions the differential suite holds it to (decision 121). */
export const WC_VERSION = "10.0.2";
export const WP_VERSION = "6.8.12";

/** When a real WooCommerce delivers a webhook after the change: 2–6 s (its Action Scheduler queue runner). */
export const REALISTIC_DELIVERY_DELAY = { minMs: 2000, maxMs: 6000 } as const;

/** Latencies measured on a real WooCommerce 10 (GUIDE §4): PUT ≈ 180 ms, GET 100 ≈ 1.1 s, 100-item batch ≈ 9 s. */
export const REALISTIC_WOO_LATENCY = {
  latencyMs: 180,
  readLatencyPerItemMs: 9,
  batchLatencyPerItemMs: 88,
  deliveryDelayMs: 2000,
} as const;

/**
 * Server workers of that measured host (2 cores; PHP requests are CPU-bound, so ≈ 2 run at once). Kept out of
 * `REALISTIC_WOO_LATENCY` (which callers spread into the options) so existing scenarios keep unlimited
 * concurrency unless they opt in; the reconcile benchmark sets it (bench/README.md).
 */
export const REALISTIC_WOO_WORKERS = 2;

/** Runtime cost settings (`control.setLatency`); times in ms; `maxConcurrent` 0 = unlimited. */
export interface WooLatencySettings {
  latencyMs: number;
  readLatencyPerItemMs: number;
  batchLatencyPerItemMs: number;
  maxConcurrent: number;
  /** Per op of the plugin's `POST /stock/batch` (syncflow-stock.ts). */
  pluginBatchLatencyPerItemMs: number;
  /** Per row of the plugin's `GET /stock/snapshot` (syncflow-stock.ts). */
  snapshotLatencyPerRowMs: number;
  /** Webhook delivery delay after a change: uniform in [deliveryDelayMs, deliveryDelayMaxMs]. */
  deliveryDelayMs: number;
  deliveryDelayMaxMs: number;
}

/** Options of `startWooEmulator`. All times in ms; defaults suit fast tests. */
export interface WooEmulatorOptions {
  /** TCP port on 127.0.0.1 (0 / omitted = ephemeral). */
  port?: number;
  siteName?: string;
  /** Added to every REST / plugin call (default 0). */
  latencyMs?: number;
  /** Added per item of a batch request (default 0). */
  batchLatencyPerItemMs?: number;
  /** Added per item returned by a list request (default 0). */
  readLatencyPerItemMs?: number;
  /** Server workers: /wp-json requests handled at once; more wait in a FIFO queue (default 0 = unlimited). */
  maxConcurrent?: number;
  /**
   * Delay before an async webhook delivery (Action Scheduler's queue runner). With neither this nor
   * `deliveryDelayMaxMs` given: drawn from `REALISTIC_DELIVERY_DELAY` (2–6 s, as on a real store); tests that wait on
   * deliveries set a small fixed one.
   */
  deliveryDelayMs?: number;
  /** With it, each delivery's delay is drawn uniformly from [deliveryDelayMs, deliveryDelayMaxMs]. */
  deliveryDelayMaxMs?: number;
  /** Per op of the plugin's batch endpoint (default 0). */
  pluginBatchLatencyPerItemMs?: number;
  /** Per row of the plugin's snapshot endpoint (default 0). */
  snapshotLatencyPerRowMs?: number;
  /** Webhook delivery timeout (default 5000; WooCommerce uses 60 000). */
  deliveryTimeoutMs?: number;
  /** Expose `wc-syncflow/v1` (default true). false => those routes answer 404 rest_no_route. */
  syncflowPlugin?: boolean;
  currency?: string;
  /** The store's clock (ms since epoch; default Date.now): a test can place an order "before" something happened. */
  now?: () => number;
  /**
   * Emulate plugin 1.1 (default false = plugin 1.0.0): capabilities list "stock-events" and, once `connectHub` is
   * called, every stock change is reported to the hub (./stock-events.ts).
   */
  stockEvents?: boolean;
  /** Delay before the stock event outbox is sent after a change (default: deliveryDelayMs). */
  stockEventDelayMs?: number;
  /**
   * The plugin's contract-1.1 batch and snapshot routes (default true, plugin 1.1.0: "stock-batch", "stock-snapshot").
   * false = a 1.0.0 plugin: single routes only, the batch/snapshot routes answer 404 rest_no_route.
   */
  pluginBatch?: boolean;
  /**
   * WooCommerce Shipment Tracking is active on the store (default false): the plugin reports the `shipment-tracking`
   * feature (woo-plugin `SyncFlow_REST_Controller::features`), so the hub writes `_wc_shipment_tracking_items`.
   */
  shipmentTracking?: boolean;
}

/** Fault injection (applies to /wp-json requests only; control routes are never faulted). */
export interface WooFaults {
  latencyMs?: number;
  /** Answer the next `count` matching requests with `status` (429 carries Retry-After: 1). */
  failNext?: { status: 500 | 502 | 503 | 429; count: number; paths?: string[] } | null;
  /** Never answer the next n requests (client timeouts). */
  hangNext?: number;
  /** Hold the next `count` matching requests `ms` before serving them (a slow answer that lets a later request overtake). */
  delayNext?: { ms: number; count: number; paths?: string[]; methods?: string[] } | null;
  /** Destroy the socket of the next n requests (ECONNRESET). */
  resetNext?: number;
  /**
   * Serve the next `count` matching requests (the write happens) but answer 502 instead of the handler's answer: a
   * lost answer, the outcome unknown to the client (a proxy timing out in front of a slow PHP worker).
   */
  loseAnswerNext?: { count: number; paths?: string[]; methods?: string[] } | null;
  /** Batch items touching these SKUs fail inline with an error object. */
  batchItemErrors?: { sku: string[]; code?: string; message?: string } | null;
  /**
   * The plugin refuses the next `count` stock operations (`/stock/delta`, `/stock/cas`, each op of `/stock/batch`)
   * with `status`/`code` (default 409 syncflow_stale with `current`, a lost compare-and-set), before their request key
   * is claimed — a refused key is not remembered (contract: only 200 outcomes are). The refused ops' request keys are
   * appended to `refusedKeys` when given (the same array object: tests read it in-process).
   */
  refuseStockOps?: { count: number; status?: number; code?: string; message?: string; refusedKeys?: string[] } | null;
  /** Silently lose the next n webhook deliveries. */
  dropDeliveries?: number;
  /** Send the next n webhook deliveries twice. */
  duplicateDeliveries?: number;
}

/** Whether a counted fault (`delayNext`, `loseAnswerNext`) applies to this request: count left, path and method match. */
function faultMatches(
  f: { count: number; paths?: string[]; methods?: string[] } | null | undefined,
  path: string,
  method: string,
): f is { count: number; paths?: string[]; methods?: string[] } {
  return (
    !!f &&
    f.count > 0 &&
    (!f.paths || f.paths.some((p) => path.includes(p))) &&
    (!f.methods || f.methods.includes(method))
  );
}

/** State snapshot returned by `control.state()`. */
export interface WooEmulatorState {
  /** SKU -> stock_quantity (null when not managed), for every product and variation with a SKU. */
  stockBySku: Record<string, number | null>;
  orders: Array<Record<string, unknown>>;
  webhooks: Array<{
    id: number;
    name: string;
    topic: string;
    status: WebhookStatus;
    failure_count: number;
    delivery_url: string;
    pending_delivery: boolean;
  }>;
}

/** In-process control API; each method is also served at `/__control/...` (see `startWooEmulator`). */
export interface WooEmulatorControl {
  /** Creates a REST API key. HTTP: POST /__control/keys {permissions}. */
  createKey(opts?: { permissions?: "read" | "write" | "read_write" }): {
    key_id: number;
    consumer_key: string;
    consumer_secret: string;
    permissions: string;
  };
  /** Seeds products (fixture rows). stock: SKU map, function, or default `demoStock`. Returns SKU -> id. HTTP: POST /__control/seed {products, stock?}. */
  seedCatalog(
    products: SampleProduct[],
    opts?: { stock?: Record<string, number> | ((sku: string) => number) },
  ): Record<string, number>;
  /** Checkout like a shopper. Throws WooEmulatorError 409 woocommerce_out_of_stock. HTTP: POST /__control/orders. */
  placeOrder(input: {
    lines: Array<{ sku: string; quantity: number }>;
    status?: OrderStatus;
    billing?: { first_name?: string; last_name?: string; email?: string };
  }): Record<string, unknown>;
  /**
   * wp-admin line edit (quantity) with WooCommerce's stock adjustment (store.ts `editOrderLine`).
   * HTTP: POST /__control/orders/<id>/lines {sku?, lineId?, quantity}.
   */
  editOrderLine(orderId: number, input: { sku?: string; lineId?: number; quantity: number }): Record<string, unknown>;
  /** Admin status change (WooCommerce's stock rules: store.ts). HTTP: POST /__control/orders/<id>/status {status}. */
  setOrderStatus(orderId: number, status: OrderStatus): Record<string, unknown>;
  /**
   * A refund from wp-admin: `lines` by SKU (or line id) and quantity; `restock` = the "Restock refunded items" box
   * (default false, as in wp-admin); refunds each line's price × quantity (or `amount`). No payment gateway call.
   * Returns the order. HTTP: POST /__control/orders/<id>/refunds {lines, restock?, amount?}.
   */
  refundOrder(
    orderId: number,
    input: {
      lines?: Array<{ sku?: string; lineId?: number; quantity: number }>;
      restock?: boolean;
      amount?: number;
      reason?: string;
    },
  ): Record<string, unknown>;
  /**
   * A stock edit that is no order (absolute), fires product.updated: `cause` says who made it, as the plugin would
   * tell (default "admin_edit": wp-admin; "import", "other" = another plugin). HTTP: POST /__control/stock {sku, quantity, cause?}.
   */
  setStock(sku: string, quantity: number, cause?: StockCause): { product_id: number; before: number; after: number };
  /** Current stock_quantity of a SKU (null when unmanaged); throws 404 for unknown SKUs. HTTP: GET /__control/stock?sku=. */
  getStock(sku: string): number | null;
  /** Product id for a SKU, or null. */
  productIdBySku(sku: string): number | null;
  /** HTTP: GET /__control/state */
  state(): WooEmulatorState;
  /** HTTP: GET /__control/deliveries */
  deliveries(): DeliveryLogEntry[];
  /** Re-sends a past delivery verbatim. HTTP: POST /__control/deliveries/<logId>/redeliver. */
  redeliver(logId: number): Promise<DeliveryLogEntry>;
  /** Merges fault settings. HTTP: POST /__control/faults. */
  setFaults(f: WooFaults): void;
  /** Clears all faults. HTTP: DELETE /__control/faults. */
  resetFaults(): void;
  /** Resolves when no webhook delivery is queued or in flight. HTTP: POST /__control/idle. */
  idle(): Promise<void>;
  /** Changes a webhook's status like wp-admin. HTTP: POST /__control/webhooks/<id>/status {status}. */
  setWebhookStatus(id: number, status: WebhookStatus): void;
  /**
   * Merges cost settings at runtime (e.g. a benchmark seeds and onboards with 0, then measures with
   * `REALISTIC_WOO_LATENCY` and `REALISTIC_WOO_WORKERS`); applies to requests that start afterwards.
   * Returns the settings now in force. HTTP: POST /__control/latency {latencyMs?, readLatencyPerItemMs?, ...}.
   * @throws WooEmulatorError 400 for a negative or non-finite value
   */
  setLatency(s: Partial<WooLatencySettings>): WooLatencySettings;
  /** Requests waiting for a server worker now, and the most that ever waited. HTTP: GET /__control/queue. */
  queueStats(): { waiting: number; running: number; maxWaiting: number };
  /**
   * Plugin 1.1 only (`stockEvents`): stores the hub connection the plugin keeps after registering and starts
   * reporting stock changes (sent when `stockEvents` — the hub's `stock_events` answer — is true).
   * HTTP: POST /__control/hub {hubUrl, channelId, secret, consumerKey, stockEvents}.
   */
  connectHub(c: HubConnection & { stockEvents: boolean }): void;
  /** Stock events not yet accepted by the hub, and the calls made. HTTP: GET /__control/stock-events. */
  stockEvents(): { outbox: WireStockEvent[]; calls: StockEventCall[]; stream: string; enabled: boolean };
  /** Holds stock events back (true) or releases them (false). HTTP: POST /__control/stock-events/hold {hold}. */
  holdStockEvents(hold: boolean): void;
  /** Resolves when the stock event outbox is sent (or held). HTTP: POST /__control/stock-events/idle. */
  stockEventsIdle(): Promise<void>;
  /** Activates / deactivates the SyncFlow plugin (its wc-syncflow/v1 routes). HTTP: POST /__control/plugin {active}. */
  setPluginActive(active: boolean): void;
}

/** A running emulator. */
export interface WooEmulator {
  /** Site URL the store knows itself by: http://127.0.0.1:PORT (no trailing slash). OAuth signatures must use it. */
  url: string;
  port: number;
  control: WooEmulatorControl;
  /** Direct access to the in-memory store (tests only). */
  store: WooStore;
  /** Number of /wp-json requests received, by "METHOD path". */
  requestCounts: Map<string, number>;
  /** Items carried by batch write requests (REST batches, the plugin's batch), by path. */
  itemCounts: Map<string, number>;
  close(): Promise<void>;
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
const NO_ROUTE = () =>
  new WooEmulatorError(404, "rest_no_route", "No route was found matching the URL and request method.");

type Ctx = { method: string; path: string; query: PhpParams; body: any; key: WooApiKey | null };
type Handler = (ctx: Ctx, m: RegExpExecArray) => Promise<Resp> | Resp;
interface Resp {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * Starts the emulator on 127.0.0.1.
 * @returns the running emulator; rejects if the port is taken.
 */
export async function startWooEmulator(opts: WooEmulatorOptions = {}): Promise<WooEmulator> {
  const settings = {
    latencyMs: opts.latencyMs ?? 0,
    batchLatencyPerItemMs: opts.batchLatencyPerItemMs ?? 0,
    readLatencyPerItemMs: opts.readLatencyPerItemMs ?? 0,
    maxConcurrent: opts.maxConcurrent ?? 0,
    pluginBatchLatencyPerItemMs: opts.pluginBatchLatencyPerItemMs ?? 0,
    snapshotLatencyPerRowMs: opts.snapshotLatencyPerRowMs ?? 0,
    syncflowPlugin: opts.syncflowPlugin ?? true,
  };
  // Server workers: FIFO of requests waiting for one (see the module docstring).
  let running = 0;
  let maxWaiting = 0;
  const waiting: Array<() => void> = [];
  const free = () => settings.maxConcurrent <= 0 || running < settings.maxConcurrent;
  const acquireWorker = async () => {
    if (free()) {
      running++;
      return;
    }
    // Queued: the releasing request hands its worker over (`running` already counts this one).
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      maxWaiting = Math.max(maxWaiting, waiting.length);
    });
  };
  const releaseWorker = () => {
    running--;
    drainWorkers();
  };
  const drainWorkers = () => {
    while (waiting.length && free()) {
      running++;
      waiting.shift()!();
    }
  };
  const faults: Required<Pick<WooFaults, "hangNext" | "resetNext">> & WooFaults = { hangNext: 0, resetNext: 0 };
  const keys = new Map<string, WooApiKey>();
  let nextKeyId = 1;
  const sockets = new Set<Socket>();
  const hung = new Set<http.ServerResponse>();
  const requestCounts = new Map<string, number>();
  const itemCounts = new Map<string, number>();

  const server = http.createServer();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const siteUrl = `http://127.0.0.1:${port}`;
  const store = new WooStore({ siteUrl, currency: opts.currency, now: opts.now });
  const engine = new WebhookEngine(store, {
    ...(opts.deliveryDelayMs === undefined && opts.deliveryDelayMaxMs === undefined
      ? { deliveryDelayMs: REALISTIC_DELIVERY_DELAY.minMs, deliveryDelayMaxMs: REALISTIC_DELIVERY_DELAY.maxMs }
      : { deliveryDelayMs: opts.deliveryDelayMs ?? 0, deliveryDelayMaxMs: opts.deliveryDelayMaxMs }),
    deliveryTimeoutMs: opts.deliveryTimeoutMs ?? 5000,
    pingTimeoutMs: 5000,
    wcVersion: WC_VERSION,
    wpVersion: WP_VERSION,
    siteUrl,
    dropDeliveries: 0,
    duplicateDeliveries: 0,
    maxFailures: 5,
  });
  const pluginBatch = opts.pluginBatch ?? true;
  const pluginVersion = opts.stockEvents || pluginBatch ? "1.1.0" : "1.0.0";
  const reporter = opts.stockEvents
    ? new StockEventReporter(store, {
        delayMs: opts.stockEventDelayMs ?? opts.deliveryDelayMs ?? 50,
        retryDelayMs: 500,
        batchSize: 100,
        pluginVersion,
        siteUrl,
      })
    : null;
  /** The plugin's cause for a stock write made by a REST client: the hub's own key, or someone else's. */
  const restCause = (c: Ctx): StockCause =>
    reporter?.connection && c.key?.consumerKey === reporter.connection.consumerKey ? "hub_write" : "rest_api";
  const asClient = <T>(c: Ctx, fn: () => T): T => store.withStockCause({ cause: restCause(c) }, fn);

  // ------------------------------------------------------------------ helpers
  /** One page of `items` (WP_Query paging), each rendered with `json` — only the page's items are rendered. */
  const paginate = <T>(items: T[], q: PhpParams, json: (x: T) => unknown = (x) => x): Resp => {
    const perPage = q.per_page === undefined ? 10 : Number(q.per_page);
    const page = q.page === undefined ? 1 : Number(q.page);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
      throw new WooEmulatorError(400, "rest_invalid_param", "Invalid parameter(s): per_page", {
        params: { per_page: "per_page must be between 1 (inclusive) and 100 (inclusive)" },
      });
    if (!Number.isInteger(page) || page < 1)
      throw new WooEmulatorError(400, "rest_invalid_param", "Invalid parameter(s): page");
    const total = items.length;
    return {
      body: items.slice((page - 1) * perPage, page * perPage).map(json),
      headers: { "X-WP-Total": String(total), "X-WP-TotalPages": String(Math.ceil(total / perPage)) },
    };
  };
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const list = (v: unknown) =>
    (str(v) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const productFilter = (q: PhpParams, pool: ProductRecord[]) => {
    let out = pool;
    const skus = list(q.sku);
    // ?sku= compares like MySQL's case-insensitive collation (and the SQLite layer): "ABC" finds "abc".
    const wanted = new Set(skus.map((x) => x.toLowerCase()));
    if (skus.length) out = out.filter((p) => p.sku !== "" && wanted.has(p.sku.toLowerCase()));
    if (str(q.type)) out = out.filter((p) => p.type === q.type);
    const include = list(q.include).map(Number);
    if (include.length) out = out.filter((p) => include.includes(p.id));
    if (str(q.modified_after)) {
      const t = Date.parse(
        String(q.modified_after) + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(q.modified_after)) ? "" : "Z"),
      );
      out = out.filter((p) => Math.floor(p.date_modified_ms / 1000) * 1000 > t);
    }
    const status = str(q.status) ?? "any";
    out = out.filter((p) => (status === "any" ? p.status !== "trash" : p.status === status));
    return out.sort((a, b) => b.id - a.id);
  };
  const batchCheck = (body: any, path?: string) => {
    const total = ["create", "update", "delete"].reduce(
      (n, k) => n + (Array.isArray(body?.[k]) ? body[k].length : 0),
      0,
    );
    if (total > 100)
      throw new WooEmulatorError(
        413,
        "woocommerce_rest_request_entity_too_large",
        "Unable to accept more than 100 items for this request.",
      );
    if (path) countItems(path, total);
    return total;
  };
  /** Items written by batch requests, by path (benchmarks count store writes per item). */
  const countItems = (path: string, n: number) => itemCounts.set(path, (itemCounts.get(path) ?? 0) + n);
  const itemError = (e: unknown, id: unknown) => {
    const err = e instanceof WooEmulatorError ? e : new WooEmulatorError(500, "internal_error", String(e));
    return { id: Number(id) || 0, error: { code: err.code, message: err.message, data: { status: err.status } } };
  };
  const injectedBatchError = (p: ProductRecord | undefined) => {
    const f = faults.batchItemErrors;
    if (f && p && f.sku.includes(p.sku))
      throw new WooEmulatorError(
        400,
        f.code ?? "woocommerce_rest_batch_item_failed",
        f.message ?? `Injected failure for SKU ${p.sku}.`,
      );
  };
  const runBatch = (body: any, parentId: number | null) => {
    const out: Record<string, unknown[]> = {};
    if (Array.isArray(body.create))
      out.create = body.create.map((item: any) => {
        try {
          const p = store.createProduct(item, parentId ?? 0);
          return parentId ? store.variationJson(p, "edit") : store.productJson(p, "edit");
        } catch (e) {
          return itemError(e, 0);
        }
      });
    if (Array.isArray(body.update))
      out.update = body.update.map((item: any) => {
        try {
          if (!item?.id) throw new WooEmulatorError(400, "woocommerce_rest_product_invalid_id", "Invalid ID.");
          injectedBatchError(store.products.get(Number(item.id)));
          const p = store.updateProduct(Number(item.id), item, parentId ?? undefined);
          return parentId ? store.variationJson(p, "edit") : store.productJson(p, "edit");
        } catch (e) {
          return itemError(e, item?.id);
        }
      });
    if (Array.isArray(body.delete))
      out.delete = body.delete.map((id: any) => {
        try {
          return store.productJson(store.deleteProduct(Number(id), true), "edit");
        } catch (e) {
          return itemError(e, id);
        }
      });
    return out;
  };
  const pluginTarget = (body: any): ProductRecord => {
    if (body?.product_id != null) return store.getProduct(Number(body.product_id), 404);
    if (typeof body?.sku === "string" && body.sku) {
      const p = store.findBySku(body.sku);
      if (!p) throw new WooEmulatorError(404, "syncflow_not_found", `No product with SKU ${body.sku}.`);
      return p;
    }
    throw new WooEmulatorError(400, "syncflow_bad_request", "product_id or sku is required.");
  };
  const needKey = (b: any) => {
    if (typeof b?.request_key !== "string" || b.request_key.length < 1 || b.request_key.length > 200)
      throw new WooEmulatorError(400, "syncflow_bad_request", "request_key (1-200 chars) is required.");
    return b.request_key as string;
  };
  const ensureManaged = (p: ProductRecord) => {
    if (!store.stockHolder(p))
      throw new WooEmulatorError(400, "syncflow_not_managed", `Product ${p.id} does not manage stock.`);
  };
  /** The `refuseStockOps` fault: throws the refusal while it lasts (after validation, before the key is claimed). */
  const injectedRefusal = (p: ProductRecord, key: string) => {
    const f = faults.refuseStockOps;
    if (!f || f.count <= 0) return;
    f.count--;
    f.refusedKeys?.push(key);
    const current = store.stockHolder(p)?.stock_quantity ?? 0;
    throw new WooEmulatorError(
      f.status ?? 409,
      f.code ?? "syncflow_stale",
      f.message ?? `Stock is ${current}, not the expected quantity.`,
      { current },
      { topLevel: true },
    );
  };
  /** POST /stock/delta's work (and each "delta" op of /stock/batch): the 200 body, or throws the error answer. */
  const deltaOp = (b: any): Record<string, unknown> => {
    const key = needKey(b);
    if (!Number.isInteger(b.delta) || b.delta === 0)
      throw new WooEmulatorError(400, "syncflow_bad_request", "delta must be a non-zero integer.");
    const p = pluginTarget(b);
    ensureManaged(p);
    injectedRefusal(p, key);
    const fp = JSON.stringify(["delta", p.id, b.delta]);
    return store.idempotent(key, fp, () => {
      const r = store.withStockCause({ cause: "hub_write", requestKey: key }, () =>
        store.updateStock(p, Math.abs(b.delta), b.delta > 0 ? "increase" : "decrease"),
      );
      return { product_id: p.id, stock_product_id: r.holder.id, before: r.before, after: r.after, replayed: false };
    });
  };
  /** POST /stock/cas's work (and each "cas" op of /stock/batch). */
  const casOp = (b: any): Record<string, unknown> => {
    const key = needKey(b);
    if (!Number.isInteger(b.expected) || !Number.isInteger(b.quantity))
      throw new WooEmulatorError(400, "syncflow_bad_request", "expected and quantity must be integers.");
    const p = pluginTarget(b);
    ensureManaged(p);
    injectedRefusal(p, key);
    const fp = JSON.stringify(["cas", p.id, b.expected, b.quantity]);
    return store.idempotent(key, fp, () => {
      const h = store.stockHolder(p)!;
      const current = h.stock_quantity ?? 0;
      if (current !== b.expected)
        throw new WooEmulatorError(
          409,
          "syncflow_stale",
          `Stock is ${current}, not ${b.expected}.`,
          { current },
          { topLevel: true },
        );
      const r = store.withStockCause({ cause: "hub_write", requestKey: key }, () =>
        store.updateStock(p, b.quantity, "set"),
      );
      return { product_id: p.id, stock_product_id: r.holder.id, before: r.before, after: r.after, replayed: false };
    });
  };

  /** The variation of `/products/<m[1]>/variations/<m[2]>`; 404 woocommerce_rest_product_variation_invalid_id otherwise. */
  const variationOf = (m: RegExpExecArray) => {
    const v = store.products.get(Number(m[2]));
    if (!v || v.type !== "variation" || v.parent_id !== Number(m[1]))
      throw new WooEmulatorError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.");
    return v;
  };

  // ------------------------------------------------------------------ routes
  const W = "^/wp-json/wc/v3";
  const S = "^/wp-json/wc-syncflow/v1";
  const routes: Array<[string, RegExp, Handler]> = [
    [
      "GET",
      new RegExp(`${W}/system_status$`),
      () => ({
        body: systemStatusJson({
          siteUrl,
          currency: store.currency,
          wcVersion: WC_VERSION,
          wpVersion: WP_VERSION,
          plugins: settings.syncflowPlugin
            ? [
                {
                  plugin: "syncflow-for-woocommerce/syncflow-for-woocommerce.php",
                  name: "SyncFlow for WooCommerce",
                  version: pluginVersion,
                },
              ]
            : [],
        }),
      }),
    ],
    [
      "GET",
      new RegExp(`${W}/products$`),
      async (c) => {
        const skuSearch = list(c.query.sku).length > 0; // ?sku= also searches product_variation posts
        const pool = [...store.products.values()].filter((p) => skuSearch || p.type !== "variation");
        const r = paginate(productFilter(c.query, pool), c.query, (p) => store.productJson(p));
        await sleep(settings.readLatencyPerItemMs * (r.body as unknown[]).length);
        return r;
      },
    ],
    [
      "POST",
      new RegExp(`${W}/products$`),
      (c) => ({ status: 201, body: store.productJson(store.createProduct(c.body ?? {}), "edit") }),
    ],
    [
      "POST",
      new RegExp(`${W}/products/batch$`),
      async (c) => {
        const n = batchCheck(c.body, c.path);
        await sleep(settings.batchLatencyPerItemMs * n);
        return { body: asClient(c, () => runBatch(c.body, null)) };
      },
    ],
    [
      "GET",
      new RegExp(`${W}/products/(\\d+)$`),
      (_c, m) => ({ body: store.productJson(store.getProduct(Number(m[1]))) }),
    ],
    [
      "PUT",
      new RegExp(`${W}/products/(\\d+)$`),
      (c, m) => ({
        body: store.productJson(
          asClient(c, () => store.updateProduct(Number(m[1]), c.body ?? {})),
          "edit",
        ),
      }),
    ],
    [
      "DELETE",
      new RegExp(`${W}/products/(\\d+)$`),
      (c, m) => ({
        body: store.productJson(
          store.deleteProduct(Number(m[1]), c.query.force === "true" || c.query.force === "1"),
          "edit",
        ),
      }),
    ],
    [
      "GET",
      new RegExp(`${W}/products/(\\d+)/variations$`),
      async (c, m) => {
        const parent = store.getProduct(Number(m[1]));
        const pool = parent.variations.map((id) => store.products.get(id)).filter((p): p is ProductRecord => !!p);
        const r = paginate(productFilter(c.query, pool), c.query, (p) => store.variationJson(p));
        await sleep(settings.readLatencyPerItemMs * (r.body as unknown[]).length);
        return r;
      },
    ],
    [
      "POST",
      new RegExp(`${W}/products/(\\d+)/variations$`),
      (c, m) => ({ status: 201, body: store.variationJson(store.createProduct(c.body ?? {}, Number(m[1])), "edit") }),
    ],
    [
      "POST",
      new RegExp(`${W}/products/(\\d+)/variations/batch$`),
      async (c, m) => {
        store.getProduct(Number(m[1]));
        const n = batchCheck(c.body, c.path);
        await sleep(settings.batchLatencyPerItemMs * n);
        return { body: asClient(c, () => runBatch(c.body, Number(m[1]))) };
      },
    ],
    [
      "GET",
      new RegExp(`${W}/products/(\\d+)/variations/(\\d+)$`),
      (_c, m) => ({ body: store.variationJson(variationOf(m)) }),
    ],
    [
      "PUT",
      new RegExp(`${W}/products/(\\d+)/variations/(\\d+)$`),
      (c, m) => {
        variationOf(m);
        return {
          body: store.variationJson(
            asClient(c, () => store.updateProduct(Number(m[2]), c.body ?? {}, Number(m[1]))),
            "edit",
          ),
        };
      },
    ],
    [
      "GET",
      new RegExp(`${W}/orders$`),
      (c) => {
        let os = [...store.orders.values()].sort((a, b) => b.id - a.id);
        if (str(c.query.status) && c.query.status !== "any")
          os = os.filter((o) => list(c.query.status).includes(o.status));
        // REST v3 `modified_after` (ISO-8601; with dates_are_gmt=true the value is GMT), exclusive like WP_Query's `after`.
        if (str(c.query.modified_after)) {
          const t = Date.parse(
            String(c.query.modified_after) + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(c.query.modified_after)) ? "" : "Z"),
          );
          os = os.filter((o) => Math.floor(o.date_modified_ms / 1000) * 1000 > t);
        }
        if (c.query.orderby === "modified")
          os.sort((a, b) =>
            c.query.order === "asc" ? a.date_modified_ms - b.date_modified_ms : b.date_modified_ms - a.date_modified_ms,
          );
        return paginate(os, c.query, (o) => store.orderJson(o));
      },
    ],
    [
      "POST",
      new RegExp(`${W}/orders$`),
      (c) => {
        const b = c.body ?? {};
        const status = b.set_paid && !b.status ? "processing" : b.status;
        const input = {
          status,
          line_items: b.line_items,
          billing: b.billing,
          currency: b.currency,
          payment_method: typeof b.payment_method === "string" ? b.payment_method : undefined,
        };
        return { status: 201, body: store.orderJson(asClient(c, () => store.createOrder(input, false))) };
      },
    ],
    ["GET", new RegExp(`${W}/orders/(\\d+)$`), (_c, m) => ({ body: store.orderJson(store.getOrder(Number(m[1]))) })],
    [
      "PUT",
      new RegExp(`${W}/orders/(\\d+)$`),
      (c, m) => {
        const o = store.getOrder(Number(m[1]), 400);
        // WC_REST_Orders_Controller saves meta before the status transition (both in one request).
        if (Array.isArray(c.body?.meta_data)) store.updateOrderMeta(o.id, c.body.meta_data);
        if (c.body?.status) asClient(c, () => store.setOrderStatus(o.id, c.body.status));
        else if (Array.isArray(c.body?.meta_data)) store.touchOrder(o.id);
        return { body: store.orderJson(o) };
      },
    ],
    // Order notes (WC_REST_Order_Notes_Controller, wc/v3): notes are comments; customer notes e-mail the customer.
    [
      "GET",
      new RegExp(`${W}/orders/(\\d+)/notes$`),
      (c, m) => {
        const type = str(c.query.type) ? String(c.query.type) : "any";
        if (!["any", "customer", "internal"].includes(type))
          throw new WooEmulatorError(400, "rest_invalid_param", "Invalid parameter(s): type", { params: { type } });
        const notes = store.orderNotes(Number(m[1]), type);
        const o = store.getOrder(Number(m[1]));
        return { body: notes.map((n) => noteJson(store, o, n)) };
      },
    ],
    [
      "POST",
      new RegExp(`${W}/orders/(\\d+)/notes$`),
      (c, m) => {
        const note = store.addOrderNote(Number(m[1]), c.body ?? {});
        return { status: 201, body: noteJson(store, store.getOrder(Number(m[1])), note) };
      },
    ],
    [
      "GET",
      new RegExp(`${W}/orders/(\\d+)/notes/(\\d+)$`),
      (_c, m) => {
        const o = store.orders.get(Number(m[1]));
        if (!o) throw new WooEmulatorError(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.");
        const n = o.notes.find((x) => x.id === Number(m[2]));
        if (!n) throw new WooEmulatorError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.");
        return { body: noteJson(store, o, n) };
      },
    ],
    // Refunds (WC_REST_Order_Refunds_Controller, wc/v3): stock rules in store.ts `createRefund`.
    [
      "GET",
      new RegExp(`${W}/orders/(\\d+)/refunds$`),
      (c, m) => {
        const o = store.orders.get(Number(m[1]));
        if (!o) return paginate([], c.query); // WC_REST_Order_Refunds_Controller lists by parent id: none, not 404
        return paginate(
          [...o.refunds].sort((a, b) => b.id - a.id),
          c.query,
          (r) => store.refundJson(o, r),
        );
      },
    ],
    [
      "POST",
      new RegExp(`${W}/orders/(\\d+)/refunds$`),
      (c, m) => {
        const { order, refund } = asClient(c, () => store.createRefund(Number(m[1]), c.body ?? {}));
        return { status: 201, body: store.refundJson(order, refund) };
      },
    ],
    [
      "GET",
      new RegExp(`${W}/orders/(\\d+)/refunds/(\\d+)$`),
      (_c, m) => {
        const o = store.orders.get(Number(m[1]));
        const r = o?.refunds.find((x) => x.id === Number(m[2]));
        if (!o || !r) throw new WooEmulatorError(404, "woocommerce_rest_invalid_id", "Invalid ID.");
        return { body: store.refundJson(o, r) };
      },
    ],
    [
      "GET",
      new RegExp(`${W}/webhooks$`),
      (c) => {
        let ws = [...store.webhooks.values()].sort((a, b) => b.id - a.id);
        if (str(c.query.status) && c.query.status !== "all") ws = ws.filter((w) => w.status === c.query.status);
        return paginate(ws, c.query, (w) => store.webhookJson(w));
      },
    ],
    [
      "POST",
      new RegExp(`${W}/webhooks$`),
      async (c) => {
        const w = store.createWebhook(c.body ?? {});
        const body = store.webhookJson(w);
        if (w.status === "active") await engine.ping(w); // WC_REST_Webhooks_V1_Controller::create_item → deliver_ping()
        return { status: 201, body };
      },
    ],
    [
      "GET",
      new RegExp(`${W}/webhooks/(\\d+)$`),
      (_c, m) => ({ body: store.webhookJson(store.getWebhook(Number(m[1]))) }),
    ],
    [
      "PUT",
      new RegExp(`${W}/webhooks/(\\d+)$`),
      async (c, m) => {
        const w = store.updateWebhook(Number(m[1]), c.body ?? {});
        if (w.status === "active" && w.pending_delivery) await engine.ping(w); // WC_Webhook_Data_Store::update
        return { body: store.webhookJson(w) };
      },
    ],
    [
      "DELETE",
      new RegExp(`${W}/webhooks/(\\d+)$`),
      (c, m) => {
        const w = store.getWebhook(Number(m[1]));
        if (!(c.query.force === "true" || c.query.force === "1"))
          throw new WooEmulatorError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.");
        store.webhooks.delete(w.id);
        return { body: store.webhookJson(w) };
      },
    ],
    // ---------------- SyncFlow plugin (docs/contracts/wc-syncflow-v1.md)
    [
      "GET",
      new RegExp(`${S}/capabilities$`),
      () => ({
        body: {
          plugin: "syncflow-for-woocommerce",
          version: pluginVersion,
          contract: 1,
          ...(pluginBatch ? { contract_version: "1.1" } : {}),
          features: [
            "stock-delta",
            "stock-cas",
            "idempotency",
            ...(pluginBatch ? ["stock-batch", "stock-snapshot"] : []),
            ...(reporter ? ["stock-events"] : []),
            ...(opts.shipmentTracking ? ["shipment-tracking"] : []),
          ],
        },
      }),
    ],
    ["POST", new RegExp(`${S}/stock/delta$`), (c) => ({ body: deltaOp(c.body ?? {}) })],
    ["POST", new RegExp(`${S}/stock/cas$`), (c) => ({ body: casOp(c.body ?? {}) })],
    // Contract 1.1: batch and snapshot (./syncflow-stock.ts), with the single routes' per-op logic.
    ...(pluginBatch ? syncflowStockRoutes(S, { store, deltaOp, casOp, settings, sleep, countItems }) : []),
  ];

  const permissionError = (method: string) => {
    const m: Record<string, [string, string]> = {
      GET: ["woocommerce_rest_cannot_view", "Sorry, you cannot list resources."],
      POST: ["woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."],
      PUT: ["woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."],
      DELETE: ["woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."],
    };
    const [code, msg] = m[method] ?? m.GET;
    return new WooEmulatorError(401, code, msg);
  };

  // ------------------------------------------------------------------ control
  const control: WooEmulatorControl = {
    createKey({ permissions = "read_write" } = {}) {
      const k: WooApiKey = {
        keyId: nextKeyId++,
        consumerKey: "ck_" + randomBytes(20).toString("hex"),
        consumerSecret: "cs_" + randomBytes(20).toString("hex"),
        permissions,
        nonces: new Map(),
      };
      keys.set(k.consumerKey, k);
      return { key_id: k.keyId, consumer_key: k.consumerKey, consumer_secret: k.consumerSecret, permissions };
    },
    seedCatalog(products, o = {}) {
      const s = o.stock;
      const fn = typeof s === "function" ? s : s ? (sku: string) => s[sku] ?? 0 : demoStock;
      return store.seedCatalog(products, fn);
    },
    placeOrder(input) {
      return store.orderJson(
        store.createOrder(
          {
            status: input.status ?? "processing",
            line_items: input.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
            billing: input.billing,
          },
          true,
        ),
      );
    },
    editOrderLine(orderId, input) {
      return store.withStockCause({ cause: "admin_edit" }, () =>
        store.orderJson(store.editOrderLine(orderId, { sku: input.sku, lineId: input.lineId }, input.quantity)),
      );
    },
    setOrderStatus(orderId, status) {
      return store.withStockCause({ cause: "admin_edit" }, () =>
        store.orderJson(store.setOrderStatus(orderId, status)),
      );
    },
    refundOrder(orderId, input) {
      const o = store.getOrder(orderId);
      const lineItems = (input.lines ?? []).map((l) => {
        const line =
          l.lineId !== undefined
            ? o.line_items.find((x) => x.id === l.lineId)
            : o.line_items.find((x) => x.sku === l.sku);
        if (!line) throw new WooEmulatorError(400, "not_found", `Order ${orderId} has no line ${l.lineId ?? l.sku}`);
        return { id: line.id, quantity: l.quantity, refund_total: line.price * l.quantity };
      });
      const body = {
        line_items: lineItems,
        api_restock: input.restock ?? false,
        api_refund: false,
        reason: input.reason ?? "",
        ...(input.amount !== undefined ? { amount: input.amount } : {}),
      };
      return store.withStockCause({ cause: "admin_edit" }, () =>
        store.orderJson(store.createRefund(orderId, body).order),
      );
    },
    setStock(sku, quantity, cause = "admin_edit") {
      const p = store.findBySku(sku);
      if (!p) throw new WooEmulatorError(404, "not_found", `Unknown SKU ${sku}`);
      return store.withStockCause({ cause }, () => {
        if (!store.stockHolder(p)) store.updateProduct(p.id, { manage_stock: true, stock_quantity: quantity });
        const r = store.updateStock(p, quantity, "set");
        return { product_id: r.holder.id, before: r.before, after: r.after };
      });
    },
    getStock(sku) {
      const p = store.findBySku(sku);
      if (!p) throw new WooEmulatorError(404, "not_found", `Unknown SKU ${sku}`);
      return store.stockHolder(p)?.stock_quantity ?? null;
    },
    productIdBySku(sku) {
      return store.findBySku(sku)?.id ?? null;
    },
    state() {
      const stockBySku: Record<string, number | null> = {};
      for (const p of store.products.values())
        if (p.sku) stockBySku[p.sku] = store.stockHolder(p)?.stock_quantity ?? null;
      return {
        stockBySku,
        orders: [...store.orders.values()].map((o) => ({ ...store.orderJson(o), stock_reduced: o.stock_reduced })),
        webhooks: [...store.webhooks.values()].map((w) => ({
          id: w.id,
          name: w.name,
          topic: w.topic,
          status: w.status,
          failure_count: w.failure_count,
          delivery_url: w.delivery_url,
          pending_delivery: w.pending_delivery,
        })),
      };
    },
    deliveries: () => [...engine.log],
    redeliver: (logId) => engine.redeliver(logId),
    setFaults(f) {
      if (f.latencyMs !== undefined) faults.latencyMs = f.latencyMs;
      if (f.failNext !== undefined) faults.failNext = f.failNext ? { ...f.failNext } : null;
      if (f.hangNext !== undefined) faults.hangNext = f.hangNext;
      if (f.delayNext !== undefined) faults.delayNext = f.delayNext ? { ...f.delayNext } : null;
      if (f.resetNext !== undefined) faults.resetNext = f.resetNext;
      if (f.loseAnswerNext !== undefined) faults.loseAnswerNext = f.loseAnswerNext ? { ...f.loseAnswerNext } : null;
      if (f.batchItemErrors !== undefined) faults.batchItemErrors = f.batchItemErrors;
      if (f.refuseStockOps !== undefined) faults.refuseStockOps = f.refuseStockOps;
      if (f.dropDeliveries !== undefined) engine.settings.dropDeliveries = f.dropDeliveries;
      if (f.duplicateDeliveries !== undefined) engine.settings.duplicateDeliveries = f.duplicateDeliveries;
    },
    resetFaults() {
      Object.assign(faults, {
        latencyMs: undefined,
        failNext: null,
        hangNext: 0,
        resetNext: 0,
        batchItemErrors: null,
        refuseStockOps: null,
        delayNext: null,
        loseAnswerNext: null,
      });
      engine.settings.dropDeliveries = 0;
      engine.settings.duplicateDeliveries = 0;
    },
    idle: () => engine.idle(),
    setWebhookStatus(id, status) {
      store.getWebhook(id).status = status;
    },
    setLatency(next) {
      for (const k of [
        "latencyMs",
        "readLatencyPerItemMs",
        "batchLatencyPerItemMs",
        "maxConcurrent",
        "pluginBatchLatencyPerItemMs",
        "snapshotLatencyPerRowMs",
        "deliveryDelayMs",
        "deliveryDelayMaxMs",
      ] as const) {
        const v = next[k];
        if (v === undefined) continue;
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
          throw new WooEmulatorError(400, "bad_request", `${k} must be a finite number ≥ 0`);
        if (k === "deliveryDelayMs" || k === "deliveryDelayMaxMs") engine.settings[k] = v;
        else settings[k] = v;
      }
      if (next.deliveryDelayMs !== undefined && next.deliveryDelayMaxMs === undefined)
        engine.settings.deliveryDelayMaxMs = engine.settings.deliveryDelayMs;
      drainWorkers(); // a raised limit lets queued requests start now
      return {
        latencyMs: settings.latencyMs,
        readLatencyPerItemMs: settings.readLatencyPerItemMs,
        batchLatencyPerItemMs: settings.batchLatencyPerItemMs,
        maxConcurrent: settings.maxConcurrent,
        pluginBatchLatencyPerItemMs: settings.pluginBatchLatencyPerItemMs,
        snapshotLatencyPerRowMs: settings.snapshotLatencyPerRowMs,
        deliveryDelayMs: engine.settings.deliveryDelayMs,
        deliveryDelayMaxMs: engine.settings.deliveryDelayMaxMs ?? engine.settings.deliveryDelayMs,
      };
    },
    queueStats: () => ({ waiting: waiting.length, running, maxWaiting }),
    connectHub(c) {
      if (!reporter)
        throw new WooEmulatorError(
          400,
          "bad_request",
          "started without stockEvents: plugin 1.0.0 reports no stock events",
        );
      reporter.connect(
        { hubUrl: c.hubUrl.replace(/\/+$/, ""), channelId: c.channelId, secret: c.secret, consumerKey: c.consumerKey },
        c.stockEvents,
      );
    },
    stockEvents: () => ({
      outbox: [...(reporter?.outbox ?? [])],
      calls: [...(reporter?.calls ?? [])],
      stream: reporter?.stream ?? "",
      enabled: !!reporter?.enabled,
    }),
    holdStockEvents(hold) {
      reporter?.hold(hold);
    },
    stockEventsIdle: async () => reporter?.idle(),
    setPluginActive(active) {
      settings.syncflowPlugin = active;
    },
  };

  const controlRoutes: Array<[string, RegExp, (b: any, m: RegExpExecArray, q: URLSearchParams) => unknown]> = [
    ["POST", /^\/__control\/keys$/, (b) => control.createKey(b ?? {})],
    ["POST", /^\/__control\/seed$/, (b) => control.seedCatalog(b.products, { stock: b.stock })],
    ["POST", /^\/__control\/orders$/, (b) => control.placeOrder(b)],
    ["POST", /^\/__control\/orders\/(\d+)\/status$/, (b, m) => control.setOrderStatus(Number(m[1]), b.status)],
    ["POST", /^\/__control\/orders\/(\d+)\/lines$/, (b, m) => control.editOrderLine(Number(m[1]), b ?? {})],
    ["POST", /^\/__control\/orders\/(\d+)\/refunds$/, (b, m) => control.refundOrder(Number(m[1]), b ?? {})],
    ["POST", /^\/__control\/stock$/, (b) => control.setStock(b.sku, b.quantity, b.cause)],
    [
      "GET",
      /^\/__control\/stock$/,
      (_b, _m, q) => ({ sku: q.get("sku"), stock_quantity: control.getStock(q.get("sku") ?? "") }),
    ],
    ["GET", /^\/__control\/state$/, () => control.state()],
    ["GET", /^\/__control\/deliveries$/, () => control.deliveries()],
    ["POST", /^\/__control\/deliveries\/(\d+)\/redeliver$/, (_b, m) => control.redeliver(Number(m[1]))],
    ["POST", /^\/__control\/faults$/, (b) => (control.setFaults(b ?? {}), { ok: true })],
    ["DELETE", /^\/__control\/faults$/, () => (control.resetFaults(), { ok: true })],
    ["POST", /^\/__control\/idle$/, async () => (await control.idle(), { ok: true })],
    [
      "POST",
      /^\/__control\/webhooks\/(\d+)\/status$/,
      (b, m) => (control.setWebhookStatus(Number(m[1]), b.status), { ok: true }),
    ],
    ["POST", /^\/__control\/latency$/, (b) => control.setLatency(b ?? {})],
    ["GET", /^\/__control\/queue$/, () => control.queueStats()],
    ["POST", /^\/__control\/hub$/, (b) => (control.connectHub(b), { ok: true })],
    ["GET", /^\/__control\/stock-events$/, () => control.stockEvents()],
    ["POST", /^\/__control\/stock-events\/hold$/, (b) => (control.holdStockEvents(!!b?.hold), { ok: true })],
    ["POST", /^\/__control\/stock-events\/idle$/, async () => (await control.stockEventsIdle(), { ok: true })],
    ["POST", /^\/__control\/plugin$/, (b) => (control.setPluginActive(!!b?.active), { ok: true })],
  ];

  // ------------------------------------------------------------------ dispatch
  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed || res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": "application/json; charset=UTF-8",
      "Content-Length": String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void handle(req, res, Buffer.concat(chunks)).catch((e) => {
        const err =
          e instanceof WooEmulatorError
            ? e
            : new WooEmulatorError(500, "internal_server_error", String((e as Error)?.stack ?? e));
        send(res, err.status, err.toJSON());
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
    const method = (req.method ?? "GET").toUpperCase();
    const u = new URL(req.url ?? "/", siteUrl);
    const path = u.pathname.replace(/\/+$/, "") || "/";
    const ctype = String(req.headers["content-type"] ?? "");
    let body: any = undefined;
    let form: PhpParams = {};
    if (raw.length) {
      if (ctype.includes("application/x-www-form-urlencoded")) form = parsePhpQuery(raw.toString("utf8"));
      else {
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new WooEmulatorError(400, "rest_invalid_json", "Invalid JSON body passed.");
        }
      }
    }

    if (path.startsWith("/__control/")) {
      for (const [m, re, fn] of controlRoutes) {
        const mm = re.exec(path);
        if (mm && m === method) return send(res, 200, await fn(body, mm, u.searchParams));
      }
      throw new WooEmulatorError(404, "not_found", `No control route ${method} ${path}`);
    }
    if (!path.startsWith("/wp-json")) {
      res.writeHead(404, { "Content-Type": "text/html" });
      return res.end("<html><body>Not Found</body></html>");
    }
    const countKey = `${method} ${path}`;
    requestCounts.set(countKey, (requestCounts.get(countKey) ?? 0) + 1);

    // faults, in the order a client would meet them
    if (faults.resetNext > 0) {
      faults.resetNext--;
      req.socket.destroy();
      return;
    }
    if (faults.hangNext > 0) {
      faults.hangNext--;
      hung.add(res);
      return;
    }
    const fn = faults.failNext;
    if (fn && fn.count > 0 && (!fn.paths || fn.paths.some((p) => path.includes(p)))) {
      fn.count--;
      const e = new WooEmulatorError(
        fn.status,
        fn.status === 429 ? "too_many_requests" : "internal_server_error",
        fn.status === 429 ? "Too Many Requests" : "There has been a critical error on this website.",
      );
      return send(res, fn.status, e.toJSON(), fn.status === 429 ? { "Retry-After": "1" } : {});
    }
    const dn = faults.delayNext;
    if (faultMatches(dn, path, method)) {
      dn.count--;
      await sleep(dn.ms);
    }
    await acquireWorker();
    try {
      await serve(req, res, method, u, path, form, body);
    } finally {
      releaseWorker();
    }
  }

  /** The request's work on a server worker: per-call latency, routing, authentication, the handler. */
  async function serve(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    u: URL,
    path: string,
    form: PhpParams,
    body: any,
  ) {
    await sleep((faults.latencyMs ?? settings.latencyMs) || 0);

    const isSyncflow = path.startsWith("/wp-json/wc-syncflow/");
    const query = parsePhpQuery(u.search.slice(1));
    if (isSyncflow && !settings.syncflowPlugin) throw NO_ROUTE();
    let handler: [Handler, RegExpExecArray] | null = null;
    for (const [m, re, h] of routes) {
      const mm = re.exec(path);
      if (mm && m === method) {
        handler = [h, mm];
        break;
      }
    }
    if (!handler) throw NO_ROUTE();

    // Authentication (WC_REST_Authentication, plain HTTP => OAuth 1.0a only; basic auth / consumer_key in the
    // query string are ignored, so the route's permission check answers 401).
    const params: PhpParams = { ...query, ...form, ...parseOAuthHeader(req.headers.authorization) };
    const auth = verifyWooOAuth(method, siteUrl + u.pathname, params, keys, Date.now());
    if (auth.kind === "error") throw new WooEmulatorError(auth.status, auth.code, auth.message);
    if (auth.kind === "none") {
      if (isSyncflow) throw new WooEmulatorError(401, "rest_forbidden", "Sorry, you are not allowed to do that.");
      // The products / variations / orders item permission checks look the object up first and only refuse an
      // existing one (WC_REST_CRUD_Controller::get_item_permissions_check & co.): a missing id answers the handler's
      // not-found error even without credentials. Webhooks check the capability alone.
      const item = /^\/wp-json\/wc\/v3\/(products|orders)(?:\/\d+\/variations)?\/(\d+)$/.exec(path);
      const exists = item
        ? item[1] === "orders"
          ? store.orders.has(Number(item[2]))
          : store.products.has(Number(item[2]))
        : true;
      if (exists || method === "POST") throw permissionError(method);
    }
    const perm = auth.kind === "ok" ? auth.key.permissions : "read_write";
    if (method === "GET" && perm === "write")
      throw new WooEmulatorError(
        401,
        "woocommerce_rest_authentication_error",
        "The API key provided does not have read permissions.",
      );
    if (method !== "GET" && perm === "read")
      throw new WooEmulatorError(
        401,
        "woocommerce_rest_authentication_error",
        "The API key provided does not have write permissions.",
      );

    const r = await handler[0]({ method, path, query, body, key: auth.kind === "ok" ? auth.key : null }, handler[1]);
    const ln = faults.loseAnswerNext;
    if (faultMatches(ln, path, method)) {
      ln.count--;
      return send(res, 502, { code: "bad_gateway", message: "Bad Gateway", data: { status: 502 } });
    }
    send(res, r.status ?? 200, r.body, r.headers);
  }

  return {
    url: siteUrl,
    port,
    control,
    store,
    requestCounts,
    itemCounts,
    async close() {
      engine.close();
      reporter?.close();
      for (const r of hung) r.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
