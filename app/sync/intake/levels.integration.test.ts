/**
 * Echoes of the hub's own Shopify writes made in the same second (the cause of an intermittent
 * faults/two-workers-race failure: a store went back up to 5 after two −5 sales on 10 left 0 everywhere).
 *
 * Two sales applied within one second: the hub writes 10 → 5 at S.100 and 5 → 0 at S.300 and records each as its
 * own observation (adjust.server.ts → recordLevel, ownWrite). Shopify then sends one inventory_levels/update per
 * change, both with `updated_at` = S (whole seconds) and a sub-second X-Shopify-Triggered-At. The echo of the
 * first write (available 5) must not roll the level back to 5 — whichever order the echoes are processed in, by
 * the job (processReceipt) or by the webhook queue's stale pre-pass (settleStaleLevelReceipts).
 * Real PostgreSQL, no emulator: the times are set, so the case is exact on every run.
 */
import { describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../../db.server";
import { recordLevel } from "./levels.server";
import { processReceipt } from "./process-receipt.server";
import { settleStaleLevelReceipts } from "./stale-receipts.server";

const LOC = 71_001;
const LOC_GID = `gid://shopify/Location/${LOC}`;
/** A whole second in the past (S), as Shopify's `updated_at` renders it. */
const S = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
const at = (ms: number) => new Date(S.getTime() + ms);
const shopifySecond = S.toISOString().replace(/\.\d{3}Z$/, "+00:00");

/** A shop with its Shopify channel and one item whose level the hub wrote 10 → 5 (S.100) → 0 (S.300). */
async function shopAfterTwoOwnWrites() {
  const domain = `levels-${crypto.randomBytes(4).toString("hex")}.myshopify.com`;
  const shop = await prisma.shop.create({ data: { domain } });
  await prisma.channel.create({
    data: { shopId: shop.id, kind: "shopify", name: "Shopify", baseUrl: `https://${domain}` },
  });
  const invItem = 80_000 + crypto.randomInt(1_000_000);
  const item = await prisma.catalogItem.create({
    data: {
      shopId: shop.id,
      sku: "echo-1",
      skuKey: "echo-1",
      title: "Echo",
      inventoryItemId: `gid://shopify/InventoryItem/${invItem}`,
    },
  });
  await prisma.inventoryLevel.create({
    data: { shopId: shop.id, itemId: item.id, locationGid: LOC_GID, available: 10, observedAt: at(-5_000) },
  });
  for (const [available, ms] of [
    [5, 140],
    [0, 340],
  ] as const) {
    await prisma.$transaction((tx) =>
      recordLevel(tx, {
        shopId: shop.id,
        itemId: item.id,
        locationGid: LOC_GID,
        available,
        observedAt: at(ms),
        ownWrite: true,
      }),
    );
  }
  /** Stores Shopify's echo of the change to `available` triggered at S + `triggeredMs`, as the intake does. */
  const echo = (available: number, triggeredMs: number | null) =>
    prisma.webhookReceipt.create({
      data: {
        shopId: shop.id,
        source: "shopify",
        topic: "inventory_levels/update",
        dedupeKey: `shopify:${domain}:${crypto.randomUUID()}`,
        bodyHash: "-",
        body: {
          inventory_item_id: invItem,
          location_id: LOC,
          available,
          updated_at: shopifySecond,
          admin_graphql_api_id: `gid://shopify/InventoryLevel/${LOC}?inventory_item_id=${invItem}`,
        },
        headers: {
          "x-shopify-topic": "inventory_levels/update",
          "x-shopify-shop-domain": domain,
          ...(triggeredMs == null
            ? {}
            : { "x-shopify-triggered-at": `${at(triggeredMs).toISOString().slice(0, -1)}041743Z` }),
        },
        triggeredAt: triggeredMs == null ? null : at(triggeredMs),
      },
    });
  const level = async () => (await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId: item.id } })).available;
  const webhookRows = () => prisma.stockLedger.count({ where: { shopId: shop.id, cause: "webhook" } });
  return { shop, item, echo, level, webhookRows };
}

describe("echoes of the hub's own writes in the same second", () => {
  it("the first write's echo, processed after the second write, does not set the level back", async () => {
    const w = await shopAfterTwoOwnWrites();
    const first = await w.echo(5, 100);
    const second = await w.echo(0, 300);
    expect(await processReceipt(first.id)).toMatchObject({ status: "ignored", note: "stale" });
    expect(await w.level()).toBe(0);
    await processReceipt(second.id);
    expect(await w.level()).toBe(0);
    expect(await w.webhookRows()).toBe(0); // no level move, so no push to any store
  });

  it("echoes processed newest first (two worker processes) leave the level at 0, not at the older 5", async () => {
    const w = await shopAfterTwoOwnWrites();
    const first = await w.echo(5, 100);
    const second = await w.echo(0, 300);
    await processReceipt(second.id);
    await processReceipt(first.id);
    expect(await w.level()).toBe(0);
    expect(await w.webhookRows()).toBe(0);
  });

  it("the webhook queue's stale pre-pass settles the first write's echo the same way", async () => {
    const w = await shopAfterTwoOwnWrites();
    const first = await w.echo(5, 100);
    const settled = await settleStaleLevelReceipts([first.id]);
    expect(settled.get(first.id)).toEqual({ status: "ignored", note: "stale" });
    expect(await w.level()).toBe(0);
  });

  it("a merchant change later in that second than the hub's last write still applies", async () => {
    const w = await shopAfterTwoOwnWrites();
    const edit = await w.echo(7, 600);
    expect(await processReceipt(edit.id)).toMatchObject({ status: "processed", note: "applied" });
    expect(await w.level()).toBe(7);
  });

  // Without a sub-second X-Shopify-Triggered-At the order within the second is unknown: the hub reads the level from
  // Shopify instead of trusting either value (issue 11, B7) — that case needs Shopify and is in faults/level-order.
});
