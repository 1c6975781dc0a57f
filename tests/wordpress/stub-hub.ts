/**
 * STUB HUB — a tiny stand-in for the SyncFlow hub's plugin-facing API (docs/contracts/hub-api-v1.md), used by the
 * WordPress tests because the real `app/routes/api.woo.*` routes were not ready when the plugin was built.
 * It is NOT the hub: no database, no Shopify. Like the real hub it verifies the store's keys by calling the store
 * back (here `GET wc-syncflow/v1/capabilities` through the hub's real WooCommerceChannel), checks X-SyncFlow-Signature
 * (over timestamp, nonce and body) on heartbeat / disconnect / stock events, and acknowledges (200) and records the
 * store's webhook deliveries and pings. Like the hub, it asks a plugin that lists "stock-events" for its stock events
 * (`stock_events: true`) and records them (`stockEvents`), answering each batch with every event id accepted.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { WooCommerceChannel } from "../../app/channels/woocommerce/woocommerce-channel.server";
import { AdminBrowser, inputValue, type WpSite } from "./wp-site";

/**
 * Connects `site` to `hub` as a store owner does: logs in as admin, opens the SyncFlow tab and submits the hub's URL
 * with a fresh connection code. Resolves to the redirect location (`…syncflow_result=ok` when connected).
 */
export async function connectToStubHub(site: Pick<WpSite, "url">, hub: StubHub): Promise<string | null> {
  const admin = new AdminBrowser(site);
  await admin.login("admin");
  const page = await admin.get("/wp-admin/admin.php?page=wc-settings&tab=syncflow");
  const r = await admin.post("/wp-admin/admin-post.php", {
    action: "syncflow_connect",
    _syncflow_connect_nonce: inputValue(page.html, "_syncflow_connect_nonce")!,
    syncflow_hub_url: hub.url,
    syncflow_code: hub.issueCode(),
  });
  return r.location;
}

/** A connection code the stub answers with 402 plan_limit, and the message the real hub sends with it. */
export const PLAN_FULL_CODE = "SF-PLAN-FULL";
export const PLAN_FULL_MESSAGE =
  "The Free plan of demo.myshopify.com allows 1 sales channel, and 1 is connected. Upgrade to Starter in the SyncFlow app (https://admin.shopify.com/store/demo/apps/syncflow/app/plan), then connect this store again.";

export interface StubHubRegistration {
  body: any;
  channelId: string;
  webhookSecret: string;
  mode: "exact" | "buffered";
}
export interface StubHubSignedCall {
  path: string;
  channel: string;
  signatureOk: boolean;
  body: any;
}

/** A webhook delivery (or creation ping) the store sent to `/webhooks/woocommerce/<channel>`. */
export interface StubHubDelivery {
  channel: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface StubHub {
  url: string;
  port: number;
  /** Issues a one-time connection code (single use). */
  issueCode(): string;
  registrations: StubHubRegistration[];
  calls: StubHubSignedCall[];
  deliveries: StubHubDelivery[];
  /** Duration of each verification call-back to the store (ms). */
  callbackMs: number[];
  /** Next N heartbeats answer this status (e.g. 500) instead of 200. */
  failHeartbeats(n: number, status?: number): void;
  /** Every stock event received (signed and accepted), in arrival order. */
  stockEvents: any[];
  /** Next N stock event calls answer this status (e.g. 503) instead of 200. */
  failStockEvents(n: number, status?: number): void;
  /** The last registration's credentials, as the hub would store them. */
  channel(): WooCommerceChannel;
  close(): Promise<void>;
}

export async function startStubHub(): Promise<StubHub> {
  const codes = new Set<string>();
  const registrations: StubHubRegistration[] = [];
  const calls: StubHubSignedCall[] = [];
  const deliveries: StubHubDelivery[] = [];
  const secrets = new Map<string, string>();
  const callbackMs: number[] = [];
  let failing = { n: 0, status: 500 };
  let failingEvents = { n: 0, status: 503 };
  const stockEvents: any[] = [];
  let last: { url: string; ck: string; cs: string } | null = null;

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, status: number, code: string, message: string) =>
    send(res, status, { error: { code, message } });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const hook = /^\/webhooks\/woocommerce\/([^/]+)$/.exec(new URL(req.url ?? "/", "http://x").pathname);
        if (req.method === "POST" && hook) {
          deliveries.push({ channel: decodeURIComponent(hook[1]), headers: req.headers, body: raw.toString("utf8") });
          return send(res, 200, { ok: true });
        }
        let body: any;
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          return error(res, 400, "bad_request", "body is not JSON");
        }
        const path = new URL(req.url ?? "/", "http://x").pathname;
        if (req.method === "POST" && path === "/api/woo/register") {
          for (const f of ["code", "store_url", "consumer_key", "consumer_secret"])
            if (typeof body?.[f] !== "string" || !body[f]) return error(res, 400, "bad_request", `${f} missing`);
          if (!/^https?:\/\//.test(body.store_url)) return error(res, 400, "bad_request", "store_url not http(s)");
          // The hub's answer when the shop's plan has no room for another sales channel (app/billing, decision 171).
          if (body.code === PLAN_FULL_CODE) return error(res, 402, "plan_limit", PLAN_FULL_MESSAGE);
          if (!codes.delete(body.code)) return error(res, 401, "invalid_code", "Unknown, used or expired code.");
          const ch = new WooCommerceChannel({
            url: body.store_url,
            consumerKey: body.consumer_key,
            consumerSecret: body.consumer_secret,
            timeoutMs: 50_000,
            client: { maxRetries: 0 },
          });
          let mode: "exact" | "buffered";
          let events = false;
          try {
            const t0 = Date.now();
            const caps = await ch.capabilities();
            mode = caps.exact ? "exact" : "buffered";
            events = caps.exact && !!caps.features?.includes("stock-events");
            callbackMs.push(Date.now() - t0);
          } catch (e) {
            return error(res, 422, "store_rejected_keys", String((e as Error).message));
          }
          const channelId = "ch_" + randomBytes(6).toString("hex");
          const webhookSecret = randomBytes(32).toString("base64url");
          secrets.set(channelId, webhookSecret);
          registrations.push({ body, channelId, webhookSecret, mode });
          last = { url: body.store_url, ck: body.consumer_key, cs: body.consumer_secret };
          return send(res, 201, {
            ok: true,
            channel_id: channelId,
            webhook_secret: webhookSecret,
            shop_domain: "stub-shop.myshopify.com",
            shop_name: "Stub Shop",
            mode,
            linked: 0,
            unmatched: 0,
            stock_events: events,
          });
        }
        if (
          req.method === "POST" &&
          (path === "/api/woo/heartbeat" || path === "/api/woo/disconnect" || path === "/api/woo/stock-events")
        ) {
          const channel = String(req.headers["x-syncflow-channel"] ?? "");
          const secret = secrets.get(channel);
          const given = Buffer.from(String(req.headers["x-syncflow-signature"] ?? ""));
          // Plugin ≥ 1.1.0 signs "<timestamp>.<nonce>.<body>" (hub-api-v1 §2); the stub requires both headers.
          const ts = String(req.headers["x-syncflow-timestamp"] ?? "");
          const nonce = String(req.headers["x-syncflow-nonce"] ?? "");
          const fresh =
            /^\d+$/.test(ts) &&
            Math.abs(Date.now() / 1000 - Number(ts)) <= 300 &&
            /^[A-Za-z0-9_-]{16,128}$/.test(nonce);
          const want = Buffer.from(
            secret && fresh ? createHmac("sha256", secret).update(`${ts}.${nonce}.${raw}`).digest("base64") : "-",
          );
          const signatureOk = !!secret && given.length === want.length && timingSafeEqual(given, want);
          calls.push({ path, channel, signatureOk, body });
          if (!secret) return error(res, 404, "unknown_channel", "unknown channel");
          if (!signatureOk) return error(res, 401, "bad_signature", "bad signature");
          if (path === "/api/woo/disconnect") {
            secrets.delete(channel);
            return send(res, 200, { ok: true });
          }
          if (path === "/api/woo/stock-events") {
            if (failingEvents.n > 0) {
              failingEvents.n--;
              return error(res, failingEvents.status, "internal", "stub failure");
            }
            const list: any[] = Array.isArray(body.events) ? body.events : [];
            stockEvents.push(...list);
            return send(res, 200, {
              ok: true,
              accepted: list.map((e) => e.id),
              duplicates: 0,
              rejected: [],
              stock_events: true,
            });
          }
          if (failing.n > 0) {
            failing.n--;
            return error(res, failing.status, "internal", "stub failure");
          }
          return send(res, 200, {
            ok: true,
            mode: "exact",
            reconcile_scheduled: (body.recreated?.length ?? 0) > 0 || !!body.missed_since,
            stock_events: !!body.features?.includes("stock-events"),
          });
        }
        return error(res, 404, "not_found", "no route");
      })().catch((e) => error(res, 500, "internal", String(e)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    issueCode() {
      const c = "SF-" + randomBytes(20).toString("hex").toUpperCase();
      codes.add(c);
      return c;
    },
    registrations,
    calls,
    deliveries,
    callbackMs,
    failHeartbeats(n, status = 500) {
      failing = { n, status };
    },
    stockEvents,
    failStockEvents(n, status = 503) {
      failingEvents = { n, status };
    },
    channel() {
      if (!last) throw new Error("no registration yet");
      return new WooCommerceChannel({
        url: last.url,
        consumerKey: last.ck,
        consumerSecret: last.cs,
        timeoutMs: 30_000,
        client: { maxRetries: 0 },
      });
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
