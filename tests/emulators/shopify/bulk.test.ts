/** Bulk query operations on the emulated Shopify: lifecycle, JSONL layout with __parentId, cost, limits, timing. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startShopifyEmulator, type ShopifyEmulator } from "./index.js";

let emu: ShopifyEmulator;
const SHOP = "bulk-emu.myshopify.com";
let token = "";
let loc1 = "";
let loc2 = "";

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`${emu.url}/store/${SHOP}/admin/api/2026-10/graphql.json`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": token },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}
const RUN = `mutation Run($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message code } } }`;
const POLL = `query Poll($id: ID!) { bulkOperation(id: $id) { id status objectCount rootObjectCount fileSize url completedAt } }`;
const ITEMS = `{ inventoryItems { edges { node { id inventoryLevels { edges { node { location { id } quantities(names: ["available"]) { name quantity } } } } } } } }`;

beforeAll(async () => {
  emu = await startShopifyEmulator({
    apiKey: "k",
    apiSecret: "s",
    restoreRate: 100,
    bulk: { startupMs: 0, objectsPerSecond: 1e9 },
  });
  const s = emu.control.createShop({ domain: SHOP });
  token = s.accessToken;
  loc1 = s.locationId;
  loc2 = emu.control.createLocation(SHOP, { name: "Warehouse" }).locationId;
  emu.control.createProduct(SHOP, {
    title: "Tee",
    variants: [
      { sku: "T-1", price: 10, quantities: { [loc1]: 4, [loc2]: 6 } },
      { sku: "T-2", price: 10, quantities: { [loc1]: 0 } },
    ],
  });
});
afterAll(() => emu.close());

describe("bulk operations", () => {
  it("runs a query for 10 points, completes, and serves JSONL with __parentId lines after their parent", async () => {
    const r = await gql(RUN, { q: ITEMS });
    expect(r.data.bulkOperationRunQuery.userErrors).toEqual([]);
    expect(r.extensions.cost.requestedQueryCost).toBe(10);
    const id = r.data.bulkOperationRunQuery.bulkOperation.id;
    expect(id).toMatch(/^gid:\/\/shopify\/BulkOperation\/\d+$/);
    const p = await gql(POLL, { id });
    const op = p.data.bulkOperation;
    expect(op).toMatchObject({ status: "COMPLETED", objectCount: "5", rootObjectCount: "2" });
    expect(p.extensions.cost.requestedQueryCost).toBe(1);
    const text = await (await fetch(op.url)).text();
    expect(Number(op.fileSize)).toBe(Buffer.byteLength(text));
    const rows = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(5);
    const items = rows.filter((x) => !x.__parentId);
    expect(items.map((x) => Object.keys(x))).toEqual([["id"], ["id"]]);
    for (const row of rows.filter((x) => x.__parentId)) {
      const parentIdx = rows.findIndex((x) => x.id === row.__parentId);
      expect(parentIdx).toBeGreaterThanOrEqual(0);
      expect(rows.indexOf(row)).toBeGreaterThan(parentIdx);
      expect(row).toMatchObject({
        location: { id: expect.stringMatching(/Location/) },
        quantities: [{ name: "available", quantity: expect.any(Number) }],
      });
    }
    const first = rows.find((x) => x.__parentId === items[0].id && x.location.id === loc2);
    expect(first.quantities[0].quantity).toBe(6);
    // currentBulkOperation (deprecated) and node(id) see the same operation
    const cur = await gql(
      `{ currentBulkOperation { id status } node(id: "${id}") { ... on BulkOperation { id status } } }`,
    );
    expect(cur.data.currentBulkOperation).toEqual({ id, status: "COMPLETED" });
    expect(cur.data.node).toEqual({ id, status: "COMPLETED" });
  });

  it("refuses invalid bulk queries with userErrors (no connection, nested connection without id, depth > 2)", async () => {
    const noConn = await gql(RUN, { q: "{ shop { name } }" });
    expect(noConn.data.bulkOperationRunQuery.userErrors[0]).toMatchObject({ code: "INVALID", field: ["query"] });
    const noId = await gql(RUN, {
      q: `{ inventoryItems { edges { node { tracked inventoryLevels { edges { node { id } } } } } } }`,
    });
    expect(noId.data.bulkOperationRunQuery.userErrors[0].message).toMatch(/must select the 'id' field/);
    const deep = await gql(RUN, {
      q: `{ products { edges { node { id variants { edges { node { id inventoryItem { id inventoryLevels { edges { node { id } } } } } } } } } } }`,
    });
    expect(deep.data.bulkOperationRunQuery.userErrors[0].message).toMatch(/nesting depth/);
    const bad = await gql(RUN, { q: "{ nope }" });
    expect(bad.data.bulkOperationRunQuery.userErrors[0].message).toMatch(/Invalid bulk query/);
  });

  it("takes startup + objects / rate, reports progress, and allows 5 concurrent runs per shop", async () => {
    emu.control.setBulkTiming({ startupMs: 100, objectsPerSecond: 5 }); // 5 objects → 1100 ms
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await gql(RUN, { q: ITEMS });
      expect(r.data.bulkOperationRunQuery.userErrors).toEqual([]);
      ids.push(r.data.bulkOperationRunQuery.bulkOperation.id);
    }
    const sixth = await gql(RUN, { q: ITEMS });
    expect(sixth.data.bulkOperationRunQuery.userErrors[0].code).toBe("LIMIT_REACHED");
    const early = (await gql(POLL, { id: ids[0] })).data.bulkOperation;
    expect(["CREATED", "RUNNING"]).toContain(early.status);
    expect(early.url).toBeNull();
    let op;
    do {
      await new Promise((r) => setTimeout(r, 20));
      op = (await gql(POLL, { id: ids[4] })).data.bulkOperation;
    } while (op.status !== "COMPLETED");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1090);
    const running = await gql(`{ bulkOperations(first: 10, query: "status:COMPLETED") { nodes { id } } }`);
    expect(running.data.bulkOperations.nodes.length).toBeGreaterThanOrEqual(5);
    emu.control.setBulkTiming({ startupMs: 0, objectsPerSecond: 1e9 });
  });

  it("is not charged to the bucket while it runs (only the 10-point mutation)", async () => {
    emu.control.setRateLimit({ restoreRate: 100, bucketSize: 2000 });
    const r = await gql(RUN, { q: ITEMS });
    const before = r.extensions.cost.throttleStatus.currentlyAvailable;
    const p = await gql(POLL, { id: r.data.bulkOperationRunQuery.bulkOperation.id });
    expect(p.extensions.cost.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(before - 1);
  });
});
