/**
 * Shopify Flow triggers from SyncFlow's domain events (docs/decisions/173). Run by the notify job right after
 * the event's notifications (app/jobs/worker.server.ts), in every plan:
 *
 *   conflict.raised                              → syncflow-conflict-raised
 *   store.unhealthy                              → syncflow-store-unhealthy
 *   stock.low with outOfStock (stock watch)      → syncflow-out-of-stock
 *   stock.low at 0 on a store with allocations   → syncflow-oversell-prevented (the store sold its allocation
 *                                                   and refuses further sales instead of overselling)
 *
 * Events of a channel paused by the plan start no workflow (paused = no notifications). Each (event, trigger)
 * is sent once: a FlowTriggerSend row is claimed before the call and marked sent after; a transport failure
 * throws (the job retries and resends the same payload); Flow refusing the payload (userErrors) is recorded
 * as failed and not retried. Payload keys: app/flow/definitions.ts.
 */
import type { DomainEvent, Prisma } from "@prisma/client";
import prisma from "../db.server";
import { FLOW_TRIGGERS, legacyId } from "./definitions";
import { isRecordChannel } from "../billing/plans";
import { adminAppUrl } from "../billing/billing.server";
import { NotFoundError, recordForShop } from "../sync/stores/stores.server";
import { ChannelError } from "../channels/channel";

/** A trigger to send: its handle and the payload Flow receives. */
export interface PlannedTrigger {
  handle: string;
  payload: Record<string, unknown>;
}

/** The Shopify product id (numeric) of a catalog item, from the record store's listing; null when unknown. */
async function productIdOf(shopId: string, domain: string, itemId: string): Promise<number | null> {
  const listings = await prisma.listing.findMany({
    where: { shopId, itemId, channel: { kind: "shopify" } },
    select: { productId: true, channel: { select: { kind: true, baseUrl: true } } },
  });
  const own = listings.find((l) => isRecordChannel(l.channel, domain));
  return legacyId(own?.productId);
}

/** Which triggers a domain event starts, with their payloads ([] for events no trigger listens to). */
export async function plannedTriggers(event: DomainEvent): Promise<PlannedTrigger[]> {
  const p = (event.payload ?? {}) as Record<string, unknown>;
  const shop = await prisma.shop.findUnique({ where: { id: event.shopId }, select: { domain: true } });
  if (!shop) return [];
  const channelId = event.channelId ?? (typeof p.channelId === "string" ? p.channelId : null);
  const channel = channelId ? await prisma.channel.findFirst({ where: { id: channelId, shopId: event.shopId } }) : null;
  if (channel?.pausedAt) return []; // paused by the plan: no notifications, no workflows
  const itemId = event.itemId ?? (typeof p.itemId === "string" ? p.itemId : null);
  const item = itemId
    ? await prisma.catalogItem.findFirst({
        where: { id: itemId, shopId: event.shopId },
        select: { sku: true, title: true },
      })
    : null;
  const product = itemId ? await productIdOf(event.shopId, shop.domain, itemId) : null;

  if (event.type === "conflict.raised" && item && product && channel) {
    return [
      {
        handle: FLOW_TRIGGERS.conflictRaised.handle,
        payload: {
          product_id: product,
          SKU: item.sku,
          Store: channel.name,
          "Expected quantity": Number(p.expected ?? 0) | 0,
          "Store quantity": Number(p.store ?? 0) | 0,
          "Review URL": adminAppUrl(shop.domain, "/app/conflicts"),
        },
      },
    ];
  }
  if (event.type === "store.unhealthy" && channel) {
    return [
      {
        handle: FLOW_TRIGGERS.storeUnhealthy.handle,
        payload: {
          Store: channel.name,
          "Store URL": channel.baseUrl,
          Reason: String(p.reason ?? "unknown").slice(0, 255),
        },
      },
    ];
  }
  if (event.type === "stock.low" && item && product) {
    if (p.outOfStock === true) {
      return [
        {
          handle: FLOW_TRIGGERS.outOfStockEverywhere.handle,
          payload: { product_id: product, SKU: item.sku, Title: item.title },
        },
      ];
    }
    if (channel && channel.allocationEnabled && Number(p.quantity) === 0 && !isRecordChannel(channel, shop.domain)) {
      const levels = await prisma.inventoryLevel.aggregate({
        where: { shopId: event.shopId, itemId: itemId! },
        _sum: { available: true },
      });
      return [
        {
          handle: FLOW_TRIGGERS.oversellPrevented.handle,
          payload: {
            product_id: product,
            SKU: item.sku,
            Store: channel.name,
            "Shopify available": levels._sum.available ?? 0,
          },
        },
      ];
    }
  }
  return [];
}

/**
 * Sends the Flow triggers of one domain event (idempotent per event and handle). Returns what happened per
 * handle. Throws on a retryable transport failure so the job retries.
 */
export async function sendFlowTriggersForEvent(eventId: string): Promise<{ handle: string; status: string }[]> {
  const event = await prisma.domainEvent.findUnique({ where: { id: eventId } });
  if (!event) return [];
  const planned = await plannedTriggers(event);
  const out: { handle: string; status: string }[] = [];
  for (const t of planned) {
    const row = await prisma.flowTriggerSend.upsert({
      where: { eventId_handle: { eventId, handle: t.handle } },
      create: { shopId: event.shopId, eventId, handle: t.handle, payload: t.payload as Prisma.InputJsonValue },
      update: {},
    });
    if (row.status !== "pending") {
      out.push({ handle: t.handle, status: row.status });
      continue;
    }
    await prisma.flowTriggerSend.update({ where: { id: row.id }, data: { attempts: { increment: 1 } } });
    try {
      const { adapter } = await recordForShop(event.shopId);
      await adapter.sendFlowTrigger(t.handle, row.payload as Record<string, unknown>);
      await prisma.flowTriggerSend.update({
        where: { id: row.id },
        data: { status: "sent", sentAt: new Date(), error: null },
      });
      out.push({ handle: t.handle, status: "sent" });
    } catch (err) {
      // Shop uninstalled, or Flow refused the payload: retrying would not help.
      const retry = err instanceof ChannelError ? err.retryable : !(err instanceof NotFoundError);
      await prisma.flowTriggerSend.update({
        where: { id: row.id },
        data: { status: retry ? "pending" : "failed", error: String((err as Error).message ?? err).slice(0, 1000) },
      });
      if (retry) throw err;
      console.warn(`[flow] trigger ${t.handle} for event ${eventId} refused: ${(err as Error).message}`);
      out.push({ handle: t.handle, status: "failed" });
    }
  }
  return out;
}
