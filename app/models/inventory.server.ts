/**
 * Read-side queries of the inventory page (app/routes/app.inventory.tsx), built to stay fast at 10,000+
 * SKUs: one page of catalog items (ordered by the (shopId, skuKey) unique index), then that page's
 * inventory levels and listings with `in` queries (indexes (itemId, locationGid) and (shopId, itemId)).
 * Six round trips per page whatever the page size; every query filters on shopId. Filters (store,
 * mapping status, low stock, open conflict, exact/buffered) and sorting (SKU, title, updated) are
 * server-side.
 */
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { SALES_CHANNELS, kindLabel } from "./sales-channels.server";
import { usesAllocations } from "../sync/allocation/allocation-terms";

import { INVENTORY_PAGE_SIZE, INVENTORY_SORTS } from "../lib/page-constants";

export { INVENTORY_PAGE_SIZE };

/** A sales channel column of the table (every kind but the record's). */
export interface InventoryStoreColumn {
  id: string;
  name: string;
  /** The store's kind as the merchant reads it ("WooCommerce", "Shopify retailer"). */
  kindLabel: string;
  mode: string;
  status: string;
  /** Exact allocations on (decision 008): the store sells only units reserved for it in Shopify. */
  allocationEnabled: boolean;
}

/** One store's view of an item. */
export interface InventoryStoreCell {
  /** Shopify available summed over the store's feed locations (or its sales location). */
  feedAvailable: number | null;
  /** Quantity last observed at the store (`Listing.lastObservedQuantity`); null when not observed / not listed. */
  quantity: number | null;
  /** Listing match status, or "not_listed" when the store has no listing for the item. */
  matchStatus: string;
  lastObservedAt: string | null;
  lastWrittenAt: string | null;
  /**
   * Units SyncFlow holds for this store in Shopify's `safety_stock` (exact allocations, decision 008), as
   * the hub wrote them (`Listing.allocatedQuantity`); null when the store does not use allocations or the
   * listing is not migrated yet.
   */
  reserved: number | null;
}

/** One catalog item row. */
export interface InventoryRow {
  id: string;
  sku: string;
  title: string;
  tracked: boolean;
  /** Shopify available summed over all the shop's locations with a level (null when none observed). */
  shopifyAvailable: number | null;
  stores: Record<string, InventoryStoreCell>;
  /** Latest of all its listings' observation/write times. */
  lastSyncAt: string | null;
}

/** A page of the inventory table. */
export interface InventoryPage {
  rows: InventoryRow[];
  stores: InventoryStoreColumn[];
  total: number;
  page: number;
  pageCount: number;
  q: string;
  /** Items with an open conflict among this page's rows. */
  conflictItemIds: string[];
}

export { INVENTORY_SORTS };
/** Sort order of the table. */
export type InventorySort = (typeof INVENTORY_SORTS)[number];

/** Filters of the inventory table (all optional, combined with AND). */
export interface InventoryFilter {
  q?: string;
  /** A sales channel id: mapping status and mode filters then apply to that store. */
  store?: string;
  /** linked | unmatched | not_listed | not_stocked | needs_attention */
  match?: string;
  /** Only items whose Shopify available (all locations) is at or below the low-stock threshold. */
  low?: boolean;
  /** Only items with an open conflict. */
  conflict?: boolean;
  /** exact | buffered: items listed in a store with that sync mode. */
  mode?: string;
}

/** Parse `?page=` (1-based, clamped to ≥ 1), `?q=` (trimmed, ≤ 100 chars), filters and `?sort=`. */
export function parseInventoryParams(url: URL): InventoryFilter & { q: string; page: number; sort: InventorySort } {
  const sp = url.searchParams;
  const q = (sp.get("q") ?? "").trim().slice(0, 100);
  const n = Number.parseInt(sp.get("page") ?? "1", 10);
  const sort = (INVENTORY_SORTS as readonly string[]).includes(sp.get("sort") ?? "")
    ? (sp.get("sort") as InventorySort)
    : "sku";
  const match = sp.get("match") ?? "";
  const mode = sp.get("mode") ?? "";
  return {
    q,
    page: Number.isFinite(n) && n > 0 ? Math.min(n, 100_000) : 1,
    sort,
    store: (sp.get("store") ?? "").slice(0, 40) || undefined,
    match: ["linked", "unmatched", "not_listed", "not_stocked", "needs_attention"].includes(match) ? match : undefined,
    low: sp.get("low") === "1",
    conflict: sp.get("conflict") === "1",
    mode: mode === "exact" || mode === "buffered" ? mode : undefined,
  };
}

/**
 * The Prisma filter for `shopId`'s catalog items matching `f` (shared by the table and bulk actions
 * applied to "all matching"). Low stock and conflicts resolve to id lists first (bounded by the shop's
 * catalog; both use indexed queries).
 */
export async function buildInventoryWhere(
  shopId: string,
  f: InventoryFilter,
  lowStockThreshold: number,
): Promise<Prisma.CatalogItemWhereInput> {
  const and: Prisma.CatalogItemWhereInput[] = [{ shopId }];
  const q = (f.q ?? "").trim();
  if (q) and.push({ OR: [{ skuKey: { contains: q.toLowerCase() } }, { title: { contains: q, mode: "insensitive" } }] });
  const channelScope = f.store ? { channelId: f.store } : {};
  if (f.match === "not_listed") and.push({ listings: { none: { shopId, ...channelScope } } });
  else if (f.match === "needs_attention")
    and.push({
      listings: {
        some: {
          shopId,
          ...channelScope,
          matchStatus: { in: ["unmatched", "duplicate_sku", "ambiguous_sku", "no_sku"] },
        },
      },
    });
  else if (f.match) and.push({ listings: { some: { shopId, ...channelScope, matchStatus: f.match } } });
  else if (f.store) and.push({ listings: { some: { shopId, channelId: f.store } } });
  if (f.mode) and.push({ listings: { some: { shopId, ...channelScope, channel: { mode: f.mode } } } });
  if (f.low) {
    const rows = await prisma.$queryRaw<{ itemId: string }[]>`
      SELECT "itemId" FROM "InventoryLevel" WHERE "shopId" = ${shopId} GROUP BY "itemId" HAVING sum(available) <= ${lowStockThreshold}`;
    and.push({ id: { in: rows.map((r) => r.itemId) } });
  }
  if (f.conflict) {
    const rows = await prisma.conflict.findMany({
      where: { shopId, status: "open" },
      select: { itemId: true },
      distinct: ["itemId"],
    });
    and.push({ id: { in: rows.map((r) => r.itemId) } });
  }
  return and.length === 1 ? and[0]! : { AND: and };
}

function orderByOf(sort: InventorySort): Prisma.CatalogItemOrderByWithRelationInput[] {
  const dir = sort.startsWith("-") ? "desc" : "asc";
  const col = sort.replace(/^-/, "");
  if (col === "title") return [{ title: dir }, { skuKey: "asc" }];
  if (col === "updated") return [{ updatedAt: dir }, { skuKey: "asc" }];
  return [{ skuKey: dir }];
}

/**
 * One page of `shopId`'s catalog, optionally filtered by `q` (case-insensitive substring of SKU or title),
 * with Shopify availability and each sales channel's observed quantity and match status.
 */
export async function getInventoryPage(
  shopId: string,
  opts: InventoryFilter & { page?: number; pageSize?: number; sort?: InventorySort; lowStockThreshold?: number },
): Promise<InventoryPage> {
  const q = (opts.q ?? "").trim();
  const pageSize = opts.pageSize ?? INVENTORY_PAGE_SIZE;
  const where = await buildInventoryWhere(shopId, { ...opts, q }, opts.lowStockThreshold ?? 5);
  const [total, channels] = await Promise.all([
    prisma.catalogItem.count({ where }),
    prisma.channel.findMany({
      where: { shopId, ...SALES_CHANNELS },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        kind: true,
        name: true,
        mode: true,
        status: true,
        allocationEnabled: true,
        feedLocationIds: true,
        salesLocationId: true,
      },
    }),
  ]);
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(Math.max(1, opts.page ?? 1), pageCount);
  const items = await prisma.catalogItem.findMany({
    where,
    orderBy: orderByOf(opts.sort ?? "sku"),
    skip: (page - 1) * pageSize,
    take: pageSize,
    select: { id: true, sku: true, title: true, tracked: true },
  });
  const itemIds = items.map((i) => i.id);
  const [levels, listings, conflicts] = itemIds.length
    ? await Promise.all([
        prisma.inventoryLevel.findMany({
          where: { shopId, itemId: { in: itemIds } },
          select: { itemId: true, locationGid: true, available: true },
        }),
        prisma.listing.findMany({
          where: { shopId, itemId: { in: itemIds }, channelId: { in: channels.map((c) => c.id) } },
          select: {
            itemId: true,
            channelId: true,
            matchStatus: true,
            lastObservedQuantity: true,
            lastObservedAt: true,
            lastWrittenAt: true,
            allocatedQuantity: true,
          },
        }),
        prisma.conflict.findMany({
          where: { shopId, status: "open", itemId: { in: itemIds } },
          select: { itemId: true },
        }),
      ])
    : [[], [], []];

  const levelsByItem = new Map<string, Map<string, number>>();
  for (const l of levels) {
    const m = levelsByItem.get(l.itemId) ?? new Map<string, number>();
    m.set(l.locationGid, l.available);
    levelsByItem.set(l.itemId, m);
  }
  const listingByKey = new Map<string, (typeof listings)[number]>();
  for (const l of listings) listingByKey.set(`${l.itemId}|${l.channelId}`, l);

  // Allocations need exact mode (decision 008) or a read-then-set marketplace (decision 300): any other store with the
  // flag left on reserves nothing.
  const reserving = new Set(channels.filter((c) => usesAllocations(c)).map((c) => c.id));
  const rows: InventoryRow[] = items.map((item) => {
    const itemLevels = levelsByItem.get(item.id);
    let shopifyAvailable: number | null = null;
    if (itemLevels) for (const v of itemLevels.values()) shopifyAvailable = (shopifyAvailable ?? 0) + v;
    const stores: Record<string, InventoryStoreCell> = {};
    let lastSync: Date | null = null;
    for (const ch of channels) {
      const feed = ch.feedLocationIds.length ? ch.feedLocationIds : ch.salesLocationId ? [ch.salesLocationId] : [];
      let feedAvailable: number | null = null;
      for (const gid of feed) {
        const v = itemLevels?.get(gid);
        if (v !== undefined) feedAvailable = (feedAvailable ?? 0) + v;
      }
      const listing = listingByKey.get(`${item.id}|${ch.id}`);
      for (const t of [listing?.lastObservedAt, listing?.lastWrittenAt])
        if (t && (!lastSync || t > lastSync)) lastSync = t;
      stores[ch.id] = {
        feedAvailable,
        quantity: listing?.lastObservedQuantity ?? null,
        matchStatus: listing?.matchStatus ?? "not_listed",
        lastObservedAt: listing?.lastObservedAt?.toISOString() ?? null,
        lastWrittenAt: listing?.lastWrittenAt?.toISOString() ?? null,
        reserved: reserving.has(ch.id) ? (listing?.allocatedQuantity ?? null) : null,
      };
    }
    return { ...item, shopifyAvailable, stores, lastSyncAt: lastSync ? (lastSync as Date).toISOString() : null };
  });

  return {
    rows,
    stores: channels.map(({ id, kind, name, mode, status }) => ({
      id,
      name,
      kindLabel: kindLabel(kind),
      mode,
      status,
      allocationEnabled: reserving.has(id),
    })),
    total,
    page,
    pageCount,
    q,
    conflictItemIds: [...new Set(conflicts.map((c) => c.itemId))],
  };
}
