/**
 * Onboarding a shop on the running stack the way a merchant does: install (session token → token
 * exchange), wait for the catalog import, create a connection code per store and register it as the plugin
 * does, then wait until every store's SKUs are linked. Scheduled reconciliation is pushed far out so it
 * never runs during a measurement.
 */
import prisma from "../../app/db.server";
import { createConnectionCode } from "../../app/sync/stores/registration.server";
import { installApp, registerStore, waitFor } from "../../tests/harness/world";
import type { ShopifyEmulator } from "../../tests/emulators/shopify/index";
import type { WooEmulator } from "../../tests/emulators/woocommerce/index";
import type { Stack } from "./stack";

/**
 * @returns shop id, channel ids (in store order) and how long each step took (ms): `importMs` from the
 *   install to every item imported, `linkMs` from the first store registration to every store linked.
 */
export async function onboardShop(input: {
  stack: Stack;
  shopify: ShopifyEmulator;
  shop: string;
  woo: WooEmulator[];
  expectedItems: number;
  timeoutMs?: number;
}): Promise<{ shopId: string; channelIds: string[]; importMs: number; linkMs: number }> {
  const { stack, shop, woo, expectedItems } = input;
  const timeout = input.timeoutMs ?? 120_000;
  const t0 = Date.now();
  await installApp(stack.appUrl, shop, stack.apiKey, stack.apiSecret);
  const row = await waitFor(
    `${shop} installed`,
    () => prisma.shop.findUnique({ where: { domain: shop } }),
    30_000,
    100,
  );
  await prisma.shop.update({ where: { id: row.id }, data: { reconcileEveryMin: 100_000 } });
  await waitFor(
    `${shop} catalog imported`,
    async () => (await prisma.catalogItem.count({ where: { shopId: row.id } })) >= expectedItems,
    timeout,
    200,
  );
  const importMs = Date.now() - t0;
  const t1 = Date.now();
  const channelIds: string[] = [];
  for (const w of woo) {
    const { code } = await createConnectionCode(row.id);
    const reg = await registerStore(stack.appUrl, code, w);
    if (reg.status !== 201) throw new Error(`store registration failed: ${reg.status} ${JSON.stringify(reg.body)}`);
    if (reg.body.mode !== "exact") throw new Error(`store registered in ${reg.body.mode} mode, expected exact`);
    channelIds.push(reg.body.channel_id);
  }
  for (const channelId of channelIds) {
    await waitFor(
      `${channelId} linked`,
      async () => (await prisma.listing.count({ where: { channelId, matchStatus: "linked" } })) >= expectedItems,
      timeout,
      200,
    );
  }
  return { shopId: row.id, channelIds, importMs, linkMs: Date.now() - t1 };
}
