/**
 * SyncFlow's Shopify Flow triggers and actions: handles and fields, in one place. The extensions' TOML files
 * (extensions/syncflow-flow-*\/shopify.extension.toml) declare the same, and definitions.test.ts fails when
 * they drift. Pure, no I/O.
 *
 * Field types and payload keys follow Flow's trigger/action reference
 * (https://shopify.dev/docs/apps/build/flow/triggers/reference, …/actions/reference): a reference field
 * (`product_reference`) travels as `product_id` (the numeric id), other fields under their `key`.
 */

export interface FlowField {
  type: "product_reference" | "single_line_text_field" | "number_integer" | "url";
  key?: string;
  name?: string;
  description?: string;
  required?: boolean;
}
export interface FlowTriggerDefinition {
  handle: string;
  name: string;
  description: string;
  fields: FlowField[];
}
export interface FlowActionDefinition {
  handle: string;
  name: string;
  description: string;
  path: string;
  fields: FlowField[];
}

export const FLOW_TRIGGERS = {
  conflictRaised: {
    handle: "syncflow-conflict-raised",
    name: "Stock conflict raised",
    description: "A store's stock differs from what SyncFlow expects and needs a decision.",
    fields: [
      { type: "product_reference" },
      { type: "single_line_text_field", key: "SKU" },
      { type: "single_line_text_field", key: "Store" },
      { type: "number_integer", key: "Expected quantity" },
      { type: "number_integer", key: "Store quantity" },
      { type: "url", key: "Review URL" },
    ],
  },
  storeUnhealthy: {
    handle: "syncflow-store-unhealthy",
    name: "Sales channel unhealthy",
    description: "A connected store stopped answering or refused SyncFlow's credentials.",
    fields: [
      { type: "single_line_text_field", key: "Store" },
      { type: "url", key: "Store URL" },
      { type: "single_line_text_field", key: "Reason" },
    ],
  },
  outOfStockEverywhere: {
    handle: "syncflow-out-of-stock",
    name: "Item out of stock on every channel",
    description: "An item has 0 available on Shopify and on every linked store.",
    fields: [
      { type: "product_reference" },
      { type: "single_line_text_field", key: "SKU" },
      { type: "single_line_text_field", key: "Title" },
    ],
  },
  oversellPrevented: {
    handle: "syncflow-oversell-prevented",
    name: "Oversell prevented by allocation",
    description:
      "A store sold every unit allocated to it and now refuses further sales of the item, so it cannot oversell.",
    fields: [
      { type: "product_reference" },
      { type: "single_line_text_field", key: "SKU" },
      { type: "single_line_text_field", key: "Store" },
      { type: "number_integer", key: "Shopify available" },
    ],
  },
} as const satisfies Record<string, FlowTriggerDefinition>;

export const FLOW_ACTIONS = {
  syncItem: {
    handle: "syncflow-sync-item",
    name: "Sync product stock now",
    description: "Pushes the product's stock from Shopify to every sales channel SyncFlow keeps in sync.",
    path: "/flow/actions/sync-item",
    fields: [{ type: "product_reference", required: true }],
  },
  setBuffer: {
    handle: "syncflow-set-channel-buffer",
    name: "Set a sales channel's safety buffer",
    description:
      "Sets how many units SyncFlow holds back from a sales channel (its safety buffer) and pushes the new quantities.",
    path: "/flow/actions/set-channel-buffer",
    fields: [
      {
        type: "single_line_text_field",
        key: "store",
        name: "Store",
        description: "The store's name or address as shown on SyncFlow's Channels page",
        required: true,
      },
      {
        type: "number_integer",
        key: "buffer_units",
        name: "Buffer (units)",
        description: "Units held back, 0 to 1000",
        required: true,
      },
    ],
  },
} as const satisfies Record<string, FlowActionDefinition>;

/** Payload key of a field (`product_id` for product_reference, else its key). */
export function payloadKey(f: FlowField): string {
  const ref = /^(\w+)_reference$/.exec(f.type);
  return ref ? `${ref[1]}_id` : f.key!;
}

/** Numeric id of a Shopify GID (`gid://shopify/Product/123` → 123), or null. */
export function legacyId(gid: string | null | undefined): number | null {
  const m = /^gid:\/\/shopify\/\w+\/(\d{1,20})$/.exec(gid ?? "");
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : null;
}
