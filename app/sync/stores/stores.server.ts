/**
 * Loading a shop's stores as adapters, always scoped by shop id (tenant isolation).
 * Errors: `NotFoundError` when the shop/channel does not exist for that shop or is disconnected;
 * `MissingTokenError` when the shop has no offline session (app not installed or uninstalled);
 * `TokenRefreshError` when Shopify refuses to refresh its offline token.
 */
import prisma from "../../db.server";
import { decryptJson, encryptJson } from "../../lib/crypto.server";
import { sharedRequestPacer } from "../../lib/request-pacer.server";
import { recordFor, salesChannelFor } from "../../channels/registry.server";
import { ChannelError, RECORD_KIND } from "../../channels/channel";
import type { InventoryRecord, RecordApp, RecordOrders } from "../../channels/record";
import type { CredentialStore, SalesChannel } from "../../channels/sales-channel";
import type { Channel as ChannelRow, Prisma } from "@prisma/client";

export class NotFoundError extends Error {
  readonly status = 404;
}
export class MissingTokenError extends Error {}

/** Raised when Shopify refuses to refresh a shop's offline token (e.g. `invalid_grant`): the store is unhealthy. */
export class TokenRefreshError extends Error {}

/** Prefix of `Channel.statusReason` written by `offlineToken`; recovery clears only this reason. */
export const TOKEN_REFUSED_REASON = "Shopify refused SyncFlow's access token";

/** Last time (ms) this process confirmed each shop's token works, to clear a stale "failing" at most once a minute. */
const tokenOkAt = new Map<string, number>();

/**
 * Offline access token of a shop. Goes through the Shopify library (`unauthenticated.admin`), which loads
 * the offline session from PrismaSessionStorage and refreshes an expiring offline token within 5 minutes of
 * its expiry (future flag `expiringOfflineAccessTokens`), so long-running workers never use a dead token.
 * Throws MissingTokenError when the shop has no offline session (not installed, or uninstalled).
 * Throws TokenRefreshError when the refresh is refused (revoked or expired refresh token,
 * https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens):
 * the shop's Shopify channel is then marked `failing` with a reason the dashboard shows, and one
 * `store.unhealthy` event is emitted on the transition (notifications: "Store down"). The next
 * successful token clears that status.
 */
export async function offlineToken(domain: string): Promise<string> {
  const exists = await prisma.session.findFirst({ where: { shop: domain, isOnline: false }, select: { id: true } });
  if (!exists) throw new MissingTokenError(`no offline session for ${domain}`);
  const { unauthenticated } = await import("../../shopify.server");
  let session;
  try {
    ({ session } = await unauthenticated.admin(domain));
  } catch (err) {
    await markTokenRefused(domain, err);
    throw new TokenRefreshError(`${TOKEN_REFUSED_REASON} for ${domain}: ${errorText(err)}`);
  }
  if (!session?.accessToken) throw new MissingTokenError(`no offline session for ${domain}`);
  if (Date.now() - (tokenOkAt.get(domain) ?? 0) > 60_000) {
    tokenOkAt.set(domain, Date.now());
    await prisma.channel.updateMany({
      where: {
        kind: "shopify",
        shop: { domain },
        status: "failing",
        statusReason: { startsWith: TOKEN_REFUSED_REASON },
      },
      data: { status: "active", statusReason: null },
    });
  }
  return session.accessToken;
}

function errorText(err: unknown): string {
  const e = err as { message?: string; response?: { body?: unknown } };
  const body = e?.response?.body;
  return `${e?.message ?? String(err)}${body ? ` ${JSON.stringify(body).slice(0, 300)}` : ""}`;
}

async function markTokenRefused(domain: string, err: unknown): Promise<void> {
  tokenOkAt.delete(domain);
  const reason = `${TOKEN_REFUSED_REASON} (the refresh was refused). Open SyncFlow from Shopify admin to sign in again, or reinstall the app.`;
  const channel = await prisma.channel.findFirst({
    where: { kind: "shopify", shop: { domain } },
    select: { id: true, shopId: true },
  });
  if (channel) await markChannelFailing(channel, reason, `${TOKEN_REFUSED_REASON}: ${errorText(err)}`);
}

/**
 * Marks a channel `failing` with `reason` (what the Channels page and dashboard show) and emits ONE `store.unhealthy`
 * event on the transition (notifications: "Store down"; quiet hours and plans respected by the dispatcher): a channel
 * already failing for the same reason is left as it is and nothing is emitted again. `eventReason` is the event's
 * reason (default `reason`; ≤ 500 characters kept). Used for a refused Shopify token and a revoked marketplace
 * authorisation (decision 277). @returns whether the channel changed (and the event was emitted).
 */
export async function markChannelFailing(
  channel: { id: string; shopId: string },
  reason: string,
  eventReason: string = reason,
): Promise<boolean> {
  const { count } = await prisma.channel.updateMany({
    where: {
      id: channel.id,
      OR: [{ status: { not: "failing" } }, { statusReason: null }, { statusReason: { not: reason } }],
    },
    data: { status: "failing", statusReason: reason },
  });
  if (count !== 1) return false;
  const { emitEvent } = await import("../events.server");
  await emitEvent(
    channel.shopId,
    "store.unhealthy",
    { channelId: channel.id, reason: eventReason.slice(0, 500) },
    { channelId: channel.id },
  );
  return true;
}

export { RECORD_KIND };

/**
 * The record adapter of a shop (by our shop id): the port's `InventoryRecord` plus the app's billing/Flow calls and
 * the orders hub's order calls (`RecordOrders`).
 */
export async function recordForShop(shopId: string): Promise<{
  shop: NonNullable<Awaited<ReturnType<typeof prisma.shop.findUnique>>>;
  adapter: InventoryRecord & RecordApp & RecordOrders;
}> {
  const shop = await prisma.shop.findUnique({ where: { id: shopId } });
  if (!shop || shop.uninstalledAt) throw new NotFoundError(`shop ${shopId} not found or uninstalled`);
  return { shop, adapter: recordFor({ shop: shop.domain, accessToken: await offlineToken(shop.domain) }) };
}

/** A sales channel row of a shop, with its adapter. NotFoundError when absent, not a sales channel, or disconnected. */
export async function salesChannelOf(
  shopId: string,
  channelId: string,
): Promise<{ channel: ChannelRow; adapter: SalesChannel }> {
  const channel = await prisma.channel.findFirst({ where: { id: channelId, shopId, kind: { not: RECORD_KIND } } });
  if (!channel) throw new NotFoundError(`channel ${channelId} not found for shop ${shopId}`);
  return { channel, adapter: salesAdapter(channel) };
}

/**
 * The adapter of a sales channel row, through the registry (credentials decrypted here, never logged; the store's last
 * reported features go with it so writes take its batch route).
 */
export function salesAdapter(channel: ChannelRow): SalesChannel {
  if (!channel.credentialsEnc || channel.status === "disconnected")
    throw new NotFoundError(`channel ${channel.id} is disconnected`);
  return salesChannelFor(channel.kind, {
    baseUrl: channel.baseUrl,
    credentials: decryptJson<unknown>(channel.credentialsEnc),
    features: channel.pluginFeatures,
    credentialStore: channelCredentialStore(channel.id),
    pacer: sharedRequestPacer,
  });
}

/**
 * The port's `CredentialStore` over `Channel.credentialsEnc` (docs/decisions/305). `rotate` holds a transaction-scoped
 * advisory lock per channel — every process's rotations of one channel queue behind it, while the row itself stays
 * free for the push lease and status updates — reads the latest credentials, runs `update` (Etsy: one token request,
 * ≤ 15 s) and stores its answer encrypted when it changed anything. It writes only if the stored credentials are still
 * those it read (a reconnect or Disconnect meanwhile wins; a key rotation's re-encryption of the same credentials does
 * not count) and returns what is stored then. Throws ChannelError AUTH (not retryable) for a disconnected channel.
 */
export function channelCredentialStore(channelId: string): CredentialStore {
  const disconnected = () => new ChannelError("AUTH", `channel ${channelId} was disconnected`, { retryable: false });
  const read = async (tx: Prisma.TransactionClient) => {
    const row = await tx.channel.findUnique({
      where: { id: channelId },
      select: { credentialsEnc: true, status: true },
    });
    if (!row?.credentialsEnc || row.status === "disconnected") throw disconnected();
    return decryptJson<unknown>(row.credentialsEnc);
  };
  return {
    rotate: <T>(update: (latest: T) => Promise<T>) =>
      prisma.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`syncflow:credentials:${channelId}`}))`;
          const latest = (await read(tx)) as T;
          const next = await update(latest);
          if (next === latest) return latest;
          const now = (await read(tx)) as T;
          if (JSON.stringify(now) !== JSON.stringify(latest)) return now;
          await tx.channel.update({ where: { id: channelId }, data: { credentialsEnc: encryptJson(next) } });
          return next;
        },
        { maxWait: 30_000, timeout: 60_000 },
      ),
  };
}
