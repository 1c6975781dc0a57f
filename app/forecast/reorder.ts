/** The Reorder list's filters, sorts and number format — shared by the page (client) and app/forecast/reorder.server.ts. */
export const REORDER_FILTERS = ["reorder", "all", "anomaly"] as const;
export type ReorderFilter = (typeof REORDER_FILTERS)[number];
export const REORDER_SORTS = ["cover", "sku", "demand", "suggested"] as const;
export type ReorderSort = (typeof REORDER_SORTS)[number];

/** One decimal (demand per day, days of cover as shown). */
export const round1 = (x: number) => Math.round(x * 10) / 10;
