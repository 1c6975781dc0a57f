/**
 * The WooCommerce emulator's catalog-scale pieces (issue 11), kept out of index.ts (shared with other work):
 * - the realistic cost model of a WooCommerce store under a real order stream (`REALISTIC_STREAM_WOO`; the webhook
 *   delivery spread itself, 2–6 s after the change, is the webhook engine's: ./webhooks.ts);
 * - the SyncFlow plugin's batch and snapshot routes (`syncflowStockRoutes`: `POST /stock/batch`, `GET /stock/snapshot`,
 *   docs/contracts/wc-syncflow-v1.md), with the same per-item rules as the single routes in index.ts.
 * Quantities in units; times in ms.
 */
import { WooEmulatorError, type WooStore } from "./store.js";

/**
 * A WooCommerce 10 store as measured on a 2-core host (GUIDE §4, ENV.md "A real WooCommerce") and as the issue's
 * stream benchmark models it: 4 PHP workers, a single PUT ≈ 180 ms, GET of 100 products ≈ 1.1 s (180 ms + 9 ms per
 * item), a REST batch of 100 ≈ 9 s (88 ms per item), webhooks delivered 2–6 s after the change (Action Scheduler).
 * `pluginBatchLatencyPerItemMs` is the plugin's own batch endpoint, per op, and `snapshotLatencyPerRowMs` its snapshot,
 * per row, as measured on the real WooCommerce 10.0.2 (bench/README.md, "Issue 11" → "The plugin's per-op cost";
 * `bench/woo-plugin-cost.ts`): plugin 1.1.1 (decision 309) costs the PHP worker 28.2 ms of CPU per op (median of 3,
 * 27.6–28.7; plugin 1.1.0 measured the same way: 48.7 ms, whose wall time on a quieter machine was 40.8 ms) — 30 ms
 * here; 1,000 snapshot rows ≈ 0.25 s.
 * (Before decision 309 the model used 80 ms, the slower of two sessions' wall times of plugin 1.1.0.)
 */
export const REALISTIC_STREAM_WOO = {
  latencyMs: 180,
  readLatencyPerItemMs: 9,
  batchLatencyPerItemMs: 88,
  pluginBatchLatencyPerItemMs: 30,
  snapshotLatencyPerRowMs: 0.02,
  maxConcurrent: 4,
  deliveryDelayMs: 2000,
  deliveryDelayMaxMs: 6000,
} as const;

/** Most operations per `POST /stock/batch` (WooCommerce's own REST batch limit). */
export const PLUGIN_BATCH_MAX = 100;
/** Default and largest page of `GET /stock/snapshot`, in rows. */
export const SNAPSHOT_DEFAULT = 1000;
export const SNAPSHOT_MAX = 5000;

type RouteCtx = { body: any; query: Record<string, unknown> };
type Route = [
  string,
  RegExp,
  (c: RouteCtx, m: RegExpExecArray) => Promise<{ status?: number; body: unknown }> | { status?: number; body: unknown },
];

/**
 * The plugin's contract-1.1 routes for the emulator (docs/contracts/wc-syncflow-v1.md; PHP:
 * woo-plugin/includes/class-syncflow-stock-batch.php):
 * - `POST /stock/batch {ops}`: each op runs through the single routes' logic (`deltaOp` / `casOp`: validation order,
 *   request-key idempotency, compare-and-set) and gets its own result, `{status: 200, ...body}` or
 *   `{status, code, message[, current]}`; 400 when `ops` is not a non-empty list, 413 above 100 ops (nothing applied).
 *   Costs `pluginBatchLatencyPerItemMs` per op on the worker, after the per-call latency.
 * - `GET /stock/snapshot?after&limit`: products and variations with id > after in id order (trash left out), at most
 *   `limit` (1–5000, default 1000) rows `{id, parent_id, type, sku, manage_stock, stock_quantity, date_modified_gmt}`,
 *   `next_after` = the last id when the page is full. Costs `snapshotLatencyPerRowMs` per row.
 */
export function syncflowStockRoutes(
  S: string,
  deps: {
    store: WooStore;
    deltaOp: (b: any) => Record<string, unknown>;
    casOp: (b: any) => Record<string, unknown>;
    settings: { pluginBatchLatencyPerItemMs: number; snapshotLatencyPerRowMs: number };
    sleep: (ms: number) => Promise<unknown>;
    countItems: (path: string, n: number) => void;
  },
): Route[] {
  const { store, deltaOp, casOp, settings, sleep, countItems } = deps;
  const bad = (message: string, status = 400, code = "syncflow_bad_request") =>
    new WooEmulatorError(status, code, message);
  const result = (run: () => Record<string, unknown>): Record<string, unknown> => {
    try {
      return { status: 200, ...run() };
    } catch (e) {
      const err = e as { status?: number; code?: string; message?: string; extra?: Record<string, unknown> };
      if (typeof err.status !== "number" || typeof err.code !== "string") throw e;
      return {
        status: err.status,
        code: err.code,
        message: err.message,
        ...(typeof err.extra?.current === "number" ? { current: err.extra.current } : {}),
      };
    }
  };
  return [
    [
      "POST",
      new RegExp(`${S}/stock/batch$`),
      async (c) => {
        const ops = c.body?.ops;
        if (!Array.isArray(ops) || ops.length === 0) throw bad("ops must be a non-empty list of operations.");
        if (ops.length > PLUGIN_BATCH_MAX)
          throw bad(`At most ${PLUGIN_BATCH_MAX} operations per batch.`, 413, "syncflow_batch_too_large");
        countItems("/wp-json/wc-syncflow/v1/stock/batch", ops.length);
        await sleep(settings.pluginBatchLatencyPerItemMs * ops.length);
        const results = ops.map((op: any) =>
          result(() => {
            const o = op && typeof op === "object" ? op : {};
            if (o.op === "delta") return deltaOp(o);
            if (o.op === "cas") return casOp(o);
            throw bad('op must be "delta" or "cas".');
          }),
        );
        return { body: { results } };
      },
    ],
    [
      "GET",
      new RegExp(`${S}/stock/snapshot$`),
      async (c) => {
        const int = (v: unknown, dflt: number) =>
          v === undefined || v === "" ? dflt : /^\d+$/.test(String(v)) ? Number(v) : NaN;
        const after = int(c.query.after, 0);
        const limit = int(c.query.limit, SNAPSHOT_DEFAULT);
        if (!Number.isInteger(after) || after < 0) throw bad("after must be a product id (an integer ≥ 0).");
        if (!Number.isInteger(limit) || limit < 1 || limit > SNAPSHOT_MAX)
          throw bad(`limit must be an integer from 1 to ${SNAPSHOT_MAX}.`);
        const ids = [...store.products.keys()].filter((id) => id > after).sort((a, b) => a - b);
        const rows: Record<string, unknown>[] = [];
        for (const id of ids) {
          const p = store.products.get(id)!;
          if (p.status === "trash") continue;
          const holder = store.stockHolder(p);
          const variation = p.type === "variation";
          rows.push({
            id,
            parent_id: variation ? p.parent_id : 0,
            type: p.type,
            sku: p.sku,
            manage_stock: p.manage_stock ? true : holder ? "parent" : false,
            stock_quantity: holder ? (holder.stock_quantity ?? 0) : null,
            date_modified_gmt: new Date(Math.floor(p.date_modified_ms / 1000) * 1000).toISOString().slice(0, 19),
          });
          if (rows.length >= limit) break;
        }
        await sleep(settings.snapshotLatencyPerRowMs * rows.length);
        return { body: { rows, next_after: rows.length >= limit ? (rows[rows.length - 1]!.id as number) : null } };
      },
    ],
  ];
}
