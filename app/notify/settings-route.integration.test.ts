/**
 * The settings page and exports through the real app (production build, session-token auth against the
 * emulated Shopify): saving, validation errors (bad e-mail, bad phone) with 422, test-send over a real
 * SMTP server and the twilio SDK against the Twilio fake, the notification record page, streamed CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { startApp, TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { adminHeaders, installApp, startWorld, waitFor, type World } from "../../tests/harness/world";
import { startSmtpFake, type SmtpFake } from "../../tests/fakes/smtp/index";
import { startTwilioFake, type TwilioFake } from "../../tests/fakes/twilio/index";
import { stopBoss } from "../jobs/queue.server";
import { createTestItem } from "./test-shop";

const SHOP = "notify-settings.myshopify.com";
const ROUTE = "routes/app.settings.notifications";
let world: World;
let app: AppHandle;
let smtp: SmtpFake;
let twilio: TwilioFake;
let shopId: string;

beforeAll(async () => {
  smtp = await startSmtpFake();
  twilio = await startTwilioFake();
  world = await startWorld({ apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, shop: SHOP, wooStores: 0 });
  app = await startApp({
    SHOPIFY_ADMIN_ORIGIN: world.shopify.url,
    SYNCFLOW_QUEUE_SCHEMA: "pgboss_test_settings",
    SMTP_URL: smtp.url,
    NOTIFY_FROM: "alerts@syncflow.test",
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: "+15005550006",
    TWILIO_API_BASE: twilio.url,
  });
  world.shopify.control.setAppUrl(app.url);
  expect(await installApp(app.url, SHOP, TEST_API_KEY, TEST_API_SECRET)).toBeLessThan(500);
  shopId = (await waitFor("shop", () => prisma.shop.findUnique({ where: { domain: SHOP } }))).id;
}, 60_000);

afterAll(async () => {
  await stopBoss();
  await app?.close();
  await world?.close();
  await smtp?.close();
  await twilio?.close();
});

const auth = () => adminHeaders(SHOP, TEST_API_KEY, TEST_API_SECRET);
const post = (fields: Record<string, string>) =>
  fetch(`${app.url}/app/settings/notifications?shop=${SHOP}&embedded=1&_data=${encodeURIComponent(ROUTE)}`, {
    method: "POST",
    headers: auth(),
    body: new URLSearchParams(fields),
  });
const valid = {
  emailRecipients: "owner@shop.test",
  smsRecipients: "+14155550123",
  timezone: "Europe/Paris",
  dailySummaryHour: "7",
  lowStockThreshold: "3",
  quietStart: "22:00",
  quietEnd: "07:00",
  criticalBypassQuiet: "on",
  "stock.low.email": "on",
  "stock.out.sms": "on",
};

describe("notification settings page", () => {
  it("refuses a bad e-mail and a bad phone with field errors", async () => {
    const res = await post({ intent: "save", ...valid, emailRecipients: "owner@shop", smsRecipients: "555-0100" });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.errors.emailRecipients).toMatch(/owner@shop/);
    expect(body.errors.smsRecipients).toMatch(/E\.164/);
    expect(await prisma.notificationSettings.findUnique({ where: { shopId } })).toBeNull();
  });

  it("saves settings and the default threshold", async () => {
    const res = await post({ intent: "save", ...valid });
    expect(res.status).toBe(200);
    const row = await prisma.notificationSettings.findUniqueOrThrow({ where: { shopId } });
    expect(row).toMatchObject({
      emailRecipients: ["owner@shop.test"],
      smsRecipients: ["+14155550123"],
      timezone: "Europe/Paris",
      dailySummaryHour: 7,
      quietStartMin: 1320,
      quietEndMin: 420,
    });
    expect((row.channels as any)["stock.low"]).toEqual({ email: true, sms: false });
    expect((row.channels as any)["order.imported"]).toEqual({ email: false, sms: false });
    expect((await prisma.shop.findUniqueOrThrow({ where: { id: shopId } })).lowStockThreshold).toBe(3);
    const page = await fetch(`${app.url}/app/settings/notifications?shop=${SHOP}&embedded=1`, { headers: auth() });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Send test SMS");
  });

  it("sends a test e-mail and a test SMS and records them", async () => {
    const mail = await post({ intent: "test-email", ...valid });
    expect((await mail.json()).ok).toBe(true);
    const [m] = await smtp.waitFor(1);
    expect(m!.to).toEqual(["owner@shop.test"]);
    expect(m!.subject).toMatch(/^\[Test\] /);
    expect(m!.text).toContain("your settings work");
    const sms = await post({ intent: "test-sms", ...valid });
    expect((await sms.json()).ok).toBe(true);
    expect(twilio.messages.at(-1)!.to).toBe("+14155550123");
    expect(twilio.messages.at(-1)!.body.startsWith("TEST: ")).toBe(true);
    const bad = await post({ intent: "test-sms", ...valid, smsRecipients: "+1" });
    expect(bad.status).toBe(422);
    const record = await fetch(
      `${app.url}/app/notifications?shop=${SHOP}&embedded=1&_data=routes%2Fapp.notifications`,
      { headers: auth() },
    );
    const rows = (await record.json()).rows as { kind: string; channel: string; status: string }[];
    expect(
      rows
        .filter((r) => r.kind === "test")
        .map((r) => `${r.channel}:${r.status}`)
        .sort(),
    ).toEqual(["email:sent", "sms:sent"]);
  });

  it("streams the inventory CSV and 404s unknown exports", async () => {
    for (const sku of ["CSV-A", "CSV-B"]) await createTestItem(shopId, sku, 4);
    const res = await fetch(`${app.url}/app/exports/inventory.csv?shop=${SHOP}&embedded=1`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(
      /attachment; filename="syncflow-inventory-notify-settings-\d{4}-\d\d-\d\d\.csv"/,
    );
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 BOM for Excel
    const text = bytes.subarray(3).toString("utf8");
    expect(text.startsWith("SKU,Title,Shopify available,Last sync\r\n")).toBe(true);
    expect(text).toMatch(/\r\nCSV-A,Item CSV-A,4,[0-9T:.Z-]+\r\nCSV-B,/);
    expect(
      (await fetch(`${app.url}/app/exports/secrets.csv?shop=${SHOP}&embedded=1`, { headers: auth() })).status,
    ).toBe(404);
  });
});
