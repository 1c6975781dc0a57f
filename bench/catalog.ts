/**
 * Catalog-scale work on the reconcile scenario's shop (10,000 SKUs × 2 exact stores, realistic store cost:
 * REALISTIC_STREAM_WOO), each timed against the lower bound its platform costs allow (bench/README.md, "Catalog-scale
 * corrections and allocations"):
 * 1. correcting 10,000 drifted listings on one exact store: every listing of store A edited on the store (its webhooks
 *    lost), then the store's reconciliation — snapshot read, compare, compare-and-set corrections in batches of 100;
 * 2. enabling allocations on the 10,000 listings of both stores, as the Settings page does (the flag, then a rebalance
 *    request of every linked item, decision 318): every listing migrated — units reserved on Shopify in batched moves, each store set to its share in
 *    batched compare-and-sets — timed until nothing is left to do;
 * 3. a scheduled reconciliation's rebalancing of 10,000 allocated items: the merchant receives stock for every item on
 *    Shopify while its webhooks are lost; the reconciliation corrects the record from Shopify, finds the items whose
 *    split is off target and rebalances them in batches — timed from the reconcile job to the last step.
 * Times in s.
 */
import { Prisma } from "@prisma/client";
import prisma from "../app/db.server";
import { enqueue, QUEUES } from "../app/jobs/queue.server";
import { waitFor } from "../tests/harness/world";
import type { ShopifyEmulator } from "../tests/emulators/shopify/index";
import type { WooEmulator } from "../tests/emulators/woocommerce/index";
import type { Stack } from "./lib/stack";
import { storeWriteBound } from "./reconcile";

/** One timed catalog-scale operation. */
export interface CatalogRun {
  seconds: number;
  lowerBoundSeconds: number;
  ratio: number;
  /** Writes each store had to take (units of its bound), and Shopify calls made. */
  storeWrites: number[];
  shopifyMutations: number;
  detail: string;
}

export interface CatalogBench {
  correct: CatalogRun;
  enableAllocations: CatalogRun;
  rebalance: CatalogRun;
}

type Cost = {
  latencyMs: number;
  maxConcurrent: number;
  pluginBatchLatencyPerItemMs: number;
  snapshotLatencyPerRowMs: number;
};

const round = (x: number) => Math.round(x * 100) / 100;

async function queueBusy(): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*)::bigint AS n FROM pgboss.job WHERE state IN ('created','retry','active') AND name NOT IN ('sweep','reconcile-tick','stock-watch','sheets-sync','daily-summary','notify','notify-send','dead-letter')`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Store write ops the plugin served since `since` (batch ops + single writes), per store. */
function writesSince(woo: WooEmulator[], since: { ops: number }[]): number[] {
  return woo.map((w, i) => opsOf(w) - since[i]!.ops);
}
function opsOf(w: WooEmulator): number {
  let n = w.itemCounts.get("/wp-json/wc-syncflow/v1/stock/batch") ?? 0;
  for (const [k, v] of w.requestCounts) if (/stock\/(delta|cas)$/.test(k)) n += v;
  return n;
}

/** Runs the three operations in order (see the module docs). */
export async function runCatalogScenarios(input: {
  stack: Stack;
  shopify: ShopifyEmulator;
  shop: string;
  shopId: string;
  channelIds: string[];
  woo: WooEmulator[];
  skus: number;
  cost: Cost;
  log: (m: string) => void;
}): Promise<CatalogBench> {
  const { shopify, shop, shopId, channelIds, woo, skus, cost, log } = input;
  const L = cost.latencyMs / 1000;
  const o = cost.pluginBatchLatencyPerItemMs / 1000;
  const c = cost.maxConcurrent;
  const sRow = cost.snapshotLatencyPerRowMs / 1000;
  const Ls = Number(process.env.BENCH_SHOPIFY_LATENCY_MS ?? 75) / 1000;
  const mutationsSince = (t: number) =>
    shopify.control.graphqlLog(shop).filter((x) => x.at >= t && /^\s*mutation/.test(x.query)).length;

  // ---- 1. 10,000 drifted listings on store A
  await waitFor("idle before corrections", async () => (await queueBusy()) === 0, 300_000, 500);
  woo[0]!.control.setFaults({ dropDeliveries: 1_000_000 });
  for (const p of woo[0]!.store.products.values())
    if (p.sku && p.manage_stock) woo[0]!.store.updateStock(p, (p.stock_quantity ?? 0) + 1, "set");
  await woo[0]!.control.idle();
  woo[0]!.control.setFaults({ dropDeliveries: 0 });
  const ops1 = woo.map((w) => ({ ops: opsOf(w) }));
  let t0 = Date.now();
  await enqueue(QUEUES.reconcile, { shopId, channelId: channelIds[0], dryRun: false, trigger: "bench" });
  const run1 = await waitFor(
    "corrections reconciled",
    async () => {
      const r = await prisma.syncRun.findFirst({
        where: { shopId, channelId: channelIds[0], kind: "reconcile", startedAt: { gte: new Date(t0) } },
      });
      return r && r.status !== "running" ? r : null;
    },
    900_000,
    250,
  );
  const seconds1 = (run1.finishedAt!.getTime() - t0) / 1000;
  const w1 = writesSince(woo, ops1);
  // Bound: the store's reads one after the other (webhooks, orders, snapshot pages), then its writes over its workers.
  const bound1 = (2 + Math.ceil(skus / 5000)) * L + skus * sRow + storeWriteBound(w1[0]!, { L, o, c });
  const correct: CatalogRun = {
    seconds: round(seconds1),
    lowerBoundSeconds: round(bound1),
    ratio: round(seconds1 / bound1),
    storeWrites: w1,
    shopifyMutations: mutationsSince(t0),
    detail: `${run1.changed} corrected, status ${run1.status}${run1.error ? ` (${run1.error.slice(0, 200)})` : ""}`,
  };
  log(
    `catalog: correcting ${skus} drifted listings: ${correct.seconds} s (bound ${correct.lowerBoundSeconds} s, ratio ${correct.ratio}), ${w1[0]} store writes`,
  );

  // ---- 2. Enabling allocations on both stores (as the Settings page does, app/models/settings.server.ts: the flag, then
  //         each store's rebalance request of its linked items — decision 318)
  await waitFor("idle before allocations", async () => (await queueBusy()) === 0, 300_000, 500);
  const ops2 = woo.map((w) => ({ ops: opsOf(w) }));
  t0 = Date.now();
  await prisma.channel.updateMany({ where: { id: { in: channelIds } }, data: { allocationEnabled: true } });
  for (const id of channelIds) await enqueue(QUEUES.initialPushCheck, { shopId, channelId: id });
  const total = await prisma.listing.count({ where: { channelId: { in: channelIds }, matchStatus: "linked" } });
  await waitFor(
    "allocations enabled",
    async () => {
      const [left, busy, asked] = await Promise.all([
        prisma.listing.count({
          where: {
            channelId: { in: channelIds },
            matchStatus: "linked",
            OR: [{ allocatedQuantity: null }, { allocOp: { not: Prisma.DbNull } }],
          },
        }),
        queueBusy(),
        prisma.catalogItem.count({ where: { shopId, rebalanceRequestedAt: { not: null } } }),
      ]);
      return left === 0 && busy === 0 && asked === 0;
    },
    1_800_000,
    500,
  );
  const seconds2 = (Date.now() - t0) / 1000;
  const w2 = writesSince(woo, ops2);
  const moves2 = mutationsSince(t0);
  // Bound: each store's compare-and-sets over its workers, after the first Shopify move call; Shopify's move calls (≤ 250
  // changes, one store each) one after the other at its latency — whichever is longer.
  const moveCalls = channelIds.length * Math.ceil(skus / 250);
  const bound2 = Math.max(Ls + Math.max(...w2.map((w) => storeWriteBound(w, { L, o, c }))), moveCalls * Ls);
  const enableAllocations: CatalogRun = {
    seconds: round(seconds2),
    lowerBoundSeconds: round(bound2),
    ratio: round(seconds2 / bound2),
    storeWrites: w2,
    shopifyMutations: moves2,
    detail: `${total} listings migrated`,
  };
  log(
    `catalog: enabling allocations on ${total} listings: ${enableAllocations.seconds} s (bound ${enableAllocations.lowerBoundSeconds} s, ratio ${enableAllocations.ratio}), store writes ${w2.join(" / ")}, Shopify mutations ${moves2}`,
  );

  // ---- 3. Stock received on Shopify for every item, webhooks lost; the scheduled reconciliation rebalances
  await waitFor("idle before rebalance", async () => (await queueBusy()) === 0, 300_000, 500);
  shopify.control.setFaults({ dropWebhooks: 1_000_000 });
  const st = shopify.control.state(shop);
  for (const l of st.levels)
    if (l.sku)
      shopify.control.setAvailable(shop, {
        inventoryItemId: l.inventoryItemId,
        locationId: l.locationId,
        available: l.available + 30,
      });
  await new Promise((r) => setTimeout(r, 1000));
  shopify.control.setFaults({ dropWebhooks: 0 });
  const ops3 = woo.map((w) => ({ ops: opsOf(w) }));
  t0 = Date.now();
  await enqueue(QUEUES.reconcile, { shopId, dryRun: false, trigger: "schedule" });
  await waitFor(
    "reconciliation finished",
    async () => {
      const rs = await prisma.syncRun.findMany({
        where: { shopId, kind: "reconcile", startedAt: { gte: new Date(t0) } },
      });
      return rs.length === channelIds.length && rs.every((r) => r.status !== "running");
    },
    1_800_000,
    500,
  );
  const tReconciled = Date.now();
  await waitFor(
    "rebalanced",
    async () => {
      const [asked, busy, ops] = await Promise.all([
        prisma.catalogItem.count({ where: { shopId, rebalanceRequestedAt: { not: null } } }),
        queueBusy(),
        prisma.listing.count({ where: { channelId: { in: channelIds }, allocOp: { not: Prisma.DbNull } } }),
      ]);
      return asked === 0 && busy === 0 && ops === 0;
    },
    1_800_000,
    500,
  );
  const seconds3 = (Date.now() - t0) / 1000;
  const w3 = writesSince(woo, ops3);
  const moves3 = mutationsSince(t0);
  // Bound: Shopify's record read (bulk operation), then the rebalancing: Shopify's move calls and each store's writes.
  const bulk = 2 * Ls + 1 + (skus * 2) / 2000;
  const bound3 =
    bulk +
    Math.max(
      Ls + Math.max(...w3.map((w) => storeWriteBound(w, { L, o, c }))),
      channelIds.length * Math.ceil(skus / 250) * Ls,
    );
  const rebalance: CatalogRun = {
    seconds: round(seconds3),
    lowerBoundSeconds: round(bound3),
    ratio: round(seconds3 / bound3),
    storeWrites: w3,
    shopifyMutations: moves3,
    detail: `reconciliation ${round((tReconciled - t0) / 1000)} s, then the rebalancing`,
  };
  log(
    `catalog: a reconciliation's rebalancing of ${skus} allocated items: ${rebalance.seconds} s (bound ${rebalance.lowerBoundSeconds} s, ratio ${rebalance.ratio}), store writes ${w3.join(" / ")}`,
  );
  return { correct, enableAllocations, rebalance };
}
