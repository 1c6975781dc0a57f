/**
 * Polled sales channels (capability `events: "polling"`, e.g. Amazon; issue 16): every minute the `poll-tick` job
 * queues a `poll-channel` job (one per channel at a time, singletonKey `poll:<channel>`) for each polled channel whose
 * `ChannelPollState.nextPollAt` has come. The poll asks the adapter for events since the stored cursor
 * (`SalesChannel.pollEvents`) and stores each order update as a receipt (`WebhookReceipt`, topic
 * `POLLED_EVENT_TOPIC`, dedupe key = channel + order + the store's modification time) in the same transaction that
 * stores the new cursor; then each new receipt goes through the `webhook` job like any delivery (app/sync/intake/
 * process-receipt.server.ts). So a re-read order (poll overlap, a retried poll) is the same receipt and changes
 * nothing; a crash after the commit leaves receipts `received`, which the sweep queues again; a processing failure
 * is retried and dead-lettered like a webhook's.
 *
 * The interval is the channel's `pollIntervalMs` (from its platform's rate limit: Amazon's getOrders allows one call
 * a minute); a poll the platform throttled is due again after its `retryAfterMs` and counted (`throttled`).
 */
import prisma from "../../db.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { ChannelError } from "../../channels/channel";
import { POLLED_EVENT_TOPIC, salesChannelKinds } from "../../channels/registry.server";
import { budgetPlanOf } from "./request-budget.server";
import { markChannelFailing, NotFoundError, salesChannelOf } from "../stores/stores.server";
import { sha256Hex } from "../../lib/crypto.server";

/**
 * How early a poll may start before its `nextPollAt` (ms). The tick runs once a minute and a poll sets its next time
 * to its own start + the interval, a little after the following tick: without this slack a 60 s interval polled every
 * other tick (every 120 s). Over time polls still average one per tick at most, within getOrders' plan (burst 20).
 */
export const POLL_SLACK_MS = 10_000;

/**
 * The start of a polled channel's `statusReason` when the platform refused its authorisation (ChannelError `revoked`):
 * polling stops until the merchant connects it again (the authorisation callback sets it active).
 */
export const AUTHORIZATION_REVOKED_REASON = "Authorisation revoked or expired";

/** Kinds whose declared events are polled. */
function polledKinds(): string[] {
  return salesChannelKinds()
    .filter((k) => k.declared.events === "polling")
    .map((k) => k.kind);
}

/**
 * Queues a poll for every polled channel that is due (creating its poll state on first sight, due at once).
 * @returns how many polls were queued
 */
export async function scheduleDuePolls(now = new Date()): Promise<number> {
  const kinds = polledKinds();
  if (!kinds.length) return 0;
  const channels = await prisma.channel.findMany({
    where: {
      kind: { in: kinds },
      status: { not: "disconnected" },
      credentialsEnc: { not: null },
      // A channel whose authorisation was refused is not polled until it is connected again.
      NOT: { status: "failing", statusReason: { startsWith: AUTHORIZATION_REVOKED_REASON } },
    },
    select: { id: true, shopId: true },
  });
  if (!channels.length) return 0;
  await prisma.channelPollState.createMany({
    data: channels.map((c) => ({ channelId: c.id })),
    skipDuplicates: true,
  });
  const due = await prisma.channelPollState.findMany({
    where: {
      channelId: { in: channels.map((c) => c.id) },
      nextPollAt: { lte: new Date(now.getTime() + POLL_SLACK_MS) },
    },
    select: { channelId: true },
  });
  for (const d of due) {
    const shopId = channels.find((c) => c.id === d.channelId)!.shopId;
    await enqueue(QUEUES.pollChannel, { shopId, channelId: d.channelId }, { singletonKey: `poll:${d.channelId}` });
  }
  return due.length;
}

export interface PollOutcome {
  status: "polled" | "not-due" | "throttled" | "skipped" | "revoked";
  /** Events the adapter returned. */
  events: number;
  /** Receipts stored by this poll (new order updates; re-read ones are duplicates). */
  stored: number;
  note?: string;
}

/** The dedupe key of a polled event (unique per channel and order state). */
function dedupeKeyOf(channelId: string, event: import("../../channels/events").SalesEvent): string {
  if (event.type === "listing.changed")
    return `poll:${channelId}:listing:${event.listing.listingId}:${event.listing.modifiedAt ?? ""}`;
  if (event.type === "stock.changed") return `poll:${channelId}:stock:${event.change.id}`;
  return `poll:${channelId}:order:${event.order.orderId}:${event.order.modifiedAt ?? event.order.status}`;
}

/**
 * Polls one channel once, if it is due (`force` polls now regardless — tests, "poll now"). Throttled → due again
 * after the platform's wait, not an error. Other adapter errors are recorded on the poll state and thrown (the job
 * retries, then dead-letters with the message).
 */
export async function pollChannel(
  shopId: string,
  channelId: string,
  opts: { force?: boolean } = {},
): Promise<PollOutcome> {
  let store: Awaited<ReturnType<typeof salesChannelOf>>;
  try {
    store = await salesChannelOf(shopId, channelId);
  } catch (err) {
    if (err instanceof NotFoundError)
      return { status: "skipped", events: 0, stored: 0, note: "channel gone or disconnected" };
    throw err;
  }
  const { channel, adapter } = store;
  const caps = await adapter.discoverCapabilities();
  if (caps.events !== "polling" || !adapter.pollEvents)
    return { status: "skipped", events: 0, stored: 0, note: "channel is not polled" };
  // A kind whose app-wide day budget every merchant shares (Etsy) polls as often as its plan allows (decision 273).
  const plan = await budgetPlanOf(channel);
  const intervalMs = plan?.pollIntervalMs ?? caps.pollIntervalMs ?? 60_000;
  await prisma.channelPollState.createMany({ data: [{ channelId }], skipDuplicates: true });
  // Claim the poll: one at a time per channel, and only when due (a second job finds it claimed until the interval).
  const claimed = await prisma.$queryRaw<{ cursor: string | null }[]>`
    UPDATE "ChannelPollState" SET "nextPollAt" = now() + make_interval(secs => ${intervalMs / 1000}), "updatedAt" = now()
    WHERE "channelId" = ${channelId} AND (${opts.force ?? false} OR "nextPollAt" <= now() + make_interval(secs => ${POLL_SLACK_MS / 1000}))
    RETURNING cursor`;
  if (!claimed.length) return { status: "not-due", events: 0, stored: 0 };
  let res: Awaited<ReturnType<NonNullable<typeof adapter.pollEvents>>>;
  try {
    res = await adapter.pollEvents(claimed[0]!.cursor);
  } catch (err) {
    const message = String((err as Error).message ?? err).slice(0, 1000);
    if (err instanceof ChannelError && err.code === "THROTTLED") {
      await prisma.channelPollState.update({
        where: { channelId },
        data: {
          throttled: { increment: 1 },
          lastError: message,
          nextPollAt: new Date(Date.now() + Math.max(intervalMs, err.opts.retryAfterMs ?? intervalMs)),
        },
      });
      return { status: "throttled", events: 0, stored: 0, note: message };
    }
    await prisma.channelPollState.update({ where: { channelId }, data: { lastError: message } });
    if (err instanceof ChannelError && err.opts.revoked) {
      await markAuthorizationRevoked(channel, message);
      return { status: "revoked", events: 0, stored: 0, note: message };
    }
    throw err;
  }
  const rows = res.events.map((event) => ({
    shopId: channel.shopId,
    channelId,
    source: channel.kind,
    topic: POLLED_EVENT_TOPIC,
    dedupeKey: dedupeKeyOf(channelId, event),
    bodyHash: sha256Hex(JSON.stringify(event)),
    body: event as object,
    headers: {},
  }));
  const stored = await prisma.$transaction(async (tx) => {
    const keys = rows.map((r) => r.dedupeKey);
    const before = new Set(
      (
        await tx.webhookReceipt.findMany({
          where: { source: channel.kind, dedupeKey: { in: keys } },
          select: { dedupeKey: true },
        })
      ).map((r) => r.dedupeKey),
    );
    const fresh = rows.filter((r, i) => !before.has(r.dedupeKey) && keys.indexOf(r.dedupeKey) === i);
    if (fresh.length) await tx.webhookReceipt.createMany({ data: fresh, skipDuplicates: true });
    const usage = adapter.requestUsage?.() ?? null;
    await tx.channelPollState.update({
      where: { channelId },
      data: {
        ...(usage ? { budgetLimit: usage.limitPerDay, budgetRemaining: usage.remainingToday } : {}),
        cursor: res.cursor,
        lastPolledAt: new Date(),
        lastError: null,
        polls: { increment: 1 },
        ordersSeen: { increment: fresh.length },
      },
    });
    return tx.webhookReceipt.findMany({
      where: { source: channel.kind, dedupeKey: { in: fresh.map((f) => f.dedupeKey) }, status: "received" },
      select: { id: true },
    });
  });
  for (const r of stored) await enqueue(QUEUES.webhook, { receiptId: r.id });
  if (res.events.length) await prisma.channel.update({ where: { id: channelId }, data: { lastWebhookAt: new Date() } });
  return { status: "polled", events: res.events.length, stored: stored.length };
}

/**
 * The platform refused a polled channel's authorisation (revoked or expired refresh token): the channel is marked
 * `failing` with a reason the Channels page and dashboard show, one `store.unhealthy` event is emitted on the
 * transition (notifications: "Store down", naming the channel), and polling stops (`scheduleDuePolls`) until the
 * merchant connects the channel again (`completeChannelAuthorization` sets it active). Decision 277.
 */
async function markAuthorizationRevoked(
  channel: { id: string; shopId: string; name: string | null; kind: string },
  detail: string,
): Promise<void> {
  const label = salesChannelKinds().find((k) => k.kind === channel.kind)?.label ?? channel.kind;
  const reason = `${AUTHORIZATION_REVOKED_REASON}: ${label} no longer accepts SyncFlow's authorisation (the seller revoked it, or it expired). Orders are not polled and quantities not written until you connect ${label} again from the Channels page.`;
  await markChannelFailing(channel, reason, `${reason} (${detail})`);
}
