/**
 * Admin UI in a real browser (Chromium via playwright-core) against a production build in demo mode:
 * /demo/admin plays Shopify Admin opening the embedded app (session token → token exchange with the
 * emulated Shopify), then one flow per page: Dashboard (onboarding, store health, charts), Channels
 * (connection code shown once), Inventory (search, filters, pages, bulk sync with progress to completion),
 * Item detail (timeline → order; a store price override saved via the save bar), Orders (filters, search, detail), Activity (cause filter, sync log, CSV
 * downloaded and parsed), Conflicts (resolved against the emulated WooCommerce store, kept in history),
 * Dead letters (replay, discard with reason), Settings (save bar, reconcile now) — each checked with
 * axe-core (no serious/critical violations) and screenshotted to tests/e2e/screenshots/ (git-ignored).
 * The test process runs the `bulk` queue's worker; other queues only collect jobs (asserted on).
 * Nothing leaves 127.0.0.1: every other request is aborted.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { parse as parseCsv } from "csv-parse/sync";
import type { PgBoss } from "pg-boss";
import { startHarness, SEED, type Harness } from "./harness";
import { openAdminBrowser, pageTitle as titleOf, runAxe, screenshot, SHOTS, type AdminBrowser } from "./browser";

let h: Harness;
let boss: PgBoss;
/** Dead-letter job ids seeded in beforeAll: [replay, discard]. */
const deadLetterIds: string[] = [];
let ab: AdminBrowser;
let page: Page;
/** axe results per page, logged at the end (the report quotes them). */
const axeSummary: Record<string, { violations: number; seriousOrCritical: number; ids: string[] }> = {};

async function axeCheck(name: string): Promise<void> {
  const { violations, seriousOrCritical } = await runAxe(page);
  axeSummary[name] = {
    violations: violations.length,
    seriousOrCritical: seriousOrCritical.length,
    ids: violations.map((v) => `${v.id}(${v.impact})`),
  };
  expect(seriousOrCritical).toEqual([]);
}

const shot = (name: string) => screenshot(page, name);

/** The rendered page's title (not the loading skeleton's, which also has an h1). */
const pageTitle = (name: string) => titleOf(page, name);

/** Client-side navigation through the NavMenu links, waiting for the page (not its skeleton). */
async function gotoNav(label: string, heading: string): Promise<void> {
  const link = page.locator("ui-nav-menu").getByRole("link", { name: label, exact: true });
  const href = new URL((await link.getAttribute("href"))!, h.appUrl).pathname;
  await link.click();
  // Same page with other params (filters): wait for the param-less URL before going on.
  await page.waitForURL(
    (u) =>
      u.pathname === href &&
      !["q", "store", "match", "low", "conflict", "mode", "sort", "page", "cause", "tab", "status", "view"].some((k) =>
        u.searchParams.has(k),
      ),
  );
  await pageTitle(heading).waitFor();
  await page.waitForLoadState("networkidle");
}

beforeAll(async () => {
  h = await startHarness();
  // The dashboard's charts are analytics, in the Professional plan and up (docs/decisions/171); this suite checks
  // them, so the demo shop is on Professional (tests/e2e/extensions.e2e.test.ts covers the Free plan).
  await h.prisma.shop.update({
    where: { id: h.shopId },
    data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
  });
  await seedQueue();
  ab = await openAdminBrowser(h.appUrl);
  page = ab.page;
}, 170_000);

/**
 * In this process: pg-boss on the test database, a worker for the `bulk` queue only (bulk actions), and
 * two genuine dead letters (link-channel jobs failed on their only attempt, with their job.dead_lettered events).
 */
async function seedQueue(): Promise<void> {
  process.env.DATABASE_URL = h.databaseUrl;
  process.env.SYNCFLOW_RETRY_DELAY_S = "1";
  const { getBoss, QUEUES } = await import("../../app/jobs/queue.server");
  const { runBulkJob } = await import("../../app/jobs/bulk.server");
  const { emitEvent } = await import("../../app/sync/events.server");
  boss = await getBoss();
  await boss.work(QUEUES.bulk, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    for (const job of jobs) await runBulkJob(job.data as Parameters<typeof runBulkJob>[0]);
  });
  const outlet = await h.prisma.channel.findFirstOrThrow({ where: { shopId: h.shopId, name: "Woo Outlet" } });
  const causes = [
    "ChannelError: Woo Outlet answered 401 Unauthorized (consumer key revoked)",
    "ChannelError: Woo Outlet timed out after 30 s",
  ];
  for (const cause of causes) {
    const id = (await boss.send(QUEUES.linkChannel, { shopId: h.shopId, channelId: outlet.id }, { retryLimit: 0 }))!;
    const [job] = await boss.fetch(QUEUES.linkChannel);
    expect(job?.id).toBe(id);
    await emitEvent(h.shopId, "job.dead_lettered", {
      queue: QUEUES.linkChannel,
      jobId: id,
      data: { shopId: h.shopId, channelId: outlet.id },
      cause,
      attempts: 1,
    });
    await boss.fail(QUEUES.linkChannel, id, { message: cause });
  }
  for (let i = 0; i < 50 && deadLetterIds.length < 2; i++) {
    const dl = await boss.findJobs<{ shopId: string }>(QUEUES.deadLetter, { queued: true });
    deadLetterIds.splice(
      0,
      deadLetterIds.length,
      ...dl.sort((a, b) => a.createdOn.getTime() - b.createdOn.getTime()).map((j) => j.id),
    );
    if (deadLetterIds.length < 2) await new Promise((r) => setTimeout(r, 100));
  }
  expect(deadLetterIds).toHaveLength(2);
}

afterAll(async () => {
  console.log(`[e2e] harness timings ms: ${JSON.stringify(h?.timings)}`);
  console.log(`[e2e] axe: ${JSON.stringify(axeSummary)}`);
  if (ab?.offHost.length) console.log(`[e2e] blocked off-host requests: ${[...new Set(ab.offHost)].join(", ")}`);
  await ab?.close();
  const { stopBoss } = await import("../../app/jobs/queue.server");
  await stopBoss(2000).catch(() => {});
  await h?.stop();
});

describe("embedded admin (demo mode)", () => {
  it("opens through /demo/admin, exchanges the session token and renders the dashboard", async () => {
    await page.goto(`${h.appUrl}/demo/admin`);
    await pageTitle("Dashboard").waitFor({ timeout: 20_000 });
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
    await page.getByText("3 of the last 10 pushes timed out; retrying with backoff").waitFor();
    await page.getByRole("heading", { name: "SKUs tracked" }).waitFor();
    await page.getByText(String(SEED.items), { exact: true }).first().waitFor();
    // Onboarding: a store is connected; SKU matches still need review (2 unlinked listings); no reconciliation yet.
    await page.getByRole("heading", { name: "Set up SyncFlow" }).waitFor();
    expect(await page.locator('[data-step="connect"]').getAttribute("data-done")).toBe("true");
    expect(await page.locator('[data-step="matches"]').getAttribute("data-done")).toBe("false");
    // A reconciliation already succeeded (seeded run), and both stores have a sales location.
    expect(await page.locator('[data-step="reconcile"]').getAttribute("data-done")).toBe("true");
    expect(await page.locator('[data-step="locations"]').getAttribute("data-done")).toBe("true");
    // Orders chart and revenue: 6 orders, 5 not cancelled (40 + 20 + 300 + 25 + 75 = 460).
    await page.getByRole("img", { name: /Orders by store/ }).waitFor();
    await page.getByText("EUR 460.00").waitFor();
    // Shopify API points read live from the emulated Admin API.
    await page.getByText(/plan · restores/).waitFor();
    await page.getByRole("heading", { name: /Low stock/ }).waitFor();
    // Another tenant's store never shows.
    expect(await page.getByText("Other Tenant Woo").count()).toBe(0);
    // The demo shim stands in for App Bridge (AppProvider points its script tag at /demo/app-bridge-shim.js).
    expect(
      await page.evaluate(
        () => (window as unknown as { shopify?: { __syncflowDemoShim?: boolean } }).shopify?.__syncflowDemoShim,
      ),
    ).toBe(true);
    expect(await page.locator('script[src="/demo/app-bridge-shim.js"]').count()).toBe(1);
    await page.waitForLoadState("networkidle");
    await shot("01-dashboard");
    await axeCheck("dashboard");
  });

  it("channels: lists stores and shows a new connection code once", async () => {
    await gotoNav("Channels", "Channels");
    const table = page.locator(".Polaris-IndexTable");
    await table.getByText("https://outlet.example.test").waitFor();
    await table.getByText(h.woo.url).waitFor();
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
    await gotoNav("Dashboard", "Dashboard");
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
    await page.locator(".Polaris-Badge", { hasText: "Stock not managed" }).first().waitFor();
    await shot("04-inventory-search");

    await search.fill("OTHER-SECRET");
    await page.getByText("No SKU or title matches “OTHER-SECRET”").waitFor();
    expect(await rows.count()).toBe(0);
    await shot("05-inventory-empty");
    await axeCheck("inventory-empty");
  });

  it("inventory: filters, then a bulk sync of every SKU runs as a job with progress to completion", async () => {
    await gotoNav("Inventory", "Inventory");
    const rows = page.locator(".Polaris-IndexTable__TableRow");
    // Store + mapping status: 22 SKUs are not listed at Woo Wholesale.
    await page.getByLabel("Store", { exact: true }).selectOption({ label: "Woo Wholesale" });
    await page.waitForURL((u) => Boolean(u.searchParams.get("store")));
    await page.getByLabel("Mapping status").selectOption("not_listed");
    await page.waitForURL((u) => u.searchParams.get("match") === "not_listed");
    await expect
      .poll(
        async () =>
          page
            .locator(".Polaris-Page")
            .innerText()
            .then((t) => t.match(/\d+–\d+ of \d+ SKUs|0 SKUs/)?.[0]),
        { timeout: 10_000 },
      )
      .toBe("1–22 of 22 SKUs");
    expect(await rows.count()).toBe(22);
    await page.getByText("TEE-041", { exact: true }).waitFor();
    // Sort by SKU descending keeps the filter.
    await page.getByLabel("Sort by").selectOption("-sku");
    await page.waitForURL((u) => u.searchParams.get("sort") === "-sku");
    await expect.poll(() => rows.first().textContent()).toContain("TEE-062");
    await shot("09-inventory-filtered");
    // Has conflict: TEE-001 (open conflict at Woo Wholesale).
    await gotoNav("Inventory", "Inventory");
    await page.locator("label", { hasText: "Has conflict" }).click();
    await page.waitForURL((u) => u.searchParams.get("conflict") === "1");
    await page.getByText("1–1 of 1 SKUs").waitFor();
    await page.getByText("TEE-001", { exact: true }).waitFor();

    // Bulk: select all 62 (beyond the page), "Sync now", progress bar to completion.
    await h.prisma.listing.updateMany({ where: { shopId: h.shopId }, data: { pushRequestedAt: null } });
    await gotoNav("Inventory", "Inventory");
    await page.getByText(`1–50 of ${SEED.items} SKUs`).waitFor();
    await page
      .locator(".Polaris-IndexTable__TableHeading--first .Polaris-Checkbox")
      .filter({ visible: true })
      .first()
      .click();
    await page.getByRole("button", { name: `Select all ${SEED.items} matching SKUs` }).click();
    await page.getByRole("button", { name: "Sync now" }).click();
    await page.getByRole("heading", { name: `Sync now — ${SEED.items} SKUs` }).waitFor();
    await page.getByRole("button", { name: "Start: Sync now" }).click();
    const progress = page.locator("[data-run-status]");
    await progress.waitFor();
    await page.locator('[data-run-status="succeeded"]').waitFor({ timeout: 30_000 });
    await page.getByText(`${SEED.items} of ${SEED.items} SKUs processed (100%)`).waitFor();
    await shot("10-inventory-bulk-sync-done");
    await axeCheck("inventory-bulk");
    const run = await h.prisma.syncRun.findFirstOrThrow({ where: { shopId: h.shopId, kind: "bulk_sync" } });
    expect(run).toMatchObject({ status: "succeeded", total: SEED.items, processed: SEED.items });
    // Pushes requested for the linked SKUs: 62 at Outlet + 39 at Wholesale (TEE-004 not stocked), and one queued drain
    // per store (pushes are coalesced per listing and drained per store: docs/decisions/100).
    const { QUEUES } = await import("../../app/jobs/queue.server");
    expect(await h.prisma.listing.count({ where: { shopId: h.shopId, pushRequestedAt: { not: null } } })).toBe(
      SEED.items + 39,
    );
    const pushes = await boss.findJobs<{ shopId: string; channelId: string }>(QUEUES.pushStock, {
      data: { shopId: h.shopId },
      queued: true,
    });
    expect(new Set(pushes.map((j) => j.data.channelId)).size).toBe(2);
    expect(run.changed).toBe(SEED.items + 39);
  });

  it("item detail: quantities per location and store, ledger timeline linking to its order, order detail", async () => {
    await page.getByRole("link", { name: "TEE-001", exact: true }).first().click();
    await pageTitle("TEE-001").waitFor();
    await page.getByText("Main warehouse").first().waitFor();
    await page.getByRole("heading", { name: "Woo Outlet" }).waitFor();
    await page.getByRole("heading", { name: "Woo Wholesale" }).waitFor();
    await page.getByText("1 open conflict").waitFor();
    await page.getByRole("list", { name: "Stock history" }).waitFor();
    await page.getByText("By woocommerce:outlet · Order #1001 from Woo Outlet").waitFor();
    await shot("11-item-detail");
    await axeCheck("item-detail");
    await page.getByRole("link", { name: "Order 1001" }).click();
    await pageTitle("Order #1001").waitFor();
    await page.getByText("Ada Lovelace").first().waitFor();
    await page.getByText("What this order did to stock").waitFor();
    await page.getByText("10 → 8").or(page.getByText("12 → 10")).first().waitFor();
    await shot("12-order-detail");
    await axeCheck("order-detail");
  });

  it("orders: every store's orders, totals, filters by store/status, search by customer and SKU", async () => {
    await gotoNav("Orders", "Orders");
    const rows = page.locator(".Polaris-IndexTable__TableRow");
    expect(await rows.count()).toBe(SEED.orders);
    await page.getByText("6 orders · EUR 520.00").waitFor();
    await shot("13-orders");
    await axeCheck("orders");
    await page.getByLabel("Store", { exact: true }).selectOption({ label: "Woo Wholesale" });
    await page.getByText("2 orders · EUR 360.00").waitFor();
    await page.getByLabel("Status").selectOption("cancelled");
    await page.getByText("1 orders · EUR 60.00").waitFor();
    await gotoNav("Orders", "Orders");
    const search = page.getByRole("searchbox", { name: "Search by order number, customer or SKU" });
    await search.fill("TEE-003");
    await page.waitForURL((u) => u.searchParams.get("q") === "TEE-003");
    await page.getByText("1 orders · EUR 300.00").waitFor();
    await page.getByText("Katherine Johnson").waitFor();
    await search.fill("grace");
    await page.getByText("1 orders · EUR 20.00").waitFor();
    await shot("14-orders-search");
  });

  it("activity: ledger rows newest first, filter by cause, reload stays in the app", async () => {
    await gotoNav("Activity", "Activity");
    const rows = page.locator(".Polaris-IndexTable__TableRow");
    expect(await rows.count()).toBe(SEED.ledgerRows + 1);
    await page.getByText("e2e:cancel:7").waitFor();
    expect(await page.getByText("OTHER TENANT LEDGER").count()).toBe(0);
    // Newest first: the last seeded row (cancel) is on top.
    await expect(rows.first().textContent()).resolves.toContain("e2e:order-1001:line-0");
    await shot("06-activity");
    await axeCheck("activity");

    await page.getByLabel("Cause").selectOption("order");
    await page.waitForURL((u) => u.searchParams.get("cause") === "order");
    await page.getByText("e2e:order:4").waitFor();
    // The row was on the unfiltered page too: wait for the filtered list itself, not for the first row that shows.
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
    expect(await page.getByText("e2e:push:2").count()).toBe(0);
    await shot("07-activity-orders");

    // A full reload of a client-side URL (no Shopify params) re-enters through /demo/admin.
    await page.reload();
    await pageTitle("Activity").waitFor();
    expect(new URL(page.url()).searchParams.get("cause")).toBe("order");
    expect(await rows.count()).toBe(3);

    // Sync log: duration and items per run, filter by status.
    await page.getByRole("tab", { name: "Sync log" }).click();
    await page.waitForURL((u) => u.searchParams.get("tab") === "runs");
    await page.getByText("Woo Wholesale timed out after 30 s").waitFor();
    await page.getByText("4.0 s").waitFor();
    await page.getByText("62 / 62").first().waitFor();
    // Seeded reconcile runs + the bulk sync run of the inventory flow.
    await page.locator(".Polaris-IndexTable__TableRow", { hasText: "Bulk sync" }).first().waitFor();
    await shot("08-activity-sync-log");
    await axeCheck("activity-sync-log");
    await page.getByLabel("Status").selectOption("failed");
    await page.waitForURL((u) => u.searchParams.get("status") === "failed");
    await page.getByText("Woo Wholesale timed out after 30 s").waitFor();
    await expect.poll(() => page.getByText("62 / 62").count()).toBe(0);
    expect(await page.locator(".Polaris-IndexTable__TableRow").count()).toBe(1);

    // CSV export (streamed by the exports route), downloaded through the page and parsed.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV of stock changes" }).click(),
    ]);
    const file = path.join(SHOTS, "activity.csv");
    await download.saveAs(file);
    const records = parseCsv(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""), {
      columns: true,
      skip_empty_lines: true,
    }) as Record<string, string>[];
    expect(records.length).toBe(SEED.ledgerRows + 1);
    expect(records.some((r) => Object.values(r).includes("e2e:cancel:7"))).toBe(true);
    expect(JSON.stringify(records)).not.toContain("OTHER TENANT LEDGER");
  });

  it("conflicts: side-by-side values, resolved with “use Shopify” against the store, kept in history", async () => {
    await gotoNav("Conflicts", "Conflicts");
    await page.getByRole("heading", { name: "TEE-001 at Woo Wholesale" }).waitFor();
    await page.getByText("Woo Wholesale shows").waitFor();
    await shot("15-conflicts-open");
    await axeCheck("conflicts");
    expect(h.woo.control.state().stockBySku["TEE-001"]).toBe(SEED.wholesaleStock);
    await page.getByRole("button", { name: "Resolve conflict on TEE-001 at Woo Wholesale" }).click();
    await page.getByRole("heading", { name: "No open conflicts" }).waitFor({ timeout: 20_000 });
    // The store now shows Shopify's derived quantity (10), the conflict is resolved and in history.
    expect(h.woo.control.state().stockBySku["TEE-001"]).toBe(10);
    const c = await h.prisma.conflict.findFirstOrThrow({ where: { shopId: h.shopId, kind: "store_drift" } });
    expect(c).toMatchObject({
      status: "resolved",
      resolution: "use_shopify",
      resolvedQuantity: 10,
      resolvedBy: "e2e-demo.myshopify.com",
    });
    await page.getByRole("tab", { name: "History" }).click();
    await page.waitForURL((u) => u.searchParams.get("view") === "history");
    await page.getByText("Used Shopify → 10").waitFor();
    await expect.poll(() => page.locator(".Polaris-IndexTable__TableRow").count()).toBe(2);
    await shot("16-conflicts-history");
    await axeCheck("conflicts-history");
  });

  it("dead letters: cause and attempts, replay one, discard one with a reason", async () => {
    await gotoNav("Dead letters", "Dead letters");
    const rows = page.locator(".Polaris-IndexTable__TableRow");
    expect(await rows.count()).toBe(2);
    await page.getByText("ChannelError: Woo Outlet answered 401 Unauthorized (consumer key revoked)").waitFor();
    await shot("17-dead-letters");
    await axeCheck("dead-letters");
    const { QUEUES } = await import("../../app/jobs/queue.server");
    const before = (await boss.findJobs(QUEUES.linkChannel, { data: { shopId: h.shopId }, queued: true })).length;
    await rows.filter({ hasText: "401 Unauthorized" }).locator(".Polaris-Checkbox").click();
    await page.getByRole("button", { name: "Replay" }).click();
    await page.getByText("Replayed 1 job").waitFor();
    await expect.poll(async () => rows.count()).toBe(1);
    expect((await boss.findJobs(QUEUES.linkChannel, { data: { shopId: h.shopId }, queued: true })).length).toBe(
      before + 1,
    );
    await rows.first().locator(".Polaris-Checkbox").click();
    await page.getByRole("button", { name: "Discard…" }).click();
    await page.getByLabel("Reason").fill("Outlet store was rebuilt; a fresh catalog read is queued");
    await page.getByRole("button", { name: "Discard", exact: true }).click();
    await page.getByText("No failed jobs").waitFor();
    const ev = await h.prisma.domainEvent.findFirstOrThrow({
      where: { shopId: h.shopId, type: "dead_letter.discarded" },
    });
    expect((ev.payload as { reason: string }).reason).toContain("Outlet store was rebuilt");
    await shot("18-dead-letters-empty");
  });

  it("settings: edit raises the save bar, save persists; reconcile now queues a run", async () => {
    await gotoNav("Settings", "Settings");
    await page.getByRole("heading", { name: "Woo Wholesale" }).waitFor();
    await shot("19-settings");
    await axeCheck("settings");
    const saveBar = page.locator("ui-save-bar");
    expect(await saveBar.isVisible()).toBe(false);
    await page.getByLabel("Low-stock threshold (units)").fill("12");
    await saveBar.waitFor({ state: "visible" });
    await shot("20-settings-save-bar");
    await axeCheck("settings-dirty");
    await saveBar.getByRole("button", { name: "Save" }).click();
    await page.getByText("Settings saved").waitFor();
    await saveBar.waitFor({ state: "hidden" });
    expect((await h.prisma.shop.findUniqueOrThrow({ where: { id: h.shopId } })).lowStockThreshold).toBe(12);
    await page.getByRole("button", { name: "Reconcile now" }).click();
    await page.getByText("Reconciliation queued — see Activity for progress").waitFor();
    const jobs = await boss.findJobs<{ shopId: string; dryRun: boolean }>("reconcile", {
      data: { shopId: h.shopId },
      queued: true,
    });
    expect(jobs.map((j) => j.data.dryRun)).toContain(false);
    // The dashboard's low-stock count follows the new threshold (TEE-001..003 have 10, 11, 12).
    await gotoNav("Dashboard", "Dashboard");
    await page.getByRole("link", { name: "View low-stock SKUs" }).waitFor();
    await page.getByText("Low stock (≤ 12)").waitFor();
  });

  it("item overrides: a store price set on the item page, saved via the save bar, written to the store", async () => {
    await gotoNav("Inventory", "Inventory");
    await page.getByRole("link", { name: "TEE-001", exact: true }).first().click();
    await pageTitle("TEE-001").waitFor();
    await page.getByLabel("Price at Woo Wholesale").waitFor();
    const saveBar = page.locator("ui-save-bar");
    expect(await saveBar.isVisible()).toBe(false);
    await page.getByLabel("Price at Woo Wholesale").fill("27.5");
    await saveBar.waitFor({ state: "visible" });
    await axeCheck("item-overrides-dirty");
    await saveBar.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved for Woo Wholesale: price 27.50.").waitFor();
    await saveBar.waitFor({ state: "hidden" });
    await page.getByText("Overrides price 27.50").waitFor();
    expect(await page.getByLabel("Price at Woo Wholesale").inputValue()).toBe("27.50");
    const wooId = h.woo.control.productIdBySku("TEE-001")!;
    expect(h.woo.store.products.get(wooId)!.regular_price).toBe("27.50");
    const listing = await h.prisma.listing.findFirstOrThrow({ where: { shopId: h.shopId, externalId: String(wooId) } });
    expect(listing.priceOverride?.toFixed(2)).toBe("27.50");
    await shot("21-item-overrides");
    await axeCheck("item-overrides");
  });

  it("inventory read model stays fast at 10,000 SKUs (one page + search, no N+1)", async () => {
    const big = await h.prisma.shop.create({ data: { domain: "big-catalog.myshopify.com" } });
    const ch = await h.prisma.channel.create({
      data: {
        shopId: big.id,
        kind: "woocommerce",
        name: "Big Woo",
        baseUrl: "https://big.example.test",
        salesLocationId: "gid://shopify/Location/1",
      },
    });
    const N = 10_000;
    const ids = Array.from({ length: N }, (_, i) => `big-item-${i}`);
    await h.prisma.catalogItem.createMany({
      data: ids.map((id, i) => ({
        id,
        shopId: big.id,
        sku: `BIG-${String(i).padStart(5, "0")}`,
        skuKey: `big-${String(i).padStart(5, "0")}`,
        title: `Big item ${i}`,
      })),
    });
    await h.prisma.inventoryLevel.createMany({
      data: ids.map((itemId, i) => ({
        shopId: big.id,
        itemId,
        locationGid: "gid://shopify/Location/1",
        available: i % 50,
        observedAt: new Date(),
      })),
    });
    await h.prisma.listing.createMany({
      data: ids.map((itemId, i) => ({
        shopId: big.id,
        channelId: ch.id,
        itemId,
        externalId: `b${i}`,
        productId: `${i}`,
        title: "x",
        productType: "simple",
        matchStatus: "linked",
        lastObservedQuantity: i % 50,
      })),
    });
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
    console.log(
      `[e2e] 10k SKUs: page 1 ${first.ms.toFixed(1)} ms, page 200 ${last.ms.toFixed(1)} ms, search ${search.ms.toFixed(1)} ms`,
    );
    expect(first.r.total).toBe(N);
    expect(first.r.rows).toHaveLength(50);
    expect(first.r.rows[0]!.stores[ch.id]!.feedAvailable).toBe(0);
    expect(last.r.rows.at(-1)!.sku).toBe("BIG-09999");
    expect(search.r.total).toBe(10);
    for (const t of [first, last, search]) expect(t.ms).toBeLessThan(500);
  });

  it("store listings to review: reasons for unlinked listings; one left unsynced leaves the review list", async () => {
    await gotoNav("Dashboard", "Dashboard");
    await page.getByRole("link", { name: "Review matches: Review SKU matches" }).click();
    await pageTitle("Store listings to review").waitFor();
    await page.waitForLoadState("networkidle");
    const rows = page.locator(".Polaris-IndexTable__TableRow");
    expect(await rows.count()).toBe(2);
    await page.getByText("No Shopify variant has SKU “LEGACY-1”", { exact: false }).waitFor();
    await page.getByText("The listing has no SKU.", { exact: false }).waitFor();
    await shot("21-listings-review");
    await axeCheck("listings-review");
    await rows.filter({ hasText: "Gift card" }).locator('input[type="checkbox"]').check({ force: true });
    await page.getByRole("button", { name: "Leave unsynced" }).click();
    await page.getByRole("tab", { name: "Left unsynced (1)" }).waitFor();
    await page.waitForLoadState("networkidle");
    expect(await rows.count()).toBe(1);
    expect(await h.prisma.listing.findFirst({ where: { externalId: "wh-x2" } })).toMatchObject({
      matchStatus: "ignored",
    });
    await page.getByRole("tab", { name: "Left unsynced (1)" }).click();
    await page.getByText("Left unsynced by you.", { exact: false }).waitFor();
    await axeCheck("listings-ignored");
  });

  it("had no page errors, hydration errors or off-host requests", () => {
    expect(ab.pageErrors).toEqual([]);
    expect(ab.consoleErrors.filter((e) => /hydrat|did not match|Minified React error/i.test(e))).toEqual([]);
    // Only Shopify's own preload hint for the App Bridge CDN script (Link header) may have been refused.
    expect(ab.offHost.filter((u) => !u.startsWith("https://cdn.shopify.com/"))).toEqual([]);
  });
});
