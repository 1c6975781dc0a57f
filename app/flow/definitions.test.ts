/** The Flow extensions' TOML files declare exactly the handles and fields app/flow/definitions.ts sends and reads. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import toml from "toml";
import { FLOW_ACTIONS, FLOW_TRIGGERS, legacyId, payloadKey } from "./definitions";
import { loadFlowTriggers } from "../../tests/emulators/shopify/apps";

const EXT = path.resolve("extensions");
const read = (dir: string) => toml.parse(fs.readFileSync(path.join(EXT, dir, "shopify.extension.toml"), "utf8"));

describe("Flow extension definitions", () => {
  it("every trigger in definitions.ts has a flow_trigger extension with the same fields", () => {
    const declared = loadFlowTriggers();
    expect([...declared.keys()].sort()).toEqual(
      Object.values(FLOW_TRIGGERS)
        .map((t) => t.handle)
        .sort(),
    );
    for (const t of Object.values(FLOW_TRIGGERS)) {
      const d = declared.get(t.handle)!;
      expect(d.name).toBe(t.name);
      expect(d.fields.map((f) => [f.type, f.key ?? null])).toEqual(
        t.fields.map((f) => [f.type, "key" in f ? f.key : null]),
      );
      expect(t.handle.length).toBeLessThanOrEqual(30); // Flow: handles up to 30 characters
    }
  });

  it("every action has a flow_action extension whose runtime_url is the app route, with the same fields", () => {
    const app = toml.parse(fs.readFileSync("shopify.app.toml", "utf8")) as { application_url: string };
    for (const a of Object.values(FLOW_ACTIONS)) {
      const dir = fs
        .readdirSync(EXT)
        .find(
          (d) =>
            fs.existsSync(path.join(EXT, d, "shopify.extension.toml")) && read(d).extensions[0].handle === a.handle,
        )!;
      const conf = read(dir);
      expect(conf.extensions[0]).toMatchObject({
        type: "flow_action",
        name: a.name,
        runtime_url: `${app.application_url}${a.path}`,
      });
      expect(
        conf.settings.fields.map((f: { type: string; key?: string; required?: boolean }) => [
          f.type,
          f.key ?? null,
          f.required,
        ]),
      ).toEqual(a.fields.map((f) => [f.type, "key" in f ? f.key : null, true]));
    }
  });

  it("the admin block targets the product details page with a module that exists", () => {
    const conf = read("syncflow-product-block");
    expect(conf.extensions[0].type).toBe("ui_extension");
    expect(conf.extensions[0].targeting).toEqual([
      { module: "./src/BlockExtension.tsx", target: "admin.product-details.block.render" },
    ]);
    expect(fs.existsSync(path.join(EXT, "syncflow-product-block", "src", "BlockExtension.tsx"))).toBe(true);
  });

  it("payload keys and ids follow Flow's reference rules", () => {
    expect(payloadKey({ type: "product_reference" })).toBe("product_id");
    expect(payloadKey({ type: "number_integer", key: "Store quantity" })).toBe("Store quantity");
    expect(legacyId("gid://shopify/Product/1234")).toBe(1234);
    expect(legacyId("gid://shopify/Product/99999999999999999999")).toBeNull(); // beyond 2^53: never sent as a lossy number
    expect(legacyId("1234")).toBeNull();
  });
});
