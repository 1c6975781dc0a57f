/**
 * The two stores the differential suite drives with the same probes: the hub's WooCommerce emulator
 * (tests/emulators/woocommerce) and a real WooCommerce 10.0.2 on WordPress 6.8 (tests/wordpress/real-woocommerce.ts).
 * Each comes with a read_write REST key (OAuth 1.0a over http through the official client, as the hub calls a store),
 * a loopback webhook receiver, and the two things only a test needs from its background queue: hold deliveries back
 * and let them go. Times in ms.
 */
import { startWooEmulator, type WooEmulator } from "../emulators/woocommerce/index";
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from "../emulators/woocommerce/receiver";
import { startRealWooCommerce, type RealWooSite } from "../wordpress/real-woocommerce";
import { wooRestApi, type WooRestApi } from "../wordpress/wp-site";

export type TargetName = "emulator" | "real";

/** One store under probe. */
export interface DiffTarget {
  name: TargetName;
  /** Site URL the store knows itself by. */
  url: string;
  /** wc/v3 with a read_write key of the shop's administrator. */
  api: WooRestApi;
  /** A client for another namespace (same key), e.g. "wc/v3" with a bad secret via `opts`. */
  client(opts?: { version?: string; consumerKey?: string; consumerSecret?: string }): Promise<WooRestApi>;
  /** Receives this store's webhook pings and deliveries (answers 200). */
  receiver: WebhookReceiver;
  /** Stops background deliveries from running (real: pauses the Action Scheduler runner; emulator: nothing to do). */
  holdDeliveries(): Promise<void>;
  /** Lets held and future deliveries run. */
  releaseDeliveries(): void;
  /**
   * Waits until `match` has at least `n` received requests and, for `settleMs` afterwards, no further one
   * (so "exactly one" can be asserted). Resolves to the matching requests.
   * @throws Error after `timeoutMs` without `n` matches
   */
  waitForDeliveries(
    match: (r: ReceivedRequest) => boolean,
    n?: number,
    opts?: { timeoutMs?: number; settleMs?: number },
  ): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(
  receiver: WebhookReceiver,
  match: (r: ReceivedRequest) => boolean,
  n = 1,
  opts: { timeoutMs?: number; settleMs?: number } = {},
) {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  const got = () => receiver.received.filter(match);
  while (got().length < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} matching webhook requests, got ${got().length}`);
    await sleep(25);
  }
  if (opts.settleMs) await sleep(opts.settleMs);
  return got();
}

/** The emulator as tests and the demo start it (its own defaults), with a key and a receiver. */
export async function startEmulatorTarget(): Promise<DiffTarget> {
  const [emu, receiver]: [WooEmulator, WebhookReceiver] = await Promise.all([
    startWooEmulator({ siteName: "SyncFlow Test Store" }),
    startWebhookReceiver(),
  ]);
  const key = emu.control.createKey({ permissions: "read_write" });
  const client = (o: { version?: string; consumerKey?: string; consumerSecret?: string } = {}) =>
    wooRestApi({
      url: emu.url,
      consumerKey: o.consumerKey ?? key.consumer_key,
      consumerSecret: o.consumerSecret ?? key.consumer_secret,
      version: o.version,
    });
  return {
    name: "emulator",
    url: emu.url,
    api: await client(),
    client,
    receiver,
    holdDeliveries: async () => undefined,
    releaseDeliveries: () => undefined,
    waitForDeliveries: (m, n, o) => waitFor(receiver, m, n, o),
    close: async () => {
      await Promise.all([emu.close(), receiver.close()]);
    },
  };
}

/** A real WooCommerce 10.0.2 (WooCommerce alone: SyncFlow is not activated), with a key and a receiver. */
export async function startRealTarget(): Promise<DiffTarget & { site: RealWooSite }> {
  const [site, receiver] = await Promise.all([
    startRealWooCommerce({ activateSyncflow: false, runner: { intervalMs: 1000 } }),
    startWebhookReceiver(),
  ]);
  const key = await site.createKey("read_write");
  const client = (o: { version?: string; consumerKey?: string; consumerSecret?: string } = {}) =>
    wooRestApi({
      url: site.url,
      consumerKey: o.consumerKey ?? key.consumerKey,
      consumerSecret: o.consumerSecret ?? key.consumerSecret,
      version: o.version,
    });
  return {
    name: "real",
    site,
    url: site.url,
    api: await client(),
    client,
    receiver,
    holdDeliveries: () => site.runner.pause(),
    releaseDeliveries: () => site.runner.resume(),
    waitForDeliveries: (m, n, o) => waitFor(receiver, m, n, { timeoutMs: 30_000, ...o }),
    close: async () => {
      await Promise.all([site.close(), receiver.close()]);
    },
  };
}
