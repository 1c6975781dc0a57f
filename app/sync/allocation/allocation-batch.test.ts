/** Allocations that follow demand (docs/decisions/103): the split and the plan, pure. */
import { describe, expect, it } from "vitest";
import { demandSplit, FLOOR_RATE, planItem } from "./allocation-batch.server";

describe("demandSplit", () => {
  it("splits in proportion to demand, one unit at least to every channel while stock lasts", () => {
    expect(demandSplit(100, [50, 25, 25])).toEqual([50, 25, 25]);
    expect(demandSplit(10, [90, 5, 5])).toEqual([7, 2, 1]); // the floor: quiet stores still get a unit (largest remainder)
    expect(demandSplit(2, [90, 5, 5])).toEqual([1, 1, 0]); // fewer units than channels: the busiest first
    expect(demandSplit(0, [1, 1, 1])).toEqual([0, 0, 0]);
    expect(demandSplit(9, [0, 0, 0])).toEqual([3, 3, 3]); // no demand known: equal shares
  });
  it("keeps every unit (sums to the total) and moves store buffers to Shopify", () => {
    for (const total of [1, 7, 33, 101]) {
      const out = demandSplit(total, [3, 2, 1], [0, 2, 1]);
      expect(out.reduce((a, b) => a + b, 0)).toBe(total);
      expect(out.every((x) => x >= 0)).toBe(true);
    }
    expect(demandSplit(30, [1, 1, 1], [0, 4, 0])).toEqual([14, 6, 10]);
  });
});

describe("planItem", () => {
  const rate = (unitsPerHour: number) => unitsPerHour - FLOOR_RATE;
  it("migrates an unmigrated store to its share of Shopify's available (reserve, then set the store)", () => {
    const p = planItem({
      available: 30,
      shopifyRate: rate(2),
      stores: [{ have: 30, migrated: false, buffer: 0, rate: rate(1) }],
    });
    expect(p.targets).toEqual([20, 10]);
    expect(p.steps).toEqual([{ kind: "migrate", store: 0, qty: 10 }]);
  });
  it("leaves a split that is good enough alone (no step for small drift)", () => {
    const p = planItem({
      available: 45,
      shopifyRate: rate(50),
      stores: [
        { have: 24, migrated: true, buffer: 0, rate: rate(25) },
        { have: 31, migrated: true, buffer: 0, rate: rate(25) },
      ],
    });
    expect(p.steps).toEqual([]);
  });
  it("moves units back to Shopify before it runs dry, from the store holding more than its share", () => {
    const p = planItem({
      available: 1,
      shopifyRate: rate(60),
      stores: [
        { have: 20, migrated: true, buffer: 0, rate: rate(10) },
        { have: 3, migrated: true, buffer: 0, rate: rate(10) },
      ],
    });
    expect(p.targets).toEqual([17, 4, 3]);
    expect(p.steps).toEqual([{ kind: "takeback", store: 0, qty: 16 }]);
  });
  it("tops up a store that sells below its low-water mark (what it sells in a minute)", () => {
    const p = planItem({
      available: 100,
      shopifyRate: rate(60),
      stores: [{ have: 1, migrated: true, buffer: 0, rate: rate(600) }],
    });
    expect(p.steps[0]).toMatchObject({ kind: "topup", store: 0 });
    expect(p.targets[1]).toBeGreaterThan(p.targets[0]!);
  });
});
