/**
 * Registration against hostile callers (issue 13, findings "SSRF through registration" and the registration
 * rate limits), over real HTTP against the production build in this process, so the outbound guard, the
 * injectable resolver and a spy on socket connects all see the real calls:
 * - in production mode (no SYNCFLOW_ALLOW_LOOPBACK_STORES) loopback, 10.0.0.1, 169.254.169.254, a name that
 *   resolves to a metadata address and plain http are refused with one generic message and no connection;
 * - redirects are never followed; an internal service's error text is never echoed; a closed port and a
 *   talking service look the same; each check is ONE request;
 * - a valid code is burned after 5 failed attempts; a server error after the store check never burns it;
 * - rate limits key on the rightmost untrusted hop (not the client-written first X-Forwarded-For entry) and
 *   per shop;
 * - a channel registered to an internal URL before the fix is not called by the worker's adapter.
 */
import http from "node:http";
import net from "node:net";
import crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import prisma from "../../db.server";
import { startApp, type AppHandle } from "../../../tests/harness/app";
import { startWooEmulator, type WooEmulator } from "../../../tests/emulators/woocommerce/index";
import { registerStore } from "../../../tests/harness/world";
import { createConnectionCode, normalizeCode, STORE_UNREACHABLE_MESSAGE } from "./registration.server";
import { sha256Hex } from "../../lib/crypto.server";
import { setOutboundLookupForTests } from "../../lib/outbound-guard.server";
import { salesAdapter } from "./stores.server";
import { ChannelError } from "../../channels/channel";
import { stopBoss } from "../../jobs/queue.server";

let app: AppHandle;
let store: WooEmulator;
let shopId: string;
/** A loopback "internal service": counts requests, answers what `reply` says. */
let internal: http.Server;
let internalUrl: string;
let internalHits = 0;
let reply: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, res) =>
  res.writeHead(422, { "Content-Type": "text/plain" }).end("db password is hunter2");

beforeAll(async () => {
  process.env.SYNCFLOW_REGISTER_SHOP_ATTEMPTS = "12";
  app = await startApp();
  store = await startWooEmulator({ siteName: "Real Store" });
  internal = http.createServer((req, res) => {
    internalHits++;
    reply(req, res);
  });
  await new Promise<void>((r) => internal.listen(0, "127.0.0.1", r));
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
}, 60_000);

/** Each test its own shop, so the per-shop limit (12 here) counts only that test's attempts. */
async function newShop(): Promise<string> {
  const shop = await prisma.shop.create({
    data: { domain: `regsec-${crypto.randomUUID().slice(0, 8)}.myshopify.com` },
  });
  await prisma.location.create({ data: { shopId: shop.id, gid: "gid://shopify/Location/1", name: "Warehouse" } });
  shopId = shop.id;
  return shop.id;
}

afterEach(() => {
  process.env.SYNCFLOW_ALLOW_LOOPBACK_STORES = "1";
  setOutboundLookupForTests(undefined);
  vi.restoreAllMocks();
  internalHits = 0;
});

afterAll(async () => {
  await stopBoss();
  await app?.close();
  await store?.close();
  await new Promise((r) => internal?.close(r));
});

let clientN = 0;
/** A registration from its own client address (so the per-address limit never interferes). */
async function register(
  code: string,
  storeUrl: string,
  xff = `203.0.113.${++clientN % 250}`,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${app.url}/api/woo/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Forwarded-For": xff },
    body: JSON.stringify({
      code,
      store_url: storeUrl,
      consumer_key: "ck_0123456789abcdef",
      consumer_secret: "cs_0123456789abcdef",
      plugin_version: "1.1.0",
    }),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const codeRow = (code: string) =>
  prisma.connectionCode.findUniqueOrThrow({ where: { codeHash: sha256Hex(normalizeCode(code)) } });

/** Socket connects whose target host is `host` (a TCP connection attempt, not a name lookup that was refused). */
function connectsTo(spy: ReturnType<typeof vi.spyOn>, hosts: string[]): number {
  return spy.mock.calls.filter((args: unknown[]) => {
    const o = args[0] as { host?: string } | number;
    return typeof o === "object" && o && hosts.includes(String(o.host));
  }).length;
}

describe("registration in production mode (loopback not allowed)", () => {
  it("refuses loopback, private, metadata and plain-http store URLs with one generic message and no connection", async () => {
    await newShop();
    process.env.SYNCFLOW_ALLOW_LOOPBACK_STORES = "0";
    const connect = vi.spyOn(net.Socket.prototype, "connect");
    const lookups: string[] = [];
    setOutboundLookupForTests(((
      hostname: string,
      _o: unknown,
      cb: (e: Error | null, a: unknown, f?: number) => void,
    ) => {
      lookups.push(hostname);
      const table: Record<string, string> = {
        "metadata.attacker.test": "169.254.169.254",
        "intranet.attacker.test": "10.0.0.1",
        "cgnat.attacker.test": "100.64.0.7",
      };
      const address = table[hostname] ?? "127.0.0.1";
      const opts = _o as { all?: boolean };
      if (opts?.all) cb(null, [{ address, family: 4 }]);
      else cb(null, address, 4);
    }) as never);
    const { code } = await createConnectionCode(shopId);
    const targets = [
      internalUrl, // http://127.0.0.1:<port>
      "http://10.0.0.1",
      "http://169.254.169.254/latest/meta-data",
      "https://10.0.0.1",
      "https://169.254.169.254",
      "https://[::1]",
      "https://[::ffff:10.0.0.1]",
      "https://0x7f000001",
      "https://metadata.attacker.test",
      "https://intranet.attacker.test",
      "https://cgnat.attacker.test",
    ];
    const answers = [];
    for (const t of targets.slice(0, 4)) answers.push(await register(code, t));
    const { code: code2 } = await createConnectionCode(shopId);
    for (const t of targets.slice(4, 8)) answers.push(await register(code2, t));
    const { code: code3 } = await createConnectionCode(shopId);
    for (const t of targets.slice(8)) answers.push(await register(code3, t));
    for (const [i, a] of answers.entries()) {
      expect(a.status, targets[i]).toBe(422);
      expect(a.body.error, targets[i]).toEqual({ code: "store_unreachable", message: STORE_UNREACHABLE_MESSAGE });
    }
    expect(internalHits).toBe(0);
    expect(
      connectsTo(connect, ["10.0.0.1", "169.254.169.254", "100.64.0.7", "::1", "::ffff:10.0.0.1", "::ffff:a00:1"]),
    ).toBe(0);
    // The names were resolved (by the injected resolver) and refused on the address they resolved to.
    expect(lookups).toEqual(
      expect.arrayContaining(["metadata.attacker.test", "intranet.attacker.test", "cgnat.attacker.test"]),
    );
  });

  it("stops calling a store registered to an internal URL before the guard existed (the worker's adapter)", async () => {
    await newShop();
    process.env.SYNCFLOW_ALLOW_LOOPBACK_STORES = "0";
    const { encryptJson } = await import("../../lib/crypto.server");
    const channel = await prisma.channel.create({
      data: {
        shopId,
        kind: "woocommerce",
        name: "old internal",
        baseUrl: internalUrl,
        status: "active",
        credentialsEnc: encryptJson({ consumerKey: "ck_x", consumerSecret: "cs_x" }),
        webhookSecretEnc: null,
      },
    });
    const err = await salesAdapter(channel)
      .verifyConnection()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).retryable).toBe(false);
    expect(internalHits).toBe(0);
  });
});

describe("registration with loopback allowed (tests, demo): what the guard does besides addresses", () => {
  it("never follows a redirect (to loopback or to the metadata address)", async () => {
    await newShop();
    const connect = vi.spyOn(net.Socket.prototype, "connect");
    const target = http.createServer((_q, res) => res.end("{}"));
    let targetHits = 0;
    target.on("request", () => targetHits++);
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    try {
      for (const location of [targetUrl, "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"]) {
        reply = (_q, res) => res.writeHead(302, { Location: location }).end();
        const { code } = await createConnectionCode(shopId);
        const res = await register(code, internalUrl);
        expect(res.status).toBe(422);
        expect(res.body.error.message).toBe(STORE_UNREACHABLE_MESSAGE);
      }
      expect(internalHits).toBe(3); // one request per registration, the redirect itself
      expect(targetHits).toBe(0);
      expect(connectsTo(connect, ["169.254.169.254", "10.0.0.1"])).toBe(0);
    } finally {
      await new Promise((r) => target.close(r));
    }
  });

  it("does not echo what an internal service answered, and a closed port looks the same", async () => {
    await newShop();
    reply = (_q, res) =>
      res
        .writeHead(422, { "Content-Type": "application/json" })
        .end(JSON.stringify({ code: "db_error", message: "db password is hunter2" }));
    const { code } = await createConnectionCode(shopId);
    const talking = await register(code, internalUrl);
    const closedPort = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const closed = await register(code, `http://127.0.0.1:${closedPort}`);
    expect(JSON.stringify(talking.body)).not.toContain("hunter2");
    expect([talking.status, closed.status]).toEqual([422, 422]);
    expect(talking.body.error).toEqual(closed.body.error);
  });

  it("sends each store check once (no retries of a failing internal service)", async () => {
    await newShop();
    reply = (_q, res) => res.writeHead(503).end("busy");
    const { code } = await createConnectionCode(shopId);
    const res = await register(code, internalUrl);
    expect(res.status).toBe(422);
    expect(internalHits).toBe(1);
  });

  it("burns a valid code after 5 failed attempts, so it cannot be used to scan", async () => {
    await newShop();
    reply = (_q, res) => res.writeHead(404).end();
    const { code } = await createConnectionCode(shopId);
    for (let i = 0; i < 5; i++) expect((await register(code, internalUrl)).status).toBe(422);
    expect(internalHits).toBe(5);
    const sixth = await registerStore(app.url, code, store, `203.0.113.${++clientN % 250}`);
    expect(sixth.status).toBe(401);
    expect(sixth.body.error.code).toBe("invalid_code");
    expect(internalHits).toBe(5);
    expect((await codeRow(code)).failedAttempts).toBe(5);
  });

  it("never burns the code on a server error after the store check (missing encryption key): the same code works after", async () => {
    await newShop();
    const { code } = await createConnectionCode(shopId);
    const key = process.env.SYNCFLOW_ENCRYPTION_KEY;
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    process.env.SYNCFLOW_ENCRYPTION_KEY = "not-a-32-byte-key";
    let failed;
    try {
      failed = await registerStore(app.url, code, store, `203.0.113.${++clientN % 250}`);
    } finally {
      if (key === undefined) delete process.env.SYNCFLOW_ENCRYPTION_KEY;
      else process.env.SYNCFLOW_ENCRYPTION_KEY = key;
      error.mockRestore();
    }
    expect(failed.status).toBe(500);
    expect((await codeRow(code)).usedAt).toBeNull();
    expect(await prisma.channel.count({ where: { shopId, baseUrl: store.url } })).toBe(0);
    const ok = await registerStore(app.url, code, store, `203.0.113.${++clientN % 250}`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });
});

describe("registration rate limits", () => {
  it("key on the rightmost untrusted hop: a client cannot pick a fresh bucket by writing X-Forwarded-For", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      // The client writes a new left-most entry each time; the trusted proxy (the socket peer) appended 192.0.2.200.
      const res = await register(
        "SF-AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH",
        "https://shop.example.com",
        `198.18.${i}.1, 192.0.2.200`,
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Another client is not locked out by that one.
    expect(
      (await register("SF-AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", "https://shop.example.com", "192.0.2.201")).status,
    ).toBe(401);
  });

  it("limit attempts per shop across codes and addresses", async () => {
    const shop = { id: await newShop() };
    reply = (_q, res) => res.writeHead(404).end();
    const statuses: number[] = [];
    for (let c = 0; c < 3; c++) {
      const { code } = await createConnectionCode(shop.id);
      for (let i = 0; i < 5; i++) statuses.push((await register(code, internalUrl)).status);
    }
    expect(statuses.slice(0, 12).every((s) => s === 422)).toBe(true);
    expect(statuses.slice(12).every((s) => s === 429)).toBe(true);
  });
});
