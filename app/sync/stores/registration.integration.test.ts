/**
 * Store registration API (docs/contracts/hub-api-v1.md) over real HTTP against the production build:
 * one-time codes (single use, 15-minute expiry, hash only at rest), key verification against the store,
 * exact/buffered mode detection, rate limiting, and the signed heartbeat/disconnect calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../../db.server";
import { startApp, type AppHandle } from "../../../tests/harness/app";
import { startWooEmulator, type WooEmulator } from "../../../tests/emulators/woocommerce/index";
import { registerStore } from "../../../tests/harness/world";
import { createConnectionCode, normalizeCode } from "./registration.server";
import { sha256Hex } from "../../lib/crypto.server";
import { stopBoss } from "../../jobs/queue.server";
import { signedHeaders } from "../../../tests/harness/plugin-call";

let app: AppHandle;
let exactStore: WooEmulator;
let plainStore: WooEmulator;
let shopId: string;

beforeAll(async () => {
  app = await startApp();
  exactStore = await startWooEmulator({ siteName: "Exact Store" });
  plainStore = await startWooEmulator({ siteName: "Plain Store", syncflowPlugin: false });
  const shop = await prisma.shop.create({ data: { domain: `reg-${crypto.randomUUID().slice(0, 8)}.myshopify.com` } });
  shopId = shop.id;
  await prisma.location.create({ data: { shopId, gid: "gid://shopify/Location/1", name: "Warehouse" } });
}, 60_000);

afterAll(async () => {
  await stopBoss();
  await app?.close();
  await exactStore?.close();
  await plainStore?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${app.url}${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Forwarded-For": `10.0.0.${Math.floor(Math.random() * 250)}`,
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("connection codes", () => {
  it("are high-entropy, stored only as a hash, and expire in 15 minutes", async () => {
    const { code, expiresAt } = await createConnectionCode(shopId);
    expect(normalizeCode(code)).toMatch(/^[A-Z2-7]{32}$/); // 160 bits
    const row = await prisma.connectionCode.findUnique({ where: { codeHash: sha256Hex(normalizeCode(code)) } });
    expect(row).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain(normalizeCode(code));
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });
});

describe("POST /api/woo/register", () => {
  it("registers a store with the plugin in exact mode, creates its webhooks, and the code works only once", async () => {
    const { code } = await createConnectionCode(shopId);
    const first = await registerStore(app.url, code.toLowerCase(), exactStore);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ ok: true, mode: "exact" });
    expect(first.body.webhook_secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: first.body.channel_id } });
    expect(channel.shopId).toBe(shopId);
    expect(channel.credentialsEnc).toMatch(/^v2:/);
    expect(channel.webhookSecretEnc).not.toContain(first.body.webhook_secret);
    expect(exactStore.control.state().webhooks.filter((w: { status: string }) => w.status === "active")).toHaveLength(
      4,
    );
    const again = await registerStore(app.url, code, exactStore);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe("invalid_code");
  });

  it("falls back to buffered mode when the store has no SyncFlow plugin", async () => {
    const { code } = await createConnectionCode(shopId);
    const res = await registerStore(app.url, code, plainStore);
    expect(res.status).toBe(201);
    expect(res.body.mode).toBe("buffered");
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: res.body.channel_id } });
    expect(channel.bufferUnits).toBeGreaterThan(0);
  });

  it("refuses expired and unknown codes with one message (no oracle)", async () => {
    const { code } = await createConnectionCode(shopId);
    await prisma.connectionCode.update({
      where: { codeHash: sha256Hex(normalizeCode(code)) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await registerStore(app.url, code, exactStore);
    const unknown = await registerStore(app.url, "SF-AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", exactStore);
    expect([expired.status, unknown.status]).toEqual([401, 401]);
    expect(expired.body.error.message).toBe(unknown.body.error.message);
  });

  it("answers 422 when the store rejects the keys, and keeps the code usable", async () => {
    const { code } = await createConnectionCode(shopId);
    const res = await post("/api/woo/register", {
      code,
      store_url: exactStore.url,
      consumer_key: "ck_wrong",
      consumer_secret: "cs_wrong",
    });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe("store_rejected_keys");
    const row = await prisma.connectionCode.findUniqueOrThrow({ where: { codeHash: sha256Hex(normalizeCode(code)) } });
    expect(row.usedAt).toBeNull();
  });

  it("answers 400 with a reason for malformed bodies", async () => {
    const notJson = await post("/api/woo/register", "{nope");
    expect(notJson.status).toBe(400);
    const missing = await post("/api/woo/register", { code: "SF-XXXX-XXXX", store_url: "ftp://x" });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toMatch(/store_url|consumer_key/);
  });

  it("rate-limits registration attempts per client", async () => {
    const headers = { "X-Forwarded-For": "192.0.2.77" };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        (
          await post(
            "/api/woo/register",
            {
              code: "SF-NOPE-NOPE-NOPE",
              store_url: "https://x.example",
              consumer_key: "ck_a",
              consumer_secret: "cs_a",
            },
            headers,
          )
        ).status,
      );
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});

describe("signed plugin calls", () => {
  it("accept a correctly signed heartbeat, refuse a bad signature (401) and an unknown store (404)", async () => {
    const { code } = await createConnectionCode(shopId);
    const reg = await registerStore(app.url, code, exactStore);
    const body = JSON.stringify({
      store_url: exactStore.url,
      plugin_version: "1.0.0",
      webhooks: [{ id: 1, topic: "order.created", status: "disabled" }],
      recreated: [],
    });
    const ok = await post(
      "/api/woo/heartbeat",
      body,
      signedHeaders(reg.body.channel_id, reg.body.webhook_secret, body),
    );
    expect(ok.status).toBe(200);
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: reg.body.channel_id } });
    expect(channel.status).toBe("degraded");
    expect(channel.statusReason).toContain("order.created (disabled)");
    const bad = await post("/api/woo/heartbeat", body, {
      ...signedHeaders(reg.body.channel_id, reg.body.webhook_secret, body),
      "X-SyncFlow-Signature": "AAAA",
    });
    expect(bad.status).toBe(401);
    const unknown = await post("/api/woo/heartbeat", body, signedHeaders("nope", reg.body.webhook_secret, body));
    expect(unknown.status).toBe(404);

    const dBody = JSON.stringify({ store_url: exactStore.url, reason: "owner disconnected" });
    const disc = await post(
      "/api/woo/disconnect",
      dBody,
      signedHeaders(reg.body.channel_id, reg.body.webhook_secret, dBody),
    );
    expect(disc.status).toBe(200);
    const after = await prisma.channel.findUniqueOrThrow({ where: { id: reg.body.channel_id } });
    expect(after.status).toBe("disconnected");
    expect(after.credentialsEnc).toBeNull();
  });
});
