/** The imported order's shape (buildImportInput, pure): linked lines, custom lines flagged, tags, note, billing, paid. */
import { describe, expect, it } from "vitest";
import { Prisma } from "@prisma/client";
import { buildImportInput, importKeyOf, type ImportSettings } from "./import.server";

const settings: ImportSettings = {
  importOrders: true,
  fromStatuses: [],
  lookbackHours: 24,
  tags: ["wholesale", " x".repeat(30)],
  note: "Pack with care",
  billingAddress: null,
  notifyCustomer: false,
};
const address = {
  firstName: "Ada",
  lastName: "L",
  company: null,
  address1: "1 Road",
  address2: null,
  city: "Leeds",
  provinceCode: null,
  zip: "LS1",
  countryCode: "GB",
  phone: null,
};
const args = (over: Partial<Parameters<typeof buildImportInput>[0]> = {}) =>
  buildImportInput({
    key: importKeyOf("ch1", "501"),
    channel: { name: "Woo A", kind: "woocommerce" },
    order: {
      number: "501",
      currency: "EUR",
      placedAt: new Date("2026-12-01T10:00:00Z"),
      customerEmail: "ada@example.com",
      lines: [
        { sku: "A", itemId: "item-a", title: "Tee", quantity: 2, price: new Prisma.Decimal("9.5") },
        { sku: "ZZ", itemId: null, title: "Mug", quantity: 1, price: new Prisma.Decimal("4") },
        { sku: "GONE", itemId: "item-b", title: "Removed", quantity: 0, price: null },
      ],
    },
    variants: new Map([["item-a", "gid://shopify/ProductVariant/1"]]),
    settings,
    source: { shippingAddress: address, billingAddress: { ...address, city: "York" }, paid: true, shipping: null },
    currency: "EUR",
    ...over,
  });

describe("buildImportInput", () => {
  it("links variants, imports unlinked SKUs as flagged custom lines, keeps prices as sold and drops empty lines", () => {
    const { input, flags } = args();
    expect(input.key).toBe("syncflow:ch1:501");
    expect(input.lines).toEqual([
      { variantId: "gid://shopify/ProductVariant/1", sku: "A", title: "Tee", quantity: 2, unitPrice: "9.5" },
      { variantId: null, sku: "ZZ", title: "Mug", quantity: 1, unitPrice: "4" },
    ]);
    expect(flags).toEqual(["unlinked_lines"]);
  });

  it("tags syncflow, the source store and the configured tags (Shopify's 40 characters); note names the source order", () => {
    const { input } = args();
    expect(input.tags.slice(0, 3)).toEqual(["syncflow", "Woo A", "wholesale"]);
    expect(input.tags.every((t) => t.length <= 40)).toBe(true);
    expect(input.note).toBe("WooCommerce order #501 from Woo A\nPack with care");
    expect(input.attributes).toEqual([
      { key: "Source store", value: "Woo A" },
      { key: "Source order", value: "#501" },
    ]);
    expect(input.paid).toBe(true);
    expect(input.notifyCustomer).toBe(false);
  });

  it("bills the customer's address, or the one the channel's settings give (the retailer's own)", () => {
    expect(args().input.billingAddress?.city).toBe("York");
    const retailer = { ...address, company: "Retailer Ltd", city: "Bath" };
    const { input } = args({ settings: { ...settings, billingAddress: retailer } });
    expect(input.billingAddress).toEqual(retailer);
    expect(input.shippingAddress?.city).toBe("Leeds");
  });

  it("keys are safe for Shopify's search syntax", () => {
    expect(importKeyOf("ch1", "gid://shopify/Order/12")).toBe("syncflow:ch1:gid:__shopify_Order_12");
  });
});
