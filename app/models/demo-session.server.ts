/**
 * Demo-only admin entry (docs/decisions/050-demo-admin-entry.md).
 *
 * Outside Shopify Admin there is no App Bridge to hand the app a session token, so in demo mode
 * (`SYNCFLOW_MODE=demo`, never set in production) the app mints Shopify-shaped session tokens itself for
 * the one demo shop `SYNCFLOW_DEMO_SHOP`, signed with the app's own API secret exactly as Shopify signs
 * them (HS256 JWT, claims per https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens).
 * `authenticate.admin` then accepts them and exchanges them for an access token against the emulated
 * Shopify (SHOPIFY_ADMIN_ORIGIN). Every export here refuses to work unless demo mode is on.
 */
import crypto from "node:crypto";
import { redirect } from "@remix-run/node";
import { env } from "../env.server";

/** Lifetime of a demo session token in seconds (Shopify's own tokens live 60 s). */
export const DEMO_TOKEN_TTL_SEC = 60;

/** True only when the process runs the offline demo (`SYNCFLOW_MODE=demo`). */
export function isDemoMode(): boolean {
  return env.SYNCFLOW_MODE === "demo";
}

/** Throws a 404 Response unless demo mode is on, so demo routes do not exist anywhere else. */
export function assertDemoMode(): void {
  if (!isDemoMode()) throw new Response("Not Found", { status: 404 });
}

/**
 * The demo shop domain (`SYNCFLOW_DEMO_SHOP`, a `*.myshopify.com` domain).
 * Throws a 500 Response that says which env var to set when it is missing or malformed.
 */
export function demoShop(): string {
  const shop = (env.SYNCFLOW_DEMO_SHOP ?? "").trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(shop)) {
    throw new Response("Demo mode needs SYNCFLOW_DEMO_SHOP=<name>.myshopify.com (the emulated shop).", { status: 500 });
  }
  return shop;
}

const b64url = (input: Buffer | string) => Buffer.from(input).toString("base64url");

/**
 * Mint an HS256 session token for `shop` with the app's API key (aud) and secret (signature).
 * Claims: iss `https://<shop>/admin`, dest `https://<shop>`, aud apiKey, sub user id, exp/nbf/iat (s), jti, sid.
 * @returns the compact JWT and its expiry (epoch seconds).
 */
export function mintDemoSessionToken(opts: {
  shop: string;
  apiKey: string;
  apiSecret: string;
  userId?: string;
  ttlSec?: number;
  now?: number;
}): { token: string; exp: number } {
  if (!opts.apiKey || !opts.apiSecret)
    throw new Error("SHOPIFY_API_KEY and SHOPIFY_API_SECRET must be set to mint a demo session token");
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  const exp = now + (opts.ttlSec ?? DEMO_TOKEN_TTL_SEC);
  const header = { alg: "HS256", typ: "JWT" };
  const payload = {
    iss: `https://${opts.shop}/admin`,
    dest: `https://${opts.shop}`,
    aud: opts.apiKey,
    sub: opts.userId ?? "1",
    exp,
    nbf: now - 1,
    iat: now - 1,
    jti: crypto.randomUUID(),
    sid: crypto.randomBytes(16).toString("hex"),
  };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = crypto.createHmac("sha256", opts.apiSecret).update(signingInput).digest("base64url");
  return { token: `${signingInput}.${signature}`, exp };
}

/** Mint a token for the configured demo shop with the app's env credentials (demo mode only). */
export function mintTokenForDemoShop(): { shop: string; token: string; exp: number } {
  assertDemoMode();
  const shop = demoShop();
  const { token, exp } = mintDemoSessionToken({
    shop,
    apiKey: env.SHOPIFY_API_KEY ?? "",
    apiSecret: env.SHOPIFY_API_SECRET ?? "",
  });
  return { shop, token, exp };
}

/** Shopify's `host` param: base64 of `admin.shopify.com/store/<name>`. */
export function demoHost(shop: string): string {
  return Buffer.from(`admin.shopify.com/store/${shop.replace(/\.myshopify\.com$/, "")}`).toString("base64");
}

/**
 * Keep only same-app paths under /app as a return target (no open redirect); default `/app`.
 */
export function safeAppPath(raw: string | null | undefined): string {
  if (!raw) return "/app";
  if (!/^\/app(\/[A-Za-z0-9._~\-/]*)?(\?[^#]*)?$/.test(raw) || raw.includes("//")) return "/app";
  return raw;
}

/**
 * The URL Shopify Admin would load in its iframe: `<path>?embedded=1&shop&host&id_token` plus the
 * path's own query (minus any stale auth params).
 */
export function demoEmbeddedUrl(path: string, shop: string, token: string): string {
  const target = new URL(safeAppPath(path), "http://app.invalid");
  for (const k of ["embedded", "shop", "host", "id_token", "session", "hmac", "timestamp"])
    target.searchParams.delete(k);
  target.searchParams.set("embedded", "1");
  target.searchParams.set("shop", shop);
  target.searchParams.set("host", demoHost(shop));
  target.searchParams.set("id_token", token);
  return `${target.pathname}?${target.searchParams.toString()}`;
}

/**
 * Demo only: a full page load of an /app page without Shopify's params (a reload after client-side
 * navigation, a typed URL) goes back through /demo/admin instead of the login page. No-op otherwise.
 */
export function demoReentryRedirect(request: Request): void {
  if (!isDemoMode() || request.headers.get("authorization")) return;
  const url = new URL(request.url);
  if (url.searchParams.get("shop") || url.searchParams.has("_data")) return;
  const path = `${url.pathname}${url.search}`;
  throw redirect(`/demo/admin?return=${encodeURIComponent(path)}`);
}
