/**
 * Orders sold BEFORE the link on a store whose plugin reports stock events (decisions 130–131, 260): the event of a
 * pre-link sale (its `at` before the link) moves nothing — the sale is in the quantity the store had at link time —
 * and the restock of such an order cancelled after the link comes back exactly once, whether its stock event or its
 * order webhook reaches the hub first (the webhook alone adopts the order with the store's tally AFTER the cancel,
 * so the event counts the line from the tally the store held just before it). Real app build, real PostgreSQL and
 * queue, emulated stores over HTTP; the store's clock is moved back to sell "before the link".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { sleep, startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";

const SHOP = "pre-link-orders-events.myshopify.com";
let fw: FaultWorld;
let clockOffset = 0;
const woo = () => fw.world.woo[0]!;
const channelId = () => fw.channelIds[0]!;

beforeAll(async () => {
  fw = await startFaultWorld({
    shop: SHOP,
    stockFor: () => 20,
    woo: { stockEvents: true, now: () => Date.now() + clockOffset },
  });
}, 180_000);

afterAll(async () => {
  await fw?.close();
});

const rowOf = (externalId: string) =>
  prisma.order.findUnique({
    where: { channelId_externalId: { channelId: channelId(), externalId } },
    include: { lines: true },
  });
const movementsOf = async (orderId: string) =>
  (await prisma.shopifyAdjustment.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } })).map((a) => a.delta);

async function settled(ms = 800) {
  await woo().control.idle();
  await woo().control.stockEventsIdle();
  await waitFor(
    "hub settled",
    async () =>
      (await prisma.webhookReceipt.count({ where: { channelId: channelId(), status: "received" } })) === 0 &&
      (await prisma.shopifyAdjustment.count({ where: { shopId: fw.shopId, status: "pending" } })) === 0 &&
      (await fw.world.shopify.control.webhooksIdle(5000), true),
  );
  await sleep(ms);
}

/** Sold two hours ago by the store's clock: its stock event and webhooks carry that time. */
async function sellBeforeLink(sku: string, quantity: number): Promise<{ id: number }> {
  clockOffset = -2 * 3_600_000;
  const placed = woo().control.placeOrder({ lines: [{ sku, quantity }] }) as { id: number };
  await woo().control.idle();
  await woo().control.stockEventsIdle();
  clockOffset = 0;
  return placed;
}

describe("a stock-events store's order sold before the link", () => {
  it("its sale moves nothing; its cancel after the link gives the units back once", async () => {
    const sku = "woo-cap";
    const start = fw.shopifyAvailable(sku)!;
    const placed = await sellBeforeLink(sku, 2);
    await settled();
    const row = (await rowOf(String(placed.id)))!;
    expect(fw.shopifyAvailable(sku)).toBe(start);
    expect(await movementsOf(row.id)).toEqual([]);
    expect(row.lines.map((l) => l.stockTakenQuantity)).toEqual([2]);

    woo().control.setOrderStatus(placed.id, "completed");
    await settled();
    expect(await movementsOf(row.id)).toEqual([]);

    woo().control.setOrderStatus(placed.id, "cancelled");
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start + 2, 30_000);
    await settled();
    expect(fw.shopifyAvailable(sku)).toBe(start + 2);
    expect(await movementsOf(row.id)).toEqual([2]);
  }, 120_000);

  it("cancelled after the link, the order's webhook first: the restock event still counts the units once", async () => {
    const sku = "woo-belt";
    const start = fw.shopifyAvailable(sku)!;
    // Sold before the link with nothing reaching the hub (the plugin's outbox held, webhooks dropped).
    woo().control.holdStockEvents(true);
    woo().control.setFaults({ dropDeliveries: 1000 });
    const placed = await (async () => {
      clockOffset = -2 * 3_600_000;
      const p = woo().control.placeOrder({ lines: [{ sku, quantity: 3 }] }) as { id: number };
      await woo().control.idle();
      clockOffset = 0;
      return p;
    })();
    woo().control.setFaults({ dropDeliveries: 0 });
    // Cancelled after the link: the webhook (tally now 0) arrives while the events are still held.
    woo().control.setOrderStatus(placed.id, "cancelled");
    const row = await waitFor("order adopted from its webhook", () => rowOf(String(placed.id)), 30_000);
    await woo().control.idle();
    await sleep(500);
    expect(fw.shopifyAvailable(sku)).toBe(start);
    // The events come: the pre-link sale moves nothing, the post-link restock gives 3 back, once.
    woo().control.holdStockEvents(false);
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start + 3, 30_000);
    await settled();
    expect(fw.shopifyAvailable(sku)).toBe(start + 3);
    expect(await movementsOf(row.id)).toEqual([3]);
  }, 120_000);
});
