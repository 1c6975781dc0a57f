/**
 * The record's orders (orders.server.ts) against the Shopify emulator, documents validated against admin 2026-10:
 * one order per key (looked up before creating, also after a lost response), no inventory moved (BYPASS), no customer
 * e-mail unless asked, custom lines for unlinked SKUs, cancel without restock, fulfilments with their tracking, and a
 * missing order scope reported as AUTH.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startShopifyEmulator, type ShopifyEmulator } from "../../../tests/emulators/shopify/index.js";
import { ShopifyChannel } from "./shopify-channel.server.js";
import { ChannelError } from "../channel.js";
import type { ImportOrderInput } from "../record.js";

const SHOP = "hub-record.myshopify.com";
const SCOPES = "read_products,write_inventory,write_orders,read_locations,write_merchant_managed_fulfillment_orders";
let emu: ShopifyEmulator;
let ch: ShopifyChannel;
let loc = "";
let variant = "";

const input = (key: string, over: Partial<ImportOrderInput> = {}): ImportOrderInput => ({
  key,
  currency: "USD",
  processedAt: "2026-12-01T10:00:00Z",
  email: "buyer@example.com",
  lines: [
    { variantId: variant, sku: "REC-1", title: "Tee", quantity: 2, unitPrice: "8.00" },
    { variantId: null, sku: "NOT-LINKED", title: "Mug", quantity: 1, unitPrice: "4.50" },
  ],
  shippingAddress: {
    firstName: "Ada",
    lastName: "Lovelace",
    company: null,
    address1: "1 Road",
    address2: null,
    city: "Leeds",
    provinceCode: null,
    zip: "LS1 1AA",
    countryCode: "GB",
    phone: null,
  },
  billingAddress: null,
  shipping: { title: "Flat rate", price: "3.00" },
  tags: ["syncflow", "Woo A"],
  note: "WooCommerce order #501",
  attributes: [{ key: "Source order", value: "#501" }],
  paid: true,
  notifyCustomer: false,
  ...over,
});
const available = () => emu.control.state(SHOP).availableBySku["REC-1"]![loc];

beforeAll(async () => {
  emu = await startShopifyEmulator({ apiKey: "k", apiSecret: "s", restoreRate: 1000 });
  process.env.SHOPIFY_ADMIN_ORIGIN = emu.url;
  const s = emu.control.createShop({ domain: SHOP, scope: SCOPES });
  loc = s.locationId;
  variant = emu.control.createProduct(SHOP, {
    title: "Tee",
    variants: [{ sku: "REC-1", price: 10, quantities: { [loc]: 10 } }],
  }).variants[0]!.variantId;
  ch = new ShopifyChannel({ shop: SHOP, accessToken: s.accessToken, baseBackoffMs: 5, maxBackoffMs: 50 } as never);
});
afterAll(async () => {
  delete process.env.SHOPIFY_ADMIN_ORIGIN;
  await emu?.close();
});

describe("RecordOrders on Shopify", () => {
  it("creates one order per key without moving stock or e-mailing the customer", async () => {
    const first = await ch.createImportedOrder(input("syncflow:ch1:501"));
    expect(first.created).toBe(true);
    expect(first.order).toMatchObject({ key: "syncflow:ch1:501", financialStatus: "PAID", cancelledAt: null });
    const again = await ch.createImportedOrder(input("syncflow:ch1:501"));
    expect(again).toEqual({ order: first.order, created: false });
    const orders = emu.control.state(SHOP).orders.filter((o) => o.sourceIdentifier === "syncflow:ch1:501");
    expect(orders).toHaveLength(1);
    expect(orders[0]!.tags).toEqual(["syncflow", "Woo A"]);
    expect(orders[0]!.lines.map((l) => [l.sku, l.quantity])).toEqual([
      ["REC-1", 2],
      ["NOT-LINKED", 1],
    ]);
    expect(available()).toBe(10);
    expect(emu.control.state(SHOP).notifications).toEqual([]);
  });

  it("after a lost response (the order was created, the answer never came) the retry finds it: still one order", async () => {
    emu.control.setFaults({ loseResponseNext: 1 });
    const lost = await ch.createImportedOrder(input("syncflow:ch1:502")).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(ChannelError);
    expect((lost as ChannelError).retryable).toBe(true);
    const retry = await ch.createImportedOrder(input("syncflow:ch1:502"));
    expect(retry.created).toBe(false);
    expect(emu.control.state(SHOP).orders.filter((o) => o.sourceIdentifier === "syncflow:ch1:502")).toHaveLength(1);
  });

  it("sends the order confirmation only when the merchant turned it on", async () => {
    const r = await ch.createImportedOrder(input("syncflow:ch1:503", { notifyCustomer: true, paid: false }));
    expect(r.order.financialStatus).toBe("PENDING");
    expect(emu.control.state(SHOP).notifications.map((n) => n.orderId)).toEqual([r.order.id]);
  });

  it("cancels without restock (once), and reads fulfilments with every tracking number", async () => {
    const { order } = await ch.createImportedOrder(input("syncflow:ch1:504"));
    expect(
      await ch.cancelImportedOrder(order.id, { notifyCustomer: false, staffNote: "cancelled at the source" }),
    ).toBe(true);
    expect(await ch.cancelImportedOrder(order.id, { notifyCustomer: false, staffNote: null })).toBe(false);
    expect(available()).toBe(10);
    const read = await ch.readFulfilments(order.id);
    expect(read!.order.cancelledAt).not.toBeNull();
    expect(read!.fulfilments).toEqual([]);

    const shipped = (await ch.createImportedOrder(input("syncflow:ch1:505"))).order;
    const fo = (
      await ch.client.request<any>(
        `query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id lineItems(first: 5) { nodes { id } } } } } }`,
        { id: shipped.id },
      )
    ).data.order.fulfillmentOrders.nodes[0];
    await ch.client.request(
      `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { userErrors { message } } }`,
      {
        f: {
          lineItemsByFulfillmentOrder: [
            { fulfillmentOrderId: fo.id, fulfillmentOrderLineItems: [{ id: fo.lineItems.nodes[0].id, quantity: 1 }] },
          ],
          trackingInfo: {
            company: "UPS",
            numbers: ["1Z1", "1Z2"],
            urls: ["https://ups.example.com/1Z1", "https://ups.example.com/1Z2"],
          },
        },
      },
    );
    const f = await ch.readFulfilments(shipped.id);
    expect(f!.order.fulfillmentStatus).toBe("PARTIALLY_FULFILLED");
    expect(f!.fulfilments).toHaveLength(1);
    expect(f!.fulfilments[0]!.tracking.map((t) => [t.company, t.number])).toEqual([
      ["UPS", "1Z1"],
      ["UPS", "1Z2"],
    ]);
    expect(f!.fulfilments[0]!.lines).toEqual([
      { lineId: expect.any(String), sku: "REC-1", variantId: variant, quantity: 1 },
    ]);
    expect(available()).toBe(10);
  });

  it("reports a missing write_orders scope as AUTH (the merchant must approve the scope update)", async () => {
    const other = emu.control.createShop({ domain: "no-orders.myshopify.com" });
    const c = new ShopifyChannel({ shop: "no-orders.myshopify.com", accessToken: other.accessToken } as never);
    const err = await c.createImportedOrder(input("syncflow:x:1", { lines: [input("k").lines[1]!] })).catch((e) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).code).toBe("AUTH");
  });
});
