/**
 * The merchant's first steps on a started world (integration tests): install the app, wait for the
 * catalog import, connect the first WooCommerce store with a one-time code, and wait until its SKUs are
 * linked. Uses the real app over HTTP and the real database.
 */
import prisma from "../../app/db.server";
import { createConnectionCode } from "../../app/sync/stores/registration.server";
import { startWorker, type WorkerHandle } from "../../app/jobs/worker.server";
import { stopBoss } from "../../app/jobs/queue.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "./app";
import { installApp, registerStore, startWorld, waitFor, type World } from "./world";

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

/** A started world with the app, a worker and `world.shop` onboarded (see {@link startOnboardedWorld}). */
export interface OnboardedWorld {
  world: World;
  app: AppHandle;
  worker: WorkerHandle;
  shopId: string;
  /** The first WooCommerce store's channel. */
  wooChannelId: string;
  /** Stops the worker, pg-boss, the app and the world (in that order); safe after a failed start. */
  close(): Promise<void>;
}

/**
 * The integration tests' usual start: a world (emulated Shopify with `shop` and `wooStores` WooCommerce stores),
 * the real app on loopback (retry delay 1 s, plus `appEnv`), a worker in this process, and the merchant's first
 * steps ({@link onboard}). `plan` (e.g. "professional") puts the shop on that plan with an active subscription, as
 * after an upgrade (the Free plan has one sales channel). Throws when a step does not complete in time.
 */
export async function startOnboardedWorld(opts: {
  shop: string;
  wooStores?: number;
  appEnv?: Record<string, string>;
  plan?: string;
}): Promise<OnboardedWorld> {
  const world = await startWorld({
    apiKey: TEST_API_KEY,
    apiSecret: TEST_API_SECRET,
    shop: opts.shop,
    wooStores: opts.wooStores ?? 1,
  });
  let app: AppHandle | undefined;
  let worker: WorkerHandle | undefined;
  const close = async () => {
    await worker?.stop();
    await stopBoss();
    await app?.close();
    await world.close();
  };
  try {
    app = await startApp({ SHOPIFY_ADMIN_ORIGIN: world.shopify.url, SYNCFLOW_RETRY_DELAY_S: "1", ...opts.appEnv });
    world.shopify.control.setAppUrl(app.url);
    worker = await startWorker();
    const { shopId, channelId } = await onboard(world, app.url, TEST_API_KEY, TEST_API_SECRET);
    if (opts.plan)
      await prisma.shop.update({ where: { id: shopId }, data: { planKey: opts.plan, subscriptionStatus: "ACTIVE" } });
    return { world, app, worker, shopId, wooChannelId: channelId, close };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}
