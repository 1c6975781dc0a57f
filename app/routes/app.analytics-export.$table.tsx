/**
 * CSV export of one analytics table for a period: `/app/analytics-export/<table>.csv?days=30` or `?from=&to=`
 * (tables: app/analytics/report.server.ts `ANALYTICS_TABLES`). The full table (every SKU, every price difference), in
 * the same Excel-friendly form as the other exports (app/exports/csv.server.ts). Unknown table 404, bad period 400,
 * a plan without analytics 403.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { requireShop } from "../models/shop.server";
import { csvFromRows } from "../exports/csv.server";
import { hasFeature } from "../billing/billing.server";
import { shopTimeZone } from "../analytics/rollups.server";
import { ANALYTICS_TABLES, analyticsTable, parsePeriod, type AnalyticsTable } from "../analytics/report.server";

/** Streams the requested table as CSV. */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const table = /^([a-z-]+)\.csv$/.exec(params.table ?? "")?.[1];
  if (!table || !(ANALYTICS_TABLES as readonly string[]).includes(table))
    throw new Response("Not Found", { status: 404 });
  if (!(await hasFeature(shop.id, "analytics")))
    throw new Response("Analytics are part of the Pro and Enterprise plans.", { status: 403 });
  const period = parsePeriod(new URL(request.url).searchParams, await shopTimeZone(shop.id));
  const body = createReadableStreamFromReadable(csvFromRows(analyticsTable(table as AnalyticsTable, shop.id, period)));
  const handle = shop.domain.replace(/\.myshopify\.com$/, "");
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="syncflow-analytics-${table}-${handle}-${period.from}-to-${period.to}.csv"`,
      "Cache-Control": "no-store",
    },
  });
};
