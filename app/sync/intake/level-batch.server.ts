/**
 * Batch pass of the `webhook` queue for Shopify `inventory_levels/update` deliveries that CHANGE a level (issue 11,
 * session 9; docs/decisions/313), after the stale/echo pre-pass (stale-receipts.server.ts, decision 070).
 *
 * Under real traffic every line of every Shopify order is one level webhook. processReceipt handled each on its own —
 * the receipt, its shop's channel, the item's level, a transaction with the locking read, the level update and the
 * ledger row, one push request (UPDATE + job insert) per store, the receipt's status: ≈ 14 statements per webhook.
 * Here a whole batch costs about eight: read the receipts with their item and level, then one transaction that locks
 * the levels (in primary-key order, as `recordOwnLevels` does), moves them, writes their ledger rows and settles the
 * receipts; then one push request per store for all the batch's items.
 *
 * The outcome is exactly processReceipt's (applyLevelWebhook), decided under the levels' row locks:
 * - older than the level's observation → "ignored", note "stale";
 * - the quantity the level already holds → "ignored", note "echo" (its observation time moves forward);
 * - otherwise → the level moves, one ledger row (cause `webhook`, key `shopify-level:<dedupe key>`, on the Shopify
 *   channel, before/after/delta), "processed", note "applied"; the stores fed by the location get a push request.
 * Left to processReceipt, one by one and in order after this pass: every receipt whose order is AMBIGUOUS (B7: the
 * level holds a different value observed within the webhook's whole second and no sub-second Triggered-At orders
 * them — processReceipt reads the level from Shopify), a level the hub has no row for yet, an item that is not exactly
 * one catalog item, any payload that does not parse with a tracked quantity, and a second delivery of a level already
 * in this batch (so two deliveries of one level are still judged one after the other).
 */
import prisma from "../../db.server";
import { parseRecordDelivery } from "../../channels/registry.server";
import { appendLedgerMany } from "../stock/ledger.server";
import { requestPush, storesOf } from "../stock/push.server";
import { requestRebalance, usesAllocations } from "../allocation/allocation.server";
import { webhookObservedAt } from "./levels.server";
import type { ReceiptOutcome } from "./process-receipt.server";

type ReceiptRow = {
  id: string;
  shopId: string;
  dedupeKey: string;
  body: unknown;
  triggeredAt: string | null;
  shopifyChannelId: string;
};

/** One delivery of the batch that may change a level. */
interface Candidate {
  receiptId: string;
  shopId: string;
  shopifyChannelId: string;
  dedupeKey: string;
  itemGid: string;
  locationGid: string;
  /** The payload's `updated_at`, as sent (whole-second or not). */
  updatedAtRaw: string;
  observedAt: Date;
  available: number;
  itemId?: string;
}

/** The settled outcome of a receipt plus, for applied ones, the shop whose stock changed (the worker signals it). */
export type LevelBatchOutcome = ReceiptOutcome & { shopId: string };

/**
 * Applies the level-changing `inventory_levels/update` receipts among `receiptIds` as one batch (see the module docs).
 * @returns the outcome of each receipt it settled (by receipt id); the others are left untouched for processReceipt
 * @throws on database errors (the caller then processes every receipt the normal way; nothing was settled)
 */
export async function applyLevelReceipts(receiptIds: string[]): Promise<Map<string, LevelBatchOutcome>> {
  const settled = new Map<string, LevelBatchOutcome>();
  if (!receiptIds.length) return settled;
  // By primary key first (MATERIALIZED: the planner cannot fold it into the filters; stale-receipts.server.ts).
  const rows = await prisma.$queryRaw<ReceiptRow[]>`
    WITH r AS MATERIALIZED (SELECT id, "shopId", "dedupeKey", body, headers, status, source, topic FROM "WebhookReceipt" WHERE id = ANY(${receiptIds}))
    SELECT r.id, r."shopId", r."dedupeKey", r.body, r.headers->>'x-shopify-triggered-at' AS "triggeredAt",
           (SELECT c.id FROM "Channel" c WHERE c."shopId" = r."shopId" AND c.kind = 'shopify' ORDER BY c.id LIMIT 1) AS "shopifyChannelId"
    FROM r
    WHERE r.status = 'received' AND r.source = 'shopify' AND r.topic = 'inventory_levels/update'
      AND r."shopId" IS NOT NULL AND r.body IS NOT NULL`;
  const order = new Map(receiptIds.map((id, i) => [id, i]));
  rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!); // the jobs' order: the first delivery of a level goes here
  const candidates: Candidate[] = [];
  for (const r of rows) {
    if (!r.shopifyChannelId) continue;
    try {
      const [e] = parseRecordDelivery({ topic: "inventory_levels/update", body: r.body });
      if (e?.type !== "level.changed" || e.level.available == null) continue;
      const observedAt = webhookObservedAt(e.level.updatedAt, r.triggeredAt);
      if (Number.isNaN(observedAt.getTime())) continue;
      candidates.push({
        receiptId: r.id,
        shopId: r.shopId,
        shopifyChannelId: r.shopifyChannelId,
        dedupeKey: r.dedupeKey,
        itemGid: e.level.inventoryItemId,
        locationGid: e.level.locationId,
        updatedAtRaw: e.level.updatedAt,
        observedAt,
        available: e.level.available,
      });
    } catch {
      /* malformed: processReceipt records the error */
    }
  }
  if (!candidates.length) return settled;
  const items = await prisma.$queryRaw<{ shopId: string; inventoryItemId: string; id: string }[]>`
    SELECT "shopId", "inventoryItemId", id FROM "CatalogItem"
    WHERE "shopId" = ANY(${[...new Set(candidates.map((c) => c.shopId))]})
      AND "inventoryItemId" = ANY(${[...new Set(candidates.map((c) => c.itemGid))]})`;
  const itemsOf = new Map<string, string[]>();
  for (const i of items) {
    const k = `${i.shopId}|${i.inventoryItemId}`;
    itemsOf.set(k, [...(itemsOf.get(k) ?? []), i.id]);
  }
  const seen = new Set<string>(); // one delivery per level per batch: a second one goes the normal way, in order
  const batch: Candidate[] = [];
  for (const c of candidates) {
    const ids = itemsOf.get(`${c.shopId}|${c.itemGid}`);
    if (ids?.length !== 1) continue;
    const key = `${ids[0]}|${c.locationGid}`;
    if (seen.has(key)) continue;
    seen.add(key);
    batch.push({ ...c, itemId: ids[0]! });
  }
  if (!batch.length) return settled;
  const applied = await prisma.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<{ itemId: string; locationGid: string; available: number; observedAt: Date }[]>`
        SELECT il."itemId", il."locationGid", il.available, il."observedAt" FROM "InventoryLevel" il
        JOIN unnest(${batch.map((c) => c.itemId!)}::text[], ${batch.map((c) => c.locationGid)}::text[]) AS u(item, loc)
          ON il."itemId" = u.item AND il."locationGid" = u.loc
        ORDER BY il.id FOR UPDATE OF il`;
      const levelOf = new Map(locked.map((l) => [`${l.itemId}|${l.locationGid}`, l]));
      const stale: Candidate[] = [];
      const moves: { c: Candidate; before: number; echo: boolean; observedAt: Date }[] = [];
      for (const c of batch) {
        const level = levelOf.get(`${c.itemId}|${c.locationGid}`);
        if (!level) continue; // no level row yet: processReceipt creates it
        if (level.observedAt > c.observedAt) {
          stale.push(c);
          continue;
        }
        const echo = level.available === c.available;
        if (!echo && ambiguous(c, level)) continue; // B7: processReceipt reads the level from Shopify
        moves.push({ c, before: level.available, echo, observedAt: c.observedAt });
      }
      if (moves.length)
        await tx.$executeRaw`
          UPDATE "InventoryLevel" il SET available = u.available, "observedAt" = GREATEST(il."observedAt", u.at), "updatedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3)
          FROM unnest(${moves.map((m) => m.c.itemId!)}::text[], ${moves.map((m) => m.c.locationGid)}::text[], ${moves.map((m) => m.c.available)}::int[], ${moves.map((m) => m.observedAt.toISOString())}::timestamp(3)[])
               AS u(item, loc, available, at)
          WHERE il."itemId" = u.item AND il."locationGid" = u.loc`;
      const changes = moves.filter((m) => !m.echo);
      await appendLedgerMany(
        tx,
        changes.map((m) => ({
          shopId: m.c.shopId,
          itemId: m.c.itemId!,
          channelId: m.c.shopifyChannelId,
          locationGid: m.c.locationGid,
          cause: "webhook" as const,
          delta: m.c.available - m.before,
          before: m.before,
          after: m.c.available,
          idempotencyKey: `shopify-level:${m.c.dedupeKey}`,
          note: "inventory_levels/update from Shopify",
        })),
      );
      const outcomes = [
        ...stale.map((c) => ({ c, status: "ignored" as const, note: "stale" })),
        ...moves.map((m) => ({
          c: m.c,
          status: m.echo ? ("ignored" as const) : ("processed" as const),
          note: m.echo ? "echo" : "applied",
        })),
      ];
      if (outcomes.length) {
        const done = await tx.$queryRaw<{ id: string }[]>`
          UPDATE "WebhookReceipt" w SET status = u.status, "processedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3), error = u.note
          FROM unnest(${outcomes.map((o) => o.c.receiptId)}::text[], ${outcomes.map((o) => o.status)}::text[], ${outcomes.map((o) => o.note)}::text[]) AS u(id, status, note)
          WHERE w.id = u.id AND w.status = 'received'
          RETURNING w.id`;
        // A receipt settled meanwhile by another worker (status no longer 'received') must not move its level twice:
        // roll the whole batch back and let processReceipt answer each one.
        if (done.length !== outcomes.length) throw new BatchRaced();
        for (const o of outcomes) settled.set(o.c.receiptId, { status: o.status, note: o.note, shopId: o.c.shopId });
      }
      return changes.map((m) => m.c);
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
  await requestLevelPushes(applied);
  return settled;
}

/** Thrown inside the batch's transaction to roll it back when another worker settled one of its receipts first. */
class BatchRaced extends Error {
  constructor() {
    super("a receipt of the level batch was settled by another worker meanwhile");
  }
}

/**
 * Whether the order of `c` against the level the hub holds is ambiguous (applyLevelWebhook, issue 11 B7): a
 * whole-second `updated_at` not placed inside its second by a sub-second Triggered-At, and a level observed within
 * that second holding a different value.
 */
function ambiguous(c: Candidate, level: { available: number; observedAt: Date }): boolean {
  if (!/T\d{2}:\d{2}:\d{2}(?:[Z+-]|$)/.test(c.updatedAtRaw)) return false;
  const second = new Date(c.updatedAtRaw);
  if (Number.isNaN(second.getTime())) return false;
  const placed = c.observedAt.getTime() !== second.getTime() + 999;
  return !placed && level.available !== c.available && level.observedAt.getTime() >= second.getTime();
}

/**
 * The pushes of the applied levels: per shop, every connected store fed by the level's location gets one request for
 * all its items (one UPDATE and at most one job insert per store); the allocation stores share one rebalance request.
 */
async function requestLevelPushes(applied: Candidate[]): Promise<void> {
  const byShop = new Map<string, Candidate[]>();
  for (const c of applied) byShop.set(c.shopId, [...(byShop.get(c.shopId) ?? []), c]);
  for (const [shopId, list] of byShop) {
    const rebalance = new Set<string>();
    for (const store of await storesOf(shopId)) {
      const fed = (loc: string) =>
        store.feedLocationIds.length ? store.feedLocationIds.includes(loc) : store.salesLocationId === loc;
      const itemIds = [...new Set(list.filter((c) => fed(c.locationGid)).map((c) => c.itemId!))];
      if (!itemIds.length) continue;
      if (usesAllocations(store)) for (const id of itemIds) rebalance.add(id);
      else await requestPush(shopId, store.id, itemIds);
    }
    if (rebalance.size) await requestRebalance(shopId, [...rebalance]);
  }
}
