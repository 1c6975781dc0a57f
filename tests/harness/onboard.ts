/**
 * The merchant's first steps on a started world (integration tests): install the app, wait for the
 * catalog import, connect the first WooCommerce store with a one-time code, and wait until its SKUs are
 * linked. Uses the real app over HTTP and the real database.
 */
import prisma from "../../app/db.server";
import { createConnectionCode } from "../../app/sync/stores/registration.server";
import { installApp, registerStore, waitFor, type World } from "./world";

export interface Onboarded {
  shopId: string;
  channelId: string;
  /** The registration answer (mode, webhook secret, ...). */
  registration: { status: number; body: any };
}

/** Onboards `world.shop` on the app at `appUrl`; throws when any step does not complete in time. */
export async function onboard(
  world: World,
  appUrl: string,
  apiKey: string,
  apiSecret: string,
  minLinked = 17,
): Promise<Onboarded> {
  const status = await installApp(appUrl, world.shop, apiKey, apiSecret);
  if (status >= 500) throw new Error(`install answered ${status}`);
  const shopId = (await waitFor("shop installed", () => prisma.shop.findUnique({ where: { domain: world.shop } }))).id;
  await waitFor("catalog imported", async () => (await prisma.catalogItem.count({ where: { shopId } })) >= minLinked);
  const registration = await registerStore(appUrl, (await createConnectionCode(shopId)).code, world.woo[0]!);
  if (registration.status !== 201)
    throw new Error(`registration answered ${registration.status}: ${JSON.stringify(registration.body)}`);
  const channelId: string = registration.body.channel_id;
  await waitFor(
    "listings linked",
    async () => (await prisma.listing.count({ where: { channelId, matchStatus: "linked" } })) >= minLinked,
  );
  return { shopId, channelId, registration };
}
