/**
 * Shopify webhook `fulfillments/update` (declared in shopify.app.toml): verify (HMAC, 401 on a bad one), store, acknowledge; a job
 * does the work (orders hub pushback, app/sync/orders-hub/pushback.server.ts).
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { acceptShopifyWebhook } from "../webhooks/intake.server";

export const action = async ({ request }: ActionFunctionArgs) => acceptShopifyWebhook(request);
