/**
 * PKCE (RFC 7636, "Proof Key for Code Exchange") for OAuth 2.0 authorization code grants SyncFlow starts (Etsy,
 * decision 271): a verifier kept on the server and its S256 challenge sent with the consent request.
 */
import { createHash, randomBytes } from "node:crypto";

/** A fresh verifier: 64 characters of base64url (RFC 7636 §4.1 allows 43–128 of [A-Za-z0-9-._~]). */
export function pkceVerifier(): string {
  return randomBytes(48).toString("base64url");
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2). */
export function pkceChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}
