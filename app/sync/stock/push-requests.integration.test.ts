/**
 * Push requests and a push chunk's events with fewer statements (issue 11, decision 314), on a real PostgreSQL and a
 * private pg-boss schema:
 * - a request made while a live drainer holds the store's lease marks the listing but queues no drain job (the drainer
 *   counts the marks after releasing its lease); without a lease, or with an expired one, it queues the drain;
 * - `emitEvents` records a chunk's events in one insert and queues one notify job per event, each with its own
 *   singleton key, as `emitEvent` does one at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../../db.server";
import { getBoss, stopBoss } from "../../jobs/queue.server";
import { requestPush } from "./push.server";
import { emitEvents } from "../events.server";

const SCHEMA = "pgboss_test_push_requests";

beforeAll(async () => {
  process.env.SYNCFLOW_QUEUE_SCHEMA = SCHEMA;
  await getBoss();
}, 60_000);

afterAll(async () => {
  await stopBoss();
});

/** Jobs of `queue` in this file's queue schema whose data names `key` = `value`. */
async function jobs(queue: string, key: string, value: string): Promise<{ singleton_key: string | null }[]> {
  return prisma.$queryRawUnsafe(
    `SELECT singleton_key FROM ${SCHEMA}.job WHERE name = $1 AND data->>'${key}' = $2`,
    queue,
    value,
  );
}

/** A shop with one exact WooCommerce store and `n` linked listings. */
async function storeWithListings(n: number) {
  const shop = await prisma.shop.create({
    data: { domain: `push-req-${crypto.randomBytes(4).toString("hex")}.myshopify.com` },
  });
  const store = await prisma.channel.create({
    data: { shopId: shop.id, kind: "woocommerce", name: "Woo", baseUrl: "http://127.0.0.1:9", mode: "exact" },
  });
  const itemIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const item = await prisma.catalogItem.create({
      data: { shopId: shop.id, sku: `pr-${i}`, skuKey: `pr-${i}`, title: `Item ${i}` },
    });
    await prisma.listing.create({
      data: {
        shopId: shop.id,
        channelId: store.id,
        itemId: item.id,
        externalId: `${500 + i}`,
        productId: `${500 + i}`,
        sku: `pr-${i}`,
        title: `Item ${i}`,
        productType: "simple",
        manageStock: true,
        matchStatus: "linked",
        lastWrittenQuantity: 5,
      },
    });
    itemIds.push(item.id);
  }
  const marked = async () => prisma.listing.count({ where: { channelId: store.id, pushRequestedAt: { not: null } } });
  return { shop, store, itemIds, marked };
}

describe("push requests while a drainer holds the store's lease", () => {
  it("mark the listing without queueing a drain; without a live lease the drain is queued", async () => {
    const w = await storeWithListings(3);
    // Leased as takeLease leases: by the database clock (the lease is compared with now() in SQL).
    await prisma.$executeRaw`UPDATE "Channel" SET "pushLeaseOwner" = 'other-drainer', "pushLeaseUntil" = now() + interval '60 seconds' WHERE id = ${w.store.id}`;
    await requestPush(w.shop.id, w.store.id, [w.itemIds[0]!]);
    expect(await w.marked()).toBe(1);
    expect(await jobs("push-stock", "channelId", w.store.id)).toHaveLength(0);
    // The lease expired (its drainer died): the request queues a drain of its own.
    await prisma.$executeRaw`UPDATE "Channel" SET "pushLeaseUntil" = now() - interval '1 second' WHERE id = ${w.store.id}`;
    await requestPush(w.shop.id, w.store.id, [w.itemIds[1]!]);
    expect(await w.marked()).toBe(2);
    expect(await jobs("push-stock", "channelId", w.store.id)).toEqual([{ singleton_key: `push:${w.store.id}` }]);
  });
});

describe("a chunk's events", () => {
  it("are recorded together, each with its own notify job", async () => {
    const w = await storeWithListings(2);
    await emitEvents(
      w.shop.id,
      w.itemIds.map((itemId, i) => ({
        type: "stock.low" as const,
        payload: { channelId: w.store.id, itemId, quantity: i, threshold: 5 },
        refs: { itemId, channelId: w.store.id },
      })),
    );
    const events = await prisma.domainEvent.findMany({ where: { shopId: w.shop.id }, orderBy: { itemId: "asc" } });
    expect(events.map((e) => [e.type, e.itemId, e.channelId])).toEqual(
      [...w.itemIds].sort().map((id) => ["stock.low", id, w.store.id]),
    );
    for (const e of events)
      expect(await jobs("notify", "eventId", e.id)).toEqual([{ singleton_key: `notify:${e.id}` }]);
  });
});
