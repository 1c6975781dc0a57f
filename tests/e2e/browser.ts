/**
 * The browser side of the admin's browser tests: Chromium (playwright-core, `CHROMIUM_PATH` or /usr/bin/chromium)
 * opened on the embedded admin as the demo serves it, every off-host request refused except Shopify's App Bridge
 * script (answered with the local demo shim, public/demo/app-bridge-shim.js), axe-core checks and screenshots.
 * Used by tests/e2e/*.e2e.test.ts so each suite states only its own pages and assertions.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ROOT } from "./harness";

/** Where suites write screenshots (git-ignored; copies that the docs quote live in docs/screenshots/). */
export const SHOTS = path.join(ROOT, "tests", "e2e", "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const AXE = fs.readFileSync(path.join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");
const SHIM = fs.readFileSync(path.join(ROOT, "public", "demo", "app-bridge-shim.js"), "utf8");

/** Chromium's headless flags shared by every suite (no sync, no component updates, no first-run UI). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Launches headless Chromium with {@link CHROMIUM_ARGS} plus `extraArgs`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * A desktop user agent of the launched Chromium's major version: headless Chromium's default says "HeadlessChrome",
 * which `authenticate.admin` refuses as a bot (410).
 */
export function desktopUserAgent(browser: Browser): string {
  const version = browser.version().split(".")[0];
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36`;
}

/**
 * Routes every request of `context`: the app's own origin goes through, App Bridge's CDN script gets the demo shim,
 * `extra` may answer others (return true when it did), anything else is aborted and its URL pushed to `offHost`.
 */
export async function routeToApp(
  context: BrowserContext,
  appUrl: string,
  offHost: string[],
  extra?: (url: string, route: Parameters<Parameters<BrowserContext["route"]>[1]>[0]) => Promise<boolean>,
): Promise<void> {
  const appOrigin = new URL(appUrl).origin;
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (url.startsWith(appOrigin)) return route.continue();
    if (url.startsWith("https://cdn.shopify.com/shopifycloud/app-bridge.js"))
      return route.fulfill({ status: 200, contentType: "text/javascript", body: SHIM });
    if (extra && (await extra(url, route))) return;
    offHost.push(url);
    return route.abort();
  });
}

/** An open admin browser: one context and page on the app, with what went wrong collected as it happens. */
export interface AdminBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors (`pageerror`). */
  pageErrors: string[];
  /** `console.error` messages. */
  consoleErrors: string[];
  /** Off-host URLs the page tried to load (all refused). */
  offHost: string[];
  close(): Promise<void>;
}

/**
 * Opens Chromium on a 1280×900 desktop viewport routed to the app at `appUrl` (see {@link routeToApp}).
 * `allowOrigins`: other loopback origins the page may load (an emulated marketplace's consent page).
 */
export async function openAdminBrowser(appUrl: string, opts: { allowOrigins?: string[] } = {}): Promise<AdminBrowser> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    userAgent: desktopUserAgent(browser),
  });
  const offHost: string[] = [];
  const allowed = (opts.allowOrigins ?? []).map((o) => new URL(o).origin);
  await routeToApp(context, appUrl, offHost, async (url, route) => {
    if (!allowed.includes(new URL(url).origin)) return false;
    await route.continue();
    return true;
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  return {
    browser,
    context,
    page,
    pageErrors,
    consoleErrors,
    offHost,
    close: async () => {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
    },
  };
}

/** One axe-core violation as the suites report it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page as it is now. @returns every violation and, as readable lines, the serious and critical
 * ones (the suites expect that list to be empty).
 */
export async function runAxe(page: Page): Promise<{ violations: AxeViolation[]; seriousOrCritical: string[] }> {
  await page.addScriptTag({ content: AXE });
  const violations = (await page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => ({ target: n.target })),
    }));
  })) as AxeViolation[];
  const seriousOrCritical = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} [${v.impact}] ${v.help}: ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(" "))
          .join(", ")}`,
    );
  return { violations, seriousOrCritical };
}

/** Saves a full-page screenshot as SHOTS/<name>.png once the network is idle and IndexTable's loading overlay is gone. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  // IndexTable's "Loading …" overlay fades out after the data arrives.
  await page
    .locator(".Polaris-IndexTable__LoadingPanel")
    .waitFor({ state: "detached", timeout: 5_000 })
    .catch(() => {});
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The rendered Polaris page's title heading (not the loading skeleton's, which also has an h1). */
export function pageTitle(page: Page, name: string | RegExp) {
  return page.locator(".Polaris-Page").getByRole("heading", { level: 1, name, exact: typeof name === "string" });
}
