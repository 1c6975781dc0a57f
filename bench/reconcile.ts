/**
 * Reconciliation of a big catalog: `skus` SKUs on the emulated Shopify (Standard plan: 100 points/s,
 * bucket 2000) and two WooCommerce stores in exact mode, all in sync except a few drifts (manual edits on
 * each store, and Shopify levels whose webhooks were lost). Times the real `reconcile` job (reconcileShop
 * over both stores) from enqueue to the last SyncRun finishing, and computes the lower bound the platforms'
 * limits allow (bench/README.md). Setup (catalog import, linking) runs with fast emulators; the measured run
 * uses the realistic per-call latencies.
 */
import prisma from "../app/db.server";
import { enqueue, QUEUES, stopBoss } from "../app/jobs/queue.server";
import { waitFor } from "../tests/harness/world";
import { startWooEmulator, REALISTIC_WOO_LATENCY, type WooEmulator } from "../tests/emulators/woocommerce/index";
import type { ShopifyEmulator } from "../tests/emulators/shopify/index";
import { onboardShop } from "./lib/onboard";
import type { Stack } from "./lib/stack";

/** Result of the reconcile scenario (seconds unless stated). */
export interface ReconcileBench {
  skus: number;
  stores: number;
  seconds: number;
  lowerBoundSeconds: number;
  ratio: number;
  perChannelSeconds: number[];
  changes: Record<string, number>;
  detail: {
    wooCallsPerStore: number;
    wooCallLatencyMs: number;
    bulkOperations: number;
    bulkSeconds: number[];
    shopifyBoundSeconds: number;
    wooBoundSeconds: number;
    /** Hub-side DB work estimate: time per channel not explained by the reads. */
    dbSecondsPerChannel: number[];
    microbench: { findUniqueLoopMs: number; findManyMs: number; items: number };
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

/** Runs the scenario on the running stack and Shopify emulator. */
export async function runReconcile(input: { stack: Stack; shopify: ShopifyEmulator; skus: number; drifts: number; log: (m: string) => void }): Promise<ReconcileBench> {
  const { stack, shopify, skus, drifts, log } = input;
  const t = Date.now();
  shopify.control.setRateLimit({ restoreRate: 2000, bucketSize: 40_000 }); // setup only: fast import
  const created = shopify.control.createShop({ domain: SHOP, name: "Big Catalog Co" });
  for (let i = 0; i < skus; i++) {
    shopify.control.createProduct(SHOP, { title: `Item ${i}`, variants: [{ sku: sku(i), price: 10, quantities: { [created.locationId]: qty(i) } }] });
  }
  const woo: WooEmulator[] = [];
  for (let s = 0; s < 2; s++) {
    const w = await startWooEmulator({ siteName: `Big Woo ${s + 1}`, deliveryDelayMs: 50 });
    for (let i = 0; i < skus; i++) w.store.createProduct({ type: "simple", name: `Item ${i}`, sku: sku(i), regular_price: "10", status: "publish", manage_stock: true, stock_quantity: qty(i) });
    woo.push(w);
  }
  const { shopId, channelIds } = await onboardShop({ stack, shopify, shop: SHOP, woo, expectedItems: skus, timeoutMs: 600_000 });
  await waitFor("setup jobs drained", async () => (await queueBusy()) === 0, 600_000, 500);
  log(`reconcile setup: ${skus} SKUs imported and linked on 2 stores in ${((Date.now() - t) / 1000).toFixed(0)} s`);

  // Drifts: manual edits on each store (not propagated), and Shopify changes whose webhooks are lost.
  for (let d = 0; d < drifts; d++) {
    woo[0]!.control.setStock(sku(10 + d), qty(10 + d) + 3);
    woo[1]!.control.setStock(sku(500 + d), Math.max(0, qty(500 + d) - 2));
  }
  shopify.control.setFaults({ dropWebhooks: drifts });
  for (let d = 0; d < drifts; d++) shopify.control.setAvailable(SHOP, { sku: sku(900 + d), available: qty(900 + d) - 1 });
  await Promise.all(woo.map((w) => w.control.idle()));
  await new Promise((r) => setTimeout(r, 1500));
  await waitFor("drift webhooks processed", async () => (await queueBusy()) === 0, 60_000, 200);

  // Measured run: Standard plan, realistic WooCommerce per-call latency.
  const lat = REALISTIC_WOO_LATENCY.latencyMs;
  shopify.control.setRateLimit({ restoreRate: 100, bucketSize: 2000 });
  for (const w of woo) w.control.setFaults({ latencyMs: lat });
  const before = woo.map((w) => [...w.requestCounts.values()].reduce((a, b) => a + b, 0));
  const bulkBefore = new Set(shopify.control.graphqlLog(SHOP).map((c) => c.at));
  const t0 = new Date();
  await enqueue(QUEUES.reconcile, { shopId, dryRun: false, trigger: "bench" });
  const runs = await waitFor("reconcile finished", async () => {
    const rs = await prisma.syncRun.findMany({ where: { shopId, kind: "reconcile", startedAt: { gte: t0 } } });
    return rs.length === 2 && rs.every((r) => r.status !== "running" && r.finishedAt) ? rs : null;
  }, 900_000, 100);
  const t1 = Math.max(...runs.map((r) => r.finishedAt!.getTime()));
  const seconds = (t1 - t0.getTime()) / 1000;
  for (const w of woo) w.control.resetFaults();
  const failed = runs.filter((r) => r.status !== "succeeded");
  if (failed.length) log(`WARNING: reconcile run failed: ${failed.map((r) => r.error).join("; ")}`);

  const wooCalls = woo.map((w, i) => [...w.requestCounts.values()].reduce((a, b) => a + b, 0) - before[i]!);
  const gql = shopify.control.graphqlLog(SHOP).filter((c) => !bulkBefore.has(c.at) && c.at >= t0.getTime());
  const bulkRuns = gql.filter((c) => c.query.includes("bulkOperationRunQuery"));
  const bulkPolls = gql.filter((c) => c.query.includes("SyncflowBulkOperation"));
  const bulkSeconds = bulkRuns.map((r) => {
    const done = bulkPolls.find((p) => p.at > r.at && JSON.stringify(p.response).includes("COMPLETED"));
    return done ? (done.at - r.at) / 1000 : NaN;
  });

  // Lower bound (bench/README.md): stores read in parallel with Shopify; fixed calls; required writes.
  const timing = shopify.control.setBulkTiming({});
  const objects = skus * 2; // one line per inventory item + one per level (1 location)
  const shopifyLatency = Number(process.env.BENCH_SHOPIFY_LATENCY_MS ?? 75);
  const bulkBound = (2 * shopifyLatency + timing.startupMs + (objects / timing.objectsPerSecond) * 1000) / 1000;
  // Paged alternative: readAvailable, ≥ 3 points per item (node + level + quantities) over 100 pts/s after a 2000-point bucket.
  const pagedBound = Math.max(0, skus * 3 - 2000) / 100;
  const shopifyBound = Math.min(bulkBound, pagedBound);
  const pages = Math.ceil(skus / 100);
  const wooBound = (pages * lat) / 1000;
  const fixed = (2 * lat) / 1000; // webhooks list + modified orders list (before the parallel reads)
  const writes = (drifts * lat) / 1000; // one compare-and-set per drifted listing of a store
  const lowerBoundSeconds = fixed + Math.max(shopifyBound, wooBound) + writes;

  const changes: Record<string, number> = {};
  for (const r of runs) for (const c of (r.plan as { kind: string }[] | null) ?? []) changes[c.kind] = (changes[c.kind] ?? 0) + 1;
  const perChannelSeconds = channelIds.map((id) => (runs.find((r) => r.channelId === id)?.durationMs ?? NaN) / 1000);
  const readPart = Math.max(Number.isFinite(bulkSeconds[0]!) ? bulkSeconds[0]! : bulkBound, wooBound);
  const dbSecondsPerChannel = perChannelSeconds.map((s) => Math.max(0, s - readPart - fixed - writes));

  // Micro-benchmark of the per-listing level read in reconcile step 3 (same database, same rows).
  const items = await prisma.catalogItem.findMany({ where: { shopId }, select: { id: true } });
  const m0 = Date.now();
  for (const it of items) await prisma.inventoryLevel.findUnique({ where: { itemId_locationGid: { itemId: it.id, locationGid: created.locationId } } });
  const findUniqueLoopMs = Date.now() - m0;
  const m1 = Date.now();
  await prisma.inventoryLevel.findMany({ where: { shopId, locationGid: { in: [created.locationId] } } });
  const findManyMs = Date.now() - m1;

  await stopBoss();
  await Promise.all(woo.map((w) => w.close()));
  return {
    skus, stores: 2, seconds: round(seconds), lowerBoundSeconds: round(lowerBoundSeconds), ratio: round(seconds / lowerBoundSeconds),
    perChannelSeconds: perChannelSeconds.map(round), changes,
    detail: {
      wooCallsPerStore: Math.max(...wooCalls), wooCallLatencyMs: lat, bulkOperations: bulkRuns.length, bulkSeconds: bulkSeconds.map(round),
      shopifyBoundSeconds: round(shopifyBound), wooBoundSeconds: round(wooBound), dbSecondsPerChannel: dbSecondsPerChannel.map(round),
      microbench: { findUniqueLoopMs, findManyMs, items: items.length },
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
