/** Every GraphQL document the app sends validates against Shopify's real Admin 2026-10 schema (dev-mcp introspection). */
import { describe, expect, it } from "vitest";
import { parse, validate } from "graphql";
import * as documents from "./graphql/index.js";
import { SHOPIFY_API_VERSION } from "./api-version.js";
import { loadAdminSchema } from "../../../tests/emulators/shopify/schema.js";

describe("Shopify GraphQL documents", () => {
  const schema = loadAdminSchema(SHOPIFY_API_VERSION);
  it("uses API version 2026-10", () => expect(SHOPIFY_API_VERSION).toBe("2026-10"));
  for (const [name, doc] of Object.entries(documents)) {
    it(`${name} is valid against admin ${SHOPIFY_API_VERSION}`, () => {
      const errors = validate(schema, parse(doc as string));
      expect(errors.map((e) => e.message)).toEqual([]);
    });
  }
  it("inventory mutations carry @idempotent(key:)", () => {
    expect(documents.INVENTORY_ADJUST_MUTATION).toContain("@idempotent(key: $key)");
    expect(documents.INVENTORY_SET_MUTATION).toContain("@idempotent(key: $key)");
    expect(documents.INVENTORY_MOVE_MUTATION).toContain("@idempotent(key: $key)");
  });
});
