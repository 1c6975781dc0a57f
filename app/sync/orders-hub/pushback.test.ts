/**
 * The pushback's pure parts: which source lines a central fulfilment covers, the order's fulfilment state, versions
 * (same state → same version, a changed tracking number or a cancellation → a new one), and what WooCommerce is told.
 */
import { describe, expect, it } from "vitest";
import { fulfilmentStateOf, pushStatusOf, sourceLinesOf, versionOf } from "./pushback.server";
import { fulfilmentNote, noteMarker, trackingItemsAfter } from "../../channels/woocommerce/fulfilment";
import { fulfilmentOrderPicks, trackingInput } from "../../channels/shopify-retailer/fulfilment";
import type { FulfilmentPush } from "../../channels/sales-channel";

const orderLines = [
  { externalLineId: "11", sku: "TEE", itemId: "item-tee", quantity: 2 },
  { externalLineId: "12", sku: "TEE", itemId: "item-tee", quantity: 1 },
  { externalLineId: "13", sku: "Wrap", itemId: null, quantity: 1 },
];
const variants = new Map([["gid://shopify/ProductVariant/1", "item-tee"]]);

describe("sourceLinesOf", () => {
  it("maps central lines to the source lines by item, then by SKU for custom lines, filling lines in order", () => {
    const r = sourceLinesOf(
      {
        lines: [
          { lineId: "c1", sku: "TEE", variantId: "gid://shopify/ProductVariant/1", quantity: 3 },
          { lineId: "c2", sku: "WRAP", variantId: null, quantity: 1 },
        ],
      },
      orderLines,
      variants,
    );
    expect(r).toEqual({
      lines: [
        { externalLineId: "11", sku: "TEE", quantity: 2 },
        { externalLineId: "12", sku: "TEE", quantity: 1 },
        { externalLineId: "13", sku: "Wrap", quantity: 1 },
      ],
      unmatched: 0,
    });
  });
  it("leaves out units no source line takes", () => {
    const r = sourceLinesOf(
      { lines: [{ lineId: "c", sku: "OTHER", variantId: null, quantity: 2 }] },
      orderLines,
      variants,
    );
    expect(r).toEqual({ lines: [], unmatched: 2 });
  });
});

describe("fulfilmentStateOf and versions", () => {
  const row = (status: string, lines: { externalLineId: string; quantity: number }[]) => ({
    centralStatus: status,
    lines: lines as never,
  });
  it("partial until every line is covered by fulfilments in effect; a cancelled one does not count", () => {
    expect(fulfilmentStateOf(orderLines, [])).toBe("unfulfilled");
    expect(fulfilmentStateOf(orderLines, [row("SUCCESS", [{ externalLineId: "11", quantity: 2 }])])).toBe("partial");
    const all = [
      row("SUCCESS", [{ externalLineId: "11", quantity: 2 }]),
      row("SUCCESS", [
        { externalLineId: "12", quantity: 1 },
        { externalLineId: "13", quantity: 1 },
      ]),
    ];
    expect(fulfilmentStateOf(orderLines, all)).toBe("fulfilled");
    expect(fulfilmentStateOf(orderLines, [all[0]!, { ...all[1]!, centralStatus: "CANCELLED" }])).toBe("partial");
  });
  it("a version changes with the tracking or the status, not with a re-delivery of the same state", () => {
    const base = {
      centralStatus: "SUCCESS",
      trackingCompany: "UPS",
      trackingNumbers: ["1"],
      trackingUrls: [],
      lines: [],
    };
    expect(versionOf(base)).toBe(versionOf({ ...base }));
    expect(versionOf(base)).not.toBe(versionOf({ ...base, trackingNumbers: ["2"] }));
    expect(versionOf(base)).not.toBe(versionOf({ ...base, centralStatus: "CANCELLED" }));
    expect([pushStatusOf("success"), pushStatusOf("CANCELLED"), pushStatusOf("OPEN")]).toEqual([
      "shipped",
      "cancelled",
      null,
    ]);
  });
});

const push = (over: Partial<FulfilmentPush> = {}): FulfilmentPush => ({
  key: "row1/abc",
  fulfilmentId: "row1",
  orderId: "77",
  status: "shipped",
  company: "DHL Express",
  tracking: [
    { number: "D1", url: "https://t.example.com/D1" },
    { number: "D2", url: null },
  ],
  lines: [{ lineId: "11", sku: "TEE", quantity: 2 }],
  orderFullyShipped: false,
  notifyCustomer: true,
  sourceRef: null,
  ...over,
});

describe("WooCommerce note and Shipment Tracking items", () => {
  it("names what shipped, the carrier, every number with its URL, and ends with the marker", () => {
    const note = fulfilmentNote(push(), new Map([["11", "Hub tee"]]));
    expect(note).toBe(
      "Part of your order has shipped: 2 × Hub tee. Carrier: DHL Express. Tracking numbers: D1 (https://t.example.com/D1), D2. [syncflow:row1/abc]",
    );
    expect(fulfilmentNote(push({ status: "cancelled" }), new Map())).toMatch(/^A shipment of your order was cancelled/);
    expect(note.endsWith(noteMarker("row1/abc"))).toBe(true);
  });
  it("replaces only this fulfilment's items; a cancellation removes them", () => {
    const shop = {
      tracking_provider: "ups",
      custom_tracking_provider: "",
      custom_tracking_link: "",
      tracking_number: "X",
      date_shipped: "1",
      tracking_id: "theirs",
    };
    const first = trackingItemsAfter([shop], push(), 1_733_400_000_000);
    expect(first.map((i) => i.tracking_id)).toEqual(["theirs", "syncflow-row1-0", "syncflow-row1-1"]);
    expect(first[1]).toEqual({
      tracking_provider: "",
      custom_tracking_provider: "DHL Express",
      custom_tracking_link: "https://t.example.com/D1",
      tracking_number: "D1",
      date_shipped: "1733400000",
      tracking_id: "syncflow-row1-0",
    });
    expect(
      trackingItemsAfter(first, push({ tracking: [{ number: "D9", url: null }] }), 0).map((i) => i.tracking_number),
    ).toEqual(["X", "D9"]);
    expect(trackingItemsAfter(first, push({ status: "cancelled" }), 0).map((i) => i.tracking_id)).toEqual(["theirs"]);
  });
});

describe("retailer fulfilment input", () => {
  it("takes only open units of the order's fulfilment orders; URLs only when every number has one", () => {
    const order = {
      id: "o",
      cancelledAt: null,
      fulfillments: [],
      fulfillmentOrders: {
        nodes: [
          {
            id: "fo-closed",
            status: "CLOSED",
            lineItems: { nodes: [{ id: "x", remainingQuantity: 5, lineItem: { id: "11" } }] },
          },
          {
            id: "fo",
            status: "IN_PROGRESS",
            lineItems: { nodes: [{ id: "fl", remainingQuantity: 1, lineItem: { id: "11" } }] },
          },
        ],
      },
    };
    expect(fulfilmentOrderPicks(order, push())).toEqual([
      { fulfillmentOrderId: "fo", fulfillmentOrderLineItems: [{ id: "fl", quantity: 1 }] },
    ]);
    expect(trackingInput(push())).toEqual({ company: "DHL Express", numbers: ["D1", "D2"] });
    expect(trackingInput(push({ tracking: [{ number: "D1", url: "https://t.example.com/D1" }] }))).toEqual({
      company: "DHL Express",
      numbers: ["D1"],
      urls: ["https://t.example.com/D1"],
    });
  });
});
