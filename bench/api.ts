/**
 * Merchant API read paths at a real shop's scale (issue 18 item 4; decisions 280–281): a fresh embedded PostgreSQL with
 * one Enterprise shop of `--skus` SKUs (10,000) on Shopify + 2 stores (a level and two linked listings each), `--ledger`
 * ledger rows (200,000) and 20,000 orders; then each read operation, called through `runOperation` exactly as its
 * route does (Bearer key check, the PostgreSQL rate limiter, the plan, zod validation, the queries, JSON), `--runs`
 * times (40) after 3 warm-up calls. Prints p50/p95 per operation (ms) and one JSON line.
 *   npx tsx bench/api.ts [--skus 10000] [--ledger 200000] [--runs 40]
 */
import { startEmbeddedPostgres } from "../app/db/embedded-postgres.server";
import { migrateDeploy } from "../app/db/migrate.server";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SKUS = arg("skus", 10_000);
const LEDGER = arg("ledger", 200_000);
const RUNS = arg("runs", 40);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
}

async function main() {
  const dataDir = `.data/pg-bench-api-${process.pid}`;
  const pg = await startEmbeddedPostgres({ dataDir, database: "syncflow_bench_api", fresh: true });
  try {
    migrateDeploy(pg.url);
    Object.assign(process.env, { DATABASE_URL: pg.url, SYNCFLOW_API_RATE_LIMIT: "1000000", SYNCFLOW_MODE: "test" });
    const { default: prisma } = await import("../app/db.server");
    const { createApiKey } = await import("../app/api/keys.server");
    const handlers = await import("../app/api/handlers.server");
    const shop = await prisma.shop.create({
      data: { domain: "bench-api.myshopify.com", name: "B", planKey: "enterprise", subscriptionStatus: "ACTIVE" },
    });
    const ch = async (kind: string, name: string) =>
      (await prisma.channel.create({ data: { shopId: shop.id, kind, name, baseUrl: `https://${name}.example` } })).id;
    const record = await ch("shopify", "central");
    const wooA = await ch("woocommerce", "woo-a");
    const wooB = await ch("woocommerce", "woo-b");
    const t0 = Date.now();
    const q = (sql: string, ...params: unknown[]) => prisma.$executeRawUnsafe(sql, ...params);
    await q(
      `INSERT INTO "CatalogItem" (id, "shopId", sku, "skuKey", title, "inventoryItemId", "updatedAt")
       SELECT 'i' || lpad(i::text, 6, '0'), $1, 'SKU-' || i, 'sku-' || i, 'Item ' || i, 'gid://shopify/InventoryItem/' || i, now()
       FROM generate_series(1, $2::int) i`,
      shop.id,
      SKUS,
    );
    await q(
      `INSERT INTO "InventoryLevel" (id, "shopId", "itemId", "locationGid", available, "observedAt", "updatedAt")
       SELECT 'l' || i, $1, 'i' || lpad(i::text, 6, '0'), 'gid://shopify/Location/1', i % 50, now(), now() FROM generate_series(1, $2::int) i`,
      shop.id,
      SKUS,
    );
    for (const [n, c] of [
      [1, wooA],
      [2, wooB],
    ] as const)
      await q(
        `INSERT INTO "Listing" (id, "shopId", "channelId", "itemId", "externalId", "productId", "productType", sku, title, "matchStatus", "lastWrittenQuantity", "updatedAt")
         SELECT 'g${n}-' || i, $1, $2, 'i' || lpad(i::text, 6, '0'), '${n}' || i, '${n}' || i, 'simple', 'SKU-' || i, 'Item ' || i, 'linked', i % 50, now()
         FROM generate_series(1, $3::int) i`,
        shop.id,
        c,
        SKUS,
      );
    const causes = ["order", "push", "webhook", "reconcile", "manual", "cancel"];
    await q(
      `INSERT INTO "StockLedger" ("shopId", "itemId", "channelId", cause, delta, before, after, "idempotencyKey", "createdAt")
       SELECT $1, 'i' || lpad((1 + i % $3::int)::text, 6, '0'), CASE i % 3 WHEN 0 THEN $4 WHEN 1 THEN $5 ELSE $6 END,
         ($7::text[])[1 + i % 6], -1, 10, 9, 'bench:' || i, now() - (i || ' seconds')::interval
       FROM generate_series(1, $2::int) i`,
      shop.id,
      LEDGER,
      SKUS,
      record,
      wooA,
      wooB,
      causes,
    );
    await q(
      `INSERT INTO "Order" (id, "shopId", "channelId", "externalId", number, status, currency, "totalPrice", "placedAt", "updatedAt")
       SELECT 'o' || i, $1, CASE i % 2 WHEN 0 THEN $2 ELSE $3 END, 'x' || i, '#' || i,
         CASE i % 4 WHEN 0 THEN 'completed' ELSE 'processing' END, 'EUR', 20, now() - (i || ' minutes')::interval, now()
       FROM generate_series(1, 20000) i`,
      shop.id,
      wooA,
      wooB,
    );
    await q(
      `INSERT INTO "OrderLine" (id, "orderId", "externalLineId", sku, title, quantity, price)
       SELECT 'ol' || i, 'o' || i, '1', 'SKU-' || (1 + i % $1::int), 'Item', 1 + i % 3, 10 FROM generate_series(1, 20000) i`,
      SKUS,
    );
    await q(`ANALYZE`);
    const seedMs = Date.now() - t0;
    const { secret } = await createApiKey(shop.id, { name: "bench", scope: "read" });
    const headers = { authorization: `Bearer ${secret}` };
    type Op = [string, string, (c: Parameters<typeof handlers.listInventory>[0], u: URL) => Promise<Response>];
    const mid = `SKU-${Math.floor(SKUS / 2)}`;
    const since = new Date(Date.now() - 3_600_000).toISOString();
    // A deep inventory page: the cursor of the item in the middle of the catalog.
    const deep = Buffer.from(JSON.stringify(`i${String(Math.floor(SKUS / 2)).padStart(6, "0")}`)).toString("base64url");
    const ops: Op[] = [
      ["inventory, first page of 250", "/inventory?limit=250", handlers.listInventory],
      ["inventory, a page of 250 mid-catalog", `/inventory?limit=250&cursor=${deep}`, handlers.listInventory],
      ["inventory, one SKU", `/inventory?sku=${mid}`, handlers.listInventory],
      ["ledger, newest 250", "/ledger?limit=250", handlers.listLedger],
      ["ledger, one SKU", `/ledger?sku=${mid}&limit=250`, handlers.listLedger],
      ["ledger, cause manual, last hour", `/ledger?cause=manual&since=${since}&limit=250`, handlers.listLedger],
      ["orders, newest 250", "/orders?limit=250", handlers.listOrders],
      ["orders, completed, page of 100", "/orders?status=completed&limit=100", handlers.listOrders],
    ];
    const out: Record<string, { p50: number; p95: number }> = {};
    for (const [name, path, fn] of ops) {
      const opId = path.startsWith("/inventory")
        ? "listInventory"
        : path.startsWith("/ledger")
          ? "listLedger"
          : "listOrders";
      const times: number[] = [];
      for (let i = 0; i < RUNS + 3; i++) {
        const t = performance.now();
        const res = await handlers.runOperation(opId, new Request(`http://bench/api/v1${path}`, { headers }), fn);
        await res.text();
        if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
        if (i >= 3) times.push(performance.now() - t);
      }
      out[name] = { p50: pct(times, 50), p95: pct(times, 95) };
      console.log(
        `${name.padEnd(40)} p50 ${String(out[name].p50).padStart(7)} ms   p95 ${String(out[name].p95).padStart(7)} ms`,
      );
    }
    console.log(JSON.stringify({ api: { skus: SKUS, ledger: LEDGER, orders: 20_000, runs: RUNS, seedMs, ops: out } }));
    await prisma.$disconnect();
  } finally {
    await pg.stop();
    (await import("node:fs")).rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
