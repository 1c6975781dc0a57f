/**
 * Shopify Flow actions served by the app (extensions/syncflow-flow-sync-item, …-set-channel-buffer):
 *
 *   POST /flow/actions/sync-item            properties { product_id }            → push the product's stock to every sales channel
 *   POST /flow/actions/set-channel-buffer   properties { store, buffer_units }   → set a sales channel's buffer and push
 *
 * Flow signs each request with the app's secret (`X-Shopify-Hmac-Sha256` over the raw body);
 * `authenticate.flow` verifies it (400 when invalid or when the shop has no session, 405 for non-POST — the
 * library's answers) and returns the payload `{ shop_id, shopify_domain, action_run_id, handle, properties }`.
 * Answers: 200 `{ ok: true, … }` when the work is queued; 422 with a reason for properties Flow cannot fix by
 * retrying (unknown product or store, buffer out of range); 404 for an unknown action.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { runFlowAction } from "../flow/actions.server";

export const loader = () =>
  json(
    { error: { code: "method_not_allowed", message: "Flow actions are POST requests." } },
    { status: 405, headers: { Allow: "POST" } },
  );

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { session, payload } = await authenticate.flow(request);
  const r = await runFlowAction(
    session.shop,
    String(params.action ?? ""),
    (payload as { properties?: unknown }).properties,
  );
  return json(r.body, { status: r.status });
};
