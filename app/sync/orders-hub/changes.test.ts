/**
 * Changes at the source after an import (decision 237): which flags a source order's state earns the imported order.
 */
import { describe, expect, it } from "vitest";
import type { SalesOrder } from "../../channels/events";
import {
  importedLinesOf,
  SOURCE_EDITED,
  SOURCE_REFUNDED,
  sourceChangeFlags,
  type ImportedLine,
} from "./changes.server";

const order = (over: Partial<SalesOrder> = {}, lines?: Partial<SalesOrder["lines"][number]>[]): SalesOrder => ({
  orderId: "1001",
  number: "1001",
  status: "processing",
  currency: "GBP",
  total: "30.00",
  createdAt: "2026-12-05T10:00:00Z",
  modifiedAt: "2026-12-05T10:05:00Z",
  customer: { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com" },
  statusEffect: "take",
  lines: (lines ?? [{}, { lineId: "2", sku: "B", quantity: 1, stockTaken: 1 }]).map((l) => ({
    lineId: "1",
    productId: "p",
    variantId: null,
    sku: "A",
    quantity: 2,
    price: "10.00",
    title: "A",
    stockTaken: 2,
    ...l,
  })),
  ...over,
});
const imported: ImportedLine[] = [
  ["1", 2, 2],
  ["2", 1, 1],
];

describe("sourceChangeFlags", () => {
  it("nothing changed: no flag (a duplicate or late delivery of the same order)", () => {
    expect(sourceChangeFlags(imported, order())).toEqual([]);
    expect(sourceChangeFlags(imported, order({ status: "completed" }))).toEqual([]);
  });

  it("a refunded status, a refund delivery or a restocked refund is flagged source_refunded", () => {
    expect(sourceChangeFlags(imported, order({ status: "refunded", statusEffect: "keep" }))).toEqual([SOURCE_REFUNDED]);
    expect(sourceChangeFlags(imported, order({ status: "partially_refunded" }))).toEqual([SOURCE_REFUNDED]);
    expect(
      sourceChangeFlags(imported, order({ partial: true }, [{ lineId: "1", quantity: 2, stockTaken: 1 }])),
    ).toEqual([SOURCE_REFUNDED]);
    // WooCommerce: a refund that restocked one unit lowers the line's _reduced_stock, the status stays "processing".
    expect(sourceChangeFlags(imported, order({}, [{ stockTaken: 1 }, { lineId: "2", sku: "B", quantity: 1 }]))).toEqual(
      [SOURCE_REFUNDED],
    );
  });

  it("a cancellation is neither a refund nor an edit (the central order is cancelled instead)", () => {
    expect(
      sourceChangeFlags(
        imported,
        order({ status: "cancelled", statusEffect: "release" }, [{ stockTaken: 0 }, { lineId: "2", stockTaken: 0 }]),
      ),
    ).toEqual([]);
  });

  it("a line added, removed or changed in quantity is flagged source_edited", () => {
    expect(
      sourceChangeFlags(
        imported,
        order({}, [
          { quantity: 3, stockTaken: 3 },
          { lineId: "2", quantity: 1, stockTaken: 1 },
        ]),
      ),
    ).toEqual([SOURCE_EDITED]);
    expect(sourceChangeFlags(imported, order({}, [{}]))).toEqual([SOURCE_EDITED]);
    expect(
      sourceChangeFlags(
        imported,
        order({}, [{}, { lineId: "2", quantity: 1, stockTaken: 1 }, { lineId: "3", stockTaken: 1 }]),
      ),
    ).toEqual([SOURCE_EDITED]);
  });

  it("without the lines as imported (imported before they were kept) only the status speaks", () => {
    expect(sourceChangeFlags(null, order({}, [{ quantity: 5, stockTaken: 0 }]))).toEqual([]);
    expect(sourceChangeFlags(null, order({ status: "refunded" }))).toEqual([SOURCE_REFUNDED]);
  });

  it("importedLinesOf keeps each line's id, units and the hub's tally", () => {
    expect(
      importedLinesOf([
        { externalLineId: "1", quantity: 2, stockTakenQuantity: 2 },
        { externalLineId: "2", quantity: 1, stockTakenQuantity: 0 },
      ]),
    ).toEqual([
      ["1", 2, 2],
      ["2", 1, 0],
    ]);
  });
});
