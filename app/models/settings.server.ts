/**
 * Settings of a shop (app/routes/app.settings._index.tsx): per sales channel (WooCommerce store, retailer Shopify
 * shop) the feed locations,
 * sales location, buffer, conflict policy and low-stock threshold (mode is shown, not editable: it
 * follows the store's capabilities); shop-wide reconciliation interval and low-stock threshold.
 * Validation returns field errors with what to fix. Every query filters on shopId.
 */
import { z } from "zod";
import prisma from "../db.server";
import { SALES_CHANNELS, kindLabel } from "./sales-channels.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { canAllocate, readThenSetKind } from "../sync/allocation/allocation-terms";

import { RECONCILE_CHOICES } from "../lib/page-constants";

export { RECONCILE_CHOICES };

/** Settings as the form edits them. */
export interface SettingsForm {
  reconcileEveryMin: number;
  lowStockThreshold: number;
  stores: {
    id: string;
    feedLocationIds: string[];
    salesLocationId: string | null;
    bufferUnits: number;
    bufferPercent: number;
    conflictPolicy: "shopify_wins" | "review";
    lowStockThreshold: number | null;
    /** Exact allocations (docs/decisions/008); stores in exact mode and set-only marketplaces (decision 300). */
    allocationEnabled: boolean;
  }[];
}

/** The settings page data. */
export async function getSettings(shopId: string) {
  const [shop, channels, locations, lastReconcile] = await Promise.all([
    prisma.shop.findUniqueOrThrow({
      where: { id: shopId },
      select: { reconcileEveryMin: true, lowStockThreshold: true },
    }),
    prisma.channel.findMany({
      where: { shopId, ...SALES_CHANNELS },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        kind: true,
        name: true,
        baseUrl: true,
        mode: true,
        status: true,
        feedLocationIds: true,
        salesLocationId: true,
        bufferUnits: true,
        bufferPercent: true,
        conflictPolicy: true,
        lowStockThreshold: true,
        allocationEnabled: true,
      },
    }),
    prisma.location.findMany({
      where: { shopId, isActive: true },
      orderBy: { name: "asc" },
      select: { gid: true, name: true },
    }),
    prisma.syncRun.findFirst({
      where: { shopId, kind: "reconcile" },
      orderBy: { startedAt: "desc" },
      select: { id: true, status: true, startedAt: true, dryRun: true },
    }),
  ]);
  const form: SettingsForm = {
    reconcileEveryMin: shop.reconcileEveryMin,
    lowStockThreshold: shop.lowStockThreshold,
    stores: channels.map((c) => ({
      id: c.id,
      feedLocationIds: c.feedLocationIds,
      salesLocationId: c.salesLocationId,
      bufferUnits: c.bufferUnits,
      bufferPercent: c.bufferPercent,
      conflictPolicy: c.conflictPolicy === "review" ? "review" : "shopify_wins",
      lowStockThreshold: c.lowStockThreshold,
      allocationEnabled: c.allocationEnabled,
    })),
  };
  return {
    form,
    stores: channels.map((c) => ({
      id: c.id,
      name: c.name,
      kindLabel: kindLabel(c.kind),
      baseUrl: c.baseUrl,
      mode: c.mode,
      status: c.status,
      /** Whether the store can hold allocations: exact mode, or a set-only read-then-set marketplace (decision 300). */
      canAllocate: canAllocate(c),
      /** A set-only marketplace whose allocation steps are a fresh read then a set (decision 300). */
      readThenSet: readThenSetKind(c.kind),
    })),
    locations,
    lastReconcile: lastReconcile ? { ...lastReconcile, startedAt: lastReconcile.startedAt.toISOString() } : null,
  };
}

const storeSchema = z.object({
  id: z.string().min(1),
  feedLocationIds: z.array(z.string()).max(50),
  salesLocationId: z.string().nullable(),
  bufferUnits: z
    .number()
    .int("Buffer units must be a whole number")
    .min(0, "Buffer units cannot be negative")
    .max(100_000),
  bufferPercent: z
    .number()
    .int("Buffer percent must be a whole number")
    .min(0, "Buffer percent must be 0–100")
    .max(100, "Buffer percent must be 0–100"),
  conflictPolicy: z.enum(["shopify_wins", "review"]),
  lowStockThreshold: z.number().int().min(0).max(100_000).nullable(),
  allocationEnabled: z.boolean().default(false),
});
const formSchema = z.object({
  reconcileEveryMin: z
    .number()
    .refine((n) => (RECONCILE_CHOICES as readonly number[]).includes(n), "Pick one of the listed intervals"),
  lowStockThreshold: z
    .number()
    .int("Low-stock threshold must be a whole number")
    .min(0, "Low-stock threshold cannot be negative")
    .max(100_000),
  stores: z.array(storeSchema).max(100),
});

/**
 * Validates and saves `input` for `shopId`. Locations must be the shop's; stores must be the shop's.
 * @returns field errors (path → message) or ok.
 */
export async function saveSettings(
  shopId: string,
  input: unknown,
): Promise<{ ok: true } | { ok: false; errors: Record<string, string> }> {
  const parsed = formSchema.safeParse(input);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) errors[issue.path.join(".")] ??= issue.message;
    return { ok: false, errors };
  }
  const f = parsed.data;
  const [locations, channels] = await Promise.all([
    prisma.location.findMany({ where: { shopId }, select: { gid: true } }),
    prisma.channel.findMany({
      where: { shopId, ...SALES_CHANNELS },
      select: { id: true, kind: true, mode: true, allocationEnabled: true, bufferUnits: true, bufferPercent: true },
    }),
  ]);
  const gids = new Set(locations.map((l) => l.gid));
  const ids = new Set(channels.map((c) => c.id));
  const errors: Record<string, string> = {};
  f.stores.forEach((s, i) => {
    if (!ids.has(s.id)) errors[`stores.${i}.id`] = "This store is no longer connected. Reload the page.";
    if (s.salesLocationId && !gids.has(s.salesLocationId))
      errors[`stores.${i}.salesLocationId`] = "Pick one of your Shopify locations.";
    if (s.feedLocationIds.some((g) => !gids.has(g)))
      errors[`stores.${i}.feedLocationIds`] = "Pick your Shopify locations only.";
    if (!s.salesLocationId)
      errors[`stores.${i}.salesLocationId`] = "Pick the location that absorbs this store's sales.";
    const ch = channels.find((c) => c.id === s.id);
    if (s.allocationEnabled && ch && !canAllocate(ch))
      errors[`stores.${i}.allocationEnabled`] = "Reserving stock needs the SyncFlow plugin on the store (exact mode).";
  });
  if (Object.keys(errors).length) return { ok: false, errors };
  await prisma.$transaction([
    prisma.shop.update({
      where: { id: shopId },
      data: { reconcileEveryMin: f.reconcileEveryMin, lowStockThreshold: f.lowStockThreshold },
    }),
    ...f.stores.map((s) =>
      prisma.channel.updateMany({
        where: { id: s.id, shopId },
        data: {
          feedLocationIds: s.feedLocationIds,
          salesLocationId: s.salesLocationId,
          bufferUnits: s.bufferUnits,
          bufferPercent: s.bufferPercent,
          // A buffer the merchant changed is theirs: a later mode change keeps it (decision 133).
          ...(channels.some(
            (c) => c.id === s.id && (c.bufferUnits !== s.bufferUnits || c.bufferPercent !== s.bufferPercent),
          )
            ? { bufferSource: "merchant" }
            : {}),
          conflictPolicy: s.conflictPolicy,
          lowStockThreshold: s.lowStockThreshold,
          allocationEnabled: s.allocationEnabled,
        },
      }),
    ),
  ]);
  // Switching reservations on requests a rebalance of every linked item of the store (its migration, in the drainer's
  // rounds: the listings are already linked, so the store's catalog is not read again — decision 318); switching them
  // off re-links the store, which queues the pushes of its derived quantities.
  const toggled = f.stores.filter(
    (s) => channels.find((c) => c.id === s.id)?.allocationEnabled !== s.allocationEnabled,
  );
  for (const s of toggled)
    if (s.allocationEnabled) await enqueue(QUEUES.initialPushCheck, { shopId, channelId: s.id });
    else await enqueue(QUEUES.linkChannel, { shopId, channelId: s.id }, { singletonKey: `link:${s.id}` });
  return { ok: true };
}
