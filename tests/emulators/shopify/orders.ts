/**
 * Orders the app creates and fulfils on an emulated shop (Admin GraphQL 2026-10; issue 15, decision 215):
 * `orderCreate` (options.inventoryBehaviour BYPASS | DECREMENT_IGNORING_POLICY | DECREMENT_OBEYING_POLICY,
 * sendReceipt, sendFulfillmentReceipt), `orderCancel`, the `orders` query (search terms `source_identifier:`, `tag:`,
 * `name:`, `id:`), `order(id:)`, an order's `fulfillmentOrders` and `fulfillments`, and `fulfillmentCreate` (tracking
 * company, one or several numbers and URLs, partial line quantities).
 *
 * Rules followed (schema descriptions in @shopify/dev-mcp dist/data/admin_2026-10.json.gz, and
 * https://shopify.dev/docs/api/admin-graphql/2026-10/mutations/orderCreate, …/orderCancel, …/fulfillmentCreate):
 * - `options.inventoryBehaviour` defaults to BYPASS: the order claims no inventory (no level moves, fulfilling it
 *   later moves none either). DECREMENT_* take `available` at the order's location (committed grows); OBEYING refuses
 *   with INVENTORY_CLAIM_FAILED when a tracked item lacks the units (the emulator's inventory policy is "deny").
 * - `sendReceipt` / `sendFulfillmentReceipt` default to false; a receipt sent is recorded in `shop.notifications`.
 * - `orderCreate` takes no idempotency key in 2026-10: two calls create two orders (callers look up their own key).
 * - Required scopes: `write_orders` for orderCreate/orderCancel, `read_orders` for reading orders,
 *   `write_merchant_managed_fulfillment_orders` (or `write_assigned_fulfillment_orders`) for fulfillmentCreate, the
 *   matching read scope for `fulfillmentOrders`; a missing scope is a top-level ACCESS_DENIED error as Shopify sends it.
 * - Every created order emits `orders/create` (payload valid for shopify-webhook-schemas 2026-07, carrying
 *   `source_identifier`, `tags`, `note`, `note_attributes` and the addresses); a cancel emits `orders/cancelled`.
 * - Tracking input: `number` and `numbers` are exclusive, as are `url` and `urls`; a `url` needs a `number`, `urls`
 *   need `numbers` (FulfillmentTrackingInput's description). URLs must be absolute http(s) URLs.
 */
import { GraphQLError } from "graphql";
import { type EmuShop, type EmuStore, type EmuOrder, type EmuOrderLine } from "./store.js";
import { fulfillmentPayload, orderPayload, type EmittedTopic } from "./payloads.js";
import { ordersByDate, safeNum, searchTerms, Views } from "./graphql.js";

type Obj = Record<string, unknown>;

/** An address as orderCreate stores it (MailingAddressInput fields; absent = null). */
export interface EmuAddress {
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  address1: string | null;
  address2: string | null;
  city: string | null;
  provinceCode: string | null;
  zip: string | null;
  countryCode: string | null;
  phone: string | null;
}

/** A fulfilment order line: one per order line, quantities in units. */
export interface EmuFulfillmentOrderLine {
  id: number;
  lineItemId: number;
  totalQuantity: number;
  remainingQuantity: number;
}

/** A fulfilment order: the lines one location ships. */
export interface EmuFulfillmentOrder {
  id: number;
  orderId: number;
  locationId: number;
  status: "OPEN" | "IN_PROGRESS" | "CLOSED" | "CANCELLED";
  createdAt: number;
  updatedAt: number;
  lines: EmuFulfillmentOrderLine[];
}

/** A fulfilment with its tracking (each number with its URL, one company for all). */
export interface EmuFulfillment {
  id: number;
  orderId: number;
  name: string;
  locationId: number;
  createdAt: number;
  /** Changed by fulfillmentTrackingInfoUpdate and fulfillmentCancel. */
  updatedAt: number;
  /** FulfillmentStatus: SUCCESS once created (a merchant-managed fulfilment), CANCELLED after fulfillmentCancel. */
  status: "SUCCESS" | "CANCELLED";
  tracking: { company: string | null; number: string | null; url: string | null }[];
  lines: { id: number; lineItemId: number; quantity: number }[];
  notifyCustomer: boolean;
}

/** An order's fulfilment orders and fulfilments. */
export interface EmuShipping {
  fulfillmentOrders: EmuFulfillmentOrder[];
  fulfillments: EmuFulfillment[];
}

/** What orderCreate keeps beyond a checkout order. */
export interface EmuCreatedOrder {
  sourceIdentifier: string | null;
  sourceName: string | null;
  sourceUrl: string | null;
  tags: string[];
  note: string | null;
  customAttributes: { key: string; value: string }[];
  shippingAddress: EmuAddress | null;
  billingAddress: EmuAddress | null;
  financialStatus: string;
  processedAt: number;
  inventoryBehaviour: string;
  fulfillmentOrders: EmuFulfillmentOrder[];
  fulfillments: EmuFulfillment[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const money = (amount: string, currency: string) => ({
  shopMoney: { amount, currencyCode: currency },
  presentmentMoney: { amount, currencyCode: currency },
});

function accessDenied(field: string, scope: string): GraphQLError {
  return new GraphQLError(`Access denied for ${field} field. Required access: \`${scope}\` access scope.`, {
    extensions: { code: "ACCESS_DENIED", documentation: "https://shopify.dev/api/usage/access-scopes" },
  });
}

function hasScope(shop: EmuShop, ...any: string[]): boolean {
  const scopes = new Set(shop.scope.split(",").map((s) => s.trim()));
  // A write scope implies its read scope (Shopify access scopes).
  return any.some((s) => scopes.has(s) || (s.startsWith("read_") && scopes.has(`write_${s.slice(5)}`)));
}

function address(a: unknown): EmuAddress | null {
  if (!a || typeof a !== "object") return null;
  const x = a as Obj;
  const s = (k: string) => (typeof x[k] === "string" ? (x[k] as string) : null);
  return {
    firstName: s("firstName"),
    lastName: s("lastName"),
    company: s("company"),
    address1: s("address1"),
    address2: s("address2"),
    city: s("city"),
    provinceCode: s("provinceCode"),
    zip: s("zip"),
    countryCode: s("countryCode"),
    phone: s("phone"),
  };
}

function addressView(a: EmuAddress | null, id: number): Obj | null {
  if (!a) return null;
  return {
    __typename: "MailingAddress",
    id: `gid://shopify/MailingAddress/${id}`,
    ...a,
    countryCodeV2: a.countryCode,
    name: [a.firstName, a.lastName].filter(Boolean).join(" ") || null,
  };
}

const isHttpUrl = (u: unknown) => typeof u === "string" && /^https?:\/\/[^\s/]+\.[^\s]*$/.test(u);

/**
 * The tracking URL Shopify makes for a number given without one, for carriers it supports (FulfillmentTrackingInput:
 * "the tracking URL is generated for supported carriers"); null for other carriers. The emulator knows four.
 */
function carrierUrl(company: string | null, number: string): string | null {
  const n = encodeURIComponent(number);
  switch ((company ?? "").toLowerCase()) {
    case "ups":
      return `https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=${n}`;
    case "usps":
      return `https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=${n}`;
    case "fedex":
      return `https://www.fedex.com/fedextrack/?trknbr=${n}`;
    case "dhl express":
      return `https://www.dhl.com/en/express/tracking.html?AWB=${n}&brand=DHL`;
  }
  return null;
}

/**
 * A FulfillmentTrackingInput as stored tracking (FulfillmentTrackingInput's description): `number` and `numbers` are
 * exclusive, as are `url` and `urls`; a `url` needs a `number`, `urls` need `numbers`; URLs absolute http(s). Each
 * number with its URL, one company for all; a company alone is one entry without a number. Errors go to `errs`.
 */
function parseTracking(t: Obj, at: string[], errs: Obj[]): EmuFulfillment["tracking"] {
  const err = (field: string[] | null, message: string) => errs.push({ field, message });
  if (t.number != null && t.numbers != null) err(at, "Provide either number or numbers, not both.");
  if (t.url != null && t.urls != null) err(at, "Provide either url or urls, not both.");
  if (t.url != null && t.number == null) err([...at, "url"], "A tracking url needs a tracking number.");
  if (t.urls != null && t.numbers == null) err([...at, "urls"], "Tracking urls need tracking numbers.");
  for (const u of [t.url, ...((t.urls as unknown[] | null) ?? [])])
    if (u != null && !isHttpUrl(u)) err([...at, "url"], `Tracking url ${String(u)} is not a valid URL.`);
  const numbers: string[] = [];
  const urls: (string | null)[] = [];
  if (t.number != null) numbers.push(String(t.number));
  for (const n of (t.numbers as string[] | null) ?? []) numbers.push(n);
  if (t.url != null) urls.push(String(t.url));
  for (const u of (t.urls as string[] | null) ?? []) urls.push(u);
  const company = (t.company as string | null | undefined) ?? null;
  if (numbers.length) return numbers.map((n, i) => ({ company, number: n, url: urls[i] ?? carrierUrl(company, n) }));
  return company ? [{ company: String(company), number: null, url: null }] : [];
}

/** Root fields for orders and fulfilments, composed into the GraphqlEngine by index.ts (like apps.ts). */
export class EmuOrders {
  constructor(
    private readonly store: EmuStore,
    private readonly emit: (shop: EmuShop, topic: EmittedTopic, payload: unknown) => void,
  ) {}

  /**
   * An order's fulfilment orders and fulfilments: orderCreate's, or — for a checkout order — one OPEN fulfilment order
   * at the order's location with every line that requires shipping, made on first use (Shopify creates it with the
   * order; the emulator's checkout path predates fulfilments, so it is made lazily, with the same content).
   */
  private shipping(o: EmuOrder): EmuShipping {
    if (o.created) return o.created;
    if (!o.shipping) {
      const lines = o.lines.filter((l) => l.requiresShipping !== false);
      o.shipping = { fulfillmentOrders: [], fulfillments: [] };
      if (lines.length)
        o.shipping.fulfillmentOrders.push({
          id: this.store.id(),
          orderId: o.id,
          locationId: o.locationId,
          status: o.cancelledAt ? "CLOSED" : "OPEN",
          createdAt: o.createdAt,
          updatedAt: o.createdAt,
          lines: lines.map((l) => ({
            id: this.store.id(),
            lineItemId: l.id,
            totalQuantity: l.quantity,
            remainingQuantity: o.cancelledAt ? 0 : Math.max(0, l.quantity - l.refundedQuantity),
          })),
        });
    }
    return o.shipping;
  }

  /** fulfillments/create|update for `f`, then the order's orders/updated (Shopify sends both for a fulfilment change). */
  private emitFulfilment(
    shop: EmuShop,
    o: EmuOrder,
    f: EmuFulfillment,
    topic: "fulfillments/create" | "fulfillments/update",
  ): void {
    this.emit(shop, topic, fulfillmentPayload(shop, o, f));
    this.emit(shop, "orders/updated", orderPayload(shop, o, "orders/updated"));
  }

  queryFields(shop: EmuShop): Obj {
    return {
      orders: (args: Obj) => {
        if (!hasScope(shop, "read_orders")) throw accessDenied("orders", "read_orders");
        const t = searchTerms(args.query);
        // Date terms and sortKey as the base root reads them (a retailer's ordersSince), then the import's own terms.
        let list = ordersByDate([...shop.orders.values()], args);
        if (t.source_identifier)
          list = list.filter((o) => t.source_identifier!.includes(o.created?.sourceIdentifier ?? ""));
        if (t.tag) list = list.filter((o) => t.tag!.every((tag) => (o.created?.tags ?? []).includes(tag)));
        if (t.name) list = list.filter((o) => t.name!.includes(o.name) || t.name!.includes(o.name.replace(/^#/, "")));
        if (t.id) list = list.filter((o) => t.id!.includes(String(o.id)));
        return this.connection(list, args, (o) => this.orderView(shop, o));
      },
      order: (args: Obj) => {
        if (!hasScope(shop, "read_orders")) throw accessDenied("order", "read_orders");
        const o = shop.orders.get(safeNum(args.id, "Order") ?? -1);
        return o ? this.orderView(shop, o) : null;
      },
      fulfillmentOrder: (args: Obj) => {
        this.requireFulfillmentRead(shop, "fulfillmentOrder");
        for (const o of shop.orders.values())
          for (const fo of this.shipping(o).fulfillmentOrders)
            if (fo.id === safeNum(args.id, "FulfillmentOrder")) return this.fulfillmentOrderView(shop, o, fo);
        return null;
      },
    };
  }

  mutationFields(shop: EmuShop): Obj {
    return {
      orderCreate: (args: Obj) => {
        if (!hasScope(shop, "write_orders")) throw accessDenied("orderCreate", "write_orders");
        return this.create(shop, args.order as Obj, (args.options as Obj | null) ?? {});
      },
      orderCancel: (args: Obj) => {
        if (!hasScope(shop, "write_orders")) throw accessDenied("orderCancel", "write_orders");
        return this.cancel(shop, args);
      },
      fulfillmentCreate: (args: Obj) => {
        if (!hasScope(shop, "write_merchant_managed_fulfillment_orders", "write_assigned_fulfillment_orders"))
          throw accessDenied("fulfillmentCreate", "write_merchant_managed_fulfillment_orders");
        return this.fulfil(shop, args.fulfillment as Obj, args.message);
      },
      fulfillmentTrackingInfoUpdate: (args: Obj) => {
        if (!hasScope(shop, "write_merchant_managed_fulfillment_orders", "write_assigned_fulfillment_orders"))
          throw accessDenied("fulfillmentTrackingInfoUpdate", "write_merchant_managed_fulfillment_orders");
        return this.updateTracking(shop, args);
      },
      fulfillmentCancel: (args: Obj) => {
        if (!hasScope(shop, "write_merchant_managed_fulfillment_orders", "write_assigned_fulfillment_orders"))
          throw accessDenied("fulfillmentCancel", "write_merchant_managed_fulfillment_orders");
        return this.cancelFulfillment(shop, args);
      },
    };
  }

  private requireFulfillmentRead(shop: EmuShop, field: string): void {
    if (!hasScope(shop, "read_merchant_managed_fulfillment_orders", "read_assigned_fulfillment_orders"))
      throw accessDenied(field, "read_merchant_managed_fulfillment_orders");
  }

  private connection<T extends { id: number }>(items: T[], args: Obj, view: (t: T) => Obj): Obj {
    const n = (args.first ?? args.last) as number | undefined;
    if (n == null)
      throw new GraphQLError("you must provide one of first or last", { extensions: { code: "BAD_REQUEST" } });
    if (n > 250)
      throw new GraphQLError(`The maximum number of nodes requested is 250 (got ${n})`, {
        extensions: { code: "BAD_REQUEST" },
      });
    let start = 0;
    if (typeof args.after === "string") {
      const after = Number(Buffer.from(args.after, "base64url").toString("utf8"));
      start = items.findIndex((t) => t.id === after) + 1;
    }
    const slice = items.slice(start, start + n);
    const edges = slice.map((t) => ({ cursor: Buffer.from(String(t.id)).toString("base64url"), node: view(t) }));
    return {
      edges,
      nodes: edges.map((e) => e.node),
      pageInfo: {
        hasNextPage: start + n < items.length,
        hasPreviousPage: start > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  private lineView(shop: EmuShop, o: EmuOrder, l: EmuOrderLine): Obj {
    const v = l.variantId === null ? undefined : shop.variants.get(l.variantId);
    const open = l.quantity - l.refundedQuantity;
    return {
      __typename: "LineItem",
      id: l.gid,
      sku: l.sku,
      title: l.title,
      name: l.variantTitle ? `${l.title} - ${l.variantTitle}` : l.title,
      variantTitle: l.variantTitle,
      quantity: l.quantity,
      currentQuantity: o.cancelledAt ? 0 : open,
      unfulfilledQuantity: o.cancelledAt ? 0 : open - (l.fulfilledQuantity ?? 0),
      refundableQuantity: open,
      nonFulfillableQuantity: 0,
      requiresShipping: l.requiresShipping ?? true,
      vendor: null,
      customAttributes: [],
      originalUnitPriceSet: money(l.price, o.currency),
      variant: () => (v ? this.variantRef(v.gid) : null),
      product: () => {
        const p = l.productId === null ? undefined : shop.products.get(l.productId);
        return p ? { __typename: "Product", id: p.gid } : null;
      },
    };
  }

  private variantRef(gid: string): Obj {
    return { __typename: "ProductVariant", id: gid };
  }

  private orderView(shop: EmuShop, o: EmuOrder): Obj {
    const c = o.created;
    const total = o.lines.reduce((s, l) => s + Number(l.price) * l.quantity, 0).toFixed(2);
    const fulfilled = o.lines.reduce((s, l) => s + (l.fulfilledQuantity ?? 0), 0);
    const units = o.lines.reduce((s, l) => s + l.quantity - l.refundedQuantity, 0);
    const financial = c?.financialStatus ?? "PAID";
    // The base view (graphql.ts) gives what checkout orders always had — customer, refunds — and this one the rest.
    const base = new Views(shop).order(o);
    return {
      customer: base.customer,
      refunds: base.refunds,
      __typename: "Order",
      id: o.gid,
      legacyResourceId: String(o.id),
      name: o.name,
      createdAt: iso(o.createdAt),
      updatedAt: iso(o.updatedAt),
      processedAt: iso(c?.processedAt ?? o.createdAt),
      cancelledAt: o.cancelledAt ? iso(o.cancelledAt) : null,
      cancelReason: o.cancelledAt ? String(o.cancelReason ?? "other").toUpperCase() : null,
      closed: false,
      confirmed: true,
      test: false,
      email: o.email,
      currencyCode: o.currency,
      sourceIdentifier: c?.sourceIdentifier ?? null,
      sourceName: c?.sourceName ?? "web",
      tags: c?.tags ?? [],
      note: c?.note ?? null,
      customAttributes: c?.customAttributes ?? [],
      displayFinancialStatus: o.cancelledAt && financial === "PENDING" ? "VOIDED" : financial,
      displayFulfillmentStatus:
        fulfilled === 0 ? "UNFULFILLED" : fulfilled >= units ? "FULFILLED" : "PARTIALLY_FULFILLED",
      fullyPaid: financial === "PAID",
      unpaid: financial === "PENDING",
      currentSubtotalLineItemsQuantity: units,
      totalPriceSet: money(total, o.currency),
      shippingAddress: addressView(c?.shippingAddress ?? null, o.id * 10 + 1),
      billingAddress: addressView(c?.billingAddress ?? null, o.id * 10 + 2),
      lineItems: (args: Obj) => this.connection(o.lines, args, (l) => this.lineView(shop, o, l)),
      fulfillmentOrders: (args: Obj) => {
        this.requireFulfillmentRead(shop, "fulfillmentOrders");
        return this.connection(this.shipping(o).fulfillmentOrders, args, (fo) =>
          this.fulfillmentOrderView(shop, o, fo),
        );
      },
      fulfillments: (args: Obj) =>
        this.shipping(o)
          .fulfillments.slice(0, (args.first as number | undefined) ?? undefined)
          .map((f) => this.fulfillmentView(shop, o, f)),
    };
  }

  private fulfillmentOrderView(shop: EmuShop, o: EmuOrder, fo: EmuFulfillmentOrder): Obj {
    const loc = shop.locations.get(fo.locationId)!;
    return {
      __typename: "FulfillmentOrder",
      id: `gid://shopify/FulfillmentOrder/${fo.id}`,
      orderId: o.gid,
      orderName: o.name,
      orderProcessedAt: iso(o.created?.processedAt ?? o.createdAt),
      status: fo.status,
      requestStatus: "UNSUBMITTED",
      createdAt: iso(fo.createdAt),
      updatedAt: iso(fo.updatedAt),
      fulfillmentHolds: [],
      supportedActions: [],
      assignedLocation: {
        __typename: "FulfillmentOrderAssignedLocation",
        name: loc.name,
        location: { __typename: "Location", id: loc.gid, name: loc.name, isActive: loc.isActive },
      },
      order: () => this.orderView(shop, o),
      lineItems: (args: Obj) =>
        this.connection(fo.lines, args, (fl) => {
          const l = o.lines.find((x) => x.id === fl.lineItemId)!;
          return {
            __typename: "FulfillmentOrderLineItem",
            id: `gid://shopify/FulfillmentOrderLineItem/${fl.id}`,
            totalQuantity: fl.totalQuantity,
            remainingQuantity: fl.remainingQuantity,
            sku: l.sku,
            productTitle: l.title,
            variantTitle: l.variantTitle,
            requiresShipping: l.requiresShipping ?? true,
            warnings: [],
            financialSummaries: [],
            lineItem: this.lineView(shop, o, l),
          };
        }),
    };
  }

  private fulfillmentView(shop: EmuShop, o: EmuOrder, f: EmuFulfillment): Obj {
    const loc = shop.locations.get(f.locationId)!;
    return {
      __typename: "Fulfillment",
      id: `gid://shopify/Fulfillment/${f.id}`,
      legacyResourceId: String(f.id),
      name: f.name,
      status: f.status,
      createdAt: iso(f.createdAt),
      updatedAt: iso(f.updatedAt),
      requiresShipping: true,
      totalQuantity: f.lines.reduce((s, l) => s + l.quantity, 0),
      location: { __typename: "Location", id: loc.gid, name: loc.name, isActive: loc.isActive },
      trackingInfo: (args: Obj) =>
        f.tracking
          .slice(0, (args.first as number | undefined) ?? undefined)
          .map((t) => ({ __typename: "FulfillmentTrackingInfo", ...t })),
      order: () => this.orderView(shop, o),
      fulfillmentLineItems: (args: Obj) =>
        this.connection(f.lines, args, (fl) => {
          const l = o.lines.find((x) => x.id === fl.lineItemId)!;
          return {
            __typename: "FulfillmentLineItem",
            id: `gid://shopify/FulfillmentLineItem/${fl.id}`,
            quantity: fl.quantity,
            lineItem: this.lineView(shop, o, l),
            originalTotalSet: money((Number(l.price) * fl.quantity).toFixed(2), o.currency),
            discountedTotalSet: money((Number(l.price) * fl.quantity).toFixed(2), o.currency),
          };
        }),
    };
  }

  /** orderCreate: validates like Shopify (userErrors, nothing created on any error), then creates and emits. */
  private create(shop: EmuShop, input: Obj, options: Obj): Obj {
    const errs: Obj[] = [];
    const err = (field: string[], message: string, code = "INVALID") => errs.push({ field, message, code });
    const lines = (input.lineItems as Obj[] | null) ?? [];
    if (lines.length === 0) err(["order", "lineItems"], "Line items must have at least one line item.");
    if (input.customer != null && input.customerId != null)
      err(["order"], "Only one of customer or customerId can be provided.", "REDUNDANT_CUSTOMER_FIELDS");
    const behaviour = String(options.inventoryBehaviour ?? "BYPASS");
    const locId = [...shop.locations.values()].find((l) => l.isActive)!.id;
    const resolved = lines.map((li, i) => {
      const at = ["order", "lineItems", String(i)];
      const quantity = Number(li.quantity);
      if (!Number.isInteger(quantity) || quantity <= 0) err([...at, "quantity"], "Quantity must be greater than 0.");
      let variant = null as ReturnType<EmuShop["variants"]["get"]> | null;
      if (li.variantId != null) {
        const id = safeNum(li.variantId, "ProductVariant");
        variant = id === null ? null : (shop.variants.get(id) ?? null);
        if (!variant) err([...at, "variantId"], "Variant is invalid or does not exist.");
      } else if (typeof li.title !== "string" || !li.title.trim())
        err([...at, "title"], "Title can't be blank for a line item without a variant.");
      const priceSet = li.priceSet as Obj | null | undefined;
      const shopMoney = priceSet?.shopMoney as Obj | undefined;
      if (priceSet && (!shopMoney || Number.isNaN(Number(shopMoney.amount)) || Number(shopMoney.amount) < 0))
        err([...at, "priceSet"], "Price must be a non-negative amount.");
      if (shopMoney && shopMoney.currencyCode !== (input.currency ?? shop.currency))
        err([...at, "priceSet", "shopMoney", "currencyCode"], "Currency must match the order's shop currency.");
      return { li, quantity, variant };
    });
    const tracking = resolved.filter((r) => r.variant && shop.inventoryItems.get(r.variant.inventoryItemId)!.tracked);
    if (errs.length === 0 && behaviour === "DECREMENT_OBEYING_POLICY") {
      const need = new Map<number, number>();
      for (const r of tracking)
        need.set(r.variant!.inventoryItemId, (need.get(r.variant!.inventoryItemId) ?? 0) + r.quantity);
      for (const [itemId, q] of need) {
        const have = shop.levels.get(`${itemId}:${locId}`)?.available ?? 0;
        if (have < q)
          err(
            ["order", "lineItems"],
            `Unable to claim inventory: ${have} available, ${q} needed.`,
            "INVENTORY_CLAIM_FAILED",
          );
      }
    }
    if (errs.length) return { order: null, userErrors: errs };
    const now = Date.now();
    const processed = typeof input.processedAt === "string" ? Date.parse(input.processedAt) : now;
    const id = this.store.id();
    const number = shop.orders.size + 1;
    const currency = String(input.currency ?? shop.currency);
    const claim = behaviour !== "BYPASS";
    const orderLines: EmuOrderLine[] = resolved.map(({ li, quantity, variant }) => {
      const lid = this.store.id();
      const p = variant ? shop.products.get(variant.productId)! : null;
      const amount = ((li.priceSet as Obj | undefined)?.shopMoney as Obj | undefined)?.amount;
      return {
        id: lid,
        gid: `gid://shopify/LineItem/${lid}`,
        variantId: variant?.id ?? null,
        productId: p?.id ?? null,
        sku: (li.sku as string | null | undefined) ?? variant?.sku ?? null,
        title: (li.title as string | null | undefined) ?? p?.title ?? "",
        variantTitle:
          (li.variantTitle as string | null | undefined) ??
          (variant && variant.title !== "Default Title" ? variant.title : null),
        quantity,
        price: amount != null ? Number(amount).toFixed(2) : (variant?.price ?? "0.00"),
        refundedQuantity: 0,
        restockedQuantity: 0,
        fulfilledQuantity: 0,
        claimed: claim && !!variant,
        requiresShipping: variant ? true : li.requiresShipping === true,
      };
    });
    const total = orderLines.reduce((s, l) => s + Number(l.price) * l.quantity, 0);
    const paid = ((input.transactions as Obj[] | null) ?? []).reduce(
      (s, t) => s + Number(((t.amountSet as Obj).shopMoney as Obj).amount),
      0,
    );
    const customer = (input.customer as Obj | null)?.toUpsert as Obj | undefined;
    const order: EmuOrder = {
      id,
      gid: `gid://shopify/Order/${id}`,
      number,
      name: typeof input.name === "string" && input.name ? input.name : `#${1000 + number}`,
      locationId: locId,
      createdAt: now,
      updatedAt: now,
      cancelledAt: null,
      cancelReason: null,
      currency,
      email: String(input.email ?? customer?.email ?? ""),
      customer: {
        id: this.store.id(),
        firstName: String(customer?.firstName ?? (input.shippingAddress as Obj | null)?.firstName ?? ""),
        lastName: String(customer?.lastName ?? (input.shippingAddress as Obj | null)?.lastName ?? ""),
      },
      lines: orderLines,
      refunds: [],
      created: {
        sourceIdentifier: (input.sourceIdentifier as string | null) ?? null,
        sourceName: (input.sourceName as string | null) ?? null,
        sourceUrl: (input.sourceUrl as string | null) ?? null,
        tags: [...new Set(((input.tags as string[] | null) ?? []).map((t) => t.trim()).filter(Boolean))],
        note: (input.note as string | null) ?? null,
        customAttributes: ((input.customAttributes as Obj[] | null) ?? []).map((a) => ({
          key: String(a.key),
          value: String(a.value),
        })),
        shippingAddress: address(input.shippingAddress),
        billingAddress: address(input.billingAddress),
        financialStatus: String(
          input.financialStatus ?? (paid >= total && paid > 0 ? "PAID" : paid > 0 ? "PARTIALLY_PAID" : "PENDING"),
        ),
        // 2026-07+: a processedAt in the future is clamped to now (OrderCreateOrderInput.processedAt).
        processedAt: Number.isNaN(processed) ? now : Math.min(processed, now),
        inventoryBehaviour: behaviour,
        fulfillmentOrders: [],
        fulfillments: [],
      },
    };
    const shipping = orderLines.filter((l) => l.requiresShipping);
    if (shipping.length)
      order.created!.fulfillmentOrders.push({
        id: this.store.id(),
        orderId: id,
        locationId: locId,
        status: "OPEN",
        createdAt: now,
        updatedAt: now,
        lines: shipping.map((l) => ({
          id: this.store.id(),
          lineItemId: l.id,
          totalQuantity: l.quantity,
          remainingQuantity: l.quantity,
        })),
      });
    shop.orders.set(id, order);
    if (options.sendReceipt === true)
      (shop.notifications ??= []).push({ kind: "order_confirmation", orderId: order.gid, to: order.email || null });
    if (options.sendFulfillmentReceipt === true && input.fulfillment != null)
      (shop.notifications ??= []).push({ kind: "shipping_confirmation", orderId: order.gid, to: order.email || null });
    this.emit(shop, "orders/create", orderPayload(shop, order, "orders/create"));
    if (claim)
      for (const l of orderLines) {
        if (!l.claimed) continue;
        const v = shop.variants.get(l.variantId!)!;
        if (!shop.inventoryItems.get(v.inventoryItemId)!.tracked) continue;
        this.store.moveAvailable(shop, this.store.level(shop, v.inventoryItemId, locId), -l.quantity, l.quantity);
      }
    return { order: this.orderView(shop, order), userErrors: [] };
  }

  /** orderCancel: an OrderCancelJobResult (done at once); restock puts claimed, unfulfilled units back. */
  private cancel(shop: EmuShop, args: Obj): Obj {
    const id = safeNum(args.orderId, "Order");
    const order = id === null ? undefined : shop.orders.get(id);
    const fail = (message: string, code: string, field: string[] | null = ["orderId"]) => ({
      job: null,
      jobResult: null,
      orderCancelUserErrors: [{ __typename: "OrderCancelUserError", field, message, code }],
      userErrors: [{ field, message }],
    });
    if (!order) return fail("Order does not exist.", "NOT_FOUND");
    if (order.cancelledAt) return fail("Cannot cancel an order that has already been cancelled.", "INVALID", null);
    if (order.lines.some((l) => (l.fulfilledQuantity ?? 0) > 0))
      return fail("Cannot cancel an order with fulfilled line items.", "INVALID", null);
    const reason = String(args.reason).toLowerCase();
    this.store.cancelOrder(shop.domain, { orderId: order.gid, restock: args.restock === true, reason });
    for (const fo of this.shipping(order).fulfillmentOrders) {
      fo.status = "CLOSED";
      fo.updatedAt = Date.now();
      for (const l of fo.lines) l.remainingQuantity = 0;
    }
    if (args.notifyCustomer === true)
      (shop.notifications ??= []).push({ kind: "order_confirmation", orderId: order.gid, to: order.email || null });
    const jobId = `gid://shopify/Job/${this.store.id()}`;
    return {
      job: { __typename: "Job", id: jobId, done: true },
      jobResult: {
        __typename: "OrderCancelJobResult",
        id: jobId,
        done: true,
        status: "SUCCEEDED",
        errors: [],
        order: () => this.orderView(shop, order),
      },
      orderCancelUserErrors: [],
      userErrors: [],
    };
  }

  /** fulfillmentCreate: validates fulfilment orders, quantities and tracking; nothing changes on any error. */
  private fulfil(shop: EmuShop, input: Obj, message: unknown): Obj {
    void message;
    const errs: Obj[] = [];
    const err = (field: string[] | null, msg: string) => errs.push({ field, message: msg });
    const groups = (input.lineItemsByFulfillmentOrder as Obj[]) ?? [];
    if (groups.length === 0) err(["fulfillment", "lineItemsByFulfillmentOrder"], "Fulfillment orders can't be blank.");
    let order: EmuOrder | null = null;
    const picks: { fo: EmuFulfillmentOrder; line: EmuFulfillmentOrderLine; quantity: number }[] = [];
    groups.forEach((g, gi) => {
      const at = ["fulfillment", "lineItemsByFulfillmentOrder", String(gi)];
      const foId = safeNum(g.fulfillmentOrderId, "FulfillmentOrder");
      let found: { o: EmuOrder; fo: EmuFulfillmentOrder } | null = null;
      for (const o of shop.orders.values())
        for (const fo of this.shipping(o).fulfillmentOrders) if (fo.id === foId) found = { o, fo };
      if (!found) return err([...at, "fulfillmentOrderId"], "Fulfillment order does not exist.");
      if (order && order.id !== found.o.id)
        return err([...at, "fulfillmentOrderId"], "Fulfillment orders must belong to the same order.");
      order = found.o;
      if (found.fo.status === "CLOSED" || found.fo.status === "CANCELLED" || found.o.cancelledAt)
        return err(
          [...at, "fulfillmentOrderId"],
          `Fulfillment order ${found.fo.id} has an unfulfillable status= closed.`,
        );
      const wanted = (g.fulfillmentOrderLineItems as Obj[] | null) ?? null;
      if (!wanted) {
        for (const line of found.fo.lines)
          if (line.remainingQuantity > 0) picks.push({ fo: found.fo, line, quantity: line.remainingQuantity });
        return;
      }
      wanted.forEach((w, wi) => {
        const lineId = safeNum(w.id, "FulfillmentOrderLineItem");
        const line = found!.fo.lines.find((l) => l.id === lineId);
        if (!line)
          return err(
            [...at, "fulfillmentOrderLineItems", String(wi), "id"],
            "Fulfillment order line item does not exist.",
          );
        const q = Number(w.quantity);
        if (!Number.isInteger(q) || q <= 0 || q > line.remainingQuantity)
          return err(
            [...at, "fulfillmentOrderLineItems", String(wi), "quantity"],
            `Invalid fulfillment order line item quantity requested (requested ${q}, remaining ${line.remainingQuantity}).`,
          );
        picks.push({ fo: found!.fo, line, quantity: q });
      });
    });
    const t = (input.trackingInfo as Obj | null) ?? null;
    const tracking = t ? parseTracking(t, ["fulfillment", "trackingInfo"], errs) : [];
    if (errs.length === 0 && picks.length === 0) err(["fulfillment"], "No line items to fulfill.");
    if (errs.length || !order) return { fulfillment: null, userErrors: errs };
    const o = order as EmuOrder;
    const now = Date.now();
    const fulfillment: EmuFulfillment = {
      id: this.store.id(),
      orderId: o.id,
      name: `${o.name}-F${this.shipping(o).fulfillments.length + 1}`,
      locationId: picks[0]!.fo.locationId,
      createdAt: now,
      updatedAt: now,
      status: "SUCCESS",
      tracking,
      lines: [],
      notifyCustomer: input.notifyCustomer === true,
    };
    for (const p of picks) {
      p.line.remainingQuantity -= p.quantity;
      const line = o.lines.find((l) => l.id === p.line.lineItemId)!;
      line.fulfilledQuantity = (line.fulfilledQuantity ?? 0) + p.quantity;
      fulfillment.lines.push({ id: this.store.id(), lineItemId: line.id, quantity: p.quantity });
      // A claimed unit leaves committed (on_hand drops); a BYPASS order never claimed any, so nothing moves.
      if (line.claimed && line.variantId !== null) {
        const v = shop.variants.get(line.variantId)!;
        if (shop.inventoryItems.get(v.inventoryItemId)!.tracked)
          this.store.level(shop, v.inventoryItemId, p.fo.locationId).committed -= p.quantity;
      }
    }
    for (const fo of new Set(picks.map((p) => p.fo))) {
      fo.status = fo.lines.every((l) => l.remainingQuantity === 0) ? "CLOSED" : "IN_PROGRESS";
      fo.updatedAt = now;
    }
    this.shipping(o).fulfillments.push(fulfillment);
    o.updatedAt = now;
    if (fulfillment.notifyCustomer)
      (shop.notifications ??= []).push({ kind: "shipping_confirmation", orderId: o.gid, to: o.email || null });
    this.emitFulfilment(shop, o, fulfillment, "fulfillments/create");
    return { fulfillment: this.fulfillmentView(shop, o, fulfillment), userErrors: [] };
  }

  private findFulfillment(shop: EmuShop, id: unknown): { o: EmuOrder; f: EmuFulfillment } | null {
    const fid = safeNum(id, "Fulfillment");
    for (const o of shop.orders.values())
      for (const f of this.shipping(o).fulfillments) if (f.id === fid) return { o, f };
    return null;
  }

  /**
   * fulfillmentTrackingInfoUpdate: replaces the fulfilment's tracking (same input rules as fulfillmentCreate's
   * `trackingInfo`); `notifyCustomer` sends a shipping update. A cancelled fulfilment cannot be updated.
   */
  private updateTracking(shop: EmuShop, args: Obj): Obj {
    const hit = this.findFulfillment(shop, args.fulfillmentId);
    if (!hit)
      return { fulfillment: null, userErrors: [{ field: ["fulfillmentId"], message: "Fulfillment does not exist." }] };
    if (hit.f.status === "CANCELLED")
      return {
        fulfillment: null,
        userErrors: [{ field: ["fulfillmentId"], message: "Cannot update tracking of a cancelled fulfillment." }],
      };
    const t = (args.trackingInfoInput as Obj | null) ?? {};
    const errs: Obj[] = [];
    const parsed = parseTracking(t, ["trackingInfoInput"], errs);
    if (errs.length) return { fulfillment: null, userErrors: errs };
    hit.f.tracking = parsed;
    hit.f.updatedAt = Math.max(Date.now(), hit.f.updatedAt + 1);
    hit.o.updatedAt = hit.f.updatedAt;
    if (args.notifyCustomer === true)
      (shop.notifications ??= []).push({ kind: "shipping_update", orderId: hit.o.gid, to: hit.o.email || null });
    this.emitFulfilment(shop, hit.o, hit.f, "fulfillments/update");
    return { fulfillment: this.fulfillmentView(shop, hit.o, hit.f), userErrors: [] };
  }

  /**
   * fulfillmentCancel: the fulfilment becomes CANCELLED and its units can be fulfilled again — they go back to their
   * fulfilment order when it is still open, else to a new OPEN fulfilment order at the same location (the mutation's
   * description in the 2026-10 schema). Cancelling a cancelled fulfilment is refused.
   */
  private cancelFulfillment(shop: EmuShop, args: Obj): Obj {
    const hit = this.findFulfillment(shop, args.id);
    if (!hit) return { fulfillment: null, userErrors: [{ field: ["id"], message: "Fulfillment does not exist." }] };
    const { o, f } = hit;
    if (f.status === "CANCELLED")
      return { fulfillment: null, userErrors: [{ field: ["id"], message: "Fulfillment is already cancelled." }] };
    const now = Math.max(Date.now(), f.updatedAt + 1);
    f.status = "CANCELLED";
    f.updatedAt = now;
    const ship = this.shipping(o);
    const back: EmuFulfillmentOrderLine[] = [];
    for (const fl of f.lines) {
      const line = o.lines.find((l) => l.id === fl.lineItemId)!;
      line.fulfilledQuantity = Math.max(0, (line.fulfilledQuantity ?? 0) - fl.quantity);
      const open = ship.fulfillmentOrders.find(
        (fo) =>
          fo.status !== "CLOSED" && fo.status !== "CANCELLED" && fo.lines.some((x) => x.lineItemId === fl.lineItemId),
      );
      const foLine = open?.lines.find((x) => x.lineItemId === fl.lineItemId);
      if (foLine) {
        foLine.remainingQuantity += fl.quantity;
        open!.updatedAt = now;
      } else
        back.push({
          id: this.store.id(),
          lineItemId: fl.lineItemId,
          totalQuantity: fl.quantity,
          remainingQuantity: fl.quantity,
        });
    }
    if (back.length)
      ship.fulfillmentOrders.push({
        id: this.store.id(),
        orderId: o.id,
        locationId: f.locationId,
        status: "OPEN",
        createdAt: now,
        updatedAt: now,
        lines: back,
      });
    o.updatedAt = now;
    this.emitFulfilment(shop, o, f, "fulfillments/update");
    return { fulfillment: this.fulfillmentView(shop, o, f), userErrors: [] };
  }
}
