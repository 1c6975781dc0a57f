/**
 * Orders hub pushback to a retailer Shopify shop (issue 15 item 3; decision 233): a central fulfilment becomes a
 * fulfilment of the retailer's order — on its fulfilment order(s), for the same lines and units, with the same
 * carrier, tracking numbers and URLs (`fulfillmentCreate`, notifyCustomer per the merchant's setting); a tracking
 * change is `fulfillmentTrackingInfoUpdate`; a cancelled central fulfilment is `fulfillmentCancel` (Admin GraphQL
 * 2026-10, documents in app/channels/shopify/graphql/orders.ts).
 *
 * Exactly once: fulfillmentCreate takes no idempotency key in 2026-10, so the create is sent ONCE per attempt (no
 * transport retry) and every attempt first reads the order: a fulfilment already holding one of the push's tracking
 * numbers (or the one recorded from an earlier push, `sourceRef`) is ours — a lost answer never makes two fulfilments.
 * Units already fulfilled at the retailer are not fulfilled again (only open fulfilment-order units are taken).
 */
import { ChannelError } from "../channel";
import type { FulfilmentPush, FulfilmentPushResult } from "../sales-channel";
import { ShopifyGraphqlClient } from "../shopify/client.server";
import type { ShopifyChannel } from "../shopify/shopify-channel.server";
import {
  FULFILLMENT_CANCEL_MUTATION,
  FULFILLMENT_CREATE_MUTATION,
  FULFILLMENT_TRACKING_UPDATE_MUTATION,
  RETAILER_FULFILMENT_STATE_QUERY,
} from "../shopify/graphql/orders";

interface StateFulfilment {
  id: string;
  status: string;
  trackingInfo: { company: string | null; number: string | null; url: string | null }[];
}
interface StateOrder {
  id: string;
  cancelledAt: string | null;
  fulfillments: StateFulfilment[];
  fulfillmentOrders: {
    nodes: {
      id: string;
      status: string;
      lineItems: { nodes: { id: string; remainingQuantity: number; lineItem: { id: string } }[] };
    }[];
  };
}
interface UserError {
  field: string[] | null;
  message: string;
}

function refused(what: string, errs: UserError[]): ChannelError {
  return new ChannelError(
    "BAD_REQUEST",
    `the retailer's Shopify refused ${what}: ${errs.map((e) => `${(e.field ?? []).join(".")} ${e.message}`).join("; ")}`,
    { retryable: false },
  );
}

/** The FulfillmentTrackingInput for a push (numbers and urls index-aligned; urls only when every number has one). */
export function trackingInput(push: FulfilmentPush): Record<string, unknown> {
  const numbers = push.tracking.map((t) => t.number);
  const urls = push.tracking.map((t) => t.url);
  return {
    company: push.company,
    ...(numbers.length ? { numbers } : {}),
    ...(numbers.length && urls.every((u): u is string => !!u) ? { urls } : {}),
  };
}

/**
 * The fulfilment-order lines and units to fulfil for `push` (pure): each source line's units taken from the open
 * fulfilment orders' lines of that line item, at most their remaining quantity. Grouped per fulfilment order.
 */
export function fulfilmentOrderPicks(
  order: StateOrder,
  push: FulfilmentPush,
): { fulfillmentOrderId: string; fulfillmentOrderLineItems: { id: string; quantity: number }[] }[] {
  const groups = new Map<string, { id: string; quantity: number }[]>();
  for (const l of push.lines) {
    let left = l.quantity;
    for (const fo of order.fulfillmentOrders.nodes) {
      if (left <= 0) break;
      if (fo.status === "CLOSED" || fo.status === "CANCELLED" || fo.status === "ON_HOLD") continue;
      for (const fl of fo.lineItems.nodes) {
        if (left <= 0) break;
        if (fl.lineItem.id !== l.lineId || fl.remainingQuantity <= 0) continue;
        const q = Math.min(left, fl.remainingQuantity);
        groups.set(fo.id, [...(groups.get(fo.id) ?? []), { id: fl.id, quantity: q }]);
        left -= q;
      }
    }
  }
  return [...groups].map(([fulfillmentOrderId, fulfillmentOrderLineItems]) => ({
    fulfillmentOrderId,
    fulfillmentOrderLineItems,
  }));
}

/** Ours among the order's fulfilments: the recorded one, else one carrying any of the push's tracking numbers. */
function findOurs(order: StateOrder, push: FulfilmentPush): StateFulfilment | null {
  if (push.sourceRef) {
    const byRef = order.fulfillments.find((f) => f.id === push.sourceRef);
    if (byRef) return byRef;
  }
  const numbers = new Set(push.tracking.map((t) => t.number));
  if (!numbers.size) return null;
  const hits = order.fulfillments.filter((f) => f.trackingInfo.some((t) => t.number && numbers.has(t.number)));
  return hits.find((f) => f.status === "SUCCESS") ?? hits[0] ?? null;
}

const sameTracking = (f: StateFulfilment, push: FulfilmentPush) =>
  JSON.stringify(f.trackingInfo.filter((t) => t.number).map((t) => [t.number, t.url ?? null])) ===
    JSON.stringify(push.tracking.map((t) => [t.number, t.url])) &&
  (f.trackingInfo[0]?.company ?? null) === (push.company ?? f.trackingInfo[0]?.company ?? null);

/**
 * Pushes one central fulfilment to the retailer's order `push.orderId` (a retailer Order GID) through `api` (the
 * retailer's Admin API). Throws ChannelError: NOT_FOUND when the order is gone, BAD_REQUEST when Shopify refused,
 * transport errors as the client maps them (retryable).
 */
export async function pushRetailerFulfilment(api: ShopifyChannel, push: FulfilmentPush): Promise<FulfilmentPushResult> {
  const read = async () =>
    (await api.client.request<{ order: StateOrder | null }>(RETAILER_FULFILMENT_STATE_QUERY, { id: push.orderId })).data
      .order;
  const order = await read();
  if (!order)
    throw new ChannelError("NOT_FOUND", `retailer order ${push.orderId} not found on ${api.opts.shop}`, {
      retryable: false,
    });
  const ours = findOurs(order, push);
  if (push.status === "cancelled") {
    if (!ours || ours.status === "CANCELLED")
      return { sourceRef: ours?.id ?? push.sourceRef, alreadyThere: true, summary: "no fulfilment of ours to cancel" };
    const r = await api.client.request<{ fulfillmentCancel: { userErrors: UserError[] } }>(
      FULFILLMENT_CANCEL_MUTATION,
      { id: ours.id },
    );
    if (r.data.fulfillmentCancel.userErrors.length)
      throw refused(`cancelling ${ours.id}`, r.data.fulfillmentCancel.userErrors);
    return { sourceRef: ours.id, alreadyThere: false, summary: `fulfilment ${ours.id} cancelled` };
  }
  if (ours && ours.status === "SUCCESS") {
    if (sameTracking(ours, push))
      return { sourceRef: ours.id, alreadyThere: true, summary: `fulfilment ${ours.id} already there` };
    const r = await api.client.request<{ fulfillmentTrackingInfoUpdate: { userErrors: UserError[] } }>(
      FULFILLMENT_TRACKING_UPDATE_MUTATION,
      { fulfillmentId: ours.id, trackingInfoInput: trackingInput(push), notifyCustomer: push.notifyCustomer },
    );
    if (r.data.fulfillmentTrackingInfoUpdate.userErrors.length)
      throw refused(`the tracking of ${ours.id}`, r.data.fulfillmentTrackingInfoUpdate.userErrors);
    return { sourceRef: ours.id, alreadyThere: false, summary: `tracking of fulfilment ${ours.id} updated` };
  }
  if (order.cancelledAt)
    throw new ChannelError("BAD_REQUEST", `retailer order ${push.orderId} is cancelled: nothing to fulfil`, {
      retryable: false,
    });
  const picks = fulfilmentOrderPicks(order, push);
  if (!picks.length)
    return { sourceRef: null, alreadyThere: true, summary: "every line is already fulfilled at the retailer" };
  // One attempt: a timeout or 5xx may have created it; the next attempt finds it by its tracking number.
  const once = new ShopifyGraphqlClient({ ...api.opts, maxRetries: 0 });
  const r = await once.request<{ fulfillmentCreate: { fulfillment: { id: string } | null; userErrors: UserError[] } }>(
    FULFILLMENT_CREATE_MUTATION,
    {
      fulfillment: {
        lineItemsByFulfillmentOrder: picks,
        notifyCustomer: push.notifyCustomer,
        ...(push.tracking.length || push.company ? { trackingInfo: trackingInput(push) } : {}),
      },
    },
  );
  const created = r.data.fulfillmentCreate;
  if (created.userErrors.length || !created.fulfillment) throw refused("the fulfilment", created.userErrors);
  return {
    sourceRef: created.fulfillment.id,
    alreadyThere: false,
    summary: `fulfilment ${created.fulfillment.id} created`,
  };
}
