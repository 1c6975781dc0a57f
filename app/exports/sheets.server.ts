/**
 * Live Google Sheets export (queue `sheets-sync`; docs/decisions/061-google-sheets-export.md).
 *
 * A shop's spreadsheet has two sheets with a frozen, formatted header row:
 *  - Inventory: SKU, Title, Shopify available, one column per sales channel (every kind), Last sync (one row per item)
 *  - Orders: Order, Store, Placed at, Status, Customer, Items, Units, Total, Currency (one row per order)
 * After sync work the job is queued debounced per shop (`SHEETS_DEBOUNCE_S`, default 10 s); it reads the
 * ledger rows and orders changed since the last export and writes exactly those rows in ONE
 * `values.batchUpdate` (plus one `batchUpdate` when the grid must grow), i.e. ≤ 2 write requests per
 * shop per debounce window, far under Sheets' 60 writes/min/user. Row numbers are kept in `rowMap`.
 * A full rewrite happens on demand, on first export, or when the store columns change. Values are written
 * RAW, so a SKU like "=1+1" stays text.
 */
import type { sheets_v4 } from "googleapis";
import prisma from "../db.server";
import { SALES_CHANNELS } from "../models/sales-channels.server";
import { sheetsFor } from "./google.server";

const CHUNK = 2000;

interface RowMap {
  cols?: string[];
  inv?: Record<string, number>;
  ord?: Record<string, number>;
}

/** Column letter(s) of a 1-based column index. */
export function colLetter(n: number): string {
  let s = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** Inventory header for the given store names. */
export const inventoryHeader = (stores: string[]) => ["SKU", "Title", "Shopify available", ...stores, "Last sync"];
export const ORDERS_HEADER = [
  "Order",
  "Store",
  "Placed at",
  "Status",
  "Customer",
  "Items",
  "Units",
  "Total",
  "Currency",
];

/** Inventory rows of `itemIds` (same shape as the header). */
export async function inventoryRows(
  shopId: string,
  itemIds: string[],
  channelIds: string[],
): Promise<Map<string, (string | number)[]>> {
  const [items, levels, listings] = await Promise.all([
    prisma.catalogItem.findMany({
      where: { shopId, id: { in: itemIds } },
      select: { id: true, sku: true, title: true },
    }),
    prisma.inventoryLevel.findMany({
      where: { shopId, itemId: { in: itemIds } },
      select: { itemId: true, available: true, observedAt: true },
    }),
    prisma.listing.findMany({
      where: { shopId, itemId: { in: itemIds }, channelId: { in: channelIds } },
      select: {
        itemId: true,
        channelId: true,
        lastObservedQuantity: true,
        lastWrittenQuantity: true,
        lastObservedAt: true,
        lastWrittenAt: true,
      },
    }),
  ]);
  const out = new Map<string, (string | number)[]>();
  for (const item of items) {
    const lv = levels.filter((l) => l.itemId === item.id);
    let last = lv.reduce<Date | null>((m, l) => (!m || l.observedAt > m ? l.observedAt : m), null);
    const storeCells = channelIds.map((cid) => {
      const l = listings.find((x) => x.itemId === item.id && x.channelId === cid);
      for (const t of [l?.lastObservedAt, l?.lastWrittenAt]) if (t && (!last || t > last)) last = t;
      const q = l ? (l.lastObservedQuantity ?? l.lastWrittenQuantity) : null;
      return q ?? "";
    });
    out.set(item.id, [
      item.sku,
      item.title,
      lv.length ? lv.reduce((s, l) => s + l.available, 0) : "",
      ...storeCells,
      last ? last.toISOString() : "",
    ]);
  }
  return out;
}

/** Orders rows of `orderIds`. */
export async function orderRows(shopId: string, orderIds: string[]): Promise<Map<string, (string | number)[]>> {
  const orders = await prisma.order.findMany({
    where: { shopId, id: { in: orderIds } },
    include: { lines: true, channel: { select: { name: true } } },
  });
  const out = new Map<string, (string | number)[]>();
  for (const o of orders) {
    out.set(o.id, [
      o.number,
      o.channel.name,
      o.placedAt.toISOString(),
      o.cancelledAt ? "cancelled" : o.status,
      o.customerName ?? "",
      o.lines.map((l) => `${l.quantity}x ${l.sku ?? l.title}`).join("; "),
      o.lines.reduce((s, l) => s + l.quantity, 0),
      o.totalPrice?.toString() ?? "",
      o.currency ?? "",
    ]);
  }
  return out;
}

function isAuthError(err: unknown): boolean {
  const e = err as {
    code?: number | string;
    status?: number;
    response?: { status?: number; data?: { error?: string } };
    message?: string;
  };
  const status = e.response?.status ?? e.status ?? (typeof e.code === "number" ? e.code : undefined);
  return (
    status === 401 ||
    status === 403 ||
    e.response?.data?.error === "invalid_grant" ||
    /invalid_grant/.test(String(e.message))
  );
}

const header = (sheetId: number) => ({
  repeatCell: {
    range: { sheetId, startRowIndex: 0, endRowIndex: 1 },
    cell: {
      userEnteredFormat: { textFormat: { bold: true }, backgroundColor: { red: 0.93, green: 0.93, blue: 0.93 } },
    },
    fields: "userEnteredFormat(textFormat,backgroundColor)",
  },
});
const freeze = (sheetId: number) => ({
  updateSheetProperties: {
    properties: { sheetId, gridProperties: { frozenRowCount: 1 } },
    fields: "gridProperties.frozenRowCount",
  },
});

/** Creates the spreadsheet (or finds/adds the two sheets of an existing one) and formats the headers. */
async function ensureStructure(
  api: sheets_v4.Sheets,
  conn: { id: string; spreadsheetId: string | null; inventorySheetId: number | null; ordersSheetId: number | null },
  shopName: string,
  itemCount: number,
) {
  const rows = itemCount + 500;
  if (!conn.spreadsheetId) {
    const res = await api.spreadsheets.create({
      requestBody: {
        properties: { title: `SyncFlow – ${shopName}` },
        sheets: [
          {
            properties: { title: "Inventory", gridProperties: { rowCount: rows, columnCount: 26, frozenRowCount: 1 } },
          },
          {
            properties: {
              title: "Orders",
              gridProperties: { rowCount: 1000, columnCount: ORDERS_HEADER.length, frozenRowCount: 1 },
            },
          },
        ],
      },
    });
    const sheets = res.data.sheets ?? [];
    const inv = sheets.find((s) => s.properties?.title === "Inventory")!.properties!;
    const ord = sheets.find((s) => s.properties?.title === "Orders")!.properties!;
    await api.spreadsheets.batchUpdate({
      spreadsheetId: res.data.spreadsheetId!,
      requestBody: { requests: [header(inv.sheetId!), header(ord.sheetId!)] },
    });
    return {
      spreadsheetId: res.data.spreadsheetId!,
      spreadsheetUrl: res.data.spreadsheetUrl ?? null,
      inventorySheetId: inv.sheetId!,
      ordersSheetId: ord.sheetId!,
      inventoryGridRows: inv.gridProperties?.rowCount ?? rows,
      ordersGridRows: ord.gridProperties?.rowCount ?? 1000,
      created: true,
    };
  }
  const got = await api.spreadsheets.get({
    spreadsheetId: conn.spreadsheetId,
    fields: "spreadsheetUrl,sheets.properties",
  });
  const find = (t: string) => got.data.sheets?.find((s) => s.properties?.title === t)?.properties;
  const requests: sheets_v4.Schema$Request[] = [];
  for (const [title, count, cols] of [
    ["Inventory", rows, 26],
    ["Orders", 1000, ORDERS_HEADER.length],
  ] as const) {
    if (!find(title))
      requests.push({
        addSheet: { properties: { title, gridProperties: { rowCount: count, columnCount: cols, frozenRowCount: 1 } } },
      });
  }
  let added: sheets_v4.Schema$SheetProperties[] = [];
  if (requests.length) {
    const res = await api.spreadsheets.batchUpdate({ spreadsheetId: conn.spreadsheetId, requestBody: { requests } });
    added = (res.data.replies ?? [])
      .map((r) => r.addSheet?.properties)
      .filter((p): p is sheets_v4.Schema$SheetProperties => !!p);
  }
  const inv = find("Inventory") ?? added.find((p) => p.title === "Inventory")!;
  const ord = find("Orders") ?? added.find((p) => p.title === "Orders")!;
  await api.spreadsheets.batchUpdate({
    spreadsheetId: conn.spreadsheetId,
    requestBody: { requests: [freeze(inv.sheetId!), freeze(ord.sheetId!), header(inv.sheetId!), header(ord.sheetId!)] },
  });
  return {
    spreadsheetId: conn.spreadsheetId,
    spreadsheetUrl: got.data.spreadsheetUrl ?? null,
    inventorySheetId: inv.sheetId!,
    ordersSheetId: ord.sheetId!,
    inventoryGridRows: inv.gridProperties?.rowCount ?? rows,
    ordersGridRows: ord.gridProperties?.rowCount ?? 1000,
    created: true,
  };
}

/** Result of one export. */
export interface SheetSyncResult {
  skipped?: string;
  full?: boolean;
  inventoryRows?: number;
  orderRows?: number;
  requests?: number;
}

/**
 * Exports a shop's changed rows (or everything with `full`). Auth failures (revoked access) mark the
 * connection `error` without retrying; other failures throw so the job retries with backoff (this also
 * covers Sheets' 429 quota answers).
 */
export async function syncSheet(shopId: string, opts: { full?: boolean } = {}): Promise<SheetSyncResult> {
  const conn = await prisma.sheetConnection.findUnique({
    where: { shopId },
    include: { shop: { select: { name: true, domain: true } } },
  });
  if (!conn || conn.status !== "connected" || !conn.credentialsEnc) return { skipped: "not connected" };
  const startedAt = new Date();
  const ledgerMax = (await prisma.stockLedger.aggregate({ where: { shopId }, _max: { id: true } }))._max.id ?? 0n;
  const api = await sheetsFor(conn);
  let requests = 0;
  try {
    const itemCount = await prisma.catalogItem.count({ where: { shopId } });
    let s = {
      spreadsheetId: conn.spreadsheetId,
      spreadsheetUrl: conn.spreadsheetUrl,
      inventorySheetId: conn.inventorySheetId,
      ordersSheetId: conn.ordersSheetId,
      inventoryGridRows: conn.inventoryGridRows,
      ordersGridRows: conn.ordersGridRows,
      created: false,
    };
    if (!conn.spreadsheetId || conn.inventorySheetId == null || conn.ordersSheetId == null) {
      s = await ensureStructure(api, conn, conn.shop.name || conn.shop.domain, itemCount);
      requests += 2;
    }
    const channels = await prisma.channel.findMany({
      where: { shopId, ...SALES_CHANNELS },
      orderBy: { createdAt: "asc" },
      select: { id: true, name: true },
    });
    const map = (conn.rowMap ?? {}) as RowMap;
    const colsChanged = JSON.stringify(map.cols ?? []) !== JSON.stringify(channels.map((c) => c.id));
    const full = opts.full || s.created || colsChanged || !conn.lastFullExportAt;
    const inv: Record<string, number> = full ? {} : { ...(map.inv ?? {}) };
    const ord: Record<string, number> = full ? {} : { ...(map.ord ?? {}) };
    const data: sheets_v4.Schema$ValueRange[] = [];
    const width = inventoryHeader(channels.map((c) => c.name)).length;
    const lastCol = colLetter(width);

    // Which rows to write.
    let itemIds: string[];
    let orderIds: string[];
    if (full) {
      itemIds = (
        await prisma.catalogItem.findMany({ where: { shopId }, orderBy: { skuKey: "asc" }, select: { id: true } })
      ).map((i) => i.id);
      orderIds = (
        await prisma.order.findMany({ where: { shopId }, orderBy: { placedAt: "asc" }, select: { id: true } })
      ).map((o) => o.id);
    } else {
      itemIds = (
        await prisma.stockLedger.findMany({
          where: { shopId, id: { gt: conn.exportedLedgerId, lte: ledgerMax } },
          distinct: ["itemId"],
          select: { itemId: true },
        })
      ).map((r) => r.itemId);
      orderIds = (
        await prisma.order.findMany({
          where: { shopId, ...(conn.exportedOrdersAt ? { updatedAt: { gt: conn.exportedOrdersAt } } : {}) },
          orderBy: { placedAt: "asc" },
          select: { id: true },
        })
      ).map((o) => o.id);
    }
    let nextInv = Math.max(1, ...Object.values(inv)) + 1;
    let nextOrd = Math.max(1, ...Object.values(ord)) + 1;
    const invRows: [number, (string | number)[]][] = [];
    for (let i = 0; i < itemIds.length; i += CHUNK) {
      const rows = await inventoryRows(
        shopId,
        itemIds.slice(i, i + CHUNK),
        channels.map((c) => c.id),
      );
      for (const id of itemIds.slice(i, i + CHUNK)) {
        const row = rows.get(id);
        if (!row) continue;
        inv[id] ??= nextInv++;
        invRows.push([inv[id]!, row]);
      }
    }
    const ordRows: [number, (string | number)[]][] = [];
    for (let i = 0; i < orderIds.length; i += CHUNK) {
      const rows = await orderRows(shopId, orderIds.slice(i, i + CHUNK));
      for (const id of orderIds.slice(i, i + CHUNK)) {
        const row = rows.get(id);
        if (!row) continue;
        ord[id] ??= nextOrd++;
        ordRows.push([ord[id]!, row]);
      }
    }

    // Grow the grids if needed (one batchUpdate).
    const grow: sheets_v4.Schema$Request[] = [];
    const needInv = nextInv - 1;
    const needOrd = nextOrd - 1;
    if (needInv > s.inventoryGridRows)
      grow.push({
        appendDimension: {
          sheetId: s.inventorySheetId!,
          dimension: "ROWS",
          length: needInv - s.inventoryGridRows + 500,
        },
      });
    if (needOrd > s.ordersGridRows)
      grow.push({
        appendDimension: { sheetId: s.ordersSheetId!, dimension: "ROWS", length: needOrd - s.ordersGridRows + 500 },
      });
    if (grow.length) {
      await api.spreadsheets.batchUpdate({ spreadsheetId: s.spreadsheetId!, requestBody: { requests: grow } });
      requests++;
      if (needInv > s.inventoryGridRows) s.inventoryGridRows = needInv + 500;
      if (needOrd > s.ordersGridRows) s.ordersGridRows = needOrd + 500;
    }

    if (full) {
      invRows.sort((a, b) => a[0] - b[0]);
      data.push({ range: `Inventory!A1:${lastCol}1`, values: [inventoryHeader(channels.map((c) => c.name))] });
      data.push({ range: `Orders!A1:${colLetter(ORDERS_HEADER.length)}1`, values: [ORDERS_HEADER] });
      for (let i = 0; i < invRows.length; i += CHUNK) {
        const part = invRows.slice(i, i + CHUNK);
        data.push({
          range: `Inventory!A${part[0]![0]}:${lastCol}${part[part.length - 1]![0]}`,
          values: part.map((r) => r[1]),
        });
      }
      for (let i = 0; i < ordRows.length; i += CHUNK) {
        const part = ordRows.slice(i, i + CHUNK);
        data.push({
          range: `Orders!A${part[0]![0]}:${colLetter(ORDERS_HEADER.length)}${part[part.length - 1]![0]}`,
          values: part.map((r) => r[1]),
        });
      }
      // Blank rows left over from a longer previous export.
      const prevInv = Math.max(1, ...Object.values(map.inv ?? {}));
      if (prevInv > needInv)
        data.push({
          range: `Inventory!A${needInv + 1}:${colLetter(Math.max(width, (map.cols?.length ?? 0) + 4))}${prevInv}`,
          values: Array.from({ length: prevInv - needInv }, () =>
            Array(Math.max(width, (map.cols?.length ?? 0) + 4)).fill(""),
          ),
        });
    } else {
      for (const [row, values] of invRows) data.push({ range: `Inventory!A${row}:${lastCol}${row}`, values: [values] });
      for (const [row, values] of ordRows)
        data.push({ range: `Orders!A${row}:${colLetter(ORDERS_HEADER.length)}${row}`, values: [values] });
    }
    // ONE values.batchUpdate per ~2000 ranges (a normal debounce window needs one).
    for (let i = 0; i < data.length; i += CHUNK) {
      await api.spreadsheets.values.batchUpdate({
        spreadsheetId: s.spreadsheetId!,
        requestBody: { valueInputOption: "RAW", data: data.slice(i, i + CHUNK) },
      });
      requests++;
    }
    await prisma.sheetConnection.update({
      where: { id: conn.id },
      data: {
        spreadsheetId: s.spreadsheetId,
        spreadsheetUrl: s.spreadsheetUrl ?? `https://docs.google.com/spreadsheets/d/${s.spreadsheetId}/edit`,
        inventorySheetId: s.inventorySheetId,
        ordersSheetId: s.ordersSheetId,
        inventoryGridRows: s.inventoryGridRows,
        ordersGridRows: s.ordersGridRows,
        rowMap: { cols: channels.map((c) => c.id), inv, ord },
        exportedLedgerId: ledgerMax,
        exportedOrdersAt: startedAt,
        lastExportAt: new Date(),
        ...(full ? { lastFullExportAt: new Date() } : {}),
        lastError: null,
      },
    });
    return { full, inventoryRows: invRows.length, orderRows: ordRows.length, requests };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (isAuthError(err)) {
      await prisma.sheetConnection.update({
        where: { id: conn.id },
        data: {
          status: "error",
          lastError: `Google refused SyncFlow's access (${message}). Connect Google Sheets again.`,
        },
      });
      return { skipped: "auth error" };
    }
    await prisma.sheetConnection.update({ where: { id: conn.id }, data: { lastError: message.slice(0, 2000) } });
    throw err;
  }
}
