/**
 * Etsy OAuth 2.0 (authorization code grant with PKCE) — Etsy "Authentication" essentials, as Open API v3 serves it:
 * - consent: `https://www.etsy.com/oauth/connect?response_type=code&client_id=<keystring>&redirect_uri=…&scope=…
 *   &state=…&code_challenge=<S256 of the verifier>&code_challenge_method=S256`;
 * - token: `POST https://api.etsy.com/v3/public/oauth/token` (form) with `grant_type=authorization_code`, `client_id`,
 *   `redirect_uri`, `code`, `code_verifier`; or `grant_type=refresh_token`, `client_id`, `refresh_token`. The answer is
 *   `{ access_token: "<user_id>.<…>", token_type: "Bearer", expires_in: 3600, refresh_token }` — access tokens last
 *   one hour, refresh tokens 90 days.
 * Errors: ChannelError AUTH for `invalid_grant` / `invalid_client` (not retryable: the merchant must connect again),
 * THROTTLED for 429, SERVER for 5xx, NETWORK when unreachable.
 */
import { createHash } from "node:crypto";
import { ChannelError } from "../channel";

/** Production hosts (Etsy "Authentication" / "Requests"). */
export const ETSY_CONSENT_URL = "https://www.etsy.com/oauth/connect";
export const ETSY_TOKEN_URL = "https://api.etsy.com/v3/public/oauth/token";
export const ETSY_API_BASE = "https://openapi.etsy.com";
/** Scopes SyncFlow asks for: read listings, write inventory, read receipts, read the shop. */
export const ETSY_SCOPES = ["listings_r", "listings_w", "transactions_r", "shops_r"] as const;

export interface EtsyTokens {
  accessToken: string;
  refreshToken: string;
  /** Lifetime of the access token (ms). */
  expiresInMs: number;
}

async function grant(tokenUrl: string, params: Record<string, string>, timeoutMs = 15_000): Promise<EtsyTokens> {
  let res: Response;
  try {
    res = await fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ChannelError("NETWORK", `Etsy's token endpoint unreachable: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON: reported below */
  }
  if (res.ok && typeof body.access_token === "string")
    return {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : (params.refresh_token ?? ""),
      expiresInMs: (typeof body.expires_in === "number" ? body.expires_in : 3600) * 1000,
    };
  const reason = `${String(body.error ?? res.status)}: ${String(body.error_description ?? text.slice(0, 200))}`;
  if (res.status === 429)
    throw new ChannelError("THROTTLED", `Etsy throttled the token request (${reason})`, { retryAfterMs: 1000 });
  if (res.status >= 500)
    throw new ChannelError("SERVER", `Etsy's token endpoint failed (${reason})`, { status: res.status });
  throw new ChannelError("AUTH", `Etsy refused the grant (${reason})`, {
    status: res.status,
    retryable: false,
    // A refresh token the seller revoked (or that expired after 90 days) answers invalid_grant: only a new
    // authorisation helps (the poll job marks the channel failing and stops polling it, decision 277).
    revoked: params.grant_type === "refresh_token" && body.error === "invalid_grant",
  });
}

/** The consent's `code` (with the PKCE verifier kept server-side) for tokens. */
export function exchangeCode(
  tokenUrl: string,
  input: { keystring: string; code: string; redirectUri: string; verifier: string },
): Promise<EtsyTokens> {
  return grant(tokenUrl, {
    grant_type: "authorization_code",
    client_id: input.keystring,
    redirect_uri: input.redirectUri,
    code: input.code,
    code_verifier: input.verifier,
  });
}

const cache = new Map<string, { token: string; expiresAt: number; pending?: Promise<string> }>();
const keyOf = (tokenUrl: string, keystring: string, refreshToken: string) =>
  createHash("sha256").update(`${tokenUrl}\n${keystring}\n${refreshToken}`).digest("hex");

/**
 * A valid access token for a refresh token: cached per process until 60 s before it expires (Etsy's last one hour);
 * concurrent callers share one request. Throws AUTH when Etsy refuses the refresh token (revoked, expired after 90
 * days): the merchant must connect Etsy again.
 */
export async function etsyAccessToken(tokenUrl: string, keystring: string, refreshToken: string): Promise<string> {
  const key = keyOf(tokenUrl, keystring, refreshToken);
  const hit = cache.get(key);
  if (hit && hit.expiresAt - 60_000 > Date.now()) return hit.token;
  if (hit?.pending) return hit.pending;
  const pending = grant(tokenUrl, {
    grant_type: "refresh_token",
    client_id: keystring,
    refresh_token: refreshToken,
  }).then(
    (t) => {
      cache.set(key, { token: t.accessToken, expiresAt: Date.now() + t.expiresInMs });
      return t.accessToken;
    },
    (err) => {
      cache.delete(key);
      throw err;
    },
  );
  cache.set(key, { token: "", expiresAt: 0, pending });
  return pending;
}

/** Forgets a cached access token (after the API answered 401 with it). */
export function forgetEtsyAccessToken(tokenUrl: string, keystring: string, refreshToken: string): void {
  cache.delete(keyOf(tokenUrl, keystring, refreshToken));
}
