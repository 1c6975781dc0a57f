/**
 * Reconciliation on real PostgreSQL, the real app build, queue and emulators: lost webhooks in both
 * directions are caught, explained differences are corrected through compare-and-set, unexplained ones
 * follow the store's policy (Shopify wins, or a conflict for review that a person resolves), a disabled
 * WooCommerce webhook is repaired and its gap reconciled, and a dry run writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../../tests/harness/app";
import { startWorld, waitFor, type World } from "../../../tests/harness/world";
import { onboard } from "../../../tests/harness/onboard";
import { startWorker, type WorkerHandle } from "../../jobs/worker.server";
import { stopBoss } from "../../jobs/queue.server";
import { reconcileChannel } from "./reconcile.server";
import { resolveConflict } from "./conflicts.server";

const SHOP = "reconcile-test.myshopify.com";
let world: World;
let app: AppHandle;
let worker: WorkerHandle;
let shopId: string;
let channelId: string;
const woo = () => world.woo[0]!;
const shopifyAvailable = (sku: string) => world.shopify.control.state(SHOP).availableBySku[sku]?.[world.locationId];
const settle = (ms = 800) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  world = await startWorld({ apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, shop: SHOP, wooStores: 1 });
  app = await startApp({ SHOPIFY_ADMIN_ORIGIN: world.shopify.url, SYNCFLOW_RETRY_DELAY_S: "1" });
  world.shopify.control.setAppUrl(app.url);
  worker = await startWorker();
  ({ shopId, channelId } = await onboard(world, app.url, TEST_API_KEY, TEST_API_SECRET));
  await settle(1500);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await app?.close();
  await world?.close();
});

describe("reconciliation", () => {
  it("is a no-op when everything is in sync", async () => {
    const res = await reconcileChannel(shopId, channelId, { trigger: "manual" });
    expect(res.changes.filter((c) => c.kind !== "skipped")).toEqual([]);
    expect(res.checked).toBeGreaterThanOrEqual(17);
  });

  it("catches a lost Shopify webhook: corrects the record and the store (explained), and a dry run first lists it without writing", async () => {
    const sku = "woo-polo";
    world.shopify.control.setFaults({ dropWebhooks: 1 });
    world.shopify.control.setAvailable(SHOP, { sku, available: 3 });
    await settle();
    expect(woo().control.getStock(sku)).toBe(world.stock[sku]); // the webhook was lost
    const dry = await reconcileChannel(shopId, channelId, { dryRun: true });
    expect(dry.changes.map((c) => [c.kind, c.sku, c.to])).toEqual(
      expect.arrayContaining([
        ["record_corrected", sku, 3],
        ["store_corrected", sku, 3],
      ]),
    );
    expect(woo().control.getStock(sku)).toBe(world.stock[sku]); // dry run wrote nothing
    const run = await reconcileChannel(shopId, channelId);
    expect(run.changes.find((c) => c.kind === "store_corrected" && c.sku === sku)?.explained).toBe(true);
    expect(woo().control.getStock(sku)).toBe(3);
    const ledger = await prisma.stockLedger.findMany({ where: { shopId, cause: "reconcile", item: { sku } } });
    expect(ledger.length).toBe(2); // record corrected + store corrected
  });

  it("compares in keyset chunks: drift in the first, a middle and the last chunk is found, every listing checked once", async () => {
    const linked = await prisma.listing.findMany({
      where: { channelId, matchStatus: "linked" },
      orderBy: { id: "asc" },
      select: { sku: true },
    });
    const picks = [linked[0]!, linked[Math.floor(linked.length / 2)]!, linked.at(-1)!].map((l) => l.sku!);
    const stock = Object.fromEntries(picks.map((sku) => [sku, woo().control.getStock(sku)!]));
    for (const sku of picks) woo().control.setStock(sku, stock[sku]! + 2);
    await woo().control.idle();
    process.env.SYNCFLOW_RECONCILE_CHUNK = "4";
    try {
      const dry = await reconcileChannel(shopId, channelId, { dryRun: true });
      expect(dry.checked).toBe(linked.length);
      expect(
        dry.changes
          .filter((c) => c.kind === "store_corrected")
          .map((c) => c.sku)
          .sort(),
      ).toEqual([...picks].sort());
      const run = await reconcileChannel(shopId, channelId);
      expect(
        run.changes
          .filter((c) => c.kind === "store_corrected")
          .map((c) => c.sku)
          .sort(),
      ).toEqual([...picks].sort());
      for (const sku of picks) expect(woo().control.getStock(sku)).toBe(stock[sku]);
      expect(await prisma.syncRun.findUniqueOrThrow({ where: { id: run.runId } })).toMatchObject({
        total: linked.length,
        processed: linked.length,
      });
    } finally {
      delete process.env.SYNCFLOW_RECONCILE_CHUNK;
    }
  });

  it("keeps a level the hub observed after Shopify's record was read (a newer webhook is not rolled back)", async () => {
    const sku = "woo-polo";
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku } });
    const level = await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } });
    // A record read that started before the hub's last observation of this level, and saw an older value.
    const levels = new Map([[item.inventoryItemId!, new Map([[level.locationGid, level.available + 7]])]]);
    const record = async () => ({ levels, readStartedAt: new Date(level.observedAt.getTime() - 1000) });
    const run = await reconcileChannel(shopId, channelId, { record });
    expect(run.changes.some((c) => c.kind === "record_corrected")).toBe(false);
    expect((await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } })).available).toBe(
      level.available,
    );
    // The same value read after the observation is a lost webhook: corrected.
    const later = await reconcileChannel(shopId, channelId, {
      dryRun: true,
      record: async () => ({ levels, readStartedAt: new Date() }),
    });
    expect(later.changes.find((c) => c.kind === "record_corrected")).toMatchObject({
      sku,
      from: level.available,
      to: level.available + 7,
    });
  });

  it("catches a never-delivered WooCommerce order webhook and takes its stock exactly once", async () => {
    const sku = "woo-long-sleeve-tee";
    const before = shopifyAvailable(sku)!;
    woo().control.setFaults({ dropDeliveries: 2 });
    woo().control.placeOrder({ lines: [{ sku, quantity: 2 }], status: "processing" });
    await woo().control.idle();
    await settle();
    expect(shopifyAvailable(sku)).toBe(before); // never heard of it
    const run = await reconcileChannel(shopId, channelId);
    expect(run.changes.some((c) => c.kind === "order_ingested")).toBe(true);
    await waitFor("sale applied to Shopify", () => shopifyAvailable(sku) === before - 2);
    await reconcileChannel(shopId, channelId);
    await settle();
    expect(shopifyAvailable(sku)).toBe(before - 2);
    expect(await prisma.shopifyAdjustment.count({ where: { shopId, item: { sku } } })).toBe(1);
  });

  it("Shopify wins over an unexplained manual edit on the store", async () => {
    const sku = "woo-sunglasses";
    await prisma.channel.update({ where: { id: channelId }, data: { conflictPolicy: "shopify_wins" } });
    const expected = woo().control.getStock(sku)!;
    woo().control.setStock(sku, expected + 5); // a manual edit in wp-admin
    await woo().control.idle();
    const run = await reconcileChannel(shopId, channelId);
    const change = run.changes.find((c) => c.sku === sku)!;
    expect(change).toMatchObject({ kind: "store_corrected", explained: false, from: expected + 5, to: expected });
    expect(woo().control.getStock(sku)).toBe(expected);
  });

  it("raises a conflict under the review policy, and a person resolves it with a typed value", async () => {
    const sku = "woo-tshirt";
    await prisma.channel.update({ where: { id: channelId }, data: { conflictPolicy: "review" } });
    const expected = woo().control.getStock(sku)!;
    woo().control.setStock(sku, expected - 4);
    await woo().control.idle();
    const run = await reconcileChannel(shopId, channelId);
    expect(run.changes.find((c) => c.sku === sku)?.kind).toBe("conflict");
    expect(woo().control.getStock(sku)).toBe(expected - 4); // untouched until a person decides
    const conflict = await prisma.conflict.findFirstOrThrow({ where: { shopId, status: "open" } });
    expect(conflict).toMatchObject({ kind: "store_drift", storeQuantity: expected - 4, expectedQuantity: expected });
    const shopifyBefore = shopifyAvailable(sku)!;
    const res = await resolveConflict(shopId, conflict.id, {
      resolution: "typed",
      quantity: expected - 1,
      actor: "merchant@example.com",
    });
    expect(res.appliedQuantity).toBe(expected - 1);
    expect(woo().control.getStock(sku)).toBe(expected - 1);
    expect(shopifyAvailable(sku)).toBe(shopifyBefore - 1); // the record moved by the typed difference
    const stored = await prisma.conflict.findUniqueOrThrow({ where: { id: conflict.id } });
    expect(stored).toMatchObject({ status: "resolved", resolution: "typed", resolvedBy: "merchant@example.com" });
    await expect(resolveConflict(shopId, conflict.id, { resolution: "use_shopify", actor: "x" })).rejects.toThrow(
      /already resolved/,
    );
    await prisma.channel.update({ where: { id: channelId }, data: { conflictPolicy: "shopify_wins" } });
  });

  it("repairs a webhook the store disabled after repeated failures, and reconciles the gap", async () => {
    const sku = "woo-cap";
    const hook = woo()
      .control.state()
      .webhooks.find(
        (w: { topic: string; delivery_url: string }) =>
          w.topic === "order.created" && w.delivery_url.endsWith(channelId),
      )!;
    woo().control.setWebhookStatus(hook.id, "disabled");
    const before = shopifyAvailable(sku)!;
    woo().control.placeOrder({ lines: [{ sku, quantity: 1 }], status: "processing" });
    await woo().control.idle();
    await settle();
    const run = await reconcileChannel(shopId, channelId);
    expect(run.changes.some((c) => c.kind === "webhook_repaired")).toBe(true);
    expect(
      woo()
        .control.state()
        .webhooks.find((w: { id: number }) => w.id === hook.id)?.status,
    ).toBe("active");
    await waitFor("gap order applied", () => shopifyAvailable(sku) === before - 1);
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(channel.status).toBe("degraded");
    const runs = await prisma.syncRun.findMany({ where: { shopId, kind: "reconcile" } });
    expect(runs.every((r) => r.status === "succeeded" && r.durationMs != null)).toBe(true);
  });
});
