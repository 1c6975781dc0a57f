/**
 * The rebalance drainer's pipelined rounds (docs/decisions/104, 318) stay exact under concurrent sales: while allocations
 * are switched on for a catalog (migration) and while a scheduled reconciliation rebalances every item after stock was
 * received on Shopify with its webhooks lost, shoppers buy on Shopify and on both WooCommerce stores.
 * Real PostgreSQL, the real app and queue worker (in this process), HTTP to the emulated Shopify and two WooCommerce
 * stores with the plugin (store calls slowed down so a round's store calls are still out when the next round starts).
 * Rounds of 3 items (`SYNCFLOW_REBALANCE_ROUND`), so the catalog takes several rounds.
 *
 * The platforms' state is sampled every few milliseconds, all emulators at once (they run in this process, so a
 * sample is one consistent moment), and checked at every sample:
 * - migration (a store not migrated yet still shows what it showed before, units Shopify also offers — decision 008's
 *   starting point): a store's quantity only rises (a top-up) when Shopify already holds the units in safety_stock —
 *   whenever a store shows more of an item than at the sample before, it shows ≤ the item's safety_stock;
 * - once migrated: the units all stores show of an item are ≤ its safety_stock, so Shopify's available plus what the
 *   stores show never exceeds the sellable units (on hand − committed): no unit is offered twice.
 * At the end: every sale counted once (on hand − committed = start + received − sold), safety_stock = Σ allocations,
 * every store shows its allocation; and the rounds did overlap: a round's Shopify moves were made while the round
 * before still had top-ups to show (the old drainer finished each round before planning the next).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "@prisma/client";
import prisma from "../../db.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { reconcileShop } from "../reconcile/reconcile.server";
import { sleep, startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";

const SHOP = "alloc-pipeline.myshopify.com";
const K = 20;
const RECEIVED = 12;
let fw: FaultWorld;
let skus: string[] = [];
let itemIds: string[] = [];

type Level = { available: number; safety: number; sellable: number; shown: number; perStore: number[] };
type Sample = { at: number; bySku: Map<string, Level> };

/** One moment of the platforms (synchronous: no request is handled in between). */
function sample(): Sample {
  const st = fw.world.shopify.control.state(SHOP);
  const bySku = new Map<string, Level>();
  for (const sku of skus) {
    const l = st.levels.find((x) => x.sku === sku && x.locationId === fw.world.locationId)!;
    const perStore = fw.world.woo.map((w) => w.control.getStock(sku) ?? 0);
    const shown = perStore.reduce((a, b) => a + b, 0);
    bySku.set(sku, {
      available: l.available,
      safety: l.safetyStock,
      sellable: l.onHand - l.committed,
      shown,
      perStore,
    });
  }
  return { at: Date.now(), bySku };
}

/** Samples every 5 ms until stopped; `check` sees each sample with the one before. */
function monitor(check: (s: Sample, prev: Sample | null) => void): { stop: () => Promise<Sample[]> } {
  const samples: Sample[] = [];
  let prev: Sample | null = null;
  const timer = setInterval(() => {
    const s = sample();
    check(s, prev);
    samples.push(s);
    prev = s;
  }, 5);
  return {
    stop: async () => {
      clearInterval(timer);
      return samples;
    },
  };
}

/**
 * Shoppers on Shopify and both stores, one purchase every ~40 ms, at most `max` purchases (a few units per SKU: the
 * checks are about units offered twice, not about selling out), until stopped; units sold per SKU.
 */
function shoppers(max = 90): { stop: () => Promise<Map<string, number>> } {
  const sold = new Map<string, number>();
  let on = true;
  let n = 0;
  const run = (async () => {
    while (on && n < max) {
      const sku = skus[(n * 7) % skus.length]!;
      const channel = n % 3;
      try {
        if (channel === 0) fw.world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 1 }] });
        else fw.world.woo[channel - 1]!.control.placeOrder({ lines: [{ sku, quantity: 1 }], status: "processing" });
        sold.set(sku, (sold.get(sku) ?? 0) + 1);
      } catch {
        /* out of stock on that channel */
      }
      n++;
      await sleep(40);
    }
  })();
  return {
    stop: async () => {
      on = false;
      await run;
      return sold;
    },
  };
}

/**
 * Nothing outstanding — receipts, store sales, allocation steps, rebalance requests, unmigrated listings — and the
 * platforms unchanged for 2.5 s (a store's order webhook may still be on its way when the hub's side looks quiet).
 */
async function settle(timeoutMs = 180_000): Promise<void> {
  let last = "";
  let since = Date.now();
  await waitFor(
    "settled",
    async () => {
      await Promise.all(fw.world.woo.map((w) => w.control.idle()));
      const [receipts, pending, ops, asked, unmigrated] = await Promise.all([
        prisma.webhookReceipt.count({ where: { shopId: fw.shopId, status: "received" } }),
        prisma.shopifyAdjustment.count({ where: { shopId: fw.shopId, status: "pending" } }),
        prisma.listing.count({ where: { channelId: { in: fw.channelIds }, allocOp: { not: Prisma.DbNull } } }),
        prisma.catalogItem.count({ where: { shopId: fw.shopId, rebalanceRequestedAt: { not: null } } }),
        prisma.listing.count({
          where: { channelId: { in: fw.channelIds }, matchStatus: "linked", allocatedQuantity: null },
        }),
      ]);
      const snap = JSON.stringify([receipts, pending, ops, asked, unmigrated, [...sample().bySku]]);
      if (snap !== last) {
        last = snap;
        since = Date.now();
        return false;
      }
      return receipts + pending + ops + asked + unmigrated === 0 && Date.now() - since > 2500;
    },
    timeoutMs,
    250,
  );
}

/** End state of every SKU: sellable = expected, safety_stock = Σ allocations, each store shows its allocation. */
async function expectExact(expectedSellable: (sku: string) => number): Promise<void> {
  const s = sample();
  const listings = await prisma.listing.findMany({
    where: { channelId: { in: fw.channelIds }, matchStatus: "linked" },
    include: { item: { select: { sku: true } } },
  });
  for (const sku of skus) {
    const mine = listings.filter((l) => l.item?.sku === sku);
    expect(mine).toHaveLength(2);
    const at = s.bySku.get(sku)!;
    expect(at.sellable, `${sku}: sellable units`).toBe(expectedSellable(sku));
    expect(at.safety, `${sku}: safety_stock = Σ allocations`).toBe(
      mine.reduce((n, l) => n + (l.allocatedQuantity ?? 0), 0),
    );
    for (const l of mine) {
      expect(l.allocOp).toBeNull();
      expect(
        fw.world.woo[fw.channelIds.indexOf(l.channelId)]!.control.getStock(sku),
        `${sku}: store shows its allocation`,
      ).toBe(l.allocatedQuantity);
    }
  }
}

beforeAll(async () => {
  process.env.SYNCFLOW_REBALANCE_ROUND = "3";
  fw = await startFaultWorld({
    shop: SHOP,
    wooStores: 2,
    stockFor: () => K,
    woo: { deliveryDelayMs: 100, latencyMs: 250, pluginBatchLatencyPerItemMs: 60 },
    env: { SYNCFLOW_REBALANCE_ROUND: "3" },
  });
  const linked = await prisma.listing.findMany({
    where: { channelId: { in: fw.channelIds }, matchStatus: "linked" },
    select: { itemId: true, item: { select: { sku: true } } },
  });
  const count = new Map<string, number>();
  for (const l of linked) count.set(l.item!.sku!, (count.get(l.item!.sku!) ?? 0) + 1);
  skus = [...count].filter(([, n]) => n === 2).map(([sku]) => sku);
  itemIds = [...new Set(linked.filter((l) => skus.includes(l.item!.sku!)).map((l) => l.itemId!))];
}, 180_000);

afterAll(async () => {
  delete process.env.SYNCFLOW_REBALANCE_ROUND;
  await fw?.close();
});

describe("pipelined rebalance rounds under concurrent sales", () => {
  it("switching allocations on migrates the catalog in overlapping rounds; a store never shows units Shopify does not hold for it", async () => {
    expect(skus.length).toBeGreaterThanOrEqual(12); // several rounds of 3
    const violations: string[] = [];
    const mon = monitor((s, prev) => {
      if (!prev) return;
      for (const [sku, at] of s.bySku) {
        const before = prev.bySku.get(sku)!;
        at.perStore.forEach((q, store) => {
          if (q > before.perStore[store]! && q > at.safety)
            violations.push(
              `${sku} at ${s.at}: store ${store} shows ${q} (was ${before.perStore[store]}), safety_stock ${at.safety}`,
            );
        });
      }
    });
    const start = sample();
    const buy = shoppers();
    // As the Settings page does (app/models/settings.server.ts): the flag, then each store's rebalance request.
    await prisma.channel.updateMany({ where: { id: { in: fw.channelIds } }, data: { allocationEnabled: true } });
    for (const channelId of fw.channelIds) await enqueue(QUEUES.initialPushCheck, { shopId: fw.shopId, channelId });
    await waitFor(
      "migrated",
      async () =>
        (await prisma.listing.count({
          where: { channelId: { in: fw.channelIds }, matchStatus: "linked", allocatedQuantity: null },
        })) === 0,
      120_000,
      100,
    );
    const sold = await buy.stop();
    await settle();
    await mon.stop();
    expect(violations).toEqual([]);
    await expectExact((sku) => start.bySku.get(sku)!.sellable - (sold.get(sku) ?? 0));
  }, 240_000);

  it("a reconciliation's rebalancing of every item runs in overlapping rounds and never offers a unit twice", async () => {
    const violations: string[] = [];
    const mon = monitor((s) => {
      for (const [sku, at] of s.bySku)
        if (at.shown > at.safety || at.available + at.shown > at.sellable)
          violations.push(
            `${sku} at ${s.at}: stores show ${at.shown}, safety_stock ${at.safety}, available ${at.available}, sellable ${at.sellable}`,
          );
    });
    // Stock received on Shopify for every item, its webhooks lost: the reconciliation finds it and rebalances.
    const start = sample();
    fw.world.shopify.control.setFaults({ dropWebhooks: 1_000_000 });
    for (const sku of skus)
      fw.world.shopify.control.setAvailable(SHOP, { sku, available: start.bySku.get(sku)!.available + RECEIVED });
    await sleep(500);
    fw.world.shopify.control.setFaults({ dropWebhooks: 0 });
    const tops: { sku: string; store: number; at: number }[] = [];
    const watchTops = monitor((s, prev) => {
      if (!prev) return;
      for (const [sku, at] of s.bySku)
        at.perStore.forEach((q, store) => {
          if (q > prev.bySku.get(sku)!.perStore[store]!) tops.push({ sku, store, at: s.at });
        });
    });
    // The reconciliation compares the stores first (no sale in flight: a store sale whose order webhook is still on its
    // way would look like a drift to it — see bench/README.md, session 9's gaps), then the shoppers buy while the
    // drainer's rounds run.
    const t0 = Date.now();
    await reconcileShop(fw.shopId, { trigger: "schedule" });
    const buy = shoppers();
    await waitFor(
      "rebalanced",
      async () =>
        (await prisma.catalogItem.count({ where: { shopId: fw.shopId, rebalanceRequestedAt: { not: null } } })) === 0 &&
        (await prisma.listing.count({
          where: { channelId: { in: fw.channelIds }, allocOp: { not: Prisma.DbNull } },
        })) === 0,
      120_000,
      100,
    );
    const sold = await buy.stop();
    await settle();
    await mon.stop();
    await watchTops.stop();
    expect(violations).toEqual([]);
    await expectExact((sku) => start.bySku.get(sku)!.sellable + RECEIVED - (sold.get(sku) ?? 0));

    // The rounds overlapped: on one store, a later round's reserve call (inventoryMoveQuantities, one per store and
    // round here) for other items was made before an earlier round's top-up had reached that store. The old drainer
    // recorded every top-up of a round before planning the next, so on each store a move call came only after the
    // top-ups of the calls before it.
    const skuOfItem = new Map(
      (
        await prisma.catalogItem.findMany({
          where: { id: { in: itemIds } },
          select: { sku: true, inventoryItemId: true },
        })
      ).map((i) => [i.inventoryItemId!, i.sku!]),
    );
    type Change = { inventoryItemId: string; to?: { ledgerDocumentUri?: string | null } };
    const moves = fw.world.shopify.control
      .graphqlLog(SHOP)
      .filter((c) => c.at >= t0 && /inventoryMoveQuantities/.test(c.query))
      .map((c) => {
        const changes = (c.variables as { input?: { changes?: Change[] } } | null)?.input?.changes ?? [];
        const doc = changes
          .map((ch) => ch.to?.ledgerDocumentUri)
          .find((d) => d?.startsWith("gid://syncflow/Allocation/"));
        return {
          at: c.at,
          store: fw.channelIds.findIndex((id) => doc?.endsWith(`/${id}`)),
          skus: new Set(changes.map((ch) => skuOfItem.get(ch.inventoryItemId) ?? "")),
        };
      })
      .filter((m) => m.store >= 0); // reservations (a release names the store on its "from" side)
    expect(moves.length).toBeGreaterThanOrEqual(4);
    const landing = (m: (typeof moves)[number], sku: string) =>
      tops.find((t) => t.store === m.store && t.sku === sku && t.at >= m.at)?.at ?? Infinity;
    const overlapped = moves.some((m1) =>
      moves.some(
        (m2) =>
          m2.store === m1.store &&
          m2.at > m1.at &&
          [...m2.skus].every((x) => !m1.skus.has(x)) &&
          [...m1.skus].some((x) => landing(m1, x) !== Infinity && landing(m1, x) > m2.at),
      ),
    );
    expect(overlapped, "a round's Shopify moves ran while the round before was still showing its top-ups").toBe(true);
  }, 240_000);
});
