/**
 * Admin API version the app speaks: the newest stable version `@shopify/shopify-api` 15 exports
 * (`ApiVersion.October26` = "2026-10", verified in node_modules/@shopify/shopify-api/dist/esm/lib/types.mjs).
 */
import { ApiVersion } from "@shopify/shopify-api";

export const SHOPIFY_API_VERSION: ApiVersion = ApiVersion.October26;
