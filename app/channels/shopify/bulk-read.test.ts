/** ShopifyChannel.readAllAvailableBulk against the emulator: same answer as the paged readAvailable, location filter, failures. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startShopifyEmulator, type ShopifyEmulator } from "../../../tests/emulators/shopify/index.js";
import { ShopifyChannel } from "./shopify-channel.server.js";

let emu: ShopifyEmulator;
const SHOP = "bulk-adapter.myshopify.com";
let token = "";
let loc1 = "";
let loc2 = "";
const itemIds: string[] = [];

beforeAll(async () => {
  emu = await startShopifyEmulator({
    apiKey: "k",
    apiSecret: "s",
    restoreRate: 1000,
    bulk: { startupMs: 20, objectsPerSecond: 50_000 },
  });
  process.env.SHOPIFY_ADMIN_ORIGIN = emu.url;
  const s = emu.control.createShop({ domain: SHOP });
  token = s.accessToken;
  loc1 = s.locationId;
  loc2 = emu.control.createLocation(SHOP, { name: "Warehouse" }).locationId;
  for (let i = 0; i < 4; i++) {
    const p = emu.control.createProduct(SHOP, {
      title: `P${i}`,
      variants: Array.from({ length: 60 }, (_, j) => ({
        sku: `B-${i}-${j}`,
        price: 5,
        quantities: { [loc1]: i * 100 + j, [loc2]: j % 3 },
      })),
    });
    itemIds.push(...p.variants.map((v) => v.inventoryItemId));
  }
});
afterAll(async () => {
  delete process.env.SHOPIFY_ADMIN_ORIGIN;
  await emu.close();
});

describe("ShopifyChannel.readAllAvailableBulk", () => {
  it("returns every item's available at the asked locations, equal to the paged read", async () => {
    const ch = new ShopifyChannel({ shop: SHOP, accessToken: token, bulkPollMs: 10 });
    const bulk = await ch.readAllAvailableBulk([loc1]);
    expect(bulk.size).toBe(240);
    const paged = await ch.readAvailable(itemIds, [loc1]);
    expect([...bulk.entries()].sort()).toEqual([...paged.entries()].sort());
    expect(bulk.get(itemIds[65]!)).toEqual(new Map([[loc1, 105]]));
    const both = await ch.readAllAvailableBulk([loc1, loc2]);
    expect(both.get(itemIds[65]!)).toEqual(
      new Map([
        [loc1, 105],
        [loc2, 2],
      ]),
    );
    const all = await ch.readAllAvailableBulk([]);
    expect(all.get(itemIds[0]!)?.size).toBe(2);
  });

  it("sees a change made before the run starts", async () => {
    const ch = new ShopifyChannel({ shop: SHOP, accessToken: token, bulkPollMs: 10 });
    emu.control.setAvailable(SHOP, { sku: "B-0-0", available: 77 });
    expect((await ch.readAllAvailableBulk([loc1])).get(itemIds[0]!)?.get(loc1)).toBe(77);
  });

  it("raises THROTTLED when the shop's bulk slots are taken, TIMEOUT (and cancels) when it never finishes", async () => {
    emu.control.setBulkTiming({ startupMs: 60_000 });
    const ch = new ShopifyChannel({ shop: SHOP, accessToken: token, bulkPollMs: 10, bulkTimeoutMs: 50 });
    await expect(ch.readAllAvailableBulk([loc1])).rejects.toMatchObject({ code: "TIMEOUT" });
    const cancelled = await ch.client.request<{ bulkOperations: { nodes: { status: string }[] } }>(
      `{ bulkOperations(first: 10, query: "status:CANCELED") { nodes { status } } }`,
    );
    expect(cancelled.data.bulkOperations.nodes.length).toBe(1);
    // fill the 5 slots with slow runs
    for (let i = 0; i < 5; i++)
      await ch.client.request(
        `mutation { bulkOperationRunQuery(query: "{ inventoryItems { edges { node { id } } } }") { userErrors { code } } }`,
      );
    await expect(ch.readAllAvailableBulk([loc1])).rejects.toMatchObject({ code: "THROTTLED", retryable: true });
    emu.control.setBulkTiming({ startupMs: 20 });
  });
});
