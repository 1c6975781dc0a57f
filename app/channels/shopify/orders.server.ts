/**
 * The record's orders for the orders hub (`RecordOrders`, app/channels/record.ts; issue 15, docs/decisions/215).
 *
 * - Creation: `orderCreate` with `options.inventoryBehaviour: BYPASS` — the sale already reached the record as a stock
 *   movement when the source store reported it (app/sync/intake/orders.server.ts), so the imported order must not
 *   claim inventory again (OrderCreateOptionsInput.inventoryBehaviour, admin 2026-10 schema: "BYPASS: Do not claim
 *   inventory"; the default, sent explicitly so a changed default cannot move stock). `sendReceipt` and
 *   `sendFulfillmentReceipt` follow the merchant's setting (default off: the source store already e-mailed).
 * - Idempotency: `orderCreate` takes no `@idempotent` key in 2026-10, so the unique key is stored with the order as
 *   `sourceIdentifier` ("The ID of the order placed on the originating platform") and looked up with the `orders`
 *   query's `source_identifier:` filter before creating. The create call is sent ONCE (its own client, no automatic
 *   retry of timeouts or 5xx, which may have created the order): the caller's next attempt looks the key up first.
 * - Cancellation: `orderCancel(restock: false, refund: false)` — the restock travels as the source store's own stock
 *   event, never a second time through the record.
 */
import { ChannelError } from "../channel.js";
import type { ImportOrderInput, OrderAddress, RecordFulfilment, RecordOrderRef } from "../record.js";
import type { ShopifyChannel } from "./shopify-channel.server.js";
import { ShopifyGraphqlClient } from "./client.server.js";
import {
  ORDER_BY_SOURCE_QUERY,
  ORDER_CANCEL_MUTATION,
  ORDER_CREATE_MUTATION,
  ORDER_FULFILMENTS_QUERY,
} from "./graphql/orders.js";

interface OrderNode {
  id: string;
  name: string;
  sourceIdentifier: string | null;
  cancelledAt: string | null;
  displayFinancialStatus: string | null;
  displayFulfillmentStatus: string | null;
}
interface UserError {
  field: string[] | null;
  message: string;
  code?: string | null;
}

const ref = (o: OrderNode): RecordOrderRef => ({
  id: o.id,
  name: o.name,
  key: o.sourceIdentifier,
  cancelledAt: o.cancelledAt,
  financialStatus: o.displayFinancialStatus,
  fulfillmentStatus: o.displayFulfillmentStatus,
});

/** A key the search syntax can quote: letters, digits and `:_.-` only (ChannelError BAD_REQUEST otherwise). */
function checkKey(key: string): string {
  if (!/^[A-Za-z0-9:_.-]{1,255}$/.test(key))
    throw new ChannelError(
      "BAD_REQUEST",
      `order key ${JSON.stringify(key)} has characters Shopify search cannot quote`,
    );
  return key;
}

/** The client's errors, with a missing order scope as AUTH (the merchant must approve the scope update). */
async function call<T>(client: ShopifyGraphqlClient, query: string, variables: Record<string, unknown>): Promise<T> {
  try {
    return (await client.request<T>(query, variables)).data;
  } catch (e) {
    if (e instanceof ChannelError && e.code === "BAD_REQUEST" && e.message.includes("ACCESS_DENIED"))
      throw new ChannelError("AUTH", `${e.message} — the merchant must approve the app's order scopes`, { cause: e });
    throw e;
  }
}

function refused(what: string, errs: UserError[]): ChannelError {
  return new ChannelError(
    "BAD_REQUEST",
    `Shopify refused ${what}: ${errs.map((e) => `${(e.field ?? []).join(".")} ${e.message}${e.code ? ` (${e.code})` : ""}`).join("; ")}`,
  );
}

const address = (a: OrderAddress | null) =>
  a && {
    firstName: a.firstName,
    lastName: a.lastName,
    company: a.company,
    address1: a.address1,
    address2: a.address2,
    city: a.city,
    provinceCode: a.provinceCode,
    zip: a.zip,
    countryCode: a.countryCode,
    phone: a.phone,
  };

/** The order carrying `key` (exact match on `sourceIdentifier`; the search is only the filter). */
export async function findOrderByKey(adapter: ShopifyChannel, key: string): Promise<RecordOrderRef | null> {
  const data = await call<{ orders: { nodes: OrderNode[] } }>(adapter.client, ORDER_BY_SOURCE_QUERY, {
    query: `source_identifier:"${checkKey(key)}"`,
    first: 5,
  });
  const hits = data.orders.nodes.filter((o) => o.sourceIdentifier === key);
  return hits.length ? ref(hits.at(-1)!) : null;
}

/** See `RecordOrders.createImportedOrder`. */
export async function createImportedOrder(
  adapter: ShopifyChannel,
  input: ImportOrderInput,
): Promise<{ order: RecordOrderRef; created: boolean }> {
  const existing = await findOrderByKey(adapter, input.key);
  if (existing) return { order: existing, created: false };
  const money = (amount: string) => ({ shopMoney: { amount, currencyCode: input.currency } });
  const order = {
    sourceIdentifier: input.key,
    currency: input.currency,
    processedAt: input.processedAt,
    email: input.email,
    lineItems: input.lines.map((l) =>
      l.variantId
        ? { variantId: l.variantId, quantity: l.quantity, priceSet: money(l.unitPrice) }
        : {
            title: l.title,
            sku: l.sku,
            quantity: l.quantity,
            priceSet: money(l.unitPrice),
            requiresShipping: true,
          },
    ),
    shippingAddress: address(input.shippingAddress),
    billingAddress: address(input.billingAddress),
    shippingLines: input.shipping ? [{ title: input.shipping.title, priceSet: money(input.shipping.price) }] : null,
    tags: input.tags,
    note: input.note,
    customAttributes: input.attributes,
    financialStatus: input.paid ? "PAID" : "PENDING",
  };
  const options = {
    inventoryBehaviour: "BYPASS",
    sendReceipt: input.notifyCustomer,
    sendFulfillmentReceipt: input.notifyCustomer,
  };
  // One attempt: a timeout or 5xx may have created the order, so the retry is the caller's, after a lookup.
  const once = new ShopifyGraphqlClient({ ...adapter.opts, maxRetries: 0 });
  const data = await call<{ orderCreate: { order: OrderNode | null; userErrors: UserError[] } }>(
    once,
    ORDER_CREATE_MUTATION,
    { order, options },
  );
  const errs = data.orderCreate.userErrors;
  if (errs.length || !data.orderCreate.order) throw refused(`order ${input.key}`, errs);
  return { order: ref(data.orderCreate.order), created: true };
}

/** See `RecordOrders.cancelImportedOrder`. */
export async function cancelImportedOrder(
  adapter: ShopifyChannel,
  orderId: string,
  opts: { notifyCustomer: boolean; staffNote: string | null },
): Promise<boolean> {
  const current = await readFulfilments(adapter, orderId);
  if (!current) throw new ChannelError("NOT_FOUND", `order ${orderId} not found on ${adapter.opts.shop}`);
  if (current.order.cancelledAt) return false;
  const data = await call<{
    orderCancel: { jobResult: { done: boolean; status: string } | null; orderCancelUserErrors: UserError[] };
  }>(adapter.client, ORDER_CANCEL_MUTATION, {
    orderId,
    reason: "OTHER",
    restock: false,
    notifyCustomer: opts.notifyCustomer,
    staffNote: opts.staffNote,
  });
  const errs = data.orderCancel.orderCancelUserErrors;
  if (errs.length) throw refused(`cancelling ${orderId}`, errs);
  if (data.orderCancel.jobResult?.status === "FAILED")
    throw new ChannelError("SERVER", `Shopify's cancel job for ${orderId} failed`);
  return true;
}

/** See `RecordOrders.readFulfilments`. */
export async function readFulfilments(
  adapter: ShopifyChannel,
  orderId: string,
): Promise<{ order: RecordOrderRef; fulfilments: RecordFulfilment[] } | null> {
  type F = {
    id: string;
    name: string;
    status: string;
    createdAt: string;
    updatedAt: string;
    trackingInfo: { company: string | null; number: string | null; url: string | null }[];
    fulfillmentLineItems: {
      nodes: {
        quantity: number | null;
        lineItem: { id: string; sku: string | null; variant: { id: string } | null };
      }[];
    };
  };
  const data = await call<{ order: (OrderNode & { fulfillments: F[] }) | null }>(
    adapter.client,
    ORDER_FULFILMENTS_QUERY,
    { id: orderId },
  );
  if (!data.order) return null;
  return {
    order: ref(data.order),
    fulfilments: data.order.fulfillments.map((f) => ({
      id: f.id,
      name: f.name,
      status: f.status,
      createdAt: f.createdAt,
      updatedAt: f.updatedAt,
      tracking: f.trackingInfo,
      lines: f.fulfillmentLineItems.nodes.map((n) => ({
        lineId: n.lineItem.id,
        sku: n.lineItem.sku,
        variantId: n.lineItem.variant?.id ?? null,
        quantity: n.quantity ?? 0,
      })),
    })),
  };
}
