/**
 * Channel registry: turns a stored channel (kind + decrypted credentials) into its adapter.
 * The only place the sync engine obtains a platform client; adapters live in app/channels/<kind>/.
 */
import { ShopifyChannel } from "./shopify/shopify-channel.server";
import { WooCommerceChannel } from "./woocommerce/woocommerce-channel.server";

export interface ShopifyCredentials {
  shop: string;
  accessToken: string;
}
export interface WooCredentials {
  consumerKey: string;
  consumerSecret: string;
}

/** Shopify adapter for a shop's offline access token. */
export function shopifyChannel(creds: ShopifyCredentials): ShopifyChannel {
  return new ShopifyChannel({ shop: creds.shop, accessToken: creds.accessToken });
}

/**
 * WooCommerce adapter for a store URL and its REST keys. Timeout per call: WOO_TIMEOUT_MS (default 15 s).
 */
export function wooChannel(baseUrl: string, creds: WooCredentials): WooCommerceChannel {
  return new WooCommerceChannel({
    url: baseUrl,
    consumerKey: creds.consumerKey,
    consumerSecret: creds.consumerSecret,
    timeoutMs: Number(process.env.WOO_TIMEOUT_MS ?? 15_000),
  });
}

export type { ShopifyChannel, WooCommerceChannel };
