/**
 * Test helpers for app/notify and app/exports integration tests: a fresh shop (unique domain) with
 * optional notification settings, catalog items with a Shopify level, and ledger rows — written straight
 * to the database, as the sync engine would leave them.
 */
import crypto from "node:crypto";
import prisma from "../db.server";

/** Creates a shop with a unique domain; `settings` are stored as its NotificationSettings. */
export async function createTestShop(
  prefix: string,
  settings: Record<string, unknown> = {},
  name = "Notify Outfitters",
) {
  const shop = await prisma.shop.create({
    data: { domain: `${prefix}-${crypto.randomBytes(4).toString("hex")}.myshopify.com`, name },
  });
  await prisma.notificationSettings.create({ data: { shopId: shop.id, ...settings } });
  return shop;
}

/** Creates a tracked item with one Shopify level and its `initial` ledger row. */
export async function createTestItem(shopId: string, sku: string, available: number, title = `Item ${sku}`) {
  const item = await prisma.catalogItem.create({
    data: {
      shopId,
      sku,
      skuKey: sku.toLowerCase(),
      title,
      inventoryItemId: `gid://shopify/InventoryItem/${crypto.randomInt(1e9)}`,
    },
  });
  await prisma.inventoryLevel.create({
    data: { shopId, itemId: item.id, locationGid: "gid://shopify/Location/1", available, observedAt: new Date() },
  });
  await ledger(shopId, item.id, null, available, "initial");
  return item;
}

/** Sets the item's Shopify level and appends the matching ledger row (cause webhook). */
export async function setLevel(shopId: string, itemId: string, available: number) {
  const level = await prisma.inventoryLevel.findFirstOrThrow({ where: { itemId } });
  await prisma.inventoryLevel.update({ where: { id: level.id }, data: { available, observedAt: new Date() } });
  await ledger(shopId, itemId, level.available, available, "webhook");
}

async function ledger(shopId: string, itemId: string, before: number | null, after: number, cause: string) {
  await prisma.stockLedger.create({
    data: {
      shopId,
      itemId,
      cause,
      before,
      after,
      delta: before == null ? null : after - before,
      locationGid: "gid://shopify/Location/1",
      idempotencyKey: `test:${crypto.randomUUID()}`,
    },
  });
}
