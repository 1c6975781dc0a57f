/**
 * The admin block's data path end to end in a real browser (Chromium via playwright-core): the extension's
 * own code (extensions/syncflow-product-block/src/BlockExtension.tsx, bundled with esbuild as Shopify CLI
 * would) runs in a page on Shopify's extension origin with a stand-in for the admin host — the `shopify`
 * global (selected product, `auth.idToken()` returning a session token signed with the app's secret, as
 * Shopify's is) and relative URLs resolved against the app's URL — and calls the app's production build
 * cross-origin (CORS preflight, Bearer token verified by authenticate.admin). It renders each variant's
 * quantity per channel, link state and conflicts from the database, and "Sync now" queues a sync run.
 * The Plan page (usage against the Free plan's limits) is opened the way the admin e2e opens pages.
 * Screenshots: tests/e2e/screenshots/admin-block.png and plan.png (git-ignored).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { build } from "esbuild";
import { startHarness, ROOT, API_KEY, API_SECRET, SHOP, type Harness } from "./harness";
import { mintSessionToken } from "../emulators/shopify/index";
import { desktopUserAgent, launchChromium, routeToApp, SHOTS } from "./browser";

const EXT_ORIGIN = "https://extensions.shopifycdn.com";
const PRODUCT = "gid://shopify/Product/4242";

let h: Harness;
let browser: Browser;
let bundle: string;
const offHost: string[] = [];

/** Host page: admin-like styles for the Polaris web components, the `shopify` global, and the bundled extension. */
function hostPage(token: string, appUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>SyncFlow block</title><style>
  body{font:14px/1.4 -apple-system,"Segoe UI",Roboto,sans-serif;background:#f1f1f1;margin:24px}
  s-admin-block{display:block;background:#fff;border-radius:12px;padding:16px;box-shadow:0 1px 2px rgba(0,0,0,.15);max-width:980px}
  s-admin-block::before{content:attr(heading);display:block;font-weight:650;font-size:15px;margin-bottom:12px}
  s-stack{display:flex;flex-direction:column;gap:12px} s-stack[direction=inline]{flex-direction:row;gap:6px;align-items:center}
  s-table{display:table;border-collapse:collapse;width:100%} s-table-header-row,s-table-row{display:table-row} s-table-body{display:table-row-group}
  s-table-header,s-table-cell{display:table-cell;padding:6px 10px;border-bottom:1px solid #e3e3e3;text-align:left} s-table-header{font-weight:600;color:#616161}
  s-badge{display:inline-block;border-radius:8px;padding:0 8px;font-size:12px;background:#e3e3e3} s-badge[tone=success]{background:#cdfee1} s-badge[tone=critical]{background:#fedad9} s-badge[tone=warning]{background:#ffef9d}
  s-banner{display:block;padding:8px 12px;border-radius:8px;background:#eaf4ff} s-button{display:inline-block;align-self:flex-start;padding:6px 12px;border-radius:8px;background:#303030;color:#fff;cursor:pointer}
  </style></head><body><script>
  const APP = ${JSON.stringify(appUrl)};
  const realFetch = window.fetch.bind(window);
  // Shopify's admin resolves an extension's relative URLs against the app's URL.
  window.fetch = (input, init) => realFetch(typeof input === "string" && input.startsWith("/") ? APP + input : input, init);
  globalThis.shopify = { data: { selected: [{ id: ${JSON.stringify(PRODUCT)} }] }, auth: { idToken: async () => ${JSON.stringify(token)} } };
  </script><script>${bundle}</script><script>SyncFlowBlock.default();</script></body></html>`;
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  h = await startHarness();
  process.env.DATABASE_URL = h.databaseUrl;
  // The product on Shopify: its variants are the first three catalog items (record listings of the Shopify channel).
  const record = await h.prisma.channel.findFirstOrThrow({ where: { shopId: h.shopId, kind: "shopify" } });
  const items = await h.prisma.catalogItem.findMany({ where: { shopId: h.shopId }, orderBy: { sku: "asc" }, take: 3 });
  await h.prisma.listing.createMany({
    data: items.map((it, i) => ({
      shopId: h.shopId,
      channelId: record.id,
      itemId: it.id,
      externalId: `gid://shopify/ProductVariant/${9000 + i}`,
      productId: PRODUCT,
      variantId: `gid://shopify/ProductVariant/${9000 + i}`,
      sku: it.sku,
      title: it.title,
      productType: "variant",
      manageStock: true,
      matchStatus: "linked",
    })),
  });
  const built = await build({
    entryPoints: [path.join(ROOT, "extensions", "syncflow-product-block", "src", "BlockExtension.tsx")],
    bundle: true,
    write: false,
    format: "iife",
    globalName: "SyncFlowBlock",
    platform: "browser",
    target: "es2020",
    jsx: "automatic",
    jsxImportSource: "preact",
    logLevel: "silent",
  });
  bundle = built.outputFiles[0]!.text;
  browser = await launchChromium([
    // The real admin (public) calls a public app URL; here the app is on loopback, which Chromium's
    // local-network-access checks refuse to a public origin. Only that check is turned off.
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessRespectPreflightResults",
  ]);
}, 170_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

async function newContext() {
  const context = await browser.newContext({
    viewport: { width: 1100, height: 700 },
    userAgent: desktopUserAgent(browser),
  });
  const token = mintSessionToken({ apiKey: API_KEY, apiSecret: API_SECRET, shop: SHOP });
  // The admin's extension host page (the block's iframe parent) is answered here; everything else as routeToApp does.
  await routeToApp(context, h.appUrl, offHost, async (url, route) => {
    if (url !== `${EXT_ORIGIN}/syncflow-block.html`) return false;
    await route.fulfill({ status: 200, contentType: "text/html", body: hostPage(token, h.appUrl) });
    return true;
  });
  return context;
}

describe("admin block on the product details page", () => {
  it("renders each variant's stock per channel from the app backend with the extension's session token, and Sync now queues a sync", async () => {
    const context = await newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const apiCalls: { method: string; status: number; auth: boolean; origin?: string; allowOrigin?: string }[] = [];
    page.on("response", async (r) => {
      if (!r.url().includes("/api/extension/product")) return;
      // A response still being read when the test closes its context has nothing left to tell (and must not reject).
      try {
        const req = await r.request().allHeaders();
        apiCalls.push({
          method: r.request().method(),
          status: r.status(),
          auth: !!req["authorization"],
          origin: req["origin"],
          allowOrigin: (await r.allHeaders())["access-control-allow-origin"],
        });
      } catch {
        /* the page closed first */
      }
    });
    await page.goto(`${EXT_ORIGIN}/syncflow-block.html`);
    await page.locator("s-table-row").first().waitFor({ timeout: 20_000 });

    // What the block shows matches the database, variant by variant.
    const items = await h.prisma.catalogItem.findMany({
      where: { shopId: h.shopId },
      orderBy: { sku: "asc" },
      take: 3,
    });
    const channels = await h.prisma.channel.findMany({
      where: { shopId: h.shopId, kind: "woocommerce" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    const headers = await page.locator("s-table-header").allInnerTexts();
    expect(headers).toEqual(["Variant", "Shopify", ...channels.map((c) => c.name), "Conflicts", "Last sync"]);
    const rows = page.locator("s-table-row");
    expect(await rows.count()).toBe(items.length);
    for (const [i, it] of items.entries()) {
      const cells = await rows.nth(i).locator("s-table-cell").allInnerTexts();
      expect(cells[0]).toContain(it.sku);
      const level = await h.prisma.inventoryLevel.aggregate({ where: { itemId: it.id }, _sum: { available: true } });
      expect(cells[1]).toBe(level._sum.available == null ? "—" : String(level._sum.available));
      for (const [j, ch] of channels.entries()) {
        const l = await h.prisma.listing.findFirst({ where: { channelId: ch.id, itemId: it.id } });
        const cell = cells[2 + j]!;
        if (!l) expect(cell).toContain("Not listed");
        else if (l.matchStatus === "linked" && l.manageStock)
          expect(cell).toContain(String(l.lastObservedQuantity ?? l.lastWrittenQuantity ?? "—"));
      }
      const open = await h.prisma.conflict.count({ where: { itemId: it.id, status: "open" } });
      expect(cells[2 + channels.length]).toBe(open ? `${open} open conflict${open === 1 ? "" : "s"}` : "None");
    }
    fs.writeFileSync(path.join(SHOTS, "admin-block.html"), await page.content());
    await page.screenshot({ path: path.join(SHOTS, "admin-block.png"), fullPage: true });

    const runsBefore = await h.prisma.syncRun.count({ where: { shopId: h.shopId, kind: "bulk_sync" } });
    await page.locator("s-button", { hasText: "Sync now" }).click();
    await page.locator("s-banner", { hasText: "Sync queued" }).waitFor({ timeout: 10_000 });
    const run = await h.prisma.syncRun.findFirstOrThrow({
      where: { shopId: h.shopId, kind: "bulk_sync" },
      orderBy: { startedAt: "desc" },
    });
    expect(await h.prisma.syncRun.count({ where: { shopId: h.shopId, kind: "bulk_sync" } })).toBe(runsBefore + 1);
    expect(run.total).toBe(items.length);
    expect((run.plan as { actor?: string }).actor).toContain("admin block");

    // Cross-origin like the real admin: GET and POST from the extension's origin, each carrying the session
    // token and answered with CORS headers the browser accepted (Chromium does not report its preflights to
    // the page; the preflight is checked in the next test).
    const calls = apiCalls.filter((c) => c.method !== "OPTIONS");
    expect(calls.map((c) => c.method)).toEqual(expect.arrayContaining(["GET", "POST"]));
    for (const c of calls) expect(c).toMatchObject({ auth: true, origin: EXT_ORIGIN, allowOrigin: "*" });
    expect(calls.every((c) => c.status < 300)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("answers the browser's CORS preflight from the extension's origin", async () => {
    const res = await fetch(`${h.appUrl}/api/extension/product?id=${encodeURIComponent(PRODUCT)}`, {
      method: "OPTIONS",
      headers: {
        Origin: EXT_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
        "User-Agent": "Mozilla/5.0 Chrome/150",
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect((res.headers.get("access-control-allow-headers") ?? "").toLowerCase()).toContain("authorization");
  });

  it("refuses the backend call without a valid session token", async () => {
    const res = await fetch(`${h.appUrl}/api/extension/product?id=${encodeURIComponent(PRODUCT)}`, {
      headers: { Authorization: "Bearer not-a-token", "User-Agent": "Mozilla/5.0 Chrome/150" },
    });
    expect(res.status).toBe(401);
  });
});

describe("Plan page", () => {
  it("shows the plan, usage against its limits and the four plans", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/plan")}`);
    await page
      .locator(".Polaris-Page")
      .getByRole("heading", { level: 1, name: "Plan", exact: true })
      .waitFor({ timeout: 20_000 });
    await page.waitForLoadState("networkidle");
    const text = await page.locator(".Polaris-Page").innerText();
    for (const label of [
      "Free",
      "Starter",
      "Professional",
      "Enterprise",
      "Sales channels",
      "Orders this period",
      "$29",
      "$79",
      "$199",
    ])
      expect(text).toContain(label);
    expect(text).toMatch(/Current plan/);
    await page.screenshot({ path: path.join(SHOTS, "plan.png"), fullPage: true });
    // Analytics are gated on Free: the dashboard offers the plans instead of its charts.
    await page.goto(`${h.appUrl}/demo/admin`);
    await page
      .getByText("Revenue trends and orders by store are part of the Professional and Enterprise plans.")
      .waitFor({ timeout: 20_000 });
    expect(await page.getByRole("img", { name: /Orders by store/ }).count()).toBe(0);
    await context.close();
    expect(offHost.filter((u) => !u.startsWith("https://cdn.shopify.com"))).toEqual([]);
  });
});
