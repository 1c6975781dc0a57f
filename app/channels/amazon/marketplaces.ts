/**
 * Amazon marketplaces a seller can connect, and the regional endpoints that serve them.
 *
 * Sources: the Selling Partner API "Marketplace IDs" page (developer-docs.amazon.com/sp-api/docs/marketplace-ids)
 * for the ids and Seller Central URLs, and `sellingPartnerRegions` of `@sp-api-sdk/common` 4.0.4 for the SP-API
 * endpoint of each region. Login with Amazon's token endpoint is one for every region
 * (`https://api.amazon.com/auth/o2/token`, the SP-API "Connecting to the Selling Partner API" page).
 */
import type { SellingPartnerRegion } from "@sp-api-sdk/common";

export interface Marketplace {
  id: string;
  /** Two-letter country code. */
  country: string;
  name: string;
  region: SellingPartnerRegion;
  currency: string;
  /** Seller Central of the marketplace (the website authorisation workflow's consent page lives there). */
  sellerCentral: string;
}

/** The marketplaces offered on the Connect Amazon form. */
export const MARKETPLACES: readonly Marketplace[] = [
  {
    id: "ATVPDKIKX0DER",
    country: "US",
    name: "Amazon.com",
    region: "na",
    currency: "USD",
    sellerCentral: "https://sellercentral.amazon.com",
  },
  {
    id: "A2EUQ1WTGCTBG2",
    country: "CA",
    name: "Amazon.ca",
    region: "na",
    currency: "CAD",
    sellerCentral: "https://sellercentral.amazon.ca",
  },
  {
    id: "A1AM78C64UM0Y8",
    country: "MX",
    name: "Amazon.com.mx",
    region: "na",
    currency: "MXN",
    sellerCentral: "https://sellercentral.amazon.com.mx",
  },
  {
    id: "A1F83G8C2ARO7P",
    country: "GB",
    name: "Amazon.co.uk",
    region: "eu",
    currency: "GBP",
    sellerCentral: "https://sellercentral-europe.amazon.com",
  },
  {
    id: "A1PA6795UKMFR9",
    country: "DE",
    name: "Amazon.de",
    region: "eu",
    currency: "EUR",
    sellerCentral: "https://sellercentral-europe.amazon.com",
  },
  {
    id: "A13V1IB3VIYZZH",
    country: "FR",
    name: "Amazon.fr",
    region: "eu",
    currency: "EUR",
    sellerCentral: "https://sellercentral-europe.amazon.com",
  },
  {
    id: "APJ6JRA9NG5V4",
    country: "IT",
    name: "Amazon.it",
    region: "eu",
    currency: "EUR",
    sellerCentral: "https://sellercentral-europe.amazon.com",
  },
  {
    id: "A1RKKUPIHCS9HS",
    country: "ES",
    name: "Amazon.es",
    region: "eu",
    currency: "EUR",
    sellerCentral: "https://sellercentral-europe.amazon.com",
  },
  {
    id: "A1VC38T7YXB528",
    country: "JP",
    name: "Amazon.co.jp",
    region: "fe",
    currency: "JPY",
    sellerCentral: "https://sellercentral.amazon.co.jp",
  },
  {
    id: "A39IBJ37TRP1C6",
    country: "AU",
    name: "Amazon.com.au",
    region: "fe",
    currency: "AUD",
    sellerCentral: "https://sellercentral.amazon.com.au",
  },
];

/** The marketplace of `id`, or undefined. */
export function marketplaceById(id: string): Marketplace | undefined {
  return MARKETPLACES.find((m) => m.id === id);
}

/** The production SP-API endpoint of a region (`@sp-api-sdk/common`'s table, loaded on first use: decision 071). */
export async function regionEndpoint(region: SellingPartnerRegion): Promise<string> {
  const { sellingPartnerRegions } = await import("@sp-api-sdk/common");
  return sellingPartnerRegions[region].endpoints.production;
}

/** Login with Amazon's token endpoint. */
export const LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token";
