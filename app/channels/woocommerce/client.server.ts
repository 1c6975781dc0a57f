/**
 * HTTP client for one WooCommerce store, on top of `@woocommerce/woocommerce-rest-api` 1.0.2.
 *
 * What the library does (node_modules/@woocommerce/woocommerce-rest-api/index.mjs): URL =
 * `url + "/wp-json/" + version + "/" + endpoint`; over https it sends basic auth (or
 * consumer_key/consumer_secret in the query with `queryStringAuth`); over http it signs OAuth 1.0a
 * (HMAC-SHA256, parameters in the query string) — the only scheme WooCommerce accepts over plain HTTP
 * (class-wc-rest-authentication.php). The signature covers the exact host:port of `url`, so `url` must be
 * the store's own site URL.
 *
 * Every request goes through the SSRF guard (app/lib/outbound-guard.server.ts: internal addresses refused
 * after DNS resolution, no redirects, capped replies, a total deadline, https:443 outside tests/demo).
 *
 * This wrapper adds: a per-call timeout, bounded retries with exponential backoff + jitter on 429 / 5xx /
 * timeouts / connection resets — for idempotent calls only (GET/PUT/DELETE, or calls the caller marks
 * idempotent, e.g. plugin writes carrying a request_key) — maps every failure to `ChannelError`, and sends every
 * request through the store's adaptive concurrency limiter (./concurrency.ts, docs/decisions/105): callers may start
 * many requests at once; the store gets as many as it answers quickly.
 * Times in ms.
 */
import * as wooLib from "@woocommerce/woocommerce-rest-api";
import { ChannelError } from "../channel";
import { limiterFor, type StoreLimiter } from "./concurrency";
import { isOutboundBlocked, storeRequestConfig } from "../../lib/outbound-guard.server";

/** Options of a `WooClient`. */
export interface WooClientOptions {
  /** Store site URL, e.g. https://shop.example.com (http only for local/test stores: OAuth 1.0a is used). */
  url: string;
  consumerKey: string;
  consumerSecret: string;
  /** Default per-call timeout (default 20 000 ms). */
  timeoutMs?: number;
  /** Max retries after the first attempt for retryable failures of idempotent calls (default 3). */
  maxRetries?: number;
  /** Backoff base (default 250 ms): delay = random(0.5..1) × min(maxDelayMs, base × 2^attempt). */
  baseDelayMs?: number;
  /** Backoff cap, also caps Retry-After (default 5 000 ms). */
  maxDelayMs?: number;
}

/** Per-call options. */
export interface WooCallOptions {
  params?: Record<string, string | number>;
  data?: unknown;
  /** Override the timeout for this call (ms). */
  timeoutMs?: number;
  /** Force retry behaviour; default: GET/PUT/DELETE true, POST false. */
  idempotent?: boolean;
  /** REST namespace; default "wc/v3". */
  namespace?: string;
}

/** A successful response. */
export interface WooResponse<T> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

type Method = "get" | "post" | "put" | "delete";
interface LibInstance {
  get(endpoint: string, params?: object): Promise<any>;
  post(endpoint: string, data: unknown, params?: object): Promise<any>;
  put(endpoint: string, data: unknown, params?: object): Promise<any>;
  delete(endpoint: string, params?: object): Promise<any>;
}
// The package ships CJS (index.js, __esModule) and index.mjs; depending on the loader the class is the
// default export or the default export's `default`.
const LibCtor: new (opts: Record<string, unknown>) => LibInstance = (() => {
  const d = (wooLib as any).default;
  return (d && typeof d === "function" ? d : d?.default) as any;
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Maps an axios/library failure to ChannelError:
 * 401/403 → AUTH; 404 → NOT_FOUND; 409 → STALE (body.current); 429 → THROTTLED (Retry-After → retryAfterMs);
 * 5xx → SERVER; other 4xx → BAD_REQUEST; axios timeout → TIMEOUT; resets/refused/DNS → NETWORK.
 * The WordPress error body ({code, message, data}) is kept in `cause`.
 */
export function toChannelError(err: unknown, what: string): ChannelError {
  if (err instanceof ChannelError) return err;
  // The guard refused the URL or the address: never retried, and the caller shows a generic message.
  if (isOutboundBlocked(err))
    return new ChannelError("NETWORK", `${what}: refused by the outbound guard`, { cause: err, retryable: false });
  const e = err as any;
  if (/maxContentLength size of \d+ exceeded/.test(e?.message ?? ""))
    return new ChannelError("BAD_REQUEST", `${what}: reply larger than the cap`, { cause: err, retryable: false });
  const status: number | undefined = e?.response?.status;
  const body = e?.response?.data;
  const wpCode = body && typeof body === "object" ? body.code : undefined;
  const wpMsg = body && typeof body === "object" ? body.message : undefined;
  const msg = `${what}: ${status ? `HTTP ${status}` : (e?.code ?? "error")}${wpCode ? ` ${wpCode}` : ""}${wpMsg ? ` — ${wpMsg}` : e?.message && !status ? ` — ${e.message}` : ""}`;
  if (status) {
    // Redirects are never followed (SSRF guard): a 3xx is a store that does not answer at this URL.
    if (status >= 300 && status < 400)
      return new ChannelError("BAD_REQUEST", `${what}: HTTP ${status} redirect (not followed)`, {
        status,
        retryable: false,
      });
    if (status === 401 || status === 403) return new ChannelError("AUTH", msg, { status, cause: body });
    if (status === 404)
      return new ChannelError(wpCode === "rest_no_route" ? "UNSUPPORTED" : "NOT_FOUND", msg, {
        status,
        cause: body,
        retryable: false,
      });
    if (status === 409) {
      const current =
        typeof body?.current === "number"
          ? body.current
          : typeof body?.data?.current === "number"
            ? body.data.current
            : null;
      return new ChannelError("STALE", msg, { status, current, cause: body });
    }
    if (status === 429) {
      const ra = Number(e.response.headers?.["retry-after"]);
      return new ChannelError("THROTTLED", msg, {
        status,
        retryAfterMs: Number.isFinite(ra) ? ra * 1000 : undefined,
        cause: body,
      });
    }
    if (status >= 500) return new ChannelError("SERVER", msg, { status, cause: body });
    return new ChannelError("BAD_REQUEST", msg, { status, cause: body });
  }
  const code: string = e?.code ?? "";
  if (code === "ECONNABORTED" || code === "ETIMEDOUT" || /timeout/i.test(e?.message ?? ""))
    return new ChannelError("TIMEOUT", msg, { cause: err });
  return new ChannelError("NETWORK", msg, { cause: err });
}

/**
 * What kind of request this is, for the limiter's "answered quickly" test: method, route with ids folded, and the
 * size class of a list or batch (log2 of per_page / items), so a 100-item batch is compared with 100-item batches.
 */
function requestKind(method: string, namespace: string, endpoint: string, o: WooCallOptions): string {
  const route = endpoint.replace(/\d+/g, ":id");
  const data = o.data as { ops?: unknown[]; update?: unknown[]; create?: unknown[] } | undefined;
  const n =
    Number(o.params?.per_page ?? o.params?.limit ?? 0) ||
    (data?.ops?.length ?? 0) + (data?.update?.length ?? 0) + (data?.create?.length ?? 0);
  return `${method} ${namespace}/${route}#${n > 1 ? Math.ceil(Math.log2(n)) : 0}`;
}

/** A WooCommerce REST client with timeouts, retries and ChannelError mapping. */
export class WooClient {
  private libs = new Map<string, LibInstance>();
  readonly opts: Required<WooClientOptions>;
  /** The store's adaptive concurrency limiter (shared by every client of the store in this process). */
  readonly limiter: StoreLimiter;

  constructor(opts: WooClientOptions) {
    if (!LibCtor) throw new Error("@woocommerce/woocommerce-rest-api could not be loaded");
    this.opts = {
      timeoutMs: 20_000,
      maxRetries: 3,
      baseDelayMs: 250,
      maxDelayMs: 5_000,
      ...opts,
      url: opts.url.replace(/\/+$/, ""),
    };
    this.limiter = limiterFor(this.opts.url);
  }

  private lib(namespace: string, timeoutMs: number): LibInstance {
    const k = `${namespace}|${timeoutMs}`;
    let l = this.libs.get(k);
    if (!l) {
      l = new LibCtor({
        url: this.opts.url,
        consumerKey: this.opts.consumerKey,
        consumerSecret: this.opts.consumerSecret,
        version: namespace,
        timeout: timeoutMs,
        axiosConfig: { transitional: { clarifyTimeoutError: true }, ...storeRequestConfig(this.opts.url) },
      });
      this.libs.set(k, l);
    }
    return l;
  }

  /**
   * One logical call (with retries). `endpoint` is relative to the namespace, e.g. "products/12".
   * Resolves with status/data/headers (header names lower-case); rejects with ChannelError.
   */
  async request<T = any>(method: Method, endpoint: string, o: WooCallOptions = {}): Promise<WooResponse<T>> {
    const idempotent = o.idempotent ?? method !== "post";
    const what = `WooCommerce ${method.toUpperCase()} ${o.namespace ?? "wc/v3"}/${endpoint}`;
    const kind = requestKind(method, o.namespace ?? "wc/v3", endpoint, o);
    let lib: LibInstance;
    try {
      lib = this.lib(o.namespace ?? "wc/v3", o.timeoutMs ?? this.opts.timeoutMs);
    } catch (err) {
      throw toChannelError(err, what);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const p = o.params ?? {};
        const r = await this.limiter.run(
          kind,
          () =>
            method === "get"
              ? lib.get(endpoint, p)
              : method === "delete"
                ? lib.delete(endpoint, p)
                : lib[method](endpoint, o.data ?? {}, p),
          (err) =>
            !isOutboundBlocked(err) &&
            ["THROTTLED", "SERVER", "TIMEOUT", "NETWORK"].includes(toChannelError(err, what).code),
        );
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
        return { status: r.status, data: r.data as T, headers };
      } catch (err) {
        const ce = toChannelError(err, what);
        if (!idempotent || !ce.retryable || attempt >= this.opts.maxRetries) throw ce;
        const backoff =
          Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
        await sleep(
          ce.opts.retryAfterMs !== undefined ? Math.min(this.opts.maxDelayMs, ce.opts.retryAfterMs) : backoff,
        );
      }
    }
  }

  get<T = any>(endpoint: string, params?: Record<string, string | number>, o: WooCallOptions = {}) {
    return this.request<T>("get", endpoint, { ...o, params });
  }
  put<T = any>(endpoint: string, data: unknown, o: WooCallOptions = {}) {
    return this.request<T>("put", endpoint, { ...o, data });
  }
  post<T = any>(endpoint: string, data: unknown, o: WooCallOptions = {}) {
    return this.request<T>("post", endpoint, { ...o, data });
  }
  delete<T = any>(endpoint: string, params?: Record<string, string | number>, o: WooCallOptions = {}) {
    return this.request<T>("delete", endpoint, { ...o, params });
  }
}
