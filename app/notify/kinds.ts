/**
 * Notification kinds: what a merchant can be told about, which channels each allows, and the defaults
 * (docs/decisions/060-notifications.md). Pure, no I/O — shared by the dispatcher and the settings page.
 *
 * A kind is derived from a DomainEvent: `stock.low` with `outOfStock` becomes `stock.out`; a
 * `store.unhealthy` that is really a customer data request becomes `data.request`.
 */

/** Every kind a notification can have. */
export const NOTIFICATION_KINDS = [
  "order.imported",
  "order.import_failed",
  "stock.low",
  "stock.out",
  "job.dead_lettered",
  "conflict.raised",
  "store.unhealthy",
  "sku.ambiguous",
  "data.request",
  "summary.daily",
  "stock.low_cover",
] as const;

export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Statuses of a Notification row (filter of the record page). */
export const NOTIFICATION_STATUSES = [
  "sent",
  "delivered",
  "queued",
  "held",
  "digested",
  "suppressed",
  "failed",
] as const;
export type NotifyChannel = "email" | "sms";

/** Per-kind channel switches. */
export type ChannelSwitches = Record<NotificationKind, { email: boolean; sms: boolean }>;

/** Critical kinds: the only ones that may go by SMS, and the only ones that may bypass quiet hours. */
export const CRITICAL_KINDS: ReadonlySet<NotificationKind> = new Set<NotificationKind>([
  "stock.out",
  "job.dead_lettered",
  "store.unhealthy",
]);

/** Merchant-facing labels and help of each kind (settings page, notification log). */
export const KIND_INFO: Record<NotificationKind, { label: string; help: string }> = {
  "order.imported": { label: "New order", help: "An order was imported from one of your stores." },
  "order.import_failed": {
    label: "Order not imported to Shopify",
    help: "A store's order could not be created in your Shopify store after every retry (or could not be cancelled there); the message names the order and why.",
  },
  "stock.low": {
    label: "Low stock",
    help: "An item is at or under its low-stock threshold (once per item until it recovers).",
  },
  "stock.out": {
    label: "Out of stock everywhere",
    help: "An item has 0 available on Shopify and on every linked store.",
  },
  "job.dead_lettered": {
    label: "Sync failed after retries",
    help: "A sync job failed every retry and needs you (replay it from the dead letters).",
  },
  "conflict.raised": {
    label: "Conflict to review",
    help: "A store's stock differs from what SyncFlow expects and needs a decision.",
  },
  "store.unhealthy": {
    label: "Store down",
    help: "A connected store stopped answering or refused SyncFlow's credentials.",
  },
  "sku.ambiguous": {
    label: "SKUs that differ only by case",
    help: "Listings whose SKU differs only by letter case from another (85123A / 85123a) are not synced until renamed.",
  },
  "data.request": {
    label: "Customer data request",
    help: "A customer asked Shopify for their data; SyncFlow holds names and e-mails on orders.",
  },
  "summary.daily": {
    label: "Daily summary",
    help: "Orders, stock changes, low-stock items, items to reorder and failures of the last 24 hours.",
  },
  "stock.low_cover": {
    label: "Time to reorder (low cover)",
    help: "An item's forecast cover fell to its reorder point: order now to have stock before it runs out (once per item until it recovers; Reorder page).",
  },
};

/** Default channel switches: e-mail for everything, SMS for the critical kinds. */
export function defaultSwitches(): ChannelSwitches {
  const out = {} as ChannelSwitches;
  for (const k of NOTIFICATION_KINDS) out[k] = { email: true, sms: CRITICAL_KINDS.has(k) };
  return out;
}

/** Merges stored (partial, possibly stale) switches over the defaults; SMS is forced off for non-critical kinds. */
export function mergeSwitches(stored: unknown): ChannelSwitches {
  const out = defaultSwitches();
  const s = (stored && typeof stored === "object" ? stored : {}) as Record<string, { email?: unknown; sms?: unknown }>;
  for (const k of NOTIFICATION_KINDS) {
    const v = s[k];
    if (!v || typeof v !== "object") continue;
    if (typeof v.email === "boolean") out[k].email = v.email;
    if (typeof v.sms === "boolean") out[k].sms = v.sms && CRITICAL_KINDS.has(k);
  }
  return out;
}

/** The notification kind of a DomainEvent (type + payload). */
/** DomainEvent types that `kindOfEvent` can turn into a notification (keep in step with its switch). */
export const NOTIFIABLE_EVENT_TYPES = [
  "stock.low",
  "store.unhealthy",
  "order.imported",
  "order.import_failed",
  "job.dead_lettered",
  "conflict.raised",
  "summary.daily",
  "customers.data_request",
  "sku.ambiguous",
  "stock.low_cover",
] as const;

export function kindOfEvent(type: string, payload: unknown): NotificationKind | null {
  const p = (payload ?? {}) as Record<string, unknown>;
  switch (type) {
    case "stock.low":
      return p.outOfStock === true ? "stock.out" : "stock.low";
    case "customers.data_request":
      return "data.request";
    case "store.unhealthy":
      // Events recorded before customers/data_request had its own type (issue 13).
      return p.kind === "customers/data_request" ? "data.request" : "store.unhealthy";
    case "job.dead_lettered":
      // An order import's dead letter is told as `order.import_failed`, naming the order (decision 238).
      return p.queue === "order-import" ? null : type;
    case "order.imported":
    case "order.import_failed":
    case "conflict.raised":
    case "summary.daily":
    case "sku.ambiguous":
    case "stock.low_cover":
      return type;
    default:
      return null;
  }
}

/** Whether `minuteOfDay` falls in quiet hours [start, end) (wrapping midnight when start > end). */
export function inQuietHours(minuteOfDay: number, start: number | null, end: number | null): boolean {
  if (start == null || end == null || start === end) return false;
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

/** Minutes until quiet hours end (0 when not in quiet hours). */
export function minutesUntilQuietEnd(minuteOfDay: number, start: number | null, end: number | null): number {
  if (!inQuietHours(minuteOfDay, start, end)) return 0;
  return (end! - minuteOfDay + 1440) % 1440 || 1440;
}

/** Local time parts in an IANA time zone (falls back to UTC for an unknown zone). */
export function localParts(date: Date, timeZone: string): { date: string; hour: number; minuteOfDay: number } {
  let tz = timeZone;
  try {
    new Intl.DateTimeFormat("en-CA", { timeZone: tz });
  } catch {
    tz = "UTC";
  }
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const hour = Number(parts.hour) % 24;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour, minuteOfDay: hour * 60 + Number(parts.minute) };
}

/** "HH:MM" → minutes after midnight, or null when empty; throws on a malformed value. */
export function parseClock(value: string): number | null {
  const v = value.trim();
  if (!v) return null;
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(v);
  if (!m) throw new Error("Use 24-hour HH:MM, e.g. 22:00");
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Minutes after midnight → "HH:MM" ("" for null). */
export function formatClock(min: number | null): string {
  if (min == null) return "";
  return `${String(Math.floor(min / 60)).padStart(2, "0")}:${String(min % 60).padStart(2, "0")}`;
}

/** E.164: "+", country code, up to 15 digits in all. */
export const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * SMS text for GSM-7 single-segment delivery: non-ASCII replaced, whitespace collapsed, at most 160
 * characters (an ellipsis marks a cut).
 */
export function smsText(text: string): string {
  const ascii = text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/\u2192/g, "->")
    .replace(/\u00d7/g, "x")
    .replace(/[^\x20-\x7e\n]/g, "?")
    .replace(/[[\]{}\\^~|]/g, " ") // GSM-7 extension characters count double
    .replace(/\s+/g, " ")
    .trim();
  return ascii.length <= 160 ? ascii : `${ascii.slice(0, 157)}...`;
}
