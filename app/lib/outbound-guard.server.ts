/**
 * Outbound HTTP to stores, guarded against server-side request forgery (issue 13; docs/decisions/141).
 *
 * Every call SyncFlow makes to a store URL someone typed (registration, then every push, read and
 * reconciliation of that store) goes through the agents made here. They are `request-filtering-agent`'s
 * http(s) agents (which check, with `ipaddr.js`, the address each socket is about to connect to: after DNS
 * resolution, so a name that resolves — or re-resolves, "DNS rebinding" — to an internal address is refused
 * at connect time, and an IP literal is refused before any socket exists). Refused: loopback, RFC 1918
 * private, link-local (169.254.0.0/16, including cloud metadata 169.254.169.254), CGNAT 100.64.0.0/10,
 * multicast, broadcast, unspecified, reserved, IPv6 unique-local/link-local, and IPv4-mapped/6to4/Teredo
 * forms of any of them — everything `ipaddr.js` does not classify as `unicast`.
 *
 * On top of the address check (`storeRequestConfig`): no redirects (a 3xx is an answer, never followed), no
 * proxy from the environment, replies capped at `maxResponseBytes`, and a total deadline per request
 * (`maxRequestMs`, the socket-idle timeout of the client stays as it is).
 *
 * The URL itself (`checkStoreUrl`): http(s) only, no user:password part, and — unless loopback stores are
 * allowed — https on the default port 443 only (the webhook secret and REST keys never travel in clear).
 *
 * Loopback (and only loopback: 127.0.0.0/8, ::1) is allowed, with http and any port, when
 * `SYNCFLOW_ALLOW_LOOPBACK_STORES=1`: the tests, the demo, the benchmarks and the browser harness talk to
 * emulated stores on this machine. The production entry points (`npm start`, `npm run worker`) refuse to
 * start with it (app/lib/production-checks.server.ts). Read on every call, so a test can switch it.
 *
 * Env: SYNCFLOW_ALLOW_LOOPBACK_STORES (`1` = allow), SYNCFLOW_STORE_RESPONSE_MAX_BYTES (default 16 MiB),
 * SYNCFLOW_STORE_REQUEST_MAX_MS (default 120 000 ms).
 */
import type { LookupFunction } from "node:net";
import type http from "node:http";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from "request-filtering-agent";
import { env } from "../env.server";

/** A URL or address the guard refuses. `reason` is for logs; callers show a generic message. */
export class OutboundBlockedError extends Error {
  readonly code = "OUTBOUND_BLOCKED";
  constructor(readonly reason: string) {
    super(`outbound request refused: ${reason}`);
    this.name = "OutboundBlockedError";
  }
}

/** What the guard allows. */
export interface OutboundPolicy {
  /** Allow 127.0.0.0/8 and ::1, over http and on any port (tests, demo, benchmarks only). */
  allowLoopback: boolean;
  /** Largest reply body read from a store, in bytes. */
  maxResponseBytes: number;
  /** Total time one request may take, in ms (connect + send + the whole reply). */
  maxRequestMs: number;
  /** Resolver the sockets use instead of `dns.lookup` (tests: point names at chosen addresses). */
  lookup?: LookupFunction;
}

/** Default cap on a store's reply: 16 MiB (a page of 100 products is ≈ 0.3–1 MB; a stock snapshot of 10,000 SKUs < 1 MB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Default total deadline of one store request: 120 s (a 100-item WooCommerce batch takes ≈ 9 s; shared hosts are slower). */
export const DEFAULT_MAX_REQUEST_MS = 120_000;

/**
 * Tests only: make every guarded socket resolve names with `lookup` (undefined restores `dns.lookup`).
 * Redirect and DNS cases cannot be built with real DNS on a machine where every test server is on loopback.
 * Kept on `globalThis` so the copy of this module bundled into the app build sees what a test sets.
 */
export function setOutboundLookupForTests(lookup: LookupFunction | undefined): void {
  (globalThis as { __syncflowOutboundLookup?: LookupFunction }).__syncflowOutboundLookup = lookup;
}

/** The policy from the environment (read on every call). */
export function outboundPolicy(): OutboundPolicy {
  return {
    allowLoopback: env.SYNCFLOW_ALLOW_LOOPBACK_STORES,
    maxResponseBytes: env.SYNCFLOW_STORE_RESPONSE_MAX_BYTES ?? DEFAULT_MAX_RESPONSE_BYTES,
    maxRequestMs: env.SYNCFLOW_STORE_REQUEST_MAX_MS ?? DEFAULT_MAX_REQUEST_MS,
    lookup: (globalThis as { __syncflowOutboundLookup?: LookupFunction }).__syncflowOutboundLookup,
  };
}

/**
 * Checks a store URL before anything is sent: scheme http(s), no credentials in it, and unless loopback is
 * allowed, https on port 443. The address check happens at connect time (the agents).
 * @returns the parsed URL. Throws OutboundBlockedError.
 */
export function checkStoreUrl(raw: string, policy: OutboundPolicy = outboundPolicy()): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundBlockedError("not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new OutboundBlockedError(`scheme ${url.protocol}`);
  if (url.username || url.password) throw new OutboundBlockedError("credentials in the URL");
  if (!policy.allowLoopback) {
    if (url.protocol !== "https:") throw new OutboundBlockedError("http (https required)");
    if (url.port && url.port !== "443") throw new OutboundBlockedError(`port ${url.port} (only 443)`);
  }
  return url;
}

/** Loopback only: what `SYNCFLOW_ALLOW_LOOPBACK_STORES=1` opens (never private ranges or metadata). */
const LOOPBACK = ["127.0.0.0/8", "::1"];

/**
 * Adds the total deadline to each request the agent carries: the request (and its socket) is destroyed
 * `maxRequestMs` after it was handed to the agent unless it closed before.
 */
function withDeadline<A extends http.Agent>(agent: A, maxRequestMs: number): A {
  const add = (agent as unknown as { addRequest: (req: http.ClientRequest, opts: unknown) => void }).addRequest.bind(
    agent,
  );
  (agent as unknown as { addRequest: (req: http.ClientRequest, opts: unknown) => void }).addRequest = (req, opts) => {
    const timer = setTimeout(
      () =>
        req.destroy(
          Object.assign(new Error(`store request took longer than ${maxRequestMs} ms`), { code: "ETIMEDOUT" }),
        ),
      maxRequestMs,
    );
    timer.unref();
    req.once("close", () => clearTimeout(timer));
    add(req, opts);
  };
  return agent;
}

const agents = new Map<string, { httpAgent: http.Agent; httpsAgent: http.Agent }>();

/** The guarded agents for a policy (one pair per distinct policy, kept alive for connection reuse). */
export function guardedAgents(policy: OutboundPolicy = outboundPolicy()): {
  httpAgent: http.Agent;
  httpsAgent: http.Agent;
} {
  const key = `${policy.allowLoopback}|${policy.maxRequestMs}|${policy.lookup ? "injected" : "dns"}`;
  let pair = agents.get(key);
  if (pair && !policy.lookup) return pair;
  const opts = {
    keepAlive: true,
    allowPrivateIPAddress: false,
    allowMetaIPAddress: false,
    allowIPAddressList: policy.allowLoopback ? LOOPBACK : [],
    ...(policy.lookup ? { lookup: policy.lookup } : {}),
  };
  pair = {
    httpAgent: withDeadline(new RequestFilteringHttpAgent(opts), policy.maxRequestMs),
    httpsAgent: withDeadline(new RequestFilteringHttpsAgent(opts), policy.maxRequestMs),
  };
  if (!policy.lookup) agents.set(key, pair);
  return pair;
}

/**
 * The axios settings every store request uses (`@woocommerce/woocommerce-rest-api` spreads `axiosConfig` over
 * its own options): guarded agents, no redirects, no proxy, capped reply and request bodies.
 * Checks the URL first (throws OutboundBlockedError).
 */
export function storeRequestConfig(
  storeUrl: string,
  policy: OutboundPolicy = outboundPolicy(),
): Record<string, unknown> {
  checkStoreUrl(storeUrl, policy);
  return {
    ...guardedAgents(policy),
    maxRedirects: 0,
    proxy: false,
    maxContentLength: policy.maxResponseBytes,
    maxBodyLength: policy.maxResponseBytes,
  };
}

/** True when `err` (or its cause chain) is a refusal of the guard: by URL, or by address at connect time. */
export function isOutboundBlocked(err: unknown): boolean {
  for (
    let e = err as { message?: string; cause?: unknown } | undefined, i = 0;
    e && i < 5;
    e = e.cause as typeof e, i++
  ) {
    if (e instanceof OutboundBlockedError) return true;
    if (typeof e.message === "string" && /is not allowed\. Because/.test(e.message)) return true; // request-filtering-agent
  }
  return false;
}
