/**
 * Webhook intake: verify, store with a dedupe key, acknowledge, and let a job do the work
 * (GUIDE §2 rule 4: persist, acknowledge, then work).
 *
 * Shopify (`/webhooks/<topic>`): verified by `@shopify/shopify-api`'s `webhooks.validate`, the check
 * `authenticate.webhook` runs (401 on a bad HMAC, 400 on missing headers; shopify-verify.server.ts); dedupe key = `X-Shopify-Webhook-Id`, which Shopify keeps across its retries.
 * WooCommerce (`/webhooks/woocommerce/<channel id>`): unknown channel → 404; the unsigned creation ping
 * (`webhook_id=N` form) → 200; bad signature → 401 (base64 HMAC-SHA256 of the raw body with the channel's
 * secret, as `WC_Webhook::generate_signature`); malformed JSON → 400; dedupe key = resource id +
 * `date_modified_gmt` (+ state), because X-WC-Webhook-Delivery-ID is not unique.
 * A duplicate delivery answers 200 and does nothing. The receipt is committed before the answer; its job
 * is queued right after, in a batch (receipt-writer.server.ts, docs/decisions/070). Receipts whose job
 * could not be queued are picked up by the sweep job, so an acknowledged webhook is never lost.
 */
import prisma from "../db.server";
import { verifyShopifyWebhook } from "./shopify-verify.server";
import { storeAndQueueReceipt, type ReceiptRow } from "./receipt-writer.server";
import { decryptSecret, sha256Hex } from "../lib/crypto.server";
import {
  dedupeKeyFor,
  isPingDelivery,
  readWooWebhookHeaders,
  verifyWooSignature,
} from "../channels/woocommerce/webhook.server";
import { onShopUninstalled } from "../sync/stores/shops.server";
import { linkedRetailerByDomain } from "../retailers/links.server";
import { RETAILER_KIND } from "../channels/channel";
import { LISTING_HEADER, retailerLevelRef } from "../channels/shopify-retailer/retailer-channel.server";

/**
 * Topics that, from a linked retailer shop, are events of the central shop's sales channel (the retailer's sales,
 * stock and catalog). Lifecycle and compliance topics (app/uninstalled, shop/redact, customers/*, billing) stay the
 * retailer shop's own. docs/decisions/197.
 */
export const RETAILER_CHANNEL_TOPICS = [
  "orders/create",
  "orders/updated",
  "orders/cancelled",
  "refunds/create",
  "inventory_levels/update",
  "products/update",
  "products/create",
];

/** "ORDERS_CREATE" / "orders/create" → "orders/create". */
export function normalizeShopifyTopic(topic: string): string {
  if (topic.includes("/")) return topic.toLowerCase();
  const t = topic.toLowerCase();
  const known = ["inventory_levels", "app_subscriptions", "customers", "shop", "orders", "refunds", "products", "app"];
  const prefix = known.find((k) => t.startsWith(k + "_"));
  return prefix ? `${prefix}/${t.slice(prefix.length + 1)}` : t.replace("_", "/");
}

/** Whether `id` can be a channel id (cuid: letters, digits, `_`/`-`, at most 64) — checked before any query. */
export const isChannelId = (id: string): boolean => /^[A-Za-z0-9_-]{1,64}$/.test(id);

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

/** Stores a receipt (group commit) and queues its job once committed; returns its id, or null for a duplicate. */
async function storeReceipt(data: ReceiptRow): Promise<string | null> {
  return (await storeAndQueueReceipt(data))?.id ?? null;
}

/**
 * Handles a Shopify webhook request end to end (route action). Throws a Response on verification failure
 * (405/401/400, as `authenticate.webhook`; see shopify-verify.server.ts), which Remix returns as is.
 */
export async function acceptShopifyWebhook(request: Request): Promise<Response> {
  const ctx = await verifyShopifyWebhook(request);
  const topic = normalizeShopifyTopic(String(ctx.topic));
  const headers: Record<string, string> = {};
  for (const h of [
    "x-shopify-topic",
    "x-shopify-shop-domain",
    "x-shopify-webhook-id",
    "x-shopify-event-id",
    "x-shopify-triggered-at",
    "x-shopify-api-version",
  ]) {
    const v = request.headers.get(h);
    if (v) headers[h] = v;
  }
  // A linked retailer's sales and stock webhooks belong to its central shop's sales channel (one indexed lookup).
  const retailer = RETAILER_CHANNEL_TOPICS.includes(topic) ? await linkedRetailerByDomain(ctx.shop) : null;
  if (retailer && topic === "inventory_levels/update" && retailer.syncInventory && retailer.retailerLocationId) {
    // A level at the location SyncFlow writes names only its inventory item: note the retailer listing (variant) it
    // belongs to, for the adapter's parser. Levels at the retailer's other locations stay unmarked (not this channel's).
    const listingId = await retailerListingOf(retailer.channelId, retailer.retailerLocationId, ctx.payload);
    if (listingId) headers[LISTING_HEADER] = listingId;
  }
  const receiptId = await storeReceipt({
    ...(retailer ? { shopId: retailer.centralShopId, channelId: retailer.channelId } : { shopDomain: ctx.shop }), // domain resolved in the insert
    source: retailer ? RETAILER_KIND : "shopify",
    topic,
    dedupeKey: `shopify:${ctx.shop}:${ctx.webhookId}`,
    bodyHash: sha256Hex(Buffer.from(ctx.rawBody, "utf8")),
    body: ctx.payload,
    headers,
    triggeredAt: ctx.triggeredAt ? new Date(ctx.triggeredAt) : null,
  });
  if (!receiptId) return json(200, { ok: true, duplicate: true });
  if (topic === "app/uninstalled") {
    // The template deletes sessions right away; the rest of the uninstall is the job's.
    await onShopUninstalled(ctx.shop);
  }
  return json(200, { ok: true });
}

/**
 * The listing (variant GID) of a retailer channel whose inventory item a level payload names, when the level is at
 * `locationId`; null otherwise (another location, unknown item, unreadable body).
 */
async function retailerListingOf(channelId: string, locationId: string, payload: unknown): Promise<string | null> {
  const level = retailerLevelRef(payload);
  if (!level || level.locationId !== locationId) return null;
  const l = await prisma.listing.findFirst({
    where: { channelId, inventoryItemId: level.inventoryItemId },
    select: { externalId: true },
  });
  return l?.externalId ?? null;
}

/** Handles a WooCommerce delivery for channel `channelId` (route action). */
export async function acceptWooWebhook(request: Request, channelId: string): Promise<Response> {
  if (request.method !== "POST")
    return json(405, { error: { code: "method_not_allowed", message: "Use POST." } }, { Allow: "POST" });
  // Channel ids are cuids: anything else (NUL bytes, unicode, 10 KB) is no store, and never reaches the database.
  const channel = isChannelId(channelId)
    ? await prisma.channel.findFirst({ where: { id: channelId, kind: "woocommerce" } })
    : null;
  if (!channel) return json(404, { error: { code: "unknown_channel", message: "No connected store with this id." } });
  // A disconnected store's secret is revoked: its deliveries are refused and change nothing.
  if (channel.status === "disconnected" || !channel.webhookSecretEnc)
    return json(410, { error: { code: "store_disconnected", message: "This store was disconnected from SyncFlow." } });
  const raw = Buffer.from(await request.arrayBuffer());
  const headerBag = Object.fromEntries(request.headers.entries());
  if (isPingDelivery(headerBag, raw)) return json(200, { ok: true, ping: true });
  const h = readWooWebhookHeaders(headerBag);
  const secret = decryptSecret(channel.webhookSecretEnc);
  if (!verifyWooSignature(raw, h.signature, secret)) {
    return json(401, { error: { code: "bad_signature", message: "X-WC-Webhook-Signature does not match the body." } });
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    return json(400, { error: { code: "bad_request", message: "Body is not JSON." } });
  }
  const topic = h.topic ?? `${h.resource ?? "unknown"}.${h.event ?? "unknown"}`;
  if (!["order.created", "order.updated", "product.updated", "product.created"].includes(topic)) {
    return json(200, { ok: true, ignored: topic });
  }
  let dedupe: string;
  try {
    dedupe = dedupeKeyFor(topic, body);
  } catch (err) {
    return json(400, { error: { code: "bad_request", message: (err as Error).message } });
  }
  const receiptId = await storeReceipt({
    shopId: channel.shopId,
    channelId: channel.id,
    source: "woocommerce",
    topic,
    dedupeKey: `woo:${channel.id}:${dedupe}`,
    bodyHash: sha256Hex(raw),
    body,
    headers: {
      "x-wc-webhook-id": h.webhookId ?? "",
      "x-wc-webhook-delivery-id": h.deliveryId ?? "",
      "x-wc-webhook-topic": topic,
    },
  });
  // "Last webhook seen" at minute resolution: one write a minute per store, not one per delivery (hot path).
  if (!channel.lastWebhookAt || Date.now() - channel.lastWebhookAt.getTime() > 60_000) {
    await prisma.channel.update({ where: { id: channel.id }, data: { lastWebhookAt: new Date() } });
  }
  if (!receiptId) return json(200, { ok: true, duplicate: true });
  return json(200, { ok: true });
}
