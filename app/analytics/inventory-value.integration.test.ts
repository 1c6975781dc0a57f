/**
 * Daily inventory value at cost (decision 289) on real PostgreSQL: value per currency = Σ max(available, 0) × unit
 * cost; items without a cost are counted apart; a day's snapshot is replaced, not doubled; one snapshot per local day.
 * (The record read itself — `readUnitCosts` against the Shopify emulator — is tested in shopify-channel.test.ts.)
 */
import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createTestItem, createTestShop, setLevel } from "../notify/test-shop";
import { inventoryValueSeries, NO_COST, snapshotInventoryValue } from "./inventory-value.server";

describe("inventory value snapshot", () => {
  it("values stock at cost per currency, keeps each day, replaces a retaken day", async () => {
    const shop = await createTestShop("an-iv");
    const a = await createTestItem(shop.id, "A", 10);
    const b = await createTestItem(shop.id, "B", 3);
    const c = await createTestItem(shop.id, "C", -2); // oversold: counts 0 units
    const d = await createTestItem(shop.id, "D", 7); // no cost
    const gid = async (id: string) => (await prisma.catalogItem.findUniqueOrThrow({ where: { id } })).inventoryItemId!;
    const costs = new Map([
      [await gid(a.id), { amount: "2.50", currency: "EUR" }],
      [await gid(b.id), { amount: "10.00", currency: "EUR" }],
      [await gid(c.id), { amount: "1.00", currency: "EUR" }],
      [await gid(d.id), null],
    ]);
    expect(await snapshotInventoryValue(shop.id, { day: "2026-11-01", costs })).toBe(4);
    // Next day: A sold 4, B's cost went up.
    await setLevel(shop.id, a.id, 6);
    costs.set(await gid(b.id), { amount: "12.00", currency: "EUR" });
    await snapshotInventoryValue(shop.id, { day: "2026-11-02", costs });
    await snapshotInventoryValue(shop.id, { day: "2026-11-02", costs }); // retaken: replaced
    expect(await inventoryValueSeries(shop.id, "2026-11-01", "2026-11-02")).toEqual([
      // 10 × 2.50 + 3 × 10.00 + 0 × 1.00 = 55.00
      { day: "2026-11-01", currency: "EUR", units: 13, value: "55.00", items: 3, itemsWithoutCost: 0 },
      { day: "2026-11-01", currency: NO_COST, units: 7, value: "0.00", items: 1, itemsWithoutCost: 1 },
      // 6 × 2.50 + 3 × 12.00 = 51.00
      { day: "2026-11-02", currency: "EUR", units: 9, value: "51.00", items: 3, itemsWithoutCost: 0 },
      { day: "2026-11-02", currency: NO_COST, units: 7, value: "0.00", items: 1, itemsWithoutCost: 1 },
    ]);
    expect(await prisma.inventoryValueSnapshot.count({ where: { shopId: shop.id } })).toBe(8);
  });
});
