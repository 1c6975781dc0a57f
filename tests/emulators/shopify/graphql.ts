/**
 * Admin GraphQL execution for the emulator: parse + validate against the real schema (dev-mcp
 * introspection), cost/leaky-bucket throttling, and resolvers for the fields SyncFlow uses. Inventory
 * mutations follow the 2026-04+ rules: `@idempotent(key:)` required, `changeFromQuantity` required on every
 * change (null = no check), stale → userError CHANGE_FROM_QUANTITY_STALE and nothing applied, ≤ 250 items,
 * documented `reason` values, `referenceDocumentUri` kept.
 */
import {
  execute,
  getDirectiveValues,
  GraphQLError,
  parse,
  validate,
  Kind,
  type DocumentNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { actualCost, MAX_SINGLE_QUERY_COST, refill, requestedCost } from "./cost.js";
import type { BulkOperations } from "./bulk.js";
import { orderTotal } from "./payloads.js";
import {
  gidNum,
  levelKey,
  type EmuShop,
  type EmuStore,
  type EmuVariant,
  type EmuOrder,
  type EmuOrderLine,
  type EmuLevel,
  type EmuInventoryItem,
  type EmuLocation,
  type EmuProduct,
} from "./store.js";

/** Reasons documented for inventory quantity changes (shopify.dev … manage-quantities-states#set-inventory-quantities-on-hand). */
export const INVENTORY_REASONS = new Set([
  "correction",
  "cycle_count_available",
  "damaged",
  "movement_canceled",
  "movement_created",
  "movement_received",
  "movement_updated",
  "other",
  "promotion",
  "quality_control",
  "received",
  "reservation_created",
  "reservation_deleted",
  "reservation_updated",
  "restock",
  "safety_stock",
  "shrinkage",
]);
const QUANTITY_NAMES = new Set([
  "available",
  "on_hand",
  "committed",
  "incoming",
  "reserved",
  "damaged",
  "safety_stock",
  "quality_control",
]);

type Obj = Record<string, unknown>;
export interface GraphqlResult {
  status: number;
  body: Obj;
}
export interface ThrottleConfig {
  restoreRate: number;
  bucketSize: number;
}

const b64 = (s: string) => Buffer.from(s).toString("base64url");
const unb64 = (s: string) => Buffer.from(s, "base64url").toString("utf8");
const iso = (ms: number) => new Date(ms).toISOString();

/** True while a bulk operation executes: connections then return every node (bulk ignores first/last). */
let unboundedConnections = false;
/** Runs `fn` with connections unbounded (bulk operations). */
export function withUnboundedConnections<T>(fn: () => T): T {
  unboundedConnections = true;
  try {
    return fn();
  } finally {
    unboundedConnections = false;
  }
}

function connection<T>(items: T[], args: Obj, view: (t: T) => Obj, cursorOf: (t: T) => string): Obj {
  if (unboundedConnections && typeof args.after !== "string") {
    const edges = items.map((t) => ({ cursor: b64(cursorOf(t)), node: view(t) }));
    return {
      edges,
      nodes: edges.map((e) => e.node),
      pageInfo: {
        hasNextPage: false,
        hasPreviousPage: false,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }
  const first = args.first as number | undefined;
  const last = args.last as number | undefined;
  if (first == null && last == null)
    throw new GraphQLError("you must provide one of first or last", { extensions: { code: "BAD_REQUEST" } });
  const n = (first ?? last)!;
  if (n > 250 || n < 0)
    throw new GraphQLError(`The maximum number of nodes requested is 250 (got ${n})`, {
      extensions: { code: "BAD_REQUEST" },
    });
  let start = 0;
  if (typeof args.after === "string") {
    const after = unb64(args.after);
    const idx = items.findIndex((t) => cursorOf(t) === after);
    start = idx + 1;
  }
  let slice: T[];
  let hasNext = false;
  let hasPrev = start > 0;
  if (first != null) {
    slice = items.slice(start, start + first);
    hasNext = start + first < items.length;
  } else {
    const all = items.slice(start);
    slice = all.slice(Math.max(0, all.length - last!));
    hasPrev = all.length > last! || start > 0;
  }
  const edges = slice.map((t) => ({ cursor: b64(cursorOf(t)), node: view(t) }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: {
      hasNextPage: hasNext,
      hasPreviousPage: hasPrev,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** Parse `sku:ABC` / `sku:"A B"` / `product_id:1` terms of Shopify search syntax (others ignored). */
export function searchTerms(q: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (typeof q !== "string") return out;
  const re = /(\w+):(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))/g;
  for (const m of q.matchAll(re))
    (out[m[1]!.toLowerCase()] ??= []).push((m[2] ?? m[3] ?? m[4] ?? "").replace(/\\(.)/g, "$1"));
  return out;
}

/** Builds resolver views over one shop's state. */
export class Views {
  private levelsByItem: Map<number, EmuLevel[]> | null = null;
  private indexedSize = -1;
  constructor(readonly shop: EmuShop) {}
  /** Levels of an inventory item (index built once per request: O(levels) instead of O(levels) per item). */
  levelsOf(itemId: number): EmuLevel[] {
    if (!this.levelsByItem || this.indexedSize !== this.shop.levels.size) {
      this.levelsByItem = new Map();
      this.indexedSize = this.shop.levels.size;
      for (const l of this.shop.levels.values()) {
        const list = this.levelsByItem.get(l.itemId);
        if (list) list.push(l);
        else this.levelsByItem.set(l.itemId, [l]);
      }
    }
    return this.levelsByItem.get(itemId) ?? [];
  }
  location(l: EmuLocation): Obj {
    return { __typename: "Location", id: l.gid, legacyResourceId: String(l.id), name: l.name, isActive: l.isActive };
  }
  product(p: EmuProduct): Obj {
    return {
      __typename: "Product",
      id: p.gid,
      legacyResourceId: String(p.id),
      title: p.title,
      handle: p.handle,
      productType: p.productType,
      createdAt: iso(p.createdAt),
      updatedAt: iso(p.updatedAt),
      status: "ACTIVE",
      variants: (args: Obj) =>
        connection(
          p.variantIds.map((id) => this.shop.variants.get(id)!),
          args,
          (v) => this.variant(v),
          (v) => String(v.id),
        ),
      totalInventory: p.variantIds.reduce(
        (s, id) => s + this.totalAvailable(this.shop.variants.get(id)!.inventoryItemId),
        0,
      ),
    };
  }
  totalAvailable(itemId: number): number {
    let t = 0;
    for (const l of this.levelsOf(itemId)) t += l.available;
    return t;
  }
  variant(v: EmuVariant): Obj {
    const p = this.shop.products.get(v.productId)!;
    return {
      __typename: "ProductVariant",
      id: v.gid,
      legacyResourceId: String(v.id),
      sku: v.sku,
      title: v.title,
      price: v.price,
      displayName: `${p.title} - ${v.title}`,
      createdAt: iso(v.createdAt),
      updatedAt: iso(v.updatedAt),
      inventoryQuantity: this.totalAvailable(v.inventoryItemId),
      product: () => this.product(p),
      inventoryItem: () => this.item(this.shop.inventoryItems.get(v.inventoryItemId)!),
    };
  }
  /**
   * An Order as Admin GraphQL 2026-10 shows it (the fields the emulator can back): header, money in the shop currency,
   * line items (`currentQuantity` = quantity − refunded) and refunds with their refund line items (`restockType`).
   */
  order(o: EmuOrder): Obj {
    const money = (amount: string) => ({
      __typename: "MoneyBag",
      shopMoney: { __typename: "MoneyV2", amount, currencyCode: o.currency },
      presentmentMoney: { __typename: "MoneyV2", amount, currencyCode: o.currency },
    });
    const lineView = (l: EmuOrderLine): Obj => {
      const v = l.variantId === null ? undefined : this.shop.variants.get(l.variantId);
      const p = l.productId === null ? undefined : this.shop.products.get(l.productId);
      return {
        __typename: "LineItem",
        id: l.gid,
        sku: l.sku,
        title: l.title,
        variantTitle: l.variantTitle,
        name: l.variantTitle ? `${l.title} - ${l.variantTitle}` : l.title,
        quantity: l.quantity,
        currentQuantity: l.quantity - l.refundedQuantity,
        refundableQuantity: l.quantity - l.refundedQuantity,
        originalUnitPriceSet: money(l.price),
        variant: () => (v ? this.variant(v) : null),
        product: () => (p ? this.product(p) : null),
      };
    };
    const restockTypes = { cancel: "CANCEL", return: "RETURN", no_restock: "NO_RESTOCK" } as const;
    return {
      __typename: "Order",
      id: o.gid,
      legacyResourceId: String(o.id),
      name: o.name,
      email: o.email,
      createdAt: iso(o.createdAt),
      updatedAt: iso(o.updatedAt),
      processedAt: iso(o.createdAt),
      cancelledAt: o.cancelledAt ? iso(o.cancelledAt) : null,
      cancelReason: o.cancelledAt ? (o.cancelReason ?? "other").toUpperCase() : null,
      currencyCode: o.currency,
      displayFinancialStatus: o.cancelledAt ? "VOIDED" : "PAID",
      totalPriceSet: money(orderTotal(o).toFixed(2)),
      customer: () => ({
        __typename: "Customer",
        id: `gid://shopify/Customer/${o.customer.id}`,
        firstName: o.customer.firstName,
        lastName: o.customer.lastName,
        displayName: `${o.customer.firstName} ${o.customer.lastName}`,
      }),
      lineItems: (args: Obj) => connection(o.lines, args, lineView, (l) => String(l.id)),
      refunds: (args: Obj) =>
        o.refunds.slice(0, typeof args.first === "number" ? args.first : undefined).map((r) => ({
          __typename: "Refund",
          id: `gid://shopify/Refund/${r.id}`,
          createdAt: iso(r.createdAt),
          note: r.note,
          refundLineItems: (a: Obj) =>
            connection(
              r.lines,
              a,
              (rl) => ({
                __typename: "RefundLineItem",
                id: `gid://shopify/RefundLineItem/${rl.id}`,
                quantity: rl.quantity,
                restockType: restockTypes[rl.restockType],
                restocked: rl.restockType !== "no_restock",
                lineItem: () => lineView(o.lines.find((l) => l.id === rl.lineItemId)!),
              }),
              (rl) => String(rl.id),
            ),
        })),
    };
  }
  item(i: EmuInventoryItem): Obj {
    const levels = () => this.levelsOf(i.id);
    const v = this.shop.variants.get(i.variantId)!;
    return {
      __typename: "InventoryItem",
      id: i.gid,
      legacyResourceId: String(i.id),
      tracked: i.tracked,
      sku: v.sku,
      unitCost: i.unitCost
        ? { __typename: "MoneyV2", amount: i.unitCost.amount, currencyCode: i.unitCost.currencyCode }
        : null,
      createdAt: iso(v.createdAt),
      updatedAt: iso(v.updatedAt),
      requiresShipping: true,
      variant: () => this.variant(v),
      inventoryLevels: (args: Obj) =>
        connection(
          levels(),
          args,
          (l) => this.level(l),
          (l) => String(l.locationId),
        ),
      inventoryLevel: (args: Obj) => {
        const l = this.shop.levels.get(levelKey(i.id, gidNum(String(args.locationId), "Location")));
        return l ? this.level(l) : null;
      },
    };
  }
  level(l: EmuLevel): Obj {
    const id = `gid://shopify/InventoryLevel/${l.locationId}?inventory_item_id=${l.itemId}`;
    return {
      __typename: "InventoryLevel",
      id,
      isActive: true,
      canDeactivate: false,
      deactivationAlert: null,
      createdAt: iso(l.updatedAt),
      updatedAt: iso(l.updatedAt),
      location: () => this.location(this.shop.locations.get(l.locationId)!),
      item: () => this.item(this.shop.inventoryItems.get(l.itemId)!),
      quantities: (args: Obj) =>
        (args.names as string[]).map((name) => {
          if (!QUANTITY_NAMES.has(name))
            throw new GraphQLError(`Invalid quantity name: ${name}`, { extensions: { code: "BAD_REQUEST" } });
          const q =
            name === "available"
              ? l.available
              : name === "committed"
                ? l.committed
                : name === "safety_stock"
                  ? (l.safetyStock ?? 0)
                  : name === "on_hand"
                    ? l.available + l.committed + (l.safetyStock ?? 0)
                    : 0;
          return {
            __typename: "InventoryQuantity",
            id: `gid://shopify/InventoryQuantity/${l.locationId}?inventory_item_id=${l.itemId}&name=${name}`,
            name,
            quantity: q,
            updatedAt: iso(l.updatedAt),
          };
        }),
    };
  }
  node(id: string): Obj | null {
    const m = /^gid:\/\/shopify\/(\w+)\/(\d+)(?:\?inventory_item_id=(\d+))?$/.exec(id);
    if (!m) return null;
    const n = Number(m[2]);
    switch (m[1]) {
      case "ProductVariant": {
        const v = this.shop.variants.get(n);
        return v ? this.variant(v) : null;
      }
      case "Product": {
        const p = this.shop.products.get(n);
        return p ? this.product(p) : null;
      }
      case "InventoryItem": {
        const i = this.shop.inventoryItems.get(n);
        return i ? this.item(i) : null;
      }
      case "Location": {
        const l = this.shop.locations.get(n);
        return l ? this.location(l) : null;
      }
      case "Order": {
        const o = this.shop.orders.get(n);
        return o ? this.order(o) : null;
      }
      case "InventoryLevel": {
        const l = this.shop.levels.get(levelKey(Number(m[3]), n));
        return l ? this.level(l) : null;
      }
      default:
        return null;
    }
  }
}

/** Root fields added by other emulator modules (apps.ts: billing and Flow). */
export interface ExtraRoots {
  queryFields(shop: EmuShop): Obj;
  mutationFields(shop: EmuShop): Obj;
}

interface Change {
  itemId: number;
  locationId: number;
  delta: number;
  cfq: number | null;
  ledger?: string | null;
  index: number;
}

/** Executes Admin GraphQL requests against an EmuStore. */
export class GraphqlEngine {
  private groupSeq = 0;
  constructor(
    private readonly store: EmuStore,
    readonly schema: GraphQLSchema,
    private readonly bulk?: BulkOperations,
    private readonly extra?: ExtraRoots,
  ) {}

  /** Parse/validate/cost/execute. Returns HTTP status 200 and a Shopify-shaped body in all GraphQL cases. */
  run(
    shop: EmuShop,
    body: { query?: unknown; variables?: unknown; operationName?: unknown },
    throttle: ThrottleConfig,
    forceThrottle: boolean,
  ): GraphqlResult {
    if (typeof body.query !== "string")
      return { status: 400, body: { errors: { query: ["Required parameter missing or invalid"] } } };
    let doc: DocumentNode;
    try {
      doc = parse(body.query);
    } catch (e) {
      const err = e as GraphQLError;
      return {
        status: 200,
        body: { errors: [{ message: err.message, locations: err.locations, extensions: { code: "PARSE_ERROR" } }] },
      };
    }
    const errors = validate(this.schema, doc);
    if (errors.length) {
      return {
        status: 200,
        body: {
          errors: errors.map((e) => ({
            message: e.message,
            locations: e.locations,
            path: e.path,
            extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
          })),
        },
      };
    }
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const op = typeof body.operationName === "string" ? ops.find((o) => o.name?.value === body.operationName) : ops[0];
    if (!op)
      return {
        status: 200,
        body: { errors: [{ message: "Operation not found", extensions: { code: "BAD_REQUEST" } }] },
      };
    const variables = (body.variables && typeof body.variables === "object" ? body.variables : {}) as Record<
      string,
      unknown
    >;
    const requested = requestedCost(this.schema, doc, op, variables);
    refill(shop.bucket, throttle.bucketSize, throttle.restoreRate);
    const status = () => ({
      maximumAvailable: throttle.bucketSize,
      currentlyAvailable: Math.floor(shop.bucket.available),
      restoreRate: throttle.restoreRate,
    });
    if (requested > MAX_SINGLE_QUERY_COST) {
      return {
        status: 200,
        body: {
          errors: [
            {
              message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_SINGLE_QUERY_COST}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n`,
              extensions: { code: "MAX_COST_EXCEEDED", cost: requested, maxCost: MAX_SINGLE_QUERY_COST },
            },
          ],
          extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: status() } },
        },
      };
    }
    if (forceThrottle || requested > shop.bucket.available) {
      return {
        status: 200,
        body: {
          errors: [
            {
              message: "Throttled",
              extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" },
            },
          ],
          extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: status() } },
        },
      };
    }
    shop.bucket.available -= requested;
    const views = new Views(shop);
    const root =
      op.operation === "mutation"
        ? { ...this.mutationRoot(shop, views), ...this.extra?.mutationFields(shop) }
        : { ...this.queryRoot(shop, views), ...this.extra?.queryFields(shop) };
    const result = execute({
      schema: this.schema,
      document: doc,
      rootValue: root,
      variableValues: variables,
      operationName: op.name?.value,
      typeResolver: (value) => (value as Obj).__typename as string,
    }) as { data?: Obj | null; errors?: readonly GraphQLError[] };
    if (result instanceof Promise) throw new Error("async execution not supported");
    const actual = actualCost(result.data, requested, op.operation === "mutation");
    shop.bucket.available = Math.min(throttle.bucketSize, shop.bucket.available + (requested - actual));
    const out: Obj = {};
    if (result.errors?.length)
      out.errors = result.errors.map((e) => ({
        message: e.message,
        locations: e.locations,
        path: e.path,
        extensions: { code: "INTERNAL_SERVER_ERROR", ...e.extensions },
      }));
    out.data = result.data ?? null;
    out.extensions = { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: status() } };
    return { status: 200, body: out };
  }

  private queryRoot(shop: EmuShop, v: Views): Obj {
    return {
      shop: () => ({
        __typename: "Shop",
        id: `gid://shopify/Shop/${shop.id}`,
        name: shop.name,
        myshopifyDomain: shop.domain,
        currencyCode: shop.currency,
        email: `owner@${shop.domain}`,
        contactEmail: `owner@${shop.domain}`,
        ianaTimezone: "UTC",
        plan: {
          __typename: "ShopPlan",
          partnerDevelopment: shop.plan === "partner_test" || shop.plan === "basic",
          displayName: shop.plan,
          publicDisplayName: shop.plan === "basic" ? "Development" : shop.plan,
          shopifyPlus: shop.plan === "plus",
        },
      }),
      locations: (args: Obj) =>
        connection(
          [...shop.locations.values()].filter((l) => l.isActive || args.includeInactive),
          args,
          (l) => v.location(l),
          (l) => String(l.id),
        ),
      location: (args: Obj) => (args.id ? v.node(String(args.id)) : v.location([...shop.locations.values()][0]!)),
      productVariants: (args: Obj) => {
        const t = searchTerms(args.query);
        let list = [...shop.variants.values()];
        if (t.sku) list = list.filter((x) => x.sku !== null && t.sku!.includes(x.sku));
        if (t.product_id) list = list.filter((x) => t.product_id!.includes(String(x.productId)));
        if (t.id) list = list.filter((x) => t.id!.includes(String(x.id)));
        return connection(
          list,
          args,
          (x) => v.variant(x),
          (x) => String(x.id),
        );
      },
      products: (args: Obj) =>
        connection(
          [...shop.products.values()],
          args,
          (p) => v.product(p),
          (p) => String(p.id),
        ),
      orders: (args: Obj) =>
        connection(
          ordersByDate([...shop.orders.values()], args),
          args,
          (o) => v.order(o),
          (o) => String(o.id),
        ),
      order: (args: Obj) => v.node(String(args.id)),
      productVariant: (args: Obj) => v.node(String(args.id)),
      product: (args: Obj) => v.node(String(args.id)),
      inventoryItem: (args: Obj) => v.node(String(args.id)),
      inventoryLevel: (args: Obj) => v.node(String(args.id)),
      node: (args: Obj) => this.bulkNode(shop, String(args.id)) ?? v.node(String(args.id)),
      nodes: (args: Obj) => (args.ids as string[]).map((id) => this.bulkNode(shop, id) ?? v.node(id)),
      inventoryItems: (args: Obj) =>
        connection(
          [...shop.inventoryItems.values()],
          args,
          (i) => v.item(i),
          (i) => String(i.id),
        ),
      bulkOperation: (args: Obj) => this.bulkNode(shop, String(args.id)),
      currentBulkOperation: (args: Obj) => {
        if (args.type === "MUTATION" || !this.bulk) return null;
        const op = this.bulk.current(shop.domain);
        return op ? this.bulk.view(op) : null;
      },
      bulkOperations: (args: Obj) => {
        const t = searchTerms(args.query);
        const bulk = this.bulk;
        let list = bulk ? bulk.list(shop.domain) : [];
        if (t.status && bulk) list = list.filter((o) => t.status!.map((x) => x.toUpperCase()).includes(bulk.status(o)));
        if (t.operation_type) list = list.filter((o) => t.operation_type!.map((x) => x.toUpperCase()).includes(o.type));
        return connection(
          list,
          args,
          (o) => bulk!.view(o),
          (o) => String(o.id),
        );
      },
    };
  }

  /** A BulkOperation of this shop by GID (null for other ids or other shops' operations). */
  private bulkNode(shop: EmuShop, id: string): Obj | null {
    if (!this.bulk || !id.startsWith("gid://shopify/BulkOperation/")) return null;
    const op = this.bulk.byGid(shop.domain, id);
    return op ? this.bulk.view(op) : null;
  }

  private mutationRoot(shop: EmuShop, views: Views): Obj {
    return {
      bulkOperationRunQuery: (args: Obj) => {
        if (!this.bulk)
          throw new GraphQLError("bulk operations are not enabled on this emulator", {
            extensions: { code: "INTERNAL_SERVER_ERROR" },
          });
        return this.bulk.run(
          shop.domain,
          String(args.query),
          this.queryRoot(shop, new Views(shop)),
          withUnboundedConnections,
        );
      },
      bulkOperationCancel: (args: Obj) => {
        if (!this.bulk)
          throw new GraphQLError("bulk operations are not enabled on this emulator", {
            extensions: { code: "INTERNAL_SERVER_ERROR" },
          });
        return this.bulk.cancel(shop.domain, String(args.id));
      },
      inventoryAdjustQuantities: (args: Obj, _ctx: unknown, info: GraphQLResolveInfo) =>
        this.idempotent(shop, info, "inventoryAdjustQuantities", args, () =>
          this.adjust(shop, views, args.input as Obj),
        ),
      inventorySetQuantities: (args: Obj, _ctx: unknown, info: GraphQLResolveInfo) =>
        this.idempotent(shop, info, "inventorySetQuantities", args, () => this.set(shop, views, args.input as Obj)),
      inventoryMoveQuantities: (args: Obj, _ctx: unknown, info: GraphQLResolveInfo) =>
        this.idempotent(shop, info, "inventoryMoveQuantities", args, () => this.move(shop, views, args.input as Obj)),
    };
  }

  /** @idempotent(key:) handling: required; same key + same input → first result; different input → userError. */
  private idempotent(shop: EmuShop, info: GraphQLResolveInfo, field: string, args: Obj, run: () => Obj): Obj {
    const directive = this.schema.getDirective("idempotent")!;
    const values = getDirectiveValues(directive, info.fieldNodes[0]!, info.variableValues) as
      { key?: string } | undefined;
    if (!values)
      throw new GraphQLError(
        `The @idempotent directive is required for the ${field} mutation as of API version 2026-04.`,
        { extensions: { code: "BAD_REQUEST" } },
      );
    if (!values.key || !values.key.trim())
      throw new GraphQLError("The idempotency key cannot be an empty string or whitespace only.", {
        extensions: { code: "BAD_REQUEST" },
      });
    const key = `${field}:${values.key}`;
    const fingerprint = JSON.stringify(args);
    const prior = shop.idempotency.get(key);
    if (prior) {
      if (prior.fingerprint === fingerprint) return prior.result as Obj;
      const code = prior.failed ? "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" : "IDEMPOTENCY_KEY_PARAMETER_MISMATCH";
      const message = prior.failed
        ? "A previous request with this idempotency key failed. Retry with a new idempotency key."
        : "The same idempotency key cannot be used with different operation parameters.";
      return { inventoryAdjustmentGroup: null, userErrors: [{ field: null, message, code }] };
    }
    const refuse = shop.refuseInventoryWrites;
    let result: Obj;
    if (refuse && refuse.count > 0) {
      refuse.count--;
      result = {
        inventoryAdjustmentGroup: null,
        userErrors: [{ field: null, message: refuse.message, code: refuse.code }],
      };
    } else result = run();
    shop.idempotency.set(key, { fingerprint, result, failed: (result.userErrors as unknown[]).length > 0 });
    return result;
  }

  private refDocError(uri: unknown): boolean {
    if (uri == null) return false;
    if (typeof uri !== "string") return true;
    if (uri.startsWith("gid://")) return !/^gid:\/\/[^/]+\/[^/]+\/[^/]+$/.test(uri);
    return !/^[a-zA-Z][a-zA-Z0-9+.-]*:.+/.test(uri);
  }

  private validateCommon(
    shop: EmuShop,
    input: Obj,
    list: Obj[],
    listField: string,
    allowedNames: Set<string>,
    nameCode: string,
  ): Obj[] {
    if (list.length > 250)
      throw new GraphQLError(`The input array size of ${list.length} is greater than the maximum allowed of 250.`, {
        extensions: { code: "MAX_INPUT_SIZE_EXCEEDED" },
      });
    list.forEach((c, i) => {
      if (!Object.prototype.hasOwnProperty.call(c, "changeFromQuantity")) {
        throw new GraphQLError(
          `changeFromQuantity is required on input.${listField}[${i}]: pass the expected quantity, or null to skip the compare-and-swap check.`,
          { extensions: { code: "BAD_REQUEST" } },
        );
      }
    });
    const errs: Obj[] = [];
    if (!allowedNames.has(String(input.name)))
      errs.push({
        field: ["input", "name"],
        message: `The quantity name must be one of: ${[...allowedNames].join(", ")}`,
        code: nameCode,
      });
    if (!INVENTORY_REASONS.has(String(input.reason)))
      errs.push({ field: ["input", "reason"], message: "The specified reason is invalid.", code: "INVALID_REASON" });
    if (this.refDocError(input.referenceDocumentUri))
      errs.push({
        field: ["input", "referenceDocumentUri"],
        message: "The specified reference document is invalid.",
        code: "INVALID_REFERENCE_DOCUMENT",
      });
    list.forEach((c, i) => {
      const item = safeNum(c.inventoryItemId, "InventoryItem");
      if (item === null || !shop.inventoryItems.has(item))
        errs.push({
          field: ["input", listField, String(i), "inventoryItemId"],
          message: "The specified inventory item could not be found.",
          code: "INVALID_INVENTORY_ITEM",
        });
      const loc = safeNum(c.locationId, "Location");
      if (loc === null || !shop.locations.has(loc))
        errs.push({
          field: ["input", listField, String(i), "locationId"],
          message: "The specified location could not be found.",
          code: "INVALID_LOCATION",
        });
    });
    return errs;
  }

  private current(shop: EmuShop, name: string, itemId: number, locationId: number): number {
    const l = shop.levels.get(levelKey(itemId, locationId));
    if (!l) return 0;
    if (name === "safety_stock") return l.safetyStock ?? 0;
    return name === "on_hand" ? l.available + l.committed + (l.safetyStock ?? 0) : l.available;
  }

  /** Applies `delta` to quantity `name` of a level (available emits inventory_levels/update; others do not). */
  private bump(shop: EmuShop, level: EmuLevel, name: string, delta: number): void {
    if (name === "safety_stock") {
      level.safetyStock = (level.safetyStock ?? 0) + delta;
      level.updatedAt = Date.now();
    } else this.store.moveAvailable(shop, level, delta);
  }

  private apply(shop: EmuShop, views: Views, input: Obj, name: string, changes: Change[], listField: string): Obj {
    const stale = changes.filter((c) => c.cfq !== null && c.cfq !== this.current(shop, name, c.itemId, c.locationId));
    if (stale.length) {
      return {
        inventoryAdjustmentGroup: null,
        userErrors: stale.map((c) => ({
          field: ["input", listField, String(c.index), "changeFromQuantity"],
          message: "The specified changeFromQuantity does not match the current quantity.",
          code: "CHANGE_FROM_QUANTITY_STALE",
        })),
      };
    }
    const out: Obj[] = [];
    for (const c of changes) {
      if (c.delta === 0) continue;
      const level = this.store.level(shop, c.itemId, c.locationId);
      if (name === "safety_stock") {
        // safety_stock is part of on_hand: adjusting it moves on_hand, never available.
        this.bump(shop, level, name, c.delta);
        for (const n of ["safety_stock", "on_hand"]) {
          out.push({
            __typename: "InventoryChange",
            name: n,
            delta: c.delta,
            quantityAfterChange: this.current(shop, n, c.itemId, c.locationId),
            ledgerDocumentUri: n === name ? (c.ledger ?? null) : null,
            itemId: c.itemId,
            locationId: c.locationId,
          });
        }
        continue;
      }
      this.store.moveAvailable(shop, level, c.delta);
      const names = name === "available" ? ["available", "on_hand"] : ["on_hand", "available"];
      for (const n of names) {
        out.push({
          __typename: "InventoryChange",
          name: n,
          delta: c.delta,
          quantityAfterChange:
            n === "available" ? level.available : level.available + level.committed + (level.safetyStock ?? 0),
          ledgerDocumentUri: n === name ? (c.ledger ?? null) : null,
          itemId: c.itemId,
          locationId: c.locationId,
        });
      }
    }
    return this.group(shop, views, input, out);
  }

  /** Records an InventoryAdjustmentGroup of `out` changes and returns the mutation payload. */
  private group(shop: EmuShop, views: Views, input: Obj, out: Obj[]): Obj {
    const gid = `gid://shopify/InventoryAdjustmentGroup/${this.store.id()}${++this.groupSeq}`;
    const createdAt = new Date().toISOString();
    const group = {
      __typename: "InventoryAdjustmentGroup",
      id: gid,
      createdAt,
      reason: input.reason,
      referenceDocumentUri: input.referenceDocumentUri ?? null,
      app: null,
      staffMember: null,
      changes: (args: Obj) =>
        out
          .filter(
            (ch) =>
              (!args.inventoryItemIds ||
                (args.inventoryItemIds as string[]).some((id) => safeNum(id, "InventoryItem") === ch.itemId)) &&
              (!args.locationIds ||
                (args.locationIds as string[]).some((id) => safeNum(id, "Location") === ch.locationId)) &&
              (!args.quantityNames || (args.quantityNames as string[]).includes(String(ch.name))),
          )
          .map((ch) => ({
            ...ch,
            item: views.item(shop.inventoryItems.get(ch.itemId as number)!),
            location: views.location(shop.locations.get(ch.locationId as number)!),
          })),
    };
    shop.adjustmentGroups.set(Number(gid.split("/").pop()), group);
    return { inventoryAdjustmentGroup: group, userErrors: [] };
  }

  private adjust(shop: EmuShop, views: Views, input: Obj): Obj {
    const list = (input.changes as Obj[]) ?? [];
    const errs = this.validateCommon(
      shop,
      input,
      list,
      "changes",
      new Set(["available", "on_hand", "safety_stock"]),
      "INVALID_QUANTITY_NAME",
    );
    if (input.name !== "available" && new Set(list.map((c) => c.ledgerDocumentUri ?? null)).size > 1) {
      errs.push({
        field: ["input", "changes"],
        message:
          "All changes must have the same ledger document URI or, in the case of adjusting available, no ledger document URI.",
        code: "MAX_ONE_LEDGER_DOCUMENT",
      });
    }
    list.forEach((c, i) => {
      if (input.name === "available" && c.ledgerDocumentUri != null)
        errs.push({
          field: ["input", "changes", String(i), "ledgerDocumentUri"],
          message: "A ledger document URI is not allowed when adjusting available.",
          code: "INVALID_AVAILABLE_DOCUMENT",
        });
      if (input.name !== "available" && c.ledgerDocumentUri == null)
        errs.push({
          field: ["input", "changes", String(i), "ledgerDocumentUri"],
          message: "A ledger document URI is required except when adjusting available.",
          code: "INVALID_QUANTITY_DOCUMENT",
        });
    });
    if (errs.length) return { inventoryAdjustmentGroup: null, userErrors: errs };
    const changes = list.map((c, i) => ({
      itemId: gidNum(String(c.inventoryItemId)),
      locationId: gidNum(String(c.locationId)),
      delta: Number(c.delta),
      cfq: (c.changeFromQuantity as number | null) ?? null,
      ledger: (c.ledgerDocumentUri as string | null) ?? null,
      index: i,
    }));
    return this.apply(shop, views, input, String(input.name), changes, "changes");
  }

  /**
   * inventoryMoveQuantities (2026-10): each change moves `quantity` of one item from one terminal
   * {name, locationId, ledgerDocumentUri, changeFromQuantity} to another — different names at one location
   * (or one name between locations; only the former is modelled). Compare-and-set on BOTH terminals; a stale
   * terminal fails the whole call (nothing applied). Ledger documents: required except for `available`,
   * forbidden for `available`, at most 2 across all changes. Names: available, safety_stock.
   */
  private move(shop: EmuShop, views: Views, input: Obj): Obj {
    const list = (input.changes as Obj[]) ?? [];
    if (list.length > 250)
      throw new GraphQLError(`The input array size of ${list.length} is greater than the maximum allowed of 250.`, {
        extensions: { code: "MAX_INPUT_SIZE_EXCEEDED" },
      });
    const names = new Set(["available", "safety_stock"]);
    const errs: Obj[] = [];
    list.forEach((c, i) => {
      for (const side of ["from", "to"] as const) {
        if (!Object.prototype.hasOwnProperty.call(c[side] as Obj, "changeFromQuantity")) {
          throw new GraphQLError(
            `changeFromQuantity is required on input.changes[${i}].${side}: pass the expected quantity, or null to skip the compare-and-swap check.`,
            { extensions: { code: "BAD_REQUEST" } },
          );
        }
      }
    });
    if (!INVENTORY_REASONS.has(String(input.reason)))
      errs.push({ field: ["input", "reason"], message: "The specified reason is invalid.", code: "INVALID_REASON" });
    if (input.referenceDocumentUri == null || this.refDocError(input.referenceDocumentUri))
      errs.push({
        field: ["input", "referenceDocumentUri"],
        message: "The specified reference document is invalid.",
        code: "INVALID_REFERENCE_DOCUMENT",
      });
    const ledgerDocs = new Set<string>();
    list.forEach((c, i) => {
      const at = (f: string) => ["input", "changes", String(i), ...f.split(".")];
      const item = safeNum(c.inventoryItemId, "InventoryItem");
      if (item === null || !shop.inventoryItems.has(item))
        errs.push({
          field: at("inventoryItemId"),
          message: "The specified inventory item could not be found.",
          code: "INVALID_INVENTORY_ITEM",
        });
      if (!Number.isInteger(c.quantity) || (c.quantity as number) < 0)
        errs.push({
          field: at("quantity"),
          message: "The quantity can't be negative.",
          code: "INVALID_QUANTITY_NEGATIVE",
        });
      const from = c.from as Obj;
      const to = c.to as Obj;
      for (const [side, t] of [
        ["from", from],
        ["to", to],
      ] as const) {
        const loc = safeNum(t.locationId, "Location");
        if (loc === null || !shop.locations.has(loc))
          errs.push({
            field: at(`${side}.locationId`),
            message: "The specified location could not be found.",
            code: "INVALID_LOCATION",
          });
        if (!names.has(String(t.name)))
          errs.push({
            field: at(`${side}.name`),
            message: "The specified quantity name is invalid.",
            code: "INVALID_QUANTITY_NAME",
          });
        if (t.name === "available" && t.ledgerDocumentUri != null)
          errs.push({
            field: at(`${side}.ledgerDocumentUri`),
            message: "A ledger document URI is not allowed when adjusting available.",
            code: "INVALID_AVAILABLE_DOCUMENT",
          });
        if (t.name !== "available" && t.ledgerDocumentUri == null)
          errs.push({
            field: at(`${side}.ledgerDocumentUri`),
            message: "A ledger document URI is required except when adjusting available.",
            code: "INVALID_QUANTITY_DOCUMENT",
          });
        if (typeof t.ledgerDocumentUri === "string") {
          if (t.ledgerDocumentUri.startsWith("gid://shopify/"))
            errs.push({
              field: at(`${side}.ledgerDocumentUri`),
              message: "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
              code: "INTERNAL_LEDGER_DOCUMENT",
            });
          else if (this.refDocError(t.ledgerDocumentUri))
            errs.push({
              field: at(`${side}.ledgerDocumentUri`),
              message: "The specified ledger document is invalid.",
              code: "INVALID_LEDGER_DOCUMENT",
            });
          ledgerDocs.add(t.ledgerDocumentUri);
        }
      }
      if (from.name === to.name && from.locationId === to.locationId)
        errs.push({
          field: at("to.name"),
          message: "The quantity names for each change can't be the same.",
          code: "SAME_QUANTITY_NAME",
        });
      else if (from.name !== to.name && from.locationId !== to.locationId)
        errs.push({
          field: at("to.locationId"),
          message: "The quantities can't be moved between different locations.",
          code: "DIFFERENT_LOCATIONS",
        });
      else if (from.name === to.name)
        errs.push({
          field: at("to.locationId"),
          message: "Moves between locations are not modelled by the emulator.",
          code: "MOVE_QUANTITIES_FAILED",
        });
    });
    if (ledgerDocs.size > 2)
      errs.push({
        field: ["input", "changes"],
        message: "Only a maximum of 2 ledger document URIs across all changes is allowed.",
        code: "MAXIMUM_LEDGER_DOCUMENT_URIS",
      });
    if (errs.length) return { inventoryAdjustmentGroup: null, userErrors: errs };
    const moves = list.map((c, i) => {
      const from = c.from as Obj;
      const to = c.to as Obj;
      return {
        i,
        itemId: gidNum(String(c.inventoryItemId)),
        locationId: gidNum(String(from.locationId)),
        q: Number(c.quantity),
        from,
        to,
      };
    });
    // Compare-and-set on both terminals, checked for every change before anything moves.
    const stale: Obj[] = [];
    for (const m of moves) {
      for (const [side, t] of [
        ["from", m.from],
        ["to", m.to],
      ] as const) {
        const cfq = (t.changeFromQuantity as number | null) ?? null;
        if (cfq !== null && cfq !== this.current(shop, String(t.name), m.itemId, m.locationId)) {
          stale.push({
            field: ["input", "changes", String(m.i), side, "changeFromQuantity"],
            message: "The specified changeFromQuantity does not match the current quantity.",
            code: "CHANGE_FROM_QUANTITY_STALE",
          });
        }
      }
      if (m.from.name !== "available" && this.current(shop, String(m.from.name), m.itemId, m.locationId) < m.q) {
        stale.push({
          field: ["input", "changes", String(m.i), "quantity"],
          message: "The quantity can't be negative.",
          code: "INVALID_QUANTITY_NEGATIVE",
        });
      }
    }
    if (stale.length) return { inventoryAdjustmentGroup: null, userErrors: stale };
    const out: Obj[] = [];
    for (const m of moves) {
      if (m.q === 0) continue;
      const level = this.store.level(shop, m.itemId, m.locationId);
      for (const [t, delta] of [
        [m.from, -m.q],
        [m.to, m.q],
      ] as const) {
        this.bump(shop, level, String(t.name), delta);
        out.push({
          __typename: "InventoryChange",
          name: t.name,
          delta,
          quantityAfterChange: this.current(shop, String(t.name), m.itemId, m.locationId),
          ledgerDocumentUri: t.ledgerDocumentUri ?? null,
          itemId: m.itemId,
          locationId: m.locationId,
        });
      }
    }
    return this.group(shop, views, input, out);
  }

  private set(shop: EmuShop, views: Views, input: Obj): Obj {
    const list = (input.quantities as Obj[]) ?? [];
    const errs = this.validateCommon(
      shop,
      input,
      list,
      "quantities",
      new Set(["available", "on_hand"]),
      "INVALID_NAME",
    );
    const seen = new Set<string>();
    list.forEach((c, i) => {
      const k = `${c.inventoryItemId}|${c.locationId}`;
      if (seen.has(k))
        errs.push({
          field: ["input", "quantities", String(i)],
          message: "The combination of inventoryItemId and locationId must be unique.",
          code: "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
        });
      seen.add(k);
      if (Number(c.quantity) < 0)
        errs.push({
          field: ["input", "quantities", String(i), "quantity"],
          message: "The quantity can't be negative.",
          code: "INVALID_QUANTITY_NEGATIVE",
        });
    });
    if (errs.length) return { inventoryAdjustmentGroup: null, userErrors: errs };
    const name = String(input.name);
    const cfqs = list.map((c) => (c.changeFromQuantity as number | null) ?? null);
    // CAS is checked before computing deltas so a stale entry fails the whole call.
    const changes = list.map((c, i) => {
      const itemId = gidNum(String(c.inventoryItemId));
      const locationId = gidNum(String(c.locationId));
      return {
        itemId,
        locationId,
        delta: Number(c.quantity) - this.current(shop, name, itemId, locationId),
        cfq: cfqs[i]!,
        index: i,
      };
    });
    return this.apply(shop, views, input, name, changes, "quantities");
  }
}

/**
 * Orders filtered by the Admin search syntax's date terms as the app uses them — `updated_at:>=<ISO>` /
 * `updated_at:><ISO>` / `created_at:…` (quoted or not) — and sorted by `args.sortKey` UPDATED_AT or CREATED_AT
 * (default: id), `args.reverse` honoured. Shared by the base `orders` root and the orders module (orders.ts).
 * @throws GraphQLError BAD_REQUEST for a date Shopify's search would not parse
 */
export function ordersByDate(orders: EmuOrder[], args: Obj): EmuOrder[] {
  let list = orders;
  const q = typeof args.query === "string" ? args.query : "";
  for (const m of q.matchAll(/(updated_at|created_at):(>=|<=|>|<)?['"]?([^'"\s]+)['"]?/g)) {
    const t = Date.parse(m[3]!);
    if (Number.isNaN(t))
      throw new GraphQLError(`Invalid date in search query: ${m[3]}`, { extensions: { code: "BAD_REQUEST" } });
    const key = m[1] === "updated_at" ? "updatedAt" : "createdAt";
    const op = m[2] ?? ">=";
    list = list.filter((o) =>
      op === ">=" ? o[key] >= t : op === ">" ? o[key] > t : op === "<=" ? o[key] <= t : o[key] < t,
    );
  }
  const sortKey = args.sortKey === "UPDATED_AT" ? "updatedAt" : args.sortKey === "CREATED_AT" ? "createdAt" : "id";
  list = [...list].sort((a, b) => a[sortKey] - b[sortKey] || a.id - b.id);
  if (args.reverse) list.reverse();
  return list;
}

/** The numeric id of a GID of `type`, or null when `v` is not one. */
export function safeNum(v: unknown, type: string): number | null {
  try {
    return gidNum(String(v), type);
  } catch {
    return null;
  }
}
