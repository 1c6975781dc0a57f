/**
 * The forecasting method on series with known answers (decision 294): constant demand, a linear trend, a stockout gap,
 * an anomaly, and the edge cases (no sales, a new item, returns, always sold out, unknown stock).
 */
import { describe, expect, it } from "vitest";
import { addDays, daysBetween, forecast, type DemandDay } from "./model";

const TODAY = "2026-12-01";
const settings = { leadTimeDays: 7, safetyStock: 20, orderForDays: 30 };

/** A window of `units.length` complete days ending yesterday; `out` = indexes of stockout days. */
function series(units: number[], out: number[] = []): DemandDay[] {
  return units.map((u, i) => ({ day: addDays(TODAY, i - units.length), units: u, stockout: out.includes(i) }));
}

describe("forecast: known answers", () => {
  it("constant demand: 10/day → 10 days of cover on 100, reorder point 7×10+20, order up to 37×10+20", () => {
    const f = forecast({ ...settings, days: series(Array(28).fill(10)), available: 100, today: TODAY });
    expect(f.method).toBe("mean");
    expect(f.demandPerDay).toBe(10);
    expect(f.daysOfCover).toBe(10);
    expect(f.stockoutDate).toBe("2026-12-11");
    expect(f.reorderPoint).toBe(90);
    expect(f.reorderNow).toBe(false);
    expect(f.suggestedQty).toBe(0);
    expect(f.lowCover).toBe(false);
    expect(f.anomaly).toBeNull();

    const low = forecast({ ...settings, days: series(Array(28).fill(10)), available: 80, today: TODAY });
    expect(low.reorderNow).toBe(true);
    expect(low.lowCover).toBe(true);
    expect(low.suggestedQty).toBe(10 * 37 + 20 - 80); // 310
    expect(low.stockoutDate).toBe("2026-12-09");
  });

  it("a linear trend: 2, 3, …, 29 → slope 1, demand 30 on the first forecast day", () => {
    const f = forecast({
      ...settings,
      days: series(Array.from({ length: 28 }, (_, t) => 2 + t)),
      available: 300,
      today: TODAY,
    });
    expect(f.method).toBe("trend");
    expect(f.slopePerDay).toBeCloseTo(1, 9);
    expect(f.demandPerDay).toBeCloseTo(30, 9);
    expect(f.daysOfCover).toBeCloseTo(10, 9);
    expect(f.stockoutDate).toBe("2026-12-11");
    expect(f.reorderPoint).toBe(30 * 7 + 20);
  });

  it("a falling trend never forecasts below zero", () => {
    const f = forecast({
      ...settings,
      days: series(Array.from({ length: 28 }, (_, t) => 27 - t)),
      available: 5,
      today: TODAY,
    });
    expect(f.method).toBe("trend");
    expect(f.demandPerDay).toBe(0);
    expect(f.daysOfCover).toBeNull();
    expect(f.lowCover).toBe(false);
  });

  it("noise without a trend keeps the mean (the slope is not significant)", () => {
    const f = forecast({
      ...settings,
      days: series(Array.from({ length: 28 }, (_, t) => [9, 11, 10, 12, 8][t % 5]!)),
      available: 100,
      today: TODAY,
    });
    expect(f.method).toBe("mean");
    expect(f.demandPerDay).toBeCloseTo(280 / 28, 9);
  });

  it("a stockout gap: sold-out days are left out, so the item does not look unpopular", () => {
    // 10/day, but 7 days sold out (1 unit sold on the day it ran out, 0 after).
    const units = Array(28).fill(10);
    for (let i = 10; i < 17; i++) units[i] = i === 10 ? 1 : 0;
    const f = forecast({ ...settings, days: series(units, [10, 11, 12, 13, 14, 15, 16]), available: 50, today: TODAY });
    expect(f.daysUsed).toBe(21);
    expect(f.stockoutDays).toBe(7);
    expect(f.method).toBe("mean");
    expect(f.demandPerDay).toBe(10); // a plain mean over all 28 days would say 7.5
    expect(f.daysOfCover).toBe(5);
    expect(f.anomaly).toBeNull();
  });

  it("a trend across a stockout gap keeps its line (t is the calendar day, not the in-stock count)", () => {
    const units = Array.from({ length: 28 }, (_, t) => 2 + t);
    const f = forecast({
      ...settings,
      days: series(
        units.map((u, i) => (i >= 5 && i < 12 ? 0 : u)),
        [5, 6, 7, 8, 9, 10, 11],
      ),
      available: 300,
      today: TODAY,
    });
    expect(f.method).toBe("trend");
    expect(f.demandPerDay).toBeCloseTo(30, 9);
  });

  it("an anomaly: a spike and a drop on the latest day are flagged; a small wobble is not", () => {
    const base = Array.from({ length: 27 }, (_, t) => [9, 10, 11][t % 3]!); // median 10, MAD 1 → scale √10
    const spike = forecast({ ...settings, days: series([...base, 40]), available: 100, today: TODAY });
    expect(spike.anomaly).toMatchObject({ direction: "spike", day: "2026-11-30", units: 40, expected: 10 });
    expect(spike.anomaly!.score).toBeCloseTo(30 / Math.sqrt(10), 9);
    const drop = forecast({ ...settings, days: series([...base, 0]), available: 100, today: TODAY });
    expect(drop.anomaly).toMatchObject({ direction: "drop", units: 0 });
    expect(drop.anomaly!.score).toBeCloseTo(-10 / Math.sqrt(10), 9); // −3.16 ≤ −3
    expect(forecast({ ...settings, days: series([...base, 14]), available: 100, today: TODAY }).anomaly).toBeNull(); // z 1.26
    // A wide baseline (MAD 10 → scale 14.8) needs a bigger departure: 40 against a median of 20 is z 1.35.
    const wide = Array.from({ length: 27 }, (_, t) => [10, 20, 30][t % 3]!);
    expect(forecast({ ...settings, days: series([...wide, 40]), available: 100, today: TODAY }).anomaly).toBeNull();
    expect(
      forecast({ ...settings, days: series([...wide, 70]), available: 100, today: TODAY }).anomaly?.direction,
    ).toBe("spike");
  });

  it("a sold-out latest day is no anomaly, and too little baseline checks nothing", () => {
    const base = Array(27).fill(10);
    expect(forecast({ ...settings, days: series([...base, 0], [27]), available: 0, today: TODAY }).anomaly).toBeNull();
    expect(
      forecast({ ...settings, days: series([10, 10, 10, 10, 10, 40]), available: 100, today: TODAY }).anomaly,
    ).toBeNull();
  });
});

describe("forecast: edge cases", () => {
  it("no sales: demand 0, no stockout date, reorder point = safety stock", () => {
    const f = forecast({ ...settings, days: series(Array(28).fill(0)), available: 15, today: TODAY });
    expect(f.demandPerDay).toBe(0);
    expect(f.daysOfCover).toBeNull();
    expect(f.stockoutDate).toBeNull();
    expect(f.reorderPoint).toBe(20);
    expect(f.reorderNow).toBe(true); // 15 ≤ 20: below the safety stock
    expect(f.suggestedQty).toBe(5);
    expect(f.lowCover).toBe(false); // nothing sells: no low-cover alert
  });

  it("a new item: a few days are used and marked low-history; no days at all is no forecast", () => {
    const f = forecast({ ...settings, days: series([4, 6, 5]), available: 10, today: TODAY });
    expect(f.lowHistory).toBe(true);
    expect(f.demandPerDay).toBe(5);
    expect(f.daysOfCover).toBe(2);
    const none = forecast({ ...settings, days: [], available: 10, today: TODAY });
    expect(none).toMatchObject({
      method: "none",
      demandPerDay: null,
      daysOfCover: null,
      stockoutDate: null,
      lowCover: false,
    });
  });

  it("returns: a day with more returned than sold counts as 0 demand, not negative", () => {
    const units = Array(28).fill(10);
    units[20] = -5;
    const f = forecast({ ...settings, days: series(units), available: 100, today: TODAY });
    expect(f.method).toBe("mean");
    expect(f.demandPerDay).toBeCloseTo(270 / 28, 9);
  });

  it("always sold out: demand unknown (null), no cover claimed", () => {
    const f = forecast({
      ...settings,
      days: series(Array(10).fill(0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      available: 0,
      today: TODAY,
    });
    expect(f.demandPerDay).toBeNull();
    expect(f.daysOfCover).toBeNull();
    expect(f.stockoutDays).toBe(10);
  });

  it("nothing or less available is 0 days of cover, out today; unknown stock decides nothing", () => {
    const f = forecast({ ...settings, days: series(Array(28).fill(3)), available: -2, today: TODAY });
    expect(f.daysOfCover).toBe(0);
    expect(f.stockoutDate).toBe(TODAY);
    expect(f.suggestedQty).toBe(Math.ceil(3 * 37 + 20 + 2));
    const unknown = forecast({ ...settings, days: series(Array(28).fill(3)), available: null, today: TODAY });
    expect(unknown).toMatchObject({ daysOfCover: null, reorderNow: false, suggestedQty: 0, reorderPoint: 41 });
  });

  it("fractional demand rounds the reorder point and quantity up, without float dust", () => {
    const f = forecast({
      leadTimeDays: 3,
      safetyStock: 0,
      orderForDays: 10,
      days: series(Array(10).fill(0.1 * 10)),
      available: 0,
      today: TODAY,
    });
    expect(f.reorderPoint).toBe(3);
    expect(f.suggestedQty).toBe(13);
  });

  it("rejects negative settings", () => {
    expect(() => forecast({ ...settings, leadTimeDays: -1, days: [], available: 1, today: TODAY })).toThrow(RangeError);
  });

  it("date helpers cross month and year ends", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
    expect(daysBetween("2026-12-30", "2027-01-02")).toBe(3);
  });
});
