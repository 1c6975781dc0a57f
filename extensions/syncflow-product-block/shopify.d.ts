// The `shopify` global of this extension's target (as Shopify CLI generates it for a Preact admin extension).
import "@shopify/ui-extensions";

declare global {
  const shopify: import("@shopify/ui-extensions/admin.product-details.block.render").Api;
}
