/**
 * Inventory writes. From API 2026-04 both require `@idempotent(key:)` and an explicit `changeFromQuantity`
 * (null = no compare-and-swap) on every change; ≤ 250 changes per call.
 * https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventoryAdjustQuantities
 * https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities
 */

/** Relative change. Variables: input (InventoryAdjustQuantitiesInput), key (idempotency key). */
export const INVENTORY_ADJUST_MUTATION = /* GraphQL */ `
  mutation SyncflowInventoryAdjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
    inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
      inventoryAdjustmentGroup {
        id
        reason
        referenceDocumentUri
        changes {
          name
          delta
          quantityAfterChange
          item {
            id
          }
          location {
            id
          }
        }
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/** Absolute compare-and-set. Variables: input (InventorySetQuantitiesInput), key. */
export const INVENTORY_SET_MUTATION = /* GraphQL */ `
  mutation SyncflowInventorySet($input: InventorySetQuantitiesInput!, $key: String!) {
    inventorySetQuantities(input: $input) @idempotent(key: $key) {
      inventoryAdjustmentGroup {
        id
        reason
        referenceDocumentUri
        changes {
          name
          delta
          quantityAfterChange
          item {
            id
          }
          location {
            id
          }
        }
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/**
 * Move quantities between states at one location (e.g. `available` → `safety_stock`), compare-and-set on
 * both terminals. Variables: input (InventoryMoveQuantitiesInput), key. `@idempotent` required from 2026-04.
 * https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventoryMoveQuantities
 */
export const INVENTORY_MOVE_MUTATION = /* GraphQL */ `
  mutation SyncflowInventoryMove($input: InventoryMoveQuantitiesInput!, $key: String!) {
    inventoryMoveQuantities(input: $input) @idempotent(key: $key) {
      inventoryAdjustmentGroup {
        id
        reason
        referenceDocumentUri
        changes {
          name
          delta
          quantityAfterChange
          item {
            id
          }
          location {
            id
          }
        }
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;
