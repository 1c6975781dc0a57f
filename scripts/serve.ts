/**
 * The app's production HTTP server (`npm start`, `npm run demo`, the benchmarks), compiled to
 * `build/node/serve.js` by scripts/lib/build.ts. Usage: `node build/node/serve.js [build/server/index.js]`;
 * env PORT (default 3000), HOST (default all interfaces), NODE_ENV.
 *
 * Everything except webhook deliveries is served exactly as `remix-serve` 2.17 serves it — the same express
 * stack from @remix-run/serve's own dependencies: compression, `build/client` assets (immutable, 1 year),
 * `public/` (1 hour), `morgan("tiny")` request log, then Remix's request handler — and the same globals
 * (`installGlobals({ nativeFetch: v3_singleFetch })`).
 *
 * Webhook deliveries (POST to a `webhooks.*` route of the build: Shopify topics and
 * `/webhooks/woocommerce/:channelId`) skip that stack: the body is read, a Fetch `Request` is built and the
 * route module's own `action` is called — the same code Remix would run, without the document/data
 * pipeline (route ranking on every request, compression of a 16-byte JSON answer, one log line per
 * delivery). At hundreds of deliveries per second that pipeline cost more CPU than the intake itself
 * (docs/decisions/070-webhook-intake-group-commit.md). A thrown `Response` (401/400/404/405) is sent as is;
 * another error → 500 and a log line. Deliveries are logged as one summary line a minute. Bodies over
 * 5 MB → 413.
 *
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish (≤ 5 s), exit.
 */
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { installGlobals, type ServerBuild } from "@remix-run/node";
import { redactUrl } from "../app/lib/redact";
import { BODY_LIMITS } from "../app/lib/body-limits";
import { clientAddressOf } from "../app/lib/client-address.server";
import { env } from "../app/env.server";

const MAX_WEBHOOK_BODY = BODY_LIMITS.webhook;
const root = process.cwd();
const buildPath = path.resolve(process.argv[2] ?? path.join("build", "server", "index.js"));

// Node's own fetch classes for the webhook path, taken before installGlobals may replace the globals.
const NativeRequest = globalThis.Request;
const NativeHeaders = globalThis.Headers;

const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild;
installGlobals({ nativeFetch: build.future.v3_singleFetch });

// express and its middleware as @remix-run/serve (a dependency) resolves them: the same versions remix-serve runs.
const serveRequire = createRequire(
  createRequire(path.join(root, "package.json")).resolve("@remix-run/serve/package.json"),
);
/* eslint-disable @typescript-eslint/no-explicit-any */
const express = serveRequire("express") as any;
const compression = serveRequire("compression") as any;
const morgan = serveRequire("morgan") as any;
const { createRequestHandler } = serveRequire("@remix-run/express") as {
  createRequestHandler: (o: {
    build: ServerBuild;
    mode?: string;
    getLoadContext?: (req: http.IncomingMessage) => unknown;
  }) => any;
};
/* eslint-enable @typescript-eslint/no-explicit-any */

type RouteAction = (args: {
  request: Request;
  params: Record<string, string>;
  context: Record<string, unknown>;
}) => unknown;

/** Webhook routes of the build (flat `webhooks.*` routes under root), as path patterns → their action. */
const webhookRoutes = Object.values(build.routes)
  .filter(
    (r) =>
      r &&
      r.parentId === "root" &&
      r.id.startsWith("routes/webhooks.") &&
      r.path &&
      typeof (r.module as { action?: unknown }).action === "function",
  )
  .map((r) => {
    const names: string[] = [];
    const pattern = r!
      .path!.split("/")
      .map((seg) => {
        if (seg.startsWith(":")) {
          names.push(seg.slice(1));
          return "([^/]+)";
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("/");
    return { re: new RegExp(`^/${pattern}/?$`), names, action: (r!.module as { action: RouteAction }).action };
  });

/** A request the server answers itself with a 4xx and a reason, before any route runs. */
class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The webhook route a request goes to, or null for everything else.
 * Throws BadRequest 400 `malformed_path` when a path parameter is not valid percent-encoding
 * (`decodeURIComponent` throws URIError on e.g. `%E0%A4%A`).
 */
function matchWebhook(
  method: string | undefined,
  url: string | undefined,
): { action: RouteAction; params: Record<string, string> } | null {
  if (method !== "POST" || !url?.startsWith("/webhooks/")) return null;
  const pathname = url.split("?", 1)[0]!;
  for (const r of webhookRoutes) {
    const m = r.re.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => {
      try {
        params[n] = decodeURIComponent(m[i + 1]!);
      } catch {
        throw new BadRequest(400, "malformed_path", `The path parameter "${n}" is not valid percent-encoding.`);
      }
    });
    return { action: r.action, params };
  }
  return null;
}

/** Plain JSON error answer of the server itself (`{ ok: false, error: { code, message } }`). */
function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify({ ok: false, error: { code, message } }));
}

const deliveries = new Map<number, number>();
setInterval(() => {
  if (!deliveries.size) return;
  console.log(
    `[serve] webhook deliveries in the last minute by status: ${JSON.stringify(Object.fromEntries(deliveries))}`,
  );
  deliveries.clear();
}, 60_000).unref();

async function sendResponse(res: http.ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    headers[k] = k === "set-cookie" ? [...((headers[k] as string[] | undefined) ?? []), v] : v;
  });
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(body);
  deliveries.set(response.status, (deliveries.get(response.status) ?? 0) + 1);
}

async function handleWebhook(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: { action: RouteAction; params: Record<string, string> },
): Promise<void> {
  const tooLarge = () => {
    res.writeHead(413, { Connection: "close", "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        ok: false,
        error: { code: "body_too_large", message: `Webhook bodies are capped at ${MAX_WEBHOOK_BODY} bytes.` },
      }),
    );
    res.once("finish", () => req.destroy());
  };
  // Refuse a declared oversize body before reading a byte of it; count the rest as it comes.
  if (Number(req.headers["content-length"] ?? 0) > MAX_WEBHOOK_BODY) return tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_WEBHOOK_BODY) return tooLarge();
    chunks.push(chunk);
  }
  let request: Request;
  try {
    const headers = new NativeHeaders();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    request = new NativeRequest(`http://${req.headers.host ?? "localhost"}${req.url}`, {
      method: "POST",
      headers,
      body: Buffer.concat(chunks),
    });
  } catch {
    // A Host header that makes no URL, or a header value the Fetch API refuses.
    throw new BadRequest(400, "malformed_request", "The request's Host or another header is malformed.");
  }
  let response: unknown;
  try {
    response = await route.action({ request, params: route.params, context: {} });
  } catch (thrown) {
    response = thrown;
    if (!isResponse(thrown)) {
      console.error(`[serve] ${redactUrl(req.url)} failed:`, thrown);
      response = new Response(JSON.stringify({ error: { code: "internal", message: "Unexpected error" } }), {
        status: 500,
        headers: { "Content-Type": "application/json" },
      });
    }
  }
  // An action returning data instead of a Response: JSON, as Remix answers a resource route.
  if (!isResponse(response))
    response = new Response(JSON.stringify(response ?? null), {
      status: 200,
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
  await sendResponse(res, response as Response);
}

/** A Fetch Response of either implementation (Node's, or the polyfill installGlobals may install). */
function isResponse(x: unknown): x is Response {
  return (
    !!x &&
    typeof (x as Response).status === "number" &&
    typeof (x as Response).arrayBuffer === "function" &&
    typeof (x as Response).headers?.forEach === "function"
  );
}

const app = express();
app.disable("x-powered-by");
app.use(compression());
app.use(build.publicPath, express.static(build.assetsBuildDirectory, { immutable: true, maxAge: "1y" }));
app.use(express.static("public", { maxAge: "1h" }));
// The request log never carries credentials: OAuth `code`, `id_token`, `hmac`, `session`, `state`, keys and
// signatures in query strings are replaced by [redacted] (app/lib/redact.ts).
morgan.token("url", (req: http.IncomingMessage & { originalUrl?: string }) => redactUrl(req.originalUrl ?? req.url));
app.use(morgan("tiny"));
// The demo entry (scripts/serve-demo.ts) adds its token-minting routes here; nothing sets this in this build.
const beforeRemix = (globalThis as { __syncflowBeforeRemix?: (app: unknown) => void }).__syncflowBeforeRemix;
if (beforeRemix) beforeRemix(app);
// Routes get the client address for their rate limits (rightmost untrusted hop, app/lib/client-address.server.ts).
app.all(
  "*",
  createRequestHandler({
    build,
    mode: env.NODE_ENV,
    getLoadContext: (req) => ({ clientAddress: clientAddressOf(req) }),
  }),
);

/**
 * The global guard: whatever one request throws (synchronously or not) ends as an answer to that request —
 * the BadRequest's 4xx, else a logged 500 — and never as an uncaught exception that stops the process (and,
 * under `npm start`, the worker in it).
 */
function guarded(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
  if (err instanceof BadRequest) return sendError(res, err.status, err.code, err.message);
  console.error(`[serve] ${req.method} ${redactUrl(req.url)} failed:`, err);
  sendError(res, 500, "internal", "Unexpected error; nothing was changed. Try again.");
}

const server = http.createServer((req, res) => {
  try {
    const route = matchWebhook(req.method, req.url);
    if (!route) return app(req, res);
    handleWebhook(req, res, route).catch((err) => guarded(req, res, err));
  } catch (err) {
    guarded(req, res, err);
  }
});
// Unparseable requests (bad header bytes, oversized headers): Node's own 400/431, never an exception.
server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
  if (socket.writable && !socket.writableEnded)
    socket.end(
      err.code === "HPE_HEADER_OVERFLOW"
        ? "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
        : "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    );
  else socket.destroy();
});
// Last net for code that escapes a request's promise chain (a stray timer or callback): log it and keep
// serving every other request — one bad request must not stop the process (docs/decisions/140).
process.on("uncaughtException", (err) => console.error("[serve] uncaught exception (the server keeps running):", err));
process.on("unhandledRejection", (err) =>
  console.error("[serve] unhandled rejection (the server keeps running):", err),
);

const port = env.PORT;
const onListen = () =>
  console.log(
    `[serve] http://${env.HOST ?? "localhost"}:${port} (${webhookRoutes.length} webhook routes on the direct path)`,
  );
if (env.HOST) server.listen(port, env.HOST, onListen);
else server.listen(port, onListen);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
