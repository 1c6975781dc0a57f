/**
 * The daily summary (queue `daily-summary`, scheduled hourly): for every installed shop whose local
 * summary hour it is and that has not had today's summary, emits a `summary.daily` event whose lines
 * describe the last 24 hours (and the forecast's items to reorder now, issue 18); the dispatcher e-mails it like any
 * other event. The local date is claimed
 * with a conditional update, so several workers send it once.
 */
import prisma from "../db.server";
import { emitEvent } from "../sync/events.server";
import { localParts } from "./kinds";

/** Lines of a shop's summary for the 24 hours before `now`. */
export async function summaryLines(shopId: string, now = new Date()): Promise<string[]> {
  const since = new Date(now.getTime() - 86_400_000);
  const [orders, changes, lowKeys, deadLetters, openConflicts, sent, failing] = await Promise.all([
    prisma.order.groupBy({ by: ["channelId"], where: { shopId, createdAt: { gte: since } }, _count: true }),
    prisma.stockLedger.count({ where: { shopId, createdAt: { gte: since } } }),
    prisma.alertState.findMany({
      where: { shopId, active: true, key: { startsWith: "stock.low:" } },
      select: { key: true },
      take: 200,
    }),
    prisma.domainEvent.count({ where: { shopId, type: "job.dead_lettered", createdAt: { gte: since } } }),
    prisma.conflict.count({ where: { shopId, status: "open" } }),
    prisma.notification.count({ where: { shopId, status: { in: ["sent", "delivered"] }, createdAt: { gte: since } } }),
    prisma.channel.findMany({
      where: { shopId, status: { in: ["degraded", "failing"] } },
      select: { name: true, status: true },
    }),
  ]);
  const channels = await prisma.channel.findMany({ where: { shopId }, select: { id: true, name: true } });
  // Issue 18: the forecast's items to reorder now (stored by the hourly forecast job, decision 295), least cover first.
  const [toReorder, reorderFirst] = await Promise.all([
    prisma.itemForecast.count({ where: { shopId, reorderNow: true } }),
    prisma.itemForecast.findMany({
      where: { shopId, reorderNow: true },
      orderBy: [{ daysOfCover: { sort: "asc", nulls: "last" } }, { itemId: "asc" }],
      take: 5,
      select: { item: { select: { sku: true } } },
    }),
  ]);
  const name = (id: string) => channels.find((c) => c.id === id)?.name ?? "a store";
  const totalOrders = orders.reduce((s, o) => s + o._count, 0);
  const lowItems = lowKeys.length
    ? await prisma.catalogItem.findMany({
        where: { shopId, id: { in: lowKeys.map((k) => k.key.slice("stock.low:".length)) } },
        select: { sku: true },
        orderBy: { skuKey: "asc" },
        take: 10,
      })
    : [];
  return [
    `Orders imported: ${totalOrders}${orders.length ? ` (${orders.map((o) => `${name(o.channelId)} ${o._count}`).join(", ")})` : ""}`,
    `Stock changes recorded: ${changes}`,
    `Items at or under their low-stock threshold: ${lowKeys.length}${lowItems.length ? ` (${lowItems.map((i) => i.sku).join(", ")}${lowKeys.length > lowItems.length ? ", ..." : ""})` : ""}`,
    `Items to reorder now (forecast): ${toReorder}${reorderFirst.length ? ` (${reorderFirst.map((r) => r.item.sku).join(", ")}${toReorder > reorderFirst.length ? ", ..." : ""})` : ""}`,
    `Sync jobs that failed after retries: ${deadLetters}`,
    `Open conflicts to review: ${openConflicts}`,
    `Stores needing attention: ${failing.length ? failing.map((c) => `${c.name} (${c.status})`).join(", ") : "none"}`,
    `Notifications sent: ${sent}`,
  ];
}

/** Sends due daily summaries. @returns the shops summarised. */
export async function runDailySummaries(now = new Date()): Promise<string[]> {
  const shops = await prisma.shop.findMany({
    where: { uninstalledAt: null },
    select: {
      id: true,
      notificationSettings: { select: { timezone: true, dailySummaryHour: true, lastSummaryDate: true } },
    },
  });
  const done: string[] = [];
  for (const shop of shops) {
    const tz = shop.notificationSettings?.timezone ?? "UTC";
    const hour = shop.notificationSettings?.dailySummaryHour ?? 8;
    const lp = localParts(now, tz);
    if (lp.hour !== hour || shop.notificationSettings?.lastSummaryDate === lp.date) continue;
    await prisma.notificationSettings.upsert({ where: { shopId: shop.id }, create: { shopId: shop.id }, update: {} });
    const { count } = await prisma.notificationSettings.updateMany({
      where: { shopId: shop.id, OR: [{ lastSummaryDate: null }, { lastSummaryDate: { not: lp.date } }] },
      data: { lastSummaryDate: lp.date },
    });
    if (!count) continue;
    await emitEvent(shop.id, "summary.daily", { date: lp.date, lines: await summaryLines(shop.id, now) });
    done.push(shop.id);
  }
  return done;
}
