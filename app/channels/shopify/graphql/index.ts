/** All GraphQL documents the Shopify channel sends, keyed by export name (documents.test.ts validates each). */
export * from "./queries.js";
export * from "./mutations.js";
export * from "./bulk.js";
export * from "./flow.js";
export * from "./billing.js";
export * from "./orders.js";
