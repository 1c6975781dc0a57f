/**
 * Orders hub, import catch-up (issue 15 item 4; docs/decisions/235–236): source orders inside the look-back window that
 * were never imported are imported — exactly once, through the same claim and job as their webhooks
 * (import.server.ts `queueOrderImport`: the claim `importState` null → "queued" is the only way in).
 *
 * Three ways an order can be left behind, and who catches it:
 * 1. its webhook never came (store down, webhooks disabled): reconciliation's missed-order read ingests it
 *    (reconcile.server.ts `ingestMissedOrders`) and hands it to `queueOrderImport` there, like a webhook would;
 * 2. import was off when it was sold, or the store was linked after it was sold — the first connection:
 *    `catchUpImports` (called by reconciliation, and queued when a channel is linked with import on) reads the
 *    look-back window once per enabling. An order sold BEFORE the channel was linked is adopted: recorded with the
 *    store's own stock tally and NO stock movement (its sale is already in the quantity the store had at link time; a
 *    later cancel still gives its units back, once); an order sold after is a missed order (case 1);
 * 3. the claim was taken but its job was lost (the process died between the claim and the enqueue, or the job was
 *    dropped): `requeueStuckImports` (the worker's one-minute sweep) re-queues rows left "queued" or "cancelling"
 *    without a live lease for `STUCK_MS`, from the source kept with the claim (`Order.importSource`) — no store call.
 */
import prisma from "../../db.server";
import { RETAILER_KIND } from "../../channels/channel";
import type { SalesChannel } from "../../channels/sales-channel";
import type { Channel as ChannelRow } from "@prisma/client";
import { enqueue, QUEUES, type JobData } from "../../jobs/queue.server";
import { adoptOrder, channelLinkedAt, ingestSalesOrder, orderRef, placedBeforeLink } from "../intake/orders.server";

/** The adoption of a pre-link order lives in the intake (decision 260: every first contact uses it); re-exported here. */
export { adoptOrder };
import { enqueueImport, importSettingsOf, queueOrderImport } from "./import.server";
import { salesChannelOf } from "../stores/stores.server";

/**
 * A claim older than this (ms) with no live lease has lost its job. Longer than a live job can leave the row
 * untouched: every attempt writes the row, pg-boss's longest retry delay is 300 s (queue.server.ts
 * `retryDelayMax`), and a job waits at most 60 s for the order's stock writes.
 */
export const STUCK_MS = 10 * 60_000;
/** Rows re-queued per sweep (the rest wait for the next minute). */
const SWEEP_BATCH = 200;
/** SyncRun kind of a look-back read (its presence after the settings' last change says the look-back was done). */
export const LOOKBACK_RUN = "order_lookback";

/** What a catch-up did (counts), for the run's plan and tests. */
export interface CatchUpResult {
  /** Orders read from the source inside the window. */
  read: number;
  /** Sold before the link: recorded without moving stock. */
  adopted: number;
  /** Never seen by the hub: ingested as missed orders (their stock moved, once). */
  ingested: number;
  /** Claimed and queued for import now. */
  queued: number;
}

/** When the channel's import settings last changed (turning import on is such a change). */
async function settingsChangedAt(channel: ChannelRow): Promise<Date> {
  const [own, link] = await Promise.all([
    prisma.orderImportSetting.findUnique({ where: { channelId: channel.id }, select: { updatedAt: true } }),
    channel.kind === RETAILER_KIND
      ? prisma.retailerLink.findUnique({ where: { channelId: channel.id }, select: { updatedAt: true } })
      : null,
  ]);
  return new Date(Math.max(own?.updatedAt.getTime() ?? 0, link?.updatedAt.getTime() ?? 0, channel.createdAt.getTime()));
}

/** Whether the channel's look-back window is still to read: no look-back read since its settings last changed. */
export async function lookbackDue(channel: ChannelRow): Promise<boolean> {
  const last = await prisma.syncRun.findFirst({
    where: { channelId: channel.id, kind: LOOKBACK_RUN, dryRun: false, status: "succeeded" },
    orderBy: { startedAt: "desc" },
    select: { startedAt: true },
  });
  return !last || last.startedAt < (await settingsChangedAt(channel));
}

/**
 * Reconciliation's import catch-up for one channel with import on: when the look-back is due (`lookbackDue`: first
 * connection, or the import settings changed since the last look-back), reads the source's orders of the window
 * (`adapter.ordersSince(now − lookbackHours)`, placed inside it) and hands each to `queueOrderImport` — adopted first
 * when sold before the link, ingested first when the hub never saw it. A dry run only counts.
 * Throws what the store read throws (ChannelError; the reconcile job retries, and the look-back stays due).
 */
export async function catchUpImports(run: {
  shopId: string;
  channel: ChannelRow;
  adapter: SalesChannel;
  dryRun: boolean;
  trigger?: string;
}): Promise<CatchUpResult | null> {
  const { channel, adapter, dryRun } = run;
  const settings = await importSettingsOf(channel);
  if (!settings?.importOrders || channel.pausedAt) return null;
  if (!(await lookbackDue(channel))) return null;
  const started = new Date();
  const from = new Date(started.getTime() - settings.lookbackHours * 3_600_000);
  const linked = await channelLinkedAt(channel);
  const out: CatchUpResult = { read: 0, adopted: 0, ingested: 0, queued: 0 };
  const syncRun = await prisma.syncRun.create({
    data: {
      shopId: run.shopId,
      channelId: channel.id,
      kind: LOOKBACK_RUN,
      trigger: run.trigger ?? "reconcile",
      dryRun,
    },
  });
  try {
    for await (const page of adapter.ordersSince(from.toISOString())) {
      for (const order of page) {
        const placed = order.createdAt ? new Date(order.createdAt) : null;
        if (order.partial || !placed || placed < from) continue;
        out.read++;
        if (dryRun) continue;
        let orderId: string;
        if (placedBeforeLink(placed, linked)) {
          const res = await adoptOrder(channel, order);
          if (res.adopted) out.adopted++;
          orderId = res.orderId;
        } else {
          const res = await ingestSalesOrder(channel, order, "reconcile");
          if (res.result === "taken" || res.result === "released") out.ingested++;
          for (const adjustmentId of res.adjustmentIds)
            await enqueue(QUEUES.shopifyAdjust, { shopId: run.shopId, adjustmentId });
          orderId = res.orderId;
        }
        if (await queueOrderImport(channel, orderId, order)) out.queued++;
      }
    }
    await prisma.syncRun.update({
      where: { id: syncRun.id },
      data: {
        status: "succeeded",
        finishedAt: new Date(),
        durationMs: Date.now() - started.getTime(),
        total: out.read,
        processed: out.read,
        changed: out.queued,
        plan: { ...out, from: from.toISOString(), linkedAt: linked.toISOString() },
      },
    });
    return out;
  } catch (err) {
    await prisma.syncRun.update({
      where: { id: syncRun.id },
      data: { status: "failed", finishedAt: new Date(), error: String((err as Error)?.message ?? err).slice(0, 2000) },
    });
    throw err;
  }
}

/** A one-line account of a catch-up for reconciliation's plan. */
export function describeCatchUp(r: CatchUpResult): string {
  return `import look-back: ${r.read} order(s) in the window, ${r.queued} queued for import (${r.adopted} sold before the link recorded without moving stock, ${r.ingested} missed order(s) ingested)`;
}

/**
 * The link job's part (worker `link-channel`): a channel linked with import on reads its look-back window now, when
 * due. A failed read is logged, not thrown (the link stands; the next reconciliation finds the look-back still due).
 */
export async function lookbackAfterLink(shopId: string, channelId: string): Promise<CatchUpResult | null> {
  try {
    const { channel, adapter } = await salesChannelOf(shopId, channelId);
    return await catchUpImports({ shopId, channel, adapter, dryRun: false, trigger: "link" });
  } catch (err) {
    console.error(`[orders-hub] import look-back after linking ${channelId} failed (reconciliation retries):`, err);
    return null;
  }
}

/**
 * Asks for the channel's look-back now (a channel just linked with import on, or import just turned on): queues the
 * channel's reconciliation, which runs `catchUpImports` after the missed-order read. Safe to call more than once.
 */
export async function queueImportLookback(shopId: string, channelId: string): Promise<void> {
  await enqueue(
    QUEUES.reconcile,
    { shopId, channelId, trigger: "import_lookback" },
    { singletonKey: `reconcile:${channelId}:import-lookback` },
  );
}

/**
 * The sweep's backstop: rows claimed for import ("queued") or for cancelling whose job was lost — untouched for
 * `STUCK_MS`, no live lease, channel not paused or disconnected — get their job again (the import from the source
 * kept with the claim). A duplicate job is harmless: the lease and the key lookup make the import happen once.
 * @param opts.shopId only this shop's rows (default every shop: the sweep); `now` the sweep's clock
 * @returns how many jobs were queued
 */
export async function requeueStuckImports(opts: { now?: Date; shopId?: string } = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const rows = await prisma.order.findMany({
    where: {
      ...(opts.shopId ? { shopId: opts.shopId } : {}),
      importState: { in: ["queued", "cancelling"] },
      updatedAt: { lt: new Date(now.getTime() - STUCK_MS) },
      OR: [{ importLeaseUntil: null }, { importLeaseUntil: { lt: now } }],
      channel: { pausedAt: null, status: { not: "disconnected" } },
    },
    select: { id: true, shopId: true, importState: true, importSource: true, number: true },
    orderBy: { updatedAt: "asc" },
    take: SWEEP_BATCH,
  });
  let queued = 0;
  for (const row of rows) {
    const source = sourceOf(row.importSource);
    if (row.importState === "cancelling")
      await enqueue(QUEUES.orderImport, { shopId: row.shopId, orderId: row.id, source, action: "cancel" });
    else await enqueueImport(row.shopId, row.id, source);
    // Touched, so the next sweep leaves it alone for another STUCK_MS while the job runs.
    await prisma.order.update({ where: { id: row.id }, data: { updatedAt: now } });
    console.warn(
      `[orders-hub] order ${orderRef(row.number)} (${row.id}) was left ${row.importState}: job queued again`,
    );
    queued++;
  }
  return queued;
}

/** The import job's `source` from `Order.importSource` (empty when the claim kept none). */
function sourceOf(kept: unknown): JobData["order-import"]["source"] {
  const s = (kept ?? {}) as Partial<JobData["order-import"]["source"]>;
  return {
    shippingAddress: s.shippingAddress ?? null,
    billingAddress: s.billingAddress ?? null,
    paid: s.paid ?? null,
    shipping: s.shipping ?? null,
  };
}
