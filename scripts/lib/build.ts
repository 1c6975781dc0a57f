/**
 * Production builds, each made when missing or older than its sources:
 * - the Remix app (`remix vite:build` → `build/server/index.js`, `build/client/`): when `build/server/index.js`
 *   is missing or older than any source under app/, remix.config.js, vite.config.ts or public/;
 * - the Node entry points as plain JavaScript (esbuild, node_modules left external → `build/node/`):
 *   `worker.js` (app/jobs/worker-main.server.ts, what `npm run worker` runs) and `serve.js`
 *   (scripts/serve.ts, the app's HTTP server), when missing or older than app/, scripts/serve.ts or this
 *   file. Running compiled code instead of `tsx` keeps esbuild and its service process out of the running
 *   processes (docs/decisions/071-memory-worker-bundle-lazy-sdks.md).
 * Throws with the build output on failure.
 *
 * As a command (`tsx scripts/lib/build.ts --node`, used by `npm run worker`): builds the Node entry points
 * only; without `--node`, everything.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { env } from "../../app/env.server";

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const e of fs.readdirSync(p)) max = Math.max(max, newestMtime(path.join(p, e)));
  return max;
}

/** The compiled Node entry points, relative to the project root. */
/**
 * Node flags the worker runs with (`npm run worker`, the demo, the benchmarks): `--optimize-for-size`
 * makes V8 grow the heap less eagerly and collect sooner, so a 10,000-SKU reconciliation peaks near its
 * live set instead of leaving ~200 MB of garbage (decision 071). No hard heap limit: a larger catalog
 * still fits.
 */
export const WORKER_NODE_FLAGS = ["--optimize-for-size"] as const;

export const NODE_ENTRIES = {
  worker: { source: "app/jobs/worker-main.server.ts", out: "build/node/worker.js" },
  serve: { source: "scripts/serve.ts", out: "build/node/serve.js" },
  /** The demo's server: serve.js plus the demo admin entry routes (scripts/serve-demo.ts, decision 144). */
  serveDemo: { source: "scripts/serve-demo.ts", out: "build/node/serve-demo.js" },
} as const;

/** Builds the Remix app and the Node entry points when stale (see the module doc). */
export function ensureBuild(root = process.cwd(), opts: { quiet?: boolean } = {}): { built: boolean; ms: number } {
  const app = ensureRemixBuild(root, opts);
  const node = ensureNodeBuild(root, opts);
  return { built: app.built || node.built, ms: app.ms + node.ms };
}

function ensureRemixBuild(root: string, opts: { quiet?: boolean }): { built: boolean; ms: number } {
  const out = path.join(root, "build", "server", "index.js");
  // Developers iterating on non-route code may reuse an existing build (never set in CI).
  if (env.SYNCFLOW_SKIP_BUILD && fs.existsSync(out)) return { built: false, ms: 0 };
  const sources = ["app", "remix.config.js", "vite.config.ts", "public"]
    .map((p) => path.join(root, p))
    .filter((p) => fs.existsSync(p));
  const newest = Math.max(...sources.map(newestMtime));
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newest) return { built: false, ms: 0 };
  const t = Date.now();
  const cli = path.join(root, "node_modules", "@remix-run", "dev", "dist", "cli.js");
  const res = spawnSync(process.execPath, [cli, "vite:build"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (res.status !== 0) throw new Error(`remix vite:build failed:\n${res.stdout}\n${res.stderr}`);
  if (!opts.quiet) console.log(`[build] app built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return { built: true, ms: Date.now() - t };
}

/**
 * Bundles the Node entry points (worker, server) with esbuild when stale. esbuild is taken from `tsx`
 * (a runtime dependency), so it is present in a production install too.
 */
export function ensureNodeBuild(root = process.cwd(), opts: { quiet?: boolean } = {}): { built: boolean; ms: number } {
  const outs = Object.values(NODE_ENTRIES).map((e) => path.join(root, e.out));
  if (env.SYNCFLOW_SKIP_BUILD && outs.every((o) => fs.existsSync(o))) return { built: false, ms: 0 };
  const sources = [
    "app",
    "scripts/serve.ts",
    "scripts/serve-demo.ts",
    "scripts/lib/demo-routes.ts",
    "scripts/lib/build.ts",
  ]
    .map((p) => path.join(root, p))
    .filter((p) => fs.existsSync(p));
  const newest = Math.max(...sources.map(newestMtime));
  if (outs.every((o) => fs.existsSync(o) && fs.statSync(o).mtimeMs >= newest)) return { built: false, ms: 0 };
  const t = Date.now();
  const esbuild = createRequire(createRequire(path.join(root, "package.json")).resolve("tsx/package.json"))(
    "esbuild",
  ) as typeof import("esbuild");
  for (const entry of Object.values(NODE_ENTRIES)) {
    esbuild.buildSync({
      absWorkingDir: root,
      entryPoints: [path.join(root, entry.source)],
      outfile: path.join(root, entry.out),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      logLevel: "error",
      alias: { "~": path.join(root, "app") },
    });
  }
  if (!opts.quiet) console.log(`[build] worker and server compiled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return { built: true, ms: Date.now() - t };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv.includes("--node")) ensureNodeBuild(process.cwd(), { quiet: true });
  else ensureBuild(process.cwd());
}
