/** Unit tests of the admin block's logic (model.ts): requests, link states, relative times, the view. */
import { describe, expect, it } from "vitest";
import { blockUrl, buildBlockView, linkStateLabel, relativeTime, syncRequest, type BlockData } from "./model";

const NOW = Date.parse("2026-12-05T12:00:00Z");
const data: BlockData = {
  productId: "gid://shopify/Product/7",
  channels: [
    { id: "c1", name: "Woo EU", kind: "woocommerce", status: "active", paused: false },
    { id: "c2", name: "Woo US", kind: "woocommerce", status: "active", paused: true },
  ],
  variants: [
    {
      itemId: "i1",
      sku: "TEE-S",
      title: "Tee - S",
      shopifyAvailable: 12,
      openConflicts: 2,
      lastSyncAt: "2026-12-05T11:56:00Z",
      channels: [
        {
          channelId: "c1",
          name: "Woo EU",
          kind: "woocommerce",
          paused: false,
          linkState: "linked",
          quantity: 10,
          lastSyncAt: "2026-12-05T11:56:00Z",
        },
        {
          channelId: "c2",
          name: "Woo US",
          kind: "woocommerce",
          paused: true,
          linkState: "linked",
          quantity: 0,
          lastSyncAt: null,
        },
      ],
    },
    {
      itemId: "i2",
      sku: "",
      title: "Tee - M",
      shopifyAvailable: null,
      openConflicts: 0,
      lastSyncAt: null,
      channels: [
        {
          channelId: "c1",
          name: "Woo EU",
          kind: "woocommerce",
          paused: false,
          linkState: "unmatched",
          quantity: 4,
          lastSyncAt: null,
        },
        {
          channelId: "c2",
          name: "Woo US",
          kind: "woocommerce",
          paused: true,
          linkState: "not_listed",
          quantity: null,
          lastSyncAt: null,
        },
      ],
    },
  ],
};

describe("admin block model", () => {
  it("builds the backend URLs with the product GID encoded", () => {
    expect(blockUrl("gid://shopify/Product/7")).toBe("/api/extension/product?id=gid%3A%2F%2Fshopify%2FProduct%2F7");
    expect(blockUrl("gid://shopify/Product/7", "https://app.example/")).toBe(
      "https://app.example/api/extension/product?id=gid%3A%2F%2Fshopify%2FProduct%2F7",
    );
    const s = syncRequest("gid://shopify/Product/7");
    expect(s.url).toBe("/api/extension/product");
    expect(JSON.parse(s.init.body)).toEqual({ intent: "sync", id: "gid://shopify/Product/7" });
  });

  it("names link states in merchant words", () => {
    expect(linkStateLabel("linked")).toEqual({ label: "Linked", tone: "success" });
    expect(linkStateLabel("duplicate_sku").tone).toBe("critical");
    expect(linkStateLabel("something_new").label).toBe("something new");
  });

  it("says how long ago a sync was", () => {
    expect(relativeTime(null, NOW)).toBe("never");
    expect(relativeTime("2026-12-05T11:59:50Z", NOW)).toBe("just now");
    expect(relativeTime("2026-12-05T11:56:00Z", NOW)).toBe("4 min ago");
    expect(relativeTime("2026-12-05T09:00:00Z", NOW)).toBe("3 h ago");
    expect(relativeTime("2026-12-03T12:00:00Z", NOW)).toBe("2 d ago");
  });

  it("shows each variant's quantity per channel, link state, conflicts and last sync", () => {
    const v = buildBlockView(data, NOW);
    expect(v.columns).toEqual(["Woo EU", "Woo US (paused)"]);
    expect(v.summary).toBe("2 of 4 listings linked · 2 open conflicts");
    expect(v.empty).toBeNull();
    const [a, b] = v.rows;
    expect(a).toMatchObject({
      label: "TEE-S · Tee - S",
      shopify: "12",
      conflicts: "2 open conflicts",
      conflictTone: "critical",
      lastSync: "4 min ago",
    });
    expect(a!.cells).toEqual([
      { channel: "Woo EU", text: "10", state: "Linked", tone: "success" },
      { channel: "Woo US", text: "0", state: "Linked", tone: "critical" },
    ]);
    // An unlinked listing's quantity is not SyncFlow's to show; a missing record level shows a dash.
    expect(b).toMatchObject({ label: "Tee - M", shopify: "—", conflicts: null, lastSync: "never" });
    expect(b!.cells.map((c) => [c.text, c.state])).toEqual([
      ["—", "Not linked"],
      ["—", "Not listed"],
    ]);
  });

  it("explains an empty product and a shop without channels", () => {
    expect(buildBlockView({ ...data, variants: [] }, NOW)).toMatchObject({ summary: "Not imported yet", rows: [] });
    expect(
      buildBlockView({ ...data, channels: [], variants: data.variants.map((x) => ({ ...x, channels: [] })) }, NOW)
        .empty,
    ).toMatch(/No sales channel/);
  });
});
