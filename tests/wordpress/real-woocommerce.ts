/**
 * A REAL WooCommerce for the tests: WooCommerce 10.0.2 on WordPress 6.8, native PHP 8.2 (`php -S`, 4 workers) on
 * SQLite (the SQLite Database Integration drop-in shipped inside `@wp-playground/cli`), served on
 * http://127.0.0.1:<random port>, offline. Decision 120 says why and how; docs/ENV.md ("A real
 * WooCommerce") is where the recipe was first checked.
 *
 * Inputs (never downloaded): `WOOCOMMERCE_ZIP` and `WORDPRESS_ZIP` (`.ci/run` points them at `../shared/vendor`),
 * and `php` with pdo_sqlite, mbstring, dom and curl (`npm test` installs Debian's packages when it runs as root).
 * When any is missing, `realWooCommerceUnavailable()` says why and `describeRealWooCommerce` skips the suite loudly.
 *
 * Layout (git-ignored `.data/real-woocommerce/`):
 *  - `tree-<key>/wordpress/`  one installed tree per input set (key = zips + PHP + this harness's PHP files), built
 *    once under a lock: WordPress, WooCommerce, the SQLite drop-in, ./real-woocommerce-site/{wp-config,router,install}.php,
 *    and symlinks `plugins/syncflow-for-woocommerce` → woo-plugin/ and `mu-plugins` → ./real-woocommerce-site/mu-plugins/;
 *  - `tree-<key>/template/database/wordpress.sqlite`  the installed shop: wp_install(), WooCommerce activated and its
 *    newly-installed routine run (HPOS on), pretty permalinks, `woocommerce_manage_stock=yes`, launched (not
 *    "coming soon"), install-time actions run;
 *  - `sites/<id>/`  one test site: a copy of the template database, its debug.log (WP_DEBUG on), WooCommerce logs.
 *    Each `php -S` names its site through the environment (see ./real-woocommerce-site/wp-config.php), so a new site
 *    costs a 1–2 MB copy, not a tree. `close()` removes it.
 *
 * Background work (webhook deliveries, SyncFlow's scheduled actions) runs only when this harness runs it: WP-Cron
 * and Action Scheduler's async runner are off, and a runner loop calls the control API every `intervalMs` to run
 * the due actions (WooCommerce's own runner, `ActionScheduler::runner()->process_action`), like a host's cron.
 * Times in ms.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe } from "vitest";
import { freePort } from "../../app/lib/free-port.server";
import { AdminBrowser, callControl, inputValue, type WpSite } from "./wp-site";
import {
  REAL_WOOCOMMERCE_VERSION,
  REAL_WORDPRESS_VERSION,
  PHP_PACKAGES,
  realWooCommerceUnavailable,
} from "./real-woocommerce-env";

export {
  AdminBrowser,
  inputValue,
  type WpSite,
  REAL_WOOCOMMERCE_VERSION,
  REAL_WORDPRESS_VERSION,
  PHP_PACKAGES,
  realWooCommerceUnavailable,
};

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "../..");
const FILES = path.join(HERE, "real-woocommerce-site");
const DATA = path.join(ROOT, ".data", "real-woocommerce");

export const SYNCFLOW_PLUGIN = "syncflow-for-woocommerce/syncflow-for-woocommerce.php";
export const WOOCOMMERCE_PLUGIN = "woocommerce/woocommerce.php";
/**
 * `describe` for suites that need the real WooCommerce: runs `fn` when it is available, else registers the suite as
 * skipped with the reason in its name and prints the reason (never a silent skip).
 */
export function describeRealWooCommerce(name: string, fn: () => void, opts: { timeout?: number } = {}) {
  const reason = realWooCommerceUnavailable();
  if (reason) {
    console.warn(`[real WooCommerce] SKIPPED "${name}": ${reason}`);
    describe.skip(`${name} — SKIPPED: ${reason}`, fn);
    return;
  }
  describe(name, { timeout: opts.timeout ?? 120_000 }, fn);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exists = (p: string) => fs.existsSync(p);

/** Unzips `zip` into `dest` (Debian's unzip when present: 5× faster than zip.js on WooCommerce's 5,000 files). */
async function unzip(zip: string, dest: string): Promise<void> {
  fs.mkdirSync(dest, { recursive: true });
  const r = spawnSync("unzip", ["-q", "-o", zip, "-d", dest], { stdio: ["ignore", "ignore", "pipe"] });
  if (!r.error && r.status === 0) return;
  const z: any = await import("@zip.js/zip.js");
  z.configure({ useWebWorkers: false });
  const reader = new z.ZipReader(new z.Uint8ArrayReader(new Uint8Array(fs.readFileSync(zip))));
  for (const entry of await reader.getEntries()) {
    const out = path.join(dest, entry.filename);
    if (!out.startsWith(dest + path.sep)) continue;
    if (entry.directory) {
      fs.mkdirSync(out, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, await entry.getData(new z.Uint8ArrayWriter()));
  }
  await reader.close();
}

/** Key of the installed tree: the inputs' identities, PHP's version and the harness's own PHP files. */
function treeKey(): string {
  const h = createHash("sha256");
  for (const name of ["WOOCOMMERCE_ZIP", "WORDPRESS_ZIP"]) {
    const p = process.env[name]!;
    const st = fs.statSync(p);
    h.update(`${path.resolve(p)}:${st.size}:${st.mtimeMs}\n`);
  }
  h.update(spawnSync("php", ["-r", "echo PHP_VERSION;"], { encoding: "utf8" }).stdout);
  for (const f of ["wp-config.php", "router.php", "install.php"]) h.update(fs.readFileSync(path.join(FILES, f)));
  h.update(fs.readFileSync(path.join(ROOT, "node_modules/@wp-playground/cli/sqlite-database-integration.zip")));
  return h.digest("hex").slice(0, 16);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs one step of ./real-woocommerce-site/install.php for the template site. @throws Error with the step's output */
function installStep(tree: string, templateDir: string, step: string): unknown {
  const r = spawnSync("php", [path.join(tree, "install.php"), step], {
    cwd: tree,
    encoding: "utf8",
    env: {
      ...process.env,
      SYNCFLOW_WP_SITE_DIR: templateDir,
      SYNCFLOW_WP_SITE_ID: "template",
      SYNCFLOW_WP_URL: "http://127.0.0.1:9",
    },
  });
  if (r.status !== 0)
    throw new Error(`real WooCommerce install step "${step}" failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

export interface RealWooCommerceTree {
  /** The WordPress root served by `php -S`. */
  wordpress: string;
  /** Directory of the installed template site (database/wordpress.sqlite). */
  template: string;
  /** True when this call built it (false: taken from the cache). */
  built: boolean;
  /** Build time (ms) when built, else 0. */
  buildMs: number;
}

/**
 * The installed tree for the current inputs: built once per input set under `.data/real-woocommerce/` (a lock
 * directory serialises concurrent test workers; a lock left by a dead process is taken over), then reused.
 * Older trees are removed when a new one is built.
 * @throws Error when the real WooCommerce is unavailable (see `realWooCommerceUnavailable`) or an install step fails
 */
export async function ensureRealWooCommerceTree(): Promise<RealWooCommerceTree> {
  const reason = realWooCommerceUnavailable();
  if (reason) throw new Error(`real WooCommerce unavailable: ${reason}`);
  const dir = path.join(DATA, `tree-${treeKey()}`);
  const result = { wordpress: path.join(dir, "wordpress"), template: path.join(dir, "template") };
  const ready = path.join(dir, "ready.json");
  const lock = `${dir}.lock`;
  fs.mkdirSync(DATA, { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    if (exists(ready)) return { ...result, built: false, buildMs: 0 };
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(path.join(lock, "pid"), "utf8") || 0);
      } catch {
        /* the holder is between mkdir and writing its pid, or just released the lock */
      }
      if (holder && !pidAlive(holder)) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`real WooCommerce: gave up waiting for ${lock}`);
      await sleep(250);
    }
  }
  try {
    if (exists(ready)) return { ...result, built: false, buildMs: 0 };
    const t0 = Date.now();
    // Trees of other input sets are stale; never touch lock directories (another key's builder may hold one).
    for (const old of fs.readdirSync(DATA)) {
      if (/^tree-[0-9a-f]+$/.test(old) && path.join(DATA, old) !== dir && !exists(path.join(DATA, `${old}.lock`)))
        fs.rmSync(path.join(DATA, old), { recursive: true, force: true });
    }
    fs.rmSync(dir, { recursive: true, force: true }); // a build that died half way
    const wp = result.wordpress;
    await unzip(process.env.WORDPRESS_ZIP!, dir); // → dir/wordpress
    if (!exists(path.join(wp, "wp-settings.php"))) throw new Error(`WORDPRESS_ZIP has no wordpress/wp-settings.php`);
    const plugins = path.join(wp, "wp-content", "plugins");
    await unzip(process.env.WOOCOMMERCE_ZIP!, plugins); // → plugins/woocommerce
    if (!exists(path.join(plugins, "woocommerce", "woocommerce.php")))
      throw new Error(`WOOCOMMERCE_ZIP has no woocommerce/woocommerce.php`);
    await unzip(path.join(ROOT, "node_modules/@wp-playground/cli/sqlite-database-integration.zip"), plugins);
    const sqlite = path.join(plugins, "plugin-sqlite-database-integration");
    fs.writeFileSync(
      path.join(wp, "wp-content", "db.php"),
      fs
        .readFileSync(path.join(sqlite, "db.copy"), "utf8")
        .replaceAll("{SQLITE_IMPLEMENTATION_FOLDER_PATH}", sqlite)
        .replaceAll("{SQLITE_PLUGIN}", "plugin-sqlite-database-integration/load.php"),
    );
    for (const extra of ["akismet", "hello.php"])
      fs.rmSync(path.join(plugins, extra), { recursive: true, force: true });
    for (const f of ["wp-config.php", "router.php", "install.php"])
      fs.copyFileSync(path.join(FILES, f), path.join(wp, f));
    fs.symlinkSync(path.join(ROOT, "woo-plugin"), path.join(plugins, "syncflow-for-woocommerce"));
    fs.symlinkSync(path.join(FILES, "mu-plugins"), path.join(wp, "wp-content", "mu-plugins"));
    fs.mkdirSync(path.join(wp, "wp-content", "uploads", "sites"), { recursive: true });
    fs.mkdirSync(path.join(result.template, "database"), { recursive: true });
    const steps: Record<string, unknown> = {};
    for (const step of ["wordpress", "woocommerce", "newly", "actions"])
      steps[step] = installStep(wp, result.template, step);
    // The install's own notices (WooCommerce loading translations early when activated from the CLI) are not a
    // test site's: keep them apart.
    const log = path.join(result.template, "debug.log");
    if (exists(log)) fs.renameSync(log, path.join(result.template, "install-debug.log"));
    const buildMs = Date.now() - t0;
    fs.writeFileSync(ready, JSON.stringify({ builtAt: new Date().toISOString(), buildMs, steps }, null, 2));
    return { ...result, built: true, buildMs };
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Options of `startRealWooCommerce`. */
export interface RealWooCommerceOptions {
  /** Activate SyncFlow for WooCommerce after start (default true). */
  activateSyncflow?: boolean;
  /** `PHP_CLI_SERVER_WORKERS` (default 4): requests served at once. */
  workers?: number;
  /**
   * The Action Scheduler runner loop (default on, every 1000 ms, all groups). `false` = off (run actions only with
   * `runActions`). `excludeGroups: ["syncflow"]` leaves SyncFlow's own actions to the test.
   */
  runner?: false | { intervalMs?: number; groups?: string[]; excludeGroups?: string[] };
}

/** Filter of `runActions`: matching pending actions; `dueOnly` = only those due now (what a queue runner runs). */
export interface RunActionsFilter {
  group?: string;
  hook?: string;
  groups?: string[];
  excludeGroups?: string[];
  dueOnly?: boolean;
}

/** A running real WooCommerce site. */
export interface RealWooSite extends WpSite {
  /** The site's own directory (database, debug.log, wc-logs). */
  siteDir: string;
  /** How long this start took (ms), and whether it had to build the tree first. */
  startMs: number;
  builtTree: boolean;
  /** Creates a WooCommerce REST API key row for `admin` (default read_write). */
  createKey(
    permissions?: "read" | "write" | "read_write",
  ): Promise<{ keyId: number; consumerKey: string; consumerSecret: string }>;
  /**
   * Runs pending Action Scheduler actions now through WooCommerce's runner, serialised with the runner loop.
   * Without `dueOnly`, every matching action runs whatever its date (a test asking for "the health check now").
   * Resolves to the hooks run, in order.
   */
  runActions(filter?: RunActionsFilter): Promise<string[]>;
  /**
   * The runner loop: pause it (resolves once the tick in flight, if any, has finished), resume it, or run one tick
   * now (resolves to the hooks it ran).
   */
  runner: { pause(): Promise<void>; resume(): void; tick(): Promise<string[]>; readonly running: boolean };
  /** PHP errors, warnings, notices and deprecations in the site's debug.log so far (one string per entry). */
  phpErrors(): string[];
}

/** Removes the sites of test processes that died without `close()` (site ids start with the owner's pid). */
function removeOrphanSites(wordpress: string) {
  const sites = path.join(DATA, "sites");
  if (!exists(sites)) return;
  for (const id of fs.readdirSync(sites)) {
    const pid = Number(id.split("-")[0]);
    if (!pid || pidAlive(pid)) continue;
    fs.rmSync(path.join(sites, id), { recursive: true, force: true });
    fs.rmSync(path.join(wordpress, "wp-content", "uploads", "sites", id), { recursive: true, force: true });
  }
}

/** Entries of a WordPress debug.log (each starts with "[dd-Mon-yyyy hh:mm:ss UTC]"). */
function logEntries(file: string): string[] {
  if (!exists(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split(/^(?=\[\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d [A-Z]+\] )/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Starts a real WooCommerce site on 127.0.0.1 (builds the tree first if needed: ≈ 10 s; else ≈ 1–3 s), with the
 * SyncFlow plugin activated unless `activateSyncflow: false`, and the runner loop on unless `runner: false`.
 * @throws Error when unavailable, when the server does not answer within 60 s, or when activation fails
 */
export async function startRealWooCommerce(opts: RealWooCommerceOptions = {}): Promise<RealWooSite> {
  const t0 = Date.now();
  const tree = await ensureRealWooCommerceTree();
  removeOrphanSites(tree.wordpress);
  const id = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const siteDir = path.join(DATA, "sites", id);
  const uploads = path.join(tree.wordpress, "wp-content", "uploads", "sites", id);
  fs.mkdirSync(path.join(siteDir, "database"), { recursive: true });
  fs.mkdirSync(path.join(siteDir, "wc-logs"), { recursive: true });
  fs.cpSync(path.join(tree.template, "database"), path.join(siteDir, "database"), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    "php",
    ["-S", `127.0.0.1:${port}`, "-t", tree.wordpress, path.join(tree.wordpress, "router.php")],
    {
      cwd: tree.wordpress,
      env: {
        ...process.env,
        PHP_CLI_SERVER_WORKERS: String(opts.workers ?? 4),
        SYNCFLOW_WP_SITE_DIR: siteDir,
        SYNCFLOW_WP_SITE_ID: id,
        SYNCFLOW_WP_URL: url,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: the workers die with it
    },
  );
  // If the test process exits without close() (crash, Ctrl-C), take the server down with it.
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const killOnExit = () => killGroup("SIGKILL");
  process.once("exit", killOnExit);
  let output = "";
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);

  const control = <T = any>(method: "GET" | "POST", route: string, body?: unknown) =>
    callControl<T>(url, method, route, body);

  // Runner loop + explicit runs, one at a time (Action Scheduler's process_action does not claim).
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };
  const runActions = (f: RunActionsFilter = {}) =>
    serial(
      async () =>
        (
          await control<{ ran: string[] }>("POST", "/run-actions", {
            group: f.group,
            hook: f.hook,
            groups: f.groups,
            exclude_groups: f.excludeGroups,
            due_only: f.dueOnly,
          })
        ).ran,
    );
  const runnerOpts = opts.runner === false ? null : { intervalMs: 1000, ...(opts.runner ?? {}) };
  let paused = runnerOpts === null;
  let stopped = false;
  const tick = () =>
    runActions({ dueOnly: true, groups: runnerOpts?.groups, excludeGroups: runnerOpts?.excludeGroups });
  const loop = (async () => {
    if (!runnerOpts) return;
    while (!stopped) {
      if (!paused) await tick().catch(() => undefined);
      await sleep(runnerOpts.intervalMs);
    }
  })();

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    stopped = true;
    await Promise.race([loop, sleep(5000)]);
    await Promise.race([chain, sleep(5000)]);
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.pid) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      killGroup("SIGTERM");
      await Promise.race([exited, sleep(3000)]);
      killGroup("SIGKILL");
    }
    fs.rmSync(siteDir, { recursive: true, force: true });
    fs.rmSync(uploads, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 60_000;
    for (let ok = false; !ok;) {
      if (child.exitCode !== null) throw new Error(`php -S exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`real WooCommerce did not answer in time:\n${output.slice(-4000)}`);
      const r = await fetch(`${url}/wp-json/syncflow-test/v1/ping`).catch(() => null);
      ok = !!r?.ok;
      if (!ok) await sleep(100);
    }
    if (opts.activateSyncflow !== false)
      await control("POST", "/plugin", { action: "activate", plugin: SYNCFLOW_PLUGIN });
  } catch (e) {
    await close();
    throw e;
  }
  return {
    url,
    port,
    siteDir,
    startMs: Date.now() - t0,
    builtTree: tree.built,
    control,
    log: () => output,
    close,
    async createKey(permissions = "read_write") {
      const k = await control("POST", "/key", { permissions });
      return { keyId: Number(k.key_id), consumerKey: k.consumer_key, consumerSecret: k.consumer_secret };
    },
    runActions,
    runner: {
      pause: async () => {
        paused = true;
        await chain;
      },
      resume: () => void (paused = runnerOpts === null),
      tick,
      get running() {
        return !paused && !stopped;
      },
    },
    phpErrors: () => logEntries(path.join(siteDir, "debug.log")),
  };
}
