/**
 * OAuth 1.0a "one-legged" verification exactly as WooCommerce does it for plain-HTTP REST requests.
 *
 * Encodes `WC_REST_Authentication::perform_oauth_authentication()` / `check_oauth_signature()` /
 * `join_with_equals_sign()` / `normalize_parameters()` / `check_oauth_timestamp_and_nonce()`
 * (woocommerce/woocommerce, plugins/woocommerce/includes/class-wc-rest-authentication.php):
 *  - parameters come from the query string ($_GET), a form body ($_POST) and an `Authorization: OAuth` header;
 *  - the five oauth_* parameters are required once any is present; none present = "not using OAuth";
 *  - string to sign = METHOD & rawurlencode(home_url + path) & join('%26', rawurlencode(rawurlencode(k)=rawurlencode(v)))
 *    with keys sorted by strcmp before encoding; nested `a[b]` keys become `a%5Bb%5D`;
 *  - HMAC-SHA1 or HMAC-SHA256 with key `consumer_secret + "&"`, base64, compared in constant time;
 *  - timestamp within ±15 min; nonce not reused within 15 min (per key).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** PHP rawurlencode(): RFC 3986, everything but A-Za-z0-9-_.~ is %XX (uppercase). */
export function phpRawUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** PHP urldecode() of one query component ("+" is a space). Invalid escapes are kept as-is. */
export function phpUrlDecode(s: string): string {
  const t = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(t);
  } catch {
    return t;
  }
}

/** A PHP superglobal-like map: `a[b]=c` becomes `{a: {b: "c"}}`. */
export type PhpParams = Record<string, string | Record<string, string>>;

/** Parses an application/x-www-form-urlencoded string the way PHP fills $_GET/$_POST (one nesting level). */
export function parsePhpQuery(qs: string): PhpParams {
  const out: PhpParams = {};
  if (!qs) return out;
  for (const part of qs.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const rawKey = phpUrlDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : phpUrlDecode(part.slice(eq + 1));
    const m = /^([^[\]]+)\[([^\]]*)\]$/.exec(rawKey);
    if (m) {
      const cur = out[m[1]];
      const obj = typeof cur === "object" ? cur : {};
      const inner = m[2] === "" ? String(Object.keys(obj).length) : m[2];
      obj[inner] = value;
      out[m[1]] = obj;
    } else out[rawKey] = value;
  }
  return out;
}

/** Parses `Authorization: OAuth k="v", ...` like WC_REST_Authentication::parse_header(). */
export function parseOAuthHeader(header: string | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  if (!header || !header.trim().startsWith("OAuth ")) return params;
  const re = /(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) params[m[1]] = phpUrlDecode(m[3] ? m[3] : (m[4] ?? ""));
  return params;
}

/** Builds WooCommerce's string-to-sign (see module doc). `baseUrl` = home_url + request path, no query. */
export function wooStringToSign(method: string, baseUrl: string, params: PhpParams): string {
  const keys = Object.keys(params)
    .filter((k) => k !== "oauth_signature")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const pairs: string[] = [];
  for (const k of keys) {
    const v = params[k];
    const ek = phpRawUrlEncode(k);
    if (typeof v === "object") {
      for (const [ik, iv] of Object.entries(v)) pairs.push(phpRawUrlEncode(`${ek}%5B${ik}%5D=${phpRawUrlEncode(iv)}`));
    } else pairs.push(phpRawUrlEncode(`${ek}=${phpRawUrlEncode(v)}`));
  }
  return `${method.toUpperCase()}&${phpRawUrlEncode(baseUrl)}&${pairs.join("%26")}`;
}

/** A REST API key as stored by WooCommerce (woocommerce_api_keys row). */
export interface WooApiKey {
  keyId: number;
  consumerKey: string;
  consumerSecret: string;
  permissions: "read" | "write" | "read_write";
  /** nonce -> timestamp (s) of use; pruned after 15 min. */
  nonces: Map<string, number>;
}

/** Outcome of authentication: user identified, not attempted, or a WooCommerce WP_Error-like failure. */
export type OAuthResult =
  { kind: "none" } | { kind: "ok"; key: WooApiKey } | { kind: "error"; code: string; message: string; status: 401 };

const REQUIRED = ["oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"];

/**
 * Verifies a plain-HTTP request. Inputs: method, `baseUrl` (site URL the store knows itself by + path),
 * merged params (query + form body + OAuth header), the key table, and now (ms).
 * Returns {kind:"none"} when no oauth_* parameter is present (WooCommerce then treats the caller as logged
 * out and the route's permission check answers 401 woocommerce_rest_cannot_*). Never throws.
 */
export function verifyWooOAuth(
  method: string,
  baseUrl: string,
  params: PhpParams,
  keys: Map<string, WooApiKey>,
  nowMs: number,
): OAuthResult {
  const missing = REQUIRED.filter((n) => !params[n]);
  if (missing.length === REQUIRED.length) return { kind: "none" };
  if (missing.length)
    return {
      kind: "error",
      code: "woocommerce_rest_authentication_missing_parameter",
      message: `Missing OAuth parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
      status: 401,
    };
  const str = (k: string) => (typeof params[k] === "string" ? (params[k] as string) : "");
  const key = keys.get(str("oauth_consumer_key"));
  if (!key)
    return {
      kind: "error",
      code: "woocommerce_rest_authentication_error",
      message: "Consumer key is invalid.",
      status: 401,
    };
  const sigMethod = str("oauth_signature_method");
  if (sigMethod !== "HMAC-SHA1" && sigMethod !== "HMAC-SHA256")
    return {
      kind: "error",
      code: "woocommerce_rest_authentication_error",
      message: "Invalid signature - signature method is invalid.",
      status: 401,
    };
  const toSign = wooStringToSign(method, baseUrl, params);
  const algo = sigMethod === "HMAC-SHA1" ? "sha1" : "sha256";
  const expected = createHmac(algo, key.consumerSecret + "&")
    .update(toSign)
    .digest("base64");
  const provided = str("oauth_signature").replace(/ /g, "+");
  const a = Buffer.from(expected);
  const b = Buffer.from(provided);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    return {
      kind: "error",
      code: "woocommerce_rest_authentication_error",
      message: "Invalid signature - provided signature does not match.",
      status: 401,
    };
  const ts = Number(str("oauth_timestamp"));
  const now = Math.floor(nowMs / 1000);
  if (!(ts >= now - 900 && ts <= now + 900))
    return { kind: "error", code: "woocommerce_rest_authentication_error", message: "Invalid timestamp.", status: 401 };
  const nonce = str("oauth_nonce");
  for (const [n, t] of key.nonces) if (t < now - 900) key.nonces.delete(n);
  if (key.nonces.has(nonce))
    return {
      kind: "error",
      code: "woocommerce_rest_authentication_error",
      message: "Invalid nonce - nonce has already been used.",
      status: 401,
    };
  key.nonces.set(nonce, ts);
  return { kind: "ok", key };
}

/** Signs a request the way a correct OAuth 1.0a client does for WooCommerce (used by tests). */
export function signWooRequest(
  method: string,
  url: string,
  consumerKey: string,
  consumerSecret: string,
  opts: { signatureMethod?: "HMAC-SHA1" | "HMAC-SHA256"; nonce?: string; timestamp?: number } = {},
): string {
  const u = new URL(url);
  const params = parsePhpQuery(u.search.slice(1));
  const oauth: Record<string, string> = {
    oauth_consumer_key: consumerKey,
    oauth_nonce: opts.nonce ?? Math.random().toString(36).slice(2) + Date.now().toString(36),
    oauth_signature_method: opts.signatureMethod ?? "HMAC-SHA256",
    oauth_timestamp: String(opts.timestamp ?? Math.floor(Date.now() / 1000)),
  };
  Object.assign(params, oauth);
  const toSign = wooStringToSign(method, u.origin + u.pathname, params);
  const sig = createHmac(oauth.oauth_signature_method === "HMAC-SHA1" ? "sha1" : "sha256", consumerSecret + "&")
    .update(toSign)
    .digest("base64");
  for (const [k, v] of Object.entries({ ...oauth, oauth_signature: sig })) u.searchParams.set(k, v);
  return u.toString();
}
