/**
 * Admin GraphQL client for one shop. Plain fetch through `shopifyFetch` (emulator rewrite in demo/test).
 * - Cost-based throttling (HTTP 200 + errors[].extensions.code THROTTLED): waits
 *   (requestedQueryCost − currentlyAvailable) / restoreRate seconds, then retries (bounded).
 *   https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
 * - HTTP 429 (Retry-After, seconds) and 5xx / network errors: exponential backoff, bounded.
 * - Per-attempt timeout via AbortSignal (ms).
 * Failures surface as ChannelError: AUTH (401/403), THROTTLED, SERVER, TIMEOUT, NETWORK, BAD_REQUEST, NOT_FOUND.
 * The last `throttleStatus` is kept for the UI (API points used).
 */
import { ChannelError } from "../channel.js";
import { SHOPIFY_API_VERSION } from "./api-version.js";
import { shopifyFetch } from "./transport.server.js";

/** Shopify's `extensions.cost.throttleStatus` (points, points/s). */
export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}
/** Shopify's `extensions.cost`. */
export interface QueryCost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

export interface ShopifyClientOptions {
  shop: string;
  accessToken: string;
  apiVersion?: string;
  /** Per-attempt timeout, ms (default 15000). */
  timeoutMs?: number;
  /** Max retries for THROTTLED / 429 / 5xx / network (default 5). */
  maxRetries?: number;
  /** Base backoff for 5xx/network, ms (default 500; doubles each attempt, capped at maxBackoffMs). */
  baseBackoffMs?: number;
  /** Longest single wait, ms (default 10000). */
  maxBackoffMs?: number;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface GraphqlResponse<T> {
  data: T;
  extensions?: { cost?: QueryCost };
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A GraphQL client bound to one shop's offline token. */
export class ShopifyGraphqlClient {
  /** Last throttle status Shopify reported (null before the first call). */
  lastThrottleStatus: ThrottleStatus | null = null;
  /** Last cost extension Shopify reported. */
  lastCost: QueryCost | null = null;
  readonly endpoint: string;
  private readonly o: Required<Omit<ShopifyClientOptions, "apiVersion" | "fetchImpl" | "sleep">> & {
    fetchImpl: typeof fetch;
    sleep: (ms: number) => Promise<void>;
  };

  constructor(opts: ShopifyClientOptions) {
    this.endpoint = `https://${opts.shop}/admin/api/${opts.apiVersion ?? SHOPIFY_API_VERSION}/graphql.json`;
    this.o = {
      shop: opts.shop,
      accessToken: opts.accessToken,
      timeoutMs: opts.timeoutMs ?? 15_000,
      maxRetries: opts.maxRetries ?? 5,
      baseBackoffMs: opts.baseBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 10_000,
      fetchImpl: opts.fetchImpl ?? shopifyFetch,
      sleep: opts.sleep ?? defaultSleep,
    };
  }

  /**
   * Send `query` with `variables`; resolves with `data` (and cost extension). Retries throttling and transient
   * failures up to maxRetries; throws ChannelError otherwise. GraphQL errors that are not THROTTLED → BAD_REQUEST.
   */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<GraphqlResponse<T>> {
    let attempt = 0;
    for (;;) {
      let res: Response;
      try {
        res = await this.o.fetchImpl(this.endpoint, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-Shopify-Access-Token": this.o.accessToken,
          },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
      } catch (e) {
        const timeout = (e as Error).name === "TimeoutError" || (e as Error).name === "AbortError";
        const err = new ChannelError(
          timeout ? "TIMEOUT" : "NETWORK",
          `Shopify ${this.o.shop}: ${(e as Error).message}`,
          { cause: e },
        );
        if (attempt >= this.o.maxRetries) throw err;
        await this.o.sleep(this.backoff(attempt++));
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        throw new ChannelError("AUTH", `Shopify ${this.o.shop} rejected the access token (${res.status})`, {
          status: res.status,
          retryable: false,
        });
      }
      if (res.status === 404)
        throw new ChannelError("NOT_FOUND", `Shopify ${this.o.shop}: ${this.endpoint} not found`, { status: 404 });
      if (res.status === 429) {
        const retryAfterMs = Math.ceil(Number(res.headers.get("retry-after") ?? "1") * 1000) || 1000;
        await res.arrayBuffer().catch(() => undefined);
        if (attempt >= this.o.maxRetries)
          throw new ChannelError("THROTTLED", `Shopify ${this.o.shop}: HTTP 429`, { status: 429, retryAfterMs });
        attempt++;
        await this.o.sleep(Math.min(retryAfterMs, this.o.maxBackoffMs));
        continue;
      }
      if (res.status >= 500) {
        await res.arrayBuffer().catch(() => undefined);
        if (attempt >= this.o.maxRetries)
          throw new ChannelError("SERVER", `Shopify ${this.o.shop}: HTTP ${res.status}`, { status: res.status });
        await this.o.sleep(this.backoff(attempt++));
        continue;
      }
      if (res.status >= 400) {
        const text = await res.text().catch(() => "");
        throw new ChannelError("BAD_REQUEST", `Shopify ${this.o.shop}: HTTP ${res.status} ${text.slice(0, 300)}`, {
          status: res.status,
        });
      }
      const body = (await res.json()) as {
        data?: T;
        errors?: { message: string; extensions?: { code?: string } }[] | string;
        extensions?: { cost?: QueryCost };
      };
      const cost = body.extensions?.cost;
      if (cost) {
        this.lastCost = cost;
        this.lastThrottleStatus = cost.throttleStatus;
      }
      const errors = Array.isArray(body.errors) ? body.errors : body.errors ? [{ message: String(body.errors) }] : [];
      if (errors.some((e) => e.extensions?.code === "THROTTLED")) {
        const waitMs = this.throttleWaitMs(cost);
        if (cost && cost.requestedQueryCost > cost.throttleStatus.maximumAvailable) {
          throw new ChannelError(
            "BAD_REQUEST",
            `Shopify ${this.o.shop}: query cost ${cost.requestedQueryCost} exceeds the bucket size ${cost.throttleStatus.maximumAvailable}`,
            { retryable: false },
          );
        }
        if (attempt >= this.o.maxRetries)
          throw new ChannelError("THROTTLED", `Shopify ${this.o.shop}: throttled`, { retryAfterMs: waitMs });
        attempt++;
        await this.o.sleep(waitMs);
        continue;
      }
      if (errors.length) {
        throw new ChannelError(
          "BAD_REQUEST",
          `Shopify ${this.o.shop} GraphQL error: ${errors.map((e) => `${e.message}${e.extensions?.code ? ` (${e.extensions.code})` : ""}`).join("; ")}`,
          { retryable: false },
        );
      }
      return { data: body.data as T, extensions: body.extensions };
    }
  }

  /** ms to wait until the bucket holds the requested cost: (requested − available) / restoreRate, +50 ms slack. */
  throttleWaitMs(cost: QueryCost | undefined): number {
    if (!cost?.throttleStatus) return 1000;
    const { currentlyAvailable, restoreRate } = cost.throttleStatus;
    const deficit = Math.max(0, cost.requestedQueryCost - currentlyAvailable);
    return Math.min(this.o.maxBackoffMs, Math.ceil((deficit / Math.max(restoreRate, 0.001)) * 1000) + 50);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** attempt);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }
}
