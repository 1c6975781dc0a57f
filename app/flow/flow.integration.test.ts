/**
 * Shopify Flow end to end against the emulator: each trigger is sent once through flowTriggerReceive (the
 * emulator checks the handle and payload against the extension's TOML and the mutation against the real
 * Admin schema); each action is called the way Flow calls it (signed POST to the runtime URL) and does its
 * work; a bad signature is refused by authenticate.flow and does nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { startWorld, waitFor, type World } from "../../tests/harness/world";
import { onboard } from "../../tests/harness/onboard";
import { startWorker, type WorkerHandle } from "../jobs/worker.server";
import { stopBoss } from "../jobs/queue.server";
import { emitEvent } from "../sync/events.server";
import { sendFlowTriggersForEvent } from "./triggers.server";
import { FLOW_ACTIONS, FLOW_TRIGGERS, legacyId } from "./definitions";

let world: World;
let app: AppHandle;
let worker: WorkerHandle;
let shopId: string;
let channelId: string;
let storeName: string;
const SHOP = "flow-ext.myshopify.com";

const runs = (handle: string) => world.shopify.control.flowRuns(SHOP).filter((r) => r.handle === handle);
async function item(sku: string) {
  const it = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku } });
  const listing = await prisma.listing.findFirstOrThrow({
    where: { shopId, itemId: it.id, channel: { kind: "shopify" } },
  });
  return { id: it.id, productId: legacyId(listing.productId)!, productGid: listing.productId };
}
async function latestEvent(type: string) {
  return waitFor(`${type} event`, () =>
    prisma.domainEvent.findFirst({ where: { shopId, type }, orderBy: { createdAt: "desc" } }),
  );
}

beforeAll(async () => {
  world = await startWorld({ apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, shop: SHOP, wooStores: 1 });
  app = await startApp({ SHOPIFY_ADMIN_ORIGIN: world.shopify.url, SYNCFLOW_RETRY_DELAY_S: "1" });
  world.shopify.control.setAppUrl(app.url);
  worker = await startWorker();
  ({ shopId, channelId } = await onboard(world, app.url, TEST_API_KEY, TEST_API_SECRET));
  storeName = (await prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).name;
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await app?.close();
  await world?.close();
});

describe("Flow triggers", () => {
  it("stock conflict raised → syncflow-conflict-raised with the product, store and quantities, once", async () => {
    const beanie = await item("woo-beanie");
    await emitEvent(
      shopId,
      "conflict.raised",
      { conflictId: "c1", sku: "woo-beanie", kind: "store_drift", expected: 7, store: 9 },
      { itemId: beanie.id, channelId },
    );
    const [run] = await waitFor("trigger", () =>
      runs(FLOW_TRIGGERS.conflictRaised.handle).length ? runs(FLOW_TRIGGERS.conflictRaised.handle) : null,
    );
    expect(run!.payload).toEqual({
      product_id: beanie.productId,
      SKU: "woo-beanie",
      Store: storeName,
      "Expected quantity": 7,
      "Store quantity": 9,
      "Review URL": "https://admin.shopify.com/store/flow-ext/apps/syncflow/app/conflicts",
    });
    const ev = await latestEvent("conflict.raised");
    await sendFlowTriggersForEvent(ev.id); // a retried job
    expect(runs(FLOW_TRIGGERS.conflictRaised.handle)).toHaveLength(1);
    expect((await prisma.flowTriggerSend.findFirstOrThrow({ where: { eventId: ev.id } })).status).toBe("sent");
  });

  it("store unhealthy → syncflow-store-unhealthy", async () => {
    await emitEvent(
      shopId,
      "store.unhealthy",
      { channelId, reason: "the store answered 503 to every call for 5 minutes" },
      { channelId },
    );
    const [run] = await waitFor("trigger", () =>
      runs(FLOW_TRIGGERS.storeUnhealthy.handle).length ? runs(FLOW_TRIGGERS.storeUnhealthy.handle) : null,
    );
    expect(run!.payload).toEqual({
      Store: storeName,
      "Store URL": world.woo[0]!.url,
      Reason: "the store answered 503 to every call for 5 minutes",
    });
  });

  it("item out of stock on every channel → syncflow-out-of-stock", async () => {
    const cap = await item("woo-cap");
    await emitEvent(
      shopId,
      "stock.low",
      { itemId: cap.id, quantity: 0, threshold: 5, where: "Shopify", outOfStock: true, source: "stock-watch" },
      { itemId: cap.id },
    );
    const [run] = await waitFor("trigger", () =>
      runs(FLOW_TRIGGERS.outOfStockEverywhere.handle).length ? runs(FLOW_TRIGGERS.outOfStockEverywhere.handle) : null,
    );
    expect(run!.payload).toMatchObject({ product_id: cap.productId, SKU: "woo-cap" });
  });

  it("a store that sold its whole allocation → syncflow-oversell-prevented; the same on a store without allocations sends nothing", async () => {
    const belt = await item("woo-belt");
    await emitEvent(
      shopId,
      "stock.low",
      { channelId, itemId: belt.id, quantity: 0, threshold: 5 },
      { itemId: belt.id, channelId },
    );
    const plain = await latestEvent("stock.low");
    await waitFor("notify job done", () => prisma.notification.findFirst({ where: { eventId: plain.id } }));
    expect(runs(FLOW_TRIGGERS.oversellPrevented.handle)).toHaveLength(0);
    await prisma.channel.update({ where: { id: channelId }, data: { allocationEnabled: true } });
    try {
      await emitEvent(
        shopId,
        "stock.low",
        { channelId, itemId: belt.id, quantity: 0, threshold: 5 },
        { itemId: belt.id, channelId },
      );
      const [run] = await waitFor("trigger", () =>
        runs(FLOW_TRIGGERS.oversellPrevented.handle).length ? runs(FLOW_TRIGGERS.oversellPrevented.handle) : null,
      );
      expect(run!.payload).toMatchObject({ product_id: belt.productId, SKU: "woo-belt", Store: storeName });
      expect(typeof run!.payload["Shopify available"]).toBe("number");
    } finally {
      await prisma.channel.update({ where: { id: channelId }, data: { allocationEnabled: false } });
    }
  });

  it("a channel paused by the plan starts no workflow", async () => {
    await prisma.channel.update({ where: { id: channelId }, data: { pausedAt: new Date(), pausedReason: "test" } });
    try {
      const before = runs(FLOW_TRIGGERS.storeUnhealthy.handle).length;
      await emitEvent(shopId, "store.unhealthy", { channelId, reason: "down" }, { channelId });
      const ev = await latestEvent("store.unhealthy");
      await waitFor("notify job done", () => prisma.notification.findFirst({ where: { eventId: ev.id } }));
      expect(await sendFlowTriggersForEvent(ev.id)).toEqual([]);
      expect(runs(FLOW_TRIGGERS.storeUnhealthy.handle)).toHaveLength(before);
    } finally {
      await prisma.channel.update({ where: { id: channelId }, data: { pausedAt: null, pausedReason: null } });
    }
  });
});

describe("Flow actions", () => {
  const url = (p: string) => `${app.url}${p}`;

  it("sync a product now: a signed request queues a sync of its variants", async () => {
    const beanie = await item("woo-beanie");
    const res = await world.shopify.control.sendFlowAction(SHOP, {
      url: url(FLOW_ACTIONS.syncItem.path),
      handle: FLOW_ACTIONS.syncItem.handle,
      properties: { product_id: beanie.productId },
    });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { ok: boolean; runId: string };
    expect(body.ok).toBe(true);
    const run = await waitFor("sync run done", async () => {
      const r = await prisma.syncRun.findUnique({ where: { id: body.runId } });
      return r && r.status !== "running" ? r : null;
    });
    expect(run).toMatchObject({ kind: "bulk_sync", status: "succeeded" });
    expect(run.total).toBeGreaterThan(0);
  });

  it("set a channel's buffer: the store then shows the derived quantity minus the buffer", async () => {
    const name = storeName;
    const res = await world.shopify.control.sendFlowAction(SHOP, {
      url: url(FLOW_ACTIONS.setBuffer.path),
      handle: FLOW_ACTIONS.setBuffer.handle,
      properties: { store: name, buffer_units: 3 },
    });
    expect(res.status).toBe(200);
    await waitFor(
      "buffer set by the queued run",
      async () => (await prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).bufferUnits === 3 || null,
    );
    const sku = "woo-sunglasses";
    const shopify = world.shopify.control.state(SHOP).availableBySku[sku]![world.locationId]!;
    await waitFor(
      "store shows the buffered quantity",
      () => world.woo[0]!.control.getStock(sku) === Math.max(0, shopify - 3),
      30_000,
      100,
    );
  });

  it("answers 422 with a reason for properties a retry cannot fix", async () => {
    const send = (properties: Record<string, unknown>) =>
      world.shopify.control.sendFlowAction(SHOP, {
        url: url(FLOW_ACTIONS.setBuffer.path),
        handle: FLOW_ACTIONS.setBuffer.handle,
        properties,
      });
    const unknown = await send({ store: "No such store", buffer_units: 1 });
    expect(unknown.status).toBe(422);
    expect(JSON.parse(unknown.body).error.code).toBe("unknown_store");
    expect((await send({ store: storeName, buffer_units: 5000 })).status).toBe(422);
    const noProduct = await world.shopify.control.sendFlowAction(SHOP, {
      url: url(FLOW_ACTIONS.syncItem.path),
      handle: FLOW_ACTIONS.syncItem.handle,
      properties: { product_id: 999999 },
    });
    expect(JSON.parse(noProduct.body).error.code).toBe("unknown_product");
  });

  it("refuses a request whose signature is not the app's, and does nothing", async () => {
    const runsBefore = await prisma.syncRun.count({ where: { shopId } });
    const res = await world.shopify.control.sendFlowAction(SHOP, {
      url: url(FLOW_ACTIONS.setBuffer.path),
      handle: FLOW_ACTIONS.setBuffer.handle,
      properties: { store: storeName, buffer_units: 0 },
      badSignature: true,
    });
    expect(res.status).toBe(400);
    expect((await prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).bufferUnits).toBe(3);
    expect(await prisma.syncRun.count({ where: { shopId } })).toBe(runsBefore);
  });
});
