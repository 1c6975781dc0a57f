/**
 * Billing end to end on real PostgreSQL, the real app (production build), the real queue and the emulated
 * Shopify's Billing API: each plan's limits (channel count at registration, the period's order count, SMS,
 * e-mail and analytics), upgrade through Shopify's confirmation page and app_subscriptions/update (applied
 * once), downgrade (newest channels paused, nothing deleted, stock still syncing), and uninstall cancelling
 * the subscription. The shop starts on Free (SYNCFLOW_TEST_DEFAULT_PLAN).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { schemaForWebhook } from "shopify-webhook-schemas";
import prisma from "../db.server";
import { TEST_API_KEY, TEST_API_SECRET, type AppHandle } from "../../tests/harness/app";
import { adminHeaders, registerStore, waitFor, type World } from "../../tests/harness/world";
import { startOnboardedWorld, type OnboardedWorld } from "../../tests/harness/onboard";
import { createConnectionCode } from "../sync/stores/registration.server";
import { listOrders } from "../models/orders.server";
import { applySubscription, billingUsage, hasFeature, needsOwnPlan } from "./billing.server";
import { processEvent } from "../notify/dispatch.server";
import { createTestShop } from "../notify/test-shop";
import { WEBHOOK_SCHEMA_VERSION } from "../../tests/emulators/shopify/index";

process.env.SYNCFLOW_TEST_DEFAULT_PLAN = "free";

let ow: OnboardedWorld;
let world: World;
let app: AppHandle;
let shopId: string;
let firstChannel: string;
const SHOP = "billing-test.myshopify.com";

const AjvCtor = ((Ajv2020 as unknown as { default?: typeof Ajv2020 }).default ?? Ajv2020) as typeof Ajv2020;
const applyFormats = ((addFormats as unknown as { default?: typeof addFormats }).default ??
  addFormats) as typeof addFormats;
const ajv = new AjvCtor({ strict: false, allErrors: true });
applyFormats(ajv);
const validateUpdate = ajv.compile(schemaForWebhook(WEBHOOK_SCHEMA_VERSION, "app_subscriptions/update") as object);

const planRoute = (body: Record<string, string>) =>
  fetch(`${app.url}/app/plan?shop=${SHOP}&embedded=1&_data=${encodeURIComponent("routes/app.plan")}`, {
    method: "POST",
    headers: adminHeaders(SHOP, TEST_API_KEY, TEST_API_SECRET),
    body: new URLSearchParams(body),
  });
const shopRow = () => prisma.shop.findUniqueOrThrow({ where: { id: shopId } });
const shopifyAvailable = (sku: string) => world.shopify.control.state(SHOP).availableBySku[sku]?.[world.locationId];

/** Chooses a paid plan on the Plan page and approves it on the emulated Shopify confirmation page. */
async function subscribe(plan: "starter" | "professional"): Promise<string> {
  const res = await planRoute({ intent: "choose", plan });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { ok: boolean; confirmationUrl: string };
  expect(body.ok).toBe(true);
  expect(body.confirmationUrl.startsWith(world.shopify.url)).toBe(true);
  const confirm = await fetch(body.confirmationUrl, { redirect: "manual" });
  expect(confirm.status).toBe(302);
  expect(confirm.headers.get("location")).toMatch(/charge_id=\d+/);
  const sub = world.shopify.control.subscriptions(SHOP).at(-1)!;
  await waitFor(
    `plan ${plan} applied`,
    async () => ((await shopRow()).planKey === plan && (await shopRow()).subscriptionStatus === "ACTIVE") || null,
    20_000,
    100,
  );
  return sub.gid;
}

beforeAll(async () => {
  ow = await startOnboardedWorld({ shop: SHOP, wooStores: 3 });
  ({ world, app, shopId, wooChannelId: firstChannel } = ow);
}, 120_000);

afterAll(async () => {
  await ow?.close();
});

describe("plan limits and plan changes", () => {
  let code: string;

  it("Free: a second sales channel is refused with an upgrade path, before the store is contacted; the code stays valid", async () => {
    expect((await billingUsage(shopId)).plan.key).toBe("free");
    ({ code } = await createConnectionCode(shopId));
    const keysBefore = world.woo[1]!.control.state().webhooks.length;
    const res = await registerStore(app.url, code, world.woo[1]!);
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe("plan_limit");
    expect(res.body.error.message).toMatch(/Free plan .* allows 1 sales channel.*Upgrade to Starter/);
    expect(res.body.error.message).toContain(`https://admin.shopify.com/store/billing-test/apps/syncflow/app/plan`);
    expect(await prisma.channel.count({ where: { shopId, kind: "woocommerce" } })).toBe(1);
    expect(world.woo[1]!.control.state().webhooks.length).toBe(keysBefore);
    const row = await prisma.connectionCode.findFirstOrThrow({ where: { shopId }, orderBy: { createdAt: "desc" } });
    expect(row.usedAt).toBeNull();
    expect(row.failedAttempts).toBe(0);
  });

  it("upgrade: Billing API subscription (test charge, 14-day trial) → confirmation → app_subscriptions/update; the same code then connects the store", async () => {
    await subscribe("starter");
    const sub = world.shopify.control.subscriptions(SHOP).at(-1)!;
    expect(sub).toMatchObject({ name: "SyncFlow Starter", status: "ACTIVE", test: true, trialDays: 14 });
    expect(sub.lineItems).toEqual([{ amount: "29.00", currencyCode: "USD", interval: "EVERY_30_DAYS" }]);
    const shop = await shopRow();
    expect(shop.subscriptionTest).toBe(true);
    expect(shop.trialUsedAt).not.toBeNull();
    // Every app_subscriptions/update the emulator sent validates against Shopify's published schema (2026-07).
    const updates = world.shopify.control.deliveries(SHOP).filter((d) => d.topic === "app_subscriptions/update");
    expect(updates.length).toBeGreaterThan(0);
    for (const u of updates)
      expect(validateUpdate(JSON.parse(u.body)), ajv.errorsText(validateUpdate.errors)).toBe(true);
    const res = await registerStore(app.url, code, world.woo[1]!);
    expect(res.status).toBe(201);
    expect((await billingUsage(shopId)).activeChannels).toBe(2);
  });

  it("Starter: a third channel is refused, naming Professional", async () => {
    const { code: c3 } = await createConnectionCode(shopId);
    const res = await registerStore(app.url, c3, world.woo[2]!);
    expect(res.status).toBe(402);
    expect(res.body.error.message).toMatch(/Starter plan .* allows 2 sales channels.*Upgrade to Professional/);
  });

  it("app_subscriptions/update is applied once: redeliveries and older reports change nothing", async () => {
    await world.shopify.control.webhooksIdle(5000);
    const active = world.shopify.control
      .deliveries(SHOP)
      .filter((d) => d.topic === "app_subscriptions/update" && d.body.includes('"ACTIVE"'))
      .at(-1)!;
    const receipts = () => prisma.webhookReceipt.count({ where: { shopId, topic: "app_subscriptions/update" } });
    const before = await receipts();
    const stamp = (await shopRow()).billingUpdatedAt;
    world.shopify.control.redeliver(SHOP, active.id);
    world.shopify.control.redeliver(SHOP, active.id);
    await world.shopify.control.webhooksIdle(5000);
    expect(await receipts()).toBe(before);
    expect((await shopRow()).billingUpdatedAt).toEqual(stamp);
    // A late CANCELLED report older than the ACTIVE one already applied (same subscription) is ignored.
    const body = JSON.parse(active.body).app_subscription;
    const late = await applySubscription(shopId, {
      id: body.admin_graphql_api_id,
      name: body.name,
      status: "CANCELLED",
      updatedAt: new Date(Date.parse(body.updated_at) - 60_000).toISOString(),
    });
    expect(late.applied).toBe(false);
    expect((await shopRow()).planKey).toBe("starter");
  });

  it("orders over the period's count still move stock but are not imported into the orders hub, and say so", async () => {
    const plan = (await billingUsage(shopId)).plan;
    const existing = await prisma.order.count({ where: { shopId } });
    const filler = Array.from({ length: plan.maxOrdersPerPeriod! - existing }, (_, i) => ({
      shopId,
      channelId: firstChannel,
      externalId: `filler-${i}`,
      number: `F${i}`,
      status: "completed",
      placedAt: new Date(),
      createdAt: new Date(Date.now() - 60_000),
    }));
    await prisma.order.createMany({ data: filler });
    await prisma.notificationSettings.upsert({
      where: { shopId },
      create: { shopId, emailRecipients: ["owner@example.com"] },
      update: { emailRecipients: ["owner@example.com"] },
    });
    const sku = "woo-beanie";
    const before = shopifyAvailable(sku)!;
    world.woo[0]!.control.placeOrder({ lines: [{ sku, quantity: 1 }], status: "processing" });
    await waitFor("sale on Shopify", () => shopifyAvailable(sku) === before - 1, 20_000);
    const order = await waitFor("order row", () =>
      prisma.order.findFirst({
        where: { shopId, channelId: firstChannel, externalId: { not: { startsWith: "filler-" } } },
        orderBy: { createdAt: "desc" },
      }),
    );
    const list = await listOrders(shopId, { q: order.number });
    expect(list.rows.map((r) => r.id)).not.toContain(order.id);
    expect((await billingUsage(shopId)).ordersNotImported).toBe(1);
    const event = await waitFor("order.imported event", () =>
      prisma.domainEvent.findFirst({
        where: { shopId, type: "order.imported", payload: { path: ["orderId"], equals: order.id } },
      }),
    );
    const notes = await waitFor("notification rows", async () =>
      ((await prisma.notification.findMany({ where: { eventId: event.id } })) as { reason: string | null }[]).filter(
        Boolean,
      ).length
        ? prisma.notification.findMany({ where: { eventId: event.id } })
        : null,
    );
    expect(notes.every((n) => n.status === "suppressed" && n.reason === "plan_order_limit")).toBe(true);
    await prisma.order.deleteMany({ where: { shopId, externalId: { startsWith: "filler-" } } });
  });

  it("downgrade to Free: the newest channel is paused (not deleted), its stock keeps syncing, its orders and alerts stop", async () => {
    const second = (
      await prisma.channel.findMany({ where: { shopId, kind: "woocommerce" }, orderBy: { createdAt: "asc" } })
    )[1]!;
    await waitFor(
      "second store linked",
      async () => (await prisma.listing.count({ where: { channelId: second.id, matchStatus: "linked" } })) >= 17,
      60_000,
      200,
    );
    const res = await planRoute({ intent: "choose", plan: "free" });
    expect(res.status).toBe(200);
    expect(world.shopify.control.subscriptions(SHOP).at(-1)!.status).toBe("CANCELLED");
    const shop = await shopRow();
    expect(shop.planKey).toBeNull();
    const channels = await prisma.channel.findMany({
      where: { shopId, kind: "woocommerce" },
      orderBy: { createdAt: "asc" },
    });
    expect(channels.map((c) => [c.id, !!c.pausedAt])).toEqual([
      [firstChannel, false],
      [second.id, true],
    ]);
    expect(channels[1]!.status).not.toBe("disconnected");
    expect(await prisma.listing.count({ where: { channelId: second.id } })).toBeGreaterThan(0);
    // Stock still syncs to the paused store (a Shopify sale reaches it) and from it (its sale reaches Shopify).
    const sku = "woo-cap";
    const wooBefore = world.woo[1]!.control.getStock(sku)!;
    world.shopify.control.placeOrder(SHOP, { lines: [{ sku, quantity: 1 }] });
    await waitFor(
      "Shopify sale on the paused store",
      () => world.woo[1]!.control.getStock(sku) === wooBefore - 1,
      20_000,
    );
    const shopBefore = shopifyAvailable("woo-belt")!;
    world.woo[1]!.control.placeOrder({ lines: [{ sku: "woo-belt", quantity: 1 }], status: "processing" });
    await waitFor("paused store's sale on Shopify", () => shopifyAvailable("woo-belt") === shopBefore - 1, 20_000);
    const order = await waitFor("paused store's order", () =>
      prisma.order.findFirst({ where: { channelId: second.id }, orderBy: { createdAt: "desc" } }),
    );
    expect((await listOrders(shopId, {})).rows.map((r) => r.id)).not.toContain(order.id);
    const event = await waitFor("order.imported event", () =>
      prisma.domainEvent.findFirst({
        where: { shopId, type: "order.imported", payload: { path: ["orderId"], equals: order.id } },
      }),
    );
    const notes = await waitFor("notification rows", async () =>
      (await prisma.notification.findMany({ where: { eventId: event.id } })).length
        ? prisma.notification.findMany({ where: { eventId: event.id } })
        : null,
    );
    expect(notes.every((n) => n.reason === "channel_paused")).toBe(true);
    // The Plan page says so.
    const page = await fetch(
      `${app.url}/app/plan?shop=${SHOP}&embedded=1&_data=${encodeURIComponent("routes/app.plan")}`,
      { headers: adminHeaders(SHOP, TEST_API_KEY, TEST_API_SECRET) },
    );
    const data = (await page.json()) as { usage: { channels: { id: string; pausedReason: string | null }[] } };
    expect(data.usage.channels.find((c) => c.id === second.id)!.pausedReason).toMatch(/Paused by the Free plan/);
  });

  it("upgrade again resumes the paused channel", async () => {
    await subscribe("professional");
    expect(await prisma.channel.count({ where: { shopId, pausedAt: { not: null } } })).toBe(0);
  });

  it("uninstall: Shopify cancels the subscription and the shop falls back to Free", async () => {
    world.shopify.control.uninstall(SHOP);
    expect(world.shopify.control.subscriptions(SHOP).filter((s) => s.status === "ACTIVE")).toEqual([]);
    await waitFor("uninstall applied", async () => ((await shopRow()).uninstalledAt ? true : null), 20_000, 100);
    const shop = await shopRow();
    expect(shop.subscriptionStatus).toBe("CANCELLED");
    expect(shop.planKey).toBeNull();
  });
});

describe("feature gates", () => {
  it("Free sends no e-mail or SMS; Starter e-mail only; Professional both (suppressed rows say 'plan')", async () => {
    const reasons: Record<string, (string | null)[]> = {};
    for (const plan of ["free", "starter", "professional"] as const) {
      const shop = await createTestShop(`gate-${plan}`, {
        emailRecipients: ["ops@example.com"],
        smsRecipients: ["+15555550100"],
      });
      if (plan !== "free")
        await prisma.shop.update({ where: { id: shop.id }, data: { planKey: plan, subscriptionStatus: "ACTIVE" } });
      const ev = await prisma.domainEvent.create({
        data: { shopId: shop.id, type: "store.unhealthy", payload: { reason: "store down" } },
      });
      const { rows } = await processEvent(ev.id);
      reasons[plan] = ["email", "sms"].map((ch) => rows.find((r) => r.channel === ch)?.reason ?? null);
    }
    expect(reasons.free).toEqual(["plan", "plan"]);
    expect(reasons.starter![0]).not.toBe("plan");
    expect(reasons.starter![1]).toBe("plan");
    expect(reasons.professional!.every((r) => r !== "plan")).toBe(true);
  });

  it("analytics only on Professional and Enterprise", async () => {
    const free = await createTestShop("an-free");
    const pro = await createTestShop("an-pro");
    await prisma.shop.update({
      where: { id: pro.id },
      data: { planKey: "professional", subscriptionStatus: "ACTIVE" },
    });
    expect(await hasFeature(free.id, "analytics")).toBe(false);
    expect(await hasFeature(pro.id, "analytics")).toBe(true);
  });

  it("a retailer shop linked to a central shop needs no plan of its own (rule on today's data model)", async () => {
    const central = await createTestShop("central");
    const retailer = await createTestShop("retailer");
    expect(await needsOwnPlan(retailer.domain)).toBe(true);
    // Issue 14 connects a retailer's Shopify store to a central shop as a channel pointing at the retailer's domain.
    await prisma.channel.create({
      data: { shopId: central.id, kind: "shopify", name: "Retailer", baseUrl: `https://${retailer.domain}` },
    });
    expect(await needsOwnPlan(retailer.domain)).toBe(false);
    expect(await needsOwnPlan(central.domain)).toBe(true);
    // ...and it counts as one of the central shop's sales channels.
    expect((await billingUsage(central.id)).activeChannels).toBe(1);
  });
});
