/**
 * Linking retailer Shopify shops to a central shop (issue 14 item 4), with the real app, a real PostgreSQL and one
 * emulated Shopify running four shops (central A with two retailers, another central B), each with its own token,
 * locations and webhooks: the retailer code's rules (purpose, single use, own code, burned after failures), the roles
 * (a shop is a central shop or a retailer of one), unlink and relink keeping the same channel, the retailer's stored
 * connection, webhook routing to the central shop's channel, and tenant isolation over the admin routes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { adminHeaders, installApp, waitFor } from "../../tests/harness/world";
import { startShopifyEmulator, type ShopifyEmulator } from "../../tests/emulators/shopify/index";
import { stopBoss } from "../jobs/queue.server";
import { createConnectionCode, MAX_FAILED_ATTEMPTS, normalizeCode } from "../sync/stores/registration.server";
import { decryptJson, sha256Hex } from "../lib/crypto.server";
import {
  createRetailerCode,
  linkRetailer,
  listRetailers,
  retailerOverview,
  shopRole,
  unlinkRetailer,
  updateRetailerSettings,
  RetailerLinkError,
} from "./links.server";

const tag = crypto.randomUUID().slice(0, 6);
const A = `central-a-${tag}.myshopify.com`;
const B = `central-b-${tag}.myshopify.com`;
const R1 = `retailer-1-${tag}.myshopify.com`;
const R2 = `retailer-2-${tag}.myshopify.com`;
let app: AppHandle;
let shopify: ShopifyEmulator;
const shops: Record<string, { id: string; locationId: string }> = {};

async function install(domain: string, name: string, extraLocation?: string) {
  const { locationId } = shopify.control.createShop({ domain, name });
  if (extraLocation) shopify.control.createLocation(domain, { name: extraLocation });
  shopify.control.createProduct(domain, {
    title: "Tomato seeds",
    variants: [{ sku: "TOM-1", price: "3.00", quantities: { [locationId]: 10 } }],
  });
  expect(await installApp(app.url, domain, TEST_API_KEY, TEST_API_SECRET)).toBeLessThan(500);
  const shop = await waitFor(`${domain} installed`, () => prisma.shop.findUnique({ where: { domain } }));
  // What the install's catalog job mirrors (no worker runs in this file: linking is the subject, not syncing).
  await prisma.shop.update({ where: { id: shop.id }, data: { name } });
  for (const l of shopify.control.state(domain).locations as { id: string; name: string }[]) {
    await prisma.location.upsert({
      where: { shopId_gid: { shopId: shop.id, gid: l.id } },
      create: { shopId: shop.id, gid: l.id, name: l.name },
      update: {},
    });
  }
  shops[domain] = { id: shop.id, locationId };
}

const refused = async (p: Promise<unknown>): Promise<RetailerLinkError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof RetailerLinkError) return e;
    throw e;
  }
  throw new Error("expected a RetailerLinkError");
};

const adminFetch = (shop: string, path: string, route: string, form?: Record<string, string>) =>
  fetch(`${app.url}${path}?shop=${shop}&embedded=1&_data=${encodeURIComponent(route)}`, {
    method: form ? "POST" : "GET",
    headers: adminHeaders(shop, TEST_API_KEY, TEST_API_SECRET),
    ...(form ? { body: new URLSearchParams(form) } : {}),
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
  await install(A, "Logistics Hub", "Overflow");
  await install(B, "Other Hub");
  await install(R1, "Nationwide Plants", "Garden centre");
  await install(R2, "Epic Gardening");
}, 120_000);

afterAll(async () => {
  await stopBoss();
  await app?.close();
  await shopify?.close();
});

describe("retailer codes", () => {
  it("are 160-bit one-time codes stored as a hash with purpose retailer, valid 15 minutes", async () => {
    const { code, expiresAt } = await createRetailerCode(shops[A]!.id);
    expect(normalizeCode(code)).toMatch(/^[A-Z2-7]{32}$/);
    const row = await prisma.connectionCode.findUniqueOrThrow({ where: { codeHash: sha256Hex(normalizeCode(code)) } });
    expect(row.purpose).toBe("retailer");
    expect(JSON.stringify(row)).not.toContain(normalizeCode(code));
    expect(expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it("a WooCommerce code, an unknown code, an expired code and the central shop's own code do not link", async () => {
    const woo = await createConnectionCode(shops[A]!.id);
    expect((await refused(linkRetailer(shops[R1]!.id, woo.code))).code).toBe("invalid_code");
    expect((await refused(linkRetailer(shops[R1]!.id, "SF-AAAA-BBBB"))).status).toBe(401);
    const old = await createRetailerCode(shops[A]!.id);
    await prisma.connectionCode.update({
      where: { codeHash: sha256Hex(normalizeCode(old.code)) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await refused(linkRetailer(shops[R1]!.id, old.code))).code).toBe("invalid_code");
    const own = await createRetailerCode(shops[A]!.id);
    expect((await refused(linkRetailer(shops[A]!.id, own.code))).code).toBe("invalid_code");
    expect(await prisma.retailerLink.count({ where: { centralShopId: shops[A]!.id } })).toBe(0);
  });

  it("a retailer code does not register a WooCommerce store (401 invalid_code, hub-api-v1 §1) and stays valid for a retailer", async () => {
    const { code } = await createRetailerCode(shops[A]!.id);
    const res = await fetch(`${app.url}/api/woo/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        code,
        store_url: "https://store.example",
        consumer_key: "ck_x",
        consumer_secret: "cs_x",
        plugin_version: "1.1.0",
        store_name: "A store",
      }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_code");
    expect(await prisma.channel.count({ where: { shopId: shops[A]!.id, kind: "woocommerce" } })).toBe(0);
    const row = await prisma.connectionCode.findUniqueOrThrow({ where: { codeHash: sha256Hex(normalizeCode(code)) } });
    expect([row.usedAt, row.failedAttempts, row.channelId]).toEqual([null, 0, null]);
  });

  it("is burned after MAX_FAILED_ATTEMPTS refused uses", async () => {
    const { code } = await createRetailerCode(shops[A]!.id);
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) await refused(linkRetailer(shops[A]!.id, code)); // own code: refused, counted
    const row = await prisma.connectionCode.findUniqueOrThrow({ where: { codeHash: sha256Hex(normalizeCode(code)) } });
    expect(row.failedAttempts).toBe(MAX_FAILED_ATTEMPTS);
    expect(row.usedAt).not.toBeNull();
    expect((await refused(linkRetailer(shops[R1]!.id, code))).code).toBe("invalid_code");
  });
});

describe("linking", () => {
  let r1Link = "";
  let r1Channel = "";

  it("links a retailer once: a shopify_retailer channel on the central shop, the retailer's first location, its stored connection", async () => {
    const { code } = await createRetailerCode(shops[A]!.id);
    const res = await linkRetailer(shops[R1]!.id, code);
    expect(res).toMatchObject({ centralShopId: shops[A]!.id, centralDomain: A, relinked: false });
    r1Link = res.linkId;
    r1Channel = res.channelId;
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: res.channelId } });
    expect(channel).toMatchObject({
      shopId: shops[A]!.id,
      kind: "shopify_retailer",
      baseUrl: `https://${R1}`,
      status: "active",
      mode: "exact",
      name: "Nationwide Plants",
    });
    const link = await prisma.retailerLink.findUniqueOrThrow({ where: { id: res.linkId } });
    expect(link.retailerLocationId).toBe(shops[R1]!.locationId);
    expect(decryptJson(channel.credentialsEnc!)).toEqual({ shop: R1, locationId: shops[R1]!.locationId });
    // Single use.
    expect((await refused(linkRetailer(shops[R2]!.id, code))).code).toBe("invalid_code");
    expect(await shopRole(shops[R1]!.id)).toMatchObject({ role: "retailer", centralDomain: A });
    expect(await shopRole(shops[A]!.id)).toEqual({ role: "central" });
  });

  it("keeps the roles apart: a retailer makes no codes, links to no second central shop, and a central shop with channels is no retailer", async () => {
    expect((await refused(createRetailerCode(shops[R1]!.id))).code).toBe("role_conflict");
    const fromB = await createRetailerCode(shops[B]!.id);
    expect((await refused(linkRetailer(shops[R1]!.id, fromB.code))).code).toBe("already_linked");
    expect((await refused(linkRetailer(shops[A]!.id, fromB.code))).code).toBe("role_conflict");
    // The Channels page refuses a WooCommerce code to a retailer shop too.
    const res = await adminFetch(R1, "/app/channels", "routes/app.channels", { intent: "create-code" });
    expect(res.status).toBe(409);
  });

  it("links a second retailer through its own admin page (the route), and lists both on the central shop with settings", async () => {
    const { code } = await createRetailerCode(shops[A]!.id);
    const res = await adminFetch(R2, "/app/retailer", "routes/app.retailer", { intent: "link", code });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
    const list = await listRetailers(shops[A]!.id);
    expect(list.map((r) => r.domain).sort()).toEqual([R1, R2].sort());
    expect(list.every((r) => r.status === "linked" && r.syncInventory && !r.importOrders)).toBe(true);
    const page = await (await adminFetch(A, "/app/channels", "routes/app.channels")).json();
    expect(page.role).toEqual({ role: "central" });
    expect(page.retailers.map((r: { domain: string }) => r.domain).sort()).toEqual([R1, R2].sort());
    expect(page.channels.filter((c: { kind: string }) => c.kind === "shopify_retailer")).toHaveLength(2);
    const mine = await (await adminFetch(R2, "/app/retailer", "routes/app.retailer")).json();
    expect(mine.link).toMatchObject({
      status: "linked",
      centralDomain: A,
      centralName: "Logistics Hub",
      syncInventory: true,
    });
  });

  it("saves a retailer's settings with checked locations and keeps the stored connection in step", async () => {
    const central = await prisma.location.findMany({ where: { shopId: shops[A]!.id }, orderBy: { gid: "asc" } });
    expect(central.length).toBe(2);
    await updateRetailerSettings(shops[A]!.id, r1Link, {
      feedLocationIds: central.map((l) => l.gid),
      salesLocationId: central[1]!.gid,
      orderLookbackHours: 48,
      orderTags: ["retail", " nationwide "],
      orderNote: "From Nationwide",
    });
    const ch = await prisma.channel.findUniqueOrThrow({ where: { id: r1Channel } });
    expect(ch.feedLocationIds).toEqual(central.map((l) => l.gid));
    expect(ch.salesLocationId).toBe(central[1]!.gid);
    expect(await prisma.retailerLink.findUniqueOrThrow({ where: { id: r1Link } })).toMatchObject({
      orderLookbackHours: 48,
      orderTags: ["retail", "nationwide"],
      orderNote: "From Nationwide",
    });
    // A location of another shop, or of the retailer's for the feed, is refused.
    expect(
      (await refused(updateRetailerSettings(shops[A]!.id, r1Link, { feedLocationIds: [shops[B]!.locationId] }))).code,
    ).toBe("bad_request");
    expect(
      (await refused(updateRetailerSettings(shops[A]!.id, r1Link, { retailerLocationId: shops[A]!.locationId }))).code,
    ).toBe("bad_request");
    expect((await refused(updateRetailerSettings(shops[A]!.id, r1Link, { orderLookbackHours: 0 }))).code).toBe(
      "bad_request",
    );
    // Inventory sync off: the stored connection names no location (the adapter then writes nothing).
    await updateRetailerSettings(shops[A]!.id, r1Link, { syncInventory: false });
    expect(decryptJson((await prisma.channel.findUniqueOrThrow({ where: { id: r1Channel } })).credentialsEnc!)).toEqual(
      { shop: R1, locationId: null },
    );
    const garden = (shopify.control.state(R1).locations as { id: string; name: string }[]).find(
      (l) => l.name === "Garden centre",
    )!;
    await updateRetailerSettings(shops[A]!.id, r1Link, { syncInventory: true, retailerLocationId: garden.id });
    expect(decryptJson((await prisma.channel.findUniqueOrThrow({ where: { id: r1Channel } })).credentialsEnc!)).toEqual(
      { shop: R1, locationId: garden.id },
    );
  });

  it("routes a linked retailer's stock and order webhooks to the central shop's retailer channel, and its lifecycle webhooks to itself", async () => {
    shopify.control.placeOrder(R1, { lines: [{ sku: "TOM-1", quantity: 1 }] });
    const receipt = await waitFor("retailer order receipt", () =>
      prisma.webhookReceipt.findFirst({
        where: { topic: "orders/create", headers: { path: ["x-shopify-shop-domain"], equals: R1 } },
      }),
    );
    expect(receipt).toMatchObject({ source: "shopify_retailer", shopId: shops[A]!.id, channelId: r1Channel });
    const level = await waitFor("retailer level receipt", () =>
      prisma.webhookReceipt.findFirst({
        where: { topic: "inventory_levels/update", headers: { path: ["x-shopify-shop-domain"], equals: R1 } },
      }),
    );
    expect(level.shopId).toBe(shops[A]!.id);
    // Another central shop's own webhooks stay its own.
    shopify.control.placeOrder(B, { lines: [{ sku: "TOM-1", quantity: 1 }] });
    const own = await waitFor("central B receipt", () =>
      prisma.webhookReceipt.findFirst({
        where: { topic: "orders/create", headers: { path: ["x-shopify-shop-domain"], equals: B } },
      }),
    );
    expect(own).toMatchObject({ source: "shopify", shopId: shops[B]!.id, channelId: null });
  });

  it("unlinks and relinks to the same central shop on the same channel, keeping its listings and history", async () => {
    await prisma.listing.create({
      data: {
        shopId: shops[A]!.id,
        channelId: r1Channel,
        externalId: "gid://shopify/ProductVariant/keep",
        productId: "p",
        sku: "TOM-1",
        title: "kept",
        productType: "variant",
        matchStatus: "unmatched",
      },
    });
    await unlinkRetailer(shops[R1]!.id, r1Link);
    expect(await prisma.channel.findUniqueOrThrow({ where: { id: r1Channel } })).toMatchObject({
      status: "disconnected",
    });
    expect(await shopRole(shops[R1]!.id)).toEqual({ role: "central" });
    expect((await retailerOverview(shops[R1]!.id))!.status).toBe("unlinked");
    const { code } = await createRetailerCode(shops[A]!.id);
    const again = await linkRetailer(shops[R1]!.id, code);
    expect(again).toMatchObject({ channelId: r1Channel, linkId: r1Link, relinked: true });
    expect(
      await prisma.listing.count({ where: { channelId: r1Channel, externalId: "gid://shopify/ProductVariant/keep" } }),
    ).toBe(1);
    const link = await prisma.retailerLink.findUniqueOrThrow({ where: { id: r1Link } });
    expect(link).toMatchObject({ status: "linked", orderLookbackHours: 48 }); // settings kept
    expect((await retailerOverview(shops[R1]!.id))!.unlinkedItems.map((u) => u.title)).toContain("kept");
  });
});

describe("tenant isolation", () => {
  it("another central shop sees no retailer of A, and can neither change nor unlink one", async () => {
    const [r1] = (await listRetailers(shops[A]!.id)).filter((r) => r.domain === R1);
    expect(await listRetailers(shops[B]!.id)).toEqual([]);
    expect((await refused(updateRetailerSettings(shops[B]!.id, r1!.linkId, { syncInventory: false }))).status).toBe(
      404,
    );
    expect((await refused(unlinkRetailer(shops[B]!.id, r1!.linkId))).status).toBe(404);
    expect((await adminFetch(B, `/app/retailers/${r1!.linkId}`, "routes/app.retailers.$linkId")).status).toBe(404);
    expect(
      (await adminFetch(B, `/app/retailers/${r1!.linkId}`, "routes/app.retailers.$linkId", { intent: "unlink" }))
        .status,
    ).toBe(404);
    const pageB = await (await adminFetch(B, "/app/channels", "routes/app.channels")).json();
    expect(pageB.retailers).toEqual([]);
    expect(JSON.stringify(pageB)).not.toContain(R1);
  });

  it("a retailer sees only its own link, not its sibling's, and cannot unlink or edit a sibling", async () => {
    const [r2] = (await listRetailers(shops[A]!.id)).filter((r) => r.domain === R2);
    const mine = await (await adminFetch(R1, "/app/retailer", "routes/app.retailer")).json();
    expect(JSON.stringify(mine)).not.toContain(R2);
    expect((await refused(unlinkRetailer(shops[R1]!.id, r2!.linkId))).status).toBe(404);
    expect((await refused(updateRetailerSettings(shops[R1]!.id, r2!.linkId, { syncInventory: false }))).status).toBe(
      404,
    );
    expect((await adminFetch(R1, `/app/retailers/${r2!.linkId}`, "routes/app.retailers.$linkId")).status).toBe(404);
    expect(await listRetailers(shops[R1]!.id)).toEqual([]);
  });

  it("the central shop's settings page loads its retailer with both shops' locations", async () => {
    const [r1] = (await listRetailers(shops[A]!.id)).filter((r) => r.domain === R1);
    const res = await adminFetch(A, `/app/retailers/${r1!.linkId}`, "routes/app.retailers.$linkId");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.retailerLocations.map((l: { name: string }) => l.name).sort()).toEqual([
      "Garden centre",
      "Shop location",
    ]);
    expect(body.central).toHaveLength(2);
  });
});
