/**
 * The address a request came from, for rate limits (issue 13: registration limits keyed on a shared bucket,
 * or on the first X-Forwarded-For hop, which the client writes itself).
 *
 * With `SYNCFLOW_TRUSTED_PROXIES=N` (default 0; the older `SYNCFLOW_TRUST_PROXY=1` means 1) the N nearest hops —
 * the socket peer and the N − 1 rightmost X-Forwarded-For entries — are the deployment's own proxies, and the
 * client is the next hop to the left: the rightmost address no trusted proxy vouches for. Entries further
 * left were written by the client and are ignored. Computed by `proxy-addr` (Express's own implementation of
 * `trust proxy` with a hop count).
 */
import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";
import { env } from "../env.server";

/** Number of trusted proxy hops in front of the server (see the module doc). */
export function trustedProxyHops(): number {
  const n = env.SYNCFLOW_TRUSTED_PROXIES ?? (env.SYNCFLOW_TRUST_PROXY ? 1 : 0);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 10) : 0;
}

/**
 * The client address of a Node request (string as written in the socket or header; "unknown" when the socket
 * is gone). Never throws.
 */
export function clientAddressOf(req: IncomingMessage, hops = trustedProxyHops()): string {
  try {
    return proxyaddr(req, (_addr, i) => i < hops) || "unknown";
  } catch {
    return req.socket?.remoteAddress ?? "unknown";
  }
}

/** The Remix load context both servers hand to routes: `{ clientAddress }`. */
export interface SyncflowLoadContext {
  clientAddress?: string;
}

/** The client address from a route's `context` ("unknown" under a server that does not provide it, e.g. `vite dev`). */
export function clientAddressFromContext(context: unknown): string {
  const a = (context as SyncflowLoadContext | undefined)?.clientAddress;
  return typeof a === "string" && a ? a : "unknown";
}
