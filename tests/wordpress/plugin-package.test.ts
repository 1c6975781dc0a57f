/**
 * Packaging and review hygiene of woo-plugin/ without WordPress: the distributable zip (scripts/build-plugin.ts)
 * and static checks of the PHP sources for the WordPress.org / WooCommerce review rules that are easy to regress.
 * (The behaviour behind them is exercised in a real WooCommerce by plugin.wordpress.test.ts.)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlugin } from "../../scripts/build-plugin";
import { ROOT } from "./real-woocommerce";

const SRC = path.join(ROOT, "woo-plugin");
const phpFiles = (dir = SRC): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? phpFiles(path.join(dir, e.name)) : e.name.endsWith(".php") ? [path.join(dir, e.name)] : [],
    );
const read = (f: string) => fs.readFileSync(f, "utf8");
const all = () => phpFiles().map((f) => ({ f: path.relative(SRC, f), src: read(f) }));

describe("npm run build:plugin", () => {
  it("builds syncflow-for-woocommerce-<version>.zip with the plugin under its slug and no test files", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "sf-build-"));
    try {
      const { zipPath, files, version } = await buildPlugin(out);
      expect(path.basename(zipPath)).toBe(`syncflow-for-woocommerce-${version}.zip`);
      const zip: any = await import("@zip.js/zip.js");
      zip.configure({ useWebWorkers: false });
      const reader = new zip.ZipReader(new zip.Uint8ArrayReader(new Uint8Array(fs.readFileSync(zipPath))));
      const names: string[] = (await reader.getEntries()).map((e: any) => e.filename);
      await reader.close();
      expect(names).toEqual(
        expect.arrayContaining([
          "syncflow-for-woocommerce/syncflow-for-woocommerce.php",
          "syncflow-for-woocommerce/uninstall.php",
          "syncflow-for-woocommerce/readme.txt",
          "syncflow-for-woocommerce/languages/syncflow-for-woocommerce.pot",
        ]),
      );
      expect(names.every((n) => n.startsWith("syncflow-for-woocommerce/"))).toBe(true);
      expect(names.some((n) => /test|double|phpcs|\.md$/i.test(n))).toBe(false);
      expect(files.length).toBe(names.filter((n) => !n.endsWith("/")).length);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("plugin headers and files", () => {
  it("declares the WordPress.org / WooCommerce headers", () => {
    const main = read(path.join(SRC, "syncflow-for-woocommerce.php"));
    for (const h of [
      "Plugin Name:",
      "Version:",
      "Requires at least:",
      "Requires PHP:",
      "Requires Plugins:     woocommerce",
      "WC requires at least:",
      "WC tested up to:",
      "Text Domain:          syncflow-for-woocommerce",
      "License:",
    ])
      expect(main, h).toContain(h);
    expect(main).toContain("declare_compatibility( 'custom_order_tables'");
    expect(fs.existsSync(path.join(SRC, "uninstall.php"))).toBe(true);
    expect(read(path.join(SRC, "uninstall.php"))).toMatch(/defined\( 'WP_UNINSTALL_PLUGIN' \) \|\| exit;/);
    expect(fs.existsSync(path.join(SRC, "phpcs.xml.dist"))).toBe(true);
    expect(read(path.join(SRC, "readme.txt"))).toMatch(/^=== SyncFlow for WooCommerce ===/);
  });
  it("every PHP file refuses direct access and every class/function/option uses the syncflow prefix", () => {
    for (const { f, src } of all()) {
      expect(src, f).toMatch(/defined\( '(ABSPATH|WP_UNINSTALL_PLUGIN)' \) \|\| exit;/);
      for (const m of src.matchAll(/^\s*(?:final\s+)?class\s+(\w+)/gm)) expect(m[1], f).toMatch(/^SyncFlow_/);
      for (const m of src.matchAll(/^function\s+(\w+)/gm)) expect(m[1], f).toMatch(/^syncflow_/);
      for (const m of src.matchAll(/(?:get|update|add|delete)_option\(\s*'([^']+)'/g))
        expect(m[1], f).toMatch(/^syncflow_/);
    }
  });
});

describe("security and review hygiene (static)", () => {
  it("every REST route has a permission_callback", () => {
    for (const { f, src } of all()) {
      const routes = src.split("register_rest_route(").slice(1);
      for (const r of routes) expect(r.slice(0, r.indexOf(");")), f).toContain("'permission_callback'");
    }
  });
  it("every admin action checks manage_woocommerce and its own nonce", () => {
    const admin = read(path.join(SRC, "includes/class-syncflow-admin.php"));
    const handlers = [...admin.matchAll(/public static function (handle_\w+)\(\) \{([\s\S]*?)\n\t\}/g)];
    expect(handlers.map((h) => h[1]).sort()).toEqual([
      "handle_check_now",
      "handle_connect",
      "handle_disconnect",
      "handle_test",
    ]);
    for (const [, name, body] of handlers) expect(body.trim().startsWith("self::guard( 'syncflow_"), name).toBe(true);
    expect(admin).toMatch(
      /function guard\([\s\S]*?current_user_can\( 'manage_woocommerce' \)[\s\S]*?check_admin_referer\( \$action, '_' \. \$action \. '_nonce' \)/,
    );
  });
  it("SQL with variables goes through $wpdb->prepare", () => {
    for (const { f, src } of all()) {
      for (const m of src.matchAll(/\$wpdb->(query|get_var|get_row|get_col|get_results)\(\s*([^\n]*)/g)) {
        const arg = m[2];
        if (arg.startsWith("$wpdb->prepare(") || arg.startsWith("// phpcs") || arg === "") continue;
        // allowed without prepare: constant statements (transactions, the batch's savepoint and isolation level,
        // decision 309) and a DROP of our own table name
        expect(
          /^'(START TRANSACTION|COMMIT|ROLLBACK|(RELEASE |ROLLBACK TO )?SAVEPOINT syncflow_op|SET TRANSACTION ISOLATION LEVEL READ COMMITTED|SELECT @@SESSION\.binlog_format)'|^"DROP TABLE IF EXISTS \{\$table\}"/.test(
            arg,
          ),
          `${f}: ${arg}`,
        ).toBe(true);
      }
    }
  });
  it("translations load at init, no remote assets, secrets are never echoed", () => {
    const plugin = read(path.join(SRC, "includes/class-syncflow-plugin.php"));
    expect(plugin).toContain("add_action( 'init', array( __CLASS__, 'load_textdomain' ) )");
    for (const { f, src } of all()) {
      expect(src, f).not.toMatch(/wp_enqueue_(script|style)\([^)]*https?:/);
      expect(src, f).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']https?:/);
      expect(src, f).not.toMatch(/echo[^;]*(webhook_secret\(\)|consumer_secret|\$secret)/);
    }
  });
});
