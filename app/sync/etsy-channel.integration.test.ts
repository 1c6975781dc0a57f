/**
 * Etsy as a sales channel end to end (issue 16) on real PostgreSQL, the real app (production build), the real queue
 * and real HTTP to the emulated Shopify, WooCommerce and Etsy Open API v3: connected through OAuth 2.0 with PKCE
 * (the verifier kept server-side; a bad or reused state refused; a tampered challenge refused by Etsy); products
 * linked by SKU, a listing with three variations included; a receipt polled reaches the record once (duplicates, a
 * late receipt, paging across the look-back); a record change reaches Etsy as one whole-inventory write per listing
 * that never resets a sibling variation; a cancelled receipt restocks once; a listing Etsy refuses parks only its
 * SKUs with Etsy's message; no request ever exceeds the app's per-second limit; Etsy's rotated refresh token is stored
 * (encrypted) under a lock shared by every process, so the channel keeps working after the old token is spent; a
 * revoked refresh token marks the channel failing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import type { AppHandle } from "../../tests/harness/app";
import { redirectHop, waitFor, type World } from "../../tests/harness/world";
import { startOnboardedWorld, type OnboardedWorld } from "../../tests/harness/onboard";
import { startEtsyEmulator, type EtsyEmulator, type EmulatedListing } from "../../tests/emulators/etsy/index";
import { decryptJson } from "../lib/crypto.server";
import { pkceChallenge } from "../lib/pkce.server";
import { startChannelAuthorization } from "./stores/authorize.server";
import { salesChannelOf } from "./stores/stores.server";
import { pollChannel } from "./intake/poll.server";
import { requestPush } from "./stock/push.server";
import { reconcileShop } from "./reconcile/reconcile.server";
import type { EtsyCredentials } from "../channels/etsy/etsy-channel.server";

let world: World;
let app: AppHandle;
let etsy: EtsyEmulator;
let shopId: string;
let channelId: string;
let hoodie: EmulatedListing;
const SHOP = "etsy-test.myshopify.com";
const SIMPLE = ["woo-beanie", "woo-cap", "woo-belt", "woo-sunglasses"];
const VARIATIONS = ["woo-hoodie-red", "woo-hoodie-green", "woo-hoodie-blue"];

const shopifyAvailable = (sku: string) => world.shopify.control.state(SHOP).availableBySku[sku]?.[world.locationId];
const etsyQty = (sku: string) => etsy.control.quantityOf(sku);
let buffer = 2;
const derived = (sku: string) => Math.max(0, shopifyAvailable(sku)! - buffer);
const puts = (listingId: number) =>
  etsy.requests.filter((r) => r.operation === "updateListingInventory" && r.path.includes(`/${listingId}/`));

let stack: OnboardedWorld;

beforeAll(async () => {
  etsy = await startEtsyEmulator();
  for (const sku of SIMPLE) etsy.control.addListing({ products: [{ sku, quantity: 1 }] });
  hoodie = etsy.control.addListing({
    title: "Hoodie",
    property: "Color",
    products: [
      { sku: "woo-hoodie-red", quantity: 1, value: "Red" },
      { sku: "woo-hoodie-green", quantity: 2, value: "Green" },
      { sku: "woo-hoodie-blue", quantity: 3, value: "Blue" },
    ],
  });
  stack = await startOnboardedWorld({
    shop: SHOP,
    plan: "professional", // room for a second sales channel (Free allows one)
    appEnv: {
      SYNCFLOW_RETRY_LIMIT: "2",
      ETSY_KEYSTRING: etsy.keystring,
      ETSY_SHARED_SECRET: etsy.sharedSecret,
      ETSY_CONSENT_URL: `${etsy.url}/oauth/connect`,
      ETSY_API_BASE: etsy.url,
      ETSY_TOKEN_URL: `${etsy.url}/v3/public/oauth/token`,
      ETSY_RECEIPTS_PAGE_SIZE: "2",
    },
  });
  ({ world, app, shopId } = stack);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await etsy?.close();
});

const hop = redirectHop;

describe("Etsy sales channel", () => {
  it("refuses a consent whose PKCE challenge was tampered with (the server-side verifier no longer matches)", async () => {
    const start = await startChannelAuthorization(shopId, "etsy", "etsy");
    const first = await hop(start);
    const consentUrl = new URL(first.location!);
    consentUrl.searchParams.set(
      "code_challenge",
      pkceChallenge("an-attacker-chosen-verifier-of-enough-length-0123456789"),
    );
    const consent = await hop(consentUrl.toString());
    expect(consent.status).toBe(302);
    const done = await hop(consent.location!, first.cookie!.split(";")[0]!);
    expect(done.status).toBe(400);
    expect(done.body).toContain("code_verifier does not match");
    expect(await prisma.channel.count({ where: { shopId, kind: "etsy" } })).toBe(0);
  }, 30_000);

  it("connects through OAuth 2.0 with PKCE and links products by SKU, a three-variation listing included", async () => {
    const start = await startChannelAuthorization(shopId, "etsy", "etsy");
    const first = await hop(start);
    expect(first.status).toBe(302);
    const consentUrl = new URL(first.location!);
    expect(consentUrl.origin + consentUrl.pathname).toBe(`${etsy.url}/oauth/connect`);
    expect(consentUrl.searchParams.get("client_id")).toBe(etsy.keystring);
    expect(consentUrl.searchParams.get("code_challenge_method")).toBe("S256");
    // The verifier never leaves the server: it is stored encrypted with the state; the URL has only its challenge.
    const auth = await prisma.channelAuthorization.findFirstOrThrow({
      where: { shopId, kind: "etsy", usedAt: null },
      orderBy: { createdAt: "desc" },
    });
    const verifier = decryptJson<string>(auth.pkceVerifierEnc!);
    expect(consentUrl.toString()).not.toContain(verifier);
    expect(consentUrl.searchParams.get("code_challenge")).toBe(pkceChallenge(verifier));
    const cookie = first.cookie!.split(";")[0]!;
    const consent = await hop(consentUrl.toString());
    const callback = consent.location!;
    expect(callback.startsWith(`${app.url}/channels/oauth/etsy/callback`)).toBe(true);
    // A state that is not the one started here is refused (wrong browser / forged state).
    const forged = new URL(callback);
    forged.searchParams.set("state", "A".repeat(32));
    expect((await hop(forged.toString(), cookie)).status).toBe(400);
    expect((await hop(callback)).status).toBe(400); // no browser-binding cookie
    const done = await hop(callback, cookie);
    expect(done.status).toBe(200);
    expect(done.body).toContain("connected");
    expect((await hop(callback, cookie)).status).toBe(400); // the state is used once
    const channel = await prisma.channel.findFirstOrThrow({ where: { shopId, kind: "etsy" } });
    channelId = channel.id;
    expect(channel).toMatchObject({ mode: "buffered", bufferUnits: 2, status: "active" });
    expect(channel.credentialsEnc).not.toContain(`${etsy.userId}.`);
    const creds = decryptJson<EtsyCredentials>(channel.credentialsEnc!);
    expect(creds.shopId).toBe(etsy.shopId);
    await waitFor(
      "Etsy products linked",
      async () =>
        (await prisma.listing.count({ where: { channelId, matchStatus: "linked" } })) ===
        SIMPLE.length + VARIATIONS.length,
    );
    const red = await prisma.listing.findFirstOrThrow({ where: { channelId, sku: "woo-hoodie-red" } });
    expect(red).toMatchObject({
      productId: String(hoodie.listing_id),
      externalId: `${hoodie.listing_id}:woo-hoodie-red`,
    });
  }, 60_000);

  it("sets every product to the record's quantity, one whole-inventory write for the three variations", async () => {
    await waitFor(
      "initial pushes",
      () => [...SIMPLE, ...VARIATIONS].every((sku) => etsyQty(sku) === derived(sku)),
      30_000,
    );
    // The three variations went in ONE PUT of the hoodie listing (coalesced), not three.
    expect(puts(hoodie.listing_id).filter((r) => r.status === 200)).toHaveLength(1);
  }, 40_000);

  it("a receipt polled reaches the record once; re-reads are duplicates", async () => {
    const sku = "woo-beanie";
    const record = shopifyAvailable(sku)!;
    const receipt = etsy.control.placeReceipt([{ sku, quantity: 2 }]);
    await pollChannel(shopId, channelId, { force: true });
    await waitFor("record decremented", () => shopifyAvailable(sku) === record - 2);
    await pollChannel(shopId, channelId, { force: true });
    await pollChannel(shopId, channelId, { force: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect(shopifyAvailable(sku)).toBe(record - 2);
    const adjustments = await prisma.shopifyAdjustment.findMany({
      where: { shopId, sourceChannelId: channelId, item: { sku } },
    });
    expect(adjustments.map((a) => a.delta)).toEqual([-2]);
    const row = await prisma.order.findFirstOrThrow({ where: { channelId, externalId: String(receipt.receipt_id) } });
    expect(row.stockTaken).toBe(true);
  }, 40_000);

  it("a receipt indexed late is found by the next poll's overlap; many receipts page across the look-back", async () => {
    const sku = "woo-cap";
    const record = shopifyAvailable(sku)!;
    etsy.control.setIndexLagMs(1500);
    etsy.control.placeReceipt([{ sku, quantity: 1 }]);
    await pollChannel(shopId, channelId, { force: true });
    await new Promise((r) => setTimeout(r, 800));
    expect(shopifyAvailable(sku)).toBe(record); // not visible yet
    await new Promise((r) => setTimeout(r, 1000));
    etsy.control.setIndexLagMs(0);
    // Five more receipts (page size 2 here): one poll reads three pages.
    for (let i = 0; i < 5; i++) etsy.control.placeReceipt([{ sku: "woo-sunglasses", quantity: 1 }]);
    const sunglasses = shopifyAvailable("woo-sunglasses")!;
    const pagesBefore = etsy.requests.filter((r) => r.operation === "getShopReceipts").length;
    await pollChannel(shopId, channelId, { force: true });
    expect(etsy.requests.filter((r) => r.operation === "getShopReceipts").length - pagesBefore).toBeGreaterThanOrEqual(
      3,
    );
    await waitFor("late receipt taken", () => shopifyAvailable(sku) === record - 1);
    await waitFor("paged receipts taken", () => shopifyAvailable("woo-sunglasses") === sunglasses - 5);
  }, 40_000);

  it("a record change reaches Etsy without touching sibling variations (whole inventory read and written back)", async () => {
    // The seller changed green on Etsy by hand; SyncFlow's write of red must not reset it.
    const green = hoodie.inventory.products.find((p) => p.sku === "woo-hoodie-green")!;
    green.offerings[0]!.quantity = 7;
    const before = puts(hoodie.listing_id).length;
    // The merchant edits red's stock on Shopify (the record): the change is pushed to Etsy.
    world.shopify.control.setAvailable(SHOP, {
      sku: "woo-hoodie-red",
      available: shopifyAvailable("woo-hoodie-red")! + 4,
    });
    await waitFor("Etsy red written", () => etsyQty("woo-hoodie-red") === derived("woo-hoodie-red"), 20_000);
    const written = puts(hoodie.listing_id).slice(before);
    expect(written.length).toBeGreaterThan(0);
    const last = written.at(-1)!.body as { products: { sku: string; offerings: { quantity: number }[] }[] };
    expect(last.products.map((p) => p.sku)).toEqual(VARIATIONS);
    expect(etsyQty("woo-hoodie-red")).toBe(derived("woo-hoodie-red"));
    expect(etsyQty("woo-hoodie-green")).toBe(7);
    expect(etsyQty("woo-hoodie-blue")).toBe(derived("woo-hoodie-blue"));
    expect(hoodie.inventory.products.every((p) => p.offerings[0]!.readiness_state_id === 9001)).toBe(true);
  }, 40_000);

  it("a cancelled receipt restocks once", async () => {
    const sku = "woo-belt";
    const record = shopifyAvailable(sku)!;
    const receipt = etsy.control.placeReceipt([{ sku, quantity: 1 }]);
    await pollChannel(shopId, channelId, { force: true });
    await waitFor("taken", () => shopifyAvailable(sku) === record - 1);
    etsy.control.cancelReceipt(receipt.receipt_id);
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
      (await prisma.order.findFirstOrThrow({ where: { channelId, externalId: String(receipt.receipt_id) } })).status,
    ).toBe("cancelled");
  }, 40_000);

  it("reconciles Etsy on its budget's cadence: a manual run goes at once, a scheduled one within the cadence skips Etsy only", async () => {
    const runs = () => prisma.syncRun.count({ where: { channelId, kind: "reconcile" } });
    const before = await runs();
    // A manual run ("Reconcile now") reconciles Etsy at once, whatever the cadence.
    const first = await reconcileShop(shopId, { trigger: "manual" });
    expect(await runs()).toBe(before + 1);
    // The seller's edit of green on Etsy (7, the test above) is corrected to the record's quantity.
    await waitFor("Etsy edit corrected", () => etsyQty("woo-hoodie-green") === derived("woo-hoodie-green"), 20_000);
    const second = await reconcileShop(shopId, { trigger: "schedule" });
    expect(await runs()).toBe(before + 1); // within the plan's cadence (54 min for this catalog): Etsy waits
    expect(second.length).toBe(first.length - 1); // the WooCommerce store still reconciles on the shop's schedule
  }, 90_000);

  it("a listing Etsy refuses parks only its SKUs, with Etsy's message; the other listings are written", async () => {
    const message = "Listing is in an invalid state: a processing profile is required.";
    etsy.control.failListing(hoodie.listing_id, message, Infinity);
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
    await waitFor("simple listings written", () => SIMPLE.every((s) => etsyQty(s) === derived(s)), 20_000);
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
    for (const sku of VARIATIONS) {
      const l = await prisma.listing.findFirstOrThrow({ where: { channelId, sku } });
      expect(l.pushLastError).toContain(message);
    }
    for (const sku of SIMPLE)
      expect((await prisma.listing.findFirstOrThrow({ where: { channelId, sku } })).pushLastError ?? "").not.toContain(
        message,
      );
    etsy.control.clearFailures();
  }, 70_000);

  it("never exceeded the app's per-second limit and records Etsy's day budget", async () => {
    expect(etsy.control.throttled()).toBe(0);
    expect(etsy.control.peakQps()).toBeLessThanOrEqual(10);
    const state = await prisma.channelPollState.findUniqueOrThrow({ where: { channelId } });
    expect(state.throttled).toBe(0);
    expect(state.budgetLimit).toBe(10_000);
    expect(state.budgetRemaining).toBeLessThan(10_000);
    expect(10_000 - state.budgetRemaining!).toBeLessThanOrEqual(etsy.control.usedToday());
  });

  it("stores Etsy's rotated refresh token: refreshes in two processes at once rotate once, and the channel keeps working after the old token is spent", async () => {
    const stored = async () =>
      decryptJson<EtsyCredentials>(
        (await prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).credentialsEnc!,
      );
    const before = await stored();
    const r0 = etsy.control.refreshes();
    // Every access token expires: the app process and the worker (two adapters from the same row) refresh at once.
    etsy.control.expireAccessTokens();
    const [a, b] = [await salesChannelOf(shopId, channelId), await salesChannelOf(shopId, channelId)];
    await Promise.all([a.adapter.verifyConnection(), b.adapter.verifyConnection()]);
    expect(etsy.control.refreshes()).toEqual({ granted: r0.granted + 1, refused: r0.refused });
    const first = await stored();
    expect(first.refreshToken).not.toBe(before.refreshToken); // the rotated token is stored…
    const row = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(row.credentialsEnc).not.toContain(first.refreshToken); // …encrypted
    // An adapter loaded now holds the rotated token; another rotation happens through the worker's poll.
    const stale = await salesChannelOf(shopId, channelId);
    etsy.control.expireAccessTokens();
    expect((await pollChannel(shopId, channelId, { force: true })).status).not.toBe("revoked");
    const second = await stored();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    // The stale adapter's refresh token is spent at Etsy: it takes the stored one under the lock instead.
    etsy.control.expireAccessTokens();
    await stale.adapter.verifyConnection();
    expect(etsy.control.refreshes().refused).toBe(r0.refused);
    expect((await prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).status).toBe("active");
  }, 30_000);

  it("a revoked refresh token marks the channel failing with the reason", async () => {
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    etsy.control.revokeRefreshToken(decryptJson<EtsyCredentials>(channel.credentialsEnc!).refreshToken);
    const out = await pollChannel(shopId, channelId, { force: true });
    expect(out.status).toBe("revoked");
    const after = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(after.status).toBe("failing");
    expect(after.statusReason).toContain("Etsy no longer accepts SyncFlow's authorisation");
    expect(after.statusReason).toContain("connect Etsy again");
  }, 20_000);
});
