/**
 * Secrets at rest (issue 13: "no key id (no rotation)", "Shopify offline tokens are stored in plain text",
 * "a fixed development encryption key, derivable from the source"; docs/decisions/145), with the real app build
 * and the emulated Shopify: an installed shop's access and refresh tokens are envelopes in the database and the
 * app still uses them; a key rotation (new key current, old one retired) re-encrypts every secret by the job,
 * after which the old key can go.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startInstalledShop, type AppHandle } from "../../tests/harness/app";
import type { ShopifyEmulator } from "../../tests/emulators/shopify/index";
import { offlineToken } from "../sync/stores/stores.server";
import {
  currentKeyId,
  decryptJson,
  encryptJson,
  encryptSecret,
  EncryptionKeyError,
  envelopeKeyId,
} from "./crypto.server";
import { rotateSecrets } from "./secrets-rotation.server";

const SHOP = "secrets-at-rest.myshopify.com";
let app: AppHandle;
let shopify: ShopifyEmulator;

beforeAll(async () => {
  ({ shopify, app } = await startInstalledShop(SHOP, "Secrets"));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await shopify?.close();
});

describe("secrets at rest", () => {
  it("stores the shop's Shopify access and refresh tokens encrypted, and the app still uses them", async () => {
    const row = await prisma.session.findFirstOrThrow({ where: { shop: SHOP, isOnline: false } });
    expect(row.accessToken).toMatch(/^v2:[0-9a-f]{8}:/);
    expect(row.refreshToken ?? "v2:").toMatch(/^v2:[0-9a-f]{8}:/);
    const token = await offlineToken(SHOP);
    expect(token).not.toMatch(/^v2:/);
    expect(row.accessToken).not.toContain(token);
  });

  it("has no built-in key: without SYNCFLOW_ENCRYPTION_KEY nothing is encrypted or decrypted", () => {
    const key = process.env.SYNCFLOW_ENCRYPTION_KEY!;
    const env = encryptSecret("x");
    delete process.env.SYNCFLOW_ENCRYPTION_KEY;
    try {
      expect(() => encryptSecret("x")).toThrow(EncryptionKeyError);
      expect(() => decryptJson(env)).toThrow(EncryptionKeyError);
    } finally {
      process.env.SYNCFLOW_ENCRYPTION_KEY = key;
    }
  });

  it("rotates keys: the job re-encrypts every secret with the new key, after which the old one can be removed", async () => {
    const oldKey = process.env.SYNCFLOW_ENCRYPTION_KEY!;
    const oldId = currentKeyId();
    const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } });
    const scope = { shopId: shop.id, shopDomain: SHOP };
    const channel = await prisma.channel.create({
      data: {
        shopId: shop.id,
        kind: "woocommerce",
        name: "rotating",
        baseUrl: `https://rot-${crypto.randomUUID()}.example`,
        credentialsEnc: encryptJson({ consumerKey: "ck_1", consumerSecret: "cs_1" }),
        webhookSecretEnc: encryptSecret("whsec"),
      },
    });
    // A v1 envelope (no key id) from before key ids, and a plain-text token from before tokens were encrypted.
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv("aes-256-gcm", Buffer.from(oldKey, "base64"), iv);
    const ct = Buffer.concat([c.update("legacy-secret", "utf8"), c.final()]);
    const v1 = `v1:${iv.toString("base64")}:${c.getAuthTag().toString("base64")}:${ct.toString("base64")}`;
    const legacy = await prisma.channel.create({
      data: {
        shopId: shop.id,
        kind: "woocommerce",
        name: "legacy",
        baseUrl: `https://leg-${crypto.randomUUID()}.example`,
        webhookSecretEnc: v1,
      },
    });
    const session = await prisma.session.findFirstOrThrow({ where: { shop: SHOP, isOnline: false } });
    const plainToken = await offlineToken(SHOP);
    await prisma.session.update({ where: { id: session.id }, data: { accessToken: plainToken } });

    const newKey = crypto.randomBytes(32).toString("base64");
    process.env.SYNCFLOW_ENCRYPTION_KEY = newKey;
    process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED = oldKey;
    try {
      const newId = currentKeyId();
      expect(newId).not.toBe(oldId);
      const res = await rotateSecrets(scope);
      expect(res.channels).toBeGreaterThanOrEqual(2);
      expect(res.sessions).toBeGreaterThanOrEqual(1);
      const [a, b, s] = await Promise.all([
        prisma.channel.findUniqueOrThrow({ where: { id: channel.id } }),
        prisma.channel.findUniqueOrThrow({ where: { id: legacy.id } }),
        prisma.session.findUniqueOrThrow({ where: { id: session.id } }),
      ]);
      for (const v of [
        a.credentialsEnc!,
        a.webhookSecretEnc!,
        b.webhookSecretEnc!,
        s.accessToken,
        s.refreshToken ?? `v2:${newId}:`,
      ])
        expect(envelopeKeyId(v)).toBe(newId);
      expect(await rotateSecrets(scope)).toEqual({ channels: 0, sheets: 0, sessions: 0, webhookSubscriptions: 0 });
      // The old key can go now.
      delete process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED;
      expect(decryptJson(a.credentialsEnc!)).toEqual({ consumerKey: "ck_1", consumerSecret: "cs_1" });
      expect(await offlineToken(SHOP)).toBe(plainToken);
    } finally {
      process.env.SYNCFLOW_ENCRYPTION_KEY = oldKey;
      delete process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED;
      // Put this shop's rows back on the run's key for any later test in this file.
      process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED = newKey;
      await rotateSecrets(scope);
      delete process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED;
    }
  });
});
