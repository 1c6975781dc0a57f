/**
 * Read-side queries of the orders pages (app/routes/app.orders._index.tsx, app.orders.$orderId.tsx):
 * one list of orders from every store with filters, search, count and revenue total; one order with its
 * lines and what it did to stock (ledger rows and Shopify adjustments). Every query filters on shopId.
 */
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { ORDERS_PAGE_SIZE } from "../lib/page-constants";
import { hiddenOrdersWhere } from "../billing/billing.server";
import {
  echoRowIds,
  journeyContext,
  journeyOf,
  journeyWhere,
  parseJourneyFilter,
  JOURNEY_FILTERS,
  type Journey,
  type JourneyContext,
  type JourneyFilter,
} from "./order-journey.server";

/** Filters of the order list. */
export interface OrderFilter {
  store?: string;
  status?: string;
  /** YYYY-MM-DD, inclusive, UTC. */
  from?: string;
  to?: string;
  /** Order number, customer name/email, or a line's SKU. */
  q?: string;
  /** Orders hub journey filter (order-journey.server.ts): not imported, shipped not pushed back, needs attention. */
  journey?: JourneyFilter;
}

/** Parse `?store=&status=&from=&to=&q=&journey=&page=`. */
export function parseOrderParams(url: URL): OrderFilter & { page: number } {
  const sp = url.searchParams;
  const date = (v: string | null) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);
  const n = Number.parseInt(sp.get("page") ?? "1", 10);
  return {
    store: sp.get("store") || undefined,
    status: (sp.get("status") ?? "").slice(0, 40) || undefined,
    from: date(sp.get("from")),
    to: date(sp.get("to")),
    q: (sp.get("q") ?? "").trim().slice(0, 100) || undefined,
    journey: parseJourneyFilter(sp.get("journey")),
    page: Number.isFinite(n) && n > 0 ? Math.min(n, 100_000) : 1,
  };
}

/**
 * The Prisma filter of the order list (shared with CSV export). `journey`: what the journey filters read beyond the
 * order row (`journeyContext`: importing channels, orders with a failed pushback).
 */
export function orderWhere(
  shopId: string,
  f: OrderFilter,
  journey: JourneyContext = { importing: [], failedPushback: null },
): Prisma.OrderWhereInput {
  const and: Prisma.OrderWhereInput[] = [{ shopId }];
  if (f.journey) and.push(journeyWhere(f.journey, journey));
  if (f.store) and.push({ channelId: f.store });
  if (f.status) and.push({ status: f.status });
  if (f.from) and.push({ placedAt: { gte: new Date(`${f.from}T00:00:00Z`) } });
  if (f.to) and.push({ placedAt: { lt: new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000) } });
  if (f.q) {
    const q = f.q.replace(/^#/, "");
    and.push({
      OR: [
        { number: { contains: q, mode: "insensitive" } },
        { customerName: { contains: q, mode: "insensitive" } },
        { customerEmail: { contains: q, mode: "insensitive" } },
        { lines: { some: { sku: { contains: q, mode: "insensitive" } } } },
      ],
    });
  }
  return and.length === 1 ? and[0]! : { AND: and };
}

/** One order row (JSON-safe). */
export interface OrderRow {
  id: string;
  number: string;
  store: string;
  storeKind: string;
  status: string;
  customer: string | null;
  total: string | null;
  currency: string | null;
  placedAt: string;
  cancelledAt: string | null;
  lines: number;
  units: number;
  stockTaken: boolean;
  /** The orders hub journey (received → imported → fulfilled → tracking at the store) and what needs the merchant. */
  journey: Journey;
}

/** Up to this many matches, a journey filter's page is chosen from the matches' ids first (`pageWhere`). */
export const JOURNEY_IDS_FIRST_MAX = 5000;

/**
 * The filter of one page of a journey filter's list (decision 263). A journey filter matches few orders, but
 * PostgreSQL cannot know how few: for `ORDER BY placedAt DESC LIMIT 50` it walks Order(shopId, placedAt) backwards and
 * discards every order that does not match (10k+ at 100k orders). When the filter's `total` (already counted) is at
 * most JOURNEY_IDS_FIRST_MAX, the matches' (id, placedAt) are read first — the same indexed plan as the count, no
 * ORDER BY to walk — and the page is cut from them here (placedAt desc, id desc, as the list orders); the page query
 * then reads those ids by primary key (its `skip` is 0). Otherwise `where` unchanged.
 */
async function pageWhere(where: Prisma.OrderWhereInput, total: number, page: number): Promise<Prisma.OrderWhereInput> {
  if (total > JOURNEY_IDS_FIRST_MAX) return where;
  const hits = await prisma.order.findMany({ where, select: { id: true, placedAt: true } });
  hits.sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const ids = hits.slice((page - 1) * ORDERS_PAGE_SIZE, page * ORDERS_PAGE_SIZE).map((h) => h.id);
  return { id: { in: ids } };
}

/** A page of orders with the filter's count and revenue total. */
export async function listOrders(shopId: string, f: OrderFilter & { page?: number }) {
  // Orders the plan left out of the orders hub (over the period's count, or taken while their channel was
  // paused) are not listed; their stock moved all the same (app/billing/billing.server.ts).
  const [hidden, journey] = await Promise.all([hiddenOrdersWhere(shopId), journeyContext(shopId)]);
  const visible = (w: Prisma.OrderWhereInput): Prisma.OrderWhereInput => (hidden ? { AND: [w, { NOT: hidden }] } : w);
  const where = visible(orderWhere(shopId, f, journey));
  // How many orders each journey filter holds (the page's tabs): one indexed count each.
  const journeyCounts = Promise.all(
    JOURNEY_FILTERS.map((j) => prisma.order.count({ where: visible(orderWhere(shopId, { journey: j }, journey)) })),
  );
  const [agg, channels, statuses] = await Promise.all([
    prisma.order.aggregate({ where, _count: { _all: true }, _sum: { totalPrice: true } }),
    prisma.channel.findMany({
      where: { shopId },
      orderBy: [{ kind: "asc" }, { createdAt: "asc" }],
      select: { id: true, name: true, kind: true },
    }),
    prisma.order.groupBy({ by: ["status"], where: { shopId }, orderBy: { status: "asc" } }),
  ]);
  const total = agg._count._all;
  const pageCount = Math.max(1, Math.ceil(total / ORDERS_PAGE_SIZE));
  const page = Math.min(Math.max(1, f.page ?? 1), pageCount);
  const orders = await prisma.order.findMany({
    where: await pageWhere(where, f.journey ? total : Infinity, page),
    orderBy: [{ placedAt: "desc" }, { id: "desc" }],
    skip: f.journey && total <= JOURNEY_IDS_FIRST_MAX ? 0 : (page - 1) * ORDERS_PAGE_SIZE,
    take: ORDERS_PAGE_SIZE,
    include: {
      lines: { select: { quantity: true } },
      fulfilments: { select: { pushState: true } },
    },
  });
  const names = new Map(channels.map((c) => [c.id, c]));
  const echoes = await echoRowIds(
    shopId,
    orders.map((o) => ({ id: o.id, externalId: o.externalId, channelKind: names.get(o.channelId)?.kind ?? "" })),
  );
  const currencies = new Set(orders.map((o) => o.currency).filter(Boolean));
  const rows: OrderRow[] = orders
    .filter((o) => !echoes.has(o.id))
    .map((o) => ({
      id: o.id,
      number: o.number,
      store: names.get(o.channelId)?.name ?? "—",
      storeKind: names.get(o.channelId)?.kind ?? "",
      status: o.status,
      customer: o.customerName ?? o.customerEmail,
      total: o.totalPrice?.toFixed(2) ?? null,
      currency: o.currency,
      placedAt: o.placedAt.toISOString(),
      cancelledAt: o.cancelledAt?.toISOString() ?? null,
      lines: o.lines.length,
      units: o.lines.reduce((s, l) => s + l.quantity, 0),
      stockTaken: o.stockTaken,
      journey: journeyOf({ ...o, channelKind: names.get(o.channelId)?.kind ?? "" }),
    }));
  const counts = await journeyCounts;
  return {
    rows,
    total,
    revenue: agg._sum.totalPrice?.toFixed(2) ?? "0.00",
    currency: currencies.size === 1 ? [...currencies][0]! : null,
    page,
    pageCount,
    stores: channels.map((c) => ({ id: c.id, name: c.name })),
    statuses: statuses.map((s) => s.status),
    journeyCounts: Object.fromEntries(JOURNEY_FILTERS.map((j, i) => [j, counts[i]!])) as Record<JourneyFilter, number>,
  };
}

/** One order with its lines and its stock effects, or null when it is not the shop's. */
export async function getOrderDetail(shopId: string, orderId: string) {
  const hidden = await hiddenOrdersWhere(shopId);
  const o = await prisma.order.findFirst({
    where: hidden ? { AND: [{ id: orderId, shopId }, { NOT: hidden }] } : { id: orderId, shopId },
    include: {
      lines: { orderBy: { externalLineId: "asc" } },
      channel: { select: { name: true, kind: true, baseUrl: true } },
      fulfilments: { orderBy: [{ centralUpdatedAt: "asc" }, { id: "asc" }] },
    },
  });
  if (!o) return null;
  const [ledger, adjustments] = await Promise.all([
    prisma.stockLedger.findMany({
      where: { shopId, orderId },
      orderBy: { id: "asc" },
      include: { item: { select: { sku: true } }, channel: { select: { name: true } } },
    }),
    prisma.shopifyAdjustment.findMany({
      where: { shopId, orderId },
      orderBy: { createdAt: "asc" },
      include: { item: { select: { sku: true } } },
    }),
  ]);
  return {
    order: {
      id: o.id,
      number: o.number,
      externalId: o.externalId,
      status: o.status,
      store: o.channel.name,
      storeKind: o.channel.kind,
      customer: o.customerName,
      email: o.customerEmail,
      total: o.totalPrice?.toFixed(2) ?? null,
      currency: o.currency,
      placedAt: o.placedAt.toISOString(),
      cancelledAt: o.cancelledAt?.toISOString() ?? null,
      stockTaken: o.stockTaken,
      /** When SyncFlow recorded it (the delivery reached the hub). */
      receivedAt: o.createdAt.toISOString(),
    },
    journey: journeyOf({ ...o, channelKind: o.channel.kind }),
    /** The import step: state, attempts, last error, central order and flags (null state: never queued). */
    import: {
      state: o.importState,
      attempts: o.importAttempts,
      error: o.importError,
      importedAt: o.importedAt?.toISOString() ?? null,
      centralOrderId: o.centralOrderId,
      centralOrderName: o.centralOrderName,
      flags: o.importFlags,
      fulfilmentState: o.fulfilmentState,
      trackingDeliveredAt: o.trackingDeliveredAt?.toISOString() ?? null,
    },
    /** Central fulfilments and their pushback to the source store. */
    fulfilments: o.fulfilments.map((f) => ({
      id: f.id,
      centralFulfilmentId: f.centralFulfilmentId,
      centralStatus: f.centralStatus,
      trackingCompany: f.trackingCompany,
      trackingNumbers: f.trackingNumbers,
      trackingUrls: f.trackingUrls,
      units: Array.isArray(f.lines)
        ? (f.lines as { quantity?: number }[]).reduce((n, l) => n + (Number(l?.quantity) || 0), 0)
        : 0,
      fulfilledAt: f.createdAt.toISOString(),
      pushState: f.pushState,
      pushAttempts: f.pushAttempts,
      pushError: f.pushError,
      pushedAt: f.pushedAt?.toISOString() ?? null,
      sourceRef: f.sourceRef,
    })),
    lines: o.lines.map((l) => ({
      id: l.id,
      sku: l.sku,
      itemId: l.itemId,
      title: l.title,
      quantity: l.quantity,
      price: l.price?.toFixed(2) ?? null,
      restocked: l.restockedQuantity,
    })),
    ledger: ledger.map((r) => ({
      id: r.id.toString(),
      createdAt: r.createdAt.toISOString(),
      sku: r.item.sku,
      itemId: r.itemId,
      store: r.channel?.name ?? null,
      cause: r.cause,
      delta: r.delta,
      before: r.before,
      after: r.after,
      actor: r.actor,
      note: r.note,
    })),
    adjustments: adjustments.map((a) => ({
      id: a.id,
      sku: a.item.sku,
      itemId: a.itemId,
      delta: a.delta,
      status: a.status,
      reason: a.reason,
      attempts: a.attempts,
      lastError: a.lastError,
      createdAt: a.createdAt.toISOString(),
      appliedAt: a.appliedAt?.toISOString() ?? null,
    })),
  };
}
