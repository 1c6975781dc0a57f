/**
 * The retailer sales channel against the emulated Shopify over real HTTP: listings at the chosen location, writes with
 * `changeFromQuantity` + `@idempotent` (replay, STALE), inventory sync off, and retailer webhooks as normalised events
 * (payloads from the emulator, which builds them from Shopify's documented examples).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startShopifyEmulator, type ShopifyEmulator } from "../../../tests/emulators/shopify/index.js";
import { ChannelError, type ChannelListing } from "../channel.js";
import {
  LISTING_HEADER,
  parseRetailerDelivery,
  RETAILER_DECLARED_CAPABILITIES,
  ShopifyRetailerChannel,
} from "./retailer-channel.server.js";
import { salesChannelFor, salesChannelKind } from "../registry.server.js";

let emu: ShopifyEmulator;
const SHOP = "retailer-adapter.myshopify.com";
let token = "";
let store = "";
let backroom = "";
let variants: { variantId: string; inventoryItemId: string; sku: string | null }[] = [];

/** Bodies of the webhooks the emulator emitted for the shop, by topic (newest last). */
const bodies = (topic: string) =>
  emu.control
    .deliveries(SHOP)
    .filter((d: { topic: string }) => d.topic === topic)
    .map((d: { body: string }) => JSON.parse(d.body));

beforeAll(async () => {
  emu = await startShopifyEmulator({ apiKey: "k", apiSecret: "s", restoreRate: 1000 });
  process.env.SHOPIFY_ADMIN_ORIGIN = emu.url;
  const s = emu.control.createShop({ domain: SHOP, name: "Retailer Adapter" });
  token = s.accessToken;
  store = s.locationId;
  backroom = emu.control.createLocation(SHOP, { name: "Back room" }).locationId;
  variants = emu.control.createProduct(SHOP, {
    title: "Seed packet",
    variants: [
      { sku: "SEED-A", price: "3.00", quantities: { [store]: 5, [backroom]: 40 } },
      { sku: "SEED-B", price: "4.00", quantities: { [store]: 2, [backroom]: 1 } },
      { sku: "SEED-C", price: "5.00", tracked: false },
    ],
  }).variants;
});
afterAll(async () => {
  delete process.env.SHOPIFY_ADMIN_ORIGIN;
  await emu.close();
});

const channel = (locationId: string | null = store) =>
  new ShopifyRetailerChannel({ shop: SHOP, locationId, accessToken: token }, { baseBackoffMs: 5 });
const level = (sku: string, loc = store) => emu.control.state(SHOP).availableBySku[sku]?.[loc];

describe("ShopifyRetailerChannel", () => {
  it("is registered as a delta-cas webhook kind and built by the registry from its stored connection", async () => {
    expect(salesChannelKind("shopify_retailer")?.declared).toEqual(RETAILER_DECLARED_CAPABILITIES);
    const viaRegistry = salesChannelFor("shopify_retailer", {
      baseUrl: `https://${SHOP}`,
      credentials: { shop: SHOP, locationId: store, accessToken: token },
    });
    expect(await viaRegistry.verifyConnection()).toMatchObject({ name: "Retailer Adapter" });
    expect((await viaRegistry.discoverCapabilities()).writeModel).toBe("delta-cas");
  });

  it("lists variants with the quantity at the chosen location only (null when untracked)", async () => {
    const all: ChannelListing[] = [];
    for await (const page of channel().listListings()) all.push(...page);
    const bySku = Object.fromEntries(all.map((l) => [l.sku, l]));
    expect(bySku["SEED-A"]).toMatchObject({
      externalId: variants[0]!.variantId,
      inventoryItemId: variants[0]!.inventoryItemId,
      quantity: 5,
      manageStock: true,
    });
    expect(bySku["SEED-B"]!.quantity).toBe(2);
    expect(bySku["SEED-C"]).toMatchObject({ quantity: null, manageStock: false });
    const back: ChannelListing[] = [];
    for await (const page of channel(backroom).listListings()) back.push(...page);
    expect(back.find((l) => l.sku === "SEED-A")!.quantity).toBe(40);
    expect(await channel().readQuantity(variants[1]!.variantId)).toBe(2);
  });

  it("writes a delta once per idempotency key, a compare-and-set with changeFromQuantity, and reports STALE with the current value", async () => {
    const ch = channel();
    const a = variants[0]!.variantId;
    const [first] = await ch.writeQuantities([{ op: "delta", listingId: a, delta: 3, idempotencyKey: "push:a:1" }]);
    expect(first).toMatchObject({ ok: true, before: 5, after: 8 });
    // The same operation resent (outcome unknown to the engine): Shopify replays it, the level moves once.
    const [again] = await channel().writeQuantities([
      { op: "delta", listingId: a, delta: 3, idempotencyKey: "push:a:1" },
    ]);
    expect(again!.ok).toBe(true);
    expect(level("SEED-A")).toBe(8);
    expect(level("SEED-A", backroom)).toBe(40); // other retailer locations are the retailer's own
    const [cas] = await ch.writeQuantities([
      { op: "cas", listingId: a, expected: 8, quantity: 6, idempotencyKey: "push:a:2" },
    ]);
    expect(cas).toMatchObject({ ok: true, after: 6 });
    const [stale] = await ch.writeQuantities([
      { op: "cas", listingId: a, expected: 8, quantity: 1, idempotencyKey: "push:a:3" },
    ]);
    expect(stale!.ok).toBe(false);
    const err = (stale as { error: ChannelError }).error;
    expect(err.code).toBe("STALE");
    expect(err.opts.current).toBe(6);
    expect(level("SEED-A")).toBe(6);
    const log = emu.control.graphqlLog(SHOP) as {
      query: string;
      variables: { key?: string; input?: { quantities?: { changeFromQuantity: number | null }[] } };
    }[];
    const sets = log.filter((e) => /inventorySetQuantities/.test(e.query));
    expect(sets.at(-1)!.variables.input!.quantities![0]!.changeFromQuantity).toBe(8);
    expect(sets.at(-1)!.variables.key).toBe("push:a:3");
  });

  it("answers each operation of a mixed batch on its own (one bad listing does not fail the others)", async () => {
    const res = await channel().writeQuantities([
      { op: "delta", listingId: variants[1]!.variantId, delta: -1, idempotencyKey: "push:b:1" },
      { op: "delta", listingId: "gid://shopify/ProductVariant/999999", delta: 1, idempotencyKey: "push:x:1" },
    ]);
    expect(res[0]).toMatchObject({ ok: true, after: 1 });
    expect(res[1]!.ok).toBe(false);
    expect((res[1] as { error: ChannelError }).error.code).toBe("NOT_FOUND");
  });

  it("refuses writes while inventory sync is off (no location), without calling Shopify", async () => {
    const [r] = await channel(null).writeQuantities([
      { op: "delta", listingId: variants[0]!.variantId, delta: 1, idempotencyKey: "off:1" },
    ]);
    expect(r!.ok).toBe(false);
    expect((r as { error: ChannelError }).error.code).toBe("UNSUPPORTED");
    expect(level("SEED-A")).toBe(6);
  });

  it("turns orders/create, orders/cancelled and refunds/create into order events with each line's stock taken", () => {
    const ch = channel();
    const placed = emu.control.placeOrder(SHOP, {
      lines: [
        { sku: "SEED-B", quantity: 1 },
        { sku: "SEED-A", quantity: 3 },
      ],
    });
    const [create] = ch.parseDelivery({ topic: "orders/create", body: bodies("orders/create").at(-1) });
    expect(create).toMatchObject({ type: "order.placed", order: { orderId: placed.orderId, number: placed.name } });
    const lines = (
      create as { order: { lines: { sku: string; variantId: string; quantity: number; stockTaken: number }[] } }
    ).order.lines;
    expect(lines.map((l) => [l.sku, l.variantId, l.quantity, l.stockTaken])).toEqual([
      ["SEED-B", variants[1]!.variantId, 1, 1],
      ["SEED-A", variants[0]!.variantId, 3, 3],
    ]);
    emu.control.refund(SHOP, { orderId: placed.orderId, lines: [{ sku: "SEED-A", quantity: 2 }], restock: true });
    const [refund] = ch.parseDelivery({ topic: "refunds/create", body: bodies("refunds/create").at(-1) });
    expect(refund).toMatchObject({
      type: "order.refunded",
      order: { orderId: placed.orderId, lines: [{ sku: "SEED-A", quantity: 3, stockTaken: 1 }] },
    });
    emu.control.refund(SHOP, { orderId: placed.orderId, lines: [{ sku: "SEED-B", quantity: 1 }], restock: false });
    expect(ch.parseDelivery({ topic: "refunds/create", body: bodies("refunds/create").at(-1) })).toEqual([]); // no restock: no stock moves
    emu.control.cancelOrder(SHOP, { orderId: placed.orderId, restock: true });
    const [cancel] = ch.parseDelivery({ topic: "orders/cancelled", body: bodies("orders/cancelled").at(-1) });
    expect(cancel).toMatchObject({ type: "order.changed", order: { status: "cancelled" } });
    expect(
      (cancel as { order: { lines: { stockTaken: number }[] } }).order.lines.every((l) => l.stockTaken === 0),
    ).toBe(true);
  });

  it("reports a level the intake marked (the written location, a known listing) as the listing's quantity, and nothing else", () => {
    const ch = channel();
    const here = bodies("inventory_levels/update")
      .filter((b: { location_id: number }) => `gid://shopify/Location/${b.location_id}` === store)
      .at(-1);
    const ev = ch.parseDelivery({
      topic: "inventory_levels/update",
      headers: { [LISTING_HEADER]: variants[0]!.variantId },
      body: here,
    });
    expect(ev).toEqual([
      {
        type: "listing.changed",
        listing: expect.objectContaining({ listingId: variants[0]!.variantId, quantity: here.available }),
      },
    ]);
    // Unmarked: another retailer location, or a listing the hub does not know (the intake marks neither).
    expect(ch.parseDelivery({ topic: "inventory_levels/update", body: here })).toEqual([]);
    // Parsing needs no credentials: the kind-level parser answers the same.
    expect(
      parseRetailerDelivery({
        topic: "inventory_levels/update",
        headers: { [LISTING_HEADER]: variants[0]!.variantId },
        body: here,
      }),
    ).toEqual(ev);
  });

  it("raises DeliveryParseError for a malformed body", () => {
    expect(() => channel().parseDelivery({ topic: "orders/create", body: { id: 1 } })).toThrow(/order/);
    try {
      channel().parseDelivery({ topic: "orders/create", body: [] });
    } catch (e) {
      expect((e as Error).name).toBe("DeliveryParseError");
    }
  });
});
