/**
 * Bulk actions of the inventory page as background jobs (queue `bulk`, app/jobs/queue.server.ts).
 *
 * {@link startBulkAction} records a `SyncRun` (kind `bulk_sync` | `bulk_buffer` | `bulk_link` |
 * `bulk_unlink`, status running) and queues one job; {@link runBulkJob} resolves the selected items
 * (explicit ids or "all matching" the table's filter), then works through them in chunks, updating
 * `processed`/`changed` after each chunk so the page can draw a progress bar:
 *  - sync: queue `push-stock` for the chunk's linked items, per store;
 *  - buffer: set `bufferUnits`/`bufferPercent` on the chosen stores once, then push like sync;
 *  - link: link each store's unlinked listing whose SKU equals the item's (case-insensitive);
 *  - unlink: detach the chosen stores' listings from the items (`matchStatus` "unmatched").
 * Every query filters on the job's shopId; re-running a job is harmless (same end state).
 */
import { RECORD_KIND } from "../channels/channel";
import prisma from "../db.server";
import { enqueue, QUEUES } from "./queue.server";
import { buildInventoryWhere, type InventoryFilter } from "../models/inventory.server";
import { requestPush } from "../sync/stock/push.server";

/** The bulk actions the inventory page offers. */
export type BulkAction = "sync" | "buffer" | "link" | "unlink";

/** Job data of queue `bulk`. */
export interface BulkJobData {
  shopId: string;
  runId: string;
  action: BulkAction;
  /** WooCommerce stores to act on; empty = every connected WooCommerce store. */
  channelIds: string[];
  /** Explicit selection, or null to act on every item matching `filter`. */
  itemIds: string[] | null;
  filter?: InventoryFilter;
  buffer?: { units: number; percent: number };
  /** Who asked (session user / shop), for the run record. */
  actor?: string;
}

const KIND: Record<BulkAction, string> = {
  sync: "bulk_sync",
  buffer: "bulk_buffer",
  link: "bulk_link",
  unlink: "bulk_unlink",
};

/** Items handled per progress step. */
export const BULK_CHUNK = 25;

/**
 * Records the run and queues the job. The run is marked failed (with what to do) when the queue cannot
 * take the job.
 * @returns the SyncRun id the page polls for progress.
 */
export async function startBulkAction(input: Omit<BulkJobData, "runId">): Promise<string> {
  const run = await prisma.syncRun.create({
    data: {
      shopId: input.shopId,
      channelId: input.channelIds.length === 1 ? input.channelIds[0] : null,
      kind: KIND[input.action],
      trigger: "manual",
      status: "running",
      total: input.itemIds?.length ?? 0,
      plan: {
        action: input.action,
        channelIds: input.channelIds,
        buffer: input.buffer ?? null,
        actor: input.actor ?? null,
        selection: input.itemIds ? "ids" : "filter",
      },
    },
  });
  try {
    await enqueue(QUEUES.bulk, { ...input, runId: run.id });
  } catch (err) {
    await prisma.syncRun.update({
      where: { id: run.id },
      data: {
        status: "failed",
        error: `The job queue is unreachable (${(err as Error).message}). Try again in a minute.`,
        finishedAt: new Date(),
        durationMs: 0,
      },
    });
  }
  return run.id;
}

async function channelsFor(shopId: string, channelIds: string[]) {
  return prisma.channel.findMany({
    where: {
      shopId,
      kind: { not: RECORD_KIND },
      status: { not: "disconnected" },
      ...(channelIds.length ? { id: { in: channelIds } } : {}),
    },
    select: { id: true },
  });
}

async function itemIdsFor(data: BulkJobData): Promise<string[]> {
  if (data.itemIds) {
    const rows = await prisma.catalogItem.findMany({
      where: { shopId: data.shopId, id: { in: data.itemIds } },
      select: { id: true },
      orderBy: { skuKey: "asc" },
    });
    return rows.map((r) => r.id);
  }
  const shop = await prisma.shop.findUnique({ where: { id: data.shopId }, select: { lowStockThreshold: true } });
  const where = await buildInventoryWhere(data.shopId, data.filter ?? {}, shop?.lowStockThreshold ?? 5);
  const rows = await prisma.catalogItem.findMany({ where, select: { id: true }, orderBy: { skuKey: "asc" } });
  return rows.map((r) => r.id);
}

async function pushChunk(shopId: string, channels: { id: string }[], ids: string[]): Promise<number> {
  let queued = 0;
  for (const ch of channels) {
    const linked = await prisma.listing.findMany({
      where: { shopId, channelId: ch.id, itemId: { in: ids }, matchStatus: "linked" },
      select: { itemId: true },
    });
    const itemIds = linked.map((l) => l.itemId!).filter(Boolean);
    if (!itemIds.length) continue;
    await requestPush(shopId, ch.id, itemIds);
    queued += itemIds.length;
  }
  return queued;
}

async function linkChunk(shopId: string, channels: { id: string }[], ids: string[]): Promise<number> {
  const items = await prisma.catalogItem.findMany({
    where: { shopId, id: { in: ids } },
    select: { id: true, skuKey: true },
  });
  const byKey = new Map(items.map((i) => [i.skuKey, i.id]));
  let changed = 0;
  for (const ch of channels) {
    const candidates = await prisma.listing.findMany({
      where: { shopId, channelId: ch.id, itemId: null, sku: { in: items.map((i) => i.skuKey), mode: "insensitive" } },
      select: { id: true, sku: true, manageStock: true },
    });
    for (const l of candidates) {
      const itemId = byKey.get((l.sku ?? "").trim().toLowerCase());
      if (!itemId) continue;
      const taken = await prisma.listing.count({ where: { shopId, channelId: ch.id, itemId } });
      if (taken) continue;
      await prisma.listing.update({
        where: { id: l.id },
        data: { itemId, matchStatus: l.manageStock ? "linked" : "not_stocked" },
      });
      changed++;
    }
  }
  return changed;
}

async function unlinkChunk(shopId: string, channels: { id: string }[], ids: string[]): Promise<number> {
  const r = await prisma.listing.updateMany({
    where: { shopId, channelId: { in: channels.map((c) => c.id) }, itemId: { in: ids } },
    data: { itemId: null, matchStatus: "unmatched" },
  });
  return r.count;
}

/**
 * Runs one bulk job (handler of queue `bulk`). Updates the SyncRun after each chunk; on failure marks
 * it failed with the error and rethrows (pg-boss retries, and the retry restarts from the beginning).
 */
export async function runBulkJob(data: BulkJobData): Promise<{ runId: string; processed: number; changed: number }> {
  const run = await prisma.syncRun.findFirst({ where: { id: data.runId, shopId: data.shopId } });
  if (!run) return { runId: data.runId, processed: 0, changed: 0 };
  const t0 = Date.now();
  try {
    const channels = await channelsFor(data.shopId, data.channelIds);
    const ids = await itemIdsFor(data);
    await prisma.syncRun.update({
      where: { id: run.id },
      data: { status: "running", total: ids.length, processed: 0, changed: 0, error: null },
    });
    if (data.action === "buffer" && data.buffer) {
      const units = Math.max(0, Math.min(100_000, Math.trunc(data.buffer.units)));
      const percent = Math.max(0, Math.min(100, Math.trunc(data.buffer.percent)));
      await prisma.channel.updateMany({
        where: { shopId: data.shopId, id: { in: channels.map((c) => c.id) } },
        data: { bufferUnits: units, bufferPercent: percent, bufferSource: "merchant" },
      });
    }
    let processed = 0;
    let changed = 0;
    for (let i = 0; i < ids.length; i += BULK_CHUNK) {
      const chunk = ids.slice(i, i + BULK_CHUNK);
      if (data.action === "sync" || data.action === "buffer") changed += await pushChunk(data.shopId, channels, chunk);
      else if (data.action === "link") changed += await linkChunk(data.shopId, channels, chunk);
      else changed += await unlinkChunk(data.shopId, channels, chunk);
      processed += chunk.length;
      await prisma.syncRun.update({ where: { id: run.id }, data: { processed, changed } });
    }
    const durationMs = Date.now() - t0;
    await prisma.syncRun.update({
      where: { id: run.id },
      data: { status: "succeeded", finishedAt: new Date(), durationMs },
    });
    return { runId: run.id, processed, changed };
  } catch (err) {
    await prisma.syncRun.update({
      where: { id: run.id },
      data: {
        status: "failed",
        errors: { increment: 1 },
        error: `${(err as Error).message}`.slice(0, 500),
        finishedAt: new Date(),
        durationMs: Date.now() - t0,
      },
    });
    throw err;
  }
}
