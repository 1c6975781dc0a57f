/**
 * The emulator's orders (orders.ts) held to the 2026-10 Admin schema and Shopify's documented behaviour: orderCreate's
 * inventory behaviours (BYPASS moves nothing, DECREMENT_* take available), receipts off by default, userErrors for
 * what Shopify refuses, lookup by source identifier and tag, orderCancel without restock, fulfilment orders and
 * partial fulfilments with several tracking numbers, scopes, and a schema-valid `orders/create` webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { schemaForWebhook } from "shopify-webhook-schemas";
import { startShopifyEmulator, WEBHOOK_SCHEMA_VERSION, type ShopifyEmulator } from "./index.js";

const SHOP = "central-orders.myshopify.com";
const SCOPES =
  "read_products,read_inventory,write_inventory,read_orders,write_orders,read_locations,write_merchant_managed_fulfillment_orders";
let emu: ShopifyEmulator;
let token = "";
let loc = "";
let variant = "";

const AjvCtor = ((Ajv2020 as unknown as { default?: typeof Ajv2020 }).default ?? Ajv2020) as typeof Ajv2020;
const applyFormats = ((addFormats as unknown as { default?: typeof addFormats }).default ??
  addFormats) as typeof addFormats;

async function gql(query: string, variables: Record<string, unknown> = {}, accessToken = token, shop = SHOP) {
  const r = await fetch(`${emu.url}/store/${shop}/admin/api/2026-10/graphql.json`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": accessToken },
    body: JSON.stringify({ query, variables }),
  });
  return (await r.json()) as { data?: any; errors?: any[] };
}

const CREATE = `mutation Create($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name sourceIdentifier tags note displayFinancialStatus
      shippingAddress { address1 city countryCodeV2 } billingAddress { company }
      lineItems(first: 10) { nodes { id sku quantity variant { id } originalUnitPriceSet { shopMoney { amount } } } } }
    userErrors { field message code }
  }
}`;
const available = () => emu.control.state(SHOP).availableBySku["HUB-1"]![loc];
const order = (key: string, extra: Record<string, unknown> = {}) => ({
  sourceIdentifier: key,
  currency: "USD",
  tags: ["syncflow", "Woo store"],
  note: "Source order #77",
  financialStatus: "PAID",
  shippingAddress: {
    firstName: "Ada",
    lastName: "L",
    address1: "1 Road",
    city: "Leeds",
    countryCode: "GB",
    zip: "LS1",
  },
  billingAddress: { company: "Retailer Ltd", address1: "2 Street", city: "York", countryCode: "GB" },
  lineItems: [
    { variantId: variant, quantity: 2, priceSet: { shopMoney: { amount: "9.50", currencyCode: "USD" } } },
    {
      title: "Gift wrap (unlinked SKU)",
      sku: "WRAP",
      quantity: 1,
      requiresShipping: true,
      priceSet: { shopMoney: { amount: "1.00", currencyCode: "USD" } },
    },
  ],
  ...extra,
});

beforeAll(async () => {
  emu = await startShopifyEmulator({ apiKey: "k", apiSecret: "s", restoreRate: 1000 });
  const s = emu.control.createShop({ domain: SHOP, scope: SCOPES });
  token = s.accessToken;
  loc = s.locationId;
  variant = emu.control.createProduct(SHOP, {
    title: "Hub tee",
    variants: [{ sku: "HUB-1", price: 10, quantities: { [loc]: 10 } }],
  }).variants[0]!.variantId;
});
afterAll(async () => {
  await emu?.close();
});

describe("orderCreate", () => {
  it("BYPASS (the default) creates the order and moves no inventory; no receipt is sent", async () => {
    const r = await gql(CREATE, { order: order("syncflow:c1:1001") });
    expect(r.errors).toBeUndefined();
    const o = r.data.orderCreate.order;
    expect(r.data.orderCreate.userErrors).toEqual([]);
    expect(o.sourceIdentifier).toBe("syncflow:c1:1001");
    expect(o.tags).toEqual(["syncflow", "Woo store"]);
    expect(o.displayFinancialStatus).toBe("PAID");
    expect(o.shippingAddress).toEqual({ address1: "1 Road", city: "Leeds", countryCodeV2: "GB" });
    expect(o.billingAddress.company).toBe("Retailer Ltd");
    expect(o.lineItems.nodes.map((l: any) => [l.sku, l.quantity, l.variant?.id ?? null])).toEqual([
      ["HUB-1", 2, variant],
      ["WRAP", 1, null],
    ]);
    expect(o.lineItems.nodes[0].originalUnitPriceSet.shopMoney.amount).toBe("9.50");
    expect(available()).toBe(10);
    expect(emu.control.state(SHOP).notifications).toEqual([]);
  });

  it("DECREMENT_IGNORING_POLICY takes available; DECREMENT_OBEYING_POLICY refuses more than is there", async () => {
    const r = await gql(CREATE, {
      order: order("syncflow:c1:1002"),
      options: { inventoryBehaviour: "DECREMENT_IGNORING_POLICY" },
    });
    expect(r.data.orderCreate.userErrors).toEqual([]);
    expect(available()).toBe(8);
    const big = order("syncflow:c1:1003", {
      lineItems: [{ variantId: variant, quantity: 50 }],
    });
    const refused = await gql(CREATE, { order: big, options: { inventoryBehaviour: "DECREMENT_OBEYING_POLICY" } });
    expect(refused.data.orderCreate.order).toBeNull();
    expect(refused.data.orderCreate.userErrors[0].code).toBe("INVENTORY_CLAIM_FAILED");
    expect(available()).toBe(8);
  });

  it("sendReceipt true records an order confirmation to the customer", async () => {
    const r = await gql(CREATE, {
      order: order("syncflow:c1:1004", { email: "ada@example.com" }),
      options: { sendReceipt: true },
    });
    expect(r.data.orderCreate.userErrors).toEqual([]);
    expect(emu.control.state(SHOP).notifications).toEqual([
      { kind: "order_confirmation", orderId: r.data.orderCreate.order.id, to: "ada@example.com" },
    ]);
  });

  it("rejects what Shopify rejects: schema errors, unknown variants, blank custom titles, both customer fields", async () => {
    const bad = await gql(CREATE, { order: order("x", { lineItems: [{ variantId: variant }] }) });
    expect(bad.errors?.[0]?.message).toMatch(/quantity/);
    const invalidEnum = await gql(CREATE, { order: order("x"), options: { inventoryBehaviour: "DECREMENT" } });
    expect(invalidEnum.errors?.length).toBeGreaterThan(0);
    const r = await gql(CREATE, {
      order: order("syncflow:bad", {
        lineItems: [
          { variantId: "gid://shopify/ProductVariant/999999", quantity: 1 },
          { quantity: 1 },
          { variantId: variant, quantity: 0 },
        ],
        customerId: "gid://shopify/Customer/1",
        customer: { toAssociate: { id: "gid://shopify/Customer/1" } },
      }),
    });
    expect(r.data.orderCreate.order).toBeNull();
    expect(r.data.orderCreate.userErrors.map((e: any) => [e.field.join("."), e.code])).toEqual([
      ["order", "REDUNDANT_CUSTOMER_FIELDS"],
      ["order.lineItems.0.variantId", "INVALID"],
      ["order.lineItems.1.title", "INVALID"],
      ["order.lineItems.2.quantity", "INVALID"],
    ]);
    const found = await gql(`{ orders(first: 5, query: "source_identifier:syncflow:bad") { nodes { id } } }`);
    expect(found.data.orders.nodes).toEqual([]);
  });

  it("takes no idempotency key: the same input twice is two orders, found by source_identifier and tag", async () => {
    await gql(CREATE, { order: order("syncflow:c1:dup") });
    await gql(CREATE, { order: order("syncflow:c1:dup") });
    const byKey = await gql(`query($q: String!) { orders(first: 5, query: $q) { nodes { id sourceIdentifier } } }`, {
      q: 'source_identifier:"syncflow:c1:dup"',
    });
    expect(byKey.data.orders.nodes).toHaveLength(2);
    const byTag = await gql(`{ orders(first: 50, query: "tag:syncflow") { nodes { id } } }`);
    expect(byTag.data.orders.nodes.length).toBeGreaterThanOrEqual(4);
  });

  it("emits orders/create with a payload valid for the webhook schema, carrying source_identifier and tags", async () => {
    const r = await gql(CREATE, { order: order("syncflow:c1:hook") });
    const id = r.data.orderCreate.order.id as string;
    const d = emu.control
      .deliveries(SHOP)
      .find((x) => x.topic === "orders/create" && JSON.parse(x.body).admin_graphql_api_id === id)!;
    const payload = JSON.parse(d.body);
    expect(payload.source_identifier).toBe("syncflow:c1:hook");
    expect(payload.tags).toBe("syncflow, Woo store");
    expect(payload.note).toBe("Source order #77");
    expect(payload.line_items[1].variant_id).toBeNull();
    const ajv = new AjvCtor({ strict: false, allErrors: true });
    applyFormats(ajv);
    const validate = ajv.compile(schemaForWebhook(WEBHOOK_SCHEMA_VERSION, "orders/create"));
    expect(validate(payload) ? null : ajv.errorsText(validate.errors)).toBeNull();
  });

  it("refuses without write_orders (ACCESS_DENIED), as Shopify does", async () => {
    const other = emu.control.createShop({ domain: "no-scope.myshopify.com" });
    const r = await gql(
      CREATE,
      { order: order("x", { lineItems: [{ title: "x", quantity: 1 }] }) },
      other.accessToken,
      "no-scope.myshopify.com",
    );
    expect(r.errors?.[0]?.extensions?.code).toBe("ACCESS_DENIED");
  });
});

describe("orderCancel and fulfilments", () => {
  const FOS = `query($id: ID!) { order(id: $id) { displayFulfillmentStatus cancelledAt
    fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 10) { nodes { id remainingQuantity totalQuantity lineItem { id sku } } } } }
    fulfillments(first: 10) { id status trackingInfo { company number url } fulfillmentLineItems(first: 10) { nodes { quantity lineItem { sku } } } } } }`;
  const FULFIL = `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
    fulfillment { id status trackingInfo { company number url } } userErrors { field message } } }`;

  it("cancels without restock: a BYPASS order moves nothing; a second cancel is refused", async () => {
    const before = available();
    const r = await gql(CREATE, { order: order("syncflow:c1:cancel") });
    const id = r.data.orderCreate.order.id;
    const c = await gql(
      `mutation($id: ID!) { orderCancel(orderId: $id, reason: OTHER, restock: false, notifyCustomer: false, refund: false) {
        jobResult { done status } orderCancelUserErrors { code message } } }`,
      { id },
    );
    expect(c.data.orderCancel.orderCancelUserErrors).toEqual([]);
    expect(c.data.orderCancel.jobResult).toEqual({ done: true, status: "SUCCEEDED" });
    expect(available()).toBe(before);
    const again = await gql(
      `mutation($id: ID!) { orderCancel(orderId: $id, reason: OTHER, restock: false) { orderCancelUserErrors { code } } }`,
      { id },
    );
    expect(again.data.orderCancel.orderCancelUserErrors[0].code).toBe("INVALID");
    const missing = await gql(
      `mutation { orderCancel(orderId: "gid://shopify/Order/1", reason: OTHER, restock: false) { orderCancelUserErrors { code } } }`,
    );
    expect(missing.data.orderCancel.orderCancelUserErrors[0].code).toBe("NOT_FOUND");
    const o = await gql(FOS, { id });
    expect(o.data.order.cancelledAt).not.toBeNull();
    expect(o.data.order.fulfillmentOrders.nodes[0].status).toBe("CLOSED");
  });

  it("fulfils in two parts with several tracking numbers; a BYPASS order's fulfilment moves no stock", async () => {
    const before = available();
    const r = await gql(CREATE, { order: order("syncflow:c1:ship") });
    const id = r.data.orderCreate.order.id;
    const fo = (await gql(FOS, { id })).data.order.fulfillmentOrders.nodes[0];
    expect(fo.status).toBe("OPEN");
    const [tee, wrap] = fo.lineItems.nodes;
    expect([tee.totalQuantity, wrap.totalQuantity]).toEqual([2, 1]);
    const first = await gql(FULFIL, {
      f: {
        lineItemsByFulfillmentOrder: [
          { fulfillmentOrderId: fo.id, fulfillmentOrderLineItems: [{ id: tee.id, quantity: 1 }] },
        ],
        trackingInfo: {
          company: "DHL Express",
          numbers: ["TRK1", "TRK2"],
          urls: ["https://track.example.com/TRK1", "https://track.example.com/TRK2"],
        },
      },
    });
    expect(first.data.fulfillmentCreate.userErrors).toEqual([]);
    expect(first.data.fulfillmentCreate.fulfillment.trackingInfo).toEqual([
      { company: "DHL Express", number: "TRK1", url: "https://track.example.com/TRK1" },
      { company: "DHL Express", number: "TRK2", url: "https://track.example.com/TRK2" },
    ]);
    let o = (await gql(FOS, { id })).data.order;
    expect(o.displayFulfillmentStatus).toBe("PARTIALLY_FULFILLED");
    expect(o.fulfillmentOrders.nodes[0].status).toBe("IN_PROGRESS");
    const tooMany = await gql(FULFIL, {
      f: {
        lineItemsByFulfillmentOrder: [
          { fulfillmentOrderId: fo.id, fulfillmentOrderLineItems: [{ id: tee.id, quantity: 2 }] },
        ],
      },
    });
    expect(tooMany.data.fulfillmentCreate.userErrors[0].field).toEqual([
      "fulfillment",
      "lineItemsByFulfillmentOrder",
      "0",
      "fulfillmentOrderLineItems",
      "0",
      "quantity",
    ]);
    const badTracking = await gql(FULFIL, {
      f: {
        lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: fo.id }],
        trackingInfo: { number: "A", numbers: ["B"], url: "not a url" },
      },
    });
    expect(badTracking.data.fulfillmentCreate.userErrors.length).toBe(2);
    const rest = await gql(FULFIL, {
      f: {
        lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: fo.id }],
        trackingInfo: { company: "UPS", number: "1Z9" },
      },
    });
    expect(rest.data.fulfillmentCreate.userErrors).toEqual([]);
    o = (await gql(FOS, { id })).data.order;
    expect(o.displayFulfillmentStatus).toBe("FULFILLED");
    expect(o.fulfillmentOrders.nodes[0].status).toBe("CLOSED");
    expect(
      o.fulfillments.map((f: any) => f.fulfillmentLineItems.nodes.map((l: any) => [l.lineItem.sku, l.quantity])),
    ).toEqual([
      [["HUB-1", 1]],
      [
        ["HUB-1", 1],
        ["WRAP", 1],
      ],
    ]);
    expect(available()).toBe(before);
    const level = emu.control.state(SHOP).levels.find((l) => l.sku === "HUB-1")!;
    expect(level.committed).toBeGreaterThanOrEqual(0);
    const cancel = await gql(
      `mutation($id: ID!) { orderCancel(orderId: $id, reason: OTHER, restock: false) { orderCancelUserErrors { code } } }`,
      { id },
    );
    expect(cancel.data.orderCancel.orderCancelUserErrors[0].code).toBe("INVALID");
  });
});

describe("fulfilment webhooks, tracking updates and cancellation (issue 15 pushback)", () => {
  const FULFIL = `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
    fulfillment { id status updatedAt trackingInfo { company number url } } userErrors { field message } } }`;
  const UPDATE = `mutation($id: ID!, $t: FulfillmentTrackingInput!, $n: Boolean) {
    fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t, notifyCustomer: $n) {
      fulfillment { id status trackingInfo { company number url } } userErrors { field message } } }`;
  const CANCEL = `mutation($id: ID!) { fulfillmentCancel(id: $id) { fulfillment { id status } userErrors { field message } } }`;
  const FOS = `query($id: ID!) { order(id: $id) { displayFulfillmentStatus
    fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 10) { nodes { id remainingQuantity } } } }
    fulfillments(first: 10) { id status } } }`;
  // The one deviation kept on purpose: the 2026-07 schema types a fulfilment line's product_id / variant_id in
  // orders/*'s `fulfillments` as integer (from its example); a custom line (an unlinked SKU) has neither, and the
  // emulator sends null as Shopify does for such a line everywhere else in the same payload.
  const customLine = (e: { instancePath: string; message?: string }) =>
    /^\/fulfillments\/\d+\/line_items\/\d+\/(product_id|variant_id)$/.test(e.instancePath);
  const validator = (topic: string) => {
    const ajv = new AjvCtor({ strict: false, allErrors: true });
    applyFormats(ajv);
    const validate = ajv.compile(schemaForWebhook(WEBHOOK_SCHEMA_VERSION, topic));
    return (payload: unknown) => {
      if (validate(payload)) return null;
      const errs = (validate.errors ?? []).filter((e) => !customLine(e));
      return errs.length ? ajv.errorsText(errs) : null;
    };
  };
  const deliveriesOf = (topic: string, pred: (p: any) => boolean) =>
    emu.control
      .deliveries(SHOP)
      .filter((d) => d.topic === topic)
      .map((d) => JSON.parse(d.body))
      .filter(pred);

  it("emits fulfillments/create and orders/updated (schema-valid) with every tracking number, URL and line", async () => {
    const r = await gql(CREATE, { order: order("syncflow:c1:fhook") });
    const id = r.data.orderCreate.order.id as string;
    const fo = (await gql(FOS, { id })).data.order.fulfillmentOrders.nodes[0];
    const f = await gql(FULFIL, {
      f: {
        lineItemsByFulfillmentOrder: [
          { fulfillmentOrderId: fo.id, fulfillmentOrderLineItems: [{ id: fo.lineItems.nodes[0].id, quantity: 1 }] },
        ],
        trackingInfo: {
          company: "DHL Express",
          numbers: ["D1", "D2"],
          urls: ["https://track.example.com/D1", "https://track.example.com/D2"],
        },
      },
    });
    const fid = f.data.fulfillmentCreate.fulfillment.id as string;
    const [created] = deliveriesOf("fulfillments/create", (p) => p.admin_graphql_api_id === fid);
    expect(validator("fulfillments/create")(created)).toBeNull();
    expect(created).toMatchObject({
      status: "success",
      order_id: Number(id.split("/").pop()),
      tracking_company: "DHL Express",
      tracking_number: "D1",
      tracking_numbers: ["D1", "D2"],
      tracking_urls: ["https://track.example.com/D1", "https://track.example.com/D2"],
    });
    expect(created.line_items.map((l: any) => [l.sku, l.quantity])).toEqual([["HUB-1", 1]]);
    const updated = deliveriesOf("orders/updated", (p) => p.admin_graphql_api_id === id);
    expect(updated).toHaveLength(1);
    expect(validator("orders/updated")(updated[0])).toBeNull();
    expect(updated[0].fulfillment_status).toBe("partial");
    expect(updated[0].source_identifier).toBe("syncflow:c1:fhook");
    expect(updated[0].fulfillments.map((x: any) => [x.admin_graphql_api_id, x.status, x.tracking_numbers])).toEqual([
      [fid, "success", ["D1", "D2"]],
    ]);
  });

  it("fulfillmentTrackingInfoUpdate replaces tracking and emits fulfillments/update; fulfillmentCancel gives the units back", async () => {
    const r = await gql(CREATE, { order: order("syncflow:c1:fupd") });
    const id = r.data.orderCreate.order.id as string;
    const fo = (await gql(FOS, { id })).data.order.fulfillmentOrders.nodes[0];
    const f = await gql(FULFIL, {
      f: {
        lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: fo.id }],
        trackingInfo: { company: "UPS", number: "U1" },
      },
    });
    const fid = f.data.fulfillmentCreate.fulfillment.id as string;
    expect((await gql(FOS, { id })).data.order.displayFulfillmentStatus).toBe("FULFILLED");
    const bad = await gql(UPDATE, { id: fid, t: { url: "https://x.example.com/1" } });
    expect(bad.data.fulfillmentTrackingInfoUpdate.userErrors.length).toBeGreaterThan(0);
    const u = await gql(UPDATE, {
      id: fid,
      t: { company: "UPS", number: "U2", url: "https://ups.example.com/U2" },
      n: true,
    });
    expect(u.data.fulfillmentTrackingInfoUpdate.userErrors).toEqual([]);
    expect(u.data.fulfillmentTrackingInfoUpdate.fulfillment.trackingInfo).toEqual([
      { company: "UPS", number: "U2", url: "https://ups.example.com/U2" },
    ]);
    const upd = deliveriesOf("fulfillments/update", (p) => p.admin_graphql_api_id === fid);
    expect(upd).toHaveLength(1);
    expect(validator("fulfillments/update")(upd[0])).toBeNull();
    expect(upd[0].tracking_numbers).toEqual(["U2"]);
    expect(Date.parse(upd[0].updated_at)).toBeGreaterThanOrEqual(
      Date.parse(deliveriesOf("fulfillments/create", (p) => p.admin_graphql_api_id === fid)[0].updated_at),
    );
    const c = await gql(CANCEL, { id: fid });
    expect(c.data.fulfillmentCancel).toEqual({ fulfillment: { id: fid, status: "CANCELLED" }, userErrors: [] });
    const again = await gql(CANCEL, { id: fid });
    expect(again.data.fulfillmentCancel.userErrors.length).toBe(1);
    const o = (await gql(FOS, { id })).data.order;
    expect(o.displayFulfillmentStatus).toBe("UNFULFILLED");
    const open = o.fulfillmentOrders.nodes.filter((x: any) => x.status === "OPEN");
    expect(open).toHaveLength(1);
    expect(open[0].lineItems.nodes.map((l: any) => l.remainingQuantity)).toEqual([2, 1]);
    const cancelled = deliveriesOf(
      "fulfillments/update",
      (p) => p.admin_graphql_api_id === fid && p.status === "cancelled",
    );
    expect(cancelled).toHaveLength(1);
    expect(validator("fulfillments/update")(cancelled[0])).toBeNull();
    const last = deliveriesOf("orders/updated", (p) => p.admin_graphql_api_id === id).at(-1);
    expect(validator("orders/updated")(last)).toBeNull();
    expect(last.fulfillments[0].status).toBe("cancelled");
  });

  it("a checkout order has a fulfilment order too (a retailer's order fulfilled by the pushback)", async () => {
    const placed = emu.control.placeOrder(SHOP, { lines: [{ sku: "HUB-1", quantity: 1 }] });
    const o = (await gql(FOS, { id: placed.orderId })).data.order;
    expect(o.fulfillmentOrders.nodes).toHaveLength(1);
    expect(o.fulfillmentOrders.nodes[0].lineItems.nodes[0].remainingQuantity).toBe(1);
  });
});
