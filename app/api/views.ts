/**
 * Shapes the merchant API shows (pure): a ledger row as `LedgerEntry` (app/api/schemas.ts) — the answer of
 * `GET /api/v1/ledger` and the `data` of a `stock.changed` webhook (app/outbound/webhooks.server.ts), one shape for both.
 */

/** A StockLedger row with its item's SKU, as stored. Quantities in units. */
export interface LedgerRowWithSku {
  id: bigint;
  itemId: string;
  channelId: string | null;
  locationGid: string | null;
  cause: string;
  delta: number | null;
  before: number | null;
  after: number | null;
  orderId: string | null;
  actor: string;
  note: string | null;
  createdAt: Date;
  item: { sku: string };
}

/** The row as a `LedgerEntry` (id as a decimal string, time ISO-8601). */
export function ledgerEntry(r: LedgerRowWithSku) {
  return {
    id: r.id.toString(),
    itemId: r.itemId,
    sku: r.item.sku,
    channelId: r.channelId,
    locationId: r.locationGid,
    cause: r.cause,
    delta: r.delta,
    before: r.before,
    after: r.after,
    orderId: r.orderId,
    actor: r.actor,
    note: r.note,
    createdAt: r.createdAt.toISOString(),
  };
}
