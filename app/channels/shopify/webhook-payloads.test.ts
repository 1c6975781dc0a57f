/** Parsers against the emulator's schema-valid fixtures (tests/fixtures/shopify/webhooks). */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import {
  parseFulfillmentWebhook,
  parseInventoryLevelWebhook,
  parseOrderWebhook,
  parseProductWebhook,
  parseRefundWebhook,
  WebhookPayloadError,
} from "./webhook-payloads.js";

const fixture = (topic: string) =>
  JSON.parse(fs.readFileSync(path.resolve(process.cwd(), "tests/fixtures/shopify/webhooks", `${topic}.json`), "utf8"));

describe("Shopify webhook payload parsers", () => {
  it("orders/create", () => {
    const o = parseOrderWebhook(fixture("orders/create"));
    expect(o.orderGid).toMatch(/^gid:\/\/shopify\/Order\/\d+$/);
    expect(o.cancelledAt).toBeNull();
    expect(o.lines.map((l) => [l.sku, l.quantity])).toEqual([
      ["TEE-S", 2],
      ["TEE-M", 1],
    ]);
    expect(o.lines[0]!.lineGid).toMatch(/^gid:\/\/shopify\/LineItem\//);
    expect(o.lines[0]!.variantGid).toMatch(/^gid:\/\/shopify\/ProductVariant\//);
    expect(o.currency).toBe("USD");
  });
  it("orders/cancelled", () => {
    const o = parseOrderWebhook(fixture("orders/cancelled"), "orders/cancelled");
    expect(o.cancelledAt).toBeTruthy();
  });
  it("inventory_levels/update takes ids from admin_graphql_api_id (exact beyond 2^53)", () => {
    const l = parseInventoryLevelWebhook(fixture("inventory_levels/update"));
    expect(l.inventoryItemGid).toMatch(/^gid:\/\/shopify\/InventoryItem\/\d+$/);
    expect(l.locationGid).toMatch(/^gid:\/\/shopify\/Location\/\d+$/);
    const big = parseInventoryLevelWebhook({
      inventory_item_id: 271878346596884000,
      location_id: 24826418,
      available: 3,
      updated_at: "2026-01-01T00:00:00Z",
      admin_graphql_api_id: "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015",
    });
    expect(big.inventoryItemGid).toBe("gid://shopify/InventoryItem/271878346596884015");
  });
  it("refunds/create restock lines", () => {
    const r = parseRefundWebhook(fixture("refunds/create"));
    expect(r.restockLines.map((l) => [l.sku, l.quantity, l.restockType])).toEqual([["TEE-M", 1, "cancel"]]);
  });
  it("products/update", () => {
    const p = parseProductWebhook(fixture("products/update"));
    expect(p.variants.map((v) => v.sku)).toEqual(["TEE-S", "TEE-M"]);
    expect(p.variants[0]!.inventoryItemGid).toMatch(/InventoryItem/);
  });
  it("throws a clear error on malformed bodies", () => {
    expect(() => parseOrderWebhook({ id: 1 })).toThrow(WebhookPayloadError);
    expect(() => parseInventoryLevelWebhook(null)).toThrow(/must be an object/);
    expect(() => parseRefundWebhook({ admin_graphql_api_id: "gid://shopify/Refund/1" })).toThrow(/refund_line_items/);
  });

  it("fulfillments/create and orders/updated: the fulfilment's GID, order, status, every tracking number with its URL, lines", () => {
    const f = parseFulfillmentWebhook(fixture("fulfillments/create"));
    expect(f).toMatchObject({
      fulfillmentGid: "gid://shopify/Fulfillment/1015",
      orderGid: "gid://shopify/Order/1008",
      status: "SUCCESS",
      tracking: [{ company: "UPS", number: "1Z1", url: "https://ups.example.com/1Z1" }],
      lines: [{ lineGid: "gid://shopify/LineItem/1010", sku: "TEE-S", quantity: 1 }],
    });
    expect(parseFulfillmentWebhook(fixture("fulfillments/update"), "fulfillments/update").tracking).toEqual([
      { company: "UPS", number: "1Z2", url: "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z2" },
    ]);
    const o = parseOrderWebhook(fixture("orders/updated"), "orders/updated");
    expect(o.fulfillments.map((x) => [x.fulfillmentGid, x.status, x.tracking.map((t) => t.number)])).toEqual([
      ["gid://shopify/Fulfillment/1015", "SUCCESS", ["1Z1"]],
    ]);
    expect(parseOrderWebhook(fixture("orders/create")).fulfillments).toEqual([]);
    // Empty strings (the 2026-07 schema types the tracking fields as strings) mean "none".
    const bare = parseFulfillmentWebhook({
      ...fixture("fulfillments/create"),
      tracking_company: "",
      tracking_number: "",
      tracking_numbers: [],
      tracking_url: null,
      tracking_urls: [],
    });
    expect(bare.tracking).toEqual([]);
    expect(() => parseFulfillmentWebhook({ ...fixture("fulfillments/create"), line_items: null })).toThrow(
      WebhookPayloadError,
    );
  });
});
