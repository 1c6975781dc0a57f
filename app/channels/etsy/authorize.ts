/**
 * Etsy's OAuth 2.0 authorization code grant with PKCE (Etsy "Authentication" essentials) as the port's
 * `ChannelAuthorizationFlow` (`pkce: true`: the engine keeps the verifier server-side with the one-time state,
 * app/sync/stores/authorize.server.ts):
 * 1. SyncFlow sends the seller to `https://www.etsy.com/oauth/connect` with the keystring, the redirect URI, the scopes
 *    (./oauth.ts `ETSY_SCOPES`), `state` and the S256 challenge of the verifier;
 * 2. the seller signs in and approves; Etsy redirects to the redirect URI with `code` and `state`;
 * 3. SyncFlow exchanges the code with the verifier for tokens, reads the seller's shop (getMe → `shop_id`; an Etsy
 *    account owns one shop, so the shop is chosen by the account the seller signs in with) and its name and currency.
 * The channel's `baseUrl` is `https://www.etsy.com/shop/<name>?shop_id=<id>`: one channel per Etsy shop.
 */
import { ChannelError } from "../channel";
import type { ChannelAuthorizationFlow } from "../sales-channel";
import type { EtsyCredentials } from "./etsy-channel.server";
import { ETSY_API_BASE, ETSY_CONSENT_URL, ETSY_SCOPES, ETSY_TOKEN_URL, exchangeCode } from "./oauth";

export interface EtsyAuthorizationConfig {
  keystring?: string;
  sharedSecret?: string;
  /** Overrides (the emulator): consent page, API base, token URL. */
  consentUrl?: string;
  apiBase?: string;
  tokenUrl?: string;
}

/** The one "market" of Etsy (a seller's account owns one shop; the shop is read after consent). */
export const ETSY_MARKET = "etsy";

/** The Etsy authorisation flow for the application's configuration (read from env by the registry). */
export function etsyAuthorization(config: () => EtsyAuthorizationConfig): ChannelAuthorizationFlow {
  return {
    pkce: true,
    description:
      "Etsy takes absolute quantities only (last writer wins), and each listing's inventory is written whole, so SyncFlow protects it with its buffer and reconciliation, not compare-and-set — or, with “Reserve this store’s stock” on in Settings, with an allocation only Etsy can sell (exact by allocation); a change to one variation keeps the others as Etsy holds them. Receipts are polled, and how often depends on Etsy's daily request limit, which every SyncFlow merchant shares.",
    configured: () => {
      const c = config();
      return !!(c.keystring && c.sharedSecret);
    },
    markets: [{ id: ETSY_MARKET, name: "Etsy (the shop of the account you sign in with)" }],
    consentUrl({ state, redirectUri, market, codeChallenge }) {
      if (market !== ETSY_MARKET)
        throw new ChannelError("BAD_REQUEST", `unknown Etsy market "${market}"`, { retryable: false });
      if (!codeChallenge)
        throw new ChannelError("BAD_REQUEST", "Etsy needs a PKCE code challenge", { retryable: false });
      const c = config();
      const u = new URL(c.consentUrl ?? ETSY_CONSENT_URL);
      u.searchParams.set("response_type", "code");
      u.searchParams.set("client_id", c.keystring ?? "");
      u.searchParams.set("redirect_uri", redirectUri);
      u.searchParams.set("scope", ETSY_SCOPES.join(" "));
      u.searchParams.set("state", state);
      u.searchParams.set("code_challenge", codeChallenge);
      u.searchParams.set("code_challenge_method", "S256");
      return u.toString();
    },
    async complete({ query, redirectUri, codeVerifier }) {
      const c = config();
      const code = query.get("code");
      if (!code || !codeVerifier)
        throw new ChannelError("BAD_REQUEST", "Etsy's answer is missing its authorisation code", { retryable: false });
      const tokenUrl = c.tokenUrl ?? ETSY_TOKEN_URL;
      const apiBase = c.apiBase ?? ETSY_API_BASE;
      const tokens = await exchangeCode(tokenUrl, {
        keystring: c.keystring ?? "",
        code,
        redirectUri,
        verifier: codeVerifier,
      });
      const get = async <T>(path: string): Promise<T> => {
        const res = await fetch(new URL(path, apiBase), {
          headers: { "x-api-key": `${c.keystring}:${c.sharedSecret}`, authorization: `Bearer ${tokens.accessToken}` },
          signal: AbortSignal.timeout(15_000),
        }).catch((err: Error) => {
          throw new ChannelError("NETWORK", `Etsy unreachable: ${err.message}`, { cause: err });
        });
        const body = (await res.json().catch(() => ({}))) as T & { error?: string };
        if (!res.ok)
          throw new ChannelError(res.status >= 500 ? "SERVER" : "AUTH", `Etsy ${path}: ${body.error ?? res.status}`, {
            status: res.status,
            retryable: res.status >= 500,
          });
        return body;
      };
      const me = await get<{ user_id?: number; shop_id?: number | null }>("/v3/application/users/me");
      if (!me.shop_id)
        throw new ChannelError(
          "BAD_REQUEST",
          "This Etsy account has no shop. Sign in with the account that owns the shop.",
          {
            retryable: false,
          },
        );
      const shop = await get<{ shop_name?: string; currency_code?: string }>(`/v3/application/shops/${me.shop_id}`);
      const shopName = shop.shop_name ?? String(me.shop_id);
      const credentials: EtsyCredentials = {
        refreshToken: tokens.refreshToken,
        // Stored with the refresh token, so the first hour needs no refresh (which would rotate the refresh token).
        accessToken: tokens.accessToken,
        accessTokenExpiresAt: Date.now() + tokens.expiresInMs,
        userId: me.user_id ?? Number(tokens.accessToken.split(".")[0]),
        shopId: me.shop_id,
        shopName,
        currency: shop.currency_code ?? "USD",
        apiBase,
        tokenUrl,
      };
      return {
        credentials,
        baseUrl: `https://www.etsy.com/shop/${encodeURIComponent(shopName)}?shop_id=${me.shop_id}`,
        name: `Etsy · ${shopName}`,
      };
    },
  };
}
