/**
 * The wc-syncflow/v1 contract suite against the real PHP plugin (woo-plugin/) running in WordPress Playground,
 * with the WooCommerce test double underneath (tests/wordpress/woocommerce-test-double).
 */
import { startWordPress } from "./playground";
import { runStockContract } from "../contract/wc-syncflow-v1.contract";

runStockContract("PHP plugin in WordPress Playground", async () => {
  const site = await startWordPress();
  const key = await site.control("POST", "/key", { permissions: "read_write" });
  return {
    baseUrl: site.url,
    consumerKey: key.consumer_key,
    consumerSecret: key.consumer_secret,
    async createProduct(sku, qty, opts = {}) {
      return (await site.control("POST", "/product", { sku, qty, parent_sku: opts.parentSku })).id;
    },
    async getStock(sku) {
      return (await site.control("GET", `/stock?sku=${encodeURIComponent(sku)}`)).stock_quantity;
    },
    async createKey(permissions) {
      const k = await site.control("POST", "/key", { permissions });
      return { consumerKey: k.consumer_key, consumerSecret: k.consumer_secret };
    },
    close: () => site.close(),
  };
});
