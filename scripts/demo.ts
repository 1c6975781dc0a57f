/**
 * `npm run demo` — SyncFlow's main job on emulated stores, one command.
 *
 * Starts the embedded PostgreSQL (unless DATABASE_URL is set), applies migrations, starts the emulated
 * Shopify shop and WooCommerce store seeded from WooCommerce's sample catalog (same SKUs and stock),
 * builds and starts the app (build/node/serve.js) and the worker (build/node/worker.js) as separate processes, installs the app (session
 * token → token exchange), registers the WooCommerce store with a one-time code as the plugin does, and
 * waits until every SKU is linked. Then it prints where to look and keeps running until Ctrl-C.
 *
 * `npm run demo -- --smoke` runs unattended: a WooCommerce sale and a Shopify sale, one webhook replayed
 * twice, one webhook with a bad signature; prints one JSON line (last line) and exits 0 only if every
 * check holds.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import crypto from "node:crypto";
import { startEmbeddedPostgres } from "../app/db/embedded-postgres.server";
import { migrateDeploy } from "../app/db/migrate.server";
import { ensureBuild, NODE_ENTRIES, WORKER_NODE_FLAGS } from "./lib/build";
import { startWorld, installApp, registerStore, waitFor, type World } from "../tests/harness/world";
import { freePort } from "../app/lib/free-port.server";

const smoke = process.argv.includes("--smoke");
const API_KEY = "syncflow-demo-api-key";
const API_SECRET = crypto.randomBytes(24).toString("hex");
const SHOP = "syncflow-demo.myshopify.com";
const root = process.cwd();
const children: ChildProcess[] = [];
let world: World | undefined;
let stopDb: (() => Promise<void>) | undefined;

const log = (msg: string) => console.log(`[demo] ${msg}`);


function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = (line: string) => (smoke ? undefined : console.log(`[${name}] ${line}`));
  child.stdout!.on("data", (d: Buffer) => d.toString().split("\n").filter(Boolean).forEach(prefix));
  child.stderr!.on("data", (d: Buffer) => d.toString().split("\n").filter(Boolean).forEach((l) => console.error(`[${name}] ${l}`)));
  children.push(child);
  return child;
}

async function shutdown(code: number): Promise<never> {
  for (const c of children) c.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await world?.close().catch(() => {});
  await stopDb?.().catch(() => {});
  process.exit(code);
}

async function main() {
  const t0 = Date.now();
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dataDir: path.join(root, ".data", "pg-demo"), database: "syncflow_demo", fresh: true });
    databaseUrl = pg.url;
    stopDb = pg.stop;
    log(`embedded PostgreSQL 17 at ${databaseUrl.replace(/:[^:@/]+@/, ":***@")}`);
  }
  process.env.DATABASE_URL = databaseUrl;
  migrateDeploy(databaseUrl);
  log("migrations applied");
  ensureBuild(root);

  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  world = await startWorld({
    apiKey: API_KEY, apiSecret: API_SECRET, appUrl, shop: SHOP, wooStores: 1,
    shopifyLatencyMs: 40, restoreRate: 100,
    woo: { latencyMs: 60, deliveryDelayMs: 50 },
  });
  log(`emulated Shopify at ${world.shopify.url} (shop ${SHOP}); emulated WooCommerce at ${world.woo[0]!.url}`);
  log(`seeded ${Object.keys(world.stock).length} stock-keeping SKUs of WooCommerce's sample catalog in both stores`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    SHOPIFY_API_KEY: API_KEY,
    SHOPIFY_API_SECRET: API_SECRET,
    SHOPIFY_APP_URL: appUrl,
    SCOPES: "read_products,read_inventory,write_inventory,read_orders,read_locations",
    SYNCFLOW_MODE: "demo",
    SYNCFLOW_DEMO_SHOP: SHOP,
    // A fresh key per run (the demo's database is fresh too): there is no built-in key (decision 145).
    SYNCFLOW_ENCRYPTION_KEY: (process.env.SYNCFLOW_ENCRYPTION_KEY ??= crypto.randomBytes(32).toString("base64")),
    SYNCFLOW_ALLOW_LOOPBACK_STORES: "1", // the emulated stores are on loopback (SSRF guard, app/lib/outbound-guard.server.ts)
    SHOPIFY_ADMIN_ORIGIN: world.shopify.url,
  };
  // ---- notifications, sheets (issue 6) — local SMTP sink, Twilio fake, Google Sheets fake ----------------
  // The app and worker get real provider settings pointing at loopback fakes (tests/fakes). Once the shop is
  // installed and linked this block sets its recipients, connects Google Sheets through the real OAuth
  // callback, and (interactive demo only) plays the issue-6 scenario: a WooCommerce sale crossing the
  // low-stock threshold → e-mail + sheet row; a forced sync failure → SMS after the retries.
  {
    const { startSmtpFake } = await import("../tests/fakes/smtp/index");
    const { startTwilioFake } = await import("../tests/fakes/twilio/index");
    const { startSheetsFake } = await import("../tests/fakes/sheets/index");
    const fs = await import("node:fs");
    const mailbox = path.join(root, ".data", "demo-mailbox");
    fs.rmSync(mailbox, { recursive: true, force: true });
    const smtpFake = await startSmtpFake({ mailboxDir: mailbox, onMessage: (m) => log(`e-mail to ${m.to.join(", ")}: "${m.subject}" (saved in ${mailbox})`) });
    const twilioFake = await startTwilioFake({ log: (m) => log(`SMS to ${m.to} via Twilio fake: "${m.body}"`) });
    const sheetsFake = await startSheetsFake({ persistFile: path.join(root, ".data", "demo-sheets.json") });
    const notifyEnv = {
      SMTP_URL: smtpFake.url, SMTP_ALLOW_PLAINTEXT: "1", NOTIFY_FROM: "SyncFlow Demo <alerts@syncflow.demo>",
      TWILIO_ACCOUNT_SID: twilioFake.accountSid, TWILIO_AUTH_TOKEN: twilioFake.authToken, TWILIO_FROM: "+15005550006", TWILIO_API_BASE: twilioFake.url,
      GOOGLE_CLIENT_ID: sheetsFake.clientId, GOOGLE_CLIENT_SECRET: sheetsFake.clientSecret, GOOGLE_API_ROOT_URL: sheetsFake.url, GOOGLE_OAUTH_BASE: sheetsFake.url,
      SHEETS_DEBOUNCE_S: "2", NOTIFY_SMS_STATUS_DELAY_S: "5",
    };
    Object.assign(env, notifyEnv);
    Object.assign(process.env, notifyEnv, { SHOPIFY_APP_URL: appUrl, SYNCFLOW_MODE: "demo" });
    log(`issue 6 fakes: SMTP ${smtpFake.url} (mailbox ${mailbox}), Twilio ${twilioFake.url}, Google Sheets ${sheetsFake.url}`);
    void (async () => {
      const { default: db } = await import("../app/db.server");
      const shopRow = await waitFor("shop for notifications", () => db.shop.findUnique({ where: { domain: SHOP } }), 120_000, 250);
      await db.notificationSettings.upsert({ where: { shopId: shopRow.id }, create: { shopId: shopRow.id, emailRecipients: ["merchant@syncflow.demo"], smsRecipients: ["+15555550100"] }, update: {} });
      const { startGoogleOAuth } = await import("../app/exports/google.server");
      // As a browser would: the app's start page (sets the binding cookie) → the fake's consent (consents at once) →
      // the app's /sheets/oauth/callback with the cookie.
      const start = await fetch(await startGoogleOAuth(shopRow.id), { redirect: "manual" });
      const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
      const consent = await fetch(start.headers.get("location")!, { redirect: "manual" });
      await fetch(consent.headers.get("location")!, { headers: { Cookie: cookie } });
      const sheet = await waitFor("spreadsheet", async () => (await db.sheetConnection.findUnique({ where: { shopId: shopRow.id } }))?.spreadsheetId, 60_000, 250);
      log(`Google Sheet (local fake): ${sheetsFake.url}/__fake/spreadsheets/${sheet}/Inventory.csv and .../Orders.csv; settings: ${appUrl}/app/settings/notifications`);
      if (smoke) return;
      await waitFor("linked SKUs", async () => (await db.listing.count({ where: { shopId: shopRow.id, matchStatus: "linked" } })) >= Object.keys(world!.stock).length, 120_000, 500);
      const w = world!.woo[0]!;
      const sku = "woo-belt";
      const qty = Math.max(1, (w.control.getStock(sku) ?? 10) - 3);
      log(`issue 6 scenario: a WooCommerce sale of ${qty} × ${sku} takes it under the threshold (${shopRow.lowStockThreshold}) → low-stock e-mail + sheet row`);
      w.control.placeOrder({ lines: [{ sku, quantity: qty }], status: "processing" });
      await waitFor("low-stock e-mail", () => smtpFake.messages.some((m) => m.subject.includes(`Low stock: ${sku}`)), 60_000, 250).catch(() => log("no low-stock e-mail yet"));
      const row = await waitFor("sheet row", () => sheetsFake.sheet(sheet, "Inventory")?.rows.find((r) => r?.[0] === sku && Number(r[2]) <= 3), 60_000, 250).catch(() => null);
      log(row ? `sheet row updated: ${JSON.stringify(row)}` : "sheet row not updated yet");
      log("issue 6 scenario: forcing WooCommerce to answer 503 and selling woo-cap on Shopify → the push fails every retry (~1 min) → SMS");
      w.control.setFaults({ failNext: { status: 503, count: 10_000, paths: ["/wp-json/"] } });
      world!.shopify.control.placeOrder(SHOP, { lines: [{ sku: "woo-cap", quantity: 1 }] });
      await waitFor("SMS", () => twilioFake.messages.length > 0, 240_000, 500).catch(() => log("no SMS yet"));
      w.control.resetFaults();
      log(`issue 6 scenario done: ${smtpFake.messages.length} e-mail(s) in ${mailbox}, ${twilioFake.messages.length} SMS; record at ${appUrl}/app/notifications`);
    })().catch((err) => console.error("[demo] issue 6 setup failed:", err));
  }
  // ---- end of issue 6 block ---------------------------------------------------------------------------
  // The compiled production entry points (scripts/lib/build.ts): the app server and the worker.
  startChild("app", [path.join(root, NODE_ENTRIES.serveDemo.out), path.join(root, "build", "server", "index.js")], env);
  startChild("worker", [...WORKER_NODE_FLAGS, path.join(root, NODE_ENTRIES.worker.out)], env);
  await waitFor("app to listen", async () => (await fetch(`${appUrl}/`).catch(() => null))?.status, 60_000, 100);
  log(`app on ${appUrl}; worker running as its own process`);

  // Install (session token → token exchange against the emulated Shopify → afterAuth).
  const { default: prisma } = await import("../app/db.server");
  await installApp(appUrl, SHOP, API_KEY, API_SECRET);
  const shop = await waitFor("shop installed", () => prisma.shop.findUnique({ where: { domain: SHOP } }), 30_000);
  const expectedItems = Object.keys(world.stock).length;
  await waitFor("Shopify catalog imported", async () => (await prisma.catalogItem.count({ where: { shopId: shop.id } })) >= expectedItems, 60_000);

  // Connect the WooCommerce store with a one-time code, as the plugin does.
  const { createConnectionCode } = await import("../app/sync/registration.server");
  const { code } = await createConnectionCode(shop.id);
  const reg = await registerStore(appUrl, code, world.woo[0]!);
  if (reg.status !== 201) throw new Error(`store registration failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const channelId: string = reg.body.channel_id;
  await waitFor("SKUs linked", async () => (await prisma.listing.count({ where: { channelId, matchStatus: "linked" } })) >= expectedItems, 60_000);
  const listings = await prisma.listing.groupBy({ by: ["matchStatus"], where: { channelId }, _count: true });
  log(`WooCommerce store connected in ${reg.body.mode} mode: ${listings.map((l) => `${l._count} ${l.matchStatus}`).join(", ")}`);
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  if (!smoke) {
    console.log(`
  SyncFlow demo is running.
    Embedded admin (demo session):  ${appUrl}/demo/admin
    App URL:                        ${appUrl}
    Emulated Shopify control API:   ${world.shopify.url}/__control/${SHOP}/state
    Emulated WooCommerce store:     ${world.woo[0]!.url}/__control/state
  Try: place a WooCommerce order  →  curl -XPOST ${world.woo[0]!.url}/__control/orders -H 'content-type: application/json' -d '{"lines":[{"sku":"woo-beanie","quantity":1}]}'
       place a Shopify order      →  curl -XPOST ${world.shopify.url}/__control/${SHOP}/orders -H 'content-type: application/json' -d '{"lines":[{"sku":"woo-cap","quantity":1}]}'
  Ctrl-C stops everything.`);
    process.on("SIGINT", () => void shutdown(0));
    process.on("SIGTERM", () => void shutdown(0));
    return;
  }

  // ---- smoke ----
  const woo = world.woo[0]!;
  const loc = world.locationId;
  const shopifyAvailable = (sku: string) => world!.shopify.control.state(SHOP).availableBySku[sku]?.[loc];
  const checks = { wooSaleReachesShopify: false, shopifySaleReachesWoo: false, duplicateWebhookIgnored: false, badSignatureRejected: false };
  const failures: string[] = [];

  // 1. A WooCommerce sale reaches Shopify (exactly once).
  const wooSku = "woo-beanie";
  const beforeShopify = shopifyAvailable(wooSku)!;
  const tWoo = Date.now();
  woo.control.placeOrder({ lines: [{ sku: wooSku, quantity: 2 }], status: "processing", billing: { first_name: "Ada", last_name: "Lovelace", email: "ada@example.com" } });
  let wooToShopifyMs = -1;
  try {
    await waitFor("WooCommerce sale on Shopify", () => shopifyAvailable(wooSku) === beforeShopify - 2, 20_000, 5);
    wooToShopifyMs = Date.now() - tWoo;
    checks.wooSaleReachesShopify = true;
  } catch (e) {
    failures.push(String(e));
  }

  // 2. A Shopify sale reaches WooCommerce as the derived quantity.
  const shopifySku = "woo-cap";
  const beforeWoo = woo.control.getStock(shopifySku)!;
  const tShopify = Date.now();
  world.shopify.control.placeOrder(SHOP, { lines: [{ sku: shopifySku, quantity: 1 }] });
  let shopifyToWooMs = -1;
  try {
    await waitFor("Shopify sale on WooCommerce", () => woo.control.getStock(shopifySku) === beforeWoo - 1, 20_000, 5);
    shopifyToWooMs = Date.now() - tShopify;
    checks.shopifySaleReachesWoo = true;
  } catch (e) {
    failures.push(String(e));
  }

  // 3. One webhook replayed twice changes nothing (the WooCommerce order.created above).
  await woo.control.idle();
  await world.shopify.control.webhooksIdle(5000).catch(() => {});
  const orderDelivery = woo.control.deliveries().filter((d) => d.topic === "order.created").at(-1);
  const receiptsBefore = await prisma.webhookReceipt.count();
  const adjustmentsBefore = await prisma.shopifyAdjustment.count();
  if (orderDelivery) {
    await woo.control.redeliver(orderDelivery.logId);
    await woo.control.redeliver(orderDelivery.logId);
  }
  await new Promise((r) => setTimeout(r, 1500));
  checks.duplicateWebhookIgnored =
    !!orderDelivery &&
    shopifyAvailable(wooSku) === beforeShopify - 2 &&
    (await prisma.webhookReceipt.count()) === receiptsBefore &&
    (await prisma.shopifyAdjustment.count()) === adjustmentsBefore &&
    woo.control.getStock(wooSku) === world.stock[wooSku]! - 2;
  if (!checks.duplicateWebhookIgnored) failures.push("replayed webhook changed state");

  // 4. A webhook with a bad signature is refused (Shopify HMAC and WooCommerce signature).
  const bad = await world.shopify.control.sendBadHmac(SHOP, { topic: "orders/create" });
  const badWoo = await fetch(`${appUrl}/webhooks/woocommerce/${channelId}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": "AAAA" },
    body: orderDelivery?.body ?? "{}",
  });
  checks.badSignatureRejected = bad.attempts.at(-1)?.status === 401 && badWoo.status === 401;
  if (!checks.badSignatureRejected) failures.push(`bad signature answered ${bad.attempts.at(-1)?.status} / ${badWoo.status}`);

  const ok = Object.values(checks).every(Boolean);
  if (failures.length) console.error(`[demo] smoke failures:\n  ${failures.join("\n  ")}`);
  await prisma.$disconnect();
  console.log(JSON.stringify({ ok, checks, wooToShopifyMs, shopifyToWooMs }));
  await shutdown(ok ? 0 : 1);
}

main().catch(async (err) => {
  console.error("[demo] failed:", err);
  if (smoke) console.log(JSON.stringify({ ok: false, error: String((err as Error).message ?? err) }));
  await shutdown(1);
});
