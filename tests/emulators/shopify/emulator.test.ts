/** Emulator contract tests: webhooks (HMAC, headers, JSON-Schema validity, retries, redelivery), token exchange, schema rejection. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import type { AddressInfo } from "node:net";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { schemaForWebhook } from "shopify-webhook-schemas";
import {
  startShopifyEmulator,
  mintSessionToken,
  webhookHmac,
  WEBHOOK_SCHEMA_VERSION,
  EMITTED_TOPICS,
  type ShopifyEmulator,
} from "./index.js";

const SHOP = "hooks.myshopify.com";
const API_KEY = "test-key";
const SECRET = "test-secret";
const FIXTURES = path.resolve(process.cwd(), "tests/fixtures/shopify/webhooks");

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// CJS/ESM interop: under Node ESM the constructors may sit on `.default`.
const AjvCtor = ((Ajv2020 as unknown as { default?: typeof Ajv2020 }).default ?? Ajv2020) as typeof Ajv2020;
const applyFormats = ((addFormats as unknown as { default?: typeof addFormats }).default ??
  addFormats) as typeof addFormats;
const ajv = new AjvCtor({ strict: false, allErrors: true });
applyFormats(ajv);
function validateTopic(topic: string, payload: unknown): string | null {
  const validate =
    ajv.getSchema(topic) ??
    (ajv.addSchema(schemaForWebhook(WEBHOOK_SCHEMA_VERSION, topic), topic), ajv.getSchema(topic)!);
  return validate(payload) ? null : ajv.errorsText(validate.errors);
}

let emu: ShopifyEmulator;
let app: http.Server;
const received: Received[] = [];
let failStatus = 0;
let failCount = 0;

beforeAll(async () => {
  app = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    if (failCount > 0) {
      failCount--;
      res.writeHead(failStatus);
      res.end();
      return;
    }
    res.writeHead(200);
    res.end("ok");
  });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
  emu = await startShopifyEmulator({
    apiKey: API_KEY,
    apiSecret: SECRET,
    appUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
    webhookRetryScheduleMs: [20, 40, 80],
  });
});
afterAll(async () => {
  await emu.close();
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
});

describe("webhooks", () => {
  it("emits every topic, signed, with Shopify's headers, and payloads valid against shopify-webhook-schemas 2026-07", async () => {
    const { accessToken, locationId } = emu.control.createShop({ domain: SHOP, name: "Hooks" });
    const p = emu.control.createProduct(SHOP, {
      title: "Tee",
      productType: "Shirts",
      variants: [
        { sku: "TEE-S", title: "S", price: "19.99", quantities: { [locationId]: 10 } },
        { sku: "TEE-M", title: "M", price: 21, quantities: { [locationId]: 4 } },
      ],
    });
    const order = emu.control.placeOrder(SHOP, {
      lines: [
        { sku: "TEE-S", quantity: 2 },
        { sku: "TEE-M", quantity: 1 },
      ],
    });
    // A fulfilment with tracking, then a tracking change: fulfillments/create, fulfillments/update, orders/updated ×2.
    emu.control.grantScopes(SHOP, "read_orders,write_orders,write_merchant_managed_fulfillment_orders");
    const admin = async (query: string, variables: Record<string, unknown>) =>
      (
        await (
          await fetch(`${emu.url}/store/${SHOP}/admin/api/2026-10/graphql.json`, {
            method: "POST",
            headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": accessToken },
            body: JSON.stringify({ query, variables }),
          })
        ).json()
      ).data;
    const fo = (
      await admin(
        `query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id lineItems(first: 5) { nodes { id lineItem { sku } } } } } } }`,
        { id: order.orderId },
      )
    ).order.fulfillmentOrders.nodes[0];
    const tee = fo.lineItems.nodes.find((l: any) => l.lineItem.sku === "TEE-S");
    const created = await admin(
      `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { message } } }`,
      {
        f: {
          lineItemsByFulfillmentOrder: [
            { fulfillmentOrderId: fo.id, fulfillmentOrderLineItems: [{ id: tee.id, quantity: 1 }] },
          ],
          trackingInfo: { company: "UPS", number: "1Z1", url: "https://ups.example.com/1Z1" },
        },
      },
    );
    await admin(
      `mutation($id: ID!, $t: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t) { userErrors { message } } }`,
      { id: created.fulfillmentCreate.fulfillment.id, t: { company: "UPS", number: "1Z2" } },
    );
    emu.control.refund(SHOP, { orderId: order.orderId, lines: [{ sku: "TEE-M", quantity: 1 }], restock: true });
    emu.control.cancelOrder(SHOP, { orderId: order.orderId, restock: true });
    emu.control.setAvailable(SHOP, { sku: "TEE-S", locationId, available: 7 });
    emu.control.updateVariant(SHOP, { variantId: p.variants[0]!.variantId, price: "18.00" });
    // the app's own write echoes back as inventory_levels/update
    const r = await fetch(`${emu.url}/store/${SHOP}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": accessToken },
      body: JSON.stringify({
        query: `mutation($i: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $i) @idempotent(key: "echo-1") { userErrors { code } } }`,
        variables: {
          i: {
            name: "available",
            reason: "correction",
            referenceDocumentUri: "gid://syncflow/Test/1",
            changes: [
              { inventoryItemId: p.variants[1]!.inventoryItemId, locationId, delta: 1, changeFromQuantity: null },
            ],
          },
        },
      }),
    });
    expect((await r.json()).data.inventoryAdjustQuantities.userErrors).toEqual([]);
    emu.control.uninstall(SHOP);
    await emu.control.webhooksIdle();

    const state = emu.control.state(SHOP);
    expect(state.availableBySku).toEqual({ "TEE-S": { [locationId]: 7 }, "TEE-M": { [locationId]: 5 } });
    const topics = new Set<string>();
    fs.mkdirSync(FIXTURES, { recursive: true });
    for (const rec of received) {
      const topic = String(rec.headers["x-shopify-topic"]);
      topics.add(topic);
      expect(rec.path).toBe(`/webhooks/${topic}`);
      expect(rec.headers["x-shopify-hmac-sha256"]).toBe(webhookHmac(rec.body, SECRET));
      expect(rec.headers["x-shopify-shop-domain"]).toBe(SHOP);
      expect(rec.headers["x-shopify-api-version"]).toBe("2026-10");
      expect(rec.headers["x-shopify-webhook-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(rec.headers["x-shopify-event-id"]).toBeTruthy();
      expect(rec.headers["x-shopify-triggered-at"]).toBeTruthy();
      const payload = JSON.parse(rec.body);
      expect(validateTopic(topic, payload), topic).toBeNull();
      const file = path.join(FIXTURES, `${topic}.json`);
      if (process.env.UPDATE_SHOPIFY_FIXTURES || !fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(payload, null, 2) + "\n");
      }
    }
    expect([...topics].sort()).toEqual([...EMITTED_TOPICS].sort());
    const levelUpdates = received.filter((x) => x.headers["x-shopify-topic"] === "inventory_levels/update").length;
    expect(levelUpdates).toBe(2 /*order*/ + 1 /*refund*/ + 1 /*cancel*/ + 1 /*manual*/ + 1 /*echo*/);
    // order of emission for the order: orders/create precedes its level updates
    const seq = received.map((x) => x.headers["x-shopify-topic"]);
    expect(seq.indexOf("orders/create")).toBeLessThan(seq.indexOf("inventory_levels/update"));
  });

  it("saved fixtures validate against the schemas", () => {
    for (const topic of EMITTED_TOPICS) {
      const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${topic}.json`), "utf8"));
      expect(validateTopic(topic, payload), topic).toBeNull();
    }
  });

  it("retries non-2xx with the same webhook id, redelivers verbatim, drops, duplicates and sends bad HMAC", async () => {
    const shop = "retry.myshopify.com";
    const { locationId } = emu.control.createShop({ domain: shop });
    emu.control.createProduct(shop, {
      title: "Cap",
      variants: [{ sku: "CAP", price: 5, quantities: { [locationId]: 3 } }],
    });
    received.length = 0;
    failStatus = 500;
    failCount = 2;
    emu.control.setAvailable(shop, { sku: "CAP", available: 2 });
    await emu.control.webhooksIdle();
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers["x-shopify-webhook-id"])).size).toBe(1);
    const d = emu.control.deliveries(shop).at(-1)!;
    expect(d.status).toBe("delivered");
    expect(d.attempts.map((a) => a.status)).toEqual([500, 500, 200]);

    received.length = 0;
    emu.control.redeliver(shop, d.id);
    await emu.control.webhooksIdle();
    expect(received[0]!.headers["x-shopify-webhook-id"]).toBe(d.id);
    expect(received[0]!.body).toBe(d.body);

    received.length = 0;
    emu.control.setFaults({ dropWebhooks: 1, duplicateWebhooks: 1 });
    emu.control.setAvailable(shop, { sku: "CAP", available: 1 }); // dropped
    emu.control.setAvailable(shop, { sku: "CAP", available: 0 }); // duplicated
    await emu.control.webhooksIdle();
    expect(received).toHaveLength(2);
    expect(received[0]!.headers["x-shopify-webhook-id"]).toBe(received[1]!.headers["x-shopify-webhook-id"]);
    expect(JSON.parse(received[0]!.body).available).toBe(0);

    received.length = 0;
    const bad = await emu.control.sendBadHmac(shop);
    expect(received[0]!.headers["x-shopify-hmac-sha256"]).not.toBe(webhookHmac(received[0]!.body, SECRET));
    expect(bad.attempts[0]!.status).toBe(200); // this test receiver does not verify
  });
});

describe("token exchange and auth", () => {
  it("exchanges a session token for offline and online tokens; rejects bad tokens", async () => {
    const shop = "auth.myshopify.com";
    const { accessToken } = emu.control.createShop({ domain: shop });
    const post = (body: unknown) =>
      fetch(`${emu.url}/store/${shop}/admin/oauth/access_token`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    const base = {
      client_id: API_KEY,
      client_secret: SECRET,
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
    };
    const st = mintSessionToken({ apiKey: API_KEY, apiSecret: SECRET, shop });
    const off = await post({
      ...base,
      subject_token: st,
      requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
      expiring: "0",
    });
    expect(off.status).toBe(200);
    expect(await off.json()).toMatchObject({ access_token: accessToken, scope: expect.any(String) });
    const on = await (
      await post({
        ...base,
        subject_token: st,
        requested_token_type: "urn:shopify:params:oauth:token-type:online-access-token",
      })
    ).json();
    expect(on).toMatchObject({
      access_token: expect.any(String),
      expires_in: expect.any(Number),
      associated_user: { id: 1 },
    });
    const wrongShop = mintSessionToken({ apiKey: API_KEY, apiSecret: SECRET, shop: "other.myshopify.com" });
    expect(
      (
        await post({
          ...base,
          subject_token: wrongShop,
          requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
        })
      ).status,
    ).toBe(400);
    const badSig = mintSessionToken({ apiKey: API_KEY, apiSecret: "nope", shop });
    expect(
      (
        await post({
          ...base,
          subject_token: badSig,
          requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
        })
      ).status,
    ).toBe(400);
    const gql = await fetch(`${emu.url}/store/${shop}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": "bad" },
      body: JSON.stringify({ query: "{ shop { name } }" }),
    });
    expect(gql.status).toBe(401);
    expect((await gql.json()).errors).toMatch(/Invalid API key or access token/);
  });

  it("rejects documents the real schema rejects, and requires @idempotent + changeFromQuantity", async () => {
    const shop = "schema.myshopify.com";
    const { accessToken, locationId } = emu.control.createShop({ domain: shop });
    const p = emu.control.createProduct(shop, {
      title: "Mug",
      variants: [{ sku: "MUG", price: 9, quantities: { [locationId]: 3 } }],
    });
    const q = async (query: string, variables?: unknown) =>
      (
        await fetch(`${emu.url}/store/${shop}/admin/api/2026-10/graphql.json`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": accessToken },
          body: JSON.stringify({ query, variables }),
        })
      ).json();
    const bad = await q("{ shop { nope } }");
    expect(bad.errors[0]).toMatchObject({
      message: expect.stringContaining("nope"),
      locations: [{ line: 1, column: 10 }],
    });
    expect(bad.data).toBeUndefined();
    const compareQuantity = await q(
      `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", ignoreCompareQuantity: true, quantities: [{inventoryItemId: "${p.variants[0]!.inventoryItemId}", locationId: "${locationId}", quantity: 1}]}) @idempotent(key: "a") { userErrors { code } } }`,
    );
    expect(compareQuantity.errors[0].message).toMatch(/ignoreCompareQuantity/);
    const noKey = await q(
      `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: "${p.variants[0]!.inventoryItemId}", locationId: "${locationId}", quantity: 1, changeFromQuantity: 3}]}) { userErrors { code } } }`,
    );
    expect(noKey.errors[0].message).toMatch(/@idempotent/);
    const noCfq = await q(
      `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: "${p.variants[0]!.inventoryItemId}", locationId: "${locationId}", quantity: 1}]}) @idempotent(key: "b") { userErrors { code } } }`,
    );
    expect(noCfq.errors[0].message).toMatch(/changeFromQuantity/);
    const badReason = await q(
      `mutation { inventorySetQuantities(input: {name: "available", reason: "because", quantities: [{inventoryItemId: "${p.variants[0]!.inventoryItemId}", locationId: "${locationId}", quantity: 1, changeFromQuantity: null}]}) @idempotent(key: "c") { userErrors { code } } }`,
    );
    expect(badReason.data.inventorySetQuantities.userErrors).toEqual([{ code: "INVALID_REASON" }]);
    expect(emu.control.state(shop).availableBySku.MUG).toEqual({ [locationId]: 3 });
    expect(emu.control.graphqlLog(shop).length).toBe(5);
  });
});
