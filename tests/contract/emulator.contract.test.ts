/**
 * The wc-syncflow/v1 contract suite against the hub's TypeScript WooCommerce emulator.
 */
import * as wooLib from "@woocommerce/woocommerce-rest-api";
import { startWooEmulator } from "../emulators/woocommerce/index";
import { runStockContract } from "./wc-syncflow-v1.contract";

const Lib: any = (() => {
  const d = (wooLib as any).default;
  return typeof d === "function" ? d : d.default;
})();

runStockContract("TypeScript emulator", async () => {
  const emu = await startWooEmulator({ deliveryDelayMs: 10 });
  const key = emu.control.createKey({ permissions: "read_write" });
  const v3 = new Lib({
    url: emu.url,
    consumerKey: key.consumer_key,
    consumerSecret: key.consumer_secret,
    version: "wc/v3",
  });
  return {
    baseUrl: emu.url,
    consumerKey: key.consumer_key,
    consumerSecret: key.consumer_secret,
    async createProduct(sku, qty, opts = {}) {
      const stock = qty === null ? { manage_stock: false } : { manage_stock: true, stock_quantity: qty };
      if (opts.parentSku) {
        const parentId = emu.control.productIdBySku(opts.parentSku)!;
        return (await v3.post(`products/${parentId}/variations`, { sku, ...stock })).data.id;
      }
      return (await v3.post("products", { name: sku, sku, type: opts.variable ? "variable" : "simple", ...stock })).data
        .id;
    },
    async getStock(sku) {
      return emu.control.getStock(sku);
    },
    async createKey(permissions) {
      const k = emu.control.createKey({ permissions });
      return { consumerKey: k.consumer_key, consumerSecret: k.consumer_secret };
    },
    close: () => emu.close(),
  };
});
