/**
 * Request budgets shared by every merchant (decision 273): for a kind whose platform limits requests per application
 * per day (it registers `budgetPlan`, e.g. Etsy), one channel's plan — poll interval, reconciliation cadence, its share
 * of the day — from the connected channels of that kind (all shops) and the channel's catalog size (linked listings).
 * Names no platform. Two count queries; no platform call.
 */
import prisma from "../../db.server";
import { salesChannelKind, type RequestBudgetPlan } from "../../channels/registry.server";

/** The plan of a channel of a budgeted kind, or null for other kinds. */
export async function budgetPlanOf(channel: { id: string; kind: string }): Promise<RequestBudgetPlan | null> {
  const def = salesChannelKind(channel.kind);
  if (!def?.budgetPlan) return null;
  const [channels, listings] = await Promise.all([
    prisma.channel.count({
      where: { kind: channel.kind, status: { not: "disconnected" }, credentialsEnc: { not: null } },
    }),
    prisma.listing.count({ where: { channelId: channel.id, matchStatus: "linked" } }),
  ]);
  return def.budgetPlan({ channels, listings });
}

/**
 * Whether a scheduled reconciliation of a budgeted channel must wait: its last scheduled run is newer than the
 * plan's `reconcileIntervalMs`. Always false for other kinds (they follow the shop's `reconcileEveryMin`).
 */
export async function reconcileWaitsForBudget(channel: { id: string; kind: string }): Promise<boolean> {
  const plan = await budgetPlanOf(channel);
  if (!plan) return false;
  const last = await prisma.syncRun.findFirst({
    where: { channelId: channel.id, kind: "reconcile", dryRun: false },
    orderBy: { startedAt: "desc" },
    select: { startedAt: true },
  });
  return !!last && Date.now() - last.startedAt.getTime() < plan.reconcileIntervalMs;
}
