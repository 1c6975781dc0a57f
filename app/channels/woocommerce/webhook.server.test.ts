/**
 * Webhook helpers against deliveries made by the WooCommerce emulator.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startWooEmulator, type WooEmulator } from "../../../tests/emulators/woocommerce/index";
import { startWebhookReceiver, type WebhookReceiver } from "../../../tests/emulators/woocommerce/receiver";
import { loadSampleCatalog } from "../../../tests/fixtures/sample-catalog";
import { WooCommerceChannel } from "./woocommerce-channel.server";
import {
  dedupeKeyFor,
  isPingDelivery,
  parseWooOrder,
  parseWooProduct,
  readWooWebhookHeaders,
  verifyWooSignature,
  WooWebhookParseError,
} from "./webhook.server";

let emu: WooEmulator;
let rx: WebhookReceiver;
let ch: WooCommerceChannel;
beforeEach(async () => {
  emu = await startWooEmulator({ deliveryDelayMs: 5 });
  emu.control.seedCatalog(loadSampleCatalog());
  const k = emu.control.createKey();
  ch = new WooCommerceChannel({ url: emu.url, consumerKey: k.consumer_key, consumerSecret: k.consumer_secret });
  rx = await startWebhookReceiver();
});
afterEach(async () => {
  await emu.close();
  await rx.close();
});

describe("WooCommerce webhook helpers", () => {
  it("verify, parse and dedupe a real order.created delivery", async () => {
    await ch.createWebhook({ topic: "order.created", deliveryUrl: rx.url, secret: "hub-secret", name: "orders" });
    const o = emu.control.placeOrder({
      lines: [
        { sku: "woo-hoodie-red", quantity: 2 },
        { sku: "woo-cap", quantity: 1 },
      ],
      billing: { first_name: "Ada", email: "ada@example.com" },
    });
    await emu.control.idle();
    const d = rx.received[1];
    const h = readWooWebhookHeaders(d.headers as any);
    expect(h.topic).toBe("order.created");
    expect(verifyWooSignature(d.rawBody, h.signature, "hub-secret")).toBe(true);
    expect(verifyWooSignature(d.rawBody.toString() + " ", h.signature, "hub-secret")).toBe(false);
    expect(verifyWooSignature(d.rawBody, undefined, "hub-secret")).toBe(false);
    expect(isPingDelivery(d.headers as any, d.rawBody)).toBe(false);
    const p = parseWooOrder(d.rawBody);
    expect(p).toMatchObject({
      orderId: String(o.id),
      status: "processing",
      currency: "USD",
      total: "100.00",
      customer: { firstName: "Ada", email: "ada@example.com" },
    });
    expect(p.createdAt).toMatch(/Z$/);
    expect(p.lines[0]).toMatchObject({
      sku: "woo-hoodie-red",
      quantity: 2,
      price: "42",
      variationId: String(emu.control.productIdBySku("woo-hoodie-red")),
    });
    expect(p.lines[1].variationId).toBeNull();
    expect(p.lines.map((l) => l.reducedStock)).toEqual([2, 1]); // each line's _reduced_stock meta
    expect(dedupeKeyFor("order.created", d.rawBody)).toBe(
      `order:${o.id}:${(o as any).date_modified_gmt}:processing:2,1`,
    );
  });

  it("parseWooProduct handles managed, unmanaged and 'parent' stock; dedupe key changes with stock in the same second", () => {
    expect(
      parseWooProduct({
        id: 5,
        sku: "a",
        manage_stock: true,
        stock_quantity: 3,
        date_modified_gmt: "2026-01-01T00:00:00",
      }),
    ).toEqual({
      productId: "5",
      parentId: null,
      sku: "a",
      type: null,
      manageStock: true,
      stockQuantity: 3,
      modifiedAt: "2026-01-01T00:00:00Z",
    });
    expect(parseWooProduct({ id: 6, parent_id: 5, manage_stock: "parent", stock_quantity: 3 }).manageStock).toBe(
      "parent",
    );
    expect(parseWooProduct({ id: 7, manage_stock: false, stock_quantity: null }).stockQuantity).toBeNull();
    const a = dedupeKeyFor("product.updated", { id: 5, date_modified_gmt: "2026-01-01T00:00:00", stock_quantity: 3 });
    const b = dedupeKeyFor("product.updated", { id: 5, date_modified_gmt: "2026-01-01T00:00:00", stock_quantity: 2 });
    expect(a).not.toBe(b);
    expect(
      dedupeKeyFor(
        "product.updated",
        JSON.stringify({ id: 5, date_modified_gmt: "2026-01-01T00:00:00", stock_quantity: 3 }),
      ),
    ).toBe(a);
  });

  it("dedupe key changes with the SKU or stock management in the same second (a rename right after creation is not a retry)", () => {
    const at = { id: 5, date_modified_gmt: "2026-01-01T00:00:00", stock_quantity: 2, manage_stock: true };
    const created = dedupeKeyFor("product.created", { ...at, sku: "CASE-85123a" });
    expect(dedupeKeyFor("product.updated", { ...at, sku: "CASE-85123A" })).not.toBe(created);
    expect(dedupeKeyFor("product.updated", { ...at, sku: "CASE-85123a", manage_stock: false })).not.toBe(created);
    // WooCommerce's retry of the same delivery still collapses.
    expect(dedupeKeyFor("product.created", { ...at, sku: "CASE-85123a" })).toBe(created);
  });

  it("ping detection and clear errors on malformed bodies", () => {
    expect(isPingDelivery({ "content-type": "application/x-www-form-urlencoded" }, "webhook_id=12")).toBe(true);
    expect(isPingDelivery(new Headers({ "X-WC-Webhook-Topic": "order.created" }), "webhook_id=12")).toBe(false);
    expect(isPingDelivery({}, "{}")).toBe(false);
    expect(() => parseWooOrder("not json")).toThrow(WooWebhookParseError);
    expect(() => parseWooOrder({ id: 1, status: "processing" })).toThrow(/line_items/);
    expect(() => parseWooOrder({ id: 1, status: "processing", line_items: [{ id: 1, quantity: -1 }] })).toThrow(
      /quantity/,
    );
    expect(() => parseWooProduct([])).toThrow(WooWebhookParseError);
    expect(() => parseWooProduct({ sku: "x" })).toThrow(/product id/);
    expect(() => dedupeKeyFor("nonsense", { id: 1 })).toThrow(/topic/);
  });

  it("reads each line's _reduced_stock (0 when absent, null without line meta); a refund's restock changes the dedupe key", () => {
    const line = (meta?: unknown[]) => ({ id: 1, product_id: 5, quantity: 3, ...(meta ? { meta_data: meta } : {}) });
    const order = (meta?: unknown[]) => ({
      id: 9,
      status: "processing",
      date_modified_gmt: "2026-01-01T00:00:00",
      line_items: [line(meta)],
    });
    expect(parseWooOrder(order([{ id: 3, key: "_reduced_stock", value: "3" }])).lines[0]!.reducedStock).toBe(3);
    expect(parseWooOrder(order([{ id: 4, key: "pa_size", value: "M" }])).lines[0]!.reducedStock).toBe(0);
    expect(parseWooOrder(order()).lines[0]!.reducedStock).toBeNull();
    const before = dedupeKeyFor("order.updated", order([{ id: 3, key: "_reduced_stock", value: "3" }]));
    const after = dedupeKeyFor(
      "order.updated",
      order([
        { id: 3, key: "_reduced_stock", value: "1" },
        { id: 5, key: "_restock_refunded_items", value: "2" },
      ]),
    );
    expect(before).toBe("order:9:2026-01-01T00:00:00:processing:3");
    expect(after).not.toBe(before);
    expect(dedupeKeyFor("order.updated", order())).toBe("order:9:2026-01-01T00:00:00:processing");
  });
});
