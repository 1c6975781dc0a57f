/**
 * Demand forecasting per SKU — pure, no I/O (docs/decisions/294-demand-forecast-method.md has the method and its
 * formulas; the Reorder page links to it). The statistics (least squares, median, median absolute deviation) come from
 * `simple-statistics`; this module only decides which days count and what the numbers mean for a merchant.
 *
 * Input: one item's daily series over a window of COMPLETE days in the shop's time zone, oldest first (units sold on
 * every channel, net of cancellations; whether the item was sold out that day), its current available quantity, and
 * the merchant's lead time / safety stock / order-for days. Output: demand per day, days of cover, projected stockout
 * date, reorder point, suggested reorder quantity, and an anomaly flag for the latest day.
 */
import { linearRegression, median, medianAbsoluteDeviation } from "simple-statistics";

/** One day of an item's sales. `units` may be negative (more returned than sold that day). */
export interface DemandDay {
  /** YYYY-MM-DD in the shop's time zone. */
  day: string;
  /** Units sold on every channel that day, net of cancellations. */
  units: number;
  /** The item was sold out at some point that day (its sales say nothing about demand). */
  stockout: boolean;
}

/** The merchant's replenishment settings for one item (units and days). */
export interface ReplenishmentSettings {
  /** Days from placing a purchase order to having the stock, ≥ 0. */
  leadTimeDays: number;
  /** Units to keep in reserve against demand above the forecast during the lead time, ≥ 0. */
  safetyStock: number;
  /** Days of demand one order should cover once it arrives (review period), ≥ 1. */
  orderForDays: number;
}

export interface ForecastInput extends ReplenishmentSettings {
  /** Complete days, oldest first, contiguous; the caller leaves out days before the item existed. */
  days: DemandDay[];
  /** Available units now (all locations), or null when unknown. */
  available: number | null;
  /** YYYY-MM-DD (shop time zone) of the first day being forecast — normally today, the day after `days`. */
  today: string;
}

/** An unusual latest day: its units against the item's recent pattern. */
export interface Anomaly {
  direction: "spike" | "drop";
  day: string;
  units: number;
  /** Median of the baseline days. */
  expected: number;
  /** Robust z-score: (units − median) / scale; |score| ≥ ANOMALY_Z flags. */
  score: number;
}

export interface Forecast {
  /** Forecast units per day (≥ 0), or null with no in-stock history to learn from. */
  demandPerDay: number | null;
  /** "trend": least-squares line (significant slope); "mean": average of in-stock days; "none": no history. */
  method: "trend" | "mean" | "none";
  /** Least-squares slope in units/day per day (0 when the mean is used). */
  slopePerDay: number;
  /** In-stock days the estimate used; stockout days left out. */
  daysUsed: number;
  stockoutDays: number;
  /** Fewer than MIN_HISTORY_DAYS in-stock days: a new item or one mostly sold out — treat with care. */
  lowHistory: boolean;
  /** available / demandPerDay; 0 when nothing is available; null when there is no demand (or nothing is known). */
  daysOfCover: number | null;
  /** today + floor(daysOfCover) days; null when daysOfCover is null. */
  stockoutDate: string | null;
  /** ceil(demandPerDay × leadTimeDays + safetyStock). */
  reorderPoint: number;
  /** available ≤ reorderPoint (and something is known about available). */
  reorderNow: boolean;
  /** When reorderNow: ceil(demandPerDay × (leadTimeDays + orderForDays) + safetyStock − available); else 0. */
  suggestedQty: number;
  /** Low cover: reorderNow with demand > 0 — the notification's condition. */
  lowCover: boolean;
  anomaly: Anomaly | null;
}

/** In-stock days below which an estimate is marked low-history. */
export const MIN_HISTORY_DAYS = 7;
/** In-stock days needed before a slope is considered at all. */
export const MIN_TREND_DAYS = 14;
/** A slope is used when |slope| ≥ TREND_T × its standard error (≈ 95 % two-sided for n ≥ 14). */
export const TREND_T = 2;
/** Baseline days (most recent in-stock days before the latest one) of the anomaly check. */
export const ANOMALY_BASELINE_DAYS = 28;
/** Baseline days needed for the anomaly check. */
export const ANOMALY_MIN_BASELINE = 7;
/** |robust z| at or above this flags the latest day. */
export const ANOMALY_Z = 3;
/** 1.4826 × MAD estimates the standard deviation of normal data (consistency constant). */
const MAD_TO_SD = 1.4826;

/** YYYY-MM-DD + n days (calendar arithmetic, no time zone involved). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  const t = (s: string) => {
    const [y, m, d] = s.split("-").map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((t(b) - t(a)) / 86_400_000);
}

/**
 * Estimates demand per day from the in-stock days of `days` (index t = position in the window, value x = max(0, units)).
 * Mean μ = Σx / n. With n ≥ MIN_TREND_DAYS, the least-squares line x = a + b·t is fitted; its slope is used when
 * |b| ≥ TREND_T · SE(b), SE(b) = √(Σ(x − a − b·t)² / (n − 2)) / √Σ(t − t̄)², and then demand = max(0, a + b·T) with
 * T = the index of `today` (the window's length: the line's level on the first forecast day).
 */
export function estimateDemand(
  days: DemandDay[],
): Pick<Forecast, "demandPerDay" | "method" | "slopePerDay" | "daysUsed" | "stockoutDays"> {
  const pts: [number, number][] = [];
  days.forEach((d, t) => {
    if (!d.stockout) pts.push([t, Math.max(0, d.units)]);
  });
  const stockoutDays = days.length - pts.length;
  if (!pts.length) return { demandPerDay: null, method: "none", slopePerDay: 0, daysUsed: 0, stockoutDays };
  const n = pts.length;
  const mean = pts.reduce((s, p) => s + p[1], 0) / n;
  const base = { daysUsed: n, stockoutDays };
  if (n >= MIN_TREND_DAYS) {
    const { m: b, b: a } = linearRegression(pts);
    const tMean = pts.reduce((s, p) => s + p[0], 0) / n;
    const sxx = pts.reduce((s, p) => s + (p[0] - tMean) ** 2, 0);
    const sse = pts.reduce((s, p) => s + (p[1] - (a + b * p[0])) ** 2, 0);
    const se = sxx > 0 ? Math.sqrt(sse / (n - 2)) / Math.sqrt(sxx) : Infinity;
    const significant = Math.abs(b) > 1e-9 && (se < 1e-9 || Math.abs(b) >= TREND_T * se);
    if (significant) {
      return { ...base, demandPerDay: Math.max(0, a + b * days.length), method: "trend", slopePerDay: b };
    }
  }
  return { ...base, demandPerDay: mean, method: "mean", slopePerDay: 0 };
}

/**
 * Anomaly check of the latest day of `days` against the item's recent pattern: the last ANOMALY_BASELINE_DAYS in-stock
 * days before it (at least ANOMALY_MIN_BASELINE). Robust z = (x − median) / s with s = max(1.4826 · MAD, √max(median, 1))
 * — the MAD scale, floored by Poisson counting noise so a flat baseline does not flag every small wobble. Flags when
 * |z| ≥ ANOMALY_Z. A sold-out latest day is never an anomaly (its low sales are explained).
 */
export function detectAnomaly(days: DemandDay[]): Anomaly | null {
  const last = days[days.length - 1];
  if (!last || last.stockout) return null;
  const baseline = days
    .slice(0, -1)
    .filter((d) => !d.stockout)
    .slice(-ANOMALY_BASELINE_DAYS)
    .map((d) => Math.max(0, d.units));
  if (baseline.length < ANOMALY_MIN_BASELINE) return null;
  const med = median(baseline);
  const mad = medianAbsoluteDeviation(baseline);
  const scale = Math.max(MAD_TO_SD * mad, Math.sqrt(Math.max(med, 1)));
  const x = Math.max(0, last.units);
  const score = (x - med) / scale;
  if (Math.abs(score) < ANOMALY_Z) return null;
  return { direction: score > 0 ? "spike" : "drop", day: last.day, units: x, expected: med, score };
}

/**
 * Forecast of one item (formulas: estimateDemand, detectAnomaly, and the fields of Forecast; decision 294).
 * Throws RangeError on negative settings.
 */
export function forecast(input: ForecastInput): Forecast {
  const { leadTimeDays, safetyStock, orderForDays, available } = input;
  if (leadTimeDays < 0 || safetyStock < 0 || orderForDays < 1)
    throw new RangeError("leadTimeDays and safetyStock must be ≥ 0 and orderForDays ≥ 1");
  const est = estimateDemand(input.days);
  const demand = est.demandPerDay;
  const d = demand ?? 0;
  let daysOfCover: number | null = null;
  if (available != null && demand != null) {
    if (available <= 0) daysOfCover = 0;
    else if (d > 0) daysOfCover = available / d;
  }
  const reorderPoint = Math.ceil(round6(d * leadTimeDays + safetyStock));
  const reorderNow = available != null && available <= reorderPoint;
  const target = d * (leadTimeDays + orderForDays) + safetyStock;
  const suggestedQty = reorderNow ? Math.max(0, Math.ceil(round6(target - (available ?? 0)))) : 0;
  return {
    ...est,
    lowHistory: est.daysUsed < MIN_HISTORY_DAYS,
    daysOfCover,
    stockoutDate: daysOfCover == null ? null : addDays(input.today, Math.floor(round6(daysOfCover))),
    reorderPoint,
    reorderNow,
    suggestedQty,
    lowCover: reorderNow && d > 0,
    anomaly: detectAnomaly(input.days),
  };
}

/** Rounds away floating-point dust (0.1 × 3 = 0.30000000000000004) before ceil / floor. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
