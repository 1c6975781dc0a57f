/** Constants shared by the admin pages' server queries and their UI (safe for the client bundle). */

/** Ledger causes (schema comment on StockLedger.cause). */
export const LEDGER_CAUSES = [
  "order",
  "cancel",
  "refund",
  "webhook",
  "store",
  "push",
  "reconcile",
  "manual",
  "initial",
] as const;

/** Inventory items per page. */
export const INVENTORY_PAGE_SIZE = 50;

/** Activity (ledger) rows per page. */
export const ACTIVITY_PAGE_SIZE = 50;

/** Sort orders of the inventory table (column + direction; `-` = descending). */
export const INVENTORY_SORTS = ["sku", "-sku", "title", "-title", "updated", "-updated"] as const;

/** Conflicts per page of the conflicts page. */
export const CONFLICTS_PAGE_SIZE = 20;

/** Orders per page. */
export const ORDERS_PAGE_SIZE = 50;

/** Human labels of ledger causes. */
export const CAUSE_LABEL: Record<string, string> = {
  order: "Order",
  cancel: "Cancellation",
  refund: "Refund",
  webhook: "Store change",
  store: "Edit on the store",
  push: "Push to store",
  reconcile: "Reconcile",
  manual: "Manual",
  initial: "Initial",
};

/** Allowed reconciliation intervals (minutes). */
export const RECONCILE_CHOICES = [5, 15, 30, 60, 180, 720, 1440] as const;
