/**
 * The differential probes: the same REST and webhook calls against the emulator and the real WooCommerce, each
 * reduced to an observation that must be EQUAL on both — HTTP statuses, WordPress error codes, stock fields
 * (manage_stock, stock_quantity, stock_status, backorders…), order statuses and the stock left after each order move,
 * and the key sets (as key paths, three levels deep) of products, variations, orders, order lines, refunds, webhooks,
 * batch answers, error bodies, webhook deliveries and pings. Values that differ between any two stores (ids, dates,
 * URLs, hashes) are never observed directly; where they matter the probe observes a comparison made inside one store
 * ("the lookup found the product just created", "the signature verifies with the secret").
 * Every probe uses its own SKUs, so probes can share a store and run in any order.
 */
import { createHmac } from "node:crypto";
import type { ReceivedRequest } from "../emulators/woocommerce/receiver";
import { restCall, type RestAnswer } from "../wordpress/wp-site";
import type { DiffTarget } from "./targets";

/** One probe: `run` drives one store and returns what must be equal across stores. */
export interface Probe {
  name: string;
  run(t: DiffTarget, u: string): Promise<Record<string, unknown>>;
}

const ABSENT = "<absent>";

/** Key paths of a JSON value, `depth` levels deep: "a", "a.b", "a[].c" (array elements merged). Sorted. */
export function keyPaths(v: unknown, depth = 3): string[] {
  const out = new Set<string>();
  const walk = (x: unknown, prefix: string, d: number) => {
    if (d === 0 || x === null || typeof x !== "object") return;
    if (Array.isArray(x)) {
      for (const el of x) walk(el, `${prefix}[]`, d);
      return;
    }
    for (const [k, val] of Object.entries(x)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      walk(val, p, d - 1);
    }
  };
  walk(v, "", depth);
  return [...out].sort();
}

/** Named fields of `o` ("<absent>" when missing, so a missing field differs from null). */
function pick(o: any, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, o && typeof o === "object" && f in o ? o[f] : ABSENT]));
}

const STOCK = [
  "manage_stock",
  "stock_quantity",
  "stock_status",
  "backorders",
  "backorders_allowed",
  "backordered",
  "low_stock_amount",
];
const PRICE = ["price", "regular_price", "sale_price", "on_sale", "purchasable"];

/** A product / variation answer: status, key paths, stock and price fields, type. */
function product(r: RestAnswer) {
  if (r.status >= 300) return error(r);
  return {
    status: r.status,
    type: r.body?.type,
    keys: keyPaths(r.body),
    stock: pick(r.body, STOCK),
    price: pick(r.body, PRICE),
  };
}
/** An error answer: status and WordPress error code, plus the key paths of the error body. */
function error(r: RestAnswer) {
  return { status: r.status, code: r.body?.code ?? ABSENT, keys: keyPaths(r.body, 2) };
}
/** An order answer: status, order status, key paths (order, line items, their meta keys). */
function order(r: RestAnswer) {
  if (r.status >= 300) return error(r);
  return {
    status: r.status,
    orderStatus: r.body?.status,
    keys: keyPaths(r.body),
    lineMetaKeys: [
      ...new Set((r.body?.line_items ?? []).flatMap((l: any) => (l.meta_data ?? []).map((m: any) => m.key))),
    ].sort(),
  };
}
const pickOrder = (r: RestAnswer) => order(r);

/** A list answer: status, count, key paths of its elements, total headers present. */
function list(r: RestAnswer) {
  if (r.status >= 300) return error(r);
  return {
    status: r.status,
    count: Array.isArray(r.body) ? r.body.length : ABSENT,
    keys: keyPaths(r.body),
    totals: [r.headers["x-wp-total"] !== undefined, r.headers["x-wp-totalpages"] !== undefined],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createSimple(t: DiffTarget, sku: string, stock: number | null, extra: Record<string, unknown> = {}) {
  const r = await restCall(t.api, "post", "products", {
    name: `Diff ${sku}`,
    type: "simple",
    sku,
    regular_price: "12.50",
    ...(stock === null ? { manage_stock: false } : { manage_stock: true, stock_quantity: stock }),
    ...extra,
  });
  if (r.status !== 201)
    throw new Error(`${t.name}: create ${sku} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body as { id: number };
}
async function stockOf(t: DiffTarget, id: number) {
  const r = await restCall(t.api, "get", `products/${id}`);
  return pick(r.body, ["stock_quantity", "stock_status"]);
}
async function createOrder(t: DiffTarget, productId: number, quantity: number, status: string) {
  const r = await restCall(t.api, "post", "orders", {
    status,
    line_items: [{ product_id: productId, quantity }],
    billing: { first_name: "Ada", last_name: "Probe", email: "ada@example.test" },
  });
  if (r.status !== 201)
    throw new Error(`${t.name}: create order → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r;
}
const setStatus = (t: DiffTarget, id: number, status: string) => restCall(t.api, "put", `orders/${id}`, { status });

/** Header names of a webhook request that a receiver can rely on (lower-case, transport headers left out). */
function headerNames(r: ReceivedRequest): string[] {
  const transport = new Set([
    "host",
    "connection",
    "content-length",
    "accept-encoding",
    "accept",
    "referer",
    "transfer-encoding",
    "expect",
    "te",
  ]);
  return Object.keys(r.headers)
    .map((h) => h.toLowerCase())
    .filter((h) => !transport.has(h))
    .sort();
}
/** A User-Agent with its version numbers replaced by N ("WooCommerce/N Hookshot (WordPress/N)"). */
const uaShape = (ua: unknown) => String(ua ?? ABSENT).replace(/\d+(\.\d+)*/g, "N");

export const PROBES: Probe[] = [
  {
    name: "simple product: create, get, update",
    async run(t, u) {
      const sku = `diff-simple-${u}`;
      const c = await restCall(t.api, "post", "products", {
        name: `Diff ${sku}`,
        type: "simple",
        sku,
        regular_price: "12.50",
        manage_stock: true,
        stock_quantity: 5,
      });
      const g = await restCall(t.api, "get", `products/${c.body.id}`);
      const p = await restCall(t.api, "put", `products/${c.body.id}`, {
        regular_price: "11.00",
        sale_price: "9.99",
        stock_quantity: 7,
      });
      return { create: product(c), get: product(g), update: product(p) };
    },
  },
  {
    name: "simple product: stock to 0 and back, backorders, unmanaged stock",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-zero-${u}`, 2);
      const zero = await restCall(t.api, "put", `products/${id}`, { stock_quantity: 0 });
      const back = await restCall(t.api, "put", `products/${id}`, { stock_quantity: 3 });
      const negative = await restCall(t.api, "put", `products/${id}`, { stock_quantity: -1 });
      const backorder = await restCall(t.api, "put", `products/${id}`, { stock_quantity: 0, backorders: "notify" });
      const unmanage = await restCall(t.api, "put", `products/${id}`, {
        manage_stock: false,
        stock_status: "outofstock",
      });
      const unmanaged = await createSimple(t, `diff-unmanaged-${u}`, null, { stock_quantity: 9 });
      return {
        zero: pick(zero.body, STOCK),
        back: pick(back.body, STOCK),
        negative: pick(negative.body, STOCK),
        backorder: pick(backorder.body, STOCK),
        unmanage: pick(unmanage.body, STOCK),
        createdUnmanaged: await stockOf(t, unmanaged.id),
      };
    },
  },
  {
    name: "variable product and variation: create, get, update",
    async run(t, u) {
      const parent = await restCall(t.api, "post", "products", {
        name: `Diff variable ${u}`,
        type: "variable",
        sku: `diff-var-${u}`,
        attributes: [{ name: "Size", options: ["S", "M"], variation: true, visible: true }],
      });
      const pid = parent.body.id;
      const v = await restCall(t.api, "post", `products/${pid}/variations`, {
        sku: `diff-var-${u}-m`,
        regular_price: "20",
        manage_stock: true,
        stock_quantity: 4,
        attributes: [{ name: "Size", option: "M" }],
      });
      const gv = await restCall(t.api, "get", `products/${pid}/variations/${v.body.id}`);
      const uv = await restCall(t.api, "put", `products/${pid}/variations/${v.body.id}`, { stock_quantity: 2 });
      const gp = await restCall(t.api, "get", `products/${pid}`);
      const asProduct = await restCall(t.api, "get", `products/${v.body.id}`);
      const variations = await restCall(t.api, "get", `products/${pid}/variations`);
      return {
        createParent: product(parent),
        createVariation: product(v),
        getVariation: product(gv),
        updateVariation: product(uv),
        parentAfter: { ...product(gp), variationIds: (gp.body.variations ?? []).length },
        variationThroughProducts: product(asProduct),
        variationsList: list(variations),
      };
    },
  },
  {
    name: "variable product: stock status follows its variations (none stocked → outofstock)",
    async run(t, u) {
      const parent = await restCall(t.api, "post", "products", {
        name: `Diff empty variable ${u}`,
        type: "variable",
        sku: `diff-evar-${u}`,
        attributes: [{ name: "Colour", options: ["Red", "Blue"], variation: true }],
      });
      const pid = parent.body.id;
      const noVariations = pick((await restCall(t.api, "get", `products/${pid}`)).body, STOCK);
      const v = await restCall(t.api, "post", `products/${pid}/variations`, {
        sku: `diff-evar-${u}-red`,
        regular_price: "5",
        manage_stock: true,
        stock_quantity: 0,
        attributes: [{ name: "Colour", option: "Red" }],
      });
      const noneInStock = pick((await restCall(t.api, "get", `products/${pid}`)).body, STOCK);
      await restCall(t.api, "put", `products/${pid}/variations/${v.body.id}`, { stock_quantity: 3 });
      const oneInStock = pick((await restCall(t.api, "get", `products/${pid}`)).body, STOCK);
      return { created: pick(parent.body, STOCK), noVariations, noneInStock, oneInStock };
    },
  },
  {
    name: "variation whose stock the parent manages",
    async run(t, u) {
      const parent = await restCall(t.api, "post", "products", {
        name: `Diff parent-stock ${u}`,
        type: "variable",
        sku: `diff-pvar-${u}`,
        manage_stock: true,
        stock_quantity: 6,
        attributes: [{ name: "Size", options: ["S", "M"], variation: true }],
      });
      const pid = parent.body.id;
      const v = await restCall(t.api, "post", `products/${pid}/variations`, {
        sku: `diff-pvar-${u}-s`,
        regular_price: "8",
        attributes: [{ name: "Size", option: "S" }],
      });
      const order = await createOrder(t, v.body.id, 2, "processing").catch((e) => ({
        status: 0,
        body: { error: String(e) },
        headers: {},
      }));
      const orderAnswer = (r: RestAnswer) => ({ ...pickOrder(r), lineKeys: keyPaths(r.body.line_items) });
      return {
        parent: pick(parent.body, STOCK),
        variation: pick(v.body, STOCK),
        variationAfterOrder: pick(
          (await restCall(t.api, "get", `products/${pid}/variations/${v.body.id}`)).body,
          STOCK,
        ),
        parentAfterOrder: pick((await restCall(t.api, "get", `products/${pid}`)).body, STOCK),
        order: order.status === 201 ? orderAnswer(order as RestAnswer) : { status: order.status },
      };
    },
  },
  {
    name: "look up by SKU (products and variations)",
    async run(t, u) {
      const simple = await createSimple(t, `diff-look-${u}`, 1);
      const parent = await restCall(t.api, "post", "products", {
        name: `Diff look var ${u}`,
        type: "variable",
        sku: `diff-lookv-${u}`,
        attributes: [{ name: "Size", options: ["L"], variation: true }],
      });
      const v = await restCall(t.api, "post", `products/${parent.body.id}/variations`, {
        sku: `diff-lookv-${u}-l`,
        regular_price: "3",
        manage_stock: true,
        stock_quantity: 1,
        attributes: [{ name: "Size", option: "L" }],
      });
      const bySimple = await restCall(t.api, "get", "products", undefined, { sku: `diff-look-${u}` });
      const byVariation = await restCall(t.api, "get", "products", undefined, { sku: `diff-lookv-${u}-l` });
      const inVariations = await restCall(t.api, "get", `products/${parent.body.id}/variations`, undefined, {
        sku: `diff-lookv-${u}-l`,
      });
      const unknown = await restCall(t.api, "get", "products", undefined, { sku: `diff-none-${u}` });
      const caseOther = await restCall(t.api, "get", "products", undefined, { sku: `DIFF-LOOK-${u}` });
      const dupOtherCase = await restCall(t.api, "post", "products", {
        name: `Diff look upper ${u}`,
        sku: `DIFF-LOOK-${u}`,
        regular_price: "1",
      });
      return {
        bySimple: { ...list(bySimple), found: bySimple.body?.[0]?.id === simple.id },
        byVariation: {
          ...list(byVariation),
          found: byVariation.body?.[0]?.id === v.body.id,
          type: byVariation.body?.[0]?.type ?? ABSENT,
        },
        inVariations: { ...list(inVariations), found: inVariations.body?.[0]?.id === v.body.id },
        unknown: list(unknown),
        otherCase: { count: Array.isArray(caseOther.body) ? caseOther.body.length : ABSENT },
        createWithSkuInOtherCase: dupOtherCase.status >= 300 ? error(dupOtherCase) : { status: dupOtherCase.status },
      };
    },
  },
  {
    name: "batch of 2 (create, update, a missing id) on products and variations",
    async run(t, u) {
      const create = await restCall(t.api, "post", "products/batch", {
        create: [
          {
            name: `Diff batch A ${u}`,
            sku: `diff-batch-${u}-a`,
            regular_price: "1",
            manage_stock: true,
            stock_quantity: 1,
          },
          {
            name: `Diff batch B ${u}`,
            sku: `diff-batch-${u}-b`,
            regular_price: "2",
            manage_stock: true,
            stock_quantity: 2,
          },
        ],
      });
      const [a, b] = create.body.create.map((x: any) => x.id);
      const update = await restCall(t.api, "post", "products/batch", {
        update: [
          { id: a, stock_quantity: 5 },
          { id: 999999991, stock_quantity: 6 },
        ],
      });
      const parent = await restCall(t.api, "post", "products", {
        name: `Diff batch var ${u}`,
        type: "variable",
        sku: `diff-batchv-${u}`,
        attributes: [{ name: "Size", options: ["S", "M"], variation: true }],
      });
      const vcreate = await restCall(t.api, "post", `products/${parent.body.id}/variations/batch`, {
        create: [
          {
            sku: `diff-batchv-${u}-s`,
            regular_price: "4",
            manage_stock: true,
            stock_quantity: 3,
            attributes: [{ name: "Size", option: "S" }],
          },
          {
            sku: `diff-batchv-${u}-m`,
            regular_price: "4",
            manage_stock: true,
            stock_quantity: 4,
            attributes: [{ name: "Size", option: "M" }],
          },
        ],
      });
      const [vs] = vcreate.body.create.map((x: any) => x.id);
      const vupdate = await restCall(t.api, "post", `products/${parent.body.id}/variations/batch`, {
        update: [{ id: vs, stock_quantity: 0 }],
      });
      const del = await restCall(t.api, "post", "products/batch", { delete: [b] });
      return {
        create: {
          status: create.status,
          keys: keyPaths(create.body, 1),
          items: create.body.create.map((x: any) => ({ keys: keyPaths(x), stock: pick(x, STOCK) })),
        },
        update: {
          status: update.status,
          keys: keyPaths(update.body, 1),
          ok: pick(update.body.update[0], STOCK),
          missing: {
            keys: keyPaths(update.body.update[1]),
            code: update.body.update[1]?.error?.code ?? ABSENT,
            status: update.body.update[1]?.error?.data?.status ?? ABSENT,
          },
        },
        variationsCreate: {
          status: vcreate.status,
          items: vcreate.body.create.map((x: any) => ({ keys: keyPaths(x), stock: pick(x, STOCK) })),
        },
        variationsUpdate: { status: vupdate.status, stock: pick(vupdate.body.update[0], STOCK) },
        delete: { status: del.status, keys: keyPaths(del.body, 1), itemKeys: keyPaths(del.body.delete?.[0]) },
      };
    },
  },
  {
    name: "batch of 101 items is refused (413)",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-b101-${u}`, 1);
      const updates = Array.from({ length: 101 }, () => ({ id, stock_quantity: 1 }));
      const products = await restCall(t.api, "post", "products/batch", { update: updates });
      const mixed = await restCall(t.api, "post", "products/batch", {
        create: Array.from({ length: 51 }, (_, i) => ({ name: `x${i}` })),
        update: updates.slice(0, 50),
      });
      const hundred = await restCall(t.api, "post", "products/batch", { update: updates.slice(0, 100) });
      return {
        products: error(products),
        createPlusUpdate: error(mixed),
        exactly100: { status: hundred.status, count: hundred.body?.update?.length ?? ABSENT },
      };
    },
  },
  {
    name: "a missing id (products, variations, orders, refunds, webhooks)",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-miss-${u}`, 1);
      const parent = await restCall(t.api, "post", "products", {
        name: `Diff miss var ${u}`,
        type: "variable",
        sku: `diff-missv-${u}`,
      });
      const calls: Array<[string, "get" | "put" | "delete", string, unknown?]> = [
        ["getProduct", "get", "products/999999992"],
        ["putProduct", "put", "products/999999992", { stock_quantity: 1 }],
        ["deleteProduct", "delete", "products/999999992", { force: true }],
        ["getVariation", "get", `products/${parent.body.id}/variations/999999993`],
        ["putVariation", "put", `products/${parent.body.id}/variations/999999993`, { stock_quantity: 1 }],
        ["variationOfSimple", "get", `products/${id}/variations/999999993`],
        ["getOrder", "get", "orders/999999994"],
        ["putOrder", "put", "orders/999999994", { status: "completed" }],
        ["listRefunds", "get", "orders/999999994/refunds"],
        ["getWebhook", "get", "webhooks/999999995"],
        ["putWebhook", "put", "webhooks/999999995", { status: "paused" }],
      ];
      const out: Record<string, unknown> = {};
      for (const [name, method, route, body] of calls)
        out[name] = error(
          await restCall(
            t.api,
            method,
            route,
            method === "delete" ? undefined : body,
            method === "delete" ? (body as object) : undefined,
          ),
        );
      return out;
    },
  },
  {
    name: "bad credentials",
    async run(t) {
      const wrongSecret = await t.client({ consumerSecret: "cs_0000000000000000000000000000000000000000" });
      const unknownKey = await t.client({ consumerKey: "ck_0000000000000000000000000000000000000000" });
      const anon = async (method: string, path: string) => {
        const r = await fetch(`${t.url}/wp-json/wc/v3/${path}`, {
          method,
          headers: { "Content-Type": "application/json" },
          body: method === "GET" ? undefined : "{}",
        });
        return error({ status: r.status, body: await r.json().catch(() => null), headers: {} });
      };
      const basic = await fetch(`${t.url}/wp-json/wc/v3/products`, {
        headers: { Authorization: "Basic " + Buffer.from("ck_x:cs_y").toString("base64") },
      });
      return {
        wrongSecret: error(await restCall(wrongSecret, "get", "products")),
        unknownKey: error(await restCall(unknownKey, "get", "products")),
        anonymousGet: await anon("GET", "products"),
        anonymousPost: await anon("POST", "products"),
        anonymousPut: await anon("PUT", "products/1"),
        anonymousDelete: await anon("DELETE", "products/1"),
        basicOverHttp: error({ status: basic.status, body: await basic.json().catch(() => null), headers: {} }),
      };
    },
  },
  {
    name: "order created processing: stock taken, line keys",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-ord-${u}`, 10);
      const o = await createOrder(t, id, 2, "processing");
      const got = await restCall(t.api, "get", `orders/${o.body.id}`);
      const completed = await setStatus(t, o.body.id, "completed");
      return {
        create: order(o),
        stockAfterCreate: await stockOf(t, id),
        get: order(got),
        completed: order(completed),
        stockAfterCompleted: await stockOf(t, id),
      };
    },
  },
  {
    name: "order created pending, then processing, then cancelled",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-pend-${u}`, 10);
      const o = await createOrder(t, id, 3, "pending");
      const s0 = await stockOf(t, id);
      const processing = await setStatus(t, o.body.id, "processing");
      const s1 = await stockOf(t, id);
      const cancelled = await setStatus(t, o.body.id, "cancelled");
      const s2 = await stockOf(t, id);
      const again = await setStatus(t, o.body.id, "processing");
      const s3 = await stockOf(t, id);
      return {
        pending: order(o),
        stockPending: s0,
        processing: order(processing),
        stockProcessing: s1,
        cancelled: order(cancelled),
        stockCancelled: s2,
        reopened: order(again),
        stockReopened: s3,
      };
    },
  },
  {
    name: "orders: pending cancelled, processing back to pending, on-hold",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-ph-${u}`, 10);
      const a = await createOrder(t, id, 1, "pending");
      const aCancelled = await setStatus(t, a.body.id, "cancelled");
      const sA = await stockOf(t, id);
      const b = await createOrder(t, id, 2, "processing");
      const sB = await stockOf(t, id);
      const bPending = await setStatus(t, b.body.id, "pending");
      const sB2 = await stockOf(t, id);
      const c = await createOrder(t, id, 4, "on-hold");
      const sC = await stockOf(t, id);
      return {
        pendingCancelled: order(aCancelled),
        stockAfterPendingCancelled: sA,
        stockAfterProcessing: sB,
        processingToPending: order(bPending),
        stockAfterBackToPending: sB2,
        onHold: order(c),
        stockAfterOnHold: sC,
      };
    },
  },
  {
    name: "order refunded (status) and failed: stock after each",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-rf-${u}`, 10);
      const a = await createOrder(t, id, 2, "processing");
      const refunded = await setStatus(t, a.body.id, "refunded");
      const sA = await stockOf(t, id);
      const refunds = await restCall(t.api, "get", `orders/${a.body.id}/refunds`);
      const b = await createOrder(t, id, 3, "processing");
      const failed = await setStatus(t, b.body.id, "failed");
      const sB = await stockOf(t, id);
      const c = await createOrder(t, id, 1, "pending");
      const pendingFailed = await setStatus(t, c.body.id, "failed");
      const sC = await stockOf(t, id);
      return {
        refunded: order(refunded),
        stockAfterRefunded: sA,
        automaticRefund: { ...list(refunds), lineItems: (refunds.body?.[0]?.line_items ?? []).length },
        failed: order(failed),
        stockAfterFailed: sB,
        pendingFailed: order(pendingFailed),
        stockAfterPendingFailed: sC,
      };
    },
  },
  {
    name: "refunds with and without restock",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-refund-${u}`, 10);
      const o = await createOrder(t, id, 3, "processing");
      const line = o.body.line_items[0];
      const withRestock = await restCall(t.api, "post", `orders/${o.body.id}/refunds`, {
        amount: "12.50",
        api_refund: false,
        api_restock: true,
        reason: "probe",
        line_items: [{ id: line.id, quantity: 1, refund_total: 12.5 }],
      });
      const s1 = await stockOf(t, id);
      const withoutRestock = await restCall(t.api, "post", `orders/${o.body.id}/refunds`, {
        amount: "12.50",
        api_refund: false,
        api_restock: false,
        line_items: [{ id: line.id, quantity: 1, refund_total: 12.5 }],
      });
      const s2 = await stockOf(t, id);
      const throughGateway = await restCall(t.api, "post", `orders/${o.body.id}/refunds`, {
        amount: "1.00",
        line_items: [],
      });
      const tooMuch = await restCall(t.api, "post", `orders/${o.body.id}/refunds`, {
        amount: "999.00",
        api_refund: false,
      });
      const after = await restCall(t.api, "get", `orders/${o.body.id}`);
      const listed = await restCall(t.api, "get", `orders/${o.body.id}/refunds`);
      const one = await restCall(t.api, "get", `orders/${o.body.id}/refunds/${withRestock.body?.id}`);
      return {
        withRestock: {
          status: withRestock.status,
          keys: keyPaths(withRestock.body),
          lineQuantity: withRestock.body?.line_items?.[0]?.quantity ?? ABSENT,
        },
        stockAfterRestock: s1,
        withoutRestock: { status: withoutRestock.status, keys: keyPaths(withoutRestock.body) },
        stockAfterNoRestock: s2,
        throughGateway: error(throughGateway),
        moreThanPaid: error(tooMuch),
        orderAfter: {
          ...order(after),
          refundsListed: (after.body?.refunds ?? []).length,
          refundKeys: keyPaths(after.body?.refunds),
        },
        list: list(listed),
        get: { status: one.status, keys: keyPaths(one.body) },
      };
    },
  },
  {
    name: "orders modified after a time",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-mod-${u}`, 20);
      const a = await createOrder(t, id, 1, "pending");
      await sleep(1100);
      const since = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().slice(0, 19);
      await sleep(1100);
      const b = await createOrder(t, id, 1, "pending");
      const ids = async () => {
        const r = await restCall(t.api, "get", "orders", undefined, {
          modified_after: since,
          dates_are_gmt: true,
          per_page: 100,
        });
        return { status: r.status, ids: (r.body as any[]).map((x) => x.id) };
      };
      const first = await ids();
      await setStatus(t, a.body.id, "on-hold");
      const second = await ids();
      return {
        first: {
          status: first.status,
          hasEarlier: first.ids.includes(a.body.id),
          hasLater: first.ids.includes(b.body.id),
        },
        afterTouchingEarlier: {
          status: second.status,
          hasEarlier: second.ids.includes(a.body.id),
          hasLater: second.ids.includes(b.body.id),
        },
      };
    },
  },
  {
    name: "webhook create (no secret in the answer), ping, get, update, delete",
    async run(t, u) {
      const path = `/probe-create-${u}`;
      const url = t.receiver.url + path;
      const c = await restCall(t.api, "post", "webhooks", {
        name: `Diff ${u}`,
        topic: "product.updated",
        delivery_url: url,
        secret: "diff-secret",
      });
      const [ping] = await t.waitForDeliveries((r) => r.path.endsWith(path), 1, { timeoutMs: 10_000 });
      const g = await restCall(t.api, "get", `webhooks/${c.body.id}`);
      const p = await restCall(t.api, "put", `webhooks/${c.body.id}`, { status: "paused" });
      const paused = await restCall(t.api, "get", "webhooks", undefined, { status: "paused" });
      const noForce = await restCall(t.api, "delete", `webhooks/${c.body.id}`);
      const d = await restCall(t.api, "delete", `webhooks/${c.body.id}`, undefined, { force: true });
      const gone = await restCall(t.api, "get", `webhooks/${c.body.id}`);
      const badTopic = await restCall(t.api, "post", "webhooks", { topic: "product.sold", delivery_url: url });
      const badUrl = await restCall(t.api, "post", "webhooks", {
        topic: "product.updated",
        delivery_url: "ftp://example.test/x",
      });
      const one = (r: RestAnswer) =>
        r.status >= 300
          ? error(r)
          : {
              status: r.status,
              keys: keyPaths(r.body),
              hasSecret: "secret" in (r.body ?? {}),
              status_: r.body?.status,
              topic: r.body?.topic,
              resource: r.body?.resource,
              event: r.body?.event,
            };
      return {
        create: one(c),
        ping: {
          method: ping.method,
          headers: headerNames(ping),
          contentType: String(ping.headers["content-type"]).split(";")[0],
          ua: uaShape(ping.headers["user-agent"]),
          body: ping.rawBody.toString() === `webhook_id=${c.body.id}`,
        },
        get: one(g),
        update: one(p),
        listPaused: { ...list(paused), found: (paused.body as any[]).some((w) => w.id === c.body.id) },
        deleteWithoutForce: error(noForce),
        delete: one(d),
        afterDelete: error(gone),
        badTopic: error(badTopic),
        badUrl: error(badUrl),
      };
    },
  },
  {
    name: "webhook delivery: seconds after the change, built at delivery time, coalesced, signed",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-hook-${u}`, 5);
      const path = `/probe-delivery-${u}`;
      const hook = await restCall(t.api, "post", "webhooks", {
        name: `Diff delivery ${u}`,
        topic: "product.updated",
        delivery_url: t.receiver.url + path,
        secret: "diff-secret",
      });
      await t.waitForDeliveries((r) => r.path.endsWith(path), 1, { timeoutMs: 10_000 }); // the ping
      const mine = (r: ReceivedRequest) => r.path.endsWith(path) && r.headers["x-wc-webhook-topic"] !== undefined;
      await t.holdDeliveries();
      try {
        for (const q of [4, 3, 2]) await restCall(t.api, "put", `products/${id}`, { stock_quantity: q });
      } finally {
        t.releaseDeliveries();
      }
      const got = await t.waitForDeliveries(mine, 1, { settleMs: 3000 });
      const d = got[0];
      const payload = JSON.parse(d.rawBody.toString());
      const rest = await restCall(t.api, "get", `products/${id}`);
      await restCall(t.api, "delete", `webhooks/${hook.body.id}`, undefined, { force: true });
      return {
        deliveries: got.length,
        method: d.method,
        headers: headerNames(d),
        topic: d.headers["x-wc-webhook-topic"],
        resource: d.headers["x-wc-webhook-resource"],
        event: d.headers["x-wc-webhook-event"],
        webhookId: d.headers["x-wc-webhook-id"] === String(hook.body.id),
        source: d.headers["x-wc-webhook-source"] === `${t.url}/`,
        deliveryIdShape: /^[0-9a-f]{32}$/.test(String(d.headers["x-wc-webhook-delivery-id"])),
        signatureVerifies:
          d.headers["x-wc-webhook-signature"] ===
          createHmac("sha256", "diff-secret").update(d.rawBody).digest("base64"),
        ua: uaShape(d.headers["user-agent"]),
        contentType: String(d.headers["content-type"]).split(";")[0],
        payloadStock: pick(payload, ["id", "stock_quantity"]).stock_quantity,
        payloadKeys: keyPaths(payload),
        payloadKeysEqualRest: JSON.stringify(keyPaths(payload)) === JSON.stringify(keyPaths(rest.body)),
      };
    },
  },
  {
    name: "order webhooks: order.created and order.updated payloads",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-oh-${u}`, 5);
      const path = `/probe-order-${u}`;
      const created = await restCall(t.api, "post", "webhooks", {
        name: `Diff order created ${u}`,
        topic: "order.created",
        delivery_url: t.receiver.url + path,
        secret: "diff-secret",
      });
      const updated = await restCall(t.api, "post", "webhooks", {
        name: `Diff order updated ${u}`,
        topic: "order.updated",
        delivery_url: t.receiver.url + path,
        secret: "diff-secret",
      });
      await t.waitForDeliveries((r) => r.path.endsWith(path), 2, { timeoutMs: 10_000 }); // the two pings
      const o = await createOrder(t, id, 1, "pending");
      await t.waitForDeliveries(
        (r) => r.path.endsWith(path) && r.headers["x-wc-webhook-topic"] === "order.created",
        1,
        { settleMs: 1500 },
      );
      await setStatus(t, o.body.id, "processing");
      const got = await t.waitForDeliveries(
        (r) =>
          r.path.endsWith(path) &&
          r.headers["x-wc-webhook-topic"] === "order.updated" &&
          JSON.parse(r.rawBody.toString()).status === "processing",
        1,
        { settleMs: 3000 },
      );
      const all = t.receiver.received.filter((r) => r.path.endsWith(path) && r.headers["x-wc-webhook-topic"]);
      const createdPayload = JSON.parse(
        all.find((r) => r.headers["x-wc-webhook-topic"] === "order.created")!.rawBody.toString(),
      );
      const updatedPayload = JSON.parse(got.at(-1)!.rawBody.toString());
      const rest = await restCall(t.api, "get", `orders/${o.body.id}`);
      for (const h of [created, updated])
        await restCall(t.api, "delete", `webhooks/${h.body.id}`, undefined, { force: true });
      return {
        topics: [...new Set(all.map((r) => String(r.headers["x-wc-webhook-topic"])))].sort(),
        createdPayloadStatus: createdPayload.status,
        createdPayloadKeys: keyPaths(createdPayload),
        updatedPayloadStatus: updatedPayload.status,
        updatedPayloadKeysEqualRest: JSON.stringify(keyPaths(updatedPayload)) === JSON.stringify(keyPaths(rest.body)),
        stockAfter: await stockOf(t, id),
      };
    },
  },
  {
    name: "system status (what the hub reads when it verifies a store's keys)",
    async run(t) {
      const r = await restCall(t.api, "get", "system_status");
      return {
        status: r.status,
        sections: Object.keys(r.body ?? {}),
        environmentKeys: Object.keys(r.body?.environment ?? {}).sort(),
        settingsKeys: Object.keys(r.body?.settings ?? {}).sort(),
        homeUrlIsSite: r.body?.environment?.home_url === t.url,
        version: r.body?.environment?.version,
        currency: r.body?.settings?.currency,
        activePluginKeys: keyPaths(r.body?.active_plugins),
      };
    },
  },
  {
    // Orders hub pushback (decision 232): what the hub writes to a WooCommerce order when a central fulfilment ships.
    name: "order notes (customer, private, errors), status to completed and back, Shipment Tracking meta",
    async run(t, u) {
      const { id } = await createSimple(t, `diff-notes-${u}`, 6);
      const o = await createOrder(t, id, 2, "processing");
      const oid = o.body.id as number;
      const notesOf = async (params: Record<string, string> = {}) =>
        (await restCall(t.api, "get", `orders/${oid}/notes`, undefined, params)).body as any[];
      // Notes a shop writes itself are system notes: stock and status texts with the product's own name removed.
      const texts = (ns: any[]) =>
        ns.map((n) => [
          String(n.note).replace(`Diff diff-notes-${u} (diff-notes-${u})`, "<product>"),
          n.customer_note,
          n.author,
        ]);
      const before = await notesOf();
      const customer = await restCall(t.api, "post", `orders/${oid}/notes`, {
        note: "Your order has shipped. [syncflow:probe/1]",
        customer_note: true,
      });
      const priv = await restCall(t.api, "post", `orders/${oid}/notes`, { note: "private", customer_note: false });
      const byUser = await restCall(t.api, "post", `orders/${oid}/notes`, { note: "by user", added_by_user: true });
      const missing = await restCall(t.api, "post", `orders/${oid}/notes`, { customer_note: true });
      const badOrder = await restCall(t.api, "post", "orders/99999999/notes", { note: "x" });
      const one = await restCall(t.api, "get", `orders/${oid}/notes/${customer.body.id}`);
      const onlyCustomer = await notesOf({ type: "customer" });
      const items = [
        {
          tracking_provider: "",
          custom_tracking_provider: "DHL Express",
          custom_tracking_link: "https://track.example.com/D1",
          tracking_number: "D1",
          date_shipped: "1733400000",
          tracking_id: "syncflow-probe-0",
        },
      ];
      const meta = await restCall(t.api, "put", `orders/${oid}`, {
        meta_data: [{ key: "_wc_shipment_tracking_items", value: items }],
      });
      const metaId = meta.body?.meta_data?.find((m: any) => m.key === "_wc_shipment_tracking_items")?.id;
      const replaced = await restCall(t.api, "put", `orders/${oid}`, {
        meta_data: [
          { key: "_wc_shipment_tracking_items", value: [] },
          { key: "_syncflow_completed_by", value: "probe" },
        ],
        status: "completed",
      });
      const back = await restCall(t.api, "put", `orders/${oid}`, { status: "processing" });
      const after = await notesOf();
      const metaOf = (r: RestAnswer, k: string) => r.body?.meta_data?.filter((m: any) => m.key === k) ?? [];
      return {
        // Listing order is newest first (by the second): stores of different speed cross seconds differently, so the
        // notes are compared as a sorted set here and the order rule is the emulator test's.
        before: texts(before).map(String).sort(),
        created: [customer.status, keyPaths(customer.body), customer.body?.customer_note, customer.body?.author],
        private: [priv.status, priv.body?.customer_note, priv.body?.author],
        byUserIsNotSystem: byUser.status === 201 && byUser.body?.author !== "WooCommerce",
        missing: error(missing),
        badOrder: error(badOrder),
        getOne: [one.status, one.body?.id === customer.body?.id, keyPaths(one.body)],
        onlyCustomer: onlyCustomer.map((n) => n.id === customer.body?.id),
        meta: [meta.status, metaOf(meta, "_wc_shipment_tracking_items").map((m: any) => m.value)],
        replaced: [
          replaced.status,
          replaced.body?.status,
          replaced.body?.date_completed !== null,
          metaOf(replaced, "_wc_shipment_tracking_items").map((m: any) => [m.id === metaId, m.value]),
          metaOf(replaced, "_syncflow_completed_by").map((m: any) => m.value),
        ],
        back: [back.status, back.body?.status],
        after: texts(after).map(String).sort(),
        stockAfter: await stockOf(t, id),
      };
    },
  },
];
