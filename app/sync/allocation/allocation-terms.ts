/**
 * The terms of exact mode with allocations (docs/decisions/008), shared by the rebalance state machine
 * (allocation.server.ts), the batched rebalances (allocation-batch.server.ts) and the application of store sales
 * (allocation-flush.server.ts). Pure: no I/O.
 */
import { RECORD_KIND } from "../../channels/channel";
import { salesChannelKind, salesChannelKinds } from "../../channels/registry.server";
import type { Channel as ChannelRow } from "@prisma/client";

/** Shopify quantity name holding allocations. */
export const SAFETY_STOCK = "safety_stock";

/** Shopify ledger document of a store's allocation (required on every non-`available` quantity change). */
export const allocationDocument = (channelId: string): string => `gid://syncflow/Allocation/${channelId}`;

/**
 * Whether a channel of `kind` is set-only with emulated relative writes (its kind declares `readThenSet`: Amazon, Etsy;
 * docs/decisions/300): it can hold allocations although its mode stays "buffered".
 */
export const readThenSetKind = (kind: string): boolean => !!salesChannelKind(kind)?.declared.readThenSet;

/** The kinds `readThenSetKind` accepts (for queries that select allocation channels). */
export const readThenSetKinds = (): string[] =>
  salesChannelKinds()
    .filter((k) => k.declared.readThenSet)
    .map((k) => k.kind);

/** Whether a channel may hold allocations: exact mode (compare-and-set, decision 008) or a read-then-set kind (300). */
export const canAllocate = (c: Pick<ChannelRow, "kind" | "mode">): boolean =>
  c.kind !== RECORD_KIND && (c.mode === "exact" || readThenSetKind(c.kind));

/**
 * Whether a channel runs with allocations: exact mode with allocations (decision 008), or a set-only read-then-set
 * channel with allocations (exact by allocation, decision 300). The flag on any other channel reserves nothing.
 */
export const usesAllocations = (c: Pick<ChannelRow, "kind" | "mode" | "allocationEnabled">): boolean =>
  c.allocationEnabled && canAllocate(c);

/** Compare-and-set rounds a step or a flush tries (re-reading after each STALE) before it leaves the work for later. */
export const MAX_ROUNDS = 6;
