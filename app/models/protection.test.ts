import { describe, expect, it } from "vitest";
import { protectionOf } from "./protection";

const marketplace = { kind: "amazon", mode: "buffered", bufferUnits: 2, bufferPercent: 0 };

describe("protectionOf: a set-only marketplace (decision 300)", () => {
  it("with allocations: exact by allocation, saying what the remaining window is", () => {
    const p = protectionOf({ ...marketplace, allocationEnabled: true }, true, "shopify", true);
    expect(p.level).toBe("allocations-read-then-set");
    expect(p.label).toBe("Exact by allocation");
    expect(p.why).toMatch(/safety stock/);
    expect(p.why).toMatch(/fresh read/);
  });
  it("without allocations: its buffer, and how to get exact protection", () => {
    const p = protectionOf({ ...marketplace, allocationEnabled: false }, true, "shopify", true);
    expect(p.level).toBe("buffered");
    expect(p.label).toBe("Buffered (2 units)");
    expect(p.why).toMatch(/Reserve this store's stock/);
  });
  it("a set-only store that cannot read-then-set stays buffered even with the flag on", () => {
    const p = protectionOf({ ...marketplace, kind: "woocommerce", allocationEnabled: true }, true, "shopify", false);
    expect(p.level).toBe("buffered");
  });
});
