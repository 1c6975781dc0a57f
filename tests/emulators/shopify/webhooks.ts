/**
 * Webhook delivery as Shopify does it: POST JSON to `<appUrl>/webhooks/<topic>` with
 * X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body, keyed with the API secret), X-Shopify-Topic,
 * X-Shopify-Shop-Domain, X-Shopify-API-Version, X-Shopify-Webhook-Id (one per webhook; retries and
 * redeliveries keep it), X-Shopify-Event-Id, X-Shopify-Triggered-At. 5 s timeout; non-2xx/timeouts are
 * retried on `retryScheduleMs` (Shopify: 8 retries over 4 h; emulator default is short). Every attempt is logged.
 */
import crypto from "node:crypto";

/** One webhook and its attempts. */
export interface WebhookDelivery {
  id: string; // = webhook id
  shop: string;
  topic: string;
  url: string | null;
  headers: Record<string, string>;
  body: string;
  createdAt: number;
  status: "pending" | "delivered" | "failed" | "dropped" | "no_app_url";
  attempts: { at: number; status: number | null; error?: string; durationMs: number }[];
  kind: "normal" | "duplicate" | "redelivery" | "bad_hmac";
}

/** Base64 HMAC-SHA256 of `body` with `secret` (Shopify's X-Shopify-Hmac-Sha256). */
export function webhookHmac(body: string, secret: string): string {
  return crypto.createHmac("sha256", secret).update(body, "utf8").digest("base64");
}

export interface WebhookOptions {
  apiSecret: string;
  apiVersion: string;
  getAppUrl: () => string | null;
  delayMs: () => number;
  retryScheduleMs: number[];
  timeoutMs: number;
}

/** Queue, deliver, retry and log webhooks for every shop. */
export class WebhookDispatcher {
  readonly log: WebhookDelivery[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private inflight = new Set<Promise<void>>();
  dropNext = 0;
  duplicateNext = 0;
  constructor(private readonly opts: WebhookOptions) {}

  /** Create and schedule a webhook for `topic` with `payload`; returns the delivery record. */
  emit(shop: string, topic: string, payload: unknown): WebhookDelivery {
    const body = JSON.stringify(payload);
    const id = crypto.randomUUID();
    const now = Date.now();
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": webhookHmac(body, this.opts.apiSecret),
      "X-Shopify-Shop-Domain": shop,
      "X-Shopify-API-Version": this.opts.apiVersion,
      "X-Shopify-Webhook-Id": id,
      "X-Shopify-Event-Id": crypto.randomUUID(),
      "X-Shopify-Triggered-At": new Date(now).toISOString(),
    };
    const d = this.record(shop, topic, headers, body, "normal");
    if (this.dropNext > 0) {
      this.dropNext--;
      d.status = "dropped";
      return d;
    }
    this.schedule(d, this.opts.delayMs(), 0);
    if (this.duplicateNext > 0) {
      this.duplicateNext--;
      const dup = this.record(shop, topic, { ...headers }, body, "duplicate");
      this.schedule(dup, this.opts.delayMs() + 5, 0);
    }
    return d;
  }

  /** Send a past delivery again, verbatim (same headers incl. webhook id, same body). */
  redeliver(id: string): WebhookDelivery {
    const orig = this.log.find((d) => d.id === id || `${d.id}#${d.kind}` === id);
    if (!orig) throw new Error(`unknown delivery ${id}`);
    const d = this.record(orig.shop, orig.topic, { ...orig.headers }, orig.body, "redelivery");
    this.schedule(d, 0, this.opts.retryScheduleMs.length);
    return d;
  }

  /** Send `payload` with a deliberately wrong HMAC; resolves with the app's HTTP status (no retries). */
  async sendBadHmac(shop: string, topic: string, payload: unknown): Promise<WebhookDelivery> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Shop-Domain": shop,
      "X-Shopify-Hmac-Sha256": webhookHmac(body, "not-the-secret"),
      "X-Shopify-API-Version": this.opts.apiVersion,
      "X-Shopify-Webhook-Id": crypto.randomUUID(),
      "X-Shopify-Event-Id": crypto.randomUUID(),
      "X-Shopify-Triggered-At": new Date().toISOString(),
    };
    const d = this.record(shop, topic, headers, body, "bad_hmac");
    await this.attempt(d, this.opts.retryScheduleMs.length);
    return d;
  }

  /** Wait until no delivery is pending or in flight (bounded by `timeoutMs`, ms). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.timers.size === 0 && this.inflight.size === 0) return;
      await Promise.race([...this.inflight, new Promise((r) => setTimeout(r, 10))]);
    }
  }

  /** Cancel pending timers. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private record(
    shop: string,
    topic: string,
    headers: Record<string, string>,
    body: string,
    kind: WebhookDelivery["kind"],
  ): WebhookDelivery {
    const d: WebhookDelivery = {
      id: headers["X-Shopify-Webhook-Id"]!,
      shop,
      topic,
      url: null,
      headers,
      body,
      createdAt: Date.now(),
      status: "pending",
      attempts: [],
      kind,
    };
    this.log.push(d);
    return d;
  }

  private schedule(d: WebhookDelivery, delay: number, attemptNo: number) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      const p = this.attempt(d, attemptNo).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }, delay);
    this.timers.add(t);
  }

  private async attempt(d: WebhookDelivery, attemptNo: number): Promise<void> {
    const base = this.opts.getAppUrl();
    if (!base) {
      d.status = "no_app_url";
      return;
    }
    d.url = `${base.replace(/\/$/, "")}/webhooks/${d.topic}`;
    const started = Date.now();
    let status: number | null = null;
    let error: string | undefined;
    try {
      const res = await fetch(d.url, {
        method: "POST",
        headers: d.headers,
        body: d.body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      error = (e as Error).message;
    }
    d.attempts.push({ at: started, status, error, durationMs: Date.now() - started });
    if (status !== null && status >= 200 && status < 300) {
      d.status = "delivered";
      return;
    }
    if (attemptNo < this.opts.retryScheduleMs.length) {
      d.status = "pending";
      this.schedule(d, this.opts.retryScheduleMs[attemptNo]!, attemptNo + 1);
    } else d.status = "failed";
  }
}
