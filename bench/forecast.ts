/**
 * Forecast queries at a real shop's scale (issue 18 "Done when": 10,000 SKUs, 1,000,000 ledger rows, 90 days, cold
 * cache, ≤ 300 ms p95; decisions 294–295). Seeds one shop on a fresh embedded PostgreSQL with SQL generate_series:
 * `--skus` items (10,000), each with a Shopify level at a location, `--rows` ledger rows in all (1,000,000) over
 * `--days` days (90) — the levels, a stockout week for 10 % of the items (level 0, then restocked), and WooCommerce sale
 * rows (1–3 units) for the rest — and the analytics rollups the forecast reads (AnalyticsSkuDay / AnalyticsSkuChannelDay, one
 * row per SKU and day, written directly; `--rebuild` builds them from the ledger with N's `rebuildRollups`), and measures:
 *
 *  - `reorderPageMs` — what the Reorder page runs (`reorderPage`: the page of 50 least-cover items to reorder, the count
 *    of the tab, the count to reorder; from ItemForecast) — the forecast query a merchant waits for;
 *  - `reorderCsvMs` — the full CSV rows of the "all" tab (10,000 rows);
 *  - `livePageForecastMs` — 50 items forecast live from the rollups (`skuDailySales` over `--days` + the model), i.e.
 *    what the page would cost without stored forecasts;
 *  - `computeShopMs` — the hourly job for the whole shop (`computeShopForecasts`, every SKU, history `--days`), once.
 *
 * Cold cache: before each cold run PostgreSQL is STOPPED AND RESTARTED (empty shared buffers) and a new Prisma client
 * connects; the OS page cache is not dropped (that needs root and would disturb other processes). `--cold-runs` (10)
 * cold runs give the cold p95; 30 warm runs the warm p95.
 *
 * `npx tsx bench/forecast.ts [--skus 10000] [--rows 1000000] [--days 90] [--cold-runs 10] [--rebuild]` — the last stdout line is
 * one JSON object `{"forecast":{...}}`. Only this benchmark's PostgreSQL runs (stopped and removed at the end).
 */
import fs from "node:fs";
import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";
import { startEmbeddedPostgres, type EmbeddedHandle } from "../app/db/embedded-postgres.server";
import { migrateDeploy } from "../app/db/migrate.server";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SKUS = Number(arg("skus") ?? 10_000);
const ROWS = Number(arg("rows") ?? 1_000_000);
const DAYS = Number(arg("days") ?? 90);
const COLD_RUNS = Number(arg("cold-runs") ?? 10);
const REBUILD = process.argv.includes("--rebuild");
const WARM_RUNS = 30;

const p = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! * 10) / 10;
};
const stats = (xs: number[]) => ({ p50: p(xs, 0.5), p95: p(xs, 0.95), max: p(xs, 1), runs: xs.length });

async function main() {
  const dataDir = `.data/pg-bench-forecast-${process.pid}`;
  const database = "syncflow_bench_forecast";
  let pg: EmbeddedHandle = await startEmbeddedPostgres({ dataDir, database, fresh: true });
  const connect = (url: string) => {
    const c = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 4 }) });
    globalThis.__syncflowPrisma = c;
    return c;
  };
  try {
    migrateDeploy(pg.url);
    process.env.DATABASE_URL = pg.url;
    let client = connect(pg.url);
    const { rebuildRollups, skuDailySales, localDay } = await import("../app/analytics/rollups.server");
    const { computeShopForecasts } = await import("../app/forecast/forecast.server");
    const { reorderPage, reorderRows } = await import("../app/forecast/reorder.server");
    const { forecast, addDays } = await import("../app/forecast/model");

    const t0 = Date.now();
    const shop = await client.shop.create({
      data: {
        domain: `bench-forecast-${process.pid}.myshopify.com`,
        name: "B",
        planKey: "professional",
        subscriptionStatus: "ACTIVE",
      },
    });
    const woo = await client.channel.create({
      data: { shopId: shop.id, kind: "woocommerce", name: "Woo", baseUrl: "https://woo.example" },
    });
    await client.channel.create({
      data: { shopId: shop.id, kind: "shopify", name: "Shopify", baseUrl: "https://shop.example" },
    });
    const born = new Date(Date.now() - (DAYS + 1) * 86_400_000);
    await client.$executeRaw`
      INSERT INTO "CatalogItem" (id, "shopId", sku, "skuKey", title, "createdAt", "updatedAt")
      SELECT 'bi-' || g, ${shop.id}, 'SKU-' || lpad(g::text, 5, '0'), 'sku-' || lpad(g::text, 5, '0'), 'Item ' || g, ${born}, now()
      FROM generate_series(1, ${SKUS}) g`;
    await client.$executeRaw`
      INSERT INTO "InventoryLevel" (id, "shopId", "itemId", "locationGid", available, "observedAt", "updatedAt")
      SELECT 'bl-' || g, ${shop.id}, 'bi-' || g, 'gid://shopify/Location/1', (g * 37) % 400, now(), now()
      FROM generate_series(1, ${SKUS}) g`;
    // Levels: one at the start for every item; a stockout week (0, then 300) for every 10th item.
    await client.$executeRaw`
      INSERT INTO "StockLedger" ("shopId", "itemId", cause, "locationGid", after, "idempotencyKey", "createdAt")
      SELECT ${shop.id}, 'bi-' || g, 'initial', 'gid://shopify/Location/1', 500, 'b:init:' || g, ${born}
      FROM generate_series(1, ${SKUS}) g`;
    const outItems = Math.floor(SKUS / 10);
    await client.$executeRaw`
      INSERT INTO "StockLedger" ("shopId", "itemId", cause, "locationGid", after, "idempotencyKey", "createdAt")
      SELECT ${shop.id}, 'bi-' || (g * 10), 'webhook', 'gid://shopify/Location/1', v.after, 'b:out:' || g || ':' || v.after,
             now() - (v.days || ' days')::interval
      FROM generate_series(1, ${outItems}) g, (VALUES (0, 30), (300, 23)) AS v(after, days)`;
    const sales = ROWS - SKUS - outItems * 2;
    await client.$executeRaw`
      INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", cause, delta, "idempotencyKey", "createdAt")
      SELECT ${shop.id}, 'bi-' || (1 + (g::bigint * 7919) % ${SKUS}), ${woo.id}, 'order', -(1 + g % 3), 'b:sale:' || g,
             now() - ((g % (${DAYS} * 24 * 60)) || ' minutes')::interval
      FROM generate_series(1, ${sales}) g`;
    await client.$executeRaw`ANALYZE`;
    const seedMs = Date.now() - t0;
    const ledgerRows = await client.stockLedger.count({ where: { shopId: shop.id } });

    // The rollups the forecast reads (N's tables, decision 288), one row per item and day as `rebuildRollups` leaves
    // them: units 0–6 a day, stockout for every 10th item from 30 to 23 days ago. `--rebuild` builds them from the
    // ledger with `rebuildRollups` instead (timed; slow at this shape in N's first version — see the report).
    let t = Date.now();
    let rollupsMs: number | null = null;
    if (REBUILD) {
      await rebuildRollups(shop.id);
      rollupsMs = Date.now() - t;
    } else {
      await client.$executeRaw`
        INSERT INTO "AnalyticsSkuDay" ("shopId", "itemId", day, "unitsSold", stockout, "minAvailable", "endAvailable")
        SELECT ${shop.id}, 'bi-' || g, (current_date - d), CASE WHEN g % 10 = 0 AND d BETWEEN 23 AND 30 THEN 0 ELSE (g + d) % 7 END,
               g % 10 = 0 AND d BETWEEN 23 AND 30, 0, CASE WHEN g % 10 = 0 AND d BETWEEN 23 AND 30 THEN 0 ELSE 300 END
        FROM generate_series(1, ${SKUS}) g, generate_series(1, ${DAYS}) d`;
      await client.$executeRaw`
        INSERT INTO "AnalyticsSkuChannelDay" ("shopId", "itemId", "channelId", day, units)
        SELECT "shopId", "itemId", ${woo.id}, day, "unitsSold" FROM "AnalyticsSkuDay" WHERE "shopId" = ${shop.id} AND "unitsSold" > 0`;
      await client.$executeRaw`ANALYZE`;
    }
    const seedRollupsMs = Date.now() - t;
    await client.forecastSettings.create({
      data: { shopId: shop.id, historyDays: DAYS, leadTimeDays: 14, safetyStock: 10 },
    });
    t = Date.now();
    const computed = await computeShopForecasts(shop.id, { alerts: false });
    const computeShopMs = Date.now() - t;
    await client.$executeRaw`ANALYZE "ItemForecast"`;
    const toReorder = await client.itemForecast.count({ where: { shopId: shop.id, reorderNow: true } });

    const today = localDay("UTC");
    const pageIds = (
      await client.catalogItem.findMany({
        where: { shopId: shop.id },
        select: { id: true },
        orderBy: { skuKey: "asc" },
        take: 50,
      })
    ).map((x) => x.id);
    const runs: Record<string, () => Promise<unknown>> = {
      reorderPageMs: () => reorderPage(shop.id, { filter: "reorder", sort: "cover", pageSize: 50 }),
      reorderCsvMs: () => reorderRows(shop.id, "all"),
      livePageForecastMs: async () => {
        const series = await skuDailySales(shop.id, addDays(today, -DAYS), addDays(today, -1), { variantIds: pageIds });
        const by = new Map<string, { day: string; units: number; stockout: boolean }[]>();
        for (const d of series)
          by.set(d.variantId, [
            ...(by.get(d.variantId) ?? []),
            { day: d.day, units: d.unitsSold, stockout: d.stockout },
          ]);
        return [...by.values()].map((days) =>
          forecast({ days, available: 100, today, leadTimeDays: 14, safetyStock: 10, orderForDays: 30 }),
        );
      },
    };
    const cold: Record<string, number[]> = {};
    const warm: Record<string, number[]> = {};
    for (const name of Object.keys(runs)) {
      cold[name] = [];
      warm[name] = [];
    }
    for (let i = 0; i < COLD_RUNS; i++) {
      for (const [name, run] of Object.entries(runs)) {
        await client.$disconnect();
        await pg.stop();
        pg = await startEmbeddedPostgres({ dataDir, database });
        client = connect(pg.url);
        await client.$queryRaw`SELECT 1`; // the connection itself is not what we measure
        const s = performance.now();
        await run();
        cold[name]!.push(performance.now() - s);
      }
    }
    for (let i = 0; i < WARM_RUNS; i++)
      for (const [name, run] of Object.entries(runs)) {
        const s = performance.now();
        await run();
        warm[name]!.push(performance.now() - s);
      }
    const out = {
      forecast: {
        skus: SKUS,
        ledgerRows,
        days: DAYS,
        toReorder,
        seedMs,
        rollupsMs,
        seedRollupsMs,
        computeShopMs,
        computedItems: computed.items,
        cold: Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, stats(v)])),
        warm: Object.fromEntries(Object.entries(warm).map(([k, v]) => [k, stats(v)])),
      },
    };
    await client.$disconnect();
    console.log(JSON.stringify(out));
  } finally {
    await pg.stop().catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(`${dataDir}.embedded.json`, { force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
