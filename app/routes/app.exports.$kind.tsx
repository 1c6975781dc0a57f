/**
 * Streamed CSV exports of the session shop: `/app/exports/inventory.csv`, `/app/exports/orders.csv`,
 * `/app/exports/activity.csv` (app/exports/csv.server.ts). Excel-friendly (UTF-8 BOM, CRLF). Anything
 * else is a 404.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { requireShop } from "../models/shop.server";
import { CSV_KINDS, csvFileName, csvStream, type CsvKind } from "../exports/csv.server";

/** Streams the requested CSV. */
export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { shop } = await requireShop(request);
  const kind = /^([a-z]+)\.csv$/.exec(params.kind ?? "")?.[1];
  if (!kind || !(CSV_KINDS as readonly string[]).includes(kind)) throw new Response("Not Found", { status: 404 });
  const body = createReadableStreamFromReadable(csvStream(kind as CsvKind, shop.id));
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${csvFileName(kind as CsvKind, shop.domain)}"`,
      "Cache-Control": "no-store",
    },
  });
};
