/**
 * Verification of Shopify webhook deliveries for the intake, by `@shopify/shopify-api`'s own
 * `webhooks.validate` (HMAC-SHA256 of the raw body with the app secret, then the required
 * `X-Shopify-*` headers) — the same check `authenticate.webhook` of shopify-app-remix runs, with the same
 * answers: not POST → 405, bad or missing HMAC → 401/400, missing headers → 400.
 *
 * Why not `authenticate.webhook` itself: after validating, it loads (and, with expiring offline tokens,
 * may refresh) the shop's offline session for `ctx.admin` on every delivery. The intake never calls the
 * Admin API (GUIDE §2 rule 4: persist, acknowledge, then work in a job), so that per-delivery database read
 * was pure cost on the hot path (docs/decisions/070-webhook-intake-group-commit.md).
 *
 * Config comes from the same variables as app/shopify.server.ts (SHOPIFY_API_KEY, SHOPIFY_API_SECRET,
 * SHOPIFY_APP_URL), read on first use.
 */
import "@shopify/shopify-api/adapters/web-api";
import { LogSeverity, shopifyApi, WebhookValidationErrorReason, type ApiVersion } from "@shopify/shopify-api";
import { SHOPIFY_API_VERSION } from "../channels/shopify/api-version";
import { env } from "../env.server";

/** A verified delivery: the fields Shopify's headers carry and the parsed JSON body. */
export interface VerifiedShopifyWebhook {
  /** Topic as the library stores it, e.g. `INVENTORY_LEVELS_UPDATE` or `inventory_levels/update`. */
  topic: string;
  /** The shop's myshopify domain (X-Shopify-Shop-Domain). */
  shop: string;
  /** X-Shopify-Webhook-Id: stable across Shopify's retries of one delivery. */
  webhookId: string;
  apiVersion: string;
  triggeredAt?: string;
  eventId?: string;
  /** The raw body as received (the HMAC covers exactly this text). */
  rawBody: string;
  payload: unknown;
}

let api: ReturnType<typeof shopifyApi> | null = null;

function getApi(): ReturnType<typeof shopifyApi> {
  if (api) return api;
  const appUrl = new URL(env.SHOPIFY_APP_URL || "http://localhost");
  api = shopifyApi({
    apiKey: env.SHOPIFY_API_KEY,
    apiSecretKey: env.SHOPIFY_API_SECRET || "",
    apiVersion: SHOPIFY_API_VERSION as ApiVersion,
    scopes: (env.SCOPES ?? "").split(",").filter(Boolean),
    hostName: appUrl.host,
    hostScheme: appUrl.protocol.replace(":", "") as "http" | "https",
    isEmbeddedApp: true,
    logger: { level: env.SYNCFLOW_MODE === "test" ? LogSeverity.Warning : LogSeverity.Info },
    // As shopify-app-remix does for its own instance: app/shopify.server.ts already reports the flags.
    _logDisabledFutureFlags: false,
  });
  return api;
}

/**
 * Verifies a Shopify webhook request and reads its body.
 * @throws a `Response` (405 / 401 / 400, empty body) when the request is not a valid delivery, as
 *   `authenticate.webhook` does; a body that is not JSON → 400.
 */
export async function verifyShopifyWebhook(request: Request): Promise<VerifiedShopifyWebhook> {
  if (request.method !== "POST") throw new Response(undefined, { status: 405, statusText: "Method not allowed" });
  const rawBody = await request.text();
  // The library reads only Shopify's own headers (`X-Shopify-*`, and `Shopify-*` for events) but
  // canonicalizes every header of the request several times over (O(headers²) regex work per delivery):
  // show it just those. The HMAC it checks covers the body only.
  const shopifyHeaders = new Headers();
  request.headers.forEach((value, name) => {
    if (name.startsWith("x-shopify-") || name.startsWith("shopify-")) shopifyHeaders.append(name, value);
  });
  const rawRequest = new Request(request.url, { method: "POST", headers: shopifyHeaders });
  const check = await getApi().webhooks.validate({ rawBody, rawRequest });
  if (!check.valid) {
    if (check.reason === WebhookValidationErrorReason.InvalidHmac)
      throw new Response(undefined, { status: 401, statusText: "Unauthorized" });
    throw new Response(undefined, { status: 400, statusText: "Bad Request" });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch {
    throw new Response(undefined, { status: 400, statusText: "Bad Request" });
  }
  return {
    topic: check.topic,
    shop: check.domain,
    webhookId: check.webhookId,
    apiVersion: check.apiVersion,
    triggeredAt: "triggeredAt" in check ? check.triggeredAt : undefined,
    eventId: "eventId" in check ? check.eventId : undefined,
    rawBody,
    payload,
  };
}
