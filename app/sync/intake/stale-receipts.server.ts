/**
 * Batch pre-pass of the `webhook` queue (docs/decisions/070-webhook-intake-group-commit.md): settles, in
 * a few statements for a whole batch of jobs, the receipts that are certainly no-ops — Shopify
 * `inventory_levels/update` deliveries older than the level the hub already holds (late, retried or
 * replayed deliveries; GUIDE §2 rule 4), and (issue 11) deliveries of the quantity the level already holds (the echo
 * of SyncFlow's own write) — with exactly the outcome `processReceipt` gives them (status "ignored", note "stale" or
 * "echo"). Every other receipt is left to `processReceipt`, one by one.
 *
 * Why it is safe without locks: a level's `observedAt` only moves forward (`recordLevel` keeps the newest),
 * so an update older than the stored observation stays stale whatever happens concurrently. A receipt is
 * settled here only when processReceipt would reach the same answer by the same checks, in the same order:
 * status "received", source shopify, shop installed, the shop has its Shopify channel, the payload parses
 * with a tracked quantity, exactly one catalog item has that inventory item, and its level at that location
 * was observed after the delivery's observation time (`webhookObservedAt` of `updated_at` and the stored
 * X-Shopify-Triggered-At header). The update is guarded by `status = 'received'`.
 */
import prisma from "../../db.server";
import { parseRecordDelivery } from "../../channels/registry.server";
import type { ReceiptOutcome } from "./process-receipt.server";
import { webhookObservedAt } from "./levels.server";

/**
 * Settles the stale `inventory_levels/update` receipts among `receiptIds`.
 * @returns the outcome of each receipt it settled (by receipt id); the others are not touched.
 * @throws on database errors (the caller then processes every receipt the normal way).
 */
export async function settleStaleLevelReceipts(receiptIds: string[]): Promise<Map<string, ReceiptOutcome>> {
  const settled = new Map<string, ReceiptOutcome>();
  if (!receiptIds.length) return settled;
  // Fetched by primary key first (a MATERIALIZED CTE the planner cannot fold into the filters): with stale
  // statistics — a receipts table that grew by thousands of rows since its last ANALYZE — PostgreSQL chose to
  // AND the status and shop indexes instead, reading every waiting receipt (2 ms per batch of 10 under the
  // ingest benchmark, about 0.1 ms by key).
  const rows = await prisma.$queryRaw<{ id: string; shopId: string; body: unknown; triggeredAt: string | null }[]>`
    WITH r AS MATERIALIZED (SELECT id, "shopId", body, headers, status, source, topic FROM "WebhookReceipt" WHERE id = ANY(${receiptIds}))
    SELECT r.id, r."shopId", r.body, r.headers->>'x-shopify-triggered-at' AS "triggeredAt" FROM r
    WHERE r.status = 'received' AND r.source = 'shopify' AND r.topic = 'inventory_levels/update'
      AND r."shopId" IS NOT NULL
      AND EXISTS (SELECT 1 FROM "Channel" c WHERE c."shopId" = r."shopId" AND c.kind = 'shopify')`;
  const candidates: {
    id: string;
    shopId: string;
    itemGid: string;
    locationGid: string;
    updatedAt: Date;
    available: number;
  }[] = [];
  for (const r of rows) {
    try {
      const [e] = parseRecordDelivery({ topic: "inventory_levels/update", body: r.body });
      if (e?.type !== "level.changed") continue;
      const u = e.level;
      const updatedAt = webhookObservedAt(u.updatedAt, r.triggeredAt);
      if (u.available == null || Number.isNaN(updatedAt.getTime())) continue;
      candidates.push({
        id: r.id,
        shopId: r.shopId,
        itemGid: u.inventoryItemId,
        locationGid: u.locationId,
        updatedAt,
        available: u.available,
      });
    } catch {
      /* malformed: processReceipt records the error */
    }
  }
  if (!candidates.length) return settled;
  const levels = await prisma.$queryRaw<
    {
      shopId: string;
      inventoryItemId: string;
      itemId: string;
      locationGid: string | null;
      observedAt: Date | null;
      available: number | null;
    }[]
  >`
    SELECT ci."shopId", ci."inventoryItemId", ci.id AS "itemId", il."locationGid", il."observedAt", il.available
    FROM "CatalogItem" ci
    LEFT JOIN "InventoryLevel" il ON il."itemId" = ci.id AND il."locationGid" = ANY(${[...new Set(candidates.map((c) => c.locationGid))]})
    WHERE ci."shopId" = ANY(${[...new Set(candidates.map((c) => c.shopId))]})
      AND ci."inventoryItemId" = ANY(${[...new Set(candidates.map((c) => c.itemGid))]})`;
  const items = new Map<string, Set<string>>(); // shop|inventory item → catalog item ids
  const observed = new Map<string, { at: Date; available: number }>(); // item id|location → observation
  for (const l of levels) {
    const key = `${l.shopId}|${l.inventoryItemId}`;
    if (!items.has(key)) items.set(key, new Set());
    items.get(key)!.add(l.itemId);
    if (l.locationGid && l.observedAt && l.available != null)
      observed.set(`${l.itemId}|${l.locationGid}`, { at: l.observedAt, available: l.available });
  }
  const stale: string[] = [];
  // Echoes (issue 11, docs/decisions/106): the level already holds the delivered quantity — the webhook of SyncFlow's
  // own write, or a repeat. processReceipt answers "echo" after moving the level's observation time forward; so does
  // this, in one statement (observedAt only ever moves forward, so doing it outside recordLevel's row lock is safe).
  const echoes: { id: string; itemId: string; locationGid: string; at: Date }[] = [];
  for (const c of candidates) {
    const ids = items.get(`${c.shopId}|${c.itemGid}`);
    if (!ids || ids.size !== 1) continue;
    const itemId = [...ids][0]!;
    const o = observed.get(`${itemId}|${c.locationGid}`);
    if (o && o.at > c.updatedAt) stale.push(c.id);
    else if (
      o &&
      o.available === c.available &&
      !echoes.some((e) => e.itemId === itemId && e.locationGid === c.locationGid)
    )
      echoes.push({ id: c.id, itemId, locationGid: c.locationGid, at: c.updatedAt });
  }
  if (stale.length) {
    const done = await prisma.$queryRaw<{ id: string }[]>`
      UPDATE "WebhookReceipt" SET status = 'ignored', "processedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3), error = 'stale'
      WHERE id IN (SELECT id FROM "WebhookReceipt" WHERE id = ANY(${stale}) FOR UPDATE) AND status = 'received'
      RETURNING id`;
    for (const d of done) settled.set(d.id, { status: "ignored", note: "stale" });
  }
  if (echoes.length) {
    const done = await prisma.$transaction(async (tx) => {
      // Only while the level still holds that quantity: a change that landed since the read goes the normal way.
      const moved = await tx.$queryRaw<{ itemId: string; locationGid: string }[]>`
        UPDATE "InventoryLevel" il SET "observedAt" = GREATEST(il."observedAt", u.at), "updatedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3)
        FROM unnest(${echoes.map((e) => e.itemId)}::text[], ${echoes.map((e) => e.locationGid)}::text[], ${echoes.map((e) => e.at.toISOString())}::timestamp(3)[], ${echoes.map((e) => candidates.find((c) => c.id === e.id)!.available)}::int[])
             AS u(item, loc, at, available)
        WHERE il."itemId" = u.item AND il."locationGid" = u.loc AND il.available = u.available
        RETURNING il."itemId", il."locationGid"`;
      const ok = echoes
        .filter((e) => moved.some((m) => m.itemId === e.itemId && m.locationGid === e.locationGid))
        .map((e) => e.id);
      if (!ok.length) return [] as { id: string }[];
      return tx.$queryRaw<{ id: string }[]>`
        UPDATE "WebhookReceipt" SET status = 'ignored', "processedAt" = (now() AT TIME ZONE 'UTC')::timestamp(3), error = 'echo'
        WHERE id = ANY(${ok}) AND status = 'received'
        RETURNING id`;
    });
    for (const d of done) settled.set(d.id, { status: "ignored", note: "echo" });
  }
  return settled;
}
