/**
 * Stock events (decisions 130–132): an exact store running plugin 1.1 (the emulator's `stockEvents`) reports every
 * stock change with its cause on the signed hub channel, and the hub applies what the store did: sales and restocks
 * as deltas through the pending-adjustment path, its own pushes as echoes, any other change by the store's conflict
 * policy — never as a sale. Real app build, real PostgreSQL and queue, emulated stores over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../../db.server";
import { signedHubHeaders } from "../../../tests/emulators/woocommerce/stock-events";
import {
  adjustmentsFor,
  ledgerFor,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";
import { decryptSecret } from "../../lib/crypto.server";

const SHOP = "stock-events.myshopify.com";
let fw: FaultWorld;
const woo = () => fw.world.woo[0]!;
const channelId = () => fw.channelIds[0]!;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, woo: { stockEvents: true }, stockFor: () => 20 });
}, 180_000);

afterAll(async () => {
  await fw?.close();
});

/** Waits until the store sent everything, the hub processed it and Shopify has every adjustment. */
async function settled() {
  await woo().control.idle();
  await woo().control.stockEventsIdle();
  await waitFor(
    "hub settled",
    async () =>
      (await prisma.webhookReceipt.count({ where: { channelId: channelId(), status: "received" } })) === 0 &&
      (await prisma.shopifyAdjustment.count({ where: { shopId: fw.shopId, status: "pending" } })) === 0 &&
      (await fw.world.shopify.control.webhooksIdle(5000), true),
  );
  await woo().control.idle();
  await sleep(400);
}

/** Posts a signed stock events call as the plugin does; returns status and body. */
async function postEvents(events: unknown[], secret?: string, channel = channelId()) {
  const row = await prisma.channel.findUniqueOrThrow({ where: { id: channelId() } });
  const raw = JSON.stringify({ store_url: woo().url, plugin_version: "1.1.0", events });
  const res = await fetch(`${fw.app.url}/api/woo/stock-events`, {
    method: "POST",
    headers: signedHubHeaders(raw, channel, secret ?? decryptSecret(row.webhookSecretEnc!)),
    body: raw,
  });
  return { status: res.status, body: await res.json() };
}

describe("a plugin 1.1 store reports its stock changes and the hub follows them", () => {
  it("registration asks the store for stock events", async () => {
    expect((await prisma.channel.findUniqueOrThrow({ where: { id: channelId() } })).stockEvents).toBe(true);
    expect(woo().control.stockEvents().enabled).toBe(true);
  });

  it("a sale reaches Shopify once, from the store's stock event, even when the order webhook is lost", async () => {
    const sku = "woo-beanie";
    const start = fw.shopifyAvailable(sku)!;
    const hook = woo()
      .control.state()
      .webhooks.find((w) => w.topic === "order.created")!;
    woo().control.setWebhookStatus(hook.id, "disabled"); // as WooCommerce does after 5 failed deliveries
    const sent = woo().control.deliveries().length;
    woo().control.placeOrder({ lines: [{ sku, quantity: 2 }] });
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 2);
    await settled();
    woo().control.setWebhookStatus(hook.id, "active");
    expect(
      woo()
        .control.deliveries()
        .slice(sent)
        .filter((d) => d.topic === "order.created"),
    ).toEqual([]);
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
    expect((await adjustmentsFor(fw.shopId, sku)).map((a) => a.delta)).toEqual([-2]);
    const receipt = await prisma.webhookReceipt.findFirstOrThrow({
      where: { channelId: channelId(), topic: "stock.event", error: { contains: "order_reduced" } },
    });
    expect(receipt.status).toBe("processed");
    expect(await prisma.domainEvent.count({ where: { shopId: fw.shopId, type: "order.imported" } })).toBe(1);
  });

  it("the order webhooks of a stock-events store move no stock: the events do, when they come", async () => {
    const sku = "woo-belt";
    const start = fw.shopifyAvailable(sku)!;
    woo().control.holdStockEvents(true);
    const o = woo().control.placeOrder({ lines: [{ sku, quantity: 1 }] }) as { id: number };
    await woo().control.idle();
    await waitFor("order recorded", () =>
      prisma.order.findUnique({
        where: { channelId_externalId: { channelId: channelId(), externalId: String(o.id) } },
      }),
    );
    await sleep(500);
    expect(fw.shopifyAvailable(sku)).toBe(start); // the webhook said processing; nothing was inferred from it
    woo().control.holdStockEvents(false);
    await waitFor("sale applied from the event", () => fw.shopifyAvailable(sku) === start - 1);
    await settled();
    expect((await adjustmentsFor(fw.shopId, sku)).map((a) => a.delta)).toEqual([-1]);
  });

  it("a refund's restock and a cancellation travel exactly as the store made them", async () => {
    const sku = "woo-cap";
    const start = fw.shopifyAvailable(sku)!;
    const o = woo().control.placeOrder({ lines: [{ sku, quantity: 3 }] }) as { id: number };
    await waitFor("sale", () => fw.shopifyAvailable(sku) === start - 3);
    woo().control.refundOrder(o.id, { lines: [{ sku, quantity: 1 }], restock: true });
    await waitFor("refund restock", () => fw.shopifyAvailable(sku) === start - 2);
    woo().control.refundOrder(o.id, { lines: [{ sku, quantity: 1 }] }); // no restock
    await settled();
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
    woo().control.setOrderStatus(o.id, "cancelled");
    await waitFor("cancel restock", () => fw.shopifyAvailable(sku) === start);
    await settled();
    expect(fw.shopifyAvailable(sku)).toBe(start);
    await waitFor("store settled", () => woo().control.getStock(sku) === 20); // restocked units come back to the store once Shopify has them
    const rows = (await ledgerFor(fw.shopId, sku)).filter((l) => l.orderId && l.idempotencyKey.endsWith(":taken"));
    expect(rows.map((l) => [l.cause, l.delta])).toEqual([
      ["order", -3],
      ["refund", 1],
      ["cancel", 2],
    ]);
  });

  it("a stock edit in wp-admin is no sale: with Shopify wins the store is set back from Shopify", async () => {
    const sku = "woo-polo";
    const start = fw.shopifyAvailable(sku)!;
    expect(woo().control.getStock(sku)).toBe(start);
    woo().control.setStock(sku, 5);
    await waitFor("store corrected", () => woo().control.getStock(sku) === start);
    await settled();
    expect(fw.shopifyAvailable(sku)).toBe(start);
    expect(await adjustmentsFor(fw.shopId, sku)).toEqual([]);
    const edit = (await ledgerFor(fw.shopId, sku)).find((l) => l.cause === "store");
    expect(edit).toMatchObject({ delta: 5 - start, before: start, after: 5 });
    expect(edit?.note).toMatch(/wp-admin.*Shopify wins/);
  });

  it("with the review policy an import's change is raised as a conflict and the store keeps it", async () => {
    const sku = "woo-sunglasses";
    await prisma.channel.update({ where: { id: channelId() }, data: { conflictPolicy: "review" } });
    const start = fw.shopifyAvailable(sku)!;
    woo().control.setStock(sku, 7, "import");
    const itemId = (await prisma.catalogItem.findFirstOrThrow({ where: { shopId: fw.shopId, sku } })).id;
    const conflict = await waitFor("conflict raised", () =>
      prisma.conflict.findFirst({ where: { channelId: channelId(), status: "open", itemId } }),
    );
    await settled();
    expect(conflict).toMatchObject({ kind: "store_edit", storeQuantity: 7, expectedQuantity: start });
    expect((conflict.detail as { cause: string }).cause).toBe("import");
    expect(woo().control.getStock(sku)).toBe(7);
    expect(fw.shopifyAvailable(sku)).toBe(start);
    expect(await adjustmentsFor(fw.shopId, sku)).toEqual([]);
    await prisma.channel.update({ where: { id: channelId() }, data: { conflictPolicy: "shopify_wins" } });
  });

  it("the hub's own pushes come back as hub_write events and change nothing", async () => {
    const sku = "woo-hoodie-with-zipper";
    const start = fw.shopifyAvailable(sku)!;
    fw.world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 2 }] });
    await waitFor("store follows Shopify", () => woo().control.getStock(sku) === start - 2);
    await settled();
    const echo = await prisma.webhookReceipt.findFirstOrThrow({
      where: {
        channelId: channelId(),
        topic: "stock.event",
        error: { startsWith: "echo of the hub's own write (push:" },
      },
    });
    expect((echo.body as { cause: string }).cause).toBe("hub_write");
    expect(await adjustmentsFor(fw.shopId, sku)).toEqual([]);
    expect(woo().control.getStock(sku)).toBe(start - 2);
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
  });

  it("a store switching to stock events never counts a sale twice (its webhook took it before the switch)", async () => {
    const sku = "woo-tshirt";
    const start = fw.shopifyAvailable(sku)!;
    await prisma.channel.update({ where: { id: channelId() }, data: { stockEvents: false } }); // plugin 1.0 until now
    woo().control.holdStockEvents(true);
    woo().control.placeOrder({ lines: [{ sku, quantity: 2 }] });
    await waitFor("sale taken from the webhook", () => fw.shopifyAvailable(sku) === start - 2);
    await prisma.channel.update({ where: { id: channelId() }, data: { stockEvents: true } });
    woo().control.holdStockEvents(false);
    await settled();
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
    expect((await adjustmentsFor(fw.shopId, sku)).map((a) => a.delta)).toEqual([-2]);
    const event = await prisma.webhookReceipt.findFirstOrThrow({
      where: { channelId: channelId(), topic: "stock.event", body: { path: ["sku"], equals: sku } },
    });
    expect(event.error).toMatch(/already counted/);
  });

  it("resent, reordered and late events change nothing twice; an older event never undoes a newer one", async () => {
    const sku = "woo-long-sleeve-tee";
    const start = fw.shopifyAvailable(sku)!;
    woo().control.holdStockEvents(true);
    const o = woo().control.placeOrder({ lines: [{ sku, quantity: 2 }] }) as { id: number };
    woo().control.setOrderStatus(o.id, "cancelled");
    const [reduce, restock] = woo()
      .control.stockEvents()
      .outbox.filter((e) => e.order_id === o.id);
    expect([reduce!.cause, restock!.cause]).toEqual(["order_reduced", "order_restocked"]);
    const later = await postEvents([restock]); // the newer one first
    expect(later).toMatchObject({
      status: 200,
      body: { ok: true, accepted: [restock!.id], duplicates: 0, rejected: [], stock_events: true },
    });
    await waitFor(
      "newer event applied",
      async () =>
        (
          await prisma.webhookReceipt.findFirst({
            where: { channelId: channelId(), topic: "stock.event", body: { path: ["id"], equals: restock!.id } },
          })
        )?.status === "processed",
    );
    const first = await postEvents([reduce]); // then the older one, late
    expect(first.body.accepted).toEqual([reduce!.id]);
    woo().control.holdStockEvents(false); // and the plugin resends both
    await settled();
    expect(fw.shopifyAvailable(sku)).toBe(start);
    expect(await adjustmentsFor(fw.shopId, sku)).toEqual([]);
    expect(woo().control.stockEvents().calls.at(-1)?.status).toBe(200);
    expect(
      await prisma.webhookReceipt.count({
        where: { channelId: channelId(), topic: "stock.event", body: { path: ["order_id"], equals: o.id } },
      }),
    ).toBe(2);
  });

  it("bad calls: 401 bad signature, 404 unknown store, 400 malformed envelope, invalid events rejected one by one", async () => {
    const good = {
      id: crypto.randomUUID(),
      stream: "s",
      seq: 1,
      at: new Date().toISOString(),
      cause: "admin_edit",
      product_id: 1,
      stock_product_id: 1,
      before: 1,
      after: 2,
      delta: 1,
    };
    expect((await postEvents([good], "wrong-secret")).status).toBe(401);
    expect((await postEvents([good], undefined, "no-such-channel")).status).toBe(404);
    const row = await prisma.channel.findUniqueOrThrow({ where: { id: channelId() } });
    const sign = (raw: string) => signedHubHeaders(raw, channelId(), decryptSecret(row.webhookSecretEnc!));
    const notJson = await fetch(`${fw.app.url}/api/woo/stock-events`, {
      method: "POST",
      headers: sign("{oops"),
      body: "{oops",
    });
    expect(notJson.status).toBe(400);
    const tooMany = JSON.stringify({ store_url: woo().url, events: Array.from({ length: 101 }, () => good) });
    const big = await fetch(`${fw.app.url}/api/woo/stock-events`, {
      method: "POST",
      headers: sign(tooMany),
      body: tooMany,
    });
    expect(big.status).toBe(400);
    expect((await big.json()).error).toMatchObject({ code: "bad_request", message: expect.stringMatching(/100/) });
    const bad = { ...good, id: crypto.randomUUID(), delta: 5 };
    const order = { ...good, id: crypto.randomUUID(), cause: "order_reduced" };
    const res = await postEvents([bad, order, "nonsense"]);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toEqual([]);
    expect(res.body.rejected.map((r: { reason: string }) => r.reason)).toEqual([
      expect.stringMatching(/delta must equal/),
      expect.stringMatching(/order_id and line_id/),
      expect.any(String),
    ]);
  });
});
