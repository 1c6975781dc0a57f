/**
 * Emulated Etsy Open API v3 for one application (keystring + shared secret) and one seller's shop: an in-process
 * `node:http` server held to the published contracts (./contract.ts, docs/decisions/270). It serves
 *  - OAuth 2.0 with PKCE: the consent page `GET /oauth/connect` (response_type=code, client_id = keystring, a
 *    registered redirect_uri, scope, state, code_challenge + code_challenge_method=S256; the seller approves: 302 to
 *    the redirect URI with `code` and `state`) and the token endpoint `POST /v3/public/oauth/token`
 *    (authorization_code: client_id, redirect_uri equal to the consent's, a single-use code of 5 minutes, a
 *    code_verifier whose S256 is the challenge; refresh_token: client_id + a live refresh token). Access tokens last
 *    `accessTokenTtlS` (3,600 s) and start with the user id (`<user_id>.<random>`), as Etsy's do; refresh tokens last
 *    `refreshTokenTtlS` (90 days) and ROTATE: every refresh answers a new refresh token and the one sent is refused
 *    from then on (invalid_grant) — Etsy "Authentication" essentials (a refresh returns a new token pair) and the
 *    rotation as Etsy clients observe it (docs/decisions/305); access tokens already issued stay valid until they
 *    expire; revoking the seller's grant ends every token of it;
 *  - getMe, getShop, getListingsByShop (state, limit 1–100, offset, `includes=Inventory`), getListingInventory and
 *    updateListingInventory — the PUT replaces the WHOLE inventory and is validated as Etsy validates it (read-only
 *    fields such as `product_id`, `offering_id`, `is_deleted`, `scale_name` or a Money price are refused; products
 *    of different quantities / prices / SKUs need the property in `quantity_on_property` / `price_on_property` /
 *    `sku_on_property`; a kept offering's `readiness_state_id` must be sent back);
 *  - getShopReceipts (min_created / min_last_modified in epoch seconds, sort_on/sort_order, limit 1–100 + offset),
 *    each receipt with its transactions (listing_id, product_id, sku, quantity). A paid receipt takes its units off
 *    the products at once (Etsy decrements at purchase); "Canceled" gives them back once.
 * Every `/v3/application` request needs `x-api-key: <keystring>:<shared secret>` (403 otherwise) and a bearer token
 * of this app (401 `invalid_token`); the app's limits are a sliding one-second window (`qps`) and a 24-hour count
 * (`qpd`) shared by every shop of the application: over either the answer is 429 with `retry-after` (seconds); every
 * answer carries `x-limit-per-second`, `x-remaining-this-second`, `x-limit-per-day`, `x-remaining-today`.
 * Errors are `{ "error": "<message>" }` as Etsy answers. Quantities in units; times in ms unless named seconds.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createHash, randomBytes } from "node:crypto";
import {
  DEFAULT_QPD,
  DEFAULT_QPS,
  GetListingsByShopQuery,
  GetShopReceiptsQuery,
  SCOPES,
  UpdateListingInventoryPayload,
} from "./contract.js";

export { DEFAULT_QPD, DEFAULT_QPS } from "./contract.js";

export interface EmulatedPropertyValue {
  property_id: number;
  property_name: string;
  scale_id: number | null;
  scale_name: string | null;
  value_ids: number[];
  values: string[];
}
export interface EmulatedOffering {
  offering_id: number;
  quantity: number;
  is_enabled: boolean;
  is_deleted: boolean;
  price: { amount: number; divisor: number; currency_code: string };
  readiness_state_id: number | null;
}
export interface EmulatedProduct {
  product_id: number;
  sku: string;
  is_deleted: boolean;
  offerings: EmulatedOffering[];
  property_values: EmulatedPropertyValue[];
}
export interface EmulatedListing {
  listing_id: number;
  shop_id: number;
  title: string;
  state: "active" | "inactive" | "sold_out" | "draft" | "expired";
  created_timestamp: number;
  updated_timestamp: number;
  inventory: {
    products: EmulatedProduct[];
    price_on_property: number[];
    quantity_on_property: number[];
    sku_on_property: number[];
    readiness_state_on_property: number[];
  };
}
export interface EmulatedTransaction {
  transaction_id: number;
  title: string;
  receipt_id: number;
  listing_id: number;
  product_id: number;
  sku: string;
  quantity: number;
  price: { amount: number; divisor: number; currency_code: string };
  created_timestamp: number;
}
export interface EmulatedReceipt {
  receipt_id: number;
  seller_user_id: number;
  buyer_user_id: number;
  buyer_email: string;
  name: string;
  status: "Paid" | "Completed" | "Open" | "Payment Processing" | "Canceled" | "Fully Refunded" | "Partially Refunded";
  is_paid: boolean;
  is_shipped: boolean;
  created_timestamp: number;
  updated_timestamp: number;
  grandtotal: { amount: number; divisor: number; currency_code: string };
  transactions: EmulatedTransaction[];
  /** When the receipt's last change becomes visible to getShopReceipts (ms; the index lag). */
  visibleAt: number;
}

export interface EtsyEmulatorOptions {
  keystring?: string;
  sharedSecret?: string;
  /** Redirect URIs registered for the app (exact match). Empty = any. */
  redirectUris?: string[];
  userId?: number;
  shopId?: number;
  shopName?: string;
  currency?: string;
  /** Per-application limits (default 10/s and 10,000 per 24 h). */
  qps?: number;
  qpd?: number;
  accessTokenTtlS?: number;
  /** Lifetime of a refresh token (s; default 90 days, Etsy's). */
  refreshTokenTtlS?: number;
  /** Whether a refresh replaces the refresh token (default true, as Etsy does). */
  rotateRefreshTokens?: boolean;
  /** How long a receipt change takes to reach getShopReceipts (ms; default 0): a poll in between misses it. */
  indexLagMs?: number;
  /** Added to every `/v3/application` answer (ms; default 0): a round trip to Etsy in the benchmarks. */
  latencyMs?: number;
  /** Listen on this port (default: a free one) — the benches restart an emulator on the app's configured port. */
  port?: number;
}

export interface EtsyRequestLogEntry {
  at: number;
  operation: string;
  method: string;
  path: string;
  status: number;
  /** The JSON body of a PUT, as sent. */
  body?: unknown;
}

export interface EtsyEmulator {
  url: string;
  keystring: string;
  sharedSecret: string;
  userId: number;
  shopId: number;
  listings: Map<number, EmulatedListing>;
  receipts: Map<number, EmulatedReceipt>;
  requests: EtsyRequestLogEntry[];
  control: {
    /**
     * A listing: one product per entry of `products` (a variation listing when they carry `property` values, e.g.
     * `{ sku, quantity, value: "Blue" }` under the property "Color"); quantities differ per product (quantity_on_property).
     */
    addListing(l: {
      title?: string;
      products: { sku: string; quantity: number; price?: number; value?: string; readinessStateId?: number | null }[];
      property?: string;
    }): EmulatedListing;
    /** The quantity of the product of `sku` (any listing). */
    quantityOf(sku: string): number | undefined;
    /**
     * The read-then-set window, measured (decision 300): products written by a PUT that followed a GET of their
     * listing's inventory (`readThenSetWrites`), and those whose PUT overwrote receipts placed between that GET and the
     * PUT — their units were shown again (`writes`, `units`).
     */
    overwrittenSales(): { readThenSetWrites: number; writes: number; units: number };
    /** A paid receipt; its units leave the products at once. */
    placeReceipt(lines: { sku: string; quantity: number }[], opts?: { createdAt?: number }): EmulatedReceipt;
    /** Cancels a receipt (status "Canceled"): its units go back once. */
    cancelReceipt(receiptId: number): EmulatedReceipt;
    /** The next `times` PUTs of the listing's inventory are refused 400 with `message` (Infinity: until cleared). */
    failListing(listingId: number, message: string, times?: number): void;
    clearFailures(): void;
    /** A refresh token for the seller (as if authorised before); revoking one makes the token endpoint refuse it. */
    issueRefreshToken(): string;
    /** Ends the seller's grant of `token` (any token of it, also one rotated away): every token of that grant stops. */
    revokeRefreshToken(token: string): void;
    /** Every access token issued so far expires now (the next call answers 401 until a refresh). */
    expireAccessTokens(): void;
    /** Refresh grants answered (successful), and refused ones. */
    refreshes(): { granted: number; refused: number };
    /** 429s answered so far, and the most requests any one-second window held. */
    throttled(): number;
    peakQps(): number;
    /** Requests counted in the last 24 h (the app's day). */
    usedToday(): number;
    setLimits(l: { qps?: number; qpd?: number }): void;
    setIndexLagMs(ms: number): void;
    setLatency(ms: number): void;
  };
  close(): Promise<void>;
}

const sec = (ms = Date.now()) => Math.floor(ms / 1000);
const b64url = (b: Buffer) => b.toString("base64url");
const money = (v: number, currency: string) => ({ amount: Math.round(v * 100), divisor: 100, currency_code: currency });

/** Starts the emulator on 127.0.0.1 (a free port). */
export async function startEtsyEmulator(opts: EtsyEmulatorOptions = {}): Promise<EtsyEmulator> {
  const keystring = opts.keystring ?? "syncflowtestkeystring" + randomBytes(3).toString("hex");
  const sharedSecret = opts.sharedSecret ?? randomBytes(5).toString("hex");
  const userId = opts.userId ?? 81234567;
  const shopId = opts.shopId ?? 31234567;
  const shopName = opts.shopName ?? "SyncFlowTestShop";
  const currency = opts.currency ?? "USD";
  let qps = opts.qps ?? DEFAULT_QPS;
  let qpd = opts.qpd ?? DEFAULT_QPD;
  let indexLagMs = opts.indexLagMs ?? 0;
  /** Units buyers took per SKU and, per SKU, that count at the last GET of its listing's inventory (decision 300). */
  const soldUnits = new Map<string, number>();
  const readMark = new Map<string, number>();
  const overwritten = { readThenSetWrites: 0, writes: 0, units: 0 };
  let latencyMs = opts.latencyMs ?? 0;
  const ttlS = opts.accessTokenTtlS ?? 3600;
  const refreshTtlS = opts.refreshTokenTtlS ?? 90 * 86_400;
  const rotate = opts.rotateRefreshTokens ?? true;

  const listings = new Map<number, EmulatedListing>();
  const receipts = new Map<number, EmulatedReceipt>();
  const requests: EtsyRequestLogEntry[] = [];
  const codes = new Map<string, { redirectUri: string; challenge: string; expiresAt: number; scope: string }>();
  /** Live refresh tokens, each of a grant (`family`: one seller authorisation); every token ever issued → its grant. */
  const refreshTokens = new Map<string, { expiresAt: number; family: string }>();
  const familyOf = new Map<string, string>();
  const revokedFamilies = new Set<string>();
  const accessTokens = new Map<string, { expiresAt: number; family: string }>();
  let refreshGranted = 0;
  let refreshRefused = 0;
  const newRefreshToken = (family: string) => {
    const t = `${userId}.${b64url(randomBytes(30))}`;
    refreshTokens.set(t, { expiresAt: Date.now() + refreshTtlS * 1000, family });
    familyOf.set(t, family);
    return t;
  };
  const failures = new Map<number, { message: string; times: number }>();
  /** Times (ms) of the app's counted requests: the sliding second and the 24-hour day. */
  const recent: number[] = [];
  let dayCount: number[] = [];
  let throttledCount = 0;
  let peak = 0;
  let seq = 1000;
  const id = () => ++seq;

  const findProduct = (sku: string) => {
    for (const l of listings.values())
      for (const p of l.inventory.products) if (p.sku === sku && !p.is_deleted) return { l, p };
    return null;
  };
  const touch = (l: EmulatedListing) => {
    l.updated_timestamp = sec();
    const total = l.inventory.products.reduce(
      (s, p) => s + (p.offerings[0]?.is_enabled ? p.offerings[0].quantity : 0),
      0,
    );
    if (l.state === "active" && total === 0) l.state = "sold_out";
    else if (l.state === "sold_out" && total > 0) l.state = "active";
  };

  const control: EtsyEmulator["control"] = {
    addListing(input) {
      const listingId = 1_000_000_000 + id();
      const property = input.property ?? "Color";
      const propertyId = 200;
      const quantities = new Set(input.products.map((p) => p.quantity));
      const variation = input.products.some((p) => p.value);
      const l: EmulatedListing = {
        listing_id: listingId,
        shop_id: shopId,
        title: input.title ?? input.products[0]!.sku,
        state: "active",
        created_timestamp: sec(),
        updated_timestamp: sec(),
        inventory: {
          products: input.products.map((p, i) => ({
            product_id: 5_000_000_000 + id(),
            sku: p.sku,
            is_deleted: false,
            offerings: [
              {
                offering_id: 7_000_000_000 + id(),
                quantity: p.quantity,
                is_enabled: true,
                is_deleted: false,
                price: money(p.price ?? 12.5, currency),
                readiness_state_id: p.readinessStateId === undefined ? 9001 : p.readinessStateId,
              },
            ],
            property_values: p.value
              ? [
                  {
                    property_id: propertyId,
                    property_name: property,
                    scale_id: null,
                    scale_name: null,
                    value_ids: [900 + i],
                    values: [p.value],
                  },
                ]
              : [],
          })),
          price_on_property: [],
          quantity_on_property: variation && quantities.size > 1 ? [propertyId] : variation ? [propertyId] : [],
          sku_on_property: variation ? [propertyId] : [],
          readiness_state_on_property: [],
        },
      };
      listings.set(listingId, l);
      return l;
    },
    quantityOf: (sku) => findProduct(sku)?.p.offerings[0]?.quantity,
    overwrittenSales: () => ({ ...overwritten }),
    placeReceipt(lines, o = {}) {
      const now = Date.now();
      const receiptId = 3_000_000_000 + id();
      const transactions: EmulatedTransaction[] = lines.map((line) => {
        const hit = findProduct(line.sku);
        if (!hit) throw new Error(`emulator: no product ${line.sku}`);
        const off = hit.p.offerings[0]!;
        if (off.quantity < line.quantity) throw new Error(`emulator: ${line.sku} has only ${off.quantity}`);
        off.quantity -= line.quantity;
        soldUnits.set(hit.p.sku, (soldUnits.get(hit.p.sku) ?? 0) + line.quantity);
        touch(hit.l);
        return {
          transaction_id: 4_000_000_000 + id(),
          title: hit.l.title,
          receipt_id: receiptId,
          listing_id: hit.l.listing_id,
          product_id: hit.p.product_id,
          sku: hit.p.sku,
          quantity: line.quantity,
          price: off.price,
          created_timestamp: sec(o.createdAt ?? now),
        };
      });
      const total = transactions.reduce((s, t) => s + (t.price.amount / t.price.divisor) * t.quantity, 0);
      const r: EmulatedReceipt = {
        receipt_id: receiptId,
        seller_user_id: userId,
        buyer_user_id: 60_000_000 + seq,
        buyer_email: `buyer${seq}@example.etsy`,
        name: `Buyer ${seq}`,
        status: "Paid",
        is_paid: true,
        is_shipped: false,
        created_timestamp: sec(o.createdAt ?? now),
        updated_timestamp: sec(o.createdAt ?? now),
        grandtotal: money(total, currency),
        transactions,
        visibleAt: now + indexLagMs,
      };
      receipts.set(receiptId, r);
      return r;
    },
    cancelReceipt(receiptId) {
      const r = receipts.get(receiptId);
      if (!r) throw new Error(`emulator: no receipt ${receiptId}`);
      if (r.status === "Canceled") return r;
      for (const t of r.transactions) {
        const hit = findProduct(t.sku);
        if (hit) {
          hit.p.offerings[0]!.quantity += t.quantity;
          touch(hit.l);
        }
      }
      r.status = "Canceled";
      r.updated_timestamp = Math.max(sec(), r.updated_timestamp + 1);
      r.visibleAt = Date.now() + indexLagMs;
      return r;
    },
    failListing(listingId, message, times = 1) {
      failures.set(listingId, { message, times });
    },
    clearFailures: () => failures.clear(),
    issueRefreshToken: () => newRefreshToken(b64url(randomBytes(9))),
    revokeRefreshToken(token) {
      const family = familyOf.get(token);
      if (!family) return;
      revokedFamilies.add(family);
      for (const [k, v] of refreshTokens) if (v.family === family) refreshTokens.delete(k);
      for (const [k, v] of accessTokens) if (v.family === family) accessTokens.delete(k);
    },
    expireAccessTokens() {
      for (const v of accessTokens.values()) v.expiresAt = 0;
    },
    refreshes: () => ({ granted: refreshGranted, refused: refreshRefused }),
    throttled: () => throttledCount,
    peakQps: () => peak,
    usedToday: () => dayCount.filter((t) => t > Date.now() - 86_400_000).length,
    setLimits(l) {
      qps = l.qps ?? qps;
      qpd = l.qpd ?? qpd;
    },
    setIndexLagMs(ms) {
      indexLagMs = ms;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
  };

  /** Counts a request against the app's limits; false (with the retry wait in seconds) when over either. */
  const admit = (): { ok: true } | { ok: false; retryAfterS: number } => {
    const now = Date.now();
    while (recent.length && recent[0]! <= now - 1000) recent.shift();
    if (dayCount.length > 2 * qpd) dayCount = dayCount.filter((t) => t > now - 86_400_000);
    const today = dayCount.filter((t) => t > now - 86_400_000);
    if (today.length >= qpd) {
      const oldest = today[0]!;
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((oldest + 86_400_000 - now) / 1000)) };
    }
    if (recent.length >= qps) return { ok: false, retryAfterS: 1 };
    recent.push(now);
    dayCount.push(now);
    peak = Math.max(peak, recent.length);
    return { ok: true };
  };
  const limitHeaders = () => {
    const now = Date.now();
    const inSecond = recent.filter((t) => t > now - 1000).length;
    const today = dayCount.filter((t) => t > now - 86_400_000).length;
    return {
      "x-limit-per-second": String(qps),
      "x-remaining-this-second": String(Math.max(0, qps - inSecond)),
      "x-limit-per-day": String(qpd),
      "x-remaining-today": String(Math.max(0, qpd - today)),
    };
  };

  const send = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    log?: { operation: string; method: string; path: string },
  ) => {
    if (log) requests.push({ at: Date.now(), ...log, status });
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });

  const receiptOut = (r: EmulatedReceipt) => {
    const { visibleAt: _v, ...rest } = r;
    void _v;
    return { ...rest, create_timestamp: r.created_timestamp, update_timestamp: r.updated_timestamp };
  };
  const listingOut = (l: EmulatedListing, withInventory: boolean) => ({
    listing_id: l.listing_id,
    shop_id: l.shop_id,
    user_id: userId,
    title: l.title,
    state: l.state,
    quantity: l.inventory.products.reduce((s, p) => s + (p.offerings[0]?.quantity ?? 0), 0),
    skus: l.inventory.products.map((p) => p.sku),
    has_variations: l.inventory.products.length > 1,
    created_timestamp: l.created_timestamp,
    updated_timestamp: l.updated_timestamp,
    last_modified_timestamp: l.updated_timestamp,
    ...(withInventory ? { inventory: l.inventory } : {}),
  });

  /** Applies a validated PUT: the whole inventory replaced, after Etsy's cross-field checks. @returns an error or null */
  const replaceInventory = (l: EmulatedListing, body: UpdateListingInventoryPayload): string | null => {
    const qOn = body.quantity_on_property ?? [];
    const pOn = body.price_on_property ?? [];
    const sOn = body.sku_on_property ?? [];
    const prods = body.products;
    const combos = new Set<string>();
    for (const p of prods) {
      const key = (p.property_values ?? [])
        .map((v) => `${v.property_id}:${v.value_ids.join(",")}`)
        .sort()
        .join("|");
      if (combos.has(key)) return "Duplicate property values: each product must have a unique combination";
      combos.add(key);
      for (const v of p.property_values ?? [])
        if (v.value_ids.length !== v.values.length)
          return `property ${v.property_id}: value_ids and values differ in length`;
    }
    const distinct = (f: (p: (typeof prods)[number]) => unknown) => new Set(prods.map(f)).size > 1;
    if (!qOn.length && distinct((p) => p.offerings[0]!.quantity))
      return "Products have different quantities but quantity_on_property is empty";
    if (!pOn.length && distinct((p) => p.offerings[0]!.price))
      return "Products have different prices but price_on_property is empty";
    if (!sOn.length && distinct((p) => p.sku ?? "")) return "Products have different SKUs but sku_on_property is empty";
    // A product kept (same SKU) with a processing profile must send it back (the payload member is required).
    for (const p of prods) {
      const was = l.inventory.products.find((x) => x.sku === (p.sku ?? ""));
      const wasReady = was?.offerings[0]?.readiness_state_id;
      if (wasReady != null && p.offerings[0]!.readiness_state_id == null)
        return `readiness_state_id is required for product ${p.sku ?? ""} of an active physical listing`;
    }
    // Etsy issues new product and offering ids on every inventory update.
    l.inventory = {
      products: prods.map((p) => {
        const o = p.offerings[0]!;
        return {
          product_id: 5_000_000_000 + id(),
          sku: p.sku ?? "",
          is_deleted: false,
          offerings: [
            {
              offering_id: 7_000_000_000 + id(),
              quantity: o.quantity,
              is_enabled: o.is_enabled,
              is_deleted: false,
              price: money(o.price, currency),
              readiness_state_id: o.readiness_state_id ?? null,
            },
          ],
          property_values: (p.property_values ?? []).map((v) => ({
            property_id: v.property_id,
            property_name: v.property_name ?? "",
            scale_id: v.scale_id ?? null,
            scale_name: null,
            value_ids: v.value_ids,
            values: v.values,
          })),
        };
      }),
      price_on_property: pOn,
      quantity_on_property: qOn,
      sku_on_property: sOn,
      readiness_state_on_property: body.readiness_state_on_property ?? [],
    };
    touch(l);
    return null;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const path = url.pathname;

    // ---- OAuth: the consent page (the seller approves at once) ----
    if (method === "GET" && path === "/oauth/connect") {
      const q = url.searchParams;
      const log = { operation: "consent", method, path };
      const redirectUri = q.get("redirect_uri") ?? "";
      if (q.get("client_id") !== keystring) return send(res, 400, { error: "invalid client_id" }, {}, log);
      if (opts.redirectUris?.length && !opts.redirectUris.includes(redirectUri))
        return send(res, 400, { error: "redirect_uri does not match a registered callback URL" }, {}, log);
      if (!/^https?:\/\//.test(redirectUri)) return send(res, 400, { error: "redirect_uri is required" }, {}, log);
      if (q.get("response_type") !== "code") return send(res, 400, { error: "response_type must be code" }, {}, log);
      const state = q.get("state");
      if (!state) return send(res, 400, { error: "state is required" }, {}, log);
      const challenge = q.get("code_challenge") ?? "";
      if (q.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
        return send(res, 400, { error: "code_challenge with code_challenge_method S256 is required" }, {}, log);
      const scope = q.get("scope") ?? "";
      const unknown = scope.split(/\s+/).filter((s) => s && !/^[a-z]+_[rwd]$/.test(s) && !SCOPES.includes(s as never));
      if (!scope || unknown.length) return send(res, 400, { error: `invalid scope ${unknown.join(" ")}` }, {}, log);
      const code = b64url(randomBytes(32));
      codes.set(code, { redirectUri, challenge, expiresAt: Date.now() + 5 * 60_000, scope });
      const to = new URL(redirectUri);
      to.searchParams.set("state", state);
      to.searchParams.set("code", code);
      requests.push({ at: Date.now(), ...log, status: 302 });
      res.writeHead(302, { location: to.toString() });
      return res.end();
    }

    // ---- OAuth: the token endpoint ----
    if (path === "/v3/public/oauth/token") {
      const log = { operation: "token", method, path };
      if (method !== "POST") return send(res, 405, { error: "method not allowed" }, {}, log);
      const raw = await readBody(req);
      const ct = req.headers["content-type"] ?? "";
      let p: URLSearchParams;
      try {
        p = ct.includes("json")
          ? new URLSearchParams(Object.entries(JSON.parse(raw) as Record<string, string>))
          : new URLSearchParams(raw);
      } catch {
        return send(res, 400, { error: "invalid_request", error_description: "unreadable body" }, {}, log);
      }
      const bad = (d: string) => send(res, 400, { error: "invalid_grant", error_description: d }, {}, log);
      if (p.get("client_id") !== keystring)
        return send(res, 401, { error: "invalid_client", error_description: "unknown client_id" }, {}, log);
      const issue = (refresh: string) => {
        const access = `${userId}.${b64url(randomBytes(40))}`;
        accessTokens.set(access, { expiresAt: Date.now() + ttlS * 1000, family: familyOf.get(refresh)! });
        return send(
          res,
          200,
          { access_token: access, token_type: "Bearer", expires_in: ttlS, refresh_token: refresh },
          {},
          log,
        );
      };
      if (p.get("grant_type") === "authorization_code") {
        const code = p.get("code") ?? "";
        const c = codes.get(code);
        if (!c) return bad("code was already used or does not exist");
        codes.delete(code); // single use, whatever the outcome
        if (c.expiresAt < Date.now()) return bad("code expired");
        if (p.get("redirect_uri") !== c.redirectUri)
          return bad("redirect_uri does not match the authorization request");
        const verifier = p.get("code_verifier") ?? "";
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return bad("code_verifier is required (43-128 characters)");
        if (b64url(createHash("sha256").update(verifier).digest()) !== c.challenge)
          return bad("code_verifier does not match the code_challenge");
        return issue(newRefreshToken(b64url(randomBytes(9))));
      }
      if (p.get("grant_type") === "refresh_token") {
        const refresh = p.get("refresh_token") ?? "";
        const live = refreshTokens.get(refresh);
        if (!live || live.expiresAt < Date.now()) {
          refreshRefused++;
          refreshTokens.delete(refresh);
          return bad("refresh token is invalid, expired, already used or was revoked");
        }
        refreshGranted++;
        if (!rotate) return issue(refresh);
        refreshTokens.delete(refresh); // rotated: the token sent is spent
        return issue(newRefreshToken(live.family));
      }
      return send(res, 400, { error: "unsupported_grant_type" }, {}, log);
    }

    if (!path.startsWith("/v3/application/")) return send(res, 404, { error: "not found" });
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));

    // ---- the application API: key, limits, token ----
    const op = operationOf(method, path);
    const log: { operation: string; method: string; path: string; body?: unknown } = { operation: op, method, path };
    const key = String(req.headers["x-api-key"] ?? "");
    if (key !== `${keystring}:${sharedSecret}`)
      return send(
        res,
        403,
        {
          error: key.startsWith(`${keystring}`)
            ? "Shared secret required in x-api-key (keystring:shared_secret)"
            : "Invalid API key",
        },
        {},
        log,
      );
    const admitted = admit();
    if (!admitted.ok) {
      throttledCount++;
      return send(
        res,
        429,
        { error: "Too many requests" },
        { ...limitHeaders(), "retry-after": String(admitted.retryAfterS) },
        log,
      );
    }
    const auth = String(req.headers.authorization ?? "");
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    const t = accessTokens.get(token);
    if (!t || t.expiresAt < Date.now() || revokedFamilies.has(t.family))
      return send(res, 401, { error: "invalid_token" }, limitHeaders(), log);
    const ok = (body: unknown, status = 200) => send(res, status, body, limitHeaders(), log);
    const fail = (status: number, error: string) => send(res, status, { error }, limitHeaders(), log);

    let m: RegExpMatchArray | null;
    if (method === "GET" && path === "/v3/application/users/me") return ok({ user_id: userId, shop_id: shopId });
    if ((m = path.match(/^\/v3\/application\/shops\/(\d+)$/)) && method === "GET") {
      if (Number(m[1]) !== shopId) return fail(404, "Shop not found");
      return ok({
        shop_id: shopId,
        user_id: userId,
        shop_name: shopName,
        currency_code: currency,
        url: `https://www.etsy.com/shop/${shopName}`,
      });
    }
    if ((m = path.match(/^\/v3\/application\/shops\/(\d+)\/listings$/)) && method === "GET") {
      if (Number(m[1]) !== shopId) return fail(403, "You do not have access to this shop");
      const q = GetListingsByShopQuery.safeParse(Object.fromEntries(url.searchParams));
      if (!q.success) return fail(400, q.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      const all = [...listings.values()]
        .filter((l) => l.state === q.data.state)
        .sort((a, b) => a.listing_id - b.listing_id);
      const withInv = (q.data.includes ?? "").split(",").includes("Inventory");
      return ok({
        count: all.length,
        results: all.slice(q.data.offset, q.data.offset + q.data.limit).map((l) => listingOut(l, withInv)),
      });
    }
    if ((m = path.match(/^\/v3\/application\/listings\/(\d+)\/inventory$/))) {
      const l = listings.get(Number(m[1]));
      if (!l) return fail(404, `Listing ${m[1]} not found`);
      if (method === "GET") {
        for (const p of l.inventory.products) readMark.set(p.sku, soldUnits.get(p.sku) ?? 0);
        return ok(l.inventory);
      }
      if (method === "PUT") {
        const raw = await readBody(req);
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          return fail(400, "Request body must be JSON");
        }
        (log as { body?: unknown }).body = json;
        const parsed = UpdateListingInventoryPayload.safeParse(json);
        if (!parsed.success)
          return fail(400, parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
        const f = failures.get(l.listing_id);
        if (f) {
          if (--f.times <= 0) failures.delete(l.listing_id);
          return fail(400, f.message);
        }
        const err = replaceInventory(l, parsed.data);
        if (err) return fail(400, err);
        for (const p of l.inventory.products) {
          const mark = readMark.get(p.sku);
          if (mark === undefined) continue;
          readMark.delete(p.sku);
          overwritten.readThenSetWrites++;
          const lost = (soldUnits.get(p.sku) ?? 0) - mark;
          if (lost > 0) {
            overwritten.writes++;
            overwritten.units += lost;
          }
        }
        return ok(l.inventory);
      }
    }
    if ((m = path.match(/^\/v3\/application\/shops\/(\d+)\/receipts$/)) && method === "GET") {
      if (Number(m[1]) !== shopId) return fail(403, "You do not have access to this shop");
      const q = GetShopReceiptsQuery.safeParse(Object.fromEntries(url.searchParams));
      if (!q.success) return fail(400, q.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      const d = q.data;
      const now = Date.now();
      const sortKey = (r: EmulatedReceipt) =>
        d.sort_on === "updated" ? r.updated_timestamp : d.sort_on === "receipt_id" ? r.receipt_id : r.created_timestamp;
      const desc = ["desc", "descending", "down"].includes(d.sort_order);
      const rows = [...receipts.values()]
        .filter((r) => r.visibleAt <= now)
        .filter((r) => d.min_last_modified == null || r.updated_timestamp >= d.min_last_modified)
        .filter((r) => d.max_last_modified == null || r.updated_timestamp <= d.max_last_modified)
        .filter((r) => d.min_created == null || r.created_timestamp >= d.min_created)
        .filter((r) => d.max_created == null || r.created_timestamp <= d.max_created)
        .filter((r) => d.was_canceled == null || (r.status === "Canceled") === (d.was_canceled === "true"))
        .sort((a, b) => (sortKey(a) - sortKey(b) || a.receipt_id - b.receipt_id) * (desc ? -1 : 1));
      return ok({ count: rows.length, results: rows.slice(d.offset, d.offset + d.limit).map(receiptOut) });
    }
    return fail(404, `No route ${method} ${path}`);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, { error: String((err as Error).message) });
    });
  });
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    keystring,
    sharedSecret,
    userId,
    shopId,
    listings,
    receipts,
    requests,
    control,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The operation id (as the OpenAPI document names it) of a request. */
function operationOf(method: string, path: string): string {
  if (path === "/v3/application/users/me") return "getMe";
  if (/^\/v3\/application\/shops\/\d+$/.test(path)) return "getShop";
  if (/\/shops\/\d+\/listings$/.test(path)) return "getListingsByShop";
  if (/\/listings\/\d+\/inventory$/.test(path))
    return method === "PUT" ? "updateListingInventory" : "getListingInventory";
  if (/\/shops\/\d+\/receipts$/.test(path)) return "getShopReceipts";
  return `${method} ${path}`;
}
