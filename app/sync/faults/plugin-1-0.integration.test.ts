/**
 * Issue 11, compatibility (docs/decisions/101): a 1.1 hub and a store whose SyncFlow plugin is 1.0.0 (no
 * `stock-batch` / `stock-snapshot` features: those routes answer 404). The hub must keep using the single routes:
 * pushes go out as one `POST /stock/delta` per listing and reconciliation reads the REST product pages, and the
 * store stays exact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";

const SHOP = "fault-plugin-1-0.myshopify.com";
const SKU = "woo-belt";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, wooStores: 1, woo: { pluginBatch: false } });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

describe("a store with plugin 1.0.0 (no batch, no snapshot)", () => {
  it("registers in exact mode without the 1.1 features, is pushed through /stock/delta and reconciled through REST pages", async () => {
    const woo = fw.world.woo[0]!;
    const ch = await prisma.channel.findUniqueOrThrow({ where: { id: fw.channelIds[0]! } });
    expect(ch.mode).toBe("exact");
    expect(ch.pluginFeatures).not.toContain("stock-batch");
    expect(ch.pluginFeatures).not.toContain("stock-snapshot");

    const count = (p: string) => woo.requestCounts.get(p) ?? 0;
    const deltas = count("POST /wp-json/wc-syncflow/v1/stock/delta");
    // A Shopify change: the store follows it through single deltas.
    const start = fw.shopifyAvailable(SKU)!;
    fw.world.shopify.control.setAvailable(SHOP, { sku: SKU, locationId: fw.world.locationId, available: start - 3 });
    await waitFor("the store follows Shopify", () => woo.control.getStock(SKU) === start - 3, 30_000);
    expect(count("POST /wp-json/wc-syncflow/v1/stock/delta")).toBeGreaterThan(deltas);
    expect(count("POST /wp-json/wc-syncflow/v1/stock/batch")).toBe(0);

    // A drift on the store (its webhook lost): reconciliation corrects it without the snapshot.
    woo.control.setFaults({ dropDeliveries: 1 });
    woo.store.updateStock(woo.store.products.get(woo.control.productIdBySku(SKU)!)!, start - 1, "set");
    await woo.control.idle();
    woo.control.resetFaults();
    const t = new Date();
    await enqueue(QUEUES.reconcile, {
      shopId: fw.shopId,
      channelId: fw.channelIds[0]!,
      dryRun: false,
      trigger: "test",
    });
    const run = await waitFor(
      "reconciled",
      async () => {
        const r = await prisma.syncRun.findFirst({
          where: { shopId: fw.shopId, kind: "reconcile", startedAt: { gte: t } },
        });
        return r && r.status !== "running" ? r : null;
      },
      60_000,
      200,
    );
    expect(run.status).toBe("succeeded");
    await waitFor("the store is back at Shopify's value", () => woo.control.getStock(SKU) === start - 3, 30_000);
    expect(count("GET /wp-json/wc-syncflow/v1/stock/snapshot")).toBe(0);
    expect(count("POST /wp-json/wc-syncflow/v1/stock/batch")).toBe(0);
  }, 120_000);
});
