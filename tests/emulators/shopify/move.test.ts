/**
 * `inventoryMoveQuantities` and the `safety_stock` quantity name on the emulator, driven through the real
 * ShopifyChannel adapter (documents validated against the 2026-10 schema): moves with compare-and-set on both
 * terminals, @idempotent replay, Shopify's ledger-document rules, named adjust/read, and webhooks that report
 * only `available`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startShopifyEmulator, type ShopifyEmulator } from "./index.js";
import { ShopifyChannel } from "../../../app/channels/shopify/shopify-channel.server.js";
import { ChannelError } from "../../../app/channels/channel.js";

let emu: ShopifyEmulator;
const SHOP = "moves.myshopify.com";
let loc = "";
let item = "";
let ch: ShopifyChannel;
const DOC = "gid://syncflow/Allocation/store-a";
const meta = (key: string) => ({
  idempotencyKey: key,
  reason: "safety_stock",
  referenceDocumentUri: `gid://syncflow/Allocation/${key}`,
});
const q = async () =>
  (await ch.readQuantities([item], [loc], ["available", "safety_stock", "on_hand"])).get(item)!.get(loc)!;
const move = (
  qty: number,
  fromCfq: number | null,
  toCfq: number | null,
  key: string,
  dir: "reserve" | "release" = "reserve",
) => {
  const a = { name: "available", ledgerDocumentUri: null };
  const s = { name: "safety_stock", ledgerDocumentUri: DOC };
  return ch.moveQuantities(
    [
      {
        inventoryItemId: item,
        locationId: loc,
        quantity: qty,
        from: { ...(dir === "reserve" ? a : s), changeFromQuantity: fromCfq },
        to: { ...(dir === "reserve" ? s : a), changeFromQuantity: toCfq },
      },
    ],
    meta(key),
  );
};

beforeAll(async () => {
  emu = await startShopifyEmulator({ apiKey: "k", apiSecret: "s", restoreRate: 1000 });
  process.env.SHOPIFY_ADMIN_ORIGIN = emu.url;
  const s = emu.control.createShop({ domain: SHOP });
  loc = s.locationId;
  item = emu.control.createProduct(SHOP, {
    title: "Tee",
    variants: [{ sku: "MOVE-1", price: 10, quantities: { [loc]: 10 } }],
  }).variants[0]!.inventoryItemId;
  ch = new ShopifyChannel({ shop: SHOP, accessToken: s.accessToken, baseBackoffMs: 5, maxBackoffMs: 100 } as never);
});
afterAll(async () => {
  delete process.env.SHOPIFY_ADMIN_ORIGIN;
  await emu.close();
});

describe("inventoryMoveQuantities + safety_stock", () => {
  it("moves available → safety_stock with CAS on both terminals; on_hand unchanged; replays the same key", async () => {
    expect(await q()).toEqual({ available: 10, safety_stock: 0, on_hand: 10 });
    const [r] = await move(4, 10, 0, "m1");
    expect(r).toEqual({ fromAfter: 6, toAfter: 4 });
    expect(await q()).toEqual({ available: 6, safety_stock: 4, on_hand: 10 });
    // Same key + same input: Shopify replays the first answer, nothing moves twice.
    expect((await move(4, 10, 0, "m1"))[0]).toEqual({ fromAfter: 6, toAfter: 4 });
    expect(await q()).toEqual({ available: 6, safety_stock: 4, on_hand: 10 });
    expect(emu.control.state(SHOP).safetyStockBySku["MOVE-1"]![loc]).toBe(4);
  });

  it("fails the whole move when either terminal is stale (nothing applied)", async () => {
    await expect(move(1, 5, 4, "m2")).rejects.toMatchObject({ code: "STALE" }); // available is 6
    await expect(move(1, 6, 3, "m3")).rejects.toMatchObject({ code: "STALE" }); // safety_stock is 4
    expect(await q()).toEqual({ available: 6, safety_stock: 4, on_hand: 10 });
  });

  it("moves back safety_stock → available, and refuses to take more safety_stock than there is", async () => {
    expect((await move(3, 4, 6, "m4", "release"))[0]).toEqual({ fromAfter: 1, toAfter: 9 });
    await expect(move(2, 1, 9, "m5", "release")).rejects.toBeInstanceOf(ChannelError);
    expect(await q()).toEqual({ available: 9, safety_stock: 1, on_hand: 10 });
  });

  it("adjusts safety_stock by name (on_hand follows, available does not) with Shopify's ledger-document rule", async () => {
    const [r] = await ch.adjustQuantities(
      "safety_stock",
      [{ inventoryItemId: item, locationId: loc, delta: -1, changeFromQuantity: 1, ledgerDocumentUri: DOC }],
      meta("a1"),
    );
    expect(r).toEqual({ before: 1, after: 0 });
    expect(await q()).toEqual({ available: 9, safety_stock: 0, on_hand: 9 });
    await expect(
      ch.adjustQuantities(
        "safety_stock",
        [{ inventoryItemId: item, locationId: loc, delta: 1, changeFromQuantity: 0, ledgerDocumentUri: null }],
        meta("a2"),
      ),
    ).rejects.toThrow(/INVALID_QUANTITY_DOCUMENT/);
    await expect(
      ch.adjustQuantities(
        "safety_stock",
        [{ inventoryItemId: item, locationId: loc, delta: 1, changeFromQuantity: 5, ledgerDocumentUri: DOC }],
        meta("a3"),
      ),
    ).rejects.toMatchObject({ code: "STALE" });
  });

  it("validates terminals like Shopify: ledger documents, same name, missing changeFromQuantity", async () => {
    const bad = (from: object, to: object) =>
      ch.moveQuantities(
        [
          {
            inventoryItemId: item,
            locationId: loc,
            quantity: 1,
            from: { name: "available", changeFromQuantity: null, ledgerDocumentUri: null, ...from },
            to: { name: "safety_stock", changeFromQuantity: null, ledgerDocumentUri: DOC, ...to },
          } as never,
        ],
        meta(`bad-${Math.random()}`),
      );
    await expect(bad({}, { ledgerDocumentUri: null })).rejects.toThrow(/INVALID_QUANTITY_DOCUMENT/);
    await expect(bad({ ledgerDocumentUri: DOC }, {})).rejects.toThrow(/INVALID_AVAILABLE_DOCUMENT/);
    await expect(bad({}, { name: "available", ledgerDocumentUri: null })).rejects.toThrow(/SAME_QUANTITY_NAME/);
    await expect(bad({}, { ledgerDocumentUri: "gid://shopify/Order/1" })).rejects.toThrow(/INTERNAL_LEDGER_DOCUMENT/);
  });

  it("emits inventory_levels/update only when available moves, reporting available", async () => {
    const deliveries = () => emu.control.deliveries(SHOP).filter((d) => d.topic === "inventory_levels/update").length;
    emu.control.setAppUrl(null);
    const before = deliveries();
    await ch.adjustQuantities(
      "safety_stock",
      [{ inventoryItemId: item, locationId: loc, delta: 2, changeFromQuantity: 0, ledgerDocumentUri: DOC }],
      meta("a4"),
    );
    expect(deliveries()).toBe(before);
    await move(1, 9, 2, "m6");
    expect(deliveries()).toBe(before + 1);
  });
});
