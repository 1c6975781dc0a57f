/**
 * Orders from every store into one table, and the stock they take (GUIDE §2 rules 2 and 4; decision 131).
 *
 * WooCommerce: the hub follows what the store did to its stock, per order line, not what a status suggests.
 * WooCommerce keeps its own tally per line, the `_reduced_stock` meta (includes/wc-stock-functions.php,
 * wc-order-functions.php): set to the quantity when the order's stock is reduced (→ processing / on-hold / completed
 * or paid, `wc_maybe_reduce_stock_levels`), deleted when it is given back (ONLY → cancelled / → pending,
 * `wc_maybe_increase_stock_levels`), lowered by each refund that restocks that line (`wc_restock_refunded_items`),
 * and changed when someone edits a line in wp-admin (`wc_maybe_adjust_line_item_product_stock`). `refunded` and
 * `failed` never give stock back. The hub's `OrderLine.stockTakenQuantity` follows that tally: each difference
 * becomes one ShopifyAdjustment (−units to take, +units to give back) with an idempotency key unique per order line
 * and move, so a duplicate, replayed or reordered delivery never takes or gives back twice.
 *
 * Where the tally comes from (`LineTarget`):
 * - a store whose plugin reports stock events (`Channel.stockEvents`, plugin ≥ 1.1, stock-events.server.ts): the
 *   events alone. Each order event carries the line's tally after the change and a per-store sequence; an event
 *   older than the last one applied to its line changes nothing. The order webhooks only record the order. The one
 *   exception is reconciliation's read of missed orders: a line no event has touched on an order last modified more
 *   than `EVENT_GRACE_MS` ago was never reported (the plugin was off or lost it), so it follows the payload;
 * - every other store: the order webhook payload. REST v3 renders each line's meta, `_reduced_stock` included
 *   (WooCommerce builds the payload at delivery time: an older `date_modified_gmt` than stored is ignored);
 * - a payload without line meta (not a real WooCommerce): the order's `statusEffect`, which the WooCommerce adapter
 *   derives from WooCommerce's status rules (app/channels/woocommerce/order-status.ts); the engine names no status.
 * Both sources set the same tally, so a store switching to stock events (plugin upgrade) never counts a line twice:
 * an event reaching a tally a webhook already set moves nothing.
 *
 * Shopify: orders are recorded for the unified view only — Shopify already moved its own stock, which reaches the
 * stores through `inventory_levels/update` (never decrement from both).
 */
import prisma, { type Tx } from "../../db.server";
import { appendLedgerMany, type LedgerCause } from "../stock/ledger.server";
import { newId } from "../../lib/row-id.server";
import { normalizeSku } from "../stores/sku";
import { SAFETY_STOCK, usesAllocations } from "../allocation/allocation.server";
import type { RecordOrder, SalesOrder, SalesOrderLine, StockChange } from "../../channels/events";
import { salesChannelLabel } from "../../channels/registry.server";
import { RETAILER_KIND } from "../../channels/channel";
import type { Channel as ChannelRow, Listing, Prisma } from "@prisma/client";

/**
 * How long a stock-events store has to report an order's stock change before reconciliation follows the order itself
 * (ms). The plugin sends its events through Action Scheduler within a minute, retried while the hub is away.
 */
/**
 * An order's number as notes show it: "#1003" for a WooCommerce number ("1003") and for a Shopify name that already
 * carries its "#" (a retailer's "#1003"), never "##1003".
 */
export function orderRef(number: string): string {
  return number.startsWith("#") ? number : `#${number}`;
}

export const EVENT_GRACE_MS = 10 * 60_000;

/** Whether the plugin's stock events are the source of a store's order stock moves (decision 130). */
export const followsStockEvents = (c: Pick<ChannelRow, "stockEvents" | "mode">): boolean =>
  c.stockEvents && c.mode === "exact";

export interface SalesOrderOutcome {
  orderId: string;
  /**
   * "taken" / "released" when stock moved (released: only units given back); "unchanged" when it did not; "stale"
   * when an older state than the one stored arrived.
   */
  result: "taken" | "released" | "unchanged" | "stale";
  adjustmentIds: string[];
  itemIds: string[];
}

type OrderRow = { id: string; status: string; stockTaken: boolean; sourceModifiedAt: Date | null; number: string };

/**
 * The order row of (`create.channelId`, `create.externalId`), created from `create` when absent, locked
 * (FOR UPDATE) until the transaction ends, so concurrent deliveries of one order serialise.
 * Insert-if-absent is `INSERT … ON CONFLICT DO NOTHING` (createMany + skipDuplicates), not Prisma's upsert:
 * that one reads, then inserts, so two first deliveries of one order (order.created and order.updated
 * together, or a webhook and reconciliation's missed-order read) both inserted and the loser failed on the
 * unique key (its job retried). ON CONFLICT waits for the other insert and yields.
 */
export async function lockOrCreateOrder(tx: Tx, create: Prisma.OrderCreateManyInput): Promise<OrderRow> {
  await tx.order.createMany({ data: [create], skipDuplicates: true });
  const [row] = await tx.$queryRaw<OrderRow[]>`
    SELECT id, status, "stockTaken", "sourceModifiedAt", number FROM "Order" WHERE "channelId" = ${create.channelId} AND "externalId" = ${create.externalId} FOR UPDATE`;
  if (!row) throw new Error("order row vanished");
  return row;
}

/** An order line of a sales channel as the tally code needs it, with its catalog item and listing. */
export interface ResolvedLine {
  lineId: string;
  /** The line's product: the variation id for a variation, else the product id. */
  listingExternalId: string;
  sku: string | null;
  itemId: string | null;
  listing: Listing | null;
}

/**
 * Resolves lines to catalog items: through the store's listing of the line's product first, else by SKU
 * (case-insensitive). One query per kind for the whole order.
 */
export async function resolveOrderLines(
  tx: Tx,
  channel: ChannelRow,
  lines: { lineId: string; listingExternalId: string; sku: string | null }[],
): Promise<ResolvedLine[]> {
  const listings = await tx.listing.findMany({
    where: { shopId: channel.shopId, channelId: channel.id, externalId: { in: lines.map((l) => l.listingExternalId) } },
  });
  const skuKeys = lines.map((l) => normalizeSku(l.sku)).filter((k): k is string => !!k);
  const items = skuKeys.length
    ? await tx.catalogItem.findMany({
        where: { shopId: channel.shopId, skuKey: { in: skuKeys } },
        select: { id: true, skuKey: true },
      })
    : [];
  return lines.map((l) => {
    const listing = listings.find((x) => x.externalId === l.listingExternalId) ?? null;
    // A listing whose SKU differs only by case from another (decision 107) is not that item: no fallback by SKU.
    const itemId =
      listing?.itemId ??
      (listing?.matchStatus === "ambiguous_sku"
        ? null
        : (items.find((i) => i.skuKey === normalizeSku(l.sku))?.id ?? null));
    return { ...l, itemId, listing };
  });
}

/** Where a line's new tally comes from, for the ledger and the adjustment's reason. */
export type TallySource =
  | {
      kind: "webhook" | "reconcile";
      status: string;
      effect: NonNullable<SalesOrder["statusEffect"]>;
      /** false: the sale moved only part of what the listing covers (SalesOrder.listingFollowsSale). */
      listingFollows?: boolean;
    }
  | { kind: "event"; move: NonNullable<StockChange["order"]>["move"]; status: string | null; eventId: string };

/** A line's tally to reach (units; WooCommerce's `_reduced_stock`), from an event or a payload. */
export interface LineTarget {
  line: ResolvedLine;
  /** Hub order line id. */
  orderLineId: string;
  /** Units the hub counts as taken now (OrderLine.stockTakenQuantity). */
  taken: number;
  target: number;
}

/**
 * Moves each line's taken units to its target inside `tx` (the order row must be locked by the caller):
 * one ShopifyAdjustment per line whose tally changes (−units to take, +units to give back; on Shopify's
 * `safety_stock` for allocation stores, decision 008), a ledger row, the listing's baseline moved by the same
 * delta (the store moved its own stock for its own order, so pushes never repeat it), and
 * `Order.stockTaken` = any line still taken. Lines without a catalog item or with an unlinked listing are
 * left as they are (their units were never counted).
 * @returns the adjustments created (to queue) and their items (to push to the other stores)
 */
export async function moveLineTallies(
  tx: Tx,
  channel: ChannelRow,
  order: { id: string; externalId: string; number: string; placedAt?: Date },
  targets: LineTarget[],
  source: TallySource,
): Promise<{ adjustmentIds: string[]; itemIds: string[]; taken: boolean; released: boolean }> {
  const moving = targets.filter(
    (t) => t.target !== t.taken && t.line.itemId && (!t.line.listing || t.line.listing.matchStatus === "linked"),
  );
  const out = { adjustmentIds: [] as string[], itemIds: [] as string[], taken: false, released: false };
  if (moving.length) {
    if (!channel.salesLocationId) throw new Error(`channel ${channel.id} has no Shopify sales location`);
    const seq = await tx.shopifyAdjustment.count({ where: { shopId: channel.shopId, orderId: order.id } });
    // One statement per table for the whole order (issue 11: was five single-row writes per line).
    const moves = moving.map((t) => {
      const delta = t.taken - t.target; // store units: −2 when 2 more were taken, +1 when one came back
      const take = delta < 0;
      const key = `woo:${channel.id}:order:${order.externalId}:line:${t.line.lineId}:${take ? "take" : "release"}:${seq}`;
      return { t, delta, take, key, itemId: t.line.itemId! };
    });
    const created = await tx.shopifyAdjustment.createManyAndReturn({
      data: moves.map((m) => ({
        quantityName:
          usesAllocations(channel) && m.t.line.listing?.allocatedQuantity != null ? SAFETY_STOCK : "available",
        shopId: channel.shopId,
        itemId: m.itemId,
        locationGid: channel.salesLocationId!,
        delta: m.delta,
        idempotencyKey: m.key,
        sourceChannelId: channel.id,
        orderId: order.id,
        reason: m.take ? "correction" : "restock",
      })),
      select: { id: true, idempotencyKey: true },
    });
    const idOf = new Map(created.map((a) => [a.idempotencyKey, a.id]));
    for (const m of moves) {
      out.adjustmentIds.push(idOf.get(m.key)!);
      out.itemIds.push(m.itemId);
      if (m.take) out.taken = true;
      else out.released = true;
    }
    await appendLedgerMany(
      tx,
      moves.map((m) => {
        const { cause, what } = describeMove(m.take, source);
        return {
          shopId: channel.shopId,
          itemId: m.itemId,
          channelId: channel.id,
          cause,
          delta: m.delta,
          idempotencyKey: `${m.key}:taken`,
          orderId: order.id,
          note: `${salesChannelLabel(channel.kind)} order ${orderRef(order.number)}${source.status ? ` ${source.status}` : ""}: ${what} (${m.t.taken} → ${m.t.target} units held for the line), pending on Shopify`,
        };
      }),
    );
    await tx.$executeRaw`
      UPDATE "OrderLine" ol SET "stockTakenQuantity" = u.target
      FROM unnest(${moves.map((m) => m.t.orderLineId)}::text[], ${moves.map((m) => m.t.target)}::int[]) AS u(id, target)
      WHERE ol.id = u.id`;
    // The store moved its own stock for its own order: the listing's baseline moves by the same delta (summed per
    // listing: two lines of one order can sell one listing). Not when the sale moved only part of the listing (one
    // marketplace of several): the baseline stays, so the next push writes the new quantity everywhere.
    const baseline = new Map<string, number>();
    const follows = source.kind === "event" || source.listingFollows !== false;
    for (const m of follows ? moves : [])
      if (m.t.line.listing?.lastWrittenQuantity != null)
        baseline.set(m.t.line.listing.id, (baseline.get(m.t.line.listing.id) ?? 0) + m.delta);
    if (baseline.size)
      await tx.$executeRaw`
        UPDATE "Listing" l SET "lastWrittenQuantity" = l."lastWrittenQuantity" + u.delta, "updatedAt" = (now() AT TIME ZONE 'UTC')
        FROM unnest(${[...baseline.keys()]}::text[], ${[...baseline.values()]}::int[]) AS u(id, delta)
        WHERE l.id = u.id`;
    // A set-only channel under allocations (decision 300): a sale placed before the listing's last write may have
    // landed between that write's read and its set (overwritten: its units shown again). The listing is marked for a
    // verification step (a fresh read capped at the baseline, allocation-batch.server.ts) in the rebalance this sale
    // requests.
    if (order.placedAt && usesAllocations(channel) && channel.mode !== "exact") {
      const verify = moves
        .filter((m) => m.take && m.t.line.listing?.lastWrittenAt && order.placedAt! <= m.t.line.listing.lastWrittenAt)
        .map((m) => m.t.line.listing!.id);
      if (verify.length)
        await tx.listing.updateMany({ where: { id: { in: verify } }, data: { pushRequestedAt: new Date() } });
    }
  }
  const still = await tx.orderLine.count({ where: { orderId: order.id, stockTakenQuantity: { gt: 0 } } });
  await tx.order.update({ where: { id: order.id }, data: { stockTaken: still > 0 } });
  return out;
}

function describeMove(take: boolean, source: TallySource): { cause: LedgerCause; what: string } {
  if (take)
    return {
      cause: "order",
      what: source.kind === "event" ? "the store reduced its stock (stock event), sale taken" : "sale taken",
    };
  const cause: LedgerCause =
    source.kind === "event"
      ? source.move === "refund"
        ? "refund"
        : "cancel"
      : source.effect === "release"
        ? "cancel"
        : "refund";
  const what =
    source.kind === "event"
      ? source.move === "refund"
        ? "a refund restocked units (stock event)"
        : source.move === "adjust"
          ? "the line was edited on the store (stock event)"
          : "the store restocked the order (stock event)"
      : cause === "cancel"
        ? "the store restocked the order"
        : "units restocked on the store";
  return { cause, what };
}

/**
 * The tally a line holds after `order` (units): the store's own tally when the adapter reports one (`stockTaken`,
 * WooCommerce's `_reduced_stock`), else the order's `statusEffect`: "take" takes the whole quantity once per order
 * (`orderTaken`: the order already holds stock, so `taken` stays), "release" gives it back (0), "keep" leaves `taken`.
 */
export function payloadTarget(
  line: SalesOrderLine,
  effect: SalesOrder["statusEffect"],
  orderTaken: boolean,
  taken: number,
): number {
  if (line.stockTaken != null) return line.stockTaken;
  if (effect === "take") return orderTaken ? taken : line.quantity;
  if (effect === "release") return 0;
  return taken;
}

/**
 * The order row a sales channel's order creates (header only; the intake and the orders hub's adoption of pre-link
 * orders write the same). A partial delivery has no total: the row it creates (a refund seen before its order) holds 0
 * until the order.
 */
export function salesOrderHeader(channel: Pick<ChannelRow, "id" | "shopId">, order: SalesOrder) {
  return {
    shopId: channel.shopId,
    channelId: channel.id,
    externalId: order.orderId,
    number: order.number,
    status: order.status,
    currency: order.currency,
    totalPrice: order.total || "0",
    customerName: [order.customer.firstName, order.customer.lastName].filter(Boolean).join(" ") || null,
    customerEmail: order.customer.email,
    placedAt: order.createdAt ? new Date(order.createdAt) : new Date(),
  };
}

/**
 * When the channel was linked (decision 236): a WooCommerce store's `Channel.createdAt`, a retailer's
 * `RetailerLink.linkedAt` (its channel row when the link row is gone). Sales placed before it are already in the
 * quantity the store had then, so they never take stock again.
 */
export async function channelLinkedAt(channel: ChannelRow): Promise<Date> {
  if (channel.kind !== RETAILER_KIND) return channel.createdAt;
  const link = await prisma.retailerLink.findUnique({ where: { channelId: channel.id }, select: { linkedAt: true } });
  return link?.linkedAt ?? channel.createdAt;
}

/**
 * Whether a source order placed at `placed` was sold before the link at `linked` (decisions 236, 260). Stores give
 * creation times in whole seconds (WooCommerce `date_created_gmt`, Shopify `created_at`): an order of the link's own
 * second counts as sold after it (its sale is taken, as before the rule existed), only an earlier second as before.
 */
export function placedBeforeLink(placed: Date, linked: Date): boolean {
  return placed.getTime() < Math.floor(linked.getTime() / 1000) * 1000;
}

/**
 * Whether `order` (a whole delivery, not a partial refund) was placed before `channel` was linked (`channelLinkedAt`,
 * `placedBeforeLink`; decisions 236, 260). An order without a creation time is not.
 */
export async function soldBeforeLink(channel: ChannelRow, order: SalesOrder): Promise<boolean> {
  if (order.partial || !order.createdAt) return false;
  const placed = new Date(order.createdAt);
  return !Number.isNaN(placed.getTime()) && placedBeforeLink(placed, await channelLinkedAt(channel));
}

/**
 * Records an order sold before the channel was linked, WITHOUT moving stock: the order row and its lines, each line's
 * tally set to what the store says it holds (`payloadTarget`) for lines of a linked item, no ledger row, no
 * adjustment. A later change at the source then moves only the difference (a cancel gives the units back once; a
 * status change that keeps them moves nothing). An order the hub already has is left as it is.
 * @returns the order row id and whether it was adopted now
 */
export async function adoptOrder(
  channel: ChannelRow,
  order: SalesOrder,
): Promise<{ orderId: string; adopted: boolean }> {
  return prisma.$transaction(async (tx) => {
    const known = await tx.order.findUnique({
      where: { channelId_externalId: { channelId: channel.id, externalId: order.orderId } },
      select: { id: true },
    });
    if (known) return { orderId: known.id, adopted: false };
    const cancelled = ["cancelled", "refunded", "failed"].includes(order.status);
    const row = await lockOrCreateOrder(tx, {
      ...salesOrderHeader(channel, order),
      sourceModifiedAt: order.modifiedAt ? new Date(order.modifiedAt) : null,
      cancelledAt: cancelled ? new Date() : null,
    });
    // A delivery of the same order recorded it meanwhile (it held the row lock until its lines were written): its own.
    if (await tx.orderLine.count({ where: { orderId: row.id } })) return { orderId: row.id, adopted: false };
    const lines = await resolveOrderLines(
      tx,
      channel,
      order.lines.map((l) => ({ lineId: l.lineId, listingExternalId: l.variantId ?? l.productId, sku: l.sku })),
    );
    let taken = false;
    await tx.orderLine.createMany({
      data: lines.map((l, i) => {
        const p = order.lines[i]!;
        const counted = !!l.itemId && (!l.listing || l.listing.matchStatus === "linked");
        const tally = counted ? payloadTarget(p, order.statusEffect, false, 0) : 0;
        if (tally > 0) taken = true;
        return {
          orderId: row.id,
          externalLineId: l.lineId,
          sku: l.sku,
          itemId: l.itemId,
          title: p.title,
          quantity: p.quantity,
          price: p.price,
          stockTakenQuantity: tally,
        };
      }),
      skipDuplicates: true,
    });
    await tx.order.update({ where: { id: row.id }, data: { stockTaken: taken } });
    return { orderId: row.id, adopted: true };
  });
}

/**
 * Records an order of the sales channel `channel` (webhook or reconciliation's read of missed orders) and moves stock as the
 * store did (see the module comment: lines a plugin stock event has moved, and every line of a stock-events store
 * but the unreported ones reconciliation finds, are left to the events).
 * The order row is locked for the whole move so concurrent deliveries (and events) serialise.
 * An order the hub has never seen that the store sold before it was linked (`soldBeforeLink`) is adopted instead
 * (`adoptOrder`: recorded with the store's own tally, no stock moved, result "unchanged"; decision 260).
 */
export async function ingestSalesOrder(
  channel: ChannelRow,
  order: SalesOrder,
  via: "webhook" | "reconcile" = "webhook",
): Promise<SalesOrderOutcome> {
  // First contact with an order the store sold before it was linked (decision 260): its sale is already in the
  // quantity the store had at link time. It is adopted with the store's own tally and moves nothing; only what changes
  // after (a later cancel, refund or edit) moves stock, through the tallies below. `adoptOrder` leaves a known order
  // as it is (a second delivery of it is an ordinary change).
  if (await soldBeforeLink(channel, order)) {
    const adopted = await adoptOrder(channel, order);
    if (adopted.adopted) return { orderId: adopted.orderId, result: "unchanged", adjustmentIds: [], itemIds: [] };
  }
  const modifiedAt = order.modifiedAt ? new Date(order.modifiedAt) : null;
  const header = salesOrderHeader(channel, order);
  const { placedAt, customerName } = header;
  return prisma.$transaction(async (tx) => {
    const row = await lockOrCreateOrder(tx, { ...header, sourceModifiedAt: null });
    const stale = !!(row.sourceModifiedAt && modifiedAt && modifiedAt < row.sourceModifiedAt);
    // The order's own delivery arriving after a newer refund made its row (no header yet: a partial delivery has none,
    // decision 209): it fills the header and takes the stock of the lines the refund did not name; the refunded lines
    // keep the newer tally. Any other older delivery changes nothing.
    const fillsHeader = stale && !order.partial && !row.number;
    if (stale && !fillsHeader) {
      return { orderId: row.id, result: "stale" as const, adjustmentIds: [], itemIds: [] };
    }
    const known = fillsHeader
      ? new Set(
          (await tx.orderLine.findMany({ where: { orderId: row.id }, select: { externalLineId: true } })).map(
            (l) => l.externalLineId,
          ),
        )
      : null;
    // A partial delivery (a refund's restocked lines, no header) moves its lines' stock and keeps the stored header.
    await tx.order.update({
      where: { id: row.id },
      data: order.partial
        ? { sourceModifiedAt: modifiedAt ?? row.sourceModifiedAt }
        : fillsHeader
          ? {
              number: order.number,
              currency: order.currency,
              totalPrice: order.total,
              customerName,
              customerEmail: order.customer.email,
              ...(order.createdAt ? { placedAt } : {}),
            }
          : {
              status: order.status,
              number: order.number,
              currency: order.currency,
              totalPrice: order.total,
              customerName,
              ...(order.createdAt ? { placedAt } : {}),
              customerEmail: order.customer.email,
              sourceModifiedAt: modifiedAt ?? row.sourceModifiedAt,
              cancelledAt: ["cancelled", "refunded", "failed"].includes(order.status) ? new Date() : null,
            },
    });
    const lines = await resolveOrderLines(
      tx,
      channel,
      order.lines.map((l) => ({ lineId: l.lineId, listingExternalId: l.variantId ?? l.productId, sku: l.sku })),
    );
    const unreported = via === "reconcile" && modifiedAt != null && Date.now() - modifiedAt.getTime() > EVENT_GRACE_MS;
    const payloadMoves = !followsStockEvents(channel) || unreported;
    const targets: LineTarget[] = [];
    const fresh = lines.map((l, i) => ({ l, p: order.lines[i]! })).filter(({ l }) => !known?.has(l.lineId));
    const saved = await upsertOrderLines(
      tx,
      row.id,
      fresh.map(({ l, p }) => ({
        externalLineId: l.lineId,
        sku: l.sku,
        itemId: l.itemId,
        title: p.title,
        quantity: p.quantity,
        price: p.price,
      })),
      "all",
    );
    for (const { l, p } of fresh) {
      const s = saved.get(l.lineId)!;
      if (s.stockEventSeq != null || !payloadMoves) continue; // the plugin's events own this line's stock
      targets.push({
        line: l,
        orderLineId: s.id,
        taken: s.stockTakenQuantity,
        target: payloadTarget(p, order.statusEffect, row.stockTaken, s.stockTakenQuantity),
      });
    }
    const moved = await moveLineTallies(
      tx,
      channel,
      { id: row.id, externalId: order.orderId, number: order.number, ...(order.createdAt ? { placedAt } : {}) },
      targets,
      {
        kind: via,
        status: order.status,
        effect: order.statusEffect ?? "keep",
        listingFollows: order.listingFollowsSale ?? true,
      },
    );
    const result = moved.taken ? "taken" : moved.released ? "released" : "unchanged";
    return { orderId: row.id, result, adjustmentIds: moved.adjustmentIds, itemIds: moved.itemIds };
  });
}

/**
 * Records (or updates) a Shopify order for the unified order view. Stock is not touched here.
 * Monotonic on `updated_at`; concurrent deliveries of one order serialise on its row lock.
 * @returns the hub's order id
 */
export async function recordShopifyOrder(
  shopId: string,
  shopifyChannelId: string,
  order: RecordOrder,
  status: string,
): Promise<string> {
  const updatedAt = order.updatedAt ? new Date(order.updatedAt) : null;
  return prisma.$transaction(async (tx) => {
    const data = {
      number: order.name,
      status,
      currency: order.currency,
      totalPrice: order.total,
      customerName: order.customer?.name ?? null,
      customerEmail: order.customer?.email ?? null,
      cancelledAt: order.cancelledAt ? new Date(order.cancelledAt) : null,
      sourceModifiedAt: updatedAt,
    };
    const existing = await lockOrCreateOrder(tx, {
      shopId,
      channelId: shopifyChannelId,
      externalId: order.orderId,
      placedAt: order.createdAt ? new Date(order.createdAt) : new Date(),
      ...data,
    });
    if (existing.sourceModifiedAt && updatedAt && updatedAt < existing.sourceModifiedAt) return existing.id;
    const row = await tx.order.update({ where: { id: existing.id }, data });
    const keys = order.lines.map((l) => normalizeSku(l.sku)).filter((k): k is string => !!k);
    const items = await tx.catalogItem.findMany({
      where: { shopId, skuKey: { in: keys } },
      select: { id: true, skuKey: true },
    });
    await upsertOrderLines(
      tx,
      row.id,
      order.lines.map((l) => ({
        externalLineId: l.lineId,
        sku: l.sku,
        itemId: items.find((i) => i.skuKey === normalizeSku(l.sku))?.id ?? null,
        title: l.title,
        quantity: l.quantity,
        price: l.price,
      })),
      "quantity-item",
    );
    return row.id;
  });
}

/** A line to record on an order, as `upsertOrderLines` takes it (quantity in units, price as the store sent it). */
interface OrderLineInput {
  externalLineId: string;
  sku: string | null;
  itemId: string | null;
  title: string;
  quantity: number;
  price: string | null;
}

/**
 * Creates or updates an order's lines by (orderId, externalLineId) in one `INSERT … SELECT FROM unnest … ON CONFLICT
 * DO UPDATE` (issue 11: was one upsert per line). `update` says what an existing line takes from the input: "all"
 * (quantity, item, SKU, title, price — a sales channel's order) or "quantity-item" (a Shopify order for the unified
 * view). A line id given twice keeps its last row. Tallies (`stockTakenQuantity`, stock-event fields) are never
 * touched here.
 * @returns external line id → the line's id, its tally (units) and its last stock event sequence
 */
async function upsertOrderLines(
  tx: Tx,
  orderId: string,
  input: OrderLineInput[],
  update: "all" | "quantity-item",
): Promise<Map<string, { id: string; stockTakenQuantity: number; stockEventSeq: number | null }>> {
  const rows = [...new Map(input.map((r) => [r.externalLineId, r])).values()];
  if (!rows.length) return new Map();
  const col = <T>(f: (r: OrderLineInput) => T) => rows.map(f);
  const all = update === "all";
  const out = await tx.$queryRaw<{ id: string; ext: string; taken: number; seq: number | null }[]>`
    INSERT INTO "OrderLine" (id, "orderId", "externalLineId", sku, "itemId", title, quantity, price)
    SELECT u.id, ${orderId}, u.ext, u.sku, u.item_id, u.title, u.quantity, u.price::numeric
    FROM unnest(${col(() => newId())}::text[], ${col((r) => r.externalLineId)}::text[], ${col((r) => r.sku)}::text[],
                ${col((r) => r.itemId)}::text[], ${col((r) => r.title)}::text[], ${col((r) => r.quantity)}::int[],
                ${col((r) => (r.price === "" ? null : r.price))}::text[])
         AS u(id, ext, sku, item_id, title, quantity, price)
    ON CONFLICT ("orderId", "externalLineId") DO UPDATE SET
      quantity = EXCLUDED.quantity, "itemId" = EXCLUDED."itemId",
      sku = CASE WHEN ${all} THEN EXCLUDED.sku ELSE "OrderLine".sku END,
      title = CASE WHEN ${all} THEN EXCLUDED.title ELSE "OrderLine".title END,
      price = CASE WHEN ${all} THEN EXCLUDED.price ELSE "OrderLine".price END
    RETURNING id, "externalLineId" AS ext, "stockTakenQuantity" AS taken, "stockEventSeq" AS seq`;
  return new Map(out.map((r) => [r.ext, { id: r.id, stockTakenQuantity: r.taken, stockEventSeq: r.seq }]));
}
