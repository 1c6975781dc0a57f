/**
 * SKU matching (pure, no I/O). GUIDE §2 / issue 2 item 6: auto-match on link, trimmed and
 * case-insensitive, reporting duplicates and unmatched listings.
 *
 * WooCommerce's sample catalog mixes cases (`Woo-tshirt-logo` vs `woo-tshirt`), has variable parents
 * whose stock lives on variations, and grouped/external/virtual items that hold no stock: those are
 * reported, never linked.
 */
import type { ChannelListing } from "../../channels/channel";

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

/**
 * A listing's match status; "ignored" (left unsynced by the merchant) is never computed here, only kept.
 * `ambiguous_sku`: the SKU differs only by letter case from another one (85123A / 85123a) on the same store or on
 * Shopify, and does not match the catalog item's SKU exactly (docs/decisions/107).
 */
export type MatchStatus =
  "linked" | "unmatched" | "duplicate_sku" | "ambiguous_sku" | "no_sku" | "not_stocked" | "ignored";

/** The SKU as written, trimmed and with inner whitespace collapsed (case kept): what "exactly the same SKU" compares. */
export function exactSku(sku: string | null | undefined): string | null {
  if (sku == null) return null;
  const s = sku.trim().replace(/\s+/g, " ");
  return s === "" ? null : s;
}

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
 * Matches a store's listings to catalog items by normalised SKU (trimmed, case-insensitive: GUIDE §2).
 * SKUs that differ only by letter case (docs/decisions/107) are matched exactly instead: when a key is written in more
 * than one case — on this store (`85123A` and `85123a` both listed) or on Shopify (`opts.ambiguousKeys`: the catalog
 * import found two variants) — a listing links only to the item whose SKU it equals exactly; the others are
 * `ambiguous_sku`, with a reason naming the other spellings, never linked to the wrong product.
 * @param items catalog items `{ id, skuKey, sku? }` of the shop (`sku`: the item's SKU as written on Shopify)
 * @param listings the store's listings
 * @param opts.ambiguousKeys SKU keys Shopify has in more than one case
 * @returns one result per listing, in input order. A SKU written identically on two listings of the same store is
 *   `duplicate_sku` for both (neither is linked: we cannot know which one sells the item).
 */
export function matchListings<L extends Pick<ChannelListing, "externalId" | "sku" | "productType" | "manageStock">>(
  items: { id: string; skuKey: string; sku?: string | null }[],
  listings: L[],
  opts: { ambiguousKeys?: ReadonlySet<string> } = {},
): MatchResult<L>[] {
  const byKey = new Map(items.map((i) => [i.skuKey, i]));
  const counts = new Map<string, number>();
  const exactCounts = new Map<string, number>();
  const spellings = new Map<string, Set<string>>(); // key → the SKUs as written on this store
  for (const l of listings) {
    const k = normalizeSku(l.sku);
    if (!k || NON_STOCK_TYPES.has(l.productType)) continue;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    const e = exactSku(l.sku)!;
    exactCounts.set(e, (exactCounts.get(e) ?? 0) + 1);
    (spellings.get(k) ?? spellings.set(k, new Set()).get(k)!).add(e);
  }
  return listings.map((listing) => {
    const skuKey = normalizeSku(listing.sku);
    if (NON_STOCK_TYPES.has(listing.productType)) {
      return {
        listing,
        skuKey,
        itemId: null,
        status: "not_stocked",
        reason: `${listing.productType} products hold no stock of their own`,
      };
    }
    if (!skuKey) return { listing, skuKey, itemId: null, status: "no_sku", reason: "listing has no SKU" };
    const exact = exactSku(listing.sku)!;
    const item = byKey.get(skuKey) ?? null;
    const caseVariants = spellings.get(skuKey)!.size > 1;
    if (caseVariants || opts.ambiguousKeys?.has(skuKey)) {
      // Written in more than one case: only an exact, single match links.
      if ((exactCounts.get(exact) ?? 0) > 1) {
        return {
          listing,
          skuKey,
          itemId: null,
          status: "duplicate_sku",
          reason: `SKU "${listing.sku}" is used by ${exactCounts.get(exact)} listings on this store`,
        };
      }
      if (!item || item.sku == null || exactSku(item.sku) !== exact) {
        const others = [...new Set([...spellings.get(skuKey)!, ...(item?.sku ? [exactSku(item.sku)!] : [])])].filter(
          (x) => x !== exact,
        );
        const where = caseVariants ? "on this store" : "on Shopify";
        return {
          listing,
          skuKey,
          itemId: null,
          status: "ambiguous_sku",
          reason: `SKU "${exact}" differs only by letter case from ${others.map((o) => `"${o}"`).join(", ") || "another SKU"} ${where}; SyncFlow links such SKUs only when they match exactly — rename one of them`,
        };
      }
    } else if ((counts.get(skuKey) ?? 0) > 1) {
      return {
        listing,
        skuKey,
        itemId: null,
        status: "duplicate_sku",
        reason: `SKU "${listing.sku}" is used by ${counts.get(skuKey)} listings on this store`,
      };
    }
    const itemId = item?.id ?? null;
    if (!itemId)
      return {
        listing,
        skuKey,
        itemId: null,
        status: "unmatched",
        reason: `no Shopify variant has SKU "${listing.sku}"`,
      };
    if (!listing.manageStock) {
      return {
        listing,
        skuKey,
        itemId,
        status: "not_stocked",
        reason: "the store does not manage stock for this listing (manage_stock off)",
      };
    }
    return { listing, skuKey, itemId, status: "linked" };
  });
}
