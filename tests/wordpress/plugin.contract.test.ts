/**
 * The wc-syncflow/v1 contract suite against the real PHP plugin (woo-plugin/) running in a REAL WooCommerce 10.0.2 on
 * WordPress 6.8 (./real-woocommerce.ts). Products are created through WooCommerce's own CRUD (control API).
 * Skipped, with the reason printed, when the real WooCommerce is unavailable.
 */
import { realWooCommerceUnavailable, startRealWooCommerce } from "./real-woocommerce";
import { runStockContract } from "../contract/wc-syncflow-v1.contract";

runStockContract(
  "PHP plugin in a real WooCommerce 10.0.2",
  async () => {
    const site = await startRealWooCommerce();
    const key = await site.createKey("read_write");
    return {
      baseUrl: site.url,
      consumerKey: key.consumerKey,
      consumerSecret: key.consumerSecret,
      async createProduct(sku, qty, opts = {}) {
        return (
          await site.control("POST", "/product", { sku, qty, parent_sku: opts.parentSku, variable: opts.variable })
        ).id;
      },
      async getStock(sku) {
        return (await site.control("GET", `/stock?sku=${encodeURIComponent(sku)}`)).stock_quantity;
      },
      async createKey(permissions) {
        const k = await site.createKey(permissions);
        return { consumerKey: k.consumerKey, consumerSecret: k.consumerSecret };
      },
      close: () => site.close(),
    };
  },
  { skip: realWooCommerceUnavailable() },
);
