/**
 * Per-store overrides end to end (docs/decisions/054): the real app build, the emulated Shopify and two
 * emulated WooCommerce stores (one per shop). Saving writes the store (read back from the Woo emulator),
 * validation errors change nothing, clearing the title restores the catalog title, clearing the price
 * stops overriding, a store failure stores nothing, and a shop can never change another shop's listing
 * (model call and admin route).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { adminHeaders, installApp, registerStore, waitFor } from "../../tests/harness/world";
import { startShopifyEmulator, type ShopifyEmulator } from "../../tests/emulators/shopify/index";
import { startWooEmulator, type WooEmulator } from "../../tests/emulators/woocommerce/index";
import { startWorker, type WorkerHandle } from "../jobs/worker.server";
import { stopBoss } from "../jobs/queue.server";
import { createConnectionCode } from "../sync/stores/registration.server";
import { saveListingOverrides, TITLE_OVERRIDE_MAX } from "./overrides.server";

const A = "overrides-alpha.myshopify.com";
const B = "overrides-bravo.myshopify.com";
const ROUTE = "routes/app.items.$itemId";
let app: AppHandle;
let shopify: ShopifyEmulator;
let wooA: WooEmulator;
let wooB: WooEmulator;
let worker: WorkerHandle;
const ids: Record<string, { shopId: string; channelId: string }> = {};

async function setUpShop(domain: string, woo: WooEmulator, skus: { simple: string; variation?: string }) {
  const { locationId } = shopify.control.createShop({ domain, name: domain });
  shopify.control.createProduct(domain, {
    title: "Canvas tote",
    variants: [{ sku: skus.simple, price: "18.00", tracked: true, quantities: { [locationId]: 9 } }],
  });
  woo.store.createProduct({
    name: "Canvas tote",
    type: "simple",
    sku: skus.simple,
    regular_price: "18.00",
    manage_stock: true,
    stock_quantity: 9,
  });
  if (skus.variation) {
    shopify.control.createProduct(domain, {
      title: "Hoodie",
      variants: [{ sku: skus.variation, price: "40.00", tracked: true, quantities: { [locationId]: 4 } }],
    });
    const parent = woo.store.createProduct({
      name: "Hoodie",
      type: "variable",
      attributes: [{ name: "Size", options: ["M"], variation: true }],
    });
    woo.store.createProduct(
      {
        sku: skus.variation,
        regular_price: "40.00",
        manage_stock: true,
        stock_quantity: 4,
        attributes: [{ id: 0, name: "Size", option: "M" }],
      },
      parent.id,
    );
  }
  await installApp(app.url, domain, TEST_API_KEY, TEST_API_SECRET);
  const shop = await waitFor(`${domain} installed`, () => prisma.shop.findUnique({ where: { domain } }));
  const items = skus.variation ? 2 : 1;
  await waitFor(
    `${domain} catalog`,
    async () => (await prisma.catalogItem.count({ where: { shopId: shop.id } })) === items,
  );
  const { code } = await createConnectionCode(shop.id);
  const reg = await registerStore(app.url, code, woo);
  expect(reg.status).toBe(201);
  ids[domain] = { shopId: shop.id, channelId: reg.body.channel_id };
  await waitFor(
    `${domain} listings linked`,
    async () =>
      (await prisma.listing.count({
        where: { shopId: shop.id, channelId: reg.body.channel_id, itemId: { not: null } },
      })) === items,
    60_000,
  );
}

/** The linked store listing of `sku` for shop `domain`. */
async function listingOf(domain: string, sku: string) {
  return prisma.listing.findFirstOrThrow({
    where: { shopId: ids[domain]!.shopId, channelId: ids[domain]!.channelId, sku },
  });
}

/** The product (or variation) as the WooCommerce REST API shows it. */
function wooProduct(woo: WooEmulator, sku: string) {
  const id = woo.control.productIdBySku(sku)!;
  const p = woo.store.products.get(id)!;
  return { name: p.name, regular_price: p.regular_price };
}

const postAs = (shop: string, itemId: string, fields: Record<string, string>) =>
  fetch(`${app.url}/app/items/${itemId}?shop=${shop}&embedded=1&_data=${encodeURIComponent(ROUTE)}`, {
    method: "POST",
    headers: adminHeaders(shop, TEST_API_KEY, TEST_API_SECRET),
    body: new URLSearchParams(fields),
  });

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
  wooA = await startWooEmulator({ siteName: "Overrides Alpha Woo" });
  wooB = await startWooEmulator({ siteName: "Overrides Bravo Woo" });
  await setUpShop(A, wooA, { simple: "OVR-TOTE", variation: "OVR-HOODIE-M" });
  await setUpShop(B, wooB, { simple: "OVR-B-TOTE" });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await app?.close();
  await shopify?.close();
  await wooA?.close();
  await wooB?.close();
});

describe("listing overrides", () => {
  it("saves a price and title and writes them to the store", async () => {
    const l = await listingOf(A, "OVR-TOTE");
    const r = await saveListingOverrides(ids[A]!.shopId, l.id, { price: "24.5", title: "  Canvas tote — wholesale  " });
    expect(r).toMatchObject({ ok: true, overrides: { price: "24.50", title: "Canvas tote — wholesale" } });
    expect(wooProduct(wooA, "OVR-TOTE")).toEqual({ name: "Canvas tote — wholesale", regular_price: "24.50" });
    const after = await prisma.listing.findUniqueOrThrow({ where: { id: l.id } });
    expect(after.priceOverride?.toFixed(2)).toBe("24.50");
    expect(after.titleOverride).toBe("Canvas tote — wholesale");
    const ev = await prisma.domainEvent.findFirstOrThrow({
      where: { shopId: ids[A]!.shopId, type: "listing.override_saved" },
      orderBy: { createdAt: "desc" },
    });
    expect(ev.payload).toMatchObject({ listingId: l.id, price: "24.50" });
    // Saving the same values again changes nothing.
    expect(
      (await saveListingOverrides(ids[A]!.shopId, l.id, { price: "24.50", title: "Canvas tote — wholesale" })).message,
    ).toMatch(/No changes/);
  });

  it("rejects invalid values without touching the store", async () => {
    const l = await listingOf(A, "OVR-TOTE");
    for (const price of ["-1", "1.234", "abc", "1e3", "1234567890123"]) {
      const r = await saveListingOverrides(ids[A]!.shopId, l.id, { price, title: "" });
      expect(r.ok, price).toBe(false);
      expect(r.errors?.price, price).toBeTruthy();
    }
    const long = await saveListingOverrides(ids[A]!.shopId, l.id, {
      price: "",
      title: "x".repeat(TITLE_OVERRIDE_MAX + 1),
    });
    expect(long.errors?.title).toMatch(/200 characters/);
    const v = await listingOf(A, "OVR-HOODIE-M");
    const varTitle = await saveListingOverrides(ids[A]!.shopId, v.id, { price: "", title: "Hoodie M special" });
    expect(varTitle.errors?.title).toMatch(/variation/);
    expect(wooProduct(wooA, "OVR-TOTE")).toEqual({ name: "Canvas tote — wholesale", regular_price: "24.50" });
    expect((await prisma.listing.findUniqueOrThrow({ where: { id: l.id } })).priceOverride?.toFixed(2)).toBe("24.50");
  });

  it("overrides a variation's price through products/<parent>/variations/<id>", async () => {
    const v = await listingOf(A, "OVR-HOODIE-M");
    expect(v.variantId).not.toBeNull();
    const r = await saveListingOverrides(ids[A]!.shopId, v.id, { price: "0", title: "" });
    expect(r).toMatchObject({ ok: true, overrides: { price: "0.00", title: null } });
    expect(wooProduct(wooA, "OVR-HOODIE-M").regular_price).toBe("0.00");
  });

  it("a store failure stores nothing and says what to do", async () => {
    const l = await listingOf(A, "OVR-TOTE");
    wooA.control.setFaults({ failNext: { status: 503, count: 20 } });
    try {
      const r = await saveListingOverrides(ids[A]!.shopId, l.id, { price: "30.00", title: "Canvas tote — wholesale" });
      expect(r.ok).toBe(false);
      expect(r.message).toMatch(/did not answer.*save again/);
    } finally {
      wooA.control.resetFaults();
    }
    expect((await prisma.listing.findUniqueOrThrow({ where: { id: l.id } })).priceOverride?.toFixed(2)).toBe("24.50");
    expect(wooProduct(wooA, "OVR-TOTE").regular_price).toBe("24.50");
    expect(await prisma.domainEvent.count({ where: { shopId: ids[A]!.shopId, type: "listing.override_failed" } })).toBe(
      1,
    );
  }, 60_000);

  it("clearing restores the catalog title and stops overriding the price", async () => {
    const l = await listingOf(A, "OVR-TOTE");
    const item = await prisma.catalogItem.findUniqueOrThrow({ where: { id: l.itemId! } });
    const r = await saveListingOverrides(ids[A]!.shopId, l.id, { price: "", title: "" });
    expect(r.ok).toBe(true);
    expect(r.overrides).toEqual({ price: null, title: null });
    expect(r.message).toMatch(/does not store Shopify's price/);
    expect(wooProduct(wooA, "OVR-TOTE")).toEqual({ name: item.title, regular_price: "24.50" });
    const after = await prisma.listing.findUniqueOrThrow({ where: { id: l.id } });
    expect([after.priceOverride, after.titleOverride]).toEqual([null, null]);
  });

  it("saves through the admin route for the session's shop", async () => {
    const l = await listingOf(A, "OVR-TOTE");
    const res = await postAs(A, l.itemId!, {
      intent: "overrides",
      payload: JSON.stringify([{ listingId: l.id, price: "21.00", title: "" }]),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
    expect(wooProduct(wooA, "OVR-TOTE").regular_price).toBe("21.00");
    const bad = await postAs(A, l.itemId!, {
      intent: "overrides",
      payload: JSON.stringify([{ listingId: l.id, price: "12,5", title: "" }]),
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { overrides: Record<string, { errors: { price: string } }> };
    expect(body.overrides[l.id]!.errors.price).toMatch(/at most 2 decimals/);
  });

  it("refuses another shop's listing (model and route)", async () => {
    const lb = await listingOf(B, "OVR-B-TOTE");
    const before = wooProduct(wooB, "OVR-B-TOTE");
    const r = await saveListingOverrides(ids[A]!.shopId, lb.id, { price: "1.00", title: "Hijacked" });
    expect(r).toMatchObject({ ok: false });
    expect(r.message).toMatch(/no longer exists/);
    const la = await listingOf(A, "OVR-TOTE");
    const res = await postAs(A, la.itemId!, {
      intent: "overrides",
      payload: JSON.stringify([{ listingId: lb.id, price: "1.00", title: "Hijacked" }]),
    });
    expect(res.status).toBe(400);
    expect(wooProduct(wooB, "OVR-B-TOTE")).toEqual(before);
    const after = await prisma.listing.findUniqueOrThrow({ where: { id: lb.id } });
    expect([after.priceOverride, after.titleOverride]).toEqual([null, null]);
  });
});
