/**
 * Shared set-up for the fault tests (app/sync/faults/*.integration.test.ts): the real app build, the
 * emulated Shopify shop and WooCommerce stores (tests/harness), a private pg-boss schema per test file
 * (parallel files never run each other's jobs), and either the worker in-process or real worker
 * processes (`node --import tsx app/jobs/worker-main.server.ts`) that a test can SIGKILL. Unique shop domains; nothing
 * is truncated. Not a test file itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import prisma from "../../app/db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "./app";
import { installApp, keepConnection, startWorld, waitFor, type World } from "./world";
import type { WooEmulator, WooEmulatorOptions } from "../emulators/woocommerce/index";
import { startWorker, type WorkerHandle } from "../../app/jobs/worker.server";
import { getBoss, QUEUES, stopBoss } from "../../app/jobs/queue.server";
import { createConnectionCode } from "../../app/sync/stores/registration.server";

export { waitFor };

/** Options of `startFaultWorld`. */
export interface FaultWorldOptions {
  /** Unique per test file (also names the private queue schema). */
  shop: string;
  wooStores?: number;
  woo?: WooEmulatorOptions;
  /** Starting stock per SKU on Shopify and every store (default: the sample catalog's). */
  stockFor?: (sku: string) => number;
  /** Extra env for the app, the in-process worker and spawned workers. */
  env?: Record<string, string>;
  /** "inline": the worker runs in the test process; "processes": n real worker processes (default inline). */
  workers?: "inline" | { processes: number };
  /** Extra env for spawned worker processes only (e.g. DATABASE_URL through a proxy). */
  workerEnv?: Record<string, string>;
  /** Keep the every-minute scheduled reconciliation (default false: these tests prove the inline paths). */
  scheduledReconcile?: boolean;
  /** Register the stores (default true). */
  register?: boolean;
}

/** A spawned worker process. */
export interface WorkerProcess {
  proc: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves when the process exits. */
  exited: Promise<number | null>;
  /** Sends SIGTERM and waits for the exit (graceful). */
  stop(): Promise<void>;
}

/** What a fault test works with. */
export interface FaultWorld {
  world: World;
  app: AppHandle;
  shopId: string;
  channelIds: string[];
  env: Record<string, string>;
  inlineWorker: WorkerHandle | null;
  workers: WorkerProcess[];
  /** Shopify `available` of a SKU at the shop's location (emulator truth). */
  shopifyAvailable(sku: string): number | undefined;
  /** Starts one more worker process with the world's env (plus `extra`). */
  spawnWorker(extra?: Record<string, string>): Promise<WorkerProcess>;
  close(): Promise<void>;
}

/** Milliseconds sleep. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts emulators + app + workers, installs the app, registers the stores and waits until every
 * store's listings are linked and the initial pushes settled.
 */
export async function startFaultWorld(opts: FaultWorldOptions): Promise<FaultWorld> {
  const schemaName = `q_${opts.shop
    .replace(/\.myshopify\.com$/, "")
    .replace(/[^a-z0-9]/gi, "_")
    .toLowerCase()}`;
  const world = await startWorld({
    apiKey: TEST_API_KEY,
    apiSecret: TEST_API_SECRET,
    shop: opts.shop,
    wooStores: opts.wooStores ?? 1,
    woo: opts.woo,
    stockFor: opts.stockFor,
  });
  const env: Record<string, string> = {
    SHOPIFY_ADMIN_ORIGIN: world.shopify.url,
    SYNCFLOW_RETRY_DELAY_S: "1",
    SYNCFLOW_QUEUE_SCHEMA: schemaName,
    SYNCFLOW_QUEUE_SUPERVISE_S: "1",
    SYNCFLOW_JOB_HEARTBEAT_S: "10",
    WOO_TIMEOUT_MS: "2000",
    ...opts.env,
  };
  const app = await startApp(env);
  world.shopify.control.setAppUrl(app.url);
  const workers: WorkerProcess[] = [];
  const spawnWorker = async (extra: Record<string, string> = {}) => {
    const w = await spawnWorkerProcess({
      ...(process.env as Record<string, string>),
      ...env,
      ...opts.workerEnv,
      ...extra,
    });
    workers.push(w);
    if (!opts.scheduledReconcile) await unscheduleReconcile();
    return w;
  };
  let inlineWorker: WorkerHandle | null = null;
  if (!opts.workers || opts.workers === "inline") {
    inlineWorker = await startWorker();
    if (!opts.scheduledReconcile) await unscheduleReconcile();
  } else for (let i = 0; i < opts.workers.processes; i++) await spawnWorker();

  await installApp(app.url, opts.shop, TEST_API_KEY, TEST_API_SECRET);
  const shopId = (
    await waitFor("shop installed", () => prisma.shop.findUnique({ where: { domain: opts.shop } }), 30_000)
  ).id;
  if (!opts.scheduledReconcile) await keepFromOtherSchedules(shopId);
  await waitFor("catalog imported", async () => (await prisma.catalogItem.count({ where: { shopId } })) >= 17, 30_000);
  const channelIds: string[] = [];
  if (opts.register !== false) {
    for (const w of world.woo) {
      const reg = await registerStoreAs(app.url, (await createConnectionCode(shopId)).code, w, opts.shop);
      if (reg.status !== 201) throw new Error(`registration failed: ${reg.status} ${JSON.stringify(reg.body)}`);
      channelIds.push(reg.body.channel_id);
    }
    for (const channelId of channelIds) {
      await waitFor(
        "listings linked",
        async () => (await prisma.listing.count({ where: { channelId, matchStatus: "linked" } })) >= 17,
        30_000,
      );
    }
    // Initial pushes written (every linked listing has a baseline) and the deliveries they caused are done.
    await waitFor(
      "initial push settled",
      async () =>
        (await prisma.listing.count({
          where: { channelId: { in: channelIds }, matchStatus: "linked", lastWrittenQuantity: null },
        })) === 0,
      30_000,
    );
    await Promise.all(world.woo.map((w) => w.control.idle()));
    await sleep(500);
  }
  return {
    world,
    app,
    shopId,
    channelIds,
    env,
    inlineWorker,
    workers,
    shopifyAvailable: (sku) => world.shopify.control.state(opts.shop).availableBySku[sku]?.[world.locationId],
    spawnWorker,
    close: async () => {
      for (const w of workers) await w.stop().catch(() => {});
      await inlineWorker?.stop();
      await stopBoss();
      await app.close();
      await world.close();
    },
  };
}

/**
 * Registers a store as the plugin does (tests/harness/world.ts `registerStore`), from its own client
 * address: registration attempts are rate-limited per client in the shared PostgreSQL, so every test file
 * must not spend the same "direct" budget (`clientId` becomes the X-Forwarded-For address).
 */
export async function registerStoreAs(
  appUrl: string,
  code: string,
  woo: WooEmulator,
  clientId: string,
): Promise<{ status: number; body: any }> {
  const key = woo.control.createKey({ permissions: "read_write" });
  const res = await fetch(`${appUrl}/api/woo/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Forwarded-For": `fault-test-${clientId}` },
    body: JSON.stringify({
      code,
      store_url: woo.url,
      consumer_key: key.consumer_key,
      consumer_secret: key.consumer_secret,
      plugin_version: "1.0.0",
    }),
  });
  const body = await res.json().catch(() => null);
  keepConnection(appUrl, woo, key.consumer_key, res.status, body);
  return { status: res.status, body };
}

/**
 * Keeps every other test file's every-minute reconciliation away from this file's shop. The database is shared and
 * `scheduleDueReconciliations` looks at every shop in it: another file's tick would queue a reconciliation of this
 * shop into ITS queue, whose worker talks to ITS Shopify emulator — the shop's jobs (a missed order's adjustment, a
 * rebalance) then fail there and never reach this file's stores. A recent run and a daily interval make the shop
 * "not due" for every tick; reconciliations this file asks for still run.
 */
export async function keepFromOtherSchedules(shopId: string): Promise<void> {
  await prisma.shop.update({ where: { id: shopId }, data: { reconcileEveryMin: 24 * 60 } });
  await prisma.syncRun.create({
    data: {
      shopId,
      kind: "reconcile",
      trigger: "test",
      dryRun: false,
      status: "succeeded",
      finishedAt: new Date(),
      durationMs: 0,
    },
  });
}

/** Removes the reconcile tick a starting worker schedules (private queue schema: this file's only). */
async function unscheduleReconcile(): Promise<void> {
  await (await getBoss()).unschedule(QUEUES.reconcileTick);
}

/** Spawns `tsx app/jobs/worker-main.server.ts` with `env`; resolves once it logged that it started. */
export async function spawnWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const cwd = process.cwd();
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a child process, so a SIGKILL of the
  // CLI would leave the real worker running as an orphan — not the crash this harness must produce.
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(cwd, "app/jobs/worker-main.server.ts")], {
    cwd,
    env: { ...env, NODE_ENV: "test" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  let dead = false;
  void exited.then(() => (dead = true));
  await waitFor(
    `worker ${proc.pid} started`,
    () => {
      if (dead) throw new Error(`worker exited early:\n${out}`);
      return out.includes("[worker] started");
    },
    60_000,
    50,
  );
  return {
    proc,
    pid: proc.pid!,
    output: () => out,
    exited,
    stop: async () => {
      if (dead) return;
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 8000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Ledger rows of a SKU in a shop, oldest first. */
export async function ledgerFor(shopId: string, sku: string) {
  return prisma.stockLedger.findMany({ where: { shopId, item: { sku } }, orderBy: { id: "asc" } });
}

/**
 * Stock movements the hub booked for one order (ledger rows of the order whose note says the sale is pending on
 * Shopify), as signed unit deltas in ledger order (oldest first): what the whole-journey tests assert so a sale or
 * restock is never booked twice.
 */
export async function orderStockMovements(orderId: string): Promise<number[]> {
  return (await prisma.stockLedger.findMany({ where: { orderId }, orderBy: { id: "asc" } }))
    .filter((l) => /pending on Shopify/.test(l.note ?? ""))
    .map((l) => l.delta ?? 0);
}

/** Shopify adjustments of a SKU in a shop. */
export async function adjustmentsFor(shopId: string, sku: string) {
  return prisma.shopifyAdjustment.findMany({ where: { shopId, item: { sku } }, orderBy: { createdAt: "asc" } });
}

/**
 * Posts a correctly signed Shopify webhook to the app, as Shopify would (HMAC with the test app's secret), with its own
 * webhook and event ids. @returns the app's answer
 */
export async function signedShopifyPost(appUrl: string, shop: string, topic: string, body: string): Promise<Response> {
  const hmac = crypto.createHmac("sha256", TEST_API_SECRET).update(body).digest("base64");
  return fetch(`${appUrl}/webhooks/${topic}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": hmac,
      "X-Shopify-Shop-Domain": shop,
      "X-Shopify-API-Version": "2026-10",
      "X-Shopify-Webhook-Id": crypto.randomUUID(),
      "X-Shopify-Event-Id": crypto.randomUUID(),
      "X-Shopify-Triggered-At": new Date().toISOString(),
    },
    body,
  });
}
