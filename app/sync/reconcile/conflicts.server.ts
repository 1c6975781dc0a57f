/**
 * Resolving conflicts raised by reconciliation (a store's stock differs from what the record implies and
 * nobody can explain why). Resolutions, all through the compare-and-set paths and logged in the ledger
 * with cause `manual` and the person's name:
 * - `use_shopify`: the store is set to the derived quantity (the record wins);
 * - `use_store`: the record moves so the store's quantity becomes right: Shopify's available at the
 *   store's sales location is adjusted by (store − derived), then the store keeps its value;
 * - `typed`: the person types the correct sellable quantity Q for the store: Shopify is adjusted by
 *   (Q − derived) and the store is set to Q.
 * Resolved conflicts stay as history (status `resolved`, resolution, quantity, who, when).
 */
import crypto from "node:crypto";
import prisma from "../../db.server";
import { ChannelError } from "../../channels/channel";
import { appendLedger } from "../stock/ledger.server";
import { derivedQuantities } from "../stock/push.server";
import { recordForShop, salesChannelOf } from "../stores/stores.server";
import { recordLevel } from "../intake/levels.server";
import { shopifyChannelId } from "../stock/adjust.server";
import { emitEvent } from "../events.server";

export class ConflictError extends Error {}

/** What a conflict is about: a linked listing of a store, with the quantities that disagree (units). */
export interface ConflictInput {
  shopId: string;
  itemId: string;
  channelId: string;
  listingId: string;
  sku: string | null;
  /** store_drift | negative_stock | store_edit | unmatched_sale */
  kind: string;
  /** What the record implies the store should show (its derived quantity). */
  expected: number;
  /** What the store shows. */
  storeQuantity: number;
  /** Shopify available at the store's feed locations, when known. */
  recordQuantity: number | null;
  /** Kept in `Conflict.detail` (the hub's baseline, the SKU, the store's own account of the change, ...). */
  detail: Record<string, unknown>;
}

/**
 * Opens the listing's conflict, or refreshes the one already open (one open conflict per listing), and emits
 * `conflict.raised` for a new one. @returns the conflict id
 */
export async function openConflict(c: ConflictInput): Promise<string> {
  const open = await prisma.conflict.findFirst({ where: { shopId: c.shopId, listingId: c.listingId, status: "open" } });
  const data = {
    kind: c.kind,
    expectedQuantity: c.expected,
    storeQuantity: c.storeQuantity,
    recordQuantity: c.recordQuantity,
    detail: c.detail as object,
  };
  if (open) {
    await prisma.conflict.update({ where: { id: open.id }, data });
    return open.id;
  }
  const row = await prisma.conflict.create({
    data: { shopId: c.shopId, itemId: c.itemId, channelId: c.channelId, listingId: c.listingId, ...data },
  });
  await emitEvent(
    c.shopId,
    "conflict.raised",
    { conflictId: row.id, sku: c.sku, kind: c.kind, expected: c.expected, store: c.storeQuantity },
    { itemId: c.itemId, channelId: c.channelId },
  );
  return row.id;
}

export interface ResolveInput {
  resolution: "use_shopify" | "use_store" | "typed";
  /** Required for `typed`: units ≥ 0. */
  quantity?: number;
  /** Who resolved it (staff e-mail or name). */
  actor: string;
}

/**
 * Resolves an open conflict of `shopId`.
 * @returns the quantity the store shows afterwards
 * @throws ConflictError when the conflict is unknown/closed or the input is invalid; ChannelError when a
 *   store or Shopify write fails (nothing is marked resolved then)
 */
export async function resolveConflict(
  shopId: string,
  conflictId: string,
  input: ResolveInput,
): Promise<{ status: "resolved"; appliedQuantity: number }> {
  const conflict = await prisma.conflict.findFirst({ where: { id: conflictId, shopId } });
  if (!conflict) throw new ConflictError("This conflict does not exist.");
  if (conflict.status !== "open") throw new ConflictError("This conflict is already resolved.");
  if (
    input.resolution === "typed" &&
    (input.quantity == null || !Number.isInteger(input.quantity) || input.quantity < 0)
  ) {
    throw new ConflictError("Type a whole number of units, 0 or more.");
  }
  const listing = await prisma.listing.findFirst({
    where: { id: conflict.listingId ?? "", shopId },
    include: { item: true },
  });
  if (!listing?.item) throw new ConflictError("The listing of this conflict is no longer linked.");
  const { channel, adapter: store } = await salesChannelOf(shopId, conflict.channelId);
  const current = (await store.readQuantity(listing.externalId)) ?? 0;
  const derived = (await derivedQuantities(prisma, channel, [listing.item.id])).get(listing.item.id) ?? 0;
  const target =
    input.resolution === "use_shopify" ? derived : input.resolution === "use_store" ? current : input.quantity!;
  const key = `conflict:${conflict.id}:${crypto.randomUUID()}`;

  // Move the record first when the store's value (or the typed one) should win.
  const recordDelta = target - derived;
  if (recordDelta !== 0) {
    if (!channel.salesLocationId || !listing.item.inventoryItemId)
      throw new ConflictError("The store has no Shopify sales location; pick one in Settings first.");
    const { adapter: shopify } = await recordForShop(shopId);
    const levels = await shopify.readAvailable([listing.item.inventoryItemId], [channel.salesLocationId]);
    const before = levels.get(listing.item.inventoryItemId)?.get(channel.salesLocationId) ?? 0;
    const sentAt = new Date(); // the own-write observation time (see adjust.server.ts applyOne)
    const [res] = await shopify.adjustAvailable(
      [
        {
          inventoryItemId: listing.item.inventoryItemId,
          locationId: channel.salesLocationId,
          delta: recordDelta,
          changeFromQuantity: before,
        },
      ],
      {
        idempotencyKey: `${key}:shopify`,
        reason: "correction",
        referenceDocumentUri: `gid://syncflow/Conflict/${conflict.id}`,
      },
    );
    const after = res?.after ?? before + recordDelta;
    await prisma.$transaction(async (tx) => {
      const scId = await shopifyChannelId(tx, shopId);
      await recordLevel(tx, {
        shopId,
        itemId: listing.item!.id,
        locationGid: channel.salesLocationId!,
        available: after,
        observedAt: sentAt,
        ownWrite: true,
        writeBefore: { before: after - recordDelta, key: `${key}:shopify`, shopifyChannelId: scId },
      });
      await appendLedger(tx, {
        shopId,
        itemId: listing.item!.id,
        channelId: scId,
        locationGid: channel.salesLocationId,
        cause: "manual",
        delta: recordDelta,
        before,
        after,
        idempotencyKey: `${key}:shopify`,
        actor: input.actor,
        note: `conflict resolved (${input.resolution})`,
      });
    });
  }

  // Then the store, compare-and-set against what it showed.
  let storeAfter = current;
  if (current !== target) {
    try {
      const res =
        channel.mode === "exact"
          ? await store.writeQuantity({
              op: "cas",
              listingId: listing.externalId,
              expected: current,
              quantity: target,
              idempotencyKey: `${key}:store`,
            })
          : await store.writeQuantity({
              op: "set",
              listingId: listing.externalId,
              quantity: target,
              parentId: listing.variantId ? listing.productId : null,
            });
      storeAfter = res.after;
    } catch (err) {
      if (err instanceof ChannelError && err.code === "STALE")
        throw new ConflictError("The store's stock changed while resolving; review the new values and try again.");
      throw err;
    }
  }
  await prisma.$transaction(async (tx) => {
    await tx.listing.update({
      where: { id: listing.id },
      data: {
        lastWrittenQuantity: storeAfter,
        lastObservedQuantity: storeAfter,
        lastObservedAt: new Date(),
        lastWrittenAt: new Date(),
      },
    });
    if (current !== target) {
      await appendLedger(tx, {
        shopId,
        itemId: listing.item!.id,
        channelId: channel.id,
        cause: "manual",
        delta: storeAfter - current,
        before: current,
        after: storeAfter,
        idempotencyKey: `${key}:store`,
        actor: input.actor,
        note: `conflict resolved (${input.resolution})`,
      });
    }
    await tx.conflict.update({
      where: { id: conflict.id },
      data: {
        status: "resolved",
        resolution: input.resolution,
        resolvedQuantity: storeAfter,
        resolvedBy: input.actor,
        resolvedAt: new Date(),
      },
    });
  });
  return { status: "resolved", appliedQuantity: storeAfter };
}
