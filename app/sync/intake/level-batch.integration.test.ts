/**
 * The webhook queue's level batch (issue 11, decision 313): a batch of Shopify `inventory_levels/update` receipts
 * applied in a handful of statements must end exactly where processReceipt, one by one and in order, ends — same
 * levels, same ledger rows, same receipt outcomes, the same stores' listings requested for a push — and must leave to
 * processReceipt what only it can judge: an order ambiguous within one second (B7: it reads Shopify), a level the hub
 * has no row for, a second delivery of a level already in the batch (judged after the first, in order).
 * Real PostgreSQL, no emulator: two identical shops, one run through processReceipt, one through the batch + the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../../db.server";
import { getBoss, stopBoss } from "../../jobs/queue.server";
import { processReceipt } from "./process-receipt.server";
import { settleStaleLevelReceipts } from "./stale-receipts.server";
import { applyLevelReceipts } from "./level-batch.server";

const SCHEMA = "pgboss_test_level_batch";
const LOC = 72_001;
const LOC_GID = `gid://shopify/Location/${LOC}`;
/** A whole second well in the past (S), as Shopify's `updated_at` renders it. */
const S = new Date(Math.floor(Date.now() / 1000) * 1000 - 120_000);
const at = (ms: number) => new Date(S.getTime() + ms);
const second = (ms: number) =>
  at(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "+00:00");

beforeAll(async () => {
  process.env.SYNCFLOW_QUEUE_SCHEMA = SCHEMA;
  await getBoss();
}, 60_000);

afterAll(async () => {
  await stopBoss();
});

/**
 * A shop with its Shopify channel, one exact WooCommerce store fed by LOC and `n` items, each at 10 units observed at
 * S − 5 s (item 0 also observed at S + 400 ms holding 9: the hub's own write in second S, for the B7 case; item `n − 1`
 * without a level row).
 */
async function shopWithItems(n: number) {
  const domain = `level-batch-${crypto.randomBytes(4).toString("hex")}.myshopify.com`;
  const shop = await prisma.shop.create({ data: { domain } });
  await prisma.channel.create({
    data: { shopId: shop.id, kind: "shopify", name: "Shopify", baseUrl: `https://${domain}` },
  });
  const store = await prisma.channel.create({
    data: {
      shopId: shop.id,
      kind: "woocommerce",
      name: "Woo",
      baseUrl: "http://127.0.0.1:9",
      mode: "exact",
      salesLocationId: LOC_GID,
      feedLocationIds: [LOC_GID],
    },
  });
  const items: { id: string; inv: number }[] = [];
  for (let i = 0; i < n; i++) {
    const inv = 90_000_000 + crypto.randomInt(9_000_000);
    const item = await prisma.catalogItem.create({
      data: {
        shopId: shop.id,
        sku: `lb-${i}`,
        skuKey: `lb-${i}`,
        title: `Item ${i}`,
        inventoryItemId: `gid://shopify/InventoryItem/${inv}`,
      },
    });
    items.push({ id: item.id, inv });
    await prisma.listing.create({
      data: {
        shopId: shop.id,
        channelId: store.id,
        itemId: item.id,
        externalId: `${1000 + i}`,
        productId: `${1000 + i}`,
        sku: `lb-${i}`,
        title: `Item ${i}`,
        productType: "simple",
        manageStock: true,
        matchStatus: "linked",
        lastWrittenQuantity: 10,
      },
    });
    if (i < n - 1)
      await prisma.inventoryLevel.create({
        data: {
          shopId: shop.id,
          itemId: item.id,
          locationGid: LOC_GID,
          available: i === 0 ? 9 : 10,
          observedAt: i === 0 ? at(400) : at(-5_000),
        },
      });
  }
  let seq = 0;
  /** Stores a level webhook of item `i` as the intake does (`triggeredMs` null: no X-Shopify-Triggered-At). */
  const receipt = (i: number, available: number, updatedMs: number, triggeredMs: number | null = updatedMs) =>
    prisma.webhookReceipt.create({
      data: {
        shopId: shop.id,
        source: "shopify",
        topic: "inventory_levels/update",
        dedupeKey: `shopify:${domain}:${seq++}`,
        bodyHash: "-",
        receivedAt: new Date(Date.now() + seq),
        body: {
          inventory_item_id: items[i]!.inv,
          location_id: LOC,
          available,
          updated_at: second(updatedMs),
          admin_graphql_api_id: `gid://shopify/InventoryLevel/${LOC}?inventory_item_id=${items[i]!.inv}`,
        },
        headers: {
          "x-shopify-topic": "inventory_levels/update",
          "x-shopify-shop-domain": domain,
          ...(triggeredMs == null
            ? {}
            : { "x-shopify-triggered-at": `${at(triggeredMs).toISOString().slice(0, -1)}041743Z` }),
        },
      },
    });
  /** The shop's state, comparable across shops (items by index, keys without the domain). */
  const state = async () => {
    const idx = new Map(items.map((it, i) => [it.id, i]));
    const levels = await prisma.inventoryLevel.findMany({ where: { shopId: shop.id } });
    const ledger = await prisma.stockLedger.findMany({
      where: { shopId: shop.id },
      orderBy: { idempotencyKey: "asc" },
    });
    const receipts = await prisma.webhookReceipt.findMany({
      where: { shopId: shop.id },
      orderBy: { dedupeKey: "asc" },
    });
    const listings = await prisma.listing.findMany({ where: { shopId: shop.id } });
    return {
      levels: levels
        .map((l) => ({ i: idx.get(l.itemId), available: l.available, observedAt: l.observedAt.getTime() }))
        .sort((a, b) => a.i! - b.i!),
      ledger: ledger.map((r) => ({
        i: idx.get(r.itemId),
        cause: r.cause,
        delta: r.delta,
        before: r.before,
        after: r.after,
        key: r.idempotencyKey.replace(domain, "D"),
        channel: r.channelId ? "shopify" : null,
      })),
      receipts: receipts.map((r) => ({ key: r.dedupeKey.replace(domain, "D"), status: r.status, error: r.error })),
      pushRequested: listings
        .filter((l) => l.pushRequestedAt)
        .map((l) => idx.get(l.itemId!))
        .sort(),
    };
  };
  return { shop, store, items, receipt, state };
}

describe("level webhooks in a batch", () => {
  it("end exactly as processReceipt one by one: levels, ledger, receipt outcomes, push requests", async () => {
    const a = await shopWithItems(6);
    const b = await shopWithItems(6);
    // Per shop, the same deliveries in the same order: sales on items 1–3, a stale one on item 4, an echo of item 2's
    // new value, a second delivery of item 1 in the batch (a later sale), one for item 5 (no level row yet).
    const script = async (w: typeof a) => [
      await w.receipt(1, 8, 1000),
      await w.receipt(2, 7, 1000),
      await w.receipt(3, 0, 1200),
      await w.receipt(4, 3, -10_000),
      await w.receipt(1, 6, 2000),
      await w.receipt(2, 7, 1500),
      await w.receipt(5, 4, 1000),
    ];
    const ra = await script(a);
    const rb = await script(b);
    for (const r of ra) await processReceipt(r.id);
    // The worker's order: the stale/echo pre-pass, the level batch, then processReceipt for what is left, in order.
    const ids = rb.map((r) => r.id);
    const stale = await settleStaleLevelReceipts(ids);
    const batch = await applyLevelReceipts(ids.filter((id) => !stale.has(id)));
    expect(batch.size).toBeGreaterThanOrEqual(3); // items 1, 2 and 3 at least went through the batch
    expect([...batch.values()].filter((o) => o.note === "applied").length).toBe(3);
    for (const id of ids) if (!stale.has(id) && !batch.has(id)) await processReceipt(id);
    const [sa, sb] = [await a.state(), await b.state()];
    expect(sb).toEqual(sa);
    expect(sa.levels.map((l) => l.available)).toEqual([9, 6, 7, 0, 10, 4]);
    expect(sa.pushRequested).toEqual([1, 2, 3, 5]);
    expect(sa.ledger.filter((r) => r.cause === "webhook").map((r) => r.delta)).toEqual([-2, -3, -10, -2, null]);
  });

  it("leaves a same-second delivery whose order is ambiguous (B7) to processReceipt, which reads Shopify", async () => {
    const w = await shopWithItems(2);
    // Item 0 holds 9, observed at S + 400 ms (the hub's own write); Shopify says 6 at whole second S with no
    // sub-second Triggered-At: which came last is unknown.
    const r = await w.receipt(0, 6, 0, null);
    const batch = await applyLevelReceipts([r.id]);
    expect(batch.has(r.id)).toBe(false);
    expect((await prisma.webhookReceipt.findUniqueOrThrow({ where: { id: r.id } })).status).toBe("received");
    expect((await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: w.items[0]!.id } })).available).toBe(9);
    // Placed inside the second by a sub-second Triggered-At after the hub's write: not ambiguous, applied here.
    const placed = await w.receipt(0, 6, 0, 700);
    expect((await applyLevelReceipts([placed.id])).get(placed.id)).toMatchObject({
      status: "processed",
      note: "applied",
    });
    expect((await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: w.items[0]!.id } })).available).toBe(6);
  });
});
