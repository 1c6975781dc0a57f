/**
 * Emulated Shopify (in-process `node:http` server) held to Shopify's contracts, for tests, the demo and
 * benchmarks. Every store lives under `/store/<shop-domain>`:
 *   POST /store/<shop>/admin/api/<version>/graphql.json   Admin GraphQL (X-Shopify-Access-Token)
 *   POST /store/<shop>/admin/oauth/access_token          token exchange, authorization-code and refresh grants
 * and a JSON control API under `/__control/...` (no auth) mirrored by `emulator.control`.
 * Quantities are units; times ms.
 */
import http from "node:http";
import crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import { loadAdminSchema } from "./schema.js";
import { EmuStore, ControlError, type EmuShop } from "./store.js";
import { GraphqlEngine } from "./graphql.js";
import { WebhookDispatcher, type WebhookDelivery } from "./webhooks.js";
import { verifySessionToken } from "./session-token.js";
import { inventoryLevelPayload } from "./payloads.js";
import { BulkOperations, type BulkTiming } from "./bulk.js";
import { EmuApps, type EmuSubscription, type FlowTriggerRun } from "./apps.js";
import { EmuOrders } from "./orders.js";

export { mintSessionToken, verifySessionToken } from "./session-token.js";
export { webhookHmac, type WebhookDelivery } from "./webhooks.js";
export { loadAdminSchema } from "./schema.js";
export { EMITTED_TOPICS, WEBHOOK_SCHEMA_VERSION } from "./payloads.js";
export { EmuApps, loadFlowTriggers, flowPayloadKey, type EmuSubscription, type FlowTriggerRun } from "./apps.js";
export { DEFAULT_BULK_TIMING, MAX_CONCURRENT_BULK_QUERIES, type BulkTiming } from "./bulk.js";

/** Options of {@link startShopifyEmulator}. restoreRate in points/s; bucketSize in points; delays in ms. */
export interface ShopifyEmulatorOptions {
  port?: number;
  apiVersion?: string;
  apiKey: string;
  apiSecret: string;
  appUrl?: string;
  /** Points restored per second (default 100 = Standard plan). */
  restoreRate?: number;
  /** Bucket size in points (default restoreRate × 20, i.e. 2000 for Standard). */
  bucketSize?: number;
  latencyMs?: number;
  webhookDelayMs?: number;
  /** Webhook retry delays in ms (default [1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000]: 8 retries like Shopify, scaled down). */
  webhookRetryScheduleMs?: number[];
  /** Per-attempt webhook timeout in ms (default 5000, Shopify's). */
  webhookTimeoutMs?: number;
  /** Bulk operation timing (default DEFAULT_BULK_TIMING: 1000 ms start-up, 2000 objects/s). */
  bulk?: Partial<BulkTiming>;
}

/** Injected faults (global to the emulator). */
export interface Faults {
  latencyMs?: number;
  failNext?: { status: 429 | 500 | 502 | 503; count: number };
  throttleNext?: number;
  dropWebhooks?: number;
  duplicateWebhooks?: number;
  delayWebhooksMs?: number;
  /** Run the next n *mutations* but answer 503 (the write happened; the client cannot know): unknown outcome. */
  loseResponseNext?: number;
}

/** One logged Admin GraphQL call. */
export interface GraphqlCall {
  at: number;
  shop: string;
  version: string;
  query: string;
  variables: unknown;
  status: number;
  response: unknown;
}

type Json = Record<string, any>;

/** Control operations, available in-process and over HTTP (`/__control/...`). */
export interface ShopifyEmulatorControl {
  /** The merchant approved a scope update: the shop's token now carries `scope` (comma-separated). */
  grantScopes(shop: string, scope: string): { scope: string };
  /** Create a shop (or return the existing one); registers its offline token. */
  /** `scope`: the granted access scopes, comma-separated (default: the app's read/inventory scopes, no order writes). */
  createShop(input: {
    domain: string;
    name?: string;
    accessToken?: string;
    plan?: string;
    currency?: string;
    scope?: string;
  }): {
    domain: string;
    accessToken: string;
    locationId: string;
  };
  createLocation(shop: string, input: { name: string; isActive?: boolean }): { locationId: string };
  /** Seed a product: quantities map location GID → available units. Returns GIDs. */
  createProduct(
    shop: string,
    input: {
      title: string;
      productType?: string;
      variants: {
        sku: string | null;
        title?: string;
        price: string | number;
        tracked?: boolean;
        quantities?: Record<string, number>;
      }[];
    },
  ): { productId: string; variants: { variantId: string; inventoryItemId: string; sku: string | null }[] };
  updateVariant(
    shop: string,
    input: { variantId: string; sku?: string | null; price?: string | number; title?: string },
  ): { variantId: string };
  /** Merchant admin edit of a variant's "Cost per item" (`InventoryItem.unitCost`; null clears it). Issue 18. */
  setUnitCost(shop: string, input: { sku: string; amount: string | number | null }): { ok: boolean };
  /** Merchant admin edit of available (emits inventory_levels/update). */
  setAvailable(
    shop: string,
    input: { sku?: string; inventoryItemId?: string; locationId?: string; available: number },
  ): { before: number; after: number };
  placeOrder(
    shop: string,
    input: {
      lines: { sku?: string; variantId?: string; quantity: number; price?: string | number }[];
      locationId?: string;
      email?: string;
      allowOversell?: boolean;
    },
  ): {
    orderId: string;
    name: string;
    number: number;
    lineItems: { id: string; sku: string | null; quantity: number }[];
  };
  cancelOrder(
    shop: string,
    input: { orderId: string; restock?: boolean; reason?: string },
  ): { orderId: string; cancelledAt: string };
  refund(
    shop: string,
    input: {
      orderId: string;
      lines: { lineItemId?: string; sku?: string; quantity: number }[];
      restock?: boolean;
      note?: string;
    },
  ): { refundId: string };
  uninstall(shop: string): { ok: boolean };
  /**
   * Refuses the next `count` inventory mutations on `shop` (adjust / set / move) with a userError (default code
   * CHANGE_FROM_QUANTITY_STALE, as a lost compare-and-set); nothing is applied and the key is remembered as failed.
   */
  refuseInventoryWrites(shop: string, count: number, error?: { code?: string; message?: string }): void;
  state(shop: string): ReturnType<EmuStore["state"]>;
  deliveries(shop: string): WebhookDelivery[];
  redeliver(shop: string, deliveryId: string): WebhookDelivery;
  /** Deliver a webhook with a wrong HMAC (default an inventory_levels/update body); resolves after the attempt. */
  sendBadHmac(shop: string, input?: { topic?: string; payload?: unknown }): Promise<WebhookDelivery>;
  setAppUrl(appUrl: string | null): { appUrl: string | null };
  setFaults(faults: Faults): Faults;
  graphqlLog(shop?: string): GraphqlCall[];
  /** Resolves when no webhook is pending or in flight (ms bound). */
  webhooksIdle(timeoutMs?: number): Promise<void>;
  /** Changes the plan's rate limit (points/s, bucket points) for every shop, e.g. Standard = 100 / 2000. */
  setRateLimit(input: { restoreRate: number; bucketSize?: number }): { restoreRate: number; bucketSize: number };
  /** Changes the timing of bulk operations started from now on. */
  setBulkTiming(input: Partial<BulkTiming>): BulkTiming;
  /** The app's subscriptions on a shop (billing, apps.ts). */
  subscriptions(shop: string): EmuSubscription[];
  /** Approve (or decline) a pending subscription as the merchant would; returns the redirect URL (returnUrl + charge_id). */
  confirmSubscription(shop: string, input: { subscriptionId: string; decline?: boolean }): { location: string };
  /** Flow trigger runs accepted by flowTriggerReceive. */
  flowRuns(shop?: string): FlowTriggerRun[];
  /** Send a signed Flow action request to the app (`url` = the action's runtime URL). */
  sendFlowAction(
    shop: string,
    input: { url: string; handle: string; properties: Record<string, unknown>; badSignature?: boolean },
  ): Promise<{ status: number; body: string }>;
}

/** A running emulator. */
export interface ShopifyEmulator {
  url: string;
  apiVersion: string;
  control: ShopifyEmulatorControl;
  close(): Promise<void>;
}

const SHOPIFY_401 = { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" };

/**
 * Start the emulator. Resolves once listening on 127.0.0.1:`port` (0 = random).
 * Throws if the Admin schema for `apiVersion` is not shipped by @shopify/dev-mcp.
 */
export async function startShopifyEmulator(opts: ShopifyEmulatorOptions): Promise<ShopifyEmulator> {
  const apiVersion = opts.apiVersion ?? "2026-10";
  let restoreRate = opts.restoreRate ?? 100;
  let bucketSize = opts.bucketSize ?? restoreRate * 20;
  let baseUrl = "";
  const schema = loadAdminSchema(apiVersion);
  let appUrl: string | null = opts.appUrl ?? null;
  const faults: Faults = { latencyMs: opts.latencyMs ?? 0 };
  const tokens = new Map<string, string>(); // access token → shop domain
  const refreshTokens = new Map<string, string>();
  const gqlLog: GraphqlCall[] = [];

  const dispatcher = new WebhookDispatcher({
    apiSecret: opts.apiSecret,
    apiVersion,
    getAppUrl: () => appUrl,
    delayMs: () => faults.delayWebhooksMs ?? opts.webhookDelayMs ?? 0,
    retryScheduleMs: opts.webhookRetryScheduleMs ?? [1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000],
    timeoutMs: opts.webhookTimeoutMs ?? 5000,
  });
  const store = new EmuStore(
    (shop, topic, payload) => {
      dispatcher.emit(shop.domain, topic, payload);
    },
    () => bucketSize,
  );
  const bulk = new BulkOperations(schema, () => baseUrl, opts.bulk);
  const apps = new EmuApps({
    apiSecret: opts.apiSecret,
    baseUrl: () => baseUrl,
    emit: (shop, topic, payload) => dispatcher.emit(shop, topic, payload),
    getAppUrl: () => appUrl,
  });
  const orders = new EmuOrders(store, (shop, topic, payload) => dispatcher.emit(shop.domain, topic, payload));
  const extra = {
    queryFields: (shop: EmuShop) => ({ ...apps.queryFields(shop), ...orders.queryFields(shop) }),
    mutationFields: (shop: EmuShop) => ({ ...apps.mutationFields(shop), ...orders.mutationFields(shop) }),
  };
  const engine = new GraphqlEngine(store, schema, bulk, extra);

  const control: ShopifyEmulatorControl = {
    createShop(input) {
      const s = store.createShop(input);
      tokens.set(s.accessToken, s.domain);
      return { domain: s.domain, accessToken: s.accessToken, locationId: [...s.locations.values()][0]!.gid };
    },
    createLocation: (shop, input) => ({ locationId: store.createLocation(shop, input).gid }),
    grantScopes(shop, scope) {
      store.shop(shop).scope = scope;
      return { scope };
    },
    createProduct: (shop, input) => store.createProduct(shop, input),
    updateVariant: (shop, input) => store.updateVariant(shop, input),
    setAvailable: (shop, input) => store.setAvailable(shop, input),
    setUnitCost(shop, input) {
      store.setUnitCost(shop, input.sku, input.amount);
      return { ok: true };
    },
    placeOrder: (shop, input) => store.placeOrder(shop, input),
    cancelOrder: (shop, input) => store.cancelOrder(shop, input),
    refund: (shop, input) => store.refund(shop, input),
    uninstall(shop) {
      apps.onUninstall(shop);
      const r = store.uninstall(shop);
      for (const [t, d] of tokens) if (d === shop) tokens.delete(t);
      return r;
    },
    refuseInventoryWrites(shop, count, error = {}) {
      store.shop(shop).refuseInventoryWrites = {
        count,
        code: error.code ?? "CHANGE_FROM_QUANTITY_STALE",
        message: error.message ?? "The specified changeFromQuantity does not match the current quantity.",
      };
    },
    state: (shop) => store.state(shop),
    deliveries: (shop) => dispatcher.log.filter((d) => d.shop === shop),
    redeliver: (_shop, id) => dispatcher.redeliver(id),
    async sendBadHmac(shop, input = {}) {
      const s = store.shop(shop);
      const level = [...s.levels.values()][0] ?? {
        itemId: 1,
        locationId: 1,
        available: 0,
        committed: 0,
        updatedAt: Date.now(),
      };
      return dispatcher.sendBadHmac(
        shop,
        input.topic ?? "inventory_levels/update",
        input.payload ?? inventoryLevelPayload(level),
      );
    },
    setAppUrl(url) {
      appUrl = url;
      return { appUrl };
    },
    setFaults(f) {
      if (f.latencyMs !== undefined) faults.latencyMs = f.latencyMs;
      if (f.failNext !== undefined) faults.failNext = { ...f.failNext };
      if (f.throttleNext !== undefined) faults.throttleNext = f.throttleNext;
      if (f.delayWebhooksMs !== undefined) faults.delayWebhooksMs = f.delayWebhooksMs;
      if (f.loseResponseNext !== undefined) faults.loseResponseNext = f.loseResponseNext;
      if (f.dropWebhooks !== undefined) dispatcher.dropNext = f.dropWebhooks;
      if (f.duplicateWebhooks !== undefined) dispatcher.duplicateNext = f.duplicateWebhooks;
      return { ...faults, dropWebhooks: dispatcher.dropNext, duplicateWebhooks: dispatcher.duplicateNext };
    },
    graphqlLog: (shop) => (shop ? gqlLog.filter((c) => c.shop === shop) : [...gqlLog]),
    webhooksIdle: (timeoutMs) => dispatcher.idle(timeoutMs),
    setRateLimit(input) {
      restoreRate = input.restoreRate;
      bucketSize = input.bucketSize ?? input.restoreRate * 20;
      for (const s of store.shops.values()) s.bucket.available = Math.min(s.bucket.available, bucketSize);
      return { restoreRate, bucketSize };
    },
    setBulkTiming(input) {
      bulk.timing = { ...bulk.timing, ...input };
      return { ...bulk.timing };
    },
    subscriptions: (shop) => apps.subscriptions.filter((s) => s.shop === shop),
    confirmSubscription: (shop, input) => ({
      location: apps.confirm(shop, Number(String(input.subscriptionId).split("/").pop()), input.decline),
    }),
    flowRuns: (shop) => apps.flowRuns.filter((r) => !shop || r.shop === shop),
    sendFlowAction: (shop, input) => apps.sendFlowAction(store.shop(shop), input),
  };

  function tokenResponse(shop: EmuShop, body: Json): { status: number; body: Json } {
    if (body.client_id !== opts.apiKey || body.client_secret !== opts.apiSecret)
      return { status: 400, body: { error: "invalid_client", error_description: "Client credentials are invalid" } };
    const grant = body.grant_type;
    const expiring = body.expiring === "1" || body.expiring === 1 || body.expiring === true;
    const offline = (forceExpiring = false): Json => {
      if (!expiring && !forceExpiring) return { access_token: shop.accessToken, scope: shop.scope };
      const access = `shpat_${crypto.randomBytes(16).toString("hex")}`;
      const refresh = `shprt_${crypto.randomBytes(16).toString("hex")}`;
      tokens.set(access, shop.domain);
      refreshTokens.set(refresh, shop.domain);
      return {
        access_token: access,
        scope: shop.scope,
        expires_in: 3600,
        refresh_token: refresh,
        refresh_token_expires_in: 7776000,
      };
    };
    if (!shop.installed)
      return {
        status: 400,
        body: { error: "invalid_request", error_description: "The app is not installed on this shop" },
      };
    if (grant === "urn:ietf:params:oauth:grant-type:token-exchange") {
      let claims;
      try {
        claims = verifySessionToken(String(body.subject_token ?? ""), opts.apiKey, opts.apiSecret);
      } catch (e) {
        return {
          status: 400,
          body: { error: "invalid_subject_token", error_description: `Invalid subject token: ${(e as Error).message}` },
        };
      }
      if (claims.dest !== `https://${shop.domain}`)
        return {
          status: 400,
          body: { error: "invalid_subject_token", error_description: "Session token was issued for another shop" },
        };
      if (body.requested_token_type === "urn:shopify:params:oauth:token-type:online-access-token") {
        const access = `shpua_${crypto.randomBytes(16).toString("hex")}`;
        tokens.set(access, shop.domain);
        const uid = Number(claims.sub ?? 1);
        return {
          status: 200,
          body: {
            access_token: access,
            scope: shop.scope,
            expires_in: 86399,
            associated_user_scope: shop.scope,
            session: crypto.randomUUID(),
            account_number: 0,
            associated_user: {
              id: uid,
              first_name: "Emu",
              last_name: "Staff",
              email: `staff${uid}@${shop.domain}`,
              account_owner: true,
              locale: "en",
              collaborator: false,
              email_verified: true,
            },
          },
        };
      }
      if (body.requested_token_type !== "urn:shopify:params:oauth:token-type:offline-access-token")
        return {
          status: 400,
          body: { error: "invalid_request", error_description: "requested_token_type is invalid" },
        };
      return { status: 200, body: offline() };
    }
    if (grant === "refresh_token") {
      const d = refreshTokens.get(String(body.refresh_token));
      if (d !== shop.domain)
        return { status: 400, body: { error: "invalid_grant", error_description: "refresh token is invalid" } };
      refreshTokens.delete(String(body.refresh_token));
      // A refresh always answers with a new expiring access token and a new refresh token (the old one is
      // spent): https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
      return { status: 200, body: offline(true) };
    }
    if (grant === undefined && typeof body.code === "string" && body.code) return { status: 200, body: offline() };
    return { status: 400, body: { error: "unsupported_grant_type" } };
  }

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
    res.end(text);
  }

  async function handleControl(method: string, parts: string[], body: Json, res: http.ServerResponse) {
    // parts after "__control"
    const [a, b, c, d, e] = parts;
    let out: unknown;
    if (method === "POST" && a === "shops" && !b) out = control.createShop(body as never);
    else if (method === "POST" && a === "app-url") out = control.setAppUrl(body.appUrl ?? null);
    else if (method === "POST" && a === "faults") out = control.setFaults(body);
    else if (method === "GET" && a === "graphql-log") out = control.graphqlLog();
    else if (method === "POST" && a === "rate-limit") out = control.setRateLimit(body as never);
    else if (method === "POST" && a === "bulk-timing") out = control.setBulkTiming(body);
    else if (a) {
      const shop = decodeURIComponent(a);
      if (method === "POST" && b === "locations") out = control.createLocation(shop, body as never);
      else if (method === "POST" && b === "products") out = control.createProduct(shop, body as never);
      else if (method === "POST" && b === "variants") out = control.updateVariant(shop, body as never);
      else if (method === "POST" && b === "inventory" && c === "set") out = control.setAvailable(shop, body as never);
      else if (method === "POST" && b === "inventory" && c === "unit-cost")
        out = control.setUnitCost(shop, body as never);
      else if (method === "POST" && b === "orders" && !c) out = control.placeOrder(shop, body as never);
      else if (method === "POST" && b === "orders" && c === "cancel") out = control.cancelOrder(shop, body as never);
      else if (method === "POST" && b === "refunds") out = control.refund(shop, body as never);
      else if (method === "POST" && b === "uninstall") out = control.uninstall(shop);
      else if (method === "POST" && b === "scopes") out = control.grantScopes(shop, String(body.scope ?? ""));
      else if (method === "GET" && b === "state") out = control.state(shop);
      else if (method === "GET" && b === "subscriptions") out = control.subscriptions(shop);
      else if (method === "GET" && b === "flow-runs") out = control.flowRuns(shop);
      else if (method === "GET" && b === "graphql-log") out = control.graphqlLog(shop);
      else if (method === "POST" && b === "faults") out = control.setFaults(body);
      else if (method === "GET" && b === "webhooks" && c === "deliveries" && !d) out = control.deliveries(shop);
      else if (method === "POST" && b === "webhooks" && c === "deliveries" && d && e === "redeliver")
        out = control.redeliver(shop, decodeURIComponent(d));
      else if (method === "POST" && b === "webhooks" && c === "bad-hmac") out = await control.sendBadHmac(shop, body);
      else if (method === "POST" && b === "webhooks" && c === "idle") {
        await control.webhooksIdle(body.timeoutMs);
        out = { ok: true };
      }
    }
    if (out === undefined) return send(res, 404, { error: `no control route ${method} /__control/${parts.join("/")}` });
    send(res, 200, out);
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://x");
      const raw = await readBody(req);
      const parts = url.pathname.split("/").filter(Boolean);
      if (parts[0] === "__control") {
        let body: Json = {};
        if (raw) body = JSON.parse(raw);
        return await handleControl(req.method ?? "GET", parts.slice(1), body, res);
      }
      if (parts[0] === "__bulk" && req.method === "GET" && parts.length === 3) {
        // A finished bulk operation's JSONL (stands in for Shopify's signed storage URL: no token needed).
        const text = bulk.download(Number(parts[1]), parts[2]!.replace(/\.jsonl$/, ""));
        if (text === null) return send(res, 404, { error: "not found" });
        res.writeHead(200, { "Content-Type": "application/jsonl", "Content-Length": String(Buffer.byteLength(text)) });
        return res.end(text);
      }
      if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
      if (parts[0] !== "store" || !parts[1]) return send(res, 404, { errors: "Not Found" });
      if (apps.handleHttp(req.method ?? "GET", parts, url, res)) return; // billing confirmation page (apps.ts)
      const domain = decodeURIComponent(parts[1]);
      const shop = store.shops.get(domain);
      if (!shop) return send(res, 404, { errors: "Not Found" });
      const rest = parts.slice(2).join("/");
      if (req.method === "POST" && rest === "admin/oauth/access_token") {
        let body: Json = {};
        const ct = String(req.headers["content-type"] ?? "");
        if (ct.includes("application/x-www-form-urlencoded")) body = Object.fromEntries(new URLSearchParams(raw));
        else if (raw) body = JSON.parse(raw);
        const r = tokenResponse(shop, body);
        return send(res, r.status, r.body);
      }
      const m = /^admin\/api\/([^/]+)\/graphql\.json$/.exec(rest);
      if (!m) return send(res, 404, { errors: "Not Found" });
      if (req.method !== "POST") return send(res, 405, { errors: "Method Not Allowed" });
      const token = req.headers["x-shopify-access-token"];
      if (typeof token !== "string" || tokens.get(token) !== domain || !shop.installed)
        return send(res, 401, SHOPIFY_401);
      const version = m[1]!;
      let eng = engine;
      if (version !== apiVersion) {
        try {
          eng = new GraphqlEngine(store, loadAdminSchema(version), undefined, extra);
        } catch {
          return send(res, 404, { errors: "Not Found" });
        }
      }
      let body: Json;
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, { errors: "Invalid JSON in request body" });
      }
      const log: GraphqlCall = {
        at: Date.now(),
        shop: domain,
        version,
        query: String(body.query ?? ""),
        variables: body.variables ?? null,
        status: 0,
        response: null,
      };
      gqlLog.push(log);
      if (faults.failNext && faults.failNext.count > 0) {
        faults.failNext.count--;
        const st = faults.failNext.status;
        log.status = st;
        if (st === 429)
          return send(
            res,
            429,
            {
              errors:
                "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
            },
            { "Retry-After": "1.0" },
          );
        return send(res, st, {
          errors: st === 500 ? "Internal Server Error" : st === 502 ? "Bad Gateway" : "Service Unavailable",
        });
      }
      let force = false;
      if (faults.throttleNext && faults.throttleNext > 0) {
        faults.throttleNext--;
        force = true;
      }
      const r = eng.run(shop, body, { restoreRate, bucketSize }, force);
      log.status = r.status;
      log.response = r.body;
      if (faults.loseResponseNext && faults.loseResponseNext > 0 && /^\s*mutation\b/.test(log.query)) {
        faults.loseResponseNext--;
        log.status = 503;
        return send(res, 503, { errors: "Service Unavailable" });
      }
      return send(res, r.status, r.body, { "X-Request-Id": crypto.randomUUID() });
    } catch (e) {
      if (e instanceof ControlError) return send(res, e.status, { error: e.message });
      if (e instanceof SyntaxError) return send(res, 400, { error: e.message });
      return send(res, 500, { error: (e as Error).message });
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: baseUrl,
    apiVersion,
    control,
    async close() {
      dispatcher.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
