/**
 * Talking to Shopify's Billing API through `@shopify/shopify-app-remix` / `@shopify/shopify-api`
 * (docs/decisions/170): start a subscription (returns Shopify's confirmation URL), cancel it, and read what
 * Shopify holds to correct the Shop row (a missed or late app_subscriptions/update is repaired on the next
 * Plan page load). Plan limits themselves are in billing.server.ts.
 */
import type { authenticate } from "../shopify.server";
import prisma from "../db.server";
import { PLANS, TRIAL_DAYS, billingName, planKeyOfBillingName, type PaidPlanKey } from "./plans";
import { applySubscription, planPageUrl } from "./billing.server";
import type { AdminContext } from "../models/shop.server";
import { env } from "../env.server";

/** The library's billing context of an authenticated admin request (`authenticate.admin(request).billing`). */
export type BillingContext = Awaited<ReturnType<typeof authenticate.admin>>["billing"];

/**
 * Whether charges for this shop are test charges (never billed): development stores (`shop.plan.partnerDevelopment`,
 * Admin GraphQL), the demo/test modes, or `SYNCFLOW_BILLING_TEST=1` set by the operator for review installs.
 */
export async function isTestCharge(admin: AdminContext): Promise<boolean> {
  if (env.SYNCFLOW_BILLING_TEST || env.SYNCFLOW_MODE === "demo" || env.SYNCFLOW_MODE === "test") return true;
  try {
    const res = await admin.graphql(`#graphql
      query SyncFlowShopPlan { shop { plan { partnerDevelopment } } }`);
    const body = (await res.json()) as { data?: { shop?: { plan?: { partnerDevelopment?: boolean } } } };
    return body.data?.shop?.plan?.partnerDevelopment === true;
  } catch {
    return false;
  }
}

/** Where Shopify sends the merchant after approving or declining: the Plan page (inside admin; the demo's admin entry in demo mode). */
export function billingReturnUrl(shopDomain: string): string {
  if (env.SYNCFLOW_MODE === "demo" || env.SYNCFLOW_MODE === "test") {
    const app = (env.SHOPIFY_APP_URL ?? "").replace(/\/$/, "");
    return `${app}/demo/admin?return=${encodeURIComponent("/app/plan")}`;
  }
  return planPageUrl(shopDomain);
}

/**
 * Creates the subscription for `plan` (AppSubscriptionCreate through the library) and returns Shopify's
 * confirmation URL, which the page opens at the top level (App Bridge: `open(url, "_top")`). The trial
 * (TRIAL_DAYS) is offered only to a shop that never had one. Throws the library's BillingError on userErrors.
 */
export async function startSubscription(
  billing: BillingContext,
  shopId: string,
  plan: PaidPlanKey,
  isTest: boolean,
): Promise<string> {
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: { domain: true, trialUsedAt: true },
  });
  try {
    await billing.request({
      plan: billingName(plan) as never,
      isTest,
      returnUrl: billingReturnUrl(shop.domain),
      trialDays: shop.trialUsedAt ? 0 : TRIAL_DAYS,
    });
  } catch (thrown) {
    // The library ends a request by throwing its way out of the app: a 401 carrying the URL in
    // X-Shopify-API-Request-Failure-Reauthorize-Url (fetch requests), or a redirect to the exit-iframe page with
    // `exitIframe=<url>` (document requests). The URL is Shopify's confirmation page either way.
    if (thrown instanceof Response) {
      const url = confirmationUrlOf(thrown);
      if (url) return url;
    }
    throw thrown;
  }
  throw new Error("billing.request returned without a confirmation URL");
}

/** Shopify's confirmation URL out of the library's redirect-out-of-app response, or null. */
export function confirmationUrlOf(res: Response): string | null {
  const header = res.headers.get("X-Shopify-API-Request-Failure-Reauthorize-Url");
  if (header) return header;
  const location = res.headers.get("Location");
  if (!location) return null;
  const exit = new URL(location, "http://app.invalid").searchParams.get("exitIframe");
  return exit ?? (/^https?:\/\//.test(location) ? location : null);
}

/**
 * Reads the shop's active subscriptions from Shopify (currentAppInstallation) and applies the one that is ours;
 * when Shopify lists none but we hold an ACTIVE one, records it as CANCELLED (the plan falls to Free and the
 * channel limit is re-applied). Returns the plan key in force afterwards.
 */
export async function syncSubscriptionFromShopify(billing: BillingContext, shopId: string): Promise<string> {
  const result = (await billing.check({ isTest: true })) as unknown as {
    appSubscriptions: {
      id: string;
      name: string;
      status: string;
      test: boolean;
      currentPeriodEnd?: string | null;
      trialDays?: number;
      createdAt?: string;
    }[];
  };
  const ours = result.appSubscriptions.filter((s) => planKeyOfBillingName(s.name));
  const active = ours.find((s) => s.status === "ACTIVE");
  if (active) {
    const r = await applySubscription(shopId, { ...active, updatedAt: null });
    return r.plan;
  }
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: { subscriptionId: true, subscriptionStatus: true, planKey: true },
  });
  if (shop.subscriptionId && shop.subscriptionStatus === "ACTIVE") {
    const r = await applySubscription(shopId, {
      id: shop.subscriptionId,
      name: billingName((shop.planKey ?? "starter") as PaidPlanKey),
      status: "CANCELLED",
      updatedAt: null,
    });
    return r.plan;
  }
  return "free";
}

/** Cancels the shop's subscription (back to Free; prorated) and applies the result. */
export async function cancelSubscription(billing: BillingContext, shopId: string, isTest: boolean): Promise<void> {
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: { subscriptionId: true, subscriptionStatus: true },
  });
  if (!shop.subscriptionId || shop.subscriptionStatus !== "ACTIVE") return;
  const sub = (await billing.cancel({ subscriptionId: shop.subscriptionId, isTest, prorate: true })) as unknown as {
    id: string;
    name: string;
    status: string;
    test: boolean;
  };
  await applySubscription(shopId, { id: sub.id, name: sub.name, status: sub.status, test: sub.test, updatedAt: null });
}

export { PLANS };
