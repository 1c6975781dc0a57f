/**
 * Shopify's refusals while the hub applies a WooCommerce sale (inventoryAdjustQuantities with
 * changeFromQuantity + @idempotent): cost-based THROTTLED, HTTP 429, HTTP 5xx before the write, and a 5xx
 * *after* the write happened (outcome unknown to the hub). Every case ends with the sale applied exactly
 * once: one `applied` ledger row, Shopify down by the quantity sold, never twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adjustmentsFor,
  ledgerFor,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";
import type { Faults } from "../../../tests/emulators/shopify/index";

const SHOP = "fault-shopify-throttle.myshopify.com";
let fw: FaultWorld;

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP });
}, 150_000);

afterAll(async () => {
  await fw?.close();
});

/** Sells `qty` of `sku` on the store under `faults` and checks it reached Shopify exactly once. */
async function saleSurvives(sku: string, qty: number, faults: Faults) {
  const woo = fw.world.woo[0]!;
  const before = fw.shopifyAvailable(sku)!;
  fw.world.shopify.control.setFaults(faults);
  woo.control.placeOrder({ lines: [{ sku, quantity: qty }], status: "processing" });
  await waitFor(
    `${sku} applied`,
    async () => (await adjustmentsFor(fw.shopId, sku)).some((a) => a.status === "applied"),
    30_000,
  );
  await woo.control.idle();
  await sleep(700);
  expect(fw.shopifyAvailable(sku)).toBe(before - qty);
  const adj = await adjustmentsFor(fw.shopId, sku);
  expect(adj).toHaveLength(1);
  const applied = (await ledgerFor(fw.shopId, sku)).filter((l) => l.idempotencyKey.endsWith(":applied"));
  expect(applied.map((l) => [l.before, l.after])).toEqual([[before, before - qty]]);
  return adj[0]!;
}

/** The adjust mutations Shopify received for an adjustment key (any attempt). */
function adjustCalls(key: string) {
  return fw.world.shopify.control
    .graphqlLog(SHOP)
    .filter(
      (c) =>
        c.query.includes("inventoryAdjustQuantities") &&
        String((c.variables as { key?: string })?.key ?? "").startsWith(key),
    );
}

describe("Shopify faults while applying a store sale", () => {
  it("cost-based THROTTLED: waits for the bucket and applies once", async () => {
    await saleSurvives("woo-beanie", 2, { throttleNext: 2 });
  });

  it("HTTP 429 with Retry-After: backs off and applies once", async () => {
    await saleSurvives("woo-belt", 1, { failNext: { status: 429, count: 2 } });
  });

  it("HTTP 5xx before the write: retries and applies once", async () => {
    await saleSurvives("woo-cap", 3, { failNext: { status: 503, count: 2 } });
  });

  it("HTTP 5xx after Shopify applied the write: the same key and changeFromQuantity are resent and Shopify replays, not re-applies", async () => {
    const adj = await saleSurvives("woo-sunglasses", 2, { loseResponseNext: 1 });
    expect(adj.keyAttempt).toBe(0);
    // The sale went out in a stored call (docs/decisions/102): the same call under the same key, resent verbatim.
    const calls = adjustCalls(`syncflow-batch:${adj.batchId}`);
    expect(calls.length).toBe(2);
    expect(calls.map((c) => c.status)).toEqual([503, 200]);
    expect(new Set(calls.map((c) => JSON.stringify(c.variables))).size).toBe(1); // verbatim resend
  });
});
