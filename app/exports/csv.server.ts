/**
 * CSV exports (inventory, orders, activity) streamed with `csv-stringify`: pages of 1,000 rows are read by
 * keyset and written as they come, with backpressure, so memory stays flat at any catalog size.
 *
 * Excel-friendly: UTF-8 with a BOM (so Excel detects the encoding), CRLF line ends, every field quoted
 * when needed, ISO 8601 times, and text cells that start with = + - @ (formula injection) prefixed with '.
 */
import { once } from "node:events";
import { PassThrough, type Readable } from "node:stream";
import { stringify } from "csv-stringify";
import { stringify as stringifySync } from "csv-stringify/sync";
import prisma from "../db.server";
import { SALES_CHANNELS } from "../models/sales-channels.server";
import { hiddenOrdersWhere } from "../billing/billing.server";
import { inventoryRows, orderRows, inventoryHeader, ORDERS_HEADER } from "./sheets.server";

export const CSV_KINDS = ["inventory", "orders", "activity"] as const;
export type CsvKind = (typeof CSV_KINDS)[number];

const PAGE = 1000;

/** Neutralises spreadsheet formulas in text cells (OWASP CSV injection). */
export function safeCell(v: unknown): string | number {
  if (v == null) return "";
  if (typeof v === "number") return v;
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

async function* inventory(shopId: string): AsyncGenerator<(string | number)[]> {
  const channels = await prisma.channel.findMany({
    where: { shopId, ...SALES_CHANNELS },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true },
  });
  yield inventoryHeader(channels.map((c) => c.name));
  let cursor: string | undefined;
  for (;;) {
    const page = await prisma.catalogItem.findMany({
      where: { shopId, ...(cursor ? { skuKey: { gt: cursor } } : {}) },
      orderBy: { skuKey: "asc" },
      take: PAGE,
      select: { id: true, skuKey: true },
    });
    if (!page.length) return;
    const rows = await inventoryRows(
      shopId,
      page.map((p) => p.id),
      channels.map((c) => c.id),
    );
    for (const p of page) {
      const r = rows.get(p.id);
      if (r) yield r;
    }
    cursor = page[page.length - 1]!.skuKey;
  }
}

async function* orders(shopId: string): AsyncGenerator<(string | number)[]> {
  yield ORDERS_HEADER;
  const hidden = await hiddenOrdersWhere(shopId); // orders the plan left out of the hub (app/billing)
  let cursor: string | undefined;
  for (;;) {
    const page = await prisma.order.findMany({
      where: { shopId, ...(cursor ? { id: { gt: cursor } } : {}), ...(hidden ? { NOT: hidden } : {}) },
      orderBy: { id: "asc" },
      take: PAGE,
      select: { id: true },
    });
    if (!page.length) return;
    const rows = await orderRows(
      shopId,
      page.map((p) => p.id),
    );
    for (const p of page) {
      const r = rows.get(p.id);
      if (r) yield r;
    }
    cursor = page[page.length - 1]!.id;
  }
}

async function* activity(shopId: string): AsyncGenerator<(string | number)[]> {
  yield ["Time", "SKU", "Title", "Store", "Cause", "Change", "Before", "After", "Order", "Idempotency key", "Note"];
  let cursor: bigint | undefined;
  for (;;) {
    const page = await prisma.stockLedger.findMany({
      where: { shopId, ...(cursor ? { id: { lt: cursor } } : {}) },
      orderBy: { id: "desc" },
      take: PAGE,
      include: { item: { select: { sku: true, title: true } }, channel: { select: { name: true } } },
    });
    if (!page.length) return;
    for (const r of page) {
      yield [
        r.createdAt.toISOString(),
        r.item.sku,
        r.item.title,
        r.channel?.name ?? "Shopify",
        r.cause,
        r.delta ?? "",
        r.before ?? "",
        r.after ?? "",
        r.orderId ?? "",
        r.idempotencyKey,
        r.note ?? "",
      ];
    }
    cursor = page[page.length - 1]!.id;
  }
}

/** Options every SyncFlow CSV is written with (UTF-8 BOM, CRLF, fields quoted when needed). */
const CSV_OPTIONS = { bom: true, record_delimiter: "windows", quoted_match: /[",\r\n;]/ } as const;

/**
 * A small CSV held in memory (a report's attachment, the Reorder export: bounded by the catalog size), written exactly
 * as the streamed exports are (BOM, CRLF, formula-safe cells). `rows[0]` is the header.
 */
export function csvString(rows: unknown[][]): string {
  return stringifySync(
    rows.map((r) => r.map(safeCell)),
    CSV_OPTIONS,
  );
}

/** A readable stream of the CSV export `kind` of a shop (bytes, UTF-8 with BOM). */
export function csvStream(kind: CsvKind, shopId: string): Readable {
  return csvFromRows(kind === "inventory" ? inventory(shopId) : kind === "orders" ? orders(shopId) : activity(shopId));
}

/**
 * Any rows (header first) as the same Excel-friendly CSV stream: UTF-8 with BOM, CRLF, formula cells neutralised,
 * written with backpressure. Used by the analytics tables' exports (app/routes/app.analytics-export.$table.tsx).
 */
export function csvFromRows(rows: AsyncIterable<(string | number)[]>): Readable {
  const out = new PassThrough();
  const csv = stringify(CSV_OPTIONS);
  csv.pipe(out);
  void (async () => {
    try {
      for await (const row of rows) {
        if (!csv.write(row.map(safeCell))) await once(csv, "drain");
      }
      csv.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return out;
}

/** File name of an export: `syncflow-<kind>-<shop handle>-<date>.csv`. */
export function csvFileName(kind: CsvKind, shopDomain: string, now = new Date()): string {
  return `syncflow-${kind}-${shopDomain.replace(/\.myshopify\.com$/, "")}-${now.toISOString().slice(0, 10)}.csv`;
}
