/**
 * Channels connected by authorising SyncFlow on the platform (issue 16: Amazon's website authorisation workflow), for
 * any kind that registers a `ChannelAuthorizationFlow` (app/channels/sales-channel.ts). Names no platform.
 *
 * 1. `startChannelAuthorization(shopId, kind, market)` (the Channels page): a one-time state (24 random bytes; only
 *    its SHA-256 is stored, 10 minutes) and the app's own start URL `/channels/oauth/start?state=…`, which the
 *    merchant's top-level window opens: it binds the flow to that browser (cookie of sha256(state), as the Google
 *    sign-in does, decision 147) and redirects to the platform's consent page (`authorizationConsentUrl`).
 * 2. `completeChannelAuthorization(kind, query)` (the callback `/channels/oauth/<kind>/callback`, after the cookie
 *    check): the state is used once (conditional update), the adapter exchanges the grant for credentials, the
 *    plan's channel count is checked, and the channel is created — or, for the same account and market, revived
 *    (unique `(shopId, baseUrl)`) with its listings and history, its last written quantities forgotten (the link's
 *    fresh read is the baseline) — `mode` "buffered" (a set-only channel: protected by
 *    its buffer, decision 133's default of 2 units), credentials encrypted like every store's (app/lib/crypto.server.ts,
 *    decision 006). Then its catalog is linked by SKU (link job) and, for a polled kind, its poll is due at once.
 * Errors: `AuthorizationError` (400 expired/used state, unknown kind or market; 402 plan limit) with a message the
 * merchant reads; ChannelError from the platform exchange.
 */
import crypto from "node:crypto";
import prisma from "../../db.server";
import { decryptJson, encryptJson, sha256Hex } from "../../lib/crypto.server";
import { pkceChallenge, pkceVerifier } from "../../lib/pkce.server";
import { salesChannelKind } from "../../channels/registry.server";
import { assertCanConnectChannel, PlanLimitError } from "../../billing/billing.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { bufferForMode } from "./store-mode.server";
import { env } from "../../env.server";

/** A channel authorisation that cannot go on; `status` is the HTTP status to answer. */
export class AuthorizationError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "AuthorizationError";
  }
}

const STATE_TTL_MS = 10 * 60_000;
const EXPIRED = "This authorisation link expired or was already used. Start again from SyncFlow's Channels page.";

function flowOf(kind: string) {
  const def = salesChannelKind(kind);
  if (!def?.authorization) throw new AuthorizationError(400, `"${kind}" is not connected by authorisation`);
  return { def, flow: def.authorization };
}

/** The callback URL registered with the platform for `kind` (`${SHOPIFY_APP_URL}/channels/oauth/<kind>/callback`). */
export function authorizationRedirectUri(kind: string): string {
  return `${(env.SHOPIFY_APP_URL ?? "").replace(/\/$/, "")}/channels/oauth/${encodeURIComponent(kind)}/callback`;
}

/**
 * Starts connecting a channel of `kind` in `market` for a shop. @returns the app's start URL (opened top-level).
 * Throws AuthorizationError 400 when the kind is not configured on this server or the market is unknown.
 */
export async function startChannelAuthorization(shopId: string, kind: string, market: string): Promise<string> {
  const { def, flow } = flowOf(kind);
  if (!flow.configured())
    throw new AuthorizationError(400, `${def.label} is not configured on this SyncFlow server (its application keys).`);
  // A market may be several of the platform's markets, comma-separated (Amazon: marketplaces of one unified account;
  // the flow checks they belong together when it completes).
  const ids = market.split(",").filter(Boolean);
  if (!ids.length || !ids.every((id) => flow.markets.some((m) => m.id === id)) || new Set(ids).size !== ids.length)
    throw new AuthorizationError(400, `Choose a ${def.label} marketplace.`);
  const state = crypto.randomBytes(24).toString("base64url");
  // PKCE flows (Etsy): the verifier stays on the server, encrypted with the state's row; only its S256 challenge
  // leaves, in the consent URL (decision 271).
  const pkceVerifierEnc = flow.pkce ? encryptJson(pkceVerifier()) : null;
  await prisma.channelAuthorization.create({
    data: {
      shopId,
      kind,
      market,
      stateHash: sha256Hex(state),
      pkceVerifierEnc,
      expiresAt: new Date(Date.now() + STATE_TTL_MS),
    },
  });
  return `${(env.SHOPIFY_APP_URL ?? "").replace(/\/$/, "")}/channels/oauth/start?state=${encodeURIComponent(state)}`;
}

/** The platform's consent URL for a pending state, or null when the state is unknown, used or expired. */
export async function authorizationConsentUrl(state: string): Promise<string | null> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(state)) return null;
  const auth = await prisma.channelAuthorization.findUnique({ where: { stateHash: sha256Hex(state) } });
  if (!auth || auth.usedAt || auth.expiresAt < new Date()) return null;
  const { flow } = flowOf(auth.kind);
  const verifier = auth.pkceVerifierEnc ? decryptJson<string>(auth.pkceVerifierEnc) : null;
  return flow.consentUrl({
    state,
    redirectUri: authorizationRedirectUri(auth.kind),
    market: auth.market,
    ...(verifier ? { codeChallenge: pkceChallenge(verifier) } : {}),
  });
}

/**
 * Completes an authorisation from the platform's callback query (`state` + the platform's grant). Idempotent per
 * state: a second use is refused. @returns the shop and the channel created or revived.
 */
export async function completeChannelAuthorization(
  kind: string,
  query: URLSearchParams,
): Promise<{ shopId: string; channelId: string; name: string }> {
  const { flow } = flowOf(kind);
  const state = query.get("state") ?? "";
  const auth = await prisma.channelAuthorization.findUnique({ where: { stateHash: sha256Hex(state) } });
  if (!auth || auth.kind !== kind || auth.expiresAt < new Date()) throw new AuthorizationError(400, EXPIRED);
  const { count } = await prisma.channelAuthorization.updateMany({
    where: { id: auth.id, usedAt: null },
    data: { usedAt: new Date() },
  });
  if (count !== 1) throw new AuthorizationError(400, EXPIRED);
  const codeVerifier = auth.pkceVerifierEnc ? decryptJson<string>(auth.pkceVerifierEnc) : undefined;
  if (flow.pkce && !codeVerifier) throw new AuthorizationError(400, EXPIRED);
  const done = await flow.complete({
    query,
    redirectUri: authorizationRedirectUri(kind),
    market: auth.market,
    ...(codeVerifier ? { codeVerifier } : {}),
  });
  const shopId = auth.shopId;
  const credentialsEnc = encryptJson(done.credentials);
  const defaultLocation = await prisma.location.findFirst({
    where: { shopId, isActive: true },
    orderBy: { gid: "asc" },
  });
  const previous = await prisma.channel.findUnique({
    where: { shopId_baseUrl: { shopId, baseUrl: done.baseUrl } },
    select: { mode: true, bufferSource: true },
  });
  const channel = await prisma.$transaction(async (tx) => {
    try {
      await assertCanConnectChannel(shopId, done.baseUrl, tx);
    } catch (err) {
      if (err instanceof PlanLimitError) throw new AuthorizationError(402, err.message);
      throw err;
    }
    const ch = await tx.channel.upsert({
      where: { shopId_baseUrl: { shopId, baseUrl: done.baseUrl } },
      create: {
        shopId,
        kind,
        name: done.name,
        baseUrl: done.baseUrl,
        status: "active",
        mode: "buffered",
        credentialsEnc,
        salesLocationId: defaultLocation?.gid ?? null,
        ...bufferForMode(null, "buffered"),
      },
      update: {
        name: done.name,
        status: "active",
        statusReason: null,
        mode: "buffered",
        credentialsEnc,
        ...bufferForMode(previous, "buffered"),
      },
    });
    await tx.channelAuthorization.update({ where: { id: auth.id }, data: { channelId: ch.id } });
    // A revived channel: what SyncFlow last wrote is no longer known to be what the platform shows (the account may
    // have changed meanwhile, e.g. Amazon marketplaces added: decision 276). The link below reads every listing again
    // and that read is the baseline its initial pushes compare with.
    await tx.listing.updateMany({ where: { channelId: ch.id }, data: { lastWrittenQuantity: null } });
    await tx.channelPollState.upsert({
      where: { channelId: ch.id },
      create: { channelId: ch.id },
      update: { nextPollAt: new Date(), lastError: null },
    });
    return ch;
  });
  await enqueue(QUEUES.linkChannel, { shopId, channelId: channel.id }, { singletonKey: `link:${channel.id}` });
  return { shopId, channelId: channel.id, name: done.name };
}

/**
 * Disconnects a channel connected by authorisation (the Channels page's "Disconnect", issue 16): its credentials
 * (the platform's refresh token) are deleted, it is marked `disconnected` (polling and pushes stop: both skip
 * disconnected channels), its poll state is dropped, and its linked listings are unlinked (`unmatched`, pending
 * writes forgotten) so nothing is written to it any more. Nothing else is touched: its orders, the ledger, the
 * record and every other channel stay as they are; connecting it again revives the same channel and links anew.
 * Throws AuthorizationError 404 when the channel is not one of the shop's authorised channels.
 */
export async function disconnectAuthorizedChannel(shopId: string, channelId: string): Promise<{ name: string }> {
  const channel = await prisma.channel.findFirst({ where: { id: channelId, shopId } });
  if (!channel || !salesChannelKind(channel.kind)?.authorization)
    throw new AuthorizationError(404, "No such marketplace channel.");
  await prisma.$transaction(async (tx) => {
    await tx.channel.update({
      where: { id: channel.id },
      data: {
        status: "disconnected",
        statusReason: "Disconnected by the merchant",
        credentialsEnc: null,
        allocationEnabled: false,
      },
    });
    await tx.channelPollState.deleteMany({ where: { channelId: channel.id } });
    await tx.listing.updateMany({
      where: { channelId: channel.id, matchStatus: "linked" },
      data: {
        matchStatus: "unmatched",
        pushRequestedAt: null,
        inFlightPushSeq: null,
        inFlightPushDelta: null,
        inFlightPushQuantity: null,
        inFlightPushAt: null,
      },
    });
  });
  return { name: channel.name ?? channel.kind };
}
