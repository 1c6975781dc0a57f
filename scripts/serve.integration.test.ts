/**
 * The production server (build/node/serve.js, scripts/serve.ts) and the webhook intake behind it, as a real
 * child process on the real build and PostgreSQL, with the worker in this process:
 * - the direct webhook path keeps the library's verification answers (401 bad HMAC, 400 missing headers),
 *   404 for an unknown store, and pages still go through Remix;
 * - a burst of concurrent deliveries (group commit) stores one receipt per delivery with the shop resolved,
 *   acknowledges a duplicate as such, and every receipt gets processed; late (stale) level updates are
 *   settled as "stale" without a ledger row, a newer one is applied.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../app/db.server";
import { startWorker, type WorkerHandle } from "../app/jobs/worker.server";
import { stopBoss } from "../app/jobs/queue.server";
import { startShopifyEmulator, type ShopifyEmulator } from "../tests/emulators/shopify/index";
import { installApp, waitFor } from "../tests/harness/world";
import { TEST_API_KEY, TEST_API_SECRET } from "../tests/harness/app";
import { NODE_ENTRIES } from "./lib/build";
import { freePort } from "../app/lib/free-port.server";

const SHOP = "serve-intake.myshopify.com";
let shopify: ShopifyEmulator;
let server: ChildProcess;
let url: string;
let worker: WorkerHandle;
let shopId: string;

function post(
  topic: string,
  body: object,
  opts: { secret?: string; drop?: string; webhookId?: string } = {},
): Promise<Response> {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Shopify-Topic": topic,
    "X-Shopify-Hmac-Sha256": crypto
      .createHmac("sha256", opts.secret ?? TEST_API_SECRET)
      .update(raw)
      .digest("base64"),
    "X-Shopify-Shop-Domain": SHOP,
    "X-Shopify-API-Version": "2026-10",
    "X-Shopify-Webhook-Id": opts.webhookId ?? crypto.randomUUID(),
    "X-Shopify-Triggered-At": new Date().toISOString(),
  };
  if (opts.drop) delete headers[opts.drop];
  return fetch(`${url}/webhooks/${topic}`, { method: "POST", headers, body: raw });
}

beforeAll(async () => {
  process.env.SYNCFLOW_QUEUE_SCHEMA ??= `pgboss_t${process.pid}`;
  shopify = await startShopifyEmulator({
    apiKey: TEST_API_KEY,
    apiSecret: TEST_API_SECRET,
    restoreRate: 1000,
    webhookDelayMs: 5,
  });
  const { locationId } = shopify.control.createShop({ domain: SHOP, name: "Serve Co" });
  for (let i = 0; i < 3; i++)
    shopify.control.createProduct(SHOP, {
      title: `Tee ${i}`,
      variants: [{ sku: `SERVE-${i}`, price: "10.00", tracked: true, quantities: { [locationId]: 5 } }],
    });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // The same settings for the server and for the worker in this process.
  Object.assign(process.env, {
    SHOPIFY_API_KEY: TEST_API_KEY,
    SHOPIFY_API_SECRET: TEST_API_SECRET,
    SHOPIFY_APP_URL: url,
    SCOPES: "read_products,read_inventory,write_inventory,read_orders,read_locations",
    SYNCFLOW_MODE: "test",
    SHOPIFY_ADMIN_ORIGIN: shopify.url,
  });
  server = spawn(
    process.execPath,
    [path.join(process.cwd(), NODE_ENTRIES.serve.out), path.join(process.cwd(), "build", "server", "index.js")],
    {
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        HOST: "127.0.0.1",
        SYNCFLOW_WORKER: "separate",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  await waitFor(
    "server up",
    () =>
      fetch(`${url}/`)
        .then((r) => r.status > 0)
        .catch(() => false),
    30_000,
    100,
  );
  shopify.control.setAppUrl(url);
  worker = await startWorker();
  await installApp(url, SHOP, TEST_API_KEY, TEST_API_SECRET);
  shopId = (await waitFor("installed", () => prisma.shop.findUnique({ where: { domain: SHOP } }))).id;
  await waitFor(
    "catalog imported",
    async () => (await prisma.inventoryLevel.count({ where: { shopId } })) === 3,
    30_000,
    100,
  );
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await stopBoss();
  server?.kill("SIGTERM");
  await shopify?.close();
});

describe("production server: webhook intake", () => {
  it("answers 401 to a bad HMAC, 400 to missing headers, 404 to an unknown store; pages still go through Remix", async () => {
    expect((await post("orders/create", { id: 1 }, { secret: "wrong" })).status).toBe(401);
    expect((await post("orders/create", { id: 1 }, { drop: "X-Shopify-Webhook-Id" })).status).toBe(400);
    expect((await post("orders/create", { id: 1 }, { drop: "X-Shopify-Hmac-Sha256" })).status).toBe(400);
    expect((await fetch(`${url}/webhooks/woocommerce/nope`, { method: "POST", body: "{}" })).status).toBe(404);
    const page = await fetch(`${url}/auth/login`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
  });

  it("stores a burst of concurrent deliveries once each, acknowledges a duplicate, and processes them all", async () => {
    const levels = await prisma.inventoryLevel.findMany({
      where: { shopId },
      include: { item: { select: { inventoryItemId: true } } },
    });
    const late = levels.map((l) => ({
      item: l.item.inventoryItemId!.split("/").pop(),
      loc: l.locationGid.split("/").pop(),
      available: l.available,
    }));
    const body = (x: (typeof late)[number], available: number, updatedAt: string) => ({
      inventory_item_id: Number(x.item),
      location_id: Number(x.loc),
      available,
      updated_at: updatedAt,
      admin_graphql_api_id: `gid://shopify/InventoryLevel/${x.loc}?inventory_item_id=${x.item}`,
    });
    const ledgerBefore = await prisma.stockLedger.count({ where: { shopId } });
    const dupId = crypto.randomUUID();
    const burst = [
      ...Array.from({ length: 30 }, (_, i) =>
        post("inventory_levels/update", body(late[i % late.length]!, 1, "2020-01-01T00:00:00Z")),
      ),
      post("inventory_levels/update", body(late[0]!, 1, "2020-01-01T00:00:00Z"), { webhookId: dupId }),
      post("inventory_levels/update", body(late[0]!, 1, "2020-01-01T00:00:00Z"), { webhookId: dupId }),
    ];
    const answers = await Promise.all(
      burst.map(async (r) => {
        const res = await r;
        return { status: res.status, body: await res.json() };
      }),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.body.duplicate)).toHaveLength(1);
    const receipts = await prisma.webhookReceipt.findMany({
      where: {
        shopId,
        topic: "inventory_levels/update",
        body: { path: ["updated_at"], equals: "2020-01-01T00:00:00Z" },
      },
    });
    expect(receipts).toHaveLength(31);
    await waitFor(
      "all processed",
      async () =>
        (await prisma.webhookReceipt.count({
          where: { id: { in: receipts.map((r) => r.id) }, status: "received" },
        })) === 0,
      30_000,
      100,
    );
    const after = await prisma.webhookReceipt.findMany({ where: { id: { in: receipts.map((r) => r.id) } } });
    expect(after.every((r) => r.status === "ignored" && r.error === "stale")).toBe(true);
    expect(await prisma.stockLedger.count({ where: { shopId } })).toBe(ledgerBefore);

    // A newer update is applied (one ledger row), not mistaken for stale.
    const res = await post(
      "inventory_levels/update",
      body(late[1]!, late[1]!.available + 4, new Date(Date.now() + 1000).toISOString()),
    );
    expect(res.status).toBe(200);
    await waitFor(
      "applied",
      async () => (await prisma.stockLedger.count({ where: { shopId } })) === ledgerBefore + 1,
      30_000,
      100,
    );
  }, 60_000);
});
