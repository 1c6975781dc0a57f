/**
 * Network transport for everything the app sends to Shopify. In demo/test (or any non-production run)
 * with env `SHOPIFY_ADMIN_ORIGIN` set, `https://<shop>.myshopify.com/...` is rewritten to
 * `${SHOPIFY_ADMIN_ORIGIN}/store/<shop>.myshopify.com/...` (the emulator); otherwise it is plain fetch.
 */
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { env } from "../../env.server";

/**
 * The emulator origin when the rewrite is allowed: `SHOPIFY_ADMIN_ORIGIN` set AND `SYNCFLOW_MODE` is
 * `demo` or `test`. A production deployment never sets SYNCFLOW_MODE, so it always talks to Shopify.
 */
export function emulatorOrigin(): string | null {
  const origin = env.SHOPIFY_ADMIN_ORIGIN;
  if (!origin) return null;
  const mode = env.SYNCFLOW_MODE;
  if (mode === "demo" || mode === "test") return origin.replace(/\/$/, "");
  return null;
}

/** Rewrite a Shopify URL to the emulator when enabled; other URLs pass through unchanged. */
export function rewriteShopifyUrl(url: string): string {
  const origin = emulatorOrigin();
  if (!origin) return url;
  const m = /^https:\/\/([a-z0-9][a-z0-9-]*\.myshopify\.com)(\/.*)?$/i.exec(url);
  if (!m) return url;
  return `${origin}/store/${m[1]!.toLowerCase()}${m[2] ?? "/"}`;
}

/** `fetch` with the emulator rewrite (same signature as global fetch). */
export const shopifyFetch: typeof fetch = (input, init) => {
  if (typeof input === "string") return fetch(rewriteShopifyUrl(input), init);
  if (input instanceof URL) return fetch(rewriteShopifyUrl(input.toString()), init);
  const rewritten = rewriteShopifyUrl(input.url);
  return fetch(rewritten === input.url ? input : new Request(rewritten, input), init);
};

/** Route @shopify/shopify-api's own HTTP (token exchange, webhooks registration, clients) through shopifyFetch. */
export function installShopifyFetch(): void {
  setAbstractFetchFunc(shopifyFetch as never);
}
