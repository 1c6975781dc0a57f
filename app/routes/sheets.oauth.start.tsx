/**
 * `GET /sheets/oauth/start?state=…` — the first hop of the Google sign-in, opened in the merchant's top-level window
 * (the link the settings page gets from `startGoogleOAuth`). Sets a first-party cookie holding sha256(state)
 * (HttpOnly, SameSite=Lax, path /sheets/oauth, 10 minutes) and redirects to Google's consent page; the callback accepts
 * the state only from the browser carrying that cookie (app/exports/google.server.ts; docs/decisions/147).
 * Unknown or expired state → 400 page.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { googleConsentUrl, OAUTH_BINDING_COOKIE } from "../exports/google.server";
import { sha256Hex } from "../lib/crypto.server";
import { env } from "../env.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const state = new URL(request.url).searchParams.get("state") ?? "";
  const consent = await googleConsentUrl(state);
  if (!consent) {
    return new Response("This Google sign-in link expired or was already used. Start again from SyncFlow's settings.", {
      status: 400,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  const secure = (env.SHOPIFY_APP_URL ?? "").startsWith("https:") ? "; Secure" : "";
  return redirect(consent, {
    headers: {
      "Set-Cookie": `${OAUTH_BINDING_COOKIE}=${sha256Hex(state)}; Path=/sheets/oauth; Max-Age=600; HttpOnly; SameSite=Lax${secure}`,
      "Cache-Control": "no-store",
    },
  });
};
