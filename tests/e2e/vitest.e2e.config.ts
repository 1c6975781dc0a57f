/**
 * Browser tests (tests/e2e/*.e2e.test.ts): real Chromium through playwright-core against a production
 * build of the app on embedded PostgreSQL and the emulated Shopify. Run:
 *   npx vitest run --config tests/e2e/vitest.e2e.config.ts
 * Needs /usr/bin/chromium (`apt-get install -y chromium`) or CHROMIUM_PATH.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/e2e/**/*.e2e.test.ts"],
    env: { NODE_ENV: "test", SYNCFLOW_ALLOW_LOOPBACK_STORES: "1" }, // emulated stores on loopback (SSRF guard)
    testTimeout: 60_000,
    hookTimeout: 150_000,
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    retry: 1, // decision 176: one retry, every retried test named by the flaky reporter and in the summary
    reporters: ["default", "./tests/setup/flaky-reporter.ts"],
  },
});
