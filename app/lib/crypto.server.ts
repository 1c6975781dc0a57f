/**
 * Secrets at rest: AES-256-GCM envelopes with Node's crypto (docs/decisions/006-secrets-at-rest.md).
 *
 * Key: `SYNCFLOW_ENCRYPTION_KEY`, 32 bytes as base64 or 64 hex chars. Outside production a fixed
 * development key is used when it is unset (demo/tests), and production refuses to start without one.
 * Envelope format: `v1:<iv b64>:<tag b64>:<ciphertext b64>` (12-byte random IV, 16-byte tag).
 */
import crypto from "node:crypto";

const DEV_KEY = crypto.createHash("sha256").update("syncflow-development-key-never-in-production").digest();

function key(): Buffer {
  const raw = process.env.SYNCFLOW_ENCRYPTION_KEY;
  if (!raw) {
    if (process.env.NODE_ENV === "production" && process.env.SYNCFLOW_MODE !== "demo") {
      throw new Error("SYNCFLOW_ENCRYPTION_KEY is required in production (32 bytes, base64 or hex)");
    }
    return DEV_KEY;
  }
  const buf = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (buf.length !== 32) throw new Error("SYNCFLOW_ENCRYPTION_KEY must decode to exactly 32 bytes");
  return buf;
}

/** Encrypts a UTF-8 string; returns the envelope string. */
export function encryptSecret(plaintext: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key(), iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `v1:${iv.toString("base64")}:${cipher.getAuthTag().toString("base64")}:${ct.toString("base64")}`;
}

/** Decrypts an envelope from `encryptSecret`. Throws on a wrong key or a tampered envelope. */
export function decryptSecret(envelope: string): string {
  const [v, iv, tag, ct] = envelope.split(":");
  if (v !== "v1" || !iv || !tag || ct === undefined) throw new Error("not a SyncFlow secret envelope");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key(), Buffer.from(iv, "base64"));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64")), decipher.final()]).toString("utf8");
}

/** Encrypts a JSON value. */
export const encryptJson = (value: unknown): string => encryptSecret(JSON.stringify(value));
/** Decrypts a JSON envelope. */
export const decryptJson = <T>(envelope: string): T => JSON.parse(decryptSecret(envelope)) as T;

/** SHA-256 hex of a string or buffer (body hashes, connection-code hashes). */
export const sha256Hex = (data: string | Buffer): string => crypto.createHash("sha256").update(data).digest("hex");

/** Base64 HMAC-SHA256 of a raw body (WooCommerce webhook and plugin-call signatures). */
export const hmacBase64 = (body: string | Buffer, secret: string): string =>
  crypto.createHmac("sha256", secret).update(body).digest("base64");

/** Constant-time comparison of two signature strings. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
