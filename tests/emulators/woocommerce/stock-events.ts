/**
 * The SyncFlow plugin's stock events, emulated (plugin ≥ 1.1: woo-plugin/includes/class-syncflow-stock-events.php;
 * wire format in docs/contracts/hub-api-v1.md §2, "stock events"). Off unless the emulator is started with
 * `stockEvents: true` — the default emulator is plugin 1.0.0, which reports nothing.
 *
 * Like the plugin: every stock change the store makes is captured with its cause into an outbox once the store is
 * connected (`connect`), each with a random id, the outbox's stream id and a sequence number; the outbox is sent
 * `delayMs` after a change (Action Scheduler's async action), oldest first, at most 100 events per signed
 * `POST <hub>/api/woo/stock-events`; events the hub accepted or rejected leave the outbox; a failed call (network,
 * non-200) is retried after `retryDelayMs`, so nothing is lost while the hub is away. Sending starts only once the hub
 * said `stock_events: true` (registration or heartbeat answer). Times in ms.
 */
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { StockChange, WooStore } from "./store.js";

/** One event as sent to the hub (snake_case like the plugin). Quantities in units. */
export interface WireStockEvent {
  id: string;
  stream: string;
  seq: number;
  at: string;
  cause: StockChange["cause"];
  product_id: number;
  stock_product_id: number;
  sku: string;
  before: number;
  after: number;
  delta: number;
  order_id?: number;
  order_status?: string;
  line_id?: number;
  line_reduced?: number;
  refund_id?: number;
  request_key?: string;
}

/** The connection the plugin stores after registering (hub URL, channel id, shared secret, its REST key). */
export interface HubConnection {
  hubUrl: string;
  channelId: string;
  secret: string;
  /** The consumer key SyncFlow registered with: REST writes made with it are the hub's own (cause hub_write). */
  consumerKey: string;
}

/** One call to the hub (for tests). */
export interface StockEventCall {
  at: number;
  events: number;
  status: number | null;
  error: string | null;
}

/**
 * Headers of a signed plugin → hub call as plugin ≥ 1.1.0 sends them (hub-api-v1 §2; the plugin's
 * SyncFlow_Hub_Client::signature_headers): channel id, Unix timestamp, a new nonce, and base64
 * HMAC-SHA256("<timestamp>.<nonce>.<raw body>", secret).
 */
export function signedHubHeaders(
  raw: string,
  channelId: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const nonce = randomBytes(16).toString("hex");
  return {
    "Content-Type": "application/json",
    "X-SyncFlow-Channel": channelId,
    "X-SyncFlow-Timestamp": String(timestamp),
    "X-SyncFlow-Nonce": nonce,
    "X-SyncFlow-Signature": createHmac("sha256", secret).update(`${timestamp}.${nonce}.${raw}`).digest("base64"),
  };
}

/** The emulated plugin's stock event outbox and sender. */
export class StockEventReporter {
  connection: HubConnection | null = null;
  /** Whether the hub asked for events (`stock_events: true`). */
  enabled = false;
  /** Held back by a test (`hold`): captured but not sent. */
  held = false;
  readonly outbox: WireStockEvent[] = [];
  readonly calls: StockEventCall[] = [];
  stream = randomUUID();
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  private closed = false;

  constructor(
    private store: WooStore,
    readonly settings: {
      delayMs: number;
      retryDelayMs: number;
      batchSize: number;
      pluginVersion: string;
      siteUrl: string;
    },
  ) {
    store.stockListeners.push((c) => this.capture(c));
  }

  /** Stores the hub connection (the plugin does this on a 201 from /api/woo/register). */
  connect(c: HubConnection, stockEvents: boolean) {
    this.connection = c;
    this.enabled = stockEvents;
    this.stream = randomUUID();
    this.schedule(this.settings.delayMs);
  }

  /** Pauses (true) or resumes (false) sending; resuming sends at once. */
  hold(on: boolean) {
    this.held = on;
    if (!on) this.schedule(0);
  }

  private capture(c: StockChange) {
    if (!this.connection || this.closed) return;
    const p = this.store.products.get(c.productId);
    this.outbox.push({
      id: randomUUID(),
      stream: this.stream,
      seq: ++this.seq,
      at: new Date(this.store.now()).toISOString(),
      cause: c.cause,
      product_id: c.productId,
      stock_product_id: c.stockProductId,
      sku: p?.sku ?? "",
      before: c.before,
      after: c.after,
      delta: c.after - c.before,
      ...(c.orderId !== undefined
        ? { order_id: c.orderId, order_status: c.orderStatus, line_id: c.lineId, line_reduced: c.lineReducedAfter }
        : {}),
      ...(c.refundId !== undefined ? { refund_id: c.refundId } : {}),
      ...(c.requestKey !== undefined ? { request_key: c.requestKey } : {}),
    });
    this.schedule(this.settings.delayMs);
  }

  private schedule(ms: number) {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.inflight) this.inflight = this.flush().finally(() => (this.inflight = null));
    }, ms);
  }

  /** Sends the outbox, batch by batch, until it is empty or a call fails (then retries later). */
  private async flush(): Promise<void> {
    while (this.outbox.length && this.connection && this.enabled && !this.held && !this.closed) {
      const batch = this.outbox.slice(0, this.settings.batchSize);
      const raw = JSON.stringify({
        store_url: this.settings.siteUrl,
        plugin_version: this.settings.pluginVersion,
        events: batch,
      });
      const call: StockEventCall = { at: Date.now(), events: batch.length, status: null, error: null };
      this.calls.push(call);
      let answer: { accepted?: string[]; rejected?: { id: string }[]; stock_events?: boolean } | null = null;
      try {
        const res = await fetch(`${this.connection.hubUrl}/api/woo/stock-events`, {
          method: "POST",
          headers: signedHubHeaders(raw, this.connection.channelId, this.connection.secret),
          body: raw,
        });
        call.status = res.status;
        answer = res.status === 200 ? await res.json() : null;
        if (res.status !== 200) call.error = (await res.text()).slice(0, 300);
      } catch (e) {
        call.error = String((e as Error).message ?? e);
      }
      if (!answer) {
        this.schedule(this.settings.retryDelayMs);
        return;
      }
      const done = new Set([...(answer.accepted ?? []), ...(answer.rejected ?? []).map((r) => r.id)]);
      for (let i = this.outbox.length - 1; i >= 0; i--) if (done.has(this.outbox[i]!.id)) this.outbox.splice(i, 1);
      if (answer.stock_events === false) this.enabled = false;
    }
  }

  /** Resolves when nothing is waiting to be sent (or sending is held / off) and no call is in flight. */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inflight || (this.outbox.length && this.enabled && !this.held && this.connection)) {
      if (Date.now() > deadline)
        throw new Error(`stock events still waiting after ${timeoutMs} ms: ${this.outbox.length} in the outbox`);
      if (this.inflight) await this.inflight;
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
