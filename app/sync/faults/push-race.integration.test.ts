/**
 * Issue 11, B1: two pushes of one listing racing. On a real WooCommerce, cancelling an order gave Shopify +2 once, but
 * the hub then set the store to 36 where WooCommerce had just restored 38 (buffered mode; exact mode dipped
 * 38 → 36 → 38): the push queued from `order.updated` ran concurrently with the one queued after the Shopify adjustment
 * and wrote a value computed from the old baseline. Here the store answers the first stock write slowly (`delayNext`),
 * so the later push overtakes it, as on a loaded store. One store is exact (plugin deltas), the other written through
 * REST absolute sets (buffered mode). Every stock value each store shows is recorded from its own store events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { sleep, startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";

const SHOP = "fault-push-race.myshopify.com";
const CANCEL_EXACT = "woo-beanie";
const CANCEL_BUFFERED = "woo-cap";
const RACE = "woo-belt";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, wooStores: 2, stockFor: () => 38 });
  // The second store is written like a store without the plugin: REST absolute sets (buffered mode, no buffer here so
  // both stores show the same numbers).
  await prisma.channel.update({
    where: { id: fw.channelIds[1]! },
    data: { mode: "buffered", bufferUnits: 0, pluginFeatures: [] },
  });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

/** Records every stock value `sku` shows on store `s` from now on (the store's own product events). */
function watchStock(s: number, sku: string): number[] {
  const woo = fw.world.woo[s]!;
  const id = woo.control.productIdBySku(sku)!;
  const seen: number[] = [];
  woo.store.listeners.push((e) => {
    if (e.topic === "product.updated" && e.resourceId === id) seen.push(woo.control.getStock(sku)!);
  });
  return seen;
}

/** Waits until the hub has nothing left to do for the shop (no pending sale, no requested or in-flight push). */
async function settled(): Promise<void> {
  await waitFor(
    "hub settled",
    async () => {
      const pending = await prisma.shopifyAdjustment.count({ where: { shopId: fw.shopId, status: "pending" } });
      const pushes = await prisma.listing.count({
        where: { shopId: fw.shopId, OR: [{ pushRequestedAt: { not: null } }, { inFlightPushSeq: { not: null } }] },
      });
      return pending === 0 && pushes === 0;
    },
    30_000,
    100,
  );
  await Promise.all(fw.world.woo.map((w) => w.control.idle()));
  await sleep(1500);
}

/** Places a 2-unit order on store `s` and waits until Shopify and every store show it. */
async function sell(s: number, sku: string): Promise<number> {
  const order = fw.world.woo[s]!.control.placeOrder({ lines: [{ sku, quantity: 2 }], status: "processing" }) as {
    id: number;
  };
  await waitFor("sale on Shopify", () => fw.shopifyAvailable(sku) === 36, 20_000);
  await waitFor("both stores at 36", () => fw.world.woo.every((w) => w.control.getStock(sku) === 36), 20_000);
  await settled();
  return order.id;
}

describe("B1: a cancel's two pushes racing", () => {
  it("buffered store: the store keeps the 38 it restored; the push decided before Shopify had the +2 never lands last", async () => {
    const woo = fw.world.woo[1]!;
    const id = await sell(1, CANCEL_BUFFERED);
    const seen = watchStock(1, CANCEL_BUFFERED);
    // Shopify slow enough that the release is still pending when the first push is decided; the store answers that
    // push's write 1.5 s late, so the push decided after Shopify had the +2 overtakes it.
    fw.world.shopify.control.setFaults({ latencyMs: 400 });
    woo.control.setFaults({
      delayNext: { ms: 1500, count: 1, paths: ["/wp-json/wc/v3/products"], methods: ["PUT", "POST"] },
    });
    woo.control.setOrderStatus(id, "cancelled");
    expect(woo.control.getStock(CANCEL_BUFFERED)).toBe(38); // WooCommerce restocked its own order
    await waitFor("release on Shopify", () => fw.shopifyAvailable(CANCEL_BUFFERED) === 38, 20_000);
    await sleep(3500); // past the delayed write
    fw.world.shopify.control.setFaults({ latencyMs: 0 });
    woo.control.resetFaults();
    await settled();
    expect(fw.shopifyAvailable(CANCEL_BUFFERED)).toBe(38); // +2 exactly once
    expect(woo.control.getStock(CANCEL_BUFFERED)).toBe(38);
    expect(seen.filter((q) => q !== 38)).toEqual([]); // and it never showed 36 again
  });

  it("exact store: no dip 38 → 36 → 38; the store's own restock is not taken away while Shopify's +2 is pending", async () => {
    const woo = fw.world.woo[0]!;
    const id = await sell(0, CANCEL_EXACT);
    const seen = watchStock(0, CANCEL_EXACT);
    fw.world.shopify.control.setFaults({ latencyMs: 400 });
    woo.control.setFaults({ delayNext: { ms: 1500, count: 1, paths: ["/wp-json/wc-syncflow/v1/stock"] } });
    woo.control.setOrderStatus(id, "cancelled");
    await waitFor("release on Shopify", () => fw.shopifyAvailable(CANCEL_EXACT) === 38, 20_000);
    await sleep(3500);
    fw.world.shopify.control.setFaults({ latencyMs: 0 });
    woo.control.resetFaults();
    await settled();
    expect(fw.shopifyAvailable(CANCEL_EXACT)).toBe(38);
    expect(woo.control.getStock(CANCEL_EXACT)).toBe(38);
    expect(seen.filter((q) => q !== 38)).toEqual([]);
    const pushes = await prisma.stockLedger.findMany({
      where: {
        shopId: fw.shopId,
        cause: "push",
        channelId: fw.channelIds[0]!,
        item: { sku: CANCEL_EXACT },
        createdAt: { gte: new Date(Date.now() - 15_000) },
      },
    });
    expect(pushes).toEqual([]); // nothing to push: the store already showed 38
  });

  it("any cause: a push computed from an older level is never written after a newer one (buffered store)", async () => {
    const woo = fw.world.woo[1]!;
    const seen = watchStock(1, RACE);
    woo.control.setFaults({
      delayNext: { ms: 1500, count: 1, paths: ["/wp-json/wc/v3/products"], methods: ["PUT", "POST"] },
    });
    fw.world.shopify.control.setAvailable(SHOP, { sku: RACE, available: 30 }); // push A: 30, answered 1.5 s late
    await sleep(700);
    fw.world.shopify.control.setAvailable(SHOP, { sku: RACE, available: 25 }); // push B: 25
    await sleep(3500);
    woo.control.resetFaults();
    await settled();
    expect(woo.control.getStock(RACE)).toBe(25);
    expect(fw.world.woo[0]!.control.getStock(RACE)).toBe(25);
    expect(seen.at(-1)).toBe(25);
    // Coalesced: the listing was never written twice at once, so the store saw 30 (maybe) and then 25, never 25 → 30.
    const i25 = seen.indexOf(25);
    expect(seen.slice(i25).every((q) => q === 25)).toBe(true);
  });
});
