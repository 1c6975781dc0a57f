/**
 * Read-side queries of the inventory page (app/routes/app.inventory.tsx), built to stay fast at 10,000+
 * SKUs: one page of catalog items (ordered by the (shopId, skuKey) unique index), then that page's
 * inventory levels and listings with `in` queries (indexes (itemId, locationGid) and (shopId, itemId)).
 * Five round trips per page whatever the page size; every query filters on shopId.
 */
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";

import { INVENTORY_PAGE_SIZE } from "../components/constants";

export { INVENTORY_PAGE_SIZE };

/** A WooCommerce store column of the table. */
export interface InventoryStoreColumn {
  id: string;
  name: string;
  mode: string;
  status: string;
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
}

/** Parse `?page=` (1-based, clamped to ≥ 1) and `?q=` (trimmed, ≤ 100 chars). */
export function parseInventoryParams(url: URL): { q: string; page: number } {
  const q = (url.searchParams.get("q") ?? "").trim().slice(0, 100);
  const n = Number.parseInt(url.searchParams.get("page") ?? "1", 10);
  return { q, page: Number.isFinite(n) && n > 0 ? Math.min(n, 100_000) : 1 };
}

/**
 * One page of `shopId`'s catalog, optionally filtered by `q` (case-insensitive substring of SKU or title),
 * with Shopify availability and each WooCommerce store's observed quantity and match status.
 */
export async function getInventoryPage(shopId: string, opts: { q?: string; page?: number; pageSize?: number }): Promise<InventoryPage> {
  const q = (opts.q ?? "").trim();
  const pageSize = opts.pageSize ?? INVENTORY_PAGE_SIZE;
  const where: Prisma.CatalogItemWhereInput = q
    ? { shopId, OR: [{ skuKey: { contains: q.toLowerCase() } }, { title: { contains: q, mode: "insensitive" } }] }
    : { shopId };
  const [total, channels] = await Promise.all([
    prisma.catalogItem.count({ where }),
    prisma.channel.findMany({
      where: { shopId, kind: "woocommerce" },
      orderBy: { createdAt: "asc" },
      select: { id: true, name: true, mode: true, status: true, feedLocationIds: true, salesLocationId: true },
    }),
  ]);
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(Math.max(1, opts.page ?? 1), pageCount);
  const items = await prisma.catalogItem.findMany({
    where,
    orderBy: { skuKey: "asc" },
    skip: (page - 1) * pageSize,
    take: pageSize,
    select: { id: true, sku: true, title: true, tracked: true },
  });
  const itemIds = items.map((i) => i.id);
  const [levels, listings] = itemIds.length
    ? await Promise.all([
        prisma.inventoryLevel.findMany({ where: { shopId, itemId: { in: itemIds } }, select: { itemId: true, locationGid: true, available: true } }),
        prisma.listing.findMany({
          where: { shopId, itemId: { in: itemIds }, channelId: { in: channels.map((c) => c.id) } },
          select: { itemId: true, channelId: true, matchStatus: true, lastObservedQuantity: true, lastObservedAt: true, lastWrittenAt: true },
        }),
      ])
    : [[], []];

  const levelsByItem = new Map<string, Map<string, number>>();
  for (const l of levels) {
    const m = levelsByItem.get(l.itemId) ?? new Map<string, number>();
    m.set(l.locationGid, l.available);
    levelsByItem.set(l.itemId, m);
  }
  const listingByKey = new Map<string, (typeof listings)[number]>();
  for (const l of listings) listingByKey.set(`${l.itemId}|${l.channelId}`, l);

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
      for (const t of [listing?.lastObservedAt, listing?.lastWrittenAt]) if (t && (!lastSync || t > lastSync)) lastSync = t;
      stores[ch.id] = {
        feedAvailable,
        quantity: listing?.lastObservedQuantity ?? null,
        matchStatus: listing?.matchStatus ?? "not_listed",
        lastObservedAt: listing?.lastObservedAt?.toISOString() ?? null,
        lastWrittenAt: listing?.lastWrittenAt?.toISOString() ?? null,
      };
    }
    return { ...item, shopifyAvailable, stores, lastSyncAt: lastSync ? (lastSync as Date).toISOString() : null };
  });

  return {
    rows,
    stores: channels.map(({ id, name, mode, status }) => ({ id, name, mode, status })),
    total,
    page,
    pageCount,
    q,
  };
}
