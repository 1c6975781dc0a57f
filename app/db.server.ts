/**
 * Prisma client (Shopify template spot). One client per process, built on `@prisma/adapter-pg` over
 * DATABASE_URL (Prisma 6.19.3 driver adapter, engineType "client": no Rust engine, works offline).
 * DATABASE_URL must be set before the first use; entry points call `ensureDatabaseUrl()` first
 * (app/db/embedded-postgres.server.ts) so a fresh checkout gets the embedded PostgreSQL.
 */
import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";
import { installPgNameTypeWorkaround } from "./db/pg-name-type-workaround";
import { env } from "./env.server";

installPgNameTypeWorkaround();

declare global {
  var __syncflowPrisma: PrismaClient | undefined;
}

function createClient(): PrismaClient {
  const connectionString = env.DATABASE_URL;
  if (!connectionString) {
    throw new Error(
      "DATABASE_URL is not set: start through `npm run demo`/`npm start`, which start the embedded PostgreSQL, or set it.",
    );
  }
  const max = env.DATABASE_POOL_MAX;
  return new PrismaClient({ adapter: new PrismaPg({ connectionString, max }) });
}

/** Lazily created so importing this module never needs DATABASE_URL (tests set it in global setup). */
const prisma: PrismaClient = new Proxy({} as PrismaClient, {
  get(_t, prop) {
    globalThis.__syncflowPrisma ??= createClient();
    const value = Reflect.get(globalThis.__syncflowPrisma, prop);
    return typeof value === "function" ? value.bind(globalThis.__syncflowPrisma) : value;
  },
});

export default prisma;
export type { PrismaClient };
/** A Prisma interactive-transaction client. */
export type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];
