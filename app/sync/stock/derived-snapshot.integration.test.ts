/**
 * `derivedQuantities` reads Shopify's cached level and the pending sales from one snapshot (the second cause found
 * behind an intermittent faults/two-workers-race failure: a store at 0 was pushed +5 after two −5 sales on 10).
 *
 * Applying a sale commits two changes together (adjust.server.ts): the sale leaves "pending" and the cached level
 * drops by it. A derived quantity that read the level before that commit and the pending sales after it counted the
 * sale as neither pending nor applied, and handed its units back to the stores. Here the commit is made to land
 * exactly between the function's first database read and any later one, so the case is exact on every run.
 * Real PostgreSQL.
 */
import { describe, expect, it } from "vitest";
import crypto from "node:crypto";
import prisma from "../../db.server";
import { derivedQuantities } from "./push.server";

const LOC = "gid://shopify/Location/72001";

/**
 * `db` whose first call runs as is; every later call waits until that first call answered and `between` committed.
 * Works whatever the function reads with (model delegates or raw SQL).
 */
function withCommitAfterFirstRead<T extends object>(db: T, between: () => Promise<unknown>): T {
  let first: Promise<unknown> | null = null;
  let betweenDone: Promise<unknown> | null = null;
  const wrap =
    (fn: (...a: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      if (!first) {
        first = Promise.resolve(fn(...args));
        return first;
      }
      return first.then(() => (betweenDone ??= between())).then(() => fn(...args));
    };
  return new Proxy(db, {
    get(target, prop) {
      const value = (target as Record<string | symbol, unknown>)[prop];
      if (prop === "$queryRaw" || prop === "$queryRawUnsafe")
        return wrap((value as (...a: unknown[]) => unknown).bind(target));
      if (typeof prop === "string" && !prop.startsWith("$") && value && typeof value === "object") {
        return new Proxy(value, {
          get(model, method) {
            const f = (model as Record<string | symbol, unknown>)[method];
            return typeof f === "function" ? wrap((f as (...a: unknown[]) => unknown).bind(model)) : f;
          },
        });
      }
      return value;
    },
  });
}

describe("derivedQuantities under a concurrent sale apply", () => {
  it("never hands a sale's units back when the sale is applied between its reads", async () => {
    const domain = `derived-${crypto.randomBytes(4).toString("hex")}.myshopify.com`;
    const shop = await prisma.shop.create({ data: { domain } });
    const channel = await prisma.channel.create({
      data: {
        shopId: shop.id,
        kind: "woocommerce",
        name: "Store A",
        baseUrl: `https://a.test/${crypto.randomUUID()}`,
        mode: "exact",
        salesLocationId: LOC,
      },
    });
    const item = await prisma.catalogItem.create({
      data: { shopId: shop.id, sku: "snap-1", skuKey: "snap-1", title: "Snapshot" },
    });
    await prisma.inventoryLevel.create({
      data: { shopId: shop.id, itemId: item.id, locationGid: LOC, available: 10, observedAt: new Date() },
    });
    // Two stores each sold 5 of the 10: both sales pending on Shopify.
    const sales = await Promise.all(
      [1, 2].map((n) =>
        prisma.shopifyAdjustment.create({
          data: {
            shopId: shop.id,
            itemId: item.id,
            locationGid: LOC,
            delta: -5,
            idempotencyKey: `snap:${shop.id}:${n}`,
          },
        }),
      ),
    );
    expect((await derivedQuantities(prisma, channel, [item.id])).get(item.id)).toBe(0);

    // The first sale is applied (10 → 5) as adjust.server.ts does: status and cached level in one transaction.
    const applyFirstSale = () =>
      prisma.$transaction([
        prisma.shopifyAdjustment.update({
          where: { id: sales[0]!.id },
          data: { status: "applied", appliedAt: new Date() },
        }),
        prisma.inventoryLevel.update({
          where: { itemId_locationGid: { itemId: item.id, locationGid: LOC } },
          data: { available: 5, observedAt: new Date() },
        }),
      ]);
    const db = withCommitAfterFirstRead(prisma, applyFirstSale);
    // 10 − 10 before the apply, 5 − 5 after it: 0 either way. A torn read (level 10, one sale pending) gives 5.
    expect((await derivedQuantities(db, channel, [item.id])).get(item.id)).toBe(0);

    // Inside a transaction (the push decides under the listing's row lock), too.
    await prisma.shopifyAdjustment.update({
      where: { id: sales[0]!.id },
      data: { status: "pending", appliedAt: null },
    });
    await prisma.inventoryLevel.update({
      where: { itemId_locationGid: { itemId: item.id, locationGid: LOC } },
      data: { available: 10 },
    });
    const inTx = await prisma.$transaction((tx) =>
      derivedQuantities(withCommitAfterFirstRead(tx, applyFirstSale), channel, [item.id]),
    );
    expect(inTx.get(item.id)).toBe(0);
    expect((await derivedQuantities(prisma, channel, [item.id])).get(item.id)).toBe(0);
  });
});
