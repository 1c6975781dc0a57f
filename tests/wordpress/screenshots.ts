/**
 * Captures the SyncFlow settings (Connection) and Status screens from a real WooCommerce site (./real-woocommerce.ts)
 * into the git-ignored tests/e2e/screenshots/ (not a test; run: `WOOCOMMERCE_ZIP=… WORDPRESS_ZIP=… npx tsx
 * tests/wordpress/screenshots.ts`). Needs /usr/bin/chromium (`apt-get install -y chromium`). Connects to the STUB HUB
 * first so the screens show real data. The real WordPress tree serves wp-admin's own CSS and JS.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { ROOT, startRealWooCommerce } from "./real-woocommerce";
import { startStubHub } from "./stub-hub";

const OUT = path.join(ROOT, "tests", "e2e", "screenshots");

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const [site, hub] = await Promise.all([
    startRealWooCommerce({ runner: { excludeGroups: ["syncflow"] } }),
    startStubHub(),
  ]);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // log in through the test control API (wp_set_auth_cookie) and hand the cookies to the browser
    const login = await fetch(`${site.url}/wp-json/syncflow-test/v1/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: "admin" }),
    });
    await context.addCookies(
      login.headers.getSetCookie().map((c) => {
        const [pair] = c.split(";");
        const i = pair.indexOf("=");
        return { name: pair.slice(0, i), value: pair.slice(i + 1), url: site.url };
      }),
    );
    await context.route("**/*", (route) =>
      new URL(route.request().url()).hostname === "127.0.0.1" ? route.continue() : route.abort(),
    ); // no internet
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
    await site.runActions({ group: "syncflow", hook: "syncflow_health_check" });
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
