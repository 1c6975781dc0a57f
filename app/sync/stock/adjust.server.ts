/**
 * Applying sales (and restocks) taken on linked stores to Shopify, the record (GUIDE §2 rules 2–3).
 *
 * Each ShopifyAdjustment is one `inventoryAdjustQuantities` change of `available` at the store's sales
 * location, sent with `changeFromQuantity` (compare-and-set, mandatory from API 2026-04) and
 * `@idempotent(key: "<adjustment key>:<keyAttempt>")`:
 * - success → the adjustment is `applied`, a ledger row records before/after, the cached level moves (observed
 *   at the time the write was sent, so Shopify's echoes of earlier writes stay stale), and every linked store of
 *   the item gets a push;
 * - CHANGE_FROM_QUANTITY_STALE (someone else changed the level) → a new key attempt: re-read, recompute,
 *   retry, at most `MAX_STALE_ROUNDS` times per job run (the job layer then retries, then dead-letters);
 * - unknown outcome (timeout, 5xx, throttled) → the same key and the same changeFromQuantity are resent,
 *   so Shopify replays the first result instead of applying twice.
 * Allocation stores (docs/decisions/008, 090): an adjustment with `quantityName` "safety_stock" moves the store's
 * allocation instead (ledger document `gid://syncflow/Allocation/<channel>`), Shopify's available is untouched,
 * and the listing's `allocatedQuantity` follows in the same transaction. Those are applied in batches under the
 * item's allocation lock (`flushAllocationAdjustments` in allocation.server.ts): one compare-and-set write per store
 * for all its pending sales of the item, still applied exactly once per order line and one ledger row per sale.
 * Source of the rules: shopify.dev/docs/api/admin-graphql/latest/mutations/inventoryAdjustQuantities and
 * the 2026-10 introspection (`changeFromQuantity`, `@idempotent`).
 */
import prisma from "../../db.server";
import { ChannelError } from "../../channels/channel";
import { appendLedger } from "./ledger.server";
import { recordForShop } from "../stores/stores.server";
import { recordLevel } from "../intake/levels.server";
import { allocationDocument, SAFETY_STOCK } from "../allocation/allocation.server";

const MAX_STALE_ROUNDS = 5;

export interface AdjustOutcome {
  status: "applied" | "already_applied" | "missing";
  before?: number;
  after?: number;
  /** WooCommerce channels that should receive a push of this item. */
  itemId?: string;
}

/** How long an allocation-store sale waits for its item's lock (held by a rebalance or another batch), ms. */
const LOCK_WAIT_MS = 20_000;

/**
 * Applies one pending adjustment of `shopId`.
 * - `available` (buffered / pre-allocation stores): on its own, as described above.
 * - `safety_stock` (allocation stores, docs/decisions/090): under the item's allocation lock, together with every
 *   other pending sale of the item (`flushAllocationAdjustments`: one compare-and-set write per store), so sales and
 *   rebalance moves never race for safety_stock. Waits for the drainer up to LOCK_WAIT_MS (looking after 0.5, 1, 2, 4 … s);
 *   returns "already_applied" when another job or a rebalance applied this sale meanwhile.
 * @throws ChannelError on failures the job layer retries (THROTTLED when the lock stayed busy)
 */
export async function applyAdjustment(shopId: string, adjustmentId: string): Promise<AdjustOutcome> {
  const head = await prisma.shopifyAdjustment.findFirst({
    where: { id: adjustmentId, shopId },
    select: { status: true, itemId: true, quantityName: true },
  });
  if (!head) return { status: "missing" };
  if (head.status !== "pending") return { status: "already_applied", itemId: head.itemId };
  if (head.quantityName === SAFETY_STOCK) return applyAllocationSale(shopId, adjustmentId, head.itemId);
  return applyAvailableSale(shopId, adjustmentId, head.itemId);
}

/**
 * An `available` sale (docs/decisions/102): applied with every other pending `available` sale of the shop, ≤ 250
 * changes per Shopify call, by whoever holds the shop's flush lock; waits for the lock up to LOCK_WAIT_MS (polling
 * 50 → 400 ms) and answers "already_applied" when another job's flush applied it.
 */
async function applyAvailableSale(shopId: string, adjustmentId: string, itemId: string): Promise<AdjustOutcome> {
  const { flushAvailableSales } = await import("./adjust-batch.server");
  const deadline = Date.now() + LOCK_WAIT_MS;
  let pause = 50;
  for (;;) {
    const adj = await prisma.shopifyAdjustment.findFirst({
      where: { id: adjustmentId, shopId },
      select: { status: true },
    });
    if (!adj) return { status: "missing" };
    if (adj.status !== "pending") return { status: "already_applied", itemId };
    const res = await flushAvailableSales(shopId);
    if (res) {
      const mine = res.applied.get(adjustmentId);
      if (mine) return { status: "applied", before: mine.before, after: mine.after, itemId };
      const failure = res.failed.get(adjustmentId);
      if (failure) throw failure;
      const row = await prisma.shopifyAdjustment.findFirst({
        where: { id: adjustmentId, shopId },
        select: { status: true },
      });
      if (row && row.status !== "pending") return { status: "already_applied", itemId };
    } else {
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(400, pause * 2);
    }
    if (Date.now() > deadline)
      throw new ChannelError(
        "THROTTLED",
        `adjustment ${adjustmentId}: the shop's store sales stayed busy for ${LOCK_WAIT_MS} ms`,
        { retryable: true },
      );
  }
}

/** An allocation sale's first look at its row, and the longest pause between looks, ms (decision 246). */
const ALLOCATION_FIRST_LOOK_MS = 500;
const ALLOCATION_LOOK_MAX_MS = 4000;

/**
 * A `safety_stock` sale (allocation stores): applied by the shop's rebalance drainer with every other pending sale of
 * the store, one call per store (allocation-batch.server.ts, docs/decisions/104). Requests the item's rebalance and
 * waits (≤ LOCK_WAIT_MS) until the drainer applied it, looking at the sale's row after 500 ms, then 1, 2, 4, 4 … s
 * (decision 246: was every 50 → 400 ms, ≈ 2.6 reads per sale in the stream bench). The job stays the retrier of a
 * sale whose drain failed outside a job: it throws THROTTLED after LOCK_WAIT_MS and pg-boss runs it again.
 */
async function applyAllocationSale(shopId: string, adjustmentId: string, itemId: string): Promise<AdjustOutcome> {
  const { requestRebalance } = await import("../allocation/allocation-batch.server");
  await requestRebalance(shopId, [itemId]);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let pause = ALLOCATION_FIRST_LOOK_MS;
  for (;;) {
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(ALLOCATION_LOOK_MAX_MS, pause * 2);
    const adj = await prisma.shopifyAdjustment.findFirst({
      where: { id: adjustmentId, shopId },
      select: { status: true, lastError: true },
    });
    if (!adj) return { status: "missing" };
    if (adj.status !== "pending") return { status: "already_applied", itemId };
    if (Date.now() > deadline)
      throw new ChannelError(
        "THROTTLED",
        `adjustment ${adjustmentId}: not applied by the rebalance drainer within ${LOCK_WAIT_MS} ms${adj.lastError ? ` (${adj.lastError})` : ""}`,
        { retryable: true },
      );
  }
}

/**
 * One `available` sale on its own (decision 007's path), with its own key `<key>:<keyAttempt>`: kept for sales claimed
 * by it before calls were batched (resent with their stored compare-and-set value) and for callers outside the flush.
 */
export async function applyOne(shopId: string, adjustmentId: string): Promise<AdjustOutcome> {
  const { shop, adapter } = await recordForShop(shopId);
  for (let round = 0; round < MAX_STALE_ROUNDS; round++) {
    const adj = await prisma.shopifyAdjustment.findFirst({
      where: { id: adjustmentId, shopId },
      include: { item: true },
    });
    if (!adj) return { status: "missing" };
    if (adj.status !== "pending") return { status: "already_applied", itemId: adj.itemId };
    if (!adj.item.inventoryItemId)
      throw new ChannelError("BAD_REQUEST", `item ${adj.item.sku} has no Shopify inventory item`, { retryable: false });

    const named = adj.quantityName !== "available";
    let changeFrom = adj.inFlightChangeFrom;
    if (changeFrom == null) {
      if (named) {
        const q = await adapter.readQuantities([adj.item.inventoryItemId], [adj.locationGid], [adj.quantityName]);
        changeFrom = q.get(adj.item.inventoryItemId)?.get(adj.locationGid)?.[adj.quantityName] ?? 0;
      } else {
        const levels = await adapter.readAvailable([adj.item.inventoryItemId], [adj.locationGid]);
        changeFrom = levels.get(adj.item.inventoryItemId)?.get(adj.locationGid) ?? 0;
      }
      const { count } = await prisma.shopifyAdjustment.updateMany({
        where: { id: adj.id, status: "pending", keyAttempt: adj.keyAttempt, inFlightChangeFrom: null },
        data: { inFlightChangeFrom: changeFrom },
      });
      if (count !== 1) continue; // another worker took this attempt; re-evaluate
    }
    const key = `${adj.idempotencyKey}:${adj.keyAttempt}`;
    // The level's own-write observation time: when the write was SENT, a lower bound of when Shopify applied it.
    // Every change before it is in the answer (changeFromQuantity would have refused the write otherwise), so an
    // older webhook is stale; a Shopify change made after our write but before its answer reached us carries a
    // later X-Shopify-Triggered-At and still applies (levels.server.ts webhookObservedAt). Known gap: a resend that
    // Shopify replays answers as of the FIRST send, so a change between the two sends is missed until reconciliation.
    const sentAt = new Date();
    try {
      const meta = {
        idempotencyKey: key,
        reason: adj.reason,
        referenceDocumentUri: `gid://syncflow/Adjustment/${adj.id}`,
      };
      const [res] = named
        ? await adapter.adjustQuantities(
            adj.quantityName,
            [
              {
                inventoryItemId: adj.item.inventoryItemId,
                locationId: adj.locationGid,
                delta: adj.delta,
                changeFromQuantity: changeFrom,
                ledgerDocumentUri: allocationDocument(adj.sourceChannelId ?? "unknown"),
              },
            ],
            meta,
          )
        : await adapter.adjustAvailable(
            [
              {
                inventoryItemId: adj.item.inventoryItemId,
                locationId: adj.locationGid,
                delta: adj.delta,
                changeFromQuantity: changeFrom,
              },
            ],
            meta,
          );
      const before = res?.before ?? changeFrom;
      const after = res?.after ?? changeFrom + adj.delta;
      const applied = await prisma.$transaction(async (tx) => {
        const { count } = await tx.shopifyAdjustment.updateMany({
          where: { id: adj.id, status: "pending" },
          data: {
            status: "applied",
            appliedAt: new Date(),
            inFlightChangeFrom: null,
            attempts: { increment: 1 },
            lastError: null,
          },
        });
        if (count !== 1) return false;
        const scId = await shopifyChannelId(tx, shopId);
        await appendLedger(tx, {
          shopId,
          itemId: adj.itemId,
          channelId: scId,
          locationGid: adj.locationGid,
          cause: adj.delta < 0 ? "order" : "cancel",
          delta: adj.delta,
          before,
          after,
          idempotencyKey: `${adj.idempotencyKey}:applied`,
          orderId: adj.orderId,
          note: `applied to Shopify (${shop.domain}) ${named ? `${adj.quantityName} (the store's allocation)` : "available"} with key ${key}`,
        });
        if (named) {
          // The store sold (or restocked) from its allocation: the hub's allocation follows Shopify's safety_stock.
          if (adj.quantityName === SAFETY_STOCK && adj.sourceChannelId) {
            await tx.listing.updateMany({
              where: { shopId, channelId: adj.sourceChannelId, itemId: adj.itemId, allocatedQuantity: { not: null } },
              data: { allocatedQuantity: { increment: adj.delta } },
            });
          }
        } else {
          await recordLevel(tx, {
            shopId,
            itemId: adj.itemId,
            locationGid: adj.locationGid,
            available: after,
            observedAt: sentAt,
            ownWrite: true,
            writeBefore: { before, key, shopifyChannelId: scId },
          });
        }
        return true;
      });
      return { status: applied ? "applied" : "already_applied", before, after, itemId: adj.itemId };
    } catch (err) {
      if (err instanceof ChannelError && err.code === "STALE") {
        // Definitive: nothing applied under this key. Next key attempt, fresh read.
        await prisma.shopifyAdjustment.updateMany({
          where: { id: adj.id, status: "pending", keyAttempt: adj.keyAttempt },
          data: {
            keyAttempt: { increment: 1 },
            inFlightChangeFrom: null,
            attempts: { increment: 1 },
            lastError: err.message,
          },
        });
        continue;
      }
      await prisma.shopifyAdjustment.update({
        where: { id: adj.id },
        data: { attempts: { increment: 1 }, lastError: String((err as Error).message ?? err) },
      });
      if (err instanceof ChannelError && !err.retryable) {
        // A definitive refusal (bad request): next run starts a fresh attempt.
        await prisma.shopifyAdjustment.updateMany({
          where: { id: adj.id, status: "pending" },
          data: { keyAttempt: { increment: 1 }, inFlightChangeFrom: null },
        });
      }
      throw err;
    }
  }
  throw new ChannelError(
    "STALE",
    `adjustment ${adjustmentId}: Shopify level kept changing (${MAX_STALE_ROUNDS} stale rounds)`,
    { retryable: true },
  );
}

/** The shop's own Shopify channel id (created at install). */
export async function shopifyChannelId(tx: Pick<typeof prisma, "channel">, shopId: string): Promise<string | null> {
  const ch = await tx.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } });
  return ch?.id ?? null;
}
