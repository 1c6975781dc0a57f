/**
 * Unit + integration tests (vitest). Integration tests use a real PostgreSQL: the global setup starts
 * the embedded server on a fresh data directory (or uses TEST_DATABASE_URL), applies the migrations and
 * hands DATABASE_URL to the test workers. Browser tests live in tests/e2e and run separately.
 */
import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    include: [
      "app/**/*.test.ts",
      "app/**/*.test.tsx",
      "tests/**/*.test.ts",
      "scripts/**/*.test.ts",
      "extensions/**/*.test.ts",
    ],
    exclude: ["tests/e2e/**", "node_modules/**", "woo-plugin/**"],
    globalSetup: ["tests/setup/global-db.ts"],
    // Every store in the tests is an emulator on loopback: the SSRF guard allows loopback only with this
    // explicit setting, which the production entry points refuse (app/lib/outbound-guard.server.ts).
    // The SMTP fake offers no STARTTLS: the operator opt-out that lets plain SMTP through (app/notify/email.server.ts).
    env: { SYNCFLOW_MODE: "test", NODE_ENV: "test", SYNCFLOW_ALLOW_LOOPBACK_STORES: "1", SMTP_ALLOW_PLAINTEXT: "1" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    // One retry, never silent (decision 176): on a loaded 2-core CI machine a timing-sensitive integration test can miss
    // a deadline it meets everywhere else; the flaky reporter names every test that needed the retry, and the summary of
    // `npm test` repeats those names. A test that fails twice still fails the run.
    retry: 1,
    reporters: ["default", "./tests/setup/flaky-reporter.ts"],
  },
});
