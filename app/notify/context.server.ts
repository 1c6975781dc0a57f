/**
 * Builds a message context from a DomainEvent: loads the shop, item, store, order or conflict it refers
 * to (always filtered by shopId) and the links back into the app.
 *
 * Links: in Shopify Admin the embedded app lives at `https://admin.shopify.com/store/<handle>/apps/<api key><path>`;
 * in demo/test mode (no Shopify Admin) links point at the app itself.
 */
import prisma from "../db.server";
import type { NotificationKind } from "./kinds";
import type { MessageContext } from "./templates";
import { env } from "../env.server";

/** Absolute link to `path` (e.g. `/app/inventory`) of the app for `shopDomain`. */
export function appLink(shopDomain: string, path: string): string {
  const mode = env.SYNCFLOW_MODE;
  if (mode === "demo" || mode === "test")
    return `${(env.SHOPIFY_APP_URL ?? "http://localhost").replace(/\/$/, "")}${path}`;
  const handle = shopDomain.replace(/\.myshopify\.com$/, "");
  return `https://admin.shopify.com/store/${handle}/apps/${env.SHOPIFY_API_KEY ?? "syncflow"}${path}`;
}

const PATH_BY_KIND: Record<NotificationKind, string> = {
  "order.imported": "/app/activity?cause=order",
  "order.import_failed": "/app/orders",
  "stock.low": "/app/inventory",
  "stock.out": "/app/inventory",
  "job.dead_lettered": "/app",
  "conflict.raised": "/app",
  "store.unhealthy": "/app/channels",
  "sku.ambiguous": "/app/listings",
  "data.request": "/app",
  "summary.daily": "/app",
  "stock.low_cover": "/app/reorder",
};

/** The shop's display name and domain. */
export async function shopIdentity(shopId: string): Promise<{ name: string; domain: string }> {
  const shop = await prisma.shop.findUnique({ where: { id: shopId }, select: { name: true, domain: true } });
  return { name: shop?.name || shop?.domain || "your shop", domain: shop?.domain ?? "" };
}

/** Context for one event of `shopId`. */
export async function eventContext(
  shopId: string,
  kind: NotificationKind,
  event: { itemId: string | null; channelId: string | null; payload: unknown },
): Promise<MessageContext> {
  const shop = await shopIdentity(shopId);
  const p = (event.payload ?? {}) as Record<string, any>;
  const facts: MessageContext["facts"] = {};
  const itemId = event.itemId ?? p.itemId ?? null;
  const channelId = event.channelId ?? p.channelId ?? p.data?.channelId ?? null;
  if (itemId) {
    const item = await prisma.catalogItem.findFirst({
      where: { id: itemId, shopId },
      select: { sku: true, title: true },
    });
    if (item) Object.assign(facts, { sku: item.sku, title: item.title });
  }
  if (channelId) {
    const ch = await prisma.channel.findFirst({
      where: { id: channelId, shopId },
      select: { name: true, status: true, statusReason: true },
    });
    if (ch) Object.assign(facts, { store: ch.name, status: ch.status, reason: ch.statusReason });
  }
  let path = PATH_BY_KIND[kind];
  switch (kind) {
    case "stock.low":
    case "stock.out":
      Object.assign(facts, {
        quantity: p.quantity,
        threshold: p.threshold,
        where: p.where ?? (facts.store as string | undefined) ?? null,
      });
      if (facts.sku) path = `/app/inventory?q=${encodeURIComponent(String(facts.sku))}`;
      break;
    case "order.imported": {
      const order = p.orderId
        ? await prisma.order.findFirst({
            where: { id: p.orderId, shopId },
            include: { lines: true, channel: { select: { name: true } } },
          })
        : null;
      if (order) {
        Object.assign(facts, {
          orderNumber: order.number.startsWith("#") ? order.number : `#${order.number}`,
          store: order.channel.name,
          total: order.totalPrice?.toString() ?? null,
          currency: order.currency,
          itemsLine: order.lines.map((l) => `${l.quantity}× ${l.sku ?? l.title}`).join(", "),
        });
      }
      break;
    }
    case "job.dead_lettered":
      Object.assign(facts, { queue: p.queue, cause: p.cause, attempts: p.attempts });
      break;
    case "order.import_failed": {
      const order = p.orderId
        ? await prisma.order.findFirst({
            where: { id: p.orderId, shopId },
            select: { id: true, number: true, channel: { select: { name: true } } },
          })
        : null;
      Object.assign(facts, { cause: p.cause, attempts: p.attempts, action: p.action ?? "import" });
      if (order) {
        Object.assign(facts, { orderNumber: order.number.startsWith("#") ? order.number : `#${order.number}` });
        facts.store = order.channel.name;
        path = `/app/orders/${encodeURIComponent(order.id)}`;
      }
      break;
    }
    case "conflict.raised":
      Object.assign(facts, {
        expectedQuantity: p.expectedQuantity,
        storeQuantity: p.storeQuantity,
        conflictKind: p.kind,
      });
      break;
    case "store.unhealthy":
      if (p.reason) facts.reason = p.reason;
      if (p.status) facts.status = p.status;
      break;
    case "summary.daily":
      facts.date = p.date;
      break;
    case "stock.low_cover":
      Object.assign(facts, {
        quantity: p.available,
        demandPerDay: p.demandPerDay,
        daysOfCover: p.daysOfCover,
        stockoutDate: p.stockoutDate,
        reorderPoint: p.reorderPoint,
        suggestedQty: p.suggestedQty,
        leadTimeDays: p.leadTimeDays,
      });
      if (facts.sku) path = `/app/reorder?q=${encodeURIComponent(String(facts.sku))}`;
      break;
    case "sku.ambiguous":
      Object.assign(facts, { count: p.count, ...(p.store ? { store: p.store } : {}) });
      break;
    case "data.request":
      Object.assign(facts, {
        email: p.email,
        customerId: p.customerId,
        ordersRequested: Array.isArray(p.ordersRequested) ? (p.ordersRequested as unknown[]).length : 0,
      });
      break;
  }
  return {
    kind,
    shopName: shop.name,
    shopDomain: shop.domain,
    link: appLink(shop.domain, path),
    settingsLink: appLink(shop.domain, "/app/settings/notifications"),
    facts,
    lines: Array.isArray(p.lines) ? (p.lines as string[]) : undefined,
  };
}
