/**
 * Stale compare-and-set: the merchant changes the level on Shopify between the hub's read and its
 * `inventoryAdjustQuantities` (changeFromQuantity = what it read). Shopify refuses with
 * CHANGE_FROM_QUANTITY_STALE and applies nothing; the hub takes a new key attempt, re-reads and applies
 * the sale on top of the merchant's value — once. The store then shows the new derived quantity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import {
  adjustmentsFor,
  ledgerFor,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";

const SHOP = "fault-stale-cas.myshopify.com";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

describe("stale compare-and-set on Shopify", () => {
  it("a merchant edit between read and write: the sale is re-based on the new value and applied once", async () => {
    const sku = "woo-polo";
    const woo = fw.world.woo[0]!;
    const merchantValue = 40;
    // Every Admin call takes 400 ms, so the write is still in flight when the merchant's edit lands.
    fw.world.shopify.control.setFaults({ latencyMs: 400 });
    woo.control.placeOrder({ lines: [{ sku, quantity: 2 }], status: "processing" });
    const adj = await waitFor(
      "hub read the level and sent its CAS write",
      async () => (await adjustmentsFor(fw.shopId, sku)).find((a) => a.inFlightChangeFrom != null),
      20_000,
      5,
    );
    fw.world.shopify.control.setAvailable(SHOP, { sku, available: merchantValue });
    await waitFor(
      "sale applied",
      async () => (await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } })).status === "applied",
      20_000,
    );
    fw.world.shopify.control.setFaults({ latencyMs: 0 });
    await waitFor("store follows", () => woo.control.getStock(sku) === merchantValue - 2, 20_000);
    await woo.control.idle();
    await sleep(700);

    expect(fw.shopifyAvailable(sku)).toBe(merchantValue - 2);
    expect(woo.control.getStock(sku)).toBe(merchantValue - 2);
    const done = await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } });
    expect(done.keyAttempt).toBe(1); // one stale round, then a fresh key
    expect(done.lastError).toBeNull();
    const stale = fw.world.shopify.control
      .graphqlLog(SHOP)
      .filter((c) => JSON.stringify(c.response ?? "").includes("CHANGE_FROM_QUANTITY_STALE"));
    expect(stale.length).toBe(1);
    const applied = (await ledgerFor(fw.shopId, sku)).filter((l) => l.idempotencyKey.endsWith(":applied"));
    expect(applied.map((l) => [l.before, l.after])).toEqual([[merchantValue, merchantValue - 2]]);
  });
});
