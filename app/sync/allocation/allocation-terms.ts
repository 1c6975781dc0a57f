/**
 * The terms of exact mode with allocations (docs/decisions/008), shared by the rebalance state machine
 * (allocation.server.ts), the batched rebalances (allocation-batch.server.ts) and the application of store sales
 * (allocation-flush.server.ts). Pure: no I/O.
 */
import { RECORD_KIND } from "../../channels/channel";
import type { Channel as ChannelRow } from "@prisma/client";

/** Shopify quantity name holding allocations. */
export const SAFETY_STOCK = "safety_stock";

/** Shopify ledger document of a store's allocation (required on every non-`available` quantity change). */
export const allocationDocument = (channelId: string): string => `gid://syncflow/Allocation/${channelId}`;

/** Whether a channel runs exact mode with allocations. */
export const usesAllocations = (c: Pick<ChannelRow, "kind" | "mode" | "allocationEnabled">): boolean =>
  c.kind !== RECORD_KIND && c.mode === "exact" && c.allocationEnabled;

/** Compare-and-set rounds a step or a flush tries (re-reading after each STALE) before it leaves the work for later. */
export const MAX_ROUNDS = 6;
