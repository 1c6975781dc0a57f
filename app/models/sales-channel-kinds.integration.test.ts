/**
 * Every sales channel in the admin, not only WooCommerce stores (issue 14 item 1, decision 200): a retailer Shopify
 * store's listings appear in the SKU review, the inventory table, the item page, the settings list, the dashboard,
 * the CSV export and the stock-watch picture, labelled by its kind's registry label. Real PostgreSQL, the real app
 * build, one emulated Shopify running the central shop and a retailer shop, and an emulated WooCommerce store.
 * On the old code (read models filtered on kind "woocommerce") every assertion on the retailer fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { adminHeaders, type World } from "../../tests/harness/world";
import { startOnboardedWorld, type OnboardedWorld } from "../../tests/harness/onboard";
import { addRetailer, type RetailerShop } from "../../tests/harness/retailers";
import { stockPicture } from "../notify/stock-watch.server";

const SHOP = "kinds-hub.myshopify.com";
const LINKED = ["woo-beanie", "woo-cap"];
/** A SKU the central shop does not have: the retailer's listing needs review. */
const RETAIL_ONLY = "retail-only-fern";
let ow: OnboardedWorld;
let world: World;
let app: AppHandle;
let shopId: string;
let wooChannelId: string;
let retailer: RetailerShop;
/** The retailer channel's name as the central shop stores it. */
let retailerName: string;

/** The loader data of an embedded admin route, as the browser's Remix client asks for it. */
async function loaderData<T>(path: string, route: string): Promise<T> {
  const sep = path.includes("?") ? "&" : "?";
  const res = await fetch(`${app.url}${path}${sep}shop=${SHOP}&embedded=1&_data=${encodeURIComponent(route)}`, {
    headers: adminHeaders(SHOP, TEST_API_KEY, TEST_API_SECRET),
  });
  expect(res.status, `${path} answered ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

beforeAll(async () => {
  // Professional plan: room for two sales channels (the Free plan has one): as after an upgrade.
  ow = await startOnboardedWorld({ shop: SHOP, plan: "professional" });
  ({ world, app, shopId, wooChannelId } = ow);
  retailer = await addRetailer(world, app.url, TEST_API_KEY, TEST_API_SECRET, shopId, {
    domain: "botanical-interests.myshopify.com",
    name: "Botanical Interests",
    skus: [...LINKED, RETAIL_ONLY],
    startingStock: (sku) => world.stock[sku] ?? 3,
    minLinked: LINKED.length,
  });
  retailerName = (await prisma.channel.findUniqueOrThrow({ where: { id: retailer.channelId } })).name;
}, 180_000);

afterAll(async () => {
  await ow?.close();
});

describe("a retailer Shopify store in the admin's read models", () => {
  it("the SKU review lists the retailer's unmatched listing, labelled by its kind", async () => {
    const page = await loaderData<{
      rows: { channelId: string; channelName: string; channelLabel: string; sku: string | null; status: string }[];
      reviewCount: number;
    }>("/app/listings", "routes/app.listings");
    const row = page.rows.find((r) => r.channelId === retailer.channelId && r.sku === RETAIL_ONLY);
    expect(row).toMatchObject({ channelName: retailerName, channelLabel: "Shopify retailer", status: "unmatched" });
    expect(page.reviewCount).toBeGreaterThanOrEqual(1);
    // WooCommerce stores keep their place in the same list.
    expect(page.rows.every((r) => [wooChannelId, retailer.channelId].includes(r.channelId))).toBe(true);
  });

  it("the inventory table has a column for the retailer with its linked listing", async () => {
    const page = await loaderData<{
      stores: { id: string; name: string; kindLabel: string }[];
      rows: { sku: string; stores: Record<string, { matchStatus: string }> }[];
    }>("/app/inventory?q=woo-cap", "routes/app.inventory");
    expect(page.stores.map((s) => s.id)).toEqual([wooChannelId, retailer.channelId]);
    expect(page.stores[1]).toMatchObject({ name: retailerName, kindLabel: "Shopify retailer" });
    const row = page.rows.find((r) => r.sku === "woo-cap");
    expect(row?.stores[retailer.channelId]?.matchStatus).toBe("linked");
  });

  it("the item page shows the retailer's listing", async () => {
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku: "woo-cap" } });
    const detail = await loaderData<{
      stores: { channelId: string; kindLabel: string; listing: { matchStatus: string; externalId: string } | null }[];
    }>(`/app/items/${item.id}`, "routes/app.items.$itemId");
    const store = detail.stores.find((s) => s.channelId === retailer.channelId);
    expect(store?.kindLabel).toBe("Shopify retailer");
    expect(store?.listing).toMatchObject({ matchStatus: "linked", externalId: retailer.variants["woo-cap"] });
  });

  it("the settings list and the dashboard's store cards include the retailer", async () => {
    const settings = await loaderData<{ stores: { id: string; kindLabel: string }[] }>(
      "/app/settings",
      "routes/app.settings._index",
    );
    expect(settings.stores.find((s) => s.id === retailer.channelId)?.kindLabel).toBe("Shopify retailer");
    const dashboard = await loaderData<{ stores: { id: string; kindLabel: string }[] }>("/app", "routes/app._index");
    expect(dashboard.stores.find((s) => s.id === retailer.channelId)?.kindLabel).toBe("Shopify retailer");
  });

  it("the inventory CSV export has a column for the retailer", async () => {
    const res = await fetch(`${app.url}/app/exports/inventory.csv?shop=${SHOP}&embedded=1`, {
      headers: adminHeaders(SHOP, TEST_API_KEY, TEST_API_SECRET),
    });
    expect(res.status).toBe(200);
    const text = (await res.text()).replace(/^\uFEFF/, "");
    const [header, ...rows] = text.split("\r\n").filter(Boolean);
    const cols = header!.split(",");
    const at = cols.indexOf(retailerName);
    expect(at).toBeGreaterThan(cols.indexOf("Shopify available"));
    const cap = rows.find((r) => r.startsWith("woo-cap,"))!.split(",");
    // The retailer's cell holds the quantity it shows (a number), not an empty "not listed" cell.
    expect(cap[at]).toMatch(/^\d+$/);
  });

  it("stock-watch weighs the retailer's quantity and names it", async () => {
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku: "woo-beanie" } });
    // The retailer reports 0 of the item (as after a sale seen there first): it is the lowest quantity.
    await prisma.listing.updateMany({
      where: { channelId: retailer.channelId, itemId: item.id },
      data: { lastObservedQuantity: 0 },
    });
    const picture = await stockPicture(shopId, [item.id]);
    expect(picture.get(item.id)).toMatchObject({ min: 0, where: retailerName });
  });
});
