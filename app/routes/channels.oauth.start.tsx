/**
 * `GET /channels/oauth/start?state=…` — first hop of a channel authorisation (issue 16: Amazon's website authorisation
 * workflow), opened in the merchant's top-level window by the Channels page's "Connect Amazon". Sets a first-party
 * cookie holding sha256(state) (HttpOnly, SameSite=Lax, path /channels/oauth, 10 minutes) and redirects to the
 * platform's consent page; the callback accepts the state only from the browser carrying that cookie (as the Google
 * sign-in, decision 147). Unknown, used or expired state → 400 page.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { authorizationConsentUrl } from "../sync/stores/authorize.server";
import { sha256Hex } from "../lib/crypto.server";
import { env } from "../env.server";

/** Cookie binding a channel authorisation to the browser that started it (holds sha256(state)). */
export const CHANNEL_OAUTH_COOKIE = "syncflow_channel_oauth";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const state = new URL(request.url).searchParams.get("state") ?? "";
  const consent = await authorizationConsentUrl(state);
  if (!consent)
    return new Response(
      "This authorisation link expired or was already used. Start again from SyncFlow's Channels page.",
      {
        status: 400,
        headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
      },
    );
  const secure = (env.SHOPIFY_APP_URL ?? "").startsWith("https:") ? "; Secure" : "";
  return redirect(consent, {
    headers: {
      "Set-Cookie": `${CHANNEL_OAUTH_COOKIE}=${sha256Hex(state)}; Path=/channels/oauth; Max-Age=600; HttpOnly; SameSite=Lax${secure}`,
      "Cache-Control": "no-store",
    },
  });
};
