/**
 * Settings → API in a real browser (issue 18 item 4; Chromium via playwright-core against the production build in demo
 * mode, as admin.e2e.test.ts): create a read-and-write key — shown once, stored only as its SHA-256, and it works
 * against /api/v1 — it is gone from the page after a reload; add a webhook endpoint (its signing secret shown once);
 * revoke the key (the API then answers 401). Checked with axe-core (no serious/critical violations). Screenshot:
 * tests/e2e/screenshots/issue-18-api-keys.png (git-ignored; a copy in docs/screenshots/issue-18-api-keys.png).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startHarness, ROOT, type Harness } from "./harness";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.join(ROOT, "tests", "e2e", "screenshots");
const AXE = fs.readFileSync(path.join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");
const SHIM = fs.readFileSync(path.join(ROOT, "public", "demo", "app-bridge-shim.js"), "utf8");

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const offHost: string[] = [];
let secret = "";

async function axeCheck(): Promise<void> {
  await page.addScriptTag({ content: AXE });
  const bad = (await page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v: any) => v.impact === "serious" || v.impact === "critical")
      .map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(" ")).join(", ")}`);
  })) as string[];
  expect(bad).toEqual([]);
}

const pageTitle = (name: string) => page.locator(".Polaris-Page").getByRole("heading", { level: 1, name, exact: true });

const api = (key: string) =>
  fetch(`${h.appUrl}/api/v1/channels`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  h = await startHarness();
  process.env.DATABASE_URL = h.databaseUrl;
  // API access is an Enterprise feature (docs/decisions/170).
  await h.prisma.shop.update({
    where: { id: h.shopId },
    data: { planKey: "enterprise", subscriptionStatus: "ACTIVE" },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  const version = browser.version().split(".")[0];
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36`,
  });
  const appOrigin = new URL(h.appUrl).origin;
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (url.startsWith(appOrigin)) return route.continue();
    if (url.startsWith("https://cdn.shopify.com/shopifycloud/app-bridge.js"))
      return route.fulfill({ status: 200, contentType: "text/javascript", body: SHIM });
    offHost.push(url);
    return route.abort();
  });
  page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/api-keys")}`);
  await pageTitle("API").waitFor({ timeout: 20_000 });
}, 170_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  const { stopBoss } = await import("../../app/jobs/queue.server");
  await stopBoss(2000).catch(() => {});
  await h?.stop();
});

describe("Settings → API (browser)", () => {
  it("creates a key and shows it once; only its hash is stored; it works against /api/v1", async () => {
    await page.waitForLoadState("networkidle");
    await page.getByLabel("Key name").fill("ERP sync");
    await page.getByLabel("Scope").selectOption("read_write");
    await page.getByRole("button", { name: "Create key" }).click();
    const field = page.getByLabel("New API key");
    await field.waitFor();
    secret = await field.inputValue();
    expect(secret).toMatch(/^sf_live_[a-z2-7]{8}_[a-z2-7]{32}$/);
    const row = await h.prisma.apiKey.findFirstOrThrow({ where: { shopId: h.shopId, name: "ERP sync" } });
    expect(row.secretHash).toBe(crypto.createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(secret.slice(17));
    expect(row.scope).toBe("read_write");
    await page.locator("table").getByText("ERP sync").waitFor();
    await page.locator("table").getByText(`${row.prefix}_…`).waitFor();
    expect(await api(secret)).toBe(200);
  });

  it("adds a webhook endpoint with its signing secret shown once; page passes axe", async () => {
    await page.getByLabel("Endpoint URL (https)").fill("https://erp.example.com/syncflow-webhooks");
    await page.getByLabel(/conflict\.raised/).check();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const field = page.getByLabel(/Signing secret for/);
    await field.waitFor();
    expect(await field.inputValue()).toMatch(/^whsec_/);
    await page.locator("table").getByText("https://erp.example.com/syncflow-webhooks").waitFor();
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: path.join(SHOTS, "issue-18-api-keys.png"), fullPage: true });
    await axeCheck();
  });

  it("after a reload the key is not shown anywhere; revoke stops it at once", async () => {
    await page.reload();
    await pageTitle("API").waitFor();
    await page.waitForLoadState("networkidle");
    expect(await page.content()).not.toContain(secret);
    await page.getByRole("button", { name: "Revoke ERP sync" }).click();
    await page.locator("table").getByText("Revoked").waitFor();
    expect(await api(secret)).toBe(401);
    await axeCheck();
  });

  it("had no page errors or off-host requests", () => {
    expect(pageErrors).toEqual([]);
    expect(offHost).toEqual([]);
  });
});
