/**
 * One AppSubscription as Shopify holds it, read with the shop's offline token (the app_subscriptions/update
 * payload carries no test flag, trial or period end: https://shopify.dev/docs/api/admin-graphql/latest/objects/AppSubscription).
 * Returns null when the subscription is not among the app's 25 most recent. Throws ChannelError on transport failures.
 */
import type { ShopifyChannel } from "./shopify-channel.server.js";
import { APP_SUBSCRIPTIONS_QUERY } from "./graphql/billing.js";

import type { AppSubscriptionRead } from "../record.js";
export type { AppSubscriptionRead };

export async function readAppSubscription(adapter: ShopifyChannel, id: string): Promise<AppSubscriptionRead | null> {
  const r = await adapter.client.request<{
    currentAppInstallation: { allSubscriptions: { nodes: AppSubscriptionRead[] } };
  }>(APP_SUBSCRIPTIONS_QUERY);
  return r.data.currentAppInstallation.allSubscriptions.nodes.find((s) => s.id === id) ?? null;
}
