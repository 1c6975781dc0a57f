/**
 * The protection level each store gets against selling the same unit twice (issue 16 item 3), as the Channels page says
 * it. Pure: decided from the channel's mode and the platform's declared write model (app/channels/sales-channel.ts).
 *  - "record": Shopify holds the stock record; its own checkout is the truth.
 *  - "allocations": exact mode with allocations (decision 008): the store sells only units reserved for it in Shopify's
 *    safety_stock — no other channel can sell them.
 *  - "compare-and-set": exact mode: every write is a keyed delta or a compare-and-set, so a sale on the store between
 *    SyncFlow's read and its write is never overwritten; overlap with other channels lasts until the sale reaches the
 *    record (seconds).
 *  - "allocations-read-then-set": a set-only marketplace (Amazon, Etsy) with allocations (decision 300): it sells only
 *    the units reserved for it in safety_stock, so Shopify's checkout can never sell them — exact by allocation; each
 *    change is written from a fresh read of the marketplace's quantity (a sale in the round trip between the read and
 *    the write can be overwritten: the stated remaining window).
 *  - "buffered": the platform takes absolute quantities only (set-only: Amazon, Etsy, plain WooCommerce REST) and runs
 *    without allocations, so a sale there before SyncFlow's next write can be overwritten or sold again elsewhere; the
 *    store shows `bufferUnits` (and `bufferPercent` %) less than the record, and reconciliation corrects drift
 *    (decisions 251, 275). A read-then-set marketplace can switch allocations on in Settings.
 */
export type ProtectionLevel = "record" | "allocations" | "allocations-read-then-set" | "compare-and-set" | "buffered";

export interface Protection {
  level: ProtectionLevel;
  label: string;
  /** One sentence the merchant reads: why this level, and what it means for overselling. */
  why: string;
}

/**
 * @param c the channel's kind, mode ("exact" | "buffered"), allocation flag and buffer (units, %)
 * @param setOnly whether the platform takes absolute quantities only (its declared `writeModel` is "set-only")
 * @param readThenSet whether the platform's adapter emulates relative writes by a fresh read then a set (its declared
 *   `readThenSet`: it can hold allocations although set-only, decision 300)
 */
export function protectionOf(
  c: { kind: string; mode: string; allocationEnabled: boolean; bufferUnits: number; bufferPercent: number },
  setOnly: boolean,
  recordKind = "shopify",
  readThenSet = false,
): Protection {
  if (c.kind === recordKind)
    return { level: "record", label: "Record", why: "Shopify holds the stock record; the other stores follow it." };
  if (setOnly && readThenSet && c.allocationEnabled && c.mode !== "exact")
    return {
      level: "allocations-read-then-set",
      label: "Exact by allocation",
      why: "Sells only the units reserved for it in Shopify (safety stock), so Shopify's checkout cannot sell what it sold before SyncFlow's next poll. The platform takes absolute quantities only: each change is written from a fresh read of its quantity, and a sale in the second between that read and the write can be overwritten (the next change corrects it).",
    };
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
      ? readThenSet
        ? `Buffer only (allocations off): this platform takes absolute quantities only and reports its sales by polling, so Shopify can sell a unit sold here until the next poll; it shows ${buffer} less than Shopify, and reconciliation corrects any drift. Switch on "Reserve this store's stock" in Settings for exact protection by allocation.`
        : `This platform takes absolute quantities only (last writer wins), so a sale here before SyncFlow's next write can be overwritten and it cannot hold allocations: it shows ${buffer} less than Shopify, and reconciliation corrects any drift.`
      : `Connected without the SyncFlow plugin (absolute quantities only): it shows ${buffer} less than Shopify, and reconciliation corrects any drift. Install the plugin for compare-and-set.`,
  };
}
