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

/**
 * A retailer order's fulfilments (tracking) and open fulfilment order lines, for the orders hub pushback (issue 15).
 * Sized under Shopify's single-query ceiling (1,000 points): ≈ 20 × 11 + 5 × 51 ≈ 480.
 * Variables: id. https://shopify.dev/docs/api/admin-graphql/2026-10/objects/FulfillmentOrder
 */
export const RETAILER_FULFILMENT_STATE_QUERY = /* GraphQL */ `
  query SyncflowRetailerFulfilmentState($id: ID!) {
    order(id: $id) {
      id
      cancelledAt
      fulfillments(first: 20) {
        id
        status
        trackingInfo(first: 10) {
          company
          number
          url
        }
      }
      fulfillmentOrders(first: 5) {
        nodes {
          id
          status
          lineItems(first: 50) {
            nodes {
              id
              remainingQuantity
              lineItem {
                id
              }
            }
          }
        }
      }
    }
  }
`;

/**
 * Creates a fulfilment for fulfilment order lines with tracking. Variables: fulfillment (FulfillmentInput).
 * https://shopify.dev/docs/api/admin-graphql/2026-10/mutations/fulfillmentCreate — no idempotency key: the caller looks
 * for its tracking number on the order before any retry.
 */
export const FULFILLMENT_CREATE_MUTATION = /* GraphQL */ `
  mutation SyncflowFulfillmentCreate($fulfillment: FulfillmentInput!) {
    fulfillmentCreate(fulfillment: $fulfillment) {
      fulfillment {
        id
        status
      }
      userErrors {
        field
        message
      }
    }
  }
`;

/**
 * Replaces a fulfilment's tracking. Variables: fulfillmentId, trackingInfoInput, notifyCustomer.
 * https://shopify.dev/docs/api/admin-graphql/2026-10/mutations/fulfillmentTrackingInfoUpdate
 */
export const FULFILLMENT_TRACKING_UPDATE_MUTATION = /* GraphQL */ `
  mutation SyncflowFulfillmentTrackingUpdate(
    $fulfillmentId: ID!
    $trackingInfoInput: FulfillmentTrackingInput!
    $notifyCustomer: Boolean
  ) {
    fulfillmentTrackingInfoUpdate(
      fulfillmentId: $fulfillmentId
      trackingInfoInput: $trackingInfoInput
      notifyCustomer: $notifyCustomer
    ) {
      fulfillment {
        id
        status
      }
      userErrors {
        field
        message
      }
    }
  }
`;

/** Cancels a fulfilment (its units can be fulfilled again). Variables: id. …/mutations/fulfillmentCancel */
export const FULFILLMENT_CANCEL_MUTATION = /* GraphQL */ `
  mutation SyncflowFulfillmentCancel($id: ID!) {
    fulfillmentCancel(id: $id) {
      fulfillment {
        id
        status
      }
      userErrors {
        field
        message
      }
    }
  }
`;
