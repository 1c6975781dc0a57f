/**
 * FAKE of Google's OAuth 2 token endpoint and the Sheets API v4 calls SyncFlow uses, for tests and the
 * demo (the real `googleapis` client is pointed at it with `rootUrl`):
 *  - `GET /o/oauth2/v2/auth` (consent: redirects to redirect_uri with a code and the state, auto-approved),
 *    `POST /token` (grant_type authorization_code | refresh_token; client_id/secret checked);
 *  - `POST /v4/spreadsheets` (create), `GET /v4/spreadsheets/{id}`, `POST /v4/spreadsheets/{id}:batchUpdate`
 *    (addSheet, updateSheetProperties, repeatCell, appendDimension), `POST /v4/spreadsheets/{id}/values:batchUpdate`.
 * Bearer tokens must be access tokens it issued, or self-signed service-account JWTs (RS256) of a key
 * registered with `trustServiceAccount`. Writes beyond a sheet's grid fail with 400 like Google's.
 * `GET /__fake/spreadsheets/{id}/{sheet}.csv` shows a sheet (demo).
 */
import http from "node:http";
import type net from "node:net";
import crypto from "node:crypto";
import fs from "node:fs";

export interface FakeSheet {
  sheetId: number;
  title: string;
  rowCount: number;
  columnCount: number;
  frozenRowCount: number;
  headerBold: boolean;
  /** rows[r][c] (0-based). */
  rows: (string | number)[][];
}

export interface FakeSpreadsheet {
  spreadsheetId: string;
  title: string;
  sheets: FakeSheet[];
}

export interface SheetsFake {
  url: string;
  clientId: string;
  clientSecret: string;
  spreadsheets: Map<string, FakeSpreadsheet>;
  /** API calls: method, path, bearer kind, body. */
  calls: { method: string; path: string; auth: string; body: any }[];
  tokenRequests: Record<string, string>[];
  /** Issues a refresh token directly (as if a consent happened earlier). */
  issueRefreshToken(): string;
  revokeAll(): void;
  trustServiceAccount(email: string, publicKeyPem: string): void;
  sheet(spreadsheetId: string, title: string): FakeSheet | undefined;
  close(): Promise<void>;
}

function parseA1(range: string): { title: string; r0: number; c0: number; r1: number; c1: number } {
  const m = /^'?([^'!]+)'?!([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/.exec(range);
  if (!m) throw new Error(`Unable to parse range: ${range}`);
  const col = (s: string) => [...s].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
  return { title: m[1]!, c0: col(m[2]!), r0: Number(m[3]) - 1, c1: col(m[4] ?? m[2]!), r1: Number(m[5] ?? m[3]) - 1 };
}

/** Starts the fake on a free loopback port. `persistFile`: JSON dump of the spreadsheets after each write (demo). */
export async function startSheetsFake(opts: { persistFile?: string } = {}): Promise<SheetsFake> {
  const clientId = `fake-client-${crypto.randomBytes(4).toString("hex")}.apps.googleusercontent.com`;
  const clientSecret = crypto.randomBytes(12).toString("hex");
  const spreadsheets = new Map<string, FakeSpreadsheet>();
  const calls: SheetsFake["calls"] = [];
  const tokenRequests: Record<string, string>[] = [];
  const codes = new Set<string>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Map<string, number>();
  const trusted = new Map<string, string>();
  let nextSheetId = 1000;
  const persist = () =>
    opts.persistFile && fs.writeFileSync(opts.persistFile, JSON.stringify([...spreadsheets.values()], null, 1));

  const issueRefreshToken = () => {
    const t = `1//fake-refresh-${crypto.randomBytes(12).toString("hex")}`;
    refreshTokens.add(t);
    return t;
  };

  function authKind(header: string | undefined): string | null {
    const token = header?.replace(/^Bearer /, "") ?? "";
    const exp = accessTokens.get(token);
    if (exp && exp > Date.now()) return "oauth";
    const parts = token.split(".");
    if (parts.length === 3) {
      try {
        const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString());
        const pem = trusted.get(claims.iss);
        if (!pem || claims.exp * 1000 < Date.now()) return null;
        const ok = crypto.verify(
          "RSA-SHA256",
          Buffer.from(`${parts[0]}.${parts[1]}`),
          pem,
          Buffer.from(parts[2]!, "base64url"),
        );
        return ok && String(claims.scope ?? "").includes("spreadsheets") ? "service_account" : null;
      } catch {
        return null;
      }
    }
    return null;
  }

  const gerr = (code: number, message: string, status: string) => ({ error: { code, message, status } });
  const sheetJson = (s: FakeSheet) => ({
    properties: {
      sheetId: s.sheetId,
      title: s.title,
      index: 0,
      sheetType: "GRID",
      gridProperties: { rowCount: s.rowCount, columnCount: s.columnCount, frozenRowCount: s.frozenRowCount },
    },
  });
  const ssJson = (ss: FakeSpreadsheet, base: string) => ({
    spreadsheetId: ss.spreadsheetId,
    properties: { title: ss.title },
    sheets: ss.sheets.map(sheetJson),
    spreadsheetUrl: `${base}/__fake/spreadsheets/${ss.spreadsheetId}/Inventory.csv`,
  });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const url = new URL(req.url ?? "/", base);
      const raw = Buffer.concat(chunks).toString();
      const send = (status: number, body: unknown, type = "application/json") =>
        res.writeHead(status, { "Content-Type": type }).end(typeof body === "string" ? body : JSON.stringify(body));
      try {
        // --- OAuth ---
        if (req.method === "GET" && url.pathname === "/o/oauth2/v2/auth") {
          if (url.searchParams.get("client_id") !== clientId) return send(400, "invalid client", "text/plain");
          const code = `4/fake-code-${crypto.randomBytes(8).toString("hex")}`;
          codes.add(code);
          const to = new URL(url.searchParams.get("redirect_uri")!);
          to.searchParams.set("code", code);
          to.searchParams.set("state", url.searchParams.get("state") ?? "");
          res.writeHead(302, { Location: to.toString() }).end();
          return;
        }
        if (req.method === "POST" && url.pathname === "/token") {
          const form = Object.fromEntries(new URLSearchParams(raw));
          tokenRequests.push(form);
          if (form.client_id !== clientId || form.client_secret !== clientSecret)
            return send(401, { error: "invalid_client", error_description: "The OAuth client was not found." });
          const access = `ya29.fake-${crypto.randomBytes(12).toString("hex")}`;
          accessTokens.set(access, Date.now() + 3600_000);
          if (form.grant_type === "authorization_code" && codes.delete(form.code ?? "")) {
            return send(200, {
              access_token: access,
              expires_in: 3599,
              refresh_token: issueRefreshToken(),
              scope: "https://www.googleapis.com/auth/drive.file",
              token_type: "Bearer",
            });
          }
          if (form.grant_type === "refresh_token" && refreshTokens.has(form.refresh_token ?? "")) {
            return send(200, {
              access_token: access,
              expires_in: 3599,
              scope: "https://www.googleapis.com/auth/drive.file",
              token_type: "Bearer",
            });
          }
          return send(400, { error: "invalid_grant", error_description: "Token has been expired or revoked." });
        }
        // --- demo view ---
        const view = /^\/__fake\/spreadsheets\/([^/]+)\/([^/]+)\.csv$/.exec(url.pathname);
        if (req.method === "GET" && view) {
          const s = spreadsheets.get(view[1]!)?.sheets.find((x) => x.title === decodeURIComponent(view[2]!));
          if (!s) return send(404, "not found", "text/plain");
          return send(
            200,
            s.rows.map((r) => (r ?? []).map((c) => `"${String(c ?? "").replace(/"/g, '""')}"`).join(",")).join("\n"),
            "text/csv",
          );
        }
        // --- Sheets v4 ---
        if (!url.pathname.startsWith("/v4/")) return send(404, gerr(404, "Not found", "NOT_FOUND"));
        const kind = authKind(req.headers.authorization);
        const body = raw ? JSON.parse(raw) : {};
        calls.push({ method: req.method ?? "", path: url.pathname, auth: kind ?? "none", body });
        if (!kind) return send(401, gerr(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"));
        if (req.method === "POST" && url.pathname === "/v4/spreadsheets") {
          const id = crypto.randomBytes(16).toString("base64url");
          const ss: FakeSpreadsheet = {
            spreadsheetId: id,
            title: body.properties?.title ?? "Untitled spreadsheet",
            sheets: (body.sheets ?? [{ properties: { title: "Sheet1" } }]).map((s: any) => ({
              sheetId: s.properties?.sheetId ?? nextSheetId++,
              title: s.properties?.title ?? "Sheet1",
              rowCount: s.properties?.gridProperties?.rowCount ?? 1000,
              columnCount: s.properties?.gridProperties?.columnCount ?? 26,
              frozenRowCount: s.properties?.gridProperties?.frozenRowCount ?? 0,
              headerBold: false,
              rows: [],
            })),
          };
          spreadsheets.set(id, ss);
          persist();
          return send(200, ssJson(ss, base));
        }
        const m = /^\/v4\/spreadsheets\/([^/:]+)(:batchUpdate|\/values:batchUpdate)?$/.exec(url.pathname);
        const ss = m ? spreadsheets.get(m[1]!) : undefined;
        if (!m || !ss) return send(404, gerr(404, "Requested entity was not found.", "NOT_FOUND"));
        if (req.method === "GET" && !m[2]) return send(200, ssJson(ss, base));
        if (req.method === "POST" && m[2] === ":batchUpdate") {
          const replies: unknown[] = [];
          for (const r of body.requests ?? []) {
            if (r.addSheet) {
              const p = r.addSheet.properties ?? {};
              const s: FakeSheet = {
                sheetId: nextSheetId++,
                title: p.title,
                rowCount: p.gridProperties?.rowCount ?? 1000,
                columnCount: p.gridProperties?.columnCount ?? 26,
                frozenRowCount: p.gridProperties?.frozenRowCount ?? 0,
                headerBold: false,
                rows: [],
              };
              ss.sheets.push(s);
              replies.push({ addSheet: sheetJson(s) });
              continue;
            }
            const sheetId =
              r.updateSheetProperties?.properties?.sheetId ??
              r.repeatCell?.range?.sheetId ??
              r.appendDimension?.sheetId;
            const s = ss.sheets.find((x) => x.sheetId === sheetId);
            if (!s) return send(400, gerr(400, `Invalid requests: No grid with id: ${sheetId}`, "INVALID_ARGUMENT"));
            if (r.updateSheetProperties) {
              const f = r.updateSheetProperties.properties.gridProperties?.frozenRowCount;
              if (f != null) s.frozenRowCount = f;
            } else if (r.repeatCell) {
              if (r.repeatCell.range.startRowIndex === 0 && r.repeatCell.cell?.userEnteredFormat?.textFormat?.bold)
                s.headerBold = true;
            } else if (r.appendDimension) {
              if (r.appendDimension.dimension === "ROWS") s.rowCount += r.appendDimension.length;
              else s.columnCount += r.appendDimension.length;
            } else
              return send(
                400,
                gerr(400, `Unsupported request in fake: ${Object.keys(r).join(",")}`, "INVALID_ARGUMENT"),
              );
            replies.push({});
          }
          persist();
          return send(200, { spreadsheetId: ss.spreadsheetId, replies });
        }
        if (req.method === "POST" && m[2] === "/values:batchUpdate") {
          let updatedCells = 0;
          for (const vr of body.data ?? []) {
            const a = parseA1(vr.range);
            const s = ss.sheets.find((x) => x.title === a.title);
            if (!s) return send(400, gerr(400, `Unable to parse range: ${vr.range}`, "INVALID_ARGUMENT"));
            if (a.r1 >= s.rowCount || a.c1 >= s.columnCount)
              return send(
                400,
                gerr(
                  400,
                  `Range (${vr.range}) exceeds grid limits. Max rows: ${s.rowCount}, max columns: ${s.columnCount}`,
                  "INVALID_ARGUMENT",
                ),
              );
            (vr.values as unknown[][]).forEach((row, i) => {
              const r = a.r0 + i;
              s.rows[r] ??= [];
              row.forEach((v, j) => {
                s.rows[r]![a.c0 + j] = v as string | number;
                updatedCells++;
              });
            });
          }
          persist();
          return send(200, { spreadsheetId: ss.spreadsheetId, totalUpdatedCells: updatedCells, responses: [] });
        }
        return send(404, gerr(404, "Not found", "NOT_FOUND"));
      } catch (err) {
        return send(400, gerr(400, String((err as Error).message), "INVALID_ARGUMENT"));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    spreadsheets,
    calls,
    tokenRequests,
    issueRefreshToken,
    revokeAll: () => {
      refreshTokens.clear();
      accessTokens.clear();
    },
    trustServiceAccount: (email, pem) => void trusted.set(email, pem),
    sheet: (id, title) => spreadsheets.get(id)?.sheets.find((s) => s.title === title),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
