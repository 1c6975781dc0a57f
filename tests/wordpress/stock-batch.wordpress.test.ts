/**
 * POST wc-syncflow/v1/stock/batch in a REAL WooCommerce 10.0.2 (./real-woocommerce.ts) with SyncFlow connected in exact
 * mode to the stub hub (./stub-hub.ts), once with each op in its own transaction (plugin 1.1.0, the
 * `syncflow_stock_batch_transactions` filter off) and once with the ops sharing transactions under savepoints
 * (decision 309): a batch of 100 whose op in the middle fails AFTER it changed stock (a database error on writing its
 * request key, injected by the test environment plugin) applies exactly the other ops; stale compare-and-sets and
 * unknown products answer as before; WooCommerce's stock status, `wc_product_meta_lookup`, `product_visibility`
 * terms, product.updated webhook deliveries and SyncFlow's stock events are right after the batch and the same both
 * ways; a resent batch replays. WooCommerce's low / no stock notifications: the same as the single route's.
 */
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { describeRealWooCommerce, startRealWooCommerce, type RealWooSite } from "./real-woocommerce";
import { connectToStubHub, startStubHub, type StubHub } from "./stub-hub";
import { restCall, wooRestApi, type WooRestApi } from "./wp-site";

vi.setConfig({ testTimeout: 240_000 });

let site: RealWooSite;
let hub: StubHub;
let rest: WooRestApi;
let plugin: WooRestApi;

type Mode = "oneByOne" | "shared";
const FAIL = 50; // the op whose key write fails after it changed stock
const STALE = 30; // a compare-and-set that expects the wrong quantity
const UNKNOWN = 70; // a product id that does not exist

/** What the store holds after a batch, per product (in op order). */
interface Outcome {
  results: any[];
  replayed: any[];
  states: any[];
  events: { cause: string; product_id: number; before: number; after: number; request_key?: string }[];
  webhookArgs: number[];
  ids: number[];
  ops: any[];
}

describeRealWooCommerce("POST /stock/batch in a real WooCommerce — shared transactions with savepoints", () => {
  beforeAll(async () => {
    [site, hub] = await Promise.all([startRealWooCommerce({ runner: false }), startStubHub()]);
    expect(await connectToStubHub(site, hub)).toContain("syncflow_result=ok");
    const key = await site.createKey("read_write");
    rest = await wooRestApi({ url: site.url, ...key });
    plugin = await wooRestApi({ url: site.url, ...key, version: "wc-syncflow/v1", timeoutMs: 120_000 });
    const channel = hub.registrations.at(-1)!;
    const hook = await restCall(rest, "post", "webhooks", {
      name: "SyncFlow: product.updated",
      topic: "product.updated",
      delivery_url: `${hub.url}/webhooks/woocommerce/${channel.channelId}`,
      secret: channel.webhookSecret,
    });
    expect(hook.status).toBe(201);
  }, 240_000);
  afterAll(async () => {
    await Promise.all([site?.close(), hub?.close()]);
  }, 60_000);

  const each = async <T, R>(xs: T[], fn: (x: T) => Promise<R>, n = 4): Promise<R[]> => {
    const out: R[] = new Array(xs.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: n }, async () => {
        for (let i = next++; i < xs.length; i = next++) out[i] = await fn(xs[i]!);
      }),
    );
    return out;
  };

  /** Starting quantity of product i: 1 → sells out, 0 → back in stock, 3 → below the low-stock amount (2) after −2. */
  const startQty = (i: number) => (i === 0 ? 1 : i === 1 ? 0 : i === 2 ? 3 : 10);
  const op = (tag: string, i: number, id: number) => {
    const request_key = `batch-${tag}-${i}${i === FAIL ? "-syncflow-test-fail-write" : ""}`;
    if (i === 0) return { op: "delta", product_id: id, delta: -1, request_key };
    if (i === 1) return { op: "delta", product_id: id, delta: 3, request_key };
    if (i === 2) return { op: "delta", product_id: id, delta: -2, request_key };
    if (i === STALE) return { op: "cas", product_id: id, expected: 99, quantity: 5, request_key };
    if (i === UNKNOWN) return { op: "delta", product_id: 987654321, delta: -1, request_key };
    return i % 2
      ? { op: "cas", product_id: id, expected: 10, quantity: 7, request_key }
      : { op: "delta", product_id: id, delta: -1, request_key };
  };
  const expectedQty = (i: number) =>
    i === 0 ? 0 : i === 1 ? 3 : i === 2 ? 1 : i === FAIL || i === STALE || i === UNKNOWN ? 10 : i % 2 ? 7 : 9;

  async function scenario(mode: Mode): Promise<Outcome> {
    await site.control("POST", "/option", {
      name: "syncflow_test_batch_one_by_one",
      value: mode === "oneByOne" ? "yes" : "no",
    });
    const tag = `${mode}-${Math.random().toString(36).slice(2, 7)}`; // a retried test must not reuse SKUs or keys
    const ids = (await site.control("POST", "/products", { prefix: `sb-${tag}-`, count: 100, qty: 10 }))
      .ids as number[];
    for (const i of [0, 1, 2]) await site.control("POST", "/stock", { sku: `sb-${tag}-${i}`, quantity: startQty(i) });
    await site.control("POST", "/actions/cancel", { group: "woocommerce-webhooks" });
    const outboxBefore = (await site.control("GET", "/stock-events/outbox")).events.length;
    const ops = ids.map((id, i) => op(tag, i, id));
    const first = await restCall(plugin, "post", "stock/batch", { ops });
    expect(first.status).toBe(200);
    const again = await restCall(plugin, "post", "stock/batch", { ops });
    expect(again.status).toBe(200);
    const states = await each(ids, (id) => site.control("GET", `/product-state?id=${id}`));
    const events = (await site.control("GET", "/stock-events/outbox")).events.slice(outboxBefore);
    const pending = await site.control("GET", "/actions?group=woocommerce-webhooks");
    return {
      results: first.body.results,
      replayed: again.body.results,
      states,
      events,
      webhookArgs: (pending as any[]).map((a) => Number(a.args.arg)),
      ids,
      ops,
    };
  }

  const outcomes: Partial<Record<Mode, Outcome>> = {};

  for (const mode of ["oneByOne", "shared"] as const) {
    it(`${mode}: a batch of 100 with a failing op in the middle applies exactly the other ops`, async () => {
      const o = (outcomes[mode] = await scenario(mode));
      expect(o.results).toHaveLength(100);
      o.results.forEach((r, i) => {
        if (i === FAIL) expect(r, `op ${i}`).toMatchObject({ status: 503, code: "syncflow_busy" });
        else if (i === STALE) expect(r, `op ${i}`).toMatchObject({ status: 409, code: "syncflow_stale", current: 10 });
        else if (i === UNKNOWN) expect(r, `op ${i}`).toMatchObject({ status: 404 });
        else
          expect(r, `op ${i}`).toEqual({
            status: 200,
            product_id: o.ids[i],
            stock_product_id: o.ids[i],
            before: startQty(i),
            after: expectedQty(i),
            replayed: false,
          });
      });
      // Stock, stock status, the lookup table and the out-of-stock visibility term, per product.
      o.states.forEach((s, i) => {
        const qty = expectedQty(i);
        const status = qty > 0 ? "instock" : "outofstock";
        expect(
          [s.stock_quantity, Number(s.meta_stock), s.stock_status, s.meta_status, s.lookup, s.outofstock_term],
          `product ${i}`,
        ).toEqual([qty, qty, status, status, { stock_quantity: qty, stock_status: status }, qty <= 0]);
      });
      // One stock event per applied delta, the hub's own, named by its key; nothing for the failed op. (A
      // compare-and-set writes `_stock` before WooCommerce's before-hook reads it, so it reports no change — as the
      // single route /stock/cas does since plugin 1.1.0.)
      const applied = o.results.map((r, i) => [r, i] as const).filter(([r]) => r.status === 200);
      expect(o.events.map((e) => [e.cause, e.product_id, e.before, e.after, e.request_key])).toEqual(
        applied
          .filter(([, i]) => o.ops[i].op === "delta")
          .map(([r, i]) => ["hub_write", r.product_id, r.before, r.after, o.ops[i].request_key]),
      );
      // WooCommerce queued a product.updated delivery for every product the batch changed.
      for (const [r] of applied) expect(o.webhookArgs, `webhook for ${r.product_id}`).toContain(r.product_id);
      // Resent with the same keys: every applied op replays, the others answer as before, nothing changes twice.
      o.replayed.forEach((r, i) => {
        if (o.results[i].status === 200) expect(r, `op ${i}`).toEqual({ ...o.results[i], replayed: true });
        else expect(r.status, `op ${i}`).toBe(o.results[i].status);
      });
    });
  }

  it("both ways give the same answers, stock, lookup rows and events", () => {
    const a = outcomes.oneByOne!;
    const b = outcomes.shared!;
    const strip = (o: Outcome) => ({
      results: o.results.map((r) => ({ ...r, product_id: undefined, stock_product_id: undefined })),
      states: o.states.map((s) => ({ ...s, stock_notices: undefined })),
      events: o.events.map((e) => [e.cause, e.before, e.after]),
    });
    expect(strip(b)).toEqual(strip(a));
  });

  it("low / no stock notifications: a batch raises the same as the single route (WooCommerce 10.0.2 raises them for orders only)", async () => {
    const [a, b] = await each(
      ["sb-notice-a", "sb-notice-b"],
      async (sku) => (await site.control("POST", "/product", { sku, qty: 3 })).id as number,
    );
    const notices = async () =>
      (await site.control("GET", `/product-state?id=${a}`)).stock_notices as [string, number][];
    const before = await notices();
    const single = await restCall(plugin, "post", "stock/delta", {
      product_id: a,
      delta: -2,
      request_key: "sb-notice-single",
    });
    expect(single.body).toMatchObject({ after: 1 });
    const batch = await restCall(plugin, "post", "stock/batch", {
      ops: [{ op: "delta", product_id: b, delta: -3, request_key: "sb-notice-batch" }],
    });
    expect(batch.body.results[0]).toMatchObject({ status: 200, after: 0 });
    expect(await notices()).toEqual(before);
    // The recorder works: an order taking the last unit raises WooCommerce's no-stock notification.
    await rest.post("orders", { status: "processing", line_items: [{ product_id: a, quantity: 1 }] });
    expect((await notices()).slice(before.length)).toEqual([["no", a]]);
  });

  it("no PHP error, warning or notice in the site's log", () => {
    expect(site.phpErrors()).toEqual([]);
  });
});
