/**
 * Marketplace pacing shared by every process (issue 16 gap; docs/decisions/306). Two "processes" are two module
 * instances (`vi.resetModules`): each has its own adapter module state (the in-memory token buckets and pace) and its
 * own pacer module (its own pg pool and limiters) over the one PostgreSQL. The same load is sent twice against the
 * emulators, which answer 429 over the published limits: without the shared pacer (each instance pacing alone, as the
 * app and the worker did) the platform throttles; with it, no request is ever refused.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { startAmazonEmulator, type AmazonEmulator } from "../../tests/emulators/amazon/index";
import { startEtsyEmulator, type EtsyEmulator } from "../../tests/emulators/etsy/index";
import type { QuantityOpResult } from "../channels/sales-channel";

/** A fresh module graph: one "process" of the hub. */
async function processInstance() {
  vi.resetModules();
  return {
    amazon: await import("../channels/amazon/amazon-channel.server"),
    etsy: await import("../channels/etsy/etsy-channel.server"),
    pacer: await import("./request-pacer.server"),
  };
}

const instances: Awaited<ReturnType<typeof processInstance>>[] = [];
afterAll(async () => {
  for (const i of instances) await i.pacer.closeRequestPacer();
});

const SKUS = Array.from({ length: 8 }, (_, i) => `PACE-${i}`);

async function amazonLoad(emu: AmazonEmulator, shared: boolean): Promise<QuantityOpResult[]> {
  const two = [await processInstance(), await processInstance()];
  instances.push(...two);
  const results = await Promise.all(
    two.map((p) =>
      new p.amazon.AmazonChannel(
        {
          refreshToken: emu.control.issueRefreshToken(),
          sellingPartnerId: emu.sellerId,
          marketplaceId: emu.marketplaceId,
          endpoint: emu.url,
          lwaTokenUrl: `${emu.url}/auth/o2/token`,
        },
        { clientId: emu.clientId, clientSecret: emu.clientSecret, feedMinOps: 1000 },
        shared ? { pacer: p.pacer.sharedRequestPacer } : {},
      ).writeQuantities(SKUS.map((sku, k) => ({ op: "set" as const, listingId: sku, quantity: 10 + k }))),
    ),
  );
  return results.flat();
}

async function etsyLoad(emu: EtsyEmulator, keys: string[], shared: boolean): Promise<number[]> {
  const two = [await processInstance(), await processInstance()];
  instances.push(...two);
  const out = await Promise.all(
    two.map((p) => {
      const ch = new p.etsy.EtsyChannel(
        {
          refreshToken: emu.control.issueRefreshToken(),
          userId: emu.userId,
          shopId: emu.shopId,
          shopName: "Pace",
          currency: "USD",
          apiBase: emu.url,
          tokenUrl: `${emu.url}/v3/public/oauth/token`,
        },
        { keystring: emu.keystring, sharedSecret: emu.sharedSecret },
        shared ? { pacer: p.pacer.sharedRequestPacer } : {},
      );
      // Two lanes per process, as the engine's reads run.
      let next = 0;
      const got: number[] = [];
      const lane = async () => {
        while (next < keys.length)
          // A 429 is THROTTLED (counted by the emulator); the read is then simply missing from `got`.
          got.push(
            await ch.readQuantity(keys[next++]!).then(
              (q) => q ?? -1,
              () => -2,
            ),
          );
      };
      return Promise.all([lane(), lane()]).then(() => got);
    }),
  );
  return out.flat();
}

describe("marketplace pacing across processes", () => {
  it("Amazon: two processes writing one seller's listings stay inside the usage plan together (no 429)", async () => {
    for (const shared of [false, true]) {
      const emu = await startAmazonEmulator({ sellerId: `A1PACE${randomBytes(4).toString("hex").toUpperCase()}` });
      try {
        for (const sku of SKUS) emu.control.addListing({ sku, quantity: 1 });
        const results = await amazonLoad(emu, shared);
        const throttled = emu.control.throttled().patchListingsItem ?? 0;
        if (!shared) {
          // Each process alone spends the plan's whole burst: together they overdraw it (the defect).
          expect(throttled).toBeGreaterThan(0);
          continue;
        }
        expect(throttled).toBe(0);
        expect(results.filter((r) => !r.ok)).toEqual([]);
        for (const [k, sku] of SKUS.entries()) expect(emu.control.quantityOf(sku)).toBe(k + 10);
      } finally {
        await emu.close();
      }
    }
  }, 60_000);

  it("Etsy: two processes reading stay inside the application's per-second limit together (no 429)", async () => {
    for (const shared of [false, true]) {
      const emu = await startEtsyEmulator();
      try {
        const keys: string[] = [];
        for (let i = 0; i < 12; i++) {
          const l = emu.control.addListing({ products: [{ sku: `E-${i}`, quantity: i }] });
          keys.push(`${l.listing_id}:E-${i}`);
        }
        const got = await etsyLoad(emu, keys, shared);
        if (!shared) {
          expect(emu.control.throttled()).toBeGreaterThan(0);
          continue;
        }
        expect(emu.control.throttled()).toBe(0);
        expect(emu.control.peakQps()).toBeLessThanOrEqual(10);
        expect(got.sort((a, b) => a - b)).toEqual([...keys.keys(), ...keys.keys()].sort((a, b) => a - b)); // all read
      } finally {
        await emu.close();
      }
    }
  }, 60_000);
});
