/**
 * Secrets at rest: AES-256-GCM envelopes with Node's crypto (docs/decisions/006, 145).
 *
 * Keys (each 32 bytes as base64 or 64 hex chars):
 * - `SYNCFLOW_ENCRYPTION_KEY`: the current key; every new envelope is written with it.
 * - `SYNCFLOW_ENCRYPTION_KEYS_RETIRED`: comma-separated earlier keys, used only to decrypt until the rotation job
 *   (`rotateSecrets`, app/lib/secrets-rotation.server.ts) has re-encrypted everything with the current key.
 * There is no built-in or development key: without `SYNCFLOW_ENCRYPTION_KEY` every encrypt/decrypt throws
 * `EncryptionKeyError` (tests, the demo and the benchmarks set a random key per run), and the production entry
 * points refuse to start (app/lib/production-checks.server.ts).
 *
 * Envelope format: `v2:<key id>:<iv b64>:<tag b64>:<ciphertext b64>` (12-byte random IV, 16-byte tag). The key id is
 * the first 8 hex chars of SHA-256("syncflow-key-id:" + key), so it names a key without revealing it. Older
 * `v1:<iv>:<tag>:<ct>` envelopes (no key id) are still read: each configured key is tried (GCM's tag tells the right
 * one).
 */
import crypto from "node:crypto";
import { env } from "../env.server";

/** Raised when no usable key is configured, or an envelope was written with a key that is not configured. */
export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncryptionKeyError";
  }
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** Parses one key string (base64 or hex, 32 bytes). Throws EncryptionKeyError naming `what`. */
function parseKey(raw: string, what: string): EncryptionKey {
  const s = raw.trim();
  const buf = /^[0-9a-f]{64}$/i.test(s) ? Buffer.from(s, "hex") : Buffer.from(s, "base64");
  if (buf.length !== 32)
    throw new EncryptionKeyError(`${what} must decode to exactly 32 bytes (base64 or 64 hex chars)`);
  return { id: keyId(buf), key: buf };
}

/** The id of a key (8 hex chars). */
export function keyId(key: Buffer): string {
  return crypto.createHash("sha256").update("syncflow-key-id:").update(key).digest("hex").slice(0, 8);
}

/**
 * The configured keys, current first. Throws EncryptionKeyError when `SYNCFLOW_ENCRYPTION_KEY` is missing or any
 * key is malformed. Read from the environment on every call (cheap; keeps tests and rotation simple).
 */
export function encryptionKeys(): EncryptionKey[] {
  const current = env.SYNCFLOW_ENCRYPTION_KEY;
  if (!current)
    throw new EncryptionKeyError(
      "SYNCFLOW_ENCRYPTION_KEY is not set (32 random bytes, base64: `openssl rand -base64 32`)",
    );
  const keys = [parseKey(current, "SYNCFLOW_ENCRYPTION_KEY")];
  for (const [i, raw] of (env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED ?? "")
    .split(",")
    .filter((k) => k.trim())
    .entries()) {
    const k = parseKey(raw, `SYNCFLOW_ENCRYPTION_KEYS_RETIRED[${i}]`);
    if (!keys.some((x) => x.id === k.id)) keys.push(k);
  }
  return keys;
}

/** The id of the current key (what new envelopes carry). Throws EncryptionKeyError. */
export const currentKeyId = (): string => encryptionKeys()[0]!.id;

/** Encrypts a UTF-8 string with the current key; returns a v2 envelope. Throws EncryptionKeyError. */
export function encryptSecret(plaintext: string): string {
  const { id, key } = encryptionKeys()[0]!;
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `v2:${id}:${iv.toString("base64")}:${cipher.getAuthTag().toString("base64")}:${ct.toString("base64")}`;
}

function open(key: Buffer, iv: string, tag: string, ct: string): string {
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64")), decipher.final()]).toString("utf8");
}

/** True when `value` looks like an envelope of this module (v1 or v2). */
export function isEnvelope(value: string | null | undefined): boolean {
  return !!value && /^v[12]:/.test(value);
}

/** The key id of a v2 envelope, null for v1 (no key id) or a non-envelope. */
export function envelopeKeyId(envelope: string): string | null {
  const parts = envelope.split(":");
  return parts[0] === "v2" && parts.length === 5 ? parts[1]! : null;
}

/**
 * Decrypts an envelope from `encryptSecret` (v2) or an older v1 one. Throws EncryptionKeyError when its key is not
 * configured, or an Error on a tampered envelope.
 */
export function decryptSecret(envelope: string): string {
  const parts = envelope.split(":");
  const keys = encryptionKeys();
  if (parts[0] === "v2" && parts.length === 5) {
    const [, id, iv, tag, ct] = parts as [string, string, string, string, string];
    const k = keys.find((x) => x.id === id);
    if (!k)
      throw new EncryptionKeyError(
        `secret encrypted with key ${id}, which is neither SYNCFLOW_ENCRYPTION_KEY nor in SYNCFLOW_ENCRYPTION_KEYS_RETIRED`,
      );
    return open(k.key, iv, tag, ct);
  }
  if (parts[0] === "v1" && parts.length === 4) {
    const [, iv, tag, ct] = parts as [string, string, string, string];
    for (const k of keys) {
      try {
        return open(k.key, iv!, tag!, ct!);
      } catch {
        // not this key
      }
    }
    throw new EncryptionKeyError("v1 secret: none of the configured keys opens it");
  }
  throw new Error("not a SyncFlow secret envelope");
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
