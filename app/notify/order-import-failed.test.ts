/**
 * The `order.import_failed` notification (issue 15, decision 238): one kind for an order the hub could not create (or
 * cancel) in the central shop after every retry — named, with its cause and a link to the order — instead of the
 * generic "sync failed" of its dead letter; not critical (it waits for quiet hours and never goes by SMS).
 */
import { describe, expect, it } from "vitest";
import { CRITICAL_KINDS, KIND_INFO, kindOfEvent, mergeSwitches, NOTIFIABLE_EVENT_TYPES } from "./kinds";
import { renderMessage } from "./templates";

const ctx = (facts: Record<string, string | number | null>) => ({
  kind: "order.import_failed" as const,
  shopName: "Plant Co",
  shopDomain: "plant-co.myshopify.com",
  link: "https://admin.shopify.com/store/plant-co/apps/syncflow/app/orders/ord_1",
  settingsLink: "https://admin.shopify.com/store/plant-co/apps/syncflow/app/settings/notifications",
  facts,
});

describe("order.import_failed", () => {
  it("is the kind of an order import's failure; the order import's dead letter does not notify a second time", () => {
    expect(kindOfEvent("order.import_failed", { orderId: "o1" })).toBe("order.import_failed");
    expect(kindOfEvent("job.dead_lettered", { queue: "order-import", data: { orderId: "o1" } })).toBeNull();
    expect(kindOfEvent("job.dead_lettered", { queue: "push-stock" })).toBe("job.dead_lettered");
    expect(NOTIFIABLE_EVENT_TYPES).toContain("order.import_failed");
    expect(KIND_INFO["order.import_failed"].label).toBeTruthy();
  });

  it("is not critical: held in quiet hours, e-mail only", () => {
    expect(CRITICAL_KINDS.has("order.import_failed")).toBe(false);
    expect(mergeSwitches({ "order.import_failed": { email: true, sms: true } })["order.import_failed"]).toEqual({
      email: true,
      sms: false,
    });
  });

  it("names the order, its store and the cause, and links to the order", () => {
    const m = renderMessage(
      ctx({ orderNumber: "#1042", store: "Woo Store 1", cause: "ChannelError: write_orders missing", attempts: 3 }),
    );
    expect(m.subject).toBe("Order #1042 from Woo Store 1 was not imported to Shopify · Plant Co");
    expect(m.text).toContain("#1042 from Woo Store 1 could not be created in your Shopify store after 3 attempts");
    expect(m.text).toContain("write_orders missing");
    expect(m.text).toContain("/app/orders/ord_1");
    expect(m.html).toContain("/app/orders/ord_1");
  });

  it("a cancel that failed says so", () => {
    const m = renderMessage(ctx({ orderNumber: "#7", store: "Garden Partners", cause: "timeout", action: "cancel" }));
    expect(m.subject).toContain("Order #7 was cancelled at Garden Partners but not in Shopify");
  });
});
