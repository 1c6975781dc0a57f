/**
 * The real app, in-process, for integration tests: the production build (`remix vite:build`, built on
 * demand) served by a small node:http adapter around Remix's `createRequestHandler`, plus the worker on
 * the same pg-boss queues. Environment (API key/secret, app URL, emulator origin) is set before the build
 * is imported, as the real server reads it at start. Static assets are not served (tests hit routes).
 */
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ensureBuild } from "../../scripts/lib/build";
import { freePort } from "../../app/lib/free-port.server";
import { clientAddressOf } from "../../app/lib/client-address.server";
import prisma from "../../app/db.server";
import { startShopifyEmulator, type ShopifyEmulator } from "../emulators/shopify/index";
import { installApp, waitFor } from "./world";

export const TEST_API_KEY = "syncflow-test-api-key";
export const TEST_API_SECRET = "syncflow-test-api-secret";

export interface AppHandle {
  url: string;
  close(): Promise<void>;
}

/** Converts a node request to a Fetch Request. */
function toRequest(req: http.IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) v.forEach((x) => headers.append(k, x));
    else if (v != null) headers.set(k, v);
  }
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex?: string } = { method, headers };
  if (method !== "GET" && method !== "HEAD") {
    init.body = req as unknown as BodyInit;
    init.duplex = "half";
  }
  return new Request(new URL(req.url ?? "/", origin), init);
}

/**
 * Starts the app on a free loopback port. `env` is merged into process.env first (SHOPIFY_ADMIN_ORIGIN etc.).
 * SHOPIFY_APP_URL is set to the server's own URL.
 */
export async function startApp(env: Record<string, string> = {}): Promise<AppHandle> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  Object.assign(process.env, {
    SHOPIFY_API_KEY: TEST_API_KEY,
    SHOPIFY_API_SECRET: TEST_API_SECRET,
    SHOPIFY_APP_URL: url,
    SCOPES: "read_products,read_inventory,write_inventory,read_orders,read_locations",
    SYNCFLOW_MODE: "test",
    // Tests stand in for a proxy that sets X-Forwarded-For (each test file its own client address).
    SYNCFLOW_TRUST_PROXY: "1",
    // A private pg-boss schema per test process: one file's workers never run another file's jobs
    // (they would reach the wrong emulators). Test files run in separate forks.
    SYNCFLOW_QUEUE_SCHEMA: process.env.SYNCFLOW_QUEUE_SCHEMA ?? `pgboss_t${process.pid}`,
    ...env,
  });
  ensureBuild(process.cwd(), { quiet: true });
  const { createRequestHandler } = await import("@remix-run/node");
  const build = await import(pathToFileURL(path.join(process.cwd(), "build", "server", "index.js")).href);
  const handle = createRequestHandler(build, "production");
  const server = http.createServer(async (req, res) => {
    try {
      const response = await handle(toRequest(req, url), { clientAddress: clientAddressOf(req) });
      const headers: Record<string, string | string[]> = {};
      response.headers.forEach((v, k) => {
        headers[k] = k === "set-cookie" ? [...((headers[k] as string[]) ?? []), v] : v;
      });
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      console.error("[test-app]", err);
      res.writeHead(500).end("internal error");
    }
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * An emulated Shopify shop with the app installed on it (offline token exchanged, Shopify channel created), and no
 * WooCommerce store: for tests of the app's own Shopify side (tokens, secrets at rest). Close both handles after.
 */
export async function startInstalledShop(
  shop: string,
  name: string,
): Promise<{ shopify: ShopifyEmulator; app: AppHandle }> {
  const shopify = await startShopifyEmulator({
    apiKey: TEST_API_KEY,
    apiSecret: TEST_API_SECRET,
    restoreRate: 1000,
    webhookDelayMs: 5,
  });
  const app = await startApp({ SHOPIFY_ADMIN_ORIGIN: shopify.url });
  shopify.control.setAppUrl(app.url);
  shopify.control.createShop({ domain: shop, name });
  await installApp(app.url, shop, TEST_API_KEY, TEST_API_SECRET);
  await waitFor("installed", () => prisma.channel.findFirst({ where: { kind: "shopify", shop: { domain: shop } } }));
  return { shopify, app };
}
