/**
 * Fuzzing every public route of the real app build (issue 13, "What to build" 8; docs/decisions/151).
 *
 * The production server process (`build/node/serve.js` on `build/server/index.js`, real PostgreSQL) gets thousands of
 * generated requests (@fast-check/vitest): paths from every public route family with malformed escapes, unicode,
 * traversal and overlong segments; every method; wrong, missing and odd content types; empty, malformed, unicode,
 * deeply nested bodies; bad, forged and replayed Shopify, WooCommerce and plugin signatures;
 * junk forwarding headers. For every request: an HTTP answer below 500 (never a 5xx, never a dropped connection). At
 * the end: the process is still up and no domain row was written by a rejected request (row counts of every domain
 * table are unchanged; the few accepted requests the suite sends on purpose — one valid delivery and one valid signed
 * call, each then replayed — are accounted for exactly).
 *
 * Bounded: FUZZ_RUNS (default 5,600 requests across the properties), about a minute on 2 shared cores. A failure prints
 * fast-check's seed and the shrunk request; FUZZ_SEED replays it.
 */
import crypto from "node:crypto";
import { fc, test } from "@fast-check/vitest";
import pg from "pg";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { PrismaClient } from "@prisma/client";
import { encryptSecret } from "../../app/lib/crypto.server";
import { migrateDeploy } from "../../app/db/migrate.server";
import { startServerProcess, type ServerProcess } from "../harness/server";
import { signedHeaders } from "../harness/plugin-call";
import { TEST_API_SECRET } from "../harness/app";

const RUNS = Number(process.env.FUZZ_RUNS ?? 5_600);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const SHOP = `fuzz-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
const WOO_SECRET = crypto.randomBytes(32).toString("base64url");

let server: ServerProcess;
/** The fuzz server's own database (row counts must not see other test files writing at the same time). */
let prisma: PrismaClient;
let channelId: string;
let sent = 0;
const failures: string[] = [];

/** Row counts of every domain table (what a rejected request must not change). */
async function domainCounts(): Promise<Record<string, number>> {
  const [
    shops,
    channels,
    receipts,
    orders,
    ledger,
    adjustments,
    events,
    codesUsed,
    sessions,
    nonces,
    listings,
    notifications,
  ] = await Promise.all([
    prisma.shop.count(),
    prisma.channel.count(),
    prisma.webhookReceipt.count(),
    prisma.order.count(),
    prisma.stockLedger.count(),
    prisma.shopifyAdjustment.count(),
    prisma.domainEvent.count(),
    prisma.connectionCode.count({ where: { usedAt: { not: null } } }),
    prisma.session.count(),
    prisma.pluginCallNonce.count(),
    prisma.listing.count(),
    prisma.notification.count(),
  ]);
  return {
    shops,
    channels,
    receipts,
    orders,
    ledger,
    adjustments,
    events,
    codesUsed,
    sessions,
    nonces,
    listings,
    notifications,
  };
}

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Sends one request; records a failure for a 5xx or a dropped connection. Returns the status (0 = no answer). */
async function send(r: Req): Promise<number> {
  sent++;
  const hasBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD";
  try {
    const res = await fetch(`${server.url}${r.path}`, {
      method: r.method,
      headers: r.headers,
      body: hasBody ? (r.body as BodyInit) : undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    if (res.status >= 500)
      failures.push(`${res.status} ${r.method} ${r.path} ${JSON.stringify(r.headers).slice(0, 300)}`);
    return res.status;
  } catch (err) {
    // fetch itself refuses some header values before sending (they never reach the server): not a server failure.
    if (
      err instanceof TypeError &&
      /header|ByteString|invalid/i.test(
        String((err as Error).message) + String((err as { cause?: Error }).cause?.message ?? ""),
      )
    ) {
      if (!/fetch failed/.test((err as Error).message)) return -1;
    }
    failures.push(
      `no answer (${(err as Error).message}: ${String((err as { cause?: Error }).cause?.message ?? "")}) ${r.method} ${r.path}`,
    );
    return 0;
  }
}

// ---- generators -----------------------------------------------------------------------------------------------
const nasty = fc.constantFrom(
  "%",
  "%E0%A4%A",
  "%FF",
  "%C0%AF",
  "%00",
  "..%2F..%2Fetc%2Fpasswd",
  "%2e%2e",
  "é",
  "😀",
  "\u202e",
  "a".repeat(300),
  "%25",
  "?",
  "#",
  ";",
  "'",
  '"><script>',
  "{{7*7}}",
  "${jndi:x}",
);
const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.-]{0,20}$/),
  nasty,
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", maxLength: 8 }).map(encodeURIComponent),
);
const shopifyTopics = [
  "orders/create",
  "orders/cancelled",
  "refunds/create",
  "inventory_levels/update",
  "products/update",
  "app/uninstalled",
  "app/scopes_update",
  "customers/data_request",
  "customers/redact",
  "shop/redact",
];
const path = fc.oneof(
  fc
    .tuple(fc.constantFrom(...shopifyTopics), fc.option(segment))
    .map(([t, s]) => `/webhooks/${t}${s === null ? "" : `/${s}`}`),
  segment.map((s) => `/webhooks/woocommerce/${s}`),
  fc.constant(null).map(() => `/webhooks/woocommerce/${channelId}`),
  fc
    .constantFrom("register", "heartbeat", "disconnect", "stock-events")
    .chain((r) => fc.option(segment).map((s) => `/api/woo/${r}${s === null ? "" : `/${s}`}`)),
  // issue 18: the merchant API (a forged or missing Bearer key, any method and body).
  fc
    .constantFrom(
      "inventory",
      "inventory/adjustments",
      "inventory/sets",
      "orders",
      "ledger",
      "channels",
      "openapi.json",
      "docs",
    )
    .chain((r) => fc.option(segment).map((s) => `/api/v1/${r}${s === null ? "" : `/${s}`}`)),
  fc
    .tuple(
      fc.constantFrom(
        "/auth/login",
        "/auth/session-token",
        "/auth/callback",
        "/auth/exit-iframe",
        "/sheets/oauth/callback",
        "/app",
        "/app/inventory",
        "/app/items/",
        "/app/orders/",
        "/app/exports/",
        "/app/settings/notifications",
        "/demo/admin",
        "/demo/session-token",
        "/",
      ),
      segment,
      fc.option(
        fc.dictionary(
          fc.constantFrom(
            "shop",
            "code",
            "state",
            "hmac",
            "host",
            "id_token",
            "embedded",
            "return",
            "_data",
            "cursor",
            "q",
            "timestamp",
          ),
          segment,
          { maxKeys: 4 },
        ),
      ),
    )
    .map(
      ([base, s, q]) =>
        `${base}${base.endsWith("/") ? s : ""}${
          q
            ? `?${Object.entries(q)
                .map(([k, v]) => `${k}=${v}`)
                .join("&")}`
            : ""
        }`,
    ),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((a) => `/${a.join("/")}`),
);
const method = fc.constantFrom("GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");
const contentType = fc.option(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-16",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "application/xml",
    "",
    "*/*",
    'application/json; charset="bogus"',
  ),
);
const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    "",
    "{",
    "{}",
    "[]",
    "null",
    '"x"',
    '{"code":"SF-AAAA","store_url":"http://127.0.0.1:1"}',
    '{"store_url":"http://169.254.169.254","code":"SF-XXXX-XXXX-XXXX","consumer_key":"ck_a","consumer_secret":"cs_a"}',
    "webhook_id=1",
    "\u0000\u0001",
    "[".repeat(5000),
    '{"a":'.repeat(2000),
  ),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc
    .record({
      id: fc.oneof(fc.integer(), fc.string()),
      date_modified_gmt: fc.string(),
      line_items: fc.array(fc.record({ sku: fc.string(), quantity: fc.integer() }), { maxLength: 3 }),
    })
    .map((o) => JSON.stringify(o)),
);
const junkHeader = fc.oneof(
  segment,
  fc.string({ maxLength: 40 }),
  fc.base64String({ maxLength: 60 }),
  fc.constantFrom("", " ", "AAAA", "sha256=xx"),
);
const extraHeaders = fc.record(
  {
    "X-Shopify-Hmac-Sha256": junkHeader,
    "X-Shopify-Topic": fc.oneof(fc.constantFrom(...shopifyTopics), junkHeader),
    "X-Shopify-Shop-Domain": fc.oneof(fc.constant(SHOP), junkHeader),
    "X-Shopify-Webhook-Id": junkHeader,
    "X-Shopify-API-Version": fc.oneof(fc.constant("2026-10"), junkHeader),
    "X-Shopify-Triggered-At": junkHeader,
    "X-WC-Webhook-Signature": junkHeader,
    "X-WC-Webhook-Topic": fc.oneof(fc.constantFrom("order.created", "product.updated", "order.updated"), junkHeader),
    "X-WC-Webhook-Resource": junkHeader,
    "X-SyncFlow-Channel": fc.oneof(
      fc.constant(null).map(() => channelId),
      junkHeader,
    ),
    "X-SyncFlow-Signature": junkHeader,
    "X-SyncFlow-Timestamp": fc.oneof(
      fc.constant(null).map(() => String(Math.floor(Date.now() / 1000))),
      junkHeader,
    ),
    "X-SyncFlow-Nonce": junkHeader,
    "X-Forwarded-For": fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      junkHeader,
      fc.array(fc.ipV4(), { maxLength: 30 }).map((a) => a.join(", ")),
    ),
    Authorization: fc.oneof(
      fc.constant("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"),
      junkHeader.map((h) => `Bearer ${h}`),
      fc.stringMatching(/^[a-z2-7]{40}$/).map((r) => `Bearer sf_live_${r.slice(0, 8)}_${r.slice(8)}`), // well-formed, unknown
    ),
    Cookie: junkHeader,
    Accept: fc.constantFrom("application/json", "text/html", "*/*", "text/csv"),
  },
  { requiredKeys: [] },
);

/**
 * A forged request: everything above, any route. Forged signatures only: every such request must be refused or be a
 * no-op. (Oversized bodies are not here: fetch sets Content-Length itself, and a server that stops reading a body
 * mid-upload closes the connection — scripts/serve.guard.integration.test.ts drives the caps over raw sockets.)
 */
const forged = fc
  .record({ method, path, ct: contentType, headers: extraHeaders, body: jsonish })
  .map(({ method: m, path: p, ct, headers, body }) => {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (typeof v === "string") h[k] = v;
    if (ct !== null) h["Content-Type"] = ct;
    return { method: m, path: p, headers: h, body };
  });

// ---- setup ----------------------------------------------------------------------------------------------------
beforeAll(async () => {
  // A database of its own, so "no row written" counts only what the fuzzed server did.
  const base = new URL(process.env.DATABASE_URL!);
  const dbName = `syncflow_fuzz_${process.pid}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  base.pathname = `/${dbName}`;
  process.env.DATABASE_URL = base.toString();
  migrateDeploy(process.env.DATABASE_URL);
  prisma = (await import("../../app/db.server")).default;
  const { createConnectionCode } = await import("../../app/sync/stores/registration.server");
  const shop = await prisma.shop.create({ data: { domain: SHOP, name: "Fuzz" } });
  const ch = await prisma.channel.create({
    data: {
      shopId: shop.id,
      kind: "woocommerce",
      name: "Fuzz Store",
      baseUrl: "http://127.0.0.1:9",
      status: "active",
      mode: "exact",
      webhookSecretEnc: encryptSecret(WOO_SECRET),
      pluginVersion: "1.1.0",
    },
  });
  channelId = ch.id;
  await createConnectionCode(shop.id); // a live code exists; the fuzzer never has it
  server = await startServerProcess({
    SYNCFLOW_ALLOW_LOOPBACK_STORES: "1",
    SYNCFLOW_TRUSTED_PROXIES: "1",
    SYNCFLOW_REGISTER_ATTEMPTS: "1000000",
  });
}, 120_000);

afterAll(async () => {
  if (failures.length && server) {
    // The server's own account of what failed, for the fix.
    console.error(`[fuzz] failures:\n${failures.slice(0, 20).join("\n")}`);
    if (process.env.FUZZ_LOG) (await import("node:fs")).writeFileSync(process.env.FUZZ_LOG, server.stderr());
  }
  await server?.close();
  await prisma?.$disconnect();
  console.log(`[fuzz] ${sent} requests, ${failures.length} failures`);
});

/** The big property stops generating after 95 s (then the count check below fails loudly rather than pass short). */
const fcParams = {
  numRuns: Math.floor(RUNS * 0.9),
  seed: SEED,
  endOnFailure: true,
  interruptAfterTimeLimit: 95_000,
} as const;
const TIMEOUT = 120_000;

describe("fuzzing the public routes of the real server", () => {
  let before: Record<string, number>;

  test.prop([forged], fcParams)(
    "a forged or malformed request never gets a 5xx or a dropped connection",
    async (r) => {
      before ??= await domainCounts();
      await send(r);
      expect(failures).toEqual([]);
    },
    TIMEOUT,
  );

  test.prop([fc.constantFrom(...shopifyTopics), jsonish, fc.integer({ min: 1, max: 3 })], {
    numRuns: Math.floor(RUNS * 0.05),
    seed: SEED,
  })(
    "a genuine Shopify delivery is stored once and its replays write nothing",
    async (topic, body, replays) => {
      before ??= await domainCounts();
      const raw = body === "" ? "{}" : body;
      const headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": `never-installed-${crypto.randomUUID().slice(0, 6)}.myshopify.com`,
        "X-Shopify-Hmac-Sha256": crypto.createHmac("sha256", TEST_API_SECRET).update(raw).digest("base64"),
        "X-Shopify-Webhook-Id": crypto.randomUUID(),
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Triggered-At": new Date().toISOString(),
      };
      const first = await send({ method: "POST", path: `/webhooks/${topic}`, headers, body: raw });
      const afterFirst = await prisma.webhookReceipt.count();
      for (let i = 0; i < replays; i++) await send({ method: "POST", path: `/webhooks/${topic}`, headers, body: raw });
      expect(failures).toEqual([]);
      expect(first).toBeLessThan(500);
      expect(await prisma.webhookReceipt.count()).toBe(afterFirst);
    },
    TIMEOUT,
  );

  test.prop([fc.integer({ min: 1, max: 3 })], { numRuns: Math.floor(RUNS * 0.05), seed: SEED })(
    "a genuine signed plugin call works once; its replays are refused and write nothing",
    async (replays) => {
      before ??= await domainCounts();
      const body = JSON.stringify({
        store_url: "http://127.0.0.1:9",
        plugin_version: "1.1.0",
        webhooks: [],
        recreated: [],
      });
      const headers = { "Content-Type": "application/json", ...signedHeaders(channelId, WOO_SECRET, body) };
      expect(await send({ method: "POST", path: "/api/woo/heartbeat", headers, body })).toBe(200);
      const nonces = await prisma.pluginCallNonce.count();
      for (let i = 0; i < replays; i++)
        expect(await send({ method: "POST", path: "/api/woo/heartbeat", headers, body })).toBe(401);
      expect(await prisma.pluginCallNonce.count()).toBe(nonces);
    },
    TIMEOUT,
  );

  test("after all of it: the process is up, ≥ 5,000 requests were answered, and rejected requests wrote no domain row", async () => {
    expect(server.alive()).toBe(true);
    expect((await fetch(`${server.url}/auth/login`)).status).toBe(200);
    if (!process.env.FUZZ_RUNS) expect(sent).toBeGreaterThanOrEqual(5_000);
    expect(failures).toEqual([]);
    const after = await domainCounts();
    // Accepted on purpose: one receipt per genuine Shopify delivery (not its replays), one nonce per genuine signed call.
    const genuineDeliveries = await prisma.webhookReceipt.count({
      where: { headers: { path: ["x-shopify-shop-domain"], string_starts_with: "never-installed-" } },
    });
    expect({ ...after, receipts: after.receipts - genuineDeliveries, nonces: 0 }).toEqual({ ...before, nonces: 0 });
  });
});
