/**
 * Orders hub pushback to a WooCommerce store (issue 15 item 3; decision 232): a central fulfilment becomes, on the
 * source order,
 * - an order note with the carrier, every tracking number and URL and the lines shipped — a customer note (WooCommerce
 *   shows it in My Account and e-mails it, `WC_Email_Customer_Note`) when the merchant tells the customer, else a
 *   private note; it ends with the marker `[syncflow:<key>]` that makes the push idempotent: before writing, the
 *   order's notes are read and a note with the marker means an earlier attempt already wrote it (its answer was lost);
 * - Shipment Tracking items in `_wc_shipment_tracking_items` when the plugin reports the extension active (feature
 *   `shipment-tracking`): one item per tracking number, `tracking_id` `syncflow-<fulfilment>-<n>` so a retry or a
 *   change replaces exactly our items and leaves the shop's own alone (format of WooCommerce Shipment Tracking:
 *   tracking_provider, custom_tracking_provider, custom_tracking_link, tracking_number, date_shipped (unix seconds),
 *   tracking_id);
 * - status `completed` once every line is fully shipped (a partial shipment leaves processing), marked with the meta
 *   `_syncflow_completed_by` so a cancelled central fulfilment returns only an order WE completed to processing.
 * Notes: POST/GET wc/v3/orders/<id>/notes; meta and status: one PUT wc/v3/orders/<id> (meta saved first, then the
 * status transition — WC_REST_Orders_Controller). Checked against a real WooCommerce 10.0.2 by the differential suite.
 */
import { ChannelError } from "../channel";
import { FEATURE_SHIPMENT_TRACKING, type FulfilmentPush, type FulfilmentPushResult } from "../sales-channel";
import type { WooClient } from "./client.server";

/** Order meta of WooCommerce Shipment Tracking. */
export const TRACKING_META = "_wc_shipment_tracking_items";
/** Order meta naming the fulfilment whose push completed the order (empty once undone). */
export const COMPLETED_BY_META = "_syncflow_completed_by";

/** One Shipment Tracking item as the extension stores it. */
export interface ShipmentTrackingItem {
  tracking_provider: string;
  custom_tracking_provider: string;
  custom_tracking_link: string;
  tracking_number: string;
  date_shipped: string;
  tracking_id: string;
}

interface WooOrderJson {
  id: number;
  status: string;
  meta_data?: { id: number; key: string; value: unknown }[];
  line_items?: { id: number; name: string; sku?: string; quantity: number }[];
}
interface WooNoteJson {
  id: number;
  note: string;
  customer_note: boolean;
}

/** The marker a pushed note carries (the push's key: fulfilment row id and version). */
export const noteMarker = (key: string): string => `[syncflow:${key}]`;

/**
 * The note for `push` (pure): what shipped or what was cancelled, the carrier and every tracking number with its URL,
 * then the marker. `names` maps line ids to the order's line names.
 */
export function fulfilmentNote(push: FulfilmentPush, names: Map<string, string>): string {
  const items = push.lines.map((l) => `${l.quantity} × ${names.get(l.lineId) ?? l.sku ?? "item"}`).join(", ");
  const tracking = push.tracking.map((t) => (t.url ? `${t.number} (${t.url})` : t.number)).join(", ");
  const carrier = push.company ? `Carrier: ${push.company}.` : "";
  const numbers = tracking ? `Tracking number${push.tracking.length > 1 ? "s" : ""}: ${tracking}.` : "";
  const head =
    push.status === "cancelled"
      ? `A shipment of your order was cancelled${items ? ` (${items})` : ""}; it will be shipped again.`
      : `${push.orderFullyShipped ? "Your order has shipped" : "Part of your order has shipped"}${items ? `: ${items}` : ""}.`;
  return [head, carrier, numbers, noteMarker(push.key)].filter(Boolean).join(" ");
}

/**
 * The order's Shipment Tracking items after `push` (pure): ours for this fulfilment replaced by the push's (none when
 * cancelled), every other item kept in place. `shippedAt` in ms.
 */
export function trackingItemsAfter(current: unknown, push: FulfilmentPush, shippedAt: number): ShipmentTrackingItem[] {
  const mine = (i: unknown) =>
    !!i &&
    typeof i === "object" &&
    String((i as ShipmentTrackingItem).tracking_id ?? "").startsWith(`syncflow-${push.fulfilmentId}-`);
  const kept = (Array.isArray(current) ? current : []).filter((i) => !mine(i)) as ShipmentTrackingItem[];
  if (push.status === "cancelled") return kept;
  return [
    ...kept,
    ...push.tracking.map((t, n) => ({
      tracking_provider: "",
      custom_tracking_provider: push.company ?? "",
      custom_tracking_link: t.url ?? "",
      tracking_number: t.number,
      date_shipped: String(Math.floor(shippedAt / 1000)),
      tracking_id: `syncflow-${push.fulfilmentId}-${n}`,
    })),
  ];
}

const metaOf = (o: WooOrderJson, key: string) => o.meta_data?.find((m) => m.key === key);

/**
 * Pushes one central fulfilment to a WooCommerce order (see the module docs). Idempotent per `push.key`: the note is
 * written only when no note carries its marker; meta and status are set to their target values (a repeat changes
 * nothing). `features`: the plugin's reported features. Throws ChannelError (NOT_FOUND for a deleted order).
 */
export async function pushWooFulfilment(
  client: WooClient,
  features: string[],
  push: FulfilmentPush,
): Promise<FulfilmentPushResult> {
  const id = encodeURIComponent(push.orderId);
  const order = (await client.get<WooOrderJson>(`orders/${id}`)).data;
  const notes = (await client.get<WooNoteJson[]>(`orders/${id}/notes`, { type: "any" })).data;
  const marker = noteMarker(push.key);
  const found = notes.find((n) => n.note.includes(marker));
  const done: string[] = [];
  let noteId = found?.id ?? null;
  if (!found) {
    const names = new Map((order.line_items ?? []).map((l) => [String(l.id), l.name]));
    // One attempt (POST is not retried by the client): a lost answer is found by its marker on the next attempt.
    const created = await client.post<WooNoteJson>(`orders/${id}/notes`, {
      note: fulfilmentNote(push, names),
      customer_note: push.notifyCustomer,
    });
    noteId = created.data.id;
    done.push(`note ${noteId} (${push.notifyCustomer ? "customer" : "private"})`);
  }
  const meta: { key: string; value: unknown }[] = [];
  if (features.includes(FEATURE_SHIPMENT_TRACKING)) {
    const current = metaOf(order, TRACKING_META)?.value;
    const next = trackingItemsAfter(current, push, Date.now());
    const same = (a: unknown, b: ShipmentTrackingItem[]) =>
      JSON.stringify(
        (Array.isArray(a) ? a : []).map((i: ShipmentTrackingItem) => [
          i.tracking_id,
          i.tracking_number,
          i.custom_tracking_link,
        ]),
      ) === JSON.stringify(b.map((i) => [i.tracking_id, i.tracking_number, i.custom_tracking_link]));
    if (!same(current, next)) {
      meta.push({ key: TRACKING_META, value: next });
      done.push("tracking meta");
    }
  }
  let status: string | null = null;
  const completedBy = String(metaOf(order, COMPLETED_BY_META)?.value ?? "");
  if (
    push.status === "shipped" &&
    push.orderFullyShipped &&
    (order.status === "processing" || order.status === "on-hold")
  ) {
    status = "completed";
    meta.push({ key: COMPLETED_BY_META, value: push.fulfilmentId });
  } else if (push.status === "cancelled" && order.status === "completed" && completedBy) {
    // Completed by a push of ours: a shipment was undone, so the order goes back to processing.
    status = "processing";
    meta.push({ key: COMPLETED_BY_META, value: "" });
  }
  if (status) done.push(`status ${status}`);
  if (meta.length || status)
    await client.put(`orders/${id}`, { ...(meta.length ? { meta_data: meta } : {}), ...(status ? { status } : {}) });
  if (!noteId) throw new ChannelError("SERVER", `order ${push.orderId}: the note was not created`);
  return {
    sourceRef: String(noteId),
    alreadyThere: !!found,
    summary: (found ? [`note ${noteId} already there`, ...done] : done).join(", ") || "nothing to change",
  };
}
