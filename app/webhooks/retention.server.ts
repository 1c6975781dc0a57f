/**
 * Webhook payload retention and redaction (issue 13: "raw webhook payloads with customer data are kept forever and
 * customers/redact leaves them"; docs/decisions/147).
 *
 * A receipt's `body` (the payload, with customer names, e-mails and addresses) is kept only as long as processing and
 * replay need it: `SYNCFLOW_WEBHOOK_RETENTION_DAYS` (default 7) after it was received, and never once processing is
 * settled for good — then `body` becomes null, `bodyDroppedAt` is set, and `bodyHash`, topic, dedupe key, status and
 * times stay (dedupe and the audit trail keep working). Receipts still waiting (`received`) are never dropped.
 * `customers/redact` drops at once every payload of that shop that names the customer (id, e-mail) or one of the
 * orders Shopify lists; `shop/redact` deletes the shop with its receipts (cascade) and also the receipts that arrived
 * for that domain before it was installed.
 */
import { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { env } from "../env.server";

/** Days a webhook payload is kept (SYNCFLOW_WEBHOOK_RETENTION_DAYS, default 7, at least 1). */
export function retentionDays(): number {
  const d = env.SYNCFLOW_WEBHOOK_RETENTION_DAYS;
  return Number.isFinite(d) && d >= 1 ? d : 7;
}

/**
 * Drops the payloads of settled receipts older than the retention period, in batches of 5,000.
 * @returns the number of receipts whose body was dropped.
 */
export async function dropExpiredWebhookBodies(now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays() * 86_400_000);
  let total = 0;
  for (;;) {
    const n = await prisma.$executeRaw`
      UPDATE "WebhookReceipt" SET "body" = NULL, "bodyDroppedAt" = ${now}
      WHERE "id" IN (SELECT "id" FROM "WebhookReceipt" WHERE "body" IS NOT NULL AND "status" <> 'received' AND "receivedAt" < ${cutoff} LIMIT 5000)`;
    total += n;
    if (n < 5000) return total;
  }
}

/** What a customers/redact payload names (Shopify: `customer.id`, `customer.email`, `orders_to_redact`). */
export interface RedactTarget {
  customerId?: string | number | null;
  email?: string | null;
  orderIds?: (string | number)[];
}

/** Reads a customers/redact (or data_request) payload. */
export function redactTargetOf(body: unknown): RedactTarget {
  const b = (body ?? {}) as {
    customer?: { id?: number | string; email?: string };
    orders_to_redact?: (number | string)[];
    orders_requested?: (number | string)[];
  };
  return { customerId: b.customer?.id ?? null, email: b.customer?.email ?? null, orderIds: b.orders_to_redact ?? [] };
}

/**
 * Drops every stored payload of `shopId` that names the customer: Shopify order/refund payloads (customer id, e-mail,
 * order id in `orders_to_redact`), WooCommerce order payloads (billing e-mail, customer id is WooCommerce's own so not
 * compared), and the compliance webhooks about that customer themselves.
 * @returns receipts whose body was dropped.
 */
export async function redactCustomerReceipts(shopId: string, target: RedactTarget, now = new Date()): Promise<number> {
  const conds: Prisma.Sql[] = [];
  const email = target.email?.trim().toLowerCase();
  if (target.customerId != null && String(target.customerId) !== "") {
    conds.push(
      Prisma.sql`("source" = 'shopify' AND ("body"->'customer'->>'id' = ${String(target.customerId)} OR "body"->>'customer_id' = ${String(target.customerId)}))`,
    );
  }
  if (email) {
    conds.push(Prisma.sql`lower("body"->>'email') = ${email}`);
    conds.push(Prisma.sql`lower("body"->'customer'->>'email') = ${email}`);
    conds.push(Prisma.sql`lower("body"->'billing'->>'email') = ${email}`);
    conds.push(Prisma.sql`lower("body"->>'contact_email') = ${email}`);
  }
  const orders = (target.orderIds ?? []).map(String).filter(Boolean);
  if (orders.length) {
    conds.push(
      Prisma.sql`("source" = 'shopify' AND "topic" LIKE 'orders/%' AND "body"->>'id' IN (${Prisma.join(orders)}))`,
    );
    conds.push(
      Prisma.sql`("source" = 'shopify' AND "topic" = 'refunds/create' AND "body"->>'order_id' IN (${Prisma.join(orders)}))`,
    );
  }
  if (!conds.length) return 0;
  return prisma.$executeRaw`
    UPDATE "WebhookReceipt" SET "body" = NULL, "bodyDroppedAt" = ${now}
    WHERE "shopId" = ${shopId} AND "body" IS NOT NULL AND (${Prisma.join(conds, " OR ")})`;
}

/**
 * What a `customers/data_request` event carries (DomainEvent payload; the notification names the customer so the
 * merchant can answer): Shopify's data request id, the customer's id and e-mail, and the orders asked about.
 */
export function dataRequestFacts(body: unknown): {
  dataRequestId: string | null;
  customerId: string | null;
  email: string | null;
  ordersRequested: string[];
} {
  const b = (body ?? {}) as {
    data_request?: { id?: number | string };
    customer?: { id?: number | string; email?: string };
    orders_requested?: (number | string)[];
  };
  return {
    dataRequestId: b.data_request?.id != null ? String(b.data_request.id) : null,
    customerId: b.customer?.id != null ? String(b.customer.id) : null,
    email: b.customer?.email ?? null,
    ordersRequested: (b.orders_requested ?? []).map(String).slice(0, 100),
  };
}
