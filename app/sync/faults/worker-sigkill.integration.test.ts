/**
 * A worker process killed with SIGKILL in the middle of a job: the `shopify-adjust` job has read the
 * level, recorded its compare-and-set value and sent `inventoryAdjustQuantities` — Shopify applies it, but
 * the worker dies before hearing back or recording anything. The job stops heartbeating, pg-boss's
 * monitor fails it into a retry (seconds, not the 15-minute expiry), a surviving worker process resends
 * the same idempotency key and changeFromQuantity, Shopify replays its first answer, and the sale is
 * recorded as applied — once. Nothing lost, nothing doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import {
  adjustmentsFor,
  ledgerFor,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";

const SHOP = "fault-sigkill.myshopify.com";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, workers: { processes: 1 } });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

describe("worker process killed mid-job", () => {
  it("SIGKILL while Shopify applies the sale: another process finishes the job with the same key; applied once", async () => {
    const sku = "woo-hoodie-blue";
    const woo = fw.world.woo[0]!;
    const victim = fw.workers[0]!;
    const before = fw.shopifyAvailable(sku)!;
    fw.world.shopify.control.setFaults({ latencyMs: 1500 });
    woo.control.placeOrder({ lines: [{ sku, quantity: 3 }], status: "processing" });
    const adj = await waitFor(
      "CAS write in flight",
      async () => (await adjustmentsFor(fw.shopId, sku)).find((a) => a.inFlightChangeFrom != null),
      30_000,
      5,
    );
    await sleep(300); // the mutation has reached Shopify and sits in its 1.5 s latency
    victim.proc.kill("SIGKILL");
    expect(await victim.exited).toBeNull(); // killed by signal
    fw.world.shopify.control.setFaults({ latencyMs: 0 });
    await waitFor("Shopify applied the orphaned write", () => fw.shopifyAvailable(sku) === before - 3, 10_000);
    expect((await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } })).status).toBe("pending"); // the hub never heard back

    const survivor = await fw.spawnWorker();
    await waitFor(
      "the survivor finished the job",
      async () => (await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } })).status === "applied",
      45_000,
      100,
    );
    await waitFor("store follows", () => woo.control.getStock(sku) === before - 3, 15_000);
    await woo.control.idle();
    await sleep(800);

    expect(fw.shopifyAvailable(sku)).toBe(before - 3);
    expect(woo.control.getStock(sku)).toBe(before - 3);
    const done = await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } });
    expect(done.keyAttempt).toBe(0); // the same key was resent: Shopify replayed, nothing re-applied
    const applied = (await ledgerFor(fw.shopId, sku)).filter((l) => l.idempotencyKey.endsWith(":applied"));
    expect(applied.map((l) => [l.before, l.after])).toEqual([[before, before - 3]]);
    // The sale went out in a stored call (docs/decisions/102): that call, under its key, sent twice verbatim.
    expect(done.batchId).toBeTruthy();
    const calls = fw.world.shopify.control
      .graphqlLog(SHOP)
      .filter(
        (c) =>
          c.query.includes("inventoryAdjustQuantities") &&
          String((c.variables as { key?: string }).key) === `syncflow-batch:${done.batchId}`,
      );

    expect(calls).toHaveLength(2);
    expect(new Set(calls.map((c) => JSON.stringify(c.variables))).size).toBe(1);
    expect(survivor.proc.exitCode).toBeNull();
  }, 120_000);
});
