/**
 * The orders hub's journey as the merchant reads it (issue 15 item 5, decisions 240–241) — the pure part, shared by
 * the server (app/models/order-journey.server.ts) and the pages: each order's step —
 * received → imported into the central Shopify shop → fulfilled (partly / fully) → tracking delivered to the source
 * store — plus what needs the merchant (failed import, flagged import, failed pushback), and the server-side filters
 * of the Orders page ("not imported", "shipped, not pushed back", "needs attention"), each an indexed query
 * (migration 20261208110000_u_orders_journey_filters; a shop with 100k orders pages them without a table scan).
 *
 * Sources of truth: Order.importState / centralOrderId / importFlags (app/sync/orders-hub/import.server.ts),
 * Order.fulfilmentState / trackingDeliveredAt and OrderFulfilment.pushState (the pushback, pushback.server.ts).
 */
import { RECORD_KIND } from "../channels/channel";

/** The Orders page's journey filters (`?journey=`). */
export const JOURNEY_FILTERS = ["not_imported", "not_pushed", "attention"] as const;
export type JourneyFilter = (typeof JOURNEY_FILTERS)[number];

/** Filter labels, in the order the page shows them. */
export const JOURNEY_FILTER_LABEL: Record<JourneyFilter, string> = {
  not_imported: "Not imported",
  not_pushed: "Shipped, not pushed back",
  attention: "Needs attention",
};

/**
 * Import flags that need the merchant (Order.importFlags). "unlinked_lines": lines imported as custom lines (SKU not
 * linked). The filter asks for these by name (`&&`, served by the GIN index), so a new flag the engine adds must be
 * listed here to be filtered on; unknown flags still show on the order.
 */
export const ATTENTION_FLAGS = [
  "unlinked_lines",
  "source_refunded",
  "source_edited",
  "source_cancelled_after_fulfilment",
] as const;

/** Merchant-readable text of an import flag. */
export const FLAG_LABEL: Record<string, string> = {
  unlinked_lines: "Some lines were imported as custom lines (their SKU is not linked to a Shopify variant)",
  // The engine's flags (app/sync/orders-hub/changes.server.ts, import.server.ts; decisions 237, 239).
  source_refunded: "The order was refunded at the source store; refund the Shopify order by hand if it applies",
  source_edited: "The order's lines were edited at the source store; edit the Shopify order by hand if it applies",
  source_cancelled_after_fulfilment:
    "The order was cancelled at the source store after it shipped from Shopify; the Shopify order was left as it is",
};

/** Push states of a central fulfilment that has not reached the source yet. */
export const UNPUSHED = ["pending", "pushing", "failed"];

/** Where an order is on its journey (one value per row; `attention` lists why the merchant should look). */
export type JourneyStage =
  | "received"
  | "queued"
  | "import_failed"
  | "imported"
  | "partial"
  | "fulfilled"
  | "delivered"
  | "cancelled"
  | "not_imported"
  | "central";

/** One order's journey summary (JSON-safe). */
export interface Journey {
  stage: JourneyStage;
  /** The central order (Shopify Order GID, name, admin link) when imported. */
  central: { id: string; name: string | null; adminUrl: string | null } | null;
  /** Central fulfilments: how many, how many reached the source, how many failed to. */
  fulfilments: { total: number; pushed: number; failed: number; pending: number };
  /** Why the merchant should look (empty when nothing needs them). */
  attention: string[];
}

/** The fields of an order row `journeyOf` reads. */
export interface JourneyRow {
  channelKind: string;
  stockTaken: boolean;
  cancelledAt: Date | string | null;
  importState: string | null;
  importError: string | null;
  centralOrderId: string | null;
  centralOrderName: string | null;
  importFlags: string[];
  fulfilmentState: string | null;
  trackingDeliveredAt: Date | string | null;
  fulfilments: { pushState: string; centralStatus?: string }[];
}

/**
 * Shopify Admin's link to a central order: `shopify:admin/orders/<numeric id>` — App Bridge opens it in the admin
 * (shopify.dev/docs/api/app-bridge-library "Navigation": `shopify:admin/…` URLs). null for an id that is not an
 * Order GID.
 */
export function centralOrderAdminUrl(gid: string | null): string | null {
  const m = /^gid:\/\/shopify\/Order\/(\d+)$/.exec(gid ?? "");
  return m ? `shopify:admin/orders/${m[1]}` : null;
}

/** The journey of one order row (pure). */
export function journeyOf(o: JourneyRow): Journey {
  const fulfilments = {
    total: o.fulfilments.length,
    pushed: o.fulfilments.filter((f) => f.pushState === "pushed").length,
    failed: o.fulfilments.filter((f) => f.pushState === "failed").length,
    pending: o.fulfilments.filter((f) => f.pushState === "pending" || f.pushState === "pushing").length,
  };
  const attention: string[] = [];
  if (o.importState === "failed") attention.push(`Import failed${o.importError ? `: ${o.importError}` : ""}`);
  if (o.importState === "cancelling" && o.importError)
    attention.push(`Cancelling the Shopify order failed: ${o.importError}`);
  if (o.importState === "needs_attention" && o.importError) attention.push(o.importError);
  for (const f of o.importFlags) attention.push(FLAG_LABEL[f] ?? f);
  if (fulfilments.failed)
    attention.push(
      `${fulfilments.failed} fulfilment${fulfilments.failed === 1 ? "" : "s"} could not be pushed back to the store`,
    );
  const central = o.centralOrderId
    ? { id: o.centralOrderId, name: o.centralOrderName, adminUrl: centralOrderAdminUrl(o.centralOrderId) }
    : null;
  let stage: JourneyStage;
  if (o.channelKind === RECORD_KIND) stage = "central";
  else if (o.importState === "cancelled" || (o.cancelledAt && !central)) stage = "cancelled";
  else if (!central) {
    if (o.importState === "failed") stage = "import_failed";
    else if (o.importState === "queued" || o.importState === "cancelling") stage = "queued";
    else stage = o.importState ? "received" : "not_imported";
  } else if (o.trackingDeliveredAt && fulfilments.total > 0 && fulfilments.pushed === fulfilments.total)
    stage = o.fulfilmentState === "fulfilled" ? "delivered" : "partial";
  else if (o.fulfilmentState === "fulfilled") stage = "fulfilled";
  else if (o.fulfilmentState === "partial") stage = "partial";
  else stage = "imported";
  return { stage, central, fulfilments, attention };
}

/** Parses `?journey=`. */
export function parseJourneyFilter(v: string | null): JourneyFilter | undefined {
  return (JOURNEY_FILTERS as readonly string[]).includes(v ?? "") ? (v as JourneyFilter) : undefined;
}
