/**
 * Merchant API keys (docs/decisions/280): per shop, created in the admin (Settings → API), shown once, stored hashed,
 * scoped `read` or `read_write`, revocable, last use shown, rate-limited per key across every process.
 *
 * Format: `sf_live_<8 base32 chars>_<32 base32 chars>` — 40 random base32 characters, 200 bits: 160 secret bits after the visible prefix. The
 * prefix (`sf_live_XXXXXXXX`, 40 bits) is unique and stored in clear to find the row and to show the merchant which key
 * is which; the whole key is stored only as SHA-256 (a salted slow hash adds nothing to 160 random secret bits: there is
 * no dictionary to guess from), compared in constant time.
 *
 * Rate limit: rate-limiter-flexible's PostgreSQL store (the same `syncflow_rate_limits` table as store registration),
 * so every app process counts against one limit: SYNCFLOW_API_RATE_LIMIT requests per SYNCFLOW_API_RATE_WINDOW_S per
 * key (default 120 / 60 s); past it 429 with Retry-After (s).
 *
 * Plan: only plans with `features.apiAccess` (Enterprise) use the API; a shop that moved to another plan keeps its keys
 * but each request is refused with 403 `plan_required` naming the Plan page, until it upgrades again.
 */
import crypto from "node:crypto";
import pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import prisma from "../db.server";
import { safeEqual, sha256Hex } from "../lib/crypto.server";
import { planFor } from "../billing/billing.server";
import { env } from "../env.server";
import { ApiError } from "./errors";

export const API_SCOPES = ["read", "read_write"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
function base32(buf: Buffer): string {
  let out = "";
  for (const b of buf) out += B32[b & 31];
  return out;
}

/** Longest key name accepted (characters, trimmed). */
export const KEY_NAME_MAX = 80;

/** One key as the admin lists it (never the secret). Times ISO-8601. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scope: ApiScope;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/**
 * Creates a key for `shopId`. @returns the key's view and the full secret (to show ONCE; only its hash is kept).
 * @throws ApiError 400 for an empty/long name or an unknown scope
 */
export async function createApiKey(
  shopId: string,
  input: { name: string; scope: string; createdBy?: string | null },
): Promise<{ key: ApiKeyView; secret: string }> {
  const name = input.name.trim();
  if (!name || [...name].length > KEY_NAME_MAX)
    throw new ApiError(400, "invalid_name", `Name the key (1 to ${KEY_NAME_MAX} characters), e.g. "ERP sync".`);
  if (!(API_SCOPES as readonly string[]).includes(input.scope))
    throw new ApiError(400, "invalid_scope", "Choose Read or Read and write.");
  const rand = base32(crypto.randomBytes(40));
  const prefix = `sf_live_${rand.slice(0, 8)}`;
  const secret = `${prefix}_${rand.slice(8)}`;
  const row = await prisma.apiKey.create({
    data: {
      shopId,
      name,
      prefix,
      secretHash: sha256Hex(secret),
      scope: input.scope,
      createdBy: input.createdBy ?? null,
    },
  });
  return { key: view(row), secret };
}

function view(r: {
  id: string;
  name: string;
  prefix: string;
  scope: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scope: r.scope as ApiScope,
    createdAt: r.createdAt.toISOString(),
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

/** The shop's keys, newest first (revoked ones too, marked). */
export async function listApiKeys(shopId: string): Promise<ApiKeyView[]> {
  const rows = await prisma.apiKey.findMany({ where: { shopId }, orderBy: { createdAt: "desc" } });
  return rows.map(view);
}

/** Revokes the shop's key `id` (at once, for every process). @returns false when it is not the shop's or already revoked. */
export async function revokeApiKey(shopId: string, id: string): Promise<boolean> {
  const { count } = await prisma.apiKey.updateMany({
    where: { id, shopId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count === 1;
}

/** An authenticated API caller. */
export interface ApiCaller {
  shopId: string;
  shopDomain: string;
  keyId: string;
  prefix: string;
  scope: ApiScope;
}

let pool: pg.Pool | null = null;
let limiter: RateLimiterPostgres | null = null;
let limiterFor = "";

function rateLimiter(): RateLimiterPostgres {
  const sig = `${env.SYNCFLOW_API_RATE_LIMIT}/${env.SYNCFLOW_API_RATE_WINDOW_S}`;
  if (!limiter || limiterFor !== sig) {
    if (!pool) {
      pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
      // An idle client's error (a database restart) must not stop the process; the next request reconnects.
      pool.on("error", (err) => console.error("[api] rate-limit pool:", err.message));
    }
    limiter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: "pg",
      tableName: "syncflow_rate_limits",
      tableCreated: true,
      keyPrefix: "api_key",
      points: env.SYNCFLOW_API_RATE_LIMIT,
      duration: env.SYNCFLOW_API_RATE_WINDOW_S,
    });
    limiterFor = sig;
  }
  return limiter;
}

/** Seconds between two `lastUsedAt` writes of a key (one write per key per minute at most, not one per request). */
const LAST_USED_EVERY_MS = 60_000;

/**
 * Authenticates `Authorization: Bearer <key>` and checks, in order: the key (401), the rate limit (429), the plan (403
 * `plan_required`) and the scope (403 `insufficient_scope`: `need` "read_write" on a read key).
 * @throws ApiError
 */
export async function authenticate(request: Request, need: ApiScope): Promise<ApiCaller> {
  const header = request.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const challenge = { "WWW-Authenticate": 'Bearer realm="syncflow"' };
  if (!m)
    throw new ApiError(
      401,
      "missing_key",
      "Send your API key as `Authorization: Bearer <key>` (create one in SyncFlow → Settings → API).",
      undefined,
      challenge,
    );
  const secret = m[1]!;
  const prefix = /^(sf_live_[a-z2-7]{8})_[a-z2-7]{32}$/.exec(secret)?.[1];
  const row = prefix
    ? await prisma.apiKey.findUnique({
        where: { prefix },
        include: { shop: { select: { domain: true, uninstalledAt: true } } },
      })
    : null;
  if (!row || !safeEqual(row.secretHash, sha256Hex(secret)) || row.shop.uninstalledAt)
    throw new ApiError(401, "invalid_key", "This API key is not valid.", undefined, challenge);
  if (row.revokedAt)
    throw new ApiError(
      401,
      "revoked_key",
      "This API key was revoked. Create a new one in SyncFlow → Settings → API.",
      undefined,
      challenge,
    );
  try {
    await rateLimiter().consume(row.id);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      const s = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new ApiError(
        429,
        "rate_limited",
        `Rate limit of ${env.SYNCFLOW_API_RATE_LIMIT} requests per ${env.SYNCFLOW_API_RATE_WINDOW_S} s reached for this key; retry in ${s} s.`,
        undefined,
        { "Retry-After": String(s) },
      );
    }
    throw err;
  }
  const plan = await planFor(row.shopId);
  if (!plan.features.apiAccess)
    throw new ApiError(
      403,
      "plan_required",
      `API access is part of the Enterprise plan; this shop is on ${plan.label}. Upgrade on SyncFlow's Plan page to use its API keys again.`,
    );
  if (need === "read_write" && row.scope !== "read_write")
    throw new ApiError(403, "insufficient_scope", "This key is read-only. Use a key with the Read and write scope.");
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_EVERY_MS)
    await prisma.apiKey
      .updateMany({
        where: {
          id: row.id,
          OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(Date.now() - LAST_USED_EVERY_MS) } }],
        },
        data: { lastUsedAt: new Date() },
      })
      .catch((err: unknown) => console.error("[api] could not record a key's last use:", err));
  return {
    shopId: row.shopId,
    shopDomain: row.shop.domain,
    keyId: row.id,
    prefix: row.prefix,
    scope: row.scope as ApiScope,
  };
}
