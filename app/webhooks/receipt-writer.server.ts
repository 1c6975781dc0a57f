/**
 * The webhook intake's write path (docs/decisions/070-webhook-intake-group-commit.md): stores receipts with
 * group commit and queues their jobs in batches.
 *
 * - `storeReceipts`-style group commit: every request waits for ITS receipt to be committed before it is
 *   acknowledged (GUIDE §2 rule 4), but receipts arriving while a write is in flight are written together
 *   by the next single `INSERT … SELECT FROM jsonb_to_recordset(…) ON CONFLICT DO NOTHING RETURNING id`.
 *   At low load a receipt is written alone, at once (no timer, no added latency); under load one
 *   statement carries many receipts, so the database and this process do far less work per webhook.
 * - The shop id is resolved inside the statement (`LEFT JOIN "Shop" ON domain`), not by a separate query.
 * - Plain `pg` on a small pool of its own: no Prisma query compilation on the hot path.
 * - Jobs: once a batch is committed, its new receipts are queued with ONE `boss.insert` (singletonKey
 *   `receipt:<id>`, as before). That insert is not awaited by the requests; if it fails or the process
 *   dies before it, the receipts stay "received" and the sweep job re-queues them (app/jobs/worker.server.ts,
 *   `sweep`: every minute, receipts older than 30 s), so an acknowledged webhook is never lost.
 *
 * Errors: a failed batch is retried one receipt at a time, so one bad row (e.g. a channel deleted meanwhile)
 * fails only its own request; a database outage rejects every waiting request (the route answers 500 and the
 * platform retries the delivery).
 */
import crypto from "node:crypto";
import pg from "pg";
import { getBoss, QUEUES } from "../jobs/queue.server";
import { env } from "../env.server";

/** One receipt to store. `shopDomain` is resolved to the shop id in SQL when `shopId` is not given. */
export interface ReceiptRow {
  shopId?: string | null;
  shopDomain?: string | null;
  channelId?: string | null;
  /** "shopify" (the record's own webhooks), "woocommerce", or "shopify_retailer" (a linked retailer shop's, decision 197). */
  source: "shopify" | "woocommerce" | "shopify_retailer";
  topic: string;
  /** Unique per source (the table's unique key is (source, dedupeKey)). */
  dedupeKey: string;
  bodyHash: string;
  /** The parsed JSON body. */
  body: unknown;
  headers: Record<string, string>;
  triggeredAt?: Date | null;
}

/** Outcome of storing one receipt: its id, or `null` when its dedupe key was seen before (a duplicate). */
export type StoredReceipt = { id: string } | null;

const INSERT_SQL = `
INSERT INTO "WebhookReceipt" ("id", "shopId", "channelId", "source", "topic", "dedupeKey", "bodyHash", "body", "headers", "triggeredAt", "receivedAt")
SELECT r.id, COALESCE(r."shopId", s.id), r."channelId", r.source, r.topic, r."dedupeKey", r."bodyHash", r.body, r.headers, r."triggeredAt",
       (now() AT TIME ZONE 'UTC')::timestamp(3)
FROM jsonb_to_recordset($1::jsonb) AS r(id text, "shopId" text, "shopDomain" text, "channelId" text, source text, topic text,
                                         "dedupeKey" text, "bodyHash" text, body jsonb, headers jsonb, "triggeredAt" timestamp(3))
LEFT JOIN "Shop" s ON r."shopId" IS NULL AND s.domain = r."shopDomain"
ON CONFLICT ("source", "dedupeKey") DO NOTHING
RETURNING id`;

/** Largest number of receipts in one statement. */
const MAX_BATCH = 256;
/** Statements in flight at once (each on its own pooled connection). */
const MAX_IN_FLIGHT = 2;

interface Pending {
  row: ReceiptRow & { id: string };
  resolve: (r: StoredReceipt) => void;
  reject: (e: unknown) => void;
}

let pool: pg.Pool | null = null;
const waiting: Pending[] = [];
let inFlight = 0;
let scheduled = false;

function getPool(): pg.Pool {
  if (pool) return pool;
  const connectionString = env.DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL is not set");
  pool = new pg.Pool({
    connectionString,
    max: MAX_IN_FLIGHT + 1,
    application_name: "syncflow-intake",
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that drops (database restart) must not crash the process; the next query reconnects.
  pool.on("error", (err) => console.error("[webhooks] intake connection error:", err.message));
  return pool;
}

/**
 * Stores one receipt (group-committed with concurrent ones) and, once committed, queues its `webhook` job
 * in the background. Resolves when the receipt is durable.
 * @returns `{ id }` of the new receipt, or `null` for a duplicate delivery.
 * @throws the database error when the receipt could not be stored.
 */
export function storeAndQueueReceipt(row: ReceiptRow): Promise<StoredReceipt> {
  return new Promise((resolve, reject) => {
    waiting.push({ row: { ...row, id: crypto.randomUUID() }, resolve, reject });
    if (!scheduled) {
      scheduled = true;
      // Collect the requests that arrive in this turn of the event loop into one statement.
      setImmediate(pump);
    }
  });
}

function pump(): void {
  scheduled = false;
  while (inFlight < MAX_IN_FLIGHT && waiting.length) {
    const batch = waiting.splice(0, MAX_BATCH);
    inFlight++;
    // writeBatch settles every request itself; a bug that made it throw must still fail those requests, not the process.
    void writeBatch(batch)
      .catch((err: unknown) => {
        for (const p of batch) p.reject(err);
      })
      .finally(() => {
        inFlight--;
        pump();
      });
  }
}

async function insertRows(rows: (ReceiptRow & { id: string })[]): Promise<Set<string>> {
  const payload = rows.map((r) => ({
    id: r.id,
    shopId: r.shopId ?? null,
    shopDomain: r.shopDomain ?? null,
    channelId: r.channelId ?? null,
    source: r.source,
    topic: r.topic,
    dedupeKey: r.dedupeKey,
    bodyHash: r.bodyHash,
    body: r.body ?? null,
    headers: r.headers,
    triggeredAt: r.triggeredAt ? r.triggeredAt.toISOString() : null,
  }));
  const res = await getPool().query<{ id: string }>(INSERT_SQL, [JSON.stringify(payload)]);
  return new Set(res.rows.map((x) => x.id));
}

async function writeBatch(batch: Pending[]): Promise<void> {
  let stored: Set<string>;
  try {
    stored = await insertRows(batch.map((p) => p.row));
  } catch (err) {
    if (batch.length === 1) {
      batch[0]!.reject(err);
      return;
    }
    // One bad row must not fail its neighbours: retry each alone.
    await Promise.all(batch.map((p) => writeBatch([p])));
    return;
  }
  const ids: string[] = [];
  for (const p of batch) {
    const ok = stored.has(p.row.id);
    if (ok) ids.push(p.row.id);
    p.resolve(ok ? { id: p.row.id } : null);
  }
  if (ids.length) void queueReceipts(ids);
}

/**
 * Queues a `webhook` job per receipt id in one statement. Never throws: receipts left unqueued stay
 * "received" and the sweep re-queues them.
 */
export async function queueReceipts(ids: string[]): Promise<void> {
  try {
    const boss = await getBoss();
    await boss.insert(
      QUEUES.webhook,
      ids.map((receiptId) => ({ data: { receiptId }, singletonKey: `receipt:${receiptId}` })),
    );
  } catch (err) {
    console.error(`[webhooks] ${ids.length} receipt(s) stored, queueing failed (the sweep will retry):`, err);
  }
}

/** Closes the intake's connection pool (tests, graceful shutdown). */
export async function closeReceiptWriter(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.end();
}
