/**
 * Shopify session tokens (App Bridge ID tokens): JWT, HS256-signed with the app's API secret.
 * Claims per https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens :
 * iss = https://<shop>/admin, dest = https://<shop>, aud = API key, sub = user id, exp/nbf/iat (s), jti, sid.
 */
import crypto from "node:crypto";

const b64url = (buf: Buffer | string) => Buffer.from(buf).toString("base64url");

/**
 * Mint a session token for `shop` signed with `apiSecret` (HS256).
 * @param opts.userId Shopify staff user id (default "1"); opts.ttlSec lifetime in seconds (default 60).
 * @returns the compact JWT string.
 */
export function mintSessionToken(opts: {
  apiKey: string;
  apiSecret: string;
  shop: string;
  userId?: string | number;
  ttlSec?: number;
}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "HS256", typ: "JWT" };
  const payload = {
    iss: `https://${opts.shop}/admin`,
    dest: `https://${opts.shop}`,
    aud: opts.apiKey,
    sub: String(opts.userId ?? "1"),
    exp: now + (opts.ttlSec ?? 60),
    nbf: now - 1,
    iat: now - 1,
    jti: crypto.randomUUID(),
    sid: crypto.randomBytes(16).toString("hex"),
  };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = crypto.createHmac("sha256", opts.apiSecret).update(signingInput).digest("base64url");
  return `${signingInput}.${sig}`;
}

/** Decoded claims of a session token. */
export interface SessionTokenClaims {
  iss: string;
  dest: string;
  aud: string;
  sub?: string;
  exp: number;
  nbf: number;
  iat: number;
  jti?: string;
  sid?: string;
}

/**
 * Verify an HS256 session token: signature with `apiSecret`, `aud` = apiKey, exp/nbf with 10 s clock
 * tolerance (as @shopify/shopify-api does). Returns the claims or throws Error with the reason.
 */
export function verifySessionToken(token: string, apiKey: string, apiSecret: string): SessionTokenClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("malformed JWT");
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: string };
  if (header.alg !== "HS256") throw new Error("unsupported alg");
  const expected = crypto.createHmac("sha256", apiSecret).update(`${h}.${p}`).digest();
  const got = Buffer.from(s, "base64url");
  if (got.length !== expected.length || !crypto.timingSafeEqual(got, expected)) throw new Error("bad signature");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as SessionTokenClaims;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== "number" || claims.exp + 10 < now) throw new Error("token expired");
  if (typeof claims.nbf === "number" && claims.nbf - 10 > now) throw new Error("token not yet valid");
  if (claims.aud !== apiKey) throw new Error("wrong audience");
  return claims;
}
