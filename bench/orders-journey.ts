/**
 * Orders page journey filters at a real shop's scale (issue 15 item 5, decisions 241 and 263): seeds one shop with
 * `--orders N` orders (100,000 by default; SQL generate_series, ~10 s) on a fresh embedded PostgreSQL, then for each
 * journey filter ("not imported", "shipped, not pushed back", "needs attention") times `listOrders` (the page, its
 * count and revenue, and the three tab counts; median of 5) and prints the EXPLAIN (ANALYZE, BUFFERS) of the page
 * query and of each tab count exactly as Prisma sends them (SQL and parameters from Prisma's query log).
 *
 * `npx tsx bench/orders-journey.ts [--orders 100000] [--plans]` — the last stdout line is one JSON object
 * `{"ordersJourney":{"orders":N,"listOrdersMs":{filter: ms},"pageQueryMs":{filter: ms}}}`; `--plans` also prints
 * every plan. Only this benchmark's PostgreSQL runs (stopped and removed at the end); nothing else is started.
 *
 * The seed: 35 % orders of the central Shopify shop itself (not counted against stock, as recordShopifyOrder
 * records them), 13 % of a WooCommerce store that does not import, ~51 % imported (one fulfilment each, pushed back),
 * 2 % cancelled; and 100 each, spread over the year like the rest: queued, failed, needs_attention, cancel failed,
 * flagged, failed pushback, never queued on an importing store — the few rows the filters must find.
 */
import fs from "node:fs";
import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";
import { startEmbeddedPostgres } from "../app/db/embedded-postgres.server";
import { migrateDeploy } from "../app/db/migrate.server";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ORDERS = Number(arg("orders") ?? 100_000);
const PLANS = process.argv.includes("--plans");

async function main() {
  const dataDir = `.data/pg-bench-journey-${process.pid}`;
  const pg = await startEmbeddedPostgres({ dataDir, database: "syncflow_bench_journey", fresh: true });
  try {
    migrateDeploy(pg.url);
    process.env.DATABASE_URL = pg.url;
    const log: { query: string; params: string }[] = [];
    const client = new PrismaClient({
      adapter: new PrismaPg({ connectionString: pg.url, max: 4 }),
      log: [{ emit: "event", level: "query" }],
    });
    (client as unknown as { $on: (e: string, f: (q: { query: string; params: string }) => void) => void }).$on(
      "query",
      (q) => log.push({ query: q.query, params: q.params }),
    );
    globalThis.__syncflowPrisma = client;
    const { listOrders } = await import("../app/models/orders.server");
    const { JOURNEY_FILTERS } = await import("../app/lib/order-journey");

    const shop = await client.shop.create({
      data: {
        domain: `bench-journey-${process.pid}.myshopify.com`,
        name: "B",
        // Unlimited orders (plans.ts): no order of the 100k is hidden by the plan's count.
        planKey: "enterprise",
        subscriptionStatus: "ACTIVE",
        currentPeriodEnd: new Date(Date.now() + 20 * 86_400_000),
      },
    });
    const ch = async (kind: string, name: string) =>
      (await client.channel.create({ data: { shopId: shop.id, kind, name, baseUrl: `https://${name}.example` } })).id;
    const record = await ch("shopify", "central");
    const wooA = await ch("woocommerce", "woo-a");
    const wooB = await ch("woocommerce", "woo-b");
    const wooOff = await ch("woocommerce", "woo-off");
    for (const channelId of [wooA, wooB])
      await client.orderImportSetting.create({ data: { channelId, importOrders: true, pushFulfilments: true } });
    await client.orderImportSetting.create({ data: { channelId: wooOff, importOrders: false } });

    const t0 = Date.now();
    await client.$executeRawUnsafe(
      `INSERT INTO "Order" (id, "shopId", "channelId", "externalId", number, status, "totalPrice", currency, "placedAt",
         "cancelledAt", "stockTaken", "importState", "importError", "centralOrderId", "importFlags", "fulfilmentState",
         "trackingDeliveredAt", "updatedAt")
       SELECT 'o' || i, $1, ch, 'x' || i, '#' || i, 'processing', 10 + i % 90, 'EUR', ts,
         CASE WHEN r >= 7 AND i % 50 = 49 THEN ts END, NOT (r BETWEEN 7 AND 357),
         CASE r WHEN 0 THEN 'queued' WHEN 1 THEN 'failed' WHEN 2 THEN 'needs_attention' WHEN 3 THEN 'cancelling'
           ELSE CASE WHEN r IN (4, 5) OR (r > 487 AND i % 50 <> 49) THEN 'imported' END END,
         CASE WHEN r IN (1, 2, 3) THEN 'boom' END,
         CASE WHEN r IN (3, 4, 5) OR (r > 487 AND i % 50 <> 49) THEN 'gid://shopify/Order/' || i END,
         CASE WHEN r = 4 THEN ARRAY['source_refunded'] ELSE '{}'::text[] END,
         CASE WHEN r IN (4, 5) OR r > 487 THEN 'fulfilled' END,
         CASE WHEN r = 4 OR r > 487 THEN ts + interval '2 days' END, now()
       FROM (SELECT i, i % 1000 AS r, now() - (((i * 7919) % ${ORDERS}) * interval '1 second' * 315) AS ts,
               CASE WHEN i % 1000 BETWEEN 7 AND 357 THEN $2 WHEN i % 1000 BETWEEN 358 AND 487 THEN $3
                    WHEN i % 2 = 0 THEN $4 ELSE $5 END AS ch
             FROM generate_series(1, ${ORDERS}) i) s`,
      shop.id,
      record,
      wooOff,
      wooA,
      wooB,
    );
    await client.$executeRawUnsafe(
      `INSERT INTO "OrderFulfilment" (id, "orderId", "centralFulfilmentId", "centralStatus", lines, "centralUpdatedAt",
         "pushState", "pushError", "updatedAt")
       SELECT 'f' || o.id, o.id, 'gid://shopify/Fulfillment/' || o.id, 'SUCCESS', '[]', now(),
         CASE WHEN o.id LIKE '%005' THEN 'failed' ELSE 'pushed' END, NULL, now()
       FROM "Order" o WHERE o."fulfilmentState" = 'fulfilled'`,
    );
    // --sql FILE: statements to try before measuring (one per `;` line end), e.g. a candidate index.
    const extra = arg("sql");
    if (extra)
      for (const stmt of fs
        .readFileSync(extra, "utf8")
        .split(/;\s*\n/)
        .map((x) => x.trim())
        .filter(Boolean))
        await client.$executeRawUnsafe(stmt);
    await client.$executeRawUnsafe(`VACUUM ANALYZE "Order"`);
    await client.$executeRawUnsafe(`VACUUM ANALYZE "OrderFulfilment"`);
    console.log(`seeded ${ORDERS} orders in ${Date.now() - t0} ms`);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const listOrdersMs: Record<string, number> = {};
    const pageQueryMs: Record<string, number> = {};
    const counts: Record<string, number> = {};
    for (const journey of [undefined, ...JOURNEY_FILTERS]) {
      const name = journey ?? "all";
      const times: number[] = [];
      let result: Awaited<ReturnType<typeof listOrders>> | undefined;
      for (let k = 0; k < 5; k++) {
        log.length = 0;
        const t = performance.now();
        result = await listOrders(shop.id, { journey });
        times.push(performance.now() - t);
      }
      listOrdersMs[name] = Math.round(median(times) * 10) / 10;
      counts[name] = result!.total;
      // The last run's queries: the page (ORDER BY … LIMIT) and, on the unfiltered run, the three tab counts.
      const explain = async (label: string, q: { query: string; params: string }) => {
        const params = JSON.parse(q.params) as unknown[];
        const rows = await client.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(
          `EXPLAIN (ANALYZE, BUFFERS) ${q.query}`,
          ...params,
        );
        const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
        const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1]);
        if (PLANS) console.log(`\n=== ${label}\n${plan}`);
        return ms;
      };
      const page = log.find(
        (q) => /ORDER BY/.test(q.query) && /"placedAt"/.test(q.query) && /FROM "public"."Order"/.test(q.query),
      );
      if (page) pageQueryMs[name] = await explain(`page query, journey=${name}`, page);
      // A journey filter's ids-first read (orders.server.ts pageWhere): every match's id and placedAt.
      const ids = log.find((q) => /^SELECT "public"."Order"."id", "public"."Order"."placedAt" FROM/.test(q.query));
      if (journey && ids) pageQueryMs[`${name}:ids`] = await explain(`ids-first read, journey=${name}`, ids);
      if (!journey) {
        const tabCounts = log.filter((q) => /COUNT/i.test(q.query) && /FROM "public"."Order"/.test(q.query));
        for (const [i, q] of tabCounts.entries()) pageQueryMs[`count#${i}`] = await explain(`count #${i}`, q);
      }
      console.log(
        `journey=${name}: ${counts[name]} orders, listOrders median ${listOrdersMs[name]} ms (${times.map((x) => x.toFixed(0)).join(", ")}), page query ${pageQueryMs[name]} ms`,
      );
    }
    await client.$disconnect();
    console.log(JSON.stringify({ ordersJourney: { orders: ORDERS, counts, listOrdersMs, pageQueryMs } }));
  } finally {
    await pg.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
