import { describe, expect, it } from "vitest";
import { deriveStoreQuantity } from "./derive";

const base = {
  feedLocationIds: [] as string[],
  salesLocationId: "L1",
  pendingByLocation: {},
  bufferUnits: 0,
  bufferPercent: 0,
};

describe("deriveStoreQuantity", () => {
  it("uses the sales location when no feed locations are chosen", () => {
    expect(deriveStoreQuantity({ ...base, availableByLocation: { L1: 7, L2: 100 } }).quantity).toBe(7);
  });
  it("sums the feed locations", () => {
    expect(
      deriveStoreQuantity({ ...base, feedLocationIds: ["L1", "L2"], availableByLocation: { L1: 7, L2: 3 } }).quantity,
    ).toBe(10);
  });
  it("subtracts sales taken but not yet applied, never adds pending restocks", () => {
    expect(
      deriveStoreQuantity({ ...base, availableByLocation: { L1: 10 }, pendingByLocation: { L1: -3 } }).quantity,
    ).toBe(7);
    expect(
      deriveStoreQuantity({ ...base, availableByLocation: { L1: 10 }, pendingByLocation: { L1: 4 } }).quantity,
    ).toBe(10);
  });
  it("subtracts unit and percent buffers and floors at 0", () => {
    expect(deriveStoreQuantity({ ...base, availableByLocation: { L1: 10 }, bufferUnits: 2 }).quantity).toBe(8);
    expect(deriveStoreQuantity({ ...base, availableByLocation: { L1: 10 }, bufferPercent: 15 }).quantity).toBe(8);
    expect(deriveStoreQuantity({ ...base, availableByLocation: { L1: 1 }, bufferUnits: 5 }).quantity).toBe(0);
    expect(deriveStoreQuantity({ ...base, availableByLocation: { L1: -4 } }).quantity).toBe(0);
  });
});
