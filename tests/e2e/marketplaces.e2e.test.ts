/**
 * Channels → Marketplaces in a real browser (issue 16 item 3; Chromium via playwright-core against the production build
 * in demo mode, tests/e2e/browser.ts): the "Connect Amazon" and "Connect Etsy" cards connect through the platforms'
 * authorisation flows against the emulators (Amazon's website authorisation workflow; Etsy's OAuth 2.0 with PKCE — the
 * browser goes to the emulated consent page at the top level and comes back to SyncFlow's callback); each connected
 * channel's row shows its protection level and why, and its API budget (Amazon: poll cadence and write pace; Etsy: the
 * day budget every merchant shares, the poll and reconcile cadence, requests used today); Disconnect removes the
 * authorisation and says so. axe-core (no serious or critical violations) on every state. Screenshots
 * docs/screenshots/issue-16-connect-cards.png and issue-16-channels-marketplaces.png (copies of tests/e2e/screenshots/).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startHarness, type Harness } from "./harness";
import { openAdminBrowser, pageTitle as titleOf, runAxe, screenshot, type AdminBrowser } from "./browser";
import { startAmazonEmulator, type AmazonEmulator } from "../emulators/amazon/index";
import { startEtsyEmulator, type EtsyEmulator } from "../emulators/etsy/index";
import { amazonAppEnv, etsyAppEnv } from "../harness/marketplace-env";

let h: Harness;
let ab: AdminBrowser;
let page: Page;
let amazon: AmazonEmulator;
let etsy: EtsyEmulator;
const axeSummary: Record<string, string[]> = {};

async function axeCheck(name: string): Promise<void> {
  const { violations, seriousOrCritical } = await runAxe(page);
  axeSummary[name] = violations.map((v) => `${v.id}(${v.impact})`);
  expect(seriousOrCritical).toEqual([]);
}

const pageTitle = (name: string) => titleOf(page, name);

/** The Channels page, opened as Shopify Admin opens the app. */
async function openChannels(): Promise<void> {
  await page.goto(`${h.appUrl}/demo/admin?return=${encodeURIComponent("/app/channels")}`);
  await pageTitle("Channels").waitFor({ timeout: 20_000 });
  await page.waitForLoadState("networkidle");
}

/** The Channels table's row of the channel named `name`. */
const rowOf = (name: RegExp) => page.locator(".Polaris-IndexTable__TableRow").filter({ hasText: name });

beforeAll(async () => {
  amazon = await startAmazonEmulator({ sellerId: "A1E2ECONNECT" });
  amazon.control.addListing({ sku: "TEE-001", quantity: 3 });
  etsy = await startEtsyEmulator({ shopName: "E2EEtsyShop" });
  etsy.control.addListing({ products: [{ sku: "TEE-002", quantity: 4 }] });
  const marketplaceEnv = {
    ...amazonAppEnv(amazon),
    ...etsyAppEnv(etsy),
  };
  h = await startHarness({ serverEnv: marketplaceEnv });
  // This process polls Etsy once (the server runs no worker): same database and application keys as the server.
  Object.assign(process.env, marketplaceEnv, { DATABASE_URL: h.databaseUrl });
  // Marketplaces beside the two seeded WooCommerce stores need a plan with room for them.
  await h.prisma.shop.update({
    where: { id: h.shopId },
    data: { planKey: "enterprise", subscriptionStatus: "ACTIVE" },
  });
  ab = await openAdminBrowser(h.appUrl, { allowOrigins: [amazon.url, etsy.url] });
  page = ab.page;
  await openChannels();
}, 170_000);

afterAll(async () => {
  console.log(`[e2e] marketplaces axe: ${JSON.stringify(axeSummary)}`);
  await ab?.close();
  const { stopBoss } = await import("../../app/jobs/queue.server");
  await stopBoss(2000).catch(() => {});
  await h?.stop();
  await amazon?.close();
  await etsy?.close();
});

describe("Channels → Marketplaces (browser)", () => {
  it("shows the Connect Amazon and Connect Etsy cards with each platform's protection level", async () => {
    await page.getByRole("heading", { name: "Marketplaces" }).waitFor();
    const card = page.locator("main");
    await card.getByText(/Amazon takes absolute quantities only/).waitFor();
    await card.getByText(/Etsy takes absolute quantities only/).waitFor();
    await card.getByText(/Etsy's daily request limit, which every SyncFlow merchant shares/).waitFor();
    // Amazon: the marketplaces of one region are chosen on the card (a unified account); Amazon.com is preselected.
    await card.getByRole("group", { name: "Amazon marketplaces" }).waitFor();
    expect(await card.getByRole("button", { name: "Connect Amazon" }).isEnabled()).toBe(true);
    expect(await card.getByRole("button", { name: "Connect Etsy" }).isEnabled()).toBe(true);
    await screenshot(page, "issue-16-connect-cards");
    await axeCheck("connect-cards");
  });

  it("connects Amazon through the website authorisation flow; its row shows protection and API budget", async () => {
    await page.getByRole("button", { name: "Connect Amazon" }).click();
    // Top-level navigation: SyncFlow's start URL → Amazon's consent page (approved at once) → SyncFlow's callback.
    await page.getByRole("heading", { name: /connected$/ }).waitFor({ timeout: 20_000 });
    expect(new URL(page.url()).pathname).toBe("/channels/oauth/amazon/callback");
    expect(amazon.requests.some((r) => r.operation === "consent" && r.status === 302)).toBe(true);
    const channel = await h.prisma.channel.findFirstOrThrow({ where: { shopId: h.shopId, kind: "amazon" } });
    expect(channel).toMatchObject({ status: "active", mode: "buffered", bufferUnits: 2 });
    expect(channel.credentialsEnc).toBeTruthy();

    await openChannels();
    const row = rowOf(/A1E2ECONNECT/);
    await row.waitFor();
    await row.getByText("Amazon", { exact: true }).waitFor();
    await row.getByText("Buffered (2 units)").waitFor();
    // Allocations off (decision 300): buffer only, and the way to exact protection named.
    await row.getByText(/Buffer only \(allocations off\): this platform takes absolute quantities only/).waitFor();
    await row.getByText(/Reserve this store's stock" in Settings for exact protection by allocation/).waitFor();
    await row
      .getByText(/API budget: orders polled every 60 s \(the platform's rate limit\), writes paced to 5\/s/)
      .waitFor();
    await row.getByRole("button", { name: "Disconnect Amazon" }).waitFor();
  });

  it("connects Etsy through OAuth 2.0 with PKCE; its row shows the shared day budget, cadences and use today", async () => {
    await page.getByRole("button", { name: "Connect Etsy" }).click();
    await page.getByRole("heading", { name: /connected$/ }).waitFor({ timeout: 20_000 });
    expect(new URL(page.url()).pathname).toBe("/channels/oauth/etsy/callback");
    const consent = etsy.requests.find((r) => r.path === "/oauth/connect");
    expect(consent?.status).toBe(302);
    const channel = await h.prisma.channel.findFirstOrThrow({ where: { shopId: h.shopId, kind: "etsy" } });
    expect(channel).toMatchObject({ status: "active", mode: "buffered" });
    // One poll (as the worker would) records Etsy's own day count for the page.
    const { pollChannel } = await import("../../app/sync/intake/poll.server");
    expect((await pollChannel(h.shopId, channel.id, { force: true })).status).not.toBe("revoked");

    await openChannels();
    const row = rowOf(/E2EEtsyShop/);
    await row.waitFor();
    await row.getByText("Buffered (2 units)").waitFor();
    await row
      .getByText(
        /Etsy's 10,000 requests a day are shared by every SyncFlow merchant \(1 shops connected\): orders polled every 60 s, reconciled every .+ for \d+ SKUs · requests used today \d+ \/ 10,000/,
      )
      .waitFor();
    await row.getByRole("button", { name: "Disconnect Etsy" }).waitFor();
    await screenshot(page, "issue-16-channels-marketplaces");
    await axeCheck("channels-marketplaces");
  });

  it("Disconnect Amazon deletes its authorisation and says so; Etsy stays connected", async () => {
    page.once("dialog", (d) => void d.accept());
    await rowOf(/A1E2ECONNECT/)
      .getByRole("button", { name: "Disconnect Amazon" })
      .click();
    await page.getByText(/was disconnected/).waitFor();
    await page.getByText(/no longer polls or writes it/).waitFor();
    const amazonRow = await h.prisma.channel.findFirstOrThrow({ where: { shopId: h.shopId, kind: "amazon" } });
    expect(amazonRow.status).toBe("disconnected");
    expect(amazonRow.credentialsEnc).toBeNull();
    expect(await h.prisma.channelPollState.count({ where: { channelId: amazonRow.id } })).toBe(0);
    const etsyRow = await h.prisma.channel.findFirstOrThrow({ where: { shopId: h.shopId, kind: "etsy" } });
    expect(etsyRow.status).toBe("active");
    // The page reloads its data after the action: the disconnected row offers no Disconnect any more.
    await rowOf(/A1E2ECONNECT/)
      .getByRole("button", { name: "Disconnect Amazon" })
      .waitFor({ state: "detached", timeout: 15_000 });
    await page.waitForLoadState("networkidle");
    await axeCheck("after-disconnect");
  });

  it("had no page errors and loaded nothing off-host", () => {
    expect(ab.pageErrors).toEqual([]);
    expect(ab.offHost).toEqual([]);
  });
});
