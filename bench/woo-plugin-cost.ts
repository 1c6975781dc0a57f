/**
 * What the SyncFlow plugin's stock writes cost on the REAL WooCommerce 10.0.2 (decision 309; bench/README.md, "Issue
 * 11", "The plugin's per-op cost"): the figures behind `REALISTIC_STREAM_WOO` (tests/emulators/woocommerce/
 * syncflow-stock.ts).
 *
 *   WOOCOMMERCE_ZIP=../shared/vendor/woocommerce-10.0.2.zip WORDPRESS_ZIP=../shared/vendor/wordpress-6.8.zip \
 *   SYNCFLOW_MODE=test SYNCFLOW_ALLOW_LOOPBACK_STORES=1 npx tsx bench/woo-plugin-cost.ts [--products 400] [--runs 3] [--profile] [--json]
 *
 * The store: the real-WooCommerce harness (tests/wordpress/real-woocommerce.ts: native PHP 8.2, `php -S` with 4
 * workers, SQLite), SyncFlow connected in exact mode to the stub hub (stock events on, as a connected store runs),
 * WooCommerce's four webhooks pointing at it, `--products` (≥ 400, default 400) simple products with managed stock
 * (1,000 units each, so no call changes a stock status). Before every timed call the pending webhook deliveries and related-transient
 * clean-ups are cancelled (a store's runner would have run them), so each call schedules its own, as on a live store.
 *
 * Products are taken round-robin (a product is changed again a few calls later, as on a live store). Per run, in both of the batch's modes back to back (`oneByOne`:
 * each op in its own transaction, plugin 1.1.0; `shared`: decision 309, switched per call through the
 * `syncflow_stock_batch_transactions` filter): `POST stock/batch` of 10 and of 100 deltas, of 100 compare-and-sets,
 * and 4 batches of 100 deltas at once (the 4 workers together); then one `POST stock/delta`, one `PUT
 * wc/v3/products/<id>` of `stock_quantity` and `POST wc/v3/products/batch` of 100 stock updates.
 * Per op = (batch of 100 − batch of 10) / 90 (the call's own cost cancels out), for wall time and for the PHP
 * worker's CPU time and query count (`cpu*`, `queries*`: getrusage per request, logged by the test profile plugin —
 * on a shared machine CPU time moves far less with the load than wall time). Medians over `--runs`; times in ms.
 *
 * `--profile` (best with `--runs 0`: SAVEQUERIES slows every call): also writes where one batch of 100's time goes (queries by caller and shape, request phases, and with
 * Debian's php-excimer loaded, a sampling profile by function) — tests/wordpress/real-woocommerce-site/mu-plugins/
 * syncflow-test-profile.php.
 *
 * Exits 2 when the real WooCommerce is unavailable (the reason is printed).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { realWooCommerceUnavailable, startRealWooCommerce } from "../tests/wordpress/real-woocommerce";
import { connectToStubHub, startStubHub } from "../tests/wordpress/stub-hub";
import { restCall, wooRestApi } from "../tests/wordpress/wp-site";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const PRODUCTS = Math.max(400, opt("products", 400));
const RUNS = opt("runs", 3);
const PROFILE = args.includes("--profile");
const JSON_OUT = args.includes("--json");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function main() {
  const unavailable = realWooCommerceUnavailable();
  if (unavailable) {
    console.error(`[woo-plugin-cost] the real WooCommerce is unavailable: ${unavailable}`);
    process.exit(2);
  }
  const profileDir = PROFILE ? fs.mkdtempSync(path.join(os.tmpdir(), "syncflow-wp-profile-")) : null;
  if (profileDir) process.env.SYNCFLOW_WP_PROFILE = profileDir;
  // Each plugin request's CPU time (the PHP worker's getrusage), wall time and query count, one line per request.
  const cpuDir = fs.mkdtempSync(path.join(os.tmpdir(), "syncflow-wp-cpu-"));
  process.env.SYNCFLOW_WP_CPU = cpuDir;
  const cpuFile = path.join(cpuDir, "cpu.jsonl");
  let cpuRead = 0;
  /** The plugin requests logged since the last call: CPU ms and queries summed. */
  const cpuSince = () => {
    const text = fs.existsSync(cpuFile) ? fs.readFileSync(cpuFile, "utf8") : "";
    const lines = text.slice(cpuRead).split("\n").filter(Boolean);
    cpuRead = text.length;
    return lines
      .map((l) => JSON.parse(l) as { cpu_ms: number; queries: number })
      .reduce((a, l) => ({ cpu: a.cpu + l.cpu_ms, queries: a.queries + l.queries }), { cpu: 0, queries: 0 });
  };
  const [site, hub] = await Promise.all([startRealWooCommerce({ runner: false }), startStubHub()]);
  try {
    const connected = await connectToStubHub(site, hub);
    if (!connected?.includes("syncflow_result=ok")) throw new Error(`connect failed: ${connected}`);
    const key = await site.createKey("read_write");
    const rest = await wooRestApi({ url: site.url, ...key, timeoutMs: 300_000 });
    const plugin = await wooRestApi({ url: site.url, ...key, version: "wc-syncflow/v1", timeoutMs: 300_000 });
    const channel = hub.registrations.at(-1)!;
    const state = await site.control("GET", "/state");
    const have = new Set((state.webhooks as { topic: string }[]).map((w) => w.topic));
    for (const topic of ["order.created", "order.updated", "product.created", "product.updated"]) {
      if (have.has(topic)) continue;
      const r = await restCall(rest, "post", "webhooks", {
        name: `SyncFlow: ${topic}`,
        topic,
        delivery_url: `${hub.url}/webhooks/woocommerce/${channel.channelId}`,
        secret: channel.webhookSecret,
      });
      if (r.status !== 201) throw new Error(`webhook ${topic}: ${r.status} ${JSON.stringify(r.body)}`);
    }

    // Products, 100 per call in one transaction each.
    const t0 = Date.now();
    const ids: number[] = [];
    for (let from = 0; from < PRODUCTS; from += 100) {
      const r = await site.control("POST", "/products", {
        prefix: `pc-${from}-`,
        count: Math.min(100, PRODUCTS - from),
        qty: 1000,
      });
      ids.push(...(r.ids as number[]));
    }
    if (!JSON_OUT) console.log(`[woo-plugin-cost] ${PRODUCTS} products in ${round((Date.now() - t0) / 1000)} s`);

    let cursor = 0;
    const take = (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(ids[cursor++ % PRODUCTS]!);
      return out;
    };
    let seq = 0;
    const quiet = async () => {
      for (const group of ["woocommerce-webhooks", "wc_delete_related_product_transients_group"])
        await site.control("POST", "/actions/cancel", { group });
    };
    let last = { cpu: 0, queries: 0 };
    const timed = async (fn: () => Promise<{ status: number; body: any }>) => {
      await quiet();
      await new Promise((r) => setTimeout(r, 50)); // the previous request's shutdown line is written
      cpuSince();
      const t = performance.now();
      const r = await fn();
      const ms = performance.now() - t;
      await new Promise((r) => setTimeout(r, 100));
      last = cpuSince();
      const bad = Array.isArray(r.body?.results) ? r.body.results.filter((x: any) => x.status !== 200) : [];
      if (r.status >= 300 || bad.length)
        throw new Error(`call failed: ${r.status} ${JSON.stringify(bad[0] ?? r.body)}`);
      return ms;
    };
    // Alternating −1 / +1 keeps every quantity near 1,000: no stock-status change.
    const deltas = (ps: number[]) =>
      ps.map((id) => ({ op: "delta", product_id: id, delta: seq % 2 ? 1 : -1, request_key: `pc-${++seq}` }));
    const stockOf = async (ps: number[]) => {
      const r = await restCall(plugin, "get", `stock/snapshot?after=${Math.min(...ps) - 1}&limit=5000`);
      const m = new Map<number, number>((r.body.rows as any[]).map((x) => [x.id, x.stock_quantity]));
      return ps.map((id) => m.get(id)!);
    };
    const batch = (ops: unknown[]) => restCall(plugin, "post", "stock/batch", { ops });

    const runs: Record<string, number>[] = [];
    const setMode = (mode: "oneByOne" | "shared") =>
      site.control("POST", "/option", {
        name: "syncflow_test_batch_one_by_one",
        value: mode === "oneByOne" ? "yes" : "no",
      });
    // One untimed batch per mode first: PHP's opcache and SQLite's page cache warm, as on a store that has been running.
    for (const mode of ["oneByOne", "shared"] as const) {
      await setMode(mode);
      await batch(deltas(take(20)));
    }
    for (let run = 0; run < RUNS; run++) {
      const m: Record<string, number> = {};
      // Both modes of POST /stock/batch back to back in each run (the machine's load changes less between them):
      // `oneByOne` = each op in its own transaction (plugin 1.1.0's batch), `shared` = decision 309's.
      for (const mode of run % 2 ? (["shared", "oneByOne"] as const) : (["oneByOne", "shared"] as const)) {
        await setMode(mode);
        m[`${mode}.batch10`] = await timed(() => batch(deltas(take(10))));
        m[`${mode}.cpu10`] = last.cpu;
        m[`${mode}.queries10`] = last.queries;
        m[`${mode}.batch100`] = await timed(() => batch(deltas(take(100))));
        m[`${mode}.cpu100`] = last.cpu;
        m[`${mode}.queries100`] = last.queries;
        const casIds = take(100);
        const current = await stockOf(casIds);
        m[`${mode}.cas100`] = await timed(() =>
          batch(
            casIds.map((id, i) => ({
              op: "cas",
              product_id: id,
              expected: current[i],
              quantity: current[i]! + (seq % 2 ? 1 : -1),
              request_key: `pc-${++seq}`,
            })),
          ),
        );
        const four = [take(100), take(100), take(100), take(100)];
        await quiet();
        cpuSince();
        const tp = performance.now();
        const answers = await Promise.all(four.map((ps) => batch(deltas(ps))));
        m[`${mode}.parallel4x100`] = performance.now() - tp;
        await new Promise((r) => setTimeout(r, 100));
        m[`${mode}.cpuParallel`] = cpuSince().cpu;
        if (answers.some((a) => a.status !== 200 || a.body.results.some((x: any) => x.status !== 200)))
          throw new Error(
            `a parallel batch failed: ${JSON.stringify(answers.map((a) => a.body).slice(0, 1)).slice(0, 800)}`,
          );
        m[`${mode}.perOp`] = (m[`${mode}.batch100`]! - m[`${mode}.batch10`]!) / 90;
        m[`${mode}.cpuPerOp`] = (m[`${mode}.cpu100`]! - m[`${mode}.cpu10`]!) / 90;
        m[`${mode}.queriesPerOp`] = (m[`${mode}.queries100`]! - m[`${mode}.queries10`]!) / 90;
        m[`${mode}.parallelOpsPerS`] = 400 / (m[`${mode}.parallel4x100`]! / 1000);
      }
      const [one] = take(1);
      m.delta1 = await timed(() =>
        restCall(plugin, "post", "stock/delta", { product_id: one, delta: -1, request_key: `pc-${++seq}` }),
      );
      const [put] = take(1);
      m.put1 = await timed(() => restCall(rest, "put", `products/${put}`, { stock_quantity: 990 + (run % 5) }));
      const restIds = take(100);
      m.restBatch100 = await timed(() =>
        restCall(rest, "post", "products/batch", {
          update: restIds.map((id) => ({ id, stock_quantity: 990 + (run % 5) })),
        }),
      );
      runs.push(m);
      if (!JSON_OUT) console.log(`[woo-plugin-cost] run ${run + 1}: ${JSON.stringify(mapRound(m))}`);
    }
    const med = Object.fromEntries(Object.keys(runs[0] ?? {}).map((k) => [k, round(median(runs.map((r) => r[k]!)))]));
    const out: Record<string, unknown> = { products: PRODUCTS, runs: runs.map(mapRound), median: med };
    if (profileDir) {
      const profiles: Record<string, unknown> = {};
      for (const mode of ["oneByOne", "shared"] as const) {
        await setMode(mode);
        await quiet();
        const before = new Set(fs.readdirSync(profileDir));
        await batch(deltas(take(100)));
        await new Promise((r) => setTimeout(r, 300));
        const file = fs.readdirSync(profileDir).find((f) => !before.has(f) && f.endsWith(".json"));
        profiles[mode] = file ? summarise(JSON.parse(fs.readFileSync(path.join(profileDir, file), "utf8"))) : null;
      }
      out.profile = profiles;
    }
    if (JSON_OUT) console.log(JSON.stringify(out));
    else {
      console.log("[woo-plugin-cost] medians (ms):", JSON.stringify(med));
      if (out.profile) console.log(JSON.stringify(out.profile, null, 2));
    }
  } finally {
    await Promise.all([site.close(), hub.close()]);
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
    fs.rmSync(cpuDir, { recursive: true, force: true });
  }
}

function mapRound(m: Record<string, number>) {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)]));
}

/** The profile of one request: phases, queries by caller / shape, and the sampling profile's inclusive times. */
function summarise(p: any) {
  const inclusive = new Map<string, number>();
  let samples = 0;
  for (const line of String(p.excimer ?? "").split("\n")) {
    const m = /^(.*) (\d+)$/.exec(line);
    if (!m) continue;
    const n = Number(m[2]);
    samples += n;
    for (const f of new Set(m[1]!.split(";"))) inclusive.set(f, (inclusive.get(f) ?? 0) + n);
  }
  const top = [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 70);
  return {
    totalMs: round(p.total_ms),
    phasesMs: p.marks_ms,
    queries: p.queries,
    queryMs: round(p.query_ms),
    byCaller: Object.entries(p.by_caller)
      .slice(0, 30)
      .map(([k, v]: any) => [k, v[0], round(v[1])]),
    byShape: Object.entries(p.by_shape)
      .slice(0, 30)
      .map(([k, v]: any) => [k, v[0], round(v[1])]),
    excimerSamplesMs: samples,
    excimerInclusiveMs: top,
  };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
