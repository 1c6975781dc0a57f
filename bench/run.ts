/**
 * `npm run bench -- --json [--quick]`: SyncFlow's benchmark suite against the emulators with realistic
 * latencies (bench/README.md). Prints a table, writes bench/out/report.md and bench/out/flash-sale.svg, and
 * prints ONE JSON object as the last line of stdout.
 *
 * `--only reconcile [--skus N]` runs just the reconcile scenario (default 10,000 SKUs, 1,000 with --quick)
 * on its own Shopify emulator (same settings as the full run's); its last line is
 * `{"reconcile":{…},"rssMb":m}`.
 */
import fs from "node:fs";
import path from "node:path";
import { buildApp, startDatabase, startStack, type Stack } from "./lib/stack";
import { runNaive, runSyncflow, type FlashParams, type FlashResult, type Latency } from "./flash-sale";
import { runReconcile, type ReconcileBench } from "./reconcile";
import { runIngest, type IngestBench } from "./ingest";
import {
  renderStream,
  renderStreamSvg,
  runStream,
  STREAM_DEFAULTS,
  streamSplit,
  type StreamParams,
  type StreamRun,
} from "./stream";
import { onboardShop } from "./lib/onboard";
import { marketplaceDrivers } from "./lib/marketplaces";
import { startShopifyEmulator } from "../tests/emulators/shopify/index";

const quick = process.argv.includes("--quick");
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const SHOPIFY_LATENCY_MS = 75;
process.env.BENCH_SHOPIFY_LATENCY_MS = String(SHOPIFY_LATENCY_MS);
// The bench process itself calls the emulated stores through the app's code (onboarding, registration, the naive
// syncer): they are on loopback, which the SSRF guard refuses unless told (app/lib/outbound-guard.server.ts; the app
// and worker children get the same setting from bench/lib/stack.ts).
process.env.SYNCFLOW_ALLOW_LOOPBACK_STORES = "1";

const argValue = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
/**
 * Retailer Shopify shops selling in the flash sale's SyncFlow run (issue 14; default 1) and in the stream (default 1);
 * `--retailers 0` runs the earlier configurations (Shopify + 2 WooCommerce) for comparison.
 */
const retailers = Number(argValue("--retailers") ?? 1);
if (!Number.isInteger(retailers) || retailers < 0 || retailers > 3)
  throw new Error(`--retailers ${argValue("--retailers")}: a whole number 0–3`);

const flash: FlashParams = quick
  ? {
      units: 20,
      buyers: 60,
      arrivalWindowMs: 4000,
      settleMs: 6000,
      sampleMs: 5,
      seed: 7,
      shopifyLatencyMs: SHOPIFY_LATENCY_MS,
      shopifyWebhookDelayMs: 300,
      retailers,
      allocations: argValue("--flash-allocations") !== "off",
    }
  : {
      units: 100,
      buyers: 300,
      arrivalWindowMs: 15000,
      settleMs: 10000,
      sampleMs: 5,
      seed: 7,
      shopifyLatencyMs: SHOPIFY_LATENCY_MS,
      shopifyWebhookDelayMs: 300,
      retailers,
      allocations: argValue("--flash-allocations") !== "off",
    };
/**
 * Marketplace channels in the stream (issue 16; bench/lib/marketplaces.ts): `--marketplaces amazon` (default: every
 * known driver), `--marketplaces none` for the earlier configuration. Each takes MARKETPLACE_SHARE of the orders.
 */
const drivers = marketplaceDrivers(argValue("--marketplaces"));
/** The app's and worker's environment for the marketplaces (their application keys and emulator endpoints). */
async function marketplaceEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const d of drivers) Object.assign(env, await d.stackEnv());
  return env;
}
const reconcileSkus = Number(argValue("--skus") ?? (quick ? 1000 : 10_000));
const ingestMs = quick ? 3000 : 10_000;
/**
 * Concurrency of the headline ingest figure: 10 requests in flight, autocannon's default (the tool issue 3
 * names). The full run also measures 16 in flight (the previous headline) and reports it beside it
 * (bench/README.md, "Ingest concurrency"). `--only ingest --concurrency a,b` picks the runs.
 */
const INGEST_CONCURRENCY = 10;
/** Extra ingest runs of the full suite, reported in the table, not in the last line. */
const INGEST_DETAIL_CONCURRENCY = [16];
/**
 * `--only <scenario>` (or `--only=<scenario>`) runs one part alone:
 * - `flash`: the flash sale (naive + SyncFlow); last line `{"flashSale":{...}}`;
 * - `reconcile` (with `--skus N`): the reconcile scenario on its own Shopify emulator; last line `{"reconcile":{…},"rssMb":m}`;
 * - `ingest` (alias `rss`, comma-separated): the stack, one small shop and the ingest scenario (a fast loop for ingest work).
 * Without it the full suite runs and the last line has issue 3's shape.
 */
const only = (() => {
  const arg = argValue("--only") ?? process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  if (!arg) return null;
  const parts = new Set(arg.split(","));
  const known = ["flash", "reconcile", "ingest", "rss", "stream"];
  for (const k of parts)
    if (!known.includes(k)) throw new Error(`--only: unknown scenario "${k}" (known: ${known.join(", ")})`);
  if ((parts.has("flash") || parts.has("reconcile") || parts.has("stream")) && parts.size > 1)
    throw new Error(`--only ${arg}: flash, reconcile and stream run alone`);
  return parts;
})();

/**
 * One scenario alone (`--only reconcile` / `--only stream`): embedded PostgreSQL, a Shopify emulator set up like the
 * flash sale's (Standard plan, 75 ms per call, webhooks 300 ms later), the app build + worker; `run` measures and returns
 * the last JSON line's object, the report's body and the detail for `bench/out/result-<name>.json`.
 */
async function soloScenario(
  name: "reconcile" | "stream",
  run: (
    stack: Stack,
    shopify: Awaited<ReturnType<typeof startShopifyEmulator>>,
  ) => Promise<{ result: Record<string, unknown>; body: string; detail: Record<string, unknown> }>,
) {
  const started = Date.now();
  const db = await startDatabase();
  buildApp(log);
  let stack: Stack | undefined;
  const shopify = await startShopifyEmulator({
    apiKey: "syncflow-bench-api-key",
    apiSecret: "syncflow-bench-api-secret",
    latencyMs: SHOPIFY_LATENCY_MS,
    restoreRate: 100,
    webhookDelayMs: 300,
  });
  try {
    stack = await startStack({
      databaseUrl: db.url,
      shopifyOrigin: shopify.url,
      log,
      env: { SYNCFLOW_BULK_POLL_MS: "500", ...(await marketplaceEnv()) },
    });
    shopify.control.setAppUrl(stack.appUrl);
    const out = await run(stack, shopify);
    const rss = stack.peakRssMb();
    const result = { ...out.result, rssMb: rss.sumPeakMb };
    const report = `# SyncFlow benchmark (${name} only) — ${new Date().toISOString()}\n\n${out.body}Peak RSS app + worker: ${rss.sumPeakMb} MB (app ${rss.appHwmMb}, worker ${rss.workerHwmMb}). Total bench time ${((Date.now() - started) / 1000).toFixed(0)} s.\n`;
    fs.mkdirSync(path.join(process.cwd(), "bench", "out"), { recursive: true });
    fs.writeFileSync(path.join(process.cwd(), "bench", "out", `report-${name}.md`), report);
    fs.writeFileSync(
      path.join(process.cwd(), "bench", "out", `result-${name}.json`),
      JSON.stringify({ ...result, detail: { ...out.detail, rss } }, null, 2),
    );
    console.log(report);
    console.log(JSON.stringify(result));
  } finally {
    await teardown(stack, [() => shopify.close()], db);
  }
}

/** `--only reconcile`: the reconcile scenario alone. */
async function mainReconcileOnly() {
  await soloScenario("reconcile", async (stack, shopify) => {
    log(`reconcile: ${reconcileSkus} SKUs × 2 stores`);
    const rec = await runReconcile({
      stack,
      shopify,
      skus: reconcileSkus,
      drifts: 5,
      catalog: !process.argv.includes("--no-catalog"),
      log,
    });
    return {
      result: {
        reconcile: {
          skus: rec.skus,
          stores: rec.stores,
          seconds: rec.seconds,
          lowerBoundSeconds: rec.lowerBoundSeconds,
          ratio: rec.ratio,
        },
        catalog: catalogSummary(rec),
      },
      body: `${renderReconcile(rec)}\n`,
      detail: { reconcile: rec },
    };
  });
}

/**
 * Stream parameters: the issue's full size by default; `--quick` 1,000 SKUs at 10 orders/s for 30 s;
 * `--skus N` and `--stream-seconds S` override.
 */
const streamParams: Partial<StreamParams> = {
  retailers,
  marketplaces: drivers.map((d) => d.kind),
  // Issue 16 (decision 300): `--marketplace-allocations off` keeps the marketplaces buffered in the allocations run.
  marketplaceAllocations: argValue("--marketplace-allocations") !== "off",
  split: streamSplit(retailers, drivers.length),
  ...(quick
    ? { skus: 1000, ordersPerSecond: 10, durationMs: 30_000, settleMaxMs: 60_000, migrationMaxMs: 120_000 }
    : {}),
  ...(argValue("--skus") && only?.has("stream") ? { skus: Number(argValue("--skus")) } : {}),
  ...(argValue("--stream-seconds") ? { durationMs: Number(argValue("--stream-seconds")) * 1000 } : {}),
};

/** The stream scenario, without then with allocations, each on its own shop of `shopify`; writes the chart. */
async function runStreams(
  stack: Stack,
  shopify: Awaited<ReturnType<typeof startShopifyEmulator>>,
): Promise<StreamRun[]> {
  const runs: StreamRun[] = [];
  let run = 0;
  for (const allocations of argValue("--allocations") === "only"
    ? [true]
    : argValue("--allocations") === "off"
      ? [false]
      : [false, true]) {
    log(`stream: ${allocations ? "with" : "without"} allocations`);
    runs.push(
      await runStream({
        stack,
        shopify,
        shop: `stream-${allocations ? "alloc" : "plain"}.myshopify.com`,
        allocations,
        params: streamParams,
        drivers,
        run: run++,
        log,
      }),
    );
    const r = runs.at(-1)!;
    log(
      `stream ${allocations ? "with" : "without"} allocations: oversold ${r.oversold.total}, sold ${r.unitsSold}, settle ${r.settleSeconds} s, peak queue ${r.peakQueue.total}, wrong ${JSON.stringify(r.wrongAt)}, record exact ${r.recordExact}, ledger mismatches ${r.ledgerMismatchSkus}`,
    );
  }
  fs.mkdirSync(path.join(process.cwd(), "bench", "out"), { recursive: true });
  fs.writeFileSync(path.join(process.cwd(), "bench", "out", "stream.svg"), renderStreamSvg(runs));
  return runs;
}

/** The catalog-scale operations of the last JSON line (bench/catalog.ts): seconds, lower bound and ratio each. */
function catalogSummary(rec: ReconcileBench) {
  if (!rec.catalog) return null;
  const one = (r: { seconds: number; lowerBoundSeconds: number; ratio: number }) => ({
    seconds: r.seconds,
    lowerBoundSeconds: r.lowerBoundSeconds,
    ratio: r.ratio,
  });
  return {
    correct10k: one(rec.catalog.correct),
    enableAllocations10k: one(rec.catalog.enableAllocations),
    rebalance10k: one(rec.catalog.rebalance),
  };
}

/** The stream figures of the last JSON line, per run. */
function streamSummary(runs: StreamRun[]) {
  const one = (r: StreamRun | undefined) =>
    r && {
      oversold: r.oversold.total,
      oversoldByChannel: r.oversold.byChannel,
      unitsSold: r.unitsSold,
      settleSeconds: r.settleSeconds,
      peakQueue: r.peakQueue.total,
      storeWritesPerSecond: r.storeWrites.meanPerSecond,
      storeWritesPeakPerSecond: r.storeWrites.peakPerSecond,
      wrongAt5s: r.wrongAt["5"],
      wrongAt30s: r.wrongAt["30"],
      wrongAt60s: r.wrongAt["60"],
      recordExact: r.recordExact,
      ledgerExact: r.ledgerMismatchSkus === 0,
      ...(r.migration ? { migrationSeconds: r.migration.seconds } : {}),
      channels: r.channels.map((c) => ({
        name: c.name,
        kind: c.kind,
        orders: c.orders,
        unitsSold: c.unitsSold,
        oversold: c.oversold,
        toRecordMs: c.toRecord && {
          p50: c.toRecord.p50,
          p95: c.toRecord.p95,
          p99: c.toRecord.p99,
          open: c.toRecord.open,
          missing: c.toRecord.missing,
          nothingToApply: c.toRecord.nothingToApply,
        },
        fromRecordMs: c.fromRecord && {
          p50: c.fromRecord.p50,
          p95: c.fromRecord.p95,
          p99: c.fromRecord.p99,
          open: c.fromRecord.open,
        },
        wrongAt60s: c.wrongAt["60"],
        wrongAtEnd: c.wrongAtEnd,
        settleSeconds: c.settleSeconds,
        ...(c.marketplace
          ? {
              throttled: c.marketplace.throttled,
              feeds: c.marketplace.feeds,
              writes: c.writes,
              mode: c.marketplace.mode,
            }
          : {}),
      })),
    };
  const without = runs.find((r) => !r.allocations);
  const withA = runs.find((r) => r.allocations);
  const target = without && withA ? Math.floor(0.95 * (without.unitsSold - without.oversold.total)) : null;
  return {
    skus: streamParams.skus ?? STREAM_DEFAULTS.skus,
    withoutAllocations: one(without),
    withAllocations: one(withA),
    soldTarget: target,
  };
}

/** `--only stream`: the stream scenario alone. */
async function mainStreamOnly() {
  await soloScenario("stream", async (stack, shopify) => {
    const runs = await runStreams(stack, shopify);
    return {
      result: { stream: streamSummary(runs) },
      body: `${renderStream(runs, { ...STREAM_DEFAULTS, ...streamParams })}\nTimeline chart: bench/out/stream.svg. `,
      detail: { runs },
    };
  });
}

async function main() {
  if (only?.has("stream")) return mainStreamOnly();
  if (only?.has("reconcile")) return mainReconcileOnly();
  if (only && !only.has("flash")) return mainOnly();
  const started = Date.now();
  const db = await startDatabase();
  buildApp(log);
  let stack: Stack | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  try {
    log(`flash sale (naive): ${flash.units} units, ${flash.buyers} buyers over ${flash.arrivalWindowMs} ms`);
    const naive = await runNaive(flash);
    log(`flash sale (SyncFlow): starting app + worker`);
    const sf = await runSyncflow(
      flash,
      async (origin) =>
        (stack = await startStack({
          databaseUrl: db.url,
          shopifyOrigin: origin,
          log,
          env: { SYNCFLOW_BULK_POLL_MS: "500", ...(await marketplaceEnv()) },
        })),
      // Issue 16: the marketplaces sell in the SyncFlow run too (`--marketplaces none` for the earlier channels).
      drivers,
    );
    cleanups.push(sf.closeWorld, () => sf.shopify.close());
    const flashSale = {
      units: flash.units,
      buyers: flash.buyers,
      stores: sf.result.channels.length,
      naive: pick(naive),
      syncflow: pick(sf.result),
      channels: channelSummary(sf.result),
    };
    const flashDetail = { naive: detail(naive), syncflow: detail(sf.result) };
    fs.mkdirSync(path.join(process.cwd(), "bench", "out"), { recursive: true });
    fs.writeFileSync(
      path.join(process.cwd(), "bench", "out", "flash-sale.svg"),
      renderSvg(naive, sf.result, flash.units),
    );
    if (only?.has("flash")) {
      const result = { flashSale };
      const report = renderReport({ naive, syncflow: sf.result, seconds: (Date.now() - started) / 1000 });
      fs.writeFileSync(path.join(process.cwd(), "bench", "out", "report.md"), report);
      fs.writeFileSync(
        path.join(process.cwd(), "bench", "out", "result.json"),
        JSON.stringify({ ...result, detail: flashDetail }, null, 2),
      );
      console.log(report);
      console.log(JSON.stringify(result));
      return;
    }
    log(`reconcile: ${reconcileSkus} SKUs × 2 stores`);
    const rec = await runReconcile({
      stack: stack!,
      shopify: sf.shopify,
      skus: reconcileSkus,
      drifts: 5,
      catalog: !process.argv.includes("--no-catalog"),
      log,
    });
    log(`ingest: ${ingestMs} ms of signed webhooks`);
    const ing = await runIngest({
      stack: stack!,
      shop: "flash-syncflow.myshopify.com",
      durationMs: ingestMs,
      concurrency: INGEST_CONCURRENCY,
    });
    const ingDetail: IngestBench[] = [];
    for (const concurrency of INGEST_DETAIL_CONCURRENCY) {
      log(`ingest (detail): ${ingestMs} ms at ${concurrency} in flight`);
      ingDetail.push(
        await runIngest({ stack: stack!, shop: "flash-syncflow.myshopify.com", durationMs: ingestMs, concurrency }),
      );
    }
    const streams = await runStreams(stack!, sf.shopify);
    const rss = stack!.peakRssMb();
    const result = {
      flashSale,
      reconcile: {
        skus: rec.skus,
        stores: rec.stores,
        seconds: rec.seconds,
        lowerBoundSeconds: rec.lowerBoundSeconds,
        ratio: rec.ratio,
      },
      ingest: { webhooksPerSecond: ing.webhooksPerSecond, ackP99Ms: ing.ackP99Ms },
      catalog: catalogSummary(rec),
      stream: streamSummary(streams),
      rssMb: rss.sumPeakMb,
    };
    const report =
      renderReport({ naive, syncflow: sf.result, rec, ing, ingDetail, rss, seconds: (Date.now() - started) / 1000 }) +
      "\n" +
      renderStream(streams, { ...STREAM_DEFAULTS, ...streamParams }) +
      "\nTimeline chart: bench/out/stream.svg.\n";
    fs.writeFileSync(path.join(process.cwd(), "bench", "out", "report.md"), report);
    fs.writeFileSync(
      path.join(process.cwd(), "bench", "out", "result.json"),
      JSON.stringify(
        {
          ...result,
          detail: {
            reconcile: rec,
            ingest: ing,
            ingestByConcurrency: [ing, ...ingDetail],
            stream: streams,
            rss,
            ...flashDetail,
          },
        },
        null,
        2,
      ),
    );
    console.log(report);
    console.log(JSON.stringify(result));
  } finally {
    await teardown(stack, cleanups, db);
  }
}

/**
 * `--only ingest[,rss]`: embedded PostgreSQL, the Shopify emulator with one shop of `INGEST_ONLY_SKUS`
 * items (no stores), the real app + worker, onboarding, then the ingest scenario at each concurrency of
 * `--concurrency` (default 10, the headline). Prints a short table and, as the last line, one JSON object
 * `{"ingest":{webhooksPerSecond, ackP99Ms, ackP50Ms, concurrency}, "byConcurrency":[...], "rssMb", "rss"}`.
 * The peak RSS here covers onboarding + ingest only, not the flash sale and reconcile of the full run.
 */
async function mainOnly() {
  const concArg = process.argv.find((a, i) => process.argv[i - 1] === "--concurrency");
  const concurrencies = concArg ? concArg.split(",").map(Number) : [INGEST_CONCURRENCY];
  const skus = 200;
  const db = await startDatabase();
  buildApp(log);
  let stack: Stack | undefined;
  const shop = "ingest-bench.myshopify.com";
  const shopify = await startShopifyEmulator({
    apiKey: "syncflow-bench-api-key",
    apiSecret: "syncflow-bench-api-secret",
    latencyMs: 0,
    restoreRate: 2000,
    bucketSize: 40_000,
  });
  try {
    const created = shopify.control.createShop({ domain: shop, name: "Ingest Co" });
    for (let i = 0; i < skus; i++)
      shopify.control.createProduct(shop, {
        title: `Item ${i}`,
        variants: [{ sku: `ING-${i}`, price: 10, quantities: { [created.locationId]: 10 } }],
      });
    stack = await startStack({ databaseUrl: db.url, shopifyOrigin: shopify.url, log });
    shopify.control.setAppUrl(stack.appUrl);
    await onboardShop({ stack, shopify, shop, woo: [], expectedItems: skus });
    const runs: IngestBench[] = [];
    for (const concurrency of concurrencies) {
      log(`ingest: ${ingestMs} ms of signed webhooks, ${concurrency} in flight`);
      runs.push(await runIngest({ stack, shop, durationMs: ingestMs, concurrency }));
    }
    const rss = stack.peakRssMb();
    const head = runs.find((r) => r.concurrency === INGEST_CONCURRENCY) ?? runs[0]!;
    for (const r of runs)
      log(
        `ingest @${r.concurrency}: ${r.webhooksPerSecond}/s, p50 ${r.ackP50Ms} ms, p99 ${r.ackP99Ms} ms, ${JSON.stringify(r.statuses)}, CPU ms/webhook ${JSON.stringify(r.cpuMsPerWebhook)}, worker ${JSON.stringify(r.worker)}`,
      );
    log(`rss: peak sum ${rss.sumPeakMb} MB (app VmHWM ${rss.appHwmMb}, worker VmHWM ${rss.workerHwmMb})`);
    console.log(
      JSON.stringify({
        ingest: {
          webhooksPerSecond: head.webhooksPerSecond,
          ackP99Ms: head.ackP99Ms,
          ackP50Ms: head.ackP50Ms,
          concurrency: head.concurrency,
        },
        byConcurrency: runs,
        rssMb: rss.sumPeakMb,
        rss,
      }),
    );
  } finally {
    await teardown(stack, [() => shopify.close()], db);
  }
}

/**
 * Ends a run: the app and worker, then `cleanups` (emulators, worlds), this process's Prisma client and
 * pg-boss (the bench queues jobs too; stopped before PostgreSQL goes away so its pool does not log the
 * shutdown as errors), then PostgreSQL. Never throws.
 */
async function teardown(
  stack: Stack | undefined,
  cleanups: (() => Promise<unknown>)[],
  db: { stop: () => Promise<void> },
): Promise<void> {
  await stack?.stop().catch(() => {});
  for (const c of cleanups) await c().catch(() => {});
  const { default: prisma } = await import("../app/db.server");
  await prisma.$disconnect().catch(() => {});
  const { stopBoss } = await import("../app/jobs/queue.server");
  await stopBoss().catch(() => {});
  await db.stop().catch(() => {});
}

function pick(r: FlashResult) {
  return {
    oversold: r.oversold,
    sold: r.sold,
    exposureP99Ms: r.exposureP99Ms,
    propagationP99Ms: r.propagationP99Ms,
    overlapP99Ms: r.overlapP99Ms,
    strandedP99Ms: r.strandedP99Ms,
    ledgerExact: r.ledgerExact,
  };
}

/** Per-channel flash-sale figures of the SyncFlow run (last JSON line, `flashSale.channels`). */
function channelSummary(r: FlashResult) {
  const lat = (x: Latency | null) =>
    x && {
      p50: x.p50,
      p95: x.p95,
      p99: x.p99,
      open: x.open,
      ...(x.missing !== undefined ? { missing: x.missing } : {}),
    };
  return r.channels.map((c) => ({
    name: c.name,
    kind: c.kind,
    sold: c.sold,
    oversold: c.oversold,
    toRecordMs: lat(c.toRecord),
    fromRecordMs: lat(c.fromRecord),
    staleAtEnd: c.staleAtEnd,
  }));
}

/** The per-channel table (markdown) of one flash-sale run. */
function renderChannels(r: FlashResult): string {
  const lat = (x: Latency | null) =>
    x
      ? `${x.p50} / ${x.p95} / ${x.p99} (n ${x.n}${x.open ? `; ${x.open} not reached by the end` : ""}${x.missing ? `; ${x.missing} orders the hub never recorded` : ""})`
      : "–";
  return `| channel | units sold | oversold | channel → record p50 / p95 / p99 (ms) | record → channel p50 / p95 / p99 (ms) | exposure p99 (ms) | final shown | stale after the last order | last change after the last sale (ms) |
|---|---:|---:|---|---|---:|---:|:---:|---:|
${r.channels.map((c) => `| ${c.name} (${c.kind}) | ${c.sold} | ${c.oversold} | ${c.kind === "record" ? "– (sells on the record)" : lat(c.toRecord)} | ${lat(c.fromRecord)} | ${c.exposureP99Ms} | ${c.finalShown} | ${c.staleAtEnd ? "❌ stale" : "✅"} | ${c.lastChangeAfterLastSaleMs} |`).join("\n")}
`;
}

/** Flash-sale figures kept out of the last JSON line (its shape is fixed by issue 3) but in result.json and the report. */
function detail(r: FlashResult) {
  return {
    sold: r.sold,
    ledgerExact: r.ledgerExact,
    finalShown: r.finalShown,
    lagAfterLastSaleMs: r.lagAfterLastSaleMs,
    pendingAtEnd: r.pendingAtEnd,
    casRetries: r.casRetries,
    mutations: r.mutations,
    stages: r.stages,
    channels: r.channels,
  };
}

function renderReport(x: {
  naive: FlashResult;
  syncflow: FlashResult;
  rec?: ReconcileBench;
  ing?: IngestBench;
  ingDetail?: IngestBench[];
  rss?: ReturnType<Stack["peakRssMb"]>;
  seconds: number;
}): string {
  const { naive, syncflow } = x;
  const ok = (b: boolean) => (b ? "✅" : "❌");
  const lag = (r: FlashResult) =>
    r.lagAfterLastSaleMs === null
      ? `not within ${flash.settleMs} ms (${r.pendingAtEnd} pending)`
      : `${r.lagAfterLastSaleMs}`;
  const cas = (r: FlashResult) =>
    `adjust ${r.casRetries.adjust}/${r.mutations.adjust}, move ${r.casRetries.move}/${r.mutations.move}, set ${r.casRetries.set}/${r.mutations.set}`;
  const st = (x: { p50: number; p99: number; max: number }) => `${x.p50} / ${x.p99} / ${x.max}`;
  const flashPart = `# SyncFlow benchmark ${quick ? "(quick)" : "(full)"} — ${new Date().toISOString()}

## Flash sale — ${flash.units} units, ${flash.buyers} buyers over ${flash.arrivalWindowMs / 1000} s, Shopify + 2 WooCommerce${flash.retailers ? ` + ${flash.retailers} retailer Shopify shop${flash.retailers > 1 ? "s" : ""} (SyncFlow run; the naive syncer runs Shopify + 2 WooCommerce)` : ""} (realistic latency)${flash.allocations ? "" : "; SyncFlow WITHOUT allocations (`--flash-allocations off`)"}

| | oversold units | sold | exposure p99 (ms) | propagation p99 (ms) | overlap p99 (ms) | stranded p99 (ms) | Shopify final = units − sold | final shown (${syncflow.channelNames.join(" / ")}) |
|---|---:|---:|---:|---:|---:|---:|:---:|---|
| naive (absolute copy) | ${naive.oversold} | ${naive.sold} | ${naive.exposureP99Ms} | ${naive.propagationP99Ms} | ${naive.overlapP99Ms} | ${naive.strandedP99Ms} | ${ok(naive.ledgerExact)} (${naive.finalShopify}) | ${naive.finalShown.join(" / ")} |
| SyncFlow | ${syncflow.oversold} | ${syncflow.sold} | ${syncflow.exposureP99Ms} | ${syncflow.propagationP99Ms} | ${syncflow.overlapP99Ms} | ${syncflow.strandedP99Ms} | ${ok(syncflow.ledgerExact)} (${syncflow.finalShopify}) | ${syncflow.finalShown.join(" / ")} |

Targets: SyncFlow oversold = 0 ${ok(syncflow.oversold === 0)}; naive oversold > 0 ${ok(naive.oversold > 0)}.

Per channel, SyncFlow (channel → record: an order placed there → its units applied to Shopify's record; record → channel: a Shopify checkout → the channel shows ≤ the units left; stale: shows other than the units left at the end of the settle window):

${renderChannels(syncflow)}
| | lag after last sale (ms) | CAS retries / mutations |
|---|---:|---|
| naive | ${lag(naive)} | ${cas(naive)} |
| SyncFlow | ${lag(syncflow)} | ${cas(syncflow)} |
${
  syncflow.stages
    ? `
SyncFlow stages (ms, p50 / p99 / max): store webhook stored → processed ${st(syncflow.stages.webhookQueue)} (${syncflow.stages.webhookQueue.n} webhooks); sale pending → applied to Shopify ${st(syncflow.stages.adjust)} (${syncflow.stages.storeSales} store sales in ${syncflow.stages.shopifyWrites} Shopify writes).
`
    : ""
}`;
  if (!x.rec || !x.ing || !x.rss)
    return `${flashPart}
Total bench time ${x.seconds.toFixed(0)} s. Timeline chart: bench/out/flash-sale.svg.
`;
  const { rec, ing, rss } = x;
  return `${flashPart}
${renderReconcile(rec)}
## Ingest — signed Shopify webhooks from a second process (closed loop, 3 s warm-up, 10 s measured)

| in flight | accepted / s | ack p50 (ms) | ack p99 (ms) | sent | statuses | CPU ms per webhook (app / worker / PostgreSQL) |
|---:|---:|---:|---:|---:|---|---|
${[ing, ...(x.ingDetail ?? [])].map((r, i) => `| ${r.concurrency}${i === 0 ? " (headline)" : ""} | ${r.webhooksPerSecond} ${ok(r.webhooksPerSecond >= 300)} | ${r.ackP50Ms} | ${r.ackP99Ms} ${ok(r.ackP99Ms < 50)} | ${r.sent} | ${JSON.stringify(r.statuses)} | ${r.cpuMsPerWebhook ? `${r.cpuMsPerWebhook.app} / ${r.cpuMsPerWebhook.worker} / ${r.cpuMsPerWebhook.postgres}` : "–"} |`).join("\n")}

## Memory — peak RSS of app + worker processes

| peak sum of sampled RSS (MB) | app VmHWM (MB) | worker VmHWM (MB) |
|---:|---:|---:|
| ${rss.sumPeakMb} ${ok(rss.sumPeakMb < 400)} | ${rss.appHwmMb} | ${rss.workerHwmMb} |

Total bench time ${x.seconds.toFixed(0)} s. Timeline chart: bench/out/flash-sale.svg.
`;
}

/** The reconcile section of the report: figures, per-phase breakdown, lower bound terms, onboarding. */
function renderReconcile(rec: ReconcileBench): string {
  const ok = (b: boolean) => (b ? "✅" : "❌");
  const d = rec.detail;
  const order = ["webhooks", "orders", "load", "readRecord", "readStore", "reads", "compare", "writes", "finish"];
  const phaseNames = [...new Set([...order, ...[...d.real.phases, ...d.dryRun.phases].flatMap((p) => Object.keys(p))])];
  const phaseRow = (label: string, ps: Record<string, number>[]) =>
    ps
      .map(
        (p, i) => `| ${label} store ${i + 1} | ${phaseNames.map((n) => ((p[n] ?? 0) / 1000).toFixed(2)).join(" | ")} |`,
      )
      .join("\n");
  return `## Reconcile — ${rec.skus} SKUs × ${rec.stores} stores, Standard plan (100 pts/s), WooCommerce ${d.wooCost.perCallMs} ms/call + ${d.wooCost.perItemReadMs} ms/item read (REST) or the plugin's snapshot and batch, ${d.wooCost.workers} server workers

| measured (s) | lower bound (s) | ratio | per store (s) | Shopify bound (s) | Woo bound (s) | bulk ops (s each) | Woo calls/store | most requests queued at a store |
|---:|---:|---:|---|---:|---:|---|---:|---:|
| ${rec.seconds} | ${rec.lowerBoundSeconds} | ${rec.ratio} ${ok(rec.ratio <= 1.5)} | ${rec.perChannelSeconds.join(", ")} | ${d.bound.shopifySeconds} | ${d.bound.wooSeconds} (${d.bound.wooWorkerSeconds} worker-s / ${d.wooCost.workers}) | ${d.bulkOperations} (${d.bulkSeconds.join(", ")}) | ${d.wooCallsPerStore} | ${d.maxQueuedAtStore} |

Changes: ${
    Object.entries(rec.changes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ") || "none"
  }.
${
  rec.catalog
    ? `
Catalog-scale operations on the same shop (bench/catalog.ts; bounds in bench/README.md):

| operation | measured (s) | lower bound (s) | ratio (≤ 1.5) | ≤ 300 s | store writes (A / B) | Shopify mutations | |
|---|---:|---:|---:|:---:|---|---:|---|
${(
  [
    ["correcting every listing of store A", rec.catalog.correct],
    ["enabling allocations on both stores", rec.catalog.enableAllocations],
    ["a reconciliation's rebalancing", rec.catalog.rebalance],
  ] as const
)
  .map(
    ([n, r]) =>
      `| ${n} | ${r.seconds} | ${r.lowerBoundSeconds} | ${r.ratio} ${ok(r.ratio <= 1.5)} | ${ok(r.seconds <= 300)} | ${r.storeWrites.join(" / ")} | ${r.shopifyMutations} | ${r.detail} |`,
  )
  .join("\n")}
`
    : ""
}
Queue pick-up (enqueue → first store's run started): real ${d.real.startDelaySeconds} s, dry ${d.dryRun.startDelaySeconds} s.
Dry run first: ${d.dryRun.seconds} s, listed ${d.dryRun.planned} changes (${
    Object.entries(d.dryRun.changes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ") || "none"
  })${d.dryRun.failed.length ? `, FAILED: ${d.dryRun.failed.join("; ")}` : ""}.

Per phase (s; \`readRecord\` and \`readStore\` run in parallel, \`reads\` is their wall time):

| run | ${phaseNames.join(" | ")} |
|---|${phaseNames.map(() => "---:").join("|")}|
${phaseRow("real", d.real.phases)}
${phaseRow("dry", d.dryRun.phases)}

Onboarding (${rec.skus} SKUs, 2 stores, cost-free emulators): import ${d.onboarding.importSeconds} s, linking ${d.onboarding.linkSeconds} s, initial pushes settled ${d.onboarding.settleSeconds} s, total ${d.onboarding.totalSeconds} s.
Peak RSS app + worker: ${d.rssPeakMb.afterOnboarding} MB by the end of onboarding, ${d.rssPeakMb.afterReconcile} MB by the end of the reconcile runs.
`;
}

/** Two stacked step charts (naive, SyncFlow): shown quantity per channel and the true remaining over time. */
function renderSvg(naive: FlashResult, sf: FlashResult, units: number): string {
  const W = 900,
    H = 300,
    pad = 40;
  const palette = ["#008060", "#7f54b3", "#d0a000", "#c0392b", "#2980b9", "#8e44ad"];
  const maxT = Math.max(naive.timeline.at(-1)?.[0] ?? 1, sf.timeline.at(-1)?.[0] ?? 1);
  // A loop, not a spread: with marketplaces the SyncFlow run samples for minutes (≈ 200,000 values; issue 16).
  let maxQ = units;
  for (const r of [...naive.timeline, ...sf.timeline]) for (let k = 1; k < r.length; k++) maxQ = Math.max(maxQ, r[k]!);
  const panel = (r: FlashResult, y0: number, title: string) => {
    const n = r.channelNames.length;
    const x = (t: number) => pad + (t / maxT) * (W - 2 * pad);
    const y = (q: number) => y0 + H - pad - (Math.max(0, q) / maxQ) * (H - 2 * pad);
    const step = (col: number) => {
      let d = "";
      let last: number | null = null;
      for (const row of r.timeline) {
        const q = row[col]!;
        if (last === null) d += `M${x(row[0]!).toFixed(1)},${y(q).toFixed(1)}`;
        else if (q !== last) d += `H${x(row[0]!).toFixed(1)}V${y(q).toFixed(1)}`;
        last = q;
      }
      return d + `H${x(maxT).toFixed(1)}`;
    };
    const lines = Array.from({ length: n + 1 }, (_, i) => i + 1)
      .map(
        (c) =>
          `<path d="${step(c)}" fill="none" stroke="${c === n + 1 ? "#222" : palette[c - 1]}" stroke-width="${c === n + 1 ? 2.5 : 1.5}"${c === n + 1 ? ' stroke-dasharray="6 3"' : ""}/>`,
      )
      .join("");
    const sales = r.sales
      .map(
        (s) =>
          `<circle cx="${x(s.t).toFixed(1)}" cy="${(y0 + H - pad + 8).toFixed(1)}" r="2" fill="${palette[s.store]}"/>`,
      )
      .join("");
    return `<text x="${pad}" y="${y0 + 20}" font-size="14" font-weight="bold">${title} — oversold ${r.oversold}, exposure p99 ${r.exposureP99Ms} ms, propagation p99 ${r.propagationP99Ms} ms</text>
<line x1="${pad}" y1="${y0 + H - pad}" x2="${W - pad}" y2="${y0 + H - pad}" stroke="#999"/><line x1="${pad}" y1="${y0 + pad}" x2="${pad}" y2="${y0 + H - pad}" stroke="#999"/>
<text x="${pad - 4}" y="${y(maxQ) + 4}" font-size="10" text-anchor="end">${maxQ}</text><text x="${pad - 4}" y="${y(0) + 4}" font-size="10" text-anchor="end">0</text>
<text x="${W - pad}" y="${y0 + H - pad + 24}" font-size="10" text-anchor="end">${(maxT / 1000).toFixed(1)} s</text>${lines}${sales}`;
  };
  const names = sf.channelNames.length >= naive.channelNames.length ? sf.channelNames : naive.channelNames;
  const legend = [...names, "true remaining"]
    .map(
      (n, i) =>
        `<rect x="${pad + i * 150}" y="${2 * H + 8}" width="12" height="12" fill="${i === names.length ? "#222" : palette[i]}"/><text x="${pad + i * 150 + 18}" y="${2 * H + 18}" font-size="12">${n}</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 30}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>${panel(naive, 0, "Naive (absolute copy)")}${panel(sf, H, "SyncFlow")}${legend}</svg>
`;
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error("[bench] failed:", err);
    process.exit(1);
  });
