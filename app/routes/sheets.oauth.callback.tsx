/**
 * Google OAuth redirect target (`${SHOPIFY_APP_URL}/sheets/oauth/callback`, registered in Google Cloud).
 * Outside the embedded admin on purpose: Google redirects the merchant's top-level window here, without a
 * Shopify session token. The one-time `state` (hash stored for 10 minutes) identifies the shop and must come with
 * the browser-binding cookie set by /sheets/oauth/start (sha256(state)); the code is
 * exchanged for tokens and the refresh token stored encrypted, then a full export is queued.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { completeGoogleOAuth, OAUTH_BINDING_COOKIE } from "../exports/google.server";
import { safeEqual, sha256Hex } from "../lib/crypto.server";
import { enqueue, QUEUES } from "../jobs/queue.server";

const page = (title: string, message: string, status: number) =>
  new Response(
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif;max-width:480px;margin:48px auto"><h1 style="font-size:20px">${title}</h1><p>${message
      .replace(/&/g, "&amp;")
      .replace(
        /</g,
        "&lt;",
      )}</p><p>You can close this window and return to SyncFlow in Shopify Admin.</p></body></html>`,
    { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } },
  );

/** Completes the Google sign-in. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const url = new URL(request.url);
  const error = url.searchParams.get("error");
  if (error) return page("Google Sheets not connected", `Google answered: ${error}.`, 400);
  const code = url.searchParams.get("code");
  const state = url.searchParams.get("state");
  if (!code || !state) return page("Google Sheets not connected", "The link is missing its code or state.", 400);
  // The sign-in must finish in the browser that started it (/sheets/oauth/start set the cookie).
  const cookie =
    (request.headers.get("cookie") ?? "")
      .split(/;\s*/)
      .find((c) => c.startsWith(`${OAUTH_BINDING_COOKIE}=`))
      ?.slice(OAUTH_BINDING_COOKIE.length + 1) ?? "";
  if (!cookie || !safeEqual(cookie, sha256Hex(state))) {
    return page(
      "Google Sheets not connected",
      "This sign-in was started in another browser (or the link was shared). Start again from SyncFlow's settings in this browser.",
      400,
    );
  }
  try {
    const { shopId } = await completeGoogleOAuth(code, state);
    await enqueue(QUEUES.sheetsSync, { shopId, full: true }).catch(() => null);
    return page(
      "Google Sheets connected",
      "SyncFlow is creating your spreadsheet now; its link appears in SyncFlow's settings in a few seconds.",
      200,
    );
  } catch (err) {
    return page("Google Sheets not connected", (err as Error).message, 400);
  }
};
