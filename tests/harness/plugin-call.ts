/**
 * Headers of a signed plugin → hub call as plugin ≥ 1.1.0 sends them (woo-plugin/includes/class-syncflow-hub-client.php
 * `signature_headers`; docs/contracts/hub-api-v1.md §2): channel, timestamp, nonce, and base64 HMAC-SHA256 of
 * "<timestamp>.<nonce>.<raw body>" with the store's webhook secret.
 * @param opts.timestamp Unix seconds (default now); opts.nonce (default 32 random hex chars).
 */
import crypto from "node:crypto";

export function signedHeaders(
  channelId: string,
  secret: string,
  raw: string,
  opts: { timestamp?: number; nonce?: string } = {},
): Record<string, string> {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? crypto.randomBytes(16).toString("hex");
  return {
    "X-SyncFlow-Channel": channelId,
    "X-SyncFlow-Timestamp": timestamp,
    "X-SyncFlow-Nonce": nonce,
    "X-SyncFlow-Signature": crypto.createHmac("sha256", secret).update(`${timestamp}.${nonce}.${raw}`).digest("base64"),
  };
}

/** Headers of a plugin 1.0.0 call: body-only signature, no timestamp or nonce. */
export function legacySignedHeaders(channelId: string, secret: string, raw: string): Record<string, string> {
  return {
    "X-SyncFlow-Channel": channelId,
    "X-SyncFlow-Signature": crypto.createHmac("sha256", secret).update(raw).digest("base64"),
  };
}
