/**
 * Key rotation (docs/decisions/145): re-encrypts every secret at rest that is not an envelope of the current
 * key — envelopes of a retired key (`SYNCFLOW_ENCRYPTION_KEYS_RETIRED`), v1 envelopes without a key id, and
 * Shopify tokens still in plain text from before they were encrypted. Runs in the worker's hourly maintenance job
 * and is idempotent; once it reports 0 remaining, the retired keys can be removed from the environment.
 *
 * Columns: Channel.credentialsEnc, Channel.webhookSecretEnc, SheetConnection.credentialsEnc, WebhookSubscription.secretEnc,
 * Session.accessToken, Session.refreshToken. Each row is updated only if it still holds the value read
 * (compare-and-set), so a concurrent write (a token refresh) is never overwritten with an older value.
 */
import prisma from "../db.server";
import { currentKeyId, decryptSecret, encryptSecret, isEnvelope } from "./crypto.server";

const BATCH = 500;

/** The value re-encrypted with the current key, or null when it already is (or is empty). */
function reseal(value: string | null, current: string): string | null {
  if (!value) return null;
  if (value.startsWith(`v2:${current}:`)) return null;
  return encryptSecret(isEnvelope(value) ? decryptSecret(value) : value);
}

/**
 * Re-encrypts what is not on the current key. Throws EncryptionKeyError when an envelope's key is not configured
 * (nothing after that row is changed; rows before it stay re-encrypted, which is safe).
 * @param scope one shop only (tests share one database between files; the job passes none).
 * @returns rows updated per table.
 */
export async function rotateSecrets(scope?: {
  shopId: string;
  shopDomain: string;
}): Promise<{ channels: number; sheets: number; sessions: number; webhookSubscriptions: number }> {
  const current = currentKeyId();
  const byShop = scope ? { shopId: scope.shopId } : {};
  const byDomain = scope ? { shop: scope.shopDomain } : {};
  const notCurrent = { not: { startsWith: `v2:${current}:` } };
  const out = { channels: 0, sheets: 0, sessions: 0, webhookSubscriptions: 0 };

  for (;;) {
    const rows = await prisma.channel.findMany({
      where: { ...byShop, OR: [{ credentialsEnc: notCurrent }, { webhookSecretEnc: notCurrent }] },
      select: { id: true, credentialsEnc: true, webhookSecretEnc: true },
      take: BATCH,
      orderBy: { id: "asc" },
    });
    let changed = 0;
    for (const r of rows) {
      const c = reseal(r.credentialsEnc, current);
      const w = reseal(r.webhookSecretEnc, current);
      if (!c && !w) continue;
      changed += (
        await prisma.channel.updateMany({
          where: { id: r.id, credentialsEnc: r.credentialsEnc, webhookSecretEnc: r.webhookSecretEnc },
          data: { ...(c ? { credentialsEnc: c } : {}), ...(w ? { webhookSecretEnc: w } : {}) },
        })
      ).count;
    }
    out.channels += changed;
    if (rows.length < BATCH || changed === 0) break;
  }

  for (;;) {
    const rows = await prisma.sheetConnection.findMany({
      where: { ...byShop, credentialsEnc: notCurrent },
      select: { shopId: true, credentialsEnc: true },
      take: BATCH,
    });
    let changed = 0;
    for (const r of rows) {
      const c = reseal(r.credentialsEnc, current);
      if (c)
        changed += (
          await prisma.sheetConnection.updateMany({
            where: { shopId: r.shopId, credentialsEnc: r.credentialsEnc },
            data: { credentialsEnc: c },
          })
        ).count;
    }
    out.sheets += changed;
    if (rows.length < BATCH || changed === 0) break;
  }

  for (;;) {
    const rows = await prisma.session.findMany({
      where: {
        ...byDomain,
        OR: [{ AND: [{ accessToken: { not: "" } }, { accessToken: notCurrent }] }, { refreshToken: notCurrent }],
      },
      select: { id: true, accessToken: true, refreshToken: true },
      take: BATCH,
      orderBy: { id: "asc" },
    });
    let changed = 0;
    for (const r of rows) {
      const a = reseal(r.accessToken, current);
      const t = reseal(r.refreshToken, current);
      if (!a && !t) continue;
      changed += (
        await prisma.session.updateMany({
          where: { id: r.id, accessToken: r.accessToken, refreshToken: r.refreshToken },
          data: { ...(a ? { accessToken: a } : {}), ...(t ? { refreshToken: t } : {}) },
        })
      ).count;
    }
    out.sessions += changed;
    if (rows.length < BATCH || changed === 0) break;
  }

  // issue 18: the signing secrets of the merchant's outbound webhook endpoints (app/outbound).
  for (;;) {
    const rows = await prisma.webhookSubscription.findMany({
      where: { ...byShop, secretEnc: notCurrent },
      select: { id: true, secretEnc: true },
      take: BATCH,
      orderBy: { id: "asc" },
    });
    let changed = 0;
    for (const r of rows) {
      const s = reseal(r.secretEnc, current);
      if (s)
        changed += (
          await prisma.webhookSubscription.updateMany({
            where: { id: r.id, secretEnc: r.secretEnc },
            data: { secretEnc: s },
          })
        ).count;
    }
    out.webhookSubscriptions += changed;
    if (rows.length < BATCH || changed === 0) break;
  }
  return out;
}
