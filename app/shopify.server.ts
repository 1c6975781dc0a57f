/**
 * Shopify app configuration (Shopify template spot).
 *
 * Env: SHOPIFY_API_KEY, SHOPIFY_API_SECRET, SHOPIFY_APP_URL (required by shopifyApp), SCOPES.
 * API version: the newest stable one @shopify/shopify-api 15 supports (2026-10, see
 * app/channels/shopify/api-version.ts). Sessions live in PostgreSQL through PrismaSessionStorage, tokens encrypted.
 * In demo/test mode (SYNCFLOW_MODE + SHOPIFY_ADMIN_ORIGIN) the library's own HTTP — token exchange —
 * reaches the emulated Shopify; production never sets those.
 */
import "@shopify/shopify-app-remix/adapters/node";
import {
  AppDistribution,
  BillingInterval,
  LogSeverity,
  shopifyApp,
  type ApiVersion,
} from "@shopify/shopify-app-remix/server";
import prisma from "./db.server";
import { encryptedSessionStorage } from "./lib/session-storage.server";
import { installShopifyFetch } from "./channels/shopify/transport.server";
import { SHOPIFY_API_VERSION } from "./channels/shopify/api-version";
import { onShopInstalled } from "./sync/stores/shops.server";
import { PLANS, TRIAL_DAYS, billingName, type PaidPlanKey } from "./billing/plans";
import { env } from "./env.server";

installShopifyFetch();

/** One recurring 30-day plan per paid plan, named as Shopify stores it (app/billing/plans.ts, docs/decisions/170). */
const plan = (key: PaidPlanKey) => ({
  trialDays: TRIAL_DAYS,
  lineItems: [{ amount: PLANS[key].priceUsd, currencyCode: "USD", interval: BillingInterval.Every30Days as const }],
});
export const BILLING = {
  [billingName("starter")]: plan("starter"),
  [billingName("professional")]: plan("professional"),
  [billingName("enterprise")]: plan("enterprise"),
};

export const SCOPES = (
  env.SCOPES ??
  "read_products,read_inventory,write_inventory,read_orders,write_orders,read_locations,write_merchant_managed_fulfillment_orders"
).split(",");

const shopify = shopifyApp({
  apiKey: env.SHOPIFY_API_KEY,
  apiSecretKey: env.SHOPIFY_API_SECRET || "",
  apiVersion: SHOPIFY_API_VERSION as ApiVersion,
  scopes: SCOPES,
  appUrl: env.SHOPIFY_APP_URL || "",
  authPathPrefix: "/auth",
  // PrismaSessionStorage with access and refresh tokens encrypted at rest (docs/decisions/145).
  sessionStorage: encryptedSessionStorage(prisma),
  distribution: AppDistribution.AppStore,
  // Shopify's Billing API through the library (billing.request / check / cancel), decision 170.
  billing: BILLING,
  future: { unstable_newEmbeddedAuthStrategy: true, expiringOfflineAccessTokens: true },
  logger: { level: env.SYNCFLOW_MODE === "test" ? LogSeverity.Warning : LogSeverity.Info },
  hooks: {
    afterAuth: async ({ session }) => {
      await onShopInstalled(session.shop, session.scope ?? null);
    },
  },
});

export default shopify;
export const apiVersion = SHOPIFY_API_VERSION;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const registerWebhooks = shopify.registerWebhooks;
export const sessionStorage = shopify.sessionStorage;
