/**
 * Analytics rollups (issue 18; decisions 287–288): per SKU and local day, per SKU + channel and day, and per channel +
 * currency and day, built from the hub's own tables and kept up to date incrementally.
 *
 * Sources and rules (every rule here is the definition the analytics pages, forecasting and reports read):
 * - **Units sold** (SKU rollups) — from the ledger's sale movements (`StockLedger`, causes `order`, `cancel`,
 *   `refund`) of the sales channels (every channel but the record): units = −delta, so a sale counts +n, a cancellation
 *   or a refund that restocks −n ("net of cancellations and restocked refunds"). Only the row the intake writes on the
 *   selling channel counts: the second row of the same sale, written on the record channel when Shopify applied it
 *   (`…:applied`, channelId = the record's channel), is the same units and is never counted. The record's own sales
 *   (Shopify orders) move no ledger sale row — Shopify moves its own stock, which reaches the ledger as `webhook`
 *   rows that do not say why — so they are read from their order lines: quantity − restockedQuantity of orders not
 *   cancelled. A movement belongs to the local day its ORDER was placed (so a cancellation on Tuesday of Monday's order
 *   takes Monday's sale back, and no day goes negative); a movement without an order row, to the day it happened.
 * - **Imported orders count once** (decisions 215–217): the sale is the source channel's order; the central shop's
 *   own order for it (its echo) is normally never stored, and when a record order row matches an imported order's
 *   `centralOrderId` it is skipped here too.
 * - **Stock state** — the Shopify available summed over the item's locations, rebuilt from the ledger rows that state
 *   a Shopify level (`locationGid` and `after` set, causes webhook / reconcile / initial / manual / order / cancel /
 *   refund, not an allocation's `safety_stock`): the last `after` per location, summed. `stockout` = that sum was ≤ 0
 *   at some moment of the day, the start of the day (previous end) included — an item out of stock at midnight and
 *   restocked at 9:00 had a stockout day. Days without any observation carry the previous end state.
 * - **Channel day** (orders, money) — from `Order` rows by local day of placement and the order's currency (the shop's
 *   currency when the store sent none, "XXX" when neither is known). Not counted as sales: cancelled orders (counted
 *   apart), and WooCommerce statuses that never took stock (pending, failed, checkout-draft, trash). Revenue = the
 *   order total as the store reported it (tax and shipping included). Refunds = the order total for an order whose
 *   status is `refunded`, otherwise refunded units × the line's unit price (record: restocked units; sales channels:
 *   the ledger's `refund` movements), capped at the total. Money is a decimal string in the order's currency, never
 *   summed across currencies.
 *
 * Days are local dates (YYYY-MM-DD) in the shop's time zone (`NotificationSettings.timezone`, default UTC); the zone
 * used is stored in `AnalyticsRollupState`, and a change of zone rebuilds everything.
 *
 * Maintenance: `refreshRollups` (the `analytics-tick` job, every 5 minutes) re-reads ledger rows and orders changed
 * since its previous run (minus 5 minutes, longer than any write transaction), and REBUILDS from the sources only the
 * affected items / days — so an incremental refresh and a full `rebuildRollups` give the same rows (tested).
 */
import { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { RECORD_KIND } from "../channels/channel";
import { addDays, isDay, localDay } from "./period";

/** One SKU and local day (see the module comment for each rule). */
export interface SkuDay {
  /** The hub's catalog item id (one SKU; the record's variant is its Shopify listing). */
  variantId: string;
  sku: string;
  /** YYYY-MM-DD in the shop's time zone. */
  day: string;
  /** Net units sold on every channel that day (sales − cancellations − restocked refunds of orders placed that day). */
  unitsSold: number;
  /** Net units per channel id (channels with no sale that day are absent). */
  unitsByChannel: Record<string, number>;
  /** Shopify available (sum over locations) was ≤ 0 at some moment of the day, its start included. */
  stockout: boolean;
  /** Shopify available at the end of the day (sum over locations); null when the hub never observed a level. */
  endAvailable: number | null;
}

/** One channel and currency over a period: money as decimal strings in `currency`. */
export interface ChannelPeriodSummary {
  channelId: string;
  channelName: string;
  channelKind: string;
  currency: string;
  /** Orders placed in the period that are sales (not cancelled, not pending/failed). */
  orders: number;
  /** Orders placed in the period and cancelled since. */
  cancelledOrders: number;
  /** Units on the counted orders' lines (every line, linked to a SKU or not). */
  units: number;
  /** Sum of the counted orders' totals, e.g. "1234.50". */
  revenue: string;
  /** Counted orders with a refund. */
  refundedOrders: number;
  /** Refunded amount of the counted orders. */
  refunds: string;
  /** revenue ÷ orders rounded to cents ("0.00" when no orders). */
  averageOrderValue: string;
}

/** Statuses (lower case) of orders that are not sales (see the module comment). */
const NOT_SALE_STATUSES = ["cancelled", "canceled", "pending", "failed", "checkout-draft", "trash", "voided"];
/** Ledger causes that state a Shopify level at a location (with `after`). */
const LEVEL_CAUSES = ["webhook", "reconcile", "initial", "manual", "order", "cancel", "refund"];
/** Overlap re-read by each incremental refresh (ms): longer than any write transaction (120 s). */
const OVERLAP_MS = 5 * 60_000;
function checkDay(d: string, what: string): void {
  if (!isDay(d)) throw new Error(`${what} must be YYYY-MM-DD, got "${d}"`);
}

/** The shop's time zone for day buckets (NotificationSettings.timezone, default UTC). */
export async function shopTimeZone(shopId: string): Promise<string> {
  const s = await prisma.notificationSettings.findUnique({ where: { shopId }, select: { timezone: true } });
  return s?.timezone || "UTC";
}

/** Today's local date (YYYY-MM-DD) in `tz` (app/analytics/period.ts). */
export { localDay };

/** SQL: the local date of a UTC `timestamp(3)` column. */
const dayOf = (col: Prisma.Sql, tz: string) => Prisma.sql`((${col} AT TIME ZONE 'UTC') AT TIME ZONE ${tz})::date`;
/** SQL: the UTC `timestamp` at which local day `day` starts in `tz`. */
const startOf = (day: string, tz: string) =>
  Prisma.sql`((${day}::date::timestamp AT TIME ZONE ${tz}) AT TIME ZONE 'UTC')`;
const endOf = (day: string, tz: string) =>
  Prisma.sql`(((${day}::date + 1)::timestamp AT TIME ZONE ${tz}) AT TIME ZONE 'UTC')`;
const itemFilter = (col: Prisma.Sql, itemIds: string[] | null) =>
  itemIds ? Prisma.sql`AND ${col} = ANY(${itemIds}::text[])` : Prisma.empty;

/**
 * SQL `FROM` source aliased `t`: the rows of `table` matching `where`, for every item (`itemIds` null) or only the
 * given items, read item by item through the (shopId, itemId, day) primary key (a LATERAL range scan per id). With
 * `"itemId" = ANY(…)` the planner chose the (shopId, day) index and filtered a 90-day period of all 10,000 SKUs down
 * to 100 (bench/analytics.ts `skuDailySales100`; decision 291).
 */
const perItem = (itemIds: string[] | null, table: Prisma.Sql, where: Prisma.Sql) =>
  itemIds
    ? Prisma.sql`unnest(${itemIds}::text[]) AS u(id) CROSS JOIN LATERAL (
        SELECT * FROM ${table} WHERE ${where} AND "itemId" = u.id) t`
    : Prisma.sql`${table} t WHERE ${where}`;

/**
 * Rebuilds the SKU rollups (AnalyticsSkuDay, AnalyticsSkuChannelDay) of `shopId` for local days [from, to] from the
 * ledger and the orders, for every item or only `itemIds`. Idempotent; the rows in range are replaced.
 */
export async function rebuildSkuDays(
  shopId: string,
  tz: string,
  from: string,
  to: string,
  itemIds: string[] | null = null,
): Promise<void> {
  checkDay(from, "from");
  checkDay(to, "to");
  if (itemIds && !itemIds.length) return;
  const salesSql = Prisma.sql`
    SELECT l."itemId" AS item_id, l."channelId" AS channel_id,
           COALESCE(${dayOf(Prisma.sql`o."placedAt"`, tz)}, ${dayOf(Prisma.sql`l."createdAt"`, tz)}) AS day,
           -l.delta AS units
    FROM "StockLedger" l
    JOIN "Channel" c ON c.id = l."channelId" AND c.kind <> ${RECORD_KIND}
    LEFT JOIN "Order" o ON o.id = l."orderId"
    WHERE l."shopId" = ${shopId} AND l.cause IN ('order', 'cancel', 'refund') AND l.delta IS NOT NULL
      AND l."createdAt" >= ${startOf(from, tz)} - interval '1 day'
      ${itemFilter(Prisma.sql`l."itemId"`, itemIds)}
    UNION ALL
    SELECT ol."itemId", o."channelId", ${dayOf(Prisma.sql`o."placedAt"`, tz)}, ol.quantity - ol."restockedQuantity"
    FROM "Order" o
    JOIN "Channel" c ON c.id = o."channelId" AND c.kind = ${RECORD_KIND}
    JOIN "OrderLine" ol ON ol."orderId" = o.id AND ol."itemId" IS NOT NULL
    WHERE o."shopId" = ${shopId} AND o."placedAt" >= ${startOf(from, tz)} AND o."placedAt" < ${endOf(to, tz)}
      AND o."cancelledAt" IS NULL AND lower(o.status) <> ALL(${NOT_SALE_STATUSES}::text[])
      AND NOT EXISTS (SELECT 1 FROM "Order" x WHERE x."shopId" = o."shopId" AND x."centralOrderId" = o."externalId")
      ${itemFilter(Prisma.sql`ol."itemId"`, itemIds)}`;
  await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`
        DELETE FROM "AnalyticsSkuChannelDay" WHERE "shopId" = ${shopId} AND day BETWEEN ${from}::date AND ${to}::date
        ${itemFilter(Prisma.sql`"itemId"`, itemIds)}`;
      await tx.$executeRaw`
        DELETE FROM "AnalyticsSkuDay" WHERE "shopId" = ${shopId} AND day BETWEEN ${from}::date AND ${to}::date
        ${itemFilter(Prisma.sql`"itemId"`, itemIds)}`;
      await tx.$executeRaw`
        CREATE TEMP TABLE IF NOT EXISTS analytics_sales (item_id text, channel_id text, day date, units int) ON COMMIT DROP`;
      await tx.$executeRaw`
        INSERT INTO analytics_sales
        SELECT item_id, channel_id, day, sum(units)::int FROM (${salesSql}) s
        WHERE day BETWEEN ${from}::date AND ${to}::date GROUP BY 1, 2, 3`;
      await tx.$executeRaw`
        INSERT INTO "AnalyticsSkuChannelDay" ("shopId", "itemId", "channelId", day, units)
        SELECT ${shopId}, item_id, channel_id, day, units FROM analytics_sales WHERE units <> 0`;
      await tx.$executeRaw`
        WITH lv AS (
          SELECT l."itemId", l."createdAt", l.id,
                 l.after - COALESCE(lag(l.after) OVER (PARTITION BY l."itemId", l."locationGid" ORDER BY l."createdAt", l.id), 0) AS diff
          FROM "StockLedger" l
          WHERE l."shopId" = ${shopId} AND l."locationGid" IS NOT NULL AND l.after IS NOT NULL
            AND l.cause = ANY(${LEVEL_CAUSES}::text[]) AND COALESCE(l.note, '') NOT LIKE '%safety_stock%'
            AND l."createdAt" < ${endOf(to, tz)}
            ${itemFilter(Prisma.sql`l."itemId"`, itemIds)}
        ), tot AS (
          SELECT "itemId", ${dayOf(Prisma.sql`"createdAt"`, tz)} AS day, "createdAt", id,
                 sum(diff) OVER (PARTITION BY "itemId" ORDER BY "createdAt", id)::int AS total
          FROM lv
        ), perday AS (
          SELECT "itemId" AS item_id, day, min(total) AS min_total,
                 (array_agg(total ORDER BY "createdAt" DESC, id DESC))[1] AS end_total
          FROM tot GROUP BY 1, 2
        ), sd AS (
          SELECT item_id, day, sum(units)::int AS units FROM analytics_sales GROUP BY 1, 2
        ), j AS (
          -- Every level day of the items' history (for the carried state) and every sale day in range.
          SELECT COALESCE(p.item_id, s.item_id) AS item_id, COALESCE(p.day, s.day) AS day,
                 p.min_total, p.end_total, s.units
          FROM perday p FULL JOIN sd s ON s.item_id = p.item_id AND s.day = p.day
        ), w AS (
          SELECT j.*, count(end_total) OVER (PARTITION BY item_id ORDER BY day) AS grp FROM j
        ), w2 AS (
          -- The last end state at or before the day.
          SELECT w.*, max(end_total) OVER (PARTITION BY item_id, grp) AS carried FROM w
        ), w3 AS (
          -- The state the day started with: the previous row's carried end state.
          SELECT w2.*, lag(carried) OVER (PARTITION BY item_id ORDER BY day) AS start_total FROM w2
        )
        INSERT INTO "AnalyticsSkuDay" ("shopId", "itemId", day, "unitsSold", stockout, "minAvailable", "endAvailable")
        SELECT ${shopId}, w3.item_id, w3.day, COALESCE(w3.units, 0),
               CASE WHEN w3.min_total IS NOT NULL THEN LEAST(COALESCE(w3.start_total, w3.min_total), w3.min_total) <= 0
                    ELSE COALESCE(w3.start_total <= 0, false) END,
               CASE WHEN w3.min_total IS NOT NULL THEN LEAST(COALESCE(w3.start_total, w3.min_total), w3.min_total)
                    ELSE w3.start_total END,
               COALESCE(w3.end_total, w3.start_total)
        FROM w3 JOIN "CatalogItem" ci ON ci.id = w3.item_id AND ci."shopId" = ${shopId}
        WHERE w3.day BETWEEN ${from}::date AND ${to}::date`;
      await tx.$executeRaw`DROP TABLE IF EXISTS analytics_sales`;
    },
    { timeout: 600_000, maxWait: 30_000 },
  );
}

/**
 * Rebuilds the channel rollup (AnalyticsChannelDay) of `shopId` for local days [from, to] from the orders. Idempotent.
 */
export async function rebuildChannelDays(shopId: string, tz: string, from: string, to: string): Promise<void> {
  checkDay(from, "from");
  checkDay(to, "to");
  await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`
        DELETE FROM "AnalyticsChannelDay" WHERE "shopId" = ${shopId} AND day BETWEEN ${from}::date AND ${to}::date`;
      await tx.$executeRaw`
        WITH o AS (
          SELECT o.id, o."channelId", c.kind, ${dayOf(Prisma.sql`o."placedAt"`, tz)} AS day,
                 COALESCE(NULLIF(o.currency, ''), s.currency, 'XXX') AS currency,
                 COALESCE(o."totalPrice", 0) AS total, lower(o.status) AS status,
                 (o."cancelledAt" IS NOT NULL OR lower(o.status) IN ('cancelled', 'canceled')) AS cancelled,
                 lower(o.status) = ANY(${NOT_SALE_STATUSES}::text[]) AS not_sale
          FROM "Order" o
          JOIN "Channel" c ON c.id = o."channelId"
          JOIN "Shop" s ON s.id = o."shopId"
          WHERE o."shopId" = ${shopId} AND o."placedAt" >= ${startOf(from, tz)} AND o."placedAt" < ${endOf(to, tz)}
            AND NOT (c.kind = ${RECORD_KIND} AND EXISTS (
              SELECT 1 FROM "Order" x WHERE x."shopId" = o."shopId" AND x."centralOrderId" = o."externalId"))
        ), lines AS (
          SELECT ol."orderId", sum(ol.quantity)::int AS units
          FROM "OrderLine" ol WHERE ol."orderId" IN (SELECT id FROM o) GROUP BY 1
        ), store_refunds AS (
          SELECT l."orderId", l."itemId", sum(l.delta)::int AS units
          FROM "StockLedger" l JOIN "Channel" c ON c.id = l."channelId" AND c.kind <> ${RECORD_KIND}
          WHERE l."shopId" = ${shopId} AND l.cause = 'refund' AND l.delta > 0 AND l."orderId" IN (SELECT id FROM o)
          GROUP BY 1, 2
        ), line_refunds AS (
          SELECT ol."orderId", sum(COALESCE(ol.price, 0) * ol."restockedQuantity") AS amount
          FROM "OrderLine" ol JOIN o ON o.id = ol."orderId" AND o.kind = ${RECORD_KIND}
          WHERE ol."restockedQuantity" > 0 GROUP BY 1
          UNION ALL
          SELECT r."orderId", sum(r.units * COALESCE((
            SELECT max(ol.price) FROM "OrderLine" ol WHERE ol."orderId" = r."orderId" AND ol."itemId" = r."itemId"), 0))
          FROM store_refunds r GROUP BY 1
        ), refund_sums AS (
          SELECT "orderId", sum(amount) AS amount FROM line_refunds GROUP BY 1
        ), refunded AS (
          SELECT o.id,
                 CASE WHEN o.status = 'refunded' THEN o.total ELSE LEAST(o.total, COALESCE(rs.amount, 0)) END AS amount
          FROM o LEFT JOIN refund_sums rs ON rs."orderId" = o.id
        )
        INSERT INTO "AnalyticsChannelDay"
          ("shopId", "channelId", day, currency, orders, "cancelledOrders", units, revenue, "refundedOrders", refunds)
        SELECT ${shopId}, o."channelId", o.day, o.currency,
               count(*) FILTER (WHERE NOT o.not_sale)::int,
               count(*) FILTER (WHERE o.cancelled)::int,
               COALESCE(sum(li.units) FILTER (WHERE NOT o.not_sale), 0)::int,
               COALESCE(sum(o.total) FILTER (WHERE NOT o.not_sale), 0),
               count(*) FILTER (WHERE NOT o.not_sale AND r.amount > 0)::int,
               COALESCE(sum(r.amount) FILTER (WHERE NOT o.not_sale), 0)
        FROM o LEFT JOIN lines li ON li."orderId" = o.id LEFT JOIN refunded r ON r.id = o.id
        GROUP BY o."channelId", o.day, o.currency`;
      await tx.$executeRaw`
        DELETE FROM "AnalyticsPriceDay" WHERE "shopId" = ${shopId} AND day BETWEEN ${from}::date AND ${to}::date`;
      await tx.$executeRaw`
        INSERT INTO "AnalyticsPriceDay" ("shopId", "itemId", "channelId", currency, day, units, amount)
        SELECT ${shopId}, ol."itemId", o."channelId", COALESCE(NULLIF(o.currency, ''), s.currency, 'XXX'),
               ${dayOf(Prisma.sql`o."placedAt"`, tz)}, sum(ol.quantity)::int, sum(ol.price * ol.quantity)
        FROM "Order" o JOIN "Shop" s ON s.id = o."shopId" JOIN "Channel" c ON c.id = o."channelId"
        JOIN "OrderLine" ol ON ol."orderId" = o.id AND ol."itemId" IS NOT NULL AND ol.price IS NOT NULL AND ol.quantity > 0
        WHERE o."shopId" = ${shopId} AND o."placedAt" >= ${startOf(from, tz)} AND o."placedAt" < ${endOf(to, tz)}
          AND o."cancelledAt" IS NULL AND lower(o.status) <> ALL(${NOT_SALE_STATUSES}::text[])
          AND NOT (c.kind = ${RECORD_KIND} AND EXISTS (
            SELECT 1 FROM "Order" x WHERE x."shopId" = o."shopId" AND x."centralOrderId" = o."externalId"))
        GROUP BY 2, 3, 4, 5`;
    },
    { timeout: 600_000, maxWait: 30_000 },
  );
}

/**
 * Rebuilds the movement rollup (AnalyticsMovementDay) of `shopId` for local days [from, to]: ledger rows per day of
 * the movement, channel ("" when none) and cause — count, units in (Σ positive deltas), units out (Σ −negative deltas).
 */
export async function rebuildMovementDays(shopId: string, tz: string, from: string, to: string): Promise<void> {
  checkDay(from, "from");
  checkDay(to, "to");
  await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`
        DELETE FROM "AnalyticsMovementDay" WHERE "shopId" = ${shopId} AND day BETWEEN ${from}::date AND ${to}::date`;
      await tx.$executeRaw`
        INSERT INTO "AnalyticsMovementDay" ("shopId", day, "channelId", cause, movements, "unitsIn", "unitsOut")
        SELECT ${shopId}, ${dayOf(Prisma.sql`"createdAt"`, tz)}, COALESCE("channelId", ''), cause, count(*)::int,
               COALESCE(sum(delta) FILTER (WHERE delta > 0), 0)::int, COALESCE(-sum(delta) FILTER (WHERE delta < 0), 0)::int
        FROM "StockLedger"
        WHERE "shopId" = ${shopId} AND "createdAt" >= ${startOf(from, tz)} AND "createdAt" < ${endOf(to, tz)}
        GROUP BY 2, 3, 4`;
    },
    { timeout: 600_000, maxWait: 30_000 },
  );
}

/** First local day with any data for the shop (ledger or order), or today. */
async function firstDay(shopId: string, tz: string): Promise<string> {
  const [row] = await prisma.$queryRaw<{ d: string | null }[]>`
    SELECT to_char(LEAST(
      (SELECT min(${dayOf(Prisma.sql`"createdAt"`, tz)}) FROM "StockLedger" WHERE "shopId" = ${shopId}),
      (SELECT min(${dayOf(Prisma.sql`"placedAt"`, tz)}) FROM "Order" WHERE "shopId" = ${shopId})), 'YYYY-MM-DD') AS d`;
  return row?.d ?? localDay(tz);
}

/**
 * Full rebuild of every rollup of `shopId` for [from, to] (default: the first day with data to today), in the shop's
 * current time zone; records the zone and the refresh point so the incremental refresh continues from here.
 */
export async function rebuildRollups(shopId: string, range?: { from: string; to: string }): Promise<void> {
  const startedAt = new Date();
  const tz = await shopTimeZone(shopId);
  const from = range?.from ?? (await firstDay(shopId, tz));
  const to = range?.to ?? localDay(tz);
  await rebuildSkuDays(shopId, tz, from, to);
  await rebuildChannelDays(shopId, tz, from, to);
  await rebuildMovementDays(shopId, tz, from, to);
  if (!range)
    await prisma.analyticsRollupState.upsert({
      where: { shopId },
      create: { shopId, timezone: tz, refreshedFrom: startedAt, lastRefreshAt: new Date() },
      update: { timezone: tz, refreshedFrom: startedAt, lastRefreshAt: new Date() },
    });
}

/** What an incremental refresh rebuilt. */
export interface RefreshResult {
  full: boolean;
  items: number;
  channelDays: number;
}

/**
 * Incremental refresh (the `analytics-tick` job): reads the ledger rows and orders written or changed since the
 * previous refresh (minus {@link OVERLAP_MS}) and rebuilds the affected items from their earliest affected day to
 * today, and the affected days of the channel rollup. The first refresh of a shop, or one after its time zone
 * changed, is a full rebuild.
 */
export async function refreshRollups(shopId: string): Promise<RefreshResult> {
  const startedAt = new Date();
  const tz = await shopTimeZone(shopId);
  const state = await prisma.analyticsRollupState.findUnique({ where: { shopId } });
  if (!state?.refreshedFrom || state.timezone !== tz) {
    await rebuildRollups(shopId);
    return { full: true, items: -1, channelDays: -1 };
  }
  const since = new Date(state.refreshedFrom.getTime() - OVERLAP_MS);
  const today = localDay(tz);
  // Items and their earliest affected day: new ledger rows (sale movements attribute to their order's day), record
  // orders changed (their lines' items), store orders changed.
  const dirty = await prisma.$queryRaw<{ item_id: string; day: string; order_day: string | null }[]>`
    SELECT l."itemId" AS item_id,
           to_char(min(LEAST(${dayOf(Prisma.sql`l."createdAt"`, tz)}, ${dayOf(Prisma.sql`o."placedAt"`, tz)})), 'YYYY-MM-DD') AS day,
           NULL AS order_day
    FROM "StockLedger" l LEFT JOIN "Order" o ON o.id = l."orderId"
    WHERE l."shopId" = ${shopId} AND l."createdAt" >= ${since}
    GROUP BY 1
    UNION ALL
    SELECT ol."itemId", to_char(min(${dayOf(Prisma.sql`o."placedAt"`, tz)}), 'YYYY-MM-DD'), NULL
    FROM "Order" o JOIN "OrderLine" ol ON ol."orderId" = o.id AND ol."itemId" IS NOT NULL
    WHERE o."shopId" = ${shopId} AND o."updatedAt" >= ${since}
    GROUP BY 1`;
  const orderDays = await prisma.$queryRaw<{ day: string }[]>`
    SELECT DISTINCT to_char(${dayOf(Prisma.sql`o."placedAt"`, tz)}, 'YYYY-MM-DD') AS day
    FROM "Order" o
    WHERE o."shopId" = ${shopId} AND (o."updatedAt" >= ${since} OR o.id IN (
      SELECT l."orderId" FROM "StockLedger" l WHERE l."shopId" = ${shopId} AND l."createdAt" >= ${since} AND l."orderId" IS NOT NULL))`;
  const movementDays = await prisma.$queryRaw<{ day: string }[]>`
    SELECT DISTINCT to_char(${dayOf(Prisma.sql`"createdAt"`, tz)}, 'YYYY-MM-DD') AS day
    FROM "StockLedger" WHERE "shopId" = ${shopId} AND "createdAt" >= ${since}`;
  const itemFrom = new Map<string, string>();
  for (const r of dirty) {
    const was = itemFrom.get(r.item_id);
    if (!was || r.day < was) itemFrom.set(r.item_id, r.day);
  }
  // One rebuild per distinct start day (items grouped), each to today.
  const byStart = new Map<string, string[]>();
  for (const [item, d] of itemFrom) {
    const day = d > today ? today : d;
    byStart.set(day, [...(byStart.get(day) ?? []), item]);
  }
  for (const [day, items] of byStart) await rebuildSkuDays(shopId, tz, day, today, items);
  for (const { day } of orderDays) await rebuildChannelDays(shopId, tz, day, day);
  for (const { day } of movementDays) await rebuildMovementDays(shopId, tz, day, day);
  await prisma.analyticsRollupState.update({
    where: { shopId },
    data: { refreshedFrom: startedAt, lastRefreshAt: new Date() },
  });
  return { full: false, items: itemFrom.size, channelDays: orderDays.length };
}

/**
 * Daily series per SKU for local days [from, to] (inclusive, YYYY-MM-DD), dense: one row per item and day, days
 * without a stored row carrying the previous end state (no sale, stockout when the carried available is ≤ 0).
 * `opts.variantIds` limits it to those catalog items (default: every item of the shop). Sorted by item, then day.
 * Reads only the rollups (call `refreshRollups` first for up-to-the-minute figures).
 */
export async function skuDailySales(
  shopId: string,
  from: string,
  to: string,
  opts: { variantIds?: string[] } = {},
): Promise<SkuDay[]> {
  checkDay(from, "from");
  checkDay(to, "to");
  const ids = opts.variantIds ?? null;
  if (ids && !ids.length) return [];
  // Three index range reads (stored rows, the state before `from`, channel rows); the dense grid is filled here.
  const [items, rows, prior, channels] = await Promise.all([
    prisma.$queryRaw<{ id: string; sku: string }[]>`
      SELECT id, sku FROM "CatalogItem" WHERE "shopId" = ${shopId} ${itemFilter(Prisma.sql`id`, ids)} ORDER BY id`,
    prisma.$queryRaw<{ item_id: string; day: string; units: number; stockout: boolean; end: number | null }[]>`
      SELECT t."itemId" AS item_id, to_char(t.day, 'YYYY-MM-DD') AS day, t."unitsSold" AS units, t.stockout,
             t."endAvailable" AS end
      FROM ${perItem(ids, Prisma.sql`"AnalyticsSkuDay"`, Prisma.sql`"shopId" = ${shopId} AND day BETWEEN ${from}::date AND ${to}::date`)}`,
    prisma.$queryRaw<{ item_id: string; end: number }[]>`
      SELECT DISTINCT ON ("itemId") "itemId" AS item_id, "endAvailable" AS end
      FROM "AnalyticsSkuDay"
      WHERE "shopId" = ${shopId} AND day < ${from}::date AND "endAvailable" IS NOT NULL ${itemFilter(Prisma.sql`"itemId"`, ids)}
      ORDER BY "itemId", day DESC`,
    prisma.$queryRaw<{ item_id: string; day: string; channel_id: string; units: number }[]>`
      SELECT t."itemId" AS item_id, to_char(t.day, 'YYYY-MM-DD') AS day, t."channelId" AS channel_id, t.units
      FROM ${perItem(ids, Prisma.sql`"AnalyticsSkuChannelDay"`, Prisma.sql`"shopId" = ${shopId} AND day BETWEEN ${from}::date AND ${to}::date`)}`,
  ]);
  const stored = new Map(rows.map((r) => [`${r.item_id}|${r.day}`, r]));
  const before = new Map(prior.map((r) => [r.item_id, r.end]));
  const byChannel = new Map<string, Record<string, number>>();
  for (const c of channels) {
    const k = `${c.item_id}|${c.day}`;
    byChannel.set(k, { ...(byChannel.get(k) ?? {}), [c.channel_id]: c.units });
  }
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  const out: SkuDay[] = [];
  for (const it of items) {
    let end: number | null = before.get(it.id) ?? null;
    for (const day of days) {
      const r = stored.get(`${it.id}|${day}`);
      if (r && r.end != null) end = r.end;
      out.push({
        variantId: it.id,
        sku: it.sku,
        day,
        unitsSold: r?.units ?? 0,
        unitsByChannel: byChannel.get(`${it.id}|${day}`) ?? {},
        stockout: r ? r.stockout : end != null && end <= 0,
        endAvailable: end,
      });
    }
  }
  return out;
}

/**
 * Per channel and currency over local days [from, to]: orders, cancelled orders, units, revenue, refunds and average
 * order value (money as decimal strings in the row's currency; never summed across currencies). Channels with no
 * order in the period are absent. Sorted by channel name, then currency.
 */
export async function channelSummary(shopId: string, from: string, to: string): Promise<ChannelPeriodSummary[]> {
  checkDay(from, "from");
  checkDay(to, "to");
  const rows = await prisma.$queryRaw<
    {
      channel_id: string;
      name: string;
      kind: string;
      currency: string;
      orders: number;
      cancelled: number;
      units: number;
      revenue: string;
      refunded_orders: number;
      refunds: string;
      aov: string;
    }[]
  >`
    SELECT d."channelId" AS channel_id, c.name, c.kind, d.currency,
           sum(d.orders)::int AS orders, sum(d."cancelledOrders")::int AS cancelled, sum(d.units)::int AS units,
           sum(d.revenue)::numeric(18,2)::text AS revenue, sum(d."refundedOrders")::int AS refunded_orders,
           sum(d.refunds)::numeric(18,2)::text AS refunds,
           CASE WHEN sum(d.orders) > 0 THEN round(sum(d.revenue) / sum(d.orders), 2) ELSE 0 END::numeric(18,2)::text AS aov
    FROM "AnalyticsChannelDay" d JOIN "Channel" c ON c.id = d."channelId"
    WHERE d."shopId" = ${shopId} AND d.day BETWEEN ${from}::date AND ${to}::date
    GROUP BY d."channelId", c.name, c.kind, d.currency
    ORDER BY c.name, d.currency`;
  return rows.map((r) => ({
    channelId: r.channel_id,
    channelName: r.name,
    channelKind: r.kind,
    currency: r.currency,
    orders: r.orders,
    cancelledOrders: r.cancelled,
    units: r.units,
    revenue: r.revenue,
    refundedOrders: r.refunded_orders,
    refunds: r.refunds,
    averageOrderValue: r.aov,
  }));
}
