/**
 * Channel registry: turns a stored channel (kind + decrypted credentials) into its adapter.
 * The only place the sync engine obtains a platform client; adapters live in app/channels/<kind>/.
 */
import { ShopifyChannel } from "./shopify/shopify-channel.server";
import { WooCommerceChannel } from "./woocommerce/woocommerce-channel.server";
import { env } from "../env.server";

export interface ShopifyCredentials {
  shop: string;
  accessToken: string;
}
export interface WooCredentials {
  consumerKey: string;
  consumerSecret: string;
}

/**
 * Shopify adapter for a shop's offline access token. Client retry tuning (tests, operations):
 * SYNCFLOW_SHOPIFY_MAX_RETRIES (default 5) and SYNCFLOW_SHOPIFY_BACKOFF_MS (base backoff, default 500).
 */
export function shopifyChannel(creds: ShopifyCredentials): ShopifyChannel {
  const maxRetries = env.SYNCFLOW_SHOPIFY_MAX_RETRIES;
  const baseBackoffMs = env.SYNCFLOW_SHOPIFY_BACKOFF_MS;
  return new ShopifyChannel({ shop: creds.shop, accessToken: creds.accessToken, maxRetries, baseBackoffMs });
}

/**
 * WooCommerce adapter for a store URL and its REST keys. Timeout per call: WOO_TIMEOUT_MS (default 15 s).
 * `client.maxRetries` 0 makes every call one request (registration checks, docs/decisions/142).
 */
export function wooChannel(baseUrl: string, creds: WooCredentials, client?: { maxRetries?: number }): WooCommerceChannel {
  return new WooCommerceChannel({
    url: baseUrl,
    consumerKey: creds.consumerKey,
    consumerSecret: creds.consumerSecret,
    timeoutMs: env.WOO_TIMEOUT_MS,
    ...(client ? { client } : {}),
  });
}

export type { ShopifyChannel, WooCommerceChannel };
