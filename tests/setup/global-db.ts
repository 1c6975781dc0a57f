/**
 * Vitest global setup: a real PostgreSQL for integration tests.
 * Uses TEST_DATABASE_URL when given (CI with a server), else starts the embedded PostgreSQL on a fresh
 * `.data/pg-test` directory, applies the Prisma migrations, and exports DATABASE_URL to test workers.
 */
import { startEmbeddedPostgres, type EmbeddedHandle } from "../../app/db/embedded-postgres.server";
import { migrateDeploy } from "../../app/db/migrate.server";

let handle: EmbeddedHandle | undefined;

export async function setup(): Promise<void> {
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    handle = await startEmbeddedPostgres({ dataDir: ".data/pg-test", database: "syncflow_test", fresh: true });
    url = handle.url;
  }
  migrateDeploy(url);
  process.env.DATABASE_URL = url;
}

export async function teardown(): Promise<void> {
  await handle?.stop();
}
