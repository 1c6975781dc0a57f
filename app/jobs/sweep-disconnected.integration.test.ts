/**
 * The sweep leaves disconnected channels alone (issue 14; found by the stream benchmark with a retailer channel): a
 * sales channel disconnected while one of its listings had a push requested or in flight (a WooCommerce store
 * disconnected by its plugin — `disconnectStore` — or a retailer unlinked — `unlinkRetailer`) keeps that push state for
 * a relink. Before, every minute `sweep()` (app/jobs/worker.server.ts) saw the listing's `inFlightPushAt` /
 * `pushRequestedAt` older than 30 s and queued the channel's `push-stock` drainer, which threw "channel … is
 * disconnected" and ended in the dead letter queue — one more dead letter per channel per minute and a queue that
 * never went idle. This test failed on that code (one job queued) and passes now (none).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { sweep } from "./worker.server";
import { stopBoss, getBoss } from "./queue.server";
import { createTestItem, createTestShop } from "../notify/test-shop";

const SCHEMA = "pgboss_test_sweep_disconnected";

beforeAll(async () => {
  process.env.SYNCFLOW_QUEUE_SCHEMA = SCHEMA;
  await getBoss();
}, 60_000);

afterAll(async () => {
  await stopBoss();
});

/** push-stock jobs queued for `channelId` in this file's queue schema. */
async function drainJobs(channelId: string): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*)::bigint AS n FROM ${SCHEMA}.job WHERE name = 'push-stock' AND data->>'channelId' = $1`,
    channelId,
  );
  return Number(rows[0]?.n ?? 0);
}

describe("sweep and disconnected channels", () => {
  it(
    "does not queue a push drainer for a disconnected channel whose listing was left with a push in flight",
    { timeout: 60_000 },
    async () => {
      const shop = await createTestShop("sweep-disc");
      const item = await createTestItem(shop.id, "DISC-1", 5);
      const channel = await prisma.channel.create({
        data: {
          shopId: shop.id,
          kind: "woocommerce",
          name: "Gone Store",
          baseUrl: "https://gone.example",
          status: "disconnected",
          statusReason: "disconnected from the store",
          mode: "exact",
        },
      });
      const minuteAgo = new Date(Date.now() - 60_000);
      await prisma.listing.create({
        data: {
          shopId: shop.id,
          channelId: channel.id,
          itemId: item.id,
          externalId: "101",
          productId: "101",
          sku: "DISC-1",
          title: "Disc",
          productType: "simple",
          manageStock: true,
          matchStatus: "linked",
          lastWrittenQuantity: 5,
          pushSeq: 1,
          inFlightPushSeq: 1,
          inFlightPushDelta: -1,
          inFlightPushAt: minuteAgo,
        },
      });
      await sweep();
      // Nothing to drain on a channel that is gone (before: one push-stock job, then retries and a dead letter).
      expect(await drainJobs(channel.id)).toBe(0);
    },
  );
});
