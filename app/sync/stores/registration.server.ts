/**
 * Connecting a WooCommerce store (docs/contracts/hub-api-v1.md §1).
 *
 * Connection codes: 160 bits of randomness (base32, `SF-` prefix), shown once, stored only as a SHA-256
 * hash, single-use, valid 15 minutes. Registration checks the code, verifies the store's REST keys by
 * calling the store, detects the SyncFlow plugin (exact mode) or falls back to buffered mode, stores the
 * keys encrypted (AES-256-GCM), creates the store's webhooks, and queues SKU linking.
 *
 * Against hostile callers (issue 13, docs/decisions/141 and 142):
 * - the store URL is checked by the SSRF guard (app/lib/outbound-guard.server.ts) and each check is ONE
 *   request (no retries, no redirects); every failure to reach or recognise the store gets the same generic
 *   message (no echo of what answered, no difference between a closed port and a refused address), except a
 *   WooCommerce 401/403 (its REST keys were refused);
 * - a valid code is burned after `MAX_FAILED_ATTEMPTS` failed registrations, so it cannot be used to scan;
 * - the code is consumed in the same transaction that creates or updates the channel: a server error
 *   (database, missing encryption key) rolls both back and never burns it;
 * - attempts are rate-limited (rate-limiter-flexible on PostgreSQL) per client address (the rightmost
 *   untrusted hop, app/lib/client-address.server.ts) and per shop.
 */
import crypto from "node:crypto";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import pg from "pg";
import prisma from "../../db.server";
import { encryptJson, encryptSecret, sha256Hex } from "../../lib/crypto.server";
import { checkStoreUrl, OutboundBlockedError } from "../../lib/outbound-guard.server";
import { salesChannelFor } from "../../channels/registry.server";
import type { SalesChannel } from "../../channels/sales-channel";
import { ChannelError } from "../../channels/channel";
import { assertCanConnectChannel, PlanLimitError } from "../../billing/billing.server";
import type { Prisma } from "@prisma/client";
import { bufferForMode, linkAtRegistration } from "./store-mode.server";
import { reportsStockEvents } from "../intake/plugin-api.server";
import { env } from "../../env.server";

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
  return code
    .toUpperCase()
    .replace(/[^A-Z2-7]/g, "")
    .replace(/^SF/, "");
}

/**
 * `ConnectionCode.purpose` of the codes this module makes and accepts (a WooCommerce store's registration); a code of
 * any other purpose (a retailer's, "retailer") is refused here as an unknown code: 401 invalid_code, the one message of
 * docs/contracts/hub-api-v1.md §1, not counted against the code (it stays valid for what it was made for).
 */
export const WOOCOMMERCE_CODE_PURPOSE = "woocommerce";

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

/** Failed registrations after which a valid code is burned (the merchant creates a new one). */
export const MAX_FAILED_ATTEMPTS = 5;

/** The one message for every store that could not be reached or recognised (no oracle for internal services). */
export const STORE_UNREACHABLE_MESSAGE =
  "The hub could not connect to a WooCommerce store at this address. Use the store's public https address (port 443) and check that the site is online.";

let pool: pg.Pool | null = null;
const limiters = new Map<string, RateLimiterPostgres>();
/**
 * A PostgreSQL-backed limiter: `points` attempts per `duration` s for each key under `prefix`.
 * Env overrides: SYNCFLOW_REGISTER_ATTEMPTS (per client, default 10 / 15 min), SYNCFLOW_REGISTER_SHOP_ATTEMPTS
 * (per shop, default 30 / 15 min).
 */
function rateLimiter(prefix: "woo_register" | "woo_register_shop"): RateLimiterPostgres {
  let l = limiters.get(prefix);
  if (!l) {
    pool ??= new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
    l = new RateLimiterPostgres({
      storeClient: pool,
      storeType: "pg",
      tableName: "syncflow_rate_limits",
      tableCreated: true,
      keyPrefix: prefix,
      points: prefix === "woo_register" ? env.SYNCFLOW_REGISTER_ATTEMPTS : env.SYNCFLOW_REGISTER_SHOP_ATTEMPTS,
      duration: 15 * 60,
    });
    limiters.set(prefix, l);
  }
  return l;
}

async function consume(prefix: "woo_register" | "woo_register_shop", key: string, what: string): Promise<void> {
  try {
    await rateLimiter(prefix).consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      const s = Math.ceil(err.msBeforeNext / 1000);
      throw new RegistrationError(429, "rate_limited", `Too many registration attempts ${what}; retry in ${s} s.`, {
        "Retry-After": String(s),
      });
    }
    throw err;
  }
}

/**
 * Consumes one registration attempt for a client address (see app/lib/client-address.server.ts; "unknown"
 * when the server cannot tell). Throws RegistrationError 429 with Retry-After when exhausted.
 */
export async function limitRegistration(clientAddress: string): Promise<void> {
  await consume("woo_register", `addr:${clientAddress}`, "from this address");
}

/** Where stores deliver webhooks for a channel. */
export function webhookUrlFor(channelId: string): string {
  const base = (env.SHOPIFY_APP_URL ?? "").replace(/\/$/, "");
  return `${base}/webhooks/woocommerce/${channelId}`;
}

const INVALID_CODE = "This connection code is not valid. Create a new one in the SyncFlow app in Shopify.";

/**
 * Records a failed registration with a valid code and burns the code at MAX_FAILED_ATTEMPTS
 * (`usedAt` set, no channel). Returns the number of failures so far.
 */
async function recordFailedAttempt(codeId: string): Promise<number> {
  const row = await prisma.connectionCode.update({
    where: { id: codeId },
    data: { failedAttempts: { increment: 1 } },
    select: { failedAttempts: true },
  });
  if (row.failedAttempts >= MAX_FAILED_ATTEMPTS)
    await prisma.connectionCode.updateMany({ where: { id: codeId, usedAt: null }, data: { usedAt: new Date() } });
  return row.failedAttempts;
}

/** The plan check of registration: PlanLimitError → RegistrationError 402 `plan_limit` (message names the plan page). */
async function checkPlan(shopId: string, storeUrl: string, tx?: Prisma.TransactionClient): Promise<void> {
  try {
    await assertCanConnectChannel(shopId, storeUrl, tx);
  } catch (err) {
    if (err instanceof PlanLimitError)
      throw new RegistrationError(err.status, err.code, err.message, { Link: `<${err.upgradeUrl}>; rel="payment"` });
    throw err;
  }
}

/**
 * Registers a store with a one-time code (docs/contracts/hub-api-v1.md §1).
 * Throws RegistrationError: 401 invalid_code (unknown, expired, used or burned code — one message),
 * 429 rate_limited (per shop), 402 plan_limit (the shop's plan has no room for another sales channel; the code
 * stays valid), 422 store_unreachable (generic: any URL the guard refuses, any store that
 * cannot be reached or does not answer as WooCommerce) or store_rejected_keys (WooCommerce refused the keys).
 * Every 422 counts as a failed attempt of the code. Errors after the store check (database, encryption)
 * propagate unchanged and leave the code unused.
 */
export async function registerWooStore(input: RegistrationInput): Promise<RegistrationResult> {
  const hash = sha256Hex(normalizeCode(input.code));
  const code = await prisma.connectionCode.findUnique({ where: { codeHash: hash }, include: { shop: true } });
  if (
    !code ||
    // A code connects only what it was made for: a retailer code (app/retailers/links.server.ts) registers no store.
    code.purpose !== WOOCOMMERCE_CODE_PURPOSE ||
    code.usedAt ||
    code.expiresAt < new Date() ||
    code.shop.uninstalledAt ||
    code.failedAttempts >= MAX_FAILED_ATTEMPTS
  ) {
    throw new RegistrationError(401, "invalid_code", INVALID_CODE);
  }
  await consume("woo_register_shop", `shop:${code.shopId}`, "for this shop");
  const storeUrl = input.storeUrl.replace(/\/+$/, "");
  // The plan's channel count (app/billing): refused before the store is contacted; the code stays valid for after an upgrade.
  await checkPlan(code.shopId, storeUrl);
  let storeName: string;
  let mode: "exact" | "buffered";
  let pluginFeatures: string[] = [];
  let stockEvents = false;
  let adapter: SalesChannel;
  const credentials = { consumerKey: input.consumerKey, consumerSecret: input.consumerSecret };
  try {
    checkStoreUrl(storeUrl);
    // One request per check: no retries (a refused or slow address is not asked four times).
    adapter = salesChannelFor("woocommerce", { baseUrl: storeUrl, credentials, client: { maxRetries: 0 } });
    const info = await adapter.verifyConnection();
    storeName = input.storeName || info.name;
    const caps = await adapter.discoverCapabilities();
    const exact = caps.writeModel === "delta-cas";
    mode = exact ? "exact" : "buffered";
    pluginFeatures = exact ? caps.features : []; // contract 1.1 features (batch, snapshot): decision 101
    stockEvents = exact && reportsStockEvents(caps.features);
  } catch (err) {
    const failures = await recordFailedAttempt(code.id);
    console.warn(
      `[registration] shop ${code.shopId}: store check failed (${failures}/${MAX_FAILED_ATTEMPTS}): ${err instanceof OutboundBlockedError ? err.message : (err as Error).message}`.slice(
        0,
        500,
      ),
    );
    const cause = err as ChannelError;
    const wooAuth =
      cause instanceof ChannelError &&
      cause.code === "AUTH" &&
      /^woocommerce_rest_/.test(String((cause.opts.cause as { code?: unknown } | undefined)?.code ?? ""));
    if (wooAuth)
      throw new RegistrationError(422, "store_rejected_keys", "The store rejected these WooCommerce REST keys.");
    throw new RegistrationError(422, "store_unreachable", STORE_UNREACHABLE_MESSAGE);
  }

  const shopId = code.shopId;
  const defaultLocation = await prisma.location.findFirst({
    where: { shopId, isActive: true },
    orderBy: { gid: "asc" },
  });
  const webhookSecret = crypto.randomBytes(32).toString("base64url");
  const previous = await prisma.channel.findUnique({
    where: { shopId_baseUrl: { shopId, baseUrl: storeUrl } },
    select: { mode: true, bufferSource: true },
  });
  // Encrypt before the transaction: a missing or bad key fails here, with the code untouched.
  const credentialsEnc = encryptJson({ consumerKey: input.consumerKey, consumerSecret: input.consumerSecret });
  const webhookSecretEnc = encryptSecret(webhookSecret);
  // The code is consumed in the same transaction that creates the channel: single use under concurrent
  // attempts (the conditional update), and never burned by a failure of what follows.
  const channel = await prisma.$transaction(async (tx) => {
    const { count } = await tx.connectionCode.updateMany({
      where: { id: code.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (count !== 1) throw new RegistrationError(401, "invalid_code", INVALID_CODE);
    await checkPlan(shopId, storeUrl, tx);
    const ch = await tx.channel.upsert({
      where: { shopId_baseUrl: { shopId, baseUrl: storeUrl } },
      create: {
        shopId,
        kind: "woocommerce",
        name: storeName,
        baseUrl: storeUrl,
        status: "active",
        mode,
        credentialsEnc,
        webhookSecretEnc,
        salesLocationId: defaultLocation?.gid ?? null,
        ...bufferForMode(null, mode),
        pluginVersion: input.pluginVersion ?? null,
        stockEvents,
        pluginFeatures,
      },
      update: {
        name: storeName,
        status: "active",
        statusReason: null,
        mode,
        credentialsEnc,
        webhookSecretEnc,
        pluginVersion: input.pluginVersion ?? null,
        legacySignedCallAt: null,
        ...bufferForMode(previous, mode),
        stockEvents,
        pluginFeatures,
      },
    });
    await tx.connectionCode.update({ where: { id: code.id }, data: { channelId: ch.id } });
    return ch;
  });

  // Webhooks: replace any of ours (same delivery URL) so the secret is the new one. The store answered the
  // checks, so these calls get the usual retries.
  const deliveryUrl = webhookUrlFor(channel.id);
  adapter = salesChannelFor("woocommerce", { baseUrl: storeUrl, credentials });
  try {
    await adapter.subscribe({ deliveryUrl, secret: webhookSecret });
  } catch (err) {
    await prisma.channel.update({
      where: { id: channel.id },
      data: { status: "degraded", statusReason: `webhooks not created: ${(err as Error).message}` },
    });
  }
  const link = await linkAtRegistration(shopId, channel.id);
  return {
    channelId: channel.id,
    webhookSecret,
    shopDomain: code.shop.domain,
    shopName: code.shop.name ?? code.shop.domain,
    mode,
    stockEvents,
    linked: link?.linked ?? null,
    unmatched: link?.unmatched ?? null,
  };
}
