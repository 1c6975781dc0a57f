/** Every Admin GraphQL query the app sends (validated against the 2026-10 schema in documents.test.ts). */

/** Shop identity for verifyConnection. Cost 1. */
export const SHOP_QUERY = /* GraphQL */ `
  query SyncflowShop {
    shop {
      id
      name
      myshopifyDomain
      currencyCode
    }
  }
`;

/** Locations page. Variables: first (≤250), after. */
export const LOCATIONS_QUERY = /* GraphQL */ `
  query SyncflowLocations($first: Int!, $after: String) {
    locations(first: $first, after: $after) {
      nodes {
        id
        name
        isActive
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

/**
 * Variant listing page. Variables: first, after, levels (inventory levels per item), query (search syntax).
 * Cost ≈ 2 + first × (5 + 3 × levels) points: the client sizes `first` to stay under 1000.
 */
export const VARIANTS_QUERY = /* GraphQL */ `
  query SyncflowVariants($first: Int!, $after: String, $levels: Int!, $query: String) {
    productVariants(first: $first, after: $after, query: $query) {
      nodes {
        id
        sku
        title
        displayName
        price
        updatedAt
        product {
          id
          title
        }
        inventoryItem {
          id
          tracked
          inventoryLevels(first: $levels) {
            nodes {
              location {
                id
              }
              quantities(names: ["available"]) {
                name
                quantity
              }
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

/** Available for specific inventory items (≤250 ids) across their levels. */
export const INVENTORY_ITEMS_AVAILABLE_QUERY = /* GraphQL */ `
  query SyncflowAvailable($ids: [ID!]!, $levels: Int!) {
    nodes(ids: $ids) {
      ... on InventoryItem {
        id
        inventoryLevels(first: $levels) {
          nodes {
            location {
              id
            }
            quantities(names: ["available"]) {
              name
              quantity
            }
          }
        }
      }
    }
  }
`;

/** Named quantities (e.g. available + safety_stock) for specific inventory items (≤250 ids) across their levels. */
export const INVENTORY_ITEMS_QUANTITIES_QUERY = /* GraphQL */ `
  query SyncflowQuantities($ids: [ID!]!, $levels: Int!, $names: [String!]!) {
    nodes(ids: $ids) {
      ... on InventoryItem {
        id
        inventoryLevels(first: $levels) {
          nodes {
            location {
              id
            }
            quantities(names: $names) {
              name
              quantity
            }
          }
        }
      }
    }
  }
`;

/**
 * Unit cost of specific inventory items (≤250 ids; analytics' daily inventory-value snapshot, issue 18). Shopify keeps
 * only the CURRENT `InventoryItem.unitCost` (MoneyV2, null when no cost is set), so history is SyncFlow's own snapshot.
 * Cost ≈ 1 + 1 per item.
 */
export const INVENTORY_ITEMS_UNIT_COST_QUERY = /* GraphQL */ `
  query SyncflowUnitCosts($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on InventoryItem {
        id
        unitCost {
          amount
          currencyCode
        }
      }
    }
  }
`;
