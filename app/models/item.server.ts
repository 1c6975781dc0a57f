/**
 * Read and mapping queries of the item detail page (app/routes/app.items.$itemId.tsx): Shopify levels
 * per location, each store's listing, the item's ledger timeline (newest first, with the order it came
 * from), link candidates per store; link/unlink of one listing. Every query filters on shopId.
 */
import prisma from "../db.server";
import { SALES_CHANNELS, acceptsListingDetails, kindLabel } from "./sales-channels.server";

/** Ledger rows shown on the item page. */
export const ITEM_LEDGER_LIMIT = 100;

/** One ledger entry of the timeline (JSON-safe). */
export interface TimelineEntry {
  id: string;
  createdAt: string;
  cause: string;
  delta: number | null;
  before: number | null;
  after: number | null;
  store: string | null;
  location: string | null;
  actor: string;
  note: string | null;
  orderId: string | null;
  orderNumber: string | null;
  idempotencyKey: string;
}

/** The item detail. */
export interface ItemDetail {
  item: {
    id: string;
    sku: string;
    title: string;
    tracked: boolean;
    inventoryItemId: string | null;
    lowStockThreshold: number | null;
    updatedAt: string;
  };
  levels: { locationGid: string; location: string; available: number; observedAt: string }[];
  stores: {
    channelId: string;
    name: string;
    /** The store's kind as the merchant reads it ("WooCommerce", "Shopify retailer"). */
    kindLabel: string;
    /** Whether the store takes price / title overrides (its kind's `listingDetails` capability). */
    acceptsOverrides: boolean;
    mode: string;
    bufferUnits: number;
    bufferPercent: number;
    feedLocations: string[];
    listing: {
      id: string;
      externalId: string;
      sku: string | null;
      title: string;
      matchStatus: string;
      quantity: number | null;
      lastObservedAt: string | null;
      lastWrittenAt: string | null;
      lastWrittenQuantity: number | null;
      /** Per-store overrides (app/models/overrides.server.ts); price as a 2-decimal string. */
      priceOverride: string | null;
      titleOverride: string | null;
      /** A variant / variation listing (WooCommerce names a variation after its parent): only its price can be overridden. */
      isVariation: boolean;
    } | null;
    candidates: { id: string; sku: string | null; title: string; externalId: string }[];
  }[];
  timeline: TimelineEntry[];
  openConflicts: number;
}

/** The item of `shopId`, or null when it does not exist for that shop. */
export async function getItemDetail(shopId: string, itemId: string): Promise<ItemDetail | null> {
  const item = await prisma.catalogItem.findFirst({
    where: { id: itemId, shopId },
    select: {
      id: true,
      sku: true,
      skuKey: true,
      title: true,
      tracked: true,
      inventoryItemId: true,
      lowStockThreshold: true,
      updatedAt: true,
    },
  });
  if (!item) return null;
  const [levels, locations, channels, listings, ledger, openConflicts] = await Promise.all([
    prisma.inventoryLevel.findMany({ where: { shopId, itemId }, orderBy: { locationGid: "asc" } }),
    prisma.location.findMany({ where: { shopId }, select: { gid: true, name: true } }),
    prisma.channel.findMany({
      where: { shopId, ...SALES_CHANNELS },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        kind: true,
        name: true,
        mode: true,
        bufferUnits: true,
        bufferPercent: true,
        feedLocationIds: true,
        salesLocationId: true,
      },
    }),
    prisma.listing.findMany({ where: { shopId, itemId } }),
    prisma.stockLedger.findMany({ where: { shopId, itemId }, orderBy: { id: "desc" }, take: ITEM_LEDGER_LIMIT }),
    prisma.conflict.count({ where: { shopId, itemId, status: "open" } }),
  ]);
  const locName = new Map(locations.map((l) => [l.gid, l.name]));
  const chName = new Map(channels.map((c) => [c.id, c.name]));
  const orderIds = [...new Set(ledger.map((l) => l.orderId).filter((x): x is string => Boolean(x)))];
  const orders = orderIds.length
    ? await prisma.order.findMany({ where: { shopId, id: { in: orderIds } }, select: { id: true, number: true } })
    : [];
  const orderNo = new Map(orders.map((o) => [o.id, o.number]));
  const candidatesBy = new Map<string, { id: string; sku: string | null; title: string; externalId: string }[]>();
  await Promise.all(
    channels
      .filter((c) => !listings.some((l) => l.channelId === c.id))
      .map(async (c) => {
        const rows = await prisma.listing.findMany({
          where: { shopId, channelId: c.id, itemId: null },
          orderBy: [{ sku: "asc" }],
          take: 50,
          select: { id: true, sku: true, title: true, externalId: true },
        });
        // Same SKU (ignoring case) first.
        rows.sort(
          (a, b) =>
            Number((b.sku ?? "").toLowerCase() === item.skuKey) - Number((a.sku ?? "").toLowerCase() === item.skuKey),
        );
        candidatesBy.set(c.id, rows);
      }),
  );
  return {
    item: { ...item, updatedAt: item.updatedAt.toISOString() },
    levels: levels.map((l) => ({
      locationGid: l.locationGid,
      location: locName.get(l.locationGid) ?? l.locationGid,
      available: l.available,
      observedAt: l.observedAt.toISOString(),
    })),
    stores: channels.map((c) => {
      const l = listings.find((x) => x.channelId === c.id);
      const feed = c.feedLocationIds.length ? c.feedLocationIds : c.salesLocationId ? [c.salesLocationId] : [];
      return {
        channelId: c.id,
        name: c.name,
        kindLabel: kindLabel(c.kind),
        acceptsOverrides: acceptsListingDetails(c.kind),
        mode: c.mode,
        bufferUnits: c.bufferUnits,
        bufferPercent: c.bufferPercent,
        feedLocations: feed.map((g) => locName.get(g) ?? g),
        listing: l
          ? {
              id: l.id,
              externalId: l.externalId,
              sku: l.sku,
              title: l.title,
              matchStatus: l.matchStatus,
              quantity: l.lastObservedQuantity,
              lastObservedAt: l.lastObservedAt?.toISOString() ?? null,
              lastWrittenAt: l.lastWrittenAt?.toISOString() ?? null,
              lastWrittenQuantity: l.lastWrittenQuantity,
              priceOverride: l.priceOverride?.toFixed(2) ?? null,
              titleOverride: l.titleOverride,
              isVariation: l.variantId !== null,
            }
          : null,
        candidates: candidatesBy.get(c.id) ?? [],
      };
    }),
    timeline: ledger.map((r) => ({
      id: r.id.toString(),
      createdAt: r.createdAt.toISOString(),
      cause: r.cause,
      delta: r.delta,
      before: r.before,
      after: r.after,
      store: r.channelId ? (chName.get(r.channelId) ?? null) : null,
      location: r.locationGid ? (locName.get(r.locationGid) ?? r.locationGid) : null,
      actor: r.actor,
      note: r.note,
      orderId: r.orderId,
      orderNumber: r.orderId ? (orderNo.get(r.orderId) ?? null) : null,
      idempotencyKey: r.idempotencyKey,
    })),
    openConflicts,
  };
}

/**
 * Links `listingId` (an unlinked listing of the shop) to `itemId`. Refuses when the store already has a
 * listing linked to the item. @returns a message for the UI.
 */
export async function linkListing(
  shopId: string,
  itemId: string,
  listingId: string,
): Promise<{ ok: boolean; message: string }> {
  const [item, listing] = await Promise.all([
    prisma.catalogItem.findFirst({ where: { id: itemId, shopId }, select: { id: true, sku: true } }),
    prisma.listing.findFirst({
      where: { id: listingId, shopId },
      select: { id: true, channelId: true, itemId: true, manageStock: true, title: true },
    }),
  ]);
  if (!item || !listing) return { ok: false, message: "That item or listing no longer exists. Reload the page." };
  if (listing.itemId && listing.itemId !== itemId)
    return { ok: false, message: "That listing is linked to another SKU. Unlink it there first." };
  const existing = await prisma.listing.count({
    where: { shopId, channelId: listing.channelId, itemId, id: { not: listingId } },
  });
  if (existing) return { ok: false, message: "This store already has a listing linked to this SKU. Unlink it first." };
  await prisma.listing.update({
    where: { id: listingId },
    data: { itemId, matchStatus: listing.manageStock ? "linked" : "not_stocked" },
  });
  return { ok: true, message: `Linked “${listing.title}” to ${item.sku}` };
}

/** Unlinks the shop's listing `listingId` from its item (status "unmatched"). */
export async function unlinkListing(shopId: string, listingId: string): Promise<{ ok: boolean; message: string }> {
  const r = await prisma.listing.updateMany({
    where: { id: listingId, shopId },
    data: { itemId: null, matchStatus: "unmatched" },
  });
  return r.count
    ? { ok: true, message: "Listing unlinked; SyncFlow no longer syncs it." }
    : { ok: false, message: "That listing no longer exists. Reload the page." };
}
