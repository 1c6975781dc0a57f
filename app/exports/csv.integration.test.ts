/** Streamed CSV exports on real PostgreSQL, read back with csv-parse: BOM, CRLF, formula neutralising, paging. */
import { describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import prisma from "../db.server";
import { createTestItem, createTestShop } from "../notify/test-shop";
import { csvStream, csvFileName } from "./csv.server";

async function read(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe("CSV exports", () => {
  it("streams inventory across pages, Excel-friendly", async () => {
    const shop = await createTestShop("csv", {}, "CSV Shop");
    await prisma.catalogItem.createMany({
      data: Array.from({ length: 1005 }, (_, i) => ({
        shopId: shop.id,
        sku: `SKU-${String(i).padStart(4, "0")}`,
        skuKey: `sku-${String(i).padStart(4, "0")}`,
        title: `Item ${i}`,
      })),
    });
    await createTestItem(shop.id, "=HYPERLINK(1)", 4, "+evil");
    const buf = await read(csvStream("inventory", shop.id));
    expect([...buf.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = buf.toString("utf8").slice(1);
    expect(text).toContain("\r\n");
    const rows = parse(text) as string[][];
    expect(rows[0]).toEqual(["SKU", "Title", "Shopify available", "Last sync"]);
    expect(rows.length).toBe(1 + 1006);
    expect(rows[1]).toEqual(["'=HYPERLINK(1)", "'+evil", "4", expect.any(String)]);
    expect(rows.at(-1)![0]).toBe("SKU-1004");
    expect(csvFileName("inventory", shop.domain, new Date("2026-11-22T10:00:00Z"))).toBe(
      `syncflow-inventory-${shop.domain.replace(".myshopify.com", "")}-2026-11-22.csv`,
    );
  }, 30_000);

  it("streams orders and activity", async () => {
    const shop = await createTestShop("csv2");
    const item = await createTestItem(shop.id, "BELT", 3);
    const channel = await prisma.channel.create({
      data: { shopId: shop.id, kind: "woocommerce", name: 'Woo, Store "1"', baseUrl: "http://w.test" },
    });
    await prisma.order.create({
      data: {
        shopId: shop.id,
        channelId: channel.id,
        externalId: "9",
        number: "9",
        status: "processing",
        placedAt: new Date("2026-11-20T10:00:00Z"),
        totalPrice: "5.50",
        currency: "EUR",
        lines: { create: [{ externalLineId: "a", sku: "BELT", itemId: item.id, title: "Belt", quantity: 1 }] },
      },
    });
    const orders = parse((await read(csvStream("orders", shop.id))).toString("utf8").slice(1)) as string[][];
    expect(orders[1]).toEqual([
      "9",
      'Woo, Store "1"',
      "2026-11-20T10:00:00.000Z",
      "processing",
      "",
      "1x BELT",
      "1",
      "5.5",
      "EUR",
    ]);
    const activity = parse((await read(csvStream("activity", shop.id))).toString("utf8").slice(1)) as string[][];
    expect(activity[0]![0]).toBe("Time");
    expect(activity[1]!.slice(1, 5)).toEqual(["BELT", "Item BELT", "Shopify", "initial"]);
  });
});
