/**
 * WooCommerce transport faults while the hub pushes a Shopify change to a store in exact mode (plugin
 * delta, request key `push:<listing>:<seq>`): 5xx, 429, a request that never answers (client timeout), a
 * request answered after the client gave up (applied late), connection resets, and 5xx beyond the
 * client's own retries (the job layer retries). The store always ends at the derived quantity with the
 * change applied once and one `push` ledger row for it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { sleep, startFaultWorld, waitFor, type FaultWorld } from "../../../tests/harness/faults";
import type { WooFaults } from "../../../tests/emulators/woocommerce/index";

const SHOP = "fault-woo-transport.myshopify.com";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, env: { WOO_TIMEOUT_MS: "1500" } });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

const deltaCalls = () => fw.world.woo[0]!.requestCounts.get("POST /wp-json/wc-syncflow/v1/stock/delta") ?? 0;

/** Changes `sku` on Shopify to `to` under `faults` and checks the store followed exactly once. */
async function pushSurvives(sku: string, to: number, faults: WooFaults, during?: () => Promise<void>) {
  const woo = fw.world.woo[0]!;
  const listing = await prisma.listing.findFirstOrThrow({ where: { channelId: fw.channelIds[0]!, sku } });
  const pushesBefore = await prisma.stockLedger.count({
    where: { shopId: fw.shopId, itemId: listing.itemId!, cause: "push" },
  });
  const from = woo.control.getStock(sku)!;
  woo.control.setFaults(faults);
  fw.world.shopify.control.setAvailable(SHOP, { sku, available: to });
  await during?.();
  await waitFor(
    `${sku} pushed`,
    async () => {
      const l = await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } });
      return woo.control.getStock(sku) === to && l.inFlightPushSeq == null && l.lastWrittenQuantity === to;
    },
    30_000,
  );
  woo.control.resetFaults();
  await woo.control.idle();
  await sleep(600);
  expect(woo.control.getStock(sku)).toBe(to);
  const pushes = await prisma.stockLedger.findMany({
    where: { shopId: fw.shopId, itemId: listing.itemId!, cause: "push" },
    orderBy: { id: "asc" },
  });
  expect(pushes.length - pushesBefore).toBe(1);
  expect(pushes.at(-1)).toMatchObject({ delta: to - from, after: to });
}

describe("WooCommerce transport faults on a push", () => {
  it("5xx: retried with the same request key, applied once", async () => {
    await pushSurvives("woo-beanie", 7, { failNext: { status: 503, count: 2, paths: ["stock/delta"] } });
  });

  it("429 with Retry-After: retried, applied once", async () => {
    await pushSurvives("woo-belt", 4, { failNext: { status: 429, count: 1, paths: ["stock/delta"] } });
  });

  it("a request that never answers (timeout): retried, applied once", async () => {
    await pushSurvives("woo-cap", 9, { hangNext: 1 });
  });

  it("an answer that comes after the client gave up (applied late): the retry is replayed by its key, applied once", async () => {
    const calls = deltaCalls();
    await pushSurvives("woo-sunglasses", 3, { latencyMs: 2500 }, async () => {
      await waitFor("first delta request in flight", () => deltaCalls() > calls, 10_000, 5);
      fw.world.woo[0]!.control.setFaults({ latencyMs: 0 });
    });
  });

  it("connection resets: retried, applied once", async () => {
    await pushSurvives("woo-polo", 5, { resetNext: 2 });
  });

  it("5xx beyond the client's retries: the job fails, the job layer retries the in-flight push verbatim, applied once", async () => {
    const calls = deltaCalls();
    await pushSurvives("woo-long-sleeve-tee", 6, { failNext: { status: 500, count: 5, paths: ["stock/delta"] } });
    expect(deltaCalls() - calls).toBeGreaterThanOrEqual(6); // 4 client attempts, then a job retry
  });
});
