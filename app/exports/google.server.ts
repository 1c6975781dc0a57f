/**
 * Google credentials for the Sheets export (docs/decisions/061-google-sheets-export.md).
 *
 * Two ways for a merchant to connect:
 *  - OAuth 2 (web server flow, `access_type=offline`, scope `drive.file`: SyncFlow only sees the files it
 *    creates). The refresh token is stored encrypted (`encryptJson`); access tokens live in memory only.
 *    Env: `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`; redirect URI `${SHOPIFY_APP_URL}/sheets/oauth/callback`.
 *  - A service-account key (JSON) pasted by the merchant, stored encrypted, authenticating with a
 *    self-signed JWT (no token endpoint); the merchant shares an existing spreadsheet with its e-mail.
 * Test/demo only (`SYNCFLOW_MODE`): `GOOGLE_API_ROOT_URL` and `GOOGLE_OAUTH_BASE` point the real clients at
 * a local fake (tests/fakes/sheets).
 *
 * Memory: the Google client is loaded on first use only, and only its Sheets part
 * (`googleapis/build/src/apis/sheets`, ~17 MB) — the `googleapis` entry point loads every Google API
 * (~110 MB RSS, ~1.3 s) in every process that imports it (docs/decisions/071-memory-worker-bundle-lazy-sdks.md).
 */
import crypto from "node:crypto";
import type { sheets_v4 } from "googleapis";
import prisma from "../db.server";
import { decryptJson, encryptJson, sha256Hex } from "../lib/crypto.server";
import { env } from "../env.server";

export const SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets";
export const DRIVE_FILE_SCOPE = "https://www.googleapis.com/auth/drive.file";

const localMode = () => env.SYNCFLOW_MODE === "test" || env.SYNCFLOW_MODE === "demo";

/** Sheets API root URL override (test/demo only). */
export function sheetsRootUrl(): string | undefined {
  return localMode() && env.GOOGLE_API_ROOT_URL ? env.GOOGLE_API_ROOT_URL : undefined;
}

/** Whether the app has OAuth client credentials. */
export const googleOAuthConfigured = (): boolean => !!env.GOOGLE_CLIENT_ID && !!env.GOOGLE_CLIENT_SECRET;

/** The OAuth redirect URI registered in Google Cloud Console. */
export const oauthRedirectUri = (): string => `${(env.SHOPIFY_APP_URL ?? "").replace(/\/$/, "")}/sheets/oauth/callback`;

/**
 * The Sheets v4 client factory and Google auth classes, loaded on first use. `googleapis` has no `exports`
 * map, so this per-API entry (stable across googleapis releases) is importable; it carries the same
 * `sheets()` and `auth` (AuthPlus: OAuth2, JWT) as the full `google` object.
 */
let sheetsModule: Promise<typeof import("googleapis/build/src/apis/sheets/index.js")> | null = null;
function loadSheets() {
  sheetsModule ??= import("googleapis/build/src/apis/sheets/index.js");
  sheetsModule.catch(() => (sheetsModule = null));
  return sheetsModule;
}

/** A Google OAuth2 client of the app (token/auth endpoints overridable in test/demo). */
export async function oauthClient() {
  const { auth: google } = await loadSheets();
  const base = localMode() ? env.GOOGLE_OAUTH_BASE?.replace(/\/$/, "") : undefined;
  return new google.OAuth2({
    clientId: env.GOOGLE_CLIENT_ID,
    clientSecret: env.GOOGLE_CLIENT_SECRET,
    redirectUri: oauthRedirectUri(),
    ...(base
      ? {
          endpoints: {
            oauth2TokenUrl: `${base}/token`,
            oauth2AuthBaseUrl: `${base}/o/oauth2/v2/auth`,
            oauth2RevokeUrl: `${base}/revoke`,
          },
        }
      : {}),
  });
}

/** Name of the cookie that binds a Google sign-in to the browser that started it (holds sha256(state)). */
export const OAUTH_BINDING_COOKIE = "syncflow_google_oauth";

/**
 * Starts the OAuth flow for a shop: stores a one-time state (hash, 10 min) and returns the app's own start URL
 * (`/sheets/oauth/start?state=…`), which the merchant's top-level window opens: it sets a cookie binding the flow
 * to that browser and redirects to Google's consent page (`googleConsentUrl`). The callback accepts the state only
 * with that cookie (issue 13: the state was not bound to the browser session, so a callback link minted for one
 * shop could be completed in another person's browser).
 */
export async function startGoogleOAuth(shopId: string): Promise<string> {
  if (!googleOAuthConfigured())
    throw new Error(
      "Google sign-in is not configured on this SyncFlow server (GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET)",
    );
  const state = crypto.randomBytes(24).toString("base64url");
  const data = { oauthStateHash: sha256Hex(state), oauthStateExpires: new Date(Date.now() + 10 * 60_000) };
  await prisma.sheetConnection.upsert({
    where: { shopId },
    create: { shopId, authType: "oauth", status: "pending", ...data },
    update: data,
  });
  return `${(env.SHOPIFY_APP_URL ?? "").replace(/\/$/, "")}/sheets/oauth/start?state=${encodeURIComponent(state)}`;
}

/** Google's consent URL for a pending state (null when the state is unknown or expired). */
export async function googleConsentUrl(state: string): Promise<string | null> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(state)) return null;
  const conn = await prisma.sheetConnection.findUnique({
    where: { oauthStateHash: sha256Hex(state) },
    select: { oauthStateExpires: true },
  });
  if (!conn?.oauthStateExpires || conn.oauthStateExpires < new Date()) return null;
  return (await oauthClient()).generateAuthUrl({
    access_type: "offline",
    prompt: "consent",
    scope: [DRIVE_FILE_SCOPE],
    state,
    include_granted_scopes: true,
  });
}

/**
 * Completes the OAuth flow: checks the one-time state, exchanges the code for tokens and stores the
 * refresh token encrypted. @returns the shop id.
 */
export async function completeGoogleOAuth(code: string, state: string): Promise<{ shopId: string }> {
  const conn = await prisma.sheetConnection.findUnique({ where: { oauthStateHash: sha256Hex(state) } });
  if (!conn || !conn.oauthStateExpires || conn.oauthStateExpires < new Date())
    throw new Error("This Google sign-in link expired or was already used. Start again from SyncFlow's settings.");
  await prisma.sheetConnection.update({
    where: { id: conn.id },
    data: { oauthStateHash: null, oauthStateExpires: null },
  });
  const { tokens } = await (await oauthClient()).getToken(code);
  if (!tokens.refresh_token) {
    throw new Error(
      "Google did not return a refresh token. Remove SyncFlow at myaccount.google.com/permissions and connect again.",
    );
  }
  await prisma.sheetConnection.update({
    where: { id: conn.id },
    data: {
      authType: "oauth",
      credentialsEnc: encryptJson({ refresh_token: tokens.refresh_token }),
      status: "connected",
      lastError: null,
      // A new Google account may not see the previous spreadsheet (drive.file): start a new one.
      spreadsheetId: conn.authType === "oauth" ? conn.spreadsheetId : null,
    },
  });
  return { shopId: conn.shopId };
}

/** A parsed service-account key. */
export interface ServiceAccountKey {
  type: "service_account";
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

/** Validates a pasted service-account key JSON. Throws a merchant-readable error. */
export function parseServiceAccountKey(raw: string): ServiceAccountKey {
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(raw);
  } catch {
    throw new Error("The key is not valid JSON: paste the whole file Google Cloud downloaded");
  }
  if (key.type !== "service_account" || !key.client_email || !key.private_key?.includes("PRIVATE KEY")) {
    throw new Error("This is not a service-account key (expected type, client_email and private_key)");
  }
  return key as ServiceAccountKey;
}

/** Stores a service-account connection (key encrypted) for an existing spreadsheet shared with it. */
export async function connectServiceAccount(
  shopId: string,
  rawKey: string,
  spreadsheetId: string,
): Promise<{ email: string }> {
  const key = parseServiceAccountKey(rawKey);
  const id = extractSpreadsheetId(spreadsheetId);
  if (!id)
    throw new Error("Paste the spreadsheet's URL or id (share it with the service account's e-mail as Editor first)");
  const data = {
    authType: "service_account",
    credentialsEnc: encryptJson({
      type: key.type,
      client_email: key.client_email,
      private_key: key.private_key,
      private_key_id: key.private_key_id,
    }),
    accountEmail: key.client_email,
    spreadsheetId: id,
    spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${id}/edit`,
    inventorySheetId: null,
    ordersSheetId: null,
    rowMap: {},
    status: "connected",
    lastError: null,
  };
  await prisma.sheetConnection.upsert({ where: { shopId }, create: { shopId, ...data }, update: data });
  return { email: key.client_email };
}

/** A spreadsheet id from a URL or a bare id. */
export function extractSpreadsheetId(value: string): string | null {
  const v = value.trim();
  const m = /\/spreadsheets\/d\/([A-Za-z0-9_-]{10,})/.exec(v);
  if (m) return m[1]!;
  return /^[A-Za-z0-9_-]{10,}$/.test(v) ? v : null;
}

/** An authenticated Sheets v4 client for a stored connection. */
export async function sheetsFor(conn: { authType: string; credentialsEnc: string | null }): Promise<sheets_v4.Sheets> {
  if (!conn.credentialsEnc) throw new Error("Google Sheets is not connected");
  const { auth: google, sheets } = await loadSheets();
  let auth;
  if (conn.authType === "service_account") {
    const key = decryptJson<ServiceAccountKey>(conn.credentialsEnc);
    const jwt = new google.JWT({
      email: key.client_email,
      key: key.private_key,
      keyId: key.private_key_id,
      scopes: [SHEETS_SCOPE],
    });
    jwt.useJWTAccessWithScope = true; // self-signed JWT with the scope: no call to the token endpoint
    auth = jwt;
  } else {
    const { refresh_token } = decryptJson<{ refresh_token: string }>(conn.credentialsEnc);
    auth = await oauthClient();
    auth.setCredentials({ refresh_token });
  }
  const rootUrl = sheetsRootUrl();
  return sheets({ version: "v4", auth, ...(rootUrl ? { rootUrl } : {}) });
}
