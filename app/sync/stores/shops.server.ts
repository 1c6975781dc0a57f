/**
 * Shop lifecycle: install (after OAuth / token exchange), uninstall, and GDPR redaction.
 * Each shop gets one channel of kind "shopify" (the record) so listings and the ledger treat every
 * store alike.
 */
import { Prisma } from "@prisma/client";
import prisma from "../../db.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { redactCustomerReceipts, redactTargetOf } from "../../webhooks/retention.server";
import { onUninstallBilling } from "../../billing/billing.server";

/** Creates or revives the shop and its Shopify channel, then queues a catalog import. Returns the shop id. */
export async function onShopInstalled(domain: string, scopes: string | null): Promise<string> {
  const shop = await prisma.shop.upsert({
    where: { domain },
    create: { domain, scopes },
    update: { uninstalledAt: null, scopes },
  });
  const existing = await prisma.channel.findFirst({ where: { shopId: shop.id, kind: "shopify" } });
  const channel =
    existing ??
    (await prisma.channel.create({
      data: {
        shopId: shop.id,
        kind: "shopify",
        name: domain,
        baseUrl: `https://${domain}`,
        mode: "exact",
        status: "active",
      },
    }));
  await enqueue(QUEUES.linkChannel, { shopId: shop.id, channelId: channel.id }, { singletonKey: `link:${channel.id}` });
  return shop.id;
}

/** Shop row by its myshopify domain, or null. */
export function getShopByDomain(domain: string) {
  return prisma.shop.findUnique({ where: { domain } });
}

/**
 * app/uninstalled: sessions are deleted (Shopify template behaviour), the shop is marked uninstalled and
 * stops syncing. Its data stays until shop/redact (48 h later) so a reinstall keeps history.
 */
export async function onShopUninstalled(domain: string): Promise<void> {
  await prisma.session.deleteMany({ where: { shop: domain } });
  await prisma.shop.updateMany({ where: { domain }, data: { uninstalledAt: new Date() } });
  // Shopify cancels the app's subscription on uninstall; the plan falls back to Free here at once (app/billing).
  await onUninstallBilling(domain);
}

/**
 * Tables that hold a shop's rows by a `shopId` column, read from Prisma's data model (every model with a scalar
 * `shopId` field, by its database name). Most cascade from `Shop`; the analytics rollups (decision 287) and any
 * future table without a foreign key do not — shop/redact deletes from every one of them by this list, so a new
 * shop-owned table is erased without anyone remembering to add it (docs/decisions/304).
 */
export function shopOwnedTables(): string[] {
  return Prisma.dmmf.datamodel.models
    .filter((m) => m.fields.some((f) => f.name === "shopId" && f.kind === "scalar"))
    .map((m) => m.dbName ?? m.name);
}

/**
 * shop/redact (GDPR, 48 h after uninstall): erase everything SyncFlow holds for the shop, in one transaction — the
 * `Shop` row (its cascades), then every table with a `shopId` column (`shopOwnedTables`, which reaches tables without
 * a foreign key such as the analytics rollups), the shop's sessions, the webhook receipts that arrived for its domain
 * before it was installed, and the shop's queued jobs (their payloads name it). The ledger's append-only guard is
 * lifted for this one transaction. Idempotent: a second delivery finds nothing and returns false.
 */
export async function redactShop(domain: string): Promise<boolean> {
  const removed = await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT set_config('syncflow.allow_ledger_delete', 'on', true)`;
      const shop = await tx.shop.findUnique({ where: { domain }, select: { id: true } });
      const { count } = await tx.shop.deleteMany({ where: { domain } });
      if (shop)
        for (const table of shopOwnedTables())
          await tx.$executeRawUnsafe(`DELETE FROM "${table.replace(/"/g, '""')}" WHERE "shopId" = $1`, shop.id);
      await tx.session.deleteMany({ where: { shop: domain } });
      // The shop's receipts went with it (cascade); these arrived before it was installed (the shop/redact receipt itself,
      // which holds only the domain, stays as the record that the redaction happened).
      await tx.$executeRaw`DELETE FROM "WebhookReceipt" WHERE "shopId" IS NULL AND "topic" <> 'shop/redact' AND "headers"->>'x-shopify-shop-domain' = ${domain}`;
      return shop ? { id: shop.id, count } : null;
    },
    { timeout: 120_000 },
  );
  if (removed) await dropQueuedJobsOf(removed.id);
  return (removed?.count ?? 0) > 0;
}

/** Jobs waiting in the queue for a shop that is gone (their payloads carry its id): removed, never run. */
async function dropQueuedJobsOf(shopId: string): Promise<void> {
  const { deleteQueuedJobsOfShop } = await import("../../jobs/queue.server");
  await deleteQueuedJobsOfShop(shopId);
}

/**
 * customers/redact: forget a customer's name and e-mail on the shop's orders (by e-mail, and the orders Shopify
 * lists in `orders_to_redact`), and drop every stored webhook payload that names the customer
 * (app/webhooks/retention.server.ts). `body` is the customers/redact payload. Returns orders touched.
 */
export async function redactCustomer(domain: string, body: unknown): Promise<number> {
  const target = redactTargetOf(body);
  const shop = await prisma.shop.findUnique({ where: { domain } });
  if (!shop) return 0;
  const orderIds = (target.orderIds ?? []).map((id) => String(id));
  const or = [
    ...(target.email ? [{ customerEmail: target.email }] : []),
    ...(orderIds.length
      ? [
          {
            channel: { kind: "shopify" },
            externalId: { in: [...orderIds, ...orderIds.map((id) => `gid://shopify/Order/${id}`)] },
          },
        ]
      : []),
  ];
  const { count } = or.length
    ? await prisma.order.updateMany({
        where: { shopId: shop.id, OR: or },
        data: { customerEmail: null, customerName: null },
      })
    : { count: 0 };
  await redactCustomerReceipts(shop.id, target);
  return count;
}
