/**
 * Etsy OAuth 2.0 (authorization code grant with PKCE) — Etsy "Authentication" essentials, as Open API v3 serves it:
 * - consent: `https://www.etsy.com/oauth/connect?response_type=code&client_id=<keystring>&redirect_uri=…&scope=…
 *   &state=…&code_challenge=<S256 of the verifier>&code_challenge_method=S256`;
 * - token: `POST https://api.etsy.com/v3/public/oauth/token` (form) with `grant_type=authorization_code`, `client_id`,
 *   `redirect_uri`, `code`, `code_verifier`; or `grant_type=refresh_token`, `client_id`, `refresh_token`. The answer is
 *   `{ access_token: "<user_id>.<…>", token_type: "Bearer", expires_in: 3600, refresh_token }` — access tokens last
 *   one hour, refresh tokens 90 days, and every refresh answers a NEW refresh token that replaces the one sent (Etsy
 *   rotates them: the old one is refused from then on — docs/decisions/305). The caller must store the new one before
 *   the next refresh; the adapter does it through the port's credential store (etsy-channel.server.ts).
 * Errors: ChannelError AUTH for `invalid_grant` / `invalid_client` (not retryable: the merchant must connect again),
 * THROTTLED for 429, SERVER for 5xx, NETWORK when unreachable.
 */
import { oauthTokenGrant, type OAuthTokens } from "../oauth-grant";

/** Production hosts (Etsy "Authentication" / "Requests"). */
export const ETSY_CONSENT_URL = "https://www.etsy.com/oauth/connect";
export const ETSY_TOKEN_URL = "https://api.etsy.com/v3/public/oauth/token";
export const ETSY_API_BASE = "https://openapi.etsy.com";
/** Scopes SyncFlow asks for: read listings, write inventory, read receipts, read the shop. */
export const ETSY_SCOPES = ["listings_r", "listings_w", "transactions_r", "shops_r"] as const;

export type EtsyTokens = OAuthTokens;

const ETSY_TOKEN_ENDPOINT = "Etsy's token endpoint";

/** The consent's `code` (with the PKCE verifier kept server-side) for tokens. */
export function exchangeCode(
  tokenUrl: string,
  input: { keystring: string; code: string; redirectUri: string; verifier: string },
): Promise<EtsyTokens> {
  return oauthTokenGrant(ETSY_TOKEN_ENDPOINT, tokenUrl, {
    grant_type: "authorization_code",
    client_id: input.keystring,
    redirect_uri: input.redirectUri,
    code: input.code,
    code_verifier: input.verifier,
  });
}

/**
 * One refresh: a new access token (one hour) AND a new refresh token, which replaces `refreshToken` — store it before
 * anything else (the old one is refused from now on). Throws ChannelError AUTH `revoked` when Etsy refuses the refresh
 * token (revoked, expired after 90 days, or already rotated away): the merchant must connect Etsy again.
 */
export function refreshEtsyTokens(tokenUrl: string, keystring: string, refreshToken: string): Promise<EtsyTokens> {
  return oauthTokenGrant(ETSY_TOKEN_ENDPOINT, tokenUrl, {
    grant_type: "refresh_token",
    client_id: keystring,
    refresh_token: refreshToken,
  });
}
