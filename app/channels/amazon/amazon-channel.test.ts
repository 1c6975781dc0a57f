/**
 * The Amazon adapter against the emulated Selling Partner API (tests/emulators/amazon): listings linked by SKU (MFN,
 * FBA, variations), set-only writes by patch and by feed with per-SKU failures, orders polled with their items, the
 * usage plans never exceeded, and the emulator refusing what the real API refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAmazonEmulator, type AmazonEmulator } from "../../../tests/emulators/amazon/index";
import {
  AmazonChannel,
  parseAmazonDelivery,
  AMAZON_ORDER_TOPIC,
  type AmazonCredentials,
} from "./amazon-channel.server";
import { exchangeAuthorizationCode } from "./lwa";
import { ChannelError } from "../channel";
import { salesChannelFor, salesChannelKind } from "../registry.server";

let emu: AmazonEmulator;
let creds: AmazonCredentials;
const app = () => ({
  clientId: emu.clientId,
  clientSecret: emu.clientSecret,
  feedMinOps: 3,
  feedPollMs: 50,
  feedTimeoutMs: 20_000,
});

beforeAll(async () => {
  emu = await startAmazonEmulator({ sellerId: "A1ADAPTERTEST", feedProcessingMs: 300 });
  emu.control.addListing({ sku: "MUG-1", quantity: 5, title: "Mug" });
  emu.control.addListing({ sku: "MUG-2", quantity: 5 });
  emu.control.addListing({ sku: "MUG-3", quantity: 5 });
  emu.control.addListing({ sku: "FBA-1", quantity: 40, fulfillment: "AFN" });
  emu.control.addListing({ sku: "SHIRT", isParent: true, productType: "SHIRT" });
  emu.control.addListing({ sku: "SHIRT-S", parentSku: "SHIRT", quantity: 3, productType: "SHIRT" });
  creds = {
    refreshToken: emu.control.issueRefreshToken(),
    sellingPartnerId: emu.sellerId,
    marketplaceId: emu.marketplaceId,
    endpoint: emu.url,
    lwaTokenUrl: `${emu.url}/auth/o2/token`,
  };
});
afterAll(() => emu?.close());

/** An adapter on another emulator (its own seller, so its usage plans are its own). */
function channelOn(e: AmazonEmulator): AmazonChannel {
  return new AmazonChannel(
    {
      refreshToken: e.control.issueRefreshToken(),
      sellingPartnerId: e.sellerId,
      marketplaceId: e.marketplaceId,
      endpoint: e.url,
      lwaTokenUrl: `${e.url}/auth/o2/token`,
    },
    { clientId: e.clientId, clientSecret: e.clientSecret },
  );
}

describe("Amazon adapter", () => {
  it("registers with set-only writes, polling and the getOrders cadence", () => {
    const kind = salesChannelKind("amazon")!;
    expect(kind.declared.writeModel).toBe("set-only");
    expect(kind.declared.events).toBe("polling");
    expect(kind.declared.pollIntervalMs).toBe(60_000);
    expect(salesChannelFor("amazon", { baseUrl: "x", credentials: creds })).toBeInstanceOf(AmazonChannel);
  });

  it("lists MFN, FBA and variation listings by seller SKU; FBA and parents hold no stock SyncFlow writes", async () => {
    const ch = new AmazonChannel(creds, app());
    const all = [];
    for await (const page of ch.listListings()) all.push(...page);
    const by = Object.fromEntries(all.map((l) => [l.externalId, l]));
    expect(by["MUG-1"]).toMatchObject({ sku: "MUG-1", manageStock: true, quantity: 5, productType: "simple" });
    expect(by["FBA-1"]).toMatchObject({ manageStock: false, quantity: 40, productType: "fba" });
    expect(by["SHIRT"]).toMatchObject({ manageStock: false, productType: "variable" });
    expect(by["SHIRT-S"]).toMatchObject({ productId: "SHIRT", variantId: "SHIRT-S", manageStock: true, quantity: 3 });
    expect(await ch.verifyConnection()).toMatchObject({ currency: "USD" });
  });

  it("writes one quantity with patchListingsItem; an FBA SKU is refused with Amazon's message", async () => {
    const ch = new AmazonChannel(creds, app());
    expect(await ch.writeQuantity({ op: "set", listingId: "MUG-1", quantity: 9 })).toEqual({ before: null, after: 9 });
    expect(emu.listings.get("MUG-1")!.quantity).toBe(9);
    const err = await ch.writeQuantity({ op: "set", listingId: "FBA-1", quantity: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/fulfilled by Amazon/);
    expect(emu.listings.get("FBA-1")!.quantity).toBe(40);
    // A delta (an allocation step, decision 300) is a fresh getListingsItem read, then a patch computed from it.
    emu.listings.get("MUG-1")!.quantity = 7; // as a buyer's order SyncFlow has not polled leaves it: 9 → 7
    const delta = await ch.writeQuantities([
      { op: "delta", listingId: "MUG-1", delta: 1, idempotencyKey: "k-topup", atMost: 9 },
    ]);
    expect(delta[0]).toEqual({ ok: true, before: 7, after: 8 });
    expect(emu.listings.get("MUG-1")!.quantity).toBe(8);
    // Resent with the same key (its answer lost): the first result again, nothing added twice.
    expect(await ch.writeQuantity({ op: "delta", listingId: "MUG-1", delta: 1, idempotencyKey: "k-topup" })).toEqual({
      before: 7,
      after: 8,
    });
    expect(emu.listings.get("MUG-1")!.quantity).toBe(8);
    // A take-back of more than the listing shows is refused STALE with what it shows (nothing written).
    const stale = await ch
      .writeQuantity({ op: "cas", listingId: "MUG-1", expected: 9, quantity: 0, idempotencyKey: "k-take" })
      .catch((e) => e);
    expect(stale).toMatchObject({ code: "STALE" });
    expect(emu.listings.get("MUG-1")!.quantity).toBe(8);
  });

  it("writes many quantities in one listings feed; a per-SKU issue fails only that SKU, with Amazon's message", async () => {
    const ch = new AmazonChannel(creds, app());
    emu.control.failSku("MUG-3", "The listing is suppressed: missing main image.", { code: "8541" });
    const feedsBefore = emu.requests.filter((r) => r.operation === "createFeed").length;
    const res = await ch.writeQuantities([
      { op: "set", listingId: "MUG-1", quantity: 7 },
      { op: "set", listingId: "MUG-2", quantity: 6 },
      { op: "set", listingId: "MUG-3", quantity: 4 },
      { op: "set", listingId: "NOPE", quantity: 1 },
    ]);
    expect(emu.requests.filter((r) => r.operation === "createFeed").length).toBe(feedsBefore + 1);
    expect(res[0]).toEqual({ ok: true, before: null, after: 7 });
    expect(res[1]).toEqual({ ok: true, before: null, after: 6 });
    expect(res[2]).toMatchObject({ ok: false });
    expect((res[2] as { error: ChannelError }).error.message).toContain(
      "8541: The listing is suppressed: missing main image.",
    );
    expect((res[3] as { error: ChannelError }).error.message).toMatch(/NOPE.*does not exist/);
    expect(emu.listings.get("MUG-1")!.quantity).toBe(7);
    expect(emu.listings.get("MUG-3")!.quantity).toBe(5);
  });

  it("polls orders with their items: Pending takes, Canceled releases, FBA takes nothing; paged with NextToken", async () => {
    const ch = new AmazonChannel(creds, app());
    const first = await ch.pollOrders(null);
    expect(first.orders).toEqual([]);
    const pending = emu.control.placeOrder({ lines: [{ sku: "MUG-2", quantity: 2 }] });
    const fba = emu.control.placeOrder({
      lines: [{ sku: "FBA-1", quantity: 1 }],
      fulfillment: "AFN",
      status: "Unshipped",
    });
    const second = await ch.pollEvents(first.cursor);
    const orders = second.events.map((e) => (e as { order: import("../events").SalesOrder }).order);
    const p = orders.find((o) => o.orderId === pending.AmazonOrderId)!;
    expect(p).toMatchObject({ status: "pending", statusEffect: "take", total: "0.00", paid: false });
    expect(p.lines).toEqual([expect.objectContaining({ sku: "MUG-2", quantity: 2, stockTaken: 2 })]);
    expect(orders.find((o) => o.orderId === fba.AmazonOrderId)!.lines[0]!.stockTaken).toBe(0);
    emu.control.setOrderStatus(pending.AmazonOrderId, "Canceled");
    const third = await ch.pollOrders(second.cursor);
    const c = third.orders.find((o) => o.order.AmazonOrderId === pending.AmazonOrderId)!;
    const [ev] = parseAmazonDelivery({ topic: AMAZON_ORDER_TOPIC, body: JSON.parse(JSON.stringify(c)) });
    expect(ev).toMatchObject({ type: "order.changed", order: { status: "cancelled", statusEffect: "release" } });
    expect((ev as { order: import("../events").SalesOrder }).order.lines[0]!.stockTaken).toBe(0);
    expect(emu.control.throttled().getOrders ?? 0).toBe(0);
  });

  it("pages getOrders with NextToken inside the usage plan", async () => {
    const e2 = await startAmazonEmulator({ sellerId: "A1PAGING", maxOrdersPerPage: 2 });
    try {
      e2.control.addListing({ sku: "P", quantity: 100 });
      for (let i = 0; i < 7; i++) e2.control.placeOrder({ lines: [{ sku: "P", quantity: 1 }] });
      const ch = channelOn(e2);
      const res = await ch.pollOrders(null);
      expect(res.complete).toBe(true);
      expect(new Set(res.orders.map((o) => o.order.AmazonOrderId)).size).toBe(7);
      expect(e2.requests.filter((r) => r.operation === "getOrders").length).toBe(4);
      expect(e2.control.throttled().getOrders ?? 0).toBe(0);
    } finally {
      await e2.close();
    }
  });

  it("a late order (Amazon's index lags) is found by the next poll's overlap, once", async () => {
    const e4 = await startAmazonEmulator({ sellerId: "A1LATE", indexLagMs: 400 });
    try {
      e4.control.addListing({ sku: "L", quantity: 10 });
      const ch = channelOn(e4);
      const o = e4.control.placeOrder({ lines: [{ sku: "L", quantity: 1 }] });
      const first = await ch.pollOrders(null);
      expect(first.orders).toEqual([]); // not in the index yet
      await new Promise((r) => setTimeout(r, 450));
      const second = await ch.pollOrders(first.cursor);
      expect(second.orders.map((x) => x.order.AmazonOrderId)).toEqual([o.AmazonOrderId]);
      // Re-read by the overlap on the next poll: the same order update (the poll job stores it once, by dedupe key).
      const third = await ch.pollOrders(second.cursor);
      expect(third.orders.map((x) => x.order.LastUpdateDate)).toEqual([o.LastUpdateDate]);
    } finally {
      await e4.close();
    }
  });
});

describe("Amazon emulator holds the published contract", () => {
  const token = async () =>
    (
      (await (
        await fetch(`${emu.url}/auth/o2/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "refresh_token",
            refresh_token: creds.refreshToken,
            client_id: emu.clientId,
            client_secret: emu.clientSecret,
          }),
        })
      ).json()) as { access_token: string }
    ).access_token;

  it("LWA: checks client credentials, exchanges a consent code once, for the redirect URI it was issued to", async () => {
    const lwa = { tokenUrl: `${emu.url}/auth/o2/token`, clientId: emu.clientId, clientSecret: emu.clientSecret };
    const bad = await exchangeAuthorizationCode({ ...lwa, clientSecret: "wrong" }, "x", "https://a/cb").catch((e) => e);
    expect(bad.code).toBe("AUTH");
    const consent = await fetch(
      `${emu.url}/apps/authorize/consent?application_id=${emu.applicationId}&state=s1&redirect_uri=${encodeURIComponent("https://app.example/amazon/callback")}&version=beta`,
      { redirect: "manual" },
    );
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get("location")!);
    expect(back.searchParams.get("state")).toBe("s1");
    expect(back.searchParams.get("selling_partner_id")).toBe(emu.sellerId);
    const code = back.searchParams.get("spapi_oauth_code")!;
    const wrongUri = await exchangeAuthorizationCode(lwa, code, "https://evil.example/cb").catch((e) => e);
    expect(wrongUri.message).toMatch(/invalid_grant/);
    const tokens = await exchangeAuthorizationCode(lwa, code, "https://app.example/amazon/callback");
    expect(tokens.refreshToken).toMatch(/^Atzr\|/);
    const again = await exchangeAuthorizationCode(lwa, code, "https://app.example/amazon/callback").catch((e) => e);
    expect(again.code).toBe("AUTH");
  });

  it("rejects what the real API rejects: no token, bad getOrders parameters, bad patch bodies", async () => {
    expect(
      (
        await fetch(
          `${emu.url}/orders/v0/orders?MarketplaceIds=${emu.marketplaceId}&LastUpdatedAfter=2026-01-01T00:00:00Z`,
        )
      ).status,
    ).toBe(403);
    const t = await token();
    const get = (q: string) => fetch(`${emu.url}/orders/v0/orders?${q}`, { headers: { "x-amz-access-token": t } });
    const noDate = await get(`MarketplaceIds=${emu.marketplaceId}`);
    expect(noDate.status).toBe(400);
    expect(((await noDate.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("InvalidInput");
    expect((await get(`LastUpdatedAfter=2026-01-01T00:00:00Z`)).status).toBe(400);
    expect(
      (
        await get(
          `MarketplaceIds=${emu.marketplaceId}&LastUpdatedAfter=2026-01-01T00:00:00Z&CreatedAfter=2026-01-01T00:00:00Z`,
        )
      ).status,
    ).toBe(400);
    expect((await get(`MarketplaceIds=${emu.marketplaceId}&LastUpdatedAfter=yesterday`)).status).toBe(400);
    const ok = await get(`MarketplaceIds=${emu.marketplaceId}&LastUpdatedAfter=2026-01-01T00:00:00Z`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-amzn-ratelimit-limit")).toBe("0.0167");
    const patch = await fetch(
      `${emu.url}/listings/2021-08-01/items/${emu.sellerId}/MUG-1?marketplaceIds=${emu.marketplaceId}`,
      {
        method: "PATCH",
        headers: { "x-amz-access-token": t, "content-type": "application/json" },
        body: JSON.stringify({ productType: "PRODUCT", patches: [] }),
      },
    );
    expect(patch.status).toBe(400);
  });

  it("answers 429 QuotaExceeded with x-amzn-RateLimit-Limit once an operation's burst is spent", async () => {
    const e3 = await startAmazonEmulator({ sellerId: "A1BURST" });
    try {
      const rt = e3.control.issueRefreshToken();
      const tok = (
        (await (
          await fetch(`${e3.url}/auth/o2/token`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              grant_type: "refresh_token",
              refresh_token: rt,
              client_id: e3.clientId,
              client_secret: e3.clientSecret,
            }),
          })
        ).json()) as { access_token: string }
      ).access_token;
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++)
        statuses.push(
          (
            await fetch(
              `${e3.url}/orders/v0/orders?MarketplaceIds=${e3.marketplaceId}&LastUpdatedAfter=2026-01-01T00:00:00Z`,
              { headers: { "x-amz-access-token": tok } },
            )
          ).status,
        );
      expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
      expect(statuses[20]).toBe(429);
      expect(e3.control.throttled().getOrders).toBe(1);
    } finally {
      await e3.close();
    }
  });
});
