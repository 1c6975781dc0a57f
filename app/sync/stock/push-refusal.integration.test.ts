/**
 * A push the store refuses, then the next one (the idempotency-key defect found in session 7, docs/decisions/245):
 * real PostgreSQL, the real app and worker, an emulated central Shopify with one retailer shop and an emulated
 * WooCommerce store with the SyncFlow plugin (exact mode).
 *
 * A refused write is forgotten and its listing requested again; the next write carries a new delta and must carry a new
 * idempotency key — Shopify remembers a refused `@idempotent` key as failed and refuses it for ever after
 * ("A previous request with this idempotency key failed. Retry with a new idempotency key."), and the plugin's
 * contract asks for a key "unique per intended change" (docs/contracts/wc-syncflow-v1.md). A write whose answer was
 * lost is the same write: it is resent with its key, and the store applies it once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../../tests/harness/app";
import { waitFor, type World } from "../../../tests/harness/world";
import { startOnboardedWorld, type OnboardedWorld } from "../../../tests/harness/onboard";
import { addRetailer, retailerAvailable, type RetailerShop } from "../../../tests/harness/retailers";

const SHOP = "push-refusal.myshopify.com";
const SKUS = ["woo-cap", "woo-beanie"];
let ow: OnboardedWorld;
let world: World;
let app: AppHandle;
let shopId: string;
let wooChannelId: string;
let r1: RetailerShop;

const central = (sku: string) => world.shopify.control.state(SHOP).availableBySku[sku]?.[world.locationId];
const woo = () => world.woo[0]!;

/** The record, the WooCommerce store and the retailer all show `q` of `sku`. */
async function allShow(sku: string, q: number, timeoutMs = 30_000) {
  const shown = () => [central(sku), woo().control.getStock(sku), retailerAvailable(world, r1, sku)];
  await waitFor(`${sku} = ${q} everywhere`, () => shown().every((x) => x === q), timeoutMs).catch(async (e) => {
    const dbg = await prisma.listing.findMany({
      where: { sku, channelId: { in: [wooChannelId, r1.channelId] } },
      select: { channelId: true, pushSeq: true, pushRefusals: true, pushLastError: true, inFlightPushSeq: true },
    });
    throw new Error(
      `${(e as Error).message}; shown [record, woo, r1] = ${JSON.stringify(shown())} ${JSON.stringify(dbg)}`,
    );
  });
}

/** The idempotency keys of the `push` ledger rows of `sku` on a channel, oldest first. */
async function pushKeys(channelId: string, sku: string): Promise<string[]> {
  const rows = await prisma.stockLedger.findMany({
    where: { shopId, channelId, cause: "push", item: { sku } },
    orderBy: { createdAt: "asc" },
    select: { idempotencyKey: true },
  });
  return rows.map((r) => r.idempotencyKey!);
}

/** The retailer's inventory mutations for its listing so far that Shopify answered with a userError `code`. */
function retailerRefusals(code: string): number {
  return world.shopify.control.graphqlLog(r1.domain).filter((c) => JSON.stringify(c.response ?? "").includes(code))
    .length;
}

beforeAll(async () => {
  // Professional plan: room for two sales channels (the Free plan has one): as after an upgrade.
  ow = await startOnboardedWorld({ shop: SHOP, plan: "professional" });
  ({ world, app, shopId, wooChannelId } = ow);
  expect((await prisma.channel.findUniqueOrThrow({ where: { id: wooChannelId } })).mode).toBe("exact");
  r1 = await addRetailer(world, app.url, TEST_API_KEY, TEST_API_SECRET, shopId, {
    domain: "refusing-retailer.myshopify.com",
    name: "Refusing Retailer",
    skus: SKUS,
    startingStock: (sku) => world.stock[sku] ?? 0,
  });
  for (const sku of SKUS) await allShow(sku, central(sku)!, 60_000);
}, 180_000);

afterAll(async () => {
  await ow?.close();
});

describe("a refused push and the next one", () => {
  it(
    "after a refusal the next write carries a new key and lands the right quantity (WooCommerce plugin and retailer shop)",
    { timeout: 90_000 },
    async () => {
      const sku = "woo-cap";
      const start = central(sku)!;
      const refusedWoo: string[] = [];
      const retailerStaleBefore = retailerRefusals("CHANGE_FROM_QUANTITY_STALE");
      // Both stores refuse the next write as a lost compare-and-set would.
      woo().control.setFaults({ refuseStockOps: { count: 1, refusedKeys: refusedWoo } });
      world.shopify.control.refuseInventoryWrites(r1.domain, 1);
      world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 2 }] });
      await waitFor("the WooCommerce store refused a push", () => refusedWoo.length === 1);
      await waitFor(
        "the retailer refused a push",
        () => retailerRefusals("CHANGE_FROM_QUANTITY_STALE") > retailerStaleBefore,
      );
      // Another sale while the refused listings wait: the next write is a different delta.
      world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 1 }] });
      await allShow(sku, start - 3);

      // The stores show the write before the hub records its answer: wait until both listings are recorded.
      await waitFor("both listings recorded", async () =>
        (await prisma.listing.findMany({ where: { channelId: { in: [wooChannelId, r1.channelId] }, sku } })).every(
          (l) => l.inFlightPushSeq == null && l.pushRefusals === 0,
        ),
      );
      // Nothing was refused for a reused key, and every landed write has a key no refused write had.
      expect(retailerRefusals("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")).toBe(0);
      const wooKeys = await pushKeys(wooChannelId, sku);
      const landedWoo = wooKeys.slice(-2).filter((k) => refusedWoo.includes(k));
      expect(landedWoo).toEqual([]);
      for (const channelId of [wooChannelId, r1.channelId]) {
        const l = await prisma.listing.findFirstOrThrow({ where: { channelId, sku } });
        expect([l.pushRefusals, l.pushLastError, l.inFlightPushSeq, l.pushRequestedAt]).toEqual([0, null, null, null]);
        expect(l.lastWrittenQuantity).toBe(start - 3);
      }
    },
  );

  it("a write whose answer was lost is resent with the same key and applied once", { timeout: 60_000 }, async () => {
    const sku = "woo-beanie";
    const start = central(sku)!;
    const before = (await pushKeys(r1.channelId, sku)).length;
    // The retailer applies the next mutation but its answer is lost (503): the outcome is unknown.
    world.shopify.control.setFaults({ loseResponseNext: 1 });
    world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 2 }] });
    await allShow(sku, start - 2);
    // The store shows the write before the hub records its answer: wait for the ledger row.
    const keys = await waitFor("the retailer's push recorded", async () => {
      const k = (await pushKeys(r1.channelId, sku)).slice(before);
      return k.length ? k : null;
    });
    expect(keys).toHaveLength(1);
    const sent = world.shopify.control
      .graphqlLog(r1.domain)
      .filter((c) => /^\s*mutation\b/.test(c.query) && JSON.stringify(c.variables ?? "").includes(keys[0]!));
    // Sent twice with one key (the first answer lost), applied once: the retailer shows start − 2, not start − 4.
    expect(sent.length).toBe(2);
    await new Promise((r) => setTimeout(r, 1500));
    expect(retailerAvailable(world, r1, sku)).toBe(start - 2);
  });
});
