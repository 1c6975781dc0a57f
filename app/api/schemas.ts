/**
 * The merchant API's schemas (docs/decisions/283): the zod schemas that validate every request (query strings, bodies)
 * and describe every response. The OpenAPI 3.1 document (app/api/openapi.server.ts) is generated from these same
 * objects with zod's own `z.toJSONSchema` (JSON Schema 2020-12, the dialect of OpenAPI 3.1), so the document cannot
 * drift from what the API accepts. Quantities are in units, times ISO-8601 UTC. Pure: no I/O.
 */
import { z } from "zod";

/** Ledger causes (app/sync/stock/ledger.server.ts `LedgerCause`). */
export const LEDGER_CAUSES = [
  "order",
  "cancel",
  "refund",
  "webhook",
  "push",
  "reconcile",
  "manual",
  "initial",
  "allocate",
  "store",
] as const;

const id = z.string().min(1).max(64);
const sku = z
  .string()
  .min(1)
  .max(255)
  .meta({ description: "The SKU as the catalog holds it (matched case-insensitively)." });
const datetime = z.iso.datetime({ offset: true });
const locationId = z
  .string()
  .regex(/^gid:\/\/shopify\/Location\/\d+$/)
  .meta({ description: "A Shopify location GID, e.g. gid://shopify/Location/1." });

/** Paging of every list: `limit` rows (1–250, default 50) after the opaque `cursor` of the previous page. */
const paging = {
  cursor: z.string().max(200).optional().meta({ description: "`nextCursor` of the previous page." }),
  limit: z.coerce.number().int().min(1).max(250).default(50).meta({ description: "Rows per page (1–250)." }),
};

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "Error" });

// ---- inventory ----
export const InventoryQuery = z.strictObject({
  sku: sku.optional(),
  channelId: id.optional().meta({ description: "Only this channel's listings in `channels`." }),
  ...paging,
});

export const InventoryItem = z
  .object({
    itemId: z.string(),
    sku: z.string(),
    title: z.string(),
    tracked: z.boolean(),
    record: z.object({
      available: z.int().meta({ description: "Shopify available summed over the locations below." }),
      pendingSales: z.int().meta({
        description:
          "Units sold on sales channels (or adjusted through the API) not yet applied to Shopify (negative = leaving).",
      }),
      locations: z.array(
        z.object({ locationId: z.string(), name: z.string().nullable(), available: z.int(), observedAt: datetime }),
      ),
    }),
    channels: z.array(
      z.object({
        channelId: z.string(),
        name: z.string(),
        kind: z.string(),
        listingId: z.string(),
        quantity: z.int().nullable().meta({ description: "The channel's quantity as last seen or written." }),
        lastWrittenQuantity: z.int().nullable(),
        lastObservedQuantity: z.int().nullable(),
      }),
    ),
  })
  .meta({ id: "InventoryItem" });

export const InventoryPage = z.object({ data: z.array(InventoryItem), nextCursor: z.string().nullable() });

// ---- stock writes ----
export const AdjustmentRequest = z
  .strictObject({
    sku,
    delta: z
      .int()
      .min(-100_000)
      .max(100_000)
      .refine((d) => d !== 0, "delta must not be 0")
      .meta({ description: "Units to add (positive) or remove (negative); not 0." }),
    locationId: locationId.optional().meta({ description: "Defaults to the item's only location, else required." }),
    note: z.string().max(500).optional(),
  })
  .meta({ id: "AdjustmentRequest" });

export const AdjustmentResult = z
  .object({
    adjustmentId: z.string(),
    sku: z.string(),
    itemId: z.string(),
    locationId: z.string(),
    delta: z.int(),
    status: z.enum(["applied", "pending"]).meta({
      description: "applied: Shopify holds it (before/after given); pending: queued, applied by the sync engine's job.",
    }),
    before: z.int().nullable(),
    after: z.int().nullable(),
  })
  .meta({ id: "AdjustmentResult" });

export const SetRequest = z
  .strictObject({
    sku,
    quantity: z.int().min(0).max(1_000_000).meta({ description: "The new Shopify available, in units." }),
    expectedQuantity: z.int().min(-1_000_000).max(1_000_000).meta({
      description: "The available you read before (compare-and-set): a different current value is refused with 409.",
    }),
    locationId: locationId.optional(),
    note: z.string().max(500).optional(),
  })
  .meta({ id: "SetRequest" });

export const SetResult = z
  .object({
    sku: z.string(),
    itemId: z.string(),
    locationId: z.string(),
    status: z.literal("applied"),
    before: z.int(),
    after: z.int(),
  })
  .meta({ id: "SetResult" });

// ---- orders ----
export const OrdersQuery = z.strictObject({
  channelId: id.optional(),
  status: z.string().min(1).max(40).optional().meta({ description: "The order's status as its channel names it." }),
  placedAtMin: datetime.optional(),
  placedAtMax: datetime.optional(),
  ...paging,
});

export const Order = z
  .object({
    id: z.string(),
    channelId: z.string(),
    channelName: z.string(),
    externalId: z.string(),
    number: z.string(),
    status: z.string(),
    currency: z.string().nullable(),
    totalPrice: z.string().nullable().meta({ description: "Decimal string in `currency`." }),
    placedAt: datetime,
    cancelledAt: datetime.nullable(),
    importState: z.string().nullable(),
    lines: z.array(
      z.object({ sku: z.string().nullable(), title: z.string(), quantity: z.int(), price: z.string().nullable() }),
    ),
  })
  .meta({ id: "Order" });

export const OrdersPage = z.object({ data: z.array(Order), nextCursor: z.string().nullable() });

// ---- ledger ----
export const LedgerQuery = z.strictObject({
  sku: sku.optional(),
  cause: z.enum(LEDGER_CAUSES).optional(),
  since: datetime.optional(),
  until: datetime.optional(),
  ...paging,
});

export const LedgerEntry = z
  .object({
    id: z.string().meta({ description: "Increasing row id (decimal string)." }),
    itemId: z.string(),
    sku: z.string(),
    channelId: z.string().nullable(),
    locationId: z.string().nullable(),
    cause: z.string(),
    delta: z.int().nullable(),
    before: z.int().nullable(),
    after: z.int().nullable(),
    orderId: z.string().nullable(),
    actor: z.string(),
    note: z.string().nullable(),
    createdAt: datetime,
  })
  .meta({ id: "LedgerEntry" });

export const LedgerPage = z.object({ data: z.array(LedgerEntry), nextCursor: z.string().nullable() });

// ---- channels ----
export const ChannelHealth = z
  .object({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    status: z.string(),
    health: z.enum(["healthy", "degraded", "failing", "disconnected"]),
    healthReason: z.string().nullable(),
    mode: z.string(),
    lastSyncAt: datetime.nullable(),
    lastWebhookAt: datetime.nullable(),
    linkedListings: z.int(),
    unmatchedListings: z.int(),
    pendingJobs: z.int().nullable(),
    errorRate: z.number().min(0).max(1),
    failures24h: z.int(),
  })
  .meta({ id: "ChannelHealth" });

export const ChannelsList = z.object({ data: z.array(ChannelHealth) });

/** `Idempotency-Key` header: required on every write; 1–255 visible ASCII characters. */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/);
