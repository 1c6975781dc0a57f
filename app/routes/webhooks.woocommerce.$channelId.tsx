/** WooCommerce webhook deliveries for one connected store (order.created, order.updated, product.updated, ping). */
import type { ActionFunctionArgs } from "@remix-run/node";
import { acceptWooWebhook } from "../webhooks/intake.server";

export const action = async ({ request, params }: ActionFunctionArgs) =>
  acceptWooWebhook(request, params.channelId ?? "");
