/**
 * Orders hub, import (issue 15 item 1): a WooCommerce order that took stock becomes exactly one order in the central
 * Shopify shop — under duplicate and replayed webhooks — with stock moved once (the sale's own adjustment; the import
 * uses inventory BYPASS), the source's tags and note, and the central shop's own orders/create recognised as our echo
 * (no second order row). A failing import is retried, then parked with its cause.
 * Real app build, real PostgreSQL and queue, emulated stores over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import {
  adjustmentsFor,
  ledgerFor,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";
import { importKeyOf } from "./import.server";
import { TEST_API_KEY, TEST_API_SECRET } from "../../../tests/harness/app";
import { addRetailer, type RetailerShop } from "../../../tests/harness/retailers";

const SHOP = "orders-hub-import.myshopify.com";
const ORDER_SCOPES =
  "read_products,read_inventory,write_inventory,read_orders,write_orders,read_locations,write_merchant_managed_fulfillment_orders";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, stockFor: () => 20 });
  // The merchant approved the scope update that orders need (decision 215).
  fw.world.shopify.control.grantScopes(SHOP, ORDER_SCOPES);
  await prisma.orderImportSetting.create({
    data: { channelId: fw.channelIds[0]!, importOrders: true, tags: ["wholesale"], note: "Pack with care" },
  });
}, 180_000);

afterAll(async () => {
  await fw?.close();
});

const woo = () => fw.world.woo[0]!;
const centralOrders = () => fw.world.shopify.control.state(SHOP).orders;

/** Waits until the order row of Woo order `id` reached `state`. */
const importState = (id: number, state: string) =>
  waitFor(
    `order ${id} ${state}`,
    async () => {
      const o = await prisma.order.findUnique({
        where: { channelId_externalId: { channelId: fw.channelIds[0]!, externalId: String(id) } },
      });
      return o?.importState === state ? o : null;
    },
    60_000,
  );

describe("WooCommerce order → one central Shopify order", () => {
  it("imports once under duplicate and replayed webhooks; stock moves once; the echo is no second order", async () => {
    const sku = "woo-beanie";
    const start = fw.shopifyAvailable(sku)!;
    woo().control.setFaults({ duplicateDeliveries: 2 });
    const placed = woo().control.placeOrder({
      lines: [{ sku, quantity: 2 }],
      billing: { first_name: "Ada", last_name: "Lovelace", email: "ada@example.com" },
    }) as { id: number; number?: string };
    const row = await importState(placed.id, "imported");
    // Replay the order's deliveries after the import: still one central order.
    for (const d of woo()
      .control.deliveries()
      .filter((x) => x.resourceId === placed.id && x.topic.startsWith("order.")))
      await woo().control.redeliver(d.logId);
    await woo().control.idle();
    await fw.world.shopify.control.webhooksIdle();
    await waitFor(
      "receipts processed",
      async () => (await prisma.webhookReceipt.count({ where: { shopId: fw.shopId, status: "received" } })) === 0,
    );
    await sleep(1500);

    const key = importKeyOf(fw.channelIds[0]!, String(placed.id));
    const central = centralOrders().filter((o) => o.sourceIdentifier === key);
    expect(central).toHaveLength(1);
    expect(central[0]!.id).toBe(row.centralOrderId);
    expect(central[0]!.tags).toEqual(expect.arrayContaining(["syncflow", "wholesale"]));
    expect(central[0]!.lines.map((l) => [l.sku, l.quantity])).toEqual([[sku, 2]]);
    expect(fw.world.shopify.control.state(SHOP).notifications).toEqual([]);

    // One stock movement for the sale (−2), none for the import.
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
    expect((await adjustmentsFor(fw.shopId, sku)).map((a) => a.delta)).toEqual([-2]);
    // The ledger: the sale taken once (its pending row and its "applied to Shopify" row), nothing from the import.
    const ledger = await ledgerFor(fw.shopId, sku);
    expect(ledger.map((l) => l.cause)).toEqual(["order", "order"]);
    expect(ledger.filter((l) => /sale taken/.test(l.note ?? "")).map((l) => l.delta)).toEqual([-2]);

    // The central shop's orders/create for it reached the app and was recognised as our echo.
    const record = await prisma.channel.findFirstOrThrow({ where: { shopId: fw.shopId, kind: "shopify" } });
    expect(await prisma.order.count({ where: { channelId: record.id, externalId: central[0]!.id } })).toBe(0);
    const echo = await prisma.webhookReceipt.findMany({
      where: { shopId: fw.shopId, topic: "orders/create", source: "shopify" },
    });
    expect(echo.some((r) => r.error === "echo of an imported order")).toBe(true);
    expect(await prisma.order.count({ where: { shopId: fw.shopId } })).toBe(1);
    expect(row.importFlags).toEqual([]);
  }, 120_000);

  it("a cancelled source order cancels the central order without restock: stock comes back once", async () => {
    const sku = "woo-cap";
    const start = fw.shopifyAvailable(sku)!;
    const before = (await adjustmentsFor(fw.shopId, sku)).length;
    const placed = woo().control.placeOrder({ lines: [{ sku, quantity: 2 }] }) as { id: number };
    const row = await importState(placed.id, "imported");
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 2);
    woo().control.setOrderStatus(placed.id, "cancelled");
    await importState(placed.id, "cancelled");
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start);
    await sleep(1000);
    const central = centralOrders().find((o) => o.id === row.centralOrderId)!;
    expect(central.cancelledAt).not.toBeNull();
    expect(central.lines.map((l) => l.restocked)).toEqual([0]);
    expect(fw.shopifyAvailable(sku)).toBe(start);
    expect((await adjustmentsFor(fw.shopId, sku)).slice(before).map((a) => a.delta)).toEqual([-2, 2]);
  }, 120_000);

  it("a failing import (scope withdrawn) is retried, then parked as failed with its cause", async () => {
    fw.world.shopify.control.grantScopes(
      SHOP,
      "read_products,read_inventory,write_inventory,read_orders,read_locations",
    );
    const placed = woo().control.placeOrder({ lines: [{ sku: "woo-belt", quantity: 1 }] }) as { id: number };
    const row = await importState(placed.id, "failed");
    expect(row.importError).toMatch(/write_orders/);
    expect(row.centralOrderId).toBeNull();
    expect(
      centralOrders().filter((o) => o.sourceIdentifier === importKeyOf(fw.channelIds[0]!, String(placed.id))),
    ).toEqual([]);
    fw.world.shopify.control.grantScopes(SHOP, ORDER_SCOPES);
  }, 120_000);
});

describe("retailer Shopify order → one central Shopify order", () => {
  let r: RetailerShop;
  const RETAILER_BILLING = {
    firstName: null,
    lastName: null,
    company: "Nationwide Plants Ltd",
    address1: "9 Nursery Lane",
    address2: null,
    city: "Bristol",
    provinceCode: null,
    zip: "BS1 1AA",
    countryCode: "GB",
    phone: null,
  };

  beforeAll(async () => {
    // Room for a second sales channel (the Free plan has one): as after an upgrade.
    await prisma.shop.update({
      where: { id: fw.shopId },
      data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
    });
    r = await addRetailer(fw.world, fw.app.url, TEST_API_KEY, TEST_API_SECRET, fw.shopId, {
      domain: "hub-retailer.myshopify.com",
      name: "Nationwide Plants",
      skus: ["woo-cap"],
      startingStock: (sku) => fw.shopifyAvailable(sku) ?? 0,
    });
    await prisma.retailerLink.update({
      where: { channelId: r.channelId },
      data: { importOrders: true, orderTags: ["retail"], orderNote: "Retailer order" },
    });
    await prisma.orderImportSetting.create({ data: { channelId: r.channelId, billingAddress: RETAILER_BILLING } });
  }, 120_000);

  it("imports the retailer's order once, billed to the retailer, with stock moved once", async () => {
    const sku = "woo-cap";
    await waitFor(
      "retailer linked",
      async () => (await prisma.listing.count({ where: { channelId: r.channelId, sku, matchStatus: "linked" } })) === 1,
    );
    const start = fw.shopifyAvailable(sku)!;
    const before = (await adjustmentsFor(fw.shopId, sku)).length;
    const placed = fw.world.shopify.control.placeOrder(r.domain, { lines: [{ sku, quantity: 1 }] });
    const row = await waitFor(
      "retailer order imported",
      async () => {
        const o = await prisma.order.findUnique({
          where: { channelId_externalId: { channelId: r.channelId, externalId: placed.orderId } },
        });
        return o?.importState === "imported" ? o : null;
      },
      60_000,
    );
    await fw.world.shopify.control.webhooksIdle();
    await sleep(1500);
    const key = importKeyOf(r.channelId, placed.orderId);
    const central = centralOrders().filter((o) => o.sourceIdentifier === key);
    expect(central).toHaveLength(1);
    expect(central[0]!.id).toBe(row.centralOrderId);
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: r.channelId } });
    expect(central[0]!.tags).toEqual(["syncflow", channel.name, "retail"]);
    const payload = JSON.parse(
      fw.world.shopify.control
        .deliveries(SHOP)
        .find((d) => d.topic === "orders/create" && JSON.parse(d.body).admin_graphql_api_id === central[0]!.id)!.body,
    );
    expect(payload.billing_address.company).toBe("Nationwide Plants Ltd");
    expect(payload.note).toMatch(/Retailer order/);
    expect(fw.shopifyAvailable(sku)).toBe(start - 1);
    expect((await adjustmentsFor(fw.shopId, sku)).slice(before).map((a) => a.delta)).toEqual([-1]);
    const record = await prisma.channel.findFirstOrThrow({ where: { shopId: fw.shopId, kind: "shopify" } });
    expect(await prisma.order.count({ where: { channelId: record.id, externalId: central[0]!.id } })).toBe(0);
  }, 120_000);
});
