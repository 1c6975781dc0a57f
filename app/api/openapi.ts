/**
 * The merchant API's operations and its OpenAPI 3.1 document (docs/decisions/283), generated from the zod schemas that
 * validate the requests (app/api/schemas.ts) with zod's `z.toJSONSchema` (JSON Schema 2020-12 = OpenAPI 3.1's dialect).
 * Each schema's named parts (`.meta({ id })`) become `components.schemas`; query objects become one parameter per
 * property. Served at GET /api/v1/openapi.json and rendered by GET /api/v1/docs. Pure: no I/O.
 */
import { z } from "zod";
import {
  AdjustmentRequest,
  AdjustmentResult,
  ChannelsList,
  ErrorBody,
  InventoryPage,
  InventoryQuery,
  LedgerPage,
  LedgerQuery,
  OrdersPage,
  OrdersQuery,
  SetRequest,
  SetResult,
} from "./schemas";

/** One operation of the API: what it needs and what it answers (the same objects the handlers validate with). */
export interface ApiOperation {
  operationId: string;
  method: "get" | "post";
  /** Path under /api/v1. */
  path: string;
  summary: string;
  description: string;
  scope: "read" | "read_write";
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Write operations require the `Idempotency-Key` header. */
  idempotent?: boolean;
  /** Success status → schema. */
  responses: Record<number, { description: string; schema: z.ZodType }>;
  /** Error statuses this operation may answer besides 400/401/403/429. */
  errors?: Record<number, string>;
}

export const OPERATIONS: ApiOperation[] = [
  {
    operationId: "listInventory",
    method: "get",
    path: "/inventory",
    summary: "Inventory per SKU and channel",
    description:
      "Each catalog item (SKU) with Shopify's available per location (the record), the sales not yet applied to Shopify, and each linked channel's quantity. Ordered by item id; paged.",
    scope: "read",
    query: InventoryQuery,
    responses: { 200: { description: "A page of items.", schema: InventoryPage } },
  },
  {
    operationId: "adjustInventory",
    method: "post",
    path: "/inventory/adjustments",
    summary: "Adjust a SKU's stock by a delta",
    description:
      "Adds or removes units of Shopify available at one location through SyncFlow's sync engine (the same path as a sale on a sales channel: compare-and-set on Shopify, a ledger row with cause `manual`, then every linked channel is updated). Requires `Idempotency-Key`: a retry with the same key returns the first answer and moves stock once.",
    scope: "read_write",
    body: AdjustmentRequest,
    idempotent: true,
    responses: {
      200: { description: "Applied to Shopify.", schema: AdjustmentResult },
      202: { description: "Accepted; the sync engine applies it (retried, never dropped).", schema: AdjustmentResult },
    },
    errors: {
      404: "Unknown SKU or location.",
      409: "A request with this key is still running.",
      422: "Idempotency key reused with another request.",
    },
  },
  {
    operationId: "setInventory",
    method: "post",
    path: "/inventory/sets",
    summary: "Set a SKU's stock (compare-and-set)",
    description:
      "Sets Shopify available at one location to `quantity` only when it is still `expectedQuantity` (compare-and-set on Shopify, GUIDE §2). A different current value is refused with 409 and `details.currentQuantity`. Recorded in the ledger (cause `manual`) and pushed to every linked channel. Requires `Idempotency-Key`.",
    scope: "read_write",
    body: SetRequest,
    idempotent: true,
    responses: { 200: { description: "Set on Shopify.", schema: SetResult } },
    errors: {
      404: "Unknown SKU or location.",
      409: "The current quantity is not `expectedQuantity` (details.currentQuantity), or a request with this key is still running.",
      422: "Idempotency key reused with another request.",
    },
  },
  {
    operationId: "listOrders",
    method: "get",
    path: "/orders",
    summary: "Orders from every channel",
    description: "Orders the hub holds, newest first; filter by channel, status and placed time. Paged.",
    scope: "read",
    query: OrdersQuery,
    responses: { 200: { description: "A page of orders.", schema: OrdersPage } },
  },
  {
    operationId: "listLedger",
    method: "get",
    path: "/ledger",
    summary: "Stock ledger",
    description: "Every stock movement the hub observed or made, newest first; filter by SKU, cause and time. Paged.",
    scope: "read",
    query: LedgerQuery,
    responses: { 200: { description: "A page of ledger rows.", schema: LedgerPage } },
  },
  {
    operationId: "listChannels",
    method: "get",
    path: "/channels",
    summary: "Channels and their health",
    description: "Every connected channel with its health as the dashboard shows it (status, last sync, error rate).",
    scope: "read",
    responses: { 200: { description: "The shop's channels.", schema: ChannelsList } },
  },
];

const ERROR_TEXT: Record<number, string> = {
  400: "Invalid request (`details` lists each problem).",
  401: "Missing, unknown or revoked API key.",
  403: "The key's scope or the shop's plan does not allow this.",
  429: "Rate limit reached (Retry-After, s).",
};

type Json = Record<string, unknown>;

/** JSON Schema of `schema` with its named parts hoisted into `defs` and refs pointed at components. */
function toSchema(schema: z.ZodType, io: "input" | "output", defs: Json): Json {
  const out = z.toJSONSchema(schema, { io, target: "draft-2020-12" }) as Json;
  const local = (out.$defs ?? {}) as Json;
  delete out.$defs;
  delete out.$schema;
  const fix = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === "object") {
      const o: Json = {};
      for (const [k, x] of Object.entries(v))
        o[k] = k === "$ref" && typeof x === "string" ? x.replace("#/$defs/", "#/components/schemas/") : fix(x);
      return o;
    }
    return v;
  };
  for (const [k, v] of Object.entries(local)) defs[k] = fix(v);
  return fix(out) as Json;
}

let cached: Json | null = null;

/** The OpenAPI 3.1 document of the API (built once per process). `serverUrl`: the app's origin + /api/v1. */
export function openApiDocument(serverUrl = "/api/v1"): Json {
  if (!cached) cached = build();
  return { ...cached, servers: [{ url: serverUrl }] };
}

function build(): Json {
  const defs: Json = {};
  const errorRef = { $ref: "#/components/schemas/Error" };
  toSchema(ErrorBody, "output", defs); // registers components.schemas.Error
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) {
    const parameters: Json[] = [];
    if (op.query) {
      const q = toSchema(op.query, "input", defs);
      const props = (q.properties ?? {}) as Record<string, Json>;
      const required = new Set((q.required ?? []) as string[]);
      for (const [name, schema] of Object.entries(props)) {
        const { description, ...rest } = schema;
        parameters.push({
          name,
          in: "query",
          required: required.has(name),
          ...(description ? { description } : {}),
          schema: rest,
        });
      }
    }
    if (op.idempotent)
      parameters.push({
        name: "Idempotency-Key",
        in: "header",
        required: true,
        description:
          "Unique per intended change (e.g. a UUID). Resending the same key returns the first answer; the change happens once. Kept 7 days.",
        schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,255}$" },
      });
    const responses: Json = {};
    for (const [status, r] of Object.entries(op.responses))
      responses[status] = {
        description: r.description,
        content: { "application/json": { schema: toSchema(r.schema, "output", defs) } },
      };
    const errors = { ...ERROR_TEXT, ...(op.errors ?? {}) };
    for (const [status, description] of Object.entries(errors))
      responses[status] = {
        description,
        ...(status === "429" ? { headers: { "Retry-After": { schema: { type: "integer" } } } } : {}),
        content: { "application/json": { schema: errorRef } },
      };
    paths[op.path] = {
      ...(paths[op.path] ?? {}),
      [op.method]: {
        operationId: op.operationId,
        summary: op.summary,
        description: `${op.description}\n\nScope: \`${op.scope}\`.`,
        security: [{ bearer: [] }],
        ...(parameters.length ? { parameters } : {}),
        ...(op.body
          ? {
              requestBody: {
                required: true,
                content: { "application/json": { schema: toSchema(op.body, "input", defs) } },
              },
            }
          : {}),
        responses,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "SyncFlow merchant API",
      version: "1.0.0",
      description:
        "Read and move your stock, read orders, the stock ledger and channel health. Authenticate with `Authorization: Bearer <key>` (SyncFlow → Settings → API; Enterprise plan). Every key is limited per minute (429 with Retry-After). Writes require an `Idempotency-Key` header.",
    },
    paths,
    components: {
      schemas: defs,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A SyncFlow API key (sf_live_…)." } },
    },
  };
}
