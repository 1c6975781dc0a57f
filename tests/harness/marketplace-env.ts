/**
 * The app's environment for the emulated marketplaces (issue 16): the application keys and every endpoint the Amazon
 * and Etsy adapters call, pointed at a running emulator. One place for the integration suites and the browser test.
 * In: a started emulator's `url` and keys. Out: env entries (strings) for `startApp` / `startOnboardedWorld({ appEnv })`.
 */
export function amazonAppEnv(amazon: {
  url: string;
  clientId: string;
  clientSecret: string;
  applicationId: string;
}): Record<string, string> {
  return {
    AMAZON_LWA_CLIENT_ID: amazon.clientId,
    AMAZON_LWA_CLIENT_SECRET: amazon.clientSecret,
    AMAZON_SP_APP_ID: amazon.applicationId,
    AMAZON_CONSENT_BASE_URL: amazon.url,
    AMAZON_SP_API_ENDPOINT: amazon.url,
    AMAZON_LWA_TOKEN_URL: `${amazon.url}/auth/o2/token`,
  };
}

/** As `amazonAppEnv`, for the Etsy emulator (Open API v3 base, OAuth consent and token endpoints). */
export function etsyAppEnv(etsy: { url: string; keystring: string; sharedSecret: string }): Record<string, string> {
  return {
    ETSY_KEYSTRING: etsy.keystring,
    ETSY_SHARED_SECRET: etsy.sharedSecret,
    ETSY_CONSENT_URL: `${etsy.url}/oauth/connect`,
    ETSY_API_BASE: etsy.url,
    ETSY_TOKEN_URL: `${etsy.url}/v3/public/oauth/token`,
  };
}
