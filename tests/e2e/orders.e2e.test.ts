/**
 * The orders hub's journey in a real browser (issue 15 item 5; Chromium via playwright-core against the production
 * build in demo mode, as admin.e2e.test.ts): Orders shows each order's journey (received → imported with the Shopify
 * order's admin link → fulfilled → tracking at the store; failed / needs attention), the journey filters as tabs with
 * counts, bulk retry of a failed import (its genuine dead letter replayed to `order-import`) and of a failed pushback
 * (re-queued to `fulfilment-push`); the order detail shows each step with time and result and retries a failed step;
 * Settings → Orders hub saves a store's settings and shows field errors. Each page is checked with axe-core (no
 * serious/critical violations). Screenshots: tests/e2e/screenshots/orders-journey*.png (git-ignored; copies in
 * docs/screenshots/issue-15-*.png). No worker runs for `order-import` / `fulfilment-push`: the re-queued jobs stay
 * queued and are asserted on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { PgBoss } from "pg-boss";
import { startHarness, type Harness } from "./harness";
import { openAdminBrowser, pageTitle as titleOf, runAxe, screenshot, type AdminBrowser } from "./browser";

let h: Harness;
let boss: PgBoss;
let ab: AdminBrowser;
let page: Page;
/** Seeded journey orders by name → Order id. */
const ids: Record<string, string> = {};

const axeCheck = async () => expect((await runAxe(page)).seriousOrCritical).toEqual([]);
const shot = (name: string) => screenshot(page, name);
const pageTitle = (name: string | RegExp) => titleOf(page, name);
const rows = () => page.locator(".Polaris-IndexTable__TableRow");
const row = (number: string) => rows().filter({ hasText: number });

/** Journey orders on the seeded WooCommerce stores, written as the engine leaves them. */
async function seedJourney(): Promise<void> {
  const outlet = await h.prisma.channel.findFirstOrThrow({ where: { shopId: h.shopId, name: "Woo Outlet" } });
  await h.prisma.orderImportSetting.create({
    data: { channelId: outlet.id, importOrders: true, pushFulfilments: true },
  });
  const item = await h.prisma.catalogItem.findFirstOrThrow({ where: { shopId: h.shopId }, orderBy: { sku: "asc" } });
  const now = Date.now();
  const mk = async (
    key: string,
    number: string,
    customer: string,
    data: Record<string, unknown>,
    fulfilments: { pushState: string; tracking: string; pushError?: string; units?: number }[] = [],
  ) => {
    const placed = now - 3_600_000 + Object.keys(ids).length * 60_000;
    const o = await h.prisma.order.create({
      data: {
        shopId: h.shopId,
        channelId: outlet.id,
        externalId: `journey-${key}`,
        number,
        status: "processing",
        currency: "EUR",
        totalPrice: "40.00",
        customerName: customer,
        placedAt: new Date(placed),
        createdAt: new Date(placed + 2_000),
        stockTaken: true,
        lines: {
          create: [
            { externalLineId: "1", sku: item.sku, itemId: item.id, title: "Tee 1", quantity: 2, price: "20.00" },
          ],
        },
        ...data,
      },
    });
    // The sale's own ledger row (the stock it took), as the intake writes it.
    await h.prisma.stockLedger.create({
      data: {
        shopId: h.shopId,
        itemId: item.id,
        channelId: outlet.id,
        cause: "order",
        delta: -2,
        before: 12,
        after: 10,
        orderId: o.id,
        idempotencyKey: `e2e:journey:${key}`,
        actor: "woocommerce:outlet",
        note: `Order ${number} from Woo Outlet — sale taken`,
        createdAt: new Date(placed + 1_000),
      },
    });
    for (const [i, f] of fulfilments.entries())
      await h.prisma.orderFulfilment.create({
        data: {
          orderId: o.id,
          centralFulfilmentId: `gid://shopify/Fulfillment/${700 + Object.keys(ids).length * 10 + i}`,
          centralStatus: "SUCCESS",
          trackingCompany: "UPS",
          trackingNumbers: [f.tracking],
          trackingUrls: [`https://www.ups.com/track?tracknum=${f.tracking}`],
          lines: [{ externalLineId: "1", sku: item.sku, quantity: f.units ?? 1 }],
          centralUpdatedAt: new Date(placed + 1_200_000 + i * 600_000),
          createdAt: new Date(placed + 1_200_000 + i * 600_000),
          pushState: f.pushState,
          pushError: f.pushError ?? null,
          pushAttempts: f.pushState === "failed" ? 6 : f.pushState === "pushed" ? 1 : 0,
          pushedAt: f.pushState === "pushed" ? new Date(placed + 1_201_000 + i * 600_000) : null,
        },
      });
    ids[key] = o.id;
  };
  const imported = (n: number) => ({
    importState: "imported",
    importKey: `syncflow:${outlet.id}:journey-${n}`,
    importAttempts: 1,
    centralOrderId: `gid://shopify/Order/${5550 + n}`,
    centralOrderName: `#${1100 + n}`,
    importedAt: new Date(now - 3_600_000 + (n - 1) * 60_000 + 5_000), // placed + 5 s
  });
  await mk(
    "delivered",
    "#3001",
    "Ada Lovelace",
    { ...imported(1), fulfilmentState: "fulfilled", trackingDeliveredAt: new Date(now - 3_600_000 + 1_801_000) },
    [
      { pushState: "pushed", tracking: "1ZJOURNEY0001" },
      { pushState: "pushed", tracking: "1ZJOURNEY0002" },
    ],
  );
  await mk("failedImport", "#3002", "Grace Hopper", {
    importState: "failed",
    importKey: `syncflow:${outlet.id}:journey-failedImport`,
    importAttempts: 6,
    importError: "dead-lettered: Shopify refused the order: ACCESS_DENIED (write_orders not granted)",
  });
  await mk("failedPush", "#3003", "Katherine Johnson", { ...imported(3), fulfilmentState: "partial" }, [
    { pushState: "failed", tracking: "1ZJOURNEY0003", pushError: "WooCommerce answered 503 Service Unavailable" },
  ]);
  await mk("notPushed", "#3004", "Alan Kay", { ...imported(4), fulfilmentState: "fulfilled" }, [
    { pushState: "pending", tracking: "1ZJOURNEY0004", units: 2 },
  ]);
  await mk("flagged", "#3005", "Barbara Liskov", { ...imported(5), importFlags: ["unlinked_lines"] });
  await mk("queued", "#3006", "Edsger Dijkstra", {
    importState: "queued",
    importKey: `syncflow:${outlet.id}:journey-queued`,
  });

  // The failed import's genuine dead letter: an order-import job failed on its only attempt.
  const { getBoss, QUEUES } = await import("../../app/jobs/queue.server");
  boss = await getBoss();
  const data = {
    shopId: h.shopId,
    orderId: ids.failedImport!,
    source: { shippingAddress: null, billingAddress: null, paid: true, shipping: null },
  };
  const jobId = (await boss.send(QUEUES.orderImport, data, { retryLimit: 0 }))!;
  const [job] = await boss.fetch(QUEUES.orderImport);
  expect(job?.id).toBe(jobId);
  await boss.fail(QUEUES.orderImport, jobId, { message: "ACCESS_DENIED" });
  for (let i = 0; i < 50; i++) {
    const dl = await boss.findJobs(QUEUES.deadLetter, { data: { orderId: ids.failedImport }, queued: true });
    if (dl.length === 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  h = await startHarness();
  process.env.DATABASE_URL = h.databaseUrl;
  await seedJourney();
  ab = await openAdminBrowser(h.appUrl);
  page = ab.page;
  await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/orders")}`);
  await pageTitle("Orders").waitFor({ timeout: 20_000 });
}, 170_000);

afterAll(async () => {
  await ab?.close();
  const { stopBoss } = await import("../../app/jobs/queue.server");
  await stopBoss(2000).catch(() => {});
  await h?.stop();
});

describe("orders hub journey (browser)", () => {
  it("Orders shows each order's journey with the Shopify order's link and pushback progress", async () => {
    await page.waitForLoadState("networkidle");
    const delivered = row("#3001");
    await delivered.getByText("Tracking at store").waitFor();
    await delivered.getByText("tracking 2/2 at store").waitFor();
    expect(await delivered.getByRole("link", { name: "Open #1101 in Shopify" }).getAttribute("href")).toBe(
      "shopify:admin/orders/5551",
    );
    await row("#3002").getByText("Import failed").waitFor();
    await row("#3002").getByText("Needs attention").waitFor();
    await row("#3003").getByText("Partly fulfilled").waitFor();
    await row("#3003").getByText("tracking 0/1 at store, 1 failed").waitFor();
    await row("#3004").getByText("Fulfilled", { exact: true }).waitFor();
    await row("#3005").getByText("Needs attention").waitFor();
    await row("#3006").getByText("Importing").waitFor();
    // The record's own orders have no journey; the seeded WooCommerce orders of a store that does not import neither.
    await row("#S1001").getByText("—").first().waitFor();
    // Each tab names its count (Polaris Tabs: the accessibility label is the tab's name).
    await page.getByRole("tab", { name: "Needs attention: 3 orders" }).waitFor();
    await page.getByRole("tab", { name: "Shipped, not pushed back: 2 orders" }).waitFor();
    await page.getByRole("tab", { name: /Not imported/ }).waitFor();
    await shot("orders-journey");
    await axeCheck();
  });

  it("filters server-side: needs attention, shipped not pushed back, not imported", async () => {
    await page.getByRole("tab", { name: /Needs attention/ }).click();
    await page.waitForURL((u) => u.searchParams.get("journey") === "attention");
    await expect.poll(() => rows().count()).toBe(3);
    for (const n of ["#3002", "#3003", "#3005"]) await row(n).waitFor();
    await shot("orders-journey-attention");

    await page.getByRole("tab", { name: /Shipped, not pushed back/ }).click();
    await page.waitForURL((u) => u.searchParams.get("journey") === "not_pushed");
    await expect.poll(() => rows().count()).toBe(2);
    for (const n of ["#3003", "#3004"]) await row(n).waitFor();

    await page.getByRole("tab", { name: /Not imported/ }).click();
    await page.waitForURL((u) => u.searchParams.get("journey") === "not_imported");
    // The failed and the queued import, and the seeded Woo Outlet orders that took stock (import is on there now).
    await row("#3002").waitFor();
    await row("#3006").waitFor();
    expect(await row("#3001").count()).toBe(0);
    await axeCheck();
  });

  it("bulk retry: a failed import's dead letter is replayed; a failed pushback is queued again", async () => {
    const { QUEUES } = await import("../../app/jobs/queue.server");
    await page.getByRole("tab", { name: /Needs attention/ }).click();
    await page.waitForURL((u) => u.searchParams.get("journey") === "attention");
    await expect.poll(() => rows().count()).toBe(3);
    await row("#3002").locator('input[type="checkbox"]').check({ force: true });
    await page.getByRole("button", { name: "Retry import" }).click();
    await page.getByRole("status").filter({ hasText: "1 import queued again" }).waitFor();
    await expect
      .poll(async () => (await h.prisma.order.findUniqueOrThrow({ where: { id: ids.failedImport! } })).importState)
      .toBe("queued");
    expect(await boss.findJobs(QUEUES.deadLetter, { data: { orderId: ids.failedImport }, queued: true })).toEqual([]);
    expect(await boss.findJobs(QUEUES.orderImport, { data: { orderId: ids.failedImport }, queued: true })).toHaveLength(
      1,
    );

    await page.waitForLoadState("networkidle");
    await row("#3003").locator('input[type="checkbox"]').check({ force: true });
    await page.getByRole("button", { name: "Retry pushback" }).click();
    await page.getByRole("status").filter({ hasText: "1 fulfilment queued to push again" }).waitFor();
    const f = await h.prisma.orderFulfilment.findFirstOrThrow({ where: { orderId: ids.failedPush! } });
    expect(f).toMatchObject({ pushState: "pending", pushError: null });
    expect(await boss.findJobs(QUEUES.fulfilmentPush, { data: { fulfilmentId: f.id }, queued: true })).toHaveLength(1);
    // Neither needs attention any more; the list follows after the action (Remix revalidates the loader).
    await expect.poll(() => rows().count()).toBe(1);
    await row("#3005").waitFor();
  });

  it("the order detail shows each step with time and result, and retries a failed step", async () => {
    await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent(`/app/orders/${ids.delivered}`)}`);
    await pageTitle("Order #3001").waitFor({ timeout: 20_000 });
    const journey = page.locator("#order-journey");
    for (const step of ["Received", "Stock taken", "Imported to Shopify", "Fulfilled in Shopify"])
      await journey.getByRole("heading", { name: new RegExp(`^${step}`) }).waitFor();
    await journey.getByRole("heading", { name: /Tracking delivered to the store \(done\)/ }).waitFor();
    expect(await journey.getByRole("link", { name: "Open #1101 in Shopify" }).getAttribute("href")).toBe(
      "shopify:admin/orders/5551",
    );
    await journey.getByRole("link", { name: "1ZJOURNEY0001" }).waitFor();
    await journey.getByRole("link", { name: "1ZJOURNEY0002" }).waitFor();
    expect(await journey.getByText("At the store").count()).toBe(2);
    await shot("orders-journey-detail");
    await axeCheck();

    // A failed pushback: its error, and a retry of that step.
    await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent(`/app/orders/${ids.notPushed}`)}`);
    await pageTitle("Order #3004").waitFor({ timeout: 20_000 });
    await page.locator("#order-journey").getByText("Waiting to push").waitFor();
    await page.getByRole("button", { name: "Retry pushback" }).click();
    await page.getByRole("status").filter({ hasText: "Queued again" }).waitFor();

    // A flagged import: the flag in words; no retry offered for an imported order.
    await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent(`/app/orders/${ids.flagged}`)}`);
    await pageTitle("Order #3005").waitFor({ timeout: 20_000 });
    await page.getByText("imported as custom lines", { exact: false }).waitFor();
    expect(await page.getByRole("button", { name: "Retry import" }).count()).toBe(0);
  });

  it("Settings → Orders hub: field errors from the server, then a valid save", async () => {
    await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/settings/orders")}`);
    await pageTitle("Orders hub").waitFor({ timeout: 20_000 });
    const card = page.getByRole("region", { name: "Order settings of Woo Wholesale" });
    await card.getByLabel("Import this store's orders").check({ force: true });
    await card.getByLabel("Order look-back (hours)").fill("0");
    await card.getByText("A fixed address (e.g. the retailer's own)").click();
    await card.getByRole("button", { name: "Save order settings of Woo Wholesale" }).click();
    await card.getByText("Order look-back must be 1–720 hours").waitFor();
    await card.getByText("Enter the city").waitFor();
    expect(await h.prisma.orderImportSetting.count({ where: { channel: { name: "Woo Wholesale" } } })).toBe(0);
    await axeCheck();

    await card.getByLabel("Order look-back (hours)").fill("48");
    await card.getByLabel("Address", { exact: true }).fill("2 High St");
    await card.getByLabel("City").fill("Leeds");
    await card.getByLabel("Country code (e.g. GB)").fill("gb");
    await card.getByLabel("Tags on imported orders (comma-separated)").fill("wholesale, eu");
    await card.getByRole("button", { name: "Save order settings of Woo Wholesale" }).click();
    await page.getByRole("status").filter({ hasText: "Woo Wholesale: order settings saved" }).waitFor();
    const saved = await h.prisma.orderImportSetting.findFirstOrThrow({ where: { channel: { name: "Woo Wholesale" } } });
    expect(saved).toMatchObject({
      importOrders: true,
      orderLookbackHours: 48,
      tags: ["wholesale", "eu"],
      billingAddress: { address1: "2 High St", city: "Leeds", countryCode: "GB" },
    });
    await shot("orders-hub-settings");
  });

  it("had no page errors or off-host requests", () => {
    expect(ab.pageErrors).toEqual([]);
    expect(ab.offHost.filter((u) => !u.startsWith("https://cdn.shopify.com/"))).toEqual([]);
  });
});
