/**
 * The Reorder list (docs/decisions/295): the stored forecasts (ItemForecast) of a shop with each item's SKU and title,
 * for the Reorder page, its CSV export and the scheduled report. Reads only the stored rows (no forecasting here), so a
 * page at 10,000 SKUs is one indexed query.
 */
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";

import { round1, type ReorderFilter, type ReorderSort } from "./reorder";

export { REORDER_FILTERS, REORDER_SORTS, round1, type ReorderFilter, type ReorderSort } from "./reorder";

/** One row of the Reorder view (units, units/day, days; dates YYYY-MM-DD in the shop's time zone). */
export interface ReorderRow {
  itemId: string;
  sku: string;
  title: string;
  available: number | null;
  demandPerDay: number | null;
  method: string;
  lowHistory: boolean;
  daysOfCover: number | null;
  stockoutDate: string | null;
  leadTimeDays: number;
  safetyStock: number;
  reorderPoint: number;
  reorderNow: boolean;
  suggestedQty: number;
  anomaly: string | null;
  anomalyScore: number | null;
  computedAt: Date;
}

function where(shopId: string, filter: ReorderFilter, q?: string): Prisma.ItemForecastWhereInput {
  const search = q?.trim();
  return {
    shopId,
    ...(filter === "reorder" ? { reorderNow: true } : filter === "anomaly" ? { anomaly: { not: null } } : {}),
    ...(search
      ? {
          item: {
            OR: [
              { skuKey: { contains: search.toLowerCase() } },
              { title: { contains: search, mode: "insensitive" as const } },
            ],
          },
        }
      : {}),
  };
}

function orderBy(sort: ReorderSort): Prisma.ItemForecastOrderByWithRelationInput[] {
  switch (sort) {
    case "sku":
      return [{ item: { skuKey: "asc" } }];
    case "demand":
      return [{ demandPerDay: { sort: "desc", nulls: "last" } }, { itemId: "asc" }];
    case "suggested":
      return [{ suggestedQty: "desc" }, { itemId: "asc" }];
    default:
      return [{ daysOfCover: { sort: "asc", nulls: "last" } }, { itemId: "asc" }];
  }
}

const select = {
  itemId: true,
  available: true,
  demandPerDay: true,
  method: true,
  lowHistory: true,
  daysOfCover: true,
  stockoutDate: true,
  leadTimeDays: true,
  safetyStock: true,
  reorderPoint: true,
  reorderNow: true,
  suggestedQty: true,
  anomaly: true,
  anomalyScore: true,
  computedAt: true,
  item: { select: { sku: true, title: true } },
} satisfies Prisma.ItemForecastSelect;

type Selected = Prisma.ItemForecastGetPayload<{ select: typeof select }>;
const toRow = ({ item, ...r }: Selected): ReorderRow => ({ ...r, sku: item.sku, title: item.title });

/**
 * One page of the Reorder list. `page` is 1-based, `pageSize` ≤ 250. @returns the rows, the total matching, and the
 * number of items to reorder now (whatever the filter).
 */
export async function reorderPage(
  shopId: string,
  opts: { filter?: ReorderFilter; sort?: ReorderSort; q?: string; page?: number; pageSize?: number } = {},
): Promise<{ rows: ReorderRow[]; total: number; toReorder: number; computedAt: Date | null }> {
  const filter = opts.filter ?? "reorder";
  const pageSize = Math.min(250, Math.max(1, opts.pageSize ?? 50));
  const page = Math.max(1, opts.page ?? 1);
  const w = where(shopId, filter, opts.q);
  const [rows, total, toReorder, settings] = await Promise.all([
    prisma.itemForecast.findMany({
      where: w,
      orderBy: orderBy(opts.sort ?? "cover"),
      skip: (page - 1) * pageSize,
      take: pageSize,
      select,
    }),
    prisma.itemForecast.count({ where: w }),
    prisma.itemForecast.count({ where: { shopId, reorderNow: true } }),
    prisma.forecastSettings.findUnique({ where: { shopId }, select: { computedAt: true } }),
  ]);
  return { rows: rows.map(toRow), total, toReorder, computedAt: settings?.computedAt ?? null };
}

/** Header of the Reorder CSV (the page's columns, plus the settings used). */
export const REORDER_CSV_HEADER = [
  "SKU",
  "Title",
  "Available",
  "Demand per day",
  "Method",
  "Days of cover",
  "Projected stockout",
  "Lead time (days)",
  "Safety stock",
  "Reorder point",
  "Reorder now",
  "Suggested quantity",
  "Anomaly",
  "Computed at",
];

/** One CSV row of a ReorderRow (demand and cover to one decimal). */
export function reorderCsvRow(r: ReorderRow): (string | number)[] {
  return [
    r.sku,
    r.title,
    r.available ?? "",
    r.demandPerDay == null ? "" : round1(r.demandPerDay),
    r.method + (r.lowHistory ? " (short history)" : ""),
    r.daysOfCover == null ? "" : round1(r.daysOfCover),
    r.stockoutDate ?? "",
    r.leadTimeDays,
    r.safetyStock,
    r.reorderPoint,
    r.reorderNow ? "yes" : "no",
    r.suggestedQty,
    r.anomaly ?? "",
    r.computedAt.toISOString(),
  ];
}

/** Every row of the list under `filter` (pages of 1,000), header first — for the CSV export and the report. */
export async function reorderRows(shopId: string, filter: ReorderFilter = "all"): Promise<(string | number)[][]> {
  const out: (string | number)[][] = [REORDER_CSV_HEADER];
  for (let page = 1; ; page++) {
    const rows = await prisma.itemForecast.findMany({
      where: where(shopId, filter),
      orderBy: orderBy("cover"),
      skip: (page - 1) * 1000,
      take: 1000,
      select,
    });
    for (const r of rows) out.push(reorderCsvRow(toRow(r)));
    if (rows.length < 1000) return out;
  }
}
