/**
 * `npm run build:plugin` — builds the distributable WordPress plugin zip from woo-plugin/:
 *   dist/syncflow-for-woocommerce-<version>.zip, every file under a top-level `syncflow-for-woocommerce/` folder
 *   (the slug WordPress installs it as). Development files (phpcs.xml.dist, tests, dotfiles, composer/npm files) and
 *   anything test-only are left out; the build fails if a test file or test double would be shipped, or if the
 *   plugin header and readme.txt disagree on the version.
 * Uses @zip.js/zip.js (already installed through @wp-playground/cli). Prints the zip path.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = path.join(ROOT, "woo-plugin");
const SLUG = "syncflow-for-woocommerce";
const EXCLUDE = [
  /^\./,
  /(^|\/)\.[^/]+$/,
  /^phpcs\.xml(\.dist)?$/,
  /^composer\.(json|lock)$/,
  /^package(-lock)?\.json$/,
  /^(tests?|node_modules|vendor\/bin)(\/|$)/,
  /\.(md|map|log)$/,
];
const FORBIDDEN = [/test-double/i, /syncflow-test-/i, /(^|\/)tests?\//i, /\.test\.(ts|js|php)$/i];

function walk(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (EXCLUDE.some((re) => re.test(r))) continue;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

export async function buildPlugin(
  outDir = path.join(ROOT, "dist"),
): Promise<{ zipPath: string; files: string[]; version: string }> {
  const main = fs.readFileSync(path.join(SRC, `${SLUG}.php`), "utf8");
  const version = /^\s*\*\s*Version:\s*(\S+)/m.exec(main)?.[1];
  if (!version) throw new Error("no Version: header in the main plugin file");
  const stable = /^Stable tag:\s*(\S+)/m.exec(fs.readFileSync(path.join(SRC, "readme.txt"), "utf8"))?.[1];
  if (stable !== version) throw new Error(`readme.txt Stable tag (${stable}) != plugin Version (${version})`);
  if (!main.includes(`define( 'SYNCFLOW_VERSION', '${version}' )`))
    throw new Error("SYNCFLOW_VERSION does not match the Version header");

  const files = walk(SRC);
  const bad = files.filter((f) => FORBIDDEN.some((re) => re.test(f)));
  if (bad.length) throw new Error(`refusing to ship test files: ${bad.join(", ")}`);
  for (const required of [`${SLUG}.php`, "uninstall.php", "readme.txt"])
    if (!files.includes(required)) throw new Error(`missing ${required}`);

  const zip: any = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  const writer = new zip.ZipWriter(new zip.Uint8ArrayWriter());
  await writer.add(`${SLUG}/`, undefined, { directory: true });
  for (const f of files) {
    const data = new Uint8Array(fs.readFileSync(path.join(SRC, f)));
    await writer.add(`${SLUG}/${f}`, new zip.Uint8ArrayReader(data), { lastModDate: new Date("2026-01-01T00:00:00Z") });
  }
  const bytes: Uint8Array = await writer.close();
  fs.mkdirSync(outDir, { recursive: true });
  const zipPath = path.join(outDir, `${SLUG}-${version}.zip`);
  fs.writeFileSync(zipPath, bytes);
  return { zipPath, files, version };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildPlugin()
    .then(({ zipPath, files }) => console.log(`built ${path.relative(ROOT, zipPath)} (${files.length} files)`))
    .catch((e) => {
      console.error(`[build:plugin] ${e.message}`);
      process.exit(1);
    });
}
