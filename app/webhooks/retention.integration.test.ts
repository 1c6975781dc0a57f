/**
 * Webhook payload retention and the compliance webhooks (issue 13: "raw webhook payloads with customer data are kept
 * forever and customers/redact leaves them"; "a customers/data_request is recorded as store.unhealthy";
 * docs/decisions/147), on the real database through the real receipt processing.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { processReceipt } from "../sync/intake/process-receipt.server";
import { dropExpiredWebhookBodies } from "./retention.server";
import { kindOfEvent } from "../notify/kinds";
import { stopBoss } from "../jobs/queue.server";

let shopId: string;
let domain: string;
const DAY = 86_400_000;

beforeAll(async () => {
  process.env.SYNCFLOW_QUEUE_SCHEMA ??= `pgboss_t${process.pid}`;
  domain = `privacy-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
  shopId = (await prisma.shop.create({ data: { domain } })).id;
});
afterAll(async () => {
  await stopBoss();
});

async function receipt(data: {
  topic: string;
  body: object;
  source?: string;
  status?: string;
  ageDays?: number;
  shopId?: string | null;
  headers?: object;
}) {
  return prisma.webhookReceipt.create({
    data: {
      shopId: data.shopId === undefined ? shopId : data.shopId,
      source: data.source ?? "shopify",
      topic: data.topic,
      dedupeKey: crypto.randomUUID(),
      bodyHash: crypto.createHash("sha256").update(JSON.stringify(data.body)).digest("hex"),
      body: data.body,
      headers: data.headers ?? { "x-shopify-shop-domain": domain },
      status: data.status ?? "processed",
      receivedAt: new Date(Date.now() - (data.ageDays ?? 0) * DAY),
    },
  });
}
const bodyOf = async (id: string) => (await prisma.webhookReceipt.findUniqueOrThrow({ where: { id } })).body;

describe("webhook payload retention", () => {
  it("drops payloads of settled receipts older than the retention (default 7 days), keeps hashes and waiting receipts", async () => {
    const old = await receipt({ topic: "orders/create", body: { id: 1, email: "a@x.test" }, ageDays: 8 });
    const oldFailed = await receipt({ topic: "orders/create", body: { id: 2 }, ageDays: 8, status: "failed" });
    const waiting = await receipt({ topic: "orders/create", body: { id: 3 }, ageDays: 8, status: "received" });
    const fresh = await receipt({ topic: "orders/create", body: { id: 4 }, ageDays: 1 });
    await dropExpiredWebhookBodies();
    const rows = await prisma.webhookReceipt.findMany({
      where: { id: { in: [old.id, oldFailed.id, waiting.id, fresh.id] } },
    });
    const by = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(by[old.id]!.body).toBeNull();
    expect(by[old.id]!.bodyHash).toBe(old.bodyHash);
    expect(by[old.id]!.bodyDroppedAt).not.toBeNull();
    expect(by[oldFailed.id]!.body).toBeNull();
    expect(by[waiting.id]!.body).not.toBeNull();
    expect(by[fresh.id]!.body).not.toBeNull();
    // A replay of a receipt whose payload was dropped settles it instead of failing.
    await prisma.webhookReceipt.update({ where: { id: oldFailed.id }, data: { status: "failed" } });
    expect((await processReceipt(oldFailed.id)).status).toBe("ignored");
  });
});

describe("compliance webhooks", () => {
  it("customers/redact drops every stored payload naming the customer (Shopify and WooCommerce), keeps others", async () => {
    const shopifyOrder = await receipt({
      topic: "orders/create",
      body: { id: 5551, email: "jane@x.test", customer: { id: 42, email: "jane@x.test", first_name: "Jane" } },
    });
    const byOrderId = await receipt({ topic: "orders/cancelled", body: { id: 5552, customer: null } });
    const wooOrder = await receipt({
      topic: "order.created",
      source: "woocommerce",
      body: { id: 77, billing: { email: "JANE@x.test", first_name: "Jane" } },
    });
    const other = await receipt({
      topic: "orders/create",
      body: { id: 5553, email: "bob@x.test", customer: { id: 43 } },
    });
    const redact = await receipt({
      topic: "customers/redact",
      status: "received",
      body: {
        shop_domain: domain,
        customer: { id: 42, email: "jane@x.test", phone: null },
        orders_to_redact: [5551, 5552],
      },
    });
    await processReceipt(redact.id);
    expect(await bodyOf(shopifyOrder.id)).toBeNull();
    expect(await bodyOf(byOrderId.id)).toBeNull();
    expect(await bodyOf(wooOrder.id)).toBeNull();
    expect(await bodyOf(redact.id)).toBeNull();
    expect(await bodyOf(other.id)).not.toBeNull();
  });

  it("customers/data_request is its own event and notification kind, not store.unhealthy", async () => {
    const req = await receipt({
      topic: "customers/data_request",
      status: "received",
      body: {
        shop_domain: domain,
        customer: { id: 42, email: "jane@x.test" },
        orders_requested: [5551],
        data_request: { id: 9999 },
      },
    });
    await processReceipt(req.id);
    const events = await prisma.domainEvent.findMany({ where: { shopId } });
    expect(events.map((e) => e.type)).toContain("customers.data_request");
    expect(events.map((e) => e.type)).not.toContain("store.unhealthy");
    const ev = events.find((e) => e.type === "customers.data_request")!;
    expect(ev.payload).toMatchObject({ dataRequestId: "9999", email: "jane@x.test", ordersRequested: ["5551"] });
    expect(kindOfEvent(ev.type, ev.payload)).toBe("data.request");
  });

  it("shop/redact removes the shop's receipts and those that arrived for its domain before it was installed", async () => {
    const d2 = `privacy-gone-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    const s2 = await prisma.shop.create({ data: { domain: d2 } });
    const attached = await receipt({
      topic: "orders/create",
      body: { id: 1 },
      shopId: s2.id,
      headers: { "x-shopify-shop-domain": d2 },
    });
    const early = await receipt({
      topic: "orders/create",
      body: { id: 2 },
      shopId: null,
      headers: { "x-shopify-shop-domain": d2 },
    });
    const redact = await receipt({
      topic: "shop/redact",
      status: "received",
      body: { shop_domain: d2 },
      shopId: null,
      headers: { "x-shopify-shop-domain": d2 },
    });
    await processReceipt(redact.id);
    expect(await prisma.webhookReceipt.count({ where: { id: { in: [attached.id, early.id] } } })).toBe(0);
  });
});
