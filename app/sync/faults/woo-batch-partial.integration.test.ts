/**
 * A WooCommerce batch update where some items fail (buffered mode, no SyncFlow plugin): the hub pushes
 * many items with `products/batch` (≤ 100 per call). Items the store accepted are recorded at once;
 * refused items fail the job, which retries only what still differs, and — when the store keeps refusing
 * — parks it in the dead-letter queue with the failing SKU as its cause. Once the store accepts again, a
 * replay finishes the job; a second replay of the same dead letter does nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { getBoss, QUEUES } from "../../jobs/queue.server";
import { replayDeadLetter } from "../../jobs/worker.server";
import { createConnectionCode } from "../stores/registration.server";
import { registerStoreAs, sleep, startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";

const SHOP = "fault-woo-batch.myshopify.com";
const BAD = "woo-cap";
let fw: FaultWorld;
let channelId: string;

beforeAll(async () => {
  fw = await startFaultWorld({
    shop: SHOP,
    woo: { syncflowPlugin: false },
    register: false,
    env: { SYNCFLOW_RETRY_LIMIT: "2" },
  });
  const woo = fw.world.woo[0]!;
  woo.control.setFaults({
    batchItemErrors: {
      sku: [BAD],
      code: "woocommerce_rest_invalid_stock",
      message: "Stock is locked by another process.",
    },
  });
  const reg = await registerStoreAs(fw.app.url, (await createConnectionCode(fw.shopId)).code, woo, SHOP);
  expect(reg.body.mode).toBe("buffered");
  channelId = reg.body.channel_id;
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

describe("WooCommerce batch with per-item failures (buffered mode)", () => {
  it("records the items that succeeded, retries the one that failed, then parks it with its cause", async () => {
    const woo = fw.world.woo[0]!;
    await waitFor(
      "dead-lettered",
      () => prisma.domainEvent.findFirst({ where: { shopId: fw.shopId, type: "job.dead_lettered" } }),
      40_000,
      100,
    );
    await sleep(4000); // any other push job of the link step spends its retries too
    const events = await prisma.domainEvent.findMany({ where: { shopId: fw.shopId, type: "job.dead_lettered" } });
    for (const event of events) {
      const payload = event.payload as { queue: string; cause: string; attempts: number };
      expect(payload.queue).toBe(QUEUES.pushStock);
      expect(payload.cause).toContain(
        `items refused by the store or unanswered: ${BAD} (woocommerce_rest_invalid_stock`,
      );
      expect(payload.attempts).toBe(3);
    }

    const listings = await prisma.listing.findMany({
      where: { channelId, matchStatus: "linked" },
      include: { item: { include: { levels: true } } },
    });
    expect(listings.length).toBeGreaterThanOrEqual(17);
    for (const l of listings) {
      const derived = Math.max(0, l.item!.levels.reduce((s, x) => s + x.available, 0) - 2); // buffered: 2-unit buffer
      if (l.sku === BAD) {
        expect(woo.control.getStock(BAD)).toBe(fw.world.stock[BAD]); // refused: untouched
        expect(l.lastWrittenQuantity).not.toBe(derived); // and not recorded as written
      } else {
        expect(l.lastWrittenQuantity).toBe(derived);
        expect(woo.control.getStock(l.sku!)).toBe(derived);
      }
    }
    // Successes were written in batches, never one PUT per item.
    expect(woo.requestCounts.get("PUT /wp-json/wc/v3/products/" + woo.control.productIdBySku("woo-beanie")) ?? 0).toBe(
      0,
    );
    expect(woo.requestCounts.get("POST /wp-json/wc/v3/products/batch") ?? 0).toBeGreaterThan(0);
    const badItem = listings.find((l) => l.sku === BAD)!.itemId!;
    expect(await prisma.stockLedger.count({ where: { channelId, cause: "push", itemId: badItem } })).toBe(0);

    // Each dead letter keeps the job's data and its cause (pg-boss: the failed job's output as sourceOutput).
    const boss = await getBoss();
    const dead = (await boss.findJobs(QUEUES.deadLetter, { data: { channelId } })).filter((j) => j.state === "created");
    expect(dead).toHaveLength(events.length);
    for (const d of dead) expect(JSON.stringify((d as { sourceOutput?: unknown }).sourceOutput)).toContain(BAD);
  });

  it("a replay after the store recovers finishes the job; replaying the same dead letters again does nothing", async () => {
    const woo = fw.world.woo[0]!;
    woo.control.resetFaults();
    const boss = await getBoss();
    const dead = (await boss.findJobs(QUEUES.deadLetter, { data: { channelId } })).filter((j) => j.state === "created");
    const ids = dead.map((d) => d.id);
    expect(await replayDeadLetter(ids)).toBe(ids.length);
    const item = await prisma.catalogItem.findFirstOrThrow({
      where: { shopId: fw.shopId, sku: BAD },
      include: { levels: true },
    });
    const expected = Math.max(0, item.levels.reduce((s, x) => s + x.available, 0) - 2);
    await waitFor(
      "failed item written",
      async () =>
        woo.control.getStock(BAD) === expected &&
        (await prisma.listing.findFirstOrThrow({ where: { channelId, sku: BAD } })).lastWrittenQuantity === expected,
      20_000,
    );
    expect(await replayDeadLetter(ids)).toBe(0);
    await sleep(1200);
    const rows = await prisma.stockLedger.findMany({
      where: { shopId: fw.shopId, channelId, cause: "push", itemId: item.id },
    });
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((r) => r.after === expected)).toBe(true); // absolute sets of the same value (buffered mode)
    expect(woo.control.getStock(BAD)).toBe(expected);
  });
});
