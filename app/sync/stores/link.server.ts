/**
 * Reading catalogs and linking SKUs.
 *
 * - `importShopifyCatalog`: locations, variants (→ catalog items, one per normalised SKU) and their
 *   available per location (→ InventoryLevel) from the record. Variants without SKU are listed but not
 *   items; a SKU used twice on Shopify keeps the first variant and marks the other `duplicate_sku`.
 * - `linkSalesChannel`: reads every listing of a WooCommerce store and matches it by SKU (sku.ts), keeping
 *   the store's current quantity as the listing's baseline. Returns the match report.
 *
 * Both write in chunks of {@link WRITE_CHUNK} rows, one transaction per chunk and one
 * `INSERT … ON CONFLICT … DO UPDATE` statement per table (docs/decisions/080-batched-onboarding-writes.md):
 * Prisma has no bulk upsert, and row-at-a-time upserts made a 10,000-SKU onboarding take ~20 minutes.
 */
import { newId } from "../../lib/row-id.server";
import prisma, { type Tx } from "../../db.server";
import { exactSku, matchListings, normalizeSku, type MatchStatus } from "./sku";
import { emitEvent } from "../events.server";
import { recordForShop, salesChannelOf } from "./stores.server";
import { derivedQuantities, requestPush, STORES_TTL_MS } from "../stock/push.server";
import { requestRebalance, usesAllocations } from "../allocation/allocation.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import type { ChannelListing } from "../../channels/channel";

export interface CatalogImportReport {
  locations: number;
  variants: number;
  items: number;
  duplicates: string[];
  /** SKUs of variants that differ only by letter case from an earlier variant's (docs/decisions/107). */
  ambiguous: string[];
  withoutSku: number;
}

/** Rows written per transaction by the import and the linking (docs/decisions/080). */
export const WRITE_CHUNK = 1000;

/**
 * Imports the shop's Shopify catalog (idempotent; safe to re-run as a refresh).
 *
 * Per chunk of variants, in one transaction: catalog items (`CatalogItem`, upsert by SKU key), their
 * levels (`InventoryLevel`, with `recordLevel`'s monotonic rule: an older observation never overwrites a
 * newer one) and the Shopify channel's listings. No ledger rows: reading the record's starting levels is
 * not a stock change (as before).
 * @throws ChannelError when Shopify cannot be read (the job retries; chunks already written stay and a
 *   re-run converges to the same rows)
 */
export async function importShopifyCatalog(shopId: string): Promise<CatalogImportReport> {
  const { shop, adapter } = await recordForShop(shopId);
  const channel = await prisma.channel.findFirstOrThrow({ where: { shopId, kind: "shopify" } });
  const locations = await adapter.listLocations();
  for (const loc of locations) {
    await prisma.location.upsert({
      where: { shopId_gid: { shopId, gid: loc.id } },
      create: { shopId, gid: loc.id, name: loc.name, isActive: loc.isActive },
      update: { name: loc.name, isActive: loc.isActive },
    });
  }
  const report: CatalogImportReport = {
    locations: locations.length,
    variants: 0,
    items: 0,
    duplicates: [],
    ambiguous: [],
    withoutSku: 0,
  };
  const seen = new Map<string, string>(); // skuKey → variant id
  const seenSku = new Map<string, string>(); // skuKey → that variant's SKU as written
  const observedAt = new Date();
  let pending: { listing: ChannelListing; skuKey: string | null; status: MatchStatus; item: boolean }[] = [];
  const flush = async () => {
    if (!pending.length) return;
    const chunk = pending;
    pending = [];
    await prisma.$transaction(
      async (tx) => {
        // One item per SKU key; the chunk's last variant for a key wins, as consecutive upserts did.
        const items = new Map<string, ChannelListing>();
        for (const p of chunk) if (p.item) items.set(p.skuKey!, p.listing);
        const ids = await upsertItems(
          tx,
          shopId,
          [...items].map(([skuKey, v]) => ({
            skuKey,
            sku: v.sku!.trim(),
            title: v.title,
            inventoryItemId: v.inventoryItemId ?? null,
            tracked: v.manageStock,
          })),
        );
        const levels: LevelRow[] = [];
        for (const [skuKey, v] of items) {
          if (!v.manageStock || !v.quantitiesByLocation) continue;
          for (const [locationGid, available] of Object.entries(v.quantitiesByLocation))
            levels.push({ itemId: ids.get(skuKey)!, locationGid, available });
        }
        await upsertLevels(tx, shopId, levels, observedAt);
        await upsertListings(
          tx,
          shopId,
          channel.id,
          chunk.map((p) => ({
            listing: p.listing,
            itemId: p.item ? ids.get(p.skuKey!)! : null,
            matchStatus: p.status,
          })),
        );
      },
      { timeout: 120_000 },
    );
  };
  for await (const page of adapter.listListings()) {
    for (const v of page) {
      report.variants++;
      const skuKey = normalizeSku(v.sku);
      let status: MatchStatus = "linked";
      if (!skuKey) {
        report.withoutSku++;
        status = "no_sku";
      } else if (seen.has(skuKey) && seen.get(skuKey) !== v.externalId) {
        // The same SKU twice, or two SKUs that differ only by letter case (85123A / 85123a: decision 107).
        const ambiguous = seenSku.get(skuKey) !== exactSku(v.sku);
        (ambiguous ? report.ambiguous : report.duplicates).push(v.sku!);
        status = ambiguous ? "ambiguous_sku" : "duplicate_sku";
      } else if (!v.manageStock) {
        status = "not_stocked";
      }
      const item = !!skuKey && status !== "duplicate_sku" && status !== "ambiguous_sku";
      if (item) {
        seen.set(skuKey!, v.externalId);
        seenSku.set(skuKey!, exactSku(v.sku)!);
        report.items++;
      }
      pending.push({ listing: v, skuKey, status, item });
    }
    if (pending.length >= WRITE_CHUNK) await flush();
  }
  await flush();
  await alertNewAmbiguous(shopId, channel.id, "Shopify");
  await prisma.shop.update({ where: { id: shopId }, data: { name: shop.name ?? shop.domain } });
  await prisma.channel.update({
    where: { id: channel.id },
    data: { lastSyncAt: new Date(), status: "active", statusReason: null },
  });
  return report;
}

export interface LinkReport {
  listings: number;
  linked: number;
  unmatched: { sku: string | null; title: string; reason: string }[];
  duplicates: { sku: string | null; title: string; reason: string }[];
  /** Listings whose SKU differs only by letter case from another (decision 107): not linked, alerted. */
  ambiguous: { sku: string | null; title: string; reason: string }[];
  notStocked: { sku: string | null; title: string; reason: string }[];
  noSku: number;
  linkedItemIds: string[];
}

/**
 * Reads a sales channel's catalog (any kind, through the port) and links its listings to the shop's items by SKU.
 * A new listing's first observed quantity becomes its baseline (what the store shows now); a listing
 * seen before keeps its baseline. Idempotent: a re-run converges to the same rows and report.
 * @param opts.signal stops the read between pages (nothing is written then) with the signal's reason
 * @returns the match report: counts, linked item ids, and every listing not linked with its reason
 * @throws ChannelError when the store cannot be read (the job retries)
 */
export async function linkSalesChannel(
  shopId: string,
  channelId: string,
  opts: { signal?: AbortSignal } = {},
): Promise<LinkReport> {
  const { channel, adapter } = await salesChannelOf(shopId, channelId);
  const items = await prisma.catalogItem.findMany({ where: { shopId }, select: { id: true, skuKey: true, sku: true } });
  // SKU keys Shopify has in more than one case: store listings with such a key link only on an exact match.
  const ambiguousKeys = new Set(
    (
      await prisma.listing.findMany({
        where: { shopId, matchStatus: "ambiguous_sku", channel: { kind: "shopify" } },
        select: { sku: true },
      })
    )
      .map((l) => normalizeSku(l.sku))
      .filter((k): k is string => !!k),
  );
  const all: ChannelListing[] = [];
  for await (const page of adapter.listListings()) {
    opts.signal?.throwIfAborted();
    all.push(...page);
  }
  opts.signal?.throwIfAborted();
  const results = matchListings(items, all, { ambiguousKeys });
  const report: LinkReport = {
    listings: all.length,
    linked: 0,
    unmatched: [],
    duplicates: [],
    ambiguous: [],
    notStocked: [],
    noSku: 0,
    linkedItemIds: [],
  };
  for (let i = 0; i < results.length; i += WRITE_CHUNK) {
    const chunk = results.slice(i, i + WRITE_CHUNK);
    await prisma.$transaction(
      (tx) =>
        upsertListings(
          tx,
          shopId,
          channelId,
          chunk.map((r) => ({
            listing: r.listing,
            itemId: r.status === "linked" ? r.itemId : null,
            matchStatus: r.status,
            baseline: r.listing.quantity,
          })),
        ),
      { timeout: 120_000 },
    );
  }
  for (const r of results) {
    const entry = { sku: r.listing.sku, title: r.listing.title, reason: r.reason ?? "" };
    if (r.status === "linked") {
      report.linked++;
      report.linkedItemIds.push(r.itemId!);
    } else if (r.status === "unmatched") report.unmatched.push(entry);
    else if (r.status === "duplicate_sku") report.duplicates.push(entry);
    else if (r.status === "ambiguous_sku") report.ambiguous.push(entry);
    else if (r.status === "not_stocked") report.notStocked.push(entry);
    else report.noSku++;
  }
  await alertNewAmbiguous(shopId, channelId, channel.name);
  await prisma.channel.update({ where: { id: channelId }, data: { lastSyncAt: new Date() } });
  return report;
}

/**
 * Requests the initial pushes of a freshly linked store (`itemsNeedingInitialPush`): the listings are marked and the
 * store's one drainer sends them in batches (coalesced pushes, docs/decisions/100); an allocation store gets a
 * rebalance of its items instead.
 * Checked twice: now, and again by an `initial-push-check` job sent with pg-boss `startAfter` past every process's
 * cached list of stores (`storesOf`, STORES_TTL_MS + 500 ms): a sale whose push fan-out used a list from before the
 * store became active reached the record before that fan-out, so the second check sees it (without it the new store
 * kept the old quantity until the next change of that item or reconciliation — seen as a flaky retailer test). No
 * process waits for it (decision 207).
 * @returns how many items the first check requested
 */
export async function queueInitialPushes(shopId: string, channelId: string): Promise<number> {
  const requested = await requestInitialPushes(shopId, channelId);
  await enqueue(
    QUEUES.initialPushCheck,
    { shopId, channelId },
    { startAfterSeconds: Math.ceil((STORES_TTL_MS + 500) / 1000) },
  );
  return requested;
}

/**
 * One initial-push check of a store (`itemsNeedingInitialPush`, requested in slices of 1,000). Nothing for a
 * disconnected or unknown store (its next link checks again).
 * @returns how many items were requested
 */
export async function requestInitialPushes(shopId: string, channelId: string): Promise<number> {
  const ids = await itemsNeedingInitialPush(shopId, channelId); // listings already showing their quantity need none
  // An allocation store's items go straight to the rebalance drainer, by the channel row as it is now: requestPush
  // decides from the per-process store list, which can still show the store without allocations for STORES_TTL_MS
  // after reservations were switched on in Settings (decision 318).
  const channel = await prisma.channel.findFirst({ where: { id: channelId, shopId } });
  if (channel && usesAllocations(channel)) {
    await requestRebalance(shopId, ids);
    return ids.length;
  }
  for (let i = 0; i < ids.length; i += 1000) await requestPush(shopId, channelId, ids.slice(i, i + 1000));
  return ids.length;
}

/**
 * The linked items of a store that need the initial push after linking: those whose listing does not
 * already show its derived quantity (baseline ≠ derived), has no baseline, or has a push in flight. A
 * listing that already shows what it should needs no lock, no store call and no ledger row — `pushStock`
 * would find it "unchanged" one transaction per listing (≈ 10 ms each: 20,000 listings ≈ 4 minutes).
 * Allocation stores (docs/decisions/008) are not filtered: their push is a rebalance of every item.
 * Any change after this read queues its own push (webhook, sale, adjustment), as for every push.
 * @returns item ids, in listing order
 */
export async function itemsNeedingInitialPush(shopId: string, channelId: string): Promise<string[]> {
  const channel = await prisma.channel.findFirst({ where: { id: channelId, shopId } });
  if (!channel) return [];
  const listings = await prisma.listing.findMany({
    where: { shopId, channelId, matchStatus: "linked", itemId: { not: null } },
    select: { itemId: true, lastWrittenQuantity: true, lastObservedQuantity: true, inFlightPushSeq: true },
    orderBy: { id: "asc" },
  });
  if (usesAllocations(channel)) return listings.map((l) => l.itemId!);
  const derived = await derivedQuantities(
    prisma,
    channel,
    listings.map((l) => l.itemId!),
  );
  return listings
    .filter(
      (l) =>
        l.inFlightPushSeq != null ||
        (l.lastWrittenQuantity ?? l.lastObservedQuantity) == null ||
        (l.lastWrittenQuantity ?? l.lastObservedQuantity) !== derived.get(l.itemId!),
    )
    .map((l) => l.itemId!);
}

/**
 * Alerts the merchant (event `sku.ambiguous`, a notification kind: decision 107) about listings of a channel whose SKU
 * differs only by letter case from another one and that were not alerted yet (`ambiguousAlertedAt` unset), then marks
 * them alerted — one alert per listing, however often the catalog is linked again. A listing that is renamed and
 * links is no longer `ambiguous_sku`; if it becomes ambiguous again later it is alerted again.
 */
async function alertNewAmbiguous(shopId: string, channelId: string, channelName: string): Promise<void> {
  const fresh = await prisma.listing.findMany({
    where: { shopId, channelId, matchStatus: "ambiguous_sku", ambiguousAlertedAt: null },
    select: { id: true, sku: true, title: true },
    orderBy: { sku: "asc" },
  });
  await prisma.listing.updateMany({
    where: { shopId, channelId, matchStatus: { not: "ambiguous_sku" }, ambiguousAlertedAt: { not: null } },
    data: { ambiguousAlertedAt: null },
  });
  if (!fresh.length) return;
  await prisma.listing.updateMany({
    where: { id: { in: fresh.map((l) => l.id) } },
    data: { ambiguousAlertedAt: new Date() },
  });
  await emitEvent(
    shopId,
    "sku.ambiguous",
    {
      store: channelName,
      count: fresh.length,
      lines: fresh
        .slice(0, 20)
        .map((l) => `${l.sku ?? ""} (${l.title})`)
        .concat(fresh.length > 20 ? [`… and ${fresh.length - 20} more`] : []),
    },
    { channelId },
  );
}

// ---------------------------------------------------------------------------------------------- writes

type LevelRow = { itemId: string; locationGid: string; available: number };

/**
 * Upserts catalog items by (shopId, skuKey) in one statement. On conflict only title, inventoryItemId and
 * tracked change (the stored `sku` spelling is kept), as `catalogItem.upsert` did. Keys must be unique.
 * @returns skuKey → item id for every row given
 */
async function upsertItems(
  tx: Tx,
  shopId: string,
  rows: { skuKey: string; sku: string; title: string; inventoryItemId: string | null; tracked: boolean }[],
): Promise<Map<string, string>> {
  if (!rows.length) return new Map();
  const out = await tx.$queryRaw<{ id: string; skuKey: string }[]>`
    INSERT INTO "CatalogItem" (id, "shopId", sku, "skuKey", title, "inventoryItemId", tracked, "updatedAt")
    SELECT u.id, ${shopId}, u.sku, u.sku_key, u.title, u.inv, u.tracked, (now() AT TIME ZONE 'UTC')
    FROM unnest(${rows.map(() => newId())}::text[], ${rows.map((r) => r.sku)}::text[], ${rows.map((r) => r.skuKey)}::text[],
                ${rows.map((r) => r.title)}::text[], ${rows.map((r) => r.inventoryItemId)}::text[], ${rows.map((r) => r.tracked)}::boolean[])
         AS u(id, sku, sku_key, title, inv, tracked)
    ON CONFLICT ("shopId", "skuKey") DO UPDATE
      SET title = EXCLUDED.title, "inventoryItemId" = EXCLUDED."inventoryItemId", tracked = EXCLUDED.tracked, "updatedAt" = (now() AT TIME ZONE 'UTC')
    RETURNING id, "skuKey"`;
  return new Map(out.map((r) => [r.skuKey, r.id]));
}

/**
 * Upserts levels observed at `observedAt` in one statement with `recordLevel`'s monotonic rule: a stored
 * row observed later is left alone; otherwise available and observedAt are replaced. (itemId,
 * locationGid) pairs must be unique.
 */
async function upsertLevels(tx: Tx, shopId: string, rows: LevelRow[], observedAt: Date): Promise<void> {
  if (!rows.length) return;
  const at = observedAt.toISOString();
  await tx.$executeRaw`
    INSERT INTO "InventoryLevel" (id, "shopId", "itemId", "locationGid", available, "observedAt", "updatedAt")
    SELECT u.id, ${shopId}, u.item_id, u.loc, u.available, ${at}::timestamp(3), (now() AT TIME ZONE 'UTC')
    FROM unnest(${rows.map(() => newId())}::text[], ${rows.map((r) => r.itemId)}::text[], ${rows.map((r) => r.locationGid)}::text[], ${rows.map((r) => r.available)}::int[])
         AS u(id, item_id, loc, available)
    ON CONFLICT ("itemId", "locationGid") DO UPDATE
      SET available = EXCLUDED.available, "observedAt" = EXCLUDED."observedAt", "updatedAt" = (now() AT TIME ZONE 'UTC')
      WHERE "InventoryLevel"."observedAt" <= EXCLUDED."observedAt"`;
}

/**
 * Upserts listings of a channel by (channelId, externalId) in one statement. A new row's baseline
 * (`lastWrittenQuantity`) is `baseline` (null when not given); an existing row keeps its baseline, push
 * state, allocation and overrides — only what the store reports (ids, SKU, title, type, stock flag,
 * match status, observed quantity and times) is replaced, as `listing.upsert` did — except that a listing
 * the merchant left unsynced (`matchStatus = "ignored"`, app/models/listings.server.ts) stays unsynced and
 * unlinked. A repeated external id keeps its last row.
 */
async function upsertListings(
  tx: Tx,
  shopId: string,
  channelId: string,
  rows: { listing: ChannelListing; itemId: string | null; matchStatus: MatchStatus; baseline?: number | null }[],
): Promise<void> {
  const rs = [...new Map(rows.map((r) => [r.listing.externalId, r])).values()];
  if (!rs.length) return;
  const now = new Date().toISOString();
  const col = <T>(f: (r: (typeof rs)[number]) => T) => rs.map(f);
  await tx.$executeRaw`
    INSERT INTO "Listing" (id, "shopId", "channelId", "externalId", "itemId", "productId", "variantId", "inventoryItemId", sku, title, "productType",
                           "manageStock", "matchStatus", "lastObservedQuantity", "lastObservedAt", "lastSourceModifiedAt", "lastWrittenQuantity", "updatedAt")
    SELECT u.id, ${shopId}, ${channelId}, u.ext, u.item_id, u.product_id, u.variant_id, u.inv, u.sku, u.title, u.ptype,
           u.manage, u.status, u.qty, ${now}::timestamp(3), u.modified::timestamp(3), u.baseline, (now() AT TIME ZONE 'UTC')
    FROM unnest(${col(() => newId())}::text[], ${col((r) => r.listing.externalId)}::text[], ${col((r) => r.itemId)}::text[],
                ${col((r) => r.listing.productId)}::text[], ${col((r) => r.listing.variantId)}::text[], ${col((r) => r.listing.inventoryItemId ?? null)}::text[],
                ${col((r) => r.listing.sku)}::text[], ${col((r) => r.listing.title)}::text[], ${col((r) => r.listing.productType)}::text[],
                ${col((r) => r.listing.manageStock)}::boolean[], ${col((r) => r.matchStatus)}::text[], ${col((r) => r.listing.quantity)}::int[],
                ${col((r) => (r.listing.modifiedAt ? new Date(r.listing.modifiedAt).toISOString() : null))}::text[], ${col((r) => r.baseline ?? null)}::int[])
         AS u(id, ext, item_id, product_id, variant_id, inv, sku, title, ptype, manage, status, qty, modified, baseline)
    ON CONFLICT ("channelId", "externalId") DO UPDATE SET
      "itemId" = CASE WHEN "Listing"."matchStatus" = 'ignored' THEN NULL ELSE EXCLUDED."itemId" END, "productId" = EXCLUDED."productId", "variantId" = EXCLUDED."variantId", "inventoryItemId" = EXCLUDED."inventoryItemId",
      sku = EXCLUDED.sku, title = EXCLUDED.title, "productType" = EXCLUDED."productType", "manageStock" = EXCLUDED."manageStock",
      "matchStatus" = CASE WHEN "Listing"."matchStatus" = 'ignored' THEN 'ignored' ELSE EXCLUDED."matchStatus" END, "lastObservedQuantity" = EXCLUDED."lastObservedQuantity", "lastObservedAt" = EXCLUDED."lastObservedAt",
      "lastSourceModifiedAt" = EXCLUDED."lastSourceModifiedAt", "updatedAt" = (now() AT TIME ZONE 'UTC')`;
}
