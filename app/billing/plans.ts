/**
 * SyncFlow's plans and what each one allows (docs/decisions/170). Pure: no I/O, shared by the billing
 * module, the Plan page, the registration check and the notification gate.
 *
 * Plans (the proposal's seed): Free (1 sales channel, 100 orders a billing period, basic sync), Starter
 * $29/month (2 channels, 500 orders, e-mail notifications), Professional $79/month (5 channels, unlimited
 * orders, SMS alerts, analytics), Enterprise $199/month (unlimited channels, API access, custom integrations).
 * Exact mode and allocations are in EVERY plan: SyncFlow never sells oversell protection as a tier, and no
 * plan limit ever stops stock from syncing.
 *
 * Definitions:
 * - a **sales channel** is every connected channel that is not the shop's own record store (see
 *   `isRecordChannel`): WooCommerce stores today, retailer Shopify stores and marketplaces later — they count
 *   without changes here;
 * - the order count runs per **billing period** (`billingPeriod`);
 * - `null` in a limit means unlimited.
 */

export const PLAN_KEYS = ["free", "starter", "professional", "enterprise"] as const;
export type PlanKey = (typeof PLAN_KEYS)[number];
export type PaidPlanKey = Exclude<PlanKey, "free">;

/** Features a plan may include (exact mode and allocations are not here: every plan has them). */
export interface PlanFeatures {
  emailNotifications: boolean;
  smsAlerts: boolean;
  analytics: boolean;
  apiAccess: boolean;
}

export interface Plan {
  key: PlanKey;
  /** Merchant-facing name; for paid plans also the AppSubscription name Shopify stores (`billingName`). */
  label: string;
  /** USD per 30 days; 0 for Free. */
  priceUsd: number;
  /** Sales channels that may be active at once (null = unlimited). */
  maxChannels: number | null;
  /** Orders imported into the orders hub per billing period (null = unlimited). */
  maxOrdersPerPeriod: number | null;
  features: PlanFeatures;
  /** One line per thing the plan includes, for the Plan page. */
  highlights: string[];
}

/** Free-trial length of every paid plan, in days (offered once per shop). */
export const TRIAL_DAYS = 14;

export const PLANS: Record<PlanKey, Plan> = {
  free: {
    key: "free",
    label: "Free",
    priceUsd: 0,
    maxChannels: 1,
    maxOrdersPerPeriod: 100,
    features: { emailNotifications: false, smsAlerts: false, analytics: false, apiAccess: false },
    highlights: ["1 sales channel", "100 orders a month in the orders hub", "Exact stock sync with allocations"],
  },
  starter: {
    key: "starter",
    label: "Starter",
    priceUsd: 29,
    maxChannels: 2,
    maxOrdersPerPeriod: 500,
    features: { emailNotifications: true, smsAlerts: false, analytics: false, apiAccess: false },
    highlights: [
      "2 sales channels",
      "500 orders a month in the orders hub",
      "E-mail notifications",
      "Exact stock sync with allocations",
    ],
  },
  professional: {
    key: "professional",
    label: "Professional",
    priceUsd: 79,
    maxChannels: 5,
    maxOrdersPerPeriod: null,
    features: { emailNotifications: true, smsAlerts: true, analytics: true, apiAccess: false },
    highlights: [
      "5 sales channels",
      "Unlimited orders",
      "E-mail and SMS alerts",
      "Analytics",
      "Exact stock sync with allocations",
    ],
  },
  enterprise: {
    key: "enterprise",
    label: "Enterprise",
    priceUsd: 199,
    maxChannels: null,
    maxOrdersPerPeriod: null,
    features: { emailNotifications: true, smsAlerts: true, analytics: true, apiAccess: true },
    highlights: [
      "Unlimited sales channels",
      "Unlimited orders",
      "E-mail and SMS alerts",
      "Analytics",
      "API access and custom integrations",
      "Exact stock sync with allocations",
    ],
  },
};

/** The AppSubscription name of a paid plan, as configured in `shopifyApp({ billing })` and stored by Shopify. */
export function billingName(key: PaidPlanKey): string {
  return `SyncFlow ${PLANS[key].label}`;
}

/** Plan key of an AppSubscription name (`billingName`), or null for a name that is not one of ours. */
export function planKeyOfBillingName(name: string | null | undefined): PaidPlanKey | null {
  for (const k of PLAN_KEYS) if (k !== "free" && billingName(k) === name) return k;
  return null;
}

export function isPlanKey(v: unknown): v is PlanKey {
  return typeof v === "string" && (PLAN_KEYS as readonly string[]).includes(v);
}

/** Order of plans for upgrade/downgrade wording: a higher rank is a bigger plan. */
export function planRank(key: PlanKey): number {
  return PLAN_KEYS.indexOf(key);
}

/** The smallest plan that allows `channels` sales channels (null when none does — cannot happen: Enterprise is unlimited). */
export function smallestPlanFor(channels: number): PlanKey {
  return PLAN_KEYS.find((k) => PLANS[k].maxChannels === null || PLANS[k].maxChannels! >= channels) ?? "enterprise";
}

/**
 * Whether one more sales channel may connect: `activeChannels` is the count of sales channels that are
 * connected and not paused. Returns the plan to upgrade to when refused.
 */
export function channelAllowance(
  plan: PlanKey,
  activeChannels: number,
): { allowed: true } | { allowed: false; limit: number; upgradeTo: PlanKey } {
  const max = PLANS[plan].maxChannels;
  if (max === null || activeChannels < max) return { allowed: true };
  return { allowed: false, limit: max, upgradeTo: smallestPlanFor(activeChannels + 1) };
}

/** A channel as the pause rule sees it. `createdAt` in ms or Date; `pausedAt` null when active. */
export interface PausableChannel {
  id: string;
  createdAt: Date;
  pausedAt: Date | null;
}

/**
 * Which sales channels to pause and which to resume under `plan` (after an upgrade, a downgrade or a
 * cancellation). The oldest channels stay active, the newest beyond the limit are paused (never deleted);
 * paused channels are resumed oldest first when the plan has room. Ties on createdAt break by id.
 */
export function channelsToPauseAndResume(
  plan: PlanKey,
  channels: PausableChannel[],
): { pause: string[]; resume: string[] } {
  const max = PLANS[plan].maxChannels ?? Number.POSITIVE_INFINITY;
  const ordered = [...channels].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const pause: string[] = [];
  const resume: string[] = [];
  ordered.forEach((c, i) => {
    const keep = i < max;
    if (keep && c.pausedAt) resume.push(c.id);
    if (!keep && !c.pausedAt) pause.push(c.id);
  });
  return { pause, resume };
}

/**
 * The billing period that contains `now` (ms): for a paid subscription, the 30 days ending at Shopify's
 * `currentPeriodEnd` (rolled forward by 30-day steps when the stored end is in the past, e.g. a missed
 * update); for Free, the calendar month (UTC) of `now`. Returns [start, end) as Dates.
 */
export function billingPeriod(now: Date, currentPeriodEnd: Date | null, plan: PlanKey): { start: Date; end: Date } {
  const DAY = 86_400_000;
  if (plan !== "free" && currentPeriodEnd) {
    let end = currentPeriodEnd.getTime();
    while (end <= now.getTime()) end += 30 * DAY;
    while (end - 30 * DAY > now.getTime()) end -= 30 * DAY;
    return { start: new Date(end - 30 * DAY), end: new Date(end) };
  }
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return { start: new Date(start), end: new Date(end) };
}

/** A channel row as `isRecordChannel` needs it. */
export interface ChannelIdentity {
  kind: string;
  baseUrl: string;
}

/**
 * Whether a channel is the shop's own record store (the central Shopify store), which is never a sales
 * channel. The record channel is created at install as kind "shopify" with baseUrl `https://<shop domain>`
 * (app/sync/stores/shops.server.ts). A retailer's Shopify store connected by issue 14 is also kind "shopify" but
 * has another domain, so it counts as a sales channel without any change here.
 */
export function isRecordChannel(channel: ChannelIdentity, shopDomain: string): boolean {
  return (
    channel.kind === "shopify" &&
    channel.baseUrl.replace(/\/+$/, "").toLowerCase() === `https://${shopDomain.toLowerCase()}`
  );
}
