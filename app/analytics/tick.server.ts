/**
 * The `analytics-tick` job (every 5 minutes; issue 18, decision 287): for each installed shop, the incremental
 * rollup refresh and, once per local day, the inventory-value snapshot. A shop that fails is logged and the others
 * still run; the job then throws so pg-boss retries it (a retry repeats only idempotent work).
 */
import prisma from "../db.server";
import { refreshRollups } from "./rollups.server";
import { snapshotInventoryValueIfDue } from "./inventory-value.server";

/** @returns per shop what ran; @throws Error naming the shops that failed (after running every shop) */
export async function runAnalyticsTick(): Promise<{ shops: number; snapshots: number; failed: number }> {
  const shops = await prisma.shop.findMany({ where: { uninstalledAt: null }, select: { id: true, domain: true } });
  let snapshots = 0;
  const failed: string[] = [];
  for (const s of shops) {
    try {
      await refreshRollups(s.id);
      if (await snapshotInventoryValueIfDue(s.id)) snapshots++;
    } catch (err) {
      failed.push(s.domain);
      console.error(`[analytics] tick failed for ${s.domain}:`, err);
    }
  }
  if (failed.length)
    throw new Error(`analytics tick failed for ${failed.length} shop(s): ${failed.slice(0, 5).join(", ")}`);
  return { shops: shops.length, snapshots, failed: 0 };
}
