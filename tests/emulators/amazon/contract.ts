/**
 * What the emulated Selling Partner API accepts, written as zod schemas from the published contracts
 * (docs/decisions/250). Sources, read through the search tools on 2026-12-05:
 *  - amzn/selling-partner-api-models `models/listings-items-api-model/listingsItems_2021-08-01.json`
 *    (ListingsItemPatchRequest: productType + patches[≥1] of {op: add|replace|merge|delete, path, value?});
 *  - `models/orders-api-model/ordersV0.json` and the parameter docs of `@sp-api-sdk/orders-api-v0` 6.2.5
 *    (getOrders: MarketplaceIds required, ≤ 50; exactly one of CreatedAfter / LastUpdatedAfter; LastUpdatedBefore ≥
 *    LastUpdatedAfter and ≥ 2 minutes before now; MaxResultsPerPage 1–100);
 *  - `models/feeds-api-model/feeds_2021-06-30.json` (CreateFeedDocumentSpecification {contentType},
 *    CreateFeedSpecification {feedType, marketplaceIds[≥1], inputFeedDocumentId, feedOptions?});
 *  - `schemas/feeds/listings-feed-schema-v2.json` (JSON_LISTINGS_FEED: header {sellerId, version "2.0"}, messages
 *    1–10,000 of {messageId 1..2^31−1, sku, operationType UPDATE|PARTIAL_UPDATE|PATCH|DELETE, productType, patches})
 *    and `schemas/feeds/listings-feed-processing-report-schema-v2.json` (the report the emulator writes);
 *  - the per-operation usage plans (rate in requests per second, burst) the SDK packages publish as
 *    `clientRateLimits` — the same table the adapter paces itself with.
 * The schemas are transcribed (field names, bounds, enums), not copied.
 */
import { z } from "zod";

/** One JSON Patch operation of a listings item patch (listingsItems_2021-08-01 `PatchOperation`). */
export const PatchOperation = z.object({
  op: z.enum(["add", "replace", "merge", "delete"]),
  path: z.string().min(1),
  value: z.array(z.record(z.string(), z.unknown())).optional(),
});

/** `ListingsItemPatchRequest`. */
export const ListingsItemPatchRequest = z.object({
  productType: z.string().min(1),
  patches: z.array(PatchOperation).min(1),
});

/** A `fulfillment_availability` value entry as the attribute schema defines it (merchant-fulfilled: DEFAULT). */
export const FulfillmentAvailabilityValue = z.object({
  fulfillment_channel_code: z.string().min(1),
  quantity: z.number().int().min(0).optional(),
  marketplace_id: z.string().optional(),
});

/** `CreateFeedDocumentSpecification`. */
export const CreateFeedDocumentSpecification = z.object({ contentType: z.string().min(1) });

/** `CreateFeedSpecification`. */
export const CreateFeedSpecification = z.object({
  feedType: z.string().min(1),
  marketplaceIds: z.array(z.string().min(1)).min(1).max(25),
  inputFeedDocumentId: z.string().min(1),
  feedOptions: z.record(z.string(), z.string()).optional(),
});

/** One message of a JSON listings feed (listings-feed-schema-v2 `messages.items`, with its oneOf per operation). */
export const ListingsFeedMessage = z
  .object({
    messageId: z.number().int().min(1).max(2147483647),
    sku: z.string().min(1),
    operationType: z.enum(["UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE"]),
    productType: z.string().min(1).optional(),
    requirements: z.enum(["LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY"]).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    patches: z.array(PatchOperation).min(1).optional(),
  })
  .superRefine((m, ctx) => {
    const need = (k: "productType" | "attributes" | "patches") => {
      if (m[k] === undefined) ctx.addIssue({ code: "custom", message: `${k} is required for ${m.operationType}` });
    };
    const forbid = (k: "productType" | "attributes" | "patches" | "requirements") => {
      if (m[k] !== undefined) ctx.addIssue({ code: "custom", message: `${k} is not applicable to ${m.operationType}` });
    };
    const rules: Record<
      string,
      {
        need: ("productType" | "attributes" | "patches")[];
        forbid: ("productType" | "attributes" | "patches" | "requirements")[];
      }
    > = {
      UPDATE: { need: ["productType", "attributes"], forbid: ["patches"] },
      PARTIAL_UPDATE: { need: ["productType", "attributes"], forbid: ["patches", "requirements"] },
      PATCH: { need: ["productType", "patches"], forbid: ["attributes", "requirements"] },
      DELETE: { need: [], forbid: ["productType", "attributes", "patches", "requirements"] },
    };
    for (const k of rules[m.operationType]!.need) need(k);
    for (const k of rules[m.operationType]!.forbid) forbid(k);
  });

/** A JSON listings feed document (listings-feed-schema-v2). */
export const ListingsFeed = z.object({
  header: z.object({
    sellerId: z.string(),
    version: z.literal("2.0"),
    issueLocale: z.string().optional(),
  }),
  messages: z.array(z.unknown()).min(1).max(10_000),
});

/** ISO 8601 instant as the Orders API accepts it (a date-time Date.parse reads). */
export const isoInstant = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
  message: "must be an ISO 8601 date-time",
});

/**
 * The published usage plans (requests per second, burst) of the operations the emulator serves — the
 * `clientRateLimits` tables of `@sp-api-sdk/orders-api-v0` 6.2.5, `@sp-api-sdk/listings-items-api-2021-08-01` 6.3.3
 * and `@sp-api-sdk/feeds-api-2021-06-30` 4.1.5 (they carry the models' "Usage Plan" tables).
 */
export const USAGE_PLANS = {
  getOrders: { rate: 0.0167, burst: 20 },
  getOrder: { rate: 0.5, burst: 30 },
  getOrderItems: { rate: 0.5, burst: 30 },
  getListingsItem: { rate: 5, burst: 10 },
  patchListingsItem: { rate: 5, burst: 5 },
  searchListingsItems: { rate: 5, burst: 5 },
  createFeedDocument: { rate: 0.5, burst: 15 },
  createFeed: { rate: 0.0083, burst: 15 },
  getFeed: { rate: 2, burst: 15 },
  getFeedDocument: { rate: 0.0222, burst: 10 },
} as const;

export type SpOperation = keyof typeof USAGE_PLANS;
