/**
 * A small world of emulated stores for tests, the demo and benchmarks: one emulated Shopify shop and
 * N emulated WooCommerce stores, all seeded from WooCommerce's own sample catalog with the same SKUs and
 * starting stock; plus the steps a merchant takes — install the app (session token → token exchange),
 * create a connection code, and have the store register with the hub (as the plugin does).
 */
import { startShopifyEmulator, type ShopifyEmulator } from "../emulators/shopify/index";
import { mintSessionToken } from "../emulators/shopify/session-token";
import { startWooEmulator, type WooEmulator, type WooEmulatorOptions } from "../emulators/woocommerce/index";
import { demoStock, isStockable, loadSampleCatalog, type SampleProduct } from "../fixtures/sample-catalog";

export interface World {
  shopify: ShopifyEmulator;
  shop: string;
  accessToken: string;
  locationId: string;
  woo: WooEmulator[];
  catalog: SampleProduct[];
  /** Starting stock per SKU (as in the CSV), in units. */
  stock: Record<string, number>;
  close(): Promise<void>;
}

export interface WorldOptions {
  apiKey: string;
  apiSecret: string;
  appUrl?: string;
  shop?: string;
  wooStores?: number;
  woo?: WooEmulatorOptions;
  shopifyLatencyMs?: number;
  restoreRate?: number;
  webhookDelayMs?: number;
  /** Override starting stock (units) per SKU. */
  stockFor?: (sku: string) => number;
}

/** Starts and seeds the emulators. */
export async function startWorld(opts: WorldOptions): Promise<World> {
  const shopify = await startShopifyEmulator({
    apiKey: opts.apiKey,
    apiSecret: opts.apiSecret,
    appUrl: opts.appUrl,
    latencyMs: opts.shopifyLatencyMs ?? 0,
    restoreRate: opts.restoreRate ?? 1000,
    webhookDelayMs: opts.webhookDelayMs ?? 10,
  });
  const shop = opts.shop ?? "syncflow-demo.myshopify.com";
  const created = shopify.control.createShop({ domain: shop, name: "SyncFlow Demo Outfitters", currency: "USD" });
  const catalog = loadSampleCatalog();
  const stockFor = opts.stockFor ?? demoStock;
  const stock: Record<string, number> = {};
  for (const p of catalog) if (isStockable(p)) stock[p.sku] = stockFor(p.sku);

  // Shopify: a variable product's variations become its variants; simple products one variant each.
  for (const p of catalog) {
    if (p.type === "variable") {
      const variations = catalog.filter((v) => v.type === "variation" && v.parentSku === p.sku);
      shopify.control.createProduct(shop, {
        title: p.name,
        variants: variations.map((v) => ({
          sku: v.sku,
          title: v.name,
          price: v.regularPrice ?? "0",
          tracked: true,
          quantities: { [created.locationId]: stock[v.sku] ?? 0 },
        })),
      });
    } else if (p.type === "simple") {
      const tracked = isStockable(p);
      shopify.control.createProduct(shop, {
        title: p.name,
        variants: [
          {
            sku: p.sku,
            price: p.regularPrice ?? "0",
            tracked,
            quantities: tracked ? { [created.locationId]: stock[p.sku] ?? 0 } : {},
          },
        ],
      });
    }
  }
  const woo: WooEmulator[] = [];
  for (let i = 0; i < (opts.wooStores ?? 1); i++) {
    const w = await startWooEmulator({ siteName: `Woo Store ${i + 1}`, deliveryDelayMs: 10, ...opts.woo });
    w.control.seedCatalog(catalog, { stock: (sku) => stock[sku] ?? 0 });
    woo.push(w);
  }
  return {
    shopify,
    shop,
    accessToken: created.accessToken,
    locationId: created.locationId,
    woo,
    catalog,
    stock,
    close: async () => {
      await Promise.all([shopify.close(), ...woo.map((w) => w.close())]);
    },
  };
}

/** Polls `fn` every `intervalMs` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T> | T,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Installs the app on the shop the way Shopify Admin does for an embedded app: a request carrying a
 * session token; the app exchanges it for an offline token (token exchange against the emulator) and runs
 * its afterAuth hook. Returns the HTTP status of the app's answer.
 */
export async function installApp(appUrl: string, shop: string, apiKey: string, apiSecret: string): Promise<number> {
  const token = mintSessionToken({ apiKey, apiSecret, shop });
  // A browser user agent: the library answers 410 to self-identified bots (Node's fetch is one).
  const res = await fetch(`${appUrl}/app?shop=${shop}&embedded=1`, {
    headers: { Authorization: `Bearer ${token}`, "User-Agent": BROWSER_UA },
  });
  return res.status;
}

export const BROWSER_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";

/**
 * Headers of an embedded-admin request for `shop` the way App Bridge sends them: a fresh session token
 * signed with the app's secret, and a browser user agent.
 */
export function adminHeaders(shop: string, apiKey: string, apiSecret: string): Record<string, string> {
  return { Authorization: `Bearer ${mintSessionToken({ apiKey, apiSecret, shop })}`, "User-Agent": BROWSER_UA };
}

/** Registers a WooCommerce store with the hub exactly as the plugin does (docs/contracts/hub-api-v1.md). */
export async function registerStore(
  appUrl: string,
  code: string,
  woo: WooEmulator,
  clientAddress = `198.51.100.${process.pid % 250}`,
): Promise<{ status: number; body: any }> {
  const key = woo.control.createKey({ permissions: "read_write" });
  const res = await fetch(`${appUrl}/api/woo/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Forwarded-For": clientAddress },
    body: JSON.stringify({
      code,
      store_url: woo.url,
      consumer_key: key.consumer_key,
      consumer_secret: key.consumer_secret,
      plugin_version: "1.0.0",
    }),
  });
  const body = await res.json().catch(() => null);
  keepConnection(appUrl, woo, key.consumer_key, res.status, body);
  return { status: res.status, body };
}

/**
 * What the plugin does with a 201 from /api/woo/register: a plugin 1.1 store (emulator `stockEvents`) keeps the
 * connection and reports its stock changes once the hub asked for them (`stock_events: true`).
 */
export function keepConnection(appUrl: string, woo: WooEmulator, consumerKey: string, status: number, body: any): void {
  if (status === 201 && body?.stock_events === true) {
    woo.control.connectHub({
      hubUrl: appUrl,
      channelId: body.channel_id,
      secret: body.webhook_secret,
      consumerKey,
      stockEvents: true,
    });
  }
}

/**
 * One hop of a redirect chain (e.g. an OAuth consent flow) without following it.
 * @returns the status, the Location and Set-Cookie headers (null when absent) and the body text
 */
export async function redirectHop(
  url: string,
  cookie?: string,
): Promise<{ status: number; location: string | null; cookie: string | null; body: string }> {
  const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
  return {
    status: res.status,
    location: res.headers.get("location"),
    cookie: res.headers.get("set-cookie"),
    body: await res.text(),
  };
}
