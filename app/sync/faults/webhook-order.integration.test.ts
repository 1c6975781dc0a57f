/**
 * Duplicate and reordered webhook deliveries from both platforms (sync-flow covers a sequential Woo
 * redelivery and a day-late Shopify level): Shopify sends one `inventory_levels/update` twice; two Shopify
 * level updates arrive newest first; a WooCommerce order's `order.updated` (cancelled) arrives before its
 * `order.created` (processing); WooCommerce delivers an order twice. Nothing is taken, pushed or recorded
 * twice, and an older state never overwrites a newer one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import {
  adjustmentsFor,
  ledgerFor,
  sleep,
  signedShopifyPost as signedShopifyPostTo,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";

const SHOP = "fault-webhook-order.myshopify.com";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

/** Posts a correctly signed Shopify webhook, as Shopify would, with its own webhook id. */
const signedShopifyPost = (topic: string, body: string): Promise<Response> =>
  signedShopifyPostTo(fw.app.url, SHOP, topic, body);

describe("duplicate and reordered deliveries", () => {
  it("Shopify delivers one inventory_levels/update twice: one level change, one push", async () => {
    const sku = "woo-beanie";
    const woo = fw.world.woo[0]!;
    const itemId = (await prisma.catalogItem.findFirstOrThrow({ where: { shopId: fw.shopId, sku } })).id;
    fw.world.shopify.control.setFaults({ duplicateWebhooks: 1 });
    fw.world.shopify.control.setAvailable(SHOP, { sku, available: 13 });
    await waitFor("store follows", () => woo.control.getStock(sku) === 13);
    await fw.world.shopify.control.webhooksIdle(5000);
    await woo.control.idle();
    await sleep(800);
    const deliveries = fw.world.shopify.control.deliveries(SHOP).filter((d) => d.topic === "inventory_levels/update");
    const dup = deliveries.find((d) => d.kind === "duplicate" && d.status === "delivered");
    expect(dup).toBeTruthy(); // Shopify really sent it twice (same webhook id)
    expect(deliveries.filter((d) => d.id === dup!.id)).toHaveLength(2);
    const ledger = await prisma.stockLedger.findMany({
      where: { shopId: fw.shopId, itemId, cause: { in: ["webhook", "push"] } },
      orderBy: { id: "asc" },
    });
    const after = ledger.filter((l) => l.after === 13);
    expect(after.filter((l) => l.cause === "webhook")).toHaveLength(1);
    expect(after.filter((l) => l.cause === "push")).toHaveLength(1);
    expect(woo.control.getStock(sku)).toBe(13);
  });

  it("two Shopify level updates arrive newest first: the older one is ignored", async () => {
    const sku = "woo-belt";
    const woo = fw.world.woo[0]!;
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId: fw.shopId, sku } });
    const level = await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } });
    const itemNum = Number(item.inventoryItemId!.split("/").pop());
    const locNum = Number(level.locationGid.split("/").pop());
    const body = (available: number, at: Date) =>
      JSON.stringify({
        inventory_item_id: itemNum,
        location_id: locNum,
        available,
        updated_at: at.toISOString(),
        admin_graphql_api_id: `gid://shopify/InventoryLevel/${locNum}?inventory_item_id=${itemNum}`,
      });
    const t = Date.now() + 1000;
    expect((await signedShopifyPost("inventory_levels/update", body(4, new Date(t + 2000)))).status).toBe(200); // newer first
    expect((await signedShopifyPost("inventory_levels/update", body(6, new Date(t + 1000)))).status).toBe(200); // then the older
    await waitFor("store follows the newer", () => woo.control.getStock(sku) === 4);
    await woo.control.idle();
    await sleep(1200);
    expect((await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } })).available).toBe(4);
    expect(woo.control.getStock(sku)).toBe(4);
    const rows = await prisma.stockLedger.findMany({ where: { shopId: fw.shopId, itemId: item.id, cause: "webhook" } });
    expect(rows.map((r) => r.after)).toEqual([4]);
  });

  it("WooCommerce: order.updated (cancelled) arrives before order.created (processing): no stock is taken", async () => {
    const sku = "woo-cap";
    const woo = fw.world.woo[0]!;
    const shopifyBefore = fw.shopifyAvailable(sku)!;
    const storeBefore = woo.control.getStock(sku)!;
    const logStart = woo.control.deliveries().length;
    woo.control.setFaults({ dropDeliveries: 20 }); // hold every delivery back, to replay them in reverse
    const order = woo.control.placeOrder({ lines: [{ sku, quantity: 2 }], status: "processing" }) as { id: number };
    woo.control.setOrderStatus(order.id, "cancelled");
    await woo.control.idle();
    woo.control.setFaults({ dropDeliveries: 0 });
    const held = woo.control
      .deliveries()
      .slice(logStart)
      .filter((d) => d.topic.startsWith("order.") && d.resourceId === order.id);
    const created = held.find((d) => d.topic === "order.created")!;
    const cancelled = held.filter((d) => d.topic === "order.updated").at(-1)!;
    expect(created && cancelled).toBeTruthy();
    await woo.control.redeliver(cancelled.logId);
    await sleep(1200);
    await woo.control.redeliver(created.logId);
    await sleep(1500);
    expect(fw.shopifyAvailable(sku)).toBe(shopifyBefore);
    expect(woo.control.getStock(sku)).toBe(storeBefore); // the store restored its own stock on cancel
    const row = await prisma.order.findFirstOrThrow({
      where: { channelId: fw.channelIds[0]!, externalId: String(order.id) },
    });
    expect(row).toMatchObject({ status: "cancelled", stockTaken: false });
    const pendingOrApplied = (await adjustmentsFor(fw.shopId, sku)).filter((a) => a.orderId === row.id);
    expect(pendingOrApplied.reduce((s, a) => s + a.delta, 0)).toBe(0);
  });

  it("WooCommerce delivers an order twice: taken once", async () => {
    const sku = "woo-sunglasses";
    const woo = fw.world.woo[0]!;
    const before = fw.shopifyAvailable(sku)!;
    woo.control.setFaults({ duplicateDeliveries: 3 });
    woo.control.placeOrder({ lines: [{ sku, quantity: 1 }], status: "processing" });
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === before - 1);
    await woo.control.idle();
    woo.control.setFaults({ duplicateDeliveries: 0 });
    await sleep(1200);
    expect(fw.shopifyAvailable(sku)).toBe(before - 1);
    expect(await adjustmentsFor(fw.shopId, sku)).toHaveLength(1);
    expect((await ledgerFor(fw.shopId, sku)).filter((l) => l.cause === "order")).toHaveLength(2); // taken + applied
  });
});
