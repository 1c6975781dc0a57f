/**
 * Store sales of allocation stores applied to Shopify's `safety_stock` (docs/decisions/008, 090): a sale on an
 * allocation store takes units the hub already holds in safety_stock, so it lowers safety_stock (not `available`).
 * `flushAllocationAdjustments` applies an item's pending sales under its allocation lock, in batches of at most 100
 * per store and location, one compare-and-set write each with a key that is a pure function of its members
 * (`batchWrite`), so a resent batch is replayed by Shopify, never applied twice.
 */
import prisma from "../../db.server";
import { ChannelError } from "../../channels/channel";
import { appendLedger } from "../stock/ledger.server";
import { recordForShop } from "../stores/stores.server";
import { allocationDocument, MAX_ROUNDS, SAFETY_STOCK } from "./allocation-terms";
import { maybeCrash } from "./allocation-faults";
import { Prisma } from "@prisma/client";

/** Result of applying an item's pending store sales: per applied adjustment, safety_stock before/after it (units). */
export interface FlushOutcome {
  itemId: string;
  applied: Map<string, { before: number; after: number }>;
  /** Shopify writes sent (one per batch attempt) and CHANGE_FROM_QUANTITY_STALE answers among them. */
  writes: number;
  stale: number;
  /** Groups (`groupOf`) whose Shopify write failed in this call, with the error (their sales stay pending). */
  failed: Map<string, unknown>;
}

/** Most store sales applied in one Shopify write (keeps the commit transaction and the ledger batch small). */
const MAX_BATCH = 100;

type PendingAdj = Prisma.ShopifyAdjustmentGetPayload<object>;

/**
 * The Shopify write of a batch of store sales, a pure function of its members (sorted by id), so that a resent
 * batch is byte-identical and Shopify's `@idempotent` replays it instead of applying it twice.
 * Key: the first member's adjustment key and key attempt (`<key>:<attempt>`, exactly the per-sale key of 007 for a
 * batch of one), plus `+<n − 1>` for a batch of n > 1. A member's key attempt only grows, and a batch's members
 * only change by being applied or dissolved (every member's attempt + 1), so no key is ever reused for another batch.
 */
export function batchWrite(members: Pick<PendingAdj, "id" | "idempotencyKey" | "keyAttempt" | "delta" | "reason">[]): {
  key: string;
  delta: number;
  reason: string;
  referenceDocumentUri: string;
} {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lead = sorted[0]!;
  const reasons = new Set(sorted.map((m) => m.reason));
  return {
    key: `${lead.idempotencyKey}:${lead.keyAttempt}${sorted.length > 1 ? `+${sorted.length - 1}` : ""}`,
    delta: sorted.reduce((n, m) => n + m.delta, 0),
    reason: reasons.size === 1 ? lead.reason : "correction",
    referenceDocumentUri: `gid://syncflow/Adjustment/${lead.id}`,
  };
}

/**
 * Applies every pending store sale (and restock) of an allocation store for `itemId` to Shopify's `safety_stock`
 * (docs/decisions/090): per (store, sales location) ONE `inventoryAdjustQuantities` change of the summed delta,
 * compare-and-set on safety_stock (`changeFromQuantity`, API 2026-10 `InventoryChangeInput`), `@idempotent(key:)`
 * from `batchWrite`, ledger document `gid://syncflow/Allocation/<channel>` (Shopify allows one ledger document per
 * call for named quantities, hence one call per store). Must run under the item lock (`withItemLock`): rebalance
 * moves are the only other writers of safety_stock, so the compare-and-set loses only to writers outside SyncFlow.
 *
 * Exactly once per order line, even across a crash between the Shopify write and our commit: the batch's members
 * are claimed (each gets `inFlightChangeFrom` = the safety_stock read) before the write; a later run finds them
 * claimed and resends the same write (same key, delta and changeFromQuantity), which Shopify replays; the commit
 * marks each member applied exactly once, appends ONE ledger row per sale (before/after in member order, key
 * `<adjustment key>:applied`) and moves the store's `allocatedQuantity` by the batch delta, in one transaction.
 * CHANGE_FROM_QUANTITY_STALE → the batch is dissolved (every member's key attempt + 1), re-read, retried (bounded).
 * Any other failure of a store's write is recorded in `failed` (unknown outcome: the claim stays and the same write
 * is resent next time; definitive refusal: the batch is dissolved) and the other stores' sales still go on.
 * @throws ChannelError STALE after MAX_ROUNDS lost compare-and-sets; database errors
 */
export async function flushAllocationAdjustments(shopId: string, itemId: string): Promise<FlushOutcome> {
  const out: FlushOutcome = { itemId, applied: new Map(), writes: 0, stale: 0, failed: new Map() };
  const where = { shopId, itemId, status: "pending", quantityName: SAFETY_STOCK };
  if ((await prisma.shopifyAdjustment.count({ where })) === 0) return out;
  const item = await prisma.catalogItem.findFirst({ where: { id: itemId, shopId } });
  if (!item?.inventoryItemId)
    throw new ChannelError("BAD_REQUEST", `item ${item?.sku ?? itemId} has no Shopify inventory item`, {
      retryable: false,
    });
  const { adapter: shopify, shop } = await recordForShop(shopId);
  const scId =
    (await prisma.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } }))?.id ?? null;
  // Bounded: MAX_ROUNDS lost compare-and-sets, and 50 batches per call (sales still arriving are left to their jobs).
  for (let round = 0; out.stale < MAX_ROUNDS && round < 50; round++) {
    // Groups whose write failed in this call are left for the next one (their jobs retry); the others go on.
    const pending = (await prisma.shopifyAdjustment.findMany({ where, orderBy: { id: "asc" } })).filter(
      (a) => !out.failed.has(groupOf(a)),
    );
    if (!pending.length) break;
    // One batch per (store, location): a claimed batch (in flight) first, exactly as claimed.
    const first = pending.find((a) => a.inFlightChangeFrom != null) ?? pending[0]!;
    const group = pending.filter(
      (a) => a.sourceChannelId === first.sourceChannelId && a.locationGid === first.locationGid,
    );
    const claimed = group.filter(
      (a) => a.inFlightChangeFrom != null && a.inFlightChangeFrom === first.inFlightChangeFrom,
    );
    let members: PendingAdj[];
    let cfq: number;
    if (claimed.length) {
      members = claimed;
      cfq = first.inFlightChangeFrom!;
    } else {
      members = group.slice(0, MAX_BATCH);
      try {
        cfq =
          (await shopify.readQuantities([item.inventoryItemId], [first.locationGid], [SAFETY_STOCK]))
            .get(item.inventoryItemId)
            ?.get(first.locationGid)?.[SAFETY_STOCK] ?? 0;
      } catch (err) {
        out.failed.set(groupOf(first), err); // nothing claimed: the next call starts afresh
        continue;
      }
      const ok = await prisma
        .$transaction(async (tx) => {
          const { count } = await tx.shopifyAdjustment.updateMany({
            where: { id: { in: members.map((m) => m.id) }, status: "pending", inFlightChangeFrom: null },
            data: { inFlightChangeFrom: cfq },
          });
          if (count !== members.length) throw new ClaimLost();
          return true;
        })
        .catch((err) => {
          if (err instanceof ClaimLost) return false;
          throw err;
        });
      if (!ok) continue; // changed under us (only possible with a writer outside the lock): re-read
      members = members.map((m) => ({ ...m, inFlightChangeFrom: cfq }));
    }
    const write = batchWrite(members);
    const ids = members.map((m) => m.id);
    const sourceChannelId = first.sourceChannelId;
    let before = cfq;
    try {
      if (write.delta !== 0) {
        out.writes++;
        const [res] = await shopify.adjustQuantities(
          SAFETY_STOCK,
          [
            {
              inventoryItemId: item.inventoryItemId,
              locationId: first.locationGid,
              delta: write.delta,
              changeFromQuantity: cfq,
              ledgerDocumentUri: allocationDocument(sourceChannelId ?? "unknown"),
            },
          ],
          { idempotencyKey: write.key, reason: write.reason, referenceDocumentUri: write.referenceDocumentUri },
        );
        before = res?.before ?? cfq;
      }
      maybeCrash("flush:shopify");
    } catch (err) {
      const msg = String((err as Error).message ?? err);
      if (err instanceof ChannelError && (err.code === "STALE" || !err.retryable)) {
        // Definitive: nothing applied under this key. Dissolve the batch: every member gets a new key attempt.
        await prisma.shopifyAdjustment.updateMany({
          where: { id: { in: ids }, status: "pending" },
          data: { keyAttempt: { increment: 1 }, inFlightChangeFrom: null, attempts: { increment: 1 }, lastError: msg },
        });
        if (err.code === "STALE") {
          out.stale++;
          continue;
        }
      } else {
        // Unknown outcome (timeout, 5xx, throttled): keep the claim, so the same write is resent.
        await prisma.shopifyAdjustment.updateMany({
          where: { id: { in: ids }, status: "pending" },
          data: { attempts: { increment: 1 }, lastError: msg },
        });
      }
      out.failed.set(groupOf(first), err);
      continue;
    }
    await prisma.$transaction(async (tx) => {
      const still = await tx.shopifyAdjustment.findMany({
        where: { id: { in: ids }, status: "pending" },
        orderBy: { id: "asc" },
        select: { id: true },
      });
      if (!still.length) return;
      await tx.shopifyAdjustment.updateMany({
        where: { id: { in: still.map((r) => r.id) }, status: "pending" },
        data: {
          status: "applied",
          appliedAt: new Date(),
          inFlightChangeFrom: null,
          attempts: { increment: 1 },
          lastError: null,
        },
      });
      let q = before;
      const applied = new Set(still.map((r) => r.id));
      let moved = 0;
      for (const m of [...members].sort((a, b) => (a.id < b.id ? -1 : 1))) {
        if (!applied.has(m.id)) {
          q += m.delta;
          continue;
        }
        await appendLedger(tx, {
          shopId,
          itemId,
          channelId: scId,
          locationGid: m.locationGid,
          cause: m.delta < 0 ? "order" : "cancel",
          delta: m.delta,
          before: q,
          after: q + m.delta,
          idempotencyKey: `${m.idempotencyKey}:applied`,
          orderId: m.orderId,
          note: `applied to Shopify (${shop.domain}) safety_stock (the store's allocation) with key ${write.key}${members.length > 1 ? ` (one write for ${members.length} store sales)` : ""}`,
        });
        out.applied.set(m.id, { before: q, after: q + m.delta });
        q += m.delta;
        moved += m.delta;
      }
      // The store sold (or restocked) from its allocation: the hub's allocation follows Shopify's safety_stock.
      if (sourceChannelId && moved) {
        await tx.listing.updateMany({
          where: { shopId, channelId: sourceChannelId, itemId, allocatedQuantity: { not: null } },
          data: { allocatedQuantity: { increment: moved } },
        });
      }
    });
  }
  if (out.stale >= MAX_ROUNDS)
    throw new ChannelError(
      "STALE",
      `store sales of item ${itemId}: Shopify's safety_stock kept changing (${out.stale} stale rounds)`,
      { retryable: true },
    );
  return out;
}

/** The batch group of a store sale: its store and Shopify location. */
export const groupOf = (a: Pick<PendingAdj, "sourceChannelId" | "locationGid">): string =>
  `${a.sourceChannelId ?? ""}|${a.locationGid}`;

class ClaimLost extends Error {}

/** Logs the groups whose Shopify write failed (their sales stay pending; the next flush retries them). */
export function logFailed(out: FlushOutcome): void {
  for (const [group, err] of out.failed)
    console.error(
      `[allocation] store sales of ${out.itemId} (${group}) not applied yet: ${(err as Error)?.message ?? err}`,
    );
}
