/**
 * Shopify sessions with their tokens encrypted at rest (issue 13: "Shopify offline tokens are stored in plain
 * text"; docs/decisions/145).
 *
 * `PrismaSessionStorage` (@shopify/shopify-app-session-storage-prisma 11.0.0, pinned) converts a `Session` to a row in
 * `sessionToRow` and back in `rowToSession` (dist/esm/prisma.mjs); this wraps those two so `accessToken` and
 * `refreshToken` are AES-256-GCM envelopes (app/lib/crypto.server.ts) in the `Session` table and plain only in
 * memory. A row written before (plain token) is still read; the rotation job encrypts it
 * (app/lib/secrets-rotation.server.ts). Everything else — which rows, when, the library's refresh of expiring
 * offline tokens — is the library's.
 */
import type { PrismaClient } from "@prisma/client";
import type { Session } from "@shopify/shopify-api";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import { decryptSecret, encryptSecret, isEnvelope } from "./crypto.server";

type Row = Record<string, unknown> & { accessToken: string; refreshToken: string | null };
interface Internals {
  sessionToRow(session: Session): Row;
  rowToSession(row: Row): Session;
}

/** A token as stored → plain (envelopes decrypted, legacy plain values as they are). */
export const openToken = (v: string | null): string | null => (v && isEnvelope(v) ? decryptSecret(v) : v);

/** `PrismaSessionStorage` whose rows carry encrypted tokens. */
export function encryptedSessionStorage(prisma: PrismaClient): PrismaSessionStorage<PrismaClient> {
  const storage = new PrismaSessionStorage(prisma);
  const inner = storage as unknown as Internals;
  const toRow = inner.sessionToRow.bind(storage);
  const toSession = inner.rowToSession.bind(storage);
  if (typeof toRow !== "function" || typeof toSession !== "function")
    throw new Error("PrismaSessionStorage changed: sessionToRow/rowToSession not found");
  inner.sessionToRow = (session) => {
    const row = toRow(session);
    return {
      ...row,
      accessToken: row.accessToken ? encryptSecret(row.accessToken) : "",
      refreshToken: row.refreshToken ? encryptSecret(row.refreshToken) : null,
    };
  };
  inner.rowToSession = (row) =>
    toSession({ ...row, accessToken: openToken(row.accessToken) ?? "", refreshToken: openToken(row.refreshToken) });
  return storage;
}
