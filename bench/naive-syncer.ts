/**
 * NAIVE SYNCER — the approach SyncFlow replaces, for comparison only (never used by the app).
 *
 * It listens to the same emulator webhooks and copies the ABSOLUTE quantity it was told to every other
 * store: Shopify `inventory_levels/update` → `PUT stock_quantity` on each WooCommerce store; WooCommerce
 * `product.updated` → `inventorySetQuantities` on Shopify with `changeFromQuantity: null` (no
 * compare-and-set) and a PUT on the other WooCommerce store. No pending sales, no deltas, no baselines.
 * To avoid an endless echo loop it skips a write when it last wrote the same value to that target.
 */
import http from "node:http";
import crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import { WooClient } from "../app/channels/woocommerce/client.server";
import type { WooEmulator } from "../tests/emulators/woocommerce/index";
import type { ShopifyEmulator } from "../tests/emulators/shopify/index";

/** A running naive syncer for one SKU. */
export interface NaiveSyncer {
  url: string;
  /** Writes it made (for the report). */
  writes: number;
  close(): Promise<void>;
}

const SET = `mutation NaiveSet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) { userErrors { code message } }
}`;

/**
 * Starts the naive syncer for `sku` between one Shopify shop and WooCommerce stores; registers its
 * webhooks on the stores and points the Shopify emulator's webhooks at it.
 */
export async function startNaiveSyncer(input: {
  shopify: ShopifyEmulator;
  shop: string;
  accessToken: string;
  locationId: string;
  inventoryItemId: string;
  woo: WooEmulator[];
  sku: string;
}): Promise<NaiveSyncer> {
  const { shopify, shop, accessToken, locationId, inventoryItemId, woo, sku } = input;
  const clients = woo.map((w) => {
    const k = w.control.createKey({ permissions: "read_write" });
    return new WooClient({ url: w.url, consumerKey: k.consumer_key, consumerSecret: k.consumer_secret, maxRetries: 1 });
  });
  const productIds = woo.map((w) => w.control.productIdBySku(sku)!);
  const lastWritten = new Map<string, number>();
  const state = { writes: 0 };

  const writeWoo = async (i: number, qty: number) => {
    if (lastWritten.get(`woo${i}`) === qty) return;
    lastWritten.set(`woo${i}`, qty);
    state.writes++;
    await clients[i]!.put(`products/${productIds[i]}`, { stock_quantity: qty }).catch(() => undefined);
  };
  const writeShopify = async (qty: number) => {
    if (lastWritten.get("shopify") === qty) return;
    lastWritten.set("shopify", qty);
    state.writes++;
    await fetch(`${shopify.url}/store/${shop}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": accessToken },
      body: JSON.stringify({
        query: SET,
        variables: {
          key: crypto.randomUUID(),
          input: {
            name: "available",
            reason: "correction",
            referenceDocumentUri: "gid://naive/Sync/1",
            quantities: [{ inventoryItemId, locationId, quantity: qty, changeFromQuantity: null }],
          },
        },
      }),
    })
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    res.writeHead(200, { "Content-Type": "application/json" }).end("{}"); // acknowledge first
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return;
    } // WooCommerce ping (form body)
    const url = req.url ?? "";
    if (url.startsWith("/webhooks/") && req.headers["x-shopify-topic"] === "inventory_levels/update") {
      if (
        `gid://shopify/InventoryItem/${body.inventory_item_id}` !== inventoryItemId ||
        typeof body.available !== "number"
      )
        return;
      lastWritten.set("shopify", body.available);
      await Promise.all(woo.map((_, i) => writeWoo(i, body.available)));
      return;
    }
    const m = /^\/woo\/(\d+)$/.exec(url);
    if (m && body.sku === sku && typeof body.stock_quantity === "number") {
      const from = Number(m[1]);
      lastWritten.set(`woo${from}`, body.stock_quantity);
      await Promise.all([
        writeShopify(body.stock_quantity),
        ...woo.map((_, i) => (i === from ? null : writeWoo(i, body.stock_quantity))),
      ]);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  shopify.control.setAppUrl(url);
  for (let i = 0; i < woo.length; i++) {
    await clients[i]!.post("webhooks", {
      name: "naive",
      topic: "product.updated",
      delivery_url: `${url}/woo/${i}`,
      secret: "naive-secret",
    });
  }
  return {
    url,
    get writes() {
      return state.writes;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
