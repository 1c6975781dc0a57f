/**
 * Etsy (Open API v3) as a sales channel of the port (app/channels/sales-channel.ts; docs/decisions/270–274).
 *
 * - **Calls** are plain HTTPS with Etsy's two headers: `x-api-key: <keystring>:<shared secret>` and the seller's
 *   bearer token (./oauth.ts refreshes it; Etsy's access tokens last one hour). Request and answer shapes are the
 *   types `etsy-ts` 8.0.1 generates from Etsy's published OpenAPI document (`IListingInventory`, `IShopReceipt`, …;
 *   type imports only). Every call first takes a slot of the application's per-second pace in this process
 *   (`qps`, default 8 of Etsy's 10, so a second process has room) and is refused THROTTLED without being sent when the
 *   day's budget (the last `x-remaining-today`) is down to its reserve or the slot would come later than the call's
 *   wait budget. A 429 is THROTTLED with `retry-after`.
 * - **Listings**: one ChannelListing per product of an Etsy listing (a listing with variations holds several
 *   products), linked by the product's SKU: `externalId` = `<listing_id>:<sku>`, `productId` = the listing id,
 *   `variantId` = the externalId. Product ids are not used as keys (Etsy issues new ones on every inventory update).
 * - **Writes** are set-only. `updateListingInventory` replaces a listing's WHOLE inventory, so the operations of one
 *   call are grouped per listing: one getListingInventory, the same inventory written back (read-only fields dropped,
 *   prices as floats, processing profiles kept) with only the operations' products' quantities changed, one PUT per
 *   listing — a variation's write never resets its siblings. Quantities above Etsy's 999 per offering are written
 *   as 999. A PUT Etsy refuses answers BAD_REQUEST with Etsy's message for that listing's operations only (the
 *   engine dead-letters the drain with it); other listings of the call are written.
 * - **Receipts** are polled (`pollEvents`) by `min_last_modified` (epoch seconds), oldest update first, 100 a page
 *   (offset paging); each poll re-reads from its start minus `POLL_OVERLAP_MS` (a receipt indexed late is found by
 *   the overlap and deduplicated by the poll job). A receipt holds its units from purchase (Etsy decrements at
 *   purchase); "Canceled" gives them back once.
 */
import type { IListingInventory, IShopReceipt } from "etsy-ts";
import { ChannelError, type ChannelListing, type QuantityWriteResult } from "../channel";
import { DeliveryParseError, type RawDelivery, type SalesEvent, type SalesOrder } from "../events";
import {
  windowsOfSliding,
  type CredentialStore,
  type ListingQuantity,
  type QuantityOp,
  type QuantityOpResult,
  type RequestPacer,
  type SalesChannel,
  type SalesChannelCapabilities,
  type SubscriptionState,
} from "../sales-channel";
import { ETSY_DEFAULT_QPD, ETSY_DEFAULT_QPS } from "./budget";
import { refreshEtsyTokens } from "./oauth";
import { readThenSetQuantity, rememberReplay, replayOf } from "../read-then-set";

/**
 * One product's write within a listing's whole-inventory PUT: its quantity computed from the quantity just read (a
 * `set` ignores the read; a read-then-set step may refuse STALE), and the emulated step's key (replay memory).
 */
interface ListingWrite {
  i: number;
  sku: string;
  quantity: (read: number) => number | ChannelError;
  key?: string;
}

/** The stored `Channel.kind`. */
export const ETSY_KIND = "etsy" as const;

/** The channel's credentials as stored (encrypted) on its `Channel` row. */
export interface EtsyCredentials {
  /** The seller's refresh token (`<user_id>.<…>`, 90 days; replaced by every refresh — Etsy rotates it). */
  refreshToken: string;
  /**
   * The access token of the last refresh and when it expires (epoch ms): stored with the refresh token so every
   * process uses it instead of refreshing (and rotating) again. Absent on channels connected before decision 305.
   */
  accessToken?: string;
  accessTokenExpiresAt?: number;
  userId: number;
  shopId: number;
  shopName: string;
  currency: string;
  /** API base and token URL chosen at connection (production, or an emulator in tests). */
  apiBase: string;
  tokenUrl: string;
}

/** The SyncFlow application's Etsy keys and pacing (env, app/env.server.ts). */
export interface EtsyAppConfig {
  keystring: string;
  sharedSecret: string;
  /**
   * Requests in any one second the application sends at most (default 8 of Etsy's 10): across every process with the
   * engine's shared pacer, else per process.
   */
  qps?: number;
  /** The application's requests a day (Etsy's default 10,000; ETSY_QPD): with the shared pacer, every process counts. */
  qpd?: number;
  /** Requests of the day kept for writes: reads are refused when fewer remain (default 2 % of the day's limit). */
  dailyReserve?: number;
  /** Receipts per getShopReceipts page (1–100; default 100). */
  receiptsPageSize?: number;
  timeoutMs?: number;
}

/** Highest quantity one offering takes (Etsy's listing form and inventory endpoint: 0–999). */
export const ETSY_MAX_QUANTITY = 999;
/** How far back each poll re-reads (ms): receipts whose index lags are found by the overlap. */
export const POLL_OVERLAP_MS = 2 * 60_000;
/** Pages of receipts one poll reads at most (the rest resumes next poll). */
const MAX_PAGES_PER_POLL = 10;

/** What every Etsy channel can do (the poll interval is refined by the request budget, ./budget.ts). */
export const ETSY_DECLARED_CAPABILITIES: SalesChannelCapabilities = {
  writeModel: "set-only",
  // One PUT per listing; a call groups its operations per listing, so any number of SKUs of one listing is one write.
  writeBatchSize: 100,
  listPageSize: 100,
  events: "polling",
  pollIntervalMs: 60_000,
  orderLookBackMs: null,
  rateLimit: { concurrency: 2, requestsPerSecond: ETSY_DEFAULT_QPS },
  snapshot: false,
  stockEvents: false,
  features: ["listing-inventory"],
  reconcileConcurrency: { read: 1, write: 2 },
  listingDetails: false,
  // Allocation steps from the GET every whole-inventory write makes anyway, then the PUT (decision 300).
  readThenSet: true,
};

/** The application's call pacing in this process: a sliding one-second window and the day's last known remainder. */
interface AppPace {
  /** The earliest time (epoch ms) the next request may leave. */
  next: number;
  limitPerDay: number;
  remainingToday: number | null;
  at: number;
}
const paces = new Map<string, AppPace>();
const paceOf = (keystring: string): AppPace => {
  let p = paces.get(keystring);
  if (!p) paces.set(keystring, (p = { next: 0, limitPerDay: ETSY_DEFAULT_QPD, remainingToday: null, at: 0 }));
  return p;
};

/** The application's last known day budget (from Etsy's headers), for the Channels page; null before any call. */
export function etsyRequestUsage(
  keystring: string,
): { limitPerDay: number; remainingToday: number; at: number } | null {
  const p = paces.get(keystring);
  return p && p.remainingToday != null
    ? { limitPerDay: p.limitPerDay, remainingToday: p.remainingToday, at: p.at }
    : null;
}

/** Etsy's status word as the engine's (lower case, kebab; "canceled" → "cancelled", which stamps `cancelledAt`). */
function statusWord(s: string | undefined): string {
  const w = (s ?? "open").toLowerCase().replace(/\s+/g, "-");
  return w === "canceled" ? "cancelled" : w;
}

const moneyString = (m: { amount?: number; divisor?: number } | undefined) =>
  m && m.divisor ? (Number(m.amount ?? 0) / m.divisor).toFixed(2) : "0.00";

/** The externalId of a product: `<listing_id>:<sku>`. */
export const etsyListingKey = (listingId: number | string, sku: string) => `${listingId}:${sku}`;

/** A receipt as the port's SalesOrder: every line holds its units until "Canceled" (0). */
export function receiptToSalesOrder(r: IShopReceipt, fallbackCurrency: string): SalesOrder {
  const status = statusWord(r.status);
  const cancelled = status === "cancelled";
  const created = r.created_timestamp ?? r.create_timestamp;
  const updated = r.updated_timestamp ?? r.update_timestamp ?? created;
  const [first, ...rest] = (r.name ?? "").split(" ");
  return {
    orderId: String(r.receipt_id),
    number: String(r.receipt_id),
    status,
    currency: r.grandtotal?.currency_code ?? fallbackCurrency,
    total: moneyString(r.grandtotal),
    createdAt: created ? new Date(created * 1000).toISOString() : null,
    modifiedAt: updated ? new Date(updated * 1000).toISOString() : null,
    customer: { firstName: first || null, lastName: rest.join(" ") || null, email: r.buyer_email ?? null },
    statusEffect: cancelled ? "release" : "take",
    paid: !!r.is_paid,
    lines: (r.transactions ?? []).map((t) => ({
      lineId: String(t.transaction_id),
      productId: String(t.listing_id ?? ""),
      variantId: t.sku ? etsyListingKey(t.listing_id ?? "", t.sku) : null,
      sku: t.sku || null,
      quantity: t.quantity ?? 0,
      price: moneyString(t.price),
      title: t.title ?? t.sku ?? String(t.listing_id),
      stockTaken: cancelled ? 0 : (t.quantity ?? 0),
    })),
  };
}

/** Etsy channels are polled; a raw delivery carries nothing (polled events come stored, app/sync/intake/poll.server.ts). */
export function parseEtsyDelivery(delivery: RawDelivery): SalesEvent[] {
  if (delivery.topic === "etsy/receipt") throw new DeliveryParseError("Etsy receipts arrive by polling only");
  return [];
}

/** The inventory as updateListingInventory takes it back (IUpdateListingInventoryPayload), with new quantities. */
export function inventoryForPut(inv: IListingInventory, quantities: Map<string, number>) {
  const products = (inv.products ?? []).filter((p) => !p.is_deleted);
  const out = {
    products: products.map((p) => {
      const offering = (p.offerings ?? []).find((o) => !o.is_deleted) ?? p.offerings?.[0];
      const q = p.sku != null && quantities.has(p.sku) ? quantities.get(p.sku)! : (offering?.quantity ?? 0);
      return {
        sku: p.sku ?? "",
        property_values: (p.property_values ?? []).map((v) => ({
          property_id: v.property_id!,
          value_ids: v.value_ids ?? [],
          ...(v.scale_id != null ? { scale_id: v.scale_id } : {}),
          ...(v.property_name ? { property_name: v.property_name } : {}),
          values: v.values ?? [],
        })),
        offerings: [
          {
            price: offering?.price?.divisor ? Number(offering.price.amount) / offering.price.divisor : 0,
            quantity: q,
            is_enabled: offering?.is_enabled ?? true,
            readiness_state_id:
              (offering as { readiness_state_id?: number | null } | undefined)?.readiness_state_id ?? null,
          },
        ],
      };
    }),
    price_on_property: inv.price_on_property ?? [],
    quantity_on_property: inv.quantity_on_property ?? [],
    sku_on_property: inv.sku_on_property ?? [],
    ...(inv.readiness_state_on_property?.length
      ? { readiness_state_on_property: inv.readiness_state_on_property }
      : {}),
  };
  // Products whose quantities now differ need the property they vary by (Etsy refuses them otherwise): the
  // listing's variation properties become `quantity_on_property`, as a seller ticking "quantities vary" would.
  if (!out.quantity_on_property.length && new Set(out.products.map((p) => p.offerings[0]!.quantity)).size > 1)
    out.quantity_on_property = [...new Set(out.products.flatMap((p) => p.property_values.map((v) => v.property_id)))];
  return out;
}

interface PollCursor {
  /** Receipts modified at or after this (epoch seconds). */
  since: number;
  /** Resume a listing cut short at this offset (with its original `since`). */
  offset?: number;
  /** The start (epoch ms) of the poll that began the listing being resumed. */
  started?: number;
}

/** Etsy Open API v3 adapter for one seller's shop. */
export class EtsyChannel implements SalesChannel {
  readonly kind = ETSY_KIND;
  readonly topics: readonly string[] = [];
  private readonly qps: number;
  /** A refresh in flight (calls of this adapter share it). */
  private refreshing: Promise<string> | null = null;

  /**
   * `ports` (the engine's, for a stored channel): `credentialStore` keeps a rotated refresh token under a lock shared
   * by every process (docs/decisions/305); `pacer` paces the application's requests (per second and per day) across
   * every process (decision 306). Without them (connection checks, tests of the adapter alone) the rotated token lives
   * in this adapter only and this process paces alone.
   */
  constructor(
    private creds: EtsyCredentials,
    private readonly app: EtsyAppConfig,
    private readonly ports: { credentialStore?: CredentialStore; pacer?: RequestPacer } = {},
  ) {
    if (!creds?.refreshToken || !creds.shopId || !creds.apiBase || !creds.tokenUrl)
      throw new ChannelError("BAD_REQUEST", "Etsy credentials incomplete (refresh token, shop)", { retryable: false });
    this.qps = Math.max(1, app.qps ?? ETSY_DEFAULT_QPS - 2);
    this.pageSize = Math.min(100, Math.max(1, app.receiptsPageSize ?? 100));
  }
  private readonly pageSize: number;

  /**
   * Waits for the app's next request slot in this process (at most `maxWaitMs`), else THROTTLED (nothing sent): calls
   * are spaced 1000 / qps ms apart, so any one-second window Etsy counts holds about `qps` of them even when their
   * arrival jitters. Reads are refused when the day's remainder is down to the reserve (kept for stock writes).
   */
  private async slot(maxWaitMs: number, write: boolean): Promise<void> {
    const pace = paceOf(this.app.keystring);
    const reserve = this.app.dailyReserve ?? Math.ceil(pace.limitPerDay * 0.02);
    if (!write && pace.remainingToday != null && pace.remainingToday <= reserve && Date.now() - pace.at < 3_600_000)
      throw new ChannelError(
        "THROTTLED",
        `Etsy's daily request budget is nearly spent (${pace.remainingToday} of ${pace.limitPerDay} left; kept for stock writes)`,
        { retryAfterMs: 15 * 60_000 },
      );
    const pacer = this.ports.pacer;
    if (pacer) {
      // Every process of the hub counts the application's day and second together (decision 306). Reads stop where
      // the day's reserve starts (kept for stock writes).
      const ks = this.app.keystring;
      const qpd = this.app.qpd ?? pace.limitPerDay;
      // The reserve is a share of the same day budget the pacer counts (qpd), not of the limit Etsy last reported: an
      // app whose reported limit is far above ETSY_QPD (the bench's cost-free set-up reports 100,000,000) had a reserve
      // larger than its budget, and every read was refused after the first.
      const readsOfDay = qpd - (this.app.dailyReserve ?? Math.ceil(qpd * 0.02));
      const day = (points: number) => ({ points: Math.max(1, points), durationMs: 86_400_000 });
      if (!write && (await pacer.take(`etsy:${ks}:day-reads`, day(readsOfDay), 0)))
        throw new ChannelError(
          "THROTTLED",
          `Etsy: SyncFlow's reads of the day are spent (${readsOfDay} of ${qpd}; the rest is kept for stock writes)`,
          {
            retryAfterMs: 15 * 60_000,
          },
        );
      if (await pacer.take(`etsy:${ks}:day`, day(qpd), 0))
        throw new ChannelError("THROTTLED", `Etsy: SyncFlow's ${qpd} requests of the day are spent`, {
          retryAfterMs: 15 * 60_000,
        });
      const wait = await pacer.take(`etsy:${ks}:second`, windowsOfSliding(this.qps, 1000), maxWaitMs);
      if (wait)
        throw new ChannelError("THROTTLED", `Etsy: ${this.qps} requests a second already queued by SyncFlow`, {
          retryAfterMs: wait,
        });
      return;
    }
    const spacing = Math.ceil(1000 / this.qps);
    const now = Date.now();
    const at = Math.max(now, pace.next);
    if (at - now > maxWaitMs)
      throw new ChannelError("THROTTLED", `Etsy: ${this.qps} requests a second already queued by SyncFlow`, {
        retryAfterMs: at - now,
      });
    pace.next = at + spacing;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }

  /**
   * One API call. @returns the parsed JSON body. Throws ChannelError: AUTH (401 twice / key refused / refresh token
   * refused), THROTTLED (429 or our own pacing), NOT_FOUND, BAD_REQUEST (Etsy's `error` message), SERVER, NETWORK.
   */
  private async call<T>(
    method: "GET" | "PUT",
    path: string,
    opts: {
      query?: Record<string, string | number>;
      body?: unknown;
      maxWaitMs?: number;
      /**
       * Access tokens Etsy answered 401 to: the next one is the stored one (another process may have refreshed), and
       * when Etsy refuses that too, a refresh.
       */
      refused?: string[];
    } = {},
  ): Promise<T> {
    const url = new URL(path, this.creds.apiBase);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
    const token = await this.accessToken(opts.refused ?? []);
    await this.slot(opts.maxWaitMs ?? 5_000, method === "PUT");
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          "x-api-key": `${this.app.keystring}:${this.app.sharedSecret}`,
          authorization: `Bearer ${token}`,
          ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        signal: AbortSignal.timeout(this.app.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const e = err as Error;
      throw new ChannelError(
        e.name === "TimeoutError" ? "TIMEOUT" : "NETWORK",
        `Etsy ${method} ${url.pathname}: ${e.message}`,
        {
          cause: err,
        },
      );
    }
    const pace = paceOf(this.app.keystring);
    const remaining = Number(res.headers.get("x-remaining-today"));
    const limit = Number(res.headers.get("x-limit-per-day"));
    if (res.headers.has("x-remaining-today") && Number.isFinite(remaining)) {
      pace.remainingToday = remaining;
      pace.at = Date.now();
    }
    if (limit > 0) pace.limitPerDay = limit;
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    if (res.ok) return body as T;
    const msg = `Etsy ${method} ${url.pathname}: ${String((body as { error?: string } | null)?.error ?? text.slice(0, 300))}`;
    if (res.status === 401 && (opts.refused ?? []).length < 2)
      return this.call<T>(method, path, { ...opts, refused: [...(opts.refused ?? []), token] });
    if (res.status === 429) {
      const after = Number(res.headers.get("retry-after"));
      throw new ChannelError("THROTTLED", msg, { status: 429, retryAfterMs: after > 0 ? after * 1000 : 1000 });
    }
    if (res.status === 401 || res.status === 403)
      throw new ChannelError("AUTH", msg, { status: res.status, retryable: false });
    if (res.status === 404) throw new ChannelError("NOT_FOUND", msg, { status: 404, retryable: false });
    if (res.status >= 500) throw new ChannelError("SERVER", msg, { status: res.status });
    throw new ChannelError("BAD_REQUEST", msg, { status: res.status, retryable: false });
  }

  /**
   * A valid access token (Etsy's last one hour). The stored one while it has more than a minute left and Etsy did not
   * refuse it (`refused`); else one refresh through the credential store: under the channel's lock the LATEST stored credentials
   * are read — another process may have refreshed already (its access token is used, nothing is sent) — otherwise
   * Etsy is asked with the latest refresh token and the answer (a new access token AND the new refresh token that
   * replaces the old one) is stored before the lock is released. Throws ChannelError AUTH `revoked` when Etsy refuses
   * the refresh token.
   */
  private async accessToken(refused: string[]): Promise<string> {
    const usable = (c: EtsyCredentials) =>
      !!c.accessToken && !refused.includes(c.accessToken) && (c.accessTokenExpiresAt ?? 0) - 60_000 > Date.now();
    if (usable(this.creds)) return this.creds.accessToken!;
    this.refreshing ??= (async () => {
      const refresh = async (latest: EtsyCredentials): Promise<EtsyCredentials> => {
        if (usable(latest)) return latest;
        const t = await refreshEtsyTokens(latest.tokenUrl, this.app.keystring, latest.refreshToken);
        return {
          ...latest,
          refreshToken: t.refreshToken,
          accessToken: t.accessToken,
          accessTokenExpiresAt: Date.now() + t.expiresInMs,
        };
      };
      this.creds = this.ports.credentialStore
        ? await this.ports.credentialStore.rotate<EtsyCredentials>(refresh)
        : await refresh(this.creds);
      // The store answers what it holds when the channel was reconnected meanwhile: the next call refreshes that one.
      if (!usable(this.creds))
        throw new ChannelError("AUTH", "Etsy: the channel's authorisation changed while refreshing; try again", {
          retryable: true,
          retryAfterMs: 1000,
        });
      return this.creds.accessToken!;
    })().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  async verifyConnection(): Promise<{ name: string; currency?: string | null }> {
    const shop = await this.call<{ shop_name?: string; currency_code?: string }>(
      "GET",
      `/v3/application/shops/${this.creds.shopId}`,
    );
    return {
      name: `Etsy · ${shop.shop_name ?? this.creds.shopName}`,
      currency: shop.currency_code ?? this.creds.currency,
    };
  }

  async discoverCapabilities(): Promise<SalesChannelCapabilities> {
    return ETSY_DECLARED_CAPABILITIES;
  }

  concurrency(): number {
    return ETSY_DECLARED_CAPABILITIES.rateLimit.concurrency;
  }

  /** The products of one listing as port listings (see the module comment). */
  static toListings(l: {
    listing_id?: number;
    title?: string;
    state?: string;
    updated_timestamp?: number;
    inventory?: IListingInventory;
  }): ChannelListing[] {
    const products = (l.inventory?.products ?? []).filter((p) => !p.is_deleted);
    return products.map((p) => {
      const offering = (p.offerings ?? []).find((o) => !o.is_deleted);
      const sku = p.sku || null;
      const key = sku ? etsyListingKey(l.listing_id!, sku) : `${l.listing_id}:#${p.product_id}`;
      const label = (p.property_values ?? []).flatMap((v) => v.values ?? []).join(" / ");
      return {
        externalId: key,
        productId: String(l.listing_id),
        variantId: key,
        sku,
        title: label ? `${l.title ?? ""} — ${label}` : (l.title ?? sku ?? key),
        productType: products.length > 1 ? "variation" : "simple",
        manageStock: true,
        quantity: offering?.quantity ?? 0,
        price: offering?.price?.divisor ? (Number(offering.price.amount) / offering.price.divisor).toFixed(2) : null,
        modifiedAt: l.updated_timestamp ? new Date(l.updated_timestamp * 1000).toISOString() : null,
      };
    });
  }

  /** Active and sold-out listings, 100 a page with their inventory (`includes=Inventory`: one call per page). */
  async *listListings(): AsyncGenerator<ChannelListing[]> {
    for (const state of ["active", "sold_out"] as const) {
      let offset = 0;
      for (;;) {
        const page = await this.call<{ count: number; results: Parameters<typeof EtsyChannel.toListings>[0][] }>(
          "GET",
          `/v3/application/shops/${this.creds.shopId}/listings`,
          { query: { state, limit: 100, offset, includes: "Inventory" }, maxWaitMs: 60_000 },
        );
        yield page.results.flatMap((l) => EtsyChannel.toListings(l));
        offset += page.results.length;
        if (!page.results.length || offset >= page.count) break;
      }
    }
  }

  private static parseKey(listingId: string): { listing: string; sku: string } {
    const i = listingId.indexOf(":");
    if (i <= 0) throw new ChannelError("NOT_FOUND", `not an Etsy product key: ${listingId}`, { retryable: false });
    return { listing: listingId.slice(0, i), sku: listingId.slice(i + 1) };
  }

  async readQuantity(listingId: string): Promise<number | null> {
    const { listing, sku } = EtsyChannel.parseKey(listingId);
    const inv = await this.call<IListingInventory>("GET", `/v3/application/listings/${listing}/inventory`);
    const p = (inv.products ?? []).find((x) => !x.is_deleted && x.sku === sku);
    if (!p) throw new ChannelError("NOT_FOUND", `Etsy listing ${listing} has no product ${sku}`, { retryable: false });
    return p.offerings?.find((o) => !o.is_deleted)?.quantity ?? 0;
  }

  // eslint-disable-next-line require-yield
  async *readSnapshot(): AsyncGenerator<ListingQuantity[]> {
    throw new ChannelError("UNSUPPORTED", "Etsy has no quantity snapshot route (use listListings)", {
      retryable: false,
    });
  }

  /**
   * Operations grouped per Etsy listing: one GET + one PUT of the whole inventory per listing, only the operations'
   * products changed. A `set` writes its quantity; a `delta` / `cas` (allocation steps, decision 300) writes the
   * quantity `readThenSetQuantity` computes from that same fresh GET (so an allocation step costs no extra read). A
   * listing Etsy refuses fails only its own operations (BAD_REQUEST with Etsy's message).
   */
  async writeQuantities(ops: QuantityOp[]): Promise<QuantityOpResult[]> {
    const results: (QuantityOpResult | null)[] = ops.map(() => null);
    const groups = new Map<string, ListingWrite[]>();
    ops.forEach((op, i) => {
      if (op.op !== "set") {
        const replay = replayOf(`etsy:${this.creds.shopId}:${op.idempotencyKey}`);
        if (replay) {
          results[i] = { ok: true, ...replay, replayed: true };
          return;
        }
      }
      try {
        const { listing, sku } = EtsyChannel.parseKey(op.listingId);
        const g = groups.get(listing) ?? [];
        const same = g.findIndex((x) => x.sku === sku);
        if (same >= 0) g.splice(same, 1); // the later operation of one product wins (absolute sets)
        if (op.op === "set") {
          const q = Math.max(0, Math.min(ETSY_MAX_QUANTITY, Math.floor(op.quantity)));
          g.push({ i, sku, quantity: () => q });
        } else {
          const step = op;
          g.push({ i, sku, quantity: (read) => readThenSetQuantity(step, read), key: step.idempotencyKey });
        }
        groups.set(listing, g);
      } catch (error) {
        results[i] = { ok: false, error: error as ChannelError };
      }
    });
    const entries = [...groups.entries()];
    let next = 0;
    const lane = async () => {
      while (next < entries.length) {
        const [listing, g] = entries[next++]!;
        const out = await this.writeListing(listing, g);
        g.forEach((x, k) => (results[x.i] = out[k]!));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency(), entries.length) }, lane));
    // Operations superseded by a later one of the same product answer as that one did.
    ops.forEach((op, i) => {
      if (results[i]) return;
      const later = ops.findIndex((o, j) => j > i && o.listingId === op.listingId && !!results[j]);
      results[i] = later >= 0 ? results[later] : { ok: false, error: new ChannelError("SERVER", "not written") };
    });
    return results as QuantityOpResult[];
  }

  private async writeListing(listing: string, ops: ListingWrite[]): Promise<QuantityOpResult[]> {
    try {
      const inv = await this.call<IListingInventory>("GET", `/v3/application/listings/${listing}/inventory`, {
        maxWaitMs: 30_000,
      });
      const before = new Map(
        (inv.products ?? [])
          .filter((p) => !p.is_deleted && p.sku)
          .map((p) => [p.sku!, p.offerings?.find((o) => !o.is_deleted)?.quantity ?? 0]),
      );
      // Each operation's quantity from the inventory just read (a read-then-set step refused when it cannot take).
      const planned = ops.map((o) => (before.has(o.sku) ? o.quantity(before.get(o.sku)!) : null));
      const present = ops
        .map((o, k) => ({ o, q: planned[k] }))
        .filter((x): x is { o: ListingWrite; q: number } => typeof x.q === "number");
      const capped = present.map((x) => ({ ...x, q: Math.min(ETSY_MAX_QUANTITY, x.q) }));
      // Nothing to change (every product already shows its quantity): no PUT, no window.
      if (capped.some((x) => x.q !== before.get(x.o.sku))) {
        await this.call("PUT", `/v3/application/listings/${listing}/inventory`, {
          body: inventoryForPut(inv, new Map(capped.map((x) => [x.o.sku, x.q]))),
          maxWaitMs: 30_000,
        });
      }
      return ops.map((o, k): QuantityOpResult => {
        const q = planned[k];
        if (q instanceof ChannelError) return { ok: false, error: q };
        if (q == null)
          return {
            ok: false,
            error: new ChannelError("NOT_FOUND", `Etsy listing ${listing} has no product with SKU ${o.sku}`, {
              retryable: false,
            }),
          };
        const result = { before: before.get(o.sku)!, after: Math.min(ETSY_MAX_QUANTITY, q) };
        if (o.key) rememberReplay(`etsy:${this.creds.shopId}:${o.key}`, result);
        return { ok: true, ...result };
      });
    } catch (err) {
      const e =
        err instanceof ChannelError ? err : new ChannelError("SERVER", `Etsy listing ${listing}: ${String(err)}`);
      const error =
        e.code === "BAD_REQUEST"
          ? new ChannelError(
              "BAD_REQUEST",
              `Etsy refused listing ${listing}: ${e.message.replace(/^Etsy PUT [^:]+: /, "")}`,
              {
                status: e.opts.status,
                retryable: false,
              },
            )
          : e;
      return ops.map(() => ({ ok: false, error }));
    }
  }

  async writeQuantity(op: QuantityOp): Promise<QuantityWriteResult> {
    const [r] = await this.writeQuantities([op]);
    if (!r!.ok) throw r!.error;
    return { before: r!.before, after: r!.after };
  }

  async updateListingDetails(): Promise<{ regularPrice: string; name: string; modifiedAt: string | null }> {
    throw new ChannelError("BAD_REQUEST", "SyncFlow does not write prices or titles to Etsy", { retryable: false });
  }

  parseDelivery(delivery: RawDelivery): SalesEvent[] {
    return parseEtsyDelivery(delivery);
  }

  /**
   * Receipts modified since the cursor (null: from `POLL_OVERLAP_MS` ago), oldest update first, at most
   * `MAX_PAGES_PER_POLL` pages; a listing cut short (pages or the rate limit) keeps its offset in the cursor and
   * resumes next poll. A completed listing moves `since` to this poll's start minus the overlap.
   */
  async pollReceipts(cursor: string | null): Promise<{ receipts: IShopReceipt[]; cursor: string; complete: boolean }> {
    const now = Date.now();
    let c: PollCursor;
    try {
      c = cursor ? (JSON.parse(cursor) as PollCursor) : { since: 0 };
    } catch {
      c = { since: 0 };
    }
    if (!c.since) c.since = Math.floor((now - POLL_OVERLAP_MS) / 1000);
    const started = c.started ?? now;
    const receipts: IShopReceipt[] = [];
    let offset = c.offset ?? 0;
    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES_PER_POLL)
        return { receipts, cursor: JSON.stringify({ since: c.since, offset, started }), complete: false };
      let res: { count: number; results: IShopReceipt[] };
      try {
        res = await this.call("GET", `/v3/application/shops/${this.creds.shopId}/receipts`, {
          query: { min_last_modified: c.since, sort_on: "updated", sort_order: "asc", limit: this.pageSize, offset },
          maxWaitMs: 2_000,
        });
      } catch (err) {
        if (err instanceof ChannelError && err.code === "THROTTLED" && receipts.length)
          return { receipts, cursor: JSON.stringify({ since: c.since, offset, started }), complete: false };
        throw err;
      }
      receipts.push(...res.results);
      offset += res.results.length;
      if (!res.results.length || offset >= res.count) break;
    }
    const since = Math.max(c.since, Math.floor((started - POLL_OVERLAP_MS) / 1000));
    return { receipts, cursor: JSON.stringify({ since }), complete: true };
  }

  async pollEvents(cursor: string | null): Promise<{ events: SalesEvent[]; cursor: string }> {
    const res = await this.pollReceipts(cursor);
    return {
      events: res.receipts.map((r) => ({ type: "order.changed", order: receiptToSalesOrder(r, this.creds.currency) })),
      cursor: res.cursor,
    };
  }

  /** The app's day budget as Etsy last reported it (the poll job stores it for the Channels page). */
  requestUsage(): { limitPerDay: number; remainingToday: number } | null {
    return etsyRequestUsage(this.app.keystring);
  }

  async *ordersSince(since: string): AsyncGenerator<SalesOrder[]> {
    const min = Math.floor(Date.parse(since) / 1000);
    let offset = 0;
    for (;;) {
      const res = await this.call<{ count: number; results: IShopReceipt[] }>(
        "GET",
        `/v3/application/shops/${this.creds.shopId}/receipts`,
        {
          query: { min_last_modified: min, sort_on: "updated", sort_order: "asc", limit: this.pageSize, offset },
          maxWaitMs: 30_000,
        },
      );
      yield res.results.map((r) => receiptToSalesOrder(r, this.creds.currency));
      offset += res.results.length;
      if (!res.results.length || offset >= res.count) break;
    }
  }

  async subscribe(): Promise<void> {
    /* polling: nothing to subscribe */
  }
  async subscriptionHealth(): Promise<SubscriptionState[]> {
    return [];
  }
  async repairSubscriptions(): Promise<void> {
    /* polling: nothing to repair */
  }
}
