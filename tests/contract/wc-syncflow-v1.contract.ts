/**
 * The `wc-syncflow/v1` contract suite (docs/contracts/wc-syncflow-v1.md), written once and run against every
 * implementation — the hub's TypeScript WooCommerce emulator (tests/contract/emulator.contract.test.ts) and the real
 * PHP plugin in a real WooCommerce (tests/wordpress/plugin.contract.test.ts) — so the two cannot drift apart.
 *
 * Driven only over HTTP with the official `@woocommerce/woocommerce-rest-api` client (OAuth 1.0a on http), plus
 * plain fetch for the unauthenticated / badly signed cases.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as wooLib from "@woocommerce/woocommerce-rest-api";

/** One implementation under test. Products are created through the target's own (HTTP) setup API. */
export interface StockContractTarget {
  /** Site URL the store knows itself by, no trailing slash (OAuth signatures are computed over it). */
  baseUrl: string;
  /** A read_write WooCommerce REST key whose user can manage WooCommerce. */
  consumerKey: string;
  consumerSecret: string;
  /**
   * Creates a product with `sku`; `qty` = managed stock quantity, `null` = stock not managed.
   * `opts.variable`: the product will get variations; `opts.parentSku`: create a variation of that product
   * (with `qty: null` its stock is managed by the parent). Resolves to the new id.
   */
  createProduct(sku: string, qty: number | null, opts?: { parentSku?: string; variable?: boolean }): Promise<number>;
  /** Current stock of the SKU's stock holder (null when unmanaged). */
  getStock(sku: string): Promise<number | null>;
  /** Creates another REST key with the given permissions (same admin user). */
  createKey(permissions: "read" | "write" | "read_write"): Promise<{ consumerKey: string; consumerSecret: string }>;
  close(): Promise<void>;
}

const Lib: any = (() => {
  const d = (wooLib as any).default;
  return typeof d === "function" ? d : d.default;
})();

type Answer = { status: number; body: any };

/**
 * Runs the contract suite. `makeTarget` is called once (beforeAll); every test uses its own SKUs.
 * `opts.skip`: a reason to register the suite as skipped (printed, and in the suite's name) instead of running it.
 */
export function runStockContract(
  name: string,
  makeTarget: () => Promise<StockContractTarget>,
  opts: { timeoutMs?: number; skip?: string | null } = {},
) {
  if (opts.skip) console.warn(`[wc-syncflow/v1 contract] SKIPPED "${name}": ${opts.skip}`);
  // A real WordPress answers in ~0.1–1 s per request on 2 shared cores: generous per-test timeouts.
  (opts.skip ? describe.skip : describe)(
    `wc-syncflow/v1 contract — ${name}${opts.skip ? ` — SKIPPED: ${opts.skip}` : ""}`,
    { timeout: 120_000 },
    () => {
      let t: StockContractTarget;
      let api: any;
      const call = async (method: "get" | "post", route: string, body?: unknown, client = api): Promise<Answer> => {
        try {
          const r = method === "get" ? await client.get(route) : await client.post(route, body);
          return { status: r.status, body: r.data };
        } catch (e: any) {
          if (!e.response) throw e;
          return { status: e.response.status, body: e.response.data };
        }
      };
      const delta = (b: Record<string, unknown>) => call("post", "stock/delta", b);
      const batch = (ops: unknown) => call("post", "stock/batch", { ops });
      const snapshot = (q: string) => call("get", `stock/snapshot${q}`);
      const cas = (b: Record<string, unknown>) => call("post", "stock/cas", b);
      let seq = 0;
      const sku = (p: string) => `${p}-${++seq}-${Math.random().toString(36).slice(2, 7)}`;

      beforeAll(async () => {
        t = await makeTarget();
        api = new Lib({
          url: t.baseUrl,
          consumerKey: t.consumerKey,
          consumerSecret: t.consumerSecret,
          version: "wc-syncflow/v1",
          timeout: 30_000,
        });
      }, opts.timeoutMs ?? 180_000);
      afterAll(async () => {
        await t?.close();
      }, 60_000);

      describe("transport and authentication", () => {
        it("GET /capabilities answers the contract-1 body", async () => {
          const r = await call("get", "capabilities");
          expect(r.status).toBe(200);
          // `version` is the plugin's release (1.1.0: batch + snapshot routes, contract_version "1.1"; signed hub calls with
          // timestamp + nonce; stock events), not the contract's; features beyond the contract-1 three are additive.
          expect(r.body).toMatchObject({
            plugin: "syncflow-for-woocommerce",
            version: expect.stringMatching(/^1\.\d+\.\d+$/),
            contract: 1,
            contract_version: "1.1",
          });
          expect(r.body.features.slice(0, 5)).toEqual([
            "stock-delta",
            "stock-cas",
            "idempotency",
            "stock-batch",
            "stock-snapshot",
          ]);
          expect(
            r.body.features.filter(
              (f: string) =>
                !["stock-delta", "stock-cas", "idempotency", "stock-batch", "stock-snapshot", "stock-events"].includes(
                  f,
                ),
            ),
          ).toEqual([]);
        });
        it("unauthenticated calls get 401 rest_forbidden on every route", async () => {
          const routes = [
            ["GET", "capabilities"],
            ["POST", "stock/delta"],
            ["POST", "stock/cas"],
            ["POST", "stock/batch"],
            ["GET", "stock/snapshot"],
          ] as const;
          const answers = await Promise.all(
            routes.map(([method, route]) =>
              fetch(`${t.baseUrl}/wp-json/wc-syncflow/v1/${route}`, {
                method,
                headers: { "Content-Type": "application/json" },
                body: method === "POST" ? JSON.stringify({ sku: "x", delta: 1, request_key: "anon" }) : undefined,
              }),
            ),
          );
          for (const [i, r] of answers.entries()) {
            expect(r.status, routes[i].join(" ")).toBe(401);
            expect((await r.json()).code).toBe("rest_forbidden");
          }
        });
        it("a bad signature gets 401 woocommerce_rest_authentication_error", async () => {
          const bad = new Lib({
            url: t.baseUrl,
            consumerKey: t.consumerKey,
            consumerSecret: t.consumerSecret + "x",
            version: "wc-syncflow/v1",
          });
          const r = await call("get", "capabilities", undefined, bad);
          expect(r.status).toBe(401);
          expect(r.body.code).toBe("woocommerce_rest_authentication_error");
        });
        it("an unknown consumer key gets 401 woocommerce_rest_authentication_error", async () => {
          const bad = new Lib({
            url: t.baseUrl,
            consumerKey: "ck_" + "0".repeat(40),
            consumerSecret: t.consumerSecret,
            version: "wc-syncflow/v1",
          });
          const r = await call("get", "capabilities", undefined, bad);
          expect(r.status).toBe(401);
          expect(r.body.code).toBe("woocommerce_rest_authentication_error");
        });
        it("a read key may GET but not POST; a write key may POST but not GET", async () => {
          const s = sku("perm");
          await t.createProduct(s, 5);
          const rk = await t.createKey("read");
          const reader = new Lib({
            url: t.baseUrl,
            consumerKey: rk.consumerKey,
            consumerSecret: rk.consumerSecret,
            version: "wc-syncflow/v1",
          });
          expect((await call("get", "capabilities", undefined, reader)).status).toBe(200);
          const denied = await call("post", "stock/delta", { sku: s, delta: 1, request_key: "perm-r" }, reader);
          expect(denied.status).toBe(401);
          expect(denied.body.code).toBe("woocommerce_rest_authentication_error");
          const wk = await t.createKey("write");
          const writer = new Lib({
            url: t.baseUrl,
            consumerKey: wk.consumerKey,
            consumerSecret: wk.consumerSecret,
            version: "wc-syncflow/v1",
          });
          expect((await call("get", "capabilities", undefined, writer)).status).toBe(401);
          expect((await call("post", "stock/delta", { sku: s, delta: 1, request_key: "perm-w" }, writer)).status).toBe(
            200,
          );
          expect(await t.getStock(s)).toBe(6);
        });
      });

      describe("POST /stock/delta", () => {
        it("applies a delta by product_id and by sku, answering before/after", async () => {
          const s = sku("d");
          const id = await t.createProduct(s, 10);
          const a = await delta({ product_id: id, delta: -2, request_key: sku("k") });
          expect(a).toEqual({
            status: 200,
            body: { product_id: id, stock_product_id: id, before: 10, after: 8, replayed: false },
          });
          const b = await delta({ sku: s, delta: 5, request_key: sku("k") });
          expect(b.body).toEqual({ product_id: id, stock_product_id: id, before: 8, after: 13, replayed: false });
          expect(await t.getStock(s)).toBe(13);
        });
        it("may go below zero (the hub sees after < 0 and raises a conflict)", async () => {
          const s = sku("neg");
          await t.createProduct(s, 1);
          const r = await delta({ sku: s, delta: -3, request_key: sku("k") });
          expect(r.body).toMatchObject({ before: 1, after: -2 });
          expect(await t.getStock(s)).toBe(-2);
        });
        it("is atomic: 10 concurrent deltas all apply, each sees a distinct after", async () => {
          const s = sku("conc");
          const id = await t.createProduct(s, 50);
          const rs = await Promise.all(
            Array.from({ length: 10 }, (_, i) => delta({ product_id: id, delta: -1, request_key: `${s}-c${i}` })),
          );
          expect(rs.map((r) => r.status)).toEqual(Array(10).fill(200));
          expect(new Set(rs.map((r) => r.body.after)).size).toBe(10);
          expect(rs.every((r) => r.body.before === r.body.after + 1)).toBe(true);
          expect(await t.getStock(s)).toBe(40);
        });
        it("a variation whose stock is managed by its parent changes the parent", async () => {
          const parent = sku("var-parent");
          const child = sku("var-child");
          const pid = await t.createProduct(parent, 7, { variable: true });
          const vid = await t.createProduct(child, null, { parentSku: parent });
          const r = await delta({ sku: child, delta: -2, request_key: sku("k") });
          expect(r.body).toEqual({ product_id: vid, stock_product_id: pid, before: 7, after: 5, replayed: false });
          expect(await t.getStock(parent)).toBe(5);
        });
      });

      describe("idempotency", () => {
        it("the same request_key + same request replays the stored 200 with replayed:true and applies nothing", async () => {
          const s = sku("idem");
          const id = await t.createProduct(s, 10);
          const key = sku("k");
          const first = await delta({ product_id: id, delta: -3, request_key: key });
          const again = await delta({ product_id: id, delta: -3, request_key: key });
          expect(again).toEqual({ status: 200, body: { ...first.body, replayed: true } });
          // by SKU the request resolves to the same product: same fingerprint
          expect((await delta({ sku: s, delta: -3, request_key: key })).body.replayed).toBe(true);
          expect(await t.getStock(s)).toBe(7);
        });
        it("concurrent duplicates of one request apply once", async () => {
          const s = sku("dup");
          await t.createProduct(s, 20);
          const key = sku("k");
          const rs = await Promise.all(Array.from({ length: 5 }, () => delta({ sku: s, delta: -4, request_key: key })));
          expect(rs.map((r) => r.status)).toEqual(Array(5).fill(200));
          expect(rs.filter((r) => r.body.replayed === false)).toHaveLength(1);
          expect(new Set(rs.map((r) => r.body.after))).toEqual(new Set([16]));
          expect(await t.getStock(s)).toBe(16);
        });
        it("the same request_key with a different request is 422 syncflow_idempotency_mismatch", async () => {
          const s = sku("mis");
          const s2 = sku("mis2");
          const id = await t.createProduct(s, 10);
          await t.createProduct(s2, 10);
          const key = sku("k");
          await delta({ product_id: id, delta: -1, request_key: key });
          for (const body of [
            { product_id: id, delta: -2, request_key: key },
            { sku: s2, delta: -1, request_key: key },
            { product_id: id, expected: 9, quantity: 3, request_key: key },
          ]) {
            const r = "expected" in body ? await cas(body) : await delta(body);
            expect(r.status).toBe(422);
            expect(r.body.code).toBe("syncflow_idempotency_mismatch");
          }
          expect(await t.getStock(s)).toBe(9);
          expect(await t.getStock(s2)).toBe(10);
        });
      });

      describe("POST /stock/cas", () => {
        it("sets the quantity when expected matches", async () => {
          const s = sku("cas");
          const id = await t.createProduct(s, 8);
          const r = await cas({ product_id: id, expected: 8, quantity: 5, request_key: sku("k") });
          expect(r).toEqual({
            status: 200,
            body: { product_id: id, stock_product_id: id, before: 8, after: 5, replayed: false },
          });
          expect(await t.getStock(s)).toBe(5);
        });
        it("answers 409 syncflow_stale with current (top level and data) and changes nothing", async () => {
          const s = sku("stale");
          await t.createProduct(s, 9);
          const r = await cas({ sku: s, expected: 10, quantity: 7, request_key: sku("k") });
          expect(r.status).toBe(409);
          expect(r.body).toMatchObject({ code: "syncflow_stale", current: 9, data: { status: 409, current: 9 } });
          expect(typeof r.body.message).toBe("string");
          expect(await t.getStock(s)).toBe(9);
        });
        it("a 409 is not remembered: the same key may retry with a fresh expected; the success is then replayed", async () => {
          const s = sku("retry");
          await t.createProduct(s, 4);
          const key = sku("k");
          expect((await cas({ sku: s, expected: 5, quantity: 1, request_key: key })).status).toBe(409);
          const ok = await cas({ sku: s, expected: 4, quantity: 1, request_key: key });
          expect(ok.body).toMatchObject({ before: 4, after: 1, replayed: false });
          const replay = await cas({ sku: s, expected: 4, quantity: 1, request_key: key });
          expect(replay.body).toEqual({ ...ok.body, replayed: true });
          expect(await t.getStock(s)).toBe(1);
        });
        it("expected == quantity is a successful no-op when it matches, 409 otherwise", async () => {
          const s = sku("same");
          await t.createProduct(s, 3);
          expect((await cas({ sku: s, expected: 3, quantity: 3, request_key: sku("k") })).body).toMatchObject({
            before: 3,
            after: 3,
          });
          expect((await cas({ sku: s, expected: 2, quantity: 2, request_key: sku("k") })).body).toMatchObject({
            code: "syncflow_stale",
            current: 3,
          });
        });
        it("only one of two racing CAS with the same expected wins", async () => {
          const s = sku("race");
          await t.createProduct(s, 10);
          const [a, b] = await Promise.all([
            cas({ sku: s, expected: 10, quantity: 6, request_key: sku("k") }),
            cas({ sku: s, expected: 10, quantity: 4, request_key: sku("k") }),
          ]);
          expect([a.status, b.status].sort()).toEqual([200, 409]);
          const winner = a.status === 200 ? a : b;
          const loser = a.status === 200 ? b : a;
          expect(loser.body.current).toBe(winner.body.after);
          expect(await t.getStock(s)).toBe(winner.body.after);
        });
      });

      describe("POST /stock/batch (contract 1.1)", () => {
        it("applies delta and cas ops in order, each with its own result, one op's failure leaving the others", async () => {
          const a = sku("ba");
          const b = sku("bb");
          const ida = await t.createProduct(a, 10);
          const idb = await t.createProduct(b, 4);
          const r = await batch([
            { op: "delta", product_id: ida, delta: -3, request_key: sku("k") },
            { op: "cas", sku: b, expected: 4, quantity: 9, request_key: sku("k") },
            { op: "cas", product_id: ida, expected: 99, quantity: 1, request_key: sku("k") },
            { op: "delta", product_id: 987654, delta: 1, request_key: sku("k") },
            { op: "move", product_id: ida, delta: 1, request_key: sku("k") },
            { op: "delta", sku: a, delta: 2, request_key: "" },
            { op: "delta", sku: a, delta: 1, request_key: sku("k") },
          ]);
          expect(r.status).toBe(200);
          const res = r.body.results;
          expect(res).toHaveLength(7);
          expect(res[0]).toEqual({
            status: 200,
            product_id: ida,
            stock_product_id: ida,
            before: 10,
            after: 7,
            replayed: false,
          });
          expect(res[1]).toEqual({
            status: 200,
            product_id: idb,
            stock_product_id: idb,
            before: 4,
            after: 9,
            replayed: false,
          });
          expect(res[2]).toMatchObject({ status: 409, code: "syncflow_stale", current: 7 });
          expect(res[3]).toMatchObject({ status: 404, code: "woocommerce_rest_product_invalid_id" });
          expect(res[4]).toMatchObject({ status: 400, code: "syncflow_bad_request" });
          expect(res[5]).toMatchObject({ status: 400, code: "syncflow_bad_request" });
          expect(res[6]).toMatchObject({ status: 200, before: 7, after: 8 });
          for (const x of res.slice(2, 6)) expect(typeof x.message).toBe("string");
          expect(await t.getStock(a)).toBe(8);
          expect(await t.getStock(b)).toBe(9);
        });
        it("request keys are per op and shared with the single routes: a resent batch replays, a reused key with another change is 422", async () => {
          const s = sku("bidem");
          const id = await t.createProduct(s, 20);
          const k1 = sku("k");
          const k2 = sku("k");
          const ops = [
            { op: "delta", product_id: id, delta: -2, request_key: k1 },
            { op: "delta", sku: s, delta: -5, request_key: k2 },
          ];
          const first = await batch(ops);
          const again = await batch(ops);
          expect(first.body.results.map((x: any) => x.after)).toEqual([18, 13]);
          expect(again.body.results).toEqual(first.body.results.map((x: any) => ({ ...x, replayed: true })));
          // The single route sees the same remembered outcome; another change under the key is refused.
          expect((await delta({ product_id: id, delta: -2, request_key: k1 })).body).toMatchObject({
            replayed: true,
            after: 18,
          });
          const mismatch = await batch([{ op: "delta", product_id: id, delta: -1, request_key: k2 }]);
          expect(mismatch.body.results[0]).toMatchObject({ status: 422, code: "syncflow_idempotency_mismatch" });
          expect(await t.getStock(s)).toBe(13);
        });
        it("a stale cas is not remembered: retried in a later batch under the same key with a fresh expected", async () => {
          const s = sku("bstale");
          await t.createProduct(s, 6);
          const key = sku("k");
          expect(
            (await batch([{ op: "cas", sku: s, expected: 5, quantity: 2, request_key: key }])).body.results[0],
          ).toMatchObject({ status: 409, current: 6 });
          expect(
            (await batch([{ op: "cas", sku: s, expected: 6, quantity: 2, request_key: key }])).body.results[0],
          ).toMatchObject({ status: 200, before: 6, after: 2 });
          expect(await t.getStock(s)).toBe(2);
        });
        it("400 when ops is missing or empty, 413 above 100 ops; nothing is applied", async () => {
          const s = sku("blimit");
          const id = await t.createProduct(s, 500);
          for (const body of [{}, { ops: [] }, { ops: "x" }]) {
            const r = await call("post", "stock/batch", body);
            expect(r.status).toBe(400);
            expect(r.body.code).toBe("syncflow_bad_request");
          }
          const many = Array.from({ length: 101 }, (_, i) => ({
            op: "delta",
            product_id: id,
            delta: -1,
            request_key: `${s}-${i}`,
          }));
          const r = await batch(many);
          expect(r.status).toBe(413);
          expect(r.body.code).toBe("syncflow_batch_too_large");
          expect(await t.getStock(s)).toBe(500);
          const hundred = await batch(many.slice(0, 100));
          expect(hundred.body.results.filter((x: any) => x.status === 200)).toHaveLength(100);
          expect(await t.getStock(s)).toBe(400);
        });
      });

      describe("GET /stock/snapshot (contract 1.1)", () => {
        it("pages products and variations in id order (keyset), with stock management and the stock holder's quantity", async () => {
          const a = sku("sa");
          const parent = sku("sp");
          const child = sku("sc");
          const own = sku("so");
          const none = sku("sn");
          const ida = await t.createProduct(a, 12);
          const pid = await t.createProduct(parent, 7, { variable: true });
          const vid = await t.createProduct(child, null, { parentSku: parent });
          const oid = await t.createProduct(own, 3, { parentSku: parent });
          const nid = await t.createProduct(none, null);
          const rows: any[] = [];
          let after = ida - 1;
          for (let page = 0; page < 10; page++) {
            const r = await snapshot(`?after=${after}&limit=2`);
            expect(r.status).toBe(200);
            expect(r.body.rows.length).toBeLessThanOrEqual(2);
            rows.push(...r.body.rows);
            if (r.body.next_after === null) break;
            expect(r.body.next_after).toBe(r.body.rows.at(-1).id);
            after = r.body.next_after;
            if (rows.some((x) => x.id >= nid)) break;
          }
          const ids = rows.map((x) => x.id);
          expect(ids).toEqual([...ids].sort((x, y) => x - y));
          const by = (id: number) => rows.find((x) => x.id === id);
          expect(by(ida)).toMatchObject({ id: ida, parent_id: 0, sku: a, manage_stock: true, stock_quantity: 12 });
          expect(by(pid)).toMatchObject({ sku: parent, manage_stock: true, stock_quantity: 7 });
          expect(by(vid)).toMatchObject({
            parent_id: pid,
            type: "variation",
            sku: child,
            manage_stock: "parent",
            stock_quantity: 7,
          });
          expect(by(oid)).toMatchObject({
            parent_id: pid,
            type: "variation",
            sku: own,
            manage_stock: true,
            stock_quantity: 3,
          });
          expect(by(nid)).toMatchObject({ sku: none, manage_stock: false, stock_quantity: null });
          expect(by(ida).date_modified_gmt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
        });
        it("a page shorter than the limit ends the catalog (next_after null); the default page is 1000 rows", async () => {
          const s = sku("slast");
          const id = await t.createProduct(s, 1);
          const r = await snapshot(`?after=${id - 1}`);
          expect(r.status).toBe(200);
          expect(r.body.rows.map((x: any) => x.id)).toContain(id);
          expect(r.body.next_after).toBeNull();
        });
        it("400 syncflow_bad_request for a bad after or limit", async () => {
          for (const q of ["?after=-1", "?after=x", "?limit=0", "?limit=5001", "?limit=2.5"]) {
            const r = await snapshot(q);
            expect(r.status, q).toBe(400);
            expect(r.body.code).toBe("syncflow_bad_request");
          }
        });
      });

      describe("errors", () => {
        it("404 for an unknown product_id / sku", async () => {
          const a = await delta({ product_id: 987654, delta: 1, request_key: sku("k") });
          expect(a.status).toBe(404);
          expect(a.body.code).toBe("woocommerce_rest_product_invalid_id");
          const b = await cas({ sku: sku("nope"), expected: 1, quantity: 2, request_key: sku("k") });
          expect(b.status).toBe(404);
          expect(b.body.code).toBe("syncflow_not_found");
        });
        it("400 syncflow_not_managed when nothing manages stock", async () => {
          const s = sku("unmanaged");
          await t.createProduct(s, null);
          for (const r of [
            await delta({ sku: s, delta: 1, request_key: sku("k") }),
            await cas({ sku: s, expected: 0, quantity: 1, request_key: sku("k") }),
          ]) {
            expect(r.status).toBe(400);
            expect(r.body.code).toBe("syncflow_not_managed");
          }
        });
        it("400 syncflow_bad_request for invalid bodies", async () => {
          const s = sku("bad");
          const id = await t.createProduct(s, 5);
          const bad: Array<[typeof delta, Record<string, unknown>]> = [
            [delta, { product_id: id, delta: 0, request_key: "b1" }],
            [delta, { product_id: id, delta: 1.5, request_key: "b2" }],
            [delta, { product_id: id, delta: "2", request_key: "b3" }],
            [delta, { product_id: id, delta: 1 }],
            [delta, { product_id: id, delta: 1, request_key: "" }],
            [delta, { product_id: id, delta: 1, request_key: "x".repeat(201) }],
            [delta, { delta: 1, request_key: "b4" }],
            [cas, { product_id: id, quantity: 1, request_key: "b5" }],
            [cas, { product_id: id, expected: 5, request_key: "b6" }],
            [cas, { product_id: id, expected: 5, quantity: 1 }],
          ];
          const answers = await Promise.all(bad.map(([fn, body]) => fn(body)));
          answers.forEach((r, i) => {
            expect(r.status, JSON.stringify(bad[i][1]).slice(0, 80)).toBe(400);
            expect(r.body.code).toBe("syncflow_bad_request");
            expect(r.body.data?.status).toBe(400);
          });
          expect(await t.getStock(s)).toBe(5);
        });
        it("a 200-char request_key is accepted", async () => {
          const s = sku("long");
          await t.createProduct(s, 5);
          expect((await delta({ sku: s, delta: 1, request_key: "y".repeat(200) })).status).toBe(200);
        });
      });
    },
  );
}
