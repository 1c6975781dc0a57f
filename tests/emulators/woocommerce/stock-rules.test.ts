/**
 * The emulator's order-status and refund stock rules, held to WooCommerce 10's code (includes/wc-stock-functions.php,
 * wc-order-functions.php `wc_create_refund` / `wc_restock_refunded_items` / `wc_order_fully_refunded`, REST
 * `WC_REST_Order_Refunds_Controller`), and the plugin 1.1 stock events it reports (./stock-events.ts). Real HTTP,
 * signed by @woocommerce/woocommerce-rest-api; a loopback receiver stands in for the hub.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as wooLib from "@woocommerce/woocommerce-rest-api";
import { createHmac } from "node:crypto";
import { startWooEmulator, type WooEmulator } from "./index";
import { startWebhookReceiver, type WebhookReceiver } from "./receiver";
import { loadSampleCatalog } from "../../fixtures/sample-catalog";

const Lib: any = (() => {
  const d = (wooLib as any).default;
  return typeof d === "function" ? d : d.default;
})();

let emu: WooEmulator;
let api: any;

const fail = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e: any) {
    return { status: e.response?.status as number, code: e.response?.data?.code as string };
  }
  throw new Error("expected failure");
};
const reduced = (order: any) =>
  order.line_items.map((l: any) => Number(l.meta_data.find((m: any) => m.key === "_reduced_stock")?.value ?? 0));

async function start(opts: Parameters<typeof startWooEmulator>[0] = {}) {
  emu = await startWooEmulator({ deliveryDelayMs: 5, ...opts });
  const k = emu.control.createKey({ permissions: "read_write" });
  api = new Lib({ url: emu.url, consumerKey: k.consumer_key, consumerSecret: k.consumer_secret, version: "wc/v3" });
  emu.control.seedCatalog(loadSampleCatalog(), { stock: () => 10 });
  return k;
}
afterEach(async () => {
  await emu?.close();
});

describe("order statuses (wc_maybe_reduce_stock_levels / wc_maybe_increase_stock_levels)", () => {
  beforeEach(async () => {
    await start();
  });

  it("refunded and failed never give stock back; only → cancelled and → pending do", async () => {
    const belt = emu.control.productIdBySku("woo-belt");
    const make = async () =>
      (await api.post("orders", { status: "processing", line_items: [{ product_id: belt, quantity: 2 }] })).data;
    const a = await make();
    expect(emu.control.getStock("woo-belt")).toBe(8);
    expect(reduced(a)).toEqual([2]);
    const refunded = (await api.put(`orders/${a.id}`, { status: "refunded" })).data;
    expect(emu.control.getStock("woo-belt")).toBe(8); // refunded: no restock
    expect(reduced(refunded)).toEqual([2]);
    expect(refunded.refunds).toHaveLength(1); // wc_order_fully_refunded: a refund of what remained, no lines
    const b = await make();
    await api.put(`orders/${b.id}`, { status: "failed" });
    expect(emu.control.getStock("woo-belt")).toBe(6); // failed: no restock
    const c = await make();
    await api.put(`orders/${c.id}`, { status: "on-hold" });
    await api.put(`orders/${c.id}`, { status: "completed" });
    expect(emu.control.getStock("woo-belt")).toBe(4); // reduced once
    const pending = (await api.put(`orders/${c.id}`, { status: "pending" })).data;
    expect(emu.control.getStock("woo-belt")).toBe(6); // → pending gives back
    expect(reduced(pending)).toEqual([0]);
    await api.put(`orders/${c.id}`, { status: "processing" });
    expect(emu.control.getStock("woo-belt")).toBe(4); // and reduces again when paid
    await api.put(`orders/${c.id}`, { status: "cancelled" });
    await api.put(`orders/${c.id}`, { status: "cancelled" });
    expect(emu.control.getStock("woo-belt")).toBe(6); // once
    await api.put(`orders/${b.id}`, { status: "cancelled" });
    expect(emu.control.getStock("woo-belt")).toBe(8); // failed → cancelled gives back what was reduced
  });

  it("a pending order reduces nothing, and cancelling it gives nothing back", async () => {
    const o = (
      await api.post("orders", {
        status: "pending",
        line_items: [{ product_id: emu.control.productIdBySku("woo-cap"), quantity: 3 }],
      })
    ).data;
    expect(reduced(o)).toEqual([0]);
    await api.put(`orders/${o.id}`, { status: "cancelled" });
    expect(emu.control.getStock("woo-cap")).toBe(10);
  });
});

describe("refunds (wc_create_refund, POST orders/<id>/refunds)", () => {
  beforeEach(async () => {
    await start();
  });

  const order = async () =>
    (
      await api.post("orders", {
        status: "processing",
        payment_method: "bacs",
        line_items: [
          { product_id: emu.control.productIdBySku("woo-beanie"), quantity: 3 },
          { product_id: emu.control.productIdBySku("woo-cap"), quantity: 2 },
        ],
      })
    ).data;

  it("restocks only the lines and quantities it lists, and only when asked (api_restock)", async () => {
    const o = await order();
    const [beanie, cap] = o.line_items;
    expect([emu.control.getStock("woo-beanie"), emu.control.getStock("woo-cap")]).toEqual([7, 8]);
    const r = await api.post(`orders/${o.id}/refunds`, {
      api_refund: false,
      line_items: [{ id: beanie.id, quantity: 1, refund_total: beanie.price }],
    });
    expect(r.status).toBe(201);
    expect(r.data).toMatchObject({ amount: Number(beanie.price).toFixed(2), refunded_payment: false });
    expect(r.data.line_items[0]).toMatchObject({ quantity: -1, product_id: beanie.product_id });
    expect(emu.control.getStock("woo-beanie")).toBe(8); // api_restock defaults to true over REST
    let now = (await api.get(`orders/${o.id}`)).data;
    expect(reduced(now)).toEqual([2, 2]);
    expect(now.line_items[0].meta_data.find((m: any) => m.key === "_restock_refunded_items")?.value).toBe("1");
    expect(now.status).toBe("processing"); // partially refunded
    await api.post(`orders/${o.id}/refunds`, {
      api_refund: false,
      api_restock: false,
      line_items: [{ id: cap.id, quantity: 2, refund_total: 2 * cap.price }],
    });
    expect(emu.control.getStock("woo-cap")).toBe(8); // not restocked
    now = (await api.get(`orders/${o.id}`)).data;
    expect(reduced(now)).toEqual([2, 2]);
    const rest = Number(now.total) - Number(beanie.price) - 2 * cap.price;
    await api.post(`orders/${o.id}/refunds`, { api_refund: false, amount: rest.toFixed(2) }); // money only
    now = (await api.get(`orders/${o.id}`)).data;
    expect(now.status).toBe("refunded"); // the whole amount: woocommerce_order_fully_refunded
    expect([emu.control.getStock("woo-beanie"), emu.control.getStock("woo-cap")]).toEqual([8, 8]);
    expect((await api.get(`orders/${o.id}/refunds`)).data).toHaveLength(3);
    await api.put(`orders/${o.id}`, { status: "cancelled" });
    expect([emu.control.getStock("woo-beanie"), emu.control.getStock("woo-cap")]).toEqual([10, 10]); // gives back the rest of _reduced_stock
  });

  it("refuses what WooCommerce refuses", async () => {
    const o = await order();
    expect(await fail(api.post(`orders/${o.id}/refunds`, { amount: "1.00" }))).toEqual({
      status: 500,
      code: "woocommerce_rest_cannot_create_order_refund",
    }); // api_refund: gateway
    const bare = (
      await api.post("orders", {
        status: "processing",
        line_items: [{ product_id: emu.control.productIdBySku("woo-belt"), quantity: 1 }],
      })
    ).data;
    expect(await fail(api.post(`orders/${bare.id}/refunds`, { amount: "1.00" }))).toEqual({
      status: 500,
      code: "woocommerce_rest_cannot_create_order_refund",
    }); // no gateway at all
    expect(await fail(api.post(`orders/${o.id}/refunds`, { api_refund: false, amount: "99999" }))).toEqual({
      status: 500,
      code: "woocommerce_rest_cannot_create_order_refund",
    });
    expect(await fail(api.post(`orders/${o.id}/refunds`, { api_refund: false, amount: "-1" }))).toEqual({
      status: 400,
      code: "woocommerce_rest_invalid_order_refund",
    });
    expect(await fail(api.post(`orders/999999/refunds`, { api_refund: false, amount: "1" }))).toEqual({
      status: 404,
      code: "woocommerce_rest_invalid_order_id",
    });
    expect(emu.control.getStock("woo-beanie")).toBe(7);
  });

  it("wp-admin refunds (control API) restock only when the box is ticked", async () => {
    const o = emu.control.placeOrder({ lines: [{ sku: "woo-polo", quantity: 4 }] }) as any;
    emu.control.refundOrder(o.id, { lines: [{ sku: "woo-polo", quantity: 1 }] });
    expect(emu.control.getStock("woo-polo")).toBe(6);
    const after = emu.control.refundOrder(o.id, { lines: [{ sku: "woo-polo", quantity: 2 }], restock: true }) as any;
    expect(emu.control.getStock("woo-polo")).toBe(8);
    expect(reduced(after)).toEqual([2]);
  });
});

describe("plugin 1.1 stock events (./stock-events.ts)", () => {
  let hub: WebhookReceiver;
  afterEach(async () => {
    await hub?.close();
  });

  it("reports every stock change with its cause, order and line, signed, once the hub asked for them", async () => {
    hub = await startWebhookReceiver();
    hub.respond = (r) => {
      const ids = JSON.parse(r.rawBody.toString()).events.map((e: any) => e.id);
      return { status: 200, body: JSON.stringify({ ok: true, accepted: ids, stock_events: true }) };
    };
    const key = await start({ stockEvents: true });
    const caps = await (await fetch(`${emu.url}/wp-json/wc-syncflow/v1/capabilities`)).json();
    expect(caps.code).toBe("rest_forbidden"); // authenticated like wc/v3
    const beanie = emu.control.productIdBySku("woo-beanie")!;
    emu.control.setStock("woo-beanie", 9); // before connecting: not captured
    emu.control.connectHub({
      hubUrl: new URL(hub.url).origin,
      channelId: "ch_1",
      secret: "s3cret-s3cret-s3cret",
      consumerKey: key.consumer_key,
      stockEvents: true,
    });
    const o = (
      await api.post("orders", {
        status: "processing",
        payment_method: "bacs",
        line_items: [{ product_id: beanie, quantity: 2 }],
      })
    ).data;
    await api.post(`orders/${o.id}/refunds`, {
      api_refund: false,
      line_items: [{ id: o.line_items[0].id, quantity: 1, refund_total: 1 }],
    });
    await api.put(`orders/${o.id}`, { status: "cancelled" });
    await api.put(`products/${beanie}`, { stock_quantity: 20 }); // with SyncFlow's own key: the hub's write
    emu.control.setStock("woo-beanie", 15); // wp-admin
    emu.control.setStock("woo-beanie", 12, "import");
    await emu.control.stockEventsIdle();
    const events = hub.received.flatMap((r) => JSON.parse(r.rawBody.toString()).events);
    expect(events.map((e: any) => [e.cause, e.before, e.after, e.line_reduced])).toEqual([
      ["order_reduced", 9, 7, 2],
      ["refund_restocked", 7, 8, 1],
      ["order_restocked", 8, 9, 0],
      ["hub_write", 9, 20, undefined],
      ["admin_edit", 20, 15, undefined],
      ["import", 15, 12, undefined],
    ]);
    expect(events[0]).toMatchObject({
      order_id: o.id,
      line_id: o.line_items[0].id,
      order_status: "processing",
      product_id: beanie,
      stock_product_id: beanie,
      sku: "woo-beanie",
      delta: -2,
    });
    expect(events[1].refund_id).toBeGreaterThan(0);
    expect(events.map((e: any) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(events.map((e: any) => e.stream)).size).toBe(1);
    const first = hub.received[0]!;
    expect(first.path).toBe("/api/woo/stock-events");
    expect(first.headers["x-syncflow-channel"]).toBe("ch_1");
    const signed = `${first.headers["x-syncflow-timestamp"]}.${first.headers["x-syncflow-nonce"]}.${first.rawBody.toString()}`;
    expect(first.headers["x-syncflow-signature"]).toBe(
      createHmac("sha256", "s3cret-s3cret-s3cret").update(signed).digest("base64"),
    );
    expect(emu.control.stockEvents().outbox).toHaveLength(0);
  });

  it("keeps events while the hub is away or holds them, and sends them in order later", async () => {
    hub = await startWebhookReceiver();
    let up = false;
    hub.respond = (r) => {
      if (!up) return { status: 503 };
      const ids = JSON.parse(r.rawBody.toString()).events.map((e: any) => e.id);
      return { status: 200, body: JSON.stringify({ ok: true, accepted: ids, stock_events: true }) };
    };
    const key = await start({ stockEvents: true });
    emu.control.connectHub({
      hubUrl: new URL(hub.url).origin,
      channelId: "ch_1",
      secret: "s3cret-s3cret-s3cret",
      consumerKey: key.consumer_key,
      stockEvents: true,
    });
    emu.control.placeOrder({ lines: [{ sku: "woo-cap", quantity: 1 }] });
    emu.control.placeOrder({ lines: [{ sku: "woo-cap", quantity: 1 }] });
    await new Promise((r) => setTimeout(r, 100));
    expect(emu.control.stockEvents().outbox).toHaveLength(2);
    expect(emu.control.stockEvents().calls.some((c) => c.status === 503)).toBe(true);
    up = true;
    await emu.control.stockEventsIdle();
    expect(emu.control.stockEvents().outbox).toHaveLength(0);
    const accepted = hub.received
      .filter((r) => r.rawBody.length)
      .flatMap((r) => JSON.parse(r.rawBody.toString()).events.map((e: any) => e.seq));
    expect(accepted.slice(-2)).toEqual([1, 2]);
  });
});
