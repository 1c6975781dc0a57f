/**
 * Derived quantity of a linked store (pure). GUIDE §2 rule 1:
 *   store quantity = available(feed locations) − safety buffer − sales taken but not yet applied to Shopify,
 *   floored at 0 — where the store's own pending restocks are already counted (docs/decisions/100).
 * Quantities in units.
 */
export interface DeriveInput {
  /** Shopify available per location GID (the record). */
  availableByLocation: Record<string, number>;
  /** Locations feeding the store; empty means "the sales location". */
  feedLocationIds: string[];
  salesLocationId: string | null;
  /** Deltas of pending (not yet applied) Shopify adjustments of OTHER stores per location GID, e.g. −2 for a sale. */
  pendingByLocation: Record<string, number>;
  /**
   * Deltas of this store's own pending adjustments per location GID. Its pending sales lower its quantity like any
   * sale; its pending restocks count at once — the store put those units back itself (a cancelled WooCommerce order
   * restocks on the store), unlike another store's restock, which is handed out only once Shopify has it.
   */
  ownPendingByLocation?: Record<string, number>;
  /** Safety buffer in units (≥ 0). */
  bufferUnits: number;
  /** Safety buffer as a percentage of the fed available (0–100), rounded up to whole units. */
  bufferPercent: number;
}

/** The feed locations actually used (falls back to the sales location). */
export function feedLocations(input: Pick<DeriveInput, "feedLocationIds" | "salesLocationId">): string[] {
  if (input.feedLocationIds.length) return input.feedLocationIds;
  return input.salesLocationId ? [input.salesLocationId] : [];
}

/**
 * @returns the quantity to show on the store, in units (integer ≥ 0), and the parts it came from.
 */
export function deriveStoreQuantity(input: DeriveInput): {
  quantity: number;
  available: number;
  pending: number;
  buffer: number;
} {
  const locs = feedLocations(input);
  let available = 0;
  let others = 0;
  let own = 0;
  for (const loc of locs) {
    available += input.availableByLocation[loc] ?? 0;
    others += input.pendingByLocation[loc] ?? 0;
    own += input.ownPendingByLocation?.[loc] ?? 0;
  }
  // Pending sales lower what may be sold now; other stores' pending restocks are not handed out until Shopify has
  // them; this store's own pending changes (sales and restocks) are already on its shelf.
  const pendingOut = Math.min(0, others) + own;
  const base = available + pendingOut;
  const buffer =
    Math.max(0, input.bufferUnits) +
    Math.ceil((Math.max(0, base) * Math.min(100, Math.max(0, input.bufferPercent))) / 100);
  return { quantity: Math.max(0, base - buffer), available, pending: pendingOut, buffer };
}
