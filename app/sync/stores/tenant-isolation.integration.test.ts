/**
 * One shop can never read or change another shop's data, through any route or job: two shops installed
 * on the same hub, each with its own WooCommerce store; every admin page answers only with the session's
 * shop, every job refuses ids that belong to another shop, and store-facing endpoints only ever address
 * the store whose secret signed the call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../../tests/harness/app";
import { adminHeaders, installApp, registerStore, waitFor } from "../../../tests/harness/world";
import { startShopifyEmulator, type ShopifyEmulator } from "../../../tests/emulators/shopify/index";
import { startWooEmulator, type WooEmulator } from "../../../tests/emulators/woocommerce/index";
import { startWorker, type WorkerHandle } from "../../jobs/worker.server";
import { stopBoss } from "../../jobs/queue.server";
import { createConnectionCode } from "./registration.server";
import { pushStock } from "../stock/push.server";
import { applyAdjustment } from "../stock/adjust.server";
import { salesChannelOf } from "./stores.server";

const A = "tenant-alpha.myshopify.com";
const B = "tenant-bravo.myshopify.com";
let app: AppHandle;
let shopify: ShopifyEmulator;
let wooA: WooEmulator;
let wooB: WooEmulator;
let worker: WorkerHandle;
const ids: Record<string, { shopId: string; channelId: string; secret: string }> = {};

async function setUpShop(domain: string, sku: string, woo: WooEmulator) {
  const { locationId } = shopify.control.createShop({ domain, name: domain });
  shopify.control.createProduct(domain, {
    title: `${sku} product`,
    variants: [{ sku, price: "10.00", tracked: true, quantities: { [locationId]: 7 } }],
  });
  woo.store.createProduct({
    name: `${sku} product`,
    type: "simple",
    sku,
    regular_price: "10.00",
    manage_stock: true,
    stock_quantity: 7,
  });
  await installApp(app.url, domain, TEST_API_KEY, TEST_API_SECRET);
  const shop = await waitFor(`${domain} installed`, () => prisma.shop.findUnique({ where: { domain } }));
  await waitFor(
    `${domain} catalog`,
    async () => (await prisma.catalogItem.count({ where: { shopId: shop.id } })) === 1,
  );
  const { code } = await createConnectionCode(shop.id);
  const reg = await registerStore(app.url, code, woo);
  expect(reg.status).toBe(201);
  ids[domain] = { shopId: shop.id, channelId: reg.body.channel_id, secret: reg.body.webhook_secret };
}

beforeAll(async () => {
  shopify = await startShopifyEmulator({
    apiKey: TEST_API_KEY,
    apiSecret: TEST_API_SECRET,
    restoreRate: 1000,
    webhookDelayMs: 5,
  });
  app = await startApp({ SHOPIFY_ADMIN_ORIGIN: shopify.url });
  shopify.control.setAppUrl(app.url);
  worker = await startWorker();
  wooA = await startWooEmulator({ siteName: "Alpha Woo" });
  wooB = await startWooEmulator({ siteName: "Bravo Woo" });
  await setUpShop(A, "alpha-only-sku", wooA);
  await setUpShop(B, "bravo-only-sku", wooB);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await app?.close();
  await shopify?.close();
  await wooA?.close();
  await wooB?.close();
});

const asShop = (shop: string, path: string) =>
  fetch(`${app.url}${path}${path.includes("?") ? "&" : "?"}shop=${shop}&embedded=1`, {
    headers: adminHeaders(shop, TEST_API_KEY, TEST_API_SECRET),
  });

describe("tenant isolation", () => {
  it("admin pages show only the session's shop", async () => {
    for (const path of ["/app", "/app/inventory", "/app/activity", "/app/channels"]) {
      const htmlA = await (await asShop(A, path)).text();
      expect(htmlA, path).not.toContain("bravo-only-sku");
      expect(htmlA, path).not.toContain(wooB.url);
    }
    const inv = await (await asShop(A, "/app/inventory?q=bravo")).text();
    expect(inv).not.toContain("bravo-only-sku");
    expect(await (await asShop(A, "/app/inventory")).text()).toContain("alpha-only-sku");
  });

  it("jobs refuse another shop's channel, adjustment and store", async () => {
    const a = ids[A]!;
    const b = ids[B]!;
    await expect(pushStock(a.shopId, b.channelId, [])).rejects.toThrow(/not found/);
    await expect(salesChannelOf(a.shopId, b.channelId)).rejects.toThrow(/not found/);
    const itemB = await prisma.catalogItem.findFirstOrThrow({ where: { shopId: b.shopId } });
    const adjB = await prisma.shopifyAdjustment.create({
      data: {
        shopId: b.shopId,
        itemId: itemB.id,
        locationGid: "gid://shopify/Location/1",
        delta: -1,
        idempotencyKey: `tenant-test:${crypto.randomUUID()}`,
      },
    });
    expect((await applyAdjustment(a.shopId, adjB.id)).status).toBe("missing");
    expect((await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adjB.id } })).status).toBe("pending");
    await prisma.shopifyAdjustment.update({ where: { id: adjB.id }, data: { status: "dead" } });
  });

  it("a store's webhook signed with another store's secret is refused", async () => {
    const body = JSON.stringify({
      id: 1,
      status: "processing",
      date_modified_gmt: "2026-11-22T10:00:00",
      line_items: [],
    });
    const sigA = crypto.createHmac("sha256", ids[A]!.secret).update(body).digest("base64");
    const res = await fetch(`${app.url}/webhooks/woocommerce/${ids[B]!.channelId}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Signature": sigA,
      },
      body,
    });
    expect(res.status).toBe(401);
  });
});
