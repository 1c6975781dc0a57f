import { describe, expect, it } from "vitest";
import { decryptJson, decryptSecret, encryptJson, encryptSecret, hmacBase64, safeEqual } from "./crypto.server";

describe("secrets at rest (AES-256-GCM)", () => {
  it("round-trips and never stores the plaintext", () => {
    const env = encryptSecret("cs_secret_value");
    expect(env).toMatch(/^v2:[0-9a-f]{8}:/);
    expect(env).not.toContain("cs_secret_value");
    expect(decryptSecret(env)).toBe("cs_secret_value");
    expect(decryptJson(encryptJson({ a: 1 }))).toEqual({ a: 1 });
  });
  it("uses a fresh IV each time", () => {
    expect(encryptSecret("x")).not.toBe(encryptSecret("x"));
  });
  it("detects tampering", () => {
    const [v, id, iv, tag, ct] = encryptSecret("hello").split(":");
    const flipped = Buffer.from(ct!, "base64");
    flipped[0]! ^= 1;
    expect(() => decryptSecret([v, id, iv, tag, flipped.toString("base64")].join(":"))).toThrow();
    expect(() => decryptSecret("plain")).toThrow(/envelope/);
  });
  it("refuses a wrong-sized key", () => {
    const before = process.env.SYNCFLOW_ENCRYPTION_KEY;
    process.env.SYNCFLOW_ENCRYPTION_KEY = Buffer.alloc(16).toString("base64");
    expect(() => encryptSecret("x")).toThrow(/32 bytes/);
    if (before === undefined) delete process.env.SYNCFLOW_ENCRYPTION_KEY;
    else process.env.SYNCFLOW_ENCRYPTION_KEY = before;
  });
  it("names the key in each envelope, decrypts with any configured key and refuses an unknown key id", () => {
    const before = process.env.SYNCFLOW_ENCRYPTION_KEY!;
    const old = encryptSecret("with-old");
    process.env.SYNCFLOW_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");
    try {
      expect(() => decryptSecret(old)).toThrow(/neither SYNCFLOW_ENCRYPTION_KEY nor/);
      process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED = before;
      expect(decryptSecret(old)).toBe("with-old");
      expect(encryptSecret("new").split(":")[1]).not.toBe(old.split(":")[1]);
    } finally {
      process.env.SYNCFLOW_ENCRYPTION_KEY = before;
      delete process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED;
    }
  });
  it("signs bodies like WooCommerce (base64 HMAC-SHA256) and compares in constant time", () => {
    expect(hmacBase64("body", "secret")).toBe("3EaYNVf+oSe0OvchRn65s/3iM4/j4U9RlSqoR4wT01U=");
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abd")).toBe(false);
    expect(safeEqual("abc", "ab")).toBe(false);
  });
});
