/**
 * Orders page journey (issue 15 item 5) against a real PostgreSQL and queue: each order's stage, the journey filters
 * "not imported", "shipped, not pushed back" and "needs attention" with their counts, an echo of an imported order
 * never listed twice, and the retries — a failed import's dead letter replayed to `order-import` (once, even when two
 * merchants click), a failed pushback re-queued through `requeueFulfilmentPushback`, another shop's ids ignored.
 * Rows are written as the engine leaves them (import.server.ts, pushback.server.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PgBoss } from "pg-boss";
import prisma from "../db.server";
import { createTestShop } from "../notify/test-shop";
import { getBoss, QUEUES, stopBoss } from "../jobs/queue.server";
import { listOrders, getOrderDetail, orderWhere } from "./orders.server";
import { ORDERS_PAGE_SIZE } from "../lib/page-constants";
import { journeyContext } from "./order-journey.server";
import { retryOrderImports, retryOrderPushbacks } from "../sync/orders-hub/retry.server";

let boss: PgBoss;
let shopId: string;
let otherShopId: string;
const ids: Record<string, string> = {};

const SOURCE = {
  shippingAddress: { firstName: "Ada", lastName: "Lovelace", address1: "1 Analytical St", city: "London" },
  billingAddress: null,
  paid: true,
  shipping: null,
};

async function order(
  key: string,
  channelId: string,
  data: Partial<Parameters<typeof prisma.order.create>[0]["data"]> = {},
  fulfilments: { pushState: string; pushError?: string }[] = [],
) {
  const o = await prisma.order.create({
    data: {
      shopId: data.shopId ?? shopId,
      channelId,
      externalId: `${key}-${Math.random().toString(36).slice(2, 8)}`,
      number: `#${1000 + Object.keys(ids).length}`,
      status: "processing",
      placedAt: new Date(Date.now() - (60 - Object.keys(ids).length) * 60_000),
      stockTaken: true,
      ...data,
    } as Parameters<typeof prisma.order.create>[0]["data"],
  });
  let n = 0;
  for (const f of fulfilments)
    await prisma.orderFulfilment.create({
      data: {
        orderId: o.id,
        centralFulfilmentId: `gid://shopify/Fulfillment/${o.id}-${n++}`,
        centralStatus: "SUCCESS",
        trackingCompany: "UPS",
        trackingNumbers: [`1Z${n}`],
        lines: [{ externalLineId: "1", sku: "A", quantity: 1 }],
        centralUpdatedAt: new Date(),
        pushState: f.pushState,
        pushError: f.pushError ?? null,
        pushedAt: f.pushState === "pushed" ? new Date() : null,
      },
    });
  ids[key] = o.id;
  return o;
}

const imported = (n: number) => ({
  importState: "imported",
  centralOrderId: `gid://shopify/Order/${n}`,
  centralOrderName: `#C${n}`,
  importedAt: new Date(),
});

beforeAll(async () => {
  boss = await getBoss();
  const shop = await createTestShop("journey");
  const other = await createTestShop("journey-other");
  shopId = shop.id;
  otherShopId = other.id;
  const ch = (kind: string, name: string, s = shopId) =>
    prisma.channel.create({ data: { shopId: s, kind, name, baseUrl: `https://${name.replace(/ /g, "")}.test` } });
  const record = await ch("shopify", "Central");
  const woo = await ch("woocommerce", "Woo Main");
  const off = await ch("woocommerce", "Woo Off");
  const otherWoo = await ch("woocommerce", "Other Woo", otherShopId);
  await prisma.orderImportSetting.create({ data: { channelId: woo.id, importOrders: true } });

  await order("delivered", woo.id, { ...imported(1), fulfilmentState: "fulfilled", trackingDeliveredAt: new Date() }, [
    { pushState: "pushed" },
  ]);
  await order("notPushed", woo.id, { ...imported(2), fulfilmentState: "fulfilled" }, [{ pushState: "pending" }]);
  await order("partial", woo.id, { ...imported(3), fulfilmentState: "partial" }, [{ pushState: "pushed" }]);
  await order("failedImport", woo.id, {
    importState: "failed",
    importError: "dead-lettered: ACCESS_DENIED write_orders",
    importAttempts: 3,
  });
  await order("flagged", woo.id, { ...imported(5), importFlags: ["unlinked_lines"] });
  await order("failedPush", woo.id, { ...imported(6), fulfilmentState: "fulfilled" }, [
    { pushState: "pushed" },
    { pushState: "failed", pushError: "WooCommerce answered 500" },
  ]);
  // The engine's flags and state for what the orders hub could not follow (decisions 237, 239).
  await order("refunded", woo.id, { ...imported(7), importFlags: ["source_refunded"] });
  await order("cancelShipped", woo.id, {
    ...imported(8),
    importState: "needs_attention",
    importFlags: ["source_cancelled_after_fulfilment"],
    importError: "cancelled at the source after the Shopify order shipped",
  });
  await order("neverQueued", woo.id);
  await order("queued", woo.id, { importState: "queued" });
  await order("importOff", off.id);
  await order("cancelled", woo.id, { status: "cancelled", cancelledAt: new Date(), stockTaken: false });
  await order("central", record.id, { externalId: "gid://shopify/Order/900", status: "paid" });
  // The central shop's own record of imported order #1 (an echo): never a second row in the list.
  await order("echo", record.id, { externalId: "gid://shopify/Order/1", status: "paid" });
  await order("otherShop", otherWoo.id, { shopId: otherShopId, importState: "failed" });
}, 60_000);

afterAll(async () => {
  await stopBoss();
});

const listed = async (journey?: "not_imported" | "not_pushed" | "attention") =>
  (await listOrders(shopId, { journey })).rows.map((r) => Object.keys(ids).find((k) => ids[k] === r.id)).sort();

describe("Orders page journey", () => {
  it("shows each order's stage, with the central order's admin link and pushback progress", async () => {
    const { rows } = await listOrders(shopId, {});
    const by = (k: string) => rows.find((r) => r.id === ids[k])!.journey;
    expect(by("delivered")).toMatchObject({
      stage: "delivered",
      central: { id: "gid://shopify/Order/1", name: "#C1", adminUrl: "shopify:admin/orders/1" },
      fulfilments: { total: 1, pushed: 1, failed: 0, pending: 0 },
      attention: [],
    });
    expect(by("notPushed").stage).toBe("fulfilled");
    expect(by("partial").stage).toBe("partial");
    expect(by("failedImport")).toMatchObject({ stage: "import_failed", central: null });
    expect(by("failedImport").attention[0]).toContain("ACCESS_DENIED");
    expect(by("flagged").attention).toEqual([expect.stringContaining("custom lines")]);
    expect(by("refunded").attention).toEqual([expect.stringContaining("refunded at the source")]);
    expect(by("cancelShipped").attention).toEqual([
      expect.stringContaining("cancelled at the source"),
      expect.stringContaining("after it shipped"),
    ]);
    expect(by("failedPush")).toMatchObject({ fulfilments: { total: 2, pushed: 1, failed: 1 } });
    expect(by("neverQueued").stage).toBe("not_imported");
    expect(by("queued").stage).toBe("queued");
    expect(by("cancelled").stage).toBe("cancelled");
    expect(by("central").stage).toBe("central");
  });

  it("never lists an imported order's echo from the central shop", async () => {
    const all = await listed();
    expect(all).not.toContain("echo");
    expect(all).toContain("central");
    expect(all).not.toContain("otherShop");
  });

  it("filters server-side: not imported, shipped not pushed back, needs attention — with counts", async () => {
    expect(await listed("not_imported")).toEqual(["failedImport", "neverQueued", "queued"]);
    expect(await listed("not_pushed")).toEqual(["failedPush", "notPushed"]);
    expect(await listed("attention")).toEqual(["cancelShipped", "failedImport", "failedPush", "flagged", "refunded"]);
    const { journeyCounts } = await listOrders(shopId, {});
    expect(journeyCounts).toEqual({ not_imported: 3, not_pushed: 2, attention: 5 });
    // The filter combines with the page's others (store, search).
    expect((await listOrders(shopId, { journey: "attention", q: "nomatch" })).rows).toEqual([]);
  });

  it("the detail shows each step: import attempts and error, each fulfilment's tracking and pushback state", async () => {
    const d = (await getOrderDetail(shopId, ids.failedPush!))!;
    expect(d.import).toMatchObject({ state: "imported", centralOrderName: "#C6", fulfilmentState: "fulfilled" });
    expect(d.fulfilments.map((f) => [f.pushState, f.pushError, f.trackingNumbers, f.units])).toEqual([
      ["pushed", null, ["1Z1"], 1],
      ["failed", "WooCommerce answered 500", ["1Z2"], 1],
    ]);
    const f = (await getOrderDetail(shopId, ids.failedImport!))!;
    expect(f.import).toMatchObject({ state: "failed", attempts: 3, error: expect.stringContaining("ACCESS_DENIED") });
    expect(await getOrderDetail(otherShopId, ids.failedImport!)).toBeNull();
  });

  it("retrying a failed import replays its dead letter to order-import, once under two clicks", async () => {
    const id = ids.failedImport!;
    // The engine's dead letter: an order-import job whose retries are spent.
    const jobId = (await boss.send(QUEUES.orderImport, { shopId, orderId: id, source: SOURCE }, { retryLimit: 0 }))!;
    let job = null;
    for (let i = 0; i < 50 && !job; i++) {
      const [j] = await boss
        .fetch(QUEUES.orderImport, { batchSize: 50 })
        .then((js) => js.filter((x) => x.id === jobId));
      job = j ?? null;
      if (!job) await new Promise((r) => setTimeout(r, 100));
    }
    await boss.fail(QUEUES.orderImport, jobId, { message: "ACCESS_DENIED" });
    await expect
      .poll(async () => (await boss.findJobs(QUEUES.deadLetter, { data: { orderId: id }, queued: true })).length)
      .toBe(1);

    const [a, b] = await Promise.all([retryOrderImports(shopId, [id]), retryOrderImports(shopId, [id])]);
    expect(a.requeued + b.requeued).toBe(1);
    expect((await prisma.order.findUniqueOrThrow({ where: { id } })).importState).toBe("queued");
    expect(await boss.findJobs(QUEUES.deadLetter, { data: { orderId: id }, queued: true })).toEqual([]);
    // The re-sent job carries the delivery's addresses (the import needs them).
    const sent = (await boss.findJobs(QUEUES.orderImport, { data: { orderId: id } })).filter((j) => j.id !== jobId);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.data).toMatchObject({ shopId, orderId: id, source: SOURCE });
  });

  it("says why an order cannot be retried: imported, never queued, another shop's", async () => {
    const r = await retryOrderImports(shopId, [ids.delivered!, ids.neverQueued!, ids.otherShop!, ids.central!]);
    expect(r.requeued).toBe(0);
    expect(
      Object.fromEntries(r.skipped.map((s) => [Object.keys(ids).find((k) => ids[k] === s.orderId), s.reason])),
    ).toEqual({
      delivered: "Already imported.",
      neverQueued: expect.stringContaining("never queued"),
      central: expect.stringContaining("Shopify shop itself"),
    });
  });

  it("retrying a failed pushback re-queues it through requeueFulfilmentPushback", async () => {
    const r = await retryOrderPushbacks(shopId, [ids.failedPush!, ids.delivered!, ids.otherShop!]);
    expect(r.requeued).toBe(1);
    expect(r.skipped.map((s) => s.orderId)).toEqual([ids.delivered]);
    const rows = await prisma.orderFulfilment.findMany({ where: { orderId: ids.failedPush! }, orderBy: { id: "asc" } });
    expect(rows.map((x) => x.pushState).sort()).toEqual(["pending", "pushed"]);
    const fid = rows.find((x) => x.pushState === "pending")!.id;
    expect(await boss.findJobs(QUEUES.fulfilmentPush, { data: { fulfilmentId: fid } })).toHaveLength(1);
    // Now "shipped, not pushed back" but no longer "needs attention".
    expect(await listed("attention")).not.toContain("failedPush");
    expect(await listed("not_pushed")).toContain("failedPush");
  });
});

describe("Journey filters page through their matches (decision 263: ids first, then the page by primary key)", () => {
  it("pages a filter in placedAt desc, id desc order across pages, ties included, same as the unfiltered query", async () => {
    const shop = await createTestShop("journey-pages");
    const woo = await prisma.channel.create({
      data: { shopId: shop.id, kind: "woocommerce", name: "Woo Pages", baseUrl: "https://woopages.test" },
    });
    await prisma.orderImportSetting.create({ data: { channelId: woo.id, importOrders: true } });
    const t = Date.UTC(2026, 10, 1);
    const n = ORDERS_PAGE_SIZE + 7;
    // Interleaved: every other order imported (not matched); pairs share a placedAt (the id breaks the tie).
    await prisma.order.createMany({
      data: Array.from({ length: 2 * n }, (_, i) => ({
        shopId: shop.id,
        channelId: woo.id,
        externalId: `p${i}`,
        number: `#${i}`,
        status: "processing",
        placedAt: new Date(t + Math.floor(i / 4) * 60_000),
        stockTaken: true,
        ...(i % 2 ? { importState: "imported", centralOrderId: `gid://shopify/Order/${i}` } : {}),
      })),
    });
    const expected = (
      await prisma.order.findMany({
        where: orderWhere(shop.id, { journey: "not_imported" }, await journeyContext(shop.id)),
        orderBy: [{ placedAt: "desc" }, { id: "desc" }],
        select: { id: true },
      })
    ).map((o) => o.id);
    expect(expected).toHaveLength(n);
    const p1 = await listOrders(shop.id, { journey: "not_imported", page: 1 });
    const p2 = await listOrders(shop.id, { journey: "not_imported", page: 2 });
    expect(p1.total).toBe(n);
    expect(p1.pageCount).toBe(2);
    expect(p1.rows.map((r) => r.id)).toEqual(expected.slice(0, ORDERS_PAGE_SIZE));
    expect(p2.rows.map((r) => r.id)).toEqual(expected.slice(ORDERS_PAGE_SIZE));
    // Combined with another filter of the page (search by number): the ids-first read applies it too.
    const q = await listOrders(shop.id, { journey: "not_imported", q: "#10" });
    const evens = Array.from({ length: 2 * n }, (_, i) => i).filter((i) => i % 2 === 0 && `${i}`.includes("10"));
    expect(q.rows.map((r) => r.number).sort()).toEqual(evens.map((i) => `#${i}`).sort());
    expect(q.rows.length).toBeGreaterThan(2);
  });

  it("needs attention matches the same orders with the failed pushbacks read first or asked in the query", async () => {
    const shop = await createTestShop("journey-attention");
    const woo = await prisma.channel.create({
      data: { shopId: shop.id, kind: "woocommerce", name: "Woo Att", baseUrl: "https://wooatt.test" },
    });
    const mk = (i: number, data: object = {}) =>
      prisma.order.create({
        data: {
          shopId: shop.id,
          channelId: woo.id,
          externalId: `a${i}`,
          number: `#${i}`,
          status: "processing",
          placedAt: new Date(Date.UTC(2026, 10, 1, 0, i)),
          importState: "imported",
          centralOrderId: `gid://shopify/Order/a${i}`,
          ...data,
        },
      });
    const pushFailed = await mk(1);
    await prisma.orderFulfilment.create({
      data: {
        orderId: pushFailed.id,
        centralFulfilmentId: "gid://shopify/Fulfillment/a1",
        centralStatus: "SUCCESS",
        lines: [],
        centralUpdatedAt: new Date(),
        pushState: "failed",
      },
    });
    const flagged = await mk(2, { importFlags: ["source_edited"] });
    await mk(3);
    const ctx = await journeyContext(shop.id);
    expect(ctx.failedPushback).toEqual([pushFailed.id]);
    const ask = async (failedPushback: string[] | null) =>
      (
        await prisma.order.findMany({
          where: orderWhere(shop.id, { journey: "attention" }, { ...ctx, failedPushback }),
          select: { id: true },
        })
      )
        .map((o) => o.id)
        .sort();
    expect(await ask(ctx.failedPushback)).toEqual([pushFailed.id, flagged.id].sort());
    expect(await ask(null)).toEqual([pushFailed.id, flagged.id].sort());
    expect((await listOrders(shop.id, { journey: "attention" })).rows.map((r) => r.id)).toEqual([
      flagged.id,
      pushFailed.id,
    ]);
  });
});
