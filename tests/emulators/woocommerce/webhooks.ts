/**
 * Webhook delivery with WooCommerce's real rules (plugins/woocommerce/includes/class-wc-webhook.php,
 * wc-webhook-functions.php):
 *  - Async: a matching hook queues `woocommerce_deliver_webhook_async` (Action Scheduler) at the end of the request
 *    (`wc_webhook_execute_queue` on shutdown); one pending action per (webhook, resource) — later changes before
 *    delivery coalesce. It runs when the store's queue runner next runs: 2–6 s later by default here, as measured on
 *    a real WooCommerce. The payload is built at delivery time (`build_payload()` → GET /wc/v3/<resource>s/<id>, view
 *    context), so it carries the latest state, not each step.
 *  - `deliver()`: POST, body = trim(wp_json_encode(payload)), headers X-WC-Webhook-Source (home_url('/')),
 *    -Topic, -Resource, -Event, -Signature (base64 HMAC-SHA256 of the body with the secret), -ID, -Delivery-ID
 *    (wp_hash(id . time()) — NOT unique within a second), User-Agent "WooCommerce/<v> Hookshot (WordPress/<v>)",
 *    timeout 60 s (5 s here by default), one attempt, never retried.
 *  - `log_delivery()`: 2xx, 301, 302 = success → failure_count = 0; anything else (incl. timeouts) →
 *    `failed_delivery()`: if failure_count > 5 the status becomes "disabled", else failure_count++.
 *    (So the 7th consecutive failure disables it, with failure_count reading 6.)
 *  - `deliver_ping()` on REST creation: form POST `webhook_id=N`, no signature headers; 200 clears pending_delivery.
 * Times in ms.
 */
import http from "node:http";
import { createHash, createHmac } from "node:crypto";
import type { StoreEvent, WebhookRecord, WooStore } from "./store.js";

/** One entry of the emulator's delivery log. */
export interface DeliveryLogEntry {
  /** Sequence number in the log (use with `redeliver`). */
  logId: number;
  kind: "delivery" | "ping" | "redelivery" | "duplicate";
  webhookId: number;
  topic: string;
  resourceId: number | null;
  /** X-WC-Webhook-Delivery-ID (null for pings). */
  deliveryId: string | null;
  url: string;
  requestHeaders: Record<string, string>;
  body: string;
  /** HTTP status, or null on network error / timeout. */
  status: number | null;
  error: string | null;
  ok: boolean;
  /** True when a `dropDeliveries` fault swallowed it (nothing was sent). */
  dropped: boolean;
  startedAt: number;
  durationMs: number;
}

/** Settings the engine reads on every delivery (mutable through control). */
export interface DeliverySettings {
  /**
   * How long after the change a queued delivery runs: `deliveryDelayMs`, or a uniform draw from
   * [deliveryDelayMs, deliveryDelayMaxMs] when the latter is larger (the emulator's default, 2–6 s: Action
   * Scheduler's queue runner on a live store, as measured on a real WooCommerce).
   */
  deliveryDelayMs: number;
  deliveryDelayMaxMs?: number;
  deliveryTimeoutMs: number;
  pingTimeoutMs: number;
  wcVersion: string;
  wpVersion: string;
  siteUrl: string;
  dropDeliveries: number;
  duplicateDeliveries: number;
  /** Max consecutive failures before disabling (`woocommerce_max_webhook_delivery_failures`, 5). */
  maxFailures: number;
}

/** Posts one request; resolves {status} or {error}. Never rejects. */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number | null; error: string | null }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: { status: number | null; error: string | null }) => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    let req: http.ClientRequest;
    try {
      req = http.request(url, {
        method: "POST",
        headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) },
        agent: false,
      });
    } catch (e) {
      finish({ status: null, error: String((e as Error).message) });
      return;
    }
    const timer = setTimeout(() => {
      finish({ status: null, error: `http_request_failed: Operation timed out after ${timeoutMs} milliseconds` });
      req.destroy();
    }, timeoutMs);
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => {
        clearTimeout(timer);
        finish({ status: res.statusCode ?? null, error: null });
      });
      res.on("error", () => {
        clearTimeout(timer);
        finish({ status: res.statusCode ?? null, error: null });
      });
    });
    req.on("error", (e) => {
      clearTimeout(timer);
      finish({ status: null, error: `http_request_failed: ${e.message}` });
    });
    req.end(body);
  });
}

/** Delivers webhooks for a WooStore. */
export class WebhookEngine {
  readonly log: DeliveryLogEntry[] = [];
  private pending = new Map<string, NodeJS.Timeout>();
  private inflight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private store: WooStore,
    readonly settings: DeliverySettings,
  ) {
    store.listeners.push((e) => this.onEvent(e));
  }

  /** Store hook → queue one async delivery per active matching webhook (coalesced per webhook+resource). */
  private onEvent(e: StoreEvent) {
    if (this.closed) return;
    for (const w of this.store.webhooks.values()) {
      if (w.status !== "active" || w.topic !== e.topic) continue;
      const key = `${w.id}:${e.resourceId}`;
      if (this.pending.has(key)) continue;
      const timer = setTimeout(() => {
        this.pending.delete(key);
        this.track(this.deliver(w.id, e.resourceId));
      }, this.delay());
      this.pending.set(key, timer);
    }
  }

  /** The delay of the next queued delivery (ms). */
  private delay(): number {
    const lo = this.settings.deliveryDelayMs;
    const hi = this.settings.deliveryDelayMaxMs ?? lo;
    return hi > lo ? lo + Math.random() * (hi - lo) : lo;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    p.finally(() => this.inflight.delete(p));
    return p;
  }

  /** Payload = the REST v3 representation of the resource now; `{id}` when it no longer exists. */
  private payload(w: WebhookRecord, resourceId: number): unknown {
    const [resource] = w.topic.split(".");
    if (resource === "product") {
      const p = this.store.products.get(resourceId);
      return p ? this.store.productJson(p) : { id: resourceId };
    }
    if (resource === "order") {
      const o = this.store.orders.get(resourceId);
      return o ? this.store.orderJson(o) : { id: resourceId };
    }
    return { id: resourceId };
  }

  private userAgent() {
    return `WooCommerce/${this.settings.wcVersion} Hookshot (WordPress/${this.settings.wpVersion})`;
  }

  /** `WC_Webhook::deliver()` for one queued action. */
  private async deliver(webhookId: number, resourceId: number): Promise<void> {
    const w = this.store.webhooks.get(webhookId);
    if (!w || this.closed) return;
    const body = JSON.stringify(this.payload(w, resourceId)).trim();
    const [resource, event] = w.topic.split(".");
    const deliveryId = createHash("md5")
      .update(`syncflow-emulator-salt${w.id}${Math.floor(Date.now() / 1000)}`)
      .digest("hex");
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "User-Agent": this.userAgent(),
      "X-WC-Webhook-Source": this.settings.siteUrl + "/",
      "X-WC-Webhook-Topic": w.topic,
      "X-WC-Webhook-Resource": resource,
      "X-WC-Webhook-Event": event,
      "X-WC-Webhook-Signature": createHmac("sha256", w.secret).update(body).digest("base64"),
      "X-WC-Webhook-ID": String(w.id),
      "X-WC-Webhook-Delivery-ID": deliveryId,
    };
    const base = {
      webhookId: w.id,
      topic: w.topic,
      resourceId,
      deliveryId,
      url: w.delivery_url,
      requestHeaders: headers,
      body,
    };
    if (this.settings.dropDeliveries > 0) {
      this.settings.dropDeliveries--;
      this.log.push({
        ...base,
        logId: this.log.length + 1,
        kind: "delivery",
        status: null,
        error: "dropped by fault injection",
        ok: false,
        dropped: true,
        startedAt: Date.now(),
        durationMs: 0,
      });
      return;
    }
    const entry = await this.send("delivery", base);
    this.trackFailures(w, entry.ok);
    if (this.settings.duplicateDeliveries > 0) {
      this.settings.duplicateDeliveries--;
      await this.send("duplicate", base);
    }
  }

  private async send(
    kind: DeliveryLogEntry["kind"],
    base: Omit<DeliveryLogEntry, "logId" | "kind" | "status" | "error" | "ok" | "dropped" | "startedAt" | "durationMs">,
    timeoutMs = this.settings.deliveryTimeoutMs,
  ): Promise<DeliveryLogEntry> {
    const startedAt = Date.now();
    const r = await post(base.url, base.requestHeaders, base.body, timeoutMs);
    const ok = r.status !== null && ((r.status >= 200 && r.status < 300) || r.status === 301 || r.status === 302);
    const entry: DeliveryLogEntry = {
      ...base,
      logId: this.log.length + 1,
      kind,
      status: r.status,
      error: r.error,
      ok,
      dropped: false,
      startedAt,
      durationMs: Date.now() - startedAt,
    };
    this.log.push(entry);
    return entry;
  }

  /** `log_delivery()` failure tracking + `failed_delivery()`. */
  private trackFailures(w: WebhookRecord, ok: boolean) {
    if (ok) w.failure_count = 0;
    else if (w.failure_count > this.settings.maxFailures) w.status = "disabled";
    else w.failure_count++;
  }

  /** `deliver_ping()`: awaited by the REST create handler. Returns true when the URL answered 200. */
  async ping(w: WebhookRecord): Promise<boolean> {
    const body = `webhook_id=${w.id}`;
    const entry = await this.track(
      this.send(
        "ping",
        {
          webhookId: w.id,
          topic: w.topic,
          resourceId: null,
          deliveryId: null,
          url: w.delivery_url,
          requestHeaders: {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "User-Agent": this.userAgent(),
          },
          body,
        },
        this.settings.pingTimeoutMs,
      ),
    );
    if (entry.status === 200) w.pending_delivery = false;
    return entry.status === 200;
  }

  /** Re-sends a logged request verbatim (same headers, body, Delivery-ID). Does not touch failure_count. */
  async redeliver(logId: number): Promise<DeliveryLogEntry> {
    const e = this.log.find((x) => x.logId === logId);
    if (!e) throw new Error(`no delivery ${logId}`);
    return this.track(
      this.send("redelivery", {
        webhookId: e.webhookId,
        topic: e.topic,
        resourceId: e.resourceId,
        deliveryId: e.deliveryId,
        url: e.url,
        requestHeaders: e.requestHeaders,
        body: e.body,
      }),
    );
  }

  /** Resolves when no delivery is queued or in flight (polls every 5 ms). */
  async idle(): Promise<void> {
    while (this.pending.size || this.inflight.size) {
      if (this.inflight.size) await Promise.allSettled([...this.inflight]);
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Cancels queued deliveries. */
  close() {
    this.closed = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}
