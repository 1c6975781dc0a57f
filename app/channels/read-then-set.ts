/**
 * Relative writes emulated on set-only platforms (docs/decisions/300): the part every read-then-set adapter shares
 * (Amazon's Listings Items API, Etsy's listing inventory). Pure apart from a small per-process replay memory.
 *
 * An allocation step on an exact store is a keyed delta (top-up) or a compare-and-set (take-back, migration). A
 * set-only platform has neither, so its adapter reads the listing's quantity afresh and sets an absolute value computed
 * from that read:
 * - `delta` (top-up +x, or −x): new = min(read, atMost) + delta, where `atMost` is the hub's baseline (what the channel
 *   may still sell as far as the hub knows);
 * - `cas` (take-back, migration, reconciliation lowering a listing): new = min(read, expected) + (quantity − expected).
 * `read` below the hub's number is the channel's own sales the poll has not delivered yet (Amazon reserves at order
 * time, Etsy decrements at purchase): they stay taken, and the poll later takes them from the channel's allocation once,
 * by order line. `read` above it can only be units no allocation covers (a sale an earlier set overwrote, or an edit
 * on the platform): capping at the hub's number takes them off again. A result below 0 is refused STALE with the read
 * (nothing is written), so the caller re-reads / re-plans as after a lost compare-and-set.
 *
 * Not atomic: a sale between the read and the set is overwritten (the window is one round trip). The idempotency key
 * is remembered per process (`rememberReplay`): an operation resent after its answer was lost answers the first result
 * again instead of adding its delta twice; across processes a resent top-up may add twice until the next write of the
 * listing caps it at the baseline.
 */
import { ChannelError } from "./channel";
import type { QuantityOp } from "./sales-channel";

/** A relative operation a read-then-set adapter emulates. */
export type EmulatedOp = Extract<QuantityOp, { op: "delta" } | { op: "cas" }>;

/**
 * The absolute quantity to set for `op` given the fresh `read` (units).
 * @returns the quantity (≥ 0), or a ChannelError STALE carrying `current` = read when the result would be below 0
 */
export function readThenSetQuantity(op: EmulatedOp, read: number): number | ChannelError {
  const r = Math.max(0, read);
  const next =
    op.op === "delta" ? Math.min(r, op.atMost ?? r) + op.delta : Math.min(r, op.expected) + (op.quantity - op.expected);
  if (next < 0)
    return new ChannelError(
      "STALE",
      `${op.listingId}: the channel shows ${r}, fewer than the ${-(next - r)} unit(s) to take (sales not polled yet)`,
      { current: r, retryable: false },
    );
  return next;
}

const replays = new Map<string, { before: number; after: number }>();
const REPLAY_MAX = 20_000;

/** The first result of an emulated operation's key, if this process answered it before. */
export function replayOf(key: string): { before: number; after: number } | undefined {
  return replays.get(key);
}

/** Remembers an emulated operation's result under its key (bounded: the oldest keys are forgotten first). */
export function rememberReplay(key: string, result: { before: number; after: number }): void {
  replays.set(key, result);
  if (replays.size > REPLAY_MAX) replays.delete(replays.keys().next().value!);
}
