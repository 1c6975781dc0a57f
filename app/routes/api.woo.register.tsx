/** POST /api/woo/register — registers a WooCommerce store with a one-time code (docs/contracts/hub-api-v1.md §1). */
import type { ActionFunctionArgs } from "@remix-run/node";
import { apiError, apiJson, parseBody, PluginApiError, readBody, RegisterBody } from "../sync/intake/plugin-api.server";
import { limitRegistration, registerWooStore, RegistrationError } from "../sync/stores/registration.server";
import { clientAddressFromContext } from "../lib/client-address.server";
import { BODY_LIMITS } from "../lib/body-limits";

export const loader = () =>
  apiJson(405, { ok: false, error: { code: "method_not_allowed", message: "Use POST." } }, { Allow: "POST" });

export const action = async ({ request, context }: ActionFunctionArgs) => {
  try {
    if (request.method !== "POST") throw new PluginApiError(405, "method_not_allowed", "Use POST.");
    // Per client address: the rightmost hop no trusted proxy vouches for (SYNCFLOW_TRUSTED_PROXIES), never a
    // shared bucket and never the client-written left end of X-Forwarded-For.
    await limitRegistration(clientAddressFromContext(context));
    const body = parseBody(RegisterBody, await readBody(request, BODY_LIMITS.pluginApi));
    const res = await registerWooStore({
      code: body.code,
      storeUrl: body.store_url,
      consumerKey: body.consumer_key,
      consumerSecret: body.consumer_secret,
      pluginVersion: body.plugin_version,
      storeName: body.store_name,
    });
    return apiJson(201, {
      ok: true,
      channel_id: res.channelId,
      webhook_secret: res.webhookSecret,
      shop_domain: res.shopDomain,
      shop_name: res.shopName,
      mode: res.mode,
      linked: res.linked,
      unmatched: res.unmatched,
      stock_events: res.stockEvents,
    });
  } catch (err) {
    if (err instanceof RegistrationError)
      return apiJson(err.status, { ok: false, error: { code: err.code, message: err.message } }, err.headers);
    return apiError(err);
  }
};
