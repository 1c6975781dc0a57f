/**
 * Scheduled e-mail reports (issue 18 item 3; docs/decisions/296). A shop's ReportSchedule says daily or weekly, the
 * local hour (and weekday) in the shop's time zone, and the recipients. The hourly e-mail tick (queue `daily-summary`,
 * the existing daily summary's pg-boss schedule — app/jobs/worker.server.ts) calls `runScheduledReports`, which for each
 * due schedule:
 *  1. claims the period in ReportRun (unique schedule + period key; a `sending` claim older than CLAIM_LEASE_MS or a
 *     `failed` one under MAX_ATTEMPTS can be taken again) — so two workers send one report once;
 *  2. builds the report: the channel summary of the period against the previous period of the same length
 *     (`channelSummary`, app/analytics/rollups.server.ts; per channel and currency, never summed across currencies) and
 *     the items to reorder now (the stored forecasts, app/forecast/reorder.server.ts);
 *  3. sends it through the app's e-mail path (app/notify/email.server.ts) with two CSV attachments (channels, reorder),
 *     records it in the notification log (kind `report.scheduled`) and marks the run sent.
 * A daily report covers yesterday; a weekly one the 7 days before the send day. The report goes out at the first tick
 * at or after its hour on its day (a worker that was down at that hour catches up the same local day). Quiet hours do
 * not apply (the merchant chose the hour). Plan gate: analytics (`features.analytics`, Professional and above).
 */
import crypto from "node:crypto";
import { z } from "zod";
import prisma from "../db.server";
import { channelSummary, localDay, shopTimeZone, type ChannelPeriodSummary } from "../analytics/rollups.server";
import { hasFeature } from "../billing/billing.server";
import { csvString } from "../exports/csv.server";
import { reorderPage, reorderRows, round1, type ReorderRow } from "../forecast/reorder.server";
import { addDays } from "../forecast/model";
import { emailConfigured, sendEmail } from "../notify/email.server";
import { localParts } from "../notify/kinds";
import { appLink, shopIdentity } from "../notify/context.server";

/** A claimed run still `sending` after this long (a worker died mid-send) may be claimed again. */
export const CLAIM_LEASE_MS = 10 * 60_000;
/** Failed sends of one period are retried by later ticks of the same day up to this many attempts. */
export const MAX_ATTEMPTS = 5;
/** Reorder rows listed in the e-mail body (the CSV has all of them). */
const BODY_ITEMS = 20;

// ---------------------------------------------------------------------------------------------------------------
// Settings

export interface ReportScheduleSettings {
  enabled: boolean;
  frequency: "daily" | "weekly";
  /** ISO weekday 1 (Monday) … 7 (Sunday), weekly only. */
  weekday: number;
  /** Local hour 0–23. */
  hour: number;
  recipients: string[];
}

export const REPORT_DEFAULTS: ReportScheduleSettings = {
  enabled: false,
  frequency: "weekly",
  weekday: 1,
  hour: 8,
  recipients: [],
};

/** The shop's schedule (defaults, disabled, when it has none). */
export async function getReportSchedule(shopId: string): Promise<ReportScheduleSettings & { id: string | null }> {
  const row = await prisma.reportSchedule.findUnique({ where: { shopId } });
  if (!row) return { ...REPORT_DEFAULTS, id: null };
  return {
    id: row.id,
    enabled: row.enabled,
    frequency: row.frequency === "daily" ? "daily" : "weekly",
    weekday: row.weekday,
    hour: row.hour,
    recipients: row.recipients,
  };
}

const recipientsField = z
  .string()
  .transform((v) => [
    ...new Set(
      v
        .split(/[\s,;]+/)
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ])
  .pipe(z.array(z.email("Enter valid e-mail addresses, separated by commas")).max(10, "At most 10 recipients"));

/** The report form (fields as strings, as a form posts them). */
export const reportScheduleSchema = z
  .object({
    enabled: z
      .union([z.literal("on"), z.literal("true"), z.literal("false"), z.literal("")])
      .optional()
      .transform((v) => v === "on" || v === "true"),
    frequency: z.enum(["daily", "weekly"], { message: "Choose daily or weekly" }),
    weekday: z.coerce.number().int().min(1, "Choose a weekday").max(7, "Choose a weekday"),
    hour: z.coerce.number().int().min(0, "Hour is 0–23").max(23, "Hour is 0–23"),
    recipients: recipientsField,
  })
  .refine((v) => !v.enabled || v.recipients.length > 0, {
    path: ["recipients"],
    message: "Add at least one recipient to send reports",
  });

/** Saves the schedule. @returns ok, or field errors (nothing written). */
export async function saveReportSchedule(
  shopId: string,
  form: Record<string, unknown>,
): Promise<{ ok: true } | { ok: false; errors: Record<string, string> }> {
  const parsed = reportScheduleSchema.safeParse(form);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const i of parsed.error.issues) errors[String(i.path[0] ?? "form")] ??= i.message;
    return { ok: false, errors };
  }
  await prisma.reportSchedule.upsert({ where: { shopId }, create: { shopId, ...parsed.data }, update: parsed.data });
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------------------
// Periods

/** A report period: local days [start, end] and the previous period of the same length. */
export interface ReportPeriod {
  key: string;
  frequency: "daily" | "weekly";
  start: string;
  end: string;
  prevStart: string;
  prevEnd: string;
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a YYYY-MM-DD date. */
export function isoWeekday(day: string): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
}

/**
 * The period due at `now` for a schedule in `timeZone`, or null when none is: on the send day (every day, or the
 * weekday) at or after the local hour. Daily: yesterday; weekly: the 7 days before the send day.
 */
export function duePeriod(
  s: Pick<ReportScheduleSettings, "frequency" | "weekday" | "hour">,
  timeZone: string,
  now: Date,
): ReportPeriod | null {
  const lp = localParts(now, timeZone);
  if (lp.hour < s.hour) return null;
  if (s.frequency === "weekly" && isoWeekday(lp.date) !== s.weekday) return null;
  const len = s.frequency === "daily" ? 1 : 7;
  const start = addDays(lp.date, -len);
  const end = addDays(lp.date, -1);
  return {
    key: `${s.frequency}:${start}`,
    frequency: s.frequency,
    start,
    end,
    prevStart: addDays(start, -len),
    prevEnd: addDays(start, -1),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Content

/** A built report: what the e-mail and its attachments say. */
export interface BuiltReport {
  subject: string;
  text: string;
  html: string;
  attachments: { filename: string; content: string; contentType: string }[];
  channels: { current: ChannelPeriodSummary; previous: ChannelPeriodSummary | null }[];
  reorder: ReorderRow[];
  toReorder: number;
}

const esc = (s: unknown) =>
  String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** "+12.5 %" / "−3.0 %" / "new" / "" — the change from `prev` to `cur`. */
export function change(cur: number, prev: number | null): string {
  if (prev == null) return cur ? "new" : "";
  if (prev === 0) return cur === 0 ? "0.0 %" : "new";
  const pct = ((cur - prev) / prev) * 100;
  return `${pct >= 0 ? "+" : "−"}${Math.abs(pct).toFixed(1)} %`;
}

/** Builds the report of `period` for `shopId` (reads the rollups and the stored forecasts; sends nothing). */
export async function buildReport(shopId: string, period: ReportPeriod): Promise<BuiltReport> {
  const [shop, current, previous, reorder] = await Promise.all([
    shopIdentity(shopId),
    channelSummary(shopId, period.start, period.end),
    channelSummary(shopId, period.prevStart, period.prevEnd),
    reorderPage(shopId, { filter: "reorder", sort: "cover", pageSize: BODY_ITEMS }),
  ]);
  const prevOf = (c: ChannelPeriodSummary) =>
    previous.find((p) => p.channelId === c.channelId && p.currency === c.currency) ?? null;
  const channels = current.map((c) => ({ current: c, previous: prevOf(c) }));
  // Channels that sold in the previous period only still show (with zeros now).
  for (const p of previous)
    if (!current.some((c) => c.channelId === p.channelId && c.currency === p.currency))
      channels.push({
        current: {
          ...p,
          orders: 0,
          cancelledOrders: 0,
          units: 0,
          revenue: "0.00",
          refundedOrders: 0,
          refunds: "0.00",
          averageOrderValue: "0.00",
        },
        previous: p,
      });
  const label = period.start === period.end ? period.start : `${period.start} to ${period.end}`;
  const what = period.frequency === "daily" ? "Daily" : "Weekly";
  const subject = `${what} report for ${shop.name}: ${label}`;
  const channelLines = channels.length
    ? channels.map(
        ({ current: c, previous: p }) =>
          `${c.channelName} (${c.currency}): ${c.orders} orders ${paren(change(c.orders, p?.orders ?? null))}, ${c.units} units ${paren(change(c.units, p?.units ?? null))}, revenue ${c.revenue} ${paren(change(Number(c.revenue), p ? Number(p.revenue) : null))}, refunds ${c.refunds}, average order ${c.averageOrderValue}`,
      )
    : ["No orders in this period or the one before."];
  const reorderLines = reorder.rows.length
    ? reorder.rows.map(
        (r) =>
          `${r.sku} — ${r.title}: ${r.available ?? "?"} available, ${r.demandPerDay == null ? "?" : round1(r.demandPerDay)}/day, ${r.daysOfCover == null ? "no demand" : `${round1(r.daysOfCover)} days of cover`}${r.stockoutDate ? ` (out ~${r.stockoutDate})` : ""}, reorder ${r.suggestedQty}`,
      )
    : ["Nothing to reorder now."];
  const link = appLink(shop.domain, "/app/reorder");
  const text = [
    `${subject}`,
    "",
    `Sales by channel (${label}, change against ${period.prevStart === period.prevEnd ? period.prevStart : `${period.prevStart} to ${period.prevEnd}`}):`,
    ...channelLines.map((l) => `- ${l}`),
    "",
    `Items to reorder now: ${reorder.toReorder}${reorder.toReorder > reorder.rows.length ? ` (the ${reorder.rows.length} with the least cover below; all in the attached CSV)` : ""}`,
    ...reorderLines.map((l) => `- ${l}`),
    "",
    `Reorder page: ${link}`,
    "Money is per currency, never summed across currencies. Forecast method: docs/decisions/294-demand-forecast-method.md.",
  ].join("\n");
  const cell = (v: unknown) => `<td style="padding:4px 8px;border-bottom:1px solid #ddd">${esc(v)}</td>`;
  const th = (v: string) => `<th style="padding:4px 8px;text-align:left;border-bottom:2px solid #999">${esc(v)}</th>`;
  const html = `<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,sans-serif">
<h1 style="font-size:18px">${esc(subject)}</h1>
<h2 style="font-size:15px">Sales by channel</h2>
${
  channels.length
    ? `<table style="border-collapse:collapse"><tr>${["Channel", "Currency", "Orders", "Units", "Revenue", "Refunds", "Average order", "Revenue change"].map(th).join("")}</tr>${channels
        .map(
          ({ current: c, previous: p }) =>
            `<tr>${[c.channelName, c.currency, c.orders, c.units, c.revenue, c.refunds, c.averageOrderValue, change(Number(c.revenue), p ? Number(p.revenue) : null)].map(cell).join("")}</tr>`,
        )
        .join("")}</table>`
    : "<p>No orders in this period or the one before.</p>"
}
<h2 style="font-size:15px">Items to reorder now: ${reorder.toReorder}</h2>
${
  reorder.rows.length
    ? `<table style="border-collapse:collapse"><tr>${["SKU", "Title", "Available", "Demand/day", "Days of cover", "Stockout", "Suggested qty"].map(th).join("")}</tr>${reorder.rows
        .map(
          (r) =>
            `<tr>${[r.sku, r.title, r.available ?? "", r.demandPerDay == null ? "" : round1(r.demandPerDay), r.daysOfCover == null ? "" : round1(r.daysOfCover), r.stockoutDate ?? "", r.suggestedQty].map(cell).join("")}</tr>`,
        )
        .join("")}</table>`
    : "<p>Nothing to reorder now.</p>"
}
<p><a href="${esc(link)}">Open the Reorder page</a></p>
<p style="color:#666;font-size:12px">Money is per currency, never summed across currencies. The CSV files attached hold every row.</p>
</body></html>`;
  const channelsCsv = csvString([
    [
      "Channel",
      "Kind",
      "Currency",
      "Period start",
      "Period end",
      "Orders",
      "Cancelled orders",
      "Units",
      "Revenue",
      "Refunded orders",
      "Refunds",
      "Average order value",
      "Previous orders",
      "Previous units",
      "Previous revenue",
      "Previous refunds",
    ],
    ...channels.map(({ current: c, previous: p }) => [
      c.channelName,
      c.channelKind,
      c.currency,
      period.start,
      period.end,
      c.orders,
      c.cancelledOrders,
      c.units,
      c.revenue,
      c.refundedOrders,
      c.refunds,
      c.averageOrderValue,
      p?.orders ?? "",
      p?.units ?? "",
      p?.revenue ?? "",
      p?.refunds ?? "",
    ]),
  ]);
  const reorderCsv = csvString(await reorderRows(shopId, "reorder"));
  return {
    subject,
    text,
    html,
    attachments: [
      {
        filename: `syncflow-channels-${period.start}-${period.end}.csv`,
        content: channelsCsv,
        contentType: "text/csv; charset=utf-8",
      },
      { filename: `syncflow-reorder-${period.end}.csv`, content: reorderCsv, contentType: "text/csv; charset=utf-8" },
    ],
    channels,
    reorder: reorder.rows,
    toReorder: reorder.toReorder,
  };
}

const paren = (s: string) => (s ? `(${s})` : "");

// ---------------------------------------------------------------------------------------------------------------
// Sending

/**
 * Claims `period` of schedule `scheduleId` for this worker. @returns the run id, or null when another worker holds it
 * (or it was sent, or it failed MAX_ATTEMPTS times).
 */
export async function claimRun(
  shopId: string,
  scheduleId: string,
  period: ReportPeriod,
  recipients: string[],
): Promise<string | null> {
  const lease = new Date(Date.now() - CLAIM_LEASE_MS);
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    INSERT INTO "ReportRun" (id, "shopId", "scheduleId", "periodKey", "periodStart", "periodEnd", status, attempts,
      "claimedAt", recipients, "createdAt")
    VALUES (${crypto.randomUUID()}, ${shopId}, ${scheduleId}, ${period.key}, ${period.start}, ${period.end}, 'sending', 1,
      now() AT TIME ZONE 'UTC', ${recipients}::text[], now() AT TIME ZONE 'UTC')
    ON CONFLICT ("scheduleId", "periodKey") DO UPDATE
      SET status = 'sending', attempts = "ReportRun".attempts + 1, "claimedAt" = now() AT TIME ZONE 'UTC',
          recipients = EXCLUDED.recipients, error = NULL
      WHERE ("ReportRun".status = 'failed' AND "ReportRun".attempts < ${MAX_ATTEMPTS})
         OR ("ReportRun".status = 'sending' AND "ReportRun"."claimedAt" < ${lease})
    RETURNING id`;
  return rows[0]?.id ?? null;
}

/**
 * Sends the report of one claimed run. Marks it sent (with the Message-ID) or failed (with the error, for a later
 * tick to retry) and records it in the notification log. Never throws for a send failure; @returns the outcome.
 */
export async function sendClaimedReport(
  runId: string,
  shopId: string,
  period: ReportPeriod,
  recipients: string[],
): Promise<"sent" | "failed"> {
  try {
    const report = await buildReport(shopId, period);
    const res = await sendEmail({
      to: recipients,
      subject: report.subject,
      text: report.text,
      html: report.html,
      id: `report-${runId}`,
      attachments: report.attachments,
    });
    await prisma.$transaction([
      prisma.reportRun.update({
        where: { id: runId },
        data: { status: "sent", sentAt: new Date(), messageId: res.messageId },
      }),
      prisma.notification.create({
        data: {
          shopId,
          kind: "report.scheduled",
          channel: "email",
          recipient: recipients.join(", "),
          status: "sent",
          subject: report.subject,
          body: report.text,
          html: report.html,
          providerId: res.messageId,
          providerStatus: res.response.slice(0, 200),
          sentAt: new Date(),
          attempts: 1,
        },
      }),
    ]);
    return "sent";
  } catch (err) {
    console.error(`[reports] report ${runId} of shop ${shopId} failed:`, err);
    await prisma.reportRun.update({
      where: { id: runId },
      data: { status: "failed", error: String((err as Error)?.message ?? err).slice(0, 2000) },
    });
    return "failed";
  }
}

/**
 * The hourly tick: sends every due report once (see the module comment). Shops whose plan lacks analytics, or with no
 * SMTP relay configured, are skipped without a claim. @returns the runs handled: shop id, period key and outcome.
 */
export async function runScheduledReports(
  now = new Date(),
): Promise<{ shopId: string; period: string; status: "sent" | "failed" }[]> {
  if (!emailConfigured()) return [];
  const schedules = await prisma.reportSchedule.findMany({
    where: { enabled: true, shop: { uninstalledAt: null } },
    select: { id: true, shopId: true, frequency: true, weekday: true, hour: true, recipients: true },
  });
  const out: { shopId: string; period: string; status: "sent" | "failed" }[] = [];
  for (const s of schedules) {
    if (!s.recipients.length) continue;
    const tz = await shopTimeZone(s.shopId);
    const period = duePeriod(
      { frequency: s.frequency === "daily" ? "daily" : "weekly", weekday: s.weekday, hour: s.hour },
      tz,
      now,
    );
    if (!period) continue;
    // Cheap skip of a period already sent before taking the claim.
    const done = await prisma.reportRun.findUnique({
      where: { scheduleId_periodKey: { scheduleId: s.id, periodKey: period.key } },
      select: { status: true },
    });
    if (done?.status === "sent") continue;
    if (!(await hasFeature(s.shopId, "analytics"))) continue;
    const runId = await claimRun(s.shopId, s.id, period, s.recipients);
    if (!runId) continue;
    out.push({
      shopId: s.shopId,
      period: period.key,
      status: await sendClaimedReport(runId, s.shopId, period, s.recipients),
    });
  }
  return out;
}

/** Today's local date of a shop (for the settings page's preview of the next period). */
export async function shopToday(shopId: string, now = new Date()): Promise<string> {
  return localDay(await shopTimeZone(shopId), now);
}
