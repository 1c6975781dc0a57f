/**
 * Redaction for logs: request lines and error text must not carry credentials (issue 13, finding "request
 * logs include OAuth codes and id_token"; docs/security.md §Logs).
 */

/**
 * Query parameters whose values are credentials or one-time proofs: Shopify's OAuth `code`, `hmac`,
 * `id_token`, `session`, `state`, `host`-less tokens; WooCommerce's `consumer_key`/`consumer_secret` and
 * OAuth 1.0a `oauth_signature`; Google's `code`; anything named like a token, secret, signature or password.
 */
const SENSITIVE =
  /^(code|hmac|id_token|session|state|token|access_token|refresh_token|signature|oauth_signature|oauth_token|consumer_key|consumer_secret|password|secret|key)$|token|secret|signature|password/i;

/**
 * The URL (path + query, or absolute) with the value of every sensitive query parameter replaced by
 * `[redacted]`. Never throws: an unparseable URL is cut at its `?`.
 * @param url e.g. `/auth/callback?code=abc&shop=x.myshopify.com` → `/auth/callback?code=[redacted]&shop=x.myshopify.com`
 */
export function redactUrl(url: string | undefined | null): string {
  if (!url) return "";
  const q = url.indexOf("?");
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SENSITIVE.test(decoded) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${parts.join("&")}`;
}
