import { describe, expect, it } from "vitest";
import { wooStatusEffect } from "./order-status";
import { parseWooDelivery } from "./woocommerce-channel.server";

describe("WooCommerce order status rules (wc-stock-functions.php)", () => {
  it("processing / on-hold / completed take, cancelled / pending release, the rest keep", () => {
    expect(["processing", "on-hold", "completed"].map(wooStatusEffect)).toEqual(["take", "take", "take"]);
    expect(["cancelled", "pending"].map(wooStatusEffect)).toEqual(["release", "release"]);
    expect(["refunded", "failed", "checkout-draft", "trash"].map(wooStatusEffect)).toEqual([
      "keep",
      "keep",
      "keep",
      "keep",
    ]);
  });

  it("every normalised order carries its status rule, so the engine names no WooCommerce status", () => {
    const body = {
      id: 7,
      number: "7",
      status: "on-hold",
      currency: "USD",
      total: "5.00",
      date_created_gmt: "2026-12-01T10:00:00",
      date_modified_gmt: "2026-12-01T10:00:00",
      billing: { first_name: "A", last_name: "B", email: "a@example.com" },
      line_items: [{ id: 1, product_id: 10, variation_id: 0, sku: "S", quantity: 2, price: 2.5, name: "S" }],
    };
    const [event] = parseWooDelivery({ topic: "order.created", body });
    expect(event?.type).toBe("order.placed");
    expect(event && "order" in event ? event.order.statusEffect : null).toBe("take");
  });
});
