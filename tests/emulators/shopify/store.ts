/**
 * In-memory model of emulated Shopify stores: locations, products/variants/inventory items, inventory
 * levels (quantities in units: available, committed, safety_stock; on_hand = available + committed + safety_stock),
 * orders, refunds.
 * Every change to `available` at a location emits `inventory_levels/update` (including the app's own
 * mutations — the echo the app must recognise), as Shopify does. Times are ms since epoch.
 */
import crypto from "node:crypto";
import {
  orderPayload,
  refundPayload,
  inventoryLevelPayload,
  productPayload,
  shopPayload,
  type EmittedTopic,
} from "./payloads.js";

export interface EmuLocation {
  id: number;
  gid: string;
  name: string;
  isActive: boolean;
}
export interface EmuProduct {
  id: number;
  gid: string;
  title: string;
  handle: string;
  productType: string;
  createdAt: number;
  updatedAt: number;
  variantIds: number[];
}
export interface EmuVariant {
  id: number;
  gid: string;
  productId: number;
  sku: string | null;
  title: string;
  price: string;
  inventoryItemId: number;
  createdAt: number;
  updatedAt: number;
}
export interface EmuInventoryItem {
  id: number;
  gid: string;
  variantId: number;
  tracked: boolean;
  /** `InventoryItem.unitCost` (MoneyV2 in the Admin schema; null/absent = no cost set). Amount as a decimal string. */
  unitCost?: { amount: string; currencyCode: string } | null;
}
export interface EmuLevel {
  itemId: number;
  locationId: number;
  available: number;
  committed: number;
  updatedAt: number;
  /** `safety_stock` units (part of on_hand, not sellable by Shopify's checkout); absent = 0. */
  safetyStock?: number;
}
export interface EmuOrderLine {
  id: number;
  gid: string;
  /** null for a custom line (orderCreate without a variant): no product, no inventory. */
  variantId: number | null;
  productId: number | null;
  sku: string | null;
  title: string;
  variantTitle: string | null;
  quantity: number;
  price: string;
  refundedQuantity: number;
  restockedQuantity: number;
  /** Units fulfilled so far (fulfillmentCreate). */
  fulfilledQuantity?: number;
  /** Whether the order claimed inventory for the line (checkout and DECREMENT_*: yes; orderCreate BYPASS: no). */
  claimed?: boolean;
  requiresShipping?: boolean;
}
export interface EmuOrder {
  id: number;
  gid: string;
  number: number;
  name: string;
  locationId: number;
  createdAt: number;
  updatedAt: number;
  cancelledAt: number | null;
  cancelReason: string | null;
  currency: string;
  email: string;
  customer: { id: number; firstName: string; lastName: string };
  lines: EmuOrderLine[];
  refunds: EmuRefund[];
  /** orderCreate's extra fields (orders.ts); absent on checkout orders. */
  created?: import("./orders.js").EmuCreatedOrder;
  /** A checkout order's fulfilment orders and fulfilments (orders.ts makes them on first use); orderCreate's live in `created`. */
  shipping?: import("./orders.js").EmuShipping;
}
export interface EmuRefund {
  id: number;
  createdAt: number;
  note: string | null;
  restock: boolean;
  lines: {
    id: number;
    lineItemId: number;
    quantity: number;
    locationId: number;
    restockType: "cancel" | "return" | "no_restock";
  }[];
}

/** Stored result of an idempotent mutation (key → input fingerprint + first response). */
export interface IdempotencyRecord {
  fingerprint: string;
  result: unknown;
  failed: boolean;
}

/** One emulated store. */
export interface EmuShop {
  id: number;
  domain: string;
  name: string;
  plan: string;
  currency: string;
  accessToken: string;
  scope: string;
  installed: boolean;
  locations: Map<number, EmuLocation>;
  products: Map<number, EmuProduct>;
  variants: Map<number, EmuVariant>;
  inventoryItems: Map<number, EmuInventoryItem>;
  levels: Map<string, EmuLevel>;
  orders: Map<number, EmuOrder>;
  idempotency: Map<string, IdempotencyRecord>;
  /**
   * Fault: the next `count` inventory mutations (adjust / set / move) are refused with a userError `code` and apply
   * nothing; Shopify remembers the failed attempt under its @idempotent key like any other refusal.
   */
  refuseInventoryWrites?: { count: number; code: string; message: string } | null;
  adjustmentGroups: Map<number, unknown>;
  /** Customer e-mails Shopify sent (orderCreate sendReceipt / sendFulfillmentReceipt, fulfillmentCreate notifyCustomer). */
  notifications?: {
    kind: "order_confirmation" | "shipping_confirmation" | "shipping_update";
    orderId: string;
    to: string | null;
  }[];
  bucket: { available: number; updatedAt: number };
}

export type EmitFn = (shop: EmuShop, topic: EmittedTopic, payload: unknown) => void;

/** Error the control API returns as HTTP 4xx with `{error}`. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Numeric id of a Shopify GID (`gid://shopify/Type/123` → 123); accepts plain numbers too. Throws ControlError(400). */
export function gidNum(gid: string | number, type?: string): number {
  if (typeof gid === "number") return gid;
  const m = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(\?.*)?$/.exec(gid);
  if (m && (!type || m[1] === type)) return Number(m[2]);
  if (/^\d+$/.test(gid)) return Number(gid);
  throw new ControlError(400, `invalid ${type ?? ""} id ${gid}`.replace("  ", " "));
}

export const levelKey = (itemId: number, locationId: number) => `${itemId}:${locationId}`;

/** The collection of shops plus id allocation and webhook emission. */
export class EmuStore {
  readonly shops = new Map<string, EmuShop>();
  private nextId = 1000;
  constructor(
    private readonly emit: EmitFn,
    private readonly bucketSize: () => number,
  ) {}

  /** Allocate a fresh numeric id (unique across the emulator). */
  id(): number {
    return ++this.nextId;
  }

  /** Shop by domain or throws ControlError(404). */
  shop(domain: string): EmuShop {
    const s = this.shops.get(domain);
    if (!s) throw new ControlError(404, `unknown shop ${domain}`);
    return s;
  }

  /** Create a shop (idempotent per domain: returns the existing one). Adds a default location "Shop location". */
  createShop(input: {
    domain: string;
    name?: string;
    accessToken?: string;
    plan?: string;
    currency?: string;
    scope?: string;
  }): EmuShop {
    if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(input.domain))
      throw new ControlError(400, `invalid shop domain ${input.domain}`);
    const existing = this.shops.get(input.domain);
    if (existing) return existing;
    const shop: EmuShop = {
      id: this.id(),
      domain: input.domain,
      name: input.name ?? input.domain.split(".")[0]!,
      plan: input.plan ?? "basic",
      currency: input.currency ?? "USD",
      accessToken: input.accessToken ?? `shpat_${crypto.randomBytes(16).toString("hex")}`,
      scope: input.scope ?? "read_products,write_products,read_inventory,write_inventory,read_orders,read_locations",
      installed: true,
      locations: new Map(),
      products: new Map(),
      variants: new Map(),
      inventoryItems: new Map(),
      levels: new Map(),
      orders: new Map(),
      idempotency: new Map(),
      adjustmentGroups: new Map(),
      bucket: { available: this.bucketSize(), updatedAt: Date.now() },
    };
    this.shops.set(shop.domain, shop);
    this.createLocation(shop.domain, { name: "Shop location" });
    return shop;
  }

  /** Add a location; returns it. */
  createLocation(domain: string, input: { name: string; isActive?: boolean }): EmuLocation {
    const shop = this.shop(domain);
    const id = this.id();
    const loc = { id, gid: `gid://shopify/Location/${id}`, name: input.name, isActive: input.isActive ?? true };
    shop.locations.set(id, loc);
    return loc;
  }

  /**
   * Seed a product with variants. `quantities` maps location GID → available units (tracked items get a level
   * at every location, 0 where not given). Emits nothing (products/create is not an emitted topic).
   */
  createProduct(
    domain: string,
    input: {
      title: string;
      productType?: string;
      variants: {
        sku: string | null;
        title?: string;
        price: string | number;
        tracked?: boolean;
        quantities?: Record<string, number>;
        /** Unit cost (decimal) in the shop's currency; absent = no cost set. */
        unitCost?: string | number;
      }[];
    },
  ) {
    const shop = this.shop(domain);
    const now = Date.now();
    const pid = this.id();
    const product: EmuProduct = {
      id: pid,
      gid: `gid://shopify/Product/${pid}`,
      title: input.title,
      handle: input.title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, ""),
      productType: input.productType ?? "",
      createdAt: now,
      updatedAt: now,
      variantIds: [],
    };
    shop.products.set(pid, product);
    const variants = input.variants.map((vi) => {
      const vid = this.id();
      const iid = this.id();
      const variant: EmuVariant = {
        id: vid,
        gid: `gid://shopify/ProductVariant/${vid}`,
        productId: pid,
        sku: vi.sku,
        title: vi.title ?? "Default Title",
        price: Number(vi.price).toFixed(2),
        inventoryItemId: iid,
        createdAt: now,
        updatedAt: now,
      };
      const item: EmuInventoryItem = {
        id: iid,
        gid: `gid://shopify/InventoryItem/${iid}`,
        variantId: vid,
        tracked: vi.tracked ?? true,
        unitCost: vi.unitCost == null ? null : { amount: Number(vi.unitCost).toFixed(2), currencyCode: shop.currency },
      };
      shop.variants.set(vid, variant);
      shop.inventoryItems.set(iid, item);
      product.variantIds.push(vid);
      for (const [locGid, qty] of Object.entries(vi.quantities ?? {})) {
        const locId = gidNum(locGid, "Location");
        if (!shop.locations.has(locId)) throw new ControlError(400, `unknown location ${locGid}`);
        shop.levels.set(levelKey(iid, locId), {
          itemId: iid,
          locationId: locId,
          available: qty,
          committed: 0,
          updatedAt: now,
        });
      }
      if (!vi.quantities || Object.keys(vi.quantities).length === 0) {
        const first = [...shop.locations.values()][0];
        if (first)
          shop.levels.set(levelKey(iid, first.id), {
            itemId: iid,
            locationId: first.id,
            available: 0,
            committed: 0,
            updatedAt: now,
          });
      }
      return { variantId: variant.gid, inventoryItemId: item.gid, sku: variant.sku };
    });
    return { productId: product.gid, variants };
  }

  /** Update a variant's sku/price/title (merchant edit) → emits products/update. */
  updateVariant(
    domain: string,
    input: { variantId: string; sku?: string | null; price?: string | number; title?: string },
  ) {
    const shop = this.shop(domain);
    const v = shop.variants.get(gidNum(input.variantId, "ProductVariant"));
    if (!v) throw new ControlError(404, `unknown variant ${input.variantId}`);
    if (input.sku !== undefined) v.sku = input.sku;
    if (input.price !== undefined) v.price = Number(input.price).toFixed(2);
    if (input.title !== undefined) v.title = input.title;
    v.updatedAt = Date.now();
    const p = shop.products.get(v.productId)!;
    p.updatedAt = v.updatedAt;
    this.emit(shop, "products/update", productPayload(shop, p));
    return { variantId: v.gid };
  }

  /**
   * Sets a variant's `InventoryItem.unitCost` (what a merchant does in the product's "Cost per item" field; Shopify
   * keeps only the current value). `amount` null clears it. Throws ControlError(404) for an unknown SKU.
   */
  setUnitCost(domain: string, sku: string, amount: string | number | null): void {
    const shop = this.shop(domain);
    const v = this.findVariant(shop, { sku });
    shop.inventoryItems.get(v.inventoryItemId)!.unitCost =
      amount == null ? null : { amount: Number(amount).toFixed(2), currencyCode: shop.currency };
  }

  /** Variant by SKU (exact) or GID. Throws ControlError(404). */
  findVariant(shop: EmuShop, ref: { sku?: string; variantId?: string }): EmuVariant {
    if (ref.variantId) {
      const v = shop.variants.get(gidNum(ref.variantId, "ProductVariant"));
      if (v) return v;
    } else if (ref.sku !== undefined) {
      for (const v of shop.variants.values()) if (v.sku === ref.sku) return v;
    }
    throw new ControlError(404, `unknown variant ${ref.variantId ?? ref.sku}`);
  }

  /** Level for item/location, created at 0 when the item is stocked there for the first time. */
  level(shop: EmuShop, itemId: number, locationId: number): EmuLevel {
    const k = levelKey(itemId, locationId);
    let l = shop.levels.get(k);
    if (!l) {
      l = { itemId, locationId, available: 0, committed: 0, updatedAt: Date.now() };
      shop.levels.set(k, l);
    }
    return l;
  }

  /** Change available by delta (and committed by committedDelta) and emit inventory_levels/update when available moved. */
  moveAvailable(shop: EmuShop, level: EmuLevel, delta: number, committedDelta = 0): void {
    level.available += delta;
    level.committed += committedDelta;
    level.updatedAt = Date.now();
    if (delta !== 0) this.emit(shop, "inventory_levels/update", inventoryLevelPayload(level));
  }

  /** Merchant's manual admin edit: set available at a location (by sku or inventoryItemId). Emits inventory_levels/update. */
  setAvailable(
    domain: string,
    input: { sku?: string; inventoryItemId?: string; locationId?: string; available: number },
  ) {
    const shop = this.shop(domain);
    const itemId = input.inventoryItemId
      ? gidNum(input.inventoryItemId, "InventoryItem")
      : this.findVariant(shop, { sku: input.sku }).inventoryItemId;
    if (!shop.inventoryItems.has(itemId))
      throw new ControlError(404, `unknown inventory item ${input.inventoryItemId}`);
    const locId = input.locationId ? gidNum(input.locationId, "Location") : [...shop.locations.values()][0]!.id;
    if (!shop.locations.has(locId)) throw new ControlError(404, `unknown location ${input.locationId}`);
    const level = this.level(shop, itemId, locId);
    const before = level.available;
    this.moveAvailable(shop, level, input.available - before);
    return { before, after: level.available };
  }

  /**
   * Place an order: decrements available (and adds to committed) at its location for tracked items, emits
   * orders/create then one inventory_levels/update per changed level. Refuses (409) to oversell unless
   * `allowOversell` (Shopify's inventory policy "deny").
   */
  placeOrder(
    domain: string,
    input: {
      lines: { sku?: string; variantId?: string; quantity: number; price?: string | number }[];
      locationId?: string;
      email?: string;
      allowOversell?: boolean;
    },
  ) {
    const shop = this.shop(domain);
    if (!input.lines?.length) throw new ControlError(400, "an order needs lines");
    const locId = input.locationId
      ? gidNum(input.locationId, "Location")
      : [...shop.locations.values()].find((l) => l.isActive)!.id;
    if (!shop.locations.has(locId)) throw new ControlError(404, `unknown location ${input.locationId}`);
    const resolved = input.lines.map((l) => {
      if (!Number.isInteger(l.quantity) || l.quantity <= 0)
        throw new ControlError(400, "quantity must be a positive integer");
      return { v: this.findVariant(shop, l), l };
    });
    if (!input.allowOversell) {
      const need = new Map<number, number>();
      for (const { v, l } of resolved)
        if (shop.inventoryItems.get(v.inventoryItemId)!.tracked)
          need.set(v.inventoryItemId, (need.get(v.inventoryItemId) ?? 0) + l.quantity);
      for (const [itemId, q] of need) {
        const have = shop.levels.get(levelKey(itemId, locId))?.available ?? 0;
        if (have < q) throw new ControlError(409, `insufficient stock for inventory item ${itemId}: ${have} < ${q}`);
      }
    }
    const now = Date.now();
    const id = this.id();
    const number = shop.orders.size + 1;
    const order: EmuOrder = {
      id,
      gid: `gid://shopify/Order/${id}`,
      number,
      name: `#${1000 + number}`,
      locationId: locId,
      createdAt: now,
      updatedAt: now,
      cancelledAt: null,
      cancelReason: null,
      currency: shop.currency,
      email: input.email ?? `buyer${number}@example.com`,
      customer: { id: this.id(), firstName: "Emu", lastName: `Buyer ${number}` },
      refunds: [],
      lines: resolved.map(({ v, l }) => {
        const lid = this.id();
        const p = shop.products.get(v.productId)!;
        return {
          id: lid,
          gid: `gid://shopify/LineItem/${lid}`,
          variantId: v.id,
          productId: p.id,
          sku: v.sku,
          title: p.title,
          variantTitle: v.title === "Default Title" ? null : v.title,
          quantity: l.quantity,
          price: l.price !== undefined ? Number(l.price).toFixed(2) : v.price,
          refundedQuantity: 0,
          restockedQuantity: 0,
        };
      }),
    };
    shop.orders.set(id, order);
    this.emit(shop, "orders/create", orderPayload(shop, order, "orders/create"));
    for (const line of order.lines) {
      const v = shop.variants.get(line.variantId!)!;
      if (!shop.inventoryItems.get(v.inventoryItemId)!.tracked) continue;
      this.moveAvailable(shop, this.level(shop, v.inventoryItemId, locId), -line.quantity, line.quantity);
    }
    return {
      orderId: order.gid,
      name: order.name,
      number: order.number,
      lineItems: order.lines.map((l) => ({ id: l.gid, sku: l.sku, quantity: l.quantity })),
    };
  }

  private order(shop: EmuShop, orderId: string): EmuOrder {
    const o = shop.orders.get(gidNum(orderId, "Order"));
    if (!o) throw new ControlError(404, `unknown order ${orderId}`);
    return o;
  }

  /** Cancel an order; with restock, open quantities go back to available. Emits orders/cancelled (+ inventory_levels/update). */
  cancelOrder(domain: string, input: { orderId: string; restock?: boolean; reason?: string }) {
    const shop = this.shop(domain);
    const order = this.order(shop, input.orderId);
    if (order.cancelledAt) throw new ControlError(422, "order already cancelled");
    order.cancelledAt = Date.now();
    order.updatedAt = order.cancelledAt;
    order.cancelReason = input.reason ?? "customer";
    const moves: [EmuLevel, number][] = [];
    for (const line of order.lines) {
      const open = line.quantity - line.refundedQuantity - (line.fulfilledQuantity ?? 0);
      const v = line.variantId === null ? undefined : shop.variants.get(line.variantId);
      if (open <= 0 || !v || line.claimed === false || !shop.inventoryItems.get(v.inventoryItemId)!.tracked) continue;
      const level = this.level(shop, v.inventoryItemId, order.locationId);
      if (input.restock) {
        line.restockedQuantity += open;
        moves.push([level, open]);
      } else {
        level.committed -= open;
      }
    }
    this.emit(shop, "orders/cancelled", orderPayload(shop, order, "orders/cancelled"));
    for (const [level, q] of moves) this.moveAvailable(shop, level, q, -q);
    return { orderId: order.gid, cancelledAt: new Date(order.cancelledAt).toISOString() };
  }

  /** Refund lines (by line item GID or sku) optionally restocking them. Emits refunds/create (+ inventory_levels/update). */
  refund(
    domain: string,
    input: {
      orderId: string;
      lines: { lineItemId?: string; sku?: string; quantity: number }[];
      restock?: boolean;
      note?: string;
    },
  ) {
    const shop = this.shop(domain);
    const order = this.order(shop, input.orderId);
    const refund: EmuRefund = {
      id: this.id(),
      createdAt: Date.now(),
      note: input.note ?? null,
      restock: !!input.restock,
      lines: [],
    };
    const moves: [EmuLevel, number][] = [];
    for (const rl of input.lines) {
      const line = order.lines.find((l) =>
        rl.lineItemId ? l.id === gidNum(rl.lineItemId, "LineItem") : l.sku === rl.sku,
      );
      if (!line) throw new ControlError(404, `unknown line ${rl.lineItemId ?? rl.sku}`);
      if (rl.quantity <= 0 || rl.quantity > line.quantity - line.refundedQuantity)
        throw new ControlError(422, "refund quantity exceeds refundable quantity");
      line.refundedQuantity += rl.quantity;
      const v = line.variantId === null ? undefined : shop.variants.get(line.variantId);
      const tracked = !!v && line.claimed !== false && shop.inventoryItems.get(v.inventoryItemId)!.tracked;
      refund.lines.push({
        id: this.id(),
        lineItemId: line.id,
        quantity: rl.quantity,
        locationId: order.locationId,
        restockType: input.restock ? "cancel" : "no_restock",
      });
      if (!tracked) continue;
      const level = this.level(shop, v!.inventoryItemId, order.locationId);
      if (input.restock) {
        line.restockedQuantity += rl.quantity;
        moves.push([level, rl.quantity]);
      } else level.committed -= rl.quantity;
    }
    order.refunds.push(refund);
    order.updatedAt = refund.createdAt;
    this.emit(shop, "refunds/create", refundPayload(shop, order, refund));
    for (const [level, q] of moves) this.moveAvailable(shop, level, q, -q);
    return { refundId: `gid://shopify/Refund/${refund.id}` };
  }

  /** Uninstall the app: the token stops working and app/uninstalled is emitted. */
  uninstall(domain: string) {
    const shop = this.shop(domain);
    shop.installed = false;
    this.emit(shop, "app/uninstalled", shopPayload(shop));
    return { ok: true };
  }

  /** Snapshot for assertions: levels by SKU and location GID, orders. */
  state(domain: string) {
    const shop = this.shop(domain);
    const levels = [...shop.levels.values()].map((l) => {
      const item = shop.inventoryItems.get(l.itemId)!;
      const v = shop.variants.get(item.variantId)!;
      const safetyStock = l.safetyStock ?? 0;
      return {
        sku: v.sku,
        variantId: v.gid,
        inventoryItemId: item.gid,
        locationId: `gid://shopify/Location/${l.locationId}`,
        available: l.available,
        committed: l.committed,
        safetyStock,
        onHand: l.available + l.committed + safetyStock,
        tracked: item.tracked,
      };
    });
    const bySku: Record<string, Record<string, number>> = {};
    const safetyBySku: Record<string, Record<string, number>> = {};
    for (const l of levels)
      if (l.sku !== null) {
        (bySku[l.sku] ??= {})[l.locationId] = l.available;
        (safetyBySku[l.sku] ??= {})[l.locationId] = l.safetyStock;
      }
    return {
      shop: { domain: shop.domain, name: shop.name, installed: shop.installed, currency: shop.currency },
      locations: [...shop.locations.values()].map((l) => ({ id: l.gid, name: l.name, isActive: l.isActive })),
      levels,
      availableBySku: bySku,
      safetyStockBySku: safetyBySku,
      notifications: shop.notifications ?? [],
      orders: [...shop.orders.values()].map((o) => ({
        id: o.gid,
        name: o.name,
        cancelledAt: o.cancelledAt ? new Date(o.cancelledAt).toISOString() : null,
        sourceIdentifier: o.created?.sourceIdentifier ?? null,
        tags: o.created?.tags ?? [],
        fulfilled: o.lines.reduce((n, l) => n + (l.fulfilledQuantity ?? 0), 0),
        lines: o.lines.map((l) => ({
          id: l.gid,
          sku: l.sku,
          quantity: l.quantity,
          refunded: l.refundedQuantity,
          restocked: l.restockedQuantity,
        })),
      })),
    };
  }
}
