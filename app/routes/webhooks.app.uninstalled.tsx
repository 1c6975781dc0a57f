/** Shopify webhook `app/uninstalled` (declared in shopify.app.toml): verify, store, acknowledge; a job does the work. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { acceptShopifyWebhook } from "../webhooks/intake.server";

export const action = async ({ request }: ActionFunctionArgs) => acceptShopifyWebhook(request);
