/**
 * Orders hub, import (issue 15 item 1; decisions 215–218): a sales channel's order that took stock becomes exactly one
 * order in the central Shopify shop (the record), through the port's `RecordOrders` only.
 *
 * Flow: the intake records the order and moves its stock (app/sync/intake/orders.server.ts) → `queueOrderImport`
 * claims the order row (`importState` null → "queued", `importKey` set) and queues one `order-import` job →
 * `runOrderImport` (worker) waits for the order's own stock writes to reach the record, takes the row's lease, and
 * calls `createImportedOrder` (looks the key up, then creates with inventory BYPASS) → the row holds the central
 * order's id and "imported". The central shop's own `orders/create` for it is recognised by `recogniseImportEcho`.
 *
 * Failures: the job throws; pg-boss retries with backoff and, once retries are spent, the worker dead-letters it and
 * `markImportDeadLettered` sets "failed" with the cause (replaying the dead letter imports it, still once).
 */
import prisma from "../../db.server";
import { enqueue, QUEUES, type JobData } from "../../jobs/queue.server";
import { RECORD_KIND, RETAILER_KIND } from "../../channels/channel";
import type { ImportOrderInput, ImportOrderLine, OrderAddress } from "../../channels/record";
import type { SalesOrder } from "../../channels/events";
import { recordForShop } from "../stores/stores.server";
import { emitEvent } from "../events.server";
import { followSourceChanges, importedLinesOf } from "./changes.server";
import type { Channel as ChannelRow, Prisma } from "@prisma/client";

/** The tag every imported order carries (so the merchant can filter them in Shopify admin). */
export const IMPORT_TAG = "syncflow";
/** Shopify's longest tag (characters); longer configured tags are cut. */
const MAX_TAG = 40;
/** How long one attempt holds the order (ms): longer than the client's 15 s timeout plus the lookup. */
const LEASE_MS = 60_000;
/** Times a job waits (2 s each) for the order's own stock writes before importing anyway. */
const MAX_DEFERRALS = 30;

/** The unique key stored with the central order (`sourceIdentifier`) and on our row: one per source order. */
export const importKeyOf = (channelId: string, externalOrderId: string): string =>
  `syncflow:${channelId}:${externalOrderId.replace(/[^A-Za-z0-9:_.-]/g, "_")}`;

/** A channel's import settings (decision 216): retailer channels read their RetailerLink, others OrderImportSetting. */
export interface ImportSettings {
  importOrders: boolean;
  /** Source statuses that import; empty = any order that took stock. */
  fromStatuses: string[];
  lookbackHours: number;
  tags: string[];
  note: string | null;
  /** null = the customer's billing address. */
  billingAddress: OrderAddress | null;
  notifyCustomer: boolean;
}

/** The import settings of `channel` (null for the record itself). */
export async function importSettingsOf(channel: ChannelRow): Promise<ImportSettings | null> {
  if (channel.kind === RECORD_KIND) return null;
  const own = await prisma.orderImportSetting.findUnique({ where: { channelId: channel.id } });
  const common = {
    fromStatuses: own?.fromStatuses ?? [],
    billingAddress: (own?.billingAddress as OrderAddress | null | undefined) ?? null,
    notifyCustomer: own?.notifyCustomer ?? false,
  };
  if (channel.kind === RETAILER_KIND) {
    const link = await prisma.retailerLink.findUnique({ where: { channelId: channel.id } });
    if (!link || link.status !== "linked") return null;
    return {
      ...common,
      importOrders: link.importOrders,
      lookbackHours: link.orderLookbackHours,
      tags: link.orderTags,
      note: link.orderNote,
    };
  }
  return {
    ...common,
    importOrders: own?.importOrders ?? false,
    lookbackHours: own?.orderLookbackHours ?? 24,
    tags: own?.tags ?? [],
    note: own?.note ?? null,
  };
}

/** What the job needs from the delivery that the order row does not keep. */
export function importSourceOf(order: SalesOrder): JobData["order-import"]["source"] {
  return {
    shippingAddress: (order.shippingAddress ?? null) as JobData["order-import"]["source"]["shippingAddress"],
    billingAddress: (order.billingAddress ?? null) as JobData["order-import"]["source"]["billingAddress"],
    paid: order.paid ?? null,
    shipping: order.shipping ?? null,
  };
}

/**
 * After the intake recorded `orderId` of `channel`: queues its import when the channel imports orders, the order took
 * stock (or its status is one of the configured ones), was placed within the look-back window, is not cancelled and
 * was never queued. Idempotent: a duplicate, reordered or late delivery finds the row claimed and queues nothing.
 * @returns true when a job was queued
 */
export async function queueOrderImport(channel: ChannelRow, orderId: string, order: SalesOrder): Promise<boolean> {
  const settings = await importSettingsOf(channel);
  if (!settings?.importOrders || channel.pausedAt) return false;
  const row = await prisma.order.findUnique({
    where: { id: orderId },
    select: {
      id: true,
      externalId: true,
      stockTaken: true,
      status: true,
      placedAt: true,
      cancelledAt: true,
      importState: true,
      importSource: true,
    },
  });
  if (!row) return false;
  if (order.partial) {
    // A refund's restocked lines without the order header (retailer refunds/create): a change to follow, nothing to claim.
    if (row.importState === "imported" || row.importState === "needs_attention") await followSourceChanges(row, order);
    return false;
  }
  if (row.cancelledAt && row.status === "cancelled") {
    // Cancelled at the source after the import: the central order follows, once (decision 219). Refunded and failed
    // orders are not cancellations (the merchant may have shipped): flagged for the merchant (changes.server.ts, 237).
    const claimed = await prisma.order.updateMany({
      where: { id: row.id, importState: "imported", centralOrderId: { not: null } },
      data: { importState: "cancelling" },
    });
    if (claimed.count === 0) return false;
    await enqueue(QUEUES.orderImport, {
      shopId: channel.shopId,
      orderId: row.id,
      source: importSourceOf(order),
      action: "cancel",
    });
    return true;
  }
  // Imported already: what changed at the source since (refunds, edits) is followed or flagged (decision 237).
  if (row.importState === "imported" || row.importState === "needs_attention") {
    await followSourceChanges(row, order);
    return false;
  }
  if (row.cancelledAt) return false;
  const eligible = settings.fromStatuses.length ? settings.fromStatuses.includes(row.status) : row.stockTaken;
  if (!eligible) return false;
  if (Date.now() - row.placedAt.getTime() > settings.lookbackHours * 3_600_000) return false;
  const claimed = await prisma.order.updateMany({
    where: { id: row.id, importState: null },
    // The job's source is kept with the claim: a claim whose job is lost is re-queued from it (catch-up.server.ts).
    data: {
      importState: "queued",
      importKey: importKeyOf(channel.id, row.externalId),
      importSource: importSourceOf(order) as Prisma.InputJsonValue,
    },
  });
  if (claimed.count === 0) return false;
  await enqueueImport(channel.shopId, row.id, importSourceOf(order));
  return true;
}

/** Queues the `order-import` job of `orderId` (one at a time per order: pg-boss singleton key). */
export async function enqueueImport(
  shopId: string,
  orderId: string,
  source: JobData["order-import"]["source"],
): Promise<string | null> {
  return enqueue(QUEUES.orderImport, { shopId, orderId, source }, { singletonKey: `order-import:${orderId}` });
}

/** Flag: the source cancelled an order whose central copy had already shipped (it cannot be cancelled). */
export const SOURCE_CANCELLED_AFTER_SHIPPING = "source_cancelled_after_fulfilment";

/** Custom-line reasons: the line's SKU has no catalog item, or the item has no variant on the record. */
const UNLINKED = "unlinked_lines";

/** The record's variant of each catalog item (the record channel's linked listings). */
async function recordVariants(shopId: string, itemIds: string[]): Promise<Map<string, string>> {
  if (!itemIds.length) return new Map();
  const listings = await prisma.listing.findMany({
    where: { shopId, itemId: { in: itemIds }, channel: { kind: RECORD_KIND } },
    select: { itemId: true, externalId: true },
  });
  return new Map(listings.map((l) => [l.itemId!, l.externalId]));
}

/** The order to create (pure once the rows are read): lines, addresses, tags, note, paid. */
export function buildImportInput(args: {
  key: string;
  channel: Pick<ChannelRow, "name" | "kind">;
  order: {
    number: string;
    currency: string | null;
    placedAt: Date;
    customerEmail: string | null;
    lines: {
      sku: string | null;
      itemId: string | null;
      title: string;
      quantity: number;
      price: Prisma.Decimal | null;
    }[];
  };
  variants: Map<string, string>;
  settings: ImportSettings;
  source: JobData["order-import"]["source"];
  currency: string;
}): { input: ImportOrderInput; flags: string[] } {
  const { order, settings, source } = args;
  const flags = new Set<string>();
  const lines: ImportOrderLine[] = order.lines
    .filter((l) => l.quantity > 0)
    .map((l) => {
      const variantId = l.itemId ? (args.variants.get(l.itemId) ?? null) : null;
      if (!variantId) flags.add(UNLINKED);
      return {
        variantId,
        sku: l.sku,
        title: l.title || l.sku || "Item",
        quantity: l.quantity,
        unitPrice: (l.price ?? 0).toString(),
      };
    });
  const store = args.channel.kind === RETAILER_KIND ? "Shopify retailer" : "WooCommerce";
  const tags = [...new Set([IMPORT_TAG, args.channel.name, ...settings.tags].map((t) => t.trim().slice(0, MAX_TAG)))];
  const number = order.number.startsWith("#") ? order.number : `#${order.number}`;
  return {
    input: {
      key: args.key,
      currency: args.currency,
      processedAt: order.placedAt.toISOString(),
      email: order.customerEmail,
      lines,
      shippingAddress: (source.shippingAddress as OrderAddress | null) ?? null,
      billingAddress: settings.billingAddress ?? (source.billingAddress as OrderAddress | null) ?? null,
      shipping: source.shipping,
      tags: tags.filter(Boolean),
      note: [`${store} order ${number} from ${args.channel.name}`, settings.note].filter(Boolean).join("\n"),
      attributes: [
        { key: "Source store", value: args.channel.name },
        { key: "Source order", value: number },
      ],
      paid: source.paid ?? false,
      notifyCustomer: settings.notifyCustomer,
    },
    flags: [...flags],
  };
}

/**
 * The `order-import` job: imports one order, once. Returns what it did; throws (ChannelError or Error) to retry.
 * Imports spend the record's API budget after the order's own stock writes: while the order has a pending adjustment
 * the job re-queues itself (2 s, at most `MAX_DEFERRALS` times).
 */
export async function runOrderImport(data: JobData["order-import"]): Promise<Record<string, unknown>> {
  const order = await prisma.order.findFirst({
    where: { id: data.orderId, shopId: data.shopId },
    include: { lines: { orderBy: { externalLineId: "asc" } }, channel: true },
  });
  if (!order) return { skipped: "order not found" };
  if (data.action === "cancel") return cancelCentralOrder(order);
  if (order.centralOrderId) return { skipped: "already imported", centralOrderId: order.centralOrderId };
  if (order.cancelledAt) {
    await prisma.order.update({ where: { id: order.id }, data: { importState: "cancelled", importLeaseUntil: null } });
    return { skipped: "cancelled at the source before import" };
  }
  const pending = await prisma.shopifyAdjustment.count({ where: { orderId: order.id, status: "pending" } });
  if (pending > 0 && (data.deferrals ?? 0) < MAX_DEFERRALS) {
    await enqueue(QUEUES.orderImport, { ...data, deferrals: (data.deferrals ?? 0) + 1 }, { startAfterSeconds: 2 });
    return { deferred: "the order's stock writes are still pending" };
  }
  const settings = await importSettingsOf(order.channel);
  if (!settings) return { skipped: "channel no longer imports" };
  const now = new Date();
  const lease = await prisma.order.updateMany({
    where: {
      id: order.id,
      centralOrderId: null,
      OR: [{ importLeaseUntil: null }, { importLeaseUntil: { lt: now } }],
    },
    data: { importLeaseUntil: new Date(now.getTime() + LEASE_MS), importAttempts: { increment: 1 } },
  });
  if (lease.count === 0) throw new Error(`order ${order.id}: another import attempt holds it (retrying)`);
  const key = order.importKey ?? importKeyOf(order.channelId, order.externalId);
  try {
    const { shop, adapter } = await recordForShop(order.shopId);
    const itemIds = [...new Set(order.lines.map((l) => l.itemId).filter((x): x is string => !!x))];
    const { input, flags } = buildImportInput({
      key,
      channel: order.channel,
      order,
      variants: await recordVariants(order.shopId, itemIds),
      settings,
      source: data.source,
      currency: order.currency || shop.currency || "USD",
    });
    const { order: central, created } = await adapter.createImportedOrder(input);
    await prisma.order.update({
      where: { id: order.id },
      data: {
        importKey: key,
        importState: "imported",
        importError: null,
        importLeaseUntil: null,
        centralOrderId: central.id,
        centralOrderName: central.name,
        importedAt: new Date(),
        importFlags: flags,
        // The lines as imported: a later edit at the source is told from them (changes.server.ts).
        importSource: { ...data.source, lines: importedLinesOf(order.lines) } as Prisma.InputJsonValue,
      },
    });
    return { imported: central.id, created, flags };
  } catch (err) {
    await prisma.order.update({
      where: { id: order.id },
      data: { importError: err instanceof Error ? err.message : String(err), importLeaseUntil: null },
    });
    throw err;
  }
}

/**
 * The source cancelled an imported order: the central order is cancelled without restock and without refund (the
 * restock travelled as the source store's own stock event, once). Idempotent: an already cancelled central order is
 * left as it is.
 */
async function cancelCentralOrder(order: {
  id: string;
  shopId: string;
  number: string;
  centralOrderId: string | null;
  importFlags: string[];
  channel: ChannelRow;
}): Promise<Record<string, unknown>> {
  if (!order.centralOrderId) return { skipped: "never imported" };
  const settings = await importSettingsOf(order.channel);
  const { adapter } = await recordForShop(order.shopId);
  try {
    // Shopify refuses to cancel an order with fulfilled lines (orderCancel: "Cannot cancel an order with fulfilled
    // line items"). Retrying cannot change that: the merchant decides (return, refund at the source, …) — the row is
    // flagged, not dead-lettered (decision 239).
    const current = await adapter.readFulfilments(order.centralOrderId);
    const shipped = current?.fulfilments.some(
      (f) => !["CANCELLED", "ERROR", "FAILURE"].includes(f.status) && f.lines.length,
    );
    if (current && !current.order.cancelledAt && shipped) {
      await prisma.order.update({
        where: { id: order.id },
        data: {
          importState: "needs_attention",
          importError: `cancelled at the source after ${current.order.name} shipped: Shopify cannot cancel an order with fulfilled lines`,
          importFlags: [...new Set([...order.importFlags, SOURCE_CANCELLED_AFTER_SHIPPING])],
        },
      });
      return { needsAttention: order.centralOrderId, reason: "already fulfilled" };
    }
    const cancelled = await adapter.cancelImportedOrder(order.centralOrderId, {
      notifyCustomer: settings?.notifyCustomer ?? false,
      staffNote: `Cancelled at the source (${order.channel.name} order ${order.number}) — SyncFlow`,
    });
    await prisma.order.update({ where: { id: order.id }, data: { importState: "cancelled", importError: null } });
    return { cancelled: order.centralOrderId, alreadyCancelled: !cancelled };
  } catch (err) {
    await prisma.order.update({
      where: { id: order.id },
      data: { importError: `cancel: ${err instanceof Error ? err.message : String(err)}` },
    });
    throw err;
  }
}

/**
 * The worker's dead-letter hook for `order-import` (its retries are spent): an import leaves the order "failed", a
 * cancel "needs_attention", each with the cause (replaying the dead letter runs it again, still once); and one
 * `order.import_failed` event names the order and the cause for the merchant's notification (decision 238) — once: an
 * order already "failed" is left as it is and told nothing again.
 * @param job the dead job's data; `attempts` how many tries it had
 */
export async function markImportDeadLettered(
  job: Pick<JobData["order-import"], "shopId" | "orderId" | "action">,
  cause: string,
  attempts?: number,
): Promise<void> {
  const cancel = job.action === "cancel";
  const changed = await prisma.order.updateMany({
    where: cancel
      ? { id: job.orderId, importState: "cancelling" }
      : // Only the transition into "failed" tells the merchant: a second call for the same failure changes nothing.
        { id: job.orderId, centralOrderId: null, importState: { notIn: ["cancelled", "failed"] } },
    data: cancel
      ? { importState: "needs_attention", importError: `cancel dead-lettered: ${cause}` }
      : { importState: "failed", importError: `dead-lettered: ${cause}` },
  });
  if (changed.count === 0) return;
  const row = await prisma.order.findUnique({ where: { id: job.orderId }, select: { shopId: true, channelId: true } });
  if (!row) return;
  await emitEvent(
    row.shopId,
    "order.import_failed",
    {
      orderId: job.orderId,
      channelId: row.channelId,
      action: cancel ? "cancel" : "import",
      cause,
      attempts: attempts ?? null,
    },
    { channelId: row.channelId },
  );
}

/**
 * Whether a record order (the central shop's `orders/*` delivery) is an order the hub imported — its
 * `sourceIdentifier` is one of our keys, or it is a known central order id. It is not a new sale and gets no order
 * row of its own (decision 217). When our row has no central id yet (the create call's answer was lost), the echo
 * supplies it, so the next attempt finds the order on our side.
 */
export async function recogniseImportEcho(
  shopId: string,
  order: { orderId: string; name: string; sourceIdentifier?: string | null },
): Promise<boolean> {
  const key = order.sourceIdentifier ?? null;
  const ours = await prisma.order.findFirst({
    where: {
      shopId,
      OR: [...(key?.startsWith(`${IMPORT_TAG}:`) ? [{ importKey: key }] : []), { centralOrderId: order.orderId }],
    },
    select: { id: true, centralOrderId: true },
  });
  if (!ours) return false;
  if (!ours.centralOrderId)
    await prisma.order.updateMany({
      where: { id: ours.id, centralOrderId: null },
      data: {
        centralOrderId: order.orderId,
        centralOrderName: order.name,
        importState: "imported",
        importedAt: new Date(),
        importError: null,
      },
    });
  return true;
}
