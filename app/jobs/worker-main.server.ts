/**
 * `npm run worker`: the worker as its own process. Uses DATABASE_URL (or starts/reuses the embedded
 * PostgreSQL of this checkout), applies nothing to the schema (the app's start script migrates), and
 * stops gracefully on SIGTERM/SIGINT (active jobs finish; unfinished ones are retried elsewhere).
 * With `--production` (what `npm run worker` passes) it first refuses demo/test settings, a missing
 * SYNCFLOW_ENCRYPTION_KEY and invalid variable values (app/lib/production-checks.server.ts, app/env.server.ts).
 *
 * CPU priority: the worker lowers its own scheduling priority by `SYNCFLOW_WORKER_NICE` (default 5, 0 to
 * keep it; Linux/macOS nice values, higher = lower priority) so that on a shared host the web process —
 * which must acknowledge Shopify webhooks within 5 s and serve the admin — is never starved by background
 * sync work; the work still runs at full speed whenever the web process is idle (decision 072).
 */
import os from "node:os";
import { ensureDatabaseUrl } from "../db/embedded-postgres.server";
import { assertProductionSettings } from "../lib/production-checks.server";
import { env } from "../env.server";

// `npm run worker` passes --production: refuse demo/test settings and a missing key (decision 144). The demo,
// the benchmarks and the tests start this same file without it.
if (process.argv.includes("--production")) assertProductionSettings("worker");

const nice = env.SYNCFLOW_WORKER_NICE;
if (Number.isInteger(nice) && nice > 0) {
  try {
    os.setPriority(Math.min(19, os.getPriority() + nice));
  } catch (err) {
    console.warn(`[worker] could not lower CPU priority: ${(err as Error).message}`);
  }
}

await ensureDatabaseUrl();
const { startWorker } = await import("./worker.server");
const { stopBoss } = await import("./queue.server");
const handle = await startWorker();
console.log(`[worker] started (pid ${process.pid})`);
const shutdown = async (signal: string) => {
  console.log(`[worker] ${signal}: stopping`);
  await handle.stop();
  await stopBoss();
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
