/**
 * The append-only stock ledger (GUIDE §2 rule 6). Rows are only ever inserted; a database trigger
 * refuses UPDATE/DELETE. The idempotency key is unique: inserting a key twice is a no-op, which is
 * what makes duplicate and replayed work harmless.
 */
import type { Tx } from "../../db.server";

/**
 * `allocate`: units moved between Shopify's available and a store's allocation (safety_stock), docs/decisions/008.
 * `store`: a stock change made on a store by no order — an edit in wp-admin, an import, another plugin or app —
 * reported by the plugin's stock events (decision 132).
 */
export type LedgerCause =
  "order" | "cancel" | "refund" | "webhook" | "push" | "reconcile" | "manual" | "initial" | "allocate" | "store";

export interface LedgerRow {
  shopId: string;
  itemId: string;
  channelId?: string | null;
  locationGid?: string | null;
  cause: LedgerCause;
  /** Change in units (negative = stock left). */
  delta?: number | null;
  before?: number | null;
  after?: number | null;
  idempotencyKey: string;
  orderId?: string | null;
  actor?: string;
  note?: string | null;
}

/** Inserts a row; returns false when its idempotency key was already recorded. */
export async function appendLedger(tx: Tx, row: LedgerRow): Promise<boolean> {
  const { count } = await tx.stockLedger.createMany({ data: [row], skipDuplicates: true });
  return count === 1;
}

/** Inserts many rows in one statement; rows whose idempotency key was already recorded are skipped. @returns rows inserted */
export async function appendLedgerMany(tx: Tx, rows: LedgerRow[]): Promise<number> {
  if (!rows.length) return 0;
  const { count } = await tx.stockLedger.createMany({ data: rows, skipDuplicates: true });
  return count;
}
