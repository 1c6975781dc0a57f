/**
 * Loading a shop's stores as adapters, always scoped by shop id (tenant isolation).
 * Errors: `NotFoundError` when the shop/channel does not exist for that shop or is disconnected;
 * `MissingTokenError` when the shop has no offline session (app not installed or uninstalled).
 */
import prisma from "../db.server";
import { decryptJson } from "../lib/crypto.server";
import { shopifyChannel, wooChannel, type WooCredentials } from "../channels/registry.server";
import type { Channel as ChannelRow } from "@prisma/client";

export class NotFoundError extends Error {
  readonly status = 404;
}
export class MissingTokenError extends Error {}

/**
 * Offline access token of a shop. Goes through the Shopify library (`unauthenticated.admin`), which loads
 * the offline session from PrismaSessionStorage and refreshes an expiring offline token within 5 minutes of
 * its expiry (future flag `expiringOfflineAccessTokens`), so long-running workers never use a dead token.
 * Throws MissingTokenError when the shop has no offline session (not installed, or uninstalled).
 */
export async function offlineToken(domain: string): Promise<string> {
  const exists = await prisma.session.findFirst({ where: { shop: domain, isOnline: false }, select: { id: true } });
  if (!exists) throw new MissingTokenError(`no offline session for ${domain}`);
  const { unauthenticated } = await import("../shopify.server");
  const { session } = await unauthenticated.admin(domain);
  if (!session?.accessToken) throw new MissingTokenError(`no offline session for ${domain}`);
  return session.accessToken;
}

/** Shopify adapter for a shop (by our shop id). */
export async function shopifyForShop(shopId: string) {
  const shop = await prisma.shop.findUnique({ where: { id: shopId } });
  if (!shop || shop.uninstalledAt) throw new NotFoundError(`shop ${shopId} not found or uninstalled`);
  return { shop, adapter: shopifyChannel({ shop: shop.domain, accessToken: await offlineToken(shop.domain) }) };
}

/** A WooCommerce channel row of a shop, with its adapter. */
export async function wooForChannel(shopId: string, channelId: string) {
  const channel = await prisma.channel.findFirst({ where: { id: channelId, shopId, kind: "woocommerce" } });
  if (!channel) throw new NotFoundError(`channel ${channelId} not found for shop ${shopId}`);
  return { channel, adapter: wooAdapter(channel) };
}

/** Adapter for a WooCommerce channel row (credentials decrypted here, never logged). */
export function wooAdapter(channel: ChannelRow) {
  if (!channel.credentialsEnc || channel.status === "disconnected") throw new NotFoundError(`channel ${channel.id} is disconnected`);
  return wooChannel(channel.baseUrl, decryptJson<WooCredentials>(channel.credentialsEnc));
}
