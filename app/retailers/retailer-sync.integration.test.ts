/**
 * Retailer Shopify shops end to end (issue 14 "Done when"): real PostgreSQL, the real app and worker, one emulated
 * Shopify running the central shop and two retailer shops (own tokens, locations, webhooks) plus an emulated
 * WooCommerce store. A retailer sale reaches the record exactly once; a central change reaches every retailer and
 * the WooCommerce store; the hub's own writes echo back without effect; two retailers and a WooCommerce store selling
 * the last units at once with allocations on oversell nothing; a retailer unlinked and relinked loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { waitFor, type World } from "../../tests/harness/world";
import { startOnboardedWorld, type OnboardedWorld } from "../../tests/harness/onboard";
import { addRetailer, retailerAvailable, type RetailerShop } from "../../tests/harness/retailers";
import { enqueue, getBoss, QUEUES } from "../jobs/queue.server";
import { createRetailerCode, linkRetailer, unlinkRetailer } from "./links.server";
import { storesOf, STORES_TTL_MS } from "../sync/stock/push.server";
import { processReceipt } from "../sync/intake/process-receipt.server";
import { reconcileChannel } from "../sync/reconcile/reconcile.server";

const SHOP = "retail-hub.myshopify.com";
const SKUS = ["woo-beanie", "woo-cap", "woo-belt", "woo-sunglasses", "woo-tshirt", "woo-polo"];
let ow: OnboardedWorld;
let world: World;
let app: AppHandle;
let shopId: string;
let wooChannelId: string;
let r1: RetailerShop;
let r2: RetailerShop;

const central = (sku: string) => world.shopify.control.state(SHOP).availableBySku[sku]?.[world.locationId];
const woo = () => world.woo[0]!;
const quiet = (ms = 800) => new Promise((r) => setTimeout(r, ms));

/** Every store shows what the record implies (no buffer, no pending sale): the central available. */
async function allShow(sku: string, q: number, timeoutMs = 20_000) {
  const shown = () => [
    central(sku),
    woo().control.getStock(sku),
    retailerAvailable(world, r1, sku),
    retailerAvailable(world, r2, sku),
  ];
  await waitFor(`${sku} = ${q} everywhere`, () => shown().every((x) => x === q), timeoutMs).catch(async (e) => {
    const dbg = await prisma.listing.findMany({
      where: { sku, channelId: { in: [r1.channelId, r2.channelId] } },
      select: {
        channelId: true,
        lastWrittenQuantity: true,
        lastObservedQuantity: true,
        pushRequestedAt: true,
        pushLastError: true,
        pushRefusals: true,
        inFlightPushSeq: true,
        matchStatus: true,
      },
    });
    throw new Error(
      `${(e as Error).message}; shown [record, woo, r1, r2] = ${JSON.stringify(shown())} ${JSON.stringify(dbg)} r2=${r2.channelId}`,
    );
  });
}

beforeAll(async () => {
  // Professional plan: room for three sales channels (the Free plan has one): as after an upgrade.
  ow = await startOnboardedWorld({ shop: SHOP, plan: "professional" });
  ({ world, app, shopId, wooChannelId } = ow);
  r1 = await addRetailer(world, app.url, TEST_API_KEY, TEST_API_SECRET, shopId, {
    domain: "nationwide-plants.myshopify.com",
    name: "Nationwide Plants",
    skus: SKUS,
    startingStock: () => 50,
  });
  r2 = await addRetailer(world, app.url, TEST_API_KEY, TEST_API_SECRET, shopId, {
    domain: "epic-gardening.myshopify.com",
    name: "Epic Gardening",
    skus: SKUS,
    // Already showing the record's stock: only Nationwide Plants (50 of each) needs the initial push.
    startingStock: (sku) => world.stock[sku] ?? 0,
  });
  // The engine selects every kind but the record's as a sales channel (pushes, allocations, reconciliation).
  expect((await storesOf(shopId)).some((s) => s.id === r1.channelId)).toBe(true);
}, 180_000);

afterAll(async () => {
  await ow?.close();
});

describe("retailer Shopify shops", () => {
  it(
    "links every listed SKU and writes the record's quantity to each retailer's chosen location",
    { timeout: 90_000 },
    async () => {
      for (const sku of SKUS) await allShow(sku, central(sku)!, 60_000);
      // Other locations of the retailer are left alone.
      const other = world.shopify.control.createLocation(r1.domain, { name: "Back room" }).locationId;
      expect(world.shopify.control.state(r1.domain).availableBySku["woo-cap"]?.[other] ?? 0).toBe(0);
    },
  );

  it("a central change reaches every retailer and the WooCommerce store", async () => {
    const sku = "woo-cap";
    const start = central(sku)!;
    world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 2 }] });
    await allShow(sku, start - 2);
  });

  it("a retailer sale reaches the record exactly once (duplicate delivery ignored) and the other stores follow", async () => {
    const sku = "woo-beanie";
    const start = central(sku)!;
    world.shopify.control.placeOrder(r1.domain, { lines: [{ sku, quantity: 3 }] });
    await allShow(sku, start - 3);
    await world.shopify.control.webhooksIdle(5000);
    const d = world.shopify.control
      .deliveries(r1.domain)
      .filter((x: { topic: string }) => x.topic === "orders/create")
      .at(-1)!;
    world.shopify.control.redeliver(r1.domain, d.id);
    world.shopify.control.redeliver(r1.domain, d.id);
    await world.shopify.control.webhooksIdle(5000);
    await quiet(1500);
    expect(central(sku)).toBe(start - 3);
    const adjustments = await prisma.shopifyAdjustment.findMany({
      where: { shopId, sourceChannelId: r1.channelId, item: { sku } },
    });
    expect(adjustments.map((a) => [a.delta, a.status])).toEqual([[-3, "applied"]]);
    const order = await prisma.order.findFirstOrThrow({ where: { channelId: r1.channelId }, include: { lines: true } });
    expect(order.lines.map((l) => [l.sku, l.quantity])).toEqual([[sku, 3]]);
    await allShow(sku, start - 3);
  });

  it("a retailer cancellation gives the units back to the record once", async () => {
    const sku = "woo-belt";
    const start = central(sku)!;
    const placed = world.shopify.control.placeOrder(r2.domain, { lines: [{ sku, quantity: 2 }] });
    await allShow(sku, start - 2);
    world.shopify.control.cancelOrder(r2.domain, { orderId: placed.orderId, restock: true });
    await allShow(sku, start);
    await quiet(1500);
    expect(central(sku)).toBe(start);
  });

  it("a retailer refund with restock gives back only the restocked units and keeps the order's number, total and status", async () => {
    const [a, b] = ["woo-tshirt", "woo-polo"];
    const [startA, startB] = [central(a)!, central(b)!];
    const placed = world.shopify.control.placeOrder(r1.domain, {
      lines: [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 1 },
      ],
    });
    await allShow(a, startA - 2);
    await allShow(b, startB - 1);
    const before = await prisma.order.findFirstOrThrow({
      where: { channelId: r1.channelId, lines: { some: { sku: b } } },
    });
    world.shopify.control.refund(r1.domain, {
      orderId: placed.orderId,
      lines: [{ sku: a, quantity: 1 }],
      restock: true,
    });
    await allShow(a, startA - 1);
    await quiet(1500);
    expect([central(a), central(b)]).toEqual([startA - 1, startB - 1]);
    const after = await prisma.order.findFirstOrThrow({ where: { id: before.id } });
    expect([after.number, after.totalPrice, after.currency, after.status, after.cancelledAt]).toEqual([
      before.number,
      before.totalPrice,
      before.currency,
      before.status,
      null,
    ]);
  });

  it("recognises the hub's own writes when they echo back from a retailer (no conflict, no stock movement)", async () => {
    const sku = "woo-sunglasses";
    const start = central(sku)!;
    const ledgerBefore = await prisma.stockLedger.count({ where: { shopId } });
    world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 1 }] });
    await allShow(sku, start - 1);
    await world.shopify.control.webhooksIdle(5000);
    await quiet(1500);
    const echoes = await prisma.webhookReceipt.findMany({
      where: { channelId: r1.channelId, topic: "inventory_levels/update" },
      orderBy: { receivedAt: "desc" },
      take: 5,
    });
    expect(echoes.length).toBeGreaterThan(0);
    expect(echoes.every((r) => r.status !== "failed")).toBe(true);
    // Each echo is handled with the headers the intake stored (the listing it belongs to) and its reason recorded.
    expect(echoes.map((r) => [r.status, r.error])).toContainEqual(["processed", "echo of our own write"]);
    expect(
      await prisma.conflict.count({
        where: { shopId, channelId: { in: [r1.channelId, r2.channelId] }, status: "open" },
      }),
    ).toBe(0);
    expect(
      await prisma.shopifyAdjustment.count({
        where: { shopId, sourceChannelId: { in: [r1.channelId, r2.channelId] }, item: { sku } },
      }),
    ).toBe(0);
    // Only the record's own sale moved stock (its webhook and the pushes' rows; no row caused by an echo).
    const rows = await prisma.stockLedger.findMany({
      where: { shopId, id: { gt: 0 }, item: { sku } },
      orderBy: { id: "asc" },
    });
    expect(rows.filter((r) => r.cause === "order" || r.cause === "store").length).toBe(0);
    expect(await prisma.stockLedger.count({ where: { shopId } })).toBeGreaterThan(ledgerBefore);
    await allShow(sku, start - 1);
  });

  it(
    "handles every variant of a retailer products/update: a SKU changed on the second variant re-links it",
    { timeout: 90_000 },
    async () => {
      const made = world.shopify.control.createProduct(r1.domain, {
        title: "Hoodie (retailer)",
        variants: ["woo-hoodie-red", "woo-hoodie-green"].map((sku) => ({
          sku,
          price: "45.00",
          tracked: true,
          quantities: { [r1.locationId]: 0 },
        })),
      });
      const [red, green] = made.variants.map((v) => v.variantId) as [string, string];
      // A merchant edit of the product: one products/update naming both variants → both new listings are linked.
      world.shopify.control.updateVariant(r1.domain, { variantId: red, price: "46.00" });
      const listing = (externalId: string) =>
        prisma.listing.findUnique({ where: { channelId_externalId: { channelId: r1.channelId, externalId } } });
      await waitFor(
        "both variants linked",
        async () => (await listing(red))?.matchStatus === "linked" && (await listing(green))?.matchStatus === "linked",
        30_000,
      );
      // Only the SECOND variant's SKU changes: the delivery's second event must re-link it.
      const changedAt = new Date(Date.now() - 1000);
      world.shopify.control.updateVariant(r1.domain, { variantId: green, sku: "epic-own-green" });
      await waitFor("second variant re-linked", async () => (await listing(green))?.sku === "epic-own-green", 30_000);
      expect((await listing(green))?.matchStatus).not.toBe("linked");
      expect((await listing(red))?.matchStatus).toBe("linked");
      // The delivery of that change queued the re-link from its second event. (Not simply the latest products/update
      // receipt: a later delivery of the same product — the echo of a push — finds nothing left to re-link.)
      const receipts = await prisma.webhookReceipt.findMany({
        where: { channelId: r1.channelId, topic: "products/update", receivedAt: { gte: changedAt } },
        orderBy: { receivedAt: "asc" },
      });
      const relinked = receipts.filter((r) => /^2 events: .*store linking queued/.test(r.error ?? ""));
      expect(relinked.length, JSON.stringify(receipts.map((r) => [r.status, r.error]))).toBeGreaterThanOrEqual(1);
      expect(relinked.every((r) => r.status === "processed")).toBe(true);
      const receipt = relinked[0]!;
      // Idempotent: the same delivery handled again (as a retried job would) changes no listing.
      await waitFor("re-link settled", async () => (await listing(green))?.matchStatus !== "linked", 30_000);
      await world.shopify.control.webhooksIdle(5000); // the echoes of the pushes made while both were linked
      await quiet(1500);
      const observed = () =>
        prisma.listing.findMany({
          where: { channelId: r1.channelId, externalId: { in: [red, green] } },
          select: {
            sku: true,
            matchStatus: true,
            itemId: true,
            lastObservedQuantity: true,
            lastSourceModifiedAt: true,
            manageStock: true,
          },
          orderBy: { id: "asc" },
        });
      const before = await observed();
      await prisma.webhookReceipt.update({ where: { id: receipt.id }, data: { status: "received" } });
      expect((await processReceipt(receipt.id)).status).toBe("processed");
      await quiet(1500);
      // Nothing changes but, at most, the time the store last changed the listing, which may only move forward: the
      // delivery's updated_at (one-second precision) can be later than what a re-link read (milliseconds).
      const after = await observed();
      const withoutTime = (rows: typeof before) => rows.map(({ lastSourceModifiedAt: _t, ...rest }) => rest);
      expect(withoutTime(after)).toEqual(withoutTime(before));
      after.forEach((row, i) =>
        expect(row.lastSourceModifiedAt?.getTime() ?? 0).toBeGreaterThanOrEqual(
          before[i]!.lastSourceModifiedAt?.getTime() ?? 0,
        ),
      );
    },
  );

  it("a retailer order whose orders/create webhook was lost reaches the record exactly once through reconciliation", async () => {
    const sku = "woo-belt";
    await world.shopify.control.webhooksIdle(5000);
    await quiet(1000);
    const start = central(sku)!;
    const adjustments = () =>
      prisma.shopifyAdjustment.findMany({
        where: { shopId, sourceChannelId: r1.channelId, item: { sku } },
        orderBy: { createdAt: "asc" },
      });
    const before = (await adjustments()).length;
    world.shopify.control.setFaults({ dropWebhooks: 1 });
    const placed = world.shopify.control.placeOrder(r1.domain, { lines: [{ sku, quantity: 2 }] });
    const lost = world.shopify.control
      .deliveries(r1.domain)
      .filter((d: { topic: string; status: string }) => d.topic === "orders/create")
      .at(-1);
    expect(lost?.status).toBe("dropped");
    await world.shopify.control.webhooksIdle(5000);
    await quiet(2000);
    expect(central(sku)).toBe(start); // the sale never reached the hub
    const reconcile = () => reconcileChannel(shopId, r1.channelId, { trigger: "manual" });
    const run = await reconcile();
    expect(run.changes.map((c) => c.reason)).toContainEqual(
      expect.stringMatching(new RegExp(`order #${placed.name.replace(/^#/, "")} .*its webhook never arrived`)),
    );
    await waitFor("the sale reaches the record", () => central(sku) === start - 2, 20_000);
    // Exactly once: a second reconciliation (and the other stores' pushes) change nothing more.
    await reconcile();
    await quiet(2000);
    expect(central(sku)).toBe(start - 2);
    const mine = (await adjustments()).slice(before);
    expect(mine.map((a) => [a.delta, a.status])).toEqual([[-2, "applied"]]);
    expect(await prisma.order.count({ where: { channelId: r1.channelId, externalId: placed.orderId } })).toBe(1);
    await allShow(sku, start - 2);
  });

  it("a refund delivered before its order: the late orders/create fills the order's header and moves no stock again", async () => {
    const [sku, other] = ["woo-cap", "woo-sunglasses"];
    await world.shopify.control.webhooksIdle(5000);
    await quiet(1000);
    const [start, startOther] = [central(sku)!, central(other)!];
    world.shopify.control.setFaults({ dropWebhooks: 1 });
    const placed = world.shopify.control.placeOrder(r1.domain, {
      lines: [
        { sku, quantity: 2, price: "20.00" },
        { sku: other, quantity: 1, price: "5.00" },
      ],
    });
    const lost = world.shopify.control
      .deliveries(r1.domain)
      .filter((d: { topic: string }) => d.topic === "orders/create")
      .at(-1)!;
    expect(lost.status).toBe("dropped");
    await quiet(1200); // the refund happens in a later second than the order (Shopify's timestamps are per second)
    world.shopify.control.refund(r1.domain, { orderId: placed.orderId, lines: [{ sku, quantity: 1 }], restock: true });
    const row = () => prisma.order.findFirst({ where: { channelId: r1.channelId, externalId: placed.orderId } });
    await waitFor("the refund made the order row", async () => !!(await row()), 20_000);
    await waitFor("one unit taken (2 ordered, 1 restocked)", () => central(sku) === start - 1, 20_000);
    world.shopify.control.redeliver(r1.domain, lost.id);
    await world.shopify.control.webhooksIdle(5000);
    await waitFor("header filled", async () => (await row())?.number === placed.name, 20_000);
    // The line the refund did not name takes its unit from the late order; the refunded line keeps the refund's tally.
    await waitFor("the other line taken", () => central(other) === startOther - 1, 20_000);
    await quiet(2000);
    expect([central(sku), central(other)]).toEqual([start - 1, startOther - 1]);
    const o = (await row())!;
    expect([o.number, Number(o.totalPrice), o.currency, o.customerEmail]).toEqual([
      placed.name,
      45,
      "USD",
      expect.stringContaining("@"),
    ]);
    await allShow(sku, start - 1);
    await allShow(other, startOther - 1);
  });

  it("two retailers and a WooCommerce store selling the last units at once, with allocations on, oversell nothing", async () => {
    const sku = "woo-polo";
    const channels = [wooChannelId, r1.channelId, r2.channelId];
    await prisma.channel.updateMany({ where: { id: { in: channels } }, data: { allocationEnabled: true } });
    // Bring the record down to 3 units.
    const have = central(sku)!;
    if (have > 3) world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: have - 3 }] });
    await waitFor("record at 3", () => central(sku) === 0 || central(sku)! <= 3);
    await waitFor(
      "allocations shown",
      async () => {
        const shown =
          (woo().control.getStock(sku) ?? 0) +
          (retailerAvailable(world, r1, sku) ?? 0) +
          (retailerAvailable(world, r2, sku) ?? 0);
        return shown <= 3;
      },
      30_000,
    );
    // Every store tries to sell 2 units at once; a store refuses what it does not show.
    const attempts = await Promise.allSettled([
      Promise.resolve().then(() => woo().control.placeOrder({ lines: [{ sku, quantity: 2 }], status: "processing" })),
      Promise.resolve().then(() => world.shopify.control.placeOrder(r1.domain, { lines: [{ sku, quantity: 2 }] })),
      Promise.resolve().then(() => world.shopify.control.placeOrder(r2.domain, { lines: [{ sku, quantity: 2 }] })),
    ]);
    const sold = attempts.filter((a) => a.status === "fulfilled").length * 2;
    await quiet(4000);
    await waitFor(
      "sales applied",
      async () => (await prisma.shopifyAdjustment.count({ where: { shopId, status: "pending" } })) === 0,
      30_000,
    );
    const level = world.shopify.control
      .state(SHOP)
      .levels.find((l) => l.sku === sku && l.locationId === world.locationId)!;
    expect(sold).toBeLessThanOrEqual(3);
    expect(level.available).toBeGreaterThanOrEqual(0);
    expect(level.onHand - level.committed).toBe(3 - sold); // no unit sold twice
    await prisma.channel.updateMany({ where: { id: { in: channels } }, data: { allocationEnabled: false } });
  });

  it(
    "a retailer unlinked and relinked loses nothing: same channel and listings, its orders kept, caught up on link",
    { timeout: 90_000 },
    async () => {
      const sku = "woo-tshirt";
      const listingsBefore = await prisma.listing.findMany({
        where: { channelId: r2.channelId },
        select: { id: true, externalId: true, matchStatus: true },
        orderBy: { id: "asc" },
      });
      const ordersBefore = await prisma.order.count({ where: { channelId: r2.channelId } });
      await unlinkRetailer(r2.shopId, r2.linkId);
      // A link job queued for the channel while it is disconnected (as one in flight at the unlink) has nothing to do:
      // it finishes, never retrying toward the dead letter queue.
      const boss = await getBoss();
      const stale = await enqueue(
        QUEUES.linkChannel,
        { shopId, channelId: r2.channelId },
        { singletonKey: `link:${r2.channelId}` },
      );
      expect(stale).not.toBeNull();
      await waitFor(
        "link job of the disconnected channel done",
        async () => (await boss.getJobById(QUEUES.linkChannel, stale!))?.state === "completed",
        20_000,
      ).catch(async (e) => {
        const j = await boss.getJobById(QUEUES.linkChannel, stale!);
        throw new Error(`${(e as Error).message}: state ${j?.state}, output ${JSON.stringify(j?.output)}`);
      });
      // Central changes while unlinked: a sale on the record, and a level set by the merchant.
      const start = central(sku)!;
      world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 1 }] });
      await waitFor(
        "others follow",
        () => woo().control.getStock(sku) === start - 1 && retailerAvailable(world, r1, sku) === start - 1,
      );
      world.shopify.control.setAvailable(SHOP, { sku: "woo-cap", locationId: world.locationId, available: 17 });
      await waitFor("others follow the level", () => retailerAvailable(world, r1, "woo-cap") === 17);
      await quiet(1000);
      expect(retailerAvailable(world, r2, sku)).toBe(start); // unlinked: left alone
      expect(retailerAvailable(world, r2, "woo-cap")).not.toBe(17);
      // The retailer sold one of its own meanwhile (no webhook reaches the hub for an unlinked retailer's sale).
      world.shopify.control.setAvailable(r2.domain, { sku: "woo-belt", locationId: r2.locationId, available: 3 });
      const relinkedAt = new Date();
      const { code } = await createRetailerCode(shopId);
      const again = await linkRetailer(r2.shopId, code);
      expect(again).toMatchObject({ channelId: r2.channelId, relinked: true });
      // Caught up: the retailer shows what the record implies now, including what changed while it was unlinked.
      await allShow(sku, start - 1);
      await allShow("woo-cap", 17);
      await allShow("woo-belt", central("woo-belt")!);
      // The initial pushes' second check is a delayed job (no process sleeps for it), and it runs.
      const checks = await boss.findJobs(QUEUES.initialPushCheck, { data: { channelId: r2.channelId } });
      const check = checks.find((j) => j.createdOn >= relinkedAt);
      expect(check).toBeDefined();
      expect(check!.startAfter.getTime() - check!.createdOn.getTime()).toBeGreaterThanOrEqual(STORES_TTL_MS + 500);
      await waitFor(
        "initial-push check done",
        async () => (await boss.getJobById(QUEUES.initialPushCheck, check!.id))?.state === "completed",
        20_000,
      );
      // The relink's own link job runs (nothing left from before blocks it).
      await waitFor(
        "relink's link job completed",
        async () =>
          (await boss.findJobs(QUEUES.linkChannel, { key: `link:${r2.channelId}` })).some(
            (j) => j.state === "completed" && j.createdOn >= relinkedAt,
          ),
        30_000,
      );
      expect(await prisma.channel.findUniqueOrThrow({ where: { id: r2.channelId } })).toMatchObject({
        status: "active",
      });
      const listingsAfter = await prisma.listing.findMany({
        where: { channelId: r2.channelId },
        select: { id: true, externalId: true, matchStatus: true },
        orderBy: { id: "asc" },
      });
      expect(listingsAfter).toEqual(listingsBefore);
      expect(await prisma.order.count({ where: { channelId: r2.channelId } })).toBe(ordersBefore);
    },
  );
});
