/**
 * Daily inventory value at cost (issue 18; decision 289). Shopify exposes only the CURRENT `InventoryItem.unitCost`
 * (https://shopify.dev/docs/api/admin-graphql/2026-10/objects/InventoryItem), so history exists only as SyncFlow's own
 * snapshot: once per local day (shop time zone), from the first `analytics-tick` after install, each tracked item's
 * Shopify available (summed over locations, the hub's cache of the record; negative counts as 0) and its unit cost
 * read through the record adapter (`readUnitCosts`). Value = Σ available × unit cost, per cost currency; items without
 * a cost are counted apart (`itemsWithoutCost`), never valued at 0 silently.
 */
import { Prisma } from "@prisma/client";
import prisma from "../db.server";
import { recordForShop } from "../sync/stores/stores.server";
import type { UnitCost } from "../channels/record";
import { localDay, shopTimeZone } from "./rollups.server";

/** Currency label of the items without a unit cost in InventoryValueDay. */
export const NO_COST = "—";

/**
 * Takes (or retakes) the snapshot of local day `day` (default: today in the shop's zone) with `costs` (default: read
 * from the record). Replaces that day's rows. @returns items snapshotted
 * @throws ChannelError from the record read (the job retries)
 */
export async function snapshotInventoryValue(
  shopId: string,
  opts: { day?: string; costs?: Map<string, UnitCost | null> } = {},
): Promise<number> {
  const tz = await shopTimeZone(shopId);
  const day = opts.day ?? localDay(tz);
  const items = await prisma.$queryRaw<{ id: string; inventory_item_id: string | null; available: number }[]>`
    SELECT ci.id, ci."inventoryItemId" AS inventory_item_id, GREATEST(COALESCE(sum(il.available), 0), 0)::int AS available
    FROM "CatalogItem" ci LEFT JOIN "InventoryLevel" il ON il."itemId" = ci.id
    WHERE ci."shopId" = ${shopId} AND ci.tracked AND ci."inventoryItemId" IS NOT NULL
    GROUP BY ci.id`;
  let costs = opts.costs;
  if (!costs) {
    const { adapter } = await recordForShop(shopId);
    costs = await adapter.readUnitCosts(items.map((i) => i.inventory_item_id!));
  }
  const rows = items.map((i) => {
    const c = costs.get(i.inventory_item_id!) ?? null;
    return { id: i.id, available: i.available, cost: c?.amount ?? null, currency: c?.currency ?? null };
  });
  await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`DELETE FROM "InventoryValueSnapshot" WHERE "shopId" = ${shopId} AND day = ${day}::date`;
      await tx.$executeRaw`DELETE FROM "InventoryValueDay" WHERE "shopId" = ${shopId} AND day = ${day}::date`;
      if (rows.length)
        await tx.$executeRaw`
          INSERT INTO "InventoryValueSnapshot" ("shopId", day, "itemId", available, "unitCost", currency)
          SELECT ${shopId}, ${day}::date, u.id, u.available, u.cost::numeric, u.currency
          FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.available)}::int[],
                      ${rows.map((r) => r.cost)}::text[], ${rows.map((r) => r.currency)}::text[]) AS u(id, available, cost, currency)`;
      await tx.$executeRaw`
        INSERT INTO "InventoryValueDay" ("shopId", day, currency, units, value, items, "itemsWithoutCost")
        SELECT ${shopId}, ${day}::date, COALESCE(currency, ${NO_COST}), sum(available)::int,
               COALESCE(sum(available * "unitCost"), 0), count(*)::int, count(*) FILTER (WHERE "unitCost" IS NULL)::int
        FROM "InventoryValueSnapshot" WHERE "shopId" = ${shopId} AND day = ${day}::date
        GROUP BY 3`;
    },
    { timeout: 120_000 },
  );
  await prisma.analyticsRollupState.upsert({
    where: { shopId },
    create: { shopId, timezone: tz, lastSnapshotDay: day },
    update: { lastSnapshotDay: day },
  });
  return rows.length;
}

/** Takes today's snapshot unless it was taken already. @returns true when one was taken */
export async function snapshotInventoryValueIfDue(shopId: string): Promise<boolean> {
  const tz = await shopTimeZone(shopId);
  const state = await prisma.analyticsRollupState.findUnique({ where: { shopId }, select: { lastSnapshotDay: true } });
  if (state?.lastSnapshotDay === localDay(tz)) return false;
  await snapshotInventoryValue(shopId);
  return true;
}

/** One day of inventory value in one currency (value a decimal string). */
export interface InventoryValuePoint {
  day: string;
  currency: string;
  units: number;
  value: string;
  items: number;
  itemsWithoutCost: number;
}

/** The daily snapshots of local days [from, to], per currency, oldest first. */
export async function inventoryValueSeries(shopId: string, from: string, to: string): Promise<InventoryValuePoint[]> {
  const rows = await prisma.$queryRaw<
    { day: string; currency: string; units: number; value: string; items: number; without: number }[]
  >(Prisma.sql`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, currency, units, value::text AS value, items, "itemsWithoutCost" AS without
    FROM "InventoryValueDay" WHERE "shopId" = ${shopId} AND day BETWEEN ${from}::date AND ${to}::date
    ORDER BY day, currency`);
  return rows.map((r) => ({
    day: r.day,
    currency: r.currency,
    units: r.units,
    value: r.value,
    items: r.items,
    itemsWithoutCost: r.without,
  }));
}
