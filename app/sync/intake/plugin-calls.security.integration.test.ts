/**
 * Signed plugin calls against hostile callers (issue 13: "signed plugin calls carry no timestamp, so they can be
 * replayed; a disconnected store's secret still works and a heartbeat sets it back to active"; docs/decisions/146),
 * over real HTTP against the production build, with a store registered through the real flow.
 */
import crypto from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { startApp, type AppHandle } from "../../../tests/harness/app";
import { startWooEmulator, type WooEmulator } from "../../../tests/emulators/woocommerce/index";
import { registerStore } from "../../../tests/harness/world";
import { legacySignedHeaders, signedHeaders } from "../../../tests/harness/plugin-call";
import { createConnectionCode } from "../stores/registration.server";
import { stopBoss } from "../../jobs/queue.server";

let app: AppHandle;
let store: WooEmulator;
let shopId: string;

beforeAll(async () => {
  app = await startApp();
  store = await startWooEmulator({ siteName: "Signed Store" });
  const shop = await prisma.shop.create({
    data: { domain: `signed-${crypto.randomUUID().slice(0, 8)}.myshopify.com` },
  });
  shopId = shop.id;
  await prisma.location.create({ data: { shopId, gid: "gid://shopify/Location/1", name: "Warehouse" } });
}, 60_000);
afterEach(() => {
  delete process.env.SYNCFLOW_PLUGIN_1_0_GRACE_UNTIL;
});
afterAll(async () => {
  await stopBoss();
  await app?.close();
  await store?.close();
});

async function connect(): Promise<{ channelId: string; secret: string }> {
  const { code } = await createConnectionCode(shopId);
  const reg = await registerStore(app.url, code, store, `198.51.100.${crypto.randomInt(1, 250)}`);
  expect(reg.status).toBe(201);
  // registerStore sends plugin_version 1.0.0 (what a store that has not updated yet reports).
  return { channelId: reg.body.channel_id, secret: reg.body.webhook_secret };
}

const heartbeat = (version = "1.1.0") =>
  JSON.stringify({ store_url: store.url, plugin_version: version, webhooks: [], recreated: [] });
const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${app.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
const row = (id: string) => prisma.channel.findUniqueOrThrow({ where: { id } });

describe("signed plugin calls: timestamp + nonce", () => {
  it("accept a fresh call once; the same call again is refused as a replay and changes nothing", async () => {
    const { channelId, secret } = await connect();
    const body = heartbeat();
    const headers = signedHeaders(channelId, secret, body);
    const first = await post("/api/woo/heartbeat", body, headers);
    expect(first.status).toBe(200);
    const seen = (await row(channelId)).lastHeartbeatAt;
    await prisma.channel.update({ where: { id: channelId }, data: { status: "degraded", statusReason: "probe" } });
    const replay = await post("/api/woo/heartbeat", body, headers);
    expect(replay.status).toBe(401);
    expect((await replay.json()).error.code).toBe("replayed");
    const after = await row(channelId);
    expect(after.lastHeartbeatAt).toEqual(seen);
    expect(after.status).toBe("degraded");
  });

  it("refuse a correctly signed call older than 5 minutes, and a signature that does not cover the timestamp", async () => {
    const { channelId, secret } = await connect();
    const body = heartbeat();
    const old = await post(
      "/api/woo/heartbeat",
      body,
      signedHeaders(channelId, secret, body, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
    );
    expect(old.status).toBe(401);
    expect((await old.json()).error.code).toBe("stale_signature");
    const h = signedHeaders(channelId, secret, body);
    const moved = await post("/api/woo/heartbeat", body, {
      ...h,
      "X-SyncFlow-Timestamp": String(Number(h["X-SyncFlow-Timestamp"]) + 1),
    });
    expect(moved.status).toBe(401);
    expect((await moved.json()).error.code).toBe("bad_signature");
  });

  it("accept plugin 1.0.0's body-only signature only during the operator's grace period, and flag the store", async () => {
    const { channelId, secret } = await connect();
    const body = heartbeat("1.0.0");
    const refused = await post("/api/woo/heartbeat", body, legacySignedHeaders(channelId, secret, body));
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe("plugin_update_required");
    process.env.SYNCFLOW_PLUGIN_1_0_GRACE_UNTIL = new Date(Date.now() + 86_400_000).toISOString();
    const ok = await post("/api/woo/heartbeat", body, legacySignedHeaders(channelId, secret, body));
    expect(ok.status).toBe(200);
    expect((await row(channelId)).legacySignedCallAt).not.toBeNull();
    // Once the store reports 1.1.0 (with a signed call), its legacy signature is never accepted again, even in grace.
    const v2 = heartbeat("1.1.0");
    expect((await post("/api/woo/heartbeat", v2, signedHeaders(channelId, secret, v2))).status).toBe(200);
    expect((await row(channelId)).legacySignedCallAt).toBeNull();
    const downgrade = await post("/api/woo/heartbeat", body, legacySignedHeaders(channelId, secret, body));
    expect(downgrade.status).toBe(401);
  });
});

describe("disconnect revokes the store's secret", () => {
  it("a disconnected store's heartbeat and webhook deliveries get 410 and change nothing", async () => {
    const { channelId, secret } = await connect();
    const d = JSON.stringify({ store_url: store.url, reason: "owner disconnected" });
    expect((await post("/api/woo/disconnect", d, signedHeaders(channelId, secret, d))).status).toBe(200);
    const disconnected = await row(channelId);
    expect(disconnected.webhookSecretEnc).toBeNull();
    expect(disconnected.credentialsEnc).toBeNull();

    const body = heartbeat();
    const hb = await post("/api/woo/heartbeat", body, signedHeaders(channelId, secret, body));
    expect(hb.status).toBe(410);
    expect((await row(channelId)).status).toBe("disconnected");

    const order = JSON.stringify({
      id: 991,
      date_modified_gmt: "2026-12-01T00:00:00",
      status: "processing",
      line_items: [],
    });
    const receiptsBefore = await prisma.webhookReceipt.count({ where: { channelId } });
    const wh = await post(`/webhooks/woocommerce/${channelId}`, order, {
      "X-WC-Webhook-Topic": "order.created",
      "X-WC-Webhook-Signature": crypto.createHmac("sha256", secret).update(order).digest("base64"),
    });
    expect(wh.status).toBe(410);
    expect(await prisma.webhookReceipt.count({ where: { channelId } })).toBe(receiptsBefore);
  });
});
