/**
 * Idempotent API writes (docs/decisions/282): every write carries an `Idempotency-Key`; the first request with a key
 * runs, its answer is stored (ApiIdempotency, unique per shop and key) and every later request with the key gets that
 * answer back (`Idempotent-Replayed: true`), so a retried adjustment moves stock once.
 *
 * - The same key with another request (method, path or body differ) → 422 `idempotency_key_reused`.
 * - A concurrent duplicate waits for the first (polling, up to `WAIT_MS`) and answers with its result; still running →
 *   409 `request_in_progress` with Retry-After.
 * - A request whose owner died (its claim older than `CLAIM_MS`) is taken over by the next retry; the engine's own keys
 *   (the adjustment's unique key, Shopify's `@idempotent` key of a set) keep the stock change single.
 * - Answers of 5xx are not stored (the claim is released), so the client's retry runs again.
 * Rows are kept `RETENTION_DAYS` days (maintenance purges older ones).
 */
import crypto from "node:crypto";
import prisma from "../db.server";
import { ApiError, apiJson } from "./errors";
import { IdempotencyKey } from "./schemas";

/** How long a claim holds before a retry may take it over (ms): longer than any write's inline work. */
const CLAIM_MS = 60_000;
/** How long a concurrent duplicate waits for the first request's answer (ms). */
const WAIT_MS = 15_000;
export const RETENTION_DAYS = 7;

/** A handler's answer: status and JSON body (stored as is for replays). */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

/** The request's Idempotency-Key header. @throws ApiError 400 when missing or malformed */
export function idempotencyKeyOf(request: Request): string {
  const raw = request.headers.get("idempotency-key");
  if (raw === null)
    throw new ApiError(
      400,
      "idempotency_key_required",
      "Send an Idempotency-Key header (e.g. a UUID) with every write.",
    );
  if (!IdempotencyKey.safeParse(raw).success)
    throw new ApiError(400, "invalid_idempotency_key", "The Idempotency-Key must be 1–255 visible ASCII characters.");
  return raw;
}

/**
 * Runs `work` once per (shop, key): the first request's answer is stored and replayed to every later one.
 * `fingerprint` identifies the request (method, path, canonical body). @returns the Response to send
 */
export async function runIdempotent(
  shopId: string,
  apiKeyId: string,
  key: string,
  fingerprint: string,
  work: () => Promise<StoredAnswer>,
): Promise<Response> {
  const requestHash = crypto.createHash("sha256").update(fingerprint).digest("hex");
  const deadline = Date.now() + WAIT_MS;
  for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
    const claimed = await claim(shopId, apiKeyId, key, requestHash);
    if (claimed === "mine") break;
    if (claimed.requestHash !== requestHash)
      throw new ApiError(
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was already used for a different request. Use a new key for a new change.",
      );
    if (claimed.status === "done")
      return apiJson(claimed.responseBody, claimed.responseStatus ?? 200, { "Idempotent-Replayed": "true" });
    if (Date.now() > deadline)
      throw new ApiError(
        409,
        "request_in_progress",
        "A request with this Idempotency-Key is still being processed; retry shortly for its answer.",
        undefined,
        { "Retry-After": "1" },
      );
    await new Promise((r) => setTimeout(r, pause));
  }
  let answer: StoredAnswer;
  try {
    answer = await work();
  } catch (err) {
    if (err instanceof ApiError && err.status < 500 && err.status !== 429) {
      const body = {
        error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) },
      };
      await settle(shopId, key, { status: err.status, body });
    } else await release(shopId, key);
    throw err;
  }
  if (answer.status >= 500) await release(shopId, key);
  else await settle(shopId, key, answer);
  return apiJson(answer.body, answer.status);
}

type Row = { status: string; requestHash: string; responseStatus: number | null; responseBody: unknown };

/** Claims the key (new, or a dead owner's): "mine", else the row as it stands. */
async function claim(shopId: string, apiKeyId: string, key: string, requestHash: string): Promise<"mine" | Row> {
  const rows = await prisma.$queryRaw<
    { mine: boolean; status: string; requestHash: string; responseStatus: number | null; responseBody: unknown }[]
  >`
    INSERT INTO "ApiIdempotency" (id, "shopId", "apiKeyId", key, "requestHash", status, "lockedUntil", "createdAt", "updatedAt")
    VALUES (${crypto.randomUUID()}, ${shopId}, ${apiKeyId}, ${key}, ${requestHash}, 'running',
            (now() AT TIME ZONE 'UTC') + make_interval(secs => ${CLAIM_MS / 1000}), (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'))
    ON CONFLICT ("shopId", key) DO UPDATE SET "lockedUntil" = EXCLUDED."lockedUntil", "updatedAt" = EXCLUDED."updatedAt"
      WHERE "ApiIdempotency".status = 'running' AND "ApiIdempotency"."lockedUntil" < (now() AT TIME ZONE 'UTC')
        AND "ApiIdempotency"."requestHash" = EXCLUDED."requestHash"
    RETURNING true AS mine, status, "requestHash", "responseStatus", "responseBody"`;
  if (rows.length) return "mine";
  const row = await prisma.apiIdempotency.findUnique({
    where: { shopId_key: { shopId, key } },
    select: { status: true, requestHash: true, responseStatus: true, responseBody: true },
  });
  // Released between the two statements: try again (the loop claims it).
  return row ?? { status: "running", requestHash, responseStatus: null, responseBody: null };
}

async function settle(shopId: string, key: string, answer: StoredAnswer): Promise<void> {
  await prisma.apiIdempotency.update({
    where: { shopId_key: { shopId, key } },
    data: { status: "done", responseStatus: answer.status, responseBody: answer.body as object },
  });
}

async function release(shopId: string, key: string): Promise<void> {
  await prisma.apiIdempotency.deleteMany({ where: { shopId, key, status: "running" } }).catch(() => {});
}

/** Deletes answers older than RETENTION_DAYS (maintenance). @returns rows deleted */
export async function purgeIdempotency(now = new Date()): Promise<number> {
  const { count } = await prisma.apiIdempotency.deleteMany({
    where: { createdAt: { lt: new Date(now.getTime() - RETENTION_DAYS * 86_400_000) } },
  });
  return count;
}
