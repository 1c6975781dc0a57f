/**
 * Orders the app imports into the central shop and their fulfilments (issue 15, docs/decisions/215).
 * https://shopify.dev/docs/api/admin-graphql/2026-10/mutations/orderCreate — no idempotency key in 2026-10: the
 * caller looks its key (`sourceIdentifier`) up with ORDER_BY_SOURCE_QUERY before creating and before any retry.
 * https://shopify.dev/docs/api/admin-graphql/2026-10/mutations/orderCancel
 * https://shopify.dev/docs/api/admin-graphql/2026-10/objects/Fulfillment
 */

const ORDER_FIELDS = /* GraphQL */ `
  id
  name
  sourceIdentifier
  cancelledAt
  displayFinancialStatus
  displayFulfillmentStatus
`;

/** Orders whose `source_identifier` is `$query`'s term. Variables: query (search syntax), first. */
export const ORDER_BY_SOURCE_QUERY = /* GraphQL */ `
  query SyncflowOrderBySource($query: String!, $first: Int!) {
    orders(first: $first, query: $query) {
      nodes {
        ${ORDER_FIELDS}
      }
    }
  }
`;

/** Creates an order. Variables: order (OrderCreateOrderInput), options (OrderCreateOptionsInput). */
export const ORDER_CREATE_MUTATION = /* GraphQL */ `
  mutation SyncflowOrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
    orderCreate(order: $order, options: $options) {
      order {
        ${ORDER_FIELDS}
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/** Cancels an order. Variables: orderId, reason (OrderCancelReason), restock, notifyCustomer, staffNote. */
export const ORDER_CANCEL_MUTATION = /* GraphQL */ `
  mutation SyncflowOrderCancel(
    $orderId: ID!
    $reason: OrderCancelReason!
    $restock: Boolean!
    $notifyCustomer: Boolean
    $staffNote: String
  ) {
    orderCancel(
      orderId: $orderId
      reason: $reason
      restock: $restock
      notifyCustomer: $notifyCustomer
      refund: false
      staffNote: $staffNote
    ) {
      jobResult {
        done
        status
      }
      orderCancelUserErrors {
        field
        message
        code
      }
    }
  }
`;

/** One order's state and fulfilments with tracking and line quantities. Variables: id. */
export const ORDER_FULFILMENTS_QUERY = /* GraphQL */ `
  query SyncflowOrderFulfilments($id: ID!) {
    order(id: $id) {
      ${ORDER_FIELDS}
      fulfillments(first: 50) {
        id
        name
        status
        createdAt
        updatedAt
        trackingInfo(first: 20) {
          company
          number
          url
        }
        fulfillmentLineItems(first: 100) {
          nodes {
            quantity
            lineItem {
              id
              sku
              variant {
                id
              }
            }
          }
        }
      }
    }
  }
`;
