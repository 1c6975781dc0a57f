/**
 * The inventory page's read model on real PostgreSQL (rows written as the sync engine leaves them):
 * Shopify available summed over locations, each store's observed quantity, its feed level, and — for a
 * store with exact allocations (decision 008) — the units reserved for it in Shopify's safety stock.
 */
import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { getInventoryPage } from "./inventory.server";

const LOC_A = "gid://shopify/Location/1";
const LOC_B = "gid://shopify/Location/2";

async function world() {
  const shop = await prisma.shop.create({
    data: { domain: `inv-${crypto.randomBytes(4).toString("hex")}.myshopify.com` },
  });
  const channel = (name: string, data: { mode: string; allocationEnabled: boolean }) =>
    prisma.channel.create({
      data: {
        shopId: shop.id,
        kind: "woocommerce",
        name,
        baseUrl: `https://${name}.test/${crypto.randomUUID()}`,
        salesLocationId: LOC_A,
        feedLocationIds: [LOC_A, LOC_B],
        ...data,
      },
    });
  const reserving = await channel("reserving", { mode: "exact", allocationEnabled: true });
  const derived = await channel("derived", { mode: "exact", allocationEnabled: false });
  // A buffered store cannot hold allocations even if the flag was left on.
  const buffered = await channel("buffered", { mode: "buffered", allocationEnabled: true });
  const item = await prisma.catalogItem.create({
    data: { shopId: shop.id, sku: "TEE-1", skuKey: "tee-1", title: "Tee" },
  });
  await prisma.inventoryLevel.createMany({
    data: [
      { shopId: shop.id, itemId: item.id, locationGid: LOC_A, available: 7, observedAt: new Date() },
      { shopId: shop.id, itemId: item.id, locationGid: LOC_B, available: 5, observedAt: new Date() },
    ],
  });
  const listing = (channelId: string, q: number, allocatedQuantity: number | null) =>
    prisma.listing.create({
      data: {
        shopId: shop.id,
        channelId,
        itemId: item.id,
        externalId: crypto.randomUUID(),
        productId: "1",
        sku: "TEE-1",
        title: "Tee",
        productType: "simple",
        manageStock: true,
        matchStatus: "linked",
        lastObservedQuantity: q,
        lastWrittenQuantity: q,
        allocatedQuantity,
      },
    });
  await listing(reserving.id, 4, 4);
  await listing(derived.id, 12, null);
  await listing(buffered.id, 10, 3);
  return { shop, item, reserving, derived, buffered };
}

describe("inventory page", () => {
  it("shows reserved units only for stores with exact allocations, and feed levels for the others", async () => {
    const w = await world();
    const page = await getInventoryPage(w.shop.id, {});
    expect(page.total).toBe(1);
    expect(page.stores.map((s) => [s.name, s.allocationEnabled])).toEqual([
      ["reserving", true],
      ["derived", false],
      ["buffered", false],
    ]);
    const row = page.rows[0]!;
    expect(row.shopifyAvailable).toBe(12);
    expect(row.stores[w.reserving.id]).toMatchObject({ quantity: 4, reserved: 4, feedAvailable: 12 });
    expect(row.stores[w.derived.id]).toMatchObject({ quantity: 12, reserved: null, feedAvailable: 12 });
    expect(row.stores[w.buffered.id]).toMatchObject({ quantity: 10, reserved: null });
  });

  it("shows a listing of an allocation store that is not migrated yet as not reserved", async () => {
    const w = await world();
    await prisma.listing.updateMany({ where: { channelId: w.reserving.id }, data: { allocatedQuantity: null } });
    const page = await getInventoryPage(w.shop.id, {});
    expect(page.rows[0]!.stores[w.reserving.id]!.reserved).toBeNull();
  });
});
