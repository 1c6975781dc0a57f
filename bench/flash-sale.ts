/**
 * Flash sale: K units of one SKU on Shopify, two WooCommerce stores and (SyncFlow run, issue 14) `retailers` retailer
 * Shopify shops on the same emulated Shopify, N buyers (1 unit each) arriving at seeded-random times across the
 * channels. `retailers: 0` is the earlier configuration (Shopify + 2 WooCommerce, the same buyer schedule as before). Run once with the NAIVE syncer and once with SyncFlow (the
 * real app + worker), same schedule, same emulator latencies. Every `sampleMs` the quantity each store shows
 * is compared with the true remaining stock (K − successful checkouts, floored at 0).
 * Metrics (ms): exposure windows (a store shows stock that no longer exists), propagation (a sale → every
 * other store shows ≤ the remaining after it), oversold units (successful checkouts − K, floored at 0); and per
 * channel (`channels`): units sold, oversold units (the sales beyond K in time order, charged to the channel that made
 * them), channel → record latency (an order placed on the channel → its units applied to Shopify's record, from the
 * hub's adjustment rows), record → channel latency (a sale on the record, i.e. a Shopify checkout → this channel shows
 * no more than the units left), exposure p99, and whether the listing is stale after the last order (decision 210).
 */
import { startShopifyEmulator, type ShopifyEmulator } from "../tests/emulators/shopify/index";
import { startWooEmulator, REALISTIC_WOO_LATENCY, type WooEmulator } from "../tests/emulators/woocommerce/index";
import { startNaiveSyncer } from "./naive-syncer";
import type { Stack } from "./lib/stack";
import { onboardShop } from "./lib/onboard";
import { addRetailerShop } from "../tests/harness/retailers";
import { connectByAuthorization, type MarketplaceDriver, type MarketplaceRun } from "./lib/marketplaces";

export const FLASH_SKU = "FLASH-TEE-1";

/** Parameters of one flash sale. */
export interface FlashParams {
  units: number;
  buyers: number;
  arrivalWindowMs: number;
  settleMs: number;
  sampleMs: number;
  seed: number;
  shopifyLatencyMs: number;
  shopifyWebhookDelayMs: number;
  /**
   * Retailer Shopify shops selling beside Shopify and the two WooCommerce stores in the SyncFlow run (issue 14); 0 =
   * the earlier three-channel configuration. The naive syncer (issue 3's comparison) always runs the three channels.
   */
  retailers: number;
  /**
   * SyncFlow run in exact mode WITH allocations (true, the documented flash sale) or without (every channel shows the
   * derived quantity: the record → channel path is then exercised on every sale; `--flash-allocations off`).
   */
  allocations: boolean;
}

/** p50 / p95 / p99 / max (nearest rank) of latencies, ms; `open` = items not reached by the end (counted at the end). */
export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  n: number;
  open: number;
  /** Channel → record only: orders the hub has no row for at the end (a lost sale, or its webhook never processed). */
  missing?: number;
  /** Channel → record only: orders the hub has but moved no stock for (e.g. cancelled before the hub saw them). */
  nothingToApply?: number;
}

/** Per-channel figures of one run (units, ms). */
export interface ChannelFigures {
  name: string;
  kind: "record" | "woocommerce" | "retailer" | "marketplace";
  sold: number;
  oversold: number;
  /** An order placed here → its units applied to Shopify's record (null for the record itself and for the naive syncer). */
  toRecord: Latency | null;
  /** A Shopify (record) checkout → this channel shows ≤ the units left after it (null for the record itself). */
  fromRecord: Latency | null;
  exposureP99Ms: number;
  finalShown: number;
  /** Shows a quantity other than the units left at the end of the settle window (all units sell: the truth is 0). */
  staleAtEnd: boolean;
  /** Last change of the shown quantity after the last successful sale (ms; 0 = none after it). */
  lastChangeAfterLastSaleMs: number;
}

/** p50 / p99 / max of a set of durations (ms). */
export interface Spread {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

/** Results of one mode. */
export interface FlashResult {
  oversold: number;
  sold: number;
  exposureP99Ms: number;
  propagationP99Ms: number;
  /** Windows (ms, p99) during which the channels together show more units than exist (Σ shown > remaining): units offered twice. */
  overlapP99Ms: number;
  /** Windows (ms, p99) during which some channel shows 0 while another channel still shows stock (a sale refused there). */
  strandedP99Ms: number;
  /** Shopify's final on_hand − committed (available + units held for stores) and whether it equals units − sold (no lost or doubled sale). */
  finalShopify: number;
  ledgerExact: boolean;
  finalShown: number[];
  /**
   * ms from the last successful sale until Shopify's on_hand − committed equals units − sold AND (SyncFlow) no store
   * sale is still pending for Shopify (and stays so); null when that was not reached by the end of the settle window.
   */
  lagAfterLastSaleMs: number | null;
  /** Store sales still pending for Shopify at the end of the settle window (SyncFlow; 0 for naive). */
  pendingAtEnd: number;
  /** CHANGE_FROM_QUANTITY_STALE answers during the run, per mutation (each one is a compare-and-set retry). */
  casRetries: { adjust: number; move: number; set: number };
  /** Inventory mutations sent to Shopify during the run, per mutation. */
  mutations: { adjust: number; move: number; set: number };
  /**
   * SyncFlow only: where the lag goes, ms (p50 / p99 / max). `webhookQueue`: a store webhook stored → processed
   * (the sale becomes a pending adjustment); `adjust`: a pending adjustment created → applied to Shopify.
   */
  stages?: { webhookQueue: Spread; adjust: Spread; storeSales: number; shopifyWrites: number };
  /** Timeline: [t ms from start, shown per store..., true remaining]. */
  timeline: number[][];
  sales: { t: number; store: number }[];
  /** Channel names, in timeline column order. */
  channelNames: string[];
  channels: ChannelFigures[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * The buyers' schedule: arrival time (ms from start) and channel index (0 Shopify, 1/2 Woo, 3… retailers) over
 * `channels` channels (3 gives the earlier schedule exactly).
 */
export function schedule(p: FlashParams, channels = 3): { t: number; store: number }[] {
  const r = rng(p.seed);
  return Array.from({ length: p.buyers }, () => ({
    t: Math.floor(r() * p.arrivalWindowMs),
    store: Math.floor(r() * channels),
  })).sort((a, b) => a.t - b.t);
}

/** One channel the buyers use: what it shows, a checkout of one unit (returns the order's id; throws when refused). */
interface SalesPoint {
  name: string;
  kind: ChannelFigures["kind"];
  /** The hub's channel id (SyncFlow run; absent for the record and the naive run). */
  channelId?: string;
  shown(): number;
  buy(): string;
}

async function world(p: FlashParams, shop: string, appUrl: string | undefined, apiKey: string, apiSecret: string) {
  const shopify = await startShopifyEmulator({
    apiKey,
    apiSecret,
    appUrl,
    latencyMs: p.shopifyLatencyMs,
    restoreRate: 100,
    webhookDelayMs: p.shopifyWebhookDelayMs,
  });
  const created = shopify.control.createShop({ domain: shop, name: "Flash Sale Outfitters" });
  const prod = shopify.control.createProduct(shop, {
    title: "Flash Tee",
    variants: [{ sku: FLASH_SKU, price: 25, quantities: { [created.locationId]: p.units } }],
  });
  const woo: WooEmulator[] = [];
  for (let i = 0; i < 2; i++) {
    const w = await startWooEmulator({ siteName: `Flash Woo ${i + 1}`, ...REALISTIC_WOO_LATENCY });
    w.store.createProduct({
      type: "simple",
      name: "Flash Tee",
      sku: FLASH_SKU,
      regular_price: "25",
      status: "publish",
      manage_stock: true,
      stock_quantity: p.units,
    });
    woo.push(w);
  }
  return { shopify, shop, created, inventoryItemId: prod.variants[0]!.inventoryItemId, woo };
}

/** Runs the buyers against the channels while sampling; returns metrics. */
async function drive(
  p: FlashParams,
  shopify: ShopifyEmulator,
  shop: string,
  locationId: string,
  points: SalesPoint[],
  pendingSales: () => Promise<number> = async () => 0,
): Promise<FlashResult> {
  const n = points.length;
  const shown = () => points.map((c) => c.shown());
  // Units Shopify still holds at the location: on_hand − committed (= available + safety_stock held for stores).
  const stockLeft = () => {
    const l = shopify.control.state(shop).levels.find((x) => x.sku === FLASH_SKU && x.locationId === locationId);
    return l ? l.onHand - l.committed : 0;
  };
  const plan = schedule(p, n);
  const sales: { t: number; store: number; orderId: string }[] = [];
  const timeline: number[][] = [];
  const t0 = Date.now();
  let sold = 0;
  const sampler = setInterval(() => {
    const t = Date.now() - t0;
    timeline.push([t, ...shown(), Math.max(0, p.units - sold)]);
  }, p.sampleMs);
  // Watcher: when Shopify's on_hand − committed became units − sold with no store sale pending (null while not).
  let exactSince: number | null = null;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const k = sold;
      const exact = stockLeft() === p.units - k && (await pendingSales()) === 0 && sold === k;
      if (exact && exactSince === null) exactSince = Date.now() - t0;
      if (!exact) exactSince = null;
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  await Promise.all(
    plan.map(async (b) => {
      await new Promise((r) => setTimeout(r, Math.max(0, b.t - (Date.now() - t0))));
      try {
        const orderId = points[b.store]!.buy();
        sold++;
        sales.push({ t: Date.now() - t0, store: b.store, orderId });
        timeline.push([Date.now() - t0, ...shown(), Math.max(0, p.units - sold)]);
      } catch {
        /* refused: out of stock on that channel */
      }
    }),
  );
  await new Promise((r) => setTimeout(r, p.settleMs));
  watching = false;
  await watcher;
  // Lag: from the last successful sale until the record became (and stayed) exact with nothing pending.
  const lastSaleT = sales.length ? Math.max(...sales.map((x) => x.t)) : 0;
  const lagAfterLastSaleMs = exactSince === null ? null : Math.max(0, exactSince - lastSaleT);
  const pendingAtEnd = await pendingSales();
  clearInterval(sampler);
  const end = Date.now() - t0;
  timeline.sort((a, b) => a[0]! - b[0]!);
  const REM = n + 1; // column of the true remaining

  // Exposure windows per store.
  const windows: number[] = [];
  const windowsBy: number[][] = points.map(() => []);
  for (let s = 0; s < n; s++) {
    let open: number | null = null;
    for (const row of timeline) {
      const exposed = row[1 + s]! > row[REM]!;
      if (exposed && open === null) open = row[0]!;
      if (!exposed && open !== null) {
        windowsBy[s]!.push(row[0]! - open);
        open = null;
      }
    }
    if (open !== null) windowsBy[s]!.push(end - open);
    windows.push(...windowsBy[s]!);
  }
  // Overlap (units offered on two channels at once) and stranded stock (a channel out while another holds units).
  const overlap: number[] = [];
  const stranded: number[] = [];
  {
    let o: number | null = null;
    let st: number | null = null;
    for (const row of timeline) {
      const shownNow = row.slice(1, 1 + n);
      const isOverlap = shownNow.reduce((a, b) => a + Math.max(0, b), 0) > row[REM]!;
      const isStranded = shownNow.some((q) => q <= 0) && shownNow.some((q) => q > 0);
      if (isOverlap && o === null) o = row[0]!;
      if (!isOverlap && o !== null) {
        overlap.push(row[0]! - o);
        o = null;
      }
      if (isStranded && st === null) st = row[0]!;
      if (!isStranded && st !== null) {
        stranded.push(row[0]! - st);
        st = null;
      }
    }
    if (o !== null) overlap.push(end - o);
    if (st !== null) stranded.push(end - st);
  }
  // Propagation per sale: until every other store shows ≤ the remaining after that sale; per target channel too.
  const props: number[] = [];
  const fromRecord: { ms: number; open: boolean }[][] = points.map(() => []);
  sales.forEach((sale, j) => {
    const remaining = Math.max(0, p.units - (j + 1));
    let reached = end;
    const reachedBy: (number | null)[] = points.map((_, s) => (s === sale.store ? sale.t : null));
    for (const row of timeline) {
      if (row[0]! < sale.t) continue;
      for (let s = 0; s < n; s++) if (reachedBy[s] === null && row[1 + s]! <= remaining) reachedBy[s] = row[0]!;
      if (reachedBy.every((x) => x !== null)) {
        reached = row[0]!;
        break;
      }
    }
    props.push(reached - sale.t);
    if (points[sale.store]!.kind === "record")
      for (let s = 0; s < n; s++)
        if (s !== sale.store) fromRecord[s]!.push({ ms: (reachedBy[s] ?? end) - sale.t, open: reachedBy[s] === null });
  });
  const finalShown = shown();
  const { casRetries, mutations } = casStats(shopify, shop, t0);
  const ordered = [...sales].sort((a, b) => a.t - b.t);
  const remainingAtEnd = Math.max(0, p.units - sold);
  const channels: ChannelFigures[] = points.map((c, s) => {
    let lastChange = 0;
    for (let k = 1; k < timeline.length; k++)
      if (timeline[k]![1 + s] !== timeline[k - 1]![1 + s] && timeline[k]![0]! > lastSaleT)
        lastChange = timeline[k]![0]! - lastSaleT;
    return {
      name: c.name,
      kind: c.kind,
      sold: sales.filter((x) => x.store === s).length,
      oversold: ordered.filter((x, k) => x.store === s && k >= p.units).length,
      toRecord: null,
      fromRecord: c.kind === "record" ? null : latency(fromRecord[s]!),
      exposureP99Ms: p99(windowsBy[s]!),
      finalShown: finalShown[s]!,
      staleAtEnd: finalShown[s] !== remainingAtEnd,
      lastChangeAfterLastSaleMs: lastChange,
    };
  });
  // Channel → record: only the hub knows when a store's order reached Shopify (its adjustment rows).
  const endAt = Date.now();
  for (const [s, c] of points.entries())
    if (c.channelId)
      channels[s]!.toRecord = await toRecordLatency(
        c.channelId,
        sales.filter((x) => x.store === s),
        t0,
        endAt,
      );
  return {
    lagAfterLastSaleMs,
    pendingAtEnd,
    casRetries,
    mutations,
    oversold: Math.max(0, sold - p.units),
    sold,
    exposureP99Ms: p99(windows),
    propagationP99Ms: p99(props),
    overlapP99Ms: p99(overlap),
    strandedP99Ms: p99(stranded),
    finalShopify: stockLeft(),
    ledgerExact: stockLeft() === p.units - sold,
    finalShown,
    timeline,
    sales: sales.map(({ t, store }) => ({ t, store })),
    channelNames: points.map((c) => c.name),
    channels,
  };
}

/** Latency figures (ms) of `xs`; items with `open` were not reached by the end and count at the end. */
export function latency(xs: { ms: number; open: boolean }[]): Latency {
  const s = xs.map((x) => x.ms).sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : 0);
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: s.at(-1) ?? 0,
    n: s.length,
    open: xs.filter((x) => x.open).length,
  };
}

/**
 * Channel → record latency per channel of the hub: for each order placed on a store channel (`sales`, ms from `t0`),
 * until the hub applied its units to Shopify's record (the latest `appliedAt` of the adjustments the order caused);
 * orders not applied by `endAt` (epoch ms) count until then and as `open` — among them `missing`, orders the hub has
 * no row for. Orders the hub has with no adjustment at all (`nothingToApply`: cancelled before it saw them) are left
 * out of the figures.
 */
export async function toRecordLatency(
  channelId: string,
  sales: { t: number; orderId: string }[],
  t0: number,
  endAt: number,
): Promise<Latency> {
  const { default: prisma } = await import("../app/db.server");
  const tail = (id: string) => id.split("/").pop()!;
  const orders = await prisma.order.findMany({ where: { channelId }, select: { id: true, externalId: true } });
  const hubId = new Map(orders.map((o) => [tail(o.externalId), o.id]));
  const adj = await prisma.shopifyAdjustment.findMany({
    where: { orderId: { in: orders.map((o) => o.id) } },
    select: { orderId: true, appliedAt: true, status: true },
  });
  const appliedBy = new Map<string, number | null>();
  for (const a of adj) {
    const prev = appliedBy.get(a.orderId!);
    const at = a.appliedAt?.getTime() ?? null;
    appliedBy.set(a.orderId!, prev === null || at === null ? null : Math.max(prev ?? 0, at));
  }
  let missing = 0;
  let nothingToApply = 0;
  const xs: { ms: number; open: boolean }[] = [];
  for (const x of sales) {
    const id = hubId.get(tail(x.orderId));
    if (!id) missing++;
    else if (!appliedBy.has(id)) {
      nothingToApply++;
      continue;
    }
    const at = id ? (appliedBy.get(id) ?? null) : null;
    xs.push(at === null ? { ms: endAt - (t0 + x.t), open: true } : { ms: Math.max(0, at - (t0 + x.t)), open: false });
  }
  return { ...latency(xs), missing, nothingToApply };
}

/**
 * Switches the stores to allocations and waits for the first (full) rebalance: every linked listing migrated,
 * no step in flight, and the emulators' quantities stable for 1.5 s.
 */
async function enableAllocations(shopId: string, channelIds: string[], snapshot: () => unknown[]): Promise<void> {
  const { default: prisma } = await import("../app/db.server");
  const { Prisma } = await import("@prisma/client");
  const { queueRebalance } = await import("../app/sync/allocation/allocation.server");
  await prisma.channel.updateMany({ where: { id: { in: channelIds } }, data: { allocationEnabled: true } });
  const items = await prisma.listing.findMany({
    where: { channelId: { in: channelIds }, matchStatus: "linked" },
    select: { itemId: true },
  });
  for (const id of new Set(items.map((i) => i.itemId!))) await queueRebalance(shopId, id, true);
  let last = "";
  let since = Date.now();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const open = await prisma.listing.count({
      where: {
        channelId: { in: channelIds },
        matchStatus: "linked",
        OR: [{ allocatedQuantity: null }, { allocOp: { not: Prisma.DbNull } }],
      },
    });
    const snap = JSON.stringify([open, snapshot()]);
    if (snap !== last) {
      last = snap;
      since = Date.now();
    }
    if (open === 0 && Date.now() - since > 1500) return;
    if (Date.now() > deadline) throw new Error(`allocations not settled: ${snap}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Counts inventory mutations and their CHANGE_FROM_QUANTITY_STALE answers in the emulator's GraphQL log since `since` (ms epoch). */
function casStats(
  shopify: ShopifyEmulator,
  shop: string,
  since: number,
): Pick<FlashResult, "casRetries" | "mutations"> {
  const casRetries = { adjust: 0, move: 0, set: 0 };
  const mutations = { adjust: 0, move: 0, set: 0 };
  const fields = {
    adjust: "inventoryAdjustQuantities",
    move: "inventoryMoveQuantities",
    set: "inventorySetQuantities",
  } as const;
  for (const call of shopify.control.graphqlLog(shop)) {
    if (call.at < since) continue;
    const data = (call.response as { data?: Record<string, { userErrors?: { code?: string }[] } | null> } | null)?.data;
    if (!data) continue;
    for (const k of Object.keys(fields) as (keyof typeof fields)[]) {
      const payload = data[fields[k]];
      if (payload === undefined) continue;
      mutations[k]++;
      if (payload?.userErrors?.some((e) => e.code === "CHANGE_FROM_QUANTITY_STALE")) casRetries[k]++;
    }
  }
  return { casRetries, mutations };
}

/** p50 / p99 / max (nearest rank) of `xs` (ms); unfinished items count up to the end of the run. */
function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : 0);
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0, n: s.length };
}

/** p99 (nearest rank) of `xs`, 0 when empty. */
export function p99(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)]!;
}

/** The record and the WooCommerce stores as the buyers use them (Shopify's checkout, the stores' shopper checkout). */
function basePoints(shopify: ShopifyEmulator, shop: string, locationId: string, woo: WooEmulator[]): SalesPoint[] {
  return [
    {
      name: "Shopify",
      kind: "record",
      shown: () => shopify.control.state(shop).availableBySku[FLASH_SKU]?.[locationId] ?? 0,
      buy: () => shopify.control.placeOrder(shop, { lines: [{ sku: FLASH_SKU, quantity: 1 }] }).orderId,
    },
    ...woo.map((w, i): SalesPoint => ({
      name: `Woo ${String.fromCharCode(65 + i)}`,
      kind: "woocommerce",
      shown: () => w.control.getStock(FLASH_SKU) ?? 0,
      buy: () => String(w.control.placeOrder({ lines: [{ sku: FLASH_SKU, quantity: 1 }], status: "processing" }).id),
    })),
  ];
}

/** Naive mode: the naive syncer in this process, same emulators and latencies (always Shopify + 2 WooCommerce). */
export async function runNaive(p: FlashParams): Promise<FlashResult> {
  const w = await world(p, "flash-naive.myshopify.com", undefined, "naive-key", "naive-secret");
  const naive = await startNaiveSyncer({
    shopify: w.shopify,
    shop: w.shop,
    accessToken: w.created.accessToken,
    locationId: w.created.locationId,
    inventoryItemId: w.inventoryItemId,
    woo: w.woo,
    sku: FLASH_SKU,
  });
  await new Promise((r) => setTimeout(r, 500));
  try {
    return await drive(
      p,
      w.shopify,
      w.shop,
      w.created.locationId,
      basePoints(w.shopify, w.shop, w.created.locationId, w.woo),
    );
  } finally {
    await naive.close();
    await Promise.all([w.shopify.close(), ...w.woo.map((x) => x.close())]);
  }
}

/** Retailer shop names of the bench (the seed's retailers). */
export const RETAILER_NAMES = ["Nationwide Plants", "Epic Gardening", "Botanical Interests"];

/**
 * SyncFlow mode: the real app + worker (`stack`), started against this run's Shopify emulator origin by
 * the caller (`makeStack`), onboarding the shop and both stores (exact mode) first, then `p.retailers` retailer shops
 * on the same emulated Shopify (installed, linked with a retailer code, showing the K units before the sale), each
 * with Shopify's latencies (the emulator's settings are global to its shops).
 */
export async function runSyncflow(
  p: FlashParams,
  makeStack: (shopifyOrigin: string) => Promise<Stack>,
  /**
   * Marketplace channels selling in the SyncFlow run (issue 16; bench/lib/marketplaces.ts, their `stackEnv()` given to
   * the stack): each connected through its authorisation flow, showing the K units less its buffer before the sale,
   * with allocations when `p.allocations` (read-then-set, decision 300). The settle window grows to two polls plus the
   * order index lag (a marketplace's sales reach the hub only when it is polled).
   */
  drivers: MarketplaceDriver[] = [],
): Promise<{ result: FlashResult; stack: Stack; shopify: ShopifyEmulator; closeWorld: () => Promise<void> }> {
  // The app's key/secret must match the emulator's: the stack uses fixed bench credentials.
  const w = await world(
    p,
    "flash-syncflow.myshopify.com",
    undefined,
    "syncflow-bench-api-key",
    "syncflow-bench-api-secret",
  );
  const stack = await makeStack(w.shopify.url);
  w.shopify.control.setAppUrl(stack.appUrl);
  const { shopId, channelIds } = await onboardShop({
    stack,
    shopify: w.shopify,
    shop: w.shop,
    woo: w.woo,
    expectedItems: 1,
  });
  const points = basePoints(w.shopify, w.shop, w.created.locationId, w.woo);
  points.slice(1).forEach((pt, i) => (pt.channelId = channelIds[i]));
  const { default: prisma } = await import("../app/db.server");
  if (p.retailers > 0) {
    // Room for the retailers beside the two stores (the Free plan has one sales channel): as after an upgrade.
    await prisma.shop.update({
      where: { id: shopId },
      data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
    });
    for (let i = 0; i < p.retailers; i++) {
      const r = await addRetailerShop({
        shopify: w.shopify,
        appUrl: stack.appUrl,
        apiKey: stack.apiKey,
        apiSecret: stack.apiSecret,
        centralShopId: shopId,
        domain: `flash-retailer-${i + 1}.myshopify.com`,
        name: RETAILER_NAMES[i % RETAILER_NAMES.length]!,
        products: [{ sku: FLASH_SKU, title: "Flash Tee", price: 25 }],
        startingStock: () => p.units,
      });
      await prisma.shop.update({ where: { id: r.shopId }, data: { reconcileEveryMin: 100_000 } });
      channelIds.push(r.channelId);
      points.push({
        name: r.name,
        kind: "retailer",
        channelId: r.channelId,
        shown: () => w.shopify.control.state(r.domain).availableBySku[FLASH_SKU]?.[r.locationId] ?? 0,
        buy: () => w.shopify.control.placeOrder(r.domain, { lines: [{ sku: FLASH_SKU, quantity: 1 }] }).orderId,
      });
    }
  }
  const markets: MarketplaceRun[] = [];
  if (drivers.length)
    await prisma.shop.update({
      where: { id: shopId },
      data: { planKey: "professional", subscriptionStatus: "ACTIVE", reconcileEveryMin: 100_000 },
    });
  for (const d of drivers) {
    const run = await d.start({ skus: [FLASH_SKU], shown: [Math.max(0, p.units - 2)], run: 0 });
    const channelId = await connectByAuthorization({
      appUrl: stack.appUrl,
      shopId,
      kind: d.kind,
      market: run.market,
      expectLinked: 1,
    });
    markets.push(run);
    channelIds.push(channelId);
    points.push({
      name: run.name,
      kind: "marketplace",
      channelId,
      shown: () => run.shown(FLASH_SKU),
      buy: () => run.placeOrder([{ sku: FLASH_SKU, quantity: 1 }]).id,
    });
  }
  await w.woo[0]!.control.idle();
  await new Promise((r) => setTimeout(r, 1000));
  // Exact mode with allocations (docs/decisions/008): each store sells only units reserved for it in Shopify's safety_stock.
  if (p.allocations)
    await enableAllocations(shopId, channelIds, () => [
      w.shopify.control.state(w.shop).levels.find((l) => l.sku === FLASH_SKU)!,
      ...points.slice(1).map((pt) => pt.shown()),
    ]);
  for (const m of markets) m.realistic();
  // A marketplace's sales reach the hub on its next poll after the order index lag: settle for two polls and the lag.
  const settleMs = Math.max(
    p.settleMs,
    ...markets.map((m) => 2 * m.model.pollIntervalMs + m.model.orderIndexLagMs + 5_000),
  );
  const pendingSales = () => prisma.shopifyAdjustment.count({ where: { shopId, status: "pending" } });
  const since = new Date();
  const result = await drive({ ...p, settleMs }, w.shopify, w.shop, w.created.locationId, points, pendingSales);
  const receipts = await prisma.webhookReceipt.findMany({
    where: { shopId, source: { not: "shopify" }, receivedAt: { gte: since } },
    select: { receivedAt: true, processedAt: true },
  });
  const adjustments = await prisma.shopifyAdjustment.findMany({
    where: { shopId, createdAt: { gte: since } },
    select: { createdAt: true, appliedAt: true },
  });
  const end = Date.now();
  result.stages = {
    webhookQueue: spread(receipts.map((r) => (r.processedAt?.getTime() ?? end) - r.receivedAt.getTime())),
    adjust: spread(adjustments.map((a) => (a.appliedAt?.getTime() ?? end) - a.createdAt.getTime())),
    storeSales: adjustments.length,
    shopifyWrites: result.mutations.adjust,
  };
  return {
    result,
    stack,
    shopify: w.shopify,
    closeWorld: async () => {
      await Promise.all(w.woo.map((x) => x.close()));
      await Promise.all(markets.map((m) => m.close()));
    },
  };
}
