/**
 * Bulk operations (https://shopify.dev/docs/api/usage/bulk-operations/queries, Admin 2026-10):
 * start with `bulkOperationRunQuery` (10 points; the run itself is not charged to the bucket), poll the
 * operation with `bulkOperation(id:)` (`currentBulkOperation` is deprecated in 2026-10), then download the
 * JSONL at `url`. Nodes of a nested connection are separate JSONL lines carrying `__parentId`.
 */

/** Starts a bulk query. Variables: query (the bulk query document as a string). */
export const BULK_RUN_QUERY_MUTATION = /* GraphQL */ `
  mutation SyncflowBulkRunQuery($query: String!) {
    bulkOperationRunQuery(query: $query) {
      bulkOperation {
        id
        status
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/** Polls one bulk operation. Variables: id. Cost 1. */
export const BULK_OPERATION_QUERY = /* GraphQL */ `
  query SyncflowBulkOperation($id: ID!) {
    bulkOperation(id: $id) {
      id
      status
      errorCode
      objectCount
      rootObjectCount
      fileSize
      url
      partialDataUrl
      completedAt
    }
  }
`;

/** Cancels a bulk operation (used when the caller gives up waiting). Variables: id. */
export const BULK_CANCEL_MUTATION = /* GraphQL */ `
  mutation SyncflowBulkCancel($id: ID!) {
    bulkOperationCancel(id: $id) {
      bulkOperation {
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
 * The bulk query itself (sent as a string to BULK_RUN_QUERY_MUTATION): every inventory item with the
 * `available` quantity of each of its levels. JSONL: one `{"id":"gid://shopify/InventoryItem/…"}` line per
 * item, then one `{"location":{"id":…},"quantities":[{"name":"available","quantity":n}],"__parentId":<item id>}`
 * line per level.
 */
export const BULK_INVENTORY_AVAILABLE_QUERY = /* GraphQL */ `
  query SyncflowBulkInventoryAvailable {
    inventoryItems {
      edges {
        node {
          id
          inventoryLevels {
            edges {
              node {
                location {
                  id
                }
                quantities(names: ["available", "safety_stock"]) {
                  name
                  quantity
                }
              }
            }
          }
        }
      }
    }
  }
`;
