/**
 * Store listings that are not synced (the "Review SKU matches" step of onboarding): every WooCommerce
 * listing of a shop that is not linked to a Shopify item, with the reason, and the merchant's decision to
 * leave one unsynced (`matchStatus = "ignored"`). Linking (app/sync/stores/link.server.ts) never overrides that
 * decision; "Sync again" clears it and re-runs the store's linking job. Every query filters on shopId.
 */
import prisma from "../db.server";
import { SALES_CHANNELS, kindLabel } from "./sales-channels.server";
import { enqueue, QUEUES } from "../jobs/queue.server";

/** Listing statuses that need the merchant's review (they are not synced). */
export const NEEDS_REVIEW = ["unmatched", "duplicate_sku", "ambiguous_sku", "no_sku"] as const;

/** One listing row of the review page. */
export interface UnlinkedListing {
  id: string;
  channelId: string;
  channelName: string;
  /** The store's kind as the merchant reads it ("WooCommerce", "Shopify retailer"). */
  channelLabel: string;
  sku: string | null;
  title: string;
  productType: string;
  /** unmatched | duplicate_sku | ambiguous_sku | no_sku | not_stocked | ignored */
  status: string;
  /** Why the listing is not synced, in the merchant's words. */
  reason: string;
  quantity: number | null;
}

/** A page of the review list. */
export interface UnlinkedListingsPage {
  rows: UnlinkedListing[];
  view: "review" | "ignored";
  total: number;
  page: number;
  pageCount: number;
  /** Listings still needing review, across the shop's stores (the onboarding step's count). */
  reviewCount: number;
  ignoredCount: number;
}

export const UNLINKED_PAGE_SIZE = 50;

/** The reason (one short sentence, it fits a table cell) a listing with `status` is not synced (mirrors app/sync/stores/sku.ts `matchListing`). */
export function reasonFor(status: string, sku: string | null, productType: string, storeLabel = "the store"): string {
  switch (status) {
    case "unmatched":
      return `No Shopify variant has SKU “${sku ?? ""}”.`;
    case "duplicate_sku":
      return `SKU “${sku ?? ""}” is on more than one listing in this store.`;
    case "ambiguous_sku":
      return `SKU “${sku ?? ""}” differs only by letter case from another SKU: rename one of them to sync it.`;
    case "no_sku":
      return "The listing has no SKU.";
    case "not_stocked":
      return productType === "variable"
        ? "Variable products hold no stock; their variations do."
        : `Stock tracking is off for this listing in ${storeLabel}.`;
    case "ignored":
      return "Left unsynced by you.";
    default:
      return status;
  }
}

/**
 * One page of `shopId`'s unsynced listings on every sales channel (WooCommerce stores, retailer Shopify shops): `view = "review"` lists those needing review
 * (no matching SKU, duplicate SKU, no SKU), `"ignored"` those left unsynced. Page size 50, 1-based page.
 */
export async function listUnlinkedListings(
  shopId: string,
  opts: { view?: "review" | "ignored"; page?: number } = {},
): Promise<UnlinkedListingsPage> {
  const view = opts.view === "ignored" ? "ignored" : "review";
  const statuses: string[] = view === "ignored" ? ["ignored"] : [...NEEDS_REVIEW];
  const base = { shopId, channel: SALES_CHANNELS };
  const [total, reviewCount, ignoredCount] = await Promise.all([
    prisma.listing.count({ where: { ...base, matchStatus: { in: statuses } } }),
    prisma.listing.count({ where: { ...base, matchStatus: { in: [...NEEDS_REVIEW] } } }),
    prisma.listing.count({ where: { ...base, matchStatus: "ignored" } }),
  ]);
  const pageCount = Math.max(1, Math.ceil(total / UNLINKED_PAGE_SIZE));
  const page = Math.min(Math.max(1, Math.floor(opts.page ?? 1)), pageCount);
  const rows = await prisma.listing.findMany({
    where: { ...base, matchStatus: { in: statuses } },
    orderBy: [{ channelId: "asc" }, { sku: "asc" }, { id: "asc" }],
    skip: (page - 1) * UNLINKED_PAGE_SIZE,
    take: UNLINKED_PAGE_SIZE,
    select: {
      id: true,
      channelId: true,
      sku: true,
      title: true,
      productType: true,
      matchStatus: true,
      lastObservedQuantity: true,
      channel: { select: { name: true, kind: true } },
    },
  });
  return {
    rows: rows.map((l) => ({
      id: l.id,
      channelId: l.channelId,
      channelName: l.channel.name,
      channelLabel: kindLabel(l.channel.kind),
      sku: l.sku,
      title: l.title,
      productType: l.productType,
      status: l.matchStatus,
      reason: reasonFor(l.matchStatus, l.sku, l.productType, kindLabel(l.channel.kind)),
      quantity: l.lastObservedQuantity,
    })),
    view,
    total,
    page,
    pageCount,
    reviewCount,
    ignoredCount,
  };
}

/**
 * Leaves `listingIds` (of `shopId`, not linked) unsynced. Linked listings are not touched (unlink them
 * from the item page first). Returns how many changed.
 */
export async function leaveUnsynced(shopId: string, listingIds: string[]): Promise<number> {
  const r = await prisma.listing.updateMany({
    where: { shopId, id: { in: listingIds }, matchStatus: { in: [...NEEDS_REVIEW] } },
    data: { matchStatus: "ignored", itemId: null },
  });
  return r.count;
}

/**
 * Clears "left unsynced" on `listingIds` (of `shopId`) and queues the linking job of each affected store,
 * which matches them by SKU again (and links them when their SKU now matches). Returns how many changed.
 */
export async function syncAgain(shopId: string, listingIds: string[]): Promise<number> {
  const listings = await prisma.listing.findMany({
    where: { shopId, id: { in: listingIds }, matchStatus: "ignored" },
    select: { id: true, channelId: true },
  });
  if (!listings.length) return 0;
  await prisma.listing.updateMany({
    where: { shopId, id: { in: listings.map((l) => l.id) } },
    data: { matchStatus: "unmatched" },
  });
  for (const channelId of new Set(listings.map((l) => l.channelId)))
    await enqueue(QUEUES.linkChannel, { shopId, channelId });
  return listings.length;
}
