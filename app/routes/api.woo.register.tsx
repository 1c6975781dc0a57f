/** POST /api/woo/register — registers a WooCommerce store with a one-time code (docs/contracts/hub-api-v1.md §1). */
import type { ActionFunctionArgs } from "@remix-run/node";
import { apiError, apiJson, parseBody, PluginApiError, RegisterBody } from "../sync/plugin-api.server";
import { limitRegistration, registerWooStore, RegistrationError } from "../sync/registration.server";

export const loader = () => apiJson(405, { ok: false, error: { code: "method_not_allowed", message: "Use POST." } }, { Allow: "POST" });

export const action = async ({ request }: ActionFunctionArgs) => {
  try {
    if (request.method !== "POST") throw new PluginApiError(405, "method_not_allowed", "Use POST.");
    // Behind a proxy the client address is the first X-Forwarded-For hop; the header is trusted only when
    // the deployment says a proxy sets it (SYNCFLOW_TRUST_PROXY=1), else anyone could pick their own key.
    const forwarded = process.env.SYNCFLOW_TRUST_PROXY === "1" ? request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() : null;
    const client = forwarded || "direct";
    await limitRegistration(client);
    const body = parseBody(RegisterBody, await request.text());
    const res = await registerWooStore({
      code: body.code, storeUrl: body.store_url, consumerKey: body.consumer_key, consumerSecret: body.consumer_secret,
      pluginVersion: body.plugin_version, storeName: body.store_name,
    });
    return apiJson(201, {
      ok: true, channel_id: res.channelId, webhook_secret: res.webhookSecret, shop_domain: res.shopDomain, shop_name: res.shopName, mode: res.mode,
      linked: res.linked, unmatched: res.unmatched, stock_events: res.stockEvents,
    });
  } catch (err) {
    if (err instanceof RegistrationError) return apiJson(err.status, { ok: false, error: { code: err.code, message: err.message } }, err.headers);
    return apiError(err);
  }
};
