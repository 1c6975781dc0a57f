/**
 * Seeds one shop at catalog scale for bench/analytics.ts, entirely inside PostgreSQL with generate_series (seconds for
 * a million rows). Rows look as the engine leaves them (decision 288's sources): a sales channel's sale is its ledger
 * row on the channel (`…:taken`) plus the record's `…:applied` row with the Shopify level; a record order moves stock
 * through a `webhook` row; cancellations give units back; pushes write the other stores; more Shopify level changes fill
 * the ledger up to `ledger` rows. Times are spread uniformly over the last `days` days (UTC shop).
 */
import type { PrismaClient } from "@prisma/client";
import type { Period } from "../../app/analytics/period";
import { addDays } from "../../app/analytics/period";

export interface SeedResult {
  shopId: string;
  period: Period;
  counts: Record<string, number>;
  sampleItemIds: string[];
  /** Writes one more hour of activity (orders and ledger rows stamped now) for the incremental refresh. */
  addHour(prisma: PrismaClient): Promise<void>;
}

const SHOP = "bench-analytics-shop";

/** @returns the shop, the 90-day period ending today and the row counts */
export async function seed(
  prisma: PrismaClient,
  opts: { skus: number; ledger: number; days: number },
): Promise<SeedResult> {
  const x = (sql: string) => prisma.$executeRawUnsafe(sql);
  const orders = Math.round(opts.ledger * 0.12);
  await x(`INSERT INTO "Shop" (id, domain, name, currency, "planKey", "updatedAt")
           VALUES ('${SHOP}', 'bench-analytics.myshopify.com', 'Bench', 'EUR', 'professional', now())`);
  await x(`INSERT INTO "Channel" (id, "shopId", kind, name, "baseUrl", "updatedAt") VALUES
    ('ch-rec', '${SHOP}', 'shopify', 'Shopify', 'https://bench-analytics.myshopify.com', now()),
    ('ch-woo', '${SHOP}', 'woocommerce', 'Woo EU', 'https://woo.example', now()),
    ('ch-ret', '${SHOP}', 'shopify_retailer', 'Retail US', 'https://retail-us.myshopify.com', now()),
    ('ch-amz', '${SHOP}', 'amazon', 'Amazon DE', 'https://amazon.de', now())`);
  await x(`INSERT INTO "CatalogItem" (id, "shopId", sku, "skuKey", title, "inventoryItemId", "updatedAt")
           SELECT 'i' || n, '${SHOP}', 'SKU-' || lpad(n::text, 6, '0'), 'sku-' || lpad(n::text, 6, '0'), 'Item ' || n,
                  'gid://shopify/InventoryItem/' || n, now()
           FROM generate_series(1, ${opts.skus}) n`);
  await x(`INSERT INTO "InventoryLevel" (id, "shopId", "itemId", "locationGid", available, "observedAt", "updatedAt")
           SELECT 'lv' || n || '-' || l, '${SHOP}', 'i' || n, 'gid://shopify/Location/' || l, (random() * 62)::int - 2, now(), now()
           FROM generate_series(1, ${opts.skus}) n, generate_series(1, 2) l`);
  // Orders: 75 % on the three sales channels, 25 % on the record; 3 % cancelled; one line of 1–3 units.
  await x(`CREATE TABLE bench_orders AS
           SELECT n,
                  (ARRAY['ch-woo', 'ch-ret', 'ch-amz', 'ch-rec'])[1 + (n % 4)] AS channel,
                  'i' || (1 + floor(random() * ${opts.skus})::int) AS item,
                  1 + (n % 3) AS qty,
                  (10 + (n % 50))::numeric(14, 2) + CASE WHEN n % 4 = 1 THEN 1 ELSE 0 END AS price,
                  (now() AT TIME ZONE 'UTC') - random() * interval '${opts.days} days' AS placed,
                  n % 33 = 0 AS cancelled
           FROM generate_series(1, ${orders}) n`);
  await x(`INSERT INTO "Order" (id, "shopId", "channelId", "externalId", number, status, currency, "totalPrice", "placedAt",
                                "cancelledAt", "createdAt", "updatedAt")
           SELECT 'o' || n, '${SHOP}', channel, 'ext-' || n, '#' || n, CASE WHEN cancelled THEN 'cancelled' ELSE 'processing' END,
                  CASE WHEN channel = 'ch-ret' THEN 'USD' ELSE 'EUR' END, price * qty, placed,
                  CASE WHEN cancelled THEN placed + interval '1 day' END, placed, placed
           FROM bench_orders`);
  await x(`INSERT INTO "OrderLine" (id, "orderId", "externalLineId", sku, "itemId", title, quantity, price)
           SELECT 'ol' || n, 'o' || n, '1', NULL, item, 'line', qty, price FROM bench_orders`);
  // Sales-channel sales: the channel's row and the record's applied row (with the Shopify level after it).
  await x(`INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", cause, delta, "idempotencyKey", "orderId", "createdAt")
           SELECT '${SHOP}', item, channel, 'order', -qty, 'b:take:' || n, 'o' || n, placed + interval '5 seconds'
           FROM bench_orders WHERE channel <> 'ch-rec'`);
  await x(`INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", "locationGid", cause, delta, before, after,
                                      "idempotencyKey", "orderId", "createdAt")
           SELECT '${SHOP}', item, 'ch-rec', 'gid://shopify/Location/1', 'order', -qty, a + qty, a, 'b:take:' || n || ':applied',
                  'o' || n, placed + interval '10 seconds'
           FROM (SELECT *, (random() * 62)::int - 2 AS a FROM bench_orders WHERE channel <> 'ch-rec') s`);
  await x(`INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", cause, delta, "idempotencyKey", "orderId", "createdAt")
           SELECT '${SHOP}', item, channel, 'cancel', qty, 'b:cancel:' || n, 'o' || n, placed + interval '1 day'
           FROM bench_orders WHERE channel <> 'ch-rec' AND cancelled AND placed + interval '1 day' < (now() AT TIME ZONE 'UTC')`);
  // Record orders: Shopify moved its own stock (a webhook level row).
  await x(`INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", "locationGid", cause, delta, before, after,
                                      "idempotencyKey", "createdAt")
           SELECT '${SHOP}', item, 'ch-rec', 'gid://shopify/Location/' || (1 + n % 2), 'webhook', -qty, a + qty, a,
                  'b:rec:' || n, placed + interval '20 seconds'
           FROM (SELECT *, (random() * 62)::int - 2 AS a FROM bench_orders WHERE channel = 'ch-rec') s`);
  // Pushes: each sales-channel sale is written to two other stores.
  await x(`INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", cause, delta, "idempotencyKey", "createdAt")
           SELECT '${SHOP}', item, (ARRAY['ch-woo', 'ch-ret', 'ch-amz'])[1 + ((n + k) % 3)], 'push', -qty,
                  'b:push:' || n || ':' || k, placed + interval '2 seconds' * (k + 1)
           FROM bench_orders, generate_series(1, 2) k WHERE channel <> 'ch-rec'`);
  const [{ n: sofar }] = await prisma.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM "StockLedger" WHERE "shopId" = '${SHOP}'`,
  );
  const fill = Math.max(0, opts.ledger - sofar);
  await x(`INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", "locationGid", cause, delta, before, after,
                                      "idempotencyKey", "createdAt")
           SELECT '${SHOP}', 'i' || (1 + floor(random() * ${opts.skus})::int), 'ch-rec',
                  'gid://shopify/Location/' || (1 + n % 2), CASE WHEN n % 20 = 0 THEN 'reconcile' ELSE 'webhook' END,
                  d, a - d, a, 'b:fill:' || n, (now() AT TIME ZONE 'UTC') - random() * interval '${opts.days} days'
           FROM (SELECT n, (random() * 62)::int - 2 AS a, (random() * 10)::int - 5 AS d FROM generate_series(1, ${fill}) n) s`);
  // Webhook receipts of the last 7 days (integration health): 60k, 1 % failed, 0.1 % still waiting.
  await x(`INSERT INTO "WebhookReceipt" (id, "shopId", "channelId", source, topic, "dedupeKey", "bodyHash", headers, status,
                                         "receivedAt", "processedAt")
           SELECT 'wr' || n, '${SHOP}', CASE WHEN n % 4 = 0 THEN NULL ELSE (ARRAY['ch-woo', 'ch-ret', 'ch-amz'])[1 + n % 3] END,
                  CASE WHEN n % 4 = 0 THEN 'shopify' ELSE 'woocommerce' END, 'orders/updated', 'bench:' || n, md5(n::text), '{}',
                  CASE WHEN n % 100 = 0 THEN 'failed' WHEN n % 1000 = 1 THEN 'received' ELSE 'processed' END, r,
                  CASE WHEN n % 1000 = 1 THEN NULL ELSE r + random() * interval '2 seconds' END
           FROM (SELECT n, (now() AT TIME ZONE 'UTC') - random() * interval '7 days' AS r FROM generate_series(1, 60000) n) s`);
  // Daily inventory-value snapshots: every item, every day (90 % of items have a cost).
  await x(`INSERT INTO "InventoryValueSnapshot" ("shopId", day, "itemId", available, "unitCost", currency)
           SELECT '${SHOP}', d::date, 'i' || n, (random() * 60)::int,
                  CASE WHEN n % 10 = 0 THEN NULL ELSE (2 + n % 40)::numeric(14, 2) END, CASE WHEN n % 10 = 0 THEN NULL ELSE 'EUR' END
           FROM generate_series(1, ${opts.skus}) n,
                generate_series(current_date - ${opts.days - 1}, current_date, interval '1 day') d`);
  await x(`INSERT INTO "InventoryValueDay" ("shopId", day, currency, units, value, items, "itemsWithoutCost")
           SELECT "shopId", day, COALESCE(currency, '—'), sum(available)::int, COALESCE(sum(available * "unitCost"), 0),
                  count(*)::int, count(*) FILTER (WHERE "unitCost" IS NULL)::int
           FROM "InventoryValueSnapshot" WHERE "shopId" = '${SHOP}' GROUP BY 1, 2, 3`);
  const [{ n: ledger }] = await prisma.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM "StockLedger" WHERE "shopId" = '${SHOP}'`,
  );
  const [{ d: today }] = await prisma.$queryRawUnsafe<{ d: string }[]>(
    `SELECT to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS d`,
  );
  const from = addDays(today, -89);
  return {
    shopId: SHOP,
    period: { from, to: today, prevFrom: addDays(from, -90), prevTo: addDays(from, -1), days: 90 },
    counts: { skus: opts.skus, orders, ledger, receipts: 60000, snapshots: opts.skus * opts.days },
    sampleItemIds: Array.from({ length: 100 }, (_, i) => `i${1 + i * Math.floor(opts.skus / 100)}`),
    async addHour(p: PrismaClient) {
      await p.$executeRawUnsafe(`INSERT INTO "Order" (id, "shopId", "channelId", "externalId", number, status, currency,
                                   "totalPrice", "placedAt", "createdAt", "updatedAt")
        SELECT 'oh' || n, '${SHOP}', 'ch-woo', 'exth-' || n, '#h' || n, 'processing', 'EUR', 20, now() AT TIME ZONE 'UTC',
               now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM generate_series(1, 200) n`);
      await p.$executeRawUnsafe(`INSERT INTO "OrderLine" (id, "orderId", "externalLineId", "itemId", title, quantity, price)
        SELECT 'olh' || n, 'oh' || n, '1', 'i' || (1 + n * 37 % ${opts.skus}), 'line', 1, 20 FROM generate_series(1, 200) n`);
      await p.$executeRawUnsafe(`INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", cause, delta, "idempotencyKey", "orderId", "createdAt")
        SELECT '${SHOP}', 'i' || (1 + n * 37 % ${opts.skus}), 'ch-woo', 'order', -1, 'bh:' || n, 'oh' || n, now() AT TIME ZONE 'UTC'
        FROM generate_series(1, 200) n`);
    },
  };
}
