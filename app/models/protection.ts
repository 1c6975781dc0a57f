/**
 * The protection level each store gets against selling the same unit twice (issue 16 item 3), as the Channels page says
 * it. Pure: decided from the channel's mode and the platform's declared write model (app/channels/sales-channel.ts).
 *  - "record": Shopify holds the stock record; its own checkout is the truth.
 *  - "allocations": exact mode with allocations (decision 008): the store sells only units reserved for it in Shopify's
 *    safety_stock — no other channel can sell them.
 *  - "compare-and-set": exact mode: every write is a keyed delta or a compare-and-set, so a sale on the store between
 *    SyncFlow's read and its write is never overwritten; overlap with other channels lasts until the sale reaches the
 *    record (seconds).
 *  - "buffered": the platform takes absolute quantities only (set-only: Amazon, plain WooCommerce REST), so a sale there
 *    between SyncFlow's read and its write can be overwritten; the store shows `bufferUnits` (and `bufferPercent` %)
 *    less than the record, and reconciliation corrects drift. Allocations need compare-and-set, so a set-only store
 *    cannot have them (decisions 251, 275).
 */
export type ProtectionLevel = "record" | "allocations" | "compare-and-set" | "buffered";

export interface Protection {
  level: ProtectionLevel;
  label: string;
  /** One sentence the merchant reads: why this level, and what it means for overselling. */
  why: string;
}

/**
 * @param c the channel's kind, mode ("exact" | "buffered"), allocation flag and buffer (units, %)
 * @param setOnly whether the platform takes absolute quantities only (its declared `writeModel` is "set-only")
 */
export function protectionOf(
  c: { kind: string; mode: string; allocationEnabled: boolean; bufferUnits: number; bufferPercent: number },
  setOnly: boolean,
  recordKind = "shopify",
): Protection {
  if (c.kind === recordKind)
    return { level: "record", label: "Record", why: "Shopify holds the stock record; the other stores follow it." };
  if (c.mode === "exact" && c.allocationEnabled)
    return {
      level: "allocations",
      label: "Allocations",
      why: "Sells only the units reserved for it in Shopify (safety stock): no other channel can sell them, so it cannot oversell.",
    };
  if (c.mode === "exact")
    return {
      level: "compare-and-set",
      label: "Compare-and-set",
      why: "Every write is a keyed change or a compare-and-set, so a sale here is never overwritten; another channel can sell the same unit only until the sale reaches Shopify (seconds).",
    };
  const buffer = `${c.bufferUnits} unit${c.bufferUnits === 1 ? "" : "s"}${c.bufferPercent ? ` or ${c.bufferPercent} %` : ""}`;
  return {
    level: "buffered",
    label: `Buffered (${buffer})`,
    why: setOnly
      ? `This platform takes absolute quantities only (last writer wins), so a sale here before SyncFlow's next write can be overwritten and it cannot hold allocations: it shows ${buffer} less than Shopify, and reconciliation corrects any drift.`
      : `Connected without the SyncFlow plugin (absolute quantities only): it shows ${buffer} less than Shopify, and reconciliation corrects any drift. Install the plugin for compare-and-set.`,
  };
}
