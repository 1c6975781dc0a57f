/**
 * Forecasting in a real browser (issue 18 item 2; Chromium via playwright-core against the production build in demo
 * mode, as admin.e2e.test.ts): the Reorder page lists the items at or under their reorder point with available,
 * demand/day, days of cover, stockout date, reorder point, suggested quantity and the anomaly flag; tabs, search and
 * sort; the CSV of the list downloaded and parsed; the method page; Forecast settings show zod's field errors from the
 * server, then save (defaults and an item's own lead time); Scheduled reports save. Each page is checked with axe-core
 * (no serious/critical violations). Screenshots: tests/e2e/screenshots/reorder*.png (git-ignored; a copy in
 * docs/screenshots/issue-18-reorder.png). The stored forecasts are seeded as the forecast job writes them (the job
 * itself is tested in app/forecast/forecast.integration.test.ts); no worker runs, so a queued recalculation is asserted
 * on in pg-boss.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { parse as parseCsv } from "csv-parse/sync";
import { startHarness, type Harness } from "./harness";
import { openAdminBrowser, pageTitle as titleOf, runAxe, screenshot, SHOTS, type AdminBrowser } from "./browser";

let h: Harness;
let ab: AdminBrowser;
let page: Page;

const axeCheck = async () => expect((await runAxe(page)).seriousOrCritical).toEqual([]);
const shot = (name: string) => screenshot(page, name);
const pageTitle = (name: string) => titleOf(page, name);
const rows = () => page.locator(".Polaris-IndexTable__TableRow");
const row = (sku: string) => rows().filter({ hasText: sku });

/** Stored forecasts for seeded items, as the forecast job leaves them (decision 295). */
async function seedForecasts(): Promise<void> {
  const items = await h.prisma.catalogItem.findMany({
    where: { shopId: h.shopId },
    orderBy: { skuKey: "asc" },
    take: 8,
  });
  const base = {
    shopId: h.shopId,
    method: "mean",
    slopePerDay: 0,
    daysUsed: 56,
    stockoutDays: 0,
    lowHistory: false,
    leadTimeDays: 14,
    safetyStock: 10,
    computedAt: new Date(),
  };
  // [available, demand/day, reorder now, suggested, anomaly]
  const spec: [number, number, boolean, number, string | null][] = [
    [12, 4, true, 162, null], // 3 days of cover
    [30, 2.5, true, 85, "spike"], // 12 days
    [0, 1.2, true, 62, null], // out now
    [400, 3, false, 0, null], // 133 days
    [80, 0, false, 0, null], // no sales
    [60, 1, false, 0, "drop"], // 60 days
  ];
  for (const [i, [available, d, reorderNow, suggestedQty, anomaly]] of spec.entries()) {
    const cover = available <= 0 ? 0 : d > 0 ? available / d : null;
    await h.prisma.itemForecast.create({
      data: {
        ...base,
        itemId: items[i]!.id,
        available,
        demandPerDay: d,
        daysOfCover: cover,
        stockoutDate:
          cover == null ? null : new Date(Date.UTC(2026, 11, 5 + Math.floor(cover))).toISOString().slice(0, 10),
        reorderPoint: Math.ceil(d * 14 + 10),
        reorderNow,
        suggestedQty,
        lowCover: reorderNow && d > 0,
        anomaly,
        anomalyScore: anomaly === "spike" ? 4.2 : anomaly === "drop" ? -3.3 : null,
      },
    });
  }
  await h.prisma.forecastSettings.create({ data: { shopId: h.shopId, computedAt: new Date() } });
}

beforeAll(async () => {
  h = await startHarness();
  process.env.DATABASE_URL = h.databaseUrl;
  // Forecasting is analytics: Professional and up (app/billing/plans.ts).
  await h.prisma.shop.update({
    where: { id: h.shopId },
    data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
  });
  await seedForecasts();
  ab = await openAdminBrowser(h.appUrl);
  page = ab.page;
  await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/reorder")}`);
  await pageTitle("Reorder").waitFor({ timeout: 20_000 });
}, 170_000);

afterAll(async () => {
  await ab?.close();
  const { stopBoss } = await import("../../app/jobs/queue.server");
  await stopBoss(2000).catch(() => {});
  await h?.stop();
});

describe("Reorder (browser)", () => {
  it("lists the items to reorder, least cover first, with every column", async () => {
    await page.waitForLoadState("networkidle");
    await page.getByText("3 items are at or under the reorder point").waitFor();
    await expect.poll(() => rows().count()).toBe(3);
    const texts = await rows().allInnerTexts();
    expect(texts.map((t) => t.split(/\s/)[0])).toEqual(["TEE-003", "TEE-001", "TEE-002"]); // 0, 3, 12 days of cover
    const first = row("TEE-001");
    for (const cell of ["12", "4", "3", "2026-12-08", "66", "Order 162"])
      await first.getByText(cell, { exact: true }).first().waitFor();
    await row("TEE-002").getByText("Sales spike").waitFor();
    await page.getByRole("link", { name: "How this is calculated" }).waitFor();
    await shot("reorder");
    await axeCheck();
  });

  it("tabs, search and sort are server-side", async () => {
    await page.getByRole("tab", { name: "All items" }).click();
    await page.waitForURL((u) => u.searchParams.get("tab") === "all");
    await expect.poll(() => rows().count()).toBe(6);
    // No demand sorts last; its cover reads "no sales".
    await expect.poll(async () => (await rows().last().innerText()).split(/\s/)[0]).toBe("TEE-005");
    await rows().last().getByText("no sales").waitFor();
    await page.getByRole("tab", { name: "Unusual sales" }).click();
    await page.waitForURL((u) => u.searchParams.get("tab") === "anomaly");
    await expect.poll(() => rows().count()).toBe(2);
    await row("TEE-006").getByText("Sales drop").waitFor();
    await page.getByRole("tab", { name: "All items" }).click();
    await page.waitForURL((u) => u.searchParams.get("tab") === "all");
    await page.getByLabel("Sort by").selectOption("demand");
    await page.waitForURL((u) => u.searchParams.get("sort") === "demand");
    await expect.poll(async () => (await rows().first().innerText()).split(/\s/)[0]).toBe("TEE-001");
    await page.getByLabel("Search SKU or title").fill("tee-004");
    await page.getByLabel("Search SKU or title").press("Enter");
    await page.waitForURL((u) => u.searchParams.get("q") === "tee-004");
    await expect.poll(() => rows().count()).toBe(1);
    await axeCheck();
  });

  it("exports the list as CSV (downloaded and parsed) and queues a recalculation", async () => {
    await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/reorder")}`);
    await pageTitle("Reorder").waitFor({ timeout: 20_000 });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV of the reorder list" }).click(),
    ]);
    const file = path.join(SHOTS, "reorder.csv");
    await download.saveAs(file);
    const records = parseCsv(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""), { columns: true }) as Record<
      string,
      string
    >[];
    expect(
      records.map((r) => [r.SKU, r.Available, r["Days of cover"], r["Suggested quantity"], r["Reorder now"]]),
    ).toEqual([
      ["TEE-003", "0", "0", "62", "yes"],
      ["TEE-001", "12", "3", "162", "yes"],
      ["TEE-002", "30", "12", "85", "yes"],
    ]);
    await page.getByRole("button", { name: "Recalculate" }).click();
    await page.waitForLoadState("networkidle");
    const { getBoss } = await import("../../app/jobs/queue.server");
    const boss = await getBoss();
    await expect
      .poll(async () =>
        (await boss.findJobs<{ shopId: string }>("forecast-tick", { queued: true })).map((j) => j.data.shopId),
      )
      .toContain(h.shopId);
  });

  it("the method page shows the formulas", async () => {
    await page.getByRole("link", { name: "How this is calculated" }).click();
    await pageTitle("How the forecast is calculated").waitFor();
    await page.getByText("ROP = ⌈d · L + S⌉", { exact: false }).waitFor();
    await axeCheck();
  });

  it("Forecast settings: field errors from the server, then the defaults and an item's own lead time are saved", async () => {
    await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/reorder/settings")}`);
    await pageTitle("Forecast settings").waitFor({ timeout: 20_000 });
    await page.getByLabel("Lead time (days)").first().fill("-3");
    await page.getByLabel("Sales history (days)").fill("200");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("Lead time must be a whole number").waitFor();
    await page.getByText("Sales history must be at most 90").waitFor();
    expect(await h.prisma.forecastSettings.findUnique({ where: { shopId: h.shopId } })).toMatchObject({
      leadTimeDays: 14,
      historyDays: 56,
    });
    await axeCheck();
    await page.getByLabel("Lead time (days)").first().fill("21");
    await page.getByLabel("Sales history (days)").fill("28");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("The forecast is being recalculated with the new settings.").waitFor();
    expect(await h.prisma.forecastSettings.findUnique({ where: { shopId: h.shopId } })).toMatchObject({
      leadTimeDays: 21,
      historyDays: 28,
      lowCoverAlerts: true,
    });

    await page.getByLabel("SKU").fill("TEE-002");
    await page.getByLabel("Lead time (days)").nth(1).fill("5");
    await page.getByRole("button", { name: "Save item" }).click();
    await page.getByRole("cell", { name: "TEE-002", exact: true }).waitFor();
    const item = await h.prisma.catalogItem.findFirstOrThrow({ where: { shopId: h.shopId, sku: "TEE-002" } });
    expect(await h.prisma.itemForecastSetting.findUnique({ where: { itemId: item.id } })).toMatchObject({
      leadTimeDays: 5,
      safetyStock: null,
    });
    await shot("reorder-settings");
    await axeCheck();
  });

  it("Scheduled reports: weekly on Monday at 07:00 to two recipients", async () => {
    await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/reports")}`);
    await pageTitle("Scheduled reports").waitFor({ timeout: 20_000 });
    await page.getByLabel("Send the report").check({ force: true });
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Add at least one recipient to send reports").waitFor();
    await page.getByLabel("Time").selectOption("7");
    await page.getByLabel("Recipients").fill("owner@e2e.test, Buyer@E2E.test");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Report schedule saved").waitFor();
    expect(await h.prisma.reportSchedule.findUnique({ where: { shopId: h.shopId } })).toMatchObject({
      enabled: true,
      frequency: "weekly",
      weekday: 1,
      hour: 7,
      recipients: ["owner@e2e.test", "buyer@e2e.test"],
    });
    await shot("reports-settings");
    await axeCheck();
  });

  it("had no page errors or off-host requests", () => {
    expect(ab.pageErrors).toEqual([]);
    expect(ab.offHost.filter((u) => !u.startsWith("https://cdn.shopify.com/"))).toEqual([]);
  });
});
