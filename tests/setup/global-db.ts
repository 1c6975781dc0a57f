/**
 * Vitest global setup: a real PostgreSQL for integration tests.
 * Uses TEST_DATABASE_URL when given (CI with a server), else starts the embedded PostgreSQL on a fresh
 * directory, applies the Prisma migrations, builds the app once, and exports DATABASE_URL to test workers.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { startEmbeddedPostgres, type EmbeddedHandle } from "../../app/db/embedded-postgres.server";
import { migrateDeploy } from "../../app/db/migrate.server";
import { ensureBuild } from "../../scripts/lib/build";

let handle: EmbeddedHandle | undefined;
let dataDir: string | undefined;

export async function setup(): Promise<void> {
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    // One data directory per run, so concurrent test runs on one machine never share a server.
    dataDir = `.data/pg-test-${process.pid}`;
    handle = await startEmbeddedPostgres({ dataDir, database: "syncflow_test", fresh: true });
    url = handle.url;
  }
  migrateDeploy(url);
  process.env.DATABASE_URL = url;
  // Secrets at rest need a key (there is no built-in one, decision 145): a random one per run, shared by every
  // test process and the servers and workers they start.
  process.env.SYNCFLOW_ENCRYPTION_KEY ??= crypto.randomBytes(32).toString("base64");
  // Build the app once, before test workers start (integration tests import the production build).
  ensureBuild(process.cwd(), { quiet: true });
}

export async function teardown(): Promise<void> {
  await handle?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}
