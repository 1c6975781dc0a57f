/**
 * Dead letters keep their cause and can be replayed, even when the work that failed had an unknown
 * outcome: Shopify applies a store sale but its answer is lost (503), and every resend fails too, so the
 * `shopify-adjust` job spends its retries and lands in the dead-letter queue. The adjustment stays pending
 * (still subtracted from every store's quantity) and carries the cause; the `job.dead_lettered` event and
 * the dead-letter copy carry it too. When Shopify answers again, a replay resends the same key and
 * changeFromQuantity: Shopify replays its first result and the sale is recorded once. Replaying again
 * does nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { getBoss, QUEUES } from "../../jobs/queue.server";
import { replayDeadLetter } from "../../jobs/worker.server";
import {
  adjustmentsFor,
  ledgerFor,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";

const SHOP = "fault-dead-letter.myshopify.com";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({
    shop: SHOP,
    env: { SYNCFLOW_RETRY_LIMIT: "1", SYNCFLOW_SHOPIFY_MAX_RETRIES: "1", SYNCFLOW_SHOPIFY_BACKOFF_MS: "400" },
  });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

describe("dead-lettered jobs", () => {
  it("keep their cause, leave the sale pending, and a replay applies it exactly once", async () => {
    const sku = "woo-tshirt";
    const woo = fw.world.woo[0]!;
    const shopify = fw.world.shopify.control;
    const before = fw.shopifyAvailable(sku)!;
    const adjustCalls = () => shopify.graphqlLog(SHOP).filter((c) => c.query.includes("inventoryAdjustQuantities"));
    const callsBefore = adjustCalls().length;
    shopify.setFaults({ loseResponseNext: 1 });
    woo.control.placeOrder({ lines: [{ sku, quantity: 2 }], status: "processing" });
    await waitFor("first write applied, answer lost", () => adjustCalls().length > callsBefore, 20_000, 2);
    shopify.setFaults({ failNext: { status: 503, count: 3 } }); // every resend fails: 2 in this attempt... and the job retry
    expect(fw.shopifyAvailable(sku)).toBe(before - 2); // Shopify has it; the hub cannot know

    const adj = (await adjustmentsFor(fw.shopId, sku))[0]!;
    const event = await waitFor(
      "dead-lettered",
      () => prisma.domainEvent.findFirst({ where: { shopId: fw.shopId, type: "job.dead_lettered" } }),
      30_000,
      100,
    );
    const payload = event.payload as { queue: string; cause: string; data: { adjustmentId: string } };
    expect(payload).toMatchObject({ queue: QUEUES.shopifyAdjust, data: { adjustmentId: adj.id } });
    expect(payload.cause).toMatch(/HTTP 503/);
    await sleep(500);
    const parked = await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } });
    expect(parked.status).toBe("pending");
    expect(parked.lastError).toMatch(/^dead-lettered: .*HTTP 503/);
    expect(parked.inFlightChangeFrom).toBe(before); // the unknown-outcome write is remembered verbatim

    const boss = await getBoss();
    const dead = (await boss.findJobs(QUEUES.deadLetter, { data: { adjustmentId: adj.id } })).filter(
      (j) => j.state === "created",
    );
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ sourceName: QUEUES.shopifyAdjust });
    expect(JSON.stringify((dead[0] as { sourceOutput?: unknown }).sourceOutput)).toMatch(/HTTP 503/);

    shopify.setFaults({ failNext: { status: 503, count: 0 } });
    expect(await replayDeadLetter([dead[0]!.id])).toBe(1);
    await waitFor(
      "applied after replay",
      async () => (await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } })).status === "applied",
      20_000,
    );
    expect(await replayDeadLetter([dead[0]!.id])).toBe(0);
    await woo.control.idle();
    await sleep(1000);

    expect(fw.shopifyAvailable(sku)).toBe(before - 2);
    const applied = (await ledgerFor(fw.shopId, sku)).filter((l) => l.idempotencyKey.endsWith(":applied"));
    expect(applied.map((l) => [l.before, l.after])).toEqual([[before, before - 2]]);
    expect((await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } })).keyAttempt).toBe(0);
    expect(woo.control.getStock(sku)).toBe(before - 2);
  }, 90_000);
});
