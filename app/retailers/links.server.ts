/**
 * Retailer Shopify shops linked to a central shop (issue 14 item 4, docs/decisions/195).
 *
 * A retailer installs SyncFlow on its own Shopify shop and links it to the central shop (which holds the stock)
 * with a one-time connection code made in the central shop. The code follows the WooCommerce registration rules
 * and reuses their code (app/sync/stores/registration.server.ts: 160 bits, stored as a SHA-256 hash, single use, valid
 * 15 minutes, burned after `MAX_FAILED_ATTEMPTS` failed uses, attempts rate-limited); it carries the purpose
 * "retailer", so a WooCommerce code cannot link a retailer.
 *
 * Once linked, the retailer is a sales channel of the central shop: a `Channel` row of kind "shopify_retailer" on
 * the central shop (feed locations, sales location, status, last sync and allocations live there as for a
 * WooCommerce store) plus a `RetailerLink` row with what only a retailer has (which of its locations SyncFlow
 * writes, inventory sync on/off, the orders-hub settings of issue 15).
 *
 * Roles: a shop is either a central shop or a retailer of ONE central shop. A linked retailer cannot make codes;
 * a shop with connected sales channels (WooCommerce stores or retailers) cannot become a retailer.
 * Tenant isolation: every read and write here is scoped by the calling shop's id — the central shop sees and
 * changes only its own retailers, a retailer only its own link.
 */
import prisma from "../db.server";
import type { Prisma } from "@prisma/client";
import { encryptJson, sha256Hex } from "../lib/crypto.server";
import {
  createConnectionCode,
  limitRegistration,
  MAX_FAILED_ATTEMPTS,
  normalizeCode,
} from "../sync/stores/registration.server";
import { recordForShop } from "../sync/stores/stores.server";
import { assertCanConnectChannel, PlanLimitError } from "../billing/billing.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { queueInitialPushes } from "../sync/stores/link.server";
import { RETAILER_KIND } from "../channels/channel";

/**
 * The retailer channel's stored connection (`Channel.credentialsEnc`, encrypted like every store's): the retailer's
 * domain and the location SyncFlow writes (null while inventory sync is off or no location is chosen). No token: the
 * adapter takes the retailer's own offline session each time (decision 196).
 */
export const retailerConnection = (domain: string, locationId: string | null, syncInventory: boolean): string =>
  encryptJson({ shop: domain, locationId: syncInventory ? locationId : null });

/** `Channel.baseUrl` of a retailer: its myshopify address (unique per central shop, like a store URL). */
export const retailerBaseUrl = (domain: string): string => `https://${domain}`;

/** A refused retailer action: `status` is the HTTP status the route answers, `code` a stable machine name. */
export class RetailerLinkError extends Error {
  constructor(
    readonly status: number,
    readonly code:
      "invalid_code" | "rate_limited" | "plan_limit" | "role_conflict" | "already_linked" | "not_found" | "bad_request",
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "RetailerLinkError";
  }
}

const INVALID_CODE =
  "This connection code is not valid. Ask the central shop for a new retailer code (SyncFlow → Channels → Retailer Shopify stores).";

/** The role of a shop in SyncFlow: "retailer" while linked to a central shop, else "central". */
export type ShopRole =
  | { role: "central" }
  | { role: "retailer"; centralShopId: string; centralDomain: string; centralName: string | null; linkId: string };

/** Whether `shopId` is a linked retailer (and of which central shop) or a central shop. */
export async function shopRole(shopId: string, db: Prisma.TransactionClient = prisma): Promise<ShopRole> {
  const link = await db.retailerLink.findFirst({
    where: { retailerShopId: shopId, status: "linked" },
    select: { id: true, centralShopId: true, centralShop: { select: { domain: true, name: true } } },
  });
  if (!link) return { role: "central" };
  return {
    role: "retailer",
    centralShopId: link.centralShopId,
    centralDomain: link.centralShop.domain,
    centralName: link.centralShop.name,
    linkId: link.id,
  };
}

/**
 * Makes a one-time retailer connection code for the central shop `centralShopId` (shown once; hash stored).
 * Throws RetailerLinkError 409 role_conflict when the shop is itself a linked retailer.
 */
export async function createRetailerCode(centralShopId: string): Promise<{ code: string; expiresAt: Date }> {
  if ((await shopRole(centralShopId)).role === "retailer") {
    throw new RetailerLinkError(
      409,
      "role_conflict",
      "This shop is a retailer of another shop; only a central shop can invite retailers. Unlink it first.",
    );
  }
  const made = await createConnectionCode(centralShopId);
  // The shared code maker writes WooCommerce codes; mark this one as a retailer code (same row, same hash).
  await prisma.connectionCode.update({
    where: { codeHash: sha256Hex(normalizeCode(made.code)) },
    data: { purpose: "retailer" },
  });
  return made;
}

export interface LinkResult {
  linkId: string;
  channelId: string;
  centralShopId: string;
  centralDomain: string;
  /** True when this retailer had been linked to the same central shop before (its listings and history are kept). */
  relinked: boolean;
}

/**
 * Links the retailer shop `retailerShopId` (the shop of the admin session that entered the code) to the central
 * shop that made `code`.
 * Rate limit: attempts per retailer shop share the registration limiter (SYNCFLOW_REGISTER_ATTEMPTS per 15 min).
 * Throws RetailerLinkError: 401 invalid_code (unknown, expired, used, burned, WooCommerce or own code — one message;
 * each use of a valid code that is refused counts toward burning it), 429 rate_limited, 402 plan_limit (the
 * central shop's plan has no room; the code stays valid), 409 role_conflict (this shop has sales channels of its
 * own, or the central shop is itself a retailer), 409 already_linked (linked to another central shop: unlink first).
 */
export async function linkRetailer(retailerShopId: string, code: string): Promise<LinkResult> {
  const retailer = await prisma.shop.findUnique({
    where: { id: retailerShopId },
    select: { id: true, domain: true, name: true, uninstalledAt: true },
  });
  if (!retailer || retailer.uninstalledAt)
    throw new RetailerLinkError(404, "not_found", "This shop has no SyncFlow installation.");
  try {
    await limitRegistration(`retailer-shop:${retailer.domain}`);
  } catch (err) {
    const e = err as { status?: number; message?: string; headers?: Record<string, string> };
    if (e.status === 429)
      throw new RetailerLinkError(429, "rate_limited", e.message ?? "Too many attempts.", e.headers ?? {});
    throw err;
  }
  const row = await prisma.connectionCode.findUnique({
    where: { codeHash: sha256Hex(normalizeCode(code)) },
    include: { shop: true },
  });
  if (
    !row ||
    row.purpose !== "retailer" ||
    row.usedAt ||
    row.expiresAt < new Date() ||
    row.shop.uninstalledAt ||
    row.failedAttempts >= MAX_FAILED_ATTEMPTS
  ) {
    throw new RetailerLinkError(401, "invalid_code", INVALID_CODE);
  }
  const refuse = async (err: RetailerLinkError): Promise<never> => {
    await burnAttempt(row.id);
    throw err;
  };
  if (row.shopId === retailer.id) await refuse(new RetailerLinkError(401, "invalid_code", INVALID_CODE));
  if ((await shopRole(row.shopId)).role === "retailer") {
    await refuse(
      new RetailerLinkError(
        409,
        "role_conflict",
        "The shop that made this code is itself a retailer of another shop and cannot take retailers.",
      ),
    );
  }
  const ownChannels = await prisma.channel.count({
    where: { shopId: retailer.id, kind: { not: "shopify" }, status: { not: "disconnected" } },
  });
  if (ownChannels > 0) {
    await refuse(
      new RetailerLinkError(
        409,
        "role_conflict",
        `This shop has ${ownChannels} sales channel${ownChannels === 1 ? "" : "s"} of its own (it is a central shop). Disconnect them before linking it as a retailer.`,
      ),
    );
  }
  const existing = await prisma.retailerLink.findUnique({
    where: { retailerShopId: retailer.id },
    include: { centralShop: { select: { domain: true } } },
  });
  if (existing?.status === "linked" && existing.centralShopId !== row.shopId) {
    await refuse(
      new RetailerLinkError(
        409,
        "already_linked",
        `This shop is linked to ${existing.centralShop.domain}. Unlink it there or here before linking it to another shop.`,
      ),
    );
  }

  const centralShopId = row.shopId;
  const baseUrl = retailerBaseUrl(retailer.domain);
  const salesLocation = await prisma.location.findFirst({
    where: { shopId: centralShopId, isActive: true },
    orderBy: { gid: "asc" },
    select: { gid: true },
  });
  const relinked = !!existing && existing.centralShopId === centralShopId;
  const result = await prisma.$transaction(async (tx) => {
    const { count } = await tx.connectionCode.updateMany({
      where: { id: row.id, usedAt: null },
      data: { usedAt: new Date() },
    });
    if (count !== 1) throw new RetailerLinkError(401, "invalid_code", INVALID_CODE);
    try {
      await assertCanConnectChannel(centralShopId, baseUrl, tx);
    } catch (err) {
      if (err instanceof PlanLimitError)
        throw new RetailerLinkError(402, "plan_limit", err.message, { Link: `<${err.upgradeUrl}>; rel="payment"` });
      throw err;
    }
    // Same central shop again: the channel row (listings, orders, ledger, allocations) comes back as it was.
    const channel = await tx.channel.upsert({
      where: { shopId_baseUrl: { shopId: centralShopId, baseUrl } },
      create: {
        shopId: centralShopId,
        kind: RETAILER_KIND,
        name: retailer.name ?? retailer.domain,
        baseUrl,
        status: "active",
        mode: "exact",
        salesLocationId: salesLocation?.gid ?? null,
        credentialsEnc: retailerConnection(retailer.domain, null, false),
      },
      update: {
        kind: RETAILER_KIND,
        name: retailer.name ?? retailer.domain,
        status: "active",
        statusReason: null,
        mode: "exact",
      },
    });
    const link = await tx.retailerLink.upsert({
      where: { retailerShopId: retailer.id },
      create: { centralShopId, retailerShopId: retailer.id, channelId: channel.id },
      update: {
        centralShopId,
        channelId: channel.id,
        status: "linked",
        linkedAt: new Date(),
        unlinkedAt: null,
        // Another central shop: its locations and settings do not carry over.
        ...(relinked ? {} : { retailerLocationId: null }),
      },
    });
    // Relinking: what the retailer shows may have changed while it was unlinked (its own sales and edits), so no
    // baseline from before is trusted — the first push after linking starts from what the retailer shows now.
    if (existing)
      await tx.listing.updateMany({
        where: { channelId: channel.id, inFlightPushSeq: null },
        data: { lastWrittenQuantity: null },
      });
    await tx.connectionCode.update({ where: { id: row.id }, data: { channelId: channel.id } });
    await tx.channel.update({
      where: { id: channel.id },
      data: { credentialsEnc: retailerConnection(retailer.domain, link.retailerLocationId, link.syncInventory) },
    });
    return { link, channel };
  });

  // The retailer location SyncFlow writes: kept on relink, else the retailer's first active location (by GID).
  if (!result.link.retailerLocationId) await chooseDefaultLocation(result.link.id, retailer.id, result.channel.id);
  await enqueue(
    QUEUES.linkChannel,
    { shopId: centralShopId, channelId: result.channel.id },
    { singletonKey: `link:${result.channel.id}` },
  );
  // Relinked: its listings are already linked, so catch the retailer up now rather than after the link job (a link job
  // queued while it was disconnected may be waiting out a retry). Without baselines, pushes start from what was observed.
  if (relinked) await queueInitialPushes(centralShopId, result.channel.id);
  return {
    linkId: result.link.id,
    channelId: result.channel.id,
    centralShopId,
    centralDomain: row.shop.domain,
    relinked,
  };
}

/** One failed use of a valid code; at MAX_FAILED_ATTEMPTS the code is burned (as WooCommerce registration does). */
async function burnAttempt(codeId: string): Promise<void> {
  const r = await prisma.connectionCode.update({
    where: { id: codeId },
    data: { failedAttempts: { increment: 1 } },
    select: { failedAttempts: true },
  });
  if (r.failedAttempts >= MAX_FAILED_ATTEMPTS)
    await prisma.connectionCode.updateMany({ where: { id: codeId, usedAt: null }, data: { usedAt: new Date() } });
}

/** Picks the retailer's first active location; when Shopify cannot be asked, the channel is marked degraded with the reason. */
async function chooseDefaultLocation(linkId: string, retailerShopId: string, channelId: string): Promise<void> {
  try {
    const { adapter } = await recordForShop(retailerShopId);
    const locations = (await adapter.listLocations())
      .filter((l) => l.isActive !== false)
      .sort((a, b) => a.id.localeCompare(b.id));
    if (locations[0]) {
      const link = await prisma.retailerLink.update({
        where: { id: linkId },
        data: { retailerLocationId: locations[0].id },
        include: { retailerShop: { select: { domain: true } } },
      });
      await prisma.channel.update({
        where: { id: channelId },
        data: {
          credentialsEnc: retailerConnection(link.retailerShop.domain, link.retailerLocationId, link.syncInventory),
        },
      });
    } else
      await prisma.channel.update({
        where: { id: channelId },
        data: { status: "degraded", statusReason: "The retailer shop has no active location to write stock to." },
      });
  } catch (err) {
    await prisma.channel.update({
      where: { id: channelId },
      data: {
        status: "degraded",
        statusReason: `Retailer locations could not be read: ${(err as Error).message}`.slice(0, 500),
      },
    });
  }
}

/**
 * Unlinks a retailer. `actingShopId` is the shop of the admin session: the central shop (any of its retailers, by
 * `linkId`) or the retailer itself (its own link). The channel becomes "disconnected" (no more writes, its webhooks
 * are ignored); listings, orders, ledger and settings stay, so relinking to the same central shop loses nothing.
 * Throws RetailerLinkError 404 when the link is not the acting shop's.
 */
export async function unlinkRetailer(actingShopId: string, linkId: string): Promise<void> {
  const link = await prisma.retailerLink.findFirst({
    where: { id: linkId, OR: [{ centralShopId: actingShopId }, { retailerShopId: actingShopId }] },
  });
  if (!link) throw new RetailerLinkError(404, "not_found", "No such retailer link for this shop.");
  await prisma.$transaction([
    prisma.retailerLink.update({ where: { id: link.id }, data: { status: "unlinked", unlinkedAt: new Date() } }),
    prisma.channel.update({
      where: { id: link.channelId },
      data: { status: "disconnected", statusReason: "Retailer unlinked" },
    }),
  ]);
}

/** Retailer settings the central shop edits. Quantities in units; hours in hours. */
export interface RetailerSettingsInput {
  retailerLocationId?: string;
  feedLocationIds?: string[];
  salesLocationId?: string;
  syncInventory?: boolean;
  importOrders?: boolean;
  pushFulfilments?: boolean;
  orderLookbackHours?: number;
  fulfilmentLookbackHours?: number;
  orderTags?: string[];
  orderNote?: string | null;
}

/**
 * Saves a retailer's settings (central shop only). Locations are checked: feed and sales locations must be the
 * central shop's own active locations, the retailer location one of the retailer shop's (read from Shopify).
 * Look-back hours 1–720; up to 10 tags of ≤ 40 characters; a note of ≤ 500 characters.
 * Throws RetailerLinkError 404 (not this shop's retailer) or 400 bad_request with the reason.
 */
export async function updateRetailerSettings(
  centralShopId: string,
  linkId: string,
  input: RetailerSettingsInput,
): Promise<void> {
  const link = await prisma.retailerLink.findFirst({
    where: { id: linkId, centralShopId },
    include: { retailerShop: { select: { domain: true } } },
  });
  if (!link) throw new RetailerLinkError(404, "not_found", "No such retailer for this shop.");
  const bad = (m: string) => new RetailerLinkError(400, "bad_request", m);
  const central = new Set(
    (await prisma.location.findMany({ where: { shopId: centralShopId, isActive: true }, select: { gid: true } })).map(
      (l) => l.gid,
    ),
  );
  for (const gid of [...(input.feedLocationIds ?? []), ...(input.salesLocationId ? [input.salesLocationId] : [])]) {
    if (!central.has(gid)) throw bad(`${gid} is not an active location of this shop.`);
  }
  if (input.retailerLocationId !== undefined) {
    const { adapter } = await recordForShop(link.retailerShopId);
    const ids = new Set((await adapter.listLocations()).filter((l) => l.isActive !== false).map((l) => l.id));
    if (!ids.has(input.retailerLocationId))
      throw bad(`${input.retailerLocationId} is not an active location of the retailer shop.`);
  }
  for (const h of [input.orderLookbackHours, input.fulfilmentLookbackHours]) {
    if (h !== undefined && (!Number.isInteger(h) || h < 1 || h > 720))
      throw bad("Look-back hours must be a whole number from 1 to 720.");
  }
  const tags = input.orderTags?.map((t) => t.trim()).filter(Boolean);
  if (tags && (tags.length > 10 || tags.some((t) => t.length > 40 || t.includes(","))))
    throw bad("Up to 10 tags of at most 40 characters, without commas.");
  if (input.orderNote && input.orderNote.length > 500) throw bad("The note is at most 500 characters.");
  await prisma.$transaction([
    prisma.retailerLink.update({
      where: { id: link.id },
      data: {
        retailerLocationId: input.retailerLocationId,
        syncInventory: input.syncInventory,
        importOrders: input.importOrders,
        pushFulfilments: input.pushFulfilments,
        orderLookbackHours: input.orderLookbackHours,
        fulfilmentLookbackHours: input.fulfilmentLookbackHours,
        orderTags: tags,
        orderNote: input.orderNote === undefined ? undefined : input.orderNote?.trim() || null,
      },
    }),
    prisma.channel.update({
      where: { id: link.channelId },
      data: {
        feedLocationIds: input.feedLocationIds,
        salesLocationId: input.salesLocationId,
        credentialsEnc: retailerConnection(
          link.retailerShop.domain,
          input.retailerLocationId ?? link.retailerLocationId,
          input.syncInventory ?? link.syncInventory,
        ),
      },
    }),
  ]);
}

/** One retailer as the central shop's admin lists it. */
export interface RetailerRow {
  linkId: string;
  channelId: string;
  domain: string;
  name: string;
  status: string;
  channelStatus: string;
  statusReason: string | null;
  retailerLocationId: string | null;
  feedLocationIds: string[];
  salesLocationId: string | null;
  syncInventory: boolean;
  importOrders: boolean;
  pushFulfilments: boolean;
  orderLookbackHours: number;
  fulfilmentLookbackHours: number;
  orderTags: string[];
  orderNote: string | null;
  linkedAt: Date;
  lastSyncAt: Date | null;
  linked: number;
  unlinkedItems: number;
}

/** The central shop's retailers (linked first, then unlinked ones kept for relinking), with listing counts. */
export async function listRetailers(centralShopId: string): Promise<RetailerRow[]> {
  const links = await prisma.retailerLink.findMany({
    where: { centralShopId },
    include: { channel: true, retailerShop: { select: { domain: true, name: true } } },
    orderBy: [{ status: "asc" }, { linkedAt: "asc" }],
  });
  const counts = await listingCounts(links.map((l) => l.channelId));
  return links.map((l) => ({
    linkId: l.id,
    channelId: l.channelId,
    domain: l.retailerShop.domain,
    name: l.channel.name,
    status: l.status,
    channelStatus: l.channel.status,
    statusReason: l.channel.statusReason,
    retailerLocationId: l.retailerLocationId,
    feedLocationIds: l.channel.feedLocationIds,
    salesLocationId: l.channel.salesLocationId,
    syncInventory: l.syncInventory,
    importOrders: l.importOrders,
    pushFulfilments: l.pushFulfilments,
    orderLookbackHours: l.orderLookbackHours,
    fulfilmentLookbackHours: l.fulfilmentLookbackHours,
    orderTags: l.orderTags,
    orderNote: l.orderNote,
    linkedAt: l.linkedAt,
    lastSyncAt: l.channel.lastSyncAt,
    linked: counts.get(l.channelId)?.linked ?? 0,
    unlinkedItems: counts.get(l.channelId)?.other ?? 0,
  }));
}

async function listingCounts(channelIds: string[]): Promise<Map<string, { linked: number; other: number }>> {
  const out = new Map<string, { linked: number; other: number }>();
  if (!channelIds.length) return out;
  const groups = await prisma.listing.groupBy({
    by: ["channelId", "matchStatus"],
    where: { channelId: { in: channelIds } },
    _count: { _all: true },
  });
  for (const g of groups) {
    const c = out.get(g.channelId) ?? { linked: 0, other: 0 };
    if (g.matchStatus === "linked") c.linked += g._count._all;
    else if (g.matchStatus !== "not_stocked") c.other += g._count._all;
    out.set(g.channelId, c);
  }
  return out;
}

/** What a retailer's own admin page shows: its central shop, what is synced, last sync and its unlinked items. */
export interface RetailerOverview {
  linkId: string;
  status: string;
  centralDomain: string;
  centralName: string | null;
  channelStatus: string;
  statusReason: string | null;
  syncInventory: boolean;
  retailerLocationId: string | null;
  importOrders: boolean;
  pushFulfilments: boolean;
  linkedAt: Date;
  lastSyncAt: Date | null;
  linked: number;
  /** Up to 50 of the retailer's variants SyncFlow could not link (no SKU, SKU unknown to the central shop, duplicates). */
  unlinkedItems: { title: string; sku: string | null; reason: string }[];
  unlinkedCount: number;
}

/** The retailer's own view of its link, or null when the shop is not (and never was) a retailer. */
export async function retailerOverview(retailerShopId: string): Promise<RetailerOverview | null> {
  const link = await prisma.retailerLink.findUnique({
    where: { retailerShopId },
    include: { channel: true, centralShop: { select: { domain: true, name: true } } },
  });
  if (!link) return null;
  const counts = await listingCounts([link.channelId]);
  const unlinked = await prisma.listing.findMany({
    where: { channelId: link.channelId, matchStatus: { notIn: ["linked", "not_stocked"] } },
    select: { title: true, sku: true, matchStatus: true },
    orderBy: { title: "asc" },
    take: 50,
  });
  return {
    linkId: link.id,
    status: link.status,
    centralDomain: link.centralShop.domain,
    centralName: link.centralShop.name,
    channelStatus: link.channel.status,
    statusReason: link.channel.statusReason,
    syncInventory: link.syncInventory,
    retailerLocationId: link.retailerLocationId,
    importOrders: link.importOrders,
    pushFulfilments: link.pushFulfilments,
    linkedAt: link.linkedAt,
    lastSyncAt: link.channel.lastSyncAt,
    linked: counts.get(link.channelId)?.linked ?? 0,
    unlinkedItems: unlinked.map((l) => ({ title: l.title, sku: l.sku, reason: l.matchStatus })),
    unlinkedCount: counts.get(link.channelId)?.other ?? 0,
  };
}

/**
 * The linked retailer channel a Shopify webhook from `domain` belongs to, or null when `domain` is not a linked
 * retailer (webhook intake: the retailer's stock and order webhooks are the central shop's sales-channel events).
 */
export async function linkedRetailerByDomain(domain: string): Promise<{
  centralShopId: string;
  channelId: string;
  retailerShopId: string;
  retailerLocationId: string | null;
  syncInventory: boolean;
} | null> {
  const link = await prisma.retailerLink.findFirst({
    where: { status: "linked", retailerShop: { domain } },
    select: {
      centralShopId: true,
      channelId: true,
      retailerShopId: true,
      retailerLocationId: true,
      syncInventory: true,
    },
  });
  return link;
}
