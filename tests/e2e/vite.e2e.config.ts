/**
 * Vite config for the browser tests' production build: the app's own config (remix.config.js options)
 * with the build written to `.data/e2e-build` (git-ignored) so it never clobbers a developer's `build/`.
 */
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";
import remixConfig from "../../remix.config.js";

export const E2E_BUILD_DIR = ".data/e2e-build";

export default defineConfig({
  plugins: [remix({ ...remixConfig, buildDirectory: E2E_BUILD_DIR }), tsconfigPaths()],
  build: { assetsInlineLimit: 0 },
  logLevel: "warn",
});
