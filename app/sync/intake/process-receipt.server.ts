/**
 * Work done for one stored webhook receipt (run by the `webhook` job). Idempotent: a receipt already
 * processed is skipped, and everything below is keyed so a re-run changes nothing.
 *
 * Topic → effect:
 * - woocommerce order.created / order.updated → order recorded; each line's stock follows WooCommerce's own
 *   tally (`_reduced_stock`) as Shopify adjustments (orders.server.ts), then applied and pushed to the other stores;
 * - woocommerce stock.event (the plugin's stock events, stock-events.server.ts) → an order's stock move applied as
 *   the store made it, the hub's own write recognised, any other change on the store handled by its conflict policy;
 * - woocommerce product.updated → the store's observed quantity (an echo of our own push when it equals
 *   our baseline; otherwise noted for reconciliation — sales travel as orders, not as stock copies); a new
 *   listing or a changed SKU / stock management queues the store's linking job;
 * - shopify inventory_levels/update → the record's level moves (monotonic) and linked stores get a push;
 * - shopify orders/create, orders/cancelled, refunds/create → the unified order view (stock follows via
 *   inventory_levels/update);
 * - shopify app/uninstalled, shop/redact, customers/redact, customers/data_request → lifecycle / GDPR.
 */
import { applySubscription, reportFromWebhook } from "../../billing/billing.server";
import { recordForShop } from "../stores/stores.server";
import prisma from "../../db.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { parseRecordDelivery, parseSalesDelivery } from "../../channels/registry.server";
import type { SalesEvent } from "../../channels/events";
import { ingestSalesOrder, recordShopifyOrder } from "./orders.server";
import { queueOrderImport, recogniseImportEcho } from "../orders-hub/import.server";
import { recordCentralFulfilments } from "../orders-hub/pushback.server";
import { applyStockEvent } from "./stock-events.server";
import { applyLevelWebhook, channelsFedBy } from "./levels.server";
import { redactCustomer, redactShop } from "../stores/shops.server";
import { emitEvent } from "../events.server";
import { dataRequestFacts } from "../../webhooks/retention.server";
import { exactSku, holdsStock } from "../stores/sku";
import { requestPush, requestPushToStores } from "../stock/push.server";

/** A receipt's outcome; `shopId` (when the receipt was found) spares the worker a lookup to signal the shop (issue 11). */
export type ReceiptOutcome = { status: "processed" | "ignored"; note?: string; shopId?: string };

/** Processes one receipt by id. Throws on transient failures (the job retries). */
export async function processReceipt(receiptId: string): Promise<ReceiptOutcome> {
  const receipt = await prisma.webhookReceipt.findUnique({ where: { id: receiptId } });
  if (!receipt) return { status: "ignored", note: "receipt not found" };
  if (receipt.status === "processed" || receipt.status === "ignored")
    return { status: receipt.status as "processed" | "ignored", note: "already done" };
  // A failed receipt replayed after its payload was dropped (retention or redaction, app/webhooks/retention.server.ts).
  if (receipt.body === null) {
    await prisma.webhookReceipt.update({
      where: { id: receipt.id },
      data: { status: "ignored", processedAt: new Date(), error: "payload dropped (retention or redaction)" },
    });
    return { status: "ignored", note: "payload dropped (retention or redaction)" };
  }
  let outcome: ReceiptOutcome;
  try {
    outcome = receipt.source === "shopify" ? await processShopify(receipt) : await processSalesChannel(receipt);
  } catch (err) {
    await prisma.webhookReceipt.update({
      where: { id: receipt.id },
      data: { error: String((err as Error).message ?? err).slice(0, 2000) },
    });
    throw err;
  }
  await prisma.webhookReceipt.update({
    where: { id: receipt.id },
    data: { status: outcome.status, processedAt: new Date(), error: outcome.note ?? null },
  });
  return { ...outcome, shopId: receipt.shopId ?? undefined };
}

type Receipt = NonNullable<Awaited<ReturnType<typeof prisma.webhookReceipt.findUnique>>>;

/**
 * A sales channel's delivery: its adapter turns it into normalised events (app/channels/events.ts) — with the headers
 * the intake stored beside the body (a retailer's level webhook is marked there with the listing it belongs to,
 * app/webhooks/intake.server.ts) — and EVERY event is handled, in order (a retailer's products/update names each
 * variant of the product). Each handler is idempotent on its own (orders by their line tally, observations monotonic
 * on the store's modification time), so a receipt retried after a partial failure changes nothing twice.
 * @returns "processed" when any event was, with each event's note (joined, counted when repeated)
 */
async function processSalesChannel(receipt: Receipt): Promise<ReceiptOutcome> {
  const channel = await prisma.channel.findFirst({
    where: { id: receipt.channelId ?? "", shopId: receipt.shopId ?? "" },
  });
  if (!channel || channel.status === "disconnected") return { status: "ignored", note: "store disconnected" };
  const events = parseSalesDelivery(channel.kind, {
    topic: receipt.topic,
    headers: receiptHeaders(receipt),
    body: receipt.body,
  });
  const outcomes: ReceiptOutcome[] = [];
  for (const event of events) outcomes.push(await handleSalesEvent(channel, event));
  return combineOutcomes(outcomes, receipt.topic);
}

/** The headers stored with a receipt (string values only; null or a non-object → none). */
export function receiptHeaders(receipt: { headers: unknown }): Record<string, string> | undefined {
  const h = receipt.headers;
  if (!h || typeof h !== "object" || Array.isArray(h)) return undefined;
  return Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/**
 * One receipt's outcome from its events' outcomes: "processed" when any event was processed, else "ignored"; the notes
 * in order, each once with a count when repeated ("echo of our own write ×2; store-side change observed …").
 * No event at all → ignored, "topic … not handled".
 */
export function combineOutcomes(outcomes: ReceiptOutcome[], topic: string): ReceiptOutcome {
  if (!outcomes.length) return { status: "ignored", note: `topic ${topic} not handled` };
  if (outcomes.length === 1) return outcomes[0]!;
  const counts = new Map<string, number>();
  for (const o of outcomes) if (o.note) counts.set(o.note, (counts.get(o.note) ?? 0) + 1);
  const note = [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join("; ");
  return {
    status: outcomes.some((o) => o.status === "processed") ? "processed" : "ignored",
    note: `${outcomes.length} events: ${note}`.slice(0, 2000),
  };
}

type ChannelRow = NonNullable<Awaited<ReturnType<typeof prisma.channel.findFirst>>>;

/** The work for one normalised event of a sales channel's delivery (see the module docs for each type). */
async function handleSalesEvent(channel: ChannelRow, event: SalesEvent): Promise<ReceiptOutcome> {
  if (event.type === "stock.changed") {
    const res = await applyStockEvent(channel, event.change);
    for (const adjustmentId of res.adjustmentIds)
      await enqueue(QUEUES.shopifyAdjust, { shopId: channel.shopId, adjustmentId });
    if (res.itemIds.length) await pushToStores(channel.shopId, res.itemIds, channel.id);
    return { status: res.status, note: res.note };
  }
  if (event.type === "order.placed" || event.type === "order.changed" || event.type === "order.refunded") {
    const res = await ingestSalesOrder(channel, event.order);
    // One job per order: it applies every pending sale of the shop (they go to Shopify together, docs/decisions/102);
    // the sweep queues a job of its own for any sale still pending after a minute.
    if (res.adjustmentIds.length)
      await enqueue(QUEUES.shopifyAdjust, { shopId: channel.shopId, adjustmentId: res.adjustmentIds[0]! });
    // Other stores must not sell what this one just sold: push now (pending sales are subtracted).
    if (res.itemIds.length) await pushToStores(channel.shopId, res.itemIds, channel.id);
    // Orders hub (issue 15): an order that took stock goes to the central shop once, when the channel imports orders.
    await queueOrderImport(channel, res.orderId, event.order);
    if (res.result === "taken")
      await emitEvent(
        channel.shopId,
        "order.imported",
        { channelId: channel.id, orderId: res.orderId },
        { channelId: channel.id },
      );
    return { status: "processed", note: `order ${res.result}` };
  }
  if (event.type === "listing.changed") return observeListing(channel, event.listing);
  return { status: "ignored", note: `event ${event.type} not handled` };
}

/**
 * A listing as the store reports it now. A new listing, or a SKU / stock-management change, queues the store's
 * linking job; otherwise its observed quantity is recorded (monotonic on the store's modification time) and an
 * observation equal to the hub's last write is recognised as the echo of that write. An event that carries no
 * stock (`quantityUnknown`: a retailer's products/update) is a catalog observation only: the observed quantity and
 * its time stay as the stock events set them; one that does not name the SKU (`skuUnknown`) is not compared on it.
 */
async function observeListing(
  channel: ChannelRow,
  p: Extract<SalesEvent, { type: "listing.changed" }>["listing"],
): Promise<ReceiptOutcome> {
  const listing = await prisma.listing.findUnique({
    where: { channelId_externalId: { channelId: channel.id, externalId: p.listingId } },
  });
  // A new listing, or a SKU / stock-management change, may link or unlink it: the store's linking job
  // matches it again (collapsed per store). A listing the merchant left unsynced stays so. A change of letter case
  // counts too: it can settle a SKU that differed only by case from another (decision 107).
  // Only listings that hold stock can flip their stock flag (a variable parent's never counts).
  const relink =
    !listing ||
    (listing.matchStatus !== "ignored" &&
      ((!p.skuUnknown && exactSku(listing.sku) !== exactSku(p.sku)) ||
        (holdsStock(listing.productType) && listing.manageStock !== (p.manageStock !== false))));
  if (relink)
    await enqueue(
      QUEUES.linkChannel,
      { shopId: channel.shopId, channelId: channel.id },
      { singletonKey: `link:${channel.id}` },
    );
  if (!listing) return { status: "processed", note: "new listing: store linking queued" };
  if (p.quantityUnknown)
    return {
      status: "processed",
      note: relink ? "SKU or stock management changed: store linking queued" : "catalog observed (no stock in event)",
    };
  const modifiedAt = p.modifiedAt ? new Date(p.modifiedAt) : new Date();
  if (listing.lastSourceModifiedAt && modifiedAt < listing.lastSourceModifiedAt)
    return { status: "ignored", note: "older than last observation" };
  await prisma.listing.update({
    where: { id: listing.id },
    data: {
      lastObservedQuantity: p.quantity,
      lastObservedAt: new Date(),
      lastSourceModifiedAt: modifiedAt,
      manageStock: p.manageStock !== false,
    },
  });
  // The hub's own write: its last confirmed one, or the one in flight (its answer may land after its webhook).
  const inFlight =
    listing.inFlightPushSeq == null
      ? null
      : (listing.inFlightPushQuantity ??
        (listing.inFlightPushDelta != null
          ? (listing.lastWrittenQuantity ?? listing.lastObservedQuantity ?? 0) + listing.inFlightPushDelta
          : null));
  const echo = p.quantity != null && (p.quantity === listing.lastWrittenQuantity || p.quantity === inFlight);
  if (relink) return { status: "processed", note: "SKU or stock management changed: store linking queued" };
  return {
    status: "processed",
    note: echo ? "echo of our own write" : "store-side change observed (reconciliation decides)",
  };
}

async function processShopify(receipt: Receipt): Promise<ReceiptOutcome> {
  const domain = (receipt.headers as Record<string, string>)["x-shopify-shop-domain"] ?? "";
  switch (receipt.topic) {
    case "shop/redact":
      await redactShop(domain);
      return { status: "processed", note: "shop data erased" };
    case "customers/redact": {
      const n = await redactCustomer(domain, receipt.body);
      return { status: "processed", note: `customer redacted on ${n} orders` };
    }
    case "customers/data_request":
      // SyncFlow keeps only name and e-mail on orders; the merchant is told to export them.
      if (receipt.shopId) await emitEvent(receipt.shopId, "customers.data_request", dataRequestFacts(receipt.body));
      return { status: "processed", note: "data request recorded for the merchant" };
    case "app_subscriptions/update": {
      // Billing (app/billing): the plan follows Shopify's report; monotonic on updated_at, so a late or repeated delivery changes nothing.
      if (!receipt.shopId) return { status: "ignored", note: "shop not installed" };
      const report = reportFromWebhook(receipt.body);
      // The payload has no test flag, trial or period end: read them from Shopify (best effort; the payload alone still applies).
      const full = await recordForShop(receipt.shopId)
        .then(({ adapter }) => adapter.readAppSubscription(report.id))
        .catch(() => null);
      const r = await applySubscription(
        receipt.shopId,
        full ? { ...full, updatedAt: report.updatedAt, status: report.status } : report,
      );
      return {
        status: r.applied ? "processed" : "ignored",
        note: r.applied
          ? `plan ${r.plan}; paused ${r.paused.length}, resumed ${r.resumed.length}`
          : "older or foreign subscription report",
      };
    }
    case "app/uninstalled":
    case "app/scopes_update":
      if (receipt.topic === "app/scopes_update" && receipt.shopId) {
        const current = (receipt.body as { current?: string[] }).current;
        if (current) await prisma.shop.update({ where: { id: receipt.shopId }, data: { scopes: current.join(",") } });
      }
      return { status: "processed" };
  }
  if (!receipt.shopId) return { status: "ignored", note: "shop not installed" };
  const shopId = receipt.shopId;
  const shopifyChannel = await prisma.channel.findFirst({ where: { shopId, kind: "shopify" } });
  if (!shopifyChannel) return { status: "ignored", note: "shop has no Shopify channel yet" };
  const [event] = parseRecordDelivery({ topic: receipt.topic, body: receipt.body });
  switch (event?.type) {
    case "level.changed": {
      const update = event.level;
      const res = await applyLevelWebhook(
        shopId,
        update,
        receipt.dedupeKey,
        (receipt.headers as Record<string, string> | null)?.["x-shopify-triggered-at"],
      );
      if (res.outcome === "applied" && res.itemId) {
        const channelIds = await channelsFedBy(shopId, res.locationGid!);
        for (const channelId of channelIds) await requestPush(shopId, channelId, [res.itemId]);
      }
      return { status: res.outcome === "applied" ? "processed" : "ignored", note: res.outcome };
    }
    case "order.placed":
    case "order.changed":
    case "order.cancelled": {
      const order = event.order;
      // The central shop's own orders/* for an order the hub imported: not a new sale, no second order row (decision 217).
      if (await recogniseImportEcho(shopId, order)) {
        // orders/updated carries every fulfilment of the order: the pushback's backstop for a lost fulfillments/*.
        const f = order.fulfilments?.length
          ? await recordCentralFulfilments(shopId, order.orderId, order.fulfilments)
          : null;
        return f?.orderId
          ? { status: "processed", note: `echo of an imported order; fulfilments seen, ${f.queued} push(es) queued` }
          : { status: "ignored", note: "echo of an imported order" };
      }
      const status =
        event.type === "order.cancelled" || order.cancelledAt ? "cancelled" : (order.financialStatus ?? "open");
      await recordShopifyOrder(shopId, shopifyChannel.id, order, status);
      return { status: "processed", note: "order recorded (stock follows inventory_levels/update)" };
    }
    case "order.refunded": {
      const refund = event.refund;
      if (refund.orderId) {
        const order = await prisma.order.findUnique({
          where: { channelId_externalId: { channelId: shopifyChannel.id, externalId: refund.orderId } },
        });
        if (order) {
          for (const l of refund.restockLines) {
            await prisma.orderLine.updateMany({
              where: { orderId: order.id, externalLineId: l.lineId },
              data: { restockedQuantity: { increment: l.quantity } },
            });
          }
        }
      }
      return { status: "processed", note: "refund recorded (stock follows inventory_levels/update)" };
    }
    case "fulfilment.changed": {
      // Orders hub pushback (issue 15 item 3): a central fulfilment of an imported order goes back to its store.
      const f = await recordCentralFulfilments(shopId, event.orderId, [event.fulfilment]);
      if (!f.orderId) return { status: "ignored", note: "fulfilment of an order the hub did not import" };
      if (f.stale) return { status: "ignored", note: "older than the fulfilment already recorded" };
      return { status: "processed", note: `fulfilment recorded; ${f.queued} push(es) queued` };
    }
    case "catalog.changed":
      // Titles/SKUs may have changed: refresh the catalog in the background (collapsed per shop).
      await enqueue(
        QUEUES.linkChannel,
        { shopId, channelId: shopifyChannel.id },
        { singletonKey: `link:${shopifyChannel.id}` },
      );
      return { status: "processed", note: "catalog refresh queued" };
  }
  return { status: "ignored", note: `topic ${receipt.topic} not handled` };
}

/** Requests a push of `itemIds` to every active WooCommerce store of the shop (coalesced: push.server.ts). */
export async function pushToStores(shopId: string, itemIds: string[], _exceptChannelId?: string): Promise<void> {
  await requestPushToStores(shopId, itemIds);
}
