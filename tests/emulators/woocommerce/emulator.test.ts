/**
 * Contract tests of the WooCommerce emulator: real HTTP, signed by @woocommerce/woocommerce-rest-api.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as wooLib from "@woocommerce/woocommerce-rest-api";
import { startWooEmulator, signWooRequest, type WooEmulator } from "./index";
import { startWebhookReceiver, type WebhookReceiver } from "./receiver";
import { loadSampleCatalog, demoStock } from "../../fixtures/sample-catalog";
import { verifyWooSignature, isPingDelivery, parseWooProduct } from "../../../app/channels/woocommerce/webhook.server";

const Lib: any = (() => {
  const d = (wooLib as any).default;
  return typeof d === "function" ? d : d.default;
})();

let emu: WooEmulator;
let api: any;
let keys: { consumer_key: string; consumer_secret: string };
let rx: WebhookReceiver;

const err = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e: any) {
    return { status: e.response?.status as number, body: e.response?.data };
  }
  throw new Error("expected failure");
};

beforeEach(async () => {
  emu = await startWooEmulator({ deliveryDelayMs: 20 });
  keys = emu.control.createKey({ permissions: "read_write" });
  api = new Lib({
    url: emu.url,
    consumerKey: keys.consumer_key,
    consumerSecret: keys.consumer_secret,
    version: "wc/v3",
  });
  emu.control.seedCatalog(loadSampleCatalog());
  rx = await startWebhookReceiver();
});
afterEach(async () => {
  await emu.close();
  await rx.close();
});

describe("fixture", () => {
  it("loads 25 rows with types, parents and mixed-case SKUs", () => {
    const cat = loadSampleCatalog();
    expect(cat).toHaveLength(25);
    expect(cat.find((p) => p.sku === "woo-album")!.types).toEqual(["simple", "downloadable", "virtual"]);
    expect(cat.find((p) => p.sku === "woo-hoodie-red")).toMatchObject({
      type: "variation",
      parentSku: "woo-hoodie",
      salePrice: "42",
      regularPrice: "45",
    });
    expect(cat.find((p) => p.sku === "logo-collection")!.groupedSkus).toEqual([
      "woo-hoodie-with-logo",
      "woo-tshirt",
      "woo-beanie",
    ]);
    expect(cat.some((p) => p.sku === "Woo-tshirt-logo")).toBe(true);
    expect(cat.every((p) => p.managesStock === false)).toBe(true);
    expect(demoStock("woo-beanie")).toBe(demoStock("woo-beanie"));
    expect(demoStock("woo-beanie")).toBeGreaterThan(0);
    expect(
      demoStock("logo-collection") + demoStock("wp-pennant") + demoStock("woo-album") + demoStock("woo-hoodie"),
    ).toBe(0);
  });
});

describe("auth (class-wc-rest-authentication.php over plain HTTP)", () => {
  it("accepts the official library's OAuth 1.0a signature (HMAC-SHA256, query params)", async () => {
    const r = await api.get("products", { per_page: 5, sku: "woo-beanie" });
    expect(r.status).toBe(200);
    expect(r.data[0].sku).toBe("woo-beanie");
  });
  it("accepts HMAC-SHA1 and values that need percent-encoding", async () => {
    const url = signWooRequest(
      "GET",
      `${emu.url}/wp-json/wc/v3/products?sku=Woo-tshirt-logo,woo-cap&modified_after=2000-01-01T00:00:00`,
      keys.consumer_key,
      keys.consumer_secret,
      { signatureMethod: "HMAC-SHA1" },
    );
    const r = await fetch(url);
    expect(r.status).toBe(200);
    expect((await r.json()).map((p: any) => p.sku).sort()).toEqual(["Woo-tshirt-logo", "woo-cap"]);
  });
  it("rejects basic auth and query-string keys over http with 401 woocommerce_rest_cannot_view", async () => {
    const basic = await fetch(`${emu.url}/wp-json/wc/v3/products`, {
      headers: {
        Authorization: "Basic " + Buffer.from(`${keys.consumer_key}:${keys.consumer_secret}`).toString("base64"),
      },
    });
    expect(basic.status).toBe(401);
    expect((await basic.json()).code).toBe("woocommerce_rest_cannot_view");
    const qs = await fetch(
      `${emu.url}/wp-json/wc/v3/products?consumer_key=${keys.consumer_key}&consumer_secret=${keys.consumer_secret}`,
    );
    expect(qs.status).toBe(401);
  });
  it("signature covers the host:port the store knows itself by", async () => {
    const other = new Lib({
      url: emu.url.replace("127.0.0.1", "localhost"),
      consumerKey: keys.consumer_key,
      consumerSecret: keys.consumer_secret,
      version: "wc/v3",
    });
    const e = await err(other.get("products"));
    expect(e.status).toBe(401);
    expect(e.body.code).toBe("woocommerce_rest_authentication_error");
  });
  it("rejects a replayed nonce, a bad secret and a read key writing", async () => {
    const url = signWooRequest("GET", `${emu.url}/wp-json/wc/v3/products`, keys.consumer_key, keys.consumer_secret);
    expect((await fetch(url)).status).toBe(200);
    const again = await fetch(url);
    expect(again.status).toBe(401);
    expect((await again.json()).message).toMatch(/nonce/);
    const bad = new Lib({ url: emu.url, consumerKey: keys.consumer_key, consumerSecret: "cs_wrong", version: "wc/v3" });
    expect((await err(bad.get("products"))).status).toBe(401);
    const ro = emu.control.createKey({ permissions: "read" });
    const roApi = new Lib({
      url: emu.url,
      consumerKey: ro.consumer_key,
      consumerSecret: ro.consumer_secret,
      version: "wc/v3",
    });
    expect((await roApi.get("products")).status).toBe(200);
    const e = await err(roApi.put(`products/${emu.control.productIdBySku("woo-cap")}`, { name: "x" }));
    expect(e.status).toBe(401);
    expect(e.body.message).toMatch(/write permissions/);
  });
});

describe("REST v3 products", () => {
  it("pages with X-WP-Total / X-WP-TotalPages across 100+ products; per_page > 100 is 400", async () => {
    const create = Array.from({ length: 100 }, (_, i) => ({
      name: `Bulk ${i}`,
      sku: `bulk-${i}`,
      regular_price: "1",
      manage_stock: true,
      stock_quantity: i,
    }));
    const b = await api.post("products/batch", { create });
    expect(b.data.create).toHaveLength(100);
    await api.post("products/batch", {
      create: Array.from({ length: 20 }, (_, i) => ({ name: `More ${i}`, sku: `more-${i}` })),
    });
    const total = 120 + 18; // 18 non-variation sample products
    const p1 = await api.get("products", { per_page: 100, page: 1 });
    expect(p1.headers["x-wp-total"]).toBe(String(total));
    expect(p1.headers["x-wp-totalpages"]).toBe("2");
    const p2 = await api.get("products", { per_page: 100, page: 2 });
    expect(p1.data.length + p2.data.length).toBe(total);
    expect(new Set([...p1.data, ...p2.data].map((p: any) => p.id)).size).toBe(total);
    expect((await api.get("products")).data).toHaveLength(10);
    expect((await err(api.get("products", { per_page: 101 }))).status).toBe(400);
  });
  it("?sku= matches the whole SKU in any letter case (the real store's collation) and also finds variations; ?type= filters", async () => {
    const r = await api.get("products", { sku: "woo-hoodie-blue-logo" });
    expect(r.data).toHaveLength(1);
    expect(r.data[0]).toMatchObject({
      type: "variation",
      sku: "woo-hoodie-blue-logo",
      manage_stock: true,
      parent_id: emu.control.productIdBySku("woo-hoodie"),
    });
    expect((await api.get("products", { sku: "woo-hoodie-blue" })).data.map((p: any) => p.sku)).toEqual([
      "woo-hoodie-blue",
    ]);
    expect((await api.get("products", { sku: "WOO-BEANIE" })).data.map((p: any) => p.sku)).toEqual(["woo-beanie"]);
    const grouped = await api.get("products", { type: "grouped" });
    expect(grouped.data[0].grouped_products).toHaveLength(3);
    expect(grouped.data[0].manage_stock).toBe(false);
    expect((await api.get("products", { per_page: 100 })).data.some((p: any) => p.type === "variation")).toBe(false);
  });
  it("stock fields are ignored unless manage_stock; PUT stock_quantity is an absolute set", async () => {
    const ext = emu.control.productIdBySku("wp-pennant")!;
    const r = await api.put(`products/${ext}`, { stock_quantity: 50 });
    expect(r.data).toMatchObject({ manage_stock: false, stock_quantity: null });
    const cap = emu.control.productIdBySku("woo-cap")!;
    expect((await api.put(`products/${cap}`, { stock_quantity: 7 })).data.stock_quantity).toBe(7);
    expect((await api.put(`products/${cap}`, { stock_quantity: 7 })).data.stock_quantity).toBe(7);
    const parent = emu.control.productIdBySku("woo-vneck-tee")!;
    const vid = emu.control.productIdBySku("woo-vneck-tee-red")!;
    const v = await api.put(`products/${parent}/variations/${vid}`, { stock_quantity: 0 });
    expect(v.data).toMatchObject({ stock_quantity: 0, stock_status: "outofstock" });
    expect((await api.get(`products/${parent}/variations`)).data).toHaveLength(3);
  });
  it("batch: > 100 items is 413; per-item errors are inline", async () => {
    const e = await err(api.post("products/batch", { update: Array.from({ length: 101 }, (_, i) => ({ id: i + 1 })) }));
    expect(e.status).toBe(413);
    expect(e.body.code).toBe("woocommerce_rest_request_entity_too_large");
    const cap = emu.control.productIdBySku("woo-cap")!;
    const beanie = emu.control.productIdBySku("woo-beanie")!;
    emu.control.setFaults({ batchItemErrors: { sku: ["woo-beanie"] } });
    const r = await api.post("products/batch", {
      update: [
        { id: cap, stock_quantity: 3 },
        { id: 999999, stock_quantity: 1 },
        { id: beanie, stock_quantity: 2 },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.data.update[0]).toMatchObject({ id: cap, stock_quantity: 3 });
    expect(r.data.update[1]).toMatchObject({
      id: 999999,
      error: { code: "woocommerce_rest_product_invalid_id", data: { status: 400 } },
    });
    expect(r.data.update[2].error.code).toBe("woocommerce_rest_batch_item_failed");
    expect(emu.control.getStock("woo-beanie")).toBe(demoStock("woo-beanie"));
  });
  it("system_status reports version and currency", async () => {
    const r = await api.get("system_status");
    expect(r.data.environment.version).toMatch(/^10\./);
    expect(r.data.settings.currency).toBe("USD");
  });
});

describe("orders and stock (wc_maybe_reduce/increase_stock_levels)", () => {
  it("pending does not reduce; pending→processing does; cancel restores exactly once", async () => {
    const start = emu.control.getStock("woo-belt")!;
    const o = await api.post("orders", {
      status: "pending",
      line_items: [{ product_id: emu.control.productIdBySku("woo-belt"), quantity: 2 }],
      billing: { first_name: "Ada", last_name: "L", email: "a@example.com" },
    });
    expect(o.status).toBe(201);
    expect(o.data).toMatchObject({ status: "pending", number: String(o.data.id), billing: { email: "a@example.com" } });
    expect(o.data.line_items[0]).toMatchObject({ sku: "woo-belt", quantity: 2, price: 55, total: "110.00" });
    expect(emu.control.getStock("woo-belt")).toBe(start);
    await api.put(`orders/${o.data.id}`, { status: "processing" });
    expect(emu.control.getStock("woo-belt")).toBe(start - 2);
    await api.put(`orders/${o.data.id}`, { status: "completed" });
    expect(emu.control.getStock("woo-belt")).toBe(start - 2);
    await api.put(`orders/${o.data.id}`, { status: "cancelled" });
    expect(emu.control.getStock("woo-belt")).toBe(start);
    await api.put(`orders/${o.data.id}`, { status: "cancelled" });
    emu.control.setOrderStatus(o.data.id, "refunded");
    expect(emu.control.getStock("woo-belt")).toBe(start);
  });
  it("shopper checkout refuses to oversell (409); admin REST orders may go negative", async () => {
    emu.control.setStock("woo-polo", 2);
    const o = emu.control.placeOrder({ lines: [{ sku: "woo-polo", quantity: 2 }] });
    expect(o.status).toBe("processing");
    expect(emu.control.getStock("woo-polo")).toBe(0);
    expect(() => emu.control.placeOrder({ lines: [{ sku: "woo-polo", quantity: 1 }] })).toThrow(/not have enough/);
    const http = await fetch(`${emu.url}/__control/orders`, {
      method: "POST",
      body: JSON.stringify({ lines: [{ sku: "woo-polo", quantity: 1 }] }),
    });
    expect(http.status).toBe(409);
    expect((await http.json()).code).toBe("woocommerce_out_of_stock");
    await api.post("orders", {
      status: "processing",
      line_items: [{ product_id: emu.control.productIdBySku("woo-polo"), quantity: 1 }],
    });
    expect(emu.control.getStock("woo-polo")).toBe(-1);
  });
  it("variation lines carry product_id = parent and variation_id", async () => {
    const o = emu.control.placeOrder({ lines: [{ sku: "woo-hoodie-red", quantity: 1 }] });
    expect((o.line_items as any[])[0]).toMatchObject({
      product_id: emu.control.productIdBySku("woo-hoodie"),
      variation_id: emu.control.productIdBySku("woo-hoodie-red"),
    });
  });
});

describe("webhooks (class-wc-webhook.php)", () => {
  const hook = async (topic: string, secret = "s3cret") =>
    (await api.post("webhooks", { name: "SyncFlow", topic, delivery_url: rx.url, secret })).data;

  it("pings on creation with a form body and no signature", async () => {
    const w = await hook("product.updated");
    expect(w).toMatchObject({ status: "active", topic: "product.updated", resource: "product", event: "updated" });
    expect(rx.received).toHaveLength(1);
    const ping = rx.received[0];
    expect(ping.rawBody.toString()).toBe(`webhook_id=${w.id}`);
    expect(ping.headers["x-wc-webhook-signature"]).toBeUndefined();
    expect(isPingDelivery(ping.headers as any, ping.rawBody)).toBe(true);
    expect(emu.control.state().webhooks[0].pending_delivery).toBe(false);
  });
  it("delivers async with WooCommerce headers; signature verifies with the hub's helper; payload is latest state", async () => {
    // Its own store with a delay that outlasts two requests even on a loaded machine (the shared one's 20 ms does not).
    await emu.close();
    emu = await startWooEmulator({ deliveryDelayMs: 1000 });
    keys = emu.control.createKey({ permissions: "read_write" });
    api = new Lib({
      url: emu.url,
      consumerKey: keys.consumer_key,
      consumerSecret: keys.consumer_secret,
      version: "wc/v3",
    });
    emu.control.seedCatalog(loadSampleCatalog());
    await hook("product.updated");
    const cap = emu.control.productIdBySku("woo-cap")!;
    await api.put(`products/${cap}`, { stock_quantity: 11 });
    await api.put(`products/${cap}`, { stock_quantity: 12 });
    expect(rx.received).toHaveLength(1); // not yet: async queue
    await emu.control.idle();
    expect(rx.received).toHaveLength(2); // coalesced: one delivery for two changes
    const d = rx.received[1];
    expect(d.headers).toMatchObject({
      "x-wc-webhook-source": emu.url + "/",
      "x-wc-webhook-topic": "product.updated",
      "x-wc-webhook-resource": "product",
      "x-wc-webhook-event": "updated",
      "content-type": "application/json",
    });
    expect(d.headers["user-agent"]).toMatch(/^WooCommerce\/[\d.]+ Hookshot \(WordPress\/[\d.]+\)$/);
    expect(verifyWooSignature(d.rawBody, d.headers["x-wc-webhook-signature"] as string, "s3cret")).toBe(true);
    expect(verifyWooSignature(d.rawBody, d.headers["x-wc-webhook-signature"] as string, "other")).toBe(false);
    expect(parseWooProduct(d.rawBody)).toMatchObject({
      productId: String(cap),
      stockQuantity: 12,
      manageStock: true,
      sku: "woo-cap",
    });
  });
  it("echoes the store's own REST writes and order stock changes as product.updated; order.created fires", async () => {
    await hook("product.updated");
    await hook("order.created");
    emu.control.placeOrder({ lines: [{ sku: "woo-sunglasses", quantity: 1 }] });
    await emu.control.idle();
    const topics = rx.received
      .slice(2)
      .map((r) => r.headers["x-wc-webhook-topic"])
      .sort();
    expect(topics).toEqual(["order.created", "product.updated"]);
  });
  it("one attempt, never retried; failure_count resets on success", async () => {
    const w = await hook("product.updated");
    rx.respond = () => ({ status: 500 });
    emu.control.setStock("woo-cap", 1);
    await emu.control.idle();
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.received).toHaveLength(2);
    expect(emu.control.state().webhooks[0].failure_count).toBe(1);
    rx.respond = () => ({ status: 200 });
    emu.control.setStock("woo-cap", 2);
    await emu.control.idle();
    expect(emu.control.state().webhooks.find((x) => x.id === w.id)!.failure_count).toBe(0);
  });
  it("is disabled after more than 5 consecutive failures (7th failure, failure_count 6)", async () => {
    await hook("product.updated");
    rx.respond = () => ({ status: 503 });
    for (let i = 0; i < 7; i++) {
      emu.control.setStock("woo-cap", i);
      await emu.control.idle();
      expect(emu.control.state().webhooks[0].status).toBe(i < 6 ? "active" : "disabled");
    }
    expect(emu.control.state().webhooks[0].failure_count).toBe(6);
    emu.control.setStock("woo-cap", 99);
    await emu.control.idle();
    expect(rx.received).toHaveLength(8);
  });
  it("timeouts count as failures; drop/duplicate faults; redeliver verbatim", async () => {
    const e2 = await startWooEmulator({ deliveryDelayMs: 5, deliveryTimeoutMs: 100 });
    try {
      const k = e2.control.createKey();
      const a2 = new Lib({
        url: e2.url,
        consumerKey: k.consumer_key,
        consumerSecret: k.consumer_secret,
        version: "wc/v3",
      });
      e2.control.seedCatalog(loadSampleCatalog());
      await a2.post("webhooks", { topic: "product.updated", delivery_url: rx.url, secret: "x" });
      rx.respond = () => ({ status: 200, delayMs: 300 });
      e2.control.setStock("woo-cap", 5);
      await e2.control.idle();
      expect(e2.control.state().webhooks[0].failure_count).toBe(1);
      expect(e2.control.deliveries().at(-1)!.error).toMatch(/timed out/);
      rx.respond = () => ({ status: 200 });
      e2.control.setFaults({ dropDeliveries: 1, duplicateDeliveries: 1 });
      const before = rx.received.length;
      e2.control.setStock("woo-cap", 6);
      await e2.control.idle();
      e2.control.setStock("woo-belt", 6);
      await e2.control.idle();
      await new Promise((r) => setTimeout(r, 350));
      const got = rx.received.slice(before);
      expect(got.filter((r) => r.rawBody.includes('"woo-cap"'))).toHaveLength(0);
      expect(got.filter((r) => r.rawBody.includes('"woo-belt"'))).toHaveLength(2);
      const last = e2.control.deliveries().find((d) => d.kind === "delivery" && d.ok)!;
      const n = rx.received.length;
      await e2.control.redeliver(last.logId);
      expect(rx.received).toHaveLength(n + 1);
      expect(rx.received[n].rawBody.toString()).toBe(last.body);
      expect(rx.received[n].headers["x-wc-webhook-delivery-id"]).toBe(last.deliveryId);
    } finally {
      await e2.close();
    }
  });
});

describe("fidelity to a real WooCommerce 10.0.2 (held by tests/differential)", () => {
  it("never answers a webhook's secret; lists the topic's WordPress hooks", async () => {
    const created = (
      await api.post("webhooks", { name: "n", topic: "product.updated", delivery_url: rx.url, secret: "do-not-echo" })
    ).data;
    const read = (await api.get(`webhooks/${created.id}`)).data;
    for (const w of [created, read, (await api.get("webhooks")).data[0]]) {
      expect(w).not.toHaveProperty("secret");
      expect(JSON.stringify(w)).not.toContain("do-not-echo");
    }
    expect(read.hooks).toEqual([
      "woocommerce_process_product_meta",
      "woocommerce_update_product",
      "woocommerce_update_product_variation",
    ]);
    expect(read.date_modified).toBeNull();
  });
  it("a variable product takes its stock status from its variations: none stocked (or none at all) → outofstock", async () => {
    const parent = (
      await api.post("products", {
        name: "V",
        type: "variable",
        sku: "fid-v",
        attributes: [{ name: "Size", options: ["S"], variation: true }],
      })
    ).data;
    expect(parent.stock_status).toBe("outofstock");
    const v = (
      await api.post(`products/${parent.id}/variations`, {
        sku: "fid-v-s",
        regular_price: "3",
        manage_stock: true,
        stock_quantity: 0,
        attributes: [{ name: "Size", option: "S" }],
      })
    ).data;
    expect((await api.get(`products/${parent.id}`)).data.stock_status).toBe("outofstock");
    await api.put(`products/${parent.id}/variations/${v.id}`, { stock_quantity: 2 });
    expect((await api.get(`products/${parent.id}`)).data).toMatchObject({
      stock_status: "instock",
      purchasable: true,
      price: "3",
    });
  });
  it("answers with the real key sets: ~70 keys per product, edit-context extras on writes, the variation's own shape", async () => {
    const created = (
      await api.post("products", { name: "K", sku: "fid-k", regular_price: "2", manage_stock: true, stock_quantity: 1 })
    ).data;
    const read = (await api.get(`products/${created.id}`)).data;
    expect(Object.keys(read)).toHaveLength(71); // as a real WooCommerce 10.0.2 answers (71 keys; 45 for a variation)
    expect(Object.keys(created)).toEqual(expect.arrayContaining(["permalink_template", "generated_slug"]));
    expect(read).not.toHaveProperty("generated_slug");
    expect(read).toMatchObject({
      backordered: false,
      categories: [{ name: "Uncategorized" }],
      dimensions: { length: "", width: "", height: "" },
    });
    const hoodie = emu.control.productIdBySku("woo-hoodie")!;
    const variation = (await api.get(`products/${hoodie}/variations`)).data[0];
    expect(Object.keys(variation)).toHaveLength(45);
    expect(variation).not.toHaveProperty("button_text");
    expect(variation._links.up).toBeDefined();
  });
  it("SKUs are unique in any letter case, like the real store's lookup table", async () => {
    await api.post("products", { name: "C", sku: "fid-case" });
    const e = await err(api.post("products", { name: "C2", sku: "FID-CASE" }));
    expect(e).toMatchObject({
      status: 400,
      body: { code: "product_invalid_sku", data: { status: 400, unique_sku: "FID-CASE" } },
    });
    expect(e.body).not.toHaveProperty("unique_sku"); // in data only, as WordPress renders it
  });
  it("missing ids answer WooCommerce's codes; without credentials a missing product is still 'invalid id'", async () => {
    const parent = emu.control.productIdBySku("woo-hoodie")!;
    expect(await err(api.get(`products/${parent}/variations/999999`))).toMatchObject({
      status: 404,
      body: { code: "woocommerce_rest_product_variation_invalid_id" },
    });
    expect(await err(api.put(`products/${parent}/variations/999999`, { stock_quantity: 1 }))).toMatchObject({
      status: 404,
      body: { code: "woocommerce_rest_product_variation_invalid_id" },
    });
    expect(await err(api.get("webhooks/999999"))).toMatchObject({
      status: 404,
      body: { code: "woocommerce_rest_shop_webhook_invalid_id" },
    });
    expect((await api.get("orders/999999/refunds")).data).toEqual([]);
    const anon = await fetch(`${emu.url}/wp-json/wc/v3/products/999999`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(anon.status).toBe(400);
    expect((await anon.json()).code).toBe("woocommerce_rest_product_invalid_id");
    const existing = await fetch(`${emu.url}/wp-json/wc/v3/products/${parent}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(existing.status).toBe(401);
  });
  it("system_status has the real sections and no site title", async () => {
    const r = (await api.get("system_status")).data;
    expect(Object.keys(r)).toEqual([
      "environment",
      "database",
      "active_plugins",
      "inactive_plugins",
      "dropins_mu_plugins",
      "theme",
      "settings",
      "security",
      "pages",
      "post_type_counts",
      "logging",
    ]);
    expect(r.environment).not.toHaveProperty("site_title");
    expect(r.environment).toMatchObject({ home_url: emu.url, version: "10.0.2" });
  });
});

describe("webhook delivery timing by default (Action Scheduler's queue runner)", () => {
  /** A seeded emulator started with `opts`, a key, a receiver and a product.updated webhook to it; closed after `fn`. */
  const withHookedStore = async (
    opts: Parameters<typeof startWooEmulator>[0],
    fn: (e2: WooEmulator, api2: any, rx2: WebhookReceiver, ids: Record<string, number>) => Promise<void>,
  ) => {
    const e2 = await startWooEmulator(opts);
    const rx2 = await startWebhookReceiver();
    try {
      const k = e2.control.createKey();
      const api2 = new Lib({
        url: e2.url,
        consumerKey: k.consumer_key,
        consumerSecret: k.consumer_secret,
        version: "wc/v3",
      });
      const ids = e2.control.seedCatalog(loadSampleCatalog());
      await api2.post("webhooks", { name: "t", topic: "product.updated", delivery_url: rx2.url, secret: "s" });
      await fn(e2, api2, rx2, ids);
    } finally {
      await Promise.all([e2.close(), rx2.close()]);
    }
  };
  it("delivers 2–6 s after the change, once for changes made meanwhile, with the state at delivery time", async () => {
    // the default delay, as a store really delivers
    await withHookedStore({}, async (e2, api2, rx2, ids) => {
      const t0 = Date.now();
      for (const q of [7, 6, 5]) await api2.put(`products/${ids["woo-cap"]}`, { stock_quantity: q });
      await api2.put(`products/${ids["woo-beanie"]}`, { stock_quantity: 9 });
      await e2.control.idle();
      const deliveries = rx2.received.filter((r) => r.headers["x-wc-webhook-topic"]);
      expect(deliveries).toHaveLength(2); // one per resource
      for (const d of deliveries) {
        expect(d.at - t0).toBeGreaterThanOrEqual(2000);
        expect(d.at - t0).toBeLessThan(6500);
      }
      const cap = deliveries.find((d) => JSON.parse(d.rawBody.toString()).id === ids["woo-cap"])!;
      expect(JSON.parse(cap.rawBody.toString()).stock_quantity).toBe(5);
    });
  }, 15_000);
  it("Delivery-ID is not unique: one webhook's deliveries within the same second share it", async () => {
    await withHookedStore({ deliveryDelayMs: 5 }, async (e2, _api2, _rx2, ids) => {
      e2.control.setStock("woo-cap", 1);
      e2.control.setStock("woo-beanie", 1);
      await e2.control.idle();
      const [a, b] = e2.control.deliveries().filter((d) => d.kind === "delivery");
      expect([a.resourceId, b.resourceId].sort()).toEqual([ids["woo-cap"], ids["woo-beanie"]].sort());
      if (Math.floor(a.startedAt / 1000) === Math.floor(b.startedAt / 1000)) expect(a.deliveryId).toBe(b.deliveryId);
      else expect(a.deliveryId).not.toBe(b.deliveryId);
    });
  });
});

describe("SyncFlow plugin wc-syncflow/v1", () => {
  let plugin: any;
  beforeEach(() => {
    plugin = new Lib({
      url: emu.url,
      consumerKey: keys.consumer_key,
      consumerSecret: keys.consumer_secret,
      version: "wc-syncflow/v1",
    });
  });
  it("capabilities; unauthenticated is 401", async () => {
    expect((await plugin.get("capabilities")).data).toEqual({
      plugin: "syncflow-for-woocommerce",
      version: "1.1.0",
      contract: 1,
      contract_version: "1.1",
      features: ["stock-delta", "stock-cas", "idempotency", "stock-batch", "stock-snapshot"],
    });
    expect((await fetch(`${emu.url}/wp-json/wc-syncflow/v1/capabilities`)).status).toBe(401);
  });
  it("delta is atomic and idempotent per request_key; 422 on key reuse with another body", async () => {
    const id = emu.control.productIdBySku("woo-hoodie-blue")!;
    const start = emu.control.getStock("woo-hoodie-blue")!;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        plugin.post("stock/delta", { product_id: id, delta: -1, request_key: `k${i}` }),
      ),
    );
    expect(emu.control.getStock("woo-hoodie-blue")).toBe(start - 10);
    expect(new Set(results.map((r: any) => r.data.after)).size).toBe(10);
    const again = await plugin.post("stock/delta", { product_id: id, delta: -1, request_key: "k0" });
    expect(again.data).toMatchObject({ ...results[0].data, replayed: true });
    expect(emu.control.getStock("woo-hoodie-blue")).toBe(start - 10);
    expect((await err(plugin.post("stock/delta", { product_id: id, delta: -2, request_key: "k0" }))).status).toBe(422);
    const bySku = await plugin.post("stock/delta", { sku: "woo-hoodie-blue", delta: 3, request_key: "sku-1" });
    expect(bySku.data).toMatchObject({ product_id: id, before: start - 10, after: start - 7, replayed: false });
  });
  it("cas: 200 when expected matches, 409 syncflow_stale with current otherwise; 404 / 400", async () => {
    const id = emu.control.productIdBySku("woo-cap")!;
    emu.control.setStock("woo-cap", 8);
    expect(
      (await plugin.post("stock/cas", { product_id: id, expected: 8, quantity: 5, request_key: "c1" })).data,
    ).toMatchObject({ before: 8, after: 5, replayed: false });
    const stale = await err(plugin.post("stock/cas", { product_id: id, expected: 8, quantity: 4, request_key: "c2" }));
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "syncflow_stale", current: 5 });
    // a stale answer is not remembered: the same key may be reused with a fresh expected value
    expect(
      (await plugin.post("stock/cas", { product_id: id, expected: 5, quantity: 4, request_key: "c2" })).data.after,
    ).toBe(4);
    expect(
      (await err(plugin.post("stock/cas", { product_id: 999999, expected: 1, quantity: 1, request_key: "c3" }))).status,
    ).toBe(404);
    const album = emu.control.productIdBySku("woo-album")!;
    expect((await err(plugin.post("stock/delta", { product_id: album, delta: 1, request_key: "c4" }))).body.code).toBe(
      "syncflow_not_managed",
    );
    expect((await err(plugin.post("stock/delta", { product_id: id, delta: 0, request_key: "c5" }))).status).toBe(400);
    expect((await err(plugin.post("stock/delta", { product_id: id, delta: 1 }))).status).toBe(400);
  });
  it("plugin writes echo as product.updated", async () => {
    await api.post("webhooks", { topic: "product.updated", delivery_url: rx.url, secret: "s" });
    await plugin.post("stock/delta", { sku: "woo-belt", delta: -1, request_key: "e1" });
    await emu.control.idle();
    expect(parseWooProduct(rx.received[1].rawBody).sku).toBe("woo-belt");
  });
  it("syncflowPlugin:false → 404 rest_no_route", async () => {
    const e2 = await startWooEmulator({ syncflowPlugin: false });
    try {
      const k = e2.control.createKey();
      const p2 = new Lib({
        url: e2.url,
        consumerKey: k.consumer_key,
        consumerSecret: k.consumer_secret,
        version: "wc-syncflow/v1",
      });
      const e = await err(p2.get("capabilities"));
      expect(e.status).toBe(404);
      expect(e.body.code).toBe("rest_no_route");
    } finally {
      await e2.close();
    }
  });
});

describe("faults and control over HTTP", () => {
  it("latencyMs / batchLatencyPerItemMs are applied per call", async () => {
    const e2 = await startWooEmulator({ latencyMs: 60, batchLatencyPerItemMs: 2 });
    try {
      const k = e2.control.createKey();
      const a2 = new Lib({
        url: e2.url,
        consumerKey: k.consumer_key,
        consumerSecret: k.consumer_secret,
        version: "wc/v3",
      });
      let t = Date.now();
      await a2.get("products");
      expect(Date.now() - t).toBeGreaterThanOrEqual(55);
      t = Date.now();
      await a2.post("products/batch", { create: Array.from({ length: 50 }, (_, i) => ({ name: `L${i}` })) });
      expect(Date.now() - t).toBeGreaterThanOrEqual(150);
    } finally {
      await e2.close();
    }
  });
  it("setLatency changes the cost model at runtime (HTTP and in-process); bad values are 400", async () => {
    const set = await (
      await fetch(`${emu.url}/__control/latency`, {
        method: "POST",
        body: JSON.stringify({ latencyMs: 40, readLatencyPerItemMs: 5 }),
      })
    ).json();
    expect(set).toEqual({
      latencyMs: 40,
      readLatencyPerItemMs: 5,
      batchLatencyPerItemMs: 0,
      maxConcurrent: 0,
      pluginBatchLatencyPerItemMs: 0,
      snapshotLatencyPerRowMs: 0,
      deliveryDelayMs: 20,
      deliveryDelayMaxMs: 20,
    });
    const t = Date.now();
    const r = await api.get("products", { per_page: 10 });
    expect(r.data).toHaveLength(10);
    expect(Date.now() - t).toBeGreaterThanOrEqual(40 + 10 * 5 - 5); // per call + per item returned
    expect(emu.control.setLatency({ latencyMs: 0, readLatencyPerItemMs: 0 })).toMatchObject({
      latencyMs: 0,
      readLatencyPerItemMs: 0,
    });
    expect(
      (await fetch(`${emu.url}/__control/latency`, { method: "POST", body: JSON.stringify({ latencyMs: -1 }) })).status,
    ).toBe(400);
  });
  it("maxConcurrent: requests beyond the server's workers wait their turn, and all are answered", async () => {
    emu.control.setLatency({ latencyMs: 30, maxConcurrent: 2 });
    const rs = await Promise.all(Array.from({ length: 6 }, () => api.get("products", { per_page: 1 })));
    expect(rs.every((x: any) => x.status === 200)).toBe(true);
    const q = await (await fetch(`${emu.url}/__control/queue`)).json();
    expect(q.maxWaiting).toBeGreaterThanOrEqual(1);
    expect(q).toMatchObject({ waiting: 0, running: 0 });
  });
  it("failNext / resetNext / control state", async () => {
    await fetch(`${emu.url}/__control/faults`, {
      method: "POST",
      body: JSON.stringify({ failNext: { status: 503, count: 1, paths: ["/products"] } }),
    });
    expect((await err(api.get("products"))).status).toBe(503);
    expect((await api.get("products")).status).toBe(200);
    emu.control.setFaults({ resetNext: 1 });
    const e = await api.get("products").catch((x: any) => x);
    expect(e.code).toMatch(/ECONNRESET|ERR_/);
    const st = await (await fetch(`${emu.url}/__control/state`)).json();
    expect(st.stockBySku["woo-cap"]).toBe(demoStock("woo-cap"));
    expect(st.stockBySku["wp-pennant"]).toBeNull();
  });
});

describe("order notes, status and meta (orders hub pushback; held to WooCommerce 10.0.2 by the differential probe)", () => {
  it("keeps notes as WooCommerce does: system notes for stock and status, customer and private notes, newest first", async () => {
    const placed = emu.control.placeOrder({ lines: [{ sku: "woo-beanie", quantity: 2 }] }) as { id: number };
    const c = await api.post(`orders/${placed.id}/notes`, {
      note: "Shipped: DHL D1 [syncflow:x/1]",
      customer_note: true,
    });
    expect(c.status).toBe(201);
    expect(Object.keys(c.data).sort()).toEqual([
      "_links",
      "author",
      "customer_note",
      "date_created",
      "date_created_gmt",
      "id",
      "note",
    ]);
    expect(c.data).toMatchObject({ customer_note: true, author: "WooCommerce" });
    const p = await api.post(`orders/${placed.id}/notes`, { note: "private", added_by_user: true });
    expect(p.data).toMatchObject({ customer_note: false, author: "admin" });
    expect(emu.store.customerEmails).toEqual([
      { kind: "customer_note", orderId: placed.id, note: "Shipped: DHL D1 [syncflow:x/1]" },
    ]);
    const missing = await err(api.post(`orders/${placed.id}/notes`, { customer_note: true }));
    expect(missing).toMatchObject({ status: 400, body: { code: "rest_missing_callback_param" } });
    const unknown = await err(api.post("orders/999999/notes", { note: "x" }));
    expect(unknown).toMatchObject({ status: 404, body: { code: "woocommerce_rest_order_invalid_id" } });
    const all = (await api.get(`orders/${placed.id}/notes`)).data as any[];
    expect(all.map((n) => n.note).sort()).toEqual(
      [
        "Stock levels reduced: Beanie (woo-beanie) 40&rarr;38",
        "Order status changed from Pending payment to Processing.",
        "Shipped: DHL D1 [syncflow:x/1]",
        "private",
      ].sort(),
    );
    // Newest first by the second (WooCommerce orders by date only); within one second, oldest id first.
    const rank = (n: any) => [-Date.parse(n.date_created_gmt + "Z"), n.id];
    const sorted = [...all].sort((a, b) => rank(a)[0]! - rank(b)[0]! || rank(a)[1]! - rank(b)[1]!);
    expect(all.map((n) => n.id)).toEqual(sorted.map((n) => n.id));
    const customer = (await api.get(`orders/${placed.id}/notes`, { type: "customer" })).data as any[];
    expect(customer.map((n) => n.id)).toEqual([c.data.id]);
  });

  it("meta_data writes replace a key's value in place; completed adds its note and date_completed", async () => {
    const placed = emu.control.placeOrder({ lines: [{ sku: "woo-cap", quantity: 1 }] }) as { id: number };
    const items = [
      {
        tracking_provider: "",
        custom_tracking_provider: "UPS",
        custom_tracking_link: "https://u.example.com/1",
        tracking_number: "1",
        date_shipped: "1733400000",
        tracking_id: "syncflow-a-0",
      },
    ];
    const a = await api.put(`orders/${placed.id}`, {
      meta_data: [{ key: "_wc_shipment_tracking_items", value: items }],
    });
    const metaId = a.data.meta_data[0].id;
    expect(a.data.meta_data).toEqual([{ id: metaId, key: "_wc_shipment_tracking_items", value: items }]);
    const b = await api.put(`orders/${placed.id}`, {
      meta_data: [{ key: "_wc_shipment_tracking_items", value: [] }],
      status: "completed",
    });
    expect(b.data.meta_data).toEqual([{ id: metaId, key: "_wc_shipment_tracking_items", value: [] }]);
    expect(b.data.status).toBe("completed");
    expect(b.data.date_completed).not.toBeNull();
    const notes = (await api.get(`orders/${placed.id}/notes`)).data as any[];
    expect(notes.filter((n) => n.note === "Order status changed from Processing to Completed.")).toHaveLength(1);
  });

  it("reports the shipment-tracking feature only when Shipment Tracking is active; a lost answer applies the write", async () => {
    const caps = async (e: WooEmulator) => {
      const k = e.control.createKey({ permissions: "read_write" });
      const a = new Lib({
        url: e.url,
        consumerKey: k.consumer_key,
        consumerSecret: k.consumer_secret,
        version: "wc-syncflow/v1",
      });
      return (await a.get("capabilities")).data.features as string[];
    };
    expect(await caps(emu)).not.toContain("shipment-tracking");
    const st = await startWooEmulator({ shipmentTracking: true });
    try {
      expect(await caps(st)).toContain("shipment-tracking");
    } finally {
      await st.close();
    }
    const placed = emu.control.placeOrder({ lines: [{ sku: "woo-cap", quantity: 1 }] }) as { id: number };
    emu.control.setFaults({ loseAnswerNext: { count: 1, paths: ["/notes"], methods: ["POST"] } });
    const lost = await err(api.post(`orders/${placed.id}/notes`, { note: "once" }));
    expect(lost.status).toBe(502);
    expect(emu.store.orders.get(placed.id)!.notes.filter((n) => n.note === "once")).toHaveLength(1);
  });
});
