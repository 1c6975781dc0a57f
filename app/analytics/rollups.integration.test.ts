/**
 * Analytics rollups on real PostgreSQL against a HAND-COMPUTED fixture (decision 288): three channels (the record, a
 * WooCommerce store, a retailer Shopify shop), two currencies (EUR, USD), a cancelled order, a pending order, refunds
 * on a store order and on a record order, an imported order and the central shop's echo of it, two locations, a
 * stockout period, and a shop in Europe/Berlin (an order at 23:30 UTC belongs to the next local day). Then: an
 * incremental refresh after part of the data arrived equals a full rebuild.
 *
 * Expected numbers are worked out by hand in the comments next to each row.
 */
import { describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createTestShop } from "../notify/test-shop";
import { channelSummary, rebuildRollups, refreshRollups, skuDailySales } from "./rollups.server";
import { priceDifferences } from "./report.server";

const L1 = "gid://shopify/Location/1";
const L2 = "gid://shopify/Location/2";
const t = (iso: string) => new Date(iso);
let seq = 0;

interface Fixture {
  shopId: string;
  rec: string;
  woo: string;
  ret: string;
  A: string;
  B: string;
}

async function base(prefix: string): Promise<Fixture> {
  const shop = await createTestShop(prefix, { timezone: "Europe/Berlin" });
  await prisma.shop.update({ where: { id: shop.id }, data: { currency: "EUR" } });
  const ch = async (kind: string, name: string) =>
    (await prisma.channel.create({ data: { shopId: shop.id, kind, name, baseUrl: `http://${kind}.${prefix}.test` } }))
      .id;
  const rec = await ch("shopify", "Shopify");
  const woo = await ch("woocommerce", "Woo EU");
  const ret = await ch("shopify_retailer", "Retail US");
  const item = async (sku: string) =>
    (await prisma.catalogItem.create({ data: { shopId: shop.id, sku, skuKey: sku.toLowerCase(), title: sku } })).id;
  return { shopId: shop.id, rec, woo, ret, A: await item("TEE"), B: await item("MUG") };
}

async function ledger(
  f: Fixture,
  row: {
    item: string;
    channel: string | null;
    cause: string;
    delta?: number | null;
    loc?: string;
    before?: number | null;
    after?: number | null;
    order?: string;
    at: string;
    applied?: boolean;
  },
) {
  await prisma.stockLedger.create({
    data: {
      shopId: f.shopId,
      itemId: row.item,
      channelId: row.channel,
      cause: row.cause,
      delta: row.delta ?? null,
      locationGid: row.loc ?? null,
      before: row.before ?? null,
      after: row.after ?? null,
      orderId: row.order ?? null,
      idempotencyKey: `fx:${f.shopId}:${++seq}${row.applied ? ":applied" : ":taken"}`,
      createdAt: t(row.at),
    },
  });
}

async function order(
  f: Fixture,
  o: {
    channel: string;
    ext: string;
    at: string;
    currency: string;
    total: string;
    status: string;
    lines: { item: string; qty: number; price: string; restocked?: number }[];
    cancelledAt?: string;
    importKey?: string;
    centralOrderId?: string;
  },
) {
  const row = await prisma.order.create({
    data: {
      shopId: f.shopId,
      channelId: o.channel,
      externalId: o.ext,
      number: o.ext,
      status: o.status,
      currency: o.currency,
      totalPrice: o.total,
      placedAt: t(o.at),
      cancelledAt: o.cancelledAt ? t(o.cancelledAt) : null,
      importKey: o.importKey ?? null,
      centralOrderId: o.centralOrderId ?? null,
      lines: {
        create: o.lines.map((l, i) => ({
          externalLineId: String(i + 1),
          itemId: l.item,
          sku: null,
          title: "line",
          quantity: l.qty,
          price: l.price,
          restockedQuantity: l.restocked ?? 0,
        })),
      },
    },
  });
  return row.id;
}

/** Part 1: everything up to 2026-11-01 12:00 UTC (before the first refresh in the incremental test). */
async function part1(f: Fixture) {
  // Opening levels (day 10-31): A = L1 5 + L2 2 = 7; B = L1 1.
  await ledger(f, { item: f.A, channel: null, cause: "initial", loc: L1, after: 5, at: "2026-10-31T12:00:00Z" });
  await ledger(f, { item: f.A, channel: null, cause: "initial", loc: L2, after: 2, at: "2026-10-31T12:00:00Z" });
  await ledger(f, { item: f.B, channel: null, cause: "initial", loc: L1, after: 1, at: "2026-10-31T12:00:00Z" });
  // W1: Woo EUR 30.00, 2 × A at 15.00, day 11-01 (10:00 Berlin). A: L1 5 → 3 (total 5).
  const w1 = await order(f, {
    channel: f.woo,
    ext: "W1",
    at: "2026-11-01T09:00:00Z",
    currency: "EUR",
    total: "30.00",
    status: "processing",
    lines: [{ item: f.A, qty: 2, price: "15.00" }],
  });
  await ledger(f, { item: f.A, channel: f.woo, cause: "order", delta: -2, order: w1, at: "2026-11-01T09:00:05Z" });
  await ledger(f, {
    item: f.A,
    channel: f.rec,
    cause: "order",
    delta: -2,
    loc: L1,
    before: 5,
    after: 3,
    order: w1,
    at: "2026-11-01T09:00:10Z",
    applied: true,
  });
  // W2: Woo EUR 20.00, 1 × B, day 11-01; B: L1 1 → 0 (stockout from 11:00 Berlin). Cancelled on 11-02 (part 2).
  const w2 = await order(f, {
    channel: f.woo,
    ext: "W2",
    at: "2026-11-01T10:00:00Z",
    currency: "EUR",
    total: "20.00",
    status: "processing",
    lines: [{ item: f.B, qty: 1, price: "20.00" }],
  });
  await ledger(f, { item: f.B, channel: f.woo, cause: "order", delta: -1, order: w2, at: "2026-11-01T10:00:05Z" });
  await ledger(f, {
    item: f.B,
    channel: f.rec,
    cause: "order",
    delta: -1,
    loc: L1,
    before: 1,
    after: 0,
    order: w2,
    at: "2026-11-01T10:00:10Z",
    applied: true,
  });
  return { w2 };
}

/** Part 2: the rest (W2 cancelled, the retailer's imported order and its echo, a record order with a refund, ...). */
async function part2(f: Fixture, w2: string) {
  // W2 cancelled on 11-02: the store gave the unit back; B L1 0 → 1. The order row is updated.
  await prisma.order.update({
    where: { id: w2 },
    data: { status: "cancelled", cancelledAt: t("2026-11-02T08:00:00Z") },
  });
  await ledger(f, { item: f.B, channel: f.woo, cause: "cancel", delta: 1, order: w2, at: "2026-11-02T08:00:05Z" });
  await ledger(f, {
    item: f.B,
    channel: f.rec,
    cause: "cancel",
    delta: 1,
    loc: L1,
    before: 0,
    after: 1,
    order: w2,
    at: "2026-11-02T08:00:10Z",
    applied: true,
  });
  // R1: retailer USD 50.00, 2 × A at 25.00, placed 23:30 UTC on 11-01 = 00:30 Berlin on 11-02. Imported into the
  // central shop as gid://shopify/Order/900. A: L1 3 → 1 (total 3). One unit refunded and restocked on 11-02: L1 1 → 2.
  const r1 = await order(f, {
    channel: f.ret,
    ext: "R1",
    at: "2026-11-01T23:30:00Z",
    currency: "USD",
    total: "50.00",
    status: "partially_refunded",
    lines: [{ item: f.A, qty: 2, price: "25.00" }],
    importKey: `syncflow:${f.ret}:R1`,
    centralOrderId: "gid://shopify/Order/900",
  });
  await ledger(f, { item: f.A, channel: f.ret, cause: "order", delta: -2, order: r1, at: "2026-11-01T23:30:05Z" });
  await ledger(f, {
    item: f.A,
    channel: f.rec,
    cause: "order",
    delta: -2,
    loc: L1,
    before: 3,
    after: 1,
    order: r1,
    at: "2026-11-01T23:30:10Z",
    applied: true,
  });
  await ledger(f, { item: f.A, channel: f.ret, cause: "refund", delta: 1, order: r1, at: "2026-11-02T12:00:05Z" });
  await ledger(f, {
    item: f.A,
    channel: f.rec,
    cause: "cancel",
    delta: 1,
    loc: L1,
    before: 1,
    after: 2,
    order: r1,
    at: "2026-11-02T12:00:10Z",
    applied: true,
  });
  // The central shop's echo of R1 (recorded despite decision 217, e.g. by an older build): never a second sale.
  await order(f, {
    channel: f.rec,
    ext: "gid://shopify/Order/900",
    at: "2026-11-01T23:31:00Z",
    currency: "EUR",
    total: "50.00",
    status: "paid",
    lines: [{ item: f.A, qty: 2, price: "25.00" }],
  });
  // S1: a Shopify order, EUR 45.00, 3 × A at 15.00 on 11-03, one unit refunded and restocked. The record's stock
  // moves arrive as webhook rows: L2 2 → 0, L1 2 → 1 (total 1), then the restock L1 1 → 2 (total 2).
  await order(f, {
    channel: f.rec,
    ext: "gid://shopify/Order/901",
    at: "2026-11-03T10:00:00Z",
    currency: "EUR",
    total: "45.00",
    status: "partially_refunded",
    lines: [{ item: f.A, qty: 3, price: "15.00", restocked: 1 }],
  });
  await ledger(f, {
    item: f.A,
    channel: f.rec,
    cause: "webhook",
    delta: -2,
    loc: L2,
    before: 2,
    after: 0,
    at: "2026-11-03T10:00:30Z",
  });
  await ledger(f, {
    item: f.A,
    channel: f.rec,
    cause: "webhook",
    delta: -1,
    loc: L1,
    before: 2,
    after: 1,
    at: "2026-11-03T10:00:31Z",
  });
  await ledger(f, {
    item: f.A,
    channel: f.rec,
    cause: "webhook",
    delta: 1,
    loc: L1,
    before: 1,
    after: 2,
    at: "2026-11-03T15:00:00Z",
  });
  // W3: pending (never took stock), not a sale.
  await order(f, {
    channel: f.woo,
    ext: "W3",
    at: "2026-11-03T11:00:00Z",
    currency: "EUR",
    total: "10.00",
    status: "pending",
    lines: [{ item: f.B, qty: 1, price: "10.00" }],
  });
  // W4: Woo in USD 12.00, 1 × B on 11-03: B L1 1 → 0, out of stock again (and stays so).
  const w4 = await order(f, {
    channel: f.woo,
    ext: "W4",
    at: "2026-11-03T12:00:00Z",
    currency: "USD",
    total: "12.00",
    status: "processing",
    lines: [{ item: f.B, qty: 1, price: "12.00" }],
  });
  await ledger(f, { item: f.B, channel: f.woo, cause: "order", delta: -1, order: w4, at: "2026-11-03T12:00:05Z" });
  await ledger(f, {
    item: f.B,
    channel: f.rec,
    cause: "order",
    delta: -1,
    loc: L1,
    before: 1,
    after: 0,
    order: w4,
    at: "2026-11-03T12:00:10Z",
    applied: true,
  });
}

async function snapshot(shopId: string) {
  const sku = await prisma.analyticsSkuDay.findMany({
    where: { shopId },
    orderBy: [{ itemId: "asc" }, { day: "asc" }],
  });
  const skuCh = await prisma.analyticsSkuChannelDay.findMany({
    where: { shopId },
    orderBy: [{ itemId: "asc" }, { channelId: "asc" }, { day: "asc" }],
  });
  const ch = await prisma.analyticsChannelDay.findMany({
    where: { shopId },
    orderBy: [{ channelId: "asc" }, { day: "asc" }, { currency: "asc" }],
  });
  const mv = await prisma.analyticsMovementDay.findMany({
    where: { shopId },
    orderBy: [{ day: "asc" }, { channelId: "asc" }, { cause: "asc" }],
  });
  const price = await prisma.analyticsPriceDay.findMany({
    where: { shopId },
    orderBy: [{ day: "asc" }, { itemId: "asc" }, { channelId: "asc" }, { currency: "asc" }],
  });
  return JSON.parse(JSON.stringify({ sku, skuCh, ch, mv, price })) as unknown;
}

describe("analytics rollups", () => {
  it("match the hand-computed fixture", async () => {
    const f = await base("an-fx");
    const { w2 } = await part1(f);
    await part2(f, w2);
    await rebuildRollups(f.shopId, { from: "2026-10-31", to: "2026-11-04" });

    const summary = await channelSummary(f.shopId, "2026-11-01", "2026-11-03");
    expect(summary.map((s) => [s.channelName, s.currency, s.orders, s.cancelledOrders, s.units])).toEqual([
      ["Retail US", "USD", 1, 0, 2],
      ["Shopify", "EUR", 1, 0, 3], // S1 only: the echo of R1 is not a sale
      ["Woo EU", "EUR", 1, 1, 2], // W1; W2 cancelled; W3 pending is no sale
      ["Woo EU", "USD", 1, 0, 1], // W4
    ]);
    expect(summary.map((s) => [s.revenue, s.refundedOrders, s.refunds, s.averageOrderValue])).toEqual([
      ["50.00", 1, "25.00", "50.00"], // one unit at 25.00 refunded (ledger refund movement)
      ["45.00", 1, "15.00", "45.00"], // one unit at 15.00 restocked
      ["30.00", 0, "0.00", "30.00"],
      ["12.00", 0, "0.00", "12.00"],
    ]);
    // The previous day only (R1 is on 11-02 in Berlin, not 11-01).
    expect((await channelSummary(f.shopId, "2026-11-01", "2026-11-01")).map((s) => [s.channelName, s.orders])).toEqual([
      ["Woo EU", 1],
    ]);

    const days = await skuDailySales(f.shopId, "2026-11-01", "2026-11-04");
    const view = (id: string) =>
      days
        .filter((d) => d.variantId === id)
        .map((d) => [d.day, d.unitsSold, d.unitsByChannel, d.stockout, d.endAvailable]);
    expect(view(f.A)).toEqual([
      ["2026-11-01", 2, { [f.woo]: 2 }, false, 5],
      ["2026-11-02", 1, { [f.ret]: 1 }, false, 4], // 2 sold − 1 refunded; levels 3 then 4
      ["2026-11-03", 2, { [f.rec]: 2 }, false, 2], // S1: 3 − 1 restocked; min total 1
      ["2026-11-04", 0, {}, false, 2], // carried
    ]);
    expect(view(f.B)).toEqual([
      ["2026-11-01", 0, {}, true, 0], // sold and cancelled (net 0) — out of stock from 11:00
      ["2026-11-02", 0, {}, true, 1], // started the day at 0
      ["2026-11-03", 1, { [f.woo]: 1 }, true, 0], // W4 took the last unit
      ["2026-11-04", 0, {}, true, 0], // carried: still out
    ]);
    expect(days[0]!.sku).toBeDefined();
    // variantIds filter (read item by item through the primary key, decision 291): exactly the unfiltered rows of
    // those items, per-channel units and carried state included; an unknown id adds nothing.
    expect((await skuDailySales(f.shopId, "2026-11-03", "2026-11-03", { variantIds: [f.B] })).length).toBe(1);
    const only = await skuDailySales(f.shopId, "2026-11-01", "2026-11-04", { variantIds: [f.B, f.A, "no-such-item"] });
    expect(only).toEqual(days.filter((d) => d.variantId === f.A || d.variantId === f.B));
  }, 60_000);

  it("lists price differences per SKU and currency between channels, by spread (hand-computed)", async () => {
    const f = await base("an-price");
    const o = (channel: string, ext: string, at: string, currency: string, item: string, qty: number, price: string) =>
      order(f, {
        channel,
        ext,
        at,
        currency,
        total: (qty * Number(price)).toFixed(2),
        status: "paid",
        lines: [{ item, qty, price }],
      });
    // TEE in EUR: Woo 2 × 15.00 + 1 × 16.00 → 46.00 / 3 = 15.33; Shopify 1 × 18.00. Spread 2.67 / 15.33 = 0.174.
    await o(f.woo, "P1", "2026-11-01T09:00:00Z", "EUR", f.A, 2, "15.00");
    await o(f.woo, "P2", "2026-11-02T09:00:00Z", "EUR", f.A, 1, "16.00");
    await o(f.rec, "P3", "2026-11-02T10:00:00Z", "EUR", f.A, 1, "18.00");
    // MUG in EUR: Woo 10.00, Shopify 11.00 → spread 0.1; in USD: Woo and the retailer both 12.00 → no difference.
    await o(f.woo, "P4", "2026-11-03T09:00:00Z", "EUR", f.B, 1, "10.00");
    await o(f.rec, "P5", "2026-11-03T10:00:00Z", "EUR", f.B, 1, "11.00");
    await o(f.woo, "P6", "2026-11-03T11:00:00Z", "USD", f.B, 1, "12.00");
    await o(f.ret, "P7", "2026-11-03T12:00:00Z", "USD", f.B, 1, "12.00");
    // Outside the period (11-05): a different price that must not count.
    await o(f.rec, "P8", "2026-11-05T10:00:00Z", "USD", f.B, 1, "99.00");
    await rebuildRollups(f.shopId);
    const period = { from: "2026-11-01", to: "2026-11-04", prevFrom: "2026-10-28", prevTo: "2026-10-31", days: 4 };
    const view = (d: Awaited<ReturnType<typeof priceDifferences>>) =>
      d.map((x) => [
        x.sku,
        x.currency,
        x.lowest,
        x.highest,
        x.spread,
        x.channels.map((c) => [c.channelName, c.averagePrice, c.units]),
      ]);
    expect(view(await priceDifferences(f.shopId, period, 50))).toEqual([
      [
        "TEE",
        "EUR",
        "15.33",
        "18.00",
        0.174,
        [
          ["Shopify", "18.00", 1],
          ["Woo EU", "15.33", 3],
        ],
      ],
      [
        "MUG",
        "EUR",
        "10.00",
        "11.00",
        0.1,
        [
          ["Shopify", "11.00", 1],
          ["Woo EU", "10.00", 1],
        ],
      ],
    ]);
    // The limit keeps the largest spread.
    expect(view(await priceDifferences(f.shopId, period, 1)).map((r) => r[0])).toEqual(["TEE"]);
  }, 60_000);

  it("an incremental refresh equals a full rebuild", async () => {
    const f = await base("an-inc");
    const { w2 } = await part1(f);
    await refreshRollups(f.shopId); // first refresh: full
    // Pretend the first refresh ran at 11-01 12:00 UTC: everything of part 2 is "new" since then.
    await prisma.analyticsRollupState.update({
      where: { shopId: f.shopId },
      data: { refreshedFrom: t("2026-11-01T12:00:00Z") },
    });
    await part2(f, w2);
    const r = await refreshRollups(f.shopId);
    expect(r.full).toBe(false);
    expect(r.items).toBe(2);
    const incremental = await snapshot(f.shopId);
    await rebuildRollups(f.shopId);
    expect(await snapshot(f.shopId)).toEqual(incremental);
    // And the incremental state has the figures of the fixture (one spot check per table).
    const [woo] = (await channelSummary(f.shopId, "2026-11-01", "2026-11-01")).filter((s) => s.channelId === f.woo);
    expect([woo!.orders, woo!.cancelledOrders, woo!.revenue]).toEqual([1, 1, "30.00"]);
  }, 60_000);
});
