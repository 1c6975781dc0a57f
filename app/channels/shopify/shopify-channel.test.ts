/** ShopifyChannel against the running emulator over real HTTP (via SHOPIFY_ADMIN_ORIGIN rewrite). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startShopifyEmulator, type ShopifyEmulator } from "../../../tests/emulators/shopify/index.js";
import { ShopifyChannel } from "./shopify-channel.server.js";
import { ChannelError, type ChannelListing } from "../channel.js";
import { rewriteShopifyUrl } from "./transport.server.js";

let emu: ShopifyEmulator;
const SHOP = "adapter.myshopify.com";
let token = "";
let loc1 = "";
let loc2 = "";
const items: { variantId: string; inventoryItemId: string; sku: string | null }[] = [];
const meta = (key: string) => ({
  idempotencyKey: key,
  reason: "correction",
  referenceDocumentUri: `gid://syncflow/Test/${key}`,
});
const fastRetry = { baseBackoffMs: 5, maxBackoffMs: 200 };

beforeAll(async () => {
  emu = await startShopifyEmulator({ apiKey: "k", apiSecret: "s", restoreRate: 1000 }); // Plus plan: listing 210 variants costs ~2000 points
  process.env.SHOPIFY_ADMIN_ORIGIN = emu.url;
  const s = emu.control.createShop({ domain: SHOP, name: "Adapter Shop" });
  token = s.accessToken;
  loc1 = s.locationId;
  loc2 = emu.control.createLocation(SHOP, { name: "Warehouse" }).locationId;
  for (let i = 0; i < 3; i++) {
    const p = emu.control.createProduct(SHOP, {
      title: `P${i}`,
      variants: Array.from({ length: 70 }, (_, j) => ({
        sku: `SKU-${i}-${j}`,
        price: 10 + j,
        quantities: { [loc1]: 10, [loc2]: j },
      })),
    });
    items.push(...p.variants);
  }
});
afterAll(async () => {
  delete process.env.SHOPIFY_ADMIN_ORIGIN;
  await emu.close();
});

describe("ShopifyChannel", () => {
  it("rewrites shop URLs to the emulator only when configured", () => {
    expect(rewriteShopifyUrl(`https://${SHOP}/admin/api/2026-10/graphql.json`)).toBe(
      `${emu.url}/store/${SHOP}/admin/api/2026-10/graphql.json`,
    );
    expect(rewriteShopifyUrl("https://example.com/x")).toBe("https://example.com/x");
  });

  it("verifies the connection and maps 401 to AUTH", async () => {
    expect(await new ShopifyChannel({ shop: SHOP, accessToken: token }).verifyConnection()).toEqual({
      name: "Adapter Shop",
      currency: "USD",
    });
    await expect(new ShopifyChannel({ shop: SHOP, accessToken: "wrong" }).verifyConnection()).rejects.toMatchObject({
      code: "AUTH",
    });
  });

  it("lists locations and paginates all listings under the cost limit", async () => {
    const ch = new ShopifyChannel({ shop: SHOP, accessToken: token });
    expect((await ch.listLocations()).map((l) => l.name)).toEqual(["Shop location", "Warehouse"]);
    const all: ChannelListing[] = [];
    let pages = 0;
    for await (const page of ch.listListings()) {
      pages++;
      all.push(...page);
    }
    expect(all).toHaveLength(210);
    expect(pages).toBeGreaterThan(1);
    const l = all.find((x) => x.sku === "SKU-1-5")!;
    expect(l).toMatchObject({
      manageStock: true,
      quantity: 15,
      quantitiesByLocation: { [loc1]: 10, [loc2]: 5 },
      price: "15.00",
      productType: "variant",
    });
    expect(ch.client.lastThrottleStatus).toMatchObject({ maximumAvailable: 20000, restoreRate: 1000 });
  });

  it("adjusts with changeFromQuantity, replays the same idempotency key, and raises STALE", async () => {
    const ch = new ShopifyChannel({ shop: SHOP, accessToken: token });
    const it0 = items[0]!;
    const r = await ch.adjustAvailable(
      [{ inventoryItemId: it0.inventoryItemId, locationId: loc1, delta: -3, changeFromQuantity: 10 }],
      meta("adj-1"),
    );
    expect(r).toEqual([{ before: 10, after: 7 }]);
    const again = await ch.adjustAvailable(
      [{ inventoryItemId: it0.inventoryItemId, locationId: loc1, delta: -3, changeFromQuantity: 10 }],
      meta("adj-1"),
    );
    expect(again).toEqual([{ before: 10, after: 7 }]);
    expect(emu.control.state(SHOP).availableBySku[it0.sku!]![loc1]).toBe(7);
    const err = await ch
      .adjustAvailable(
        [{ inventoryItemId: it0.inventoryItemId, locationId: loc1, delta: -1, changeFromQuantity: 10 }],
        meta("adj-2"),
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect(err.code).toBe("STALE");
    expect(err.opts.current).toBe(7);
    expect(emu.control.state(SHOP).availableBySku[it0.sku!]![loc1]).toBe(7);
    const read = await ch.readAvailable([it0.inventoryItemId], [loc1]);
    expect(read.get(it0.inventoryItemId)?.get(loc1)).toBe(7);
  });

  it("reads each item's current unit cost (null when none is set), 250 ids per call", async () => {
    const ch = new ShopifyChannel({ shop: SHOP, accessToken: token });
    emu.control.setUnitCost(SHOP, { sku: items[0]!.sku!, amount: "4.5" });
    emu.control.setUnitCost(SHOP, { sku: items[209]!.sku!, amount: 12 });
    const before = emu.control.graphqlLog(SHOP).length;
    const costs = await ch.readUnitCosts([
      ...items.map((i) => i.inventoryItemId),
      "gid://shopify/InventoryItem/999999999",
    ]);
    expect(costs.get(items[0]!.inventoryItemId)).toEqual({ amount: "4.50", currency: "USD" });
    expect(costs.get(items[209]!.inventoryItemId)).toEqual({ amount: "12.00", currency: "USD" });
    expect(costs.get(items[1]!.inventoryItemId)).toBeNull();
    expect(costs.has("gid://shopify/InventoryItem/999999999")).toBe(false);
    expect(costs.size).toBe(210);
    expect(emu.control.graphqlLog(SHOP).length - before).toBe(1);
  });

  it("sets with compare-and-set (ok and STALE) and chunks above 250", async () => {
    const ch = new ShopifyChannel({ shop: SHOP, accessToken: token });
    const it1 = items[1]!;
    expect(
      await ch.setAvailable(
        [{ inventoryItemId: it1.inventoryItemId, locationId: loc2, quantity: 9, changeFromQuantity: 1 }],
        meta("set-1"),
      ),
    ).toEqual([{ before: 1, after: 9 }]);
    await expect(
      ch.setAvailable(
        [{ inventoryItemId: it1.inventoryItemId, locationId: loc2, quantity: 4, changeFromQuantity: 1 }],
        meta("set-2"),
      ),
    ).rejects.toMatchObject({ code: "STALE", opts: { current: 9 } });
    const big = items.flatMap((x) =>
      [loc1, loc2].map((loc) => ({
        inventoryItemId: x.inventoryItemId,
        locationId: loc,
        quantity: 20,
        changeFromQuantity: null,
      })),
    );
    expect(big.length).toBe(420);
    const res = await ch.setAvailable(big, meta("set-big"));
    expect(res.every((x) => x.after === 20)).toBe(true);
    const calls = emu.control.graphqlLog(SHOP).filter((c) => c.query.includes("inventorySetQuantities"));
    expect(
      calls.slice(-2).map((c) => (c.variables as { input: { quantities: unknown[] } }).input.quantities.length),
    ).toEqual([250, 170]);
  });

  it("backs off on THROTTLED at a tiny restore rate", async () => {
    const slow = await startShopifyEmulator({ apiKey: "k", apiSecret: "s", restoreRate: 50, bucketSize: 30 });
    try {
      process.env.SHOPIFY_ADMIN_ORIGIN = slow.url;
      const s = slow.control.createShop({ domain: "slow.myshopify.com" });
      const p = slow.control.createProduct("slow.myshopify.com", {
        title: "X",
        variants: [{ sku: "X", price: 1, quantities: { [s.locationId]: 1 } }],
      });
      const ch = new ShopifyChannel({
        shop: "slow.myshopify.com",
        accessToken: s.accessToken,
        ...fastRetry,
        maxBackoffMs: 2000,
      });
      const started = Date.now();
      for (let i = 0; i < 6; i++)
        await ch.adjustAvailable(
          [
            {
              inventoryItemId: p.variants[0]!.inventoryItemId,
              locationId: s.locationId,
              delta: 1,
              changeFromQuantity: null,
            },
          ],
          meta(`thr-${i}`),
        );
      const throttled = slow.control.graphqlLog().filter((c) => JSON.stringify(c.response ?? "").includes("THROTTLED"));
      expect(throttled.length).toBeGreaterThan(0);
      expect(Date.now() - started).toBeGreaterThan(100);
      expect(slow.control.state("slow.myshopify.com").availableBySku.X![s.locationId]).toBe(7);
    } finally {
      process.env.SHOPIFY_ADMIN_ORIGIN = emu.url;
      await slow.close();
    }
  });

  it("retries 429 and 5xx, then gives up with SERVER", async () => {
    const ch = new ShopifyChannel({ shop: SHOP, accessToken: token, ...fastRetry, maxRetries: 3 });
    emu.control.setFaults({ failNext: { status: 429, count: 1 } });
    const t0 = Date.now();
    expect((await ch.verifyConnection()).name).toBe("Adapter Shop");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190); // Retry-After 1.0 s capped at maxBackoffMs 200
    emu.control.setFaults({ failNext: { status: 502, count: 2 } });
    expect((await ch.verifyConnection()).name).toBe("Adapter Shop");
    emu.control.setFaults({ failNext: { status: 503, count: 10 } });
    await expect(ch.verifyConnection()).rejects.toMatchObject({ code: "SERVER" });
    emu.control.setFaults({ failNext: { status: 500, count: 0 }, throttleNext: 1 });
    expect((await ch.verifyConnection()).name).toBe("Adapter Shop");
  });
});
