/**
 * Connecting a WooCommerce store (docs/contracts/hub-api-v1.md §1).
 *
 * Connection codes: 160 bits of randomness (base32, `SF-` prefix), shown once, stored only as a SHA-256
 * hash, single-use, valid 15 minutes. Registration checks the code, verifies the store's REST keys by
 * calling the store, detects the SyncFlow plugin (exact mode) or falls back to buffered mode, stores the
 * keys encrypted (AES-256-GCM), creates the store's webhooks, and queues SKU linking.
 * Attempts are rate-limited (rate-limiter-flexible on PostgreSQL) per client address.
 */
import crypto from "node:crypto";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import pg from "pg";
import prisma from "../db.server";
import { encryptJson, encryptSecret, sha256Hex } from "../lib/crypto.server";
import { wooChannel } from "../channels/registry.server";
import { ChannelError } from "../channels/channel";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { bufferForMode, linkAtRegistration } from "./store-mode.server";
import { reportsStockEvents } from "./plugin-api.server";

export const CODE_TTL_MS = 15 * 60_000;
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** Normalises a pasted code (case, spaces, dashes) before hashing. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z2-7]/g, "").replace(/^SF/, "");
}

/** Creates a one-time connection code for a shop. The plain code is returned once and never stored. */
export async function createConnectionCode(shopId: string): Promise<{ code: string; expiresAt: Date }> {
  const raw = base32(crypto.randomBytes(20)); // 160 bits → 32 chars
  const code = `SF-${raw.match(/.{1,4}/g)!.join("-")}`;
  const expiresAt = new Date(Date.now() + CODE_TTL_MS);
  await prisma.connectionCode.create({ data: { shopId, codeHash: sha256Hex(normalizeCode(code)), expiresAt } });
  return { code, expiresAt };
}

export class RegistrationError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface RegistrationInput {
  code: string;
  storeUrl: string;
  consumerKey: string;
  consumerSecret: string;
  pluginVersion?: string | null;
  storeName?: string | null;
}

export interface RegistrationResult {
  channelId: string;
  webhookSecret: string;
  shopDomain: string;
  shopName: string;
  mode: "exact" | "buffered";
  /** Whether the plugin should report its stock changes (decision 130). */
  stockEvents: boolean;
  /** Listings linked by SKU / left unmatched; null when linking continues in the background (decision 134). */
  linked: number | null;
  unmatched: number | null;
}

let limiter: RateLimiterPostgres | null = null;
function rateLimiter(): RateLimiterPostgres {
  limiter ??= new RateLimiterPostgres({
    storeClient: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 }),
    storeType: "pg",
    tableName: "syncflow_rate_limits",
    tableCreated: true,
    keyPrefix: "woo_register",
    points: Number(process.env.SYNCFLOW_REGISTER_ATTEMPTS ?? 10),
    duration: 15 * 60,
  });
  return limiter;
}

/** Consumes one registration attempt for `clientKey`; throws RegistrationError 429 when exhausted. */
export async function limitRegistration(clientKey: string): Promise<void> {
  try {
    await rateLimiter().consume(clientKey);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      const s = Math.ceil(err.msBeforeNext / 1000);
      throw new RegistrationError(429, "rate_limited", `Too many registration attempts; retry in ${s} s.`, { "Retry-After": String(s) });
    }
    throw err;
  }
}

/** Where stores deliver webhooks for a channel. */
export function webhookUrlFor(channelId: string): string {
  const base = (process.env.SHOPIFY_APP_URL ?? "").replace(/\/$/, "");
  return `${base}/webhooks/woocommerce/${channelId}`;
}

/**
 * The WooCommerce webhook topics SyncFlow subscribes each store to (registration; reconciliation recreates any
 * that are missing or disabled, and the plugin's health check does the same from the store's side —
 * woo-plugin/includes/class-syncflow-webhooks.php TOPICS must list the same). product.created links a product
 * the owner adds after onboarding; product.updated observes stock and re-links on SKU / stock-flag changes.
 */
export const WOO_TOPICS = ["order.created", "order.updated", "product.created", "product.updated"] as const;

/**
 * Registers a store with a one-time code. Throws RegistrationError (401 invalid code, 422 store
 * rejected/unreachable). The code is consumed only when registration succeeds.
 */
export async function registerWooStore(input: RegistrationInput): Promise<RegistrationResult> {
  const hash = sha256Hex(normalizeCode(input.code));
  const code = await prisma.connectionCode.findUnique({ where: { codeHash: hash }, include: { shop: true } });
  if (!code || code.usedAt || code.expiresAt < new Date() || code.shop.uninstalledAt) {
    throw new RegistrationError(401, "invalid_code", "This connection code is not valid. Create a new one in the SyncFlow app in Shopify.");
  }
  const storeUrl = input.storeUrl.replace(/\/+$/, "");
  const adapter = wooChannel(storeUrl, { consumerKey: input.consumerKey, consumerSecret: input.consumerSecret });
  let storeName: string;
  let mode: "exact" | "buffered";
  let stockEvents = false;
  try {
    const info = await adapter.verifyConnection();
    storeName = input.storeName || info.name;
    const caps = await adapter.capabilities();
    mode = caps.exact ? "exact" : "buffered";
    stockEvents = caps.exact && reportsStockEvents(caps.features);
  } catch (err) {
    if (err instanceof ChannelError && err.code === "AUTH") {
      throw new RegistrationError(422, "store_rejected_keys", "The store rejected these WooCommerce REST keys.");
    }
    throw new RegistrationError(422, "store_unreachable", `The hub could not reach the store: ${(err as Error).message}`);
  }
  // Claim the code atomically (single use even under concurrent attempts).
  const { count } = await prisma.connectionCode.updateMany({ where: { id: code.id, usedAt: null }, data: { usedAt: new Date() } });
  if (count !== 1) throw new RegistrationError(401, "invalid_code", "This connection code is not valid. Create a new one in the SyncFlow app in Shopify.");

  const shopId = code.shopId;
  const defaultLocation = await prisma.location.findFirst({ where: { shopId, isActive: true }, orderBy: { gid: "asc" } });
  const webhookSecret = crypto.randomBytes(32).toString("base64url");
  const previous = await prisma.channel.findUnique({ where: { shopId_baseUrl: { shopId, baseUrl: storeUrl } }, select: { mode: true, bufferSource: true } });
  const channel = await prisma.channel.upsert({
    where: { shopId_baseUrl: { shopId, baseUrl: storeUrl } },
    create: {
      shopId, kind: "woocommerce", name: storeName, baseUrl: storeUrl, status: "active", mode,
      credentialsEnc: encryptJson({ consumerKey: input.consumerKey, consumerSecret: input.consumerSecret }),
      webhookSecretEnc: encryptSecret(webhookSecret), salesLocationId: defaultLocation?.gid ?? null,
      ...bufferForMode(null, mode), pluginVersion: input.pluginVersion ?? null, stockEvents,
    },
    update: {
      name: storeName, status: "active", statusReason: null, mode,
      credentialsEnc: encryptJson({ consumerKey: input.consumerKey, consumerSecret: input.consumerSecret }),
      webhookSecretEnc: encryptSecret(webhookSecret), pluginVersion: input.pluginVersion ?? null,
      ...bufferForMode(previous, mode), stockEvents,
    },
  });
  await prisma.connectionCode.update({ where: { id: code.id }, data: { channelId: channel.id } });

  // Webhooks: replace any of ours (same delivery URL) so the secret is the new one.
  const deliveryUrl = webhookUrlFor(channel.id);
  try {
    const existing = await adapter.listWebhooks();
    for (const w of existing) if (w.delivery_url === deliveryUrl) await adapter.deleteWebhook(w.id);
    for (const topic of WOO_TOPICS) {
      await adapter.createWebhook({ topic, deliveryUrl, secret: webhookSecret, name: `SyncFlow ${topic}` });
    }
  } catch (err) {
    await prisma.channel.update({ where: { id: channel.id }, data: { status: "degraded", statusReason: `webhooks not created: ${(err as Error).message}` } });
  }
  const link = await linkAtRegistration(shopId, channel.id);
  return {
    channelId: channel.id, webhookSecret, shopDomain: code.shop.domain, shopName: code.shop.name ?? code.shop.domain, mode, stockEvents,
    linked: link?.linked ?? null, unmatched: link?.unmatched ?? null,
  };
}
