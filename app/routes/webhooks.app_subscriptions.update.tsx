/**
 * Shopify webhook `app_subscriptions/update` (declared in shopify.app.toml): verify, store, acknowledge; the
 * receipt job applies the subscription to the shop's plan once (app/billing/billing.server.ts applySubscription).
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { acceptShopifyWebhook } from "../webhooks/intake.server";

export const action = async ({ request }: ActionFunctionArgs) => acceptShopifyWebhook(request);
