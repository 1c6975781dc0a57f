/**
 * Admin UI in a real browser (Chromium via playwright-core) against a production build in demo mode:
 * /demo/admin plays Shopify Admin opening the embedded app (session token → token exchange with the
 * emulated Shopify), then Overview, Channels (connection code shown once), Inventory (search, pages) and
 * Activity (cause filter) — each checked with axe-core (no serious/critical violations) and screenshotted
 * to tests/e2e/screenshots/. Nothing leaves 127.0.0.1: every other request is aborted.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startHarness, ROOT, SEED, type Harness } from "./harness";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.join(ROOT, "tests", "e2e", "screenshots");
const AXE = fs.readFileSync(path.join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");
const SHIM = fs.readFileSync(path.join(ROOT, "public", "demo", "app-bridge-shim.js"), "utf8");

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];
const offHost: string[] = [];
/** axe results per page, logged at the end (the report quotes them). */
const axeSummary: Record<string, { violations: number; seriousOrCritical: number; ids: string[] }> = {};

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

async function axeCheck(name: string): Promise<void> {
  await page.addScriptTag({ content: AXE });
  const violations = (await page.evaluate(async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const r = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: any) => ({ target: n.target })) }));
  })) as AxeViolation[];
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  axeSummary[name] = { violations: violations.length, seriousOrCritical: bad.length, ids: violations.map((v) => `${v.id}(${v.impact})`) };
  expect(bad.map((v) => `${v.id} [${v.impact}] ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

async function shot(name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  // IndexTable's "Loading …" overlay fades out after the data arrives.
  await page.locator(".Polaris-IndexTable__LoadingPanel").waitFor({ state: "detached", timeout: 5_000 }).catch(() => {});
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The rendered page's title (not the loading skeleton's, which also has an h1). */
function pageTitle(name: string) {
  return page.locator(".Polaris-Page").getByRole("heading", { level: 1, name, exact: true });
}

/** Client-side navigation through the NavMenu links, waiting for the page (not its skeleton). */
async function gotoNav(label: string, heading: string): Promise<void> {
  await page.locator("ui-nav-menu").getByRole("link", { name: label, exact: true }).click();
  await pageTitle(heading).waitFor();
  await page.waitForLoadState("networkidle");
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  h = await startHarness();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  // Headless Chromium's default user agent says "HeadlessChrome", which authenticate.admin rejects as a bot (410).
  const version = browser.version().split(".")[0];
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36`,
  });
  const appOrigin = new URL(h.appUrl).origin;
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (url.startsWith(appOrigin)) return route.continue();
    // Shopify's App Bridge CDN script (e.g. on the auth bounce page) → the local demo shim; anything else off-host is refused.
    if (url.startsWith("https://cdn.shopify.com/shopifycloud/app-bridge.js")) {
      return route.fulfill({ status: 200, contentType: "text/javascript", body: SHIM });
    }
    offHost.push(url);
    return route.abort();
  });
  page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
}, 170_000);

afterAll(async () => {
  console.log(`[e2e] harness timings ms: ${JSON.stringify(h?.timings)}`);
  console.log(`[e2e] axe: ${JSON.stringify(axeSummary)}`);
  if (offHost.length) console.log(`[e2e] blocked off-host requests: ${[...new Set(offHost)].join(", ")}`);
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await h?.stop();
});

describe("embedded admin (demo mode)", () => {
  it("opens through /demo/admin, exchanges the session token and renders the overview", async () => {
    await page.goto(`${h.appUrl}/demo/admin`);
    await pageTitle("Overview").waitFor({ timeout: 20_000 });
    const url = new URL(page.url());
    expect(url.pathname).toBe("/app");
    expect(url.searchParams.get("embedded")).toBe("1");
    expect(url.searchParams.get("shop")).toBe("e2e-demo.myshopify.com");
    expect(url.searchParams.get("id_token")).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    // Token exchange stored an offline session for the shop.
    expect(await h.prisma.session.count({ where: { shop: "e2e-demo.myshopify.com", isOnline: false } })).toBe(1);
    await page.getByText("Woo Outlet").first().waitFor();
    await page.getByText("Woo Wholesale").first().waitFor();
    await page.getByText("Degraded").first().waitFor();
    await page.getByText(`${SEED.items} SKUs tracked`).waitFor();
    // Another tenant's store never shows.
    expect(await page.getByText("Other Tenant Woo").count()).toBe(0);
    // The demo shim stands in for App Bridge (AppProvider points its script tag at /demo/app-bridge-shim.js).
    expect(await page.evaluate(() => (window as unknown as { shopify?: { __syncflowDemoShim?: boolean } }).shopify?.__syncflowDemoShim)).toBe(true);
    expect(await page.locator('script[src="/demo/app-bridge-shim.js"]').count()).toBe(1);
    await page.waitForLoadState("networkidle");
    await shot("01-overview");
    await axeCheck("overview");
  });

  it("channels: lists stores and shows a new connection code once", async () => {
    await gotoNav("Channels", "Channels");
    const table = page.locator(".Polaris-IndexTable");
    await table.getByText("https://outlet.example.test").waitFor();
    await table.getByText("https://wholesale.example.test").waitFor();
    expect(await table.getByText("Other Tenant Woo").count()).toBe(0);
    const before = await h.prisma.connectionCode.count({ where: { shopId: h.shopId } });
    await page.getByRole("button", { name: "Create connection code" }).first().click();
    const codeField = page.getByLabel("Connection code", { exact: true });
    await codeField.waitFor();
    const code = await codeField.inputValue();
    expect(code.length).toBeGreaterThanOrEqual(6);
    expect(await h.prisma.connectionCode.count({ where: { shopId: h.shopId } })).toBe(before + 1);
    expect(await h.prisma.connectionCode.count({ where: { shopId: h.otherShopId } })).toBe(0);
    await page.getByText("WooCommerce → Settings → SyncFlow").first().waitFor();
    await page.getByText(/Valid for 15 minutes/).waitFor();
    expect(await page.getByLabel("Hub URL").inputValue()).toBe(h.appUrl);
    // The code is in the page only, never stored in clear.
    expect(await h.prisma.connectionCode.count({ where: { codeHash: code } })).toBe(0);
    await shot("02-channels-code");
    await axeCheck("channels");
    // Shown once: leaving and coming back does not show it again.
    await gotoNav("Overview", "Overview");
    await gotoNav("Channels", "Channels");
    expect(await page.getByLabel("Connection code", { exact: true }).count()).toBe(0);
    expect(await page.getByText(code).count()).toBe(0);
  });

  it("inventory: pages of 50, server-side search, no other tenant's SKUs", async () => {
    await gotoNav("Inventory", "Inventory");
    const rows = page.locator(".Polaris-IndexTable__TableRow");
    expect(await rows.count()).toBe(50);
    await page.getByText(`1–50 of ${SEED.items} SKUs`).waitFor();
    // Store columns: one per WooCommerce store.
    await page.getByRole("columnheader", { name: "Woo Outlet" }).waitFor();
    await page.getByRole("columnheader", { name: "Woo Wholesale" }).waitFor();
    await shot("03-inventory");
    await axeCheck("inventory");

    await page.getByRole("link", { name: "Next page" }).click();
    await page.getByText(`51–${SEED.items} of ${SEED.items} SKUs`).waitFor();
    expect(new URL(page.url()).searchParams.get("page")).toBe("2");
    expect(await rows.count()).toBe(SEED.items - 50);

    const search = page.getByRole("searchbox", { name: "Search by SKU or title" });
    await search.fill("tee-00");
    await page.waitForURL((u) => u.searchParams.get("q") === "tee-00");
    await page.getByText("1–9 of 9 SKUs").waitFor();
    expect(await rows.count()).toBe(9);
    await page.getByText("TEE-004", { exact: true }).waitFor();
    // TEE-004 is "not stocked" at the wholesale store (manage stock off).
    await page.getByText("Stock not managed").first().waitFor();
    await shot("04-inventory-search");

    await search.fill("OTHER-SECRET");
    await page.getByText("No SKU or title matches “OTHER-SECRET”").waitFor();
    expect(await rows.count()).toBe(0);
    await shot("05-inventory-empty");
    await axeCheck("inventory-empty");
  });

  it("activity: ledger rows newest first, filter by cause, reload stays in the app", async () => {
    await gotoNav("Activity", "Activity");
    const rows = page.locator(".Polaris-IndexTable__TableRow");
    expect(await rows.count()).toBe(SEED.ledgerRows);
    await page.getByText("e2e:cancel:7").waitFor();
    expect(await page.getByText("OTHER TENANT LEDGER").count()).toBe(0);
    // Newest first: the last seeded row (cancel) is on top.
    await expect(rows.first().textContent()).resolves.toContain("e2e:cancel:7");
    await shot("06-activity");
    await axeCheck("activity");

    await page.getByLabel("Cause").selectOption("order");
    await page.waitForURL((u) => u.searchParams.get("cause") === "order");
    await page.getByText("e2e:order:4").waitFor();
    expect(await rows.count()).toBe(2);
    expect(await page.getByText("e2e:push:2").count()).toBe(0);
    await shot("07-activity-orders");

    // A full reload of a client-side URL (no Shopify params) re-enters through /demo/admin.
    await page.reload();
    await pageTitle("Activity").waitFor();
    expect(new URL(page.url()).searchParams.get("cause")).toBe("order");
    expect(await rows.count()).toBe(2);
  });

  it("inventory read model stays fast at 10,000 SKUs (one page + search, no N+1)", async () => {
    const big = await h.prisma.shop.create({ data: { domain: "big-catalog.myshopify.com" } });
    const ch = await h.prisma.channel.create({ data: { shopId: big.id, kind: "woocommerce", name: "Big Woo", baseUrl: "https://big.example.test", salesLocationId: "gid://shopify/Location/1" } });
    const N = 10_000;
    const ids = Array.from({ length: N }, (_, i) => `big-item-${i}`);
    await h.prisma.catalogItem.createMany({ data: ids.map((id, i) => ({ id, shopId: big.id, sku: `BIG-${String(i).padStart(5, "0")}`, skuKey: `big-${String(i).padStart(5, "0")}`, title: `Big item ${i}` })) });
    await h.prisma.inventoryLevel.createMany({ data: ids.map((itemId, i) => ({ shopId: big.id, itemId, locationGid: "gid://shopify/Location/1", available: i % 50, observedAt: new Date() })) });
    await h.prisma.listing.createMany({ data: ids.map((itemId, i) => ({ shopId: big.id, channelId: ch.id, itemId, externalId: `b${i}`, productId: `${i}`, title: "x", productType: "simple", matchStatus: "linked", lastObservedQuantity: i % 50 })) });
    await h.prisma.$executeRawUnsafe("ANALYZE");
    process.env.DATABASE_URL = h.databaseUrl;
    const { getInventoryPage } = await import("../../app/models/inventory.server");
    await getInventoryPage(big.id, { page: 1 }); // warm the pool
    const timed = async (opts: { q?: string; page?: number }) => {
      const t0 = performance.now();
      const r = await getInventoryPage(big.id, opts);
      return { r, ms: performance.now() - t0 };
    };
    const first = await timed({ page: 1 });
    const last = await timed({ page: 200 });
    const search = await timed({ q: "big-0999" });
    console.log(`[e2e] 10k SKUs: page 1 ${first.ms.toFixed(1)} ms, page 200 ${last.ms.toFixed(1)} ms, search ${search.ms.toFixed(1)} ms`);
    expect(first.r.total).toBe(N);
    expect(first.r.rows).toHaveLength(50);
    expect(first.r.rows[0]!.stores[ch.id]!.feedAvailable).toBe(0);
    expect(last.r.rows.at(-1)!.sku).toBe("BIG-09999");
    expect(search.r.total).toBe(10);
    for (const t of [first, last, search]) expect(t.ms).toBeLessThan(500);
  });

  it("had no page errors, hydration errors or off-host requests", () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors.filter((e) => /hydrat|did not match|Minified React error/i.test(e))).toEqual([]);
    // Only Shopify's own preload hint for the App Bridge CDN script (Link header) may have been refused.
    expect(offHost.filter((u) => !u.startsWith("https://cdn.shopify.com/"))).toEqual([]);
  });
});
