/**
 * WooCommerceChannel against the WooCommerce emulator over real HTTP (OAuth 1.0a via the official library).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startWooEmulator, type WooEmulator } from "../../../tests/emulators/woocommerce/index";
import { startWebhookReceiver, type WebhookReceiver } from "../../../tests/emulators/woocommerce/receiver";
import { loadSampleCatalog, demoStock } from "../../../tests/fixtures/sample-catalog";
import { ChannelError, type ChannelListing } from "../channel";
import { WooCommerceChannel } from "./woocommerce-channel.server";

let emu: WooEmulator;
let ch: WooCommerceChannel;
let rx: WebhookReceiver;

async function channelFor(e: WooEmulator, timeoutMs = 2000) {
  const k = e.control.createKey({ permissions: "read_write" });
  return new WooCommerceChannel({
    url: e.url,
    consumerKey: k.consumer_key,
    consumerSecret: k.consumer_secret,
    timeoutMs,
    client: { baseDelayMs: 5, maxDelayMs: 20 },
  });
}
const caught = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected rejection");
    },
    (e) => e as ChannelError,
  );

beforeEach(async () => {
  emu = await startWooEmulator({ deliveryDelayMs: 10 });
  emu.control.seedCatalog(loadSampleCatalog());
  ch = await channelFor(emu);
  rx = await startWebhookReceiver();
});
afterEach(async () => {
  await emu.close();
  await rx.close();
});

describe("WooCommerceChannel", () => {
  it("verifyConnection reads system_status; wrong secret → AUTH", async () => {
    expect(await ch.verifyConnection()).toMatchObject({ currency: "USD", wcVersion: expect.stringMatching(/^10\./) });
    const bad = new WooCommerceChannel({ url: emu.url, consumerKey: "ck_x", consumerSecret: "cs_y" });
    const e = await caught(bad.verifyConnection());
    expect(e).toBeInstanceOf(ChannelError);
    expect(e.code).toBe("AUTH");
  });

  it("listListings yields simple products and every variation; grouped/external unmanaged; pages across 100+", async () => {
    await ch.client.post("products/batch", {
      create: Array.from({ length: 100 }, (_, i) => ({
        name: `Bulk ${i}`,
        sku: `bulk-${i}`,
        manage_stock: true,
        stock_quantity: 1,
      })),
    });
    const all: ChannelListing[] = [];
    let pages = 0;
    for await (const page of ch.listListings()) {
      pages++;
      all.push(...page);
    }
    expect(pages).toBe(2);
    // 25 rows - 2 variable parents + 100 bulk
    expect(all).toHaveLength(123);
    const v = all.find((l) => l.sku === "woo-hoodie-blue-logo")!;
    expect(v).toMatchObject({
      productType: "variation",
      variantId: v.externalId,
      productId: String(emu.control.productIdBySku("woo-hoodie")),
      manageStock: true,
      quantity: demoStock("woo-hoodie-blue-logo"),
    });
    expect(all.find((l) => l.sku === "logo-collection")).toMatchObject({
      productType: "grouped",
      manageStock: false,
      quantity: null,
    });
    expect(all.find((l) => l.sku === "wp-pennant")).toMatchObject({ productType: "external", manageStock: false });
    expect(all.find((l) => l.sku === "woo-album")).toMatchObject({ manageStock: false, quantity: null });
    expect(all.find((l) => l.sku === "Woo-tshirt-logo")!.modifiedAt).toMatch(/Z$/);
  });

  it("listListings with concurrency reads the same listings (pages in any order), never more pages at once than asked", async () => {
    await ch.client.post("products/batch", {
      create: Array.from({ length: 100 }, (_, i) => ({
        name: `Bulk ${i}`,
        sku: `bulk-${i}`,
        manage_stock: true,
        stock_quantity: 1,
      })),
    });
    await ch.client.post("products/batch", {
      create: Array.from({ length: 100 }, (_, i) => ({
        name: `More ${i}`,
        sku: `more-${i}`,
        manage_stock: true,
        stock_quantity: 2,
      })),
    });
    const inOrder: ChannelListing[] = [];
    for await (const page of ch.listListings()) inOrder.push(...page);
    emu.control.setLatency({ latencyMs: 20, maxConcurrent: 2 });
    const concurrent: ChannelListing[] = [];
    for await (const page of ch.listListings({ concurrency: 2 })) concurrent.push(...page);
    const key = (l: ChannelListing) => l.externalId;
    expect(concurrent.map(key).sort()).toEqual(inOrder.map(key).sort());
    expect(concurrent).toHaveLength(223);
    expect(emu.control.queueStats().maxWaiting).toBe(0); // 2 in flight at most: none waited for the store's 2 workers
  });

  it("listListings with concurrency: pages failing together reject once as a ChannelError (no unhandled rejection)", async () => {
    for (let b = 0; b < 3; b++)
      await ch.client.post("products/batch", {
        create: Array.from({ length: 100 }, (_, i) => ({
          name: `F${b}-${i}`,
          sku: `f-${b}-${i}`,
          manage_stock: true,
          stock_quantity: 1,
        })),
      });
    const it = ch.listListings({ concurrency: 2 });
    expect((await it.next()).done).toBe(false); // page 1 read; pages 2 and 3 start with the next call
    emu.control.setFaults({ failNext: { status: 500, count: 1000, paths: ["/products"] } });
    const e = await caught(it.next());
    expect(e).toBeInstanceOf(ChannelError);
    expect(e.code).toBe("SERVER");
    emu.control.resetFaults();
    await new Promise((r) => setTimeout(r, 200)); // the other page fails after the first: Promise.race has subscribed to it, so it is handled
  });

  it("capabilities: exact with the plugin, exact:false without (404)", async () => {
    expect(await ch.capabilities()).toMatchObject({
      exact: true,
      version: "1.1.0",
      features: expect.arrayContaining(["stock-batch", "stock-snapshot"]),
    });
    const e2 = await startWooEmulator({ syncflowPlugin: false });
    try {
      const c2 = await channelFor(e2);
      expect(await c2.capabilities()).toEqual({ exact: false });
      const e = await caught(c2.adjustStock({ productId: 1, delta: -1, requestKey: "x" }));
      expect(e.code).toBe("UNSUPPORTED");
    } finally {
      await e2.close();
    }
  });

  it("adjustStock is idempotent; casStock STALE carries current", async () => {
    const id = emu.control.productIdBySku("woo-beanie")!;
    emu.control.setStock("woo-beanie", 10);
    expect(await ch.adjustStock({ productId: id, delta: -3, requestKey: "order-1:line-1" })).toEqual({
      before: 10,
      after: 7,
      replayed: false,
    });
    expect(await ch.adjustStock({ productId: id, delta: -3, requestKey: "order-1:line-1" })).toEqual({
      before: 10,
      after: 7,
      replayed: true,
    });
    expect(emu.control.getStock("woo-beanie")).toBe(7);
    expect(await ch.casStock({ productId: id, expected: 7, quantity: 12, requestKey: "rec-1" })).toMatchObject({
      before: 7,
      after: 12,
    });
    const e = await caught(ch.casStock({ productId: id, expected: 7, quantity: 1, requestKey: "rec-2" }));
    expect(e.code).toBe("STALE");
    expect(e.opts.current).toBe(12);
    expect(e.retryable).toBe(false);
    const nf = await caught(ch.adjustStock({ productId: 999999, delta: 1, requestKey: "nf" }));
    expect(nf.code).toBe("NOT_FOUND");
  });

  it("setStockAbsolute (simple and variation) and batchSetStock with chunks and per-item errors", async () => {
    const cap = emu.control.productIdBySku("woo-cap")!;
    expect((await ch.setStockAbsolute(cap, 4)).after).toBe(4);
    const parent = emu.control.productIdBySku("woo-vneck-tee")!;
    const red = emu.control.productIdBySku("woo-vneck-tee-red")!;
    expect((await ch.setStockAbsolute(red, 9, parent)).after).toBe(9);
    expect(emu.control.getStock("woo-vneck-tee-red")).toBe(9);

    const created = await ch.client.post("products/batch", {
      create: Array.from({ length: 100 }, (_, i) => ({
        name: `B${i}`,
        sku: `b-${i}`,
        manage_stock: true,
        stock_quantity: 0,
      })),
    });
    const ids: number[] = created.data.create.map((p: any) => p.id);
    emu.control.setFaults({ batchItemErrors: { sku: ["b-50"] } });
    const items = [
      ...ids.map((id, i) => ({ productId: id, quantity: i })),
      { productId: cap, quantity: 1 },
      { productId: 999999, quantity: 1 },
      { productId: red, parentId: parent, quantity: 3 },
    ];
    const res = await ch.batchSetStock(items);
    expect(res).toHaveLength(103);
    expect(emu.requestCounts.get("POST /wp-json/wc/v3/products/batch")).toBe(3); // 1 create + 2 chunks
    expect(res[10]).toMatchObject({ ok: true, quantity: 10 });
    expect(res[50]).toMatchObject({ ok: false, error: { code: "woocommerce_rest_batch_item_failed" } });
    expect(res[101]).toMatchObject({ ok: false, productId: 999999 });
    expect(res[102]).toMatchObject({ ok: true, quantity: 3 });
    expect(emu.control.getStock("b-99")).toBe(99);
  });

  it("retries idempotent calls on 503 then succeeds; POST without idempotency is not retried", async () => {
    emu.control.setFaults({ failNext: { status: 503, count: 2 } });
    expect((await ch.verifyConnection()).currency).toBe("USD");
    expect(emu.requestCounts.get("GET /wp-json/wc/v3/system_status")).toBe(3);
    emu.control.setFaults({ failNext: { status: 503, count: 1 } });
    const e = await caught(ch.createWebhook({ topic: "order.created", deliveryUrl: rx.url, secret: "s", name: "n" }));
    expect(e.code).toBe("SERVER");
    expect(emu.control.state().webhooks).toHaveLength(0);
    emu.control.setFaults({ failNext: { status: 429, count: 1 }, resetNext: 0 });
    expect((await ch.getProduct(emu.control.productIdBySku("woo-cap")!)).sku).toBe("woo-cap");
    emu.control.setFaults({ failNext: { status: 500, count: 10 } });
    const e2 = await caught(ch.verifyConnection());
    expect(e2.code).toBe("SERVER");
    expect(e2.retryable).toBe(true);
  });

  it("timeout → TIMEOUT (and retried), reset → NETWORK", async () => {
    const fast = await channelFor(emu, 150);
    emu.control.setFaults({ hangNext: 1 });
    expect((await fast.verifyConnection()).currency).toBe("USD"); // first attempt hangs, retry answers
    emu.control.setFaults({ hangNext: 10 });
    const e = await caught(fast.verifyConnection());
    expect(e.code).toBe("TIMEOUT");
    emu.control.setFaults({ hangNext: 0, resetNext: 10 });
    const r = await caught(fast.verifyConnection());
    expect(r.code).toBe("NETWORK");
  });

  it("webhook CRUD; creation pings the delivery URL; getOrder", async () => {
    const w = await ch.createWebhook({
      topic: "order.created",
      deliveryUrl: rx.url,
      secret: "sec",
      name: "SyncFlow orders",
    });
    expect(w).toMatchObject({ topic: "order.created", status: "active", delivery_url: rx.url });
    expect(rx.received[0].rawBody.toString()).toBe(`webhook_id=${w.id}`);
    expect((await ch.updateWebhook(w.id, { status: "paused" })).status).toBe("paused");
    expect(await ch.listWebhooks()).toHaveLength(1);
    await ch.deleteWebhook(w.id);
    expect(await ch.listWebhooks()).toHaveLength(0);
    const o = emu.control.placeOrder({ lines: [{ sku: "woo-cap", quantity: 1 }] });
    expect((await ch.getOrder(o.id as number)).status).toBe("processing");
    expect((await caught(ch.getOrder(424242))).code).toBe("NOT_FOUND");
  });
});
