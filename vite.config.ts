/** Vite config for the Remix app. Remix's options come from remix.config.js (design card). */
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";
import remixConfig from "./remix.config.js";

export default defineConfig({
  server: { port: Number(process.env.PORT || 3000), hmr: { port: 64999 }, fs: { allow: ["app", "node_modules"] } },
  plugins: [remix(remixConfig), tsconfigPaths()],
  build: { assetsInlineLimit: 0 },
  optimizeDeps: { include: ["@shopify/app-bridge-react", "@shopify/polaris"] },
  ssr: { noExternal: [] },
});
