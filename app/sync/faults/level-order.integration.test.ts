/**
 * Issue 11, B7 and B8: what a catalog under real traffic shows and one SKU never does.
 * - B7: two `inventory_levels/update` deliveries for one level within the same second, processed out of order — the
 *   older (6) after the newer (4). Shopify does not order webhooks and `updated_at` has one-second resolution, so when
 *   the order is ambiguous the hub reads the level from Shopify instead of trusting either payload.
 * - B8: a Shopify sale whose level webhook arrives after the hub applied a WooCommerce sale of the same item (so the
 *   webhook is judged stale) must still leave its ledger row: per item, the ledger's Shopify-side sum equals Shopify's
 *   real change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import {
  sleep,
  signedShopifyPost as signedShopifyPostTo,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";

const SHOP = "fault-level-order.myshopify.com";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, stockFor: () => 10 });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

/** Posts a correctly signed Shopify webhook with its own webhook id. @returns the HTTP status */
const signedShopifyPost = async (topic: string, body: string): Promise<number> =>
  (await signedShopifyPostTo(fw.app.url, SHOP, topic, body)).status;

const shopifyChannelId = async () =>
  (await prisma.channel.findFirstOrThrow({ where: { shopId: fw.shopId, kind: "shopify" } })).id;

describe("B7: same-second level webhooks out of order", () => {
  it("reads the level from Shopify when two deliveries of one second disagree: the store ends at Shopify's 4, not the older 6", async () => {
    const sku = "woo-hoodie-blue";
    const woo = fw.world.woo[0]!;
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId: fw.shopId, sku } });
    const level = await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } });
    // Shopify moves 10 → 6 → 4 within one second; its own deliveries are dropped and replayed below, newest first.
    fw.world.shopify.control.setFaults({ dropWebhooks: 2 });
    fw.world.shopify.control.setAvailable(SHOP, { sku, available: 6 });
    fw.world.shopify.control.setAvailable(SHOP, { sku, available: 4 });
    await sleep(300);
    const itemNum = Number(item.inventoryItemId!.split("/").pop());
    const locNum = Number(level.locationGid.split("/").pop());
    // Both carry the same whole-second updated_at (Shopify's resolution), one second after the hub's last observation.
    const second = new Date(Math.floor(Date.now() / 1000) * 1000 + 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const body = (available: number) =>
      JSON.stringify({
        inventory_item_id: itemNum,
        location_id: locNum,
        available,
        updated_at: second,
        admin_graphql_api_id: `gid://shopify/InventoryLevel/${locNum}?inventory_item_id=${itemNum}`,
      });
    expect(await signedShopifyPost("inventory_levels/update", body(4))).toBe(200); // the newer first
    await waitFor("store follows 4", () => woo.control.getStock(sku) === 4, 20_000);
    expect(await signedShopifyPost("inventory_levels/update", body(6))).toBe(200); // then the older, same second
    await sleep(2500);
    await woo.control.idle();
    expect((await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } })).available).toBe(4);
    expect(woo.control.getStock(sku)).toBe(4);
    const rows = await prisma.stockLedger.findMany({
      where: { shopId: fw.shopId, itemId: item.id, channelId: await shopifyChannelId() },
    });
    expect(rows.reduce((n, r) => n + (r.delta ?? 0), 0)).toBe(4 - 10); // the ledger follows Shopify: −6 in all
  });
});

describe("B8: a Shopify sale observed after a store sale of the same item", () => {
  it("keeps the Shopify sale in the ledger although its webhook was judged stale", async () => {
    const sku = "woo-polo";
    const woo = fw.world.woo[0]!;
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId: fw.shopId, sku } });
    const scId = await shopifyChannelId();
    const since = (await prisma.stockLedger.aggregate({ _max: { id: true } }))._max.id ?? 0n;
    const start = fw.shopifyAvailable(sku)!;
    // A Shopify checkout of 2 whose webhook is held back for 6 s ...
    fw.world.shopify.control.setFaults({ delayWebhooksMs: 6000 });
    fw.world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 2 }] });
    fw.world.shopify.control.setFaults({ delayWebhooksMs: 0 });
    await sleep(1500); // ... and, more than a second later, a store sale of 1, applied to Shopify before that webhook arrives.
    woo.control.placeOrder({ lines: [{ sku, quantity: 1 }], status: "processing" });
    await waitFor(
      "store sale applied",
      async () =>
        (await prisma.shopifyAdjustment.count({ where: { shopId: fw.shopId, itemId: item.id, status: "applied" } })) ===
        1,
      20_000,
    );
    await fw.world.shopify.control.webhooksIdle(15_000);
    await sleep(1500);
    const receipts = await prisma.webhookReceipt.findMany({
      where: { shopId: fw.shopId, topic: "inventory_levels/update" },
      orderBy: { receivedAt: "desc" },
      take: 3,
    });
    expect(receipts.some((r) => r.error === "stale" || r.status === "ignored")).toBe(true); // the sale's webhook came late
    expect(fw.shopifyAvailable(sku)).toBe(start - 3);
    expect((await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } })).available).toBe(start - 3);
    const rows = await prisma.stockLedger.findMany({
      where: { shopId: fw.shopId, itemId: item.id, channelId: scId, id: { gt: since } },
    });
    expect(rows.reduce((n, r) => n + (r.delta ?? 0), 0)).toBe(-3); // −2 (the Shopify sale) and −1 (the store sale)
  });
});
