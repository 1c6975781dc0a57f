/**
 * SKU matching (pure, no I/O). GUIDE §2 / issue 2 item 6: auto-match on link, trimmed and
 * case-insensitive, reporting duplicates and unmatched listings.
 *
 * WooCommerce's sample catalog mixes cases (`Woo-tshirt-logo` vs `woo-tshirt`), has variable parents
 * whose stock lives on variations, and grouped/external/virtual items that hold no stock: those are
 * reported, never linked.
 */
import type { ChannelListing } from "../channels/channel";

/** Normalised SKU key: trimmed, lower-cased, inner whitespace collapsed. Empty → null. */
export function normalizeSku(sku: string | null | undefined): string | null {
  if (sku == null) return null;
  const key = sku.trim().replace(/\s+/g, " ").toLowerCase();
  return key === "" ? null : key;
}

/** Product types that never hold stock of their own on WooCommerce. */
const NON_STOCK_TYPES = new Set(["grouped", "external", "variable"]);

/** Whether a WooCommerce listing of `productType` can hold stock of its own (grouped, external and variable products cannot). */
export function holdsStock(productType: string): boolean {
  return !NON_STOCK_TYPES.has(productType);
}

/** A listing's match status; "ignored" (left unsynced by the merchant) is never computed here, only kept. */
export type MatchStatus = "linked" | "unmatched" | "duplicate_sku" | "no_sku" | "not_stocked" | "ignored";

export interface MatchResult<L extends Pick<ChannelListing, "externalId" | "sku" | "productType" | "manageStock">> {
  listing: L;
  status: MatchStatus;
  /** Normalised key of the listing's SKU (null without one). */
  skuKey: string | null;
  /** Catalog item id when linked. */
  itemId: string | null;
  /** Human-readable reason for anything but "linked". */
  reason?: string;
}

/**
 * Matches a store's listings to catalog items by normalised SKU.
 * @param items catalog items `{ id, skuKey }` of the shop
 * @param listings the store's listings
 * @returns one result per listing, in input order. A SKU key used by two listings of the same store is
 *   `duplicate_sku` for both (neither is linked: we cannot know which one sells the item).
 */
export function matchListings<L extends Pick<ChannelListing, "externalId" | "sku" | "productType" | "manageStock">>(
  items: { id: string; skuKey: string }[],
  listings: L[],
): MatchResult<L>[] {
  const byKey = new Map(items.map((i) => [i.skuKey, i.id]));
  const counts = new Map<string, number>();
  for (const l of listings) {
    const k = normalizeSku(l.sku);
    if (k && !NON_STOCK_TYPES.has(l.productType)) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return listings.map((listing) => {
    const skuKey = normalizeSku(listing.sku);
    if (NON_STOCK_TYPES.has(listing.productType)) {
      return { listing, skuKey, itemId: null, status: "not_stocked", reason: `${listing.productType} products hold no stock of their own` };
    }
    if (!skuKey) return { listing, skuKey, itemId: null, status: "no_sku", reason: "listing has no SKU" };
    if ((counts.get(skuKey) ?? 0) > 1) {
      return { listing, skuKey, itemId: null, status: "duplicate_sku", reason: `SKU "${listing.sku}" is used by ${counts.get(skuKey)} listings on this store` };
    }
    const itemId = byKey.get(skuKey) ?? null;
    if (!itemId) return { listing, skuKey, itemId: null, status: "unmatched", reason: `no Shopify variant has SKU "${listing.sku}"` };
    if (!listing.manageStock) {
      return { listing, skuKey, itemId, status: "not_stocked", reason: "the store does not manage stock for this listing (manage_stock off)" };
    }
    return { listing, skuKey, itemId, status: "linked" };
  });
}
