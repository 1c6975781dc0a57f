/**
 * CSV of the Reorder list (`/app/reorder/export?tab=reorder|all|anomaly`; app/forecast/reorder.server.ts), written as
 * every SyncFlow export is (app/exports/csv.server.ts: UTF-8 BOM, CRLF, formula-safe cells). Plan gate: analytics (403).
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireShop } from "../models/shop.server";
import { hasFeature } from "../billing/billing.server";
import { csvString } from "../exports/csv.server";
import { REORDER_FILTERS, reorderRows, type ReorderFilter } from "../forecast/reorder.server";

/** The CSV as an attachment named `syncflow-reorder-<tab>-<shop handle>-<date>.csv`. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  if (!(await hasFeature(shop.id, "analytics")))
    throw new Response("Your plan does not include forecasting.", { status: 403 });
  const tab = new URL(request.url).searchParams.get("tab") ?? "all";
  if (!(REORDER_FILTERS as readonly string[]).includes(tab)) throw new Response("Not Found", { status: 404 });
  const body = csvString(await reorderRows(shop.id, tab as ReorderFilter));
  const name = `syncflow-reorder-${tab}-${shop.domain.replace(/\.myshopify\.com$/, "")}-${new Date().toISOString().slice(0, 10)}.csv`;
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${name}"`,
      "Cache-Control": "no-store",
    },
  });
};
