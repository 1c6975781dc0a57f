/**
 * Retailer Shopify shops in a started world (issue 14): more shops on the SAME emulated Shopify as the central shop,
 * each with its own token, location and webhooks, holding the central catalog's stockable SKUs as their own variants
 * (their own ids); the app installed on each; and the link made as a retailer makes it — a retailer code from the
 * central shop entered on the retailer's own "Retailer link" page (an embedded admin request to the real app).
 */
import prisma from "../../app/db.server";
import { createRetailerCode } from "../../app/retailers/links.server";
import { isStockable } from "../fixtures/sample-catalog";
import { adminHeaders, installApp, waitFor, type World } from "./world";
import type { ShopifyEmulator } from "../emulators/shopify/index";

export interface RetailerShop {
  domain: string;
  name: string;
  /** The retailer location SyncFlow writes (its first location). */
  locationId: string;
  accessToken: string;
  shopId: string;
  linkId: string;
  /** The retailer's channel on the central shop. */
  channelId: string;
  /** Retailer variant GID per SKU. */
  variants: Record<string, string>;
}

export interface RetailerOptions {
  domain: string;
  name: string;
  /** SKUs the retailer lists (default: every stockable SKU of the central catalog). */
  skus?: string[];
  /** Units the retailer shows before SyncFlow writes (default 0). */
  startingStock?: (sku: string) => number;
  /** Wait until this many of its listings are linked (default: every listed SKU). */
  minLinked?: number;
}

/** Creates, installs and links one retailer shop of `centralShopId`; throws when a step does not complete in time. */
export async function addRetailer(
  world: World,
  appUrl: string,
  apiKey: string,
  apiSecret: string,
  centralShopId: string,
  opts: RetailerOptions,
): Promise<RetailerShop> {
  const skus = opts.skus ?? world.catalog.filter((p) => isStockable(p)).map((p) => p.sku);
  return addRetailerShop({
    shopify: world.shopify,
    appUrl,
    apiKey,
    apiSecret,
    centralShopId,
    domain: opts.domain,
    name: opts.name,
    products: skus.map((sku) => {
      const p = world.catalog.find((x) => x.sku === sku);
      return { sku, title: p?.name ?? sku, price: p?.regularPrice ?? "0" };
    }),
    startingStock: opts.startingStock,
    minLinked: opts.minLinked,
  });
}

/**
 * The same steps as {@link addRetailer} on any emulated Shopify (no {@link World} needed: the benchmarks build their
 * own): creates the retailer shop on `shopify` with one single-variant product per entry of `products`, installs the
 * app on it, makes a retailer code in the central shop and links it on the retailer's "Retailer link" page. Waits
 * (≤ `linkTimeoutMs`, default 60 s) until `minLinked` (default all) of its listings are linked.
 * @throws when the install answers ≥ 500, the link is refused, or a wait times out.
 */
export async function addRetailerShop(input: {
  shopify: ShopifyEmulator;
  appUrl: string;
  apiKey: string;
  apiSecret: string;
  centralShopId: string;
  domain: string;
  name: string;
  products: { sku: string; title: string; price: string | number }[];
  /** Units the retailer shows before SyncFlow writes (default 0). */
  startingStock?: (sku: string) => number;
  minLinked?: number;
  linkTimeoutMs?: number;
}): Promise<RetailerShop> {
  const { shopify, appUrl, apiKey, apiSecret, domain } = input;
  const created = shopify.control.createShop({ domain, name: input.name, currency: "USD" });
  const variants: Record<string, string> = {};
  // One product per SKU with a single variant: a retailer's catalog need not have the central shop's product shapes.
  for (const p of input.products) {
    const made = shopify.control.createProduct(domain, {
      title: p.title,
      variants: [
        {
          sku: p.sku,
          price: p.price,
          tracked: true,
          quantities: { [created.locationId]: input.startingStock?.(p.sku) ?? 0 },
        },
      ],
    });
    variants[p.sku] = made.variants[0]!.variantId;
  }
  const status = await installApp(appUrl, domain, apiKey, apiSecret);
  if (status >= 500) throw new Error(`install of ${domain} answered ${status}`);
  const shop = await waitFor(`${domain} installed`, () => prisma.shop.findUnique({ where: { domain } }));
  const { code } = await createRetailerCode(input.centralShopId);
  const res = await fetch(
    `${appUrl}/app/retailer?shop=${domain}&embedded=1&_data=${encodeURIComponent("routes/app.retailer")}`,
    {
      method: "POST",
      headers: adminHeaders(domain, apiKey, apiSecret),
      body: new URLSearchParams({ intent: "link", code }),
    },
  );
  const body = (await res.json().catch(() => null)) as { ok?: boolean; error?: string } | null;
  if (res.status !== 200 || !body?.ok)
    throw new Error(`linking ${domain} answered ${res.status}: ${JSON.stringify(body)}`);
  const link = await prisma.retailerLink.findUniqueOrThrow({ where: { retailerShopId: shop.id } });
  const minLinked = input.minLinked ?? input.products.length;
  await waitFor(
    `${domain} listings linked`,
    async () =>
      (await prisma.listing.count({ where: { channelId: link.channelId, matchStatus: "linked" } })) >= minLinked,
    input.linkTimeoutMs ?? 60_000,
    input.products.length > 100 ? 500 : 25,
  );
  return {
    domain,
    name: input.name,
    locationId: created.locationId,
    accessToken: created.accessToken,
    shopId: shop.id,
    linkId: link.id,
    channelId: link.channelId,
    variants,
  };
}

/** The retailer's `available` at its SyncFlow location for `sku`, as the emulated Shopify holds it. */
export function retailerAvailable(world: World, r: RetailerShop, sku: string): number | undefined {
  return world.shopify.control.state(r.domain).availableBySku[sku]?.[r.locationId];
}
