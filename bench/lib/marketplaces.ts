/**
 * Marketplace channels in the benchmarks (issue 16): Amazon here; another marketplace (Etsy) plugs in by adding one
 * `MarketplaceDriver` to `MARKETPLACE_DRIVERS` (see bench/README.md "Adding a marketplace channel").
 *
 * A driver owns its emulator and knows the marketplace's realistic model; everything else is generic:
 *  - `stackEnv()` — the app's and worker's environment (application keys, endpoints). Called BEFORE the stack starts,
 *    so a driver reserves its emulator's port there (one emulator at a time per driver, restarted per run on that port);
 *  - `start(...)` — a fresh emulated marketplace account for one run, holding `skus` listings that show `shown[i]` units
 *    (the bench sets them to what SyncFlow will derive, so linking needs no initial write), set up cost-free;
 *  - the connection goes through the channel's real authorisation flow (`connectByAuthorization`: the app's start URL
 *    → the emulator's consent page → the app's callback), exactly as the merchant's browser does;
 *  - `realistic()` switches the emulator to the measured model (latency, published rate limits, feed time, order index
 *    lag) before the measured part;
 *  - orders are placed through the emulator's buyer path (`placeOrder`: the marketplace takes the units off its own
 *    listing at once, as Amazon does for Pending orders), refused for a short line with `MarketplaceShort`.
 * Quantities in units, times in ms.
 */
import crypto from "node:crypto";
import prisma from "../../app/db.server";
import { startChannelAuthorization } from "../../app/sync/stores/authorize.server";
import { startAmazonEmulator, type AmazonEmulator } from "../../tests/emulators/amazon/index";
import { startEtsyEmulator, type EtsyEmulator } from "../../tests/emulators/etsy/index";
import { etsyBudgetPlan } from "../../app/channels/etsy/budget";
import { waitFor } from "../../tests/harness/world";
import { freePort } from "./stack";

/** A buyer's line the marketplace cannot fill: it shows `available` units of `sku`. */
export class MarketplaceShort extends Error {
  constructor(
    readonly sku: string,
    readonly available: number,
  ) {
    super(`${sku}: only ${available} available`);
  }
}

/** The realistic model a driver runs the measured part with (every figure stated in the report). */
export interface MarketplaceModel {
  /** One request's round trip at the marketplace (ms). */
  latencyMs: number;
  /** How long a bulk write (Amazon: a JSON_LISTINGS_FEED) takes from submission to its report (ms). */
  feedProcessingMs: number;
  /** How long an order takes to appear in the order listing the channel polls (ms). */
  orderIndexLagMs: number;
  /** SyncFlow's poll interval for the channel (ms, from the platform's published rate limit). */
  pollIntervalMs: number;
  /** Where the rate limits come from. */
  rateLimits: string;
}

/** One run's emulated marketplace account. */
export interface MarketplaceRun {
  /** Display name in the report ("Amazon"). */
  name: string;
  /** `Channel.kind`. */
  kind: string;
  /** Marketplace / market id the channel is connected for (the authorisation flow's `market`). */
  market: string;
  model: MarketplaceModel;
  /** Switches to the realistic model (latency, published rate limits, feed processing time, order index lag). */
  realistic(): void;
  /** What the listing of `sku` shows now (units). */
  shown(sku: string): number;
  /** Places a buyer's order; throws MarketplaceShort for a line the listing cannot fill (nothing placed). */
  placeOrder(lines: { sku: string; quantity: number }[]): { id: string };
  /** Cancels an order; @returns the units the marketplace gave back per SKU (a marketplace rule, read not assumed). */
  cancel(orderId: string): { sku: string; quantity: number }[];
  /** Quantity writes received (listing patches + feed messages) and bulk writes (feeds) so far. */
  writes(): { items: number; calls: number; feeds: number };
  /** Requests refused for the rate limit so far (must stay 0: the adapter paces itself). */
  throttled(): number;
  /**
   * The read-then-set window as the marketplace saw it (decision 300): writes that followed a read of the listing, and
   * those that overwrote buyers' orders placed between the read and the write (`units`: units shown again).
   */
  overwritten(): { readThenSetWrites: number; writes: number; units: number };
  /** Calls per operation so far (the API budget the run used). */
  calls(): Record<string, number>;
  close(): Promise<void>;
}

/** A marketplace the benchmarks can add as a sales channel. */
export interface MarketplaceDriver {
  /** `Channel.kind` and the command-line name (`--marketplaces amazon,etsy`). */
  kind: string;
  /** The app's and worker's environment for this marketplace (reserves the emulator's port; call once, first). */
  stackEnv(): Promise<Record<string, string>>;
  /** A fresh account for one run: listings `skus[i]` showing `shown[i]` units; cost-free until `realistic()`. */
  start(input: { skus: string[]; shown: number[]; run: number }): Promise<MarketplaceRun>;
}

/**
 * Connects a marketplace channel of `kind` to `shopId` through its real authorisation flow, as the merchant's browser
 * does: the app's start URL (sets the browser-binding cookie) → the platform's consent page (the emulator approves at
 * once) → the app's callback. Needs `SHOPIFY_APP_URL` and the kind's application keys in this process's env too
 * (`startChannelAuthorization` reads them). @returns the channel id once its listings are linked (`expectLinked`).
 */
export async function connectByAuthorization(input: {
  appUrl: string;
  shopId: string;
  kind: string;
  market: string;
  expectLinked: number;
  timeoutMs?: number;
}): Promise<string> {
  const hop = async (url: string, cookie?: string) => {
    const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
    return {
      status: res.status,
      location: res.headers.get("location"),
      cookie: res.headers.get("set-cookie"),
      body: await res.text(),
    };
  };
  process.env.SHOPIFY_APP_URL = input.appUrl; // the start URL is the app's own (startChannelAuthorization reads it)
  const start = await startChannelAuthorization(input.shopId, input.kind, input.market);
  const first = await hop(start);
  if (first.status !== 302 || !first.location || !first.cookie)
    throw new Error(`${input.kind} authorisation start: ${first.status} ${first.body.slice(0, 200)}`);
  const cookie = first.cookie.split(";")[0]!;
  let next = first.location;
  // Follow the platform's redirects until they come back to the app's callback.
  for (let i = 0; i < 5 && !next.startsWith(input.appUrl); i++) {
    const h = await hop(next);
    if (h.status !== 302 || !h.location) throw new Error(`${input.kind} consent: ${h.status} ${h.body.slice(0, 200)}`);
    next = h.location;
  }
  const done = await hop(next, cookie);
  if (done.status !== 200) throw new Error(`${input.kind} callback: ${done.status} ${done.body.slice(0, 300)}`);
  const channel = await prisma.channel.findFirstOrThrow({
    where: { shopId: input.shopId, kind: input.kind, status: { not: "disconnected" } },
    orderBy: { createdAt: "desc" },
    select: { id: true },
  });
  await waitFor(
    `${input.kind} listings linked`,
    async () =>
      (await prisma.listing.count({ where: { channelId: channel.id, matchStatus: "linked" } })) >= input.expectLinked,
    input.timeoutMs ?? 900_000,
    500,
  );
  return channel.id;
}

/**
 * Amazon (Selling Partner API) through its emulator (tests/emulators/amazon). The model: every request 250 ms
 * (`BENCH_AMAZON_LATENCY_MS`), the usage plans the `@sp-api-sdk` packages publish (`clientRateLimits`; the emulator
 * answers 429 above them), a JSON_LISTINGS_FEED processed `BENCH_AMAZON_FEED_MS` after createFeed (default 120 s:
 * real feeds take minutes), orders reaching getOrders `BENCH_AMAZON_INDEX_LAG_MS` after the purchase (default 30 s),
 * polled every 60 s (getOrders: 0.0167/s, AMAZON_DECLARED_CAPABILITIES.pollIntervalMs).
 */
export function amazonDriver(overrides: Partial<MarketplaceModel> = {}): MarketplaceDriver {
  const clientId = "amzn1.application-oa2-client.syncflowbench";
  const clientSecret = "amzn1.oa2-cs.v1.bench-" + crypto.randomBytes(8).toString("hex");
  const applicationId = "amzn1.sp.solution.syncflow-bench";
  let port = 0;
  let current: AmazonEmulator | null = null;
  const num = (v: string | undefined, d: number) => (v && Number.isFinite(Number(v)) ? Number(v) : d);
  const model: MarketplaceModel = {
    latencyMs: num(process.env.BENCH_AMAZON_LATENCY_MS, 250),
    feedProcessingMs: num(process.env.BENCH_AMAZON_FEED_MS, 120_000),
    orderIndexLagMs: num(process.env.BENCH_AMAZON_INDEX_LAG_MS, 30_000),
    pollIntervalMs: 60_000,
    rateLimits: "@sp-api-sdk clientRateLimits (published usage plans), emulator rateScale 1",
    ...overrides,
  };
  const env = () => {
    const url = `http://127.0.0.1:${port}`;
    return {
      AMAZON_LWA_CLIENT_ID: clientId,
      AMAZON_LWA_CLIENT_SECRET: clientSecret,
      AMAZON_SP_APP_ID: applicationId,
      AMAZON_CONSENT_BASE_URL: url,
      AMAZON_SP_API_ENDPOINT: url,
      AMAZON_LWA_TOKEN_URL: `${url}/auth/o2/token`,
    };
  };
  return {
    kind: "amazon",
    async stackEnv() {
      port ||= await freePort();
      // startChannelAuthorization runs in the bench process: it reads the same keys.
      Object.assign(process.env, env());
      return env();
    },
    async start({ skus, shown, run }) {
      if (!port) throw new Error("amazonDriver: stackEnv() first (the app must know the endpoint)");
      await current?.close();
      const amazon = await startAmazonEmulator({
        port,
        clientId,
        clientSecret,
        applicationId,
        // A seller per run: the adapter's pacing buckets (per seller, in the worker) start fresh.
        sellerId: `A1BENCH${run}${crypto.randomBytes(3).toString("hex").toUpperCase()}`,
        rateScale: 1000,
        feedProcessingMs: 500,
        indexLagMs: 0,
      });
      current = amazon;
      skus.forEach((sku, i) =>
        amazon.control.addListing({ sku, quantity: shown[i]!, title: `Stream item ${i}`, price: "12.00" }),
      );
      return {
        name: "Amazon",
        kind: "amazon",
        market: amazon.marketplaceId,
        model,
        realistic() {
          amazon.control.setRateScale(1);
          amazon.control.setLatency(model.latencyMs);
          amazon.control.setFeedProcessingMs(model.feedProcessingMs);
          amazon.control.setIndexLag(model.orderIndexLagMs);
        },
        shown: (sku) => amazon.listings.get(sku)?.quantity ?? 0,
        placeOrder(lines) {
          for (const l of lines) {
            const have = amazon.listings.get(l.sku)?.quantity ?? 0;
            if (have < l.quantity) throw new MarketplaceShort(l.sku, have);
          }
          return { id: amazon.control.placeOrder({ lines }).AmazonOrderId };
        },
        cancel(orderId) {
          const o = amazon.orders.get(orderId);
          if (!o) return [];
          const before = o.items.map((i) => amazon.listings.get(i.SellerSKU)?.quantity ?? 0);
          amazon.control.setOrderStatus(orderId, "Canceled");
          return o.items.map((i, k) => ({
            sku: i.SellerSKU,
            quantity: (amazon.listings.get(i.SellerSKU)?.quantity ?? 0) - before[k]!,
          }));
        },
        writes() {
          const patches = amazon.requests.filter((r) => r.operation === "patchListingsItem" && r.status === 200).length;
          const feeds = amazon.requests.filter((r) => r.operation === "createFeed" && r.status === 202).length;
          return { items: patches + amazon.control.feedMessages(), calls: patches + feeds, feeds };
        },
        throttled: () => Object.values(amazon.control.throttled()).reduce((a, b) => a + (b ?? 0), 0),
        overwritten: () => amazon.control.overwrittenSales(),
        calls() {
          const out: Record<string, number> = {};
          for (const r of amazon.requests) out[r.operation] = (out[r.operation] ?? 0) + 1;
          return out;
        },
        close: async () => {
          if (current === amazon) current = null;
          await amazon.close();
        },
      };
    },
  };
}

/**
 * Etsy (Open API v3) through its emulator (tests/emulators/etsy). The model: every request 300 ms
 * (`BENCH_ETSY_LATENCY_MS`), Etsy's default per-app limits (10 requests a second, 10,000 a day: the emulator answers 429
 * above them), receipts reaching getShopReceipts `BENCH_ETSY_INDEX_LAG_MS` after the purchase (default 15 s), polled at
 * the interval the shared daily budget gives one shop of this catalog (decision 273: 60 s up to ~30,000 SKUs). No
 * feeds: one whole-inventory GET + PUT per listing (every bench SKU is its own listing).
 */
export function etsyDriver(overrides: Partial<MarketplaceModel> = {}): MarketplaceDriver {
  const keystring = "syncflowbenchkeystring";
  const sharedSecret = crypto.randomBytes(6).toString("hex");
  let port = 0;
  let current: EtsyEmulator | null = null;
  const num = (v: string | undefined, d: number) => (v && Number.isFinite(Number(v)) ? Number(v) : d);
  const env = () => {
    const url = `http://127.0.0.1:${port}`;
    return {
      ETSY_KEYSTRING: keystring,
      ETSY_SHARED_SECRET: sharedSecret,
      ETSY_CONSENT_URL: `${url}/oauth/connect`,
      ETSY_API_BASE: url,
      ETSY_TOKEN_URL: `${url}/v3/public/oauth/token`,
    };
  };
  return {
    kind: "etsy",
    async stackEnv() {
      port ||= await freePort();
      Object.assign(process.env, env());
      return env();
    },
    async start({ skus, shown }) {
      if (!port) throw new Error("etsyDriver: stackEnv() first (the app must know the endpoint)");
      await current?.close();
      // Cost-free set-up: unlimited and instant until realistic().
      const etsy = await startEtsyEmulator({ port, keystring, sharedSecret, qps: 100_000, qpd: 100_000_000 });
      current = etsy;
      const model: MarketplaceModel = {
        latencyMs: num(process.env.BENCH_ETSY_LATENCY_MS, 300),
        feedProcessingMs: 0,
        orderIndexLagMs: num(process.env.BENCH_ETSY_INDEX_LAG_MS, 15_000),
        pollIntervalMs: etsyBudgetPlan({ shops: 1, listings: skus.length }).pollIntervalMs,
        rateLimits: "Etsy's default per-app limits: 10 requests/s, 10,000/day (429 above); the adapter paces at 8/s",
        ...overrides,
      };
      skus.forEach((sku, i) =>
        etsy.control.addListing({ title: `Stream item ${i}`, products: [{ sku, quantity: shown[i]!, price: 12 }] }),
      );
      const puts = () => etsy.requests.filter((r) => r.operation === "updateListingInventory" && r.status === 200);
      return {
        name: "Etsy",
        kind: "etsy",
        market: "etsy",
        model,
        realistic() {
          etsy.control.setLimits({ qps: 10, qpd: 10_000 });
          etsy.control.setLatency(model.latencyMs);
          etsy.control.setIndexLagMs(model.orderIndexLagMs);
        },
        shown: (sku) => etsy.control.quantityOf(sku) ?? 0,
        placeOrder(lines) {
          for (const l of lines) {
            const have = etsy.control.quantityOf(l.sku) ?? 0;
            if (have < l.quantity) throw new MarketplaceShort(l.sku, have);
          }
          return { id: String(etsy.control.placeReceipt(lines).receipt_id) };
        },
        cancel(orderId) {
          const r = etsy.receipts.get(Number(orderId));
          if (!r) return [];
          const before = r.transactions.map((t) => etsy.control.quantityOf(t.sku) ?? 0);
          etsy.control.cancelReceipt(r.receipt_id);
          return r.transactions.map((t, k) => ({
            sku: t.sku,
            quantity: (etsy.control.quantityOf(t.sku) ?? 0) - before[k]!,
          }));
        },
        writes() {
          const p = puts();
          return { items: p.length, calls: p.length, feeds: 0 };
        },
        throttled: () => etsy.control.throttled(),
        overwritten: () => etsy.control.overwrittenSales(),
        calls() {
          const out: Record<string, number> = {};
          for (const r of etsy.requests) out[r.operation] = (out[r.operation] ?? 0) + 1;
          return out;
        },
        close: async () => {
          if (current === etsy) current = null;
          await etsy.close();
        },
      };
    },
  };
}

/** Every marketplace the benchmarks know, by `--marketplaces` name. Add a driver here to bench a new one. */
export const MARKETPLACE_DRIVERS: Record<string, () => MarketplaceDriver> = {
  amazon: () => amazonDriver(),
  etsy: () => etsyDriver(),
};

/** The drivers named by `--marketplaces a,b` (default: every known one; `none` or "" for none). */
export function marketplaceDrivers(arg: string | undefined): MarketplaceDriver[] {
  const names = arg === undefined ? Object.keys(MARKETPLACE_DRIVERS) : arg === "none" ? [] : arg.split(",");
  return names.filter(Boolean).map((n) => {
    const make = MARKETPLACE_DRIVERS[n];
    if (!make)
      throw new Error(`--marketplaces: unknown "${n}" (known: ${Object.keys(MARKETPLACE_DRIVERS).join(", ")})`);
    return make();
  });
}
