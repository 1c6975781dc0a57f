/**
 * SyncFlow for WooCommerce 1.1's stock events in a REAL WooCommerce 10.0.2 (./real-woocommerce.ts) against the STUB
 * HUB (./stub-hub.ts): every stock change WooCommerce makes is reported with its cause — an order's reduction, a
 * refund's restock, a cancellation (with order, line and WooCommerce's own `_reduced_stock` tally), a line edited in
 * wp-admin, the hub's own writes, a wp-admin product save, a CSV import, another plugin, another REST client — from a
 * durable outbox that survives the hub being away. Also B6: a request key in use by a concurrent request no longer
 * logs "WordPress database error". SyncFlow's scheduled actions run only when a test asks (site.runActions).
 * Tests run in order on one site.
 */
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import * as wooLib from "@woocommerce/woocommerce-rest-api";
import {
  AdminBrowser,
  describeRealWooCommerce,
  inputValue,
  startRealWooCommerce,
  type RealWooSite,
} from "./real-woocommerce";
import { startStubHub, type StubHub } from "./stub-hub";
import { ChannelError } from "../../app/channels/channel";

const Lib: any = (() => {
  const d = (wooLib as any).default;
  return typeof d === "function" ? d : d.default;
})();

const TAB = "/wp-admin/admin.php?page=wc-settings&tab=syncflow";
const SEND = "syncflow_send_stock_events";

vi.setConfig({ testTimeout: 120_000 });

let site: RealWooSite;
let hub: StubHub;
let admin: AdminBrowser;
let rest: any; // another app's REST client (its own WooCommerce key)
const ids: Record<string, number> = {};

describeRealWooCommerce("stock events of SyncFlow for WooCommerce 1.1 in a real WooCommerce", () => {
  beforeAll(async () => {
    [site, hub] = await Promise.all([
      startRealWooCommerce({ runner: { excludeGroups: ["syncflow"] } }),
      startStubHub(),
    ]);
    admin = new AdminBrowser(site);
    await admin.login("admin");
    for (const sku of ["se-beanie", "se-cap", "se-belt", "se-polo"])
      ids[sku] = (await site.control("POST", "/product", { sku, qty: 10, price: 5 })).id;
    const k = await site.createKey("read_write");
    rest = new Lib({ url: site.url, consumerKey: k.consumerKey, consumerSecret: k.consumerSecret, version: "wc/v3" });
  }, 180_000);
  afterAll(async () => {
    await Promise.all([site?.close(), hub?.close()]);
  }, 60_000);

  const outbox = () => site.control("GET", "/stock-events/outbox");
  const send = () => site.runActions({ group: "syncflow", hook: SEND });
  /** Sends what waits and returns the events the hub received since `from`. */
  const delivered = async (from: number) => {
    await send();
    return hub.stockEvents.slice(from);
  };

  it("connecting: the hub asks for stock events, a stream starts, nothing is captured before", async () => {
    await site.control("POST", "/stock", { sku: "se-belt", quantity: 9 }); // not connected yet: not captured
    const page = await admin.get(TAB);
    const r = await admin.post("/wp-admin/admin-post.php", {
      action: "syncflow_connect",
      _syncflow_connect_nonce: inputValue(page.html, "_syncflow_connect_nonce")!,
      syncflow_hub_url: hub.url,
      syncflow_code: hub.issueCode(),
    });
    expect(r.location).toContain("syncflow_result=ok");
    const o = await outbox();
    expect(o.table_exists).toBe(true);
    expect(o.events).toEqual([]);
    expect(o.state).toMatchObject({ hub: "on", stream: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await hub.channel().capabilities()).features).toContain("stock-events");
  });

  it("an order's sale, a refund's restock and a cancellation are reported with the order, the line and WooCommerce's tally", async () => {
    const from = hub.stockEvents.length;
    const order = (
      await rest.post("orders", {
        status: "processing",
        line_items: [
          { product_id: ids["se-beanie"], quantity: 3 },
          { product_id: ids["se-cap"], quantity: 1 },
        ],
      })
    ).data;
    const [beanie, cap] = order.line_items;
    const refund = (
      await rest.post(`orders/${order.id}/refunds`, {
        api_refund: false,
        line_items: [{ id: beanie.id, quantity: 1, refund_total: 5 }],
      })
    ).data;
    await rest.put(`orders/${order.id}`, { status: "cancelled" });
    const events = await delivered(from);
    expect(events.map((e) => [e.cause, e.sku, e.before, e.after, e.delta, e.line_reduced])).toEqual([
      ["order_reduced", "se-beanie", 10, 7, -3, 3],
      ["order_reduced", "se-cap", 10, 9, -1, 1],
      ["refund_restocked", "se-beanie", 7, 8, 1, 2],
      ["order_restocked", "se-beanie", 8, 10, 2, 0],
      ["order_restocked", "se-cap", 9, 10, 1, 0],
    ]);
    expect(events[0]).toMatchObject({
      order_id: order.id,
      line_id: beanie.id,
      line_quantity: 3,
      order_status: "processing",
      product_id: ids["se-beanie"],
      stock_product_id: ids["se-beanie"],
    });
    expect(events[1]).toMatchObject({ line_id: cap.id });
    expect(events[2]).toMatchObject({ refund_id: refund.id, line_id: beanie.id });
    expect(events[3]).toMatchObject({ order_status: "cancelled" });
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.stream)).size).toBe(1);
    expect(hub.calls.filter((c) => c.path === "/api/woo/stock-events").every((c) => c.signatureOk)).toBe(true);
    expect((await outbox()).events).toEqual([]);
  });

  it("every other change says who made it: the hub (endpoint or its key), wp-admin, an import, another plugin, another app, a line edit", async () => {
    const from = hub.stockEvents.length;
    const ch = hub.channel();
    await ch.adjustStock({ productId: ids["se-polo"], delta: -2, requestKey: "push:test:1" }); // the hub's delta
    await ch.setStockAbsolute(String(ids["se-polo"]), 6, null); // the hub through REST with SyncFlow's key
    const edit = await admin.post("/wp-admin/admin-post.php", {
      action: "syncflow_test_edit_stock",
      sku: "se-polo",
      quantity: "5",
    });
    expect(edit.status).toBe(200);
    expect((await site.control("POST", "/stock-events/import", { sku: "se-polo", quantity: 4 })).updated).toBe(1);
    await site.control("POST", "/stock", { sku: "se-polo", quantity: 3 }); // another plugin (wc_update_product_stock)
    await rest.put(`products/${ids["se-polo"]}`, { stock_quantity: 2 }); // another app's REST key
    const order = (
      await rest.post("orders", { status: "processing", line_items: [{ product_id: ids["se-polo"], quantity: 1 }] })
    ).data;
    await site.control("POST", "/stock-events/order-line", { order_id: order.id, quantity: 3 }); // edited in wp-admin
    const events = await delivered(from);
    expect(events.map((e) => [e.cause, e.before, e.after])).toEqual([
      ["hub_write", 10, 8],
      ["hub_write", 8, 6],
      ["admin_edit", 6, 5],
      ["import", 5, 4],
      ["other", 4, 3],
      ["rest_api", 3, 2],
      ["order_reduced", 2, 1],
      ["order_adjusted", 1, -1],
    ]);
    expect(events[0].request_key).toBe("push:test:1");
    expect(events[1].request_key).toBeUndefined();
    expect(events[7]).toMatchObject({ order_id: order.id, line_id: order.line_items[0].id, line_reduced: 3 });
  });

  it("keeps every change while the hub is away, and sends them in order once it answers", async () => {
    const from = hub.stockEvents.length;
    hub.failStockEvents(1, 503);
    await site.control("POST", "/stock", { sku: "se-belt", quantity: 8 });
    await site.control("POST", "/stock", { sku: "se-belt", quantity: 7 });
    await send();
    const waiting = await outbox();
    expect(waiting.events.map((e: any) => [e.after, e.attempts])).toEqual([
      [8, 1],
      [7, 1],
    ]);
    expect(waiting.state.failing_since).toBeTruthy();
    expect((await site.control("GET", "/state")).events[0]).toMatchObject({
      level: "error",
      type: "stock_event",
      message: expect.stringMatching(/kept, retried/),
    });
    expect((await site.control("GET", "/actions?group=syncflow")).map((a: any) => a.hook)).toContain(SEND); // retry scheduled
    const events = await delivered(from);
    expect(events.map((e) => e.after)).toEqual([8, 7]);
    expect((await outbox()).events).toEqual([]);
    expect((await site.control("GET", "/state")).events[0]).toMatchObject({
      level: "info",
      message: expect.stringMatching(/reach the hub again/),
    });
  });

  it("B6: a request key a concurrent request holds answers 503 syncflow_busy without logging a WordPress database error", async () => {
    await site.control("POST", "/stock-events/claim", { request_key: "push:busy:1" });
    const err = await hub
      .channel()
      .adjustStock({ productId: ids["se-belt"], delta: -1, requestKey: "push:busy:1" })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect(err.message).toMatch(/syncflow_busy/);
    expect((await site.control("GET", `/stock?sku=se-belt`)).stock_quantity).toBe(7); // nothing applied
    expect(site.phpErrors().filter((e) => /database error/i.test(e))).toEqual([]);
  });

  it("disconnecting stops the capture and forgets what waited; the whole run left no PHP error or database error", async () => {
    const page = await admin.get(TAB);
    const r = await admin.post("/wp-admin/admin-post.php", {
      action: "syncflow_disconnect",
      _syncflow_disconnect_nonce: inputValue(page.html, "_syncflow_disconnect_nonce")!,
    });
    expect(r.location).toContain("syncflow_result=ok");
    await site.control("POST", "/stock", { sku: "se-belt", quantity: 1 });
    const o = await outbox();
    expect(o.events).toEqual([]);
    expect(o.state).toBeNull();
    expect(site.phpErrors()).toEqual([]);
  });
});
