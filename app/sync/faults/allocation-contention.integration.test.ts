/**
 * Contention on one item's Shopify `safety_stock` (docs/decisions/090, 104): store sales of two allocation stores
 * arrive while rebalances move units and several appliers (queue jobs and direct calls) race for the same item. Sales
 * are applied by the shop's rebalance drainer, one stored call per store for all its pending sales, under the items'
 * allocation locks.
 * Real PostgreSQL, the real app and queue worker, HTTP to the emulated Shopify and two WooCommerce stores with
 * the plugin. Proves that
 * - store sales that pile up while the item is locked are applied as ONE compare-and-set write per store, and no
 *   applier ever loses a compare-and-set to another SyncFlow writer (no CHANGE_FROM_QUANTITY_STALE on
 *   safety_stock adjustments);
 * - a crash between Shopify's write and our commit resends the same write (same key, same input: Shopify replays),
 *   so the batch lands once;
 * - at the end every adjustment is applied exactly once, the ledger has one `:taken` and one `:applied` row per
 *   sale, Shopify's safety_stock = Σ allocations, every store shows its allocation, and on_hand − committed =
 *   units − sold (no sale lost or doubled);
 * - a store whose Shopify write fails does not hold up the other store's sales of the item.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@prisma/client";
import prisma from "../../db.server";
import { applyAdjustment } from "../stock/adjust.server";
import { allocationFaults, queueRebalance, withItemLock } from "../allocation/allocation.server";
import { drainRebalances, requestRebalance } from "../allocation/allocation-batch.server";
import { sleep, startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";

const SHOP = "fault-alloc-contention.myshopify.com";
const SKU = "woo-beanie";
const K = 40;
let fw: FaultWorld;
let itemId: string;

const level = () =>
  fw.world.shopify.control.state(SHOP).levels.find((l) => l.sku === SKU && l.locationId === fw.world.locationId)!;
const storeStock = (i: number) => fw.world.woo[i]!.control.getStock(SKU)!;

/** Waits until nothing is outstanding for the item (receipts, adjustments, allocation steps) and quantities are stable. */
async function settle(timeoutMs = 60_000): Promise<void> {
  let last = "";
  let since = Date.now();
  await waitFor(
    "item settled",
    async () => {
      const [receipts, pending, ops] = await Promise.all([
        prisma.webhookReceipt.count({ where: { shopId: fw.shopId, status: "received" } }),
        prisma.shopifyAdjustment.count({ where: { shopId: fw.shopId, status: "pending" } }),
        prisma.listing.count({ where: { itemId, allocOp: { not: Prisma.DbNull } } }),
      ]);
      const snap = JSON.stringify([receipts, pending, ops, level(), storeStock(0), storeStock(1)]);
      if (snap !== last) {
        last = snap;
        since = Date.now();
        return false;
      }
      return receipts === 0 && pending === 0 && ops === 0 && Date.now() - since > 2000;
    },
    timeoutMs,
    100,
  );
}

/** Successful safety_stock adjust writes Shopify saw, once per idempotency key (replays return the first result). */
function safetyAdjustWrites(): { key: string; delta: number; calls: number }[] {
  const byKey = new Map<string, { key: string; delta: number; calls: number }>();
  for (const c of fw.world.shopify.control.graphqlLog(SHOP)) {
    if (!/inventoryAdjustQuantities/.test(c.query)) continue;
    const v = c.variables as { input?: { name?: string; changes?: { delta: number }[] }; key?: string } | null;
    if (v?.input?.name !== "safety_stock" || !v.key) continue;
    const payload = (c.response as { data?: { inventoryAdjustQuantities?: { userErrors: unknown[] } } } | null)?.data
      ?.inventoryAdjustQuantities;
    if (!payload || payload.userErrors.length) continue;
    const prev = byKey.get(v.key);
    if (prev) prev.calls++;
    else byKey.set(v.key, { key: v.key, delta: v.input.changes!.reduce((n, ch) => n + ch.delta, 0), calls: 1 });
  }
  return [...byKey.values()];
}

function staleSafetyAdjusts(): number {
  return fw.world.shopify.control
    .graphqlLog(SHOP)
    .filter(
      (c) =>
        /inventoryAdjustQuantities/.test(c.query) &&
        (c.variables as { input?: { name?: string } } | null)?.input?.name === "safety_stock" &&
        JSON.stringify(c.response ?? "").includes("CHANGE_FROM_QUANTITY_STALE"),
    ).length;
}

beforeAll(async () => {
  fw = await startFaultWorld({
    shop: SHOP,
    wooStores: 2,
    stockFor: (sku) => (sku === SKU ? K : 5),
    woo: { deliveryDelayMs: 150 },
    env: { SYNCFLOW_SHOPIFY_MAX_RETRIES: "1", SYNCFLOW_SHOPIFY_BACKOFF_MS: "100" }, // a Shopify 5xx surfaces after one resend
  });
  itemId = (await prisma.catalogItem.findFirstOrThrow({ where: { shopId: fw.shopId, sku: SKU } })).id;
  await prisma.channel.updateMany({ where: { id: { in: fw.channelIds } }, data: { allocationEnabled: true } });
  await queueRebalance(fw.shopId, itemId, true);
  await settle();
}, 180_000);

afterAll(async () => {
  allocationFaults.crashAfter = null;
  await fw?.close();
});

describe("store sales and rebalances contending for one item's safety_stock", () => {
  it("every sale applied exactly once, one write per store for sales that piled up, a crash replays, safety_stock = Σ allocations", async () => {
    const start = level();
    expect(start.safetyStock).toBeGreaterThan(0);
    const sold = [0, 0, 0];
    const buy = (store: number, qty = 1) => {
      try {
        if (store === 0) fw.world.shopify.control.placeOrder(SHOP, { lines: [{ sku: SKU, quantity: qty }] });
        else
          fw.world.woo[store - 1]!.control.placeOrder({ lines: [{ sku: SKU, quantity: qty }], status: "processing" });
        sold[store]! += qty;
      } catch {
        /* out of stock on that channel */
      }
    };
    fw.world.shopify.control.setFaults({ latencyMs: 30 });

    // 1. The item is locked (as by a long rebalance) while 5 sales (6 units) on both stores are ingested; the
    //    shopify-adjust jobs and three direct appliers wait for the lock. The first flush after the release
    //    "crashes" between Shopify's write and our commit.
    const direct: Promise<unknown>[] = [];
    await withItemLock(itemId, async () => {
      buy(1);
      buy(1, 2);
      buy(1);
      buy(2);
      buy(2);
      await waitFor(
        "5 sales pending",
        async () => (await prisma.shopifyAdjustment.count({ where: { itemId, status: "pending" } })) === 5,
        20_000,
        50,
      );
      const pending = await prisma.shopifyAdjustment.findMany({ where: { itemId, status: "pending" } });
      expect(pending.every((a) => a.quantityName === "safety_stock")).toBe(true);
      for (const a of pending.slice(0, 3)) direct.push(applyAdjustment(fw.shopId, a.id));
      allocationFaults.crashAfter = "flush:shopify";
      await sleep(300); // the appliers are polling for the lock now
    });
    const outcomes = await Promise.allSettled(direct);
    await waitFor(
      "all 5 applied",
      async () => (await prisma.shopifyAdjustment.count({ where: { itemId, status: "pending" } })) === 0,
      30_000,
      50,
    );
    expect(allocationFaults.crashAfter).toBeNull(); // the crash happened
    expect(outcomes.filter((o) => o.status === "rejected").length).toBeLessThanOrEqual(1); // at most the crashed applier
    const writes1 = safetyAdjustWrites();
    // One write per store for the sales that piled up: −4 for store A (3 sales), −2 for store B (2 sales).
    expect(writes1.map((w) => w.delta).sort((a, b) => a - b)).toEqual([-4, -2]);
    expect(writes1.map((w) => w.key).every((k) => /^syncflow-batch:/.test(k))).toBe(true); // a stored call each (decision 104)
    // The crashed call was resent with the same key and replayed, not applied twice.
    expect(writes1.some((w) => w.calls === 2)).toBe(true);
    // 6 units left on_hand; allocations may follow the stores' demand meanwhile (decision 103), moving units between
    // available and safety_stock, never changing their sum.
    expect(level().available + level().safetyStock).toBe(start.available + start.safetyStock - 6);

    const movesBefore = await prisma.stockLedger.count({ where: { itemId, cause: "allocate" } });
    // 2. Sales on both stores and on Shopify over ~2 s while rebalances run (queued and direct, full).
    await Promise.all([
      ...Array.from({ length: 14 }, (_, i) => sleep(140 * i).then(() => buy(1 + (i % 2), 1 + (i % 3 === 0 ? 1 : 0)))),
      ...Array.from({ length: 6 }, (_, i) => sleep(300 * i + 50).then(() => buy(0, 2))),
      ...Array.from({ length: 4 }, (_, i) =>
        sleep(500 * i + 100).then(async () => {
          await requestRebalance(fw.shopId, [itemId]);
          await drainRebalances(fw.shopId).catch(() => undefined);
        }),
      ),
    ]);
    fw.world.shopify.control.setFaults({ latencyMs: 0 });
    await settle();

    // Exactly once, nothing lost or doubled.
    const storeUnits = sold[1]! + sold[2]!;
    const adjustments = await prisma.shopifyAdjustment.findMany({ where: { itemId } });
    expect(adjustments.every((a) => a.status === "applied" && a.quantityName === "safety_stock")).toBe(true);
    expect(-adjustments.reduce((n, a) => n + a.delta, 0)).toBe(storeUnits);
    const ledger = await prisma.stockLedger.findMany({ where: { itemId, cause: "order" } });
    const taken = ledger.filter((l) => l.idempotencyKey.endsWith(":taken"));
    const applied = ledger.filter((l) => l.idempotencyKey.endsWith(":applied"));
    expect(taken).toHaveLength(adjustments.length);
    expect(applied).toHaveLength(adjustments.length);
    expect(new Set(applied.map((l) => l.idempotencyKey)).size).toBe(adjustments.length);
    expect(-safetyAdjustWrites().reduce((n, w) => n + w.delta, 0)).toBe(storeUnits); // Shopify applied each unit once
    expect(staleSafetyAdjusts()).toBe(0); // sales never lost a compare-and-set to our own moves or to each other
    expect(await prisma.stockLedger.count({ where: { itemId, cause: "allocate" } })).toBeGreaterThan(movesBefore); // rebalances moved units meanwhile

    // Invariants of ADR 008.
    const end = level();
    const listings = await prisma.listing.findMany({
      where: { itemId, channelId: { in: fw.channelIds } },
      orderBy: { channelId: "asc" },
    });
    expect(end.safetyStock).toBe(listings.reduce((n, l) => n + (l.allocatedQuantity ?? 0), 0));
    for (const l of listings) {
      expect(l.allocOp).toBeNull();
      expect(l.lastWrittenQuantity).toBe(l.allocatedQuantity);
      expect(storeStock(fw.channelIds.indexOf(l.channelId))).toBe(l.allocatedQuantity);
    }
    expect(end.onHand - end.committed).toBe(K - sold[0]! - storeUnits);
    expect(end.available + end.safetyStock).toBe(K - sold[0]! - storeUnits);
  }, 150_000);

  it("a store whose Shopify write fails does not hold up the other store's sales; the failed one is applied later, once", async () => {
    const before = level().safetyStock;
    const left = level().onHand - level().committed;
    let drain: unknown = null;
    await withItemLock(itemId, async () => {
      fw.world.woo[0]!.control.placeOrder({ lines: [{ sku: SKU, quantity: 1 }], status: "processing" });
      await sleep(20);
      fw.world.woo[1]!.control.placeOrder({ lines: [{ sku: SKU, quantity: 1 }], status: "processing" });
      await waitFor(
        "2 sales pending",
        async () => (await prisma.shopifyAdjustment.count({ where: { itemId, status: "pending" } })) === 2,
        20_000,
        50,
      );
      // The first store's call and every retry of the client answer 503: its outcome stays unknown.
      fw.world.shopify.control.setFaults({ failNext: { status: 503, count: 6 } });
    });
    // The drainer's round (here called directly; the queued one may have it): store A's call fails, store B's lands.
    await requestRebalance(fw.shopId, [itemId]);
    drain = await drainRebalances(fw.shopId).then(
      () => null,
      (err: unknown) => err,
    );
    await waitFor(
      "store B's sale applied",
      async () => (await prisma.shopifyAdjustment.count({ where: { itemId, status: "pending" } })) <= 1,
      60_000,
      50,
    );
    void drain;
    const pending = await prisma.shopifyAdjustment.findMany({ where: { itemId, status: "pending" } });
    expect(pending.length).toBeLessThanOrEqual(1);
    // The store whose call failed keeps its sale pending; the other store's was applied in the same round.
    const twoSales = await prisma.shopifyAdjustment.findMany({
      where: { itemId },
      orderBy: { createdAt: "desc" },
      take: 2,
    });
    expect(twoSales.filter((a) => a.status === "applied").length).toBeGreaterThanOrEqual(1);
    expect(level().safetyStock).toBeLessThanOrEqual(before - 1);
    await settle(); // the failed store's job retries and applies it (rebalances may move units meanwhile)
    const end = level();
    expect(end.onHand - end.committed).toBe(left - 2);
    const listings = await prisma.listing.findMany({ where: { itemId, channelId: { in: fw.channelIds } } });
    expect(end.safetyStock).toBe(listings.reduce((n, l) => n + (l.allocatedQuantity ?? 0), 0));
    const adjustments = await prisma.shopifyAdjustment.findMany({ where: { itemId } });
    expect(adjustments.every((a) => a.status === "applied")).toBe(true);
    expect(safetyAdjustWrites().reduce((n, w) => n + w.delta, 0)).toBe(adjustments.reduce((n, a) => n + a.delta, 0)); // each sale once on Shopify
    const applied = await prisma.stockLedger.count({
      where: { itemId, cause: "order", idempotencyKey: { endsWith: ":applied" } },
    });
    expect(applied).toBe(adjustments.length);
  }, 90_000);
});
