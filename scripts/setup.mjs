#!/usr/bin/env node
/**
 * Runs before `npm run demo` and `npm test` (package.json), on whatever Node runs npm (plain JavaScript, no
 * dependencies): installs the project's packages with `npm ci` only when they are missing or older than
 * package-lock.json, so the second quick-start command does not reinstall what the first one installed
 * (docs/decisions/174).
 *
 * Fresh = npm's own record of the install (node_modules/.package-lock.json, written at the end of every
 * successful `npm ci`/`npm install`) exists and is not older than package-lock.json.
 * The install runs with npm's log level at "error": npm's engine notices (test-only packages such as
 * WordPress Playground ask for Node 24; npm itself runs on the system Node) and peer-dependency notices of
 * Shopify's dev-mcp are expected and explained in the README, not errors. `SYNCFLOW_SETUP_VERBOSE=1` shows them.
 * Exit code: npm's, when the install fails.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const mtime = (f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : null);

/** Why the packages need installing, or null when they are up to date. */
export function installReason(dir = root) {
  const installed = mtime(path.join(dir, "node_modules", ".package-lock.json"));
  if (installed === null) return "node_modules is missing";
  // package-lock.json only: editing package.json's scripts must not reinstall; a dependency change updates the lock.
  const lock = mtime(path.join(dir, "package-lock.json")) ?? 0;
  if (installed < lock) return "package-lock.json changed since the last install";
  return null;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const reason = installReason();
  if (reason) {
    const verbose = process.env.SYNCFLOW_SETUP_VERBOSE === "1";
    console.log(
      `[setup] Installing packages (${reason}): npm ci, about 2 minutes on a first run. Node 22 comes with them.`,
    );
    const t0 = Date.now();
    const npm =
      process.env.npm_execpath && process.env.npm_execpath.endsWith(".js")
        ? [process.execPath, [process.env.npm_execpath]]
        : ["npm", []];
    const r = spawnSync(
      npm[0],
      [...npm[1], "ci", "--no-audit", "--no-fund", ...(verbose ? [] : ["--loglevel=error"])],
      { cwd: root, stdio: "inherit" },
    );
    if (r.status !== 0) {
      console.error(`[setup] npm ci failed (exit ${r.status ?? r.signal}). Run it yourself to see why: npm ci`);
      process.exit(r.status ?? 1);
    }
    console.log(`[setup] Packages installed in ${Math.round((Date.now() - t0) / 1000)} s.`);
  }
}
