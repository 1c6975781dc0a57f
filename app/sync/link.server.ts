/**
 * Reading catalogs and linking SKUs.
 *
 * - `importShopifyCatalog`: locations, variants (→ catalog items, one per normalised SKU) and their
 *   available per location (→ InventoryLevel) from the record. Variants without SKU are listed but not
 *   items; a SKU used twice on Shopify keeps the first variant and marks the other `duplicate_sku`.
 * - `linkWooChannel`: reads every listing of a WooCommerce store and matches it by SKU (sku.ts), keeping
 *   the store's current quantity as the listing's baseline. Returns the match report.
 */
import prisma from "../db.server";
import { matchListings, normalizeSku, type MatchStatus } from "./sku";
import { shopifyForShop, wooForChannel } from "./stores.server";
import { recordLevel } from "./levels.server";
import type { ChannelListing } from "../channels/channel";

export interface CatalogImportReport {
  locations: number;
  variants: number;
  items: number;
  duplicates: string[];
  withoutSku: number;
}

/** Imports the shop's Shopify catalog (idempotent; safe to re-run as a refresh). */
export async function importShopifyCatalog(shopId: string): Promise<CatalogImportReport> {
  const { shop, adapter } = await shopifyForShop(shopId);
  const channel = await prisma.channel.findFirstOrThrow({ where: { shopId, kind: "shopify" } });
  const locations = await adapter.listLocations();
  for (const loc of locations) {
    await prisma.location.upsert({
      where: { shopId_gid: { shopId, gid: loc.id } },
      create: { shopId, gid: loc.id, name: loc.name, isActive: loc.isActive },
      update: { name: loc.name, isActive: loc.isActive },
    });
  }
  const report: CatalogImportReport = { locations: locations.length, variants: 0, items: 0, duplicates: [], withoutSku: 0 };
  const seen = new Map<string, string>(); // skuKey → variant id
  const observedAt = new Date();
  for await (const page of adapter.listListings()) {
    for (const v of page) {
      report.variants++;
      const skuKey = normalizeSku(v.sku);
      let status: MatchStatus = "linked";
      if (!skuKey) {
        report.withoutSku++;
        status = "no_sku";
      } else if (seen.has(skuKey) && seen.get(skuKey) !== v.externalId) {
        report.duplicates.push(v.sku!);
        status = "duplicate_sku";
      } else if (!v.manageStock) {
        status = "not_stocked";
      }
      let itemId: string | null = null;
      if (skuKey && status !== "duplicate_sku") {
        seen.set(skuKey, v.externalId);
        const item = await prisma.catalogItem.upsert({
          where: { shopId_skuKey: { shopId, skuKey } },
          create: { shopId, sku: v.sku!.trim(), skuKey, title: v.title, inventoryItemId: v.inventoryItemId ?? null, tracked: v.manageStock },
          update: { title: v.title, inventoryItemId: v.inventoryItemId ?? null, tracked: v.manageStock },
        });
        itemId = item.id;
        report.items++;
        if (v.manageStock && v.quantitiesByLocation) {
          await prisma.$transaction(async (tx) => {
            for (const [locationGid, available] of Object.entries(v.quantitiesByLocation!)) {
              await recordLevel(tx, { shopId, itemId: item.id, locationGid, available, observedAt });
            }
          });
        }
      }
      await upsertListing(shopId, channel.id, v, itemId, status);
    }
  }
  await prisma.shop.update({ where: { id: shopId }, data: { name: shop.name ?? shop.domain } });
  await prisma.channel.update({ where: { id: channel.id }, data: { lastSyncAt: new Date(), status: "active", statusReason: null } });
  return report;
}

async function upsertListing(shopId: string, channelId: string, l: ChannelListing, itemId: string | null, matchStatus: MatchStatus, baseline?: number | null) {
  const data = {
    itemId, productId: l.productId, variantId: l.variantId, inventoryItemId: l.inventoryItemId ?? null, sku: l.sku, title: l.title,
    productType: l.productType, manageStock: l.manageStock, matchStatus, lastObservedQuantity: l.quantity, lastObservedAt: new Date(),
    lastSourceModifiedAt: l.modifiedAt ? new Date(l.modifiedAt) : null,
  };
  await prisma.listing.upsert({
    where: { channelId_externalId: { channelId, externalId: l.externalId } },
    create: { shopId, channelId, externalId: l.externalId, ...data, lastWrittenQuantity: baseline ?? null },
    update: data,
  });
}

export interface LinkReport {
  listings: number;
  linked: number;
  unmatched: { sku: string | null; title: string; reason: string }[];
  duplicates: { sku: string | null; title: string; reason: string }[];
  notStocked: { sku: string | null; title: string; reason: string }[];
  noSku: number;
  linkedItemIds: string[];
}

/**
 * Reads a WooCommerce store's catalog and links its listings to the shop's items by SKU.
 * A listing's first observed quantity becomes its baseline (what the store shows now).
 */
export async function linkWooChannel(shopId: string, channelId: string): Promise<LinkReport> {
  const { adapter } = await wooForChannel(shopId, channelId);
  const items = await prisma.catalogItem.findMany({ where: { shopId }, select: { id: true, skuKey: true } });
  const all: ChannelListing[] = [];
  for await (const page of adapter.listListings()) all.push(...page);
  const results = matchListings(items, all);
  const report: LinkReport = { listings: all.length, linked: 0, unmatched: [], duplicates: [], notStocked: [], noSku: 0, linkedItemIds: [] };
  for (const r of results) {
    const existing = await prisma.listing.findUnique({ where: { channelId_externalId: { channelId, externalId: r.listing.externalId } } });
    await upsertListing(shopId, channelId, r.listing, r.status === "linked" ? r.itemId : null, r.status, existing?.lastWrittenQuantity ?? r.listing.quantity);
    const entry = { sku: r.listing.sku, title: r.listing.title, reason: r.reason ?? "" };
    if (r.status === "linked") {
      report.linked++;
      report.linkedItemIds.push(r.itemId!);
    } else if (r.status === "unmatched") report.unmatched.push(entry);
    else if (r.status === "duplicate_sku") report.duplicates.push(entry);
    else if (r.status === "not_stocked") report.notStocked.push(entry);
    else report.noSku++;
  }
  await prisma.channel.update({ where: { id: channelId }, data: { lastSyncAt: new Date() } });
  return report;
}
