/**
 * The demo's admin entry routes (docs/decisions/050, 144), served only by the demo server entry
 * (`build/node/serve-demo.js`, scripts/serve-demo.ts) — they are not in the Remix build and not in the
 * production server (`build/node/serve.js`), so no setting can turn them on in production:
 * - `GET /demo/admin[?return=/app/...]`: plays Shopify Admin opening the embedded app — mints a session token
 *   for `SYNCFLOW_DEMO_SHOP` and redirects to `/app?embedded=1&shop&host&id_token`;
 * - `GET /demo/session-token`: a fresh token for the App Bridge shim (`public/demo/app-bridge-shim.js`),
 *   same-origin requests only (403 otherwise);
 * - `GET /auth/session-token?shop=<demo shop>`: Shopify's bounce page cannot load App Bridge offline, so it is
 *   answered with a fresh token (other shops go on to the app's own route).
 * Each still requires `SYNCFLOW_MODE=demo` (404 otherwise).
 */
import type http from "node:http";
import {
  demoEmbeddedUrl,
  demoShop,
  isDemoMode,
  mintTokenForDemoShop,
  safeAppPath,
} from "../../app/models/demo-session.server";
import { env } from "../../app/env.server";

type Req = http.IncomingMessage & { query: Record<string, unknown>; originalUrl?: string };
type Res = http.ServerResponse & {
  redirect(url: string): void;
  status(n: number): Res;
  json(b: unknown): void;
  set(h: Record<string, string>): Res;
};
type Next = (err?: unknown) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ExpressApp = { get(path: string, handler: (req: Req, res: Res, next: Next) => void): void } & Record<string, any>;

const str = (v: unknown) => (typeof v === "string" ? v : null);

/** Adds the demo routes to an express app (before Remix's handler). */
export function addDemoRoutes(app: ExpressApp): void {
  const guard = (handler: (req: Req, res: Res, next: Next) => void) => (req: Req, res: Res, next: Next) => {
    if (!isDemoMode()) return next();
    try {
      handler(req, res, next);
    } catch (err) {
      if (err instanceof Response) {
        res.status(err.status).set({ "Content-Type": "text/plain" });
        void err.text().then((t) => res.end(t));
        return;
      }
      next(err);
    }
  };
  app.get(
    "/demo/admin",
    guard((req, res) => {
      const { shop, token } = mintTokenForDemoShop();
      res.set({ "Cache-Control": "no-store" });
      res.redirect(demoEmbeddedUrl(safeAppPath(str(req.query.return)), shop, token));
    }),
  );
  app.get(
    "/demo/session-token",
    guard((req, res) => {
      const site = req.headers["sec-fetch-site"];
      if (site && site !== "same-origin") return res.status(403).json({ error: "same-origin only" });
      const { shop, token, exp } = mintTokenForDemoShop();
      res.set({ "Cache-Control": "no-store" });
      res.json({ token, exp, shop });
    }),
  );
  app.get(
    "/auth/session-token",
    guard((req, res, next) => {
      if (str(req.query.shop) !== demoShop()) return next();
      const reload = str(req.query["shopify-reload"]);
      const appUrl = (env.SHOPIFY_APP_URL ?? "").replace(/\/$/, "");
      let path = "/app";
      if (reload) {
        try {
          const target = new URL(reload);
          if (appUrl && target.origin === new URL(appUrl).origin) path = `${target.pathname}${target.search}`;
        } catch {
          // keep /app
        }
      }
      const { shop, token } = mintTokenForDemoShop();
      res.redirect(demoEmbeddedUrl(path, shop, token));
    }),
  );
}
