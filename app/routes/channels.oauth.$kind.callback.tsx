/**
 * `GET /channels/oauth/<kind>/callback` — where the platform returns the merchant after consent (issue 16: Amazon
 * redirects with `state`, `selling_partner_id`, `spapi_oauth_code`; register
 * `${SHOPIFY_APP_URL}/channels/oauth/amazon/callback` as the application's redirect URI). Outside the embedded admin on
 * purpose (no Shopify session token here): the one-time state identifies the shop and must come with the cookie
 * /channels/oauth/start set. The grant is exchanged, the channel created (or revived) with its refresh token
 * encrypted, its catalog linked by SKU and its orders polled (app/sync/stores/authorize.server.ts).
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { safeEqual, sha256Hex } from "../lib/crypto.server";
import { AuthorizationError, completeChannelAuthorization } from "../sync/stores/authorize.server";
import { ChannelError } from "../channels/channel";
import { CHANNEL_OAUTH_COOKIE } from "./channels.oauth.start";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const page = (title: string, message: string, status: number) =>
  new Response(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head><body style="font-family:sans-serif;max-width:480px;margin:48px auto"><h1 style="font-size:20px">${escape(title)}</h1><p>${escape(message)}</p><p>You can close this window and return to SyncFlow in Shopify Admin.</p></body></html>`,
    { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } },
  );

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const url = new URL(request.url);
  const kind = params.kind ?? "";
  const state = url.searchParams.get("state");
  if (!state) return page("Not connected", "The link is missing its state.", 400);
  if (url.searchParams.get("error"))
    return page("Not connected", `The marketplace answered: ${url.searchParams.get("error")}.`, 400);
  const cookie =
    (request.headers.get("cookie") ?? "")
      .split(/;\s*/)
      .find((c) => c.startsWith(`${CHANNEL_OAUTH_COOKIE}=`))
      ?.slice(CHANNEL_OAUTH_COOKIE.length + 1) ?? "";
  if (!cookie || !safeEqual(cookie, sha256Hex(state)))
    return page(
      "Not connected",
      "This authorisation was started in another browser (or the link was shared). Start again from SyncFlow's Channels page in this browser.",
      400,
    );
  try {
    const { name } = await completeChannelAuthorization(kind, url.searchParams);
    return page(
      `${name} connected`,
      "SyncFlow is linking its listings by SKU now; they appear on the Channels and Listings pages shortly.",
      200,
    );
  } catch (err) {
    if (err instanceof AuthorizationError) return page("Not connected", err.message, err.status);
    if (err instanceof ChannelError) return page("Not connected", `The marketplace refused: ${err.message}`, 400);
    throw err;
  }
};
