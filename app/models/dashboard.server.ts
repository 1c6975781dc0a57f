/**
 * Read-side queries of the dashboard (app/routes/app._index.tsx): per-store health and throughput,
 * orders and revenue, low stock, Shopify API points and the onboarding checklist. A fixed number of
 * grouped queries (no per-store round trips); every query filters on shopId.
 */
import { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { isSalesChannelKind } from "./sales-channels.server";
import { getOverview, type ChannelSummary } from "./overview.server";
import { recordForShop } from "../sync/stores/stores.server";

/** Health of one store as the dashboard shows it. */
export type Health = "healthy" | "degraded" | "failing" | "disconnected";

/** One store's dashboard card. */
export interface StoreStats extends ChannelSummary {
  health: Health;
  /** Why the store is not healthy (null when healthy). */
  healthReason: string | null;
  /** Jobs queued/retrying/running for this store (pg-boss), null when the queue is unreachable. */
  pendingJobs: number | null;
  /** Stock pushes per minute over the last hour (ledger rows with cause push). */
  itemsPerMinute: number;
  /** Failed jobs ÷ (failed jobs + pushes) over the last 24 h, 0..1. */
  errorRate: number;
  failures24h: number;
  ordersToday: number;
  ordersWeek: number;
  ordersMonth: number;
}

/** Shopify GraphQL cost bucket read live from the Admin API (`extensions.cost.throttleStatus`). */
export interface ApiPoints {
  used: number;
  maximum: number;
  restoreRate: number;
  plan: string;
}

/** One onboarding step. */
export interface OnboardingStep {
  id: "connect" | "matches" | "locations" | "reconcile";
  title: string;
  detail: string;
  done: boolean;
  url: string;
  action: string;
}

/** Everything the dashboard renders. */
export interface Dashboard {
  stores: StoreStats[];
  catalogItems: number;
  lowStockCount: number;
  lowStockThreshold: number;
  openConflicts: number;
  revenue: { day: string; total: number; orders: number }[];
  currency: string | null;
  onboarding: { steps: OnboardingStep[]; done: boolean };
}

const DAY = 86_400_000;

/** Start of the UTC day of `d`. */
function startOfDayUtc(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** Plan name from Shopify's restore rate (points/s): 100 Standard, 200 Advanced, 1000 Plus, 2000 Enterprise. */
export function planFromRestoreRate(rate: number): string {
  if (rate >= 2000) return "Enterprise";
  if (rate >= 1000) return "Plus";
  if (rate >= 200) return "Advanced";
  return "Standard";
}

/**
 * Health: the store's own status (set by the sync code, with its reason) unless it is "active" but has
 * not synced for three reconciliation intervals, which is reported as degraded.
 */
export function deriveHealth(
  c: { status: string; statusReason: string | null; lastSyncAt: string | null; kind: string },
  reconcileEveryMin: number,
  now: Date,
): { health: Health; reason: string | null } {
  if (c.status === "failing") return { health: "failing", reason: c.statusReason ?? "Recent sync attempts failed." };
  if (c.status === "degraded")
    return { health: "degraded", reason: c.statusReason ?? "Some recent sync attempts failed." };
  if (c.status === "disconnected")
    return { health: "disconnected", reason: c.statusReason ?? "The store disconnected SyncFlow." };
  if (isSalesChannelKind(c.kind)) {
    const staleMs = Math.max(3 * reconcileEveryMin, 30) * 60_000;
    if (!c.lastSyncAt)
      return { health: "degraded", reason: "No successful sync yet. Run a reconciliation from Settings." };
    if (now.getTime() - new Date(c.lastSyncAt).getTime() > staleMs) {
      return {
        health: "degraded",
        reason: `No successful sync for over ${Math.round(staleMs / 60_000)} minutes. Check the store is reachable.`,
      };
    }
  }
  return { health: "healthy", reason: null };
}

/** Jobs waiting, retrying or running per store, straight from pg-boss's job table (null when unavailable). */
async function pendingJobsByChannel(shopId: string): Promise<Map<string, number> | null> {
  try {
    const rows = await prisma.$queryRaw<{ channel_id: string | null; n: number }[]>`
      SELECT data->>'channelId' AS channel_id, count(*)::int AS n
      FROM pgboss.job
      WHERE state IN ('created', 'retry', 'active') AND name <> 'dead-letter' AND data->>'shopId' = ${shopId}
      GROUP BY 1`;
    return new Map(rows.map((r) => [r.channel_id ?? "", r.n]));
  } catch {
    return null;
  }
}

/**
 * Live API cost bucket of the shop, read through the record (`RecordApp.readApiBudget`, the shop's offline token: one
 * bucket per app and shop) with a 1.5 s budget; null when unavailable (not installed, slow, no cost reported).
 */
export async function readApiPoints(shopId: string): Promise<ApiPoints | null> {
  try {
    const { adapter } = await recordForShop(shopId);
    const t = await Promise.race([
      adapter.readApiBudget(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 1500)),
    ]);
    if (!t) return null;
    return {
      used: Math.max(0, Math.round(t.maximum - t.available)),
      maximum: t.maximum,
      restoreRate: t.restoreRate,
      plan: planFromRestoreRate(t.restoreRate),
    };
  } catch {
    return null;
  }
}

/** Items whose Shopify available, summed over locations, is at or below `threshold`. */
export async function lowStockItemIds(shopId: string, threshold: number): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ itemId: string }[]>`
    SELECT "itemId" FROM "InventoryLevel" WHERE "shopId" = ${shopId}
    GROUP BY "itemId" HAVING sum(available) <= ${threshold}`;
  return rows.map((r) => r.itemId);
}

/** Number of low-stock items (same definition as {@link lowStockItemIds}). */
export async function lowStockCount(shopId: string, threshold: number): Promise<number> {
  const [row] = await prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT "itemId" FROM "InventoryLevel" WHERE "shopId" = ${shopId} GROUP BY "itemId" HAVING sum(available) <= ${threshold}
    ) t`;
  return row?.n ?? 0;
}

/**
 * The dashboard of `shopId` at `now`: stores with health, pending jobs, push rate, error rate and
 * orders today / 7 days / 30 days; daily revenue for 30 days; low-stock count; onboarding state.
 */
export async function getDashboard(
  shop: { id: string; lowStockThreshold: number; reconcileEveryMin: number; currency: string | null },
  now = new Date(),
): Promise<Dashboard> {
  const shopId = shop.id;
  const today = startOfDayUtc(now);
  const week = new Date(today.getTime() - 6 * DAY);
  const month = new Date(today.getTime() - 29 * DAY);
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const dayAgo = new Date(now.getTime() - DAY);

  const [
    overview,
    pending,
    pushesHour,
    pushesDay,
    failures,
    orderCounts,
    revenueRows,
    lowCount,
    openConflicts,
    reconciled,
    shopCurrency,
  ] = await Promise.all([
    getOverview(shopId),
    pendingJobsByChannel(shopId),
    prisma.stockLedger.groupBy({
      by: ["channelId"],
      where: { shopId, cause: "push", createdAt: { gte: hourAgo } },
      _count: { _all: true },
    }),
    prisma.stockLedger.groupBy({
      by: ["channelId"],
      where: { shopId, cause: "push", createdAt: { gte: dayAgo } },
      _count: { _all: true },
    }),
    prisma.$queryRaw<{ channel_id: string | null; n: number }[]>`
      SELECT payload->'data'->>'channelId' AS channel_id, count(*)::int AS n FROM "DomainEvent"
      WHERE "shopId" = ${shopId} AND type = 'job.dead_lettered' AND "createdAt" >= ${dayAgo} GROUP BY 1`,
    prisma.$queryRaw<{ channelId: string; today: number; week: number; month: number }[]>`
      SELECT "channelId",
        count(*) FILTER (WHERE "placedAt" >= ${today})::int AS today,
        count(*) FILTER (WHERE "placedAt" >= ${week})::int AS week,
        count(*)::int AS month
      FROM "Order" WHERE "shopId" = ${shopId} AND "placedAt" >= ${month} GROUP BY "channelId"`,
    prisma.$queryRaw<{ day: Date; total: Prisma.Decimal | null; n: number }[]>`
      SELECT date_trunc('day', "placedAt" AT TIME ZONE 'UTC') AS day, sum("totalPrice") AS total, count(*)::int AS n
      FROM "Order" WHERE "shopId" = ${shopId} AND "placedAt" >= ${month} AND "cancelledAt" IS NULL
      GROUP BY 1 ORDER BY 1`,
    lowStockCount(shopId, shop.lowStockThreshold),
    prisma.conflict.count({ where: { shopId, status: "open" } }),
    prisma.syncRun.count({ where: { shopId, kind: "reconcile", dryRun: false, status: "succeeded" } }),
    prisma.order.findFirst({
      where: { shopId, currency: { not: null } },
      select: { currency: true },
      orderBy: { placedAt: "desc" },
    }),
  ]);

  const countBy = (rows: { channelId: string | null; _count: { _all: number } }[]) =>
    new Map(rows.map((r) => [r.channelId ?? "", r._count._all]));
  const perHour = countBy(pushesHour);
  const perDay = countBy(pushesDay);
  const failuresBy = new Map(failures.map((f) => [f.channel_id ?? "", f.n]));
  const ordersBy = new Map(orderCounts.map((o) => [o.channelId, o]));

  const stores: StoreStats[] = overview.channels.map((c) => {
    const h = deriveHealth(c, shop.reconcileEveryMin, now);
    const fails = failuresBy.get(c.id) ?? 0;
    const pushes = perDay.get(c.id) ?? 0;
    const o = ordersBy.get(c.id);
    return {
      ...c,
      health: h.health,
      healthReason: h.reason,
      pendingJobs: pending ? (pending.get(c.id) ?? 0) : null,
      itemsPerMinute: Math.round(((perHour.get(c.id) ?? 0) / 60) * 10) / 10,
      errorRate: fails + pushes === 0 ? 0 : fails / (fails + pushes),
      failures24h: fails,
      ordersToday: o?.today ?? 0,
      ordersWeek: o?.week ?? 0,
      ordersMonth: o?.month ?? 0,
    };
  });

  const byDay = new Map(revenueRows.map((r) => [r.day.toISOString().slice(0, 10), r]));
  const revenue = Array.from({ length: 30 }, (_, i) => {
    const day = new Date(month.getTime() + i * DAY).toISOString().slice(0, 10);
    const r = byDay.get(day);
    return { day, total: r?.total ? Number(r.total) : 0, orders: r?.n ?? 0 };
  });

  const sales = overview.channels.filter((c) => isSalesChannelKind(c.kind));
  const needsAttention = sales.reduce((n, c) => n + c.unmatched + c.needsAttention, 0);
  const steps: OnboardingStep[] = [
    {
      id: "connect",
      title: "Connect a sales channel",
      detail:
        "Create a one-time connection code on the Channels page: paste it in WooCommerce → Settings → SyncFlow, or on a retailer Shopify store's SyncFlow page.",
      done: sales.length > 0,
      url: "/app/channels",
      action: "Connect a store",
    },
    {
      id: "matches",
      title: "Review SKU matches",
      detail: needsAttention
        ? `${needsAttention} store listings are not linked to a Shopify SKU. Fix their SKUs or leave them unsynced.`
        : "Every store listing is linked to a Shopify SKU or left unsynced.",
      done: sales.length > 0 && needsAttention === 0,
      url: "/app/listings",
      action: "Review matches",
    },
    {
      id: "locations",
      title: "Pick locations for each store",
      detail: "Choose which Shopify locations feed each store and where its sales are taken from.",
      done: sales.length > 0 && sales.every((c) => c.salesLocationId),
      url: "/app/settings",
      action: "Pick locations",
    },
    {
      id: "reconcile",
      title: "Run the first reconciliation",
      detail: "SyncFlow compares every linked listing with Shopify and fixes or reports differences.",
      done: reconciled > 0,
      url: "/app/settings",
      action: "Reconcile now",
    },
  ];

  return {
    stores,
    catalogItems: overview.catalogItems,
    lowStockCount: lowCount,
    lowStockThreshold: shop.lowStockThreshold,
    openConflicts,
    revenue,
    currency: shop.currency ?? shopCurrency?.currency ?? null,
    onboarding: { steps, done: steps.every((s) => s.done) },
  };
}
