/**
 * Orders hub catch-up and the whole journey (issue 15 items 2 and 4; decisions 235–239), for a WooCommerce store and a
 * retailer Shopify store: an order missed while webhooks were down is imported by reconciliation, once; the first
 * connection imports the look-back window's orders sold before the link WITHOUT moving stock (and a later cancel of
 * one gives its units back once); a claim whose job was lost is re-queued by the sweep; a failing import lands in the
 * dead-letter queue with its cause, notifies the merchant naming the order, and replays once; a source refund is
 * flagged, not followed; a source cancel after the central order shipped is flagged `needs_attention`, not
 * dead-lettered; the ledger shows one stock movement per sold unit across order → import → cancel.
 * Real app build, real PostgreSQL and queue, emulated stores over HTTP, a fake SMTP relay.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import {
  ledgerFor,
  orderStockMovements,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";
import { TEST_API_KEY, TEST_API_SECRET } from "../../../tests/harness/app";
import { addRetailer, type RetailerShop } from "../../../tests/harness/retailers";
import { startSmtpFake, type SmtpFake } from "../../../tests/fakes/smtp/index";
import { importKeyOf } from "./import.server";
import { lookbackAfterLink, requeueStuckImports, STUCK_MS } from "./catch-up.server";
import { SOURCE_EDITED, SOURCE_REFUNDED } from "./changes.server";
import { reconcileChannel } from "../reconcile/reconcile.server";
import { listDeadLetters, replayDeadLetters } from "../../models/dead-letters.server";
import { enqueue, QUEUES, type JobData } from "../../jobs/queue.server";

const SHOP = "orders-hub-catch-up.myshopify.com";
const ORDER_SCOPES =
  "read_products,read_inventory,write_inventory,read_orders,write_orders,read_locations,write_merchant_managed_fulfillment_orders";
const NO_ORDER_SCOPES = "read_products,read_inventory,write_inventory,read_orders,read_locations";
let fw: FaultWorld;
let smtp: SmtpFake;
/** The WooCommerce store's clock offset (ms): negative places an order "before" the store was linked. */
let clockOffset = 0;

beforeAll(async () => {
  smtp = await startSmtpFake({ auth: { user: "apikey", pass: "s3cret" } });
  fw = await startFaultWorld({
    shop: SHOP,
    stockFor: () => 20,
    woo: { now: () => Date.now() + clockOffset },
    env: {
      SMTP_URL: smtp.url,
      NOTIFY_FROM: "SyncFlow Alerts <alerts@syncflow.test>",
      SYNCFLOW_RETRY_LIMIT: "2",
    },
  });
  fw.world.shopify.control.grantScopes(SHOP, ORDER_SCOPES);
  // A paid plan (e-mail notifications, a second sales channel) and a recipient, as a merchant would have.
  await prisma.shop.update({
    where: { id: fw.shopId },
    data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
  });
  await prisma.notificationSettings.upsert({
    where: { shopId: fw.shopId },
    create: { shopId: fw.shopId, emailRecipients: ["owner@catch-up.test"] },
    update: { emailRecipients: ["owner@catch-up.test"] },
  });
  await prisma.orderImportSetting.create({ data: { channelId: fw.channelIds[0]!, importOrders: true } });
  // Import on from the start: the first look-back is done (nothing to find), as the link job does when import is on at
  // link time — the tests below see the steady state unless they change the settings.
  expect(await lookbackAfterLink(fw.shopId, fw.channelIds[0]!)).toMatchObject({ read: 0, queued: 0 });
}, 180_000);

afterAll(async () => {
  await fw?.close();
  await smtp?.close();
});

const woo = () => fw.world.woo[0]!;
const wooChannel = () => fw.channelIds[0]!;
const centralOrders = () => fw.world.shopify.control.state(SHOP).orders;
const centralByKey = (channelId: string, externalId: string) =>
  centralOrders().filter((o) => o.sourceIdentifier === importKeyOf(channelId, externalId));
const rowOf = (channelId: string, externalId: string) =>
  prisma.order.findUnique({ where: { channelId_externalId: { channelId, externalId } }, include: { lines: true } });

/** Waits until the order row reached `state`. */
const importState = (channelId: string, externalId: string, state: string) =>
  waitFor(
    `order ${externalId} ${state}`,
    async () => {
      const o = await rowOf(channelId, externalId);
      return o?.importState === state ? o : null;
    },
    60_000,
  );

/** A WooCommerce checkout whose deliveries never reach the hub (webhooks down, or a store not yet connected). */
async function placeUnseen(lines: { sku: string; quantity: number }[]): Promise<{ id: number }> {
  await woo().control.idle();
  woo().control.setFaults({ dropDeliveries: 1000 });
  const placed = woo().control.placeOrder({ lines }) as { id: number };
  await woo().control.idle();
  woo().control.setFaults({ dropDeliveries: 0 });
  return placed;
}

/** Settles every delivery and job in flight. */
async function settle(ms = 1500): Promise<void> {
  await woo().control.idle();
  await fw.world.shopify.control.webhooksIdle();
  await waitFor(
    "receipts processed",
    async () => (await prisma.webhookReceipt.count({ where: { shopId: fw.shopId, status: "received" } })) === 0,
  );
  await sleep(ms);
}

/** The record's stock movements an order caused: its Shopify adjustments' deltas, oldest first. */
const movementsOf = async (orderId: string) =>
  (await prisma.shopifyAdjustment.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } })).map((a) => a.delta);

/** Fulfils every open line of a central order (as the merchant does in Shopify admin). */
async function fulfilCentral(orderId: string): Promise<void> {
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const r = await fetch(`${fw.world.shopify.url}/store/${SHOP}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": fw.world.accessToken },
      body: JSON.stringify({ query, variables }),
    });
    return (await r.json()) as { data?: any; errors?: unknown[] };
  };
  const fos = await gql(
    `query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id lineItems(first: 10) { nodes { id remainingQuantity } } } } } }`,
    { id: orderId },
  );
  const fo = fos.data!.order.fulfillmentOrders.nodes[0];
  const made = await gql(
    `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { message } } }`,
    {
      f: {
        lineItemsByFulfillmentOrder: [
          {
            fulfillmentOrderId: fo.id,
            fulfillmentOrderLineItems: fo.lineItems.nodes.map((l: { id: string; remainingQuantity: number }) => ({
              id: l.id,
              quantity: l.remainingQuantity,
            })),
          },
        ],
        trackingInfo: { company: "DHL Express", numbers: ["TRK-CANCEL-1"] },
      },
    },
  );
  expect(made.data!.fulfillmentCreate.userErrors).toEqual([]);
}

describe("WooCommerce: catch-up", () => {
  it("an order missed while webhooks were down is imported by reconciliation, once, with its stock moved once", async () => {
    const sku = "woo-beanie";
    await settle(500);
    const start = fw.shopifyAvailable(sku)!;
    const placed = await placeUnseen([{ sku, quantity: 2 }]);
    await sleep(500);
    expect(await rowOf(wooChannel(), String(placed.id))).toBeNull(); // the hub never heard of it

    await reconcileChannel(fw.shopId, wooChannel(), { trigger: "manual" });
    const row = await importState(wooChannel(), String(placed.id), "imported");
    await waitFor("the sale reaches the record", () => fw.shopifyAvailable(sku) === start - 2, 20_000);
    // Exactly once: a second reconciliation, and the late webhooks once the store delivers again, change nothing.
    await reconcileChannel(fw.shopId, wooChannel(), { trigger: "manual" });
    for (const d of woo()
      .control.deliveries()
      .filter((x) => x.resourceId === placed.id && x.topic.startsWith("order.")))
      await woo().control.redeliver(d.logId);
    await settle();

    expect(centralByKey(wooChannel(), String(placed.id)).map((o) => o.id)).toEqual([row.centralOrderId]);
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
    expect(await movementsOf(row.id)).toEqual([-2]);
    expect(await orderStockMovements(row.id)).toEqual([-2]);
    expect((await rowOf(wooChannel(), String(placed.id)))!.importAttempts).toBe(1);
  }, 120_000);

  it("first connection: the look-back window's order sold before the link is imported without moving stock; its cancel gives the units back once", async () => {
    const sku = "woo-cap";
    // Sold two hours ago, before this store was linked: no webhook ever reached this hub for it.
    clockOffset = -2 * 3_600_000;
    const placed = await placeUnseen([{ sku, quantity: 1 }]);
    clockOffset = 0;
    await settle(500);
    const start = fw.shopifyAvailable(sku)!;
    const ledgerBefore = (await ledgerFor(fw.shopId, sku)).length;
    // The merchant (re)turns import on: the look-back is due again. The link job runs the same catch-up.
    await prisma.orderImportSetting.update({ where: { channelId: wooChannel() }, data: { orderLookbackHours: 24 } });
    const res = await lookbackAfterLink(fw.shopId, wooChannel());
    expect(res).toMatchObject({ adopted: 1 });
    expect(res!.queued).toBeGreaterThanOrEqual(1);

    const row = await importState(wooChannel(), String(placed.id), "imported");
    await settle();
    expect(centralByKey(wooChannel(), String(placed.id))).toHaveLength(1);
    // No stock moved for it: no adjustment, no ledger row, Shopify unchanged; the line holds the store's own tally.
    expect(await movementsOf(row.id)).toEqual([]);
    expect(await prisma.stockLedger.count({ where: { orderId: row.id } })).toBe(0);
    expect((await ledgerFor(fw.shopId, sku)).length).toBe(ledgerBefore);
    expect(fw.shopifyAvailable(sku)).toBe(start);
    expect(row.lines.map((l) => l.stockTakenQuantity)).toEqual([1]);
    expect(row.stockTaken).toBe(true);
    // Done once: the look-back is not due again until the settings change.
    expect(await lookbackAfterLink(fw.shopId, wooChannel())).toBeNull();
    await reconcileChannel(fw.shopId, wooChannel(), { trigger: "manual" });
    await settle(500);
    expect(centralByKey(wooChannel(), String(placed.id))).toHaveLength(1);

    // Cancelled at the source: the central order is cancelled; the unit comes back once (one restock movement).
    woo().control.setOrderStatus(placed.id, "cancelled");
    await importState(wooChannel(), String(placed.id), "cancelled");
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start + 1, 20_000);
    await settle();
    expect(fw.shopifyAvailable(sku)).toBe(start + 1);
    expect(await movementsOf(row.id)).toEqual([1]);
    expect(await orderStockMovements(row.id)).toEqual([1]);
    const central = centralOrders().find((o) => o.id === row.centralOrderId)!;
    expect(central.cancelledAt).not.toBeNull();
    expect(central.lines.map((l) => l.restocked)).toEqual([0]);
  }, 120_000);

  it("a claim whose job was lost is queued again by the sweep, from the source kept with the claim, and imported once", async () => {
    const sku = "woo-belt";
    // Import off while it sells: the order is recorded (its stock moves) but not claimed.
    await prisma.orderImportSetting.update({ where: { channelId: wooChannel() }, data: { importOrders: false } });
    const placed = woo().control.placeOrder({ lines: [{ sku, quantity: 1 }] }) as { id: number };
    const recorded = await waitFor(
      "order recorded",
      async () => {
        const o = await rowOf(wooChannel(), String(placed.id));
        return o?.stockTaken ? o : null;
      },
      30_000,
    );
    expect(recorded.importState).toBeNull();
    await prisma.orderImportSetting.update({ where: { channelId: wooChannel() }, data: { importOrders: true } });
    // The claim as queueOrderImport takes it, then the process died before its job was queued.
    const kept = {
      shippingAddress: {
        firstName: "Grace",
        lastName: "Hopper",
        company: null,
        address1: "1 Harbour Road",
        address2: null,
        city: "Leeds",
        provinceCode: null,
        zip: "LS1 1AA",
        countryCode: "GB",
        phone: null,
      },
      billingAddress: null,
      paid: true,
      shipping: null,
    };
    await prisma.order.update({
      where: { id: recorded.id },
      data: {
        importState: "queued",
        importKey: importKeyOf(wooChannel(), String(placed.id)),
        importSource: kept,
        updatedAt: new Date(Date.now() - STUCK_MS + 5_000),
      },
    });
    // Not yet stuck: left alone.
    expect(await requeueStuckImports({ shopId: fw.shopId })).toBe(0);
    await prisma.order.update({ where: { id: recorded.id }, data: { updatedAt: new Date(Date.now() - STUCK_MS - 1) } });
    // A live lease (an attempt running) is left alone too.
    await prisma.order.update({
      where: { id: recorded.id },
      data: { importLeaseUntil: new Date(Date.now() + 60_000), updatedAt: new Date(Date.now() - STUCK_MS - 1) },
    });
    expect(await requeueStuckImports({ shopId: fw.shopId })).toBe(0);
    await prisma.order.update({
      where: { id: recorded.id },
      data: { importLeaseUntil: null, updatedAt: new Date(Date.now() - STUCK_MS - 1) },
    });
    expect(await requeueStuckImports({ shopId: fw.shopId })).toBe(1);
    expect(await requeueStuckImports({ shopId: fw.shopId })).toBe(0); // touched: not again while its job runs

    const row = await importState(wooChannel(), String(placed.id), "imported");
    await settle();
    const central = centralByKey(wooChannel(), String(placed.id));
    expect(central).toHaveLength(1);
    const payload = JSON.parse(
      fw.world.shopify.control
        .deliveries(SHOP)
        .find((d) => d.topic === "orders/create" && JSON.parse(d.body).admin_graphql_api_id === central[0]!.id)!.body,
    );
    expect(payload.shipping_address.city).toBe("Leeds");
    expect(await movementsOf(row.id)).toEqual([-1]);
  }, 120_000);

  it("a failing import is dead-lettered with its cause, notifies the merchant naming the order, and replays once", async () => {
    const sku = "woo-sunglasses";
    fw.world.shopify.control.grantScopes(SHOP, NO_ORDER_SCOPES);
    try {
      await failsThenReplaysOnce(sku);
    } finally {
      fw.world.shopify.control.grantScopes(SHOP, ORDER_SCOPES);
    }
  }, 180_000);

  async function failsThenReplaysOnce(sku: string): Promise<void> {
    const mailsBefore = smtp.messages.length;
    const placed = woo().control.placeOrder({ lines: [{ sku, quantity: 1 }] }) as { id: number };
    const failed = await importState(wooChannel(), String(placed.id), "failed");
    expect(failed.importError).toMatch(/dead-lettered: .*write_orders/);

    // pg-boss moves the job to the dead-letter queue once the handler's last attempt has thrown (after the row).
    const letters = await waitFor("the dead letter", async () => {
      const mine = (await listDeadLetters(fw.shopId)).filter(
        (d) => d.queue === "order-import" && (d.data as { orderId?: string }).orderId === failed.id,
      );
      return mine.length ? mine : null;
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.cause).toMatch(/write_orders/);

    // The merchant is told which order and why, with a link to it — one message, not a second generic "sync failed".
    const number = `#${failed.number.replace(/^#/, "")}`;
    expect(letters[0]!.summary).toContain(`order ${number}`);
    const mail = await waitFor("the failure's e-mail", () =>
      smtp.messages.slice(mailsBefore).find((m) => m.subject.includes("was not imported to Shopify")),
    );
    expect(mail?.subject).toContain(`Order ${number} from`);
    expect(mail?.subject).toContain("was not imported to Shopify");
    expect(mail?.text).toMatch(/write_orders/);
    expect(mail?.text).toContain(`/app/orders/${failed.id}`);
    // Every attempt has run (the dead letter above comes after the last): once its notify jobs are done, one
    // notification — the hooks of a non-retryable failure used to run again at each remaining attempt.
    await settle(2000);
    const notes = await prisma.notification.findMany({ where: { shopId: fw.shopId, kind: "order.import_failed" } });
    expect(notes.filter((n) => n.subject?.includes(number))).toHaveLength(1);
    expect(await prisma.notification.count({ where: { shopId: fw.shopId, kind: "job.dead_lettered" } })).toBe(0);

    // Fixed (the merchant approved the scopes): two operators replay at once — it goes once, and imports once.
    fw.world.shopify.control.grantScopes(SHOP, ORDER_SCOPES);
    const sent = await Promise.all([
      replayDeadLetters(fw.shopId, [letters[0]!.id]),
      replayDeadLetters(fw.shopId, [letters[0]!.id]),
    ]);
    expect(sent[0] + sent[1]).toBe(1);
    const row = await importState(wooChannel(), String(placed.id), "imported");
    // A stale copy of the job (a third replay from an old list) finds it imported.
    await enqueue(QUEUES.orderImport, letters[0]!.data as JobData["order-import"]);
    await settle(2000);
    expect(centralByKey(wooChannel(), String(placed.id)).map((o) => o.id)).toEqual([row.centralOrderId]);
    expect((await listDeadLetters(fw.shopId)).filter((d) => d.id === letters[0]!.id)).toEqual([]);
    expect(await movementsOf(row.id)).toEqual([-1]);
    expect(row.importError).toBeNull();
  }

  it("a refund at the source is flagged on the central order, not followed; its restock moves stock once", async () => {
    const sku = "woo-polo";
    const start = fw.shopifyAvailable(sku)!;
    const placed = woo().control.placeOrder({ lines: [{ sku, quantity: 2 }] }) as { id: number };
    const row = await importState(wooChannel(), String(placed.id), "imported");
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 2, 20_000);
    woo().control.refundOrder(placed.id, { lines: [{ sku, quantity: 1 }], restock: true });
    await waitFor(
      "refund flagged",
      async () => (await rowOf(wooChannel(), String(placed.id)))?.importFlags.includes(SOURCE_REFUNDED),
      30_000,
    );
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start - 1, 20_000);
    await settle();
    const after = (await rowOf(wooChannel(), String(placed.id)))!;
    expect(after.importState).toBe("imported");
    expect(after.importFlags).toEqual([SOURCE_REFUNDED]);
    const central = centralOrders().find((o) => o.id === row.centralOrderId)!;
    expect(central.cancelledAt).toBeNull();
    expect(await movementsOf(row.id)).toEqual([-2, 1]);
    expect(fw.shopifyAvailable(sku)).toBe(start - 1);
  }, 120_000);

  it("a line edited at the source is flagged on the central order, not replayed on it; the edit's stock moves once", async () => {
    const sku = "woo-hoodie-with-zipper";
    const start = fw.shopifyAvailable(sku)!;
    const placed = woo().control.placeOrder({ lines: [{ sku, quantity: 2 }] }) as { id: number };
    const row = await importState(wooChannel(), String(placed.id), "imported");
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 2, 20_000);
    woo().control.editOrderLine(placed.id, { sku, quantity: 3 });
    await waitFor(
      "edit flagged",
      async () => (await rowOf(wooChannel(), String(placed.id)))?.importFlags.includes(SOURCE_EDITED),
      30_000,
    );
    await waitFor("the edit's unit taken", () => fw.shopifyAvailable(sku) === start - 3, 20_000);
    await settle();
    const after = (await rowOf(wooChannel(), String(placed.id)))!;
    expect(after.importState).toBe("imported");
    expect(after.importFlags).toEqual([SOURCE_EDITED]);
    const central = centralOrders().find((o) => o.id === row.centralOrderId)!;
    expect(central.lines.map((l) => l.quantity)).toEqual([2]); // as imported: the merchant decides
    expect(centralByKey(wooChannel(), String(placed.id))).toHaveLength(1);
    expect(await movementsOf(row.id)).toEqual([-2, -1]);
  }, 120_000);

  it("a source cancel after the central order shipped is flagged needs_attention (not dead-lettered); stock comes back once", async () => {
    const sku = "woo-hoodie-with-pocket";
    const start = fw.shopifyAvailable(sku)!;
    const placed = woo().control.placeOrder({ lines: [{ sku, quantity: 1 }] }) as { id: number };
    const row = await importState(wooChannel(), String(placed.id), "imported");
    await fulfilCentral(row.centralOrderId!);
    woo().control.setOrderStatus(placed.id, "cancelled");
    const flagged = await importState(wooChannel(), String(placed.id), "needs_attention");
    expect(flagged.importFlags).toContain("source_cancelled_after_fulfilment");
    expect(flagged.importError).toMatch(/shipped/);
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start, 20_000);
    await settle();
    expect(centralOrders().find((o) => o.id === row.centralOrderId)!.cancelledAt).toBeNull();
    expect(
      (await listDeadLetters(fw.shopId)).filter((d) => (d.data as { orderId?: string }).orderId === row.id),
    ).toEqual([]);
    expect(await movementsOf(row.id)).toEqual([-1, 1]);
    expect(await orderStockMovements(row.id)).toEqual([-1, 1]);
  }, 120_000);
});

describe("retailer Shopify store: catch-up and the whole journey", () => {
  let r: RetailerShop;

  beforeAll(async () => {
    r = await addRetailer(fw.world, fw.app.url, TEST_API_KEY, TEST_API_SECRET, fw.shopId, {
      domain: "catch-up-retailer.myshopify.com",
      name: "Garden Partners",
      skus: ["woo-tshirt", "woo-long-sleeve-tee"],
      startingStock: (sku) => fw.shopifyAvailable(sku) ?? 0,
    });
    await prisma.retailerLink.update({ where: { channelId: r.channelId }, data: { importOrders: true } });
    await waitFor(
      "retailer linked",
      async () => (await prisma.listing.count({ where: { channelId: r.channelId, matchStatus: "linked" } })) === 2,
    );
  }, 120_000);

  it("a retailer order whose webhook was lost is imported by reconciliation, once", async () => {
    const sku = "woo-tshirt";
    await settle(500);
    const start = fw.shopifyAvailable(sku)!;
    fw.world.shopify.control.setFaults({ dropWebhooks: 1 });
    const placed = fw.world.shopify.control.placeOrder(r.domain, { lines: [{ sku, quantity: 2 }] });
    await settle(500);
    expect(await rowOf(r.channelId, placed.orderId)).toBeNull();
    await reconcileChannel(fw.shopId, r.channelId, { trigger: "manual" });
    const row = await importState(r.channelId, placed.orderId, "imported");
    await waitFor("the sale reaches the record", () => fw.shopifyAvailable(sku) === start - 2, 20_000);
    await reconcileChannel(fw.shopId, r.channelId, { trigger: "manual" });
    await settle();
    expect(centralByKey(r.channelId, placed.orderId).map((o) => o.id)).toEqual([row.centralOrderId]);
    expect(await movementsOf(row.id)).toEqual([-2]);
    expect(await orderStockMovements(row.id)).toEqual([-2]);
  }, 120_000);

  it("a refund at the retailer is flagged on the central order, not followed; its restock moves stock once", async () => {
    const sku = "woo-tshirt";
    await settle(500);
    const start = fw.shopifyAvailable(sku)!;
    const placed = fw.world.shopify.control.placeOrder(r.domain, { lines: [{ sku, quantity: 2 }] });
    const row = await importState(r.channelId, placed.orderId, "imported");
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 2, 20_000);
    fw.world.shopify.control.refund(r.domain, {
      orderId: placed.orderId,
      lines: [{ sku, quantity: 1 }],
      restock: true,
    });
    await waitFor(
      "refund flagged",
      async () => (await rowOf(r.channelId, placed.orderId))?.importFlags.includes(SOURCE_REFUNDED),
      30_000,
    );
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start - 1, 20_000);
    await settle();
    const after = (await rowOf(r.channelId, placed.orderId))!;
    expect(after.importState).toBe("imported");
    expect(after.importFlags).toEqual([SOURCE_REFUNDED]);
    expect(centralOrders().find((o) => o.id === row.centralOrderId)!.cancelledAt).toBeNull();
    expect(centralByKey(r.channelId, placed.orderId)).toHaveLength(1);
    expect(await movementsOf(row.id)).toEqual([-2, 1]);
  }, 120_000);

  it("order → imported once (duplicate webhooks) → cancelled at the retailer: one sale and one restock in the ledger", async () => {
    const sku = "woo-long-sleeve-tee";
    await settle(500);
    const start = fw.shopifyAvailable(sku)!;
    fw.world.shopify.control.setFaults({ duplicateWebhooks: 2 });
    const placed = fw.world.shopify.control.placeOrder(r.domain, { lines: [{ sku, quantity: 1 }] });
    const row = await importState(r.channelId, placed.orderId, "imported");
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 1, 20_000);
    fw.world.shopify.control.setFaults({ duplicateWebhooks: 0 });
    fw.world.shopify.control.cancelOrder(r.domain, { orderId: placed.orderId, restock: true });
    await importState(r.channelId, placed.orderId, "cancelled");
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start, 20_000);
    // A late redelivery of the order's creation changes nothing.
    const created = fw.world.shopify.control
      .deliveries(r.domain)
      .filter((d) => d.topic === "orders/create" && JSON.parse(d.body).admin_graphql_api_id === placed.orderId);
    for (const d of created) fw.world.shopify.control.redeliver(r.domain, d.id);
    await settle(2000);
    expect(centralByKey(r.channelId, placed.orderId)).toHaveLength(1);
    expect(centralOrders().find((o) => o.id === row.centralOrderId)!.cancelledAt).not.toBeNull();
    expect(fw.shopifyAvailable(sku)).toBe(start);
    expect(await movementsOf(row.id)).toEqual([-1, 1]);
    expect(await orderStockMovements(row.id)).toEqual([-1, 1]);
  }, 120_000);
});
