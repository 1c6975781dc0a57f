/**
 * Analytics periods (shared by the server and the page): local days in the shop's time zone, the period before of
 * the same length, and the window of integration health.
 */

/** Longest period the page accepts (days). */
export const MAX_PERIOD_DAYS = 366;
/** Window of integration health (hours before now; as the dashboard's error rate): health is about now. */
export const HEALTH_HOURS = 24;

/** A period of local days (YYYY-MM-DD, inclusive) and the one before it of the same length. */
export interface Period {
  from: string;
  to: string;
  prevFrom: string;
  prevTo: string;
  days: number;
}

const DAY_MS = 86_400_000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** `day` moved by `n` days (YYYY-MM-DD). */
export const addDays = (day: string, n: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** Today's local date (YYYY-MM-DD) in the IANA zone `tz`. */
export function localDay(tz: string, at: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    at,
  );
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isDay(d: string | null): d is string {
  return !!d && DAY_RE.test(d) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;
}

/**
 * The period asked for by the query string: `days` (7, 30 or 90, default 30) ending today in `tz`, or `from` + `to`
 * (YYYY-MM-DD, from ≤ to, at most {@link MAX_PERIOD_DAYS} days). @throws Response 400 with the reason when invalid
 */
export function parsePeriod(params: URLSearchParams, tz: string, now = new Date()): Period {
  const from = params.get("from");
  const to = params.get("to");
  let f: string;
  let t: string;
  if (from || to) {
    if (!isDay(from) || !isDay(to)) throw new Response("from and to must both be dates (YYYY-MM-DD)", { status: 400 });
    if (from > to) throw new Response("from must not be after to", { status: 400 });
    f = from;
    t = to;
  } else {
    const days = Number(params.get("days") ?? 30);
    if (![7, 30, 90].includes(days)) throw new Response("days must be 7, 30 or 90", { status: 400 });
    t = localDay(tz, now);
    f = addDays(t, 1 - days);
  }
  const days = Math.round((Date.parse(t) - Date.parse(f)) / DAY_MS) + 1;
  if (days > MAX_PERIOD_DAYS) throw new Response(`a period is at most ${MAX_PERIOD_DAYS} days`, { status: 400 });
  return { from: f, to: t, prevFrom: addDays(f, -days), prevTo: addDays(f, -1), days };
}
