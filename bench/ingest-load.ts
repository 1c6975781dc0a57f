/**
 * Load generator for the ingest benchmark, run as its OWN Node process (so it does not share an event loop
 * with the app): fires correctly signed Shopify `inventory_levels/update` webhooks (unique
 * X-Shopify-Webhook-Id each, like distinct events) at the app over keep-alive HTTP connections, `concurrency`
 * in flight, for `durationMs`. Prints one JSON line: accepted per second and acknowledgement latencies (ms).
 * Usage: node --import tsx bench/ingest-load.ts '<json {url, secret, shop, items:[{item,location}], durationMs, concurrency}>'
 */
import http from "node:http";
import crypto from "node:crypto";

const cfg = JSON.parse(process.argv[2]!) as {
  url: string;
  secret: string;
  shop: string;
  items: { item: string; location: string }[];
  durationMs: number;
  concurrency: number;
  warmupMs?: number;
};
const target = new URL(`${cfg.url}/webhooks/inventory_levels/update`);
const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.concurrency });
const lat: number[] = [];
const statuses: Record<string, number> = {};
let ok = 0;
let n = 0;

function fire(measure: boolean): Promise<void> {
  const it = cfg.items[n++ % cfg.items.length]!;
  // A late delivery (updated_at in the past): the hub stores, acknowledges and queues it; the job finds it stale.
  const body = JSON.stringify({
    inventory_item_id: Number(it.item.split("/").pop()),
    location_id: Number(it.location.split("/").pop()),
    available: 1,
    updated_at: "2020-01-01T00:00:00Z",
    admin_graphql_api_id: `gid://shopify/InventoryLevel/${it.location.split("/").pop()}?inventory_item_id=${it.item.split("/").pop()}`,
  });
  const headers = {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    "X-Shopify-Topic": "inventory_levels/update",
    "X-Shopify-Hmac-Sha256": crypto.createHmac("sha256", cfg.secret).update(body).digest("base64"),
    "X-Shopify-Shop-Domain": cfg.shop,
    "X-Shopify-API-Version": "2026-10",
    "X-Shopify-Webhook-Id": crypto.randomUUID(),
    "X-Shopify-Event-Id": crypto.randomUUID(),
    "X-Shopify-Triggered-At": new Date().toISOString(),
  };
  const t = performance.now();
  return new Promise((resolve) => {
    const req = http.request(target, { method: "POST", agent, headers }, (res) => {
      res.resume();
      res.on("end", () => {
        if (measure) {
          lat.push(performance.now() - t);
          statuses[res.statusCode!] = (statuses[res.statusCode!] ?? 0) + 1;
          if (res.statusCode === 200) ok++;
        }
        resolve();
      });
    });
    req.on("error", () => {
      if (measure) statuses.error = (statuses.error ?? 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

async function loop(until: number, measure: boolean) {
  while (performance.now() < until) await fire(measure);
}

const w0 = performance.now();
await Promise.all(Array.from({ length: cfg.concurrency }, () => loop(w0 + (cfg.warmupMs ?? 1000), false)));
console.log("warm"); // bench/ingest.ts samples CPU times here and at "done"
const t0 = performance.now();
await Promise.all(Array.from({ length: cfg.concurrency }, () => loop(t0 + cfg.durationMs, true)));
const secs = (performance.now() - t0) / 1000;
console.log("done");
lat.sort((a, b) => a - b);
const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)]! : 0);
console.log(
  JSON.stringify({
    sent: lat.length,
    accepted: ok,
    webhooksPerSecond: Math.round(ok / secs),
    ackP50Ms: Math.round(pct(0.5) * 10) / 10,
    ackP99Ms: Math.round(pct(0.99) * 10) / 10,
    statuses,
    concurrency: cfg.concurrency,
  }),
);
agent.destroy();
