/**
 * Shop forecasts (docs/decisions/294–295): reads each item's daily sales from the analytics rollups
 * (`skuDailySales`, app/analytics/rollups.server.ts — every channel, net of cancellations, with stockout days), runs the
 * pure model (app/forecast/model.ts) with the item's settings, stores one ItemForecast row per item (the Reorder view
 * and the scheduled report read those), and raises the `stock.low_cover` notification through the dispatcher for
 * items that newly reached their reorder point (AlertState `stock.low_cover:<itemId>`, claimed atomically here, dedupes
 * it until the item recovers, as the stock watch's state does for `stock.low`).
 *
 * Run by the hourly `forecast-tick` job (every shop whose plan includes analytics) and the Reorder page's
 * "Recalculate" button (one shop). Items are read in chunks of CHUNK so memory stays flat at 10,000+ SKUs.
 */
import prisma from "../db.server";
import { localDay, shopTimeZone, skuDailySales, type SkuDay } from "../analytics/rollups.server";
import { hasFeature } from "../billing/billing.server";
import { emitEvent } from "../sync/events.server";
import { claimAlert } from "../notify/dispatch.server";
import { setAlertStates } from "../notify/stock-watch.server";
import { addDays, forecast, type DemandDay, type Forecast } from "./model";
import { getForecastSettings } from "./settings.server";

const CHUNK = 1000;

/** A computed forecast row (what ItemForecast stores). */
export interface ItemForecastRow extends Forecast {
  itemId: string;
  sku: string;
  available: number | null;
  leadTimeDays: number;
  safetyStock: number;
}

/**
 * Computes the forecasts of every tracked item of `shopId` as of `now` (history: the `historyDays` complete local
 * days before today, days before the item was created left out) and stores them. Raises / clears low-cover alerts
 * unless `alerts` is false. The shop's first run is a silent baseline (items already low are on the Reorder page).
 * @returns counts: items forecast, low-cover alerts raised and cleared.
 */
export async function computeShopForecasts(
  shopId: string,
  opts: { now?: Date; alerts?: boolean } = {},
): Promise<{ items: number; raised: number; cleared: number; baseline: boolean }> {
  const now = opts.now ?? new Date();
  const settings = await getForecastSettings(shopId);
  const tz = await shopTimeZone(shopId);
  const today = localDay(tz, now);
  const from = addDays(today, -settings.historyDays);
  const to = addDays(today, -1);
  const items = await prisma.catalogItem.findMany({
    where: { shopId, tracked: true },
    select: { id: true, sku: true, createdAt: true, forecastSetting: true },
    orderBy: { id: "asc" },
  });
  const rows: ItemForecastRow[] = [];
  for (let i = 0; i < items.length; i += CHUNK) {
    const chunk = items.slice(i, i + CHUNK);
    const ids = chunk.map((c) => c.id);
    const [series, levels] = await Promise.all([
      skuDailySales(shopId, from, to, { variantIds: ids }),
      prisma.inventoryLevel.groupBy({
        by: ["itemId"],
        where: { shopId, itemId: { in: ids } },
        _sum: { available: true },
      }),
    ]);
    const byItem = new Map<string, SkuDay[]>();
    for (const d of series) {
      const list = byItem.get(d.variantId);
      if (list) list.push(d);
      else byItem.set(d.variantId, [d]);
    }
    const available = new Map(levels.map((l) => [l.itemId, l._sum.available ?? null]));
    for (const item of chunk) {
      const born = localDay(tz, item.createdAt);
      const days: DemandDay[] = (byItem.get(item.id) ?? [])
        .filter((d) => d.day >= born)
        .map((d) => ({ day: d.day, units: d.unitsSold, stockout: d.stockout }));
      const leadTimeDays = item.forecastSetting?.leadTimeDays ?? settings.leadTimeDays;
      const safetyStock = item.forecastSetting?.safetyStock ?? settings.safetyStock;
      const avail = available.get(item.id) ?? null;
      const f = forecast({
        days,
        available: avail,
        today,
        leadTimeDays,
        safetyStock,
        orderForDays: settings.orderForDays,
      });
      rows.push({ ...f, itemId: item.id, sku: item.sku, available: avail, leadTimeDays, safetyStock });
    }
  }
  await storeForecasts(shopId, rows, now);
  const baseline = settings.computedAt == null;
  let raised = 0;
  let cleared = 0;
  if (opts.alerts !== false)
    ({ raised, cleared } = await lowCoverAlerts(shopId, rows, baseline, settings.lowCoverAlerts));
  await prisma.forecastSettings.upsert({
    where: { shopId },
    create: { shopId, computedAt: now },
    update: { computedAt: now },
  });
  return { items: rows.length, raised, cleared, baseline };
}

/** Replaces the shop's ItemForecast rows with `rows` (one statement per 1,000 rows; items gone are removed). */
async function storeForecasts(shopId: string, rows: ItemForecastRow[], at: Date): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const c = rows.slice(i, i + CHUNK);
    await prisma.$executeRaw`
      INSERT INTO "ItemForecast" ("itemId", "shopId", available, "demandPerDay", method, "slopePerDay", "daysUsed",
        "stockoutDays", "lowHistory", "daysOfCover", "stockoutDate", "leadTimeDays", "safetyStock", "reorderPoint",
        "reorderNow", "suggestedQty", "lowCover", anomaly, "anomalyScore", "computedAt")
      SELECT u.item, ${shopId}, u.avail, u.demand, u.method, u.slope, u.used, u.outdays, u.lowhist, u.cover, u.sodate,
        u.lead, u.safety, u.rop, u.now, u.qty, u.low, u.anom, u.score, ${at}
      FROM unnest(${c.map((r) => r.itemId)}::text[], ${c.map((r) => r.available)}::int[],
        ${c.map((r) => r.demandPerDay)}::float8[], ${c.map((r) => r.method)}::text[], ${c.map((r) => r.slopePerDay)}::float8[],
        ${c.map((r) => r.daysUsed)}::int[], ${c.map((r) => r.stockoutDays)}::int[], ${c.map((r) => r.lowHistory)}::bool[],
        ${c.map((r) => r.daysOfCover)}::float8[], ${c.map((r) => r.stockoutDate)}::text[], ${c.map((r) => r.leadTimeDays)}::int[],
        ${c.map((r) => r.safetyStock)}::int[], ${c.map((r) => r.reorderPoint)}::int[], ${c.map((r) => r.reorderNow)}::bool[],
        ${c.map((r) => r.suggestedQty)}::int[], ${c.map((r) => r.lowCover)}::bool[], ${c.map((r) => r.anomaly?.direction ?? null)}::text[],
        ${c.map((r) => r.anomaly?.score ?? null)}::float8[])
        AS u(item, avail, demand, method, slope, used, outdays, lowhist, cover, sodate, lead, safety, rop, now, qty, low, anom, score)
      ON CONFLICT ("itemId") DO UPDATE SET available = EXCLUDED.available, "demandPerDay" = EXCLUDED."demandPerDay",
        method = EXCLUDED.method, "slopePerDay" = EXCLUDED."slopePerDay", "daysUsed" = EXCLUDED."daysUsed",
        "stockoutDays" = EXCLUDED."stockoutDays", "lowHistory" = EXCLUDED."lowHistory", "daysOfCover" = EXCLUDED."daysOfCover",
        "stockoutDate" = EXCLUDED."stockoutDate", "leadTimeDays" = EXCLUDED."leadTimeDays", "safetyStock" = EXCLUDED."safetyStock",
        "reorderPoint" = EXCLUDED."reorderPoint", "reorderNow" = EXCLUDED."reorderNow", "suggestedQty" = EXCLUDED."suggestedQty",
        "lowCover" = EXCLUDED."lowCover", anomaly = EXCLUDED.anomaly, "anomalyScore" = EXCLUDED."anomalyScore",
        "computedAt" = EXCLUDED."computedAt"`;
  }
  // Items no longer tracked keep no stale forecast.
  await prisma.itemForecast.deleteMany({ where: { shopId, computedAt: { lt: at } } });
}

/** AlertState key of an item's low-cover condition. */
export const lowCoverKey = (itemId: string) => `stock.low_cover:${itemId}`;

/**
 * Emits `stock.low_cover` for items that entered low cover (not already active) and clears recovered ones. A baseline
 * run, or a shop that turned the alerts off, only records the states (no event).
 */
async function lowCoverAlerts(
  shopId: string,
  rows: ItemForecastRow[],
  baseline: boolean,
  enabled: boolean,
): Promise<{ raised: number; cleared: number }> {
  const active = new Set(
    (
      await prisma.alertState.findMany({
        where: { shopId, active: true, key: { startsWith: "stock.low_cover:" } },
        select: { key: true },
      })
    ).map((a) => a.key),
  );
  const silent: string[] = [];
  const clear: string[] = [];
  let raised = 0;
  for (const r of rows) {
    const key = lowCoverKey(r.itemId);
    if (r.lowCover && !active.has(key)) {
      if (baseline || !enabled) silent.push(key);
      // Claimed here, atomically (inactive → active), so two runs — or a run before the notify job — raise it once; the
      // dispatcher then treats the event like any other kind (plan, switches, quiet hours, rate limits).
      else if (await claimAlert(prisma, shopId, key)) {
        await emitEvent(
          shopId,
          "stock.low_cover",
          {
            itemId: r.itemId,
            sku: r.sku,
            available: r.available,
            demandPerDay: round1(r.demandPerDay),
            daysOfCover: round1(r.daysOfCover),
            stockoutDate: r.stockoutDate,
            reorderPoint: r.reorderPoint,
            suggestedQty: r.suggestedQty,
            leadTimeDays: r.leadTimeDays,
          },
          { itemId: r.itemId },
        );
        raised++;
      }
    } else if (!r.lowCover && active.has(key)) clear.push(key);
  }
  await setAlertStates(shopId, silent, clear);
  return { raised, cleared: clear.length };
}

const round1 = (x: number | null) => (x == null ? null : Math.round(x * 10) / 10);

/**
 * The hourly tick: recomputes the forecasts of every installed shop whose plan includes analytics (the plan gate of
 * issue 18, `features.analytics`) — or only `shopIds`. A failing shop is logged and the others go on; the job then throws (retried).
 * @returns the shops computed.
 */
export async function runForecasts(opts: { now?: Date; shopIds?: string[] } = {}): Promise<string[]> {
  const now = opts.now ?? new Date();
  const shops = await prisma.shop.findMany({
    where: { uninstalledAt: null, ...(opts.shopIds ? { id: { in: opts.shopIds } } : {}) },
    select: { id: true },
  });
  const done: string[] = [];
  const failed: unknown[] = [];
  for (const s of shops) {
    if (!(await hasFeature(s.id, "analytics"))) continue;
    try {
      await computeShopForecasts(s.id, { now });
      done.push(s.id);
    } catch (err) {
      console.error(`[forecast] shop ${s.id} failed:`, err);
      failed.push(err);
    }
  }
  // The others are done; the job fails so pg-boss retries (a recompute is idempotent) and the dead letter shows it.
  if (failed.length) throw new AggregateError(failed, `forecast failed for ${failed.length} shop(s)`);
  return done;
}
