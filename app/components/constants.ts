/** Constants shared by the admin pages' server queries and their UI (safe for the client bundle). */

/** Ledger causes (schema comment on StockLedger.cause). */
export const LEDGER_CAUSES = ["order", "cancel", "refund", "webhook", "push", "reconcile", "manual", "initial"] as const;

/** Inventory items per page. */
export const INVENTORY_PAGE_SIZE = 50;

/** Activity (ledger) rows per page. */
export const ACTIVITY_PAGE_SIZE = 50;
