/**
 * `npm test` — every test the project has, in one command (README quick start; .ci/run calls it):
 *   0. lint: eslint (eslint.config.mjs, decision 190; warnings fail too), then prettier --check (decision 191);
 *   1. type check (tsc --noEmit, strict);
 *   2. unit + integration tests (vitest; real embedded PostgreSQL, real HTTP to the emulators, the real
 *      app build and queue);
 *   3. the plugin's tests, the wc-syncflow contract suite and the differential suite in a REAL WooCommerce 10.0.2 on
 *      WordPress 6.8 (tests/wordpress, tests/differential) when WOOCOMMERCE_ZIP / WORDPRESS_ZIP are set — installs
 *      Debian's php-cli and extensions with apt-get when missing and running as root, and says so; without them
 *      those tests say they were skipped;
 *   4. browser tests (tests/e2e, Playwright driving Debian's Chromium; installs it with apt-get when
 *      missing and running as root, and says so).
 * Exits non-zero when any step fails. `--skip-e2e` / `--only-e2e` narrow the run.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PHP_PACKAGES, realWooCommerceUnavailable } from "../tests/wordpress/real-woocommerce-env";
import { env } from "../app/env.server";

const root = process.cwd();
const args = process.argv.slice(2);
const node = process.execPath;
const bin = (pkg: string, file: string) => path.join(root, "node_modules", pkg, file);
const steps: { name: string; ok: boolean; s: number }[] = [];

const totals = { passed: 0, failed: 0, skipped: 0 };
/** The failing tests' "FAIL  file > suite > test" lines of every step, repeated in the summary (CI shows its tail). */
const failures: string[] = [];
/** Tests that passed only on their retry (tests/setup/flaky-reporter.ts, decision 176), repeated in the summary. */
const flaky: string[] = [];

/**
 * Adds the counts of vitest's final summary line ("Tests  N failed | M passed | K skipped (T)") to the totals.
 * @returns the number of failed tests in that line (0 when there is none)
 */
function countTests(output: string): number {
  const clean = output.replace(/\u001b\[[0-9;]*m/g, "");
  for (const line of clean.split("\n")) {
    const m = /^\s*FAIL\s+(\S.*\S)\s*$/.exec(line);
    if (m && !failures.includes(m[1]!)) failures.push(m[1]!);
    const f = /^FLAKY\s+(\S.*\S)\s*$/.exec(line);
    if (f && !flaky.includes(f[1]!)) flaky.push(f[1]!);
  }
  const summaries = clean
    .split("\n")
    .filter((l) => /^\s*Tests\s+(\d+ (passed|failed|skipped|todo)( \| )?)+\s*\(\d+\)\s*$/.test(l));
  const last = summaries.at(-1);
  if (!last) return 0;
  let failed = 0;
  for (const [, n, kind] of last.matchAll(/(\d+) (passed|failed|skipped)/g)) {
    totals[kind as keyof typeof totals] += Number(n);
    if (kind === "failed") failed += Number(n);
  }
  return failed;
}

/** Runs a step, streaming its output as it comes and keeping it to count the tests. */
function run(name: string, cmd: string, cmdArgs: string[], env: Record<string, string> = {}): Promise<boolean> {
  console.log(`\n=== ${name} ===`);
  const t = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, {
      cwd: root,
      stdio: ["inherit", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      process.stdout.write(d);
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    child.on("close", (code) => {
      // A step fails on a non-zero exit OR on failed tests in its summary, whatever its exit code says.
      const failed = countTests(out);
      const ok = code === 0 && failed === 0;
      steps.push({ name, ok, s: Math.round((Date.now() - t) / 100) / 10 });
      resolve(ok);
    });
  });
}

function ensureChromium(): boolean {
  // CHROMIUM_PATH: a Chromium already on the machine (the browser tests use it; README "What npm test needs").
  const chromium = env.CHROMIUM_PATH;
  if (chromium) {
    if (fs.existsSync(chromium)) return true;
    console.error(`[test] CHROMIUM_PATH=${chromium} does not exist.`);
    return false;
  }
  if (fs.existsSync("/usr/bin/chromium")) return true;
  if (process.getuid?.() !== 0) {
    console.error(
      "[test] Chromium not found at /usr/bin/chromium and not root: install it with `sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium you have.",
    );
    return false;
  }
  console.log("[test] Chromium not found: installing Debian's chromium with apt-get (about a minute)...");
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  const res = spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return res.status === 0 && fs.existsSync("/usr/bin/chromium");
}

/**
 * PHP for the real-WooCommerce tests (tests/wordpress/real-woocommerce.ts, decision 120), only when the zips are
 * given: installs Debian's packages with apt-get when `php` or an extension is missing and this runs as root.
 * @returns why those tests will be skipped, or null when they can run
 */
function ensurePhp(): string | null {
  const zips = (["WOOCOMMERCE_ZIP", "WORDPRESS_ZIP"] as const).filter((n) => !env[n] || !fs.existsSync(env[n]!));
  if (zips.length) return `${zips.join(" and ")} not set or missing (.ci/run points them at ../shared/vendor)`;
  const reason = realWooCommerceUnavailable();
  if (!reason || !/^php/.test(reason)) return reason;
  if (process.getuid?.() !== 0) return `${reason}; not root, so not installed`;
  console.log(`[test] ${reason}: installing Debian's ${PHP_PACKAGES.join(" ")} with apt-get (under a minute)...`);
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  spawnSync("apt-get", ["install", "-y", "-qq", ...PHP_PACKAGES], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return realWooCommerceUnavailable({ fresh: true });
}

let realWooSkipped: string | null = null;
if (!args.includes("--only-e2e")) {
  realWooSkipped = ensurePhp();
  if (realWooSkipped)
    console.log(
      `\n[test] The real-WooCommerce tests (plugin in WooCommerce, wc-syncflow contract, differential suite) will be SKIPPED: ${realWooSkipped}.`,
    );
  // typescript-eslint's type-aware rules hold the whole program: about 3.3 GB at peak, near Node's default heap limit
  // (two runs ran out of memory), so the lint step gets a 6 GiB heap.
  await run("lint: eslint", node, [
    "--max-old-space-size=6144",
    bin("eslint", "bin/eslint.js"),
    ".",
    "--max-warnings=0",
  ]);
  await run("lint: prettier --check", node, [bin("prettier", "bin/prettier.cjs"), "--check", ".", "--log-level=warn"]);
  await run("type check", node, [bin("typescript", "bin/tsc"), "--noEmit", "-p", "."]);
  // The suites that run a real WooCommerce (PHP servers, CPU-bound) get their own step, after the rest: run alongside
  // the timing-sensitive integration tests on 2 cores they made those flaky (allocation contention, stock events).
  const realWooSuites = ["tests/wordpress", "tests/differential"];
  await run("unit + integration tests", node, [
    bin("vitest", "vitest.mjs"),
    "run",
    ...realWooSuites.flatMap((d) => ["--exclude", `${d}/**`]),
  ]);
  await run(
    `plugin, contract and differential tests in a real WooCommerce${realWooSkipped ? " (SKIPPED)" : ""}`,
    node,
    [bin("vitest", "vitest.mjs"), "run", ...realWooSuites],
  );
}
const e2eConfig = path.join(root, "tests", "e2e", "vitest.e2e.config.ts");
if (!args.includes("--skip-e2e") && fs.existsSync(e2eConfig)) {
  if (ensureChromium()) await run("browser tests", node, [bin("vitest", "vitest.mjs"), "run", "--config", e2eConfig]);
  else steps.push({ name: "browser tests (Chromium unavailable)", ok: false, s: 0 });
}
console.log("\n=== summary ===");
for (const s of steps) console.log(`${s.ok ? "PASS" : "FAIL"}  ${s.name}  (${s.s} s)`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
for (const f of failures.slice(0, 40)) console.log(`failed: ${f}`);
for (const f of flaky.slice(0, 40)) console.log(`flaky (passed on retry): ${f}`);
if (realWooSkipped) console.log(`SKIPPED  the real-WooCommerce tests: ${realWooSkipped}`);
process.exit(steps.every((s) => s.ok) ? 0 : 1);
