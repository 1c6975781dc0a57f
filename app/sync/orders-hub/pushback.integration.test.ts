/**
 * Orders hub, fulfilment pushback (issue 15 item 3, catch-up of item 4): an order imported into the central shop and
 * fulfilled there in two parts with two tracking numbers reaches its source store exactly once per part — a WooCommerce
 * order gets one note per shipment (customer note), Shipment Tracking meta and `completed` only after the second part;
 * a retailer Shopify order gets one fulfilment per part with the same tracking. Duplicate and late (older) webhooks
 * change nothing; a lost answer on the push still gives one note / one fulfilment; a failing push dead-letters with its
 * cause and replays once; a fulfilment missed while webhooks were down is pushed by reconciliation.
 * Real app build, real PostgreSQL and queue, emulated stores over HTTP.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { orderStockMovements, sleep, startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";
import { TEST_API_KEY, TEST_API_SECRET } from "../../../tests/harness/app";
import { addRetailer, type RetailerShop } from "../../../tests/harness/retailers";
import { getBoss, QUEUES, replayDeadLetter } from "../../jobs/queue.server";
import { reconcileChannel } from "../reconcile/reconcile.server";
import { COMPLETED_BY_META, TRACKING_META } from "../../channels/woocommerce/fulfilment";

const SHOP = "orders-hub-pushback.myshopify.com";
const ORDER_SCOPES =
  "read_products,read_inventory,write_inventory,read_orders,write_orders,read_locations,write_merchant_managed_fulfillment_orders";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({
    shop: SHOP,
    stockFor: () => 30,
    woo: { shipmentTracking: true },
    env: { SYNCFLOW_RETRY_LIMIT: "2" },
  });
  fw.world.shopify.control.grantScopes(SHOP, ORDER_SCOPES);
  await prisma.orderImportSetting.create({
    data: { channelId: fw.channelIds[0]!, importOrders: true, pushFulfilments: true, notifySourceCustomer: true },
  });
}, 180_000);

afterAll(async () => {
  await fw?.close();
});

const woo = () => fw.world.woo[0]!;
const wooChannel = () => fw.channelIds[0]!;

/** Admin GraphQL on an emulated shop (the central shop by default) with that shop's token. */
async function gql(query: string, variables: Record<string, unknown> = {}, shop = SHOP): Promise<any> {
  const token = fw.world.shopify.control.createShop({ domain: shop }).accessToken;
  const r = await fetch(`${fw.world.shopify.url}/store/${shop}/admin/api/2026-10/graphql.json`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": token },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const FOS = `query($id: ID!) { order(id: $id) { displayFulfillmentStatus
  fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 20) { nodes { id remainingQuantity lineItem { sku } } } } }
  fulfillments(first: 10) { id status trackingInfo { company number url } fulfillmentLineItems(first: 10) { nodes { quantity lineItem { id sku } } } } } }`;

/** Fulfils `lines` (SKU → units) of central order `orderId` with `tracking`; resolves to the Fulfillment GID. */
async function fulfilCentrally(
  orderId: string,
  lines: Record<string, number>,
  tracking: { company: string; numbers: string[]; urls: string[] },
  shop = SHOP,
  afterCreate?: () => void,
): Promise<string> {
  const fos = (await gql(FOS, { id: orderId }, shop)).order.fulfillmentOrders.nodes.filter(
    (f: any) => f.status !== "CLOSED",
  );
  const groups = fos
    .map((fo: any) => ({
      fulfillmentOrderId: fo.id,
      fulfillmentOrderLineItems: fo.lineItems.nodes
        .filter((l: any) => lines[l.lineItem.sku] && l.remainingQuantity > 0)
        .map((l: any) => ({ id: l.id, quantity: Math.min(lines[l.lineItem.sku]!, l.remainingQuantity) })),
    }))
    .filter((g: any) => g.fulfillmentOrderLineItems.length);
  const r = await gql(
    `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { field message } } }`,
    { f: { lineItemsByFulfillmentOrder: groups, trackingInfo: tracking } },
    shop,
  );
  afterCreate?.();
  expect(r.fulfillmentCreate.userErrors).toEqual([]);
  return r.fulfillmentCreate.fulfillment.id;
}

/** The imported order row of source order `externalId` on `channelId`, once imported. */
const imported = (channelId: string, externalId: string) =>
  waitFor(
    `order ${externalId} imported`,
    async () => {
      const o = await prisma.order.findUnique({ where: { channelId_externalId: { channelId, externalId } } });
      return o?.importState === "imported" && o.centralOrderId ? o : null;
    },
    60_000,
  );

/** The fulfilment row of central fulfilment `fid` once its push state is `state` (and, for pushed, at its version). */
const rowIn = (fid: string, state: string, timeoutMs = 60_000) =>
  waitFor(
    `fulfilment ${fid} ${state}`,
    async () => {
      const r = await prisma.orderFulfilment.findFirst({ where: { centralFulfilmentId: fid } });
      return r?.pushState === state ? r : null;
    },
    timeoutMs,
  );

/**
 * Delivers a past central webhook again as a NEW delivery (a fresh X-Shopify-Webhook-Id, the same body and HMAC): what
 * Shopify does when an older event's delivery is late or an event is sent twice — the intake's dedupe on the webhook id
 * does not catch it, so the fulfilment rows must.
 */
async function deliverAgain(d: { topic: string; headers: Record<string, string>; body: string }): Promise<void> {
  const r = await fetch(`${fw.app.url}/webhooks/${d.topic}`, {
    method: "POST",
    headers: { ...d.headers, "X-Shopify-Webhook-Id": randomUUID(), "X-Shopify-Event-Id": randomUUID() },
    body: d.body,
  });
  expect(r.status).toBe(200);
}

/** Our notes on Woo order `id` (those carrying the pushback marker), oldest first. */
const ourNotes = (id: number) =>
  woo()
    .store.orders.get(id)!
    .notes.filter((n) => n.note.includes("[syncflow:"));

/** Waits until the webhook pipelines are quiet (deliveries sent, receipts processed, no push job left running). */
async function settle(): Promise<void> {
  await fw.world.shopify.control.webhooksIdle();
  await woo().control.idle();
  await waitFor(
    "receipts processed",
    async () => (await prisma.webhookReceipt.count({ where: { shopId: fw.shopId, status: "received" } })) === 0,
  );
  await waitFor(
    "no push in flight",
    async () => (await prisma.orderFulfilment.count({ where: { pushState: { in: ["pending", "pushing"] } } })) === 0,
    60_000,
  );
  await sleep(1000);
}

/**
 * The ledger's stock movements of one order, smallest first: the rows that move the hub's count of an item (written
 * once when units are taken or given back; Shopify's confirmation is a second row that records the applied level).
 */
const ledgerMovementsOf = async (orderId: string) => (await orderStockMovements(orderId)).sort((a, b) => a - b);

describe("WooCommerce order: central fulfilments pushed back once", () => {
  it("two parts with two tracking numbers: one customer note each, tracking meta, completed only after the second; duplicate and late webhooks change nothing", async () => {
    const placed = woo().control.placeOrder({
      lines: [
        { sku: "woo-beanie", quantity: 2 },
        { sku: "woo-cap", quantity: 1 },
      ],
      billing: { first_name: "Ada", last_name: "Lovelace", email: "ada@example.com" },
    }) as { id: number };
    const order = await imported(wooChannel(), String(placed.id));
    fw.world.shopify.control.setFaults({ duplicateWebhooks: 4 });

    const f1 = await fulfilCentrally(
      order.centralOrderId!,
      { "woo-beanie": 2 },
      { company: "DHL Express", numbers: ["DHL-111"], urls: ["https://track.example.com/DHL-111"] },
    );
    const r1 = await rowIn(f1, "pushed");
    expect(r1.trackingNumbers).toEqual(["DHL-111"]);
    // The journey's last leg, for the closing note: central fulfilment webhook received → note at the store.
    console.log(
      `[pushback] fulfilment recorded → pushed to WooCommerce: ${r1.pushedAt!.getTime() - r1.createdAt.getTime()} ms`,
    );
    await settle();
    let wooOrder = woo().store.orders.get(placed.id)!;
    expect(wooOrder.status).toBe("processing"); // partial: stays processing
    expect(ourNotes(placed.id)).toHaveLength(1);
    expect(ourNotes(placed.id)[0]).toMatchObject({ customer_note: true, author: "WooCommerce" });
    expect(ourNotes(placed.id)[0]!.note).toMatch(
      /Part of your order has shipped: 2 × .*DHL Express.*DHL-111 \(https:\/\/track\.example\.com\/DHL-111\)/,
    );
    expect((await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).fulfilmentState).toBe("partial");

    const f2 = await fulfilCentrally(
      order.centralOrderId!,
      { "woo-cap": 1 },
      { company: "UPS", numbers: ["1Z-222"], urls: ["https://ups.example.com/1Z-222"] },
    );
    await rowIn(f2, "pushed");
    await settle();
    wooOrder = woo().store.orders.get(placed.id)!;
    expect(wooOrder.status).toBe("completed");
    expect(ourNotes(placed.id)).toHaveLength(2);
    expect(ourNotes(placed.id)[1]!.note).toMatch(/^Your order has shipped: 1 × .*UPS.*1Z-222/);
    const tracking = wooOrder.meta_data.find((m) => m.key === TRACKING_META)!.value as any[];
    expect(tracking.map((t) => [t.custom_tracking_provider, t.tracking_number, t.custom_tracking_link])).toEqual([
      ["DHL Express", "DHL-111", "https://track.example.com/DHL-111"],
      ["UPS", "1Z-222", "https://ups.example.com/1Z-222"],
    ]);
    expect(wooOrder.notes.filter((n) => /to Completed\./.test(n.note))).toHaveLength(1);
    const row = await prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(row.fulfilmentState).toBe("fulfilled");
    expect(row.trackingDeliveredAt).not.toBeNull();

    // Replay every central delivery about this order (late duplicates of older states): nothing more at the store.
    const attempts = (await prisma.orderFulfilment.findMany({ where: { orderId: order.id } })).map(
      (r) => r.pushAttempts,
    );
    const central = order.centralOrderId!.split("/").pop()!;
    const past = fw.world.shopify.control
      .deliveries(SHOP)
      .filter((x) => /^(fulfillments\/|orders\/updated)/.test(x.topic) && x.body.includes(central));
    expect(past.length).toBeGreaterThanOrEqual(4);
    for (const d of past) await deliverAgain(d);
    await settle();
    expect(ourNotes(placed.id)).toHaveLength(2);
    expect(
      woo()
        .store.orders.get(placed.id)!
        .notes.filter((n) => /to Completed\./.test(n.note)),
    ).toHaveLength(1);
    expect(
      (await prisma.orderFulfilment.findMany({ where: { orderId: order.id } })).map((r) => r.pushAttempts),
    ).toEqual(attempts);
    // The whole journey (sale → import → two shipments → pushback) moved stock once per sold unit: the sale's own.
    expect(await ledgerMovementsOf(order.id)).toEqual([-2, -1]);
  }, 180_000);

  it("a tracking change is pushed once; the older fulfillments/create arriving late does not undo it; a cancelled fulfilment returns the order to processing", async () => {
    const placed = woo().control.placeOrder({ lines: [{ sku: "woo-belt", quantity: 1 }] }) as { id: number };
    const order = await imported(wooChannel(), String(placed.id));
    const fid = await fulfilCentrally(
      order.centralOrderId!,
      { "woo-belt": 1 },
      { company: "DHL Express", numbers: ["OLD-1"], urls: ["https://track.example.com/OLD-1"] },
    );
    await rowIn(fid, "pushed");
    await settle();
    expect(woo().store.orders.get(placed.id)!.status).toBe("completed");
    const created = fw.world.shopify.control
      .deliveries(SHOP)
      .find((d) => d.topic === "fulfillments/create" && JSON.parse(d.body).admin_graphql_api_id === fid)!;
    const u = await gql(
      `mutation($id: ID!, $t: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t) { userErrors { message } } }`,
      { id: fid, t: { company: "DHL Express", number: "NEW-2", url: "https://track.example.com/NEW-2" } },
    );
    expect(u.fulfillmentTrackingInfoUpdate.userErrors).toEqual([]);
    await waitFor("new tracking pushed", async () => {
      const r = await prisma.orderFulfilment.findFirst({ where: { centralFulfilmentId: fid } });
      return r?.pushState === "pushed" && r.trackingNumbers[0] === "NEW-2";
    });
    await settle();
    expect(ourNotes(placed.id)).toHaveLength(2);
    await deliverAgain(created); // the older state, late (a new delivery: not a duplicate of the same webhook id)
    await settle();
    const row = await prisma.orderFulfilment.findFirstOrThrow({ where: { centralFulfilmentId: fid } });
    expect(row.trackingNumbers).toEqual(["NEW-2"]);
    expect(ourNotes(placed.id)).toHaveLength(2);
    const items = woo()
      .store.orders.get(placed.id)!
      .meta_data.find((m) => m.key === TRACKING_META)!.value as any[];
    expect(items.map((i) => i.tracking_number)).toEqual(["NEW-2"]);

    const c = await gql(`mutation($id: ID!) { fulfillmentCancel(id: $id) { userErrors { message } } }`, { id: fid });
    expect(c.fulfillmentCancel.userErrors).toEqual([]);
    await waitFor("cancellation pushed", async () => {
      const r = await prisma.orderFulfilment.findFirst({ where: { centralFulfilmentId: fid } });
      return r?.pushState === "pushed" && r.centralStatus === "CANCELLED";
    });
    await settle();
    const wooOrder = woo().store.orders.get(placed.id)!;
    expect(wooOrder.status).toBe("processing");
    expect(ourNotes(placed.id)).toHaveLength(3);
    expect(ourNotes(placed.id)[2]!.note).toMatch(/was cancelled/);
    expect(wooOrder.meta_data.find((m) => m.key === TRACKING_META)!.value).toEqual([]);
    expect(wooOrder.meta_data.find((m) => m.key === COMPLETED_BY_META)!.value).toBe("");
    expect((await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).fulfilmentState).toBe("unfulfilled");
  }, 180_000);

  it("a lost answer on the push (the note was written, the answer never came) still leaves one note", async () => {
    const placed = woo().control.placeOrder({ lines: [{ sku: "woo-sunglasses", quantity: 1 }] }) as { id: number };
    const order = await imported(wooChannel(), String(placed.id));
    woo().control.setFaults({ loseAnswerNext: { count: 1, paths: ["/notes"], methods: ["POST"] } });
    const fid = await fulfilCentrally(
      order.centralOrderId!,
      { "woo-sunglasses": 1 },
      { company: "Royal Mail", numbers: ["RM-9"], urls: ["https://rm.example.com/RM-9"] },
    );
    const row = await rowIn(fid, "pushed");
    await settle();
    expect(row.pushAttempts).toBeGreaterThanOrEqual(2);
    expect(ourNotes(placed.id)).toHaveLength(1);
    expect(row.sourceRef).toBe(String(ourNotes(placed.id)[0]!.id));
  }, 120_000);

  it("a failing push dead-letters with its cause; replaying the dead letter pushes it once", async () => {
    const placed = woo().control.placeOrder({ lines: [{ sku: "woo-polo", quantity: 1 }] }) as { id: number };
    const order = await imported(wooChannel(), String(placed.id));
    woo().control.setFaults({ failNext: { status: 500, count: 1000, paths: ["/notes"] } });
    const fid = await fulfilCentrally(
      order.centralOrderId!,
      { "woo-polo": 1 },
      { company: "DPD", numbers: ["DPD-5"], urls: ["https://dpd.example.com/DPD-5"] },
    );
    const failed = await rowIn(fid, "failed", 90_000);
    expect(failed.pushError).toMatch(/^dead-lettered: ChannelError: .*(500|critical error)/);
    woo().control.resetFaults();
    expect(ourNotes(placed.id)).toHaveLength(0);
    const event = await waitFor("dead-letter event", async () =>
      (await prisma.domainEvent.findMany({ where: { shopId: fw.shopId, type: "job.dead_lettered" } })).find(
        (e) => (e.payload as any)?.data?.fulfilmentId === failed.id,
      ),
    );
    expect((event.payload as any).queue).toBe("fulfilment-push");
    const boss = await getBoss();
    const deadLetterId = await waitFor("dead letter stored", async () => {
      const dead = (await boss.findJobs(QUEUES.deadLetter, { data: { fulfilmentId: failed.id } })).filter(
        (j) => j.state === "created",
      );
      return dead[0]?.id ?? null;
    });
    expect(await replayDeadLetter([deadLetterId])).toBe(1);
    expect(await replayDeadLetter([deadLetterId])).toBe(0);
    const pushed = await rowIn(fid, "pushed");
    await settle();
    expect(pushed.pushError).toBeNull();
    expect(ourNotes(placed.id)).toHaveLength(1);
    expect(woo().store.orders.get(placed.id)!.status).toBe("completed");
  }, 150_000);

  it("a fulfilment missed while webhooks were down is pushed by reconciliation, once", async () => {
    const placed = woo().control.placeOrder({ lines: [{ sku: "woo-tshirt", quantity: 1 }] }) as { id: number };
    const order = await imported(wooChannel(), String(placed.id));
    await settle();
    fw.world.shopify.control.setFaults({ dropWebhooks: 2 }); // fulfillments/create and orders/updated
    const fid = await fulfilCentrally(
      order.centralOrderId!,
      { "woo-tshirt": 1 },
      { company: "GLS", numbers: ["GLS-7"], urls: ["https://gls.example.com/GLS-7"] },
    );
    await sleep(2500);
    expect(await prisma.orderFulfilment.count({ where: { centralFulfilmentId: fid } })).toBe(0);
    expect(ourNotes(placed.id)).toHaveLength(0);
    const run = await reconcileChannel(fw.shopId, wooChannel(), { trigger: "test" });
    expect(run.changes.some((c) => c.kind === "fulfilment_queued")).toBe(true);
    await rowIn(fid, "pushed");
    await settle();
    expect(ourNotes(placed.id)).toHaveLength(1);
    // A second reconciliation finds nothing more to push.
    const again = await reconcileChannel(fw.shopId, wooChannel(), { trigger: "test" });
    expect(again.changes.some((c) => c.kind === "fulfilment_queued")).toBe(false);
    await settle();
    expect(ourNotes(placed.id)).toHaveLength(1);
  }, 150_000);
});

describe("retailer Shopify order: central fulfilments become the retailer's fulfilments, once", () => {
  let r: RetailerShop;
  const RETAILER = "pushback-retailer.myshopify.com";
  const skus = ["woo-cap", "woo-beanie"];

  beforeAll(async () => {
    await prisma.shop.update({
      where: { id: fw.shopId },
      data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
    });
    r = await addRetailer(fw.world, fw.app.url, TEST_API_KEY, TEST_API_SECRET, fw.shopId, {
      domain: RETAILER,
      name: "Nationwide Plants",
      skus,
      startingStock: (sku) => fw.shopifyAvailable(sku) ?? 0,
    });
    fw.world.shopify.control.grantScopes(RETAILER, ORDER_SCOPES);
    await prisma.retailerLink.update({
      where: { channelId: r.channelId },
      data: { importOrders: true, pushFulfilments: true },
    });
    await prisma.orderImportSetting.create({ data: { channelId: r.channelId, notifySourceCustomer: false } });
    await waitFor(
      "retailer linked",
      async () =>
        (await prisma.listing.count({
          where: { channelId: r.channelId, sku: { in: skus }, matchStatus: "linked" },
        })) === skus.length,
    );
  }, 120_000);

  const retailerFulfilments = async (orderId: string) => (await gql(FOS, { id: orderId }, RETAILER)).order;

  it("two parts, two tracking numbers: two retailer fulfilments with the same tracking and lines; duplicates and a lost answer add none", async () => {
    const placed = fw.world.shopify.control.placeOrder(RETAILER, {
      lines: [
        { sku: "woo-cap", quantity: 1 },
        { sku: "woo-beanie", quantity: 2 },
      ],
    });
    const order = await imported(r.channelId, placed.orderId);
    await settle();
    fw.world.shopify.control.setFaults({ duplicateWebhooks: 4 });
    const f1 = await fulfilCentrally(
      order.centralOrderId!,
      { "woo-cap": 1 },
      { company: "DHL Express", numbers: ["R-DHL-1"], urls: ["https://track.example.com/R-DHL-1"] },
    );
    await rowIn(f1, "pushed");
    await settle();
    let ro = await retailerFulfilments(placed.orderId);
    expect(ro.displayFulfillmentStatus).toBe("PARTIALLY_FULFILLED");
    expect(ro.fulfillments.map((f: any) => f.trackingInfo)).toEqual([
      [{ company: "DHL Express", number: "R-DHL-1", url: "https://track.example.com/R-DHL-1" }],
    ]);
    expect(fw.world.shopify.control.state(RETAILER).notifications ?? []).toEqual([]); // notifyCustomer off

    // The second part's create call at the retailer is applied but its answer is lost (503): the fault is armed right
    // after the central fulfilment was created, so the next mutation is the push's fulfillmentCreate.
    const f2 = await fulfilCentrally(
      order.centralOrderId!,
      { "woo-beanie": 2 },
      { company: "UPS", numbers: ["R-UPS-2"], urls: ["https://ups.example.com/R-UPS-2"] },
      SHOP,
      () => fw.world.shopify.control.setFaults({ loseResponseNext: 1 }),
    );
    const row2 = await rowIn(f2, "pushed");
    await settle();
    expect(row2.pushAttempts).toBeGreaterThanOrEqual(2);
    ro = await retailerFulfilments(placed.orderId);
    expect(ro.displayFulfillmentStatus).toBe("FULFILLED");
    expect(
      ro.fulfillments.map((f: any) => [
        f.trackingInfo.map((t: any) => t.number),
        f.fulfillmentLineItems.nodes.map((l: any) => [l.lineItem.sku, l.quantity]),
      ]),
    ).toEqual([
      [["R-DHL-1"], [["woo-cap", 1]]],
      [["R-UPS-2"], [["woo-beanie", 2]]],
    ]);
    const rows = await prisma.orderFulfilment.findMany({ where: { orderId: order.id }, orderBy: { createdAt: "asc" } });
    expect(rows.map((x) => x.sourceRef)).toEqual(ro.fulfillments.map((f: any) => f.id));
    expect((await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).trackingDeliveredAt).not.toBeNull();
    // One stock movement per sold unit across the whole journey: the retailer's sale, nothing from import or shipping.
    expect(await ledgerMovementsOf(order.id)).toEqual([-2, -1]);
  }, 180_000);
});
