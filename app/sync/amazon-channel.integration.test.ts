/**
 * Amazon as a sales channel end to end (issue 16) on real PostgreSQL, the real app (production build), the real
 * queue and real HTTP to the emulated Shopify, WooCommerce and Selling Partner API: connected through the website
 * authorisation flow; listings linked by seller SKU (MFN, FBA, variations); an Amazon order polled reaches the record
 * once and the other channels are pushed; a cancellation restocks once; FBA stock and FBA orders are never touched;
 * bulk writes go as a listings feed whose per-SKU failure is parked in the dead-letter queue with Amazon's message;
 * no poll ever exceeds getOrders' usage plan.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { redirectHop, startWorld, waitFor, type World } from "../../tests/harness/world";
import { onboard } from "../../tests/harness/onboard";
import { startAmazonEmulator, type AmazonEmulator } from "../../tests/emulators/amazon/index";
import { startWorker, type WorkerHandle } from "../jobs/worker.server";
import { disconnectAuthorizedChannel, startChannelAuthorization } from "./stores/authorize.server";
import { AUTHORIZATION_REVOKED_REASON } from "./intake/poll.server";
import { decryptJson } from "../lib/crypto.server";
import { pollChannel, scheduleDuePolls } from "./intake/poll.server";
import { requestPush } from "./stock/push.server";
import { reconcileChannel } from "./reconcile/reconcile.server";
import { enqueue, QUEUES, stopBoss } from "../jobs/queue.server";
import { amazonAppEnv } from "../../tests/harness/marketplace-env";

let world: World;
let app: AppHandle;
let worker: WorkerHandle;
let amazon: AmazonEmulator;
let shopId: string;
let wooChannelId: string;
let channelId: string;
const SHOP = "amazon-test.myshopify.com";
const MFN = ["woo-beanie", "woo-cap", "woo-belt", "woo-sunglasses", "woo-hoodie-blue"];
const FBA = "woo-tshirt";
/** Amazon.ca: the account's second marketplace (same region, same merchant-fulfilled stock). */
const CA = "A2EUQ1WTGCTBG2";
/** Usage plans ×20 (emulator and pacing): see beforeAll. */
const RATE_SCALE = 20;

const shopifyAvailable = (sku: string) => world.shopify.control.state(SHOP).availableBySku[sku]?.[world.locationId];
const amazonQty = (sku: string) => amazon.listings.get(sku)!.quantity;
const woo = () => world.woo[0]!;
/** The Amazon channel's buffer (units): 2, a buffered store's default. */
let buffer = 2;
/** What SyncFlow shows on a buffered store: the record's available minus its buffer. */
const derived = (sku: string) => Math.max(0, shopifyAvailable(sku)! - buffer);

beforeAll(async () => {
  world = await startWorld({ apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, shop: SHOP, wooStores: 1 });
  // A unified North America account: Amazon.com (primary) and Amazon.ca; SyncFlow is first connected for .com only.
  // The suite polls many times a minute (forced polls): Amazon's plans ×20 in the emulator and in SyncFlow's pacing
  // alike (getOrders 0.33/s, burst 20 — SyncFlow's shared windows take 10 per 30 s), so "never exceeded" still holds.
  process.env.AMAZON_RATE_SCALE = String(RATE_SCALE);
  amazon = await startAmazonEmulator({
    sellerId: "A1INTEGRATION",
    feedProcessingMs: 300,
    marketplaceIds: ["ATVPDKIKX0DER", CA],
    rateScale: RATE_SCALE,
  });
  for (const sku of MFN) amazon.control.addListing({ sku, quantity: 1, productType: "HAT" });
  amazon.control.addListing({ sku: "woo-hoodie", isParent: true, productType: "SWEATSHIRT" });
  amazon.listings.get("woo-hoodie-blue")!.parentSku = "woo-hoodie";
  amazon.control.addListing({ sku: FBA, fulfillment: "AFN", quantity: 40, productType: "SHIRT" });
  app = await startApp({
    SHOPIFY_ADMIN_ORIGIN: world.shopify.url,
    SYNCFLOW_RETRY_DELAY_S: "1",
    SYNCFLOW_RETRY_LIMIT: "2",
    ...amazonAppEnv(amazon),
    AMAZON_FEED_MIN_OPS: "3",
    AMAZON_FEED_POLL_MS: "100",
    AMAZON_RATE_SCALE: String(RATE_SCALE),
  });
  world.shopify.control.setAppUrl(app.url);
  worker = await startWorker();
  ({ shopId, channelId: wooChannelId } = await onboard(world, app.url, TEST_API_KEY, TEST_API_SECRET));
  // Room for a second sales channel (Free allows one).
  await prisma.shop.update({ where: { id: shopId }, data: { planKey: "professional", subscriptionStatus: "ACTIVE" } });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await app?.close();
  await world?.close();
  await amazon?.close();
});

const hop = redirectHop;

describe("Amazon sales channel", () => {
  it("connects through the website authorisation flow and links listings by seller SKU", async () => {
    const start = await startChannelAuthorization(shopId, "amazon", amazon.marketplaceId);
    const first = await hop(start);
    expect(first.status).toBe(302);
    const consentUrl = new URL(first.location!);
    expect(consentUrl.origin + consentUrl.pathname).toBe(`${amazon.url}/apps/authorize/consent`);
    expect(consentUrl.searchParams.get("application_id")).toBe(amazon.applicationId);
    const cookie = first.cookie!.split(";")[0]!;
    const consent = await hop(consentUrl.toString());
    expect(consent.status).toBe(302);
    const callback = consent.location!;
    expect(callback.startsWith(`${app.url}/channels/oauth/amazon/callback`)).toBe(true);
    // Without the browser-binding cookie the callback refuses (a shared link), and the state stays unused.
    expect((await hop(callback)).status).toBe(400);
    const done = await hop(callback, cookie);
    expect(done.status).toBe(200);
    expect(done.body).toContain("connected");
    // The same callback again: the state was used once.
    expect((await hop(callback, cookie)).status).toBe(400);
    const channel = await prisma.channel.findFirstOrThrow({ where: { shopId, kind: "amazon" } });
    channelId = channel.id;
    expect(channel.mode).toBe("buffered");
    expect(channel.bufferUnits).toBe(2);
    expect(channel.credentialsEnc).not.toContain("Atzr");
    await waitFor(
      "Amazon listings linked",
      async () => (await prisma.listing.count({ where: { channelId, matchStatus: "linked" } })) === MFN.length,
    );
    const listings = await prisma.listing.findMany({ where: { channelId } });
    const by = (sku: string) => listings.find((l) => l.sku === sku);
    expect(by("woo-hoodie-blue")).toMatchObject({ matchStatus: "linked", productId: "woo-hoodie" });
    expect(by(FBA)).toMatchObject({ matchStatus: "not_stocked", lastObservedQuantity: 40 });
    expect(by("woo-hoodie")?.matchStatus).not.toBe("linked");
  }, 60_000);

  it("sets every merchant-fulfilled quantity to the record's (a listings feed), never the FBA one", async () => {
    await waitFor("initial pushes", () => MFN.every((sku) => amazonQty(sku) === derived(sku)), 30_000);
    expect(amazon.requests.some((r) => r.operation === "createFeed" && r.status === 202)).toBe(true);
    expect(amazonQty(FBA)).toBe(40);
  }, 40_000);

  it("an Amazon order polled reaches the record once, and the other channels are pushed", async () => {
    const sku = "woo-beanie";
    const record = shopifyAvailable(sku)!;
    const wooBefore = woo().control.getStock(sku)!;
    const order = amazon.control.placeOrder({ lines: [{ sku, quantity: 2 }] }); // Pending: Amazon reserved the units
    // The scheduled path: the poll is due (its interval passed), the tick queues it, the worker's poll job runs it.
    const polls = (await prisma.channelPollState.findUniqueOrThrow({ where: { channelId } })).polls;
    await prisma.channelPollState.update({ where: { channelId }, data: { nextPollAt: new Date(Date.now() - 1000) } });
    expect(await scheduleDuePolls()).toBeGreaterThanOrEqual(1);
    await waitFor(
      "poll job ran",
      async () => (await prisma.channelPollState.findUniqueOrThrow({ where: { channelId } })).polls > polls,
    );
    await waitFor("record decremented", () => shopifyAvailable(sku) === record - 2);
    // Not due again before its interval: a second tick queues nothing for it.
    const state = await prisma.channelPollState.findUniqueOrThrow({ where: { channelId } });
    expect(state.nextPollAt.getTime() - Date.now()).toBeGreaterThan(50_000);
    expect((await pollChannel(shopId, channelId)).status).toBe("not-due");
    await waitFor("WooCommerce pushed", () => woo().control.getStock(sku) === wooBefore - 2);
    // A re-read of the same order (the poll overlap) is the same receipt: nothing moves again.
    await pollChannel(shopId, channelId, { force: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect(shopifyAvailable(sku)).toBe(record - 2);
    const adjustments = await prisma.shopifyAdjustment.findMany({
      where: { shopId, sourceChannelId: channelId, item: { sku } },
    });
    expect(adjustments.map((a) => a.delta)).toEqual([-2]);
    const row = await prisma.order.findFirstOrThrow({ where: { channelId, externalId: order.AmazonOrderId } });
    expect(row).toMatchObject({ status: "pending", stockTaken: true });
    // Amazon itself shows what it reserved; SyncFlow's set agrees with it.
    await waitFor("Amazon agrees", () => amazonQty(sku) === derived(sku));
  }, 40_000);

  it("a cancellation restocks once", async () => {
    const sku = "woo-cap";
    const record = shopifyAvailable(sku)!;
    const order = amazon.control.placeOrder({ lines: [{ sku, quantity: 1 }] });
    await pollChannel(shopId, channelId, { force: true });
    await waitFor("taken", () => shopifyAvailable(sku) === record - 1);
    amazon.control.setOrderStatus(order.AmazonOrderId, "Canceled");
    await pollChannel(shopId, channelId, { force: true });
    await waitFor("restocked", () => shopifyAvailable(sku) === record);
    await pollChannel(shopId, channelId, { force: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect(shopifyAvailable(sku)).toBe(record);
    const adjustments = await prisma.shopifyAdjustment.findMany({
      where: { shopId, sourceChannelId: channelId, item: { sku } },
    });
    expect(adjustments.map((a) => a.delta).sort()).toEqual([-1, 1]);
    expect(
      (await prisma.order.findFirstOrThrow({ where: { channelId, externalId: order.AmazonOrderId } })).status,
    ).toBe("cancelled");
  }, 40_000);

  it("FBA: an Amazon-fulfilled order takes nothing from the record; FBA stock is never written", async () => {
    const record = shopifyAvailable(FBA)!;
    amazon.control.placeOrder({ lines: [{ sku: FBA, quantity: 3 }], fulfillment: "AFN", status: "Shipped" });
    await pollChannel(shopId, channelId, { force: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect(shopifyAvailable(FBA)).toBe(record);
    expect(
      await prisma.shopifyAdjustment.count({ where: { shopId, sourceChannelId: channelId, item: { sku: FBA } } }),
    ).toBe(0);
    expect(amazonQty(FBA)).toBe(40);
    expect(amazon.requests.filter((r) => r.operation === "patchListingsItem" && r.path.endsWith(`/${FBA}`))).toEqual(
      [],
    );
  }, 20_000);

  it("a feed's per-SKU failure parks only that SKU, in the dead-letter queue with Amazon's message", async () => {
    const bad = "woo-belt";
    const message = "The listing is suppressed: the main image is missing.";
    amazon.control.failSku(bad, message, { code: "8541", times: Infinity });
    const feedsBefore = amazon.requests.filter((r) => r.operation === "createFeed").length;
    // The merchant raises the buffer: every linked listing's quantity changes, pushed in one drain — one feed.
    buffer = 3;
    await prisma.channel.update({ where: { id: channelId }, data: { bufferUnits: 3, bufferSource: "merchant" } });
    const linked = await prisma.listing.findMany({
      where: { channelId, matchStatus: "linked" },
      select: { itemId: true },
    });
    await requestPush(
      shopId,
      channelId,
      linked.map((l) => l.itemId!),
    );
    const good = MFN.filter((s) => s !== bad);
    await waitFor("good SKUs written", () => good.every((s) => amazonQty(s) === derived(s)), 20_000);
    expect(amazon.requests.filter((r) => r.operation === "createFeed").length).toBeGreaterThan(feedsBefore);
    const dead = await waitFor(
      "dead letter",
      () =>
        prisma.domainEvent.findFirst({
          where: { shopId, type: "job.dead_lettered", payload: { path: ["queue"], equals: "push-stock" } },
          orderBy: { createdAt: "desc" },
        }),
      40_000,
    );
    expect(JSON.stringify(dead.payload)).toContain(message);
    const listing = await prisma.listing.findFirstOrThrow({ where: { channelId, sku: bad } });
    expect(listing.pushLastError).toContain(message);
    expect(amazonQty(bad)).not.toBe(derived(bad));
    amazon.control.clearSkuFailures(bad);
  }, 70_000);

  it("reconciliation catches an order no poll saw and corrects a quantity edited on Seller Central", async () => {
    const sku = "woo-sunglasses";
    const record = shopifyAvailable(sku)!;
    const order = amazon.control.placeOrder({ lines: [{ sku, quantity: 1 }] }); // never polled
    amazon.listings.get("woo-cap")!.quantity = 99; // the seller typed a quantity on Seller Central
    await reconcileChannel(shopId, channelId);
    await waitFor("missed order taken", () => shopifyAvailable(sku) === record - 1);
    expect(await prisma.order.count({ where: { channelId, externalId: order.AmazonOrderId } })).toBe(1);
    await waitFor("Seller Central edit corrected", () => amazonQty("woo-cap") === derived("woo-cap"), 20_000);
  }, 60_000);

  it("never exceeded getOrders' usage plan (0.0167/s ×20 here, burst 20) and shows the API budget", async () => {
    expect(amazon.control.throttled().getOrders ?? 0).toBe(0);
    const state = await prisma.channelPollState.findUniqueOrThrow({ where: { channelId } });
    expect(state.polls).toBeGreaterThan(0);
    expect(state.throttled).toBe(0);
    expect(state.cursor).toContain("since");
    // The WooCommerce store was never refused by the Amazon work (its own channel untouched).
    expect((await prisma.channel.findUniqueOrThrow({ where: { id: wooChannelId } })).status).toBe("active");
  });

  it("a unified account: reconnected for Amazon.com and Amazon.ca, it polls both and every marketplace shows the quantity", async () => {
    const caQty = (sku: string) => amazon.control.quantityOf(sku, CA);
    expect(caQty("woo-beanie")).toBe(0); // never written: the channel was connected for Amazon.com only
    const start = await startChannelAuthorization(shopId, "amazon", `${amazon.marketplaceId},${CA}`);
    const first = await hop(start);
    const cookie = first.cookie!.split(";")[0]!;
    const consent = await hop(first.location!);
    expect((await hop(consent.location!, cookie)).status).toBe(200);
    // The same seller and primary marketplace: the same channel, now for both marketplaces.
    expect(await prisma.channel.count({ where: { shopId, kind: "amazon" } })).toBe(1);
    const ch = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(ch.name).toContain("Amazon.ca");
    // The link reads both marketplaces; every merchant-fulfilled SKU is written in each (FBA in none).
    await waitFor(
      "both marketplaces show the derived quantity",
      () => MFN.every((sku) => amazonQty(sku) === derived(sku) && caQty(sku) === derived(sku)),
      90_000,
    );
    expect(caQty(FBA)).toBe(0);
    // An Amazon.ca order is polled (getOrders names both marketplaces) and reaches the record once; .com follows.
    const sku = "woo-beanie";
    const record = shopifyAvailable(sku)!;
    amazon.control.placeOrder({ lines: [{ sku, quantity: 1 }], marketplaceId: CA });
    await pollChannel(shopId, channelId, { force: true });
    await waitFor("Amazon.ca order taken", () => shopifyAvailable(sku) === record - 1);
    await waitFor("Amazon.com follows", () => amazonQty(sku) === derived(sku) && caQty(sku) === derived(sku), 20_000);
    await pollChannel(shopId, channelId, { force: true });
    await new Promise((r) => setTimeout(r, 1000));
    expect(shopifyAvailable(sku)).toBe(record - 1);
    expect(amazon.control.throttled()).toEqual({});
  }, 180_000);

  it("beside an allocation store, Amazon shows the record's unallocated available less its buffer", async () => {
    // The WooCommerce store (exact mode, plugin) switches to allocations: its units move into safety_stock, so
    // Shopify's available — what a buffered channel derives from — drops; Amazon must follow.
    const before = Object.fromEntries(MFN.map((sku) => [sku, shopifyAvailable(sku)!]));
    await prisma.channel.update({ where: { id: wooChannelId }, data: { allocationEnabled: true } });
    await enqueue(QUEUES.linkChannel, { shopId, channelId: wooChannelId }, { singletonKey: `link:${wooChannelId}` });
    await waitFor("allocations moved units", () => MFN.some((sku) => shopifyAvailable(sku)! < before[sku]!), 40_000);
    await waitFor("Amazon shows available − buffer", () => MFN.every((sku) => amazonQty(sku) === derived(sku)), 40_000);
  }, 90_000);

  it("a revoked authorisation marks the channel failing with a reason and a notification; polling stops until reconnected", async () => {
    const row = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    const { refreshToken } = decryptJson<{ refreshToken: string }>(row.credentialsEnc!);
    amazon.control.revokeRefreshToken(refreshToken); // the seller removed SyncFlow in Seller Central
    const outcome = await pollChannel(shopId, channelId, { force: true });
    expect(outcome.status).toBe("revoked");
    const failing = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(failing.status).toBe("failing");
    expect(failing.statusReason).toContain(AUTHORIZATION_REVOKED_REASON);
    expect(failing.statusReason).toContain("connect Amazon again");
    const event = await prisma.domainEvent.findFirst({
      where: { shopId, type: "store.unhealthy", payload: { path: ["channelId"], equals: channelId } },
    });
    expect(event).not.toBeNull();
    // Due again, but not polled: nothing would answer but the same refusal.
    await prisma.channelPollState.update({ where: { channelId }, data: { nextPollAt: new Date(Date.now() - 1000) } });
    expect(await scheduleDuePolls()).toBe(0);
    // A second refusal notifies no second time.
    await pollChannel(shopId, channelId, { force: true });
    expect(
      await prisma.domainEvent.count({
        where: { shopId, type: "store.unhealthy", payload: { path: ["channelId"], equals: channelId } },
      }),
    ).toBe(1);
    // The merchant connects Amazon again: active, polled again.
    const start = await startChannelAuthorization(shopId, "amazon", `${amazon.marketplaceId},${CA}`);
    const first = await hop(start);
    const consent = await hop(first.location!);
    expect((await hop(consent.location!, first.cookie!.split(";")[0]!)).status).toBe(200);
    expect((await prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).status).toBe("active");
    expect(await scheduleDuePolls()).toBe(1);
    await waitFor(
      "linked again",
      async () => (await prisma.listing.count({ where: { channelId, matchStatus: "linked" } })) === MFN.length,
    );
  }, 60_000);

  it("Disconnect deletes the tokens, stops polling and unlinks the listings, and touches nothing else", async () => {
    const ordersBefore = await prisma.order.count({ where: { channelId } });
    const ledgerBefore = await prisma.stockLedger.count({ where: { shopId } });
    const wooLinked = await prisma.listing.count({ where: { channelId: wooChannelId, matchStatus: "linked" } });
    const record = Object.fromEntries(MFN.map((sku) => [sku, shopifyAvailable(sku)]));
    expect(ordersBefore).toBeGreaterThan(0);
    await disconnectAuthorizedChannel(shopId, channelId);
    const ch = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(ch).toMatchObject({ status: "disconnected", credentialsEnc: null });
    expect(await prisma.listing.count({ where: { channelId, matchStatus: "linked" } })).toBe(0);
    expect(await prisma.channelPollState.count({ where: { channelId } })).toBe(0);
    expect(await scheduleDuePolls()).toBe(0);
    expect((await pollChannel(shopId, channelId, { force: true })).status).toBe("skipped");
    // Nothing else: its orders and the ledger stay, the record and the WooCommerce store are untouched.
    expect(await prisma.order.count({ where: { channelId } })).toBe(ordersBefore);
    expect(await prisma.stockLedger.count({ where: { shopId } })).toBe(ledgerBefore);
    expect(Object.fromEntries(MFN.map((sku) => [sku, shopifyAvailable(sku)]))).toEqual(record);
    expect(await prisma.listing.count({ where: { channelId: wooChannelId, matchStatus: "linked" } })).toBe(wooLinked);
    expect((await prisma.channel.findUniqueOrThrow({ where: { id: wooChannelId } })).status).toBe("active");
    // A record change is no longer written to Amazon.
    const writes = amazon.requests.filter((r) => ["patchListingsItem", "createFeed"].includes(r.operation)).length;
    const item = await prisma.catalogItem.findFirstOrThrow({ where: { shopId, sku: "woo-cap" } });
    await requestPush(shopId, channelId, [item.id]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(amazon.requests.filter((r) => ["patchListingsItem", "createFeed"].includes(r.operation)).length).toBe(
      writes,
    );
  }, 30_000);
});
