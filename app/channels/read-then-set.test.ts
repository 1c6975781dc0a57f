import { describe, expect, it } from "vitest";
import { ChannelError } from "./channel";
import { readThenSetQuantity, rememberReplay, replayOf } from "./read-then-set";

describe("readThenSetQuantity (decision 300)", () => {
  it("a top-up adds to what the channel shows now, so its unpolled sales stay sold", () => {
    // The hub's baseline is 4; the marketplace sold 3 the hub has not polled: it shows 1.
    expect(readThenSetQuantity({ op: "delta", listingId: "S", delta: 5, idempotencyKey: "k", atMost: 4 }, 1)).toBe(6);
  });
  it("a read above the baseline (a sale an earlier set overwrote) is capped at it", () => {
    expect(readThenSetQuantity({ op: "delta", listingId: "S", delta: 2, idempotencyKey: "k", atMost: 4 }, 7)).toBe(6);
    expect(readThenSetQuantity({ op: "delta", listingId: "S", delta: 2, idempotencyKey: "k" }, 7)).toBe(9);
  });
  it("a take-back or migration (cas) treats `expected` as an upper bound and keeps the difference", () => {
    // Take-back of 2 from a baseline of 5 while 1 unit sold unpolled: 4 − 2.
    expect(readThenSetQuantity({ op: "cas", listingId: "S", expected: 5, quantity: 3, idempotencyKey: "k" }, 4)).toBe(
      2,
    );
    // Migration of a buffered listing showing 10 to its reserved 4, 2 units sold unpolled: 8 − 6.
    expect(readThenSetQuantity({ op: "cas", listingId: "S", expected: 10, quantity: 4, idempotencyKey: "k" }, 8)).toBe(
      2,
    );
    expect(readThenSetQuantity({ op: "cas", listingId: "S", expected: 5, quantity: 3, idempotencyKey: "k" }, 9)).toBe(
      3,
    );
  });
  it("refuses STALE with the read when it cannot take what the step takes (nothing written)", () => {
    const r = readThenSetQuantity({ op: "cas", listingId: "S", expected: 5, quantity: 1, idempotencyKey: "k" }, 2);
    expect(r).toBeInstanceOf(ChannelError);
    expect((r as ChannelError).code).toBe("STALE");
    expect((r as ChannelError).opts.current).toBe(2);
  });
  it("remembers a key's first result (a resent step answers it again)", () => {
    expect(replayOf("x:1")).toBeUndefined();
    rememberReplay("x:1", { before: 1, after: 6 });
    expect(replayOf("x:1")).toEqual({ before: 1, after: 6 });
  });
});
