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
