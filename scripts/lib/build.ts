/**
 * Builds the Remix app (`remix vite:build`) when `build/server/index.js` is missing or older than any
 * source under app/, remix.config.js or vite.config.ts. Throws with the build output on failure.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const e of fs.readdirSync(p)) max = Math.max(max, newestMtime(path.join(p, e)));
  return max;
}

export function ensureBuild(root = process.cwd(), opts: { quiet?: boolean } = {}): { built: boolean; ms: number } {
  const out = path.join(root, "build", "server", "index.js");
  // Developers iterating on non-route code may reuse an existing build (never set in CI).
  if (process.env.SYNCFLOW_SKIP_BUILD === "1" && fs.existsSync(out)) return { built: false, ms: 0 };
  const sources = ["app", "remix.config.js", "vite.config.ts", "public"].map((p) => path.join(root, p)).filter((p) => fs.existsSync(p));
  const newest = Math.max(...sources.map(newestMtime));
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newest) return { built: false, ms: 0 };
  const t = Date.now();
  const cli = path.join(root, "node_modules", "@remix-run", "dev", "dist", "cli.js");
  const res = spawnSync(process.execPath, [cli, "vite:build"], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
  if (res.status !== 0) throw new Error(`remix vite:build failed:\n${res.stdout}\n${res.stderr}`);
  if (!opts.quiet) console.log(`[build] app built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return { built: true, ms: Date.now() - t };
}
