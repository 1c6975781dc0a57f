/**
 * Login with Amazon (LWA) tokens for the Selling Partner API.
 *
 * `@sp-api-sdk/auth` 3.1.4 refreshes tokens only against the fixed `https://api.amazon.com/auth/` (a module-level axios
 * instance) and has no authorization_code grant, so the two grants SyncFlow needs are made here, to the LWA contract
 * (SP-API docs "Connecting to the Selling Partner API" step 1 and "Authorizing Selling Partner API applications",
 * step 4 of the website workflow): `POST <token url>` with `grant_type`, `client_id`, `client_secret` and either
 * `code` + `redirect_uri` or `refresh_token`; the answer is `{ access_token, refresh_token, token_type, expires_in }`
 * (seconds). Errors: ChannelError AUTH for `invalid_grant` / `invalid_client` (not retryable), NETWORK / SERVER /
 * THROTTLED otherwise.
 */
import { createHash } from "node:crypto";
import { oauthTokenGrant, type OAuthTokens } from "../oauth-grant";

export interface LwaClient {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

export type LwaTokens = OAuthTokens;

// A refresh token LWA refuses with invalid_grant (revoked by the seller, or expired) is AUTH `revoked`: only a new
// authorisation helps (app/channels/oauth-grant.ts).
const grant = (client: LwaClient, params: Record<string, string>): Promise<LwaTokens> =>
  oauthTokenGrant("Login with Amazon", client.tokenUrl, {
    ...params,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });

/** Website authorisation step 4: the `spapi_oauth_code` (valid 5 minutes) for a refresh token. */
export function exchangeAuthorizationCode(client: LwaClient, code: string, redirectUri: string): Promise<LwaTokens> {
  return grant(client, { grant_type: "authorization_code", code, redirect_uri: redirectUri });
}

const cache = new Map<string, { token: string; expiresAt: number; pending?: Promise<string> }>();

/**
 * A valid access token for a refresh token (cached per process until 60 s before it expires; concurrent callers share
 * one request).
 */
export async function accessTokenFor(client: LwaClient, refreshToken: string): Promise<string> {
  const key = createHash("sha256").update(`${client.tokenUrl}\n${client.clientId}\n${refreshToken}`).digest("hex");
  const hit = cache.get(key);
  if (hit && hit.expiresAt - 60_000 > Date.now()) return hit.token;
  if (hit?.pending) return hit.pending;
  const pending = grant(client, { grant_type: "refresh_token", refresh_token: refreshToken }).then(
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

/** Forgets the cached access token of a refresh token (after the API refused it). */
export function forgetAccessToken(client: LwaClient, refreshToken: string): void {
  cache.delete(createHash("sha256").update(`${client.tokenUrl}\n${client.clientId}\n${refreshToken}`).digest("hex"));
}
