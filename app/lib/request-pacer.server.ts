/**
 * The engine's `RequestPacer` (app/channels/sales-channel.ts; docs/decisions/306): marketplace request pacing shared
 * by every process of the hub through PostgreSQL, with rate-limiter-flexible's `RateLimiterPostgres` (the store the
 * merchant API's key limit already uses, table `syncflow_rate_limits`). One limiter per distinct window shape
 * (points, duration), keys under the prefix `pace`; each take is one atomic upsert (INSERT … ON CONFLICT … RETURNING).
 * A full window answers how long until it ends; the pacer sleeps that long (plus a few ms of jitter so waiting
 * processes do not all return at once) and tries again, until `maxWaitMs` would be passed. Times in ms.
 * Errors: a database failure propagates (the adapter's call fails retryably; nothing is sent).
 */
import pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { env } from "../env.server";
import type { PaceLimit, RequestPacer } from "../channels/sales-channel";

let pool: pg.Pool | null = null;
const limiters = new Map<string, RateLimiterPostgres>();

function limiterFor(limit: PaceLimit): RateLimiterPostgres {
  const sig = `${limit.points}/${limit.durationMs}`;
  let l = limiters.get(sig);
  if (!l) {
    if (!pool) {
      pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3 });
      // An idle client's error (a database restart) must not stop the process; the next take reconnects.
      pool.on("error", (err) => console.error("[pace] pool:", err.message));
    }
    l = new RateLimiterPostgres({
      storeClient: pool,
      storeType: "pg",
      tableName: "syncflow_rate_limits",
      tableCreated: true,
      keyPrefix: `pace${sig}`,
      points: limit.points,
      duration: limit.durationMs / 1000,
      clearExpiredByTimeout: false,
    });
    limiters.set(sig, l);
  }
  return l;
}

/** The process's shared pacer (one pool of ≤ 3 connections, opened on first use). */
export const sharedRequestPacer: RequestPacer = {
  async take(key, limit, maxWaitMs) {
    const limiter = limiterFor(limit);
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      try {
        await limiter.consume(key);
        return 0;
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const wait = Math.max(1, err.msBeforeNext) + Math.floor(Math.random() * 5);
        if (Date.now() + wait > deadline) return wait;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  },
  async available(key, limit) {
    const res = await limiterFor(limit).get(key);
    return !res || res.consumedPoints < limit.points;
  },
};

/** Closes the pacer's pool (tests; a process exiting need not). */
export async function closeRequestPacer(): Promise<void> {
  const p = pool;
  pool = null;
  limiters.clear();
  await p?.end();
}
