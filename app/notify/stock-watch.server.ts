/**
 * Low-stock and out-of-stock alerts from the ledger (queue `stock-watch`, debounced per shop).
 *
 * After sync work, the items with new StockLedger rows (id above the shop's watermark) are evaluated:
 * an item is *low* when the lowest of its known quantities — Shopify available (all locations) and each
 * linked store's last known quantity — is at or under its threshold (item's, else the shop's); it is
 * *out* when every known quantity is 0 or less. Entering a state emits `stock.low` (with `outOfStock`)
 * once; the AlertState row keeps it from repeating until the item recovers, which clears it. The very
 * first run of a shop takes a silent baseline (already-low items are listed in the daily summary).
 */
import prisma from "../db.server";
import { newId } from "../lib/row-id.server";
import { SALES_CHANNELS } from "../models/sales-channels.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { emitEvent } from "../sync/events.server";
import { env } from "../env.server";
import { queueStockFanOut } from "../outbound/webhooks.server";

/** Current stock picture of items: min and whether all known quantities are ≤ 0. */
export async function stockPicture(
  shopId: string,
  itemIds: string[],
): Promise<Map<string, { min: number | null; allOut: boolean; threshold: number; where: string | null }>> {
  const shop = await prisma.shop.findUnique({ where: { id: shopId }, select: { lowStockThreshold: true } });
  const [items, levels, listings] = await Promise.all([
    prisma.catalogItem.findMany({
      where: { shopId, id: { in: itemIds }, tracked: true },
      select: { id: true, lowStockThreshold: true },
    }),
    prisma.inventoryLevel.findMany({
      where: { shopId, itemId: { in: itemIds } },
      select: { itemId: true, available: true },
    }),
    prisma.listing.findMany({
      where: {
        shopId,
        itemId: { in: itemIds },
        matchStatus: "linked",
        channel: { ...SALES_CHANNELS, status: { not: "disconnected" } },
      },
      select: {
        itemId: true,
        lastObservedQuantity: true,
        lastWrittenQuantity: true,
        channel: { select: { name: true, lowStockThreshold: true } },
      },
    }),
  ]);
  const out = new Map<string, { min: number | null; allOut: boolean; threshold: number; where: string | null }>();
  for (const item of items) {
    const threshold = item.lowStockThreshold ?? shop?.lowStockThreshold ?? 5;
    const lv = levels.filter((l) => l.itemId === item.id);
    const quantities: { q: number; where: string }[] = [];
    if (lv.length) quantities.push({ q: lv.reduce((s, l) => s + l.available, 0), where: "Shopify" });
    for (const l of listings.filter((x) => x.itemId === item.id)) {
      const q = l.lastObservedQuantity ?? l.lastWrittenQuantity;
      if (q != null) quantities.push({ q, where: l.channel.name });
    }
    if (!quantities.length) {
      out.set(item.id, { min: null, allOut: false, threshold, where: null });
      continue;
    }
    const lowest = quantities.reduce((a, b) => (b.q < a.q ? b : a));
    out.set(item.id, { min: lowest.q, allOut: quantities.every((x) => x.q <= 0), threshold, where: lowest.where });
  }
  return out;
}

/**
 * Evaluates the items changed since the shop's watermark; emits `stock.low` for new low / out-of-stock
 * conditions and clears recovered ones. @returns counts.
 */
export async function watchStock(
  shopId: string,
): Promise<{ evaluated: number; low: number; out: number; cleared: number; baseline: boolean }> {
  const settings = await prisma.notificationSettings.upsert({
    where: { shopId },
    create: { shopId },
    update: {},
    select: { watchedLedgerId: true },
  });
  const max = await prisma.stockLedger.aggregate({ where: { shopId }, _max: { id: true } });
  const maxId = max._max.id ?? 0n;
  if (maxId <= settings.watchedLedgerId) return { evaluated: 0, low: 0, out: 0, cleared: 0, baseline: false };
  const baseline = settings.watchedLedgerId === 0n;
  const changed = baseline
    ? await prisma.catalogItem.findMany({ where: { shopId }, select: { id: true } })
    : await prisma.stockLedger.findMany({
        where: { shopId, id: { gt: settings.watchedLedgerId, lte: maxId } },
        distinct: ["itemId"],
        select: { itemId: true },
      });
  const itemIds = changed.map((c) => ("itemId" in c ? c.itemId : c.id));
  const picture = await stockPicture(shopId, itemIds);
  const active = new Set(
    (
      await prisma.alertState.findMany({
        where: { shopId, active: true, key: { in: itemIds.flatMap((id) => [`stock.low:${id}`, `stock.out:${id}`]) } },
        select: { key: true },
      })
    ).map((a) => a.key),
  );
  let low = 0;
  let out = 0;
  let cleared = 0;
  // The baseline's conditions and the recovered ones, each written in one statement below (issue 11: was one upsert /
  // update per key — ≈ 1,300 statements for a 1,000-item shop's first run).
  const baselineKeys: string[] = [];
  const clearKeys: string[] = [];
  for (const [itemId, s] of picture) {
    if (s.min == null) continue;
    const isLow = s.min <= s.threshold;
    const conditions: [string, boolean, boolean][] = [
      [`stock.low:${itemId}`, isLow, false],
      [`stock.out:${itemId}`, s.allOut, true],
    ];
    for (const [key, on, outOfStock] of conditions) {
      if (on && !active.has(key)) {
        if (baseline) baselineKeys.push(key);
        else {
          await emitEvent(
            shopId,
            "stock.low",
            { itemId, quantity: s.min, threshold: s.threshold, where: s.where, outOfStock, source: "stock-watch" },
            { itemId },
          );
          if (outOfStock) out++;
          else low++;
        }
      } else if (!on && active.has(key)) {
        clearKeys.push(key);
        cleared++;
      }
    }
  }
  await setAlertStates(shopId, baselineKeys, clearKeys);
  await prisma.notificationSettings.updateMany({
    where: { shopId, watchedLedgerId: { lt: maxId } },
    data: { watchedLedgerId: maxId },
  });
  return { evaluated: picture.size, low, out, cleared, baseline };
}

/**
 * Records alert conditions without telling anyone: `activate` keys become active (one statement — a baseline, or
 * alerts switched off), `clear` keys inactive (recovered, so they can alert again). Shared by the stock watch and the
 * low-cover alert (app/forecast/forecast.server.ts).
 */
export async function setAlertStates(shopId: string, activate: string[], clear: string[]): Promise<void> {
  if (activate.length)
    await prisma.$executeRaw`
      INSERT INTO "AlertState" (id, "shopId", key, active, since, "updatedAt")
      SELECT u.id, ${shopId}, u.key, true, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
      FROM unnest(${activate.map(() => newId())}::text[], ${activate}::text[]) AS u(id, key)
      ON CONFLICT ("shopId", key) DO UPDATE
        SET active = true, since = (now() AT TIME ZONE 'UTC'), "clearedAt" = NULL, "updatedAt" = (now() AT TIME ZONE 'UTC')`;
  if (clear.length)
    await prisma.alertState.updateMany({
      where: { shopId, key: { in: clear }, active: true },
      data: { active: false, clearedAt: new Date() },
    });
}

/**
 * Signals that sync work changed stock or orders of a shop: queues the debounced stock watch and, when the
 * shop exports to Google Sheets, the debounced sheet update. Never throws (bookkeeping after real work).
 */
export async function signalStockChanged(shopId: string | null | undefined): Promise<void> {
  if (!shopId) return;
  // Under real traffic every job of a shop signals; the watch is debounced by NOTIFY_WATCH_DEBOUNCE_S (1 s) anyway, so a
  // signal within SIGNAL_SKIP_MS of the previous one (shorter than the debounce: the job queued then has not run yet)
  // changes nothing and is skipped (issue 11: two queries and a job insert per webhook).
  const last = lastSignal.get(shopId) ?? 0;
  const skipMs = Math.min(SIGNAL_SKIP_MS, env.NOTIFY_WATCH_DEBOUNCE_S * 500);
  if (Date.now() - last < skipMs) return;
  lastSignal.set(shopId, Date.now());
  await queueStockFanOut(shopId); // issue 18: the merchant's stock.changed webhooks (never throws)
  try {
    await enqueue(
      QUEUES.stockWatch,
      { shopId },
      { singletonKey: `stock-watch:${shopId}`, startAfterSeconds: env.NOTIFY_WATCH_DEBOUNCE_S },
    );
    const sheet = await prisma.sheetConnection.findUnique({ where: { shopId }, select: { status: true } });
    if (sheet?.status === "connected") {
      await enqueue(
        QUEUES.sheetsSync,
        { shopId },
        { singletonKey: `sheets:${shopId}`, startAfterSeconds: env.SHEETS_DEBOUNCE_S },
      );
    }
  } catch (err) {
    console.error(`[notify] could not signal stock change for ${shopId}:`, err);
  }
}

const SIGNAL_SKIP_MS = 500;
const lastSignal = new Map<string, number>();
