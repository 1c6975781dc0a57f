/**
 * Orders hub, fulfilment pushback (issue 15 item 3; decisions 230–234): a central-shop fulfilment of an imported order
 * goes back to the store the customer bought from — exactly once per version of the fulfilment — through the
 * sales-channel port's optional `pushFulfilment` (app/channels/sales-channel.ts).
 *
 * Flow: the central shop's `fulfillments/create|update` (and `orders/updated`, which carries every fulfilment of the
 * order, as a backstop) → `recordCentralFulfilments` upserts one `OrderFulfilment` row per central Fulfillment GID (an
 * older `centralUpdatedAt` never overwrites a newer one, so duplicate and reordered deliveries land on one row),
 * updates `Order.fulfilmentState`, and — when the channel pushes fulfilments and the fulfilment is inside its look-back
 * — marks the row `pending` and queues one `fulfilment-push` job → `runFulfilmentPush` takes the row's lease and calls
 * the channel's adapter with the row's current version; the adapter looks at the store first (a WooCommerce note
 * carrying `[syncflow:<key>]`, a retailer fulfilment with the same tracking number) so a lost answer never writes twice
 * → the row records `pushedVersion`, `sourceRef`, `pushed`.
 *
 * Failures: the job throws; pg-boss retries with backoff; once retries are spent the worker's dead-letter hook calls
 * `markPushDeadLettered` (row `failed`, the cause kept); a replay of the dead letter, or `requeueFulfilmentPushback`
 * (the Orders page's bulk retry), pushes it once. Reconciliation calls `catchUpPushback` for fulfilments whose
 * webhooks never came.
 */
import { createHash } from "node:crypto";
import prisma from "../../db.server";
import { enqueue, QUEUES, type JobData } from "../../jobs/queue.server";
import { RECORD_KIND, RETAILER_KIND } from "../../channels/channel";
import type { RecordFulfilment } from "../../channels/record";
import type { FulfilmentPush } from "../../channels/sales-channel";
import { recordForShop, salesAdapter } from "../stores/stores.server";
import type { Channel as ChannelRow, OrderFulfilment, OrderLine } from "@prisma/client";

/** Push states of an `OrderFulfilment` row (prisma/schema.prisma). */
export type PushState = "pending" | "pushing" | "pushed" | "failed" | "skipped";

/** How long one push attempt holds its row (ms): longer than a store call's timeout plus its look-up. */
const LEASE_MS = 60_000;
/** Times a push waits (2 s each) for the shop's pending stock writes before pushing anyway. */
const MAX_DEFERRALS = 15;
/** Imported orders one catch-up reads back from the central shop at most (one Admin call each). */
export const CATCH_UP_ORDERS = 100;
/** How far back catch-up looks for imported orders still waiting for their tracking (Shopify's default order window). */
const CATCH_UP_ORDER_DAYS = 60;

/** The job's singleton key: one queued push per fulfilment row. */
export const pushJobKey = (fulfilmentId: string): string => `fulfilment-push:${fulfilmentId}`;

/** A channel's pushback settings (decision 231): retailer channels read their RetailerLink, others OrderImportSetting. */
export interface PushSettings {
  pushFulfilments: boolean;
  lookbackHours: number;
  /** The source store tells its customer (WooCommerce: a customer note; retailer Shopify: notifyCustomer). */
  notifyCustomer: boolean;
}

/** The pushback settings of `channel` (null for the record itself or an unlinked retailer). */
export async function pushSettingsOf(channel: ChannelRow): Promise<PushSettings | null> {
  if (channel.kind === RECORD_KIND) return null;
  const own = await prisma.orderImportSetting.findUnique({ where: { channelId: channel.id } });
  const notifyCustomer = own?.notifySourceCustomer ?? true;
  if (channel.kind === RETAILER_KIND) {
    const link = await prisma.retailerLink.findUnique({ where: { channelId: channel.id } });
    if (!link || link.status !== "linked") return null;
    return { pushFulfilments: link.pushFulfilments, lookbackHours: link.fulfilmentLookbackHours, notifyCustomer };
  }
  return {
    pushFulfilments: own?.pushFulfilments ?? false,
    lookbackHours: own?.fulfilmentLookbackHours ?? 24,
    notifyCustomer,
  };
}

/** A fulfilment row's lines: the source order's lines it covers. */
export interface SourceLine {
  externalLineId: string;
  sku: string | null;
  /** Units. */
  quantity: number;
}

/** What the source store is told for a central status: in effect ("shipped"), undone ("cancelled"), or nothing yet. */
export function pushStatusOf(centralStatus: string): "shipped" | "cancelled" | null {
  const s = centralStatus.toUpperCase();
  if (s === "SUCCESS") return "shipped";
  if (s === "CANCELLED" || s === "ERROR" || s === "FAILURE") return "cancelled";
  return null; // OPEN, PENDING: not shipped yet
}

/**
 * The version of a fulfilment as the source must show it: status word, carrier, every tracking number and URL, and
 * the lines — 12 hex digits of a SHA-256. Two deliveries of the same state give the same version (pushed once); a
 * changed tracking number or a cancellation gives a new one (pushed again).
 */
export function versionOf(row: {
  centralStatus: string;
  trackingCompany: string | null;
  trackingNumbers: string[];
  trackingUrls: string[];
  lines: unknown;
}): string {
  const canon = JSON.stringify([
    pushStatusOf(row.centralStatus) ?? row.centralStatus.toUpperCase(),
    row.trackingCompany ?? "",
    row.trackingNumbers,
    row.trackingUrls,
    ((row.lines as SourceLine[] | null) ?? []).map((l) => [l.externalLineId, l.quantity]),
  ]);
  return createHash("sha256").update(canon).digest("hex").slice(0, 12);
}

/**
 * The source order's lines a central fulfilment covers (pure). A central line is matched to the source line it was
 * imported from by its catalog item (central variant → item through `itemOfVariant`), else by SKU (custom lines of
 * unlinked SKUs), case-insensitively; its units fill the matching source lines in order, each up to its quantity.
 * Units that match no source line are left out (returned in `unmatched`).
 */
export function sourceLinesOf(
  fulfilment: Pick<RecordFulfilment, "lines">,
  orderLines: Pick<OrderLine, "externalLineId" | "sku" | "itemId" | "quantity">[],
  itemOfVariant: Map<string, string>,
): { lines: SourceLine[]; unmatched: number } {
  const taken = new Map<string, number>();
  const out = new Map<string, SourceLine>();
  let unmatched = 0;
  const sku = (s: string | null) => (s ?? "").trim().toLowerCase();
  for (const cl of fulfilment.lines) {
    let left = cl.quantity;
    const item = cl.variantId ? itemOfVariant.get(cl.variantId) : undefined;
    const candidates = orderLines.filter((l) =>
      item ? l.itemId === item : !!cl.sku && sku(l.sku) === sku(cl.sku) && l.quantity > 0,
    );
    for (const l of candidates) {
      if (left <= 0) break;
      const room = l.quantity - (taken.get(l.externalLineId) ?? 0);
      if (room <= 0) continue;
      const q = Math.min(room, left);
      taken.set(l.externalLineId, (taken.get(l.externalLineId) ?? 0) + q);
      const prev = out.get(l.externalLineId);
      out.set(l.externalLineId, { externalLineId: l.externalLineId, sku: l.sku, quantity: (prev?.quantity ?? 0) + q });
      left -= q;
    }
    unmatched += left;
  }
  return { lines: [...out.values()], unmatched };
}

/**
 * How much of the order has shipped, from its fulfilment rows (pure): units of each line covered by fulfilments in
 * effect (cancelled ones do not count) against the line's quantity. "unfulfilled" | "partial" | "fulfilled".
 */
export function fulfilmentStateOf(
  orderLines: Pick<OrderLine, "externalLineId" | "quantity">[],
  rows: Pick<OrderFulfilment, "centralStatus" | "lines">[],
): "unfulfilled" | "partial" | "fulfilled" {
  const shipped = new Map<string, number>();
  for (const r of rows) {
    if (pushStatusOf(r.centralStatus) !== "shipped") continue;
    for (const l of (r.lines as unknown as SourceLine[]) ?? [])
      shipped.set(l.externalLineId, (shipped.get(l.externalLineId) ?? 0) + l.quantity);
  }
  const lines = orderLines.filter((l) => l.quantity > 0);
  const total = [...shipped.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return "unfulfilled";
  return lines.every((l) => (shipped.get(l.externalLineId) ?? 0) >= l.quantity) ? "fulfilled" : "partial";
}

/** The record's variant → catalog item, for the variants of these fulfilments. */
async function itemsOfVariants(shopId: string, fulfilments: RecordFulfilment[]): Promise<Map<string, string>> {
  const ids = [...new Set(fulfilments.flatMap((f) => f.lines.map((l) => l.variantId)).filter((x): x is string => !!x))];
  if (!ids.length) return new Map();
  const rows = await prisma.listing.findMany({
    where: { shopId, externalId: { in: ids }, itemId: { not: null }, channel: { kind: RECORD_KIND } },
    select: { externalId: true, itemId: true },
  });
  return new Map(rows.map((r) => [r.externalId, r.itemId!]));
}

/**
 * The central shop reported fulfilments of `centralOrderId` (a fulfillments/* webhook, orders/updated, or catch-up's
 * read): each is upserted on our imported order's rows — a delivery older than the row's `centralUpdatedAt` changes
 * nothing — and, when its version differs from what the source has, marked `pending` and queued (pushback on and the
 * fulfilment inside the look-back; else `skipped` with the reason). Not an imported order → nothing.
 * @returns the hub's order id (null when the central order is not one of ours) and how many pushes were queued
 */
export async function recordCentralFulfilments(
  shopId: string,
  centralOrderId: string | null,
  fulfilments: RecordFulfilment[],
): Promise<{ orderId: string | null; queued: number; stale: number }> {
  if (!centralOrderId || !fulfilments.length) return { orderId: null, queued: 0, stale: 0 };
  const order = await prisma.order.findFirst({
    where: { shopId, centralOrderId },
    include: { lines: { orderBy: { externalLineId: "asc" } }, channel: true },
  });
  if (!order) return { orderId: null, queued: 0, stale: 0 };
  const settings = await pushSettingsOf(order.channel);
  const variants = await itemsOfVariants(shopId, fulfilments);
  let queued = 0;
  let stale = 0;
  for (const f of fulfilments) {
    const { lines } = sourceLinesOf(f, order.lines, variants);
    const updatedAt = new Date(f.updatedAt);
    const fields = {
      centralStatus: f.status.toUpperCase(),
      trackingCompany: f.tracking.find((t) => t.company)?.company ?? null,
      trackingNumbers: f.tracking.map((t) => t.number).filter((n): n is string => !!n),
      trackingUrls: f.tracking.map((t) => t.url ?? "").filter((u, i, all) => u || all.some(Boolean)),
      lines: lines as unknown as object,
      centralUpdatedAt: updatedAt,
    };
    const version = versionOf(fields);
    const key = { orderId_centralFulfilmentId: { orderId: order.id, centralFulfilmentId: f.id } };
    let row = await prisma.orderFulfilment.findUnique({ where: key });
    if (!row) {
      try {
        row = await prisma.orderFulfilment.create({
          data: { orderId: order.id, centralFulfilmentId: f.id, ...fields, pushState: "skipped" },
        });
      } catch (err) {
        if ((err as { code?: string }).code !== "P2002") throw err;
        row = await prisma.orderFulfilment.findUniqueOrThrow({ where: key }); // a concurrent delivery created it
      }
    }
    if (row.centralUpdatedAt > updatedAt) {
      stale++; // an older delivery (reordered, late, duplicated by a retry): the row already holds a newer state
      continue;
    }
    const decision = pushDecision(fields, version, row, settings);
    const updated = await prisma.orderFulfilment.updateMany({
      where: { id: row.id, centralUpdatedAt: { lte: updatedAt } },
      data: {
        ...fields,
        ...(decision.state && row.pushState !== "pushing" ? { pushState: decision.state } : {}),
        ...(decision.state === "skipped" ? { pushError: decision.reason } : {}),
        ...(decision.state === "pending" ? { pushError: null } : {}),
      },
    });
    if (updated.count === 0) {
      stale++;
      continue;
    }
    if (decision.state === "pending") {
      await enqueue(QUEUES.fulfilmentPush, { shopId, fulfilmentId: row.id }, { singletonKey: pushJobKey(row.id) });
      queued++;
    }
  }
  await refreshOrderSummary(order.id);
  return { orderId: order.id, queued, stale };
}

/** What a row with this state needs: a push (pending), nothing (keep), or none because of `reason` (skipped). */
function pushDecision(
  fields: { centralStatus: string; centralUpdatedAt: Date },
  version: string,
  row: Pick<OrderFulfilment, "pushedVersion" | "sourceRef" | "pushAttempts" | "pushState">,
  settings: PushSettings | null,
): { state: PushState | null; reason?: string } {
  if (row.pushedVersion === version) return { state: row.pushState === "pushing" ? null : "pushed" };
  if (!settings?.pushFulfilments) return { state: "skipped", reason: "pushback is off for this store" };
  const status = pushStatusOf(fields.centralStatus);
  if (!status) return { state: "skipped", reason: `not shipped yet (central status ${fields.centralStatus})` };
  // A fulfilment cancelled before anything reached the source leaves nothing to undo there.
  if (status === "cancelled" && !row.pushedVersion && !row.sourceRef && row.pushAttempts === 0)
    return { state: "skipped", reason: "cancelled before it reached the store" };
  if (Date.now() - fields.centralUpdatedAt.getTime() > settings.lookbackHours * 3_600_000)
    return { state: "skipped", reason: `older than the fulfilment look-back (${settings.lookbackHours} h)` };
  return { state: "pending" };
}

/**
 * The order's fulfilment summary from its rows: `fulfilmentState` (unfulfilled | partial | fulfilled) and
 * `trackingDeliveredAt` — set when every fulfilment row that carries something for the store (shipped, or cancelled
 * after a push) is pushed at its current version, null while any is still to push.
 */
export async function refreshOrderSummary(orderId: string): Promise<void> {
  const order = await prisma.order.findUnique({
    where: { id: orderId },
    select: { trackingDeliveredAt: true, lines: { select: { externalLineId: true, quantity: true } } },
  });
  if (!order) return;
  const rows = await prisma.orderFulfilment.findMany({ where: { orderId } });
  const state = fulfilmentStateOf(order.lines, rows);
  const relevant = rows.filter((r) => pushStatusOf(r.centralStatus) === "shipped" || r.pushedVersion);
  const delivered =
    relevant.length > 0 && relevant.every((r) => r.pushState === "pushed" && r.pushedVersion === versionOf(r));
  await prisma.order.update({
    where: { id: orderId },
    data: {
      fulfilmentState: state,
      trackingDeliveredAt: delivered ? (order.trackingDeliveredAt ?? new Date()) : null,
    },
  });
}

/**
 * Whether every line of the order is fully shipped by the fulfilments in effect — counting `row` as it is now.
 * (WooCommerce: the order becomes completed only then; a partial shipment leaves it processing.)
 */
function fullyShipped(
  orderLines: Pick<OrderLine, "externalLineId" | "quantity">[],
  rows: Pick<OrderFulfilment, "centralStatus" | "lines">[],
): boolean {
  return fulfilmentStateOf(orderLines, rows) === "fulfilled";
}

/**
 * The `fulfilment-push` job: pushes the row's current version to its source store, once. Returns what it did; throws
 * (ChannelError or Error) to retry. Pushes spend the budget after the shop's stock writes: while the shop has pending
 * stock adjustments the job re-queues itself (2 s, at most `MAX_DEFERRALS` times).
 */
export async function runFulfilmentPush(data: JobData["fulfilment-push"]): Promise<Record<string, unknown>> {
  const row = await prisma.orderFulfilment.findFirst({
    where: { id: data.fulfilmentId, order: { shopId: data.shopId } },
    include: { order: { include: { lines: { orderBy: { externalLineId: "asc" } }, channel: true } } },
  });
  if (!row) return { skipped: "fulfilment not found" };
  const { order } = row;
  const version = versionOf(row);
  if (row.pushedVersion === version) {
    await prisma.orderFulfilment.updateMany({
      where: { id: row.id, pushState: { not: "pushing" } },
      data: { pushState: "pushed" },
    });
    await refreshOrderSummary(order.id);
    return { skipped: "already at the store", version };
  }
  const settings = await pushSettingsOf(order.channel);
  const decision = pushDecision(row, version, row, settings);
  if (decision.state === "skipped") {
    await prisma.orderFulfilment.update({
      where: { id: row.id },
      data: { pushState: "skipped", pushError: decision.reason },
    });
    return { skipped: decision.reason };
  }
  const pending = await prisma.shopifyAdjustment.count({ where: { shopId: order.shopId, status: "pending" } });
  if (pending > 0 && (data.deferrals ?? 0) < MAX_DEFERRALS) {
    await enqueue(QUEUES.fulfilmentPush, { ...data, deferrals: (data.deferrals ?? 0) + 1 }, { startAfterSeconds: 2 });
    return { deferred: "the shop's stock writes are still pending" };
  }
  const now = new Date();
  const lease = await prisma.orderFulfilment.updateMany({
    where: { id: row.id, OR: [{ pushLeaseUntil: null }, { pushLeaseUntil: { lt: now } }] },
    data: {
      pushLeaseUntil: new Date(now.getTime() + LEASE_MS),
      pushState: "pushing",
      pushAttempts: { increment: 1 },
    },
  });
  // Another attempt is at work on this row (a duplicate delivery queued a second job): it re-queues the row itself
  // when a newer version arrived meanwhile, and pg-boss retries it if it fails or its worker dies — nothing to do here.
  if (lease.count === 0) return { skipped: "another push attempt holds it" };
  try {
    const adapter = salesAdapter(order.channel);
    if (!adapter.pushFulfilment) {
      await prisma.orderFulfilment.update({
        where: { id: row.id },
        data: {
          pushState: "skipped",
          pushLeaseUntil: null,
          pushError: `a ${order.channel.kind} store takes no fulfilments`,
        },
      });
      return { skipped: "the store takes no fulfilments" };
    }
    const siblings = await prisma.orderFulfilment.findMany({ where: { orderId: order.id } });
    const push: FulfilmentPush = {
      key: `${row.id}/${version}`,
      fulfilmentId: row.id,
      orderId: order.externalId,
      status: pushStatusOf(row.centralStatus)!,
      company: row.trackingCompany,
      tracking: row.trackingNumbers.map((number, i) => ({ number, url: row.trackingUrls[i] || null })),
      lines: ((row.lines as unknown as SourceLine[]) ?? []).map((l) => ({
        lineId: l.externalLineId,
        sku: l.sku,
        quantity: l.quantity,
      })),
      orderFullyShipped: fullyShipped(order.lines, siblings),
      notifyCustomer: settings?.notifyCustomer ?? true,
      sourceRef: row.sourceRef,
    };
    const result = await adapter.pushFulfilment(push);
    const after = await prisma.orderFulfilment.findUniqueOrThrow({ where: { id: row.id } });
    const again = versionOf(after) !== version; // a newer delivery came in while this one was pushed
    await prisma.orderFulfilment.update({
      where: { id: row.id },
      data: {
        pushedVersion: version,
        pushedAt: new Date(),
        sourceRef: result.sourceRef ?? row.sourceRef,
        pushError: null,
        pushLeaseUntil: null,
        pushState: again ? "pending" : "pushed",
      },
    });
    if (again)
      await enqueue(
        QUEUES.fulfilmentPush,
        { shopId: data.shopId, fulfilmentId: row.id },
        { singletonKey: pushJobKey(row.id) },
      );
    await refreshOrderSummary(order.id);
    return { pushed: version, sourceRef: result.sourceRef, alreadyThere: result.alreadyThere, summary: result.summary };
  } catch (err) {
    await prisma.orderFulfilment.update({
      where: { id: row.id },
      data: {
        pushError: err instanceof Error ? err.message.slice(0, 2000) : String(err),
        pushLeaseUntil: null,
        pushState: "pending",
      },
    });
    throw err;
  }
}

/** The worker's dead-letter hook for `fulfilment-push`: the row is `failed` with the cause (a replay pushes it once). */
export async function markPushDeadLettered(fulfilmentId: string, cause: string): Promise<void> {
  await prisma.orderFulfilment.updateMany({
    where: { id: fulfilmentId, pushState: { not: "pushed" } },
    data: { pushState: "failed", pushError: `dead-lettered: ${cause}`.slice(0, 2000), pushLeaseUntil: null },
  });
}

/**
 * Re-queues the pushbacks of `orderIds` that did not reach their source store: rows `failed` (dead-lettered) or
 * `pending` (never pushed, or a newer version not pushed yet). Each becomes `pending` again, its error cleared, and
 * one `fulfilment-push` job is sent per row (collapsed while one is queued). The push itself stays exactly-once: it
 * looks at the source before writing again (see `runFulfilmentPush`).
 * @param orderIds the hub's Order ids (any channel; unknown ids are ignored)
 * @returns how many fulfilment rows were re-queued
 */
export async function requeueFulfilmentPushback(orderIds: string[]): Promise<number> {
  if (!orderIds.length) return 0;
  const rows = await prisma.orderFulfilment.findMany({
    where: { orderId: { in: orderIds }, pushState: { in: ["failed", "pending"] } },
    select: { id: true, order: { select: { shopId: true } } },
  });
  let n = 0;
  for (const row of rows) {
    const claimed = await prisma.orderFulfilment.updateMany({
      where: { id: row.id, pushState: { in: ["failed", "pending"] } },
      data: { pushState: "pending", pushError: null, pushLeaseUntil: null },
    });
    if (claimed.count === 0) continue;
    await enqueue(
      QUEUES.fulfilmentPush,
      { shopId: row.order.shopId, fulfilmentId: row.id },
      { singletonKey: pushJobKey(row.id) },
    );
    n++;
  }
  return n;
}

/**
 * Reconciliation's pushback catch-up (issue 15 item 4) for one sales channel: its imported orders whose tracking has
 * not all reached the store (`trackingDeliveredAt` null; imported within the last 60 days, newest first, at most
 * `CATCH_UP_ORDERS`) are read back from the central shop (`RecordOrders.readFulfilments`, one call each); fulfilments
 * changed within the channel's fulfilment look-back go through `recordCentralFulfilments` like a webhook (so a
 * fulfilment already pushed is not pushed again), and failed rows are left to the merchant's retry.
 * @returns orders read and pushes queued
 */
export async function catchUpPushback(channel: ChannelRow): Promise<{ orders: number; queued: number }> {
  const settings = await pushSettingsOf(channel);
  if (!settings?.pushFulfilments || channel.pausedAt) return { orders: 0, queued: 0 };
  const orders = await prisma.order.findMany({
    where: {
      channelId: channel.id,
      centralOrderId: { not: null },
      importState: "imported",
      trackingDeliveredAt: null,
      importedAt: { gte: new Date(Date.now() - CATCH_UP_ORDER_DAYS * 86_400_000) },
    },
    orderBy: { importedAt: "desc" },
    take: CATCH_UP_ORDERS,
    select: { id: true, centralOrderId: true },
  });
  if (!orders.length) return { orders: 0, queued: 0 };
  const { adapter } = await recordForShop(channel.shopId);
  const since = Date.now() - settings.lookbackHours * 3_600_000;
  let queued = 0;
  for (const o of orders) {
    const read = await adapter.readFulfilments(o.centralOrderId!);
    if (!read) continue;
    const recent = read.fulfilments.filter((f) => Date.parse(f.updatedAt) >= since);
    queued += (await recordCentralFulfilments(channel.shopId, o.centralOrderId, recent)).queued;
  }
  return { orders: orders.length, queued };
}
