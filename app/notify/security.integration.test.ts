/**
 * Notifications against hostile use (issue 13: '"Send test" e-mail/SMS goes to any typed recipient with no limit,
 * through the operator's SMTP and Twilio accounts'; "SMTP does not require TLS"), through the real app build with
 * session-token auth, a real SMTP server (fake, no STARTTLS) and the Twilio fake; and the Google Sheets sign-in
 * ("the Google OAuth state is not bound to the browser session") against the Google fake.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { adminHeaders, installApp, startWorld, waitFor, type World } from "../../tests/harness/world";
import { startSmtpFake, type SmtpFake } from "../../tests/fakes/smtp/index";
import { stopBoss } from "../jobs/queue.server";
import { sendEmail } from "./email.server";
import { startSheetsFake, type SheetsFake } from "../../tests/fakes/sheets/index";
import { startGoogleOAuth } from "../exports/google.server";

const SHOP = "notify-security.myshopify.com";
const ROUTE = "routes/app.settings.notifications";
let world: World;
let app: AppHandle;
let smtp: SmtpFake;
let sheets: SheetsFake;

beforeAll(async () => {
  smtp = await startSmtpFake();
  sheets = await startSheetsFake();
  world = await startWorld({ apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, shop: SHOP, wooStores: 0 });
  app = await startApp({
    SHOPIFY_ADMIN_ORIGIN: world.shopify.url,
    SYNCFLOW_QUEUE_SCHEMA: "pgboss_test_notifysec",
    SMTP_URL: smtp.url,
    NOTIFY_FROM: "alerts@syncflow.test",
    NOTIFY_TEST_LIMIT: "3",
    GOOGLE_CLIENT_ID: sheets.clientId,
    GOOGLE_CLIENT_SECRET: sheets.clientSecret,
    GOOGLE_API_ROOT_URL: sheets.url,
    GOOGLE_OAUTH_BASE: sheets.url,
  });
  world.shopify.control.setAppUrl(app.url);
  expect(await installApp(app.url, SHOP, TEST_API_KEY, TEST_API_SECRET)).toBeLessThan(500);
  await waitFor("shop", () => prisma.shop.findUnique({ where: { domain: SHOP } }));
}, 60_000);

afterAll(async () => {
  await stopBoss();
  await app?.close();
  await world?.close();
  await smtp?.close();
  await sheets?.close();
});

const post = (fields: Record<string, string>) =>
  fetch(`${app.url}/app/settings/notifications?shop=${SHOP}&embedded=1&_data=${encodeURIComponent(ROUTE)}`, {
    method: "POST",
    headers: {
      ...adminHeaders(SHOP, TEST_API_KEY, TEST_API_SECRET),
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(fields).toString(),
  });
const saved = {
  emailRecipients: "owner@shop.test",
  smsRecipients: "",
  timezone: "UTC",
  dailySummaryHour: "8",
  lowStockThreshold: "5",
};

describe("send test", () => {
  it("goes only to saved recipients: a typed, unsaved address is refused and gets nothing", async () => {
    expect((await post({ intent: "save", ...saved })).status).toBe(200);
    const typed = await post({ intent: "test-email", ...saved, emailRecipients: "victim@elsewhere.test" });
    expect(typed.status).toBe(422);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.some((m) => m.to.includes("victim@elsewhere.test"))).toBe(false);
    const ok = await post({ intent: "test-email" });
    expect((await ok.json()).ok).toBe(true);
    const [m] = await smtp.waitFor(1);
    expect(m!.to).toEqual(["owner@shop.test"]);
  });

  it("is rate-limited per shop (NOTIFY_TEST_LIMIT an hour)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post({ intent: "test-email" })).status);
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses[2]).toBe(429);
  });
});

describe("SMTP", () => {
  it("requires TLS: a relay without STARTTLS gets nothing unless the operator opted out", async () => {
    const before = smtp.messages.length;
    delete process.env.SMTP_ALLOW_PLAINTEXT;
    try {
      await expect(sendEmail({ to: ["tls@shop.test"], subject: "s", text: "t", html: "<p>t</p>" })).rejects.toThrow(
        /TLS|STARTTLS/i,
      );
    } finally {
      process.env.SMTP_ALLOW_PLAINTEXT = "1";
    }
    expect(smtp.messages.length).toBe(before);
    await sendEmail({ to: ["tls@shop.test"], subject: "s", text: "t", html: "<p>t</p>" });
    expect((await smtp.waitFor(before + 1)).at(-1)!.to).toEqual(["tls@shop.test"]);
  });
});

describe("Google Sheets sign-in", () => {
  it("completes only in the browser that started it (state bound by a cookie), not from a shared callback link", async () => {
    const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: SHOP } });
    const start = await fetch(await startGoogleOAuth(shop.id), { redirect: "manual" });
    expect(start.status).toBe(302);
    const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toMatch(/^syncflow_google_oauth=[0-9a-f]{64}$/);
    expect(start.headers.get("set-cookie")).toMatch(/HttpOnly/);
    const consent = await fetch(start.headers.get("location")!, { redirect: "manual" });
    const callback = consent.headers.get("location")!;
    expect(new URL(callback).pathname).toBe("/sheets/oauth/callback");
    // Someone else's browser (no cookie, or another flow's cookie) opening the link connects nothing.
    const elsewhere = await fetch(callback);
    expect(elsewhere.status).toBe(400);
    const other = await fetch(callback, { headers: { Cookie: `syncflow_google_oauth=${"0".repeat(64)}` } });
    expect(other.status).toBe(400);
    expect((await prisma.sheetConnection.findUniqueOrThrow({ where: { shopId: shop.id } })).status).not.toBe(
      "connected",
    );
    // The browser that started it finishes it.
    const mine = await fetch(callback, { headers: { Cookie: cookie } });
    expect(mine.status).toBe(200);
    expect((await prisma.sheetConnection.findUniqueOrThrow({ where: { shopId: shop.id } })).status).toBe("connected");
  });
});
