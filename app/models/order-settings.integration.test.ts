/**
 * Orders hub settings per sales channel (decision 243) against a real PostgreSQL: a WooCommerce store's settings
 * saved on OrderImportSetting and read back by the import (`importSettingsOf`); a retailer's on/off, look-back, tags
 * and note on its RetailerLink, the rest on OrderImportSetting; bad input answered with field errors and nothing
 * saved; another shop's channel refused.
 */
import { beforeAll, describe, expect, it } from "vitest";
import prisma from "../db.server";
import { createTestShop } from "../notify/test-shop";
import { getOrderSettings, saveOrderSettings } from "./order-settings.server";
import { importSettingsOf } from "../sync/orders-hub/import.server";
import { getBoss, QUEUES } from "../jobs/queue.server";

let shopId: string;
let otherShopId: string;
let wooId: string;
let retailerChannelId: string;

const ADDRESS = {
  firstName: "Bea",
  lastName: "Retail",
  company: "Bea's Boutique",
  address1: "2 High St",
  address2: "",
  city: "Leeds",
  provinceCode: "",
  zip: "LS1 1AA",
  countryCode: "gb",
  phone: "",
};

const valid = (channelId: string) => ({
  channelId,
  importOrders: true,
  fromStatuses: ["processing", "completed"],
  orderLookbackHours: 48,
  tags: ["wholesale", "eu"],
  note: " Pack with care ",
  billing: "fixed",
  billingAddress: ADDRESS,
  notifyCustomer: false,
  pushFulfilments: true,
  fulfilmentLookbackHours: 72,
  notifySourceCustomer: false,
});

beforeAll(async () => {
  const shop = await createTestShop("order-settings");
  const other = await createTestShop("order-settings-other");
  shopId = shop.id;
  otherShopId = other.id;
  wooId = (
    await prisma.channel.create({ data: { shopId, kind: "woocommerce", name: "Woo", baseUrl: "https://w.test" } })
  ).id;
  const retailerShop = await createTestShop("order-settings-retailer");
  retailerChannelId = (
    await prisma.channel.create({
      data: { shopId, kind: "shopify_retailer", name: "Bea", baseUrl: "https://bea.myshopify.com" },
    })
  ).id;
  await prisma.retailerLink.create({
    data: { centralShopId: shopId, retailerShopId: retailerShop.id, channelId: retailerChannelId, status: "linked" },
  });
});

describe("orders hub settings", () => {
  it("a WooCommerce store's settings are saved, shown and read by the import", async () => {
    expect((await getOrderSettings(shopId)).find((c) => c.channelId === wooId)).toMatchObject({
      importOrders: false,
      billing: "customer",
      orderLookbackHours: 24,
      notifySourceCustomer: true,
    });
    expect(await saveOrderSettings(shopId, valid(wooId))).toEqual({ ok: true });
    // Import turned on: the look-back window is read now (a reconciliation with the import_lookback trigger).
    const boss = await getBoss();
    const lookbacks = (await boss.findJobs(QUEUES.reconcile, { data: { channelId: wooId } })).filter(
      (j) => (j.data as { trigger?: string }).trigger === "import_lookback",
    );
    expect(lookbacks).toHaveLength(1);
    const view = (await getOrderSettings(shopId)).find((c) => c.channelId === wooId)!;
    expect(view).toMatchObject({
      importOrders: true,
      fromStatuses: ["processing", "completed"],
      orderLookbackHours: 48,
      tags: ["wholesale", "eu"],
      note: "Pack with care",
      billing: "fixed",
      billingAddress: { company: "Bea's Boutique", countryCode: "GB", address2: null },
      pushFulfilments: true,
      fulfilmentLookbackHours: 72,
      notifySourceCustomer: false,
    });
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: wooId } });
    expect(await importSettingsOf(channel)).toMatchObject({
      importOrders: true,
      lookbackHours: 48,
      tags: ["wholesale", "eu"],
      billingAddress: { city: "Leeds" },
    });
    // Back to the customer's address: stored as no address at all.
    expect(await saveOrderSettings(shopId, { ...valid(wooId), billing: "customer", billingAddress: null })).toEqual({
      ok: true,
    });
    expect((await importSettingsOf(channel))!.billingAddress).toBeNull();
  });

  it("a retailer's switches, look-back, tags and note go to its RetailerLink; the rest to OrderImportSetting", async () => {
    const r = await saveOrderSettings(shopId, { ...valid(retailerChannelId), fromStatuses: ["paid"] });
    expect(r).toEqual({ ok: true });
    const link = await prisma.retailerLink.findUniqueOrThrow({ where: { channelId: retailerChannelId } });
    expect(link).toMatchObject({
      importOrders: true,
      pushFulfilments: true,
      orderLookbackHours: 48,
      fulfilmentLookbackHours: 72,
      orderTags: ["wholesale", "eu"],
      orderNote: "Pack with care",
    });
    const own = await prisma.orderImportSetting.findUniqueOrThrow({ where: { channelId: retailerChannelId } });
    expect(own).toMatchObject({ fromStatuses: ["paid"], notifySourceCustomer: false, importOrders: false });
    const channel = await prisma.channel.findUniqueOrThrow({ where: { id: retailerChannelId } });
    expect(await importSettingsOf(channel)).toMatchObject({
      importOrders: true,
      fromStatuses: ["paid"],
      billingAddress: { company: "Bea's Boutique" },
    });
  });

  it("bad input comes back as field errors with what to fix, and nothing is saved", async () => {
    const before = await prisma.orderImportSetting.findUniqueOrThrow({ where: { channelId: wooId } });
    const r = await saveOrderSettings(shopId, {
      ...valid(wooId),
      orderLookbackHours: 0,
      fulfilmentLookbackHours: 1.5,
      tags: ["a,b", "x".repeat(41)],
      billingAddress: { ...ADDRESS, city: "", countryCode: "Britain" },
    });
    expect(r.ok).toBe(false);
    expect(r.ok ? null : r.errors).toMatchObject({
      orderLookbackHours: "Order look-back must be 1–720 hours",
      fulfilmentLookbackHours: "Fulfilment look-back must be a whole number of hours",
      "tags.0": "Tags cannot contain commas",
      "tags.1": expect.stringContaining("40 characters"),
      "billingAddress.city": "Enter the city",
      "billingAddress.countryCode": expect.stringContaining("two-letter"),
    });
    expect(await saveOrderSettings(shopId, { ...valid(wooId), billingAddress: null })).toMatchObject({
      ok: false,
      errors: { billingAddress: "Enter the billing address to use." },
    });
    expect(await saveOrderSettings(shopId, { ...valid(wooId), fromStatuses: ["paid"] })).toMatchObject({
      ok: false,
      errors: { fromStatuses: expect.stringContaining("not a status") },
    });
    expect(await prisma.orderImportSetting.findUniqueOrThrow({ where: { channelId: wooId } })).toEqual(before);
  });

  it("another shop's channel is refused (404)", async () => {
    expect(await saveOrderSettings(otherShopId, valid(wooId))).toMatchObject({ ok: false, status: 404 });
  });
});
