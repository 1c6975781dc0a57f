/**
 * The plugin's calls to the hub (docs/contracts/hub-api-v1.md), issue 12 B3–B5, over real HTTP against the app build
 * with the worker running:
 * - B3: a heartbeat that reports missed events queues a reconciliation of that store at once, which recovers an
 *   order whose webhook never came (it used to queue only a re-link: the order waited for the scheduled run);
 * - B4: the registration 201 carries `linked` / `unmatched` (and `null`s when linking is left to the job);
 * - B5: a store that moves from buffered to exact drops the buffered default buffer; a buffer the merchant set stays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { startWooEmulator, type WooEmulator } from "../../../tests/emulators/woocommerce/index";
import { signedHubHeaders } from "../../../tests/emulators/woocommerce/stock-events";
import { registerStoreAs, sleep, startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";
import { createConnectionCode } from "../stores/registration.server";
import { decryptSecret } from "../../lib/crypto.server";
import { getSettings, saveSettings } from "../../models/settings.server";

const SHOP = "plugin-api.myshopify.com";
let fw: FaultWorld;
const extra: WooEmulator[] = [];

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, stockFor: () => 20 });
}, 180_000);

afterAll(async () => {
  for (const w of extra) await w.close();
  await fw?.close();
});

async function newStore(opts: Parameters<typeof startWooEmulator>[0] = {}) {
  const w = await startWooEmulator({ deliveryDelayMs: 10, ...opts });
  w.control.seedCatalog(fw.world.catalog, { stock: () => 20 });
  extra.push(w);
  return w;
}
const register = async (w: WooEmulator) =>
  registerStoreAs(fw.app.url, (await createConnectionCode(fw.shopId)).code, w, SHOP);

describe("B3: a heartbeat reporting missed events", () => {
  it("starts a reconciliation of that store at once, which takes the stock of the order whose webhook was lost", async () => {
    const woo = fw.world.woo[0]!;
    const channelId = fw.channelIds[0]!;
    const sku = "woo-beanie";
    const start = fw.shopifyAvailable(sku)!;
    const hook = woo.control.state().webhooks.find((w) => w.topic === "order.created")!;
    woo.control.setWebhookStatus(hook.id, "disabled");
    woo.control.placeOrder({ lines: [{ sku, quantity: 2 }] });
    await woo.control.idle();
    await sleep(800);
    expect(fw.shopifyAvailable(sku)).toBe(start); // missed
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    const raw = JSON.stringify({
      store_url: woo.url,
      plugin_version: "1.0.0",
      missed_since: new Date(Date.now() - 60_000).toISOString(),
      webhooks: woo.control
        .state()
        .webhooks.map((w) => ({ id: w.id, topic: w.topic, status: w.status, delivery_url: w.delivery_url })),
      recreated: [],
    });
    const res = await fetch(`${fw.app.url}/api/woo/heartbeat`, {
      method: "POST",
      headers: signedHubHeaders(raw, channelId, decryptSecret(channel.webhookSecretEnc!)),
      body: raw,
    });
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer).toMatchObject({ ok: true, mode: "exact", reconcile_scheduled: true });
    await waitFor("missed order recovered", () => fw.shopifyAvailable(sku) === start - 2, 15_000);
    expect(answer.stock_events).toBe(false); // plugin 1.0.0 lists no stock-events feature
    const run = await waitFor(
      "reconciliation finished",
      () =>
        prisma.syncRun.findFirst({
          where: { channelId, kind: "reconcile", trigger: "heartbeat", status: "succeeded" },
        }),
      30_000,
    );
    expect((run.plan as { kind: string; reason: string }[]).some((c) => c.kind === "order_ingested")).toBe(true);
    expect(woo.control.state().webhooks.find((w) => w.id === hook.id)!.status).toBe("active"); // repaired too
  });
});

describe("B4: the registration answer", () => {
  it("says how many listings were linked and how many were left unmatched", async () => {
    const w = await newStore({ siteName: "Counted Store" });
    w.store.createProduct({ name: "Not on Shopify", sku: "woo-only-sku", manage_stock: true, stock_quantity: 3 });
    const reg = await register(w);
    expect(reg.status).toBe(201);
    const linked = await prisma.listing.count({ where: { channelId: reg.body.channel_id, matchStatus: "linked" } });
    const unmatched = await prisma.listing.count({
      where: { channelId: reg.body.channel_id, matchStatus: "unmatched" },
    });
    expect(linked).toBeGreaterThanOrEqual(17);
    expect(reg.body).toMatchObject({ ok: true, mode: "exact", linked, unmatched, stock_events: false });
    expect(unmatched).toBe(1);
  });

  it("answers null counts when the catalog takes longer than the budget, and the link job finishes it", async () => {
    const w = await newStore({ siteName: "Slow Store", readLatencyPerItemMs: 50 });
    process.env.SYNCFLOW_REGISTER_LINK_BUDGET_MS = "200";
    try {
      const reg = await register(w);
      expect(reg.status).toBe(201);
      expect(reg.body).toMatchObject({ linked: null, unmatched: null });
      await waitFor(
        "linked by the job",
        async () =>
          (await prisma.listing.count({ where: { channelId: reg.body.channel_id, matchStatus: "linked" } })) >= 17,
        30_000,
      );
    } finally {
      delete process.env.SYNCFLOW_REGISTER_LINK_BUDGET_MS;
    }
  });
});

describe("B5: a store upgraded from buffered to exact", () => {
  it("drops the buffered default buffer when the plugin arrives, and gets it back if the plugin goes", async () => {
    const w = await newStore({ siteName: "Upgraded Store", syncflowPlugin: false });
    const first = await register(w);
    expect(first.body.mode).toBe("buffered");
    const before = await prisma.channel.findUniqueOrThrow({ where: { id: first.body.channel_id } });
    expect(before).toMatchObject({ bufferUnits: 2, bufferSource: "default" });
    w.control.setPluginActive(true);
    const second = await register(w);
    expect(second.body).toMatchObject({ mode: "exact", channel_id: first.body.channel_id });
    expect(await prisma.channel.findUniqueOrThrow({ where: { id: first.body.channel_id } })).toMatchObject({
      mode: "exact",
      bufferUnits: 0,
      bufferPercent: 0,
    });
    w.control.setPluginActive(false);
    expect((await register(w)).body.mode).toBe("buffered");
    expect((await prisma.channel.findUniqueOrThrow({ where: { id: first.body.channel_id } })).bufferUnits).toBe(2);
  });

  it("keeps a buffer the merchant set", async () => {
    const w = await newStore({ siteName: "Merchant Buffer Store", syncflowPlugin: false });
    const first = await register(w);
    const id = first.body.channel_id as string;
    const { form } = await getSettings(fw.shopId);
    const saved = await saveSettings(fw.shopId, {
      ...form,
      stores: form.stores.map((s) => (s.id === id ? { ...s, bufferUnits: 5, bufferPercent: 10 } : s)),
    });
    expect(saved).toEqual({ ok: true });
    expect((await prisma.channel.findUniqueOrThrow({ where: { id } })).bufferSource).toBe("merchant");
    w.control.setPluginActive(true);
    expect((await register(w)).body.mode).toBe("exact");
    expect(await prisma.channel.findUniqueOrThrow({ where: { id } })).toMatchObject({
      mode: "exact",
      bufferUnits: 5,
      bufferPercent: 10,
    });
  });
});
