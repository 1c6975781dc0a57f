/**
 * Prisma 6.19.3 configuration: the JS schema engine through `@prisma/adapter-pg`, so migrations run
 * offline (ENV.md; docs/decisions/003-prisma-6-offline-and-27403.md). DATABASE_URL is required for
 * migrate commands; `prisma generate` gets a placeholder so it never tries to download an engine.
 */
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import { installPgNameTypeWorkaround } from "./app/db/pg-name-type-workaround";

installPgNameTypeWorkaround();

// The schema's `env("DATABASE_URL")` must resolve even for `prisma generate`, or the CLI falls back to
// downloading a query engine (offline failure): give it a placeholder that is never connected to.
process.env.DATABASE_URL ??= "postgresql://placeholder:placeholder@127.0.0.1:1/placeholder";
const url = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  schema: path.join("prisma", "schema.prisma"),
  engine: "js",
  async adapter() {
    return new PrismaPg({ connectionString: url });
  },
});
