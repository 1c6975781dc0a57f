/**
 * The real-WooCommerce harness itself (./real-woocommerce.ts): a WooCommerce 10.0.2 on WordPress 6.8 that answers
 * like a shop — OAuth 1.0a REST keys over http, HPOS, stock management on, pretty permalinks — with SyncFlow for
 * WooCommerce activated under WP_DEBUG without a single PHP notice, and webhook deliveries carried by the runner
 * loop to a loopback receiver. Skipped (loudly) without WOOCOMMERCE_ZIP / WORDPRESS_ZIP / php.
 */
import fs from "node:fs";
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeRealWooCommerce,
  REAL_WOOCOMMERCE_VERSION,
  startRealWooCommerce,
  type RealWooSite,
} from "./real-woocommerce";
import { restCall, wooRestApi, type WooRestApi } from "./wp-site";
import { startWebhookReceiver, type WebhookReceiver } from "../emulators/woocommerce/receiver";

describeRealWooCommerce("real WooCommerce harness", () => {
  let site: RealWooSite;
  let api: WooRestApi;
  let rx: WebhookReceiver;

  beforeAll(async () => {
    [site, rx] = await Promise.all([startRealWooCommerce({ runner: { intervalMs: 1000 } }), startWebhookReceiver()]);
    console.log(
      `[real WooCommerce] site up in ${site.startMs} ms (${site.builtTree ? "tree built now" : "cached tree"})`,
    );
    api = await wooRestApi({ url: site.url, ...(await site.createKey()) });
  }, 180_000);
  afterAll(async () => {
    await Promise.all([site?.close(), rx?.close()]);
  });

  it("runs WooCommerce 10.0.2 on WordPress 6.8 with SyncFlow activated, HPOS on, no PHP notice or warning", async () => {
    const ping = await site.control("GET", "/ping");
    expect(ping).toMatchObject({ woocommerce: REAL_WOOCOMMERCE_VERSION, wp: expect.stringMatching(/^6\.8(\.|$)/) });
    const s = await site.control("GET", "/state");
    expect(s.active_plugins).toEqual(
      expect.arrayContaining(["woocommerce/woocommerce.php", "syncflow-for-woocommerce/syncflow-for-woocommerce.php"]),
    );
    expect(s.hpos).toMatchObject({
      enabled: true,
      compatible: expect.arrayContaining(["syncflow-for-woocommerce/syncflow-for-woocommerce.php"]),
      incompatible: [],
    });
    expect(site.phpErrors()).toEqual([]);
  });

  it("answers REST v3 with OAuth 1.0a over http on pretty permalinks; basic auth over http is refused", async () => {
    const manage = await restCall(api, "get", "settings/products/woocommerce_manage_stock");
    expect(manage).toMatchObject({ status: 200, body: { value: "yes" } });
    const list = await restCall(api, "get", "products", undefined, { per_page: 1 });
    expect(list.status).toBe(200);
    expect(list.headers["x-wp-total"]).toBeDefined();
    const basic = await fetch(`${site.url}/wp-json/wc/v3/products`, {
      headers: { Authorization: "Basic " + Buffer.from("ck_x:cs_y").toString("base64") },
    });
    expect(basic.status).toBe(401);
  });

  it("delivers a product.updated webhook to loopback through the runner loop, signed, seconds later", async () => {
    const hook = await restCall(api, "post", "webhooks", {
      name: "harness",
      topic: "product.updated",
      delivery_url: rx.url,
      secret: "harness-secret",
    });
    expect(hook.status).toBe(201);
    const ping = await rx.waitFor(1, 10_000); // the creation ping (form body webhook_id=N)
    expect(ping[0].rawBody.toString()).toBe(`webhook_id=${hook.body.id}`);
    const created = await restCall(api, "post", "products", {
      name: "Harness tee",
      sku: "harness-1",
      manage_stock: true,
      stock_quantity: 3,
      regular_price: "9",
    });
    const changedAt = Date.now();
    await restCall(api, "put", `products/${created.body.id}`, { stock_quantity: 2 });
    const [, delivery] = await rx.waitFor(2, 30_000);
    expect(delivery.headers["x-wc-webhook-topic"]).toBe("product.updated");
    expect(delivery.headers["x-wc-webhook-signature"]).toBe(
      createHmac("sha256", "harness-secret").update(delivery.rawBody).digest("base64"),
    );
    expect(JSON.parse(delivery.rawBody.toString())).toMatchObject({ id: created.body.id, stock_quantity: 2 });
    expect(delivery.at - changedAt).toBeGreaterThan(0);
  });

  it("a second site starts from the cached tree with its own database; close() removes it", async () => {
    const other = await startRealWooCommerce({ activateSyncflow: false, runner: false });
    try {
      expect(other.builtTree).toBe(false);
      expect((await other.control("GET", "/state")).active_plugins).toEqual(["woocommerce/woocommerce.php"]);
      const key = await other.createKey();
      const products = await restCall(await wooRestApi({ url: other.url, ...key }), "get", "products", undefined, {
        sku: "harness-1",
      });
      expect(products.body).toEqual([]); // not the first site's product
    } finally {
      await other.close();
    }
    expect(fs.existsSync(other.siteDir)).toBe(false);
    expect(await fetch(`${other.url}/wp-json/`).catch(() => null)).toBeNull();
  });
});
