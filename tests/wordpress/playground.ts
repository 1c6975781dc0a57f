/**
 * WordPress Playground harness for the plugin's tests: runs the real SyncFlow for WooCommerce plugin (woo-plugin/)
 * in a real WordPress 6.5 (PHP 8.2 WASM, SQLite) served on 127.0.0.1:<random port>, offline.
 *
 * - The WordPress tree comes from npm `@wp-playground/wordpress-builds` (wp-6.5.zip), unzipped once into the
 *   git-ignored `.data/wordpress/6.5/` and copied per site into `.data/wordpress/sites/<id>/` (Playground writes the
 *   SQLite database into it), which `close()` removes.
 * - Mounted: woo-plugin → plugins/syncflow-for-woocommerce; tests/wordpress/woocommerce-test-double → plugins/woocommerce
 *   (a clearly named TEST DOUBLE of the WooCommerce pieces the plugin calls, so `Requires Plugins: woocommerce` holds);
 *   tests/wordpress/mu-plugins → mu-plugins (test-only control API + loopback allowance).
 * - php-wasm needs ws >= 8 for outbound sockets: see ./php-wasm-ws-hook.cjs (preloaded with --require).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../app/lib/free-port.server";
export { freePort };

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "../..");
const DATA = path.join(ROOT, ".data", "wordpress");
const WP_VERSION = "6.5";
export const SYNCFLOW_PLUGIN = "syncflow-for-woocommerce/syncflow-for-woocommerce.php";
export const WC_DOUBLE_PLUGIN = "woocommerce/syncflow-test-woocommerce-double.php";

export interface WpSite {
  /** http://127.0.0.1:PORT — the URL WordPress knows itself by (OAuth signatures use it). */
  url: string;
  port: number;
  /** Calls the test-only control API (/wp-json/syncflow-test/v1/...). Throws on non-2xx. */
  control<T = any>(method: "GET" | "POST", route: string, body?: unknown): Promise<T>;
  /** Server output so far (for failure diagnostics). */
  log(): string;
  close(): Promise<void>;
}

/** Unzips wp-<version>.zip from @wp-playground/wordpress-builds into .data/wordpress/<version> once. */
export async function ensureWordPressTree(): Promise<string> {
  const target = path.join(DATA, WP_VERSION);
  if (fs.existsSync(path.join(target, "wp-settings.php"))) return target;
  const zipPath = path.join(ROOT, "node_modules/@wp-playground/wordpress-builds/src/wordpress", `wp-${WP_VERSION}.zip`);
  const zip: any = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(new Uint8Array(fs.readFileSync(zipPath))));
  const tmp = path.join(DATA, `.unzip-${process.pid}-${randomBytes(4).toString("hex")}`);
  for (const entry of await reader.getEntries()) {
    const out = path.join(tmp, entry.filename);
    if (!out.startsWith(tmp + path.sep)) continue;
    if (entry.directory) {
      fs.mkdirSync(out, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, await entry.getData(new zip.Uint8ArrayWriter()));
  }
  await reader.close();
  fs.mkdirSync(path.join(tmp, "wp-content", "mu-plugins"), { recursive: true });
  try {
    fs.renameSync(tmp, target);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another worker won the race
  }
  return target;
}


/**
 * Starts WordPress Playground with the plugin mounted, activates the WooCommerce test double and (by default)
 * SyncFlow. ~10–20 s on 2 cores.
 */
export async function startWordPress(opts: { activateSyncflow?: boolean; workers?: number } = {}): Promise<WpSite> {
  const tree = await ensureWordPressTree();
  const siteDir = path.join(DATA, "sites", `${process.pid}-${randomBytes(4).toString("hex")}`);
  fs.mkdirSync(path.dirname(siteDir), { recursive: true });
  fs.cpSync(tree, siteDir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const cli = path.join(ROOT, "node_modules/@wp-playground/cli/wp-playground.js");
  const args = [
    cli,
    "server",
    `--port=${port}`,
    `--php=${process.env.SYNCFLOW_WP_PHP ?? "8.2"}`, // SYNCFLOW_WP_PHP=7.4 checks the plugin's minimum PHP
    `--workers=${opts.workers ?? 2}`,
    `--mount-before-install=${siteDir}:/wordpress`,
    "--wordpress-install-mode=install-from-existing-files",
    `--mount=${path.join(ROOT, "woo-plugin")}:/wordpress/wp-content/plugins/syncflow-for-woocommerce`,
    `--mount=${path.join(HERE, "woocommerce-test-double")}:/wordpress/wp-content/plugins/woocommerce`,
    `--mount=${path.join(HERE, "mu-plugins")}:/wordpress/wp-content/mu-plugins`,
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${path.join(HERE, "php-wasm-ws-hook.cjs")}`.trim() };
  delete env.DEV; // php-wasm logs every socket frame when DEV is set
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  // If the test process exits without close() (crash, Ctrl-C), take the server down with it.
  const killOnExit = () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  process.once("exit", killOnExit);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.pid) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
    fs.rmSync(siteDir, { recursive: true, force: true });
  };

  const control = async (method: "GET" | "POST", route: string, body?: unknown) => {
    const r = await fetch(`${url}/wp-json/syncflow-test/v1${route}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`control ${method} ${route} → ${r.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text);
  };

  try {
    const deadline = Date.now() + 120_000;
    while (!/Ready!/.test(output)) {
      if (child.exitCode !== null) throw new Error(`Playground exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`Playground did not start in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // "Ready!" can precede the mounts on every worker: wait until the control API answers a few times in a row.
    for (let ok = 0; ok < 4; ) {
      if (Date.now() > deadline) throw new Error(`Playground control API never answered:\n${output}`);
      const r = await fetch(`${url}/wp-json/syncflow-test/v1/ping`).catch(() => null);
      ok = r?.ok ? ok + 1 : 0;
      if (!r?.ok) await new Promise((res) => setTimeout(res, 300));
    }
    await control("POST", "/plugin", { action: "activate", plugin: WC_DOUBLE_PLUGIN });
    if (opts.activateSyncflow !== false) await control("POST", "/plugin", { action: "activate", plugin: SYNCFLOW_PLUGIN });
  } catch (e) {
    await close();
    throw e;
  }
  return { url, port, control, log: () => output, close };
}

/** Minimal cookie jar + form helpers for wp-admin requests. */
export class AdminBrowser {
  private cookies = new Map<string, string>();
  constructor(private site: WpSite) {}

  private absorb(r: Response) {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01[- ]Jan[- ]1970/i.test(c) || value === "deleted" || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  private header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  /** Logs in as `login` through the test control API (wp_set_auth_cookie). */
  async login(login: string) {
    const r = await fetch(`${this.site.url}/wp-json/syncflow-test/v1/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login }),
    });
    if (!r.ok) throw new Error(`login ${r.status}`);
    this.absorb(r);
  }
  async get(pathAndQuery: string) {
    const r = await fetch(this.site.url + pathAndQuery, { headers: { Cookie: this.header() }, redirect: "manual" });
    this.absorb(r);
    return { status: r.status, location: r.headers.get("location"), html: await r.text() };
  }
  async post(pathAndQuery: string, form: Record<string, string>) {
    const r = await fetch(this.site.url + pathAndQuery, {
      method: "POST",
      headers: { Cookie: this.header(), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
      redirect: "manual",
    });
    this.absorb(r);
    return { status: r.status, location: r.headers.get("location"), html: await r.text() };
  }
}

/** Value of `<input name="NAME" value="...">` in html. */
export function inputValue(html: string, name: string): string | null {
  const re = new RegExp(`<input[^>]*name="${name.replace(/[[\]]/g, "\\$&")}"[^>]*>`, "i");
  const tag = re.exec(html)?.[0];
  if (!tag) return null;
  return /value="([^"]*)"/.exec(tag)?.[1] ?? "";
}
