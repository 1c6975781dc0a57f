/**
 * A retailer shop's orders read back through the Admin GraphQL API (2026-10) for reconciliation's missed-order
 * catch-up (issue 14; decision 208): `orders(query: "updated_at:>='…'", sortKey: UPDATED_AT)`, paged by cursor.
 *
 * Sized to Shopify's single-query ceiling (1,000 points; shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits:
 * connection = 2 + first × node cost): a page is 6 orders with up to 20 line items and 20 refund lines per refund
 * (≈ 900 points). An order with more is read again on its own, 100 lines at a time (ORDER_LINES_QUERY).
 *
 * Each order becomes the port's `SalesOrder` exactly as the retailer's webhooks make it (retailer-channel.server.ts
 * `retailerOrder`): number = name, status "cancelled" or the financial status in lower case, `stockTaken` of a line =
 * ordered − restocked by refunds (every restock type but NO_RESTOCK), 0 once cancelled; null when a refund's lines could
 * not all be read (the engine then infers from the status).
 */
import type { SalesOrder, SalesOrderLine } from "../events";

/** Orders modified at or after `$query`'s time, oldest change first. */
export const RETAILER_ORDERS_QUERY = `#graphql
query RetailerOrdersSince($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...RetailerOrder lineItems(first: 20) { ...RetailerLines } }
    pageInfo { hasNextPage endCursor }
  }
}
fragment RetailerOrder on Order {
  id name email createdAt updatedAt cancelledAt displayFinancialStatus currencyCode
  totalPriceSet { shopMoney { amount } }
  customer { firstName lastName }
  refunds(first: 10) {
    refundLineItems(first: 20) { nodes { quantity restockType lineItem { id } } pageInfo { hasNextPage } }
  }
}
fragment RetailerLines on LineItemConnection {
  nodes { id sku name quantity variant { id } product { id } originalUnitPriceSet { shopMoney { amount } } }
  pageInfo { hasNextPage endCursor }
}`;

/** One order with its lines from `$after` (100 at a time) and up to 100 lines per refund. */
export const ORDER_LINES_QUERY = `#graphql
query RetailerOrderLines($id: ID!, $after: String) {
  order(id: $id) {
    id
    lineItems(first: 100, after: $after) {
      nodes { id sku name quantity variant { id } product { id } originalUnitPriceSet { shopMoney { amount } } }
      pageInfo { hasNextPage endCursor }
    }
    refunds(first: 10) {
      refundLineItems(first: 100) { nodes { quantity restockType lineItem { id } } pageInfo { hasNextPage } }
    }
  }
}`;

/** Orders per page of RETAILER_ORDERS_QUERY (≈ 150 points each). */
export const ORDERS_PAGE = 6;

export interface GqlLine {
  id: string;
  sku: string | null;
  /** "Product - Variant" (the webhook's `name`). */
  name: string;
  quantity: number;
  variant: { id: string } | null;
  product: { id: string } | null;
  originalUnitPriceSet: { shopMoney: { amount: string } };
}
export interface GqlLines {
  nodes: GqlLine[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
export interface GqlRefund {
  refundLineItems: {
    nodes: { quantity: number; restockType: string; lineItem: { id: string } | null }[];
    pageInfo: { hasNextPage: boolean };
  };
}
export interface GqlOrder {
  id: string;
  name: string;
  email: string | null;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  displayFinancialStatus: string | null;
  currencyCode: string;
  totalPriceSet: { shopMoney: { amount: string } };
  customer: { firstName: string | null; lastName: string | null } | null;
  refunds: GqlRefund[];
  lineItems: GqlLines;
}

/** `updated_at` search term for `since` (ISO-8601), quoted as Shopify's search syntax wants for a timestamp. */
export const updatedSince = (since: string): string => `updated_at:>='${new Date(since).toISOString()}'`;

/**
 * A GraphQL order (with ALL its lines in `lines`) as the port's SalesOrder.
 * @param refunds the order's refunds; `complete` false when some refund had more lines than were read
 */
export function salesOrderOf(o: GqlOrder, lines: GqlLine[], refunds: GqlRefund[]): SalesOrder {
  const complete = refunds.every((r) => !r.refundLineItems.pageInfo.hasNextPage);
  const restocked = new Map<string, number>();
  for (const r of refunds)
    for (const rl of r.refundLineItems.nodes)
      if (rl.lineItem && rl.restockType !== "NO_RESTOCK")
        restocked.set(rl.lineItem.id, (restocked.get(rl.lineItem.id) ?? 0) + rl.quantity);
  const cancelled = !!o.cancelledAt;
  const name = [o.customer?.firstName, o.customer?.lastName].filter(Boolean).join(" ") || null;
  return {
    orderId: o.id,
    number: o.name,
    status: cancelled ? "cancelled" : (o.displayFinancialStatus?.toLowerCase() ?? "open"),
    currency: o.currencyCode,
    total: o.totalPriceSet.shopMoney.amount,
    createdAt: o.createdAt,
    modifiedAt: o.updatedAt ?? o.cancelledAt ?? o.createdAt,
    customer: { firstName: name, lastName: null, email: o.email ?? null },
    lines: lines.map((l): SalesOrderLine => ({
      lineId: l.id,
      productId: l.product?.id ?? l.variant?.id ?? l.id,
      variantId: l.variant?.id ?? null,
      sku: l.sku,
      quantity: l.quantity,
      price: l.originalUnitPriceSet.shopMoney.amount,
      title: l.name,
      stockTaken: cancelled ? 0 : complete ? Math.max(0, l.quantity - (restocked.get(l.id) ?? 0)) : null,
    })),
  };
}
