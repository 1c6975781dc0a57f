/**
 * The Etsy adapter against the emulated Open API v3 (tests/emulators/etsy), and the emulator refusing what Etsy
 * refuses: OAuth with PKCE (single-use codes, redirect_uri and verifier checked), the x-api-key on every call, the
 * whole-inventory PUT's rules, receipts paged by min_last_modified, the app's per-second and per-day limits with
 * Etsy's headers; the adapter's per-listing coalesced writes that keep sibling variations, its pacing (never a 429),
 * receipts as orders (cancellation releases), and the request budget formula.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEtsyEmulator, type EtsyEmulator } from "../../../tests/emulators/etsy/index";
import { EtsyChannel, inventoryForPut, receiptToSalesOrder, type EtsyCredentials } from "./etsy-channel.server";
import { exchangeCode, refreshEtsyTokens } from "./oauth";
import { etsyBudgetPlan } from "./budget";
import { etsyAuthorization } from "./authorize";
import { ChannelError, type ChannelListing } from "../channel";
import { salesChannelKind } from "../registry.server";
import { pkceChallenge, pkceVerifier } from "../../lib/pkce.server";

const etsyAccessToken = async (tokenUrl: string, keystring: string, refreshToken: string) =>
  (await refreshEtsyTokens(tokenUrl, keystring, refreshToken)).accessToken;

let emu: EtsyEmulator;
const credsOn = (e: EtsyEmulator): EtsyCredentials => ({
  refreshToken: e.control.issueRefreshToken(),
  userId: e.userId,
  shopId: e.shopId,
  shopName: "SyncFlowTestShop",
  currency: "USD",
  apiBase: e.url,
  tokenUrl: `${e.url}/v3/public/oauth/token`,
});
const channelOn = (e: EtsyEmulator, extra: { qps?: number; receiptsPageSize?: number } = {}) =>
  new EtsyChannel(credsOn(e), { keystring: e.keystring, sharedSecret: e.sharedSecret, ...extra });

beforeAll(async () => {
  // Pacing is tested on an emulator of its own; here the direct calls of the contract tests must not throttle the adapter.
  emu = await startEtsyEmulator({ qps: 1000 });
  emu.control.addListing({ products: [{ sku: "MUG", quantity: 5 }] });
  emu.control.addListing({
    title: "Tee",
    property: "Size",
    products: [
      { sku: "TEE-S", quantity: 1, value: "S" },
      { sku: "TEE-M", quantity: 2, value: "M" },
      { sku: "TEE-L", quantity: 3, value: "L" },
    ],
  });
});
afterAll(() => emu?.close());

const api = (path: string, init: RequestInit & { token?: string; key?: string } = {}) =>
  fetch(`${emu.url}${path}`, {
    ...init,
    headers: {
      "x-api-key": init.key ?? `${emu.keystring}:${emu.sharedSecret}`,
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body ? { "content-type": "application/json" } : {}),
    },
  });

describe("Etsy emulator (held to Etsy's contract)", () => {
  it("authorises with PKCE: S256 required, code single use, redirect_uri and verifier checked", async () => {
    const verifier = pkceVerifier();
    const redirect = "https://app.example/cb";
    const consent = (challenge: string | null) => {
      const u = new URL(`${emu.url}/oauth/connect`);
      u.searchParams.set("response_type", "code");
      u.searchParams.set("client_id", emu.keystring);
      u.searchParams.set("redirect_uri", redirect);
      u.searchParams.set("scope", "listings_r listings_w transactions_r");
      u.searchParams.set("state", "st");
      if (challenge) {
        u.searchParams.set("code_challenge", challenge);
        u.searchParams.set("code_challenge_method", "S256");
      }
      return fetch(u, { redirect: "manual" });
    };
    expect((await consent(null)).status).toBe(400);
    const ok = await consent(pkceChallenge(verifier));
    expect(ok.status).toBe(302);
    const code = new URL(ok.headers.get("location")!).searchParams.get("code")!;
    const tokenUrl = `${emu.url}/v3/public/oauth/token`;
    // A wrong redirect_uri burns the code (single use): the right one afterwards is refused too.
    await expect(
      exchangeCode(tokenUrl, { keystring: emu.keystring, code, redirectUri: "https://evil.example/cb", verifier }),
    ).rejects.toMatchObject({ code: "AUTH" });
    await expect(
      exchangeCode(tokenUrl, { keystring: emu.keystring, code, redirectUri: redirect, verifier }),
    ).rejects.toThrow(/already used/);
    const again = await consent(pkceChallenge(verifier));
    const code2 = new URL(again.headers.get("location")!).searchParams.get("code")!;
    await expect(
      exchangeCode(tokenUrl, {
        keystring: emu.keystring,
        code: code2,
        redirectUri: redirect,
        verifier: pkceVerifier(),
      }),
    ).rejects.toThrow(/code_verifier does not match/);
    const third = await consent(pkceChallenge(verifier));
    const code3 = new URL(third.headers.get("location")!).searchParams.get("code")!;
    const tokens = await exchangeCode(tokenUrl, {
      keystring: emu.keystring,
      code: code3,
      redirectUri: redirect,
      verifier,
    });
    expect(tokens.accessToken.startsWith(`${emu.userId}.`)).toBe(true);
    expect(tokens.expiresInMs).toBe(3_600_000);
    // The refresh grant gives a new access token for the refresh token.
    expect(await etsyAccessToken(tokenUrl, emu.keystring, tokens.refreshToken)).toMatch(
      new RegExp(`^${emu.userId}\\.`),
    );
  });

  it("needs x-api-key keystring:shared secret and a bearer token on every call", async () => {
    const token = await etsyAccessToken(
      `${emu.url}/v3/public/oauth/token`,
      emu.keystring,
      emu.control.issueRefreshToken(),
    );
    expect((await api("/v3/application/users/me", { token, key: emu.keystring })).status).toBe(403);
    expect((await api("/v3/application/users/me", {})).status).toBe(401);
    const me = await api("/v3/application/users/me", { token });
    expect(me.status).toBe(200);
    expect(me.headers.get("x-limit-per-day")).toBe("10000");
    expect(Number(me.headers.get("x-remaining-today"))).toBeLessThan(10_000);
  });

  it("refuses a PUT that is not a whole, valid inventory", async () => {
    const token = await etsyAccessToken(
      `${emu.url}/v3/public/oauth/token`,
      emu.keystring,
      emu.control.issueRefreshToken(),
    );
    const tee = [...emu.listings.values()].find((l) => l.title === "Tee")!;
    const path = `/v3/application/listings/${tee.listing_id}/inventory`;
    const inv = (await (await api(path, { token })).json()) as Parameters<typeof inventoryForPut>[0];
    const put = async (body: unknown) => {
      const res = await api(path, { method: "PUT", token, body: JSON.stringify(body) });
      return { status: res.status, error: ((await res.json()) as { error?: string }).error ?? "" };
    };
    expect((await put({ products: [] })).error).toMatch(/at least one product/);
    expect((await put(inv)).error).toMatch(/product_id|Unrecognized/); // read-only fields as GET answers them
    const good = inventoryForPut(inv, new Map());
    const bad = (mutate: (b: typeof good) => void) => {
      const b = structuredClone(good);
      mutate(b);
      return put(b);
    };
    expect((await bad((b) => (b.products[0]!.offerings[0]!.quantity = 1000))).error).toMatch(/between 0 and 999/);
    expect((await bad((b) => delete (b.products[0]!.offerings[0] as { price?: number }).price)).status).toBe(400);
    expect((await bad((b) => (b.quantity_on_property = []))).error).toMatch(/quantity_on_property/);
    expect((await bad((b) => (b.products[0]!.offerings[0]!.readiness_state_id = null))).error).toMatch(
      /readiness_state_id/,
    );
    expect(await put(good)).toMatchObject({ status: 200 });
  });

  it("pages receipts by min_last_modified and counts the app's limits (429 with retry-after)", async () => {
    const e = await startEtsyEmulator({ qps: 3, qpd: 5 });
    try {
      e.control.addListing({ products: [{ sku: "A", quantity: 9 }] });
      for (let i = 0; i < 3; i++) e.control.placeReceipt([{ sku: "A", quantity: 1 }]);
      const token = await etsyAccessToken(`${e.url}/v3/public/oauth/token`, e.keystring, e.control.issueRefreshToken());
      const get = (q: string) =>
        fetch(`${e.url}/v3/application/shops/${e.shopId}/receipts?${q}`, {
          headers: { "x-api-key": `${e.keystring}:${e.sharedSecret}`, authorization: `Bearer ${token}` },
        });
      const since = Math.floor(Date.now() / 1000) - 60;
      const page = (await (await get(`min_last_modified=${since}&limit=2&sort_on=updated&sort_order=asc`)).json()) as {
        count: number;
        results: { transactions: { sku: string; quantity: number; listing_id: number; product_id: number }[] }[];
      };
      expect(page.count).toBe(3);
      expect(page.results).toHaveLength(2);
      expect(page.results[0]!.transactions[0]).toMatchObject({ sku: "A", quantity: 1 });
      expect((await get("limit=101")).status).toBe(400);
      expect((await get("limit=1")).status).toBe(200); // the third of this second
      const fourth = await get("limit=1");
      expect(fourth.status).toBe(429); // over 3 a second
      expect(fourth.headers.get("retry-after")).toBe("1");
      await new Promise((r) => setTimeout(r, 1100));
      expect((await get("limit=1")).status).toBe(200);
      expect((await get("limit=1")).status).toBe(200); // the fifth of a 5-per-day app
      const day = await get("limit=1"); // the sixth of the day
      expect(day.status).toBe(429);
      expect(Number(day.headers.get("retry-after"))).toBeGreaterThan(80_000);
      expect(day.headers.get("x-remaining-today")).toBe("0");
    } finally {
      await e.close();
    }
  });
});

describe("Etsy adapter", () => {
  it("lists one linked listing per product, variations under their listing", async () => {
    const all: ChannelListing[] = [];
    for await (const p of channelOn(emu).listListings()) all.push(...p);
    const tee = all.filter((l) => l.sku?.startsWith("TEE-"));
    expect(tee.map((l) => l.sku)).toEqual(["TEE-S", "TEE-M", "TEE-L"]);
    expect(new Set(tee.map((l) => l.productId)).size).toBe(1);
    expect(tee[0]!.externalId).toBe(`${tee[0]!.productId}:TEE-S`);
  });

  it("writes several products of one listing in ONE PUT and never resets a sibling", async () => {
    const ch = channelOn(emu);
    const tee = [...emu.listings.values()].find((l) => l.title === "Tee")!;
    tee.inventory.products.find((p) => p.sku === "TEE-L")!.offerings[0]!.quantity = 42; // the seller's own edit
    const puts = () => emu.requests.filter((r) => r.operation === "updateListingInventory").length;
    const before = puts();
    const key = (sku: string) => `${tee.listing_id}:${sku}`;
    const mug = [...emu.listings.values()].find((l) => l.inventory.products[0]!.sku === "MUG")!;
    const res = await ch.writeQuantities([
      { op: "set", listingId: key("TEE-S"), quantity: 8 },
      { op: "set", listingId: key("TEE-M"), quantity: 0 },
      { op: "set", listingId: `${mug.listing_id}:MUG`, quantity: 1500 },
      { op: "set", listingId: key("TEE-XL"), quantity: 1 },
    ]);
    expect(puts() - before).toBe(2); // one per listing
    expect(res.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(res[3]!.ok ? null : res[3]!.error.code).toBe("NOT_FOUND");
    expect(emu.control.quantityOf("TEE-S")).toBe(8);
    expect(emu.control.quantityOf("TEE-M")).toBe(0);
    expect(emu.control.quantityOf("TEE-L")).toBe(42);
    expect(emu.control.quantityOf("MUG")).toBe(999); // Etsy's most per offering
  });

  it("a refused listing fails only its own operations, with Etsy's message", async () => {
    const ch = channelOn(emu);
    const tee = [...emu.listings.values()].find((l) => l.title === "Tee")!;
    const mug = [...emu.listings.values()].find((l) => l.inventory.products[0]!.sku === "MUG")!;
    emu.control.failListing(tee.listing_id, "This listing is under review.");
    const res = await ch.writeQuantities([
      { op: "set", listingId: `${tee.listing_id}:TEE-S`, quantity: 2 },
      { op: "set", listingId: `${mug.listing_id}:MUG`, quantity: 4 },
    ]);
    expect(res[0]).toMatchObject({ ok: false });
    expect(!res[0]!.ok && res[0]!.error.code).toBe("BAD_REQUEST");
    expect(!res[0]!.ok && res[0]!.error.message).toContain("This listing is under review.");
    expect(res[1]).toMatchObject({ ok: true, after: 4 });
    await expect(ch.writeQuantity({ op: "delta", listingId: "x:y", delta: 1, idempotencyKey: "k" })).rejects.toThrow(
      ChannelError,
    );
  });

  it("paces itself under the app's per-second limit: 30 calls at once, no 429", async () => {
    const e = await startEtsyEmulator({ qps: 10 });
    try {
      const l = e.control.addListing({ products: [{ sku: "P", quantity: 3 }] });
      const ch = channelOn(e, { qps: 8 });
      await Promise.all(Array.from({ length: 30 }, () => ch.readQuantity(`${l.listing_id}:P`)));
      expect(e.control.throttled()).toBe(0);
      // Spaced 125 ms apart (8/s): a one-second window Etsy counts holds 8, 9 with arrival jitter — never over 10.
      expect(e.control.peakQps()).toBeLessThanOrEqual(10);
    } finally {
      await e.close();
    }
  }, 20_000);

  it("polls receipts with paging and an overlap; a cancelled receipt releases its units", async () => {
    const e = await startEtsyEmulator();
    try {
      e.control.addListing({ products: [{ sku: "R", quantity: 20 }] });
      const ch = channelOn(e, { receiptsPageSize: 2 });
      const first = await ch.pollReceipts(null);
      expect(first.receipts).toHaveLength(0);
      const rs = [1, 2, 3].map(() => e.control.placeReceipt([{ sku: "R", quantity: 2 }]));
      const second = await ch.pollReceipts(first.cursor);
      expect(second.receipts.map((r) => r.receipt_id)).toEqual(rs.map((r) => r.receipt_id));
      e.control.cancelReceipt(rs[0]!.receipt_id);
      const third = await ch.pollReceipts(second.cursor);
      const cancelled = third.receipts.find((r) => r.receipt_id === rs[0]!.receipt_id)!;
      const order = receiptToSalesOrder(cancelled, "USD");
      expect(order).toMatchObject({ status: "cancelled", statusEffect: "release" });
      expect(order.lines[0]).toMatchObject({ sku: "R", quantity: 2, stockTaken: 0 });
      const paid = receiptToSalesOrder(
        third.receipts.find((r) => r.receipt_id === rs[1]!.receipt_id)!,
        "USD",
      );
      expect(paid).toMatchObject({ status: "paid", statusEffect: "take", paid: true });
      expect(paid.lines[0]!.variantId).toMatch(/:R$/);
    } finally {
      await e.close();
    }
  });

  it("a refresh rotates the refresh token: the old one is refused, the adapter refreshes with the new one", async () => {
    const e = await startEtsyEmulator();
    try {
      const tokenUrl = `${e.url}/v3/public/oauth/token`;
      const r0 = e.control.issueRefreshToken();
      const t1 = await refreshEtsyTokens(tokenUrl, e.keystring, r0);
      expect(t1.refreshToken).not.toBe(r0);
      await expect(refreshEtsyTokens(tokenUrl, e.keystring, r0)).rejects.toMatchObject({
        code: "AUTH",
        opts: { revoked: true },
      });
      // The adapter keeps the rotated token across access-token expiries (no credential store: in memory).
      const ch = new EtsyChannel(
        { ...credsOn(e), refreshToken: t1.refreshToken },
        {
          keystring: e.keystring,
          sharedSecret: e.sharedSecret,
        },
      );
      for (let i = 0; i < 3; i++) {
        await ch.verifyConnection();
        e.control.expireAccessTokens();
      }
      expect(e.control.refreshes()).toEqual({ granted: 4, refused: 1 });
    } finally {
      await e.close();
    }
  });

  it("a refresh token expires after its lifetime (Etsy: 90 days)", async () => {
    const e = await startEtsyEmulator({ refreshTokenTtlS: 1 });
    try {
      const r0 = e.control.issueRefreshToken();
      await new Promise((r) => setTimeout(r, 1100));
      await expect(refreshEtsyTokens(`${e.url}/v3/public/oauth/token`, e.keystring, r0)).rejects.toMatchObject({
        code: "AUTH",
        opts: { revoked: true },
      });
    } finally {
      await e.close();
    }
  });

  it("a revoked refresh token is AUTH (not retryable)", async () => {
    const e = await startEtsyEmulator();
    try {
      const creds = credsOn(e);
      e.control.revokeRefreshToken(creds.refreshToken);
      const ch = new EtsyChannel(creds, { keystring: e.keystring, sharedSecret: e.sharedSecret });
      await expect(ch.verifyConnection()).rejects.toMatchObject({ code: "AUTH", opts: { retryable: false } });
    } finally {
      await e.close();
    }
  });
});

describe("Etsy registration and budget", () => {
  it("is registered set-only, polled, with its authorisation flow (PKCE) and a budget plan", () => {
    const def = salesChannelKind("etsy")!;
    expect(def.declared).toMatchObject({ writeModel: "set-only", events: "polling" });
    expect(def.authorization?.pkce).toBe(true);
    expect(def.budgetPlan).toBeTypeOf("function");
  });

  it("the consent URL carries the S256 challenge, never the verifier", () => {
    const flow = etsyAuthorization(() => ({ keystring: "ks", sharedSecret: "ss" }));
    const v = pkceVerifier();
    const url = new URL(
      flow.consentUrl({ state: "s", redirectUri: "https://a/cb", market: "etsy", codeChallenge: pkceChallenge(v) }),
    );
    expect(url.searchParams.get("code_challenge")).toBe(createHash("sha256").update(v).digest("base64url"));
    expect(url.toString()).not.toContain(v);
  });

  it("derives cadences from the shared daily budget, the shops and the catalog", () => {
    const one = etsyBudgetPlan({ perDay: 10_000, shops: 1, listings: 10_000 });
    expect(one.pollIntervalMs).toBe(60_000); // the floor: one shop has room
    expect(one.reconcileCallsPerRun).toBe(101);
    expect(one.reconcileIntervalMs).toBe(54 * 60_000);
    const fifty = etsyBudgetPlan({ perDay: 10_000, shops: 50, listings: 10_000 });
    expect(fifty.sharePerDay).toBe(180);
    expect(fifty.pollIntervalMs).toBe(1_600_000); // 86,400 s / 54 polls
    expect(fifty.reconcileIntervalMs).toBeGreaterThan(24 * 3_600_000);
    // Every plan spends at most the day's share.
    for (const p of [one, fifty])
      expect(
        p.pollCallsPerDay + p.writeCallsPerDay + (86_400_000 / p.reconcileIntervalMs) * p.reconcileCallsPerRun,
      ).toBeLessThanOrEqual(p.sharePerDay);
  });
});
