/**
 * `npm run worker`: the worker as its own process. Uses DATABASE_URL (or starts/reuses the embedded
 * PostgreSQL of this checkout), applies nothing to the schema (the app's start script migrates), and
 * stops gracefully on SIGTERM/SIGINT (active jobs finish; unfinished ones are retried elsewhere).
 */
import { ensureDatabaseUrl } from "../db/embedded-postgres.server";

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
