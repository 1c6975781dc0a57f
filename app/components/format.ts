/**
 * Deterministic display formatting shared by server and client (same output on both, so hydration
 * never mismatches): times in UTC, no locale-dependent APIs.
 */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `"22 Nov 2026, 09:05 UTC"` for an ISO string or Date; `"Never"` for null/undefined. */
export function formatDateTime(value: string | Date | null | undefined, never = "Never"): string {
  if (!value) return never;
  const d = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return never;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** Whole-number formatting with thin grouping that does not depend on the runtime locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Signed delta: `+3`, `-2`, `0`, or an em dash when absent. */
export function formatDelta(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return n > 0 ? `+${n}` : String(n);
}

/** `"EUR 1,234.50"` (or `"1,234.50"` without a currency), deterministic on server and client. */
export function formatMoney(n: number | string | null | undefined, currency?: string | null): string {
  if (n === null || n === undefined || n === "") return "—";
  const v = typeof n === "string" ? Number(n) : n;
  if (!Number.isFinite(v)) return "—";
  const [int, dec] = Math.abs(v).toFixed(2).split(".");
  const s = `${v < 0 ? "-" : ""}${formatCount(Number(int))}.${dec}`;
  return currency ? `${currency} ${s}` : s;
}

/** `"850 ms"`, `"12.4 s"`, `"3 min 05 s"`; an em dash when absent. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** `"2.5%"` for 0.025. */
export function formatPercent(ratio: number): string {
  return `${(Math.round(ratio * 1000) / 10).toFixed(ratio === 0 ? 0 : 1)}%`;
}

/** `"2026-11-22"` → `"22 Nov"`. */
export function formatDay(isoDay: string): string {
  const d = new Date(`${isoDay.slice(0, 10)}T00:00:00Z`);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}
