/**
 * Loads Shopify's real Admin GraphQL schema from the introspection results shipped by
 * `@shopify/dev-mcp` (`dist/data/admin_<version>.json.gz`). Used by the emulator to parse/validate every
 * document, and by `app/channels/shopify/documents.test.ts` to validate every document the app sends.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from "graphql";

const cache = new Map<string, GraphQLSchema>();

/** Directory of the installed `@shopify/dev-mcp` package (its `dist/data` holds the introspections). */
function devMcpDir(): string {
  try {
    const resolver = (import.meta as unknown as { resolve?: (s: string) => string }).resolve;
    if (typeof resolver === "function") {
      const entry = fileURLToPath(resolver("@shopify/dev-mcp"));
      // entry is <pkg>/dist/index.js
      return path.resolve(path.dirname(entry), "..");
    }
  } catch {
    /* fall back to a directory walk */
  }
  const starts = [process.cwd(), path.dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const candidate = path.join(dir, "node_modules", "@shopify", "dev-mcp");
      if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error("@shopify/dev-mcp is not installed: cannot load the Admin GraphQL schema");
}

/**
 * The Admin GraphQL schema for `version` (e.g. "2026-10"), built with `buildClientSchema` from the
 * gunzipped introspection. Cached per version. Throws when the version's file is not shipped.
 */
export function loadAdminSchema(version: string): GraphQLSchema {
  const hit = cache.get(version);
  if (hit) return hit;
  const file = path.join(devMcpDir(), "dist", "data", `admin_${version}.json.gz`);
  if (!fs.existsSync(file)) throw new Error(`No Admin GraphQL introspection for API version ${version} (${file})`);
  const json = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString("utf8")) as
    { data: IntrospectionQuery } | IntrospectionQuery;
  const introspection = "data" in json ? json.data : json;
  const schema = buildClientSchema(introspection, { assumeValid: true });
  cache.set(version, schema);
  return schema;
}
