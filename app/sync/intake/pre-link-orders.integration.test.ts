/**
 * Orders a store sold BEFORE it was linked, first seen by the intake after the link (decision 260): a WooCommerce
 * store that reports no stock events (the order webhooks carry each line's `_reduced_stock`), import off, so no
 * look-back adopts them. The sale is already in the quantity the store had at link time: the first delivery adopts
 * the order with the store's own tally and moves nothing; only a change after that (a cancel) moves stock, once.
 * Real app build, real PostgreSQL and queue, emulated stores over HTTP; the store's clock is moved back to sell
 * "before the link".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import {
  ledgerFor,
  orderStockMovements,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";
import { reconcileChannel } from "../reconcile/reconcile.server";

const SHOP = "pre-link-orders.myshopify.com";
let fw: FaultWorld;
/** The store's clock offset (ms): negative places an order before the store was linked. */
let clockOffset = 0;
const woo = () => fw.world.woo[0]!;
const channelId = () => fw.channelIds[0]!;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, stockFor: () => 20, woo: { now: () => Date.now() + clockOffset } });
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
/** Settles every delivery and job in flight. */
async function settle(ms = 1500): Promise<void> {
  await woo().control.idle();
  await fw.world.shopify.control.webhooksIdle();
  await waitFor(
    "receipts processed",
    async () =>
      (await prisma.webhookReceipt.count({ where: { channelId: channelId(), status: "received" } })) === 0 &&
      (await prisma.shopifyAdjustment.count({ where: { shopId: fw.shopId, status: "pending" } })) === 0,
    30_000,
  );
  await sleep(ms);
}

/** An order the store sold two hours ago (before the link) whose webhooks never reached the hub. */
async function soldBeforeLink(lines: { sku: string; quantity: number }[]): Promise<{ id: number }> {
  await woo().control.idle();
  woo().control.setFaults({ dropDeliveries: 1000 });
  clockOffset = -2 * 3_600_000;
  const placed = woo().control.placeOrder({ lines }) as { id: number };
  clockOffset = 0;
  await woo().control.idle();
  woo().control.setFaults({ dropDeliveries: 0 });
  return placed;
}

describe("an order sold before the link reaches the intake after it", () => {
  it("a status change adopts it with the store's tally and moves nothing; its cancel gives the units back once", async () => {
    const sku = "woo-cap";
    const placed = await soldBeforeLink([{ sku, quantity: 2 }]);
    expect(await rowOf(String(placed.id))).toBeNull();
    expect(await prisma.orderImportSetting.findUnique({ where: { channelId: channelId() } })).toBeNull(); // import off
    const start = fw.shopifyAvailable(sku)!;
    const ledgerBefore = (await ledgerFor(fw.shopId, sku)).length;

    // (1) A status change after the link: the order webhook is the hub's first sight of it.
    woo().control.setOrderStatus(placed.id, "completed");
    const row = await waitFor("order recorded", () => rowOf(String(placed.id)), 30_000);
    await settle();
    expect(row.lines.map((l) => l.stockTakenQuantity)).toEqual([2]); // the store's own tally, adopted
    expect(await movementsOf(row.id)).toEqual([]);
    expect(await prisma.stockLedger.count({ where: { orderId: row.id } })).toBe(0);
    expect((await ledgerFor(fw.shopId, sku)).length).toBe(ledgerBefore);
    expect(fw.shopifyAvailable(sku)).toBe(start);
    // Reconciliation reads it as an order modified since the link: still nothing to move.
    await reconcileChannel(fw.shopId, channelId(), { trigger: "manual" });
    await settle(500);
    expect(await movementsOf(row.id)).toEqual([]);
    expect(fw.shopifyAvailable(sku)).toBe(start);

    // (2) Cancelled after the link: WooCommerce restocks the 2 units; the record goes up by 2, once.
    woo().control.setOrderStatus(placed.id, "cancelled");
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start + 2, 30_000);
    await settle();
    for (const d of woo()
      .control.deliveries()
      .filter((x) => x.resourceId === placed.id && x.topic.startsWith("order.")))
      await woo().control.redeliver(d.logId);
    await reconcileChannel(fw.shopId, channelId(), { trigger: "manual" });
    await settle();
    expect(fw.shopifyAvailable(sku)).toBe(start + 2);
    expect(await movementsOf(row.id)).toEqual([2]);
    expect(await orderStockMovements(row.id)).toEqual([2]);
    expect((await rowOf(String(placed.id)))!.lines.map((l) => l.stockTakenQuantity)).toEqual([0]);
  }, 120_000);

  it("an order sold after the link whose webhooks were lost still takes its stock (only pre-link orders are adopted)", async () => {
    const sku = "woo-belt";
    const start = fw.shopifyAvailable(sku)!;
    await woo().control.idle();
    woo().control.setFaults({ dropDeliveries: 1000 });
    const placed = woo().control.placeOrder({ lines: [{ sku, quantity: 1 }] }) as { id: number };
    await woo().control.idle();
    woo().control.setFaults({ dropDeliveries: 0 });
    woo().control.setOrderStatus(placed.id, "completed");
    await waitFor("sale taken", () => fw.shopifyAvailable(sku) === start - 1, 30_000);
    await settle();
    const row = (await rowOf(String(placed.id)))!;
    expect(await movementsOf(row.id)).toEqual([-1]);
  }, 120_000);
});
