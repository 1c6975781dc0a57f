/**
 * Amazon's website authorisation workflow (SP-API docs "Authorizing Selling Partner API applications" → "Website
 * authorization workflow"), as the port's `ChannelAuthorizationFlow`:
 * 1. SyncFlow sends the seller to `<Seller Central of the marketplace>/apps/authorize/consent?application_id=…&state=…
 *    &redirect_uri=…` (`version=beta` only while the application is in draft: `AMAZON_SP_APP_DRAFT`);
 * 2. the seller consents; Amazon redirects to `redirect_uri` with `state`, `selling_partner_id` and
 *    `spapi_oauth_code` (valid 5 minutes);
 * 3. SyncFlow exchanges the code at Login with Amazon (`grant_type=authorization_code`, ./lwa.ts) for a refresh token,
 *    stored encrypted with the seller id and the marketplace the merchant chose.
 * The channel's `baseUrl` is `<Seller Central>/?seller=<id>&marketplace=<id>`: one channel per seller and marketplace.
 */
import { ChannelError } from "../channel";
import type { ChannelAuthorizationFlow } from "../sales-channel";
import type { AmazonCredentials } from "./amazon-channel.server";
import { exchangeAuthorizationCode } from "./lwa";
import { LWA_TOKEN_URL, MARKETPLACES, marketplaceById, regionEndpoint } from "./marketplaces";

export interface AmazonAuthorizationConfig {
  clientId?: string;
  clientSecret?: string;
  applicationId?: string;
  /** Draft applications authorise with `version=beta`. */
  draft?: boolean;
  /** Overrides (the emulator): consent page base, SP-API endpoint, LWA token URL. */
  consentBaseUrl?: string;
  endpoint?: string;
  lwaTokenUrl?: string;
}

/** The SP-API regions as the merchant reads them (one connection's marketplaces are of one). */
const REGION_NAMES: Record<string, string> = { na: "North America", eu: "Europe", fe: "Far East" };

/** The Amazon authorisation flow for the application's configuration (read from env by the registry). */
export function amazonAuthorization(config: () => AmazonAuthorizationConfig): ChannelAuthorizationFlow {
  const market = (id: string) => {
    const m = marketplaceById(id);
    if (!m) throw new ChannelError("BAD_REQUEST", `unknown Amazon marketplace "${id}"`, { retryable: false });
    return m;
  };
  /**
   * The chosen marketplaces ("id" or "id,id,…", primary first): every one known and all of one region — a unified
   * account's marketplaces share one SP-API endpoint and one merchant-fulfilled stock (decision 276).
   */
  const markets = (ids: string) => {
    const ms = ids.split(",").filter(Boolean).map(market);
    if (!ms.length) throw new ChannelError("BAD_REQUEST", "choose an Amazon marketplace", { retryable: false });
    if (ms.some((x) => x.region !== ms[0]!.region))
      throw new ChannelError(
        "BAD_REQUEST",
        "Amazon marketplaces of one connection must be of one region (North America, Europe or Far East)",
        { retryable: false },
      );
    return ms;
  };
  return {
    configured: () => {
      const c = config();
      return !!(c.clientId && c.clientSecret && c.applicationId);
    },
    markets: MARKETPLACES.map((m) => ({ id: m.id, name: `${m.name} (${m.country}) — ${REGION_NAMES[m.region]}` })),
    consentUrl({ state, redirectUri, market: marketIds }) {
      const c = config();
      const m = markets(marketIds)[0]!;
      const u = new URL("/apps/authorize/consent", c.consentBaseUrl ?? m.sellerCentral);
      u.searchParams.set("application_id", c.applicationId ?? "");
      u.searchParams.set("state", state);
      u.searchParams.set("redirect_uri", redirectUri);
      if (c.draft) u.searchParams.set("version", "beta");
      return u.toString();
    },
    async complete({ query, redirectUri, market: marketIds }) {
      const c = config();
      const all = markets(marketIds);
      const m = all[0]!;
      const code = query.get("spapi_oauth_code");
      const seller = query.get("selling_partner_id");
      if (!code || !seller || !/^[A-Z0-9]{5,20}$/.test(seller))
        throw new ChannelError("BAD_REQUEST", "Amazon's answer is missing its authorisation code or seller id", {
          retryable: false,
        });
      const lwaTokenUrl = c.lwaTokenUrl ?? LWA_TOKEN_URL;
      const tokens = await exchangeAuthorizationCode(
        { tokenUrl: lwaTokenUrl, clientId: c.clientId ?? "", clientSecret: c.clientSecret ?? "" },
        code,
        redirectUri,
      );
      const credentials: AmazonCredentials = {
        refreshToken: tokens.refreshToken,
        sellingPartnerId: seller,
        marketplaceId: m.id,
        ...(all.length > 1 ? { marketplaceIds: all.map((x) => x.id) } : {}),
        endpoint: c.endpoint ?? (await regionEndpoint(m.region)),
        lwaTokenUrl,
      };
      return {
        credentials,
        baseUrl: `${m.sellerCentral}/?seller=${seller}&marketplace=${m.id}`,
        name: `Amazon ${all.map((x) => x.name).join(" + ")} · ${seller}`,
      };
    },
  };
}
