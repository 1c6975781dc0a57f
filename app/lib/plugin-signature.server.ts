/**
 * Signed plugin → hub calls (docs/contracts/hub-api-v1.md §2; issue 13; docs/decisions/146).
 *
 * Plugin ≥ 1.1.0 sends, on every call but registration:
 *   X-SyncFlow-Channel: <channel id>
 *   X-SyncFlow-Timestamp: <Unix seconds>
 *   X-SyncFlow-Nonce: <16–128 chars of [A-Za-z0-9_-], new per call>
 *   X-SyncFlow-Signature: base64(HMAC-SHA256("<timestamp>.<nonce>.<raw body>", webhook secret))
 * The hub checks, in this order: the channel exists (404) and is connected (410 — a disconnected store's secret is
 * revoked and its calls change nothing); the signature (401 bad_signature, constant time); the timestamp within
 * `SIGNATURE_WINDOW_S` of the hub's clock (401 stale_signature); the nonce not seen before for this channel
 * (401 replayed — recorded in `PluginCallNonce`, primary key (channel, nonce), so two concurrent replays cannot both
 * pass). Only a correctly signed call can store a nonce.
 *
 * Plugin 1.0.0 signs the raw body only (no timestamp, no nonce), so its calls could be replayed. They are accepted
 * only while `SYNCFLOW_PLUGIN_1_0_GRACE_UNTIL` (an ISO date the operator sets) is in the future, and never for a
 * store that has reported plugin ≥ 1.1.0 (no downgrade); each accepted one stamps `Channel.legacySignedCallAt`, and
 * the Channels page asks the owner to update the plugin. Otherwise 401 `plugin_update_required`.
 */
import type { Channel } from "@prisma/client";
import prisma from "../db.server";
import { decryptSecret, hmacBase64, safeEqual } from "./crypto.server";
import { env } from "../env.server";

/** How far a signed call's timestamp may be from the hub's clock, in seconds (5 minutes, either way). */
export const SIGNATURE_WINDOW_S = 300;

/** A refused plugin call: HTTP status + stable error code (the plugin API's error shape). */
export class PluginCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PluginCallError";
  }
}

/** The first plugin version that signs timestamp + nonce. */
export const SIGNED_TIMESTAMP_SINCE = "1.1.0";

/** true when `version` (x.y.z) is at least `min`; unknown or malformed versions are not. */
export function versionAtLeast(version: string | null | undefined, min: string): boolean {
  const p = (v: string) => v.split(".").map((x) => Number.parseInt(x, 10) || 0);
  if (!version || !/^\d+(\.\d+)*/.test(version)) return false;
  const [a, b] = [p(version), p(min)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** Whether the operator's grace period for plugin 1.0.0 signatures is on (SYNCFLOW_PLUGIN_1_0_GRACE_UNTIL in the future). */
export function legacyGraceOpen(now = Date.now()): boolean {
  const until = Date.parse(env.SYNCFLOW_PLUGIN_1_0_GRACE_UNTIL ?? "");
  return Number.isFinite(until) && until > now;
}

/** base64 HMAC-SHA256 of a signed call (the message the plugin signs). */
export const signPluginCall = (secret: string, timestamp: string, nonce: string, raw: string): string =>
  hmacBase64(`${timestamp}.${nonce}.${raw}`, secret);

/**
 * Verifies a signed plugin call (see the module doc). `raw` is the body exactly as received.
 * @returns the channel row. Throws PluginCallError 404 / 410 / 401.
 */
export async function verifyPluginCall(request: Request, raw: string): Promise<Channel> {
  const channelId = request.headers.get("x-syncflow-channel") ?? "";
  const signature = request.headers.get("x-syncflow-signature") ?? "";
  const timestamp = request.headers.get("x-syncflow-timestamp");
  const nonce = request.headers.get("x-syncflow-nonce");
  const channel = /^[A-Za-z0-9_-]{1,64}$/.test(channelId)
    ? await prisma.channel.findFirst({ where: { id: channelId, kind: "woocommerce" } })
    : null;
  if (!channel) throw new PluginCallError(404, "unknown_channel", "No connected store with this id.");
  if (channel.status === "disconnected" || !channel.webhookSecretEnc) {
    throw new PluginCallError(
      410,
      "store_disconnected",
      "This store was disconnected from SyncFlow; connect it again with a new code.",
    );
  }
  const secret = decryptSecret(channel.webhookSecretEnc);

  if (timestamp === null && nonce === null) {
    // Plugin 1.0.0: body-only signature, accepted only during the operator's grace period.
    if (!signature || !safeEqual(hmacBase64(raw, secret), signature))
      throw new PluginCallError(401, "bad_signature", "X-SyncFlow-Signature does not match the body.");
    if (!legacyGraceOpen() || versionAtLeast(channel.pluginVersion, SIGNED_TIMESTAMP_SINCE)) {
      throw new PluginCallError(
        401,
        "plugin_update_required",
        `Update SyncFlow for WooCommerce to ${SIGNED_TIMESTAMP_SINCE} or later: this hub no longer accepts calls without a timestamp and nonce.`,
      );
    }
    if (!channel.legacySignedCallAt || Date.now() - channel.legacySignedCallAt.getTime() > 60 * 60_000) {
      await prisma.channel.update({ where: { id: channel.id }, data: { legacySignedCallAt: new Date() } });
    }
    return channel;
  }

  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !nonce || !/^[A-Za-z0-9_-]{16,128}$/.test(nonce)) {
    throw new PluginCallError(
      401,
      "bad_signature",
      "X-SyncFlow-Timestamp must be Unix seconds and X-SyncFlow-Nonce 16–128 characters of [A-Za-z0-9_-].",
    );
  }
  if (!signature || !safeEqual(signPluginCall(secret, timestamp, nonce, raw), signature)) {
    throw new PluginCallError(
      401,
      "bad_signature",
      "X-SyncFlow-Signature does not match the timestamp, nonce and body.",
    );
  }
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_S) {
    throw new PluginCallError(
      401,
      "stale_signature",
      `The call is older than ${SIGNATURE_WINDOW_S / 60} minutes (or the store's clock is off).`,
    );
  }
  const stored =
    await prisma.$executeRaw`INSERT INTO "PluginCallNonce" ("channelId", "nonce") VALUES (${channel.id}, ${nonce}) ON CONFLICT DO NOTHING`;
  if (stored !== 1) throw new PluginCallError(401, "replayed", "This call was already received (same nonce).");
  if (channel.legacySignedCallAt)
    await prisma.channel.update({ where: { id: channel.id }, data: { legacySignedCallAt: null } });
  return channel;
}

/** Deletes nonces older than twice the signature window (they can no longer be replayed: their timestamp is stale). */
export async function pruneNonces(): Promise<number> {
  const { count } = await prisma.pluginCallNonce.deleteMany({
    where: { seenAt: { lt: new Date(Date.now() - 2 * SIGNATURE_WINDOW_S * 1000) } },
  });
  return count;
}
