/**
 * The demo's HTTP server (`npm run demo`, the browser tests, the admin benchmark), compiled to
 * `build/node/serve-demo.js`: the production server (scripts/serve.ts) plus the demo-only admin entry routes of
 * scripts/lib/demo-routes.ts, which mint session tokens. Those routes exist only in this entry — not in the
 * Remix build and not in `build/node/serve.js` that `npm start` runs (docs/decisions/144).
 * Usage and env as scripts/serve.ts, plus SYNCFLOW_MODE=demo and SYNCFLOW_DEMO_SHOP.
 */
import { addDemoRoutes } from "./lib/demo-routes";

(globalThis as { __syncflowBeforeRemix?: unknown }).__syncflowBeforeRemix = addDemoRoutes;
await import("./serve");
