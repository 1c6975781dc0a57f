/**
 * Captures the SyncFlow settings (Connection) and Status screens from a Playground site into the git-ignored
 * tests/e2e/screenshots/ (not a test; run: `npx tsx tests/wordpress/screenshots.ts`). Needs /usr/bin/chromium
 * (`apt-get install -y chromium`). Connects to the STUB HUB first so the screens show real data.
 * Playground's WordPress build ships without wp-admin CSS/JS (it loads them from playground.wordpress.net); for
 * styled screenshots offline set WP_ASSETS_DIR to a full WordPress tree, e.g. Debian's package:
 * `apt-get download wordpress && dpkg-deb -x wordpress_*.deb /tmp/wp && WP_ASSETS_DIR=/tmp/wp/usr/share/wordpress`.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { ROOT, startWordPress } from "./playground";
import { startStubHub } from "./stub-hub";

const OUT = path.join(ROOT, "tests", "e2e", "screenshots");

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const [site, hub] = await Promise.all([startWordPress(), startStubHub()]);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    await site.control("POST", "/option", { name: "syncflow_test_hub_port", value: hub.port });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // log in through the test control API (wp_set_auth_cookie) and hand the cookies to the browser
    const login = await fetch(`${site.url}/wp-json/syncflow-test/v1/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ login: "admin" }) });
    await context.addCookies(
      login.headers.getSetCookie().map((c) => {
        const [pair] = c.split(";");
        const i = pair.indexOf("=");
        return { name: pair.slice(0, i), value: pair.slice(i + 1), url: site.url };
      }),
    );
    const assets = process.env.WP_ASSETS_DIR;
    await context.route("**/*", async (route) => {
      const u = new URL(route.request().url());
      if (u.hostname !== "127.0.0.1") return route.abort(); // no internet
      const file = assets ? path.join(assets, decodeURIComponent(u.pathname)) : "";
      if (assets && /\.(css|js|png|svg|gif|woff2?|ttf)$/.test(u.pathname) && file.startsWith(assets) && fs.existsSync(file)) {
        const type = { css: "text/css", js: "application/javascript", png: "image/png", svg: "image/svg+xml", gif: "image/gif", woff: "font/woff", woff2: "font/woff2", ttf: "font/ttf" }[path.extname(file).slice(1)]!;
        return route.fulfill({ body: fs.readFileSync(file), contentType: type });
      }
      return route.continue();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(90_000);
    const tab = `${site.url}/wp-admin/admin.php?page=wc-settings&tab=syncflow`;
    await page.goto(tab, { waitUntil: "domcontentloaded" });
    await page.screenshot({ path: path.join(OUT, "woo-plugin-connect.png"), fullPage: true });
    await page.fill("#syncflow_hub_url", hub.url);
    await page.fill("#syncflow_code", hub.issueCode());
    await page.click("#syncflow_connect");
    await page.waitForSelector("#syncflow-notice");
    await page.screenshot({ path: path.join(OUT, "woo-plugin-connected.png"), fullPage: true });
    await site.control("POST", "/run-actions", { group: "syncflow", hook: "syncflow_health_check" });
    const hooks = (await site.control("GET", "/state")).webhooks;
    await site.control("POST", "/webhook", { id: hooks[0].id, status: "disabled" });
    await site.control("POST", "/webhook-delivery", { id: hooks[1].id, code: 503 });
    await page.goto(tab + "&section=status", { waitUntil: "domcontentloaded" });
    await page.screenshot({ path: path.join(OUT, "woo-plugin-status.png"), fullPage: true });
    await page.click("#syncflow_check_now");
    await page.waitForSelector("#syncflow-notice");
    await page.screenshot({ path: path.join(OUT, "woo-plugin-status-after-check.png"), fullPage: true });
    console.log(`screenshots in ${path.relative(ROOT, OUT)}`);
  } finally {
    await browser.close();
    await Promise.all([site.close(), hub.close()]);
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
