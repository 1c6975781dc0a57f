/** Read-side queries of the overview page (app/routes/app._index.tsx). Every query filters on shopId. */
import prisma from "../db.server";
import { isSalesChannelKind, kindLabel } from "./sales-channels.server";

/** One connected store as the overview shows it. Dates are ISO strings (JSON-safe). */
export interface ChannelSummary {
  id: string;
  kind: string;
  /** The store's kind as the merchant reads it ("Shopify", "WooCommerce", "Shopify retailer"). */
  kindLabel: string;
  name: string;
  baseUrl: string;
  status: string;
  statusReason: string | null;
  mode: string;
  /** Shopify location GID that absorbs this store's sales (null until picked). */
  salesLocationId: string | null;
  lastSyncAt: string | null;
  lastWebhookAt: string | null;
  linked: number;
  unmatched: number;
  /** Listings that cannot be linked automatically (duplicate SKU, no SKU). */
  needsAttention: number;
}

/** Overview of a shop: its stores with listing counts, and catalog size. */
export interface Overview {
  channels: ChannelSummary[];
  catalogItems: number;
  /** Whether any sales channel (any kind but the record's) is connected. */
  hasSalesChannel: boolean;
}

/**
 * Stores of `shopId` (Shopify first, then the sales channels by kind and creation) with linked / unmatched listing counts
 * (one grouped query, no per-store round trips) and the catalog size.
 */
export async function getOverview(shopId: string): Promise<Overview> {
  const [channels, groups, catalogItems] = await Promise.all([
    prisma.channel.findMany({
      where: { shopId },
      orderBy: [{ kind: "asc" }, { createdAt: "asc" }],
      select: {
        id: true,
        kind: true,
        name: true,
        baseUrl: true,
        status: true,
        statusReason: true,
        mode: true,
        salesLocationId: true,
        lastSyncAt: true,
        lastWebhookAt: true,
      },
    }),
    prisma.listing.groupBy({ by: ["channelId", "matchStatus"], where: { shopId }, _count: { _all: true } }),
    prisma.catalogItem.count({ where: { shopId } }),
  ]);
  const counts = new Map<string, { linked: number; unmatched: number; needsAttention: number }>();
  for (const g of groups) {
    const c = counts.get(g.channelId) ?? { linked: 0, unmatched: 0, needsAttention: 0 };
    if (g.matchStatus === "linked") c.linked += g._count._all;
    else if (g.matchStatus === "unmatched") c.unmatched += g._count._all;
    else if (g.matchStatus === "duplicate_sku" || g.matchStatus === "ambiguous_sku" || g.matchStatus === "no_sku")
      c.needsAttention += g._count._all;
    counts.set(g.channelId, c);
  }
  return {
    catalogItems,
    hasSalesChannel: channels.some((c) => isSalesChannelKind(c.kind)),
    channels: channels.map((c) => ({
      ...c,
      kindLabel: kindLabel(c.kind),
      lastSyncAt: c.lastSyncAt?.toISOString() ?? null,
      lastWebhookAt: c.lastWebhookAt?.toISOString() ?? null,
      ...(counts.get(c.id) ?? { linked: 0, unmatched: 0, needsAttention: 0 }),
    })),
  };
}
