/**
 * Ingest: signed webhooks fired at the running app from a second Node process (bench/ingest-load.ts),
 * measuring accepted webhooks per second and the acknowledgement latency (verify → store receipt → queue → 200).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import prisma from "../app/db.server";
import { cpuSeconds, postgresPids, type Stack } from "./lib/stack";

/**
 * Result of the ingest scenario. `cpuMsPerWebhook`: CPU time (user + system) each process tree spent per
 * accepted webhook during the measured window — less noisy on a shared machine than the rate itself. The
 * worker's share covers what it processed in that window (it may lag behind the intake).
 */
export interface IngestBench {
  webhooksPerSecond: number;
  ackP99Ms: number;
  ackP50Ms: number;
  sent: number;
  accepted: number;
  statuses: Record<string, number>;
  concurrency: number;
  cpuMsPerWebhook?: { app: number; worker: number; postgres: number; loadGenerator: number };
  /** How long the run waited for the system to settle before the load started, ms. */
  settledMs?: number;
  /** Receipts the worker finished per second during the window, and receipts still waiting at its end. */
  worker?: { processedPerSecond: number; backlogAtEnd: number; cpuMsPerProcessed: number };
}

const countDone = async () =>
  Number(
    (
      await prisma.$queryRaw<
        { n: bigint }[]
      >`SELECT count(*)::bigint AS n FROM "WebhookReceipt" WHERE status <> 'received'`
    )[0]!.n,
  );
const countWaiting = async () =>
  Number(
    (
      await prisma.$queryRaw<
        { n: bigint }[]
      >`SELECT count(*)::bigint AS n FROM "WebhookReceipt" WHERE status = 'received'`
    )[0]!.n,
  );

/** Warm-up before the measured window, ms: the app's webhook path is compiled by V8 and the pools are filled. */
const WARMUP_MS = 3000;

/**
 * Waits (≤ 60 s) until the system is idle before load starts: no receipt waiting for the worker, at most a few
 * queued jobs (the worker's backlog from the scenario before, e.g. the 10k reconciliation), and no PostgreSQL
 * autovacuum worker running. A server in service is not measured in the minute after a bulk job either.
 * Logs what it waited for (stderr) and returns the ms waited.
 */
async function settle(): Promise<number> {
  const t = Date.now();
  let seen = "";
  while (Date.now() - t < 60_000) {
    const [{ vacuums }] = await prisma.$queryRaw<
      { vacuums: bigint }[]
    >`SELECT count(*)::bigint AS vacuums FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND state IS DISTINCT FROM 'idle'`;
    const jobs = await prisma.$queryRaw<
      { name: string; n: bigint }[]
    >`SELECT name, count(*)::bigint AS n FROM pgboss.job WHERE state IN ('created', 'retry', 'active') AND start_after <= now() GROUP BY name`;
    const queued = jobs.reduce((n, j) => n + Number(j.n), 0);
    const waiting = await countWaiting();
    if (Number(vacuums) === 0 && waiting === 0 && queued <= 3) break;
    seen ||= `autovacuum workers ${vacuums}, receipts waiting ${waiting}, jobs ${JSON.stringify(Object.fromEntries(jobs.map((j) => [j.name, Number(j.n)])))}`;
    await new Promise((r) => setTimeout(r, 500));
  }
  const ms = Date.now() - t;
  if (seen) console.error(`[bench] ingest: waited ${ms} ms for the system to settle (at first: ${seen})`);
  return ms;
}

/**
 * Runs the load generator against `stack` for `durationMs` with `concurrency` requests in flight, after the
 * system has settled (see `settle`) and a 3 s warm-up.
 */
export async function runIngest(input: {
  stack: Stack;
  shop: string;
  durationMs: number;
  concurrency: number;
}): Promise<IngestBench> {
  const settledMs = await settle();
  const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: input.shop } });
  const levels = await prisma.inventoryLevel.findMany({
    where: { shopId: shop.id },
    take: 500,
    include: { item: { select: { inventoryItemId: true } } },
  });
  const items = levels
    .filter((l) => l.item.inventoryItemId)
    .map((l) => ({ item: l.item.inventoryItemId!, location: l.locationGid }));
  const cfg = {
    url: input.stack.appUrl,
    secret: input.stack.apiSecret,
    shop: input.shop,
    items,
    durationMs: input.durationMs,
    concurrency: input.concurrency,
    warmupMs: WARMUP_MS,
  };
  const pg = postgresPids();
  const snap = (loadPid: number) => ({
    app: cpuSeconds(input.stack.appPid),
    worker: cpuSeconds(input.stack.workerPid),
    postgres: pg.reduce((n, p) => n + cpuSeconds(p), 0),
    loadGenerator: cpuSeconds(loadPid),
  });
  type Snap = ReturnType<typeof snap>;
  let before = undefined as Snap | undefined;
  let after = undefined as Snap | undefined;
  let doneBefore: Promise<[number, number]> | undefined;
  let doneAfter: Promise<[number, number]> | undefined;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(process.cwd(), "bench", "ingest-load.ts"), JSON.stringify(cfg)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let buf = "";
    // The load generator prints "warm" after its warm-up and "done" when the measured window ends.
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      if (!before && /^warm$/m.test(buf)) {
        before = snap(child.pid!);
        doneBefore = Promise.all([countDone(), Promise.resolve(performance.now())]);
      }
      if (!after && /^done$/m.test(buf)) {
        after = snap(child.pid!);
        doneAfter = Promise.all([countDone(), Promise.resolve(performance.now())]);
      }
    });
    child.on("exit", (code) => (code === 0 ? resolve(buf) : reject(new Error(`ingest load generator exited ${code}`))));
  });
  const res = JSON.parse(out.trim().split("\n").at(-1)!) as IngestBench;
  res.settledMs = settledMs;
  if (before && after && res.accepted > 0) {
    const [b, a] = [before, after];
    const per = (k: keyof Snap) => Math.round((((a[k] - b[k]) * 1000) / res.accepted) * 100) / 100;
    res.cpuMsPerWebhook = {
      app: per("app"),
      worker: per("worker"),
      postgres: per("postgres"),
      loadGenerator: per("loadGenerator"),
    };
    if (doneBefore && doneAfter) {
      const [[n0, t0], [n1, t1]] = await Promise.all([doneBefore, doneAfter]);
      const processed = Math.max(1, n1 - n0);
      res.worker = {
        processedPerSecond: Math.round(processed / ((t1 - t0) / 1000)),
        backlogAtEnd: await countWaiting(),
        cpuMsPerProcessed: Math.round((((a.worker - b.worker) * 1000) / processed) * 100) / 100,
      };
    }
  }
  return res;
}
