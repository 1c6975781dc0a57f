/**
 * Read side of the admin block on Shopify's product details page (extensions/syncflow-product-block): for one
 * Shopify product, each variant's quantity on Shopify and on every sales channel, the link state of its
 * listing there, the last sync, and its open conflicts. Scoped to the session's shop.
 *
 * In: the shop's domain and a product GID (`gid://shopify/Product/<n>`). Out: `ProductBlockData` (quantities in
 * units, times ISO-8601). A product SyncFlow has not imported yet gives `variants: []` (not an error).
 */
import prisma from "../db.server";
import { isRecordChannel } from "../billing/plans";

/** One sales channel's view of a variant. */
export interface BlockChannelCell {
  channelId: string;
  name: string;
  kind: string;
  /** Paused by the plan (stock still syncs). */
  paused: boolean;
  /** linked | unmatched | duplicate_sku | no_sku | not_stocked | not_listed */
  linkState: string;
  /** What the store shows, in units, as last observed; null when unknown or not stocked. */
  quantity: number | null;
  /** Last time SyncFlow wrote or observed this listing. */
  lastSyncAt: string | null;
}

export interface BlockVariant {
  itemId: string;
  sku: string;
  title: string;
  /** Shopify available summed over the shop's locations, in units (the record). */
  shopifyAvailable: number | null;
  channels: BlockChannelCell[];
  openConflicts: number;
  lastSyncAt: string | null;
}

export interface ProductBlockData {
  productId: string;
  variants: BlockVariant[];
  channels: { id: string; name: string; kind: string; status: string; paused: boolean }[];
}

/** Validates a product GID; returns it or null. */
export function parseProductGid(v: unknown): string | null {
  return typeof v === "string" && /^gid:\/\/shopify\/Product\/\d{1,20}$/.test(v) ? v : null;
}

/** The block's data for `productId` in the shop `shopDomain` (null when the shop is unknown). */
export async function productBlockData(shopDomain: string, productId: string): Promise<ProductBlockData | null> {
  const shop = await prisma.shop.findUnique({ where: { domain: shopDomain }, select: { id: true, domain: true } });
  if (!shop) return null;
  const allChannels = await prisma.channel.findMany({
    where: { shopId: shop.id, status: { not: "disconnected" } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const record = allChannels.find((c) => isRecordChannel(c, shop.domain));
  const sales = allChannels.filter((c) => !isRecordChannel(c, shop.domain));
  if (!record) return { productId, variants: [], channels: [] };
  const recordListings = await prisma.listing.findMany({
    where: { channelId: record.id, productId, itemId: { not: null } },
    select: { itemId: true, title: true },
    orderBy: { externalId: "asc" },
  });
  const itemIds = recordListings.map((l) => l.itemId!);
  const [items, levels, listings, conflicts] = await Promise.all([
    prisma.catalogItem.findMany({
      where: { shopId: shop.id, id: { in: itemIds } },
      select: { id: true, sku: true, title: true },
    }),
    prisma.inventoryLevel.groupBy({
      by: ["itemId"],
      where: { shopId: shop.id, itemId: { in: itemIds } },
      _sum: { available: true },
      _max: { observedAt: true },
    }),
    prisma.listing.findMany({
      where: { shopId: shop.id, itemId: { in: itemIds }, channelId: { in: sales.map((c) => c.id) } },
      select: {
        itemId: true,
        channelId: true,
        matchStatus: true,
        lastObservedQuantity: true,
        lastWrittenQuantity: true,
        lastObservedAt: true,
        lastWrittenAt: true,
        manageStock: true,
      },
    }),
    prisma.conflict.groupBy({
      by: ["itemId"],
      where: { shopId: shop.id, itemId: { in: itemIds }, status: "open" },
      _count: { _all: true },
    }),
  ]);
  const itemById = new Map(items.map((i) => [i.id, i]));
  const levelBy = new Map(levels.map((l) => [l.itemId, l]));
  const conflictsBy = new Map(conflicts.map((c) => [c.itemId, c._count._all]));
  const later = (a: Date | null, b: Date | null) => (!a ? b : !b ? a : a > b ? a : b);
  const variants: BlockVariant[] = itemIds.map((itemId) => {
    const item = itemById.get(itemId);
    let last: Date | null = levelBy.get(itemId)?._max.observedAt ?? null;
    const cells = sales.map((c): BlockChannelCell => {
      const l = listings.find((x) => x.itemId === itemId && x.channelId === c.id);
      const at = l ? later(l.lastWrittenAt, l.lastObservedAt) : null;
      last = later(last, at);
      return {
        channelId: c.id,
        name: c.name,
        kind: c.kind,
        paused: !!c.pausedAt,
        linkState: l ? l.matchStatus : "not_listed",
        quantity: l && l.manageStock ? (l.lastObservedQuantity ?? l.lastWrittenQuantity) : null,
        lastSyncAt: at?.toISOString() ?? null,
      };
    });
    return {
      itemId,
      sku: item?.sku ?? "",
      title: item?.title ?? recordListings.find((r) => r.itemId === itemId)?.title ?? "",
      shopifyAvailable: levelBy.get(itemId)?._sum.available ?? null,
      channels: cells,
      openConflicts: conflictsBy.get(itemId) ?? 0,
      lastSyncAt: (last as Date | null)?.toISOString() ?? null,
    };
  });
  return {
    productId,
    variants,
    channels: sales.map((c) => ({ id: c.id, name: c.name, kind: c.kind, status: c.status, paused: !!c.pausedAt })),
  };
}

/** The product's item ids (for "Sync now"); empty when the product is unknown to SyncFlow. */
export async function productItemIds(
  shopDomain: string,
  productId: string,
): Promise<{ shopId: string; itemIds: string[] } | null> {
  const shop = await prisma.shop.findUnique({ where: { domain: shopDomain }, select: { id: true, domain: true } });
  if (!shop) return null;
  const record = (await prisma.channel.findMany({ where: { shopId: shop.id, kind: "shopify" } })).find((c) =>
    isRecordChannel(c, shop.domain),
  );
  if (!record) return { shopId: shop.id, itemIds: [] };
  const rows = await prisma.listing.findMany({
    where: { channelId: record.id, productId, itemId: { not: null } },
    select: { itemId: true },
  });
  return { shopId: shop.id, itemIds: rows.map((r) => r.itemId!) };
}
