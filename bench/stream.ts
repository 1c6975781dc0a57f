/**
 * The real-traffic benchmark (issue 11): a seeded synthetic order stream at catalog scale against Shopify and two
 * WooCommerce stores in exact mode, run once without and once with allocations (docs/decisions/008).
 *
 * The stream: `skus` SKUs (≥ 5,000) with Zipf-like popularity (p ∝ rank^−s), orders of 1–8 distinct lines (1–3 units
 * each) at `ordersPerSecond` for `durationMs`, split Shopify / Woo A / Woo B by `split`; `cancelRate` of the orders are
 * cancelled and `refundRate` refunded (one line restocked on Shopify; the order's status on WooCommerce) a few seconds
 * later. Starting stock is set from the stream's own demand so that demand exceeds stock on `shortShare` of the SKUs.
 * Orders arrive through the emulators' checkout paths (Shopify `placeOrder`, WooCommerce's shopper checkout), not their
 * REST workers; a shopper whose line is short takes what the store shows (or drops the line) and checks out the rest.
 *
 * Each WooCommerce store is modelled as the real one measured for GUIDE §4 and bench/README.md
 * (`REALISTIC_STREAM_WOO`: 4 PHP workers, PUT 0.18 s, GET of 100 1.1 s, REST batch of 100 9 s, the plugin's batch
 * endpoint at the per-op cost measured on a real WooCommerce 10.0.2, webhooks 2–6 s after the change). Shopify runs at
 * the Standard plan (100 points/s), 75 ms per call, webhooks 300 ms after the change.
 *
 * Retailer Shopify shops (issue 14; `retailers`, default 1) sell as a fourth (fifth) channel: shops on the same emulated
 * Shopify as the central shop (same latency, rate limit and webhook delay), installed and linked with a retailer code,
 * their orders placed through Shopify's checkout on their own shop. `retailers: 0` with `split` [0.5, 0.25, 0.25] is
 * the issue-11 configuration, stream for stream (the same orders at the same times on the same channels).
 *
 * Measured: oversold units (total and per channel: a unit sold when the shop's physical stock — start − sold + restocked,
 * in time order — had none), units sold, settle (from the last stream event until every store shows its derived value,
 * nothing is pending and no job is queued), peak queue depth, store writes per second, listings wrong at +5 / +30 / +60 s,
 * whether Shopify's record is exact (per SKU, available + safety_stock = start − net sold) and whether, per SKU, the
 * ledger's Shopify-side sum equals Shopify's real change. Times in ms unless named …Seconds.
 */
import { Prisma } from "@prisma/client";
import prisma from "../app/db.server";
import { enqueue, QUEUES } from "../app/jobs/queue.server";
import { waitFor } from "../tests/harness/world";
import { startWooEmulator, type WooEmulator } from "../tests/emulators/woocommerce/index";
import { REALISTIC_STREAM_WOO } from "../tests/emulators/woocommerce/syncflow-stock";
import type { ShopifyEmulator } from "../tests/emulators/shopify/index";
import { onboardShop } from "./lib/onboard";
import { addRetailerShop } from "../tests/harness/retailers";
import { latency, RETAILER_NAMES, toRecordLatency, type Latency } from "./flash-sale";
import { cpuSeconds, postgresPids, type Stack } from "./lib/stack";
import {
  connectByAuthorization,
  MarketplaceShort,
  type MarketplaceDriver,
  type MarketplaceRun,
} from "./lib/marketplaces";

/** Parameters of one stream run. */
export interface StreamParams {
  skus: number;
  ordersPerSecond: number;
  durationMs: number;
  seed: number;
  /**
   * Share of orders per channel: Shopify, Woo A, Woo B, then each retailer shop, then each marketplace (as many shares
   * as channels).
   */
  split: number[];
  /** Retailer Shopify shops selling beside Shopify and the two stores (0 = the issue-11 configuration). */
  retailers: number;
  cancelRate: number;
  refundRate: number;
  /** Share of SKUs whose demand in the stream exceeds their starting stock (≥ 0.30). */
  shortShare: number;
  /** Zipf exponent of SKU popularity. */
  zipfS: number;
  /** Longest wait after the last stream event for the system to settle (the +60 s sample is always taken). */
  settleMaxMs: number;
  /** Longest wait for the migration to allocations before the stream starts anyway. */
  migrationMaxMs: number;
  /** Shopify per-call latency (ms) of the measured part. */
  shopifyLatencyMs: number;
  /** Marketplace channels (issue 16) selling beside the others, by driver kind (bench/lib/marketplaces.ts). */
  marketplaces: string[];
  /**
   * In the run with allocations, whether the marketplaces hold allocations too (read-then-set, decision 300; default)
   * or stay buffered beside the allocation stores (decision 275's configuration: `--marketplace-allocations off`).
   */
  marketplaceAllocations: boolean;
}

export const STREAM_DEFAULTS: StreamParams = {
  skus: 5000,
  ordersPerSecond: 20,
  durationMs: 90_000,
  seed: 2026,
  split: [0.5, 0.25, 0.25],
  retailers: 0,
  cancelRate: 0.03,
  refundRate: 0.02,
  shortShare: 0.35,
  zipfS: 0.7,
  settleMaxMs: 120_000,
  migrationMaxMs: 300_000,
  shopifyLatencyMs: 75,
  marketplaces: [],
  marketplaceAllocations: true,
};

/** Each marketplace channel's share of the stream's orders (taken from Shopify's own share, as the retailers'). */
export const MARKETPLACE_SHARE = 0.1;

/**
 * The order split for `retailers` retailer shops (decision 210): the WooCommerce stores keep their issue-11 shares
 * (25 % each) so their load and figures stay comparable; the retailers take their share from Shopify's 50 % (a retailer
 * is a Shopify shop: 20 % for one, 15 % each for two, 10 % each for three).
 */
export function streamSplit(retailers: number, marketplaces = 0): number[] {
  const each = retailers === 0 ? 0 : retailers === 1 ? 0.2 : retailers === 2 ? 0.15 : 0.1;
  return [
    Math.round((0.5 - each * retailers - MARKETPLACE_SHARE * marketplaces) * 100) / 100,
    0.25,
    0.25,
    ...Array.from({ length: retailers }, () => each),
    ...Array.from({ length: marketplaces }, () => MARKETPLACE_SHARE),
  ];
}

/** One planned event of the stream. */
type PlannedOrder = {
  kind: "order";
  t: number;
  /** 0 Shopify, 1/2 Woo A/B, 3… retailer shops, then marketplaces. */
  channel: number;
  lines: { sku: number; qty: number }[];
  follow: "cancel" | "refund" | null;
  followAt: number;
  idx: number;
};

/** The stream and starting stock, a pure function of the parameters. */
export function planStream(p: StreamParams): {
  orders: PlannedOrder[];
  stock: number[];
  demand: number[];
  shortSkus: number;
} {
  let s = p.seed >>> 0;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  // Popularity: rank r (1-based) of SKU perm[r-1] has weight r^-s.
  const perm = Array.from({ length: p.skus }, (_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const cdf: number[] = [];
  let acc = 0;
  for (let r = 1; r <= p.skus; r++) cdf.push((acc += r ** -p.zipfS));
  const pick = () => {
    const x = rnd() * acc;
    let lo = 0,
      hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return perm[lo]!;
  };
  const n = Math.round((p.ordersPerSecond * p.durationMs) / 1000);
  const gap = 1000 / p.ordersPerSecond;
  const orders: PlannedOrder[] = [];
  const demand = new Array<number>(p.skus).fill(0);
  for (let k = 0; k < n; k++) {
    const t = Math.floor(k * gap + rnd() * gap);
    const c = rnd();
    let channel = 0;
    for (let a = p.split[0]!; channel < p.split.length - 1 && c >= a;) a += p.split[++channel]!;
    const want = 1 + Math.floor(rnd() * 8);
    const skus = new Set<number>();
    for (let g = 0; skus.size < want && g < 50; g++) skus.add(pick());
    const lines = [...skus].map((sku) => ({ sku, qty: 1 + (rnd() < 0.25 ? 1 : 0) + (rnd() < 0.08 ? 1 : 0) }));
    for (const l of lines) demand[l.sku]! += l.qty;
    const f = rnd();
    const follow = f < p.cancelRate ? "cancel" : f < p.cancelRate + p.refundRate ? "refund" : null;
    const followAt = Math.min(p.durationMs, t + 3000 + Math.floor(rnd() * 20_000));
    orders.push({ kind: "order", t, channel, lines, follow, followAt, idx: k });
  }
  // Starting stock from demand: `shortShare` of all SKUs (drawn among those with demand) get less than their demand.
  const withDemand = perm.filter((i) => demand[i]! > 0);
  const shortCount = Math.min(withDemand.length, Math.ceil(p.shortShare * p.skus));
  const short = new Set(withDemand.slice(0, shortCount));
  const stock = demand.map((d, i) =>
    short.has(i)
      ? Math.floor(d * (0.2 + 0.6 * rnd()))
      : d > 0
        ? d + 1 + Math.floor(rnd() * 8)
        : 1 + Math.floor(rnd() * 20),
  );
  const shortSkus = demand.filter((d, i) => d > stock[i]!).length;
  return { orders, stock, demand, shortSkus };
}

/** Figures of one stream run (allocations on or off). */
export interface StreamRun {
  allocations: boolean;
  orders: {
    planned: number;
    placed: number;
    byChannel: number[];
    refused: number;
    cancelled: number;
    refunded: number;
  };
  unitsRequested: number;
  unitsSold: number;
  unitsSoldByChannel: number[];
  oversold: { total: number; byChannel: number[]; skus: number };
  /** s from the last stream event until every store shows its derived value, nothing is pending and no job waits; null = not within settleMaxMs. */
  settleSeconds: number | null;
  peakQueue: { total: number; byQueue: Record<string, number> };
  storeWrites: { requests: number; items: number; peakPerSecond: number; meanPerSecond: number };
  wrongAt: Record<"5" | "30" | "60", number>;
  recordExact: boolean;
  recordMismatchSkus: number;
  ledgerMismatchSkus: number;
  ledgerExample: string | null;
  pendingAtEnd: number;
  shortSkus: number;
  migration: { seconds: number | null; listings: number; migratedAtStart: number } | null;
  /** Per second: [t s, orders so far, store write requests that second, queued jobs, listings wrong]. */
  timeline: number[][];
  shopifyCalls: { queries: number; mutations: number; throttled: number };
  /** CPU seconds (user + system) each process tree used from the first order to the end of the settle window, and per order placed (ms). */
  cpu: { app: number; worker: number; postgres: number; msPerOrder: number };
  /** Webhook receipts stored during the run, by "source topic" and by what their processing found. */
  receipts: Record<string, number>;
  /** Per channel (Shopify, Woo A, Woo B, retailers…). */
  channels: StreamChannel[];
}

/** One channel's figures in a stream run (units; latencies in ms). */
export interface StreamChannel {
  name: string;
  kind: "record" | "woocommerce" | "retailer" | "marketplace";
  orders: number;
  unitsSold: number;
  oversold: number;
  /** An order placed here → its units applied to Shopify's record (null for the record itself). */
  toRecord: Latency | null;
  /**
   * Record → channel: how long a listing showed other than what the record implies (without allocations: the derived
   * quantity; with allocations: the hub's last write), per wrong spell, sampled once a second (≈ 1 s resolution);
   * spells still open at the end count until then. Null for the record itself.
   */
  fromRecord: Latency | null;
  wrongAt: Record<"5" | "30" | "60", number>;
  /** Listings wrong when the run ends (after the settle window / +60 s). */
  wrongAtEnd: number;
  /** Quantities written to the channel during the run (store items; retailer Admin mutations; marketplace items). */
  writes: number;
  /**
   * s from the last stream event until this channel's listings all show what the record implies and (marketplaces)
   * every order placed there has reached the hub, for good; null = not by the end of the settle window.
   */
  settleSeconds: number | null;
  /** Marketplaces: the model the run used, API calls per operation, requests refused for the rate limit, feeds. */
  marketplace?: {
    model: MarketplaceRun["model"];
    calls: Record<string, number>;
    throttled: number;
    feeds: number;
    writeCalls: number;
    buffer: number;
    mode: string;
    /** Whether the channel held allocations in this run (read-then-set, decision 300). */
    allocations: boolean;
    /**
     * The read-then-set window as the marketplace saw it (decision 300): writes that followed a read of the listing,
     * and those that overwrote buyers' orders placed between the read and the write (units shown again).
     */
    overwritten: { readThenSetWrites: number; writes: number; units: number };
  };
}

const SKU = (i: number) => `STR-${String(i).padStart(5, "0")}`;

/** Store write routes counted as writes (requestCounts keys start with the method). */
function storeWrites(w: WooEmulator): { requests: number; items: number } {
  let requests = 0;
  let items = 0;
  for (const [k, n] of w.requestCounts) {
    if (
      /^POST .*wc-syncflow\/v1\/stock\/(delta|cas)$/.test(k) ||
      /^PUT .*\/products\/\d+(\/variations\/\d+)?$/.test(k)
    ) {
      requests += n;
      items += n;
    } else if (/^POST .*(\/batch)$/.test(k)) requests += n;
  }
  for (const n of w.itemCounts.values()) items += n;
  return { requests, items };
}

/**
 * Jobs still to run (dead letters wait for the merchant's replay and scheduled housekeeping runs on its own: not
 * counted; nor are jobs of a finished run's channels, disconnected at its end, whose retries end in the dead letter
 * queue on their own).
 */
async function queueDepth(): Promise<Record<string, number>> {
  const rows = await prisma.$queryRawUnsafe<{ name: string; n: bigint }[]>(
    `SELECT name, count(*)::bigint AS n FROM pgboss.job j WHERE state IN ('created','retry','active') AND name NOT IN ('sweep','reconcile-tick','poll-tick','stock-watch','sheets-sync','daily-summary','notify','notify-send','dead-letter')
       AND NOT EXISTS (SELECT 1 FROM "Channel" c WHERE c.id = j.data->>'channelId' AND c.status = 'disconnected') GROUP BY name`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
}

/**
 * Runs the stream once on a fresh shop (`shop`) of the running stack and Shopify emulator, with two new WooCommerce
 * emulators. Setup (import, linking, and with `allocations` the migration) runs with cost-free stores and a fast
 * Shopify rate; the measured part with the realistic models.
 */
export async function runStream(input: {
  stack: Stack;
  shopify: ShopifyEmulator;
  shop: string;
  allocations: boolean;
  params?: Partial<StreamParams>;
  /** Drivers of `params.marketplaces` (bench/lib/marketplaces.ts; their stackEnv() was given to the stack). */
  drivers?: MarketplaceDriver[];
  /** Run number (a fresh marketplace account per run). */
  run?: number;
  log: (m: string) => void;
}): Promise<StreamRun> {
  const p: StreamParams = { ...STREAM_DEFAULTS, ...input.params };
  const { stack, shopify, shop, log } = input;
  const plan = planStream(p);
  shopify.control.setRateLimit({ restoreRate: 2000, bucketSize: 40_000 });
  shopify.control.setFaults({ latencyMs: 0 });
  const created = shopify.control.createShop({
    domain: shop,
    name: input.allocations ? "Stream Co (allocations)" : "Stream Co",
  });
  const loc = created.locationId;
  const itemOf = new Map<string, number>(); // inventory item numeric id → sku index
  for (let i = 0; i < p.skus; i++) {
    const prod = shopify.control.createProduct(shop, {
      title: `Stream item ${i}`,
      variants: [{ sku: SKU(i), price: 12, quantities: { [loc]: plan.stock[i]! } }],
    });
    itemOf.set(prod.variants[0]!.inventoryItemId.split("/").pop()!, i);
  }
  const woo: WooEmulator[] = [];
  const productOf: Map<number, number>[] = [];
  for (let s = 0; s < 2; s++) {
    const w = await startWooEmulator({ siteName: `Stream Woo ${s + 1}`, deliveryDelayMs: 50 });
    const ids = new Map<number, number>();
    for (let i = 0; i < p.skus; i++)
      ids.set(
        i,
        w.store.createProduct({
          type: "simple",
          name: `Stream item ${i}`,
          sku: SKU(i),
          regular_price: "12",
          status: "publish",
          manage_stock: true,
          stock_quantity: plan.stock[i]!,
        }).id,
      );
    woo.push(w);
    productOf.push(ids);
  }
  const wooStock = (s: number, i: number) => woo[s]!.store.products.get(productOf[s]!.get(i)!)!.stock_quantity ?? 0;
  const { shopId, channelIds } = await onboardShop({
    stack,
    shopify,
    shop,
    woo,
    expectedItems: p.skus,
    timeoutMs: 900_000,
  });
  await waitFor("stream setup jobs drained", async () => Object.keys(await queueDepth()).length === 0, 900_000, 500);
  // Retailer Shopify shops (issue 14): on the same emulated Shopify, showing the central stock before they link (so no
  // initial push is needed), installed and linked with a retailer code from the central shop.
  const retailers: {
    domain: string;
    name: string;
    locationId: string;
    channelId: string;
    itemOf: Map<string, number>;
  }[] = [];
  if (p.retailers > 0)
    // Room for the retailers beside the two stores (the Free plan has one sales channel): as after an upgrade.
    await prisma.shop.update({
      where: { id: shopId },
      data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
    });
  for (let k = 0; k < p.retailers; k++) {
    const domain = `${shop.replace(".myshopify.com", "")}-retailer-${k + 1}.myshopify.com`;
    const r = await addRetailerShop({
      shopify,
      appUrl: stack.appUrl,
      apiKey: stack.apiKey,
      apiSecret: stack.apiSecret,
      centralShopId: shopId,
      domain,
      name: RETAILER_NAMES[k % RETAILER_NAMES.length]!,
      products: Array.from({ length: p.skus }, (_, i) => ({ sku: SKU(i), title: `Stream item ${i}`, price: 12 })),
      startingStock: (sku) => plan.stock[Number(sku.slice(4))]!,
      linkTimeoutMs: 900_000,
    });
    await prisma.shop.update({ where: { id: r.shopId }, data: { reconcileEveryMin: 100_000 } });
    const rItemOf = new Map<string, number>();
    for (const l of shopify.control.state(domain).levels)
      if (l.sku && l.locationId === r.locationId)
        rItemOf.set(l.inventoryItemId.split("/").pop()!, Number(l.sku.slice(4)));
    retailers.push({ domain, name: r.name, locationId: r.locationId, channelId: r.channelId, itemOf: rItemOf });
    channelIds.push(r.channelId);
    await waitFor("stream setup jobs drained", async () => Object.keys(await queueDepth()).length === 0, 900_000, 500);
  }
  // Marketplace channels (issue 16): a fresh account per run whose listings already show what SyncFlow will derive
  // (record − the channel's buffer), connected through the real authorisation flow and linked by SKU.
  const markets: { run: MarketplaceRun; channelId: string; buffer: number; mode: string; allocated: boolean }[] = [];
  if (p.marketplaces.length && p.retailers === 0)
    await prisma.shop.update({
      where: { id: shopId },
      data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
    });
  for (const kind of p.marketplaces) {
    const driver = input.drivers?.find((d) => d.kind === kind);
    if (!driver) throw new Error(`stream: no driver for marketplace "${kind}"`);
    const buffer = 2; // a set-only channel is created buffered with 2 units (decision 133's default)
    const run = await driver.start({
      skus: Array.from({ length: p.skus }, (_, i) => SKU(i)),
      shown: plan.stock.map((q) => Math.max(0, q - buffer)),
      run: input.run ?? 0,
    });
    const channelId = await connectByAuthorization({
      appUrl: stack.appUrl,
      shopId,
      kind,
      market: run.market,
      expectLinked: p.skus,
    });
    const row = await prisma.channel.findUniqueOrThrow({
      where: { id: channelId },
      select: { mode: true, bufferUnits: true },
    });
    if ((row.bufferUnits ?? 0) !== buffer)
      throw new Error(`stream: ${run.name} channel has buffer ${row.bufferUnits}, expected ${buffer}`);
    await prisma.shop.update({ where: { id: shopId }, data: { reconcileEveryMin: 100_000 } });
    markets.push({ run, channelId, buffer, mode: row.mode, allocated: false });
    channelIds.push(channelId);
    await waitFor("stream setup jobs drained", async () => Object.keys(await queueDepth()).length === 0, 900_000, 500);
  }
  const firstMarket = 3 + retailers.length;
  /** The marketplace of channel index `c` (null for the others). */
  const marketOf = (c: number) => (c >= firstMarket ? markets[c - firstMarket]! : null);
  /** What each retailer shows per SKU index (its `available` at the SyncFlow location). */
  const retailerShown = () =>
    retailers.map((r) => {
      const out = new Array<number>(p.skus).fill(0);
      for (const l of shopify.control.state(r.domain).levels) {
        if (l.locationId !== r.locationId) continue;
        const i = r.itemOf.get(l.inventoryItemId.split("/").pop()!);
        if (i !== undefined) out[i] = l.available;
      }
      return out;
    });
  const channelNames = [
    "Shopify",
    "Woo A",
    "Woo B",
    ...retailers.map((r) => r.name),
    ...markets.map((m) => m.run.name),
  ];
  const nChannels = channelNames.length;
  if (p.split.length !== nChannels)
    throw new Error(`stream split has ${p.split.length} shares for ${nChannels} channels (${channelNames.join(", ")})`);
  // One reconciliation in sync, as a live shop has had (the scheduler starts one at once for a shop that never had one).
  const warmAt = new Date();
  await enqueue(QUEUES.reconcile, { shopId, dryRun: false, trigger: "bench" });
  await waitFor(
    "warm-up reconciliation",
    async () => {
      const runs = await prisma.syncRun.findMany({ where: { shopId, kind: "reconcile", startedAt: { gte: warmAt } } });
      return runs.length >= channelIds.length && runs.every((r) => r.status !== "running");
    },
    600_000,
    250,
  );
  await waitFor("stream setup jobs drained", async () => Object.keys(await queueDepth()).length === 0, 900_000, 500);
  log(
    `stream${input.allocations ? " (allocations)" : ""}: ${p.skus} SKUs onboarded; ${plan.orders.length} orders planned, demand > stock on ${plan.shortSkus} SKUs (${((100 * plan.shortSkus) / p.skus).toFixed(1)} %)`,
  );

  let migration: StreamRun["migration"] = null;
  if (input.allocations) {
    // As the Settings page does: the flag, then the store's re-link (which queues its migration).
    const t0 = Date.now();
    // Marketplaces hold allocations too (read-then-set, decision 300) unless `marketplaceAllocations` is off (then they
    // stay buffered beside the allocation stores, decision 275's configuration).
    for (const m of markets) m.allocated = p.marketplaceAllocations;
    const allocIds = channelIds.filter((id) => !markets.some((m) => m.channelId === id && !m.allocated));
    await prisma.channel.updateMany({ where: { id: { in: allocIds } }, data: { allocationEnabled: true } });
    for (const id of allocIds)
      await enqueue(QUEUES.linkChannel, { shopId, channelId: id }, { singletonKey: `link:${id}` });
    const total = p.skus * allocIds.length;
    let migrated = 0;
    // A marketplace migrates at its platform's pace (a fresh read and a set per listing, ≈ 4–5 a second, decision 300).
    const deadline = Date.now() + p.migrationMaxMs + (markets.some((m) => m.allocated) ? p.skus * 300 : 0);
    for (;;) {
      migrated = await prisma.listing.count({
        where: {
          channelId: { in: allocIds },
          matchStatus: "linked",
          allocatedQuantity: { not: null },
          allocOp: { equals: Prisma.DbNull },
        },
      });
      const idle = Object.keys(await queueDepth()).length === 0;
      if (migrated >= total && idle) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const seconds = migrated >= total ? Math.round((Date.now() - t0) / 100) / 10 : null;
    migration = { seconds, listings: total, migratedAtStart: migrated };
    log(
      `stream (allocations): migration ${seconds === null ? `NOT finished after ${p.migrationMaxMs / 1000} s (${migrated} of ${total} listings)` : `${seconds} s for ${total} listings`}`,
    );
  }

  // Measured part: realistic stores and Shopify.
  shopify.control.setRateLimit({ restoreRate: 100, bucketSize: 2000 });
  shopify.control.setFaults({ latencyMs: p.shopifyLatencyMs, delayWebhooksMs: 300 });
  for (const w of woo) w.control.setLatency({ ...REALISTIC_STREAM_WOO });
  for (const m of markets) m.run.realistic();
  const shopifyChannelId = (
    await prisma.channel.findFirstOrThrow({ where: { shopId, kind: "shopify" }, select: { id: true } })
  ).id;
  const stateAt = () => {
    const st = shopify.control.state(shop);
    const avail = new Array<number>(p.skus).fill(0);
    const safety = new Array<number>(p.skus).fill(0);
    for (const l of st.levels) {
      const i = itemOf.get(l.inventoryItemId.split("/").pop()!);
      if (i === undefined || l.locationId !== loc) continue;
      avail[i] = l.available;
      safety[i] = l.safetyStock;
    }
    return { avail, safety };
  };
  const start = stateAt();
  const ledgerStart = await prisma.stockLedger.aggregate({ where: { shopId }, _max: { id: true } });
  const gqlStart = Date.now();

  // What each store should show now: without allocations the derived quantity from Shopify's truth (pending sales
  // subtracted); with allocations the store's allocation less its sales not yet applied (the hub's baseline).
  const listingRows = async () =>
    prisma.listing.findMany({
      where: { channelId: { in: channelIds }, matchStatus: "linked" },
      select: { channelId: true, sku: true, lastWrittenQuantity: true, allocatedQuantity: true },
    });
  // Listings shown wrong, per channel (Woo A, Woo B, retailers…; Shopify is the record), and how long each wrong spell
  // lasted (sampled once a second: a listing wrong at one sample and right at a later one lagged ≈ that long).
  const wrongSince = new Map<number, number>(); // s * skus + i → ms (t0-relative) it was first seen wrong
  const lagSpells: { ms: number; open: boolean }[][] = channelNames.map(() => []);
  const wrongPerChannel = async (): Promise<number[]> => {
    const { avail } = stateAt();
    const rShown = retailerShown();
    const shownOn = (s: number, i: number) =>
      s < 2 ? wooStock(s, i) : s < 2 + retailers.length ? rShown[s - 2]![i]! : marketOf(s + 1)!.run.shown(SKU(i));
    const per = new Array<number>(nChannels).fill(0);
    const now = Date.now() - t0;
    const mark = (s: number, i: number, wrong: boolean) => {
      const key = s * p.skus + i;
      const since = wrongSince.get(key);
      if (wrong) {
        per[s + 1]!++;
        if (since === undefined) wrongSince.set(key, now);
      } else if (since !== undefined) {
        wrongSince.delete(key);
        lagSpells[s + 1]!.push({ ms: now - since, open: false });
      }
    };
    const pendingBySku = async () => {
      const pend = await prisma.shopifyAdjustment.groupBy({
        by: ["itemId"],
        where: { shopId, status: "pending", quantityName: "available" },
        _sum: { delta: true },
      });
      const items = await prisma.catalogItem.findMany({
        where: { shopId, id: { in: pend.map((x) => x.itemId) } },
        select: { id: true, sku: true },
      });
      const pendBySku = new Map<number, number>();
      for (const x of pend) {
        const sku = items.find((it) => it.id === x.itemId)?.sku;
        if (sku) pendBySku.set(Number(sku.slice(4)), x._sum.delta ?? 0);
      }
      return pendBySku;
    };
    // A marketplace (buffered, set-only) shows the derived quantity: the record's available less its pending sales and
    // the channel's buffer — in both runs (allocations are exact mode's; the buffered channel sells Shopify's available).
    const derivedOf = (pend: Map<number, number>, i: number, buffer: number) =>
      Math.max(0, avail[i]! + Math.min(0, pend.get(i) ?? 0) - buffer);
    const buffered = markets.filter((m) => !input.allocations || !m.allocated);
    const pend = !input.allocations || buffered.length ? await pendingBySku() : new Map<number, number>();
    for (const [k, m] of markets.entries())
      if (!input.allocations || !m.allocated)
        for (let i = 0; i < p.skus; i++)
          mark(firstMarket - 1 + k, i, shownOn(firstMarket - 1 + k, i) !== derivedOf(pend, i, m.buffer));
    if (!input.allocations) {
      for (let s = 0; s < firstMarket - 1; s++)
        for (let i = 0; i < p.skus; i++) mark(s, i, shownOn(s, i) !== derivedOf(pend, i, 0));
      return per;
    }
    const rows = await listingRows();
    for (const r of rows) {
      const s = channelIds.indexOf(r.channelId);
      // A marketplace with allocations shows its allocation remaining, the hub's baseline, as the stores do (its own
      // sales count as wrong until the poll brings them).
      if (s >= firstMarket - 1 && !marketOf(s + 1)!.allocated) continue;
      const i = Number((r.sku ?? "").slice(4));
      mark(s, i, shownOn(s, i) !== (r.lastWrittenQuantity ?? 0));
    }
    return per;
  };
  const wrongNow = async (): Promise<number> => (await wrongPerChannel()).reduce((a, b) => a + b, 0);
  const wrongAtBy: Record<"5" | "30" | "60", number[]> = { "5": [], "30": [], "60": [] };

  // ---- drive the stream
  type Sale = { t: number; channel: number; sku: number; qty: number };
  const sales: Sale[] = [];
  const restocks: { t: number; sku: number; qty: number }[] = [];
  const placed: {
    channel: number;
    id: string | number;
    t: number;
    lines: { sku: number; qty: number; lineId?: string }[];
  }[] = [];
  const stats = {
    placed: 0,
    byChannel: channelNames.map(() => 0),
    refused: 0,
    cancelled: 0,
    refunded: 0,
    requested: 0,
  };
  /** Channels that check out through Shopify: the central shop (0) and the retailer shops (3…): domain and item map. */
  const shopifyOf = (channel: number) =>
    channel === 0
      ? { domain: shop, itemOf }
      : channel >= 3 && channel < firstMarket
        ? { domain: retailers[channel - 3]!.domain, itemOf: retailers[channel - 3]!.itemOf }
        : null;
  const pg = postgresPids();
  const cpuNow = () => ({
    app: cpuSeconds(stack.appPid),
    worker: stack.workerPids.reduce((n, p) => n + cpuSeconds(p), 0),
    postgres: pg.reduce((n, p) => n + cpuSeconds(p), 0),
  });
  const cpu0 = cpuNow();
  // Profiling (bench/lib/query-count.cjs preloaded into the worker): a query-count snapshot as the window opens.
  const querySnapshot = () =>
    process.env.BENCH_QUERY_COUNT && stack.workerPids.forEach((p) => process.kill(p, "SIGUSR2"));
  querySnapshot();
  const t0 = Date.now();
  const events: { t: number; run: () => void }[] = [];
  for (const o of plan.orders) {
    events.push({ t: o.t, run: () => placeOrder(o) });
  }
  const placeOrder = (o: PlannedOrder) => {
    let lines = o.lines.map((l) => ({ ...l }));
    for (const l of lines) stats.requested += l.qty;
    for (let attempt = 0; attempt < 10 && lines.length; attempt++) {
      try {
        const on = shopifyOf(o.channel);
        const market = marketOf(o.channel);
        if (market) {
          const r = market.run.placeOrder(lines.map((l) => ({ sku: SKU(l.sku), quantity: l.qty })));
          record(o, o.channel, r.id, lines);
        } else if (on) {
          const r = shopify.control.placeOrder(on.domain, {
            lines: lines.map((l) => ({ sku: SKU(l.sku), quantity: l.qty })),
          });
          const ids = r.lineItems.map((li) => li.id);
          record(
            o,
            o.channel,
            r.orderId,
            lines.map((l, k) => ({ ...l, lineId: ids[k] })),
          );
        } else {
          const r = woo[o.channel - 1]!.control.placeOrder({
            lines: lines.map((l) => ({ sku: SKU(l.sku), quantity: l.qty })),
            status: "processing",
          });
          record(o, o.channel, r.id as number, lines);
        }
        return;
      } catch (err) {
        // The shopper takes what the store shows for the short line (or drops it) and checks out again.
        const e = err as { status?: number; message?: string; extra?: { sku?: string; available?: number } };
        let short: number | undefined;
        let have = 0;
        const on = shopifyOf(o.channel);
        if (err instanceof MarketplaceShort) {
          short = Number(err.sku.slice(4));
          have = err.available;
        } else if (on) {
          const m = /inventory item (\d+): (-?\d+) < (\d+)/.exec(String(e.message));
          if (m) {
            short = on.itemOf.get(m[1]!);
            have = Number(m[2]);
          }
        } else if (e.extra?.sku) {
          short = Number(e.extra.sku.slice(4));
          have = Number(e.extra.available ?? 0);
        }
        if (short === undefined) throw err;
        lines = lines.flatMap((l) => (l.sku !== short ? [l] : have > 0 ? [{ ...l, qty: Math.min(l.qty, have) }] : []));
      }
    }
    stats.refused++;
  };
  const record = (
    o: PlannedOrder,
    channel: number,
    id: string | number,
    lines: { sku: number; qty: number; lineId?: string }[],
  ) => {
    const t = Date.now() - t0;
    stats.placed++;
    stats.byChannel[channel]!++;
    for (const l of lines) sales.push({ t, channel, sku: l.sku, qty: l.qty });
    const entry = { channel, id, t, lines };
    placed.push(entry);
    if (o.follow) events.push({ t: Math.max(o.followAt, t + 1000), run: () => follow(o.follow!, entry) });
  };
  const follow = (kind: "cancel" | "refund", e: (typeof placed)[number]) => {
    const t = Date.now() - t0;
    const on = shopifyOf(e.channel);
    const market = marketOf(e.channel);
    if (market) {
      // A marketplace refund (after shipment) does not put units back on the listing; a cancellation does.
      if (kind === "cancel") {
        for (const back of market.run.cancel(String(e.id)))
          if (back.quantity > 0) restocks.push({ t, sku: Number(back.sku.slice(4)), qty: back.quantity });
        stats.cancelled++;
      } else stats.refunded++;
      return;
    }
    if (on) {
      if (kind === "cancel") {
        shopify.control.cancelOrder(on.domain, { orderId: String(e.id), restock: true });
        for (const l of e.lines) restocks.push({ t, sku: l.sku, qty: l.qty });
        stats.cancelled++;
      } else {
        const l = e.lines[0]!;
        shopify.control.refund(on.domain, {
          orderId: String(e.id),
          lines: [{ lineItemId: l.lineId!, quantity: l.qty }],
          restock: true,
        });
        restocks.push({ t, sku: l.sku, qty: l.qty });
        stats.refunded++;
      }
      return;
    }
    const s = e.channel - 1;
    const before = e.lines.map((l) => wooStock(s, l.sku));
    woo[s]!.control.setOrderStatus(Number(e.id), kind === "cancel" ? "cancelled" : "refunded");
    // What the store restocked (WooCommerce's status rules decide; read, not assumed).
    e.lines.forEach((l, k) => {
      const back = wooStock(s, l.sku) - before[k]!;
      if (back > 0) restocks.push({ t, sku: l.sku, qty: back });
    });
    if (kind === "cancel") stats.cancelled++;
    else stats.refunded++;
  };

  // Sampler: every second the queue depth, the store writes that second and the listings shown wrong.
  const timeline: number[][] = [];
  const peak: Record<string, number> = {};
  let peakTotal = 0;
  let lastWrites = woo.reduce((n, w) => n + storeWrites(w).requests, 0);
  const writesAtStart = lastWrites;
  const itemsAtStart = woo.reduce((n, w) => n + storeWrites(w).items, 0);
  const marketWritesAtStart = markets.map((m) => m.run.writes().items);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const tick = Date.now();
      const depth = await queueDepth();
      const total = Object.values(depth).reduce((a, b) => a + b, 0);
      peakTotal = Math.max(peakTotal, total);
      for (const [k, v] of Object.entries(depth)) peak[k] = Math.max(peak[k] ?? 0, v);
      const writes = woo.reduce((n, w) => n + storeWrites(w).requests, 0);
      const wrong = await wrongNow();
      timeline.push([Math.round((tick - t0) / 100) / 10, stats.placed, writes - lastWrites, total, wrong]);
      if (process.env.BENCH_DEBUG && timeline.length % 5 === 0) {
        const act = await prisma.$queryRawUnsafe<{ state: string; wait: string | null; q: string; n: bigint }[]>(
          `SELECT state, wait_event_type AS wait, left(query, 60) AS q, count(*)::bigint AS n FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 8`,
        );
        const receipts = await prisma.webhookReceipt.groupBy({ by: ["status"], where: { shopId }, _count: true });
        log(
          `debug t=${timeline.at(-1)![0]} depth=${JSON.stringify(depth)} receipts=${JSON.stringify(receipts.map((r) => [r.status, r._count]))} pg=${JSON.stringify(act.map((a) => [a.state, a.wait, a.q, Number(a.n)]))}`,
        );
      }
      lastWrites = writes;
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
    }
  })();

  log(`stream${input.allocations ? " (allocations)" : ""}: ${plan.orders.length} orders over ${p.durationMs / 1000} s`);
  for (let k = 0; ; k++) {
    events.sort((a, b) => a.t - b.t);
    const next = events.shift();
    if (!next) break;
    const wait = next.t - (Date.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    next.run();
    if (k % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  const lastEventAt = Date.now();
  log(
    `stream: last event at ${((lastEventAt - t0) / 1000).toFixed(1)} s; placed ${stats.placed}, refused ${stats.refused}`,
  );

  // ---- settle and the +5 / +30 / +60 s samples
  const wrongAt: StreamRun["wrongAt"] = { "5": -1, "30": -1, "60": -1 };
  let settledAt: number | null = null;
  const marks = [5, 30, 60] as const;
  // Per channel: when it was last seen behind (a listing wrong; for a marketplace also an order placed there that the
  // hub has not recorded yet) after the last stream event.
  const lastBehind = channelNames.map(() => lastEventAt);
  let behindNow = channelNames.map(() => true);
  // A marketplace's orders reach the hub on its poll (every pollIntervalMs, after the order index lag) and its writes
  // may wait for a feed: its settle window is longer by those.
  const settleMaxMs =
    p.settleMaxMs +
    Math.max(
      0,
      ...markets.map(
        (m) => 2 * m.run.model.pollIntervalMs + m.run.model.orderIndexLagMs + m.run.model.feedProcessingMs,
      ),
    );
  for (;;) {
    const since = Date.now() - lastEventAt;
    const per = await wrongPerChannel();
    const recorded = await Promise.all(markets.map((m) => prisma.order.count({ where: { channelId: m.channelId } })));
    behindNow = per.map((n, c) => n > 0 || (marketOf(c) ? recorded[c - firstMarket]! < stats.byChannel[c]! : false));
    behindNow.forEach((b, c) => b && (lastBehind[c] = Date.now()));
    for (const m of marks)
      if (wrongAt[m] < 0 && since >= m * 1000) {
        wrongAtBy[m] = await wrongPerChannel();
        wrongAt[m] = wrongAtBy[m].reduce((a, b) => a + b, 0);
      }
    if (settledAt === null) {
      const depth = Object.values(await queueDepth()).reduce((a, b) => a + b, 0);
      const pending = await prisma.shopifyAdjustment.count({ where: { shopId, status: "pending" } });
      const dirty = await prisma.listing.count({
        where: { channelId: { in: channelIds }, OR: [{ inFlightPushSeq: { not: null } }] },
      });
      if (depth === 0 && pending === 0 && dirty === 0 && !behindNow.some(Boolean)) settledAt = Date.now();
    }
    if ((settledAt !== null || since > settleMaxMs) && wrongAt["60"] >= 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  sampling = false;
  await sampler;
  const cpu1 = cpuNow();
  querySnapshot();
  const cpu = {
    app: round1(cpu1.app - cpu0.app),
    worker: round1(cpu1.worker - cpu0.worker),
    postgres: round1(cpu1.postgres - cpu0.postgres),
    msPerOrder: 0,
  };
  cpu.msPerOrder = Math.round(((cpu.app + cpu.worker + cpu.postgres) * 1000) / Math.max(1, stats.placed));
  const pendingAtEnd = await prisma.shopifyAdjustment.count({ where: { shopId, status: "pending" } });

  // ---- oversold: per SKU in time order, a sale beyond the physical stock left (start − sold + restocked)
  const perSku = new Map<number, { t: number; d: number; channel: number }[]>();
  for (const s of sales)
    (perSku.get(s.sku) ?? perSku.set(s.sku, []).get(s.sku)!).push({ t: s.t, d: -s.qty, channel: s.channel });
  for (const r of restocks)
    (perSku.get(r.sku) ?? perSku.set(r.sku, []).get(r.sku)!).push({ t: r.t, d: r.qty, channel: -1 });
  const oversoldBy = channelNames.map(() => 0);
  let oversoldSkus = 0;
  for (const [sku, evs] of perSku) {
    evs.sort((a, b) => a.t - b.t || b.d - a.d);
    let left = plan.stock[sku]!;
    let any = false;
    for (const e of evs) {
      if (e.d < 0) {
        const over = Math.max(0, -e.d - Math.max(0, left));
        if (over) {
          oversoldBy[e.channel]! += over;
          any = true;
        }
      }
      left += e.d;
    }
    if (any) oversoldSkus++;
  }

  // ---- Shopify's record and the ledger, per SKU
  const end = stateAt();
  const net = new Array<number>(p.skus).fill(0);
  for (const s of sales) net[s.sku]! -= s.qty;
  for (const r of restocks) net[r.sku]! += r.qty;
  let recordMismatch = 0;
  for (let i = 0; i < p.skus; i++) if (end.avail[i]! + end.safety[i]! !== plan.stock[i]! + net[i]!) recordMismatch++;
  const items = await prisma.catalogItem.findMany({ where: { shopId }, select: { id: true, sku: true } });
  const skuOfItem = new Map(items.map((it) => [it.id, Number(it.sku.slice(4))]));
  const sums = await prisma.stockLedger.groupBy({
    by: ["itemId"],
    where: { shopId, channelId: shopifyChannelId, cause: { not: "allocate" }, id: { gt: ledgerStart._max.id ?? 0n } },
    _sum: { delta: true },
  });
  const ledgerBy = new Map(sums.map((r) => [skuOfItem.get(r.itemId)!, r._sum.delta ?? 0]));
  let ledgerMismatch = 0;
  let ledgerExample: string | null = null;
  for (let i = 0; i < p.skus; i++) {
    const real = end.avail[i]! + end.safety[i]! - (start.avail[i]! + start.safety[i]!);
    const led = ledgerBy.get(i) ?? 0;
    if (real !== led) {
      ledgerMismatch++;
      ledgerExample ??= `${SKU(i)}: ledger ${led} vs Shopify ${real}`;
    }
  }

  const receiptRows = await prisma.webhookReceipt.groupBy({
    by: ["source", "topic", "status", "error"],
    where: { shopId, receivedAt: { gte: new Date(gqlStart) } },
    _count: true,
  });
  const receipts: Record<string, number> = {};
  for (const r of receiptRows)
    receipts[`${r.source} ${r.topic} ${r.status}${r.error ? ` (${r.error.slice(0, 40)})` : ""}`] = r._count;
  const calls = shopify.control.graphqlLog(shop).filter((c) => c.at >= gqlStart);
  const throttled = calls.filter((c) => JSON.stringify(c.response ?? "").includes("THROTTLED")).length;
  const mutations = calls.filter((c) => /^\s*mutation/.test(c.query)).length;
  const writes = woo.map((w) => storeWrites(w));
  const writeRequests = writes.reduce((n, w) => n + w.requests, 0) - writesAtStart;
  const writeItems = writes.reduce((n, w) => n + w.items, 0) - itemsAtStart;
  const perSecond = timeline.map((r) => r[2]!);
  const unitsSoldByChannel = channelNames.map((_, c) =>
    sales.filter((s) => s.channel === c).reduce((n, s) => n + s.qty, 0),
  );
  // Per channel: channel → record (an order placed there → its units applied to Shopify's record, from the hub's
  // adjustment rows), the listings' wrong spells (record → channel), listings wrong at the marks and at the end.
  const endAt = Date.now();
  const wrongEnd = await wrongPerChannel();
  for (const [key, since] of wrongSince)
    lagSpells[Math.floor(key / p.skus) + 1]!.push({ ms: endAt - t0 - since, open: true });
  if (process.env.BENCH_DEBUG && markets.length) {
    // Which marketplace listings are still wrong at the end, and what the hub holds for them.
    const { avail } = stateAt();
    for (const [k, m] of markets.entries()) {
      const wrong = [];
      const baseline = new Map(
        (
          await prisma.listing.findMany({
            where: { channelId: m.channelId, matchStatus: "linked" },
            select: { sku: true, lastWrittenQuantity: true },
          })
        ).map((r) => [r.sku, r.lastWrittenQuantity ?? 0]),
      );
      for (let i = 0; i < p.skus && wrong.length < 8; i++) {
        const want = input.allocations && m.allocated ? baseline.get(SKU(i)) : Math.max(0, avail[i]! - m.buffer);
        if (m.run.shown(SKU(i)) !== want) wrong.push({ i, shown: m.run.shown(SKU(i)), record: avail[i], want });
      }
      const rows = await prisma.listing.findMany({
        where: { channelId: m.channelId, sku: { in: wrong.map((w) => SKU(w.i)) } },
        select: {
          sku: true,
          lastWrittenQuantity: true,
          lastObservedQuantity: true,
          pushRequestedAt: true,
          inFlightPushSeq: true,
          inFlightPushQuantity: true,
          matchStatus: true,
        },
      });
      log(`debug ${m.run.name} wrong at end (market ${k}): ${JSON.stringify(wrong)} rows ${JSON.stringify(rows)}`);
    }
  }
  const storeChannelIds = [null, ...channelIds];
  const channels: StreamChannel[] = [];
  for (const [c, name] of channelNames.entries()) {
    const channelId = storeChannelIds[c] ?? null;
    channels.push({
      name,
      kind: c === 0 ? "record" : c < 3 ? "woocommerce" : marketOf(c) ? "marketplace" : "retailer",
      orders: stats.byChannel[c]!,
      unitsSold: unitsSoldByChannel[c]!,
      oversold: oversoldBy[c]!,
      toRecord: channelId
        ? await toRecordLatency(
            channelId,
            placed.filter((x) => x.channel === c).map((x) => ({ t: x.t, orderId: String(x.id) })),
            t0,
            endAt,
          )
        : null,
      fromRecord: c === 0 ? null : latency(lagSpells[c]!),
      wrongAt: { "5": wrongAtBy["5"][c] ?? -1, "30": wrongAtBy["30"][c] ?? -1, "60": wrongAtBy["60"][c] ?? -1 },
      wrongAtEnd: wrongEnd[c]!,
      writes:
        c === 0
          ? 0
          : c < 3
            ? storeWrites(woo[c - 1]!).items
            : marketOf(c)
              ? marketOf(c)!.run.writes().items - marketWritesAtStart[c - firstMarket]!
              : shopify.control
                  .graphqlLog(retailers[c - 3]!.domain)
                  .filter((x) => x.at >= gqlStart && /^\s*mutation/.test(x.query)).length,
      settleSeconds: c === 0 ? null : behindNow[c] ? null : Math.round((lastBehind[c]! - lastEventAt) / 100) / 10,
      ...(marketOf(c)
        ? {
            marketplace: {
              model: marketOf(c)!.run.model,
              calls: marketOf(c)!.run.calls(),
              throttled: marketOf(c)!.run.throttled(),
              feeds: marketOf(c)!.run.writes().feeds,
              writeCalls: marketOf(c)!.run.writes().calls,
              buffer: marketOf(c)!.buffer,
              mode: marketOf(c)!.mode,
              allocations: input.allocations && marketOf(c)!.allocated,
              overwritten: marketOf(c)!.run.overwritten(),
            },
          }
        : {}),
    });
  }
  // The run's stores go away: what the hub still had to do for them (pushes in flight, requested rebalances) is dropped,
  // so their retries against closed stores do not hold up the next run's setup (which waits for an idle queue).
  // The worker is still writing these rows (a run that did not settle): a deadlock with it is retried, not fatal.
  await retryDeadlock(async () => {
    await prisma.channel.updateMany({
      where: { id: { in: channelIds } },
      data: { status: "disconnected", allocationEnabled: false },
    });
    await prisma.listing.updateMany({
      where: { channelId: { in: channelIds } },
      data: {
        pushRequestedAt: null,
        inFlightPushSeq: null,
        inFlightPushDelta: null,
        inFlightPushQuantity: null,
        inFlightPushAt: null,
        allocOp: Prisma.DbNull,
      },
    });
    await prisma.catalogItem.updateMany({ where: { shopId }, data: { rebalanceRequestedAt: null } });
  });
  for (const w of woo) await w.close();
  for (const m of markets) await m.run.close();
  return {
    allocations: input.allocations,
    orders: {
      planned: plan.orders.length,
      placed: stats.placed,
      byChannel: stats.byChannel,
      refused: stats.refused,
      cancelled: stats.cancelled,
      refunded: stats.refunded,
    },
    unitsRequested: stats.requested,
    unitsSold: unitsSoldByChannel.reduce((a, b) => a + b, 0),
    unitsSoldByChannel,
    oversold: { total: oversoldBy.reduce((a, b) => a + b, 0), byChannel: oversoldBy, skus: oversoldSkus },
    settleSeconds: settledAt === null ? null : Math.round((settledAt - lastEventAt) / 100) / 10,
    peakQueue: { total: peakTotal, byQueue: peak },
    storeWrites: {
      requests: writeRequests,
      items: writeItems,
      peakPerSecond: Math.max(0, ...perSecond),
      meanPerSecond: Math.round((writeRequests / Math.max(1, timeline.length)) * 10) / 10,
    },
    wrongAt,
    recordExact: recordMismatch === 0,
    recordMismatchSkus: recordMismatch,
    ledgerMismatchSkus: ledgerMismatch,
    ledgerExample,
    pendingAtEnd,
    shortSkus: plan.shortSkus,
    migration,
    timeline,
    shopifyCalls: { queries: calls.length - mutations, mutations, throttled },
    cpu,
    receipts,
    channels,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs `fn`, again (up to 5 times, 200 ms apart) when PostgreSQL chose it as a deadlock victim (40P01). */
async function retryDeadlock(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5 || !/40P01|deadlock detected/.test(String((err as Error).message ?? err))) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const lat = (x: Latency | null) =>
  x
    ? `${x.p50} / ${x.p95} / ${x.p99} (n ${x.n}${x.open ? `; ${x.open} not reached by the end` : ""}${x.missing ? `; ${x.missing} orders the hub never recorded` : ""}${x.nothingToApply ? `; ${x.nothingToApply} with nothing to apply` : ""})`
    : "–";

/** The report's stream table (markdown) for both runs. */
export function renderStream(runs: StreamRun[], p: StreamParams = STREAM_DEFAULTS): string {
  const names = runs[0]?.channels.map((c) => c.name) ?? ["Shopify", "Woo A", "Woo B"];
  const row = (r: StreamRun) =>
    `| ${r.allocations ? "with allocations" : "without allocations"} | ${r.oversold.total} (${r.oversold.byChannel.join(" / ")}; ${r.oversold.skus} SKUs) | ${r.unitsSold} (${r.unitsSoldByChannel.join(" / ")}) | ${r.settleSeconds ?? `> ${p.settleMaxMs / 1000}`} | ${r.peakQueue.total} (push-stock ${r.peakQueue.byQueue["push-stock"] ?? 0}) | ${r.storeWrites.meanPerSecond} / ${r.storeWrites.peakPerSecond} (${r.storeWrites.items} items in ${r.storeWrites.requests} calls) | ${r.wrongAt["5"]} / ${r.wrongAt["30"]} / ${r.wrongAt["60"]} | ${r.recordExact ? "✅" : `❌ (${r.recordMismatchSkus} SKUs)`} | ${r.ledgerMismatchSkus === 0 ? "✅" : `❌ ${r.ledgerMismatchSkus} SKUs (${r.ledgerExample})`} |`;
  const mig = runs.find((r) => r.migration)?.migration;
  return `## Stream — ${p.skus} SKUs, ${p.ordersPerSecond} orders/s for ${p.durationMs / 1000} s (${names.join(" / ")} ${p.split.map((x) => Math.round(x * 100)).join(" / ")} %), ${p.cancelRate * 100} % cancelled, ${p.refundRate * 100} % refunded

| run | oversold units (${names.join(" / ")}) | units sold (${names.join(" / ")}) | settle (s) | peak queue | store writes/s mean / peak | listings wrong +5 / +30 / +60 s | Shopify record exact | ledger = Shopify per SKU |
|---|---:|---:|---:|---:|---:|---:|:---:|:---:|
${runs.map(row).join("\n")}

Per channel (channel → record: an order placed there → its units applied to Shopify's record, ms; record → channel: how
long a listing showed other than what the record implies — the derived quantity, or with allocations the hub's last
write — per wrong spell, sampled once a second, so ≈ 1 s resolution; spells open at the end count until then):

| run | channel | orders | units sold | oversold | channel → record p50 / p95 / p99 (ms) | record → channel p50 / p95 / p99 (ms) | listings wrong +5 / +30 / +60 s / end | writes to it | settle (s) |
|---|---|---:|---:|---:|---|---|---:|---:|---:|
${runs.flatMap((r) => r.channels.map((c) => `| ${r.allocations ? "with" : "without"} allocations | ${c.name} (${c.kind}) | ${c.orders} | ${c.unitsSold} | ${c.oversold} | ${lat(c.toRecord)} | ${lat(c.fromRecord)} | ${c.kind === "record" ? "–" : `${c.wrongAt["5"]} / ${c.wrongAt["30"]} / ${c.wrongAt["60"]} / ${c.wrongAtEnd}`} | ${c.writes} | ${c.kind === "record" ? "–" : (c.settleSeconds ?? "not reached")} |`)).join("\n")}
${renderMarketplaces(runs)}
Orders: ${runs.map((r) => `${r.allocations ? "with" : "without"} allocations ${r.orders.placed} placed (${r.orders.byChannel.join(" / ")}), ${r.orders.refused} refused outright, ${r.orders.cancelled} cancelled, ${r.orders.refunded} refunded, ${r.unitsRequested} units asked for, ${r.pendingAtEnd} store sales pending at the end, Shopify calls ${r.shopifyCalls.queries} queries + ${r.shopifyCalls.mutations} mutations (${r.shopifyCalls.throttled} throttled), CPU s app ${r.cpu.app} / worker ${r.cpu.worker} / PostgreSQL ${r.cpu.postgres} (${r.cpu.msPerOrder} ms per order)`).join("; ")}.
Demand above stock on ${runs[0]?.shortSkus ?? 0} of ${p.skus} SKUs.${mig ? ` Enabling allocations: ${mig.seconds === null ? `not finished after ${p.migrationMaxMs / 1000} s (${mig.migratedAtStart} of ${mig.listings} listings migrated when the stream started)` : `${mig.seconds} s for ${mig.listings} listings`}.` : ""}
`;
}

/**
 * The marketplace channels' own section (issue 16): settle apart from the WooCommerce / Shopify figures, the model each
 * ran with, and the API budget it used. Empty without marketplaces.
 */
function renderMarketplaces(runs: StreamRun[]): string {
  const rows = runs.flatMap((r) =>
    r.channels
      .filter((c) => c.marketplace)
      .map((c) => {
        const m = c.marketplace!;
        const others = r.channels.filter((x) => x.kind !== "record" && x.kind !== "marketplace");
        const othersSettle = others.some((x) => x.settleSeconds === null)
          ? "not reached"
          : String(Math.max(0, ...others.map((x) => x.settleSeconds ?? 0)));
        const calls = Object.entries(m.calls)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ");
        const share = r.orders.placed ? Math.round((1000 * c.orders) / r.orders.placed) / 10 : 0;
        const protection = m.allocations ? "allocations, read-then-set" : `${m.mode}, buffer ${m.buffer}`;
        const window = `${m.overwritten.writes} of ${m.overwritten.readThenSetWrites} (${m.overwritten.units} units)`;
        return `| ${r.allocations ? "with" : "without"} allocations | ${c.name} (${protection}) | ${c.orders} (${share} %) | ${c.oversold} | ${c.settleSeconds ?? "not reached"} | ${othersSettle} | ${lat(c.toRecord)} | ${c.writes} items in ${m.writeCalls} calls (${m.feeds} feeds) | ${window} | ${m.throttled} | ${calls} |`;
      }),
  );
  if (!rows.length) return "";
  const model = runs.flatMap((r) => r.channels).find((c) => c.marketplace)!.marketplace!.model;
  return `
Marketplace channels (model: ${model.latencyMs} ms per request, feeds processed ${model.feedProcessingMs / 1000} s after submission, orders in the order listing ${model.orderIndexLagMs / 1000} s after purchase, polled every ${model.pollIntervalMs / 1000} s by the worker's one-minute poll tick; rate limits: ${model.rateLimits}):

| run | channel (protection) | orders (share) | oversold | settle (s) | settle of the WooCommerce / retailer channels (s) | channel → record p50 / p95 / p99 (ms) | writes | writes that overwrote a sale placed between their read and the write, of writes after a read (units shown again) | 429s | API calls (whole run incl. setup) |
|---|---|---:|---:|---:|---:|---|---|---|---:|---|
${rows.join("\n")}
`;
}

/** Timeline chart (SVG): per run, queued jobs and listings wrong (left axis) and store writes per second, over time. */
export function renderStreamSvg(runs: StreamRun[]): string {
  const W = 900,
    H = 260,
    pad = 44;
  const panel = (r: StreamRun, y0: number) => {
    const tl = r.timeline;
    const maxT = Math.max(1, ...tl.map((x) => x[0]!));
    const maxY = Math.max(1, ...tl.map((x) => Math.max(x[3]!, x[4]!)));
    const maxW = Math.max(1, ...tl.map((x) => x[2]!));
    const X = (t: number) => pad + (t / maxT) * (W - 2 * pad);
    const Y = (v: number, m: number) => y0 + H - pad - (v / m) * (H - 2 * pad);
    const line = (col: number, m: number, color: string) =>
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${tl.map((x) => `${X(x[0]!).toFixed(1)},${Y(x[col]!, m).toFixed(1)}`).join(" ")}"/>`;
    return `<text x="${pad}" y="${y0 + 18}" font-size="13" font-weight="bold">${r.allocations ? "With allocations" : "Without allocations"} — oversold ${r.oversold.total}, settle ${r.settleSeconds ?? "not reached"} s, peak queue ${r.peakQueue.total}</text>
<line x1="${pad}" y1="${y0 + H - pad}" x2="${W - pad}" y2="${y0 + H - pad}" stroke="#999"/><line x1="${pad}" y1="${y0 + pad}" x2="${pad}" y2="${y0 + H - pad}" stroke="#999"/>
<text x="${pad - 4}" y="${Y(maxY, maxY) + 4}" font-size="10" text-anchor="end">${maxY}</text><text x="${W - pad + 4}" y="${Y(maxW, maxW) + 4}" font-size="10">${maxW}/s</text>
<text x="${W - pad}" y="${y0 + H - pad + 16}" font-size="10" text-anchor="end">${maxT.toFixed(0)} s</text>${line(3, maxY, "#d0a000")}${line(4, maxY, "#c0392b")}${line(2, maxW, "#008060")}`;
  };
  const legend = [
    ["queued jobs", "#d0a000"],
    ["listings wrong", "#c0392b"],
    ["store writes / s (right scale)", "#008060"],
  ]
    .map(
      ([n, c], i) =>
        `<rect x="${44 + i * 220}" y="${runs.length * H + 6}" width="12" height="12" fill="${c}"/><text x="${62 + i * 220}" y="${runs.length * H + 16}" font-size="12">${n}</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${runs.length * H + 26}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${runs.map((r, i) => panel(r, i * H)).join("")}${legend}</svg>\n`;
}
