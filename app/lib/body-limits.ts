/**
 * Request body caps per public route family, in bytes (issue 13; listed in docs/security.md §Routes).
 * Checked before the body is read — a larger Content-Length is refused at once, and a body without one is
 * read only up to the cap — by `readBody` (app/sync/intake/plugin-api.server.ts) in the routes and by the
 * production server (scripts/serve.ts) for the webhook paths.
 */
export const BODY_LIMITS = {
  /** Plugin → hub calls: register, heartbeat, disconnect (a heartbeat lists a handful of webhooks). */
  pluginApi: 64 * 1024,
  /** Plugin → hub batched reports (e.g. stock events, many lines per call). */
  pluginBatch: 1024 * 1024,
  /** Webhook deliveries from Shopify and WooCommerce (a large order is tens of KB; Shopify's own cap is lower). */
  webhook: 5 * 1024 * 1024,
  /** Merchant API writes (app/api, issue 18): one stock change per request. */
  merchantApi: 64 * 1024,
} as const;
