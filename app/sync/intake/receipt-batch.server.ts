/**
 * Batch pre-pass of the `webhook` queue for WooCommerce `product.*` deliveries (docs/decisions/106), beside the stale
 * Shopify level pre-pass (stale-receipts.server.ts, decision 070).
 *
 * Under real traffic most deliveries a store sends are `product.updated` for stock the hub already knows about: the
 * echo of its own pushes, and the stock change of every order line the store sells (whose order arrives on its own).
 * processReceipt handles each with ~7 statements; here a whole batch costs four: read the receipts with their store
 * and listing, update the listings' observed quantity (monotonic on the store's `date_modified_gmt`), settle the
 * receipts. The outcome is exactly processReceipt's — same checks, same notes: a receipt is settled here only when
 * its store is connected, the payload parses, the listing exists and nothing that could re-link it changed (SKU, and
 * for a listing that holds stock its stock management); everything else (a new listing, a re-link, a parse error) is
 * left to processReceipt.
 */
import prisma from "../../db.server";
import { parseSalesDelivery } from "../../channels/registry.server";
import { exactSku, holdsStock } from "../stores/sku";
import { receiptHeaders, type ReceiptOutcome } from "./process-receipt.server";

type Row = {
  id: string;
  body: unknown;
  headers: unknown;
  topic: string;
  kind: string;
  listingId: string | null;
  sku: string | null;
  productType: string | null;
  manageStock: boolean | null;
  matchStatus: string | null;
  lastWrittenQuantity: number | null;
  lastSourceModifiedAt: Date | null;
};

/**
 * Settles the WooCommerce product observations among `receiptIds` (see the module docs).
 * @returns the outcome of each receipt it settled (by id); the others are not touched
 * @throws on database errors (the caller then processes every receipt the normal way)
 */
export async function settleProductObservations(receiptIds: string[]): Promise<Map<string, ReceiptOutcome>> {
  const settled = new Map<string, ReceiptOutcome>();
  if (!receiptIds.length) return settled;
  const rows = await prisma.$queryRaw<Row[]>`
    WITH r AS MATERIALIZED (SELECT id, "shopId", "channelId", body, headers, status, source, topic FROM "WebhookReceipt" WHERE id = ANY(${receiptIds}))
    SELECT r.id, r.body, r.headers, r.topic, c.kind, l.id AS "listingId", l.sku, l."productType", l."manageStock", l."matchStatus", l."lastWrittenQuantity", l."lastSourceModifiedAt"
    FROM r
    JOIN "Channel" c ON c.id = r."channelId" AND c."shopId" = r."shopId" AND c.status <> 'disconnected'
    LEFT JOIN "Listing" l ON l."channelId" = c.id AND l."externalId" = (r.body->>'id')
    WHERE r.status = 'received' AND r.source = 'woocommerce' AND r.topic LIKE 'product.%'`;
  const observe: {
    receiptId: string;
    listingId: string;
    qty: number | null;
    manage: boolean;
    modifiedAt: Date;
    note: string;
  }[] = [];
  const older: string[] = [];
  const seen = new Set<string>(); // one observation per listing per batch: a second one goes the normal way, in order
  for (const r of rows) {
    if (!r.listingId || seen.has(r.listingId)) continue;
    let events;
    try {
      events = parseSalesDelivery(r.kind, { topic: r.topic, headers: receiptHeaders(r), body: r.body });
    } catch {
      continue; // processReceipt records the parse error
    }
    // One stock observation per receipt only: a delivery of several events, or one without stock, goes the normal way.
    const event = events.length === 1 ? events[0] : undefined;
    if (event?.type !== "listing.changed" || event.listing.quantityUnknown || event.listing.skuUnknown) continue;
    const p = event.listing;
    const relink =
      r.matchStatus !== "ignored" &&
      (exactSku(r.sku) !== exactSku(p.sku) ||
        (holdsStock(r.productType ?? "") && r.manageStock !== (p.manageStock !== false)));
    if (relink) continue;
    seen.add(r.listingId);
    const modifiedAt = p.modifiedAt ? new Date(p.modifiedAt) : new Date();
    if (r.lastSourceModifiedAt && modifiedAt < r.lastSourceModifiedAt) {
      older.push(r.id);
      continue;
    }
    const echo = p.quantity != null && p.quantity === r.lastWrittenQuantity;
    observe.push({
      receiptId: r.id,
      listingId: r.listingId,
      qty: p.quantity,
      manage: p.manageStock !== false,
      modifiedAt,
      note: echo ? "echo of our own write" : "store-side change observed (reconciliation decides)",
    });
  }
  if (!observe.length && !older.length) return settled;
  await prisma.$transaction(
    async (tx) => {
      if (observe.length) {
        // Monotonic again in SQL: a newer observation that landed since the read above wins; this one is then "older".
        const updated = await tx.$queryRaw<{ id: string }[]>`
        UPDATE "Listing" l SET "lastObservedQuantity" = u.qty, "lastObservedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3),
               "lastSourceModifiedAt" = u.modified, "manageStock" = u.manage, "updatedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3)
        FROM unnest(${observe.map((o) => o.listingId)}::text[], ${observe.map((o) => o.qty)}::int[], ${observe.map((o) => o.modifiedAt.toISOString())}::timestamp(3)[], ${observe.map((o) => o.manage)}::boolean[])
             AS u(id, qty, modified, manage)
        WHERE l.id = u.id AND (l."lastSourceModifiedAt" IS NULL OR l."lastSourceModifiedAt" <= u.modified)
        RETURNING l.id`;
        const done = new Set(updated.map((u) => u.id));
        for (const o of observe) if (!done.has(o.listingId)) older.push(o.receiptId);
        const ok = observe.filter((o) => done.has(o.listingId));
        if (ok.length) {
          const rs = await tx.$queryRaw<{ id: string }[]>`
          UPDATE "WebhookReceipt" w SET status = 'processed', "processedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3), error = u.note
          FROM unnest(${ok.map((o) => o.receiptId)}::text[], ${ok.map((o) => o.note)}::text[]) AS u(id, note)
          WHERE w.id = u.id AND w.status = 'received'
          RETURNING w.id`;
          const noteOf = new Map(ok.map((o) => [o.receiptId, o.note]));
          for (const r of rs) settled.set(r.id, { status: "processed", note: noteOf.get(r.id) });
        }
      }
      if (older.length) {
        const rs = await tx.$queryRaw<{ id: string }[]>`
        UPDATE "WebhookReceipt" SET status = 'ignored', "processedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3), error = 'older than last observation'
        WHERE id = ANY(${older}) AND status = 'received'
        RETURNING id`;
        for (const r of rs) settled.set(r.id, { status: "ignored", note: "older than last observation" });
      }
      // A listing's row may be held by a correction or push whose store call is in flight (a batch of 100 takes seconds).
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
  return settled;
}
