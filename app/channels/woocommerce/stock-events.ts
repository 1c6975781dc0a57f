/**
 * The SyncFlow plugin's stock events (docs/contracts/hub-api-v1.md §2 "stock events"; decisions 130–132) read as the
 * port's `StockChange` (app/channels/events.ts): the plugin's wire shape, its cause words and their meaning live here,
 * so the engine applies a normalised change and names no WooCommerce cause (decision 200).
 *
 * Causes: `order_reduced`, `order_restocked` (→ cancelled / → pending), `refund_restocked`, `order_adjusted` (a line
 * edited in wp-admin) move an order line's tally to `line_reduced` (WooCommerce's `_reduced_stock` after the change);
 * `hub_write` is the hub's own write coming back (plugin endpoints or REST with its request key); anything else
 * (`admin_edit`, `import`, `rest_api`, `other`, or a cause this hub does not know) is a change on the store that is no
 * sale.
 */
import { z } from "zod";
import { DeliveryParseError, type StockChange } from "../events";

/** Plugin causes that move an order line's tally, and the move each one is. */
const ORDER_MOVES: Record<string, NonNullable<StockChange["order"]>["move"]> = {
  order_reduced: "take",
  order_restocked: "restock",
  refund_restocked: "refund",
  order_adjusted: "adjust",
};

/** What the merchant reads for a store-side cause. */
const LABEL: Record<string, string> = {
  admin_edit: "Stock edited in wp-admin",
  import: "Stock changed by a product import",
  rest_api: "Stock changed by another app (WooCommerce REST API)",
  other: "Stock changed by another plugin or process",
};

const int = z.number().int();
const positiveId = int.positive().max(Number.MAX_SAFE_INTEGER);

/** One stock event as the plugin sends it (quantities in units, `at` ISO-8601). */
const WireStockEvent = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, "must be 8–64 letters, digits or dashes"),
    stream: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be 1–64 letters, digits or dashes"),
    seq: int.positive().max(2_147_483_647),
    at: z.string().refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO-8601 time"),
    cause: z.string().regex(/^[a-z_]{1,40}$/, "must be a lower-case cause name"),
    product_id: positiveId,
    stock_product_id: positiveId,
    sku: z.string().max(200).nullish(),
    before: int,
    after: int,
    delta: int,
    order_id: positiveId.nullish(),
    order_status: z.string().max(40).nullish(),
    line_id: positiveId.nullish(),
    line_reduced: int.nullish(),
    line_quantity: int.nonnegative().nullish(),
    refund_id: positiveId.nullish(),
    request_key: z.string().max(200).nullish(),
  })
  .refine((e) => e.delta === e.after - e.before, { message: "delta must equal after − before", path: ["delta"] })
  .refine((e) => !(e.cause in ORDER_MOVES) || (e.order_id != null && e.line_id != null), {
    message: "order events need order_id and line_id",
    path: ["order_id"],
  });

/**
 * One plugin stock event as the port's `StockChange`.
 * @throws DeliveryParseError naming the first bad field (`path: message`), the reason the plugin is answered with
 */
export function parseWooStockEvent(raw: unknown): StockChange {
  const parsed = WireStockEvent.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DeliveryParseError(`${issue.path.join(".") || "event"}: ${issue.message}`);
  }
  const e = parsed.data;
  const move = ORDER_MOVES[e.cause];
  return {
    id: e.id,
    stream: e.stream,
    seq: e.seq,
    at: e.at,
    listingId: String(e.product_id),
    sku: e.sku ?? null,
    before: e.before,
    after: e.after,
    delta: e.delta,
    kind: move ? "order" : e.cause === "hub_write" ? "echo" : "store",
    cause: e.cause,
    label: LABEL[e.cause] ?? `Stock changed on the store (${e.cause})`,
    order: move
      ? {
          orderId: String(e.order_id),
          lineId: String(e.line_id),
          status: e.order_status ?? null,
          move,
          lineTaken: e.line_reduced ?? null,
          lineQuantity: e.line_quantity ?? null,
        }
      : null,
    requestKey: e.request_key ?? null,
  };
}
