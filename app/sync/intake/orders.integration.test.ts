/**
 * B2 (issue 12): the hub follows WooCommerce's real stock rules for orders, on a buffered store (no plugin) and on an
 * exact store with plugin 1.0.0 (no stock events) — both learn it from the order webhooks. WooCommerce 10 restocks
 * only on → cancelled / → pending; `refunded` and `failed` keep the units taken; a refund gives back only the lines it
 * restocks (includes/wc-stock-functions.php, wc-order-functions.php; the emulator encodes them, stock-rules.test.ts).
 * The hub used to give Shopify units back for refunded and failed orders and to ignore a refund's restock.
 * Real app build, real PostgreSQL and queue, emulated stores over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import { startWooEmulator, type WooEmulator } from "../../../tests/emulators/woocommerce/index";
import {
  adjustmentsFor,
  ledgerFor,
  registerStoreAs,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";
import { createConnectionCode } from "../stores/registration.server";

const SHOP = "orders-stock-rules.myshopify.com";
let fw: FaultWorld;
let buffered: WooEmulator;
const stores: { name: string; woo: () => WooEmulator; channelId: () => string; skus: Record<string, string> }[] = [];

beforeAll(async () => {
  fw = await startFaultWorld({ shop: SHOP, stockFor: () => 20 });
  buffered = await startWooEmulator({ siteName: "Buffered Store", syncflowPlugin: false, deliveryDelayMs: 10 });
  buffered.control.seedCatalog(fw.world.catalog, { stock: () => 20 });
  const reg = await registerStoreAs(fw.app.url, (await createConnectionCode(fw.shopId)).code, buffered, SHOP);
  expect(reg.status).toBe(201);
  expect(reg.body.mode).toBe("buffered");
  await waitFor(
    "buffered store linked",
    async () =>
      (await prisma.listing.count({ where: { channelId: reg.body.channel_id, matchStatus: "linked" } })) >= 17,
    30_000,
  );
  await waitFor(
    "initial push settled",
    async () =>
      (await prisma.listing.count({
        where: { channelId: reg.body.channel_id, matchStatus: "linked", lastWrittenQuantity: null },
      })) === 0,
    30_000,
  );
  stores.push(
    {
      name: "exact store, plugin 1.0.0",
      woo: () => fw.world.woo[0]!,
      channelId: () => fw.channelIds[0]!,
      skus: { refunded: "woo-beanie", failed: "woo-belt", partial: "woo-cap", norestock: "woo-polo" },
    },
    {
      name: "buffered store",
      woo: () => buffered,
      channelId: () => reg.body.channel_id,
      skus: {
        refunded: "woo-sunglasses",
        failed: "woo-tshirt",
        partial: "woo-long-sleeve-tee",
        norestock: "woo-hoodie-with-pocket",
      },
    },
  );
}, 180_000);

afterAll(async () => {
  await buffered?.close();
  await fw?.close();
});

/** Waits until the store delivered everything, the hub processed it and Shopify received every pending adjustment. */
async function settled(woo: WooEmulator, channelId: string) {
  await woo.control.idle();
  await waitFor(
    "hub settled",
    async () =>
      (await prisma.webhookReceipt.count({ where: { channelId, status: "received" } })) === 0 &&
      (await prisma.shopifyAdjustment.count({ where: { shopId: fw.shopId, status: "pending" } })) === 0,
  );
  await sleep(300);
}

/** Waits until the hub recorded order `id` of the store in `status`. */
const orderRecorded = (channelId: string, id: number, status: string) =>
  waitFor(
    `order ${id} ${status}`,
    async () =>
      (await prisma.order.findUnique({ where: { channelId_externalId: { channelId, externalId: String(id) } } }))
        ?.status === status,
  );

describe.each(["exact store, plugin 1.0.0", "buffered store"])("%s: follows WooCommerce's stock rules", (name) => {
  const s = () => stores.find((x) => x.name === name)!;

  it("an order moved to refunded keeps its units taken (no restock in WooCommerce, none on Shopify)", async () => {
    const sku = s().skus.refunded!;
    const start = fw.shopifyAvailable(sku)!;
    const shown = s().woo().control.getStock(sku)!; // a buffered store shows available − its buffer
    const o = s()
      .woo()
      .control.placeOrder({ lines: [{ sku, quantity: 2 }] }) as { id: number };
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 2);
    s().woo().control.setOrderStatus(o.id, "refunded");
    expect(s().woo().control.getStock(sku)).toBe(shown - 2); // WooCommerce gave nothing back
    await orderRecorded(s().channelId(), o.id, "refunded");
    await settled(s().woo(), s().channelId());
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
    expect((await adjustmentsFor(fw.shopId, sku)).map((a) => a.delta)).toEqual([-2]);
    expect((await ledgerFor(fw.shopId, sku)).filter((l) => l.cause === "cancel" || l.cause === "refund")).toEqual([]);
  });

  it("a failed order keeps its units taken", async () => {
    const sku = s().skus.failed!;
    const start = fw.shopifyAvailable(sku)!;
    const shown = s().woo().control.getStock(sku)!; // a buffered store shows available − its buffer
    const o = s()
      .woo()
      .control.placeOrder({ lines: [{ sku, quantity: 1 }] }) as { id: number };
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 1);
    s().woo().control.setOrderStatus(o.id, "failed");
    await orderRecorded(s().channelId(), o.id, "failed");
    await settled(s().woo(), s().channelId());
    expect(fw.shopifyAvailable(sku)).toBe(start - 1);
    expect(s().woo().control.getStock(sku)).toBe(shown - 1);
    expect((await adjustmentsFor(fw.shopId, sku)).map((a) => a.delta)).toEqual([-1]);
  });

  it("a partial refund that restocks gives back exactly the restocked units; cancelling then gives back the rest", async () => {
    const sku = s().skus.partial!;
    const start = fw.shopifyAvailable(sku)!;
    const shown = s().woo().control.getStock(sku)!; // a buffered store shows available − its buffer
    const o = s()
      .woo()
      .control.placeOrder({ lines: [{ sku, quantity: 3 }] }) as { id: number };
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 3);
    s()
      .woo()
      .control.refundOrder(o.id, { lines: [{ sku, quantity: 1 }], restock: true });
    expect(s().woo().control.getStock(sku)).toBe(shown - 2);
    await waitFor("restock applied", () => fw.shopifyAvailable(sku) === start - 2);
    await settled(s().woo(), s().channelId());
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
    const refundRow = (await ledgerFor(fw.shopId, sku)).find((l) => l.cause === "refund");
    expect(refundRow?.delta).toBe(1);
    s().woo().control.setOrderStatus(o.id, "cancelled");
    await waitFor("the rest given back", () => fw.shopifyAvailable(sku) === start);
    await settled(s().woo(), s().channelId());
    expect(fw.shopifyAvailable(sku)).toBe(start);
    expect((await adjustmentsFor(fw.shopId, sku)).map((a) => a.delta)).toEqual([-3, 1, 2]);
    // The store restocked itself at once; the hub holds restocked units back from it until Shopify has them, then
    // pushes them again — so the store settles a moment after Shopify.
    await waitFor("store settled", () => s().woo().control.getStock(sku) === shown);
  });

  it("a refund without restock gives nothing back, even when it refunds the whole order", async () => {
    const sku = s().skus.norestock!;
    const start = fw.shopifyAvailable(sku)!;
    const shown = s().woo().control.getStock(sku)!; // a buffered store shows available − its buffer
    const o = s()
      .woo()
      .control.placeOrder({ lines: [{ sku, quantity: 2 }] }) as { id: number };
    await waitFor("sale applied", () => fw.shopifyAvailable(sku) === start - 2);
    s()
      .woo()
      .control.refundOrder(o.id, { lines: [{ sku, quantity: 1 }] });
    const after = s()
      .woo()
      .control.refundOrder(o.id, { lines: [{ sku, quantity: 1 }] }) as { status: string };
    expect(after.status).toBe("refunded"); // the whole amount: WooCommerce marks it refunded, stock stays reduced
    expect(s().woo().control.getStock(sku)).toBe(shown - 2);
    await orderRecorded(s().channelId(), o.id, "refunded");
    await settled(s().woo(), s().channelId());
    expect(fw.shopifyAvailable(sku)).toBe(start - 2);
    expect((await adjustmentsFor(fw.shopId, sku)).map((a) => a.delta)).toEqual([-2]);
  });
});
