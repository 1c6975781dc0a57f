/**
 * Etsy Open API v3 request contracts the emulator holds SyncFlow to (docs/decisions/270), transcribed into zod schemas
 * (the project's schema-validation library). Sources, per rule:
 *  - the OpenAPI document Etsy publishes (`/openapi/generated/oas/3.0.0.json`), as generated into the `etsy-ts` 8.0.1
 *    package's `dist/api/data-contracts.d.ts` (`IUpdateListingInventoryPayload`, `IGetShopReceiptsParams`,
 *    `IGetListingsByShopParams`, `IShopReceipt`, `IShopReceiptTransaction`, `IListingInventory*`) — field names,
 *    required fields (non-optional members), enums and the `@min` / `@format` annotations;
 *  - Etsy's "Rate limits" essentials page (per-app QPS and QPD, the `x-limit-per-second`, `x-remaining-this-second`,
 *    `x-limit-per-day`, `x-remaining-today` and `retry-after` headers; defaults 10/s and 10,000/day);
 *  - Etsy's "Authentication" essentials page (OAuth 2.0 authorization code grant with PKCE S256, the token endpoint
 *    `/v3/public/oauth/token`, access tokens of 3,600 s prefixed with the user id, refresh tokens of 90 days);
 *  - the `etsy-ts` 7.0 changelog: since 2026-01-18 the `x-api-key` header is `<keystring>:<shared secret>`.
 * Bounds the payload schema does not state are Etsy's listing-form limits as its inventory endpoint enforces them:
 * quantity 0–999 per offering, price 0.20–50,000.00, SKU ≤ 32 characters, exactly one offering per product.
 */
import { z } from "zod";

/** Default per-application limits (Etsy "Rate limits": a new app gets 10 requests per second and 10,000 per day). */
export const DEFAULT_QPS = 10;
export const DEFAULT_QPD = 10_000;

/** `IUpdateListingInventoryPayload.products[].property_values[]` — no other fields (GET's `scale_name` is read-only). */
export const PropertyValueInput = z
  .object({
    property_id: z.number().int().min(1),
    value_ids: z.array(z.number().int()),
    scale_id: z.number().int().min(1).nullable().optional(),
    property_name: z.string().optional(),
    values: z.array(z.string().refine((s) => !/[()]/.test(s), "parenthesis characters are not allowed")),
  })
  .strict();

/**
 * `IUpdateListingInventoryPayload.products[].offerings[]`: price is a float (amount / divisor), NOT the Money object
 * the GET answers; `readiness_state_id` is a required member (nullable). `offering_id` / `is_deleted` are read-only.
 */
export const OfferingInput = z
  .object({
    price: z.number().min(0.2, "price must be at least 0.20").max(50_000, "price must be at most 50000"),
    quantity: z
      .number()
      .int()
      .min(0, "quantity must be between 0 and 999")
      .max(999, "quantity must be between 0 and 999"),
    is_enabled: z.boolean(),
    readiness_state_id: z.number().int().min(1).nullable().optional(),
  })
  .strict();

/** `IUpdateListingInventoryPayload.products[]` — `product_id` / `is_deleted` are read-only (GET only). */
export const ProductInput = z
  .object({
    sku: z.string().max(32, "sku must be at most 32 characters").nullable().optional(),
    property_values: z.array(PropertyValueInput).optional(),
    offerings: z.array(OfferingInput).length(1, "each product takes exactly one offering"),
  })
  .strict();

/** `IUpdateListingInventoryPayload` — the WHOLE inventory of a listing (a PUT replaces every product). */
export const UpdateListingInventoryPayload = z
  .object({
    products: z.array(ProductInput).min(1, "products: at least one product is required"),
    price_on_property: z.array(z.number().int()).optional(),
    quantity_on_property: z.array(z.number().int()).optional(),
    sku_on_property: z.array(z.number().int()).optional(),
    readiness_state_on_property: z.array(z.number().int()).nullable().optional(),
  })
  .strict();
export type UpdateListingInventoryPayload = z.infer<typeof UpdateListingInventoryPayload>;

const intParam = (min: number, max?: number) =>
  z.coerce
    .number()
    .int()
    .min(min)
    .max(max ?? Number.MAX_SAFE_INTEGER);

/** `IGetShopReceiptsParams` (query): epoch seconds; limit 1–100 (default 25); offset ≥ 0. */
export const GetShopReceiptsQuery = z.object({
  min_created: intParam(946684800).optional(),
  max_created: intParam(946684800).optional(),
  min_last_modified: intParam(946684800).optional(),
  max_last_modified: intParam(946684800).optional(),
  limit: intParam(1, 100).default(25),
  offset: intParam(0).default(0),
  sort_on: z.enum(["created", "updated", "receipt_id"]).default("created"),
  sort_order: z.enum(["asc", "ascending", "desc", "descending", "up", "down"]).default("desc"),
  was_paid: z.enum(["true", "false"]).optional(),
  was_shipped: z.enum(["true", "false"]).optional(),
  was_delivered: z.enum(["true", "false"]).optional(),
  was_canceled: z.enum(["true", "false"]).optional(),
});

/** `IGetListingsByShopParams` (query): limit 1–100 (default 25); `includes` may name Inventory. */
export const GetListingsByShopQuery = z.object({
  state: z.enum(["active", "inactive", "sold_out", "draft", "expired"]).default("active"),
  limit: intParam(1, 100).default(25),
  offset: intParam(0).default(0),
  sort_on: z.enum(["created", "price", "updated", "score"]).default("created"),
  sort_order: z.enum(["asc", "ascending", "desc", "descending", "up", "down"]).default("desc"),
  includes: z.string().optional(),
});

/** OAuth scopes SyncFlow asks for (Etsy "Authentication" → scopes). */
export const SCOPES = ["listings_r", "listings_w", "transactions_r", "shops_r"] as const;
