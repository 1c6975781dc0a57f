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
  const created = world.shopify.control.createShop({ domain: opts.domain, name: opts.name, currency: "USD" });
  const skus = opts.skus ?? world.catalog.filter((p) => isStockable(p)).map((p) => p.sku);
  const variants: Record<string, string> = {};
  // One product per SKU with a single variant: a retailer's catalog need not have the central shop's product shapes.
  for (const sku of skus) {
    const p = world.catalog.find((x) => x.sku === sku);
    const made = world.shopify.control.createProduct(opts.domain, {
      title: p?.name ?? sku,
      variants: [
        {
          sku,
          price: p?.regularPrice ?? "0",
          tracked: true,
          quantities: { [created.locationId]: opts.startingStock?.(sku) ?? 0 },
        },
      ],
    });
    variants[sku] = made.variants[0]!.variantId;
  }
  const status = await installApp(appUrl, opts.domain, apiKey, apiSecret);
  if (status >= 500) throw new Error(`install of ${opts.domain} answered ${status}`);
  const shop = await waitFor(`${opts.domain} installed`, () =>
    prisma.shop.findUnique({ where: { domain: opts.domain } }),
  );
  const { code } = await createRetailerCode(centralShopId);
  const res = await fetch(
    `${appUrl}/app/retailer?shop=${opts.domain}&embedded=1&_data=${encodeURIComponent("routes/app.retailer")}`,
    {
      method: "POST",
      headers: adminHeaders(opts.domain, apiKey, apiSecret),
      body: new URLSearchParams({ intent: "link", code }),
    },
  );
  const body = (await res.json().catch(() => null)) as { ok?: boolean; error?: string } | null;
  if (res.status !== 200 || !body?.ok)
    throw new Error(`linking ${opts.domain} answered ${res.status}: ${JSON.stringify(body)}`);
  const link = await prisma.retailerLink.findUniqueOrThrow({ where: { retailerShopId: shop.id } });
  const minLinked = opts.minLinked ?? skus.length;
  await waitFor(
    `${opts.domain} listings linked`,
    async () =>
      (await prisma.listing.count({ where: { channelId: link.channelId, matchStatus: "linked" } })) >= minLinked,
    60_000,
  );
  return {
    domain: opts.domain,
    name: opts.name,
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
