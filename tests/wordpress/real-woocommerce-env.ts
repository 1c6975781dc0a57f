/**
 * Whether the real WooCommerce of the tests (./real-woocommerce.ts, decision 120) can run on this machine — kept free
 * of vitest so `scripts/test-all.ts` can ask too (it installs PHP first when it can).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";

/** The versions the harness is built for (the zips in ../shared/vendor). */
export const REAL_WOOCOMMERCE_VERSION = "10.0.2";
export const REAL_WORDPRESS_VERSION = "6.8";
/** Debian packages that give `php` what WordPress + WooCommerce on SQLite need. */
export const PHP_PACKAGES = ["php-cli", "php-sqlite3", "php-mbstring", "php-xml", "php-curl"];
const PHP_EXTENSIONS = ["pdo_sqlite", "mbstring", "dom", "curl"];

let availability: { reason: string | null } | undefined;

/**
 * Why the real WooCommerce cannot run here, or null when it can. Checks `WOOCOMMERCE_ZIP` / `WORDPRESS_ZIP` (set and
 * readable) and `php` (present, with pdo_sqlite, mbstring, dom, curl). Cached per process unless `fresh`.
 */
export function realWooCommerceUnavailable(opts: { fresh?: boolean } = {}): string | null {
  if (availability && !opts.fresh) return availability.reason;
  const reason = (() => {
    for (const name of ["WOOCOMMERCE_ZIP", "WORDPRESS_ZIP"]) {
      const v = process.env[name];
      if (!v)
        return `${name} is not set (point WOOCOMMERCE_ZIP / WORDPRESS_ZIP at woocommerce-${REAL_WOOCOMMERCE_VERSION}.zip and wordpress-${REAL_WORDPRESS_VERSION}.zip; .ci/run uses ../shared/vendor)`;
      if (!fs.existsSync(v)) return `${name}=${v} does not exist`;
    }
    const php = spawnSync(
      "php",
      ["-r", `echo json_encode([PHP_VERSION, ${PHP_EXTENSIONS.map((e) => `extension_loaded("${e}")`).join(", ")}]);`],
      { encoding: "utf8" },
    );
    if (php.error || php.status !== 0)
      return `php not found (apt-get install -y ${PHP_PACKAGES.join(" ")}; npm test does this when it runs as root)`;
    const [version, ...loaded] = JSON.parse(php.stdout) as [string, ...boolean[]];
    const missing = PHP_EXTENSIONS.filter((_, i) => !loaded[i]);
    if (missing.length)
      return `php ${version} lacks ${missing.join(", ")} (apt-get install -y ${PHP_PACKAGES.join(" ")})`;
    if (!/^8\./.test(version))
      return `php ${version} found; WooCommerce ${REAL_WOOCOMMERCE_VERSION} is tested here on PHP 8`;
    return null;
  })();
  availability = { reason };
  return reason;
}
