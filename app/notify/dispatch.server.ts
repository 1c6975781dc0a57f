/**
 * The one place where domain events become notifications (docs/decisions/060-notifications.md).
 *
 * `processEvent` (queue `notify`) reads a DomainEvent, derives its kind, applies the shop's settings and
 * records one Notification row per channel (per phone number for SMS) with what happened to it:
 *  - `suppressed` — channel off (`disabled`), nobody to tell (`no_recipients`), provider not configured
 *    (`not_configured`), already alerted for this condition (`duplicate`, AlertState), daily SMS cap
 *    (`daily_cap`), or a failure of notification delivery itself (`loop`);
 *  - `held` — quiet hours (`quiet_hours`) or the channel's rate limit (`rate_limited`); held rows are
 *    folded into ONE digest message when the window frees up / quiet hours end (`flushDigest`);
 *  - `queued` → `sending` → `sent` (→ `delivered` for SMS) or `failed`, delivered by `sendNotification`
 *    (queue `notify-send`, retried by pg-boss; a dead letter marks the row failed).
 * Decisions for one (shop, channel, recipient) are serialised with a transaction-scoped advisory lock.
 */
import { notificationGate } from "../billing/billing.server";
import crypto from "node:crypto";
import prisma, { type Tx } from "../db.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import {
  CRITICAL_KINDS,
  inQuietHours,
  kindOfEvent,
  NOTIFIABLE_EVENT_TYPES,
  localParts,
  minutesUntilQuietEnd,
  type NotificationKind,
  type NotifyChannel,
} from "./kinds";
import { getNotifySettings, type ShopNotifySettings } from "./settings.server";
import { eventContext, appLink, shopIdentity } from "./context.server";
import { renderDigest, renderMessage, kindLabel, type RenderedMessage } from "./templates";
import { emailConfigured, sendEmail, NotConfiguredError } from "./email.server";
import { fetchSmsStatus, sendSms, smsConfigured } from "./sms.server";
import { env } from "../env.server";

/** Rate limits per channel and recipient (env-tunable; tests shorten the windows). */
export function limits() {
  const e = env;
  return {
    email: { limit: e.NOTIFY_EMAIL_LIMIT, windowS: e.NOTIFY_EMAIL_WINDOW_S, dailyMax: e.NOTIFY_EMAIL_DAILY_MAX },
    sms: { limit: e.NOTIFY_SMS_LIMIT, windowS: e.NOTIFY_SMS_WINDOW_S, dailyMax: e.NOTIFY_SMS_DAILY_MAX },
  } satisfies Record<NotifyChannel, { limit: number; windowS: number; dailyMax: number }>;
}

/** Statuses that count as a message sent (or being sent) for rate limiting. */
const COUNTED = ["queued", "sending", "sent", "delivered", "failed"];
const NOTIFY_QUEUES = new Set<string>([QUEUES.notify, QUEUES.notifySend]);

/** Claims the dedupe state `key` (inactive → active). @returns false when it was already active. */
export async function claimAlert(tx: Tx | typeof prisma, shopId: string, key: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "AlertState" (id, "shopId", key, active, since, "updatedAt")
    VALUES (${crypto.randomUUID()}, ${shopId}, ${key}, true, now(), now())
    ON CONFLICT ("shopId", key) DO UPDATE SET active = true, since = now(), "clearedAt" = NULL, "updatedAt" = now()
    WHERE "AlertState".active = false
    RETURNING id`;
  return rows.length > 0;
}

async function lock(tx: Tx, key: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 AS ok FROM (SELECT pg_advisory_xact_lock(hashtext(${key}))) AS l`;
}

interface Decision {
  status: "queued" | "held" | "suppressed";
  reason?: string;
  releaseAt?: Date;
}

/** Decides queued / held / suppressed for one message to `recipient`, under the caller's lock. */
async function decide(
  tx: Tx,
  s: ShopNotifySettings,
  channel: NotifyChannel,
  recipient: string,
  critical: boolean,
  now = new Date(),
): Promise<Decision> {
  const lp = localParts(now, s.timezone);
  if (inQuietHours(lp.minuteOfDay, s.quietStartMin, s.quietEndMin) && !(critical && s.criticalBypassQuiet)) {
    return {
      status: "held",
      reason: "quiet_hours",
      releaseAt: new Date(
        now.getTime() + minutesUntilQuietEnd(lp.minuteOfDay, s.quietStartMin, s.quietEndMin) * 60_000,
      ),
    };
  }
  const l = limits()[channel];
  const day = await tx.notification.count({
    where: {
      shopId: s.shopId,
      channel,
      recipient,
      status: { in: COUNTED },
      createdAt: { gte: new Date(now.getTime() - 86_400_000) },
    },
  });
  if (day >= l.dailyMax) return { status: "suppressed", reason: "daily_cap" };
  const inWindow = await tx.notification.findMany({
    where: {
      shopId: s.shopId,
      channel,
      recipient,
      status: { in: COUNTED },
      createdAt: { gte: new Date(now.getTime() - l.windowS * 1000) },
    },
    orderBy: { createdAt: "desc" },
    take: l.limit,
    select: { createdAt: true },
  });
  if (inWindow.length >= l.limit) {
    const oldest = inWindow[inWindow.length - 1]!.createdAt;
    return { status: "held", reason: "rate_limited", releaseAt: new Date(oldest.getTime() + l.windowS * 1000 + 50) };
  }
  // Keep order behind a pending rate-limit digest (rows held only for quiet hours do not block a critical one).
  const heldBefore = await tx.notification.count({
    where: { shopId: s.shopId, channel, recipient, status: "held", reason: "rate_limited" },
  });
  if (heldBefore > 0) return { status: "held", reason: "rate_limited", releaseAt: now }; // keep order: join the pending digest
  return { status: "queued" };
}

type NewRow = {
  channel: NotifyChannel;
  recipient: string;
  status: string;
  reason?: string;
  releaseAt?: Date;
  subject: string;
  body: string;
  html: string | null;
};

/** Sends work for rows created by a decision (after commit). */
async function dispatchRows(
  shopId: string,
  rows: { id: string; channel: string; recipient: string; status: string; releaseAt?: Date }[],
): Promise<void> {
  for (const r of rows) {
    if (r.status === "queued") await enqueue(QUEUES.notifySend, { shopId, notificationId: r.id });
    if (r.status === "held")
      await scheduleFlush(shopId, r.channel as NotifyChannel, r.recipient, r.releaseAt ?? new Date());
  }
}

async function scheduleFlush(shopId: string, channel: NotifyChannel, recipient: string, at: Date): Promise<void> {
  const seconds = Math.max(0, Math.ceil((at.getTime() - Date.now()) / 1000));
  await enqueue(
    QUEUES.notifySend,
    { shopId, digest: { channel, recipient } },
    seconds ? { startAfterSeconds: seconds } : {},
  );
}

/**
 * Turns one DomainEvent into notifications per the shop's settings. Idempotent: an event that already has
 * notification rows only has its queued rows re-sent.
 */
export async function processEvent(eventId: string): Promise<{
  kind: string | null;
  rows: { channel: string; recipient: string; status: string; reason?: string | null }[];
}> {
  const event = await prisma.domainEvent.findUnique({ where: { id: eventId } });
  if (!event) return { kind: null, rows: [] };
  const existing = await prisma.notification.findMany({ where: { eventId } });
  if (existing.length) {
    await dispatchRows(
      event.shopId,
      existing.filter((r) => r.status === "queued"),
    );
    return { kind: existing[0]!.kind, rows: existing };
  }
  const kind = kindOfEvent(event.type, event.payload);
  if (!kind) return { kind: null, rows: [] };
  const p = (event.payload ?? {}) as Record<string, any>;
  const settings = await getNotifySettings(event.shopId);

  // A notification job that died must not notify about itself (an SMTP outage would loop).
  if (event.type === "job.dead_lettered" && NOTIFY_QUEUES.has(p.queue)) {
    const failedId = p.data?.notificationId as string | undefined;
    if (failedId) {
      await prisma.notification.updateMany({
        where: { id: failedId, shopId: event.shopId, status: { in: ["queued", "sending"] } },
        data: {
          status: "failed",
          error: `dead-lettered after ${p.attempts ?? "all"} attempts: ${p.cause ?? ""}`.slice(0, 2000),
        },
      });
    }
    const row = await prisma.notification.create({
      data: {
        shopId: event.shopId,
        eventId,
        kind,
        channel: "email",
        recipient: "-",
        status: "suppressed",
        reason: "loop",
        subject: `Notification delivery failed (${p.queue})`,
      },
    });
    return { kind, rows: [row] };
  }

  const critical = CRITICAL_KINDS.has(kind);
  // The plan's say (app/billing): a paused channel's events and orders the plan left out are silent; e-mail
  // needs Starter or above, SMS Professional or above (suppressed with the reason, so the record says why).
  const gate = await notificationGate(event);
  const ctx = await eventContext(event.shopId, kind, event);
  const msg = renderMessage(ctx);
  const sw = settings.switches[kind];
  const itemId = event.itemId ?? p.itemId ?? null;
  const alertKey = (kind === "stock.low" || kind === "stock.out") && itemId ? `${kind}:${itemId}` : null;

  const created = await prisma.$transaction(async (tx) => {
    const plans: NewRow[] = [];
    const duplicate = alertKey ? !(await claimAlert(tx, event.shopId, alertKey)) : false;
    // E-mail: one message to every recipient.
    const emailTo = settings.emailRecipients.join(", ") || "-";
    const emailBase = {
      channel: "email" as const,
      recipient: emailTo,
      subject: msg.subject,
      body: msg.text,
      html: msg.html,
    };
    if (gate.suppressAll) plans.push({ ...emailBase, status: "suppressed", reason: gate.suppressAll });
    else if (duplicate) plans.push({ ...emailBase, status: "suppressed", reason: "duplicate" });
    else if (!gate.email) plans.push({ ...emailBase, status: "suppressed", reason: "plan" });
    else if (!sw.email) plans.push({ ...emailBase, status: "suppressed", reason: "disabled" });
    else if (!settings.emailRecipients.length)
      plans.push({ ...emailBase, status: "suppressed", reason: "no_recipients" });
    else if (!emailConfigured()) plans.push({ ...emailBase, status: "suppressed", reason: "not_configured" });
    else {
      await lock(tx, `notify:${event.shopId}:email:${emailTo}`);
      plans.push({ ...emailBase, ...(await decide(tx, settings, "email", emailTo, critical)) });
    }
    // SMS: critical kinds only, one message per number.
    if (critical) {
      const phones = settings.smsRecipients.length ? settings.smsRecipients : ["-"];
      for (const phone of phones) {
        const base = { channel: "sms" as const, recipient: phone, subject: kindLabel(kind), body: msg.sms, html: null };
        if (gate.suppressAll) plans.push({ ...base, status: "suppressed", reason: gate.suppressAll });
        else if (duplicate) plans.push({ ...base, status: "suppressed", reason: "duplicate" });
        else if (!gate.sms) plans.push({ ...base, status: "suppressed", reason: "plan" });
        else if (!sw.sms) plans.push({ ...base, status: "suppressed", reason: "disabled" });
        else if (phone === "-") plans.push({ ...base, status: "suppressed", reason: "no_recipients" });
        else if (!smsConfigured()) plans.push({ ...base, status: "suppressed", reason: "not_configured" });
        else {
          await lock(tx, `notify:${event.shopId}:sms:${phone}`);
          plans.push({ ...base, ...(await decide(tx, settings, "sms", phone, critical)) });
        }
      }
    }
    const out = [];
    for (const pl of plans) {
      const row = await tx.notification.create({
        data: {
          shopId: event.shopId,
          eventId,
          kind,
          channel: pl.channel,
          recipient: pl.recipient,
          status: pl.status,
          reason: pl.reason ?? null,
          subject: pl.subject,
          body: pl.body,
          html: pl.html,
        },
      });
      out.push({ ...row, releaseAt: pl.releaseAt });
    }
    return out;
  });
  await dispatchRows(event.shopId, created);
  return { kind, rows: created };
}

/**
 * Re-queues the notify job of domain events that have no notification rows yet although they should
 * (the event row was committed but its `notify` job was never queued, e.g. a crash or a queue outage
 * between the two writes in `emitEvent`). Looks at events between `minAgeMs` (default 120 000 ms, so a
 * merely slow job is not doubled) and `maxAgeMs` (default 24 h, so a stale alert is not sent days late)
 * old, at most `limit` per call. The job's singleton key `notify:<event id>` keeps a re-queue harmless.
 * Returns the number of events re-queued.
 */
export async function sweepUnnotifiedEvents(
  opts: { minAgeMs?: number; maxAgeMs?: number; limit?: number } = {},
): Promise<number> {
  const now = Date.now();
  const rows = await prisma.domainEvent.findMany({
    where: {
      createdAt: { lt: new Date(now - (opts.minAgeMs ?? 120_000)), gt: new Date(now - (opts.maxAgeMs ?? 86_400_000)) },
      type: { in: [...NOTIFIABLE_EVENT_TYPES] },
    },
    select: { id: true, shopId: true, type: true, payload: true },
    orderBy: { createdAt: "asc" },
    take: 5000,
  });
  if (!rows.length) return 0;
  const notified = new Set(
    (
      await prisma.notification.findMany({
        where: { eventId: { in: rows.map((r) => r.id) } },
        select: { eventId: true },
        distinct: ["eventId"],
      })
    ).map((n) => n.eventId),
  );
  const missing = rows
    .filter((r) => !notified.has(r.id) && kindOfEvent(r.type, r.payload) !== null)
    .slice(0, opts.limit ?? 500);
  for (const e of missing)
    await enqueue(QUEUES.notify, { shopId: e.shopId, eventId: e.id }, { singletonKey: `notify:${e.id}` });
  return missing.length;
}

/** Permanent provider refusal (bad number, unverified sender): not retried. */
function isPermanent(err: unknown): boolean {
  const status = (err as { status?: number })?.status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 429;
}

/**
 * Delivers one queued notification. Throws on a transient failure (pg-boss retries; the dead letter marks
 * the row failed). Idempotent: rows already sent are skipped.
 */
export async function sendNotification(notificationId: string): Promise<{ status: string; providerId?: string }> {
  const row = await prisma.notification.findUnique({ where: { id: notificationId } });
  if (!row || !["queued", "sending"].includes(row.status)) return { status: row?.status ?? "missing" };
  await prisma.notification.update({ where: { id: row.id }, data: { status: "sending", attempts: { increment: 1 } } });
  try {
    if (row.channel === "email") {
      const res = await sendEmail({
        to: row.recipient.split(/,\s*/),
        subject: row.subject ?? "SyncFlow",
        text: row.body ?? "",
        html: row.html ?? `<pre>${row.body ?? ""}</pre>`,
        id: row.id,
      });
      await prisma.notification.update({
        where: { id: row.id },
        data: {
          status: "sent",
          providerId: res.messageId,
          providerStatus: res.response.slice(0, 200),
          sentAt: new Date(),
          error: null,
        },
      });
      return { status: "sent", providerId: res.messageId };
    }
    const res = await sendSms(row.recipient, row.body ?? "", env.TWILIO_STATUS_CALLBACK_URL || undefined);
    await prisma.notification.update({
      where: { id: row.id },
      data: { status: "sent", providerId: res.sid, providerStatus: res.status, sentAt: new Date(), error: null },
    });
    await enqueue(
      QUEUES.notifySend,
      { shopId: row.shopId, smsStatus: row.id, poll: 1 },
      { startAfterSeconds: env.NOTIFY_SMS_STATUS_DELAY_S },
    ).catch(() => null);
    return { status: "sent", providerId: res.sid };
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (err instanceof NotConfiguredError) {
      await prisma.notification.update({
        where: { id: row.id },
        data: { status: "suppressed", reason: "not_configured", error: message },
      });
      return { status: "suppressed" };
    }
    if (isPermanent(err)) {
      await prisma.notification.update({
        where: { id: row.id },
        data: { status: "failed", error: message.slice(0, 2000) },
      });
      return { status: "failed" };
    }
    await prisma.notification.update({
      where: { id: row.id },
      data: { status: "queued", error: message.slice(0, 2000) },
    });
    throw err;
  }
}

/** Polls Twilio for an SMS's delivery status and records it (up to 5 polls, backing off). */
export async function pollSmsStatus(notificationId: string, poll: number): Promise<{ status: string }> {
  const row = await prisma.notification.findUnique({ where: { id: notificationId } });
  if (!row?.providerId || row.channel !== "sms") return { status: "missing" };
  const s = await fetchSmsStatus(row.providerId);
  const final = ["delivered", "undelivered", "failed", "read"].includes(s.status);
  await prisma.notification.update({
    where: { id: row.id },
    data: {
      providerStatus: s.status,
      ...(s.status === "delivered" || s.status === "read" ? { status: "delivered" } : {}),
      ...(s.status === "undelivered" || s.status === "failed"
        ? {
            status: "failed",
            error: `Twilio ${s.status}${s.errorCode ? ` (${s.errorCode})` : ""}${s.errorMessage ? `: ${s.errorMessage}` : ""}`,
          }
        : {}),
    },
  });
  if (!final && poll < 5) {
    await enqueue(
      QUEUES.notifySend,
      { shopId: row.shopId, smsStatus: row.id, poll: poll + 1 },
      { startAfterSeconds: env.NOTIFY_SMS_STATUS_DELAY_S * 2 ** poll },
    );
  }
  return { status: s.status };
}

/**
 * Sends what is held for (shop, channel, recipient) once quiet hours are over and the rate-limit window
 * has room: one held row goes as itself; several become ONE digest message. Reschedules itself otherwise.
 */
export async function flushDigest(
  shopId: string,
  channel: NotifyChannel,
  recipient: string,
): Promise<{ sent: number; digestId?: string; rescheduled?: boolean }> {
  const settings = await getNotifySettings(shopId);
  const shop = await shopIdentity(shopId);
  const result = await prisma.$transaction(async (tx) => {
    await lock(tx, `notify:${shopId}:${channel}:${recipient}`);
    let held = await tx.notification.findMany({
      where: { shopId, channel, recipient, status: "held" },
      orderBy: { createdAt: "asc" },
    });
    if (!held.length) return { sent: 0 };
    const now = new Date();
    const lp = localParts(now, settings.timezone);
    if (inQuietHours(lp.minuteOfDay, settings.quietStartMin, settings.quietEndMin)) {
      // In quiet hours only critical messages may go (when allowed); the rest waits for the end.
      const critical = settings.criticalBypassQuiet
        ? held.filter((h) => CRITICAL_KINDS.has(h.kind as NotificationKind))
        : [];
      const quietEnd = new Date(
        now.getTime() + minutesUntilQuietEnd(lp.minuteOfDay, settings.quietStartMin, settings.quietEndMin) * 60_000,
      );
      if (!critical.length) return { sent: 0, rescheduleAt: quietEnd };
      if (critical.length < held.length) await scheduleFlush(shopId, channel, recipient, quietEnd);
      held = critical;
    }
    const l = limits()[channel];
    const inWindow = await tx.notification.findMany({
      where: {
        shopId,
        channel,
        recipient,
        status: { in: COUNTED },
        createdAt: { gte: new Date(now.getTime() - l.windowS * 1000) },
      },
      orderBy: { createdAt: "desc" },
      take: l.limit,
      select: { createdAt: true },
    });
    if (inWindow.length >= l.limit)
      return {
        sent: 0,
        rescheduleAt: new Date(inWindow[inWindow.length - 1]!.createdAt.getTime() + l.windowS * 1000 + 50),
      };
    if (held.length === 1) {
      await tx.notification.update({ where: { id: held[0]!.id }, data: { status: "queued", createdAt: now } });
      return { sent: 1, sendId: held[0]!.id };
    }
    const reason = held.some((h) => h.reason === "quiet_hours") ? "quiet_hours" : "rate_limited";
    const entries = held.map((h) =>
      channel === "sms"
        ? (h.body ?? kindLabel(h.kind)).replace(/^[^:]*:\s*/, "")
        : (h.subject ?? kindLabel(h.kind)).replace(/ · [^·]*$/, ""),
    );
    const d: RenderedMessage = renderDigest({
      shopName: shop.name,
      shopDomain: shop.domain,
      link: appLink(shop.domain, "/app/notifications"),
      settingsLink: appLink(shop.domain, "/app/settings/notifications"),
      entries,
      reason,
    });
    const digest = await tx.notification.create({
      data: {
        shopId,
        kind: "digest",
        channel,
        recipient,
        status: "queued",
        reason,
        subject: d.subject,
        body: channel === "sms" ? d.sms : d.text,
        html: channel === "email" ? d.html : null,
      },
    });
    await tx.notification.updateMany({
      where: { id: { in: held.map((h) => h.id) } },
      data: { status: "digested", digestId: digest.id },
    });
    return { sent: held.length, sendId: digest.id, digestId: digest.id };
  });
  if ("rescheduleAt" in result && result.rescheduleAt) {
    await scheduleFlush(shopId, channel, recipient, result.rescheduleAt);
    return { sent: 0, rescheduled: true };
  }
  if ("sendId" in result && result.sendId) await enqueue(QUEUES.notifySend, { shopId, notificationId: result.sendId });
  return { sent: result.sent, digestId: "digestId" in result ? result.digestId : undefined };
}

/** The `notify-send` job: a send, a digest flush, or an SMS status poll. */
export async function handleNotifySend(data: {
  notificationId?: string;
  digest?: { channel: NotifyChannel; recipient: string };
  smsStatus?: string;
  poll?: number;
  shopId: string;
}): Promise<unknown> {
  if (data.digest) return flushDigest(data.shopId, data.digest.channel, data.digest.recipient);
  if (data.smsStatus) return pollSmsStatus(data.smsStatus, data.poll ?? 1);
  if (data.notificationId) return sendNotification(data.notificationId);
  return { skipped: true };
}

/**
 * Sends a test message on `channel` to `recipients` now (no quiet hours, no rate limit) and records it.
 * @returns the recorded rows (status sent / failed / suppressed with the error).
 */
/** Raised when a shop has sent `NOTIFY_TEST_LIMIT` (default 5) test messages on a channel within the last hour. */
export class TestSendLimitError extends Error {
  constructor(readonly retryAfterS: number) {
    super(`Too many test messages; try again in ${Math.ceil(retryAfterS / 60)} min.`);
    this.name = "TestSendLimitError";
  }
}

/**
 * Sends a test message on `channel` to the shop's SAVED recipients only (never to an address typed into the form:
 * the operator's SMTP and Twilio accounts are not a relay for anyone with an admin session; issue 13), at most
 * `NOTIFY_TEST_LIMIT` (default 5) test messages (rows: an e-mail is one, an SMS one per number) per shop and channel
 * per hour. Throws TestSendLimitError over the limit.
 * @returns one result per message (e-mail: one message to all recipients; SMS: one per number).
 */
export async function sendTest(
  shopId: string,
  channel: NotifyChannel,
): Promise<{ recipient: string; status: string; error: string | null }[]> {
  const settings = await prisma.notificationSettings.findUnique({
    where: { shopId },
    select: { emailRecipients: true, smsRecipients: true },
  });
  const recipients = (channel === "email" ? settings?.emailRecipients : settings?.smsRecipients) ?? [];
  if (!recipients.length) return [];
  const limit = env.NOTIFY_TEST_LIMIT;
  const since = new Date(Date.now() - 3_600_000);
  const recent = await prisma.notification.findMany({
    where: { shopId, kind: "test", channel, createdAt: { gte: since } },
    select: { createdAt: true },
    orderBy: { createdAt: "asc" },
  });
  if (recent.length >= limit) {
    throw new TestSendLimitError(Math.max(1, (recent[0]!.createdAt.getTime() + 3_600_000 - Date.now()) / 1000));
  }
  const shop = await shopIdentity(shopId);
  const msg = renderMessage({
    kind: channel === "sms" ? "store.unhealthy" : "stock.low",
    test: true,
    shopName: shop.name,
    shopDomain: shop.domain,
    link: appLink(shop.domain, "/app/notifications"),
    settingsLink: appLink(shop.domain, "/app/settings/notifications"),
    facts:
      channel === "sms"
        ? { store: "Test store", reason: "this is only a test" }
        : { sku: "TEST-SKU", title: "Test item", quantity: 2, threshold: 5 },
  });
  const targets = channel === "email" ? [recipients.join(", ")] : recipients;
  const out = [];
  for (const to of targets) {
    const row = await prisma.notification.create({
      data: {
        shopId,
        kind: "test",
        channel,
        recipient: to,
        status: "queued",
        subject: msg.subject,
        body: channel === "sms" ? msg.sms : msg.text,
        html: channel === "email" ? msg.html : null,
      },
    });
    let res: { status: string };
    try {
      res = await sendNotification(row.id);
    } catch {
      await prisma.notification.update({ where: { id: row.id }, data: { status: "failed" } });
      res = { status: "failed" };
    }
    const after = await prisma.notification.findUniqueOrThrow({ where: { id: row.id } });
    out.push({ recipient: to, status: res.status, error: after.error });
  }
  return out;
}
