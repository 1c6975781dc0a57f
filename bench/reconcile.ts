/**
 * Reconciliation of a big catalog: `skus` SKUs on the emulated Shopify (Standard plan: 100 points/s,
 * bucket 2000) and two WooCommerce stores in exact mode, all in sync except a few drifts (manual edits on
 * each store, and Shopify levels whose webhooks were lost). Times the real `reconcile` job (reconcileShop
 * over both stores) from enqueue to the last SyncRun finishing — first as a dry run (which must list every
 * change), then for real — and computes the lower bound the platforms' limits allow (bench/README.md).
 *
 * Setup (catalog import, linking) runs with cost-free WooCommerce emulators and a fast Shopify rate; the
 * measured runs use the realistic WooCommerce cost model set at runtime (`control.setLatency`: 180 ms per
 * call, 9 ms per item read, 2 server workers) and Shopify's Standard plan rate. Times in s unless stated.
 */
import prisma from "../app/db.server";
import { enqueue, QUEUES, stopBoss } from "../app/jobs/queue.server";
import { waitFor } from "../tests/harness/world";
import { startWooEmulator, type WooEmulator } from "../tests/emulators/woocommerce/index";
import { REALISTIC_STREAM_WOO } from "../tests/emulators/woocommerce/syncflow-stock";
import { runCatalogScenarios, type CatalogBench } from "./catalog";
import type { ShopifyEmulator } from "../tests/emulators/shopify/index";
import { onboardShop } from "./lib/onboard";
import type { Stack } from "./lib/stack";

/** One timed reconcile job (both stores). */
export interface ReconcileRunFigures {
  seconds: number;
  /** From enqueue to the first store's run starting (queue pick-up; another reconcile job holding the queue shows here). */
  startDelaySeconds: number;
  perChannelSeconds: number[];
  /** Per store: ms by phase (ReconcileResult.phases). */
  phases: Record<string, number>[];
  changes: Record<string, number>;
  /** The same per store (in store order). */
  changesPerStore: Record<string, number>[];
  /** Changes listed in the SyncRun plans (a dry run stores every change). */
  planned: number;
  failed: string[];
}

/** Result of the reconcile scenario (seconds unless stated). */
export interface ReconcileBench {
  /** Correcting every listing of a store, enabling allocations, a reconciliation's rebalancing (bench/catalog.ts). */
  catalog: CatalogBench | null;
  skus: number;
  stores: number;
  seconds: number;
  lowerBoundSeconds: number;
  ratio: number;
  perChannelSeconds: number[];
  changes: Record<string, number>;
  detail: {
    onboarding: { importSeconds: number; linkSeconds: number; settleSeconds: number; totalSeconds: number };
    /** Peak RSS (MB, app + worker) sampled up to the end of onboarding, then up to the end of the scenario. */
    rssPeakMb: { afterOnboarding: number; afterReconcile: number };
    dryRun: ReconcileRunFigures;
    real: ReconcileRunFigures;
    wooCallsPerStore: number;
    wooCost: { perCallMs: number; perItemReadMs: number; workers: number };
    maxQueuedAtStore: number;
    bulkOperations: number;
    bulkSeconds: number[];
    bound: {
      shopifySeconds: number;
      bulkSeconds: number;
      pagedSeconds: number;
      wooWorkerSeconds: number;
      wooSeconds: number;
      writesPerStore: number;
    };
  };
}

const SHOP = "reconcile-bench.myshopify.com";
const sku = (i: number) => `REC-${String(i).padStart(5, "0")}`;
const qty = (i: number) => 5 + (i % 40);

async function queueBusy(): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*)::bigint AS n FROM pgboss.job WHERE state IN ('created','retry','active') AND name NOT IN ('sweep','reconcile-tick','stock-watch','sheets-sync','daily-summary','notify','notify-send')`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Enqueues one reconcile job for the shop and waits for both stores' SyncRuns. */
async function timedRun(
  shopId: string,
  channelIds: string[],
  dryRun: boolean,
): Promise<ReconcileRunFigures & { t0: number }> {
  const t0 = new Date();
  await enqueue(QUEUES.reconcile, { shopId, dryRun, trigger: "bench" });
  const runs = await waitFor(
    `reconcile${dryRun ? " (dry run)" : ""} finished`,
    async () => {
      const rs = await prisma.syncRun.findMany({
        where: { shopId, kind: "reconcile", dryRun, startedAt: { gte: t0 } },
      });
      return rs.length === channelIds.length && rs.every((r) => r.status !== "running" && r.finishedAt) ? rs : null;
    },
    900_000,
    100,
  );
  const t1 = Math.max(...runs.map((r) => r.finishedAt!.getTime()));
  // The job's output carries each store's phase timings (app/jobs/worker.server.ts).
  const jobs = await waitFor(
    "reconcile job output",
    async () => {
      const rows = await prisma.$queryRawUnsafe<{ output: unknown }[]>(
        `SELECT output FROM pgboss.job WHERE name = 'reconcile' AND state = 'completed' AND created_on >= $1 ORDER BY created_on DESC LIMIT 1`,
        t0,
      );
      return rows.length ? rows : null;
    },
    10_000,
    100,
  ).catch((e) => (console.error("[bench] job output:", e), [] as { output: unknown }[]));
  if (process.env.BENCH_DEBUG)
    console.error(
      "[bench] runs",
      JSON.stringify(
        runs.map((r) => ({
          id: r.id,
          ch: r.channelId,
          dry: r.dryRun,
          s: r.startedAt,
          f: r.finishedAt,
          d: r.durationMs,
          changed: r.changed,
          plan: Array.isArray(r.plan) ? (r.plan as unknown[]).length : r.plan,
          status: r.status,
        })),
      ),
      JSON.stringify(jobs).slice(0, 500),
    );
  type Summary = { runId: string; phases?: Record<string, number> }[];
  const raw = jobs[0]?.output as Summary | { value?: Summary } | null | undefined; // pg-boss wraps a non-object output in {value}
  const out: Summary = Array.isArray(raw) ? raw : (raw?.value ?? []);
  const changes: Record<string, number> = {};
  const changesPerStore = channelIds.map(() => ({}) as Record<string, number>);
  let planned = 0;
  for (const r of runs)
    for (const c of (r.plan as { kind: string }[] | null) ?? []) {
      changes[c.kind] = (changes[c.kind] ?? 0) + 1;
      const mine = changesPerStore[channelIds.indexOf(r.channelId ?? "")];
      if (mine) mine[c.kind] = (mine[c.kind] ?? 0) + 1;
      planned++;
    }
  return {
    t0: t0.getTime(),
    seconds: round((t1 - t0.getTime()) / 1000),
    startDelaySeconds: round((Math.min(...runs.map((r) => r.startedAt.getTime())) - t0.getTime()) / 1000),
    perChannelSeconds: channelIds.map((id) => round((runs.find((r) => r.channelId === id)?.durationMs ?? NaN) / 1000)),
    phases: channelIds.map((id) => out.find((o) => o.runId === runs.find((r) => r.channelId === id)?.id)?.phases ?? {}),
    changes,
    changesPerStore,
    planned,
    failed: runs.filter((r) => r.status !== "succeeded").map((r) => r.error ?? r.status),
  };
}

/** Runs the scenario on the running stack and Shopify emulator. */
export async function runReconcile(input: {
  stack: Stack;
  shopify: ShopifyEmulator;
  skus: number;
  drifts: number;
  catalog?: boolean;
  log: (m: string) => void;
}): Promise<ReconcileBench> {
  const { stack, shopify, skus, drifts, log } = input;
  const t = Date.now();
  shopify.control.setRateLimit({ restoreRate: 2000, bucketSize: 40_000 }); // setup only: fast import
  const created = shopify.control.createShop({ domain: SHOP, name: "Big Catalog Co" });
  for (let i = 0; i < skus; i++) {
    shopify.control.createProduct(SHOP, {
      title: `Item ${i}`,
      variants: [{ sku: sku(i), price: 10, quantities: { [created.locationId]: qty(i) } }],
    });
  }
  const woo: WooEmulator[] = [];
  for (let s = 0; s < 2; s++) {
    const w = await startWooEmulator({ siteName: `Big Woo ${s + 1}`, deliveryDelayMs: 50 }); // cost-free until the measured runs
    for (let i = 0; i < skus; i++)
      w.store.createProduct({
        type: "simple",
        name: `Item ${i}`,
        sku: sku(i),
        regular_price: "10",
        status: "publish",
        manage_stock: true,
        stock_quantity: qty(i),
      });
    woo.push(w);
  }
  const tOnboard = Date.now();
  const { shopId, channelIds, importMs, linkMs } = await onboardShop({
    stack,
    shopify,
    shop: SHOP,
    woo,
    expectedItems: skus,
    timeoutMs: 1_800_000,
  });
  const tLinked = Date.now();
  await waitFor("setup jobs drained", async () => (await queueBusy()) === 0, 1_800_000, 500);
  const onboarding = {
    importSeconds: round(importMs / 1000),
    linkSeconds: round(linkMs / 1000),
    settleSeconds: round((Date.now() - tLinked) / 1000),
    totalSeconds: round((Date.now() - tOnboard) / 1000),
  };
  const rssAfterOnboarding = stack.peakRssMb().sumPeakMb;
  log(
    `reconcile setup: ${skus} SKUs on 2 stores in ${((Date.now() - t) / 1000).toFixed(0)} s; onboarding ${JSON.stringify(onboarding)}`,
  );

  // A first reconciliation in sync (untimed): the steady state has a previous run, and the scheduler
  // (which reconciles a shop that never was right away) does not start one during the measurement.
  const warm = await timedRun(shopId, channelIds, false);
  log(`reconcile warm-up (in sync, cost-free emulators): ${warm.seconds} s, changes ${JSON.stringify(warm.changes)}`);

  // Drifts: manual edits on each store (not propagated), and Shopify changes whose webhooks are lost.
  const mid = Math.floor(skus / 2),
    late = Math.floor(skus * 0.9);
  for (let d = 0; d < drifts; d++) {
    woo[0]!.control.setStock(sku(10 + d), qty(10 + d) + 3);
    woo[1]!.control.setStock(sku(mid + d), Math.max(0, qty(mid + d) - 2));
  }
  shopify.control.setFaults({ dropWebhooks: drifts });
  for (let d = 0; d < drifts; d++)
    shopify.control.setAvailable(SHOP, { sku: sku(late + d), available: qty(late + d) - 1 });
  await Promise.all(woo.map((w) => w.control.idle()));
  await new Promise((r) => setTimeout(r, 1500));
  await waitFor("drift webhooks processed", async () => (await queueBusy()) === 0, 60_000, 200);

  // Measured runs: Standard plan, realistic WooCommerce cost (per call, per item read, the plugin's batch and snapshot as
  // measured on the real WooCommerce 10.0.2, 4 PHP workers: REALISTIC_STREAM_WOO), webhooks delivered as before.
  const cost = {
    latencyMs: REALISTIC_STREAM_WOO.latencyMs,
    readLatencyPerItemMs: REALISTIC_STREAM_WOO.readLatencyPerItemMs,
    batchLatencyPerItemMs: REALISTIC_STREAM_WOO.batchLatencyPerItemMs,
    maxConcurrent: REALISTIC_STREAM_WOO.maxConcurrent,
    pluginBatchLatencyPerItemMs: REALISTIC_STREAM_WOO.pluginBatchLatencyPerItemMs,
    snapshotLatencyPerRowMs: REALISTIC_STREAM_WOO.snapshotLatencyPerRowMs,
  };
  shopify.control.setRateLimit({ restoreRate: 100, bucketSize: 2000 });
  for (const w of woo) w.control.setLatency(cost);

  const dryRun = await timedRun(shopId, channelIds, true);
  log(
    `reconcile dry run: ${dryRun.seconds} s, ${dryRun.planned} changes listed ${JSON.stringify(dryRun.changes)}${dryRun.failed.length ? `, FAILED: ${dryRun.failed.join("; ")}` : ""}`,
  );
  await new Promise((r) => setTimeout(r, 2500)); // Shopify's bucket refills (2000 points at 100/s = 20 s would be full; the bulk path needs few)

  const before = woo.map((w) => [...w.requestCounts.values()].reduce((a, b) => a + b, 0));
  const real = await timedRun(shopId, channelIds, false);
  if (real.failed.length) log(`WARNING: reconcile run failed: ${real.failed.join("; ")}`);
  const wooCalls = woo.map((w, i) => [...w.requestCounts.values()].reduce((a, b) => a + b, 0) - before[i]!);
  const maxQueuedAtStore = Math.max(...woo.map((w) => w.control.queueStats().maxWaiting)); // over both measured runs

  const gql = shopify.control.graphqlLog(SHOP).filter((c) => c.at >= real.t0);
  const bulkRuns = gql.filter((c) => c.query.includes("bulkOperationRunQuery"));
  const bulkPolls = gql.filter((c) => c.query.includes("SyncflowBulkOperation"));
  const bulkSeconds = bulkRuns.map((r) => {
    const done = bulkPolls.find((p) => p.at > r.at && JSON.stringify(p.response).includes("COMPLETED"));
    return done ? round((done.at - r.at) / 1000) : NaN;
  });

  // Lower bound (bench/README.md).
  const timing = shopify.control.setBulkTiming({});
  const locations = 1;
  const objects = skus * (1 + locations); // one JSONL line per inventory item + one per level
  const L_s = Number(process.env.BENCH_SHOPIFY_LATENCY_MS ?? 75) / 1000;
  const L = cost.latencyMs / 1000;
  const c = cost.maxConcurrent;
  const o = cost.pluginBatchLatencyPerItemMs / 1000;
  const sRow = cost.snapshotLatencyPerRowMs / 1000;
  const bulkBound = 2 * L_s + timing.startupMs / 1000 + objects / timing.objectsPerSecond;
  const pagedBound = Math.max(0, 3 * skus - 2000) / 100; // ≥ 3 points per item at 100 pts/s after the 2000-point bucket
  const shopifyBound = Math.min(bulkBound, pagedBound);
  // Writes any implementation must make on a store: its listings that differ from the record (the changes counted).
  const writesPerStore = Math.max(0, ...real.changesPerStore.map((ch) => ch.store_corrected ?? 0));
  // A store (decision 101): webhook list, orders list and the snapshot pages one after the other (keyset: each page
  // needs the last id of the one before), then the compare-and-set writes in batches of ≤ 100 over its c workers.
  const snapshotPages = Math.ceil(skus / 5000);
  const writeBound = storeWriteBound(writesPerStore, { L, o, c });
  const wooBound = (2 + snapshotPages) * L + skus * sRow + writeBound;
  const wooWorkerSeconds = (2 + snapshotPages + Math.ceil(writesPerStore / 100)) * L + skus * sRow + writesPerStore * o;
  // The writes need the derived quantities, which need Shopify's record: record read, then the writes.
  const lowerBoundSeconds = Math.max(wooBound, shopifyBound + writeBound);

  // Catalog-scale corrections and allocations on the same shop (bench/catalog.ts).
  const catalog = input.catalog
    ? await runCatalogScenarios({ stack, shopify, shop: SHOP, shopId, channelIds, woo, skus, cost, log })
    : null;
  for (const w of woo)
    w.control.setLatency({
      latencyMs: 0,
      readLatencyPerItemMs: 0,
      batchLatencyPerItemMs: 0,
      maxConcurrent: 0,
      pluginBatchLatencyPerItemMs: 0,
      snapshotLatencyPerRowMs: 0,
    });

  await stopBoss();
  await Promise.all(woo.map((w) => w.close()));
  return {
    catalog,
    skus,
    stores: 2,
    seconds: real.seconds,
    lowerBoundSeconds: round(lowerBoundSeconds),
    ratio: round(real.seconds / lowerBoundSeconds),
    perChannelSeconds: real.perChannelSeconds,
    changes: real.changes,
    detail: {
      onboarding,
      rssPeakMb: { afterOnboarding: rssAfterOnboarding, afterReconcile: stack.peakRssMb().sumPeakMb },
      dryRun,
      real,
      wooCallsPerStore: Math.max(...wooCalls),
      wooCost: { perCallMs: cost.latencyMs, perItemReadMs: cost.readLatencyPerItemMs, workers: c },
      maxQueuedAtStore,
      bulkOperations: bulkRuns.length,
      bulkSeconds,
      bound: {
        shopifySeconds: round(shopifyBound),
        bulkSeconds: round(bulkBound),
        pagedSeconds: round(pagedBound),
        wooWorkerSeconds: round(wooWorkerSeconds),
        wooSeconds: round(wooBound),
        writesPerStore,
      },
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/**
 * The least time `w` store writes take at a store (s): batches of ≤ 100 ops (one call, `L` + `o` per op), the calls
 * spread over its `c` workers, each call on one worker (a call cannot be split): max(largest call, total / c).
 */
export function storeWriteBound(w: number, cost: { L: number; o: number; c: number }): number {
  if (w <= 0) return 0;
  const calls = Math.ceil(w / 100);
  const total = calls * cost.L + w * cost.o;
  return Math.max(cost.L + Math.min(100, w) * cost.o, total / cost.c);
}
