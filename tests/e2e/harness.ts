/**
 * Browser-test harness: a fresh embedded PostgreSQL (`.data/pg-e2e`) with the migrations applied, the
 * emulated Shopify with one shop, a production build of the app (`remix vite:build` into
 * `.data/e2e-build`) served by the production server (`build/node/serve.js`, scripts/serve.ts, bundled
 * here when stale) on 127.0.0.1 in demo mode, and seed data written with
 * Prisma. Everything listens on loopback; `stop()` ends only the processes this harness started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";
import { startEmbeddedPostgres, type EmbeddedHandle } from "../../app/db/embedded-postgres.server";
import { migrateDeploy } from "../../app/db/migrate.server";
import { startShopifyEmulator, type ShopifyEmulator } from "../emulators/shopify/index";
import { startWooEmulator, type WooEmulator } from "../emulators/woocommerce/index";
import { encryptJson } from "../../app/lib/crypto.server";
import { ensureNodeBuild, NODE_ENTRIES } from "../../scripts/lib/build";
import { freePort } from "../../app/lib/free-port.server";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const API_KEY = "e2e-api-key";
export const API_SECRET = "e2e-api-secret-0123456789abcdef";
export const SHOP = "e2e-demo.myshopify.com";
export const OTHER_SHOP = "other-tenant.myshopify.com";
const BUILD_DIR = path.join(ROOT, ".data", "e2e-build");

/** A running stack. */
export interface Harness {
  appUrl: string;
  /** PostgreSQL URL of the test database. */
  databaseUrl: string;
  emulator: ShopifyEmulator;
  /** The emulated WooCommerce store behind "Woo Wholesale" (conflict resolution writes to it). */
  woo: WooEmulator;
  prisma: PrismaClient;
  shopId: string;
  otherShopId: string;
  /** Milliseconds per step (postgres, migrate, build — overlapping with migrate —, server). */
  timings: Record<string, number>;
  /** Server output so far (for failure messages). */
  serverLog(): string;
  stop(): Promise<void>;
}

/** Node binary and JS entry of a package's CLI, run on the current Node (no shell, no npx lookup). */
function cli(pkg: string, rel: string): string {
  return path.join(ROOT, "node_modules", pkg, rel);
}

/** Production build into `.data/e2e-build` (reused when E2E_SKIP_BUILD=1 and a build exists). Rejects with the build output on failure. */
export function buildApp(): Promise<void> {
  if (process.env.E2E_SKIP_BUILD === "1" && fs.existsSync(path.join(BUILD_DIR, "server", "index.js")))
    return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cli("@remix-run/dev", "dist/cli.js"), "vite:build", "--config", "tests/e2e/vite.e2e.config.ts"],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: "production" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout!.on("data", (d) => (out += String(d)));
    child.stderr!.on("data", (d) => (out += String(d)));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`remix vite:build failed (${code}):\n${out.slice(-6000)}`)),
    );
  });
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`app server exited (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(url, { redirect: "manual" });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`app server did not answer ${url} within ${timeoutMs} ms:\n${log()}`);
}

/**
 * Start everything and seed both shops. `serverEnv`: more environment for the app server (e.g. the marketplaces'
 * emulator URLs and application keys).
 */
export async function startHarness(opts: { serverEnv?: Record<string, string> } = {}): Promise<Harness> {
  // Secrets at rest need a key (no built-in one, decision 145): one per run, for the seeding below and the server.
  process.env.SYNCFLOW_ENCRYPTION_KEY ??= randomBytes(32).toString("base64");
  const timings: Record<string, number> = {};
  const t = (k: string, t0: number) => (timings[k] = Date.now() - t0);
  let t0 = Date.now();
  const pg: EmbeddedHandle = await startEmbeddedPostgres({
    dataDir: path.join(ROOT, ".data", "pg-e2e"),
    database: "syncflow_e2e",
    fresh: true,
  });
  t("postgres", t0);
  t0 = Date.now();
  // The build (child process) runs while the migrations apply (another child process, ~12 s).
  const build = buildApp().then(() => t("build", t0));
  build.catch(() => {});
  migrateDeploy(pg.url, ROOT);
  t("migrate", t0);
  await build;

  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: pg.url, max: 3 }) });
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const emulator = await startShopifyEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, appUrl });
  const shop = emulator.control.createShop({ domain: SHOP, name: "E2E Demo Store" });
  emulator.control.createShop({ domain: OTHER_SHOP, name: "Other Tenant" });

  const woo = await startWooEmulator({ siteName: "Woo Wholesale" });
  const { shopId, otherShopId } = await seed(prisma, shop.locationId, woo);

  t0 = Date.now();
  let out = "";
  ensureNodeBuild(ROOT, { quiet: true });
  const server = spawn(
    process.execPath,
    [path.join(ROOT, NODE_ENTRIES.serveDemo.out), path.join(BUILD_DIR, "server", "index.js")],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: pg.url,
        SHOPIFY_API_KEY: API_KEY,
        SHOPIFY_API_SECRET: API_SECRET,
        SHOPIFY_APP_URL: appUrl,
        SCOPES: "read_products,read_inventory,write_inventory,read_orders,read_locations",
        SYNCFLOW_MODE: "demo",
        SHOPIFY_ADMIN_ORIGIN: emulator.url,
        SYNCFLOW_DEMO_SHOP: SHOP,
        SYNCFLOW_ENCRYPTION_KEY: process.env.SYNCFLOW_ENCRYPTION_KEY!,
        ...opts.serverEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  server.stdout!.on("data", (d) => (out += String(d)));
  server.stderr!.on("data", (d) => (out += String(d)));
  const log = () => out.slice(-8000);
  await waitForHttp(`${appUrl}/`, server, log);
  t("server", t0);

  return {
    appUrl,
    databaseUrl: pg.url,
    emulator,
    woo,
    prisma,
    shopId,
    otherShopId,
    timings,
    serverLog: log,
    async stop() {
      if (server.exitCode === null) {
        server.kill("SIGTERM");
        await new Promise((r) => {
          const timer = setTimeout(() => {
            server.kill("SIGKILL");
            r(null);
          }, 5000);
          server.once("exit", () => {
            clearTimeout(timer);
            r(null);
          });
        });
      }
      await prisma.$disconnect().catch(() => {});
      await emulator.close().catch(() => {});
      await woo.close().catch(() => {});
      await pg.stop().catch(() => {});
    },
  };
}

/**
 * Seed: 62 items (2 pages), two WooCommerce stores (Wholesale backed by the Woo emulator), ledger rows,
 * 6 orders over 3 stores, one open + one resolved conflict, two sync runs; plus another tenant.
 */
export const SEED = { items: 62, ledgerRows: 8, orders: 6, wholesaleStock: 3 } as const;

async function seed(
  prisma: PrismaClient,
  locationGid: string,
  woo: WooEmulator,
): Promise<{ shopId: string; otherShopId: string }> {
  const now = Date.now();
  const shop = await prisma.shop.create({
    data: { domain: SHOP, name: "E2E Demo Store", scopes: "read_products,read_inventory,write_inventory" },
  });
  await prisma.location.create({ data: { shopId: shop.id, gid: locationGid, name: "Main warehouse" } });
  const shopifyCh = await prisma.channel.create({
    data: {
      shopId: shop.id,
      kind: "shopify",
      name: SHOP,
      baseUrl: `https://${SHOP}`,
      mode: "exact",
      status: "active",
      lastSyncAt: new Date(now - 60_000),
    },
  });
  const key = woo.control.createKey({ permissions: "read_write" });
  const wooProduct = woo.store.createProduct({
    name: "Blue tee 1",
    type: "simple",
    sku: "TEE-001",
    regular_price: "20.00",
    manage_stock: true,
    stock_quantity: SEED.wholesaleStock,
  });
  const outlet = await prisma.channel.create({
    data: {
      shopId: shop.id,
      kind: "woocommerce",
      name: "Woo Outlet",
      baseUrl: "https://outlet.example.test",
      mode: "exact",
      status: "active",
      salesLocationId: locationGid,
      lastSyncAt: new Date(now - 120_000),
      lastWebhookAt: new Date(now - 90_000),
    },
  });
  const wholesale = await prisma.channel.create({
    data: {
      shopId: shop.id,
      kind: "woocommerce",
      name: "Woo Wholesale",
      baseUrl: woo.url,
      mode: "buffered",
      status: "degraded",
      credentialsEnc: encryptJson({ consumerKey: key.consumer_key, consumerSecret: key.consumer_secret }),
      statusReason: "3 of the last 10 pushes timed out; retrying with backoff",
      feedLocationIds: [locationGid],
      salesLocationId: locationGid,
      lastSyncAt: new Date(now - 3_600_000),
    },
  });

  const colours = ["Blue", "Red", "Green", "Black"];
  const items = [] as { id: string; sku: string }[];
  for (let i = 1; i <= SEED.items; i++) {
    const sku = `TEE-${String(i).padStart(3, "0")}`;
    const item = await prisma.catalogItem.create({
      data: {
        shopId: shop.id,
        sku,
        skuKey: sku.toLowerCase(),
        title: `${colours[i % 4]} tee ${i}`,
        inventoryItemId: `gid://shopify/InventoryItem/${1000 + i}`,
      },
    });
    items.push({ id: item.id, sku });
  }
  await prisma.inventoryLevel.createMany({
    data: items.map((it, i) => ({
      shopId: shop.id,
      itemId: it.id,
      locationGid,
      available: 10 + i,
      observedAt: new Date(now - 30_000),
    })),
  });
  await prisma.listing.createMany({
    data: items.flatMap((it, i) => [
      {
        shopId: shop.id,
        channelId: outlet.id,
        itemId: it.id,
        externalId: `outlet-${i}`,
        productId: `${100 + i}`,
        sku: it.sku,
        title: it.sku,
        productType: "simple",
        manageStock: true,
        matchStatus: "linked",
        lastObservedQuantity: 10 + i,
        lastObservedAt: new Date(now - 60_000),
        lastWrittenQuantity: 10 + i,
        lastWrittenAt: new Date(now - 50_000),
      },
      ...(i < 40
        ? [
            {
              shopId: shop.id,
              channelId: wholesale.id,
              itemId: it.id,
              externalId: i === 0 ? String(wooProduct.id) : `wh-${i}`,
              productId: `${500 + i}`,
              sku: it.sku,
              title: it.sku,
              productType: "simple",
              manageStock: i !== 3,
              matchStatus: i === 3 ? "not_stocked" : "linked",
              lastObservedQuantity: i === 3 ? null : 8 + i,
              lastObservedAt: new Date(now - 3_600_000),
            },
          ]
        : []),
    ]),
  });
  await prisma.listing.createMany({
    data: [
      {
        shopId: shop.id,
        channelId: wholesale.id,
        itemId: null,
        externalId: "wh-x1",
        productId: "900",
        sku: "LEGACY-1",
        title: "Legacy mug",
        productType: "simple",
        matchStatus: "unmatched",
      },
      {
        shopId: shop.id,
        channelId: wholesale.id,
        itemId: null,
        externalId: "wh-x2",
        productId: "901",
        sku: null,
        title: "Gift card",
        productType: "simple",
        matchStatus: "no_sku",
      },
    ],
  });
  const causes = ["initial", "order", "push", "webhook", "order", "refund", "reconcile", "cancel"] as const;
  for (let i = 0; i < SEED.ledgerRows; i++) {
    const it = items[i]!;
    const cause = causes[i]!;
    const delta =
      cause === "order" ? -2 : cause === "refund" || cause === "cancel" ? 1 : cause === "initial" ? null : 0;
    await prisma.stockLedger.create({
      data: {
        shopId: shop.id,
        itemId: it.id,
        channelId: cause === "push" || cause === "order" ? outlet.id : null,
        locationGid,
        cause,
        delta,
        before: cause === "initial" ? null : 12,
        after: cause === "initial" ? 12 : 12 + (delta ?? 0),
        idempotencyKey: `e2e:${cause}:${i}`,
        note: cause === "order" ? `Order #${1000 + i} from Woo Outlet` : null,
        createdAt: new Date(now - (SEED.ledgerRows - i) * 60_000),
      },
    });
  }

  // Orders over three stores (today, this week, this month), one with its stock effects in the ledger.
  const day = 86_400_000;
  const orderSpecs = [
    {
      ch: outlet.id,
      number: "1001",
      status: "processing",
      customer: "Ada Lovelace",
      total: "40.00",
      at: now - 3_600_000,
      lines: [{ i: 0, q: 2 }],
    },
    {
      ch: outlet.id,
      number: "1002",
      status: "completed",
      customer: "Grace Hopper",
      total: "20.00",
      at: now - 2 * day,
      lines: [{ i: 1, q: 1 }],
    },
    {
      ch: wholesale.id,
      number: "2001",
      status: "processing",
      customer: "Katherine Johnson",
      total: "300.00",
      at: now - 3 * day,
      lines: [
        { i: 2, q: 10 },
        { i: 3, q: 5 },
      ],
    },
    {
      ch: wholesale.id,
      number: "2002",
      status: "cancelled",
      customer: "Margaret Hamilton",
      total: "60.00",
      at: now - 10 * day,
      lines: [{ i: 4, q: 3 }],
      cancelled: true,
    },
    {
      ch: shopifyCh.id,
      number: "#S1001",
      status: "paid",
      customer: "Alan Turing",
      total: "25.00",
      at: now - 5 * day,
      lines: [{ i: 5, q: 1 }],
    },
    {
      ch: shopifyCh.id,
      number: "#S1002",
      status: "paid",
      customer: "Barbara Liskov",
      total: "75.00",
      at: now - 20 * day,
      lines: [{ i: 6, q: 3 }],
    },
  ];
  const orderIds: string[] = [];
  for (const [n, o] of orderSpecs.entries()) {
    const order = await prisma.order.create({
      data: {
        shopId: shop.id,
        channelId: o.ch,
        externalId: `ext-${n}`,
        number: o.number,
        status: o.status,
        currency: "EUR",
        totalPrice: o.total,
        customerName: o.customer,
        customerEmail: `${o.customer.split(" ")[0]!.toLowerCase()}@example.test`,
        placedAt: new Date(o.at),
        cancelledAt: o.cancelled ? new Date(o.at + 3_600_000) : null,
        stockTaken: !o.cancelled,
        lines: {
          create: o.lines.map((l, j) => ({
            externalLineId: `l${j}`,
            sku: items[l.i]!.sku,
            itemId: items[l.i]!.id,
            title: `Tee ${l.i + 1}`,
            quantity: l.q,
            price: "20.00",
          })),
        },
      },
    });
    orderIds.push(order.id);
  }
  await prisma.stockLedger.create({
    data: {
      shopId: shop.id,
      itemId: items[0]!.id,
      channelId: outlet.id,
      locationGid,
      cause: "order",
      delta: -2,
      before: 12,
      after: 10,
      orderId: orderIds[0],
      idempotencyKey: "e2e:order-1001:line-0",
      actor: "woocommerce:outlet",
      note: "Order #1001 from Woo Outlet",
      createdAt: new Date(now - 3_500_000),
    },
  });

  // Conflicts: one open at Woo Wholesale (the emulator shows 3), one already resolved (history).
  await prisma.conflict.create({
    data: {
      shopId: shop.id,
      itemId: items[0]!.id,
      channelId: wholesale.id,
      listingId: (await prisma.listing.findFirstOrThrow({ where: { channelId: wholesale.id, itemId: items[0]!.id } }))
        .id,
      kind: "store_drift",
      expectedQuantity: 10,
      storeQuantity: SEED.wholesaleStock,
      recordQuantity: 10,
      detail: { note: "manual edit on the store" },
      createdAt: new Date(now - 600_000),
    },
  });
  await prisma.conflict.create({
    data: {
      shopId: shop.id,
      itemId: items[1]!.id,
      channelId: outlet.id,
      kind: "negative_stock",
      expectedQuantity: 0,
      storeQuantity: -1,
      recordQuantity: 0,
      status: "resolved",
      resolution: "use_shopify",
      resolvedQuantity: 0,
      resolvedBy: "merchant@example.test",
      resolvedAt: new Date(now - day),
      createdAt: new Date(now - 2 * day),
    },
  });

  // Sync runs for the sync log.
  await prisma.syncRun.create({
    data: {
      shopId: shop.id,
      channelId: outlet.id,
      kind: "reconcile",
      trigger: "schedule",
      status: "succeeded",
      total: 62,
      processed: 62,
      changed: 2,
      startedAt: new Date(now - 900_000),
      finishedAt: new Date(now - 896_000),
      durationMs: 4_000,
    },
  });
  await prisma.syncRun.create({
    data: {
      shopId: shop.id,
      channelId: wholesale.id,
      kind: "reconcile",
      trigger: "manual",
      status: "failed",
      total: 40,
      processed: 12,
      errors: 1,
      error: "Woo Wholesale timed out after 30 s",
      startedAt: new Date(now - 1_800_000),
      finishedAt: new Date(now - 1_770_000),
      durationMs: 30_000,
    },
  });

  // Another tenant with its own data: must never show up for SHOP.
  const other = await prisma.shop.create({ data: { domain: OTHER_SHOP, name: "Other Tenant" } });
  const otherChannel = await prisma.channel.create({
    data: { shopId: other.id, kind: "woocommerce", name: "Other Tenant Woo", baseUrl: "https://other.example.test" },
  });
  const secret = await prisma.catalogItem.create({
    data: { shopId: other.id, sku: "OTHER-SECRET-1", skuKey: "other-secret-1", title: "Other tenant secret tee" },
  });
  await prisma.listing.create({
    data: {
      shopId: other.id,
      channelId: otherChannel.id,
      itemId: secret.id,
      externalId: "o-1",
      productId: "1",
      sku: "OTHER-SECRET-1",
      title: "x",
      productType: "simple",
      matchStatus: "linked",
    },
  });
  await prisma.stockLedger.create({
    data: {
      shopId: other.id,
      itemId: secret.id,
      cause: "order",
      delta: -1,
      before: 5,
      after: 4,
      idempotencyKey: "other:order:1",
      note: "OTHER TENANT LEDGER",
    },
  });
  return { shopId: shop.id, otherShopId: other.id };
}
