/**
 * `npm start` — the production server: DATABASE_URL (or the embedded PostgreSQL on a fresh checkout),
 * migrations applied, the Remix build (built here if missing or stale) served by the app server
 * (`build/node/serve.js`, scripts/serve.ts: remix-serve's stack plus a direct path for webhooks), and — unless
 * SYNCFLOW_WORKER=separate (then run `npm run worker` processes yourself) — a worker in this process.
 * SIGTERM/SIGINT stop both gracefully. Refuses to start with demo/test settings, without SYNCFLOW_ENCRYPTION_KEY or
 * with any variable holding an invalid value (app/lib/production-checks.server.ts, app/env.server.ts).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { ensureDatabaseUrl } from "../app/db/embedded-postgres.server";
import { migrateDeploy } from "../app/db/migrate.server";
import { ensureBuild, NODE_ENTRIES } from "./lib/build";
import { assertProductionSettings } from "../app/lib/production-checks.server";
import { env } from "../app/env.server";

// Production refuses demo/test settings and a missing encryption key before touching anything (decision 144).
assertProductionSettings("start");
const root = process.cwd();
const url = await ensureDatabaseUrl();
migrateDeploy(url);
ensureBuild(root);
for (const v of ["SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SHOPIFY_APP_URL"] as const) {
  if (!env[v])
    console.warn(
      `[start] ${v} is not set: shopifyApp() will refuse to start (see README "Run against a real Shopify dev store").`,
    );
}
const server = spawn(
  process.execPath,
  [path.join(root, NODE_ENTRIES.serve.out), path.join(root, "build/server/index.js")],
  {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: env.NODE_ENV ?? "production" },
  },
);
let worker: { stop(): Promise<void> } | undefined;
if (env.SYNCFLOW_WORKER !== "separate") {
  const { startWorker } = await import("../app/jobs/worker.server");
  worker = await startWorker();
  console.log("[start] worker running in this process");
}
const stop = async () => {
  server.kill("SIGTERM");
  await worker?.stop();
  const { stopBoss } = await import("../app/jobs/queue.server");
  await stopBoss();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
server.on("exit", (code) => process.exit(code ?? 1));
