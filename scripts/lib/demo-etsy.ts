/**
 * The demo's Etsy shop (issue 16; decision 274): an emulated Etsy Open API v3 app and seller with the catalog's first
 * SKUs as listings — one of them a listing whose products are a variable product's variations — connected through
 * "Connect Etsy" (OAuth 2.0 with PKCE) as a merchant does, and the smoke's two Etsy checks: a receipt polled reaches
 * the record once; a record change reaches Etsy (one whole-inventory write of its listing). Times in ms.
 */
import prisma from "../../app/db.server";
import type { World } from "../../tests/harness/world";
import type { EtsyEmulator } from "../../tests/emulators/etsy/index";

/** Starts the emulated Etsy app and seller; @returns it and the env the app, worker and this process need. */
export async function startDemoEtsy(world: World): Promise<{ etsy: EtsyEmulator; env: Record<string, string> }> {
  const { startEtsyEmulator } = await import("../../tests/emulators/etsy/index");
  const etsy = await startEtsyEmulator({ shopName: "SyncFlowDemoCrafts" });
  const skus = Object.keys(world.stock);
  const variations = world.catalog.filter((p) => p.type === "variation" && world.stock[p.sku] != null);
  const parent = variations[0]?.parentSku;
  const family = variations.filter((v) => v.parentSku === parent).slice(0, 3);
  for (const sku of skus.filter((s) => !family.some((f) => f.sku === s)).slice(0, 4))
    etsy.control.addListing({ products: [{ sku, quantity: 0 }] });
  if (family.length > 1)
    etsy.control.addListing({
      title: parent ?? "Variations",
      products: family.map((v, i) => ({ sku: v.sku, quantity: 0, value: `Option ${i + 1}` })),
    });
  const env = {
    ETSY_KEYSTRING: etsy.keystring,
    ETSY_SHARED_SECRET: etsy.sharedSecret,
    ETSY_CONSENT_URL: `${etsy.url}/oauth/connect`,
    ETSY_API_BASE: etsy.url,
    ETSY_TOKEN_URL: `${etsy.url}/v3/public/oauth/token`,
  };
  return { etsy, env };
}

/** "Connect Etsy": the app's start page (binding cookie) → Etsy's consent (PKCE) → the callback; then SKUs linked. */
export async function connectDemoEtsy(args: {
  shopId: string;
  etsy: EtsyEmulator;
  waitFor: typeof import("../../tests/harness/world").waitFor;
}) {
  const { startChannelAuthorization } = await import("../../app/sync/stores/authorize.server");
  const start = await fetch(await startChannelAuthorization(args.shopId, "etsy", "etsy"), { redirect: "manual" });
  const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
  const consent = await fetch(start.headers.get("location")!, { redirect: "manual" });
  const done = await fetch(consent.headers.get("location")!, { headers: { Cookie: cookie } });
  if (done.status !== 200) throw new Error(`the Etsy callback answered ${done.status}`);
  const ch = await args.waitFor(
    "Etsy channel",
    () => prisma.channel.findFirst({ where: { shopId: args.shopId, kind: "etsy" } }),
    10_000,
  );
  const products = [...args.etsy.listings.values()].reduce((s, l) => s + l.inventory.products.length, 0);
  await args.waitFor(
    "Etsy products linked",
    async () =>
      (await prisma.listing.count({ where: { channelId: ch.id, matchStatus: "linked" } })) >= products || null,
    60_000,
  );
  return ch;
}

/** The smoke's Etsy checks. `shopifyAvailable` reads the record; `sellOnShopify` sells one unit on the record. */
export async function smokeEtsy(args: {
  shopId: string;
  channel: { id: string; bufferUnits: number };
  etsy: EtsyEmulator;
  shopifyAvailable: (sku: string) => number | undefined;
  sellOnShopify: (sku: string) => void;
  waitFor: typeof import("../../tests/harness/world").waitFor;
}): Promise<{
  saleReachesRecord: boolean;
  recordReaches: boolean;
  toRecordMs: number;
  fromRecordMs: number;
  failures: string[];
}> {
  const { pollChannel } = await import("../../app/sync/intake/poll.server");
  const failures: string[] = [];
  const out = { saleReachesRecord: false, recordReaches: false, toRecordMs: -1, fromRecordMs: -1, failures };
  const products = () => [...args.etsy.listings.values()].flatMap((l) => l.inventory.products);
  const sku = await args
    .waitFor("Etsy quantities set", () => products().find((p) => p.offerings[0]!.quantity >= 2)?.sku, 30_000)
    .catch(() => null);
  if (!sku) {
    failures.push("no Etsy product with stock");
    return out;
  }
  const before = args.shopifyAvailable(sku)!;
  const t0 = Date.now();
  try {
    args.etsy.control.placeReceipt([{ sku, quantity: 1 }]);
    // "Poll now" (scheduled polls come as often as Etsy's shared daily budget allows).
    await pollChannel(args.shopId, args.channel.id, { force: true });
    await args.waitFor("Etsy sale on the record", () => args.shopifyAvailable(sku) === before - 1, 20_000);
    out.toRecordMs = Date.now() - t0;
    await pollChannel(args.shopId, args.channel.id, { force: true }); // the same receipt again: nothing moves
    await new Promise((r) => setTimeout(r, 1000));
    out.saleReachesRecord = args.shopifyAvailable(sku) === before - 1;
    if (!out.saleReachesRecord) failures.push("the Etsy sale moved the record more than once");
  } catch (e) {
    failures.push(String(e));
  }
  const t1 = Date.now();
  args.sellOnShopify(sku);
  try {
    await args.waitFor(
      "record change on Etsy",
      () => args.etsy.control.quantityOf(sku) === Math.max(0, args.shopifyAvailable(sku)! - args.channel.bufferUnits),
      30_000,
    );
    out.fromRecordMs = Date.now() - t1;
    out.recordReaches = true;
  } catch (e) {
    failures.push(String(e));
  }
  return out;
}
