/**
 * The port's registry and normalised events (decision 180): kinds register once, unknown kinds are refused, and each
 * adapter turns its platform's deliveries into the port's events (the engine never parses a payload).
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { ChannelError } from "./channel";
import { DeliveryParseError } from "./events";
import {
  parseRecordDelivery,
  parseSalesDelivery,
  registerSalesChannel,
  salesChannelFor,
  salesChannelKind,
  salesChannelKinds,
} from "./registry.server";

const fixture = (topic: string) =>
  JSON.parse(fs.readFileSync(path.resolve(process.cwd(), "tests/fixtures/shopify/webhooks", `${topic}.json`), "utf8"));

const wooOrder = {
  id: 501,
  number: "501",
  status: "processing",
  currency: "EUR",
  total: "30.00",
  date_created_gmt: "2026-01-02T10:00:00",
  date_modified_gmt: "2026-01-02T10:05:00",
  billing: { first_name: "Ada", last_name: "L", email: "ada@example.com" },
  line_items: [
    {
      id: 9,
      product_id: 40,
      variation_id: 41,
      sku: "TEE-S",
      quantity: 2,
      price: "10.00",
      name: "Tee - S",
      meta_data: [{ key: "_reduced_stock", value: "2" }],
    },
    { id: 10, product_id: 50, variation_id: 0, sku: "MUG", quantity: 1, price: "10.00", name: "Mug", meta_data: [] },
  ],
};

describe("sales channel registry", () => {
  it("WooCommerce is registered with its declared capabilities", () => {
    const woo = salesChannelKind("woocommerce")!;
    expect(salesChannelKinds().map((k) => k.kind)).toContain("woocommerce");
    expect(woo.declared).toMatchObject({
      writeModel: "delta-cas",
      writeBatchSize: 100,
      events: "webhook",
      orderLookBackMs: null,
    });
    const adapter = salesChannelFor("woocommerce", {
      baseUrl: "https://store.example",
      credentials: { consumerKey: "ck", consumerSecret: "cs" },
    });
    expect(adapter.kind).toBe("woocommerce");
    expect(adapter.topics).toEqual(["order.created", "order.updated", "product.created", "product.updated"]);
  });

  it("refuses a kind nobody registered, and a registration adds a kind in one place", () => {
    expect(() => salesChannelFor("etsy-test", { baseUrl: "x", credentials: {} })).toThrow(ChannelError);
    expect(() => parseSalesDelivery("etsy-test", { topic: "x", body: {} })).toThrow(/no sales channel adapter/);
    registerSalesChannel({
      kind: "etsy-test",
      label: "Etsy (test)",
      declared: {
        ...salesChannelKind("woocommerce")!.declared,
        writeModel: "set-only",
        events: "polling",
        pollIntervalMs: 60_000,
        orderLookBackMs: 30 * 86_400_000,
      },
      create: () => {
        throw new ChannelError("UNSUPPORTED", "test kind", { retryable: false });
      },
      parseDelivery: () => [
        {
          type: "listing.changed",
          listing: {
            listingId: "1",
            parentId: null,
            sku: "A",
            productType: null,
            manageStock: true,
            quantity: 3,
            modifiedAt: null,
          },
        },
      ],
    });
    expect(parseSalesDelivery("etsy-test", { topic: "any", body: {} })[0]).toMatchObject({
      type: "listing.changed",
      listing: { quantity: 3 },
    });
    expect(salesChannelKind("etsy-test")!.declared.writeModel).toBe("set-only");
  });
});

describe("normalised events", () => {
  it("a WooCommerce order becomes order.placed with each line's stock tally (`_reduced_stock`)", () => {
    const [e] = parseSalesDelivery("woocommerce", { topic: "order.created", body: wooOrder });
    expect(e!.type).toBe("order.placed");
    if (e!.type !== "order.placed") return;
    expect(e.order).toMatchObject({
      orderId: "501",
      status: "processing",
      createdAt: "2026-01-02T10:00:00Z",
      customer: { email: "ada@example.com" },
    });
    expect(e.order.lines.map((l) => [l.lineId, l.productId, l.variantId, l.stockTaken])).toEqual([
      ["9", "40", "41", 2],
      ["10", "50", null, 0],
    ]);
    expect(parseSalesDelivery("woocommerce", { topic: "order.updated", body: wooOrder })[0]!.type).toBe(
      "order.changed",
    );
  });

  it("a WooCommerce product becomes listing.changed; a plugin stock event stock.changed; an unknown topic nothing", () => {
    const [p] = parseSalesDelivery("woocommerce", {
      topic: "product.updated",
      body: {
        id: 41,
        parent_id: 40,
        type: "variation",
        sku: "TEE-S",
        manage_stock: true,
        stock_quantity: 7,
        date_modified_gmt: "2026-01-02T10:00:00",
      },
    });
    expect(p).toEqual({
      type: "listing.changed",
      listing: {
        listingId: "41",
        parentId: "40",
        sku: "TEE-S",
        productType: "variation",
        manageStock: true,
        quantity: 7,
        modifiedAt: "2026-01-02T10:00:00Z",
      },
    });
    const wire = {
      id: "evt-00000001",
      stream: "s1",
      seq: 3,
      at: "2026-01-02T10:00:00Z",
      cause: "refund_restocked",
      product_id: 41,
      stock_product_id: 41,
      sku: "TEE-S",
      before: 5,
      after: 7,
      delta: 2,
      order_id: 900,
      order_status: "processing",
      line_id: 12,
      line_reduced: 1,
      line_quantity: 3,
    };
    expect(parseSalesDelivery("woocommerce", { topic: "stock.event", body: wire })).toEqual([
      {
        type: "stock.changed",
        change: {
          id: "evt-00000001",
          stream: "s1",
          seq: 3,
          at: "2026-01-02T10:00:00Z",
          listingId: "41",
          sku: "TEE-S",
          before: 5,
          after: 7,
          delta: 2,
          kind: "order",
          cause: "refund_restocked",
          label: "Stock changed on the store (refund_restocked)",
          order: { orderId: "900", lineId: "12", status: "processing", move: "refund", lineTaken: 1, lineQuantity: 3 },
          requestKey: null,
        },
      },
    ]);
    // The plugin's other causes: its own write echoing back, and a change on the store that is no sale.
    const echo = parseSalesDelivery("woocommerce", {
      topic: "stock.event",
      body: { ...wire, cause: "hub_write", order_id: null, line_id: null, request_key: "k1" },
    })[0];
    expect(echo?.type === "stock.changed" && [echo.change.kind, echo.change.requestKey]).toEqual(["echo", "k1"]);
    const edit = parseSalesDelivery("woocommerce", { topic: "stock.event", body: { ...wire, cause: "admin_edit" } })[0];
    expect(edit?.type === "stock.changed" && [edit.change.kind, edit.change.label, edit.change.order]).toEqual([
      "store",
      "Stock edited in wp-admin",
      null,
    ]);
    // An event the contract refuses is a DeliveryParseError naming the field (the plugin's `rejected` reason).
    expect(() => parseSalesDelivery("woocommerce", { topic: "stock.event", body: { ...wire, delta: 1 } })).toThrow(
      "delta: delta must equal after − before",
    );
    expect(parseSalesDelivery("woocommerce", { topic: "coupon.created", body: {} })).toEqual([]);
  });

  it("an unreadable body is a DeliveryParseError (the intake's 400)", () => {
    expect(() => parseSalesDelivery("woocommerce", { topic: "order.created", body: { id: 1 } })).toThrow(
      DeliveryParseError,
    );
    expect(() => parseRecordDelivery({ topic: "orders/create", body: { id: 1 } })).toThrow(DeliveryParseError);
  });

  it("the record's webhooks become level, order, refund and catalog events with the record's ids", () => {
    const [level] = parseRecordDelivery({ topic: "inventory_levels/update", body: fixture("inventory_levels/update") });
    expect(level!.type).toBe("level.changed");
    if (level!.type === "level.changed")
      expect(level.level.inventoryItemId).toMatch(/^gid:\/\/shopify\/InventoryItem\/\d+$/);
    const [order] = parseRecordDelivery({ topic: "orders/create", body: fixture("orders/create") });
    if (order!.type !== "order.placed") throw new Error(`got ${order!.type}`);
    expect(order.order.lines.map((l) => [l.sku, l.quantity])).toEqual([
      ["TEE-S", 2],
      ["TEE-M", 1],
    ]);
    expect(parseRecordDelivery({ topic: "orders/cancelled", body: fixture("orders/cancelled") })[0]!.type).toBe(
      "order.cancelled",
    );
    const [refund] = parseRecordDelivery({ topic: "refunds/create", body: fixture("refunds/create") });
    if (refund!.type !== "order.refunded") throw new Error(`got ${refund!.type}`);
    expect(refund.refund.restockLines.map((l) => [l.sku, l.quantity])).toEqual([["TEE-M", 1]]);
    expect(parseRecordDelivery({ topic: "products/update", body: fixture("products/update") })).toEqual([
      { type: "catalog.changed" },
    ]);
    expect(parseRecordDelivery({ topic: "app/uninstalled", body: {} })).toEqual([]);
  });
});
