/**
 * One OAuth 2.0 token request (RFC 6749 §4.1.3 authorization_code, §6 refresh_token) as the marketplaces' token
 * endpoints take it — Login with Amazon (app/channels/amazon/lwa.ts) and Etsy (app/channels/etsy/oauth.ts): a form
 * POST, a JSON answer `{ access_token, refresh_token?, token_type, expires_in }` (seconds), errors
 * `{ error, error_description }`. Shared by both adapters so the request, the answer's reading and the error mapping
 * are written once.
 */
import { ChannelError } from "./channel";

/** The tokens of one grant. */
export interface OAuthTokens {
  accessToken: string;
  /** The refresh token the answer carried, or the one sent when it carried none (LWA keeps it). */
  refreshToken: string;
  /** Lifetime of the access token (ms). */
  expiresInMs: number;
}

/**
 * POSTs `params` (form-encoded) to `tokenUrl`. `who` names the endpoint in errors ("Login with Amazon").
 * @returns the tokens (expires_in defaults to 3,600 s when absent)
 * @throws ChannelError NETWORK (unreachable or timed out), THROTTLED (429, retry after 1 s), SERVER (5xx), AUTH
 *   otherwise — not retryable, `revoked` when a refresh_token grant answers `invalid_grant` (the refresh token was
 *   revoked, expired, or replaced by a rotation): only a new authorisation helps.
 */
export async function oauthTokenGrant(
  who: string,
  tokenUrl: string,
  params: Record<string, string>,
  timeoutMs = 15_000,
): Promise<OAuthTokens> {
  let res: Response;
  try {
    res = await fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
      body: new URLSearchParams(params),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ChannelError("NETWORK", `${who} unreachable: ${(err as Error).message}`, { cause: err });
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
    throw new ChannelError("THROTTLED", `${who} throttled the token request (${reason})`, { retryAfterMs: 1000 });
  if (res.status >= 500) throw new ChannelError("SERVER", `${who} failed (${reason})`, { status: res.status });
  throw new ChannelError("AUTH", `${who} refused the grant (${reason})`, {
    status: res.status,
    retryable: false,
    revoked: params.grant_type === "refresh_token" && body.error === "invalid_grant",
  });
}
