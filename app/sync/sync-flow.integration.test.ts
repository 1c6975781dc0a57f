/**
 * The main job end to end on real PostgreSQL, the real app (production build), the real queue and real
 * HTTP to the emulated stores: install → catalog import → store registration → SKU linking; a WooCommerce
 * sale reaches Shopify exactly once; a Shopify sale reaches WooCommerce as the derived quantity; echoes,
 * duplicates, out-of-order and late webhooks change nothing; bad signatures are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { startWorld, waitFor, type World } from "../../tests/harness/world";
import { onboard } from "../../tests/harness/onboard";
import { startWorker, type WorkerHandle } from "../jobs/worker.server";
import { stopBoss } from "../jobs/queue.server";
import { settleStaleLevelReceipts } from "./intake/stale-receipts.server";
import { ingestSalesOrder, recordShopifyOrder } from "./intake/orders.server";

let world: World;
let app: AppHandle;
let worker: WorkerHandle;
let shopId: string;
let channelId: string;
const SHOP = "flow-test.myshopify.com";

const shopifyAvailable = (sku: string) => world.shopify.control.state(SHOP).availableBySku[sku]?.[world.locationId];
const woo = () => world.woo[0]!;

beforeAll(async () => {
  world = await startWorld({ apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, shop: SHOP, wooStores: 1 });
  app = await startApp({ SHOPIFY_ADMIN_ORIGIN: world.shopify.url, SYNCFLOW_RETRY_DELAY_S: "1" });
  world.shopify.control.setAppUrl(app.url);
  worker = await startWorker();
  const onboarded = await onboard(world, app.url, TEST_API_KEY, TEST_API_SECRET);
  expect(onboarded.registration.body.mode).toBe("exact");
  ({ shopId, channelId } = onboarded);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await app?.close();
  await world?.close();
});

describe("walking skeleton", () => {
  it("imported Shopify's catalog and linked the WooCommerce store by SKU, reporting what it could not link", async () => {
    const listings = await prisma.listing.findMany({ where: { channelId } });
    const by = (sku: string) => listings.find((l) => l.sku === sku);
    expect(by("Woo-tshirt-logo")?.matchStatus).toBe("linked");
    expect(by("woo-hoodie-blue")?.matchStatus).toBe("linked"); // a variation
    expect(by("woo-hoodie")?.matchStatus ?? "not listed").not.toBe("linked"); // variable parent: stock lives on variations
    expect(by("logo-collection")?.matchStatus).toBe("not_stocked"); // grouped
    expect(by("wp-pennant")?.matchStatus).toBe("not_stocked"); // external
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(channel.credentialsEnc).not.toContain("ck_");
    const hooks = woo()
      .control.state()
      .webhooks.filter((w: { delivery_url: string }) => w.delivery_url.endsWith(channelId));
    expect(hooks.map((w: { topic: string }) => w.topic).sort()).toEqual([
      "order.created",
      "order.updated",
      "product.created",
      "product.updated",
    ]);
  });

  it("applies a WooCommerce sale to Shopify exactly once, and ignores the duplicate delivery", async () => {
    const sku = "woo-beanie";
    const before = shopifyAvailable(sku)!;
    woo().control.placeOrder({ lines: [{ sku, quantity: 2 }], status: "processing" });
    await waitFor("Shopify decremented", () => shopifyAvailable(sku) === before - 2);
    await woo().control.idle();
    const delivery = woo()
      .control.deliveries()
      .filter((d: any) => d.topic === "order.created")
      .at(-1)!;
    await woo().control.redeliver(delivery.logId);
    await woo().control.redeliver(delivery.logId);
    await new Promise((r) => setTimeout(r, 1500));
    expect(shopifyAvailable(sku)).toBe(before - 2);
    const adjustments = await prisma.shopifyAdjustment.findMany({ where: { shopId, item: { sku } } });
    expect(adjustments).toHaveLength(1);
    expect(adjustments[0]!.status).toBe("applied");
    const ledger = await prisma.stockLedger.findMany({ where: { shopId, item: { sku }, cause: "order" } });
    expect(ledger.map((l) => l.delta)).toEqual([-2, -2]); // taken on the store, applied on Shopify
    // The WooCommerce store sold it itself; its stock is not reduced a second time by our push.
    await new Promise((r) => setTimeout(r, 500));
    expect(woo().control.getStock(sku)).toBe(world.stock[sku]! - 2);
  });

  it("pushes a Shopify sale to WooCommerce as the derived quantity, and recognises the echo", async () => {
    const sku = "woo-cap";
    const start = woo().control.getStock(sku)!;
    world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 3 }] });
    await waitFor("WooCommerce updated", () => woo().control.getStock(sku) === start - 3);
    await woo().control.idle();
    await new Promise((r) => setTimeout(r, 800));
    expect(woo().control.getStock(sku)).toBe(start - 3);
    const echo = await prisma.webhookReceipt.findFirst({
      where: { channelId, topic: "product.updated", error: "echo of our own write" },
    });
    expect(echo).not.toBeNull();
    const order = await prisma.order.findFirst({
      where: { shopId, channel: { kind: "shopify" } },
      include: { lines: true },
    });
    expect(order?.lines[0]?.sku).toBe(sku);
  });

  it("pushes available − safety buffer − pending sales, never the raw Shopify number", async () => {
    const sku = "woo-hoodie-with-zipper";
    await prisma.channel.update({ where: { id: channelId }, data: { bufferUnits: 2 } });
    const available = shopifyAvailable(sku)!;
    world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 1 }] });
    await waitFor("buffered quantity pushed", () => woo().control.getStock(sku) === available - 1 - 2);
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku } });
    // A sale taken from the store but not yet applied to Shopify is subtracted from what is pushed.
    const { derivedQuantities } = await import("./stock/push.server");
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    const pending = await prisma.shopifyAdjustment.create({
      data: {
        shopId,
        itemId: item.id,
        locationGid: channel.salesLocationId!,
        delta: -3,
        idempotencyKey: `test-pending:${Date.now()}`,
        status: "dead",
      },
    });
    expect((await derivedQuantities(prisma, channel, [item.id])).get(item.id)).toBe(available - 1 - 2);
    await prisma.$executeRaw`UPDATE "ShopifyAdjustment" SET status = 'pending' WHERE id = ${pending.id}`;
    expect((await derivedQuantities(prisma, channel, [item.id])).get(item.id)).toBe(available - 1 - 2 - 3);
    await prisma.$executeRaw`UPDATE "ShopifyAdjustment" SET status = 'dead' WHERE id = ${pending.id}`;
    await prisma.channel.update({ where: { id: channelId }, data: { bufferUnits: 0 } });
  });

  it("gives stock back once when a WooCommerce order is cancelled, even if the update is delivered twice", async () => {
    const sku = "woo-belt";
    const before = shopifyAvailable(sku)!;
    const order = woo().control.placeOrder({ lines: [{ sku, quantity: 1 }], status: "processing" }) as { id: number };
    await waitFor("sale applied", () => shopifyAvailable(sku) === before - 1);
    woo().control.setOrderStatus(order.id, "cancelled");
    await waitFor("stock released", () => shopifyAvailable(sku) === before);
    await woo().control.idle();
    const upd = woo()
      .control.deliveries()
      .filter((d: any) => d.topic === "order.updated")
      .at(-1)!;
    await woo().control.redeliver(upd.logId);
    await new Promise((r) => setTimeout(r, 1200));
    expect(shopifyAvailable(sku)).toBe(before);
  });

  it("ignores a late, out-of-order Shopify level update (monotonic per item and location)", async () => {
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku: "woo-sunglasses" } });
    const level = await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } });
    const body = JSON.stringify({
      inventory_item_id: Number(item.inventoryItemId!.split("/").pop()),
      location_id: Number(level.locationGid.split("/").pop()),
      available: 999,
      updated_at: new Date(level.observedAt.getTime() - 86_400_000).toISOString(), // a day late
      admin_graphql_api_id: `gid://shopify/InventoryLevel/${level.locationGid.split("/").pop()}?inventory_item_id=${item.inventoryItemId!.split("/").pop()}`,
    });
    const res = await signedShopifyPost("inventory_levels/update", body);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1200));
    const after = await prisma.inventoryLevel.findFirstOrThrow({
      where: { itemId: item.id, locationGid: level.locationGid },
    });
    expect(after.available).toBe(level.available);
  });

  it("the worker's batch pre-pass settles exactly the stale level receipts, by key, and leaves the rest", async () => {
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku: "woo-sunglasses" } });
    const level = await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } });
    const [itemNum, locNum] = [item.inventoryItemId!, level.locationGid].map((g) => Number(g.split("/").pop()));
    // Stored directly, without a job, so the running worker does not race the call below.
    const receipt = (updatedAt: Date) =>
      prisma.webhookReceipt.create({
        data: {
          shopId,
          source: "shopify",
          topic: "inventory_levels/update",
          dedupeKey: crypto.randomUUID(),
          bodyHash: "x",
          headers: {},
          body: {
            inventory_item_id: itemNum,
            location_id: locNum,
            available: 5,
            updated_at: updatedAt.toISOString(),
            admin_graphql_api_id: `gid://shopify/InventoryLevel/${locNum}?inventory_item_id=${itemNum}`,
          },
        },
      });
    const late = await receipt(new Date(level.observedAt.getTime() - 86_400_000));
    const fresh = await receipt(new Date(Date.now() + 60_000));
    const settled = await settleStaleLevelReceipts([late.id, fresh.id, "no-such-receipt"]);
    expect([...settled]).toEqual([[late.id, { status: "ignored", note: "stale" }]]);
    expect(await prisma.webhookReceipt.findUniqueOrThrow({ where: { id: late.id } })).toMatchObject({
      status: "ignored",
      error: "stale",
    });
    expect((await prisma.webhookReceipt.findUniqueOrThrow({ where: { id: fresh.id } })).status).toBe("received");
    expect((await settleStaleLevelReceipts([late.id])).size).toBe(0); // settled once
    await prisma.webhookReceipt.deleteMany({ where: { id: { in: [late.id, fresh.id] } } });
  });

  it("refuses webhooks with a bad signature from either platform (401) and unknown stores (404)", async () => {
    const bad = await world.shopify.control.sendBadHmac(SHOP, { topic: "orders/create" });
    expect(bad.attempts.at(-1)?.status ?? (bad as any).status).toBe(401);
    const res = await fetch(`${app.url}/webhooks/woocommerce/${channelId}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Signature": "bm9wZQ==",
      },
      body: JSON.stringify({ id: 1 }),
    });
    expect(res.status).toBe(401);
    const unknown = await fetch(`${app.url}/webhooks/woocommerce/nope`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    const ping = await fetch(`${app.url}/webhooks/woocommerce/${channelId}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "webhook_id=12",
    });
    expect(ping.status).toBe(200);
  });

  it("keeps the ledger append-only", async () => {
    await expect(prisma.stockLedger.updateMany({ where: { shopId }, data: { note: "tampered" } })).rejects.toThrow(
      /append-only/,
    );
  });

  it("records an order delivered twice at the same moment once, on both platforms (no unique-key race)", async () => {
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    // A line with an unknown SKU: the order is recorded, no stock moves (its units were never the hub's to count).
    const woo = {
      orderId: "990001",
      number: "990001",
      status: "processing",
      currency: "USD",
      total: "10.00",
      createdAt: new Date().toISOString(),
      modifiedAt: new Date().toISOString(),
      customer: { firstName: "Ada", lastName: null, email: null },
      lines: [
        {
          lineId: "1",
          productId: "990002",
          variantId: null,
          sku: "no-such-sku",
          quantity: 1,
          price: "10.00",
          title: "Gone",
          stockTaken: 1,
        },
      ],
    };
    for (let round = 0; round < 3; round++) {
      const orderId = `${woo.orderId}${round}`;
      const results = await Promise.all([
        ingestSalesOrder(channel, { ...woo, orderId }),
        ingestSalesOrder(channel, { ...woo, orderId }),
      ]);
      expect(results.map((r) => r.result)).toEqual(["unchanged", "unchanged"]);
      expect(await prisma.order.count({ where: { channelId, externalId: orderId } })).toBe(1);
      expect(await prisma.orderLine.count({ where: { order: { channelId, externalId: orderId } } })).toBe(1);
    }
    const shopifyChannel = await prisma.channel.findFirstOrThrow({ where: { shopId, kind: "shopify" } });
    const order = {
      orderId: "gid://shopify/Order/990003",
      name: "#9903",
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      cancelledAt: null,
      currency: "USD",
      total: "5.00",
      financialStatus: "paid",
      locationId: null,
      customer: null,
      lines: [
        {
          lineId: "gid://shopify/LineItem/990004",
          sku: "no-such-sku",
          variantId: null,
          productId: null,
          quantity: 1,
          currentQuantity: 1,
          price: "5.00",
          title: "Gone",
        },
      ],
    };
    const ids = await Promise.all([
      recordShopifyOrder(shopId, shopifyChannel.id, order, "paid"),
      recordShopifyOrder(shopId, shopifyChannel.id, order, "paid"),
    ]);
    expect(ids[0]).toBe(ids[1]);
    expect(await prisma.orderLine.count({ where: { orderId: ids[0] } })).toBe(1);
  });
});

/** Posts a correctly signed Shopify webhook (as Shopify would) to the app. */
async function signedShopifyPost(topic: string, body: string): Promise<Response> {
  const hmac = crypto.createHmac("sha256", TEST_API_SECRET).update(body).digest("base64");
  return fetch(`${app.url}/webhooks/${topic}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": hmac,
      "X-Shopify-Shop-Domain": SHOP,
      "X-Shopify-API-Version": "2026-10",
      "X-Shopify-Webhook-Id": crypto.randomUUID(),
      "X-Shopify-Event-Id": crypto.randomUUID(),
      "X-Shopify-Triggered-At": new Date().toISOString(),
    },
    body,
  });
}
