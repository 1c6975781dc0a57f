/**
 * The merchant API end to end (issue 18 item 4): the real app build on loopback, the emulated Shopify shop and a
 * WooCommerce store, the worker, a real PostgreSQL. Every /api/v1 call of this file is checked against the served
 * OpenAPI 3.1 document with ajv (JSON Schema 2020-12): each request's query and body, and each answer's body for its
 * status (an undocumented status fails). Keys: scope, revocation, plan, rate limit (two processes' worth of requests on
 * one PostgreSQL-backed limit), tenant isolation. Writes: an adjustment is applied once under retries and concurrent
 * duplicates; a set is compare-and-set. Outbound webhooks: a real receiver on loopback verifies every signature with
 * `standardwebhooks`; one event id per event; a failing receiver → retries (same id) → dead letter → replay.
 */
import http from "node:http";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { Webhook } from "standardwebhooks";
import prisma from "../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { startWorld, waitFor, type World } from "../../tests/harness/world";
import { onboard } from "../../tests/harness/onboard";
import { startWorker, type WorkerHandle } from "../jobs/worker.server";
import { stopBoss } from "../jobs/queue.server";
import { freePort } from "../lib/free-port.server";
import { emitEvent } from "../sync/events.server";
import { createApiKey, revokeApiKey } from "./keys.server";
import { OPERATIONS } from "./openapi";
import { createSubscription, fanOutDomainEvent } from "../outbound/webhooks.server";
import { listDeadLetters, replayDeadLetters } from "../models/dead-letters.server";

const SHOP = "merchant-api.myshopify.com";
const SKU = "woo-beanie";
let world: World;
let app: AppHandle;
let worker: WorkerHandle;
let shopId: string;
let readKey: string;
let writeKey: string;
let otherShopKey: string;
let doc: any;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

beforeAll(async () => {
  world = await startWorld({ apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, shop: SHOP, wooStores: 1 });
  app = await startApp({
    SHOPIFY_ADMIN_ORIGIN: world.shopify.url,
    SYNCFLOW_RETRY_DELAY_S: "1",
    SYNCFLOW_RETRY_LIMIT: "2",
    SYNCFLOW_API_RATE_LIMIT: "100000",
  });
  world.shopify.control.setAppUrl(app.url);
  worker = await startWorker();
  ({ shopId } = await onboard(world, app.url, TEST_API_KEY, TEST_API_SECRET));
  await waitFor("levels", () => prisma.inventoryLevel.findFirst({ where: { shopId, item: { sku: SKU } } }));
  readKey = (await createApiKey(shopId, { name: "reader", scope: "read" })).secret;
  writeKey = (await createApiKey(shopId, { name: "writer", scope: "read_write" })).secret;
  // Another tenant with a SKU of its own (and one the first shop also has).
  const other = await prisma.shop.create({ data: { domain: "other-tenant.myshopify.com", name: "Other tenant" } });
  await prisma.catalogItem.createMany({
    data: [
      { shopId: other.id, sku: "OTHER-ONLY", skuKey: "other-only", title: "Other's item" },
      { shopId: other.id, sku: SKU, skuKey: SKU, title: "Other's beanie" },
    ],
  });
  otherShopKey = (await createApiKey(other.id, { name: "other", scope: "read_write" })).secret;
  doc = await (await fetch(`${app.url}/api/v1/openapi.json`)).json();
  ajv.addSchema(doc, "openapi");
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  await app?.close();
  await world?.close();
});

const ptr = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

/** Validates `value` against the document's schema at JSON pointer `pointer`; returns ajv's errors (null = valid). */
function validateAt(pointer: string, value: unknown) {
  const v = ajv.getSchema(`openapi#${pointer}`);
  if (!v) throw new Error(`no schema at ${pointer}`);
  return v(value) ? null : v.errors;
}

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/**
 * Calls an operation and checks the request (query + body, when `valid` is not false) and the answer against the
 * OpenAPI document: the status must be documented for the operation and the body must match its schema.
 */
async function call(
  operationId: string,
  opts: {
    key?: string | null;
    query?: Record<string, string>;
    body?: unknown;
    idem?: string | null;
    valid?: boolean;
  } = {},
): Promise<Answer> {
  const op = OPERATIONS.find((o) => o.operationId === operationId)!;
  const base = `/paths/${ptr(op.path)}/${op.method}`;
  const spec = doc.paths[op.path][op.method];
  if (opts.valid !== false) {
    for (const [name, value] of Object.entries(opts.query ?? {})) {
      const i = spec.parameters.findIndex((p: any) => p.name === name && p.in === "query");
      expect(i, `query parameter ${name} is documented`).toBeGreaterThanOrEqual(0);
      const schema = { ...spec.parameters[i].schema };
      const typed = schema.type === "integer" ? Number(value) : value;
      expect(validateAt(`${base}/parameters/${i}/schema`, typed), `query ${name}`).toBeNull();
    }
    if (opts.body !== undefined)
      expect(validateAt(`${base}/requestBody/content/application~1json/schema`, opts.body), "request body").toBeNull();
  }
  const url = new URL(`${app.url}/api/v1${op.path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const key = opts.key === undefined ? writeKey : opts.key;
  if (key) headers.authorization = `Bearer ${key}`;
  if (op.idempotent && opts.idem !== null) headers["idempotency-key"] = opts.idem ?? crypto.randomUUID();
  const res = await fetch(url, {
    method: op.method.toUpperCase(),
    headers,
    ...(opts.body !== undefined ? { body: typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body) } : {}),
  });
  const body = await res.json();
  expect(
    Object.keys(spec.responses),
    `status ${res.status} documented for ${operationId}: ${JSON.stringify(body)}`,
  ).toContain(String(res.status));
  expect(
    validateAt(`${base}/responses/${res.status}/content/application~1json/schema`, body),
    `answer ${res.status}`,
  ).toBeNull();
  return { status: res.status, body, headers: res.headers };
}

const shopifyAvailable = (sku: string) => world.shopify.control.state(SHOP).availableBySku[sku]![world.locationId]!;

describe("OpenAPI document and docs page", () => {
  it("is OpenAPI 3.1, lists every operation, and every schema in it compiles (JSON Schema 2020-12)", async () => {
    expect(doc.openapi).toBe("3.1.0");
    for (const op of OPERATIONS) expect(doc.paths[op.path][op.method].operationId).toBe(op.operationId);
    for (const name of Object.keys(doc.components.schemas))
      expect(ajv.getSchema(`openapi#/components/schemas/${name}`)).toBeTruthy();
  });

  it("the docs page is served from the same document, without any outside script", async () => {
    const res = await fetch(`${app.url}/api/v1/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const op of OPERATIONS) expect(html).toContain(`${op.method.toUpperCase()} ${op.path}`);
    expect(html).not.toMatch(/<script|https?:\/\/cdn/i);
  });
});

describe("keys", () => {
  it("401 without a key, with an unknown key and with a malformed header", async () => {
    expect((await call("listInventory", { key: null })).body.error.code).toBe("missing_key");
    const bogus = `sf_live_aaaaaaaa_${"b".repeat(32)}`;
    expect((await call("listInventory", { key: bogus })).status).toBe(401);
    expect((await call("listInventory", { key: writeKey.slice(0, -1) + "x" })).status).toBe(401);
  });

  it("a read key reads but cannot write (403 insufficient_scope), and nothing moves", async () => {
    const before = shopifyAvailable(SKU);
    expect((await call("listInventory", { key: readKey })).status).toBe(200);
    const res = await call("adjustInventory", { key: readKey, body: { sku: SKU, delta: -1 } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("insufficient_scope");
    expect(shopifyAvailable(SKU)).toBe(before);
  });

  it("a revoked key stops at once (401 revoked_key); last use is recorded", async () => {
    const { key, secret } = await createApiKey(shopId, { name: "temp", scope: "read" });
    expect((await call("listChannels", { key: secret })).status).toBe(200);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).lastUsedAt).not.toBeNull();
    expect(await revokeApiKey(shopId, key.id)).toBe(true);
    const res = await call("listChannels", { key: secret });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("revoked_key");
  });

  it("a shop that left Enterprise gets 403 plan_required; back on Enterprise, the same key works", async () => {
    await prisma.shop.update({
      where: { id: shopId },
      data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
    });
    try {
      const res = await call("listInventory", { key: readKey });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("plan_required");
      expect(res.body.error.message).toMatch(/Enterprise/);
    } finally {
      await prisma.shop.update({
        where: { id: shopId },
        data: { planKey: "enterprise", subscriptionStatus: "ACTIVE" },
      });
    }
    expect((await call("listInventory", { key: readKey })).status).toBe(200);
  });

  it("rate limit per key, shared by every process: past the limit → 429 with Retry-After", async () => {
    const { secret } = await createApiKey(shopId, { name: "limited", scope: "read" });
    process.env.SYNCFLOW_API_RATE_LIMIT = "4";
    try {
      // Two requests from this process (the app server), two from another Node process on the same database.
      expect((await call("listChannels", { key: secret })).status).toBe(200);
      expect((await call("listChannels", { key: secret })).status).toBe(200);
      const child = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "-e",
          `const { authenticate } = await import("./app/api/keys.server.ts");
           for (let i = 0; i < 2; i++) await authenticate(new Request("http://x/api/v1/channels", { headers: { authorization: "Bearer ${secret}" } }), "read");
           console.log("child-ok"); process.exit(0);`,
        ],
        { env: { ...process.env, SYNCFLOW_API_RATE_LIMIT: "4" }, encoding: "utf8", timeout: 60_000 },
      );
      expect(child.stdout + child.stderr).toContain("child-ok");
      for (let i = 0; i < 2; i++) {
        const res = await call("listChannels", { key: secret });
        expect(res.status).toBe(429);
        expect(res.body.error.code).toBe("rate_limited");
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      }
    } finally {
      process.env.SYNCFLOW_API_RATE_LIMIT = "100000";
    }
  }, 90_000);

  it("tenant isolation: another shop's key sees and moves only its own shop", async () => {
    const mine = await call("listInventory", { key: readKey, query: { sku: "OTHER-ONLY" } });
    expect(mine.body.data).toEqual([]);
    const theirs = await call("listInventory", { key: otherShopKey, query: { limit: "250" } });
    expect(theirs.body.data.map((i: any) => i.sku).sort()).toEqual(["OTHER-ONLY", SKU].sort());
    expect(theirs.body.data.every((i: any) => i.record.locations.length === 0)).toBe(true);
    const ledger = await call("listLedger", { key: otherShopKey });
    expect(ledger.body.data).toEqual([]);
    expect((await call("listOrders", { key: otherShopKey })).body.data).toEqual([]);
    expect((await call("listChannels", { key: otherShopKey })).body.data).toEqual([]);
    const before = shopifyAvailable(SKU);
    const res = await call("adjustInventory", { key: otherShopKey, body: { sku: SKU, delta: -1 } });
    expect(res.status).toBe(422); // the other shop's beanie is not on any Shopify record
    expect(shopifyAvailable(SKU)).toBe(before);
  });
});

describe("reads", () => {
  it("inventory per SKU and channel, paged without gaps or repeats", async () => {
    const one = await call("listInventory", { key: readKey, query: { sku: SKU } });
    expect(one.body.data).toHaveLength(1);
    const item = one.body.data[0];
    expect(item.record.available).toBe(shopifyAvailable(SKU));
    expect(item.channels.map((c: any) => c.kind)).toContain("woocommerce");
    const all = await prisma.catalogItem.count({ where: { shopId } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await call("listInventory", {
        key: readKey,
        query: { limit: "7", ...(cursor ? { cursor } : {}) },
      });
      seen.push(...page.body.data.map((i: any) => i.itemId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(all);
    expect(new Set(seen).size).toBe(all);
  });

  it("400 with each problem for a bad query; 400 for a cursor it never gave", async () => {
    const bad = await call("listInventory", { key: readKey, query: { limit: "0", bogus: "1" }, valid: false });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(expect.arrayContaining(["limit"]));
    expect((await call("listLedger", { key: readKey, query: { cursor: "nope" }, valid: false })).status).toBe(400);
    expect((await call("listLedger", { key: readKey, query: { cause: "gift" }, valid: false })).status).toBe(400);
  });

  it("orders: newest first, filtered by status and time, paged", async () => {
    const channel = await prisma.channel.findFirstOrThrow({ where: { shopId, kind: "woocommerce" } });
    const t0 = Date.parse("2026-11-01T00:00:00Z");
    for (let i = 0; i < 5; i++)
      await prisma.order.create({
        data: {
          shopId,
          channelId: channel.id,
          externalId: `api-test-${i}`,
          number: `${9000 + i}`,
          status: i % 2 ? "completed" : "processing",
          currency: "USD",
          totalPrice: "10.50",
          placedAt: new Date(t0 + i * 3_600_000),
          lines: { create: [{ externalLineId: "1", sku: SKU, title: "Beanie", quantity: 2, price: "5.25" }] },
        },
      });
    const window = { placedAtMin: "2026-11-01T00:00:00Z", placedAtMax: "2026-11-01T23:59:59Z" };
    const p1 = await call("listOrders", { key: readKey, query: { ...window, limit: "3" } });
    const p2 = await call("listOrders", { key: readKey, query: { ...window, limit: "3", cursor: p1.body.nextCursor } });
    expect([...p1.body.data, ...p2.body.data].map((o: any) => o.number)).toEqual([
      "9004",
      "9003",
      "9002",
      "9001",
      "9000",
    ]);
    expect(p2.body.nextCursor).toBeNull();
    const done = await call("listOrders", { key: readKey, query: { ...window, status: "completed" } });
    expect(done.body.data.map((o: any) => o.number)).toEqual(["9003", "9001"]);
    expect(done.body.data[0].lines[0]).toEqual({ sku: SKU, title: "Beanie", quantity: 2, price: "5.25" });
  });

  it("channels' health", async () => {
    const res = await call("listChannels", { key: readKey });
    expect(res.body.data.map((c: any) => c.kind).sort()).toEqual(["shopify", "woocommerce"]);
  });
});

describe("stock writes through the sync engine", () => {
  it("400 without an Idempotency-Key or with a bad body; nothing moves", async () => {
    const before = shopifyAvailable(SKU);
    const noKey = await call("adjustInventory", { body: { sku: SKU, delta: -1 }, idem: null });
    expect(noKey.body.error.code).toBe("idempotency_key_required");
    const bad = await call("adjustInventory", { body: { sku: SKU, delta: 0, extra: 1 }, valid: false });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.length).toBeGreaterThanOrEqual(2);
    expect((await call("adjustInventory", { body: "{not json", valid: false })).body.error.code).toBe("invalid_json");
    expect((await call("adjustInventory", { body: { sku: "NO-SUCH-SKU", delta: 1 } })).status).toBe(404);
    expect(shopifyAvailable(SKU)).toBe(before);
  });

  it("an adjustment moves Shopify once, however often it is resent (same key, 6 at once, then again)", async () => {
    const before = shopifyAvailable(SKU);
    const key = `adj-${crypto.randomUUID()}`;
    const body = { sku: SKU, delta: -2, note: "damaged in the warehouse" };
    const answers = await Promise.all(Array.from({ length: 6 }, () => call("adjustInventory", { body, idem: key })));
    const first = answers.find((a) => a.headers.get("idempotent-replayed") !== "true")!;
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "applied", delta: -2, before, after: before - 2 });
    for (const a of answers) expect(a.body).toEqual(first.body);
    const again = await call("adjustInventory", { body, idem: key });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(shopifyAvailable(SKU)).toBe(before - 2);
    const rows = await prisma.stockLedger.findMany({
      where: { shopId, idempotencyKey: { startsWith: `api:${shopId}:${key}` } },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ cause: "manual", actor: "api", delta: -2 });
    // The same key with another change is refused, and nothing moves.
    const reused = await call("adjustInventory", { body: { sku: SKU, delta: -3 }, idem: key });
    expect(reused.status).toBe(422);
    expect(shopifyAvailable(SKU)).toBe(before - 2);
    // The linked WooCommerce store follows (the engine's push).
    const woo = world.woo[0]!;
    await waitFor("store pushed", () => (woo.control.getStock(SKU) === before - 2 ? true : null), 30_000);
  }, 60_000);

  it("a set is compare-and-set: a stale expectedQuantity is 409 with the current value; the right one lands once", async () => {
    const current = shopifyAvailable(SKU);
    const stale = await call("setInventory", { body: { sku: SKU, quantity: 40, expectedQuantity: current + 5 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: "quantity_mismatch", details: { currentQuantity: current } });
    expect(shopifyAvailable(SKU)).toBe(current);
    const key = `set-${crypto.randomUUID()}`;
    const body = { sku: SKU, quantity: 40, expectedQuantity: current };
    const [a, b] = await Promise.all([
      call("setInventory", { body, idem: key }),
      call("setInventory", { body, idem: key }),
    ]);
    expect(a.body).toEqual(b.body);
    expect(a.body).toMatchObject({ status: "applied", before: current, after: 40 });
    expect(shopifyAvailable(SKU)).toBe(40);
    const ledger = await call("listLedger", { key: readKey, query: { sku: SKU, cause: "manual" } });
    expect(ledger.body.data[0]).toMatchObject({ cause: "manual", actor: "api", before: current, after: 40 });
    const woo = world.woo[0]!;
    await waitFor("store pushed", () => (woo.control.getStock(SKU) === 40 ? true : null), 30_000);
  }, 60_000);
});

/** A webhook receiver on loopback: records every request; `fail` makes it answer 500. */
async function startReceiver() {
  const received: { headers: Record<string, string>; body: string; status: number }[] = [];
  const state = { fail: false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const status = state.fail ? 500 : 204;
      received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString(), status });
      res.writeHead(status).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${port}/hooks`, received, state, close: () => new Promise((r) => server.close(r)) };
}

describe("outbound webhooks", () => {
  it("signed, one event id per event; stock changes arrive as stock.changed; failure → retries → dead letter → replay", async () => {
    const rx = await startReceiver();
    try {
      const { secret } = await createSubscription(shopId, {
        url: rx.url,
        topics: ["stock.changed", "conflict.raised", "store.unhealthy", "order.imported"],
      });
      const wh = new Webhook(secret);
      const verify = (r: (typeof rx.received)[number]) =>
        wh.verify(r.body, {
          "webhook-id": r.headers["webhook-id"]!,
          "webhook-timestamp": r.headers["webhook-timestamp"]!,
          "webhook-signature": r.headers["webhook-signature"]!,
        }) as any;

      // A domain event → exactly one delivery, signed; a second fan-out (a retried notify job) adds nothing.
      await emitEvent(shopId, "conflict.raised", { conflictId: "c-api", kind: "store_drift", expected: 3, store: 5 });
      const ev = await prisma.domainEvent.findFirstOrThrow({
        where: { shopId, type: "conflict.raised" },
        orderBy: { createdAt: "desc" },
      });
      const got = await waitFor(
        "conflict delivery",
        () => rx.received.find((r) => r.headers["webhook-id"] === `evt_${ev.id}`) ?? null,
      );
      expect(verify(got)).toMatchObject({ type: "conflict.raised", data: { conflictId: "c-api" } });
      expect(() =>
        new Webhook(`whsec_${Buffer.from("wrong-secret-wrong-secret").toString("base64")}`).verify(
          got.body,
          got.headers,
        ),
      ).toThrow();
      expect(await fanOutDomainEvent(ev.id)).toBe(0);

      // An API adjustment → its ledger row as one stock.changed event.
      const adj = await call("adjustInventory", { body: { sku: SKU, delta: 1 } });
      expect(adj.status).toBe(200);
      const stock = await waitFor(
        "stock.changed",
        () =>
          rx.received
            .map((r) => verify(r))
            .find((p) => p.type === "stock.changed" && p.data.cause === "manual" && p.data.delta === 1) ?? null,
      );
      expect(stock.data).toMatchObject({ sku: SKU, after: adj.body.after });
      await new Promise((r) => setTimeout(r, 2_500)); // let any duplicate show up
      const ids = rx.received.map((r) => r.headers["webhook-id"]);
      expect(new Set(ids).size).toBe(ids.length); // no retries happened, so no id twice
      expect(rx.received.every((r) => verify(r))).toBe(true);

      // A failing receiver: retried with the same id, then dead-lettered; replay delivers the same id.
      rx.state.fail = true;
      await emitEvent(shopId, "store.unhealthy", { reason: "api test: 503 for 5 minutes" });
      const sick = await prisma.domainEvent.findFirstOrThrow({
        where: { shopId, type: "store.unhealthy" },
        orderBy: { createdAt: "desc" },
      });
      const id = `evt_${sick.id}`;
      const delivery = await waitFor(
        "dead delivery",
        () => prisma.webhookDelivery.findFirst({ where: { eventId: id, status: "dead" } }),
        60_000,
      );
      const attempts = rx.received.filter((r) => r.headers["webhook-id"] === id);
      expect(attempts).toHaveLength(3); // the first try and 2 retries (SYNCFLOW_RETRY_LIMIT=2)
      expect(attempts.every((r) => verify(r).type === "store.unhealthy")).toBe(true);
      expect(delivery.lastError).toMatch(/HTTP 500/);
      const dead = await waitFor(
        "dead letter",
        async () => (await listDeadLetters(shopId)).find((d) => (d.data as any)?.deliveryId === delivery.id) ?? null,
      );
      expect(dead.queue).toBe("webhook-deliver");
      expect(dead.cause).toMatch(/HTTP 500/);
      rx.state.fail = false;
      expect(await replayDeadLetters(shopId, [dead.id])).toBe(1);
      await waitFor(
        "replayed",
        () => prisma.webhookDelivery.findFirst({ where: { id: delivery.id, status: "delivered" } }),
        30_000,
      );
      const all = rx.received.filter((r) => r.headers["webhook-id"] === id);
      expect(all).toHaveLength(4);
      expect(all[3]!.status).toBe(204);
      expect(verify(all[3]!).type).toBe("store.unhealthy");

      // Off the Enterprise plan, events are not fanned out (and no backlog is kept for later).
      await prisma.shop.update({
        where: { id: shopId },
        data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
      });
      try {
        await emitEvent(shopId, "conflict.raised", { conflictId: "c-off-plan" });
        const off = await prisma.domainEvent.findFirstOrThrow({
          where: { shopId, type: "conflict.raised" },
          orderBy: { createdAt: "desc" },
        });
        expect(await fanOutDomainEvent(off.id)).toBe(0);
        await new Promise((r) => setTimeout(r, 1_500)); // the notify job's own fan-out
        expect(await prisma.webhookDelivery.count({ where: { eventId: `evt_${off.id}` } })).toBe(0);
      } finally {
        await prisma.shop.update({
          where: { id: shopId },
          data: { planKey: "enterprise", subscriptionStatus: "ACTIVE" },
        });
      }
    } finally {
      await rx.close();
    }
  }, 120_000);
});
