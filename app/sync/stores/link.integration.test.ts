/**
 * Catalog import and store linking on real PostgreSQL, the real app build, queue and emulators, at a size
 * that spans several write chunks (docs/decisions/080): every variant becomes an item with its level, every
 * store listing a row with its baseline; not-linked listings are reported with a reason; re-running both is
 * idempotent (same rows, same report, baselines and newer levels kept).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../../tests/harness/app";
import { startWorld, waitFor, type World } from "../../../tests/harness/world";
import { onboard } from "../../../tests/harness/onboard";
import { startWorker, type WorkerHandle } from "../../jobs/worker.server";
import { getBoss, QUEUES, stopBoss } from "../../jobs/queue.server";
import { importShopifyCatalog, itemsNeedingInitialPush, linkSalesChannel, WRITE_CHUNK } from "./link.server";
import { leaveUnsynced, listUnlinkedListings, syncAgain } from "../../models/listings.server";
import { getDashboard } from "../../models/dashboard.server";

const SHOP = "link-test.myshopify.com";
const EXTRA = WRITE_CHUNK + 150; // more variants than one chunk
const sku = (i: number) => `BULK-${String(i).padStart(5, "0")}`;
let world: World;
let app: AppHandle;
let worker: WorkerHandle;
let shopId: string;
let channelId: string;

beforeAll(async () => {
  world = await startWorld({
    apiKey: TEST_API_KEY,
    apiSecret: TEST_API_SECRET,
    shop: SHOP,
    wooStores: 1,
    restoreRate: 100_000,
  });
  for (let i = 0; i < EXTRA; i++) {
    world.shopify.control.createProduct(SHOP, {
      title: `Bulk ${i}`,
      variants: [{ sku: sku(i), price: 5, quantities: { [world.locationId]: i % 17 } }],
    });
    world.woo[0]!.store.createProduct({
      type: "simple",
      name: `Bulk ${i}`,
      sku: sku(i),
      regular_price: "5",
      status: "publish",
      manage_stock: true,
      stock_quantity: i % 17,
    });
  }
  // Not linkable: a SKU Shopify lacks, and a listing the store does not manage stock for.
  world.woo[0]!.store.createProduct({
    type: "simple",
    name: "Only on Woo",
    sku: "WOO-ONLY-1",
    regular_price: "5",
    status: "publish",
    manage_stock: true,
    stock_quantity: 4,
  });
  world.shopify.control.createProduct(SHOP, {
    title: "Unmanaged",
    variants: [{ sku: "UNMANAGED-1", price: 5, quantities: { [world.locationId]: 3 } }],
  });
  world.woo[0]!.store.createProduct({
    type: "simple",
    name: "Unmanaged",
    sku: "unmanaged-1",
    regular_price: "5",
    status: "publish",
    manage_stock: false,
  });
  // On Shopify only, until the store owner adds it to the store after onboarding.
  world.shopify.control.createProduct(SHOP, {
    title: "Added later",
    variants: [{ sku: "ADDED-LATER-1", price: 5, quantities: { [world.locationId]: 6 } }],
  });
  app = await startApp({ SHOPIFY_ADMIN_ORIGIN: world.shopify.url, SYNCFLOW_RETRY_DELAY_S: "1" });
  world.shopify.control.setAppUrl(app.url);
  worker = await startWorker();
  ({ shopId, channelId } = await onboard(world, app.url, TEST_API_KEY, TEST_API_SECRET, EXTRA));
  // The link's second initial-push check is a delayed job (decision 207): let it run before the tests move baselines.
  const boss = await getBoss();
  await waitFor(
    "initial-push checks done",
    async () => {
      const jobs = await boss.findJobs(QUEUES.initialPushCheck, { data: { channelId } });
      return jobs.length > 0 && jobs.every((j) => j.state === "completed");
    },
    30_000,
  );
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await app?.close();
  await world?.close();
});

describe("catalog import and linking in chunks", () => {
  it("imports every variant as an item with its level and links every store listing with its baseline", async () => {
    const items = await prisma.catalogItem.count({ where: { shopId, sku: { startsWith: "BULK-" } } });
    expect(items).toBe(EXTRA);
    const lv = await prisma.inventoryLevel.findFirst({
      where: { shopId, item: { sku: sku(40) }, locationGid: world.locationId },
    });
    expect(lv?.available).toBe(40 % 17);
    const shopifyListings = await prisma.listing.count({
      where: { shopId, channel: { kind: "shopify" }, sku: { startsWith: "BULK-" } },
    });
    expect(shopifyListings).toBe(EXTRA);
    const l = await prisma.listing.findFirst({ where: { channelId, sku: sku(41) } });
    expect(l).toMatchObject({
      matchStatus: "linked",
      lastWrittenQuantity: 41 % 17,
      lastObservedQuantity: 41 % 17,
      manageStock: true,
    });
    expect(l?.itemId).toBeTruthy();
    expect(await prisma.listing.findFirst({ where: { channelId, sku: "WOO-ONLY-1" } })).toMatchObject({
      matchStatus: "unmatched",
      itemId: null,
    });
    expect(await prisma.listing.findFirst({ where: { channelId, sku: "unmanaged-1" } })).toMatchObject({
      matchStatus: "not_stocked",
      itemId: null,
      manageStock: false,
    });
  });

  it("re-runs idempotently: same rows and report, baselines kept, a newer level never rolled back", async () => {
    const counts = async () => ({
      items: await prisma.catalogItem.count({ where: { shopId } }),
      levels: await prisma.inventoryLevel.count({ where: { shopId } }),
      listings: await prisma.listing.count({ where: { shopId } }),
      ledger: await prisma.stockLedger.count({ where: { shopId } }),
    });
    const before = await counts();
    // The hub's baseline differs from what the store shows now (e.g. a push the hub made): a re-link keeps it.
    const l = (await prisma.listing.findFirst({ where: { channelId, sku: sku(42) } }))!;
    await prisma.listing.update({ where: { id: l.id }, data: { lastWrittenQuantity: 99 } });
    // A level observed after the import (a webhook): a re-import must not roll it back.
    const item = (await prisma.catalogItem.findFirst({ where: { shopId, sku: sku(43) } }))!;
    const future = new Date(Date.now() + 3_600_000);
    await prisma.inventoryLevel.update({
      where: { itemId_locationGid: { itemId: item.id, locationGid: world.locationId } },
      data: { available: 77, observedAt: future },
    });

    const imp = await importShopifyCatalog(shopId);
    expect(imp.items).toBe(before.items);
    expect(imp.duplicates).toEqual([]);
    const link = await linkSalesChannel(shopId, channelId);
    expect(link.linked).toBe(link.linkedItemIds.length);
    expect(link.unmatched).toEqual(
      expect.arrayContaining([
        { sku: "WOO-ONLY-1", title: "Only on Woo", reason: 'no Shopify variant has SKU "WOO-ONLY-1"' },
      ]),
    );
    expect(link.notStocked).toEqual(
      expect.arrayContaining([
        {
          sku: "unmanaged-1",
          title: "Unmanaged",
          reason: "the store does not manage stock for this listing (manage_stock off)",
        },
      ]),
    );
    const again = await linkSalesChannel(shopId, channelId);
    expect(again).toEqual(link);

    expect(await counts()).toEqual(before);
    expect((await prisma.listing.findUnique({ where: { id: l.id } }))?.lastWrittenQuantity).toBe(99);
    const lv = await prisma.inventoryLevel.findUnique({
      where: { itemId_locationGid: { itemId: item.id, locationGid: world.locationId } },
    });
    expect(lv?.available).toBe(77);
    expect(lv?.observedAt.getTime()).toBe(future.getTime());
  });

  it("after linking, only listings that do not show their derived quantity need the initial push", async () => {
    const l = (await prisma.listing.findFirst({ where: { channelId, sku: sku(44) } }))!;
    const before = await itemsNeedingInitialPush(shopId, channelId);
    expect(before).not.toContain(l.itemId); // store and Shopify agree: nothing to push
    await prisma.listing.update({
      where: { id: l.id },
      data: { lastWrittenQuantity: (l.lastWrittenQuantity ?? 0) + 5 },
    });
    expect(await itemsNeedingInitialPush(shopId, channelId)).toContain(l.itemId);
    await prisma.listing.update({ where: { id: l.id }, data: { lastWrittenQuantity: l.lastWrittenQuantity } });
  });

  it("a listing left unsynced stays unsynced across re-links, leaves the review list, and syncs again when asked", async () => {
    const review = await listUnlinkedListings(shopId);
    const only = review.rows.find((r) => r.sku === "WOO-ONLY-1")!;
    expect(only).toMatchObject({ status: "unmatched", channelId });
    expect(only.reason).toContain("No Shopify variant has SKU “WOO-ONLY-1”");
    expect(review.rows.some((r) => r.sku === "unmanaged-1")).toBe(false); // not stocked: nothing to review
    const step = async () =>
      (await getDashboard(await prisma.shop.findUniqueOrThrow({ where: { id: shopId } }))).onboarding.steps.find(
        (s) => s.id === "matches",
      )!;
    expect((await step()).done).toBe(false);

    // Another shop's listing id changes nothing.
    expect(await leaveUnsynced("another-shop", [only.id])).toBe(0);
    expect(await leaveUnsynced(shopId, [only.id])).toBe(1);
    expect((await listUnlinkedListings(shopId)).rows.some((r) => r.id === only.id)).toBe(false);
    expect((await listUnlinkedListings(shopId, { view: "ignored" })).rows.map((r) => r.id)).toEqual([only.id]);
    expect((await step()).done).toBe(true);

    // Shopify gains the SKU: a re-link still leaves the merchant's decision alone.
    world.shopify.control.createProduct(SHOP, {
      title: "Now on Shopify",
      variants: [{ sku: "WOO-ONLY-1", price: 5, quantities: { [world.locationId]: 4 } }],
    });
    await importShopifyCatalog(shopId);
    await linkSalesChannel(shopId, channelId);
    expect(await prisma.listing.findUnique({ where: { id: only.id } })).toMatchObject({
      matchStatus: "ignored",
      itemId: null,
    });

    // "Sync again": the store's linking job runs and links it by SKU.
    expect(await syncAgain(shopId, [only.id])).toBe(1);
    await waitFor(
      "re-linked",
      async () => (await prisma.listing.findUnique({ where: { id: only.id } }))?.matchStatus === "linked",
      30_000,
    );
    expect((await prisma.listing.findUnique({ where: { id: only.id } }))?.itemId).toBeTruthy();
  });

  it("a store listing that starts managing stock is linked from its product.updated webhook, without a manual re-link", async () => {
    const woo = world.woo[0]!;
    expect(await prisma.listing.findFirst({ where: { channelId, sku: "unmanaged-1" } })).toMatchObject({
      matchStatus: "not_stocked",
    });
    woo.store.updateProduct(woo.control.productIdBySku("unmanaged-1")!, { manage_stock: true, stock_quantity: 3 });
    await waitFor(
      "linked from the webhook",
      async () =>
        (await prisma.listing.findFirst({ where: { channelId, sku: "unmanaged-1" } }))?.matchStatus === "linked",
      20_000,
    );
  });

  it("SKUs that differ only by case are reported as ambiguous with one alert per listing, never linked to the other product, and link once renamed", async () => {
    // Shopify has both spellings, the store the second one.
    world.shopify.control.createProduct(SHOP, {
      title: "Case upper",
      variants: [{ sku: "CASE-85123A", price: 5, quantities: { [world.locationId]: 7 } }],
    });
    world.shopify.control.createProduct(SHOP, {
      title: "Case lower",
      variants: [{ sku: "CASE-85123a", price: 5, quantities: { [world.locationId]: 2 } }],
    });
    world.woo[0]!.store.createProduct({
      type: "simple",
      name: "Case lower",
      sku: "CASE-85123a",
      regular_price: "5",
      status: "publish",
      manage_stock: true,
      stock_quantity: 2,
    });
    await importShopifyCatalog(shopId);
    await linkSalesChannel(shopId, channelId);
    const shopifyCh = await prisma.channel.findFirstOrThrow({ where: { shopId, kind: "shopify" } });
    expect(await prisma.listing.findFirst({ where: { channelId: shopifyCh.id, sku: "CASE-85123a" } })).toMatchObject({
      matchStatus: "ambiguous_sku",
      itemId: null,
    });
    expect(await prisma.listing.findFirst({ where: { channelId, sku: "CASE-85123a" } })).toMatchObject({
      matchStatus: "ambiguous_sku",
      itemId: null,
    });
    const alerts = () =>
      prisma.domainEvent.findMany({ where: { shopId, type: "sku.ambiguous" }, orderBy: { createdAt: "asc" } });
    expect((await alerts()).map((e) => e.channelId).sort()).toEqual([channelId, shopifyCh.id].sort());
    expect(JSON.stringify((await alerts()).find((e) => e.channelId === channelId)!.payload)).toContain("CASE-85123a");
    // Listed for review with its reason; linking again does not alert again.
    expect(JSON.stringify(await listUnlinkedListings(shopId, { view: "review" }))).toContain(
      "differs only by letter case",
    );
    const report = await linkSalesChannel(shopId, channelId);
    expect(report.ambiguous.map((a) => a.sku)).toEqual(["CASE-85123a"]);
    expect(await alerts()).toHaveLength(2);
    // Resolved by renaming: the store's product now carries Shopify's other spelling exactly, and links from its webhook.
    const woo = world.woo[0]!;
    woo.store.updateProduct(woo.control.productIdBySku("CASE-85123a")!, { sku: "CASE-85123A" });
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku: "CASE-85123A" } });
    await waitFor(
      "linked from the webhook",
      async () => {
        const l = await prisma.listing.findFirst({ where: { channelId, sku: "CASE-85123A" } });
        return l?.itemId === item.id && l.matchStatus === "linked" && l.ambiguousAlertedAt === null;
      },
      20_000,
    );
  });

  it("a product the store owner adds later is linked from its product.created webhook and shows Shopify's stock", async () => {
    const woo = world.woo[0]!;
    expect(woo.control.state().webhooks.map((w: { topic: string }) => w.topic)).toContain("product.created");
    woo.store.createProduct({
      type: "simple",
      name: "Added later",
      sku: "added-later-1",
      regular_price: "5",
      status: "publish",
      manage_stock: true,
      stock_quantity: 0,
    });
    await waitFor(
      "linked from the webhook",
      async () =>
        (await prisma.listing.findFirst({ where: { channelId, sku: "added-later-1" } }))?.matchStatus === "linked",
      20_000,
    );
    await waitFor("the store shows Shopify's 6", () => woo.control.getStock("added-later-1") === 6, 20_000);
  });
});
