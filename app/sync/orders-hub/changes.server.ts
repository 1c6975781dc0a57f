/**
 * Orders hub, changes at the source after the import (issue 15 item 2; docs/decisions/237).
 *
 * - Cancelled at the source → the central order is cancelled without restock (import.server.ts, decision 219); the
 *   restock travels once, as the source store's own stock event (one `+units` ledger row per line).
 * - Refunded (whole or in part) or edited at the source → the central order is NOT changed; it is flagged for the
 *   merchant (`Order.importFlags`: `source_refunded`, `source_edited`). Why (decision 237): the central order is the
 *   fulfilment copy of a sale whose money and stock live at the source. Shopify 2026-10's `refundCreate` records money
 *   going back on the central shop's books (a second refund in its reports for a payment it never took), and the
 *   `orderEdit*` mutations commit or restock inventory at a location on their own (`orderEditAddVariant` takes a
 *   `locationId`, `orderEditSetQuantity` a `restock`), so following them would move stock a second time or invent
 *   money movements. What the merchant must know is that a line is no longer to be shipped as imported.
 *
 * Signals, from the order as the source delivers it (webhook or reconciliation read), compared with the lines as they
 * were imported (`Order.importSource.lines`, written by the import):
 * - refunded: the source's status says so (WooCommerce `refunded`; retailer Shopify financial status `refunded` /
 *   `partially_refunded`), a retailer `refunds/create` delivery (partial), or a line's own stock tally fell below what
 *   it was at import while the order is not cancelled (a refund that restocked, WooCommerce `_reduced_stock` lowered by
 *   `wc_restock_refunded_items`);
 * - edited: a line added or removed, or a line's ordered quantity changed (WooCommerce admin line edits; a retailer
 *   Shopify edit that adds a line — Shopify keeps a line's original `quantity` after an edit removes units, so those
 *   are seen only through the refund/restock signals).
 */
import prisma from "../../db.server";
import type { SalesOrder } from "../../channels/events";
import type { Prisma } from "@prisma/client";

export const SOURCE_REFUNDED = "source_refunded";
export const SOURCE_EDITED = "source_edited";

/** A line as imported: [source line id, units ordered, units the hub counted as taken]. */
export type ImportedLine = [string, number, number];

/** The lines of an order row as they are imported (stored in `importSource.lines`). */
export function importedLinesOf(
  lines: { externalLineId: string; quantity: number; stockTakenQuantity: number }[],
): ImportedLine[] {
  return lines.map((l) => [l.externalLineId, l.quantity, l.stockTakenQuantity]);
}

/**
 * The flags a source order's current state earns an imported order (pure).
 * @param imported the lines as imported (null: imported before lines were kept — only the status is compared)
 */
export function sourceChangeFlags(imported: ImportedLine[] | null, order: SalesOrder): string[] {
  const flags: string[] = [];
  const status = order.status.toLowerCase();
  const cancelled = status === "cancelled" || order.statusEffect === "release";
  const byId = new Map((imported ?? []).map((l) => [l[0], l]));
  const restocked =
    !cancelled &&
    order.lines.some((l) => {
      const was = byId.get(l.lineId);
      return was != null && l.stockTaken != null && l.stockTaken < was[2];
    });
  if (status.includes("refunded") || order.partial || restocked) flags.push(SOURCE_REFUNDED);
  if (imported && !order.partial && !cancelled) {
    const now = new Map(order.lines.map((l) => [l.lineId, l.quantity]));
    const edited =
      now.size !== byId.size || [...byId.values()].some(([id, units]) => !now.has(id) || now.get(id) !== units);
    if (edited) flags.push(SOURCE_EDITED);
  }
  return flags;
}

/**
 * Adds the flags `order` (the source's current state of an imported order) earns to its row; does nothing when they
 * are already there. Never changes the central order (see the module comment).
 * @returns the flags added
 */
export async function followSourceChanges(
  row: { id: string; importSource: Prisma.JsonValue | null },
  order: SalesOrder,
): Promise<string[]> {
  const source = (row.importSource ?? null) as { lines?: ImportedLine[] } | null;
  const flags = sourceChangeFlags(Array.isArray(source?.lines) ? source.lines : null, order);
  if (!flags.length) return [];
  const current = await prisma.order.findUnique({ where: { id: row.id }, select: { importFlags: true } });
  const added = flags.filter((f) => !current?.importFlags.includes(f));
  if (!added.length) return [];
  await prisma.order.update({
    where: { id: row.id },
    data: { importFlags: [...new Set([...(current?.importFlags ?? []), ...added])] },
  });
  return added;
}
