/**
 * Etsy's request budget (docs/decisions/273): Etsy limits requests per APPLICATION — a sliding second (QPS, default
 * 10) and 24 hours (QPD, default 10,000; raised on request) — shared by every merchant's shop connected to SyncFlow.
 * So the polling interval and the reconciliation cadence of each Etsy channel come from that budget, the number of
 * connected Etsy shops and the channel's catalog size, not from a fixed timer:
 *
 *   share      = floor(QPD × (1 − HEADROOM) / shops)                      requests per shop per day
 *   writes     = WRITE_SHARE × share                                       (2 requests per listing written: GET + PUT)
 *   poll every = clamp(86,400 s / (POLL_SHARE × share), 60 s, 30 min)       (≥ 1 getShopReceipts call per poll)
 *   run cost   = ceil(listings / 100) + 1                                  (getListingsByShop pages with Inventory
 *                                                                            + one receipts catch-up page)
 *   reconcile every = max(15 min, 86,400 s / (RECONCILE_SHARE × share / run cost))
 *
 * HEADROOM 10 % (connections, verification, retries), WRITE_SHARE 40 %, POLL_SHARE 30 %, RECONCILE_SHARE 30 %.
 * `listings` is the channel's linked SKUs (an upper bound of its Etsy listings: a variation listing holds several).
 */

/** Etsy's default per-application limits (Etsy "Rate limits" essentials page). */
export const ETSY_DEFAULT_QPS = 10;
export const ETSY_DEFAULT_QPD = 10_000;

export const HEADROOM = 0.1;
export const WRITE_SHARE = 0.4;
export const POLL_SHARE = 0.3;
export const RECONCILE_SHARE = 0.3;
/** Most listings one getListingsByShop page returns (`limit` ≤ 100). */
export const LISTINGS_PER_PAGE = 100;

const DAY_MS = 86_400_000;
const MIN_POLL_MS = 60_000;
const MAX_POLL_MS = 30 * 60_000;
const MIN_RECONCILE_MS = 15 * 60_000;

export interface RequestBudgetPlan {
  /** The application's requests per 24 h (QPD) and per second (QPS). */
  perDay: number;
  perSecond: number;
  /** Connected shops sharing it and the channel's catalog (linked SKUs). */
  shops: number;
  listings: number;
  /** This shop's share per day and how it is spent. */
  sharePerDay: number;
  writeCallsPerDay: number;
  pollCallsPerDay: number;
  reconcileCallsPerRun: number;
  /** Derived cadences (ms). */
  pollIntervalMs: number;
  reconcileIntervalMs: number;
}

/**
 * The plan for one Etsy channel. @param input.perDay the app's QPD, `shops` connected Etsy channels (≥ 1 counted),
 * `listings` the channel's catalog size (SKUs). Pure; no I/O.
 */
export function etsyBudgetPlan(input: {
  perDay?: number;
  perSecond?: number;
  shops: number;
  listings: number;
}): RequestBudgetPlan {
  const perDay = input.perDay ?? ETSY_DEFAULT_QPD;
  const perSecond = input.perSecond ?? ETSY_DEFAULT_QPS;
  const shops = Math.max(1, input.shops);
  const listings = Math.max(0, input.listings);
  const share = Math.floor((perDay * (1 - HEADROOM)) / shops);
  const pollCalls = Math.max(1, POLL_SHARE * share);
  const runCost = Math.ceil(listings / LISTINGS_PER_PAGE) + 1;
  const runs = Math.max(1e-6, (RECONCILE_SHARE * share) / runCost);
  const pollIntervalMs = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.ceil(DAY_MS / pollCalls / 1000) * 1000));
  return {
    perDay,
    perSecond,
    shops,
    listings,
    sharePerDay: share,
    writeCallsPerDay: Math.floor(WRITE_SHARE * share),
    pollCallsPerDay: Math.floor(DAY_MS / pollIntervalMs),
    reconcileCallsPerRun: runCost,
    pollIntervalMs,
    reconcileIntervalMs: Math.max(MIN_RECONCILE_MS, Math.ceil(DAY_MS / runs / 60_000) * 60_000),
  };
}
