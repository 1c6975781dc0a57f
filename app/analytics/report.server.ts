/**
 * The analytics page's figures (issue 18 item 1; definitions in decision 288), read from the rollups only (except the
 * price comparison, which reads the period's order lines, and integration health, which reads the last 7 days of
 * webhook receipts and dead letters). Every money figure is a decimal string with its currency; nothing sums two
 * currencies. Each table also has a CSV form (`analyticsTable`), so every table on the page can be exported.
 */
import { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { channelSummary, type ChannelPeriodSummary } from "./rollups.server";
import { addDays, HEALTH_HOURS, type Period } from "./period";
import { inventoryValueSeries, type InventoryValuePoint } from "./inventory-value.server";
import { readApiPoints } from "../models/dashboard.server";
import { salesChannelLabel } from "../channels/registry.server";
import { RECORD_KIND } from "../channels/channel";

export { HEALTH_HOURS, MAX_PERIOD_DAYS, parsePeriod, type Period } from "./period";

/** One channel and currency: this period and the previous one (null when it had no order then). */
export interface ChannelComparison {
  channelId: string;
  channelName: string;
  channelKind: string;
  currency: string;
  current: ChannelPeriodSummary | null;
  previous: ChannelPeriodSummary | null;
}

/** Channels × currencies present in either period, current first. */
export async function channelComparison(shopId: string, p: Period): Promise<ChannelComparison[]> {
  const [cur, prev] = await Promise.all([
    channelSummary(shopId, p.from, p.to),
    channelSummary(shopId, p.prevFrom, p.prevTo),
  ]);
  const key = (s: ChannelPeriodSummary) => `${s.channelId}|${s.currency}`;
  const out = new Map<string, ChannelComparison>();
  for (const s of [...cur, ...prev]) {
    if (!out.has(key(s)))
      out.set(key(s), {
        channelId: s.channelId,
        channelName: s.channelName,
        channelKind: s.channelKind,
        currency: s.currency,
        current: null,
        previous: null,
      });
  }
  for (const s of cur) out.get(key(s))!.current = s;
  for (const s of prev) out.get(key(s))!.previous = s;
  return [...out.values()].sort((a, b) =>
    a.channelName === b.channelName ? a.currency.localeCompare(b.currency) : a.channelName.localeCompare(b.channelName),
  );
}

/** Daily revenue and orders of one currency (dense over the period). */
export interface CurrencyTrend {
  currency: string;
  points: { day: string; revenue: string; orders: number }[];
}

/** Revenue per local day and currency over the period (every channel of that currency together). */
export async function revenueTrend(shopId: string, p: Period): Promise<CurrencyTrend[]> {
  const rows = await prisma.$queryRaw<{ day: string; currency: string; revenue: string; orders: number }[]>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, currency, sum(revenue)::numeric(18,2)::text AS revenue, sum(orders)::int AS orders
    FROM "AnalyticsChannelDay" WHERE "shopId" = ${shopId} AND day BETWEEN ${p.from}::date AND ${p.to}::date
    GROUP BY 1, 2 ORDER BY 2, 1`;
  const byCur = new Map<string, Map<string, { revenue: string; orders: number }>>();
  for (const r of rows) {
    if (!byCur.has(r.currency)) byCur.set(r.currency, new Map());
    byCur.get(r.currency)!.set(r.day, r);
  }
  return [...byCur.entries()].map(([currency, m]) => ({
    currency,
    points: Array.from({ length: p.days }, (_, i) => {
      const day = addDays(p.from, i);
      const r = m.get(day);
      return { day, revenue: r?.revenue ?? "0.00", orders: r?.orders ?? 0 };
    }),
  }));
}

/** One SKU over the period (formulas in decision 288). */
export interface SkuStat {
  itemId: string;
  sku: string;
  title: string;
  unitsSold: number;
  /** Available (sum over locations) at the end of the period; null when never observed. */
  endAvailable: number | null;
  /** Mean end-of-day available over the period's days (negative counted as 0). */
  averageAvailable: number;
  /** units ÷ (units + max(end available, 0)), 0..1; null when both are 0. */
  sellThrough: number | null;
  /** units ÷ average available; null when the average is 0. */
  turnover: number | null;
  /** Days of the period on which the item was out of stock at some moment. */
  stockoutDays: number;
}

/**
 * Per SKU over the period, from the sparse SKU-day rows (days between rows carry the previous end state). Sorted by
 * units sold, then SKU; `limit` cuts the list (null = every item SyncFlow has observed).
 */
export async function skuStats(shopId: string, p: Period, limit: number | null = 50): Promise<SkuStat[]> {
  // With a limit, the items are chosen first (units sold from the SKU-channel rollup, then SKU order for the rest), so
  // only their stock rows are read — the page's top 50 stays cheap at 10,000 SKUs (bench/analytics.ts).
  let ids: string[] | null = null;
  if (limit != null) {
    const top = await prisma.$queryRaw<{ item_id: string }[]>`
      SELECT "itemId" AS item_id FROM "AnalyticsSkuChannelDay"
      WHERE "shopId" = ${shopId} AND day BETWEEN ${p.from}::date AND ${p.to}::date
      GROUP BY 1 HAVING sum(units) > 0 ORDER BY sum(units) DESC, 1 LIMIT ${limit}`;
    ids = top.map((t) => t.item_id);
    if (ids.length < limit) {
      const more = await prisma.catalogItem.findMany({
        where: { shopId, id: { notIn: ids } },
        orderBy: { skuKey: "asc" },
        take: limit - ids.length,
        select: { id: true },
      });
      ids.push(...more.map((m) => m.id));
    }
    if (!ids.length) return [];
  }
  const only = (col: Prisma.Sql) => (ids ? Prisma.sql`AND ${col} = ANY(${ids}::text[])` : Prisma.empty);
  const rows = await prisma.$queryRaw<
    {
      item_id: string;
      sku: string;
      title: string;
      units: number;
      end_available: number | null;
      avail_days: string;
      stockout_days: number;
    }[]
  >`
    WITH prior AS (
      SELECT DISTINCT ON ("itemId") "itemId", "endAvailable" AS e
      FROM "AnalyticsSkuDay"
      WHERE "shopId" = ${shopId} AND day < ${p.from}::date AND "endAvailable" IS NOT NULL ${only(Prisma.sql`"itemId"`)}
      ORDER BY "itemId", day DESC
    ), r AS (
      SELECT "itemId", day, "unitsSold", stockout, "endAvailable",
             COALESCE(lead(day) OVER (PARTITION BY "itemId" ORDER BY day), ${p.to}::date + 1) AS next_day
      FROM "AnalyticsSkuDay"
      WHERE "shopId" = ${shopId} AND day BETWEEN ${p.from}::date AND ${p.to}::date ${only(Prisma.sql`"itemId"`)}
    ), per AS (
      SELECT "itemId", sum("unitsSold")::int AS units, min(day) AS first_day,
             sum(stockout::int + CASE WHEN "endAvailable" <= 0 THEN next_day - day - 1 ELSE 0 END)::int AS stockout_days,
             sum(GREATEST(COALESCE("endAvailable", 0), 0)::bigint * (next_day - day)) AS avail_days,
             (array_agg("endAvailable" ORDER BY day DESC))[1] AS last_end
      FROM r GROUP BY 1
    ), items AS (
      SELECT COALESCE(per."itemId", prior."itemId") AS item_id, per.units, per.first_day, per.stockout_days,
             per.avail_days, per.last_end, prior.e AS prior_end
      FROM per FULL JOIN prior ON prior."itemId" = per."itemId"
      ${
        ids
          ? Prisma.sql`UNION ALL SELECT id, NULL, NULL, NULL, NULL, NULL, NULL FROM unnest(${ids}::text[]) AS id
        WHERE id NOT IN (SELECT "itemId" FROM per) AND id NOT IN (SELECT "itemId" FROM prior)`
          : Prisma.empty
      }
    )
    SELECT i.item_id, ci.sku, ci.title, COALESCE(i.units, 0) AS units,
           COALESCE(i.last_end, i.prior_end) AS end_available,
           (COALESCE(i.avail_days, 0)
             + GREATEST(COALESCE(i.prior_end, 0), 0)::bigint * (COALESCE(i.first_day, ${p.to}::date + 1) - ${p.from}::date))::text AS avail_days,
           (COALESCE(i.stockout_days, 0)
             + CASE WHEN i.prior_end <= 0 THEN COALESCE(i.first_day, ${p.to}::date + 1) - ${p.from}::date ELSE 0 END)::int AS stockout_days
    FROM items i JOIN "CatalogItem" ci ON ci.id = i.item_id
    ORDER BY units DESC, ci.sku`;
  return rows.map((r) => {
    const avg = Number(r.avail_days) / p.days;
    const end = r.end_available == null ? 0 : Math.max(0, r.end_available);
    return {
      itemId: r.item_id,
      sku: r.sku,
      title: r.title,
      unitsSold: r.units,
      endAvailable: r.end_available,
      averageAvailable: Math.round(avg * 100) / 100,
      sellThrough: r.units + end > 0 ? r.units / (r.units + end) : null,
      turnover: avg > 0 ? Math.round((r.units / avg) * 100) / 100 : null,
      stockoutDays: r.stockout_days,
    };
  });
}

/** Inventory value of one currency: first and last snapshot of the period and the change. */
export interface InventoryValueMove {
  currency: string;
  startDay: string;
  startValue: string;
  endDay: string;
  endValue: string;
  change: string;
}

/** The period's daily inventory-value snapshots and, per currency, how the value moved from first to last. */
export async function inventoryValue(
  shopId: string,
  p: Period,
): Promise<{ series: InventoryValuePoint[]; moves: InventoryValueMove[] }> {
  const series = await inventoryValueSeries(shopId, p.from, p.to);
  const byCur = new Map<string, InventoryValuePoint[]>();
  for (const s of series) byCur.set(s.currency, [...(byCur.get(s.currency) ?? []), s]);
  const cents = (v: string) => Math.round(Number(v) * 100);
  const moves = [...byCur.entries()].map(([currency, pts]) => {
    const first = pts[0]!;
    const last = pts[pts.length - 1]!;
    return {
      currency,
      startDay: first.day,
      startValue: first.value,
      endDay: last.day,
      endValue: last.value,
      change: ((cents(last.value) - cents(first.value)) / 100).toFixed(2),
    };
  });
  return { series, moves };
}

/** Ledger movements of one cause over the period and the previous one. */
export interface MovementByCause {
  cause: string;
  movements: number;
  unitsIn: number;
  unitsOut: number;
  previousMovements: number;
}

/** Stock movements by cause (every channel), this period vs the previous one. */
export async function movementsByCause(shopId: string, p: Period): Promise<MovementByCause[]> {
  const rows = await prisma.$queryRaw<
    { cause: string; movements: number; units_in: number; units_out: number; prev: number }[]
  >`
    SELECT cause,
           COALESCE(sum(movements) FILTER (WHERE day >= ${p.from}::date), 0)::int AS movements,
           COALESCE(sum("unitsIn") FILTER (WHERE day >= ${p.from}::date), 0)::int AS units_in,
           COALESCE(sum("unitsOut") FILTER (WHERE day >= ${p.from}::date), 0)::int AS units_out,
           COALESCE(sum(movements) FILTER (WHERE day < ${p.from}::date), 0)::int AS prev
    FROM "AnalyticsMovementDay"
    WHERE "shopId" = ${shopId} AND day BETWEEN ${p.prevFrom}::date AND ${p.to}::date
    GROUP BY cause ORDER BY movements DESC, cause`;
  return rows.map((r) => ({
    cause: r.cause,
    movements: r.movements,
    unitsIn: r.units_in,
    unitsOut: r.units_out,
    previousMovements: r.prev,
  }));
}

/** One SKU sold at different prices on different channels in one currency. */
export interface PriceDifference {
  itemId: string;
  sku: string;
  currency: string;
  /** Per channel: average unit price sold in the period (decimal string) and units. */
  channels: { channelId: string; channelName: string; averagePrice: string; units: number }[];
  lowest: string;
  highest: string;
  /** (highest − lowest) ÷ lowest, 0..; null when the lowest is 0. */
  spread: number | null;
}

/**
 * SKUs whose average unit selling price (Σ line price × quantity ÷ Σ quantity, orders of the period that are sales)
 * differs between channels within ONE currency by at least a cent. Sorted by spread, largest first; `limit` rows.
 */
export async function priceDifferences(
  shopId: string,
  p: Period,
  limit: number | null = 50,
): Promise<PriceDifference[]> {
  // One SKU × channel × currency row per line of the period (≈ 38,000 at 10,000 SKUs on 3 stores): with the default
  // 4 MB work_mem the aggregate and the CTE spilled to temp files and the query took 200–900 ms cold; 32 MB for this
  // transaction keeps both in memory (decision 291). The average is rounded to cents once, where it is computed.
  const [, rows] = await prisma.$transaction([
    prisma.$executeRaw`SET LOCAL work_mem = '32MB'`,
    prisma.$queryRaw<
      { item_id: string; sku: string; currency: string; channel_id: string; name: string; avg: string; units: number }[]
    >`
    WITH lines AS (
      SELECT "itemId", "channelId", currency, round(sum(amount) / NULLIF(sum(units), 0), 2) AS avg,
             sum(units)::int AS units
      FROM "AnalyticsPriceDay"
      WHERE "shopId" = ${shopId} AND day BETWEEN ${p.from}::date AND ${p.to}::date
      GROUP BY 1, 2, 3
    ), diff AS (
      -- Spread per SKU and currency, the largest first; only the shown SKUs' channel rows are returned.
      SELECT "itemId", currency FROM lines GROUP BY 1, 2
      HAVING count(*) > 1 AND max(avg) - min(avg) >= 0.01
      ORDER BY (max(avg) - min(avg)) / NULLIF(min(avg), 0) DESC NULLS FIRST, 1, 2
      ${limit == null ? Prisma.empty : Prisma.sql`LIMIT ${limit}`}
    )
    SELECT l."itemId" AS item_id, ci.sku, l.currency, l."channelId" AS channel_id, c.name,
           l.avg::text AS avg, l.units
    FROM lines l JOIN diff d ON d."itemId" = l."itemId" AND d.currency = l.currency
    JOIN "CatalogItem" ci ON ci.id = l."itemId" JOIN "Channel" c ON c.id = l."channelId"
    ORDER BY ci.sku, l.currency, c.name`,
  ]);
  const groups = new Map<string, PriceDifference>();
  for (const r of rows) {
    const k = `${r.item_id}|${r.currency}`;
    if (!groups.has(k))
      groups.set(k, {
        itemId: r.item_id,
        sku: r.sku,
        currency: r.currency,
        channels: [],
        lowest: "",
        highest: "",
        spread: null,
      });
    groups.get(k)!.channels.push({ channelId: r.channel_id, channelName: r.name, averagePrice: r.avg, units: r.units });
  }
  const out = [...groups.values()].map((g) => {
    const prices = g.channels.map((c) => Number(c.averagePrice));
    const lo = Math.min(...prices);
    const hi = Math.max(...prices);
    return {
      ...g,
      lowest: lo.toFixed(2),
      highest: hi.toFixed(2),
      spread: lo > 0 ? Math.round(((hi - lo) / lo) * 1000) / 1000 : null,
    };
  });
  out.sort((a, b) => (b.spread ?? Infinity) - (a.spread ?? Infinity) || a.sku.localeCompare(b.sku));
  return limit == null ? out : out.slice(0, limit);
}

/** Integration health of one channel over the last {@link HEALTH_HOURS} hours (definitions in decision 290). */
export interface ChannelHealth {
  channelId: string;
  channelName: string;
  kindLabel: string;
  status: string;
  /** Stock writes to the store (ledger `push` rows). */
  writes: number;
  /** Jobs of this channel dead-lettered (retries spent). */
  deadLetters: number;
  /** writes ÷ (writes + dead letters), 0..1; null when neither happened. */
  successRate: number | null;
  /** Webhook deliveries received from the store. */
  webhooks: number;
  webhooksFailed: number;
  /** Still waiting to be processed more than 5 minutes after arrival. */
  webhooksStuck: number;
  /** failed ÷ webhooks, 0..1; null without webhooks. */
  errorRate: number | null;
  /** Time from a delivery's arrival to its processing (ms), median and 95th percentile. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  lastWebhookAt: string | null;
  /** API budget: the record's live cost bucket (points used / maximum) or a polled channel's throttled polls. */
  apiBudget: string;
}

/**
 * Health per channel over the last {@link HEALTH_HOURS} hours: write success, webhook error rate and latency, delivery
 * backlog and the API budget. The record's live budget is read through `readApiPoints` (≤ 1.5 s; "—" when Shopify
 * does not answer) unless `opts.liveBudget` is false.
 */
export async function integrationHealth(
  shopId: string,
  opts: { now?: Date; liveBudget?: boolean } = {},
): Promise<ChannelHealth[]> {
  const now = opts.now ?? new Date();
  const since = new Date(now.getTime() - HEALTH_HOURS * 3_600_000);
  const stuckBefore = new Date(now.getTime() - 5 * 60_000);
  const [channels, writes, dead, hooks, api] = await Promise.all([
    prisma.channel.findMany({
      where: { shopId },
      orderBy: [{ createdAt: "asc" }],
      select: { id: true, name: true, kind: true, status: true, lastWebhookAt: true, pollState: true },
    }),
    prisma.$queryRaw<{ channel_id: string; n: number }[]>`
      SELECT "channelId" AS channel_id, count(*)::int AS n FROM "StockLedger"
      WHERE "shopId" = ${shopId} AND cause = 'push' AND "createdAt" >= ${since} GROUP BY 1`,
    prisma.$queryRaw<{ channel_id: string | null; n: number }[]>`
      SELECT payload->'data'->>'channelId' AS channel_id, count(*)::int AS n FROM "DomainEvent"
      WHERE "shopId" = ${shopId} AND type = 'job.dead_lettered' AND "createdAt" >= ${since} GROUP BY 1`,
    prisma.$queryRaw<
      {
        channel_id: string | null;
        source: string;
        n: number;
        failed: number;
        stuck: number;
        p50: number | null;
        p95: number | null;
      }[]
    >`
      SELECT "channelId" AS channel_id, source, count(*)::int AS n,
             count(*) FILTER (WHERE status = 'failed')::int AS failed,
             count(*) FILTER (WHERE status = 'received' AND "receivedAt" < ${stuckBefore})::int AS stuck,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "processedAt" - "receivedAt") * 1000)
               FILTER (WHERE "processedAt" IS NOT NULL) AS p50,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM "processedAt" - "receivedAt") * 1000)
               FILTER (WHERE "processedAt" IS NOT NULL) AS p95
      FROM "WebhookReceipt" WHERE "shopId" = ${shopId} AND "receivedAt" >= ${since}
      GROUP BY 1, 2`,
    opts.liveBudget === false ? Promise.resolve(null) : readApiPoints(shopId),
  ]);
  const writesBy = new Map(writes.map((w) => [w.channel_id, w.n]));
  const deadBy = new Map(dead.map((d) => [d.channel_id ?? "", d.n]));
  return channels.map((c) => {
    // The record's receipts carry no channel id (Shopify's webhooks name the shop): its row is source "shopify".
    const h = hooks.filter((r) =>
      c.kind === RECORD_KIND ? r.channel_id == null || r.channel_id === c.id : r.channel_id === c.id,
    );
    const n = h.reduce((s, r) => s + r.n, 0);
    const failed = h.reduce((s, r) => s + r.failed, 0);
    const best = h.sort((a, b) => b.n - a.n)[0];
    const w = writesBy.get(c.id) ?? 0;
    const d = deadBy.get(c.id) ?? 0;
    let apiBudget = "—";
    if (c.kind === RECORD_KIND && api) apiBudget = `${api.used} / ${api.maximum} points (${api.plan})`;
    else if (c.pollState) apiBudget = `${c.pollState.throttled} of ${c.pollState.polls} polls throttled`;
    return {
      channelId: c.id,
      channelName: c.name,
      kindLabel: c.kind === RECORD_KIND ? "Shopify (record)" : salesChannelLabel(c.kind),
      status: c.status,
      writes: w,
      deadLetters: d,
      successRate: w + d === 0 ? null : w / (w + d),
      webhooks: n,
      webhooksFailed: failed,
      webhooksStuck: h.reduce((s, r) => s + r.stuck, 0),
      errorRate: n === 0 ? null : failed / n,
      latencyP50Ms: best?.p50 == null ? null : Math.round(best.p50),
      latencyP95Ms: best?.p95 == null ? null : Math.round(best.p95),
      lastWebhookAt: c.lastWebhookAt?.toISOString() ?? null,
      apiBudget,
    };
  });
}

/** The tables the page shows, each exportable as CSV. */
export const ANALYTICS_TABLES = [
  "channels",
  "revenue",
  "skus",
  "inventory-value",
  "movements",
  "prices",
  "health",
] as const;
export type AnalyticsTable = (typeof ANALYTICS_TABLES)[number];

const pct = (r: number | null) => (r == null ? "" : (Math.round(r * 1000) / 10).toFixed(1));

/**
 * One table of the page as CSV rows (header first) for the period — the full table, not the page's cut (every SKU,
 * every price difference). Money columns are decimal strings with a currency column beside them.
 */
export async function* analyticsTable(
  table: AnalyticsTable,
  shopId: string,
  p: Period,
): AsyncGenerator<(string | number)[]> {
  switch (table) {
    case "channels": {
      yield [
        "Channel",
        "Currency",
        "Orders",
        "Previous orders",
        "Units",
        "Previous units",
        "Revenue",
        "Previous revenue",
        "Average order value",
        "Previous average order value",
        "Refunded orders",
        "Refunds",
        "Previous refunds",
        "Cancelled orders",
      ];
      for (const r of await channelComparison(shopId, p))
        yield [
          r.channelName,
          r.currency,
          r.current?.orders ?? 0,
          r.previous?.orders ?? 0,
          r.current?.units ?? 0,
          r.previous?.units ?? 0,
          r.current?.revenue ?? "0.00",
          r.previous?.revenue ?? "0.00",
          r.current?.averageOrderValue ?? "0.00",
          r.previous?.averageOrderValue ?? "0.00",
          r.current?.refundedOrders ?? 0,
          r.current?.refunds ?? "0.00",
          r.previous?.refunds ?? "0.00",
          r.current?.cancelledOrders ?? 0,
        ];
      return;
    }
    case "revenue": {
      yield ["Day", "Currency", "Revenue", "Orders"];
      for (const t of await revenueTrend(shopId, p))
        for (const x of t.points) yield [x.day, t.currency, x.revenue, x.orders];
      return;
    }
    case "skus": {
      yield [
        "SKU",
        "Title",
        "Units sold",
        "End available",
        "Average available",
        "Sell-through %",
        "Turnover",
        "Stockout days",
      ];
      for (const s of await skuStats(shopId, p, null))
        yield [
          s.sku,
          s.title,
          s.unitsSold,
          s.endAvailable ?? "",
          s.averageAvailable,
          pct(s.sellThrough),
          s.turnover ?? "",
          s.stockoutDays,
        ];
      return;
    }
    case "inventory-value": {
      yield ["Day", "Currency", "Units", "Value at cost", "Items", "Items without cost"];
      for (const s of (await inventoryValue(shopId, p)).series)
        yield [s.day, s.currency, s.units, s.value, s.items, s.itemsWithoutCost];
      return;
    }
    case "movements": {
      yield ["Cause", "Movements", "Units in", "Units out", "Previous movements"];
      for (const m of await movementsByCause(shopId, p))
        yield [m.cause, m.movements, m.unitsIn, m.unitsOut, m.previousMovements];
      return;
    }
    case "prices": {
      yield ["SKU", "Currency", "Channel", "Average price", "Units", "Lowest", "Highest", "Spread %"];
      for (const d of await priceDifferences(shopId, p, null))
        for (const c of d.channels)
          yield [d.sku, d.currency, c.channelName, c.averagePrice, c.units, d.lowest, d.highest, pct(d.spread)];
      return;
    }
    case "health": {
      yield [
        "Channel",
        "Kind",
        "Status",
        "Writes",
        "Dead letters",
        "Success rate %",
        "Webhooks",
        "Webhooks failed",
        "Webhooks stuck",
        "Error rate %",
        "Latency p50 ms",
        "Latency p95 ms",
        "Last webhook",
        "API budget",
      ];
      for (const h of await integrationHealth(shopId, { liveBudget: false }))
        yield [
          h.channelName,
          h.kindLabel,
          h.status,
          h.writes,
          h.deadLetters,
          pct(h.successRate),
          h.webhooks,
          h.webhooksFailed,
          h.webhooksStuck,
          pct(h.errorRate),
          h.latencyP50Ms ?? "",
          h.latencyP95Ms ?? "",
          h.lastWebhookAt ?? "",
          h.apiBudget,
        ];
      return;
    }
  }
}
