/** Plan rules (pure): channel allowance and the upgrade path, pause/resume order, billing periods, the record channel. */
import { describe, expect, it } from "vitest";
import {
  PLANS,
  billingName,
  billingPeriod,
  channelAllowance,
  channelsToPauseAndResume,
  isRecordChannel,
  planKeyOfBillingName,
  smallestPlanFor,
} from "./plans";

const d = (s: string) => new Date(s);

describe("plans", () => {
  it("match the proposal: channels, orders, features; exact mode is not a tier", () => {
    expect(
      [PLANS.free, PLANS.starter, PLANS.professional, PLANS.enterprise].map((p) => [
        p.priceUsd,
        p.maxChannels,
        p.maxOrdersPerPeriod,
      ]),
    ).toEqual([
      [0, 1, 100],
      [29, 2, 500],
      [79, 5, null],
      [199, null, null],
    ]);
    expect(PLANS.free.features).toEqual({
      emailNotifications: false,
      smsAlerts: false,
      analytics: false,
      apiAccess: false,
    });
    expect(PLANS.starter.features.emailNotifications && !PLANS.starter.features.smsAlerts).toBe(true);
    expect(PLANS.professional.features.smsAlerts && PLANS.professional.features.analytics).toBe(true);
    for (const p of Object.values(PLANS)) expect(p.highlights).toContain("Exact stock sync with allocations");
  });

  it("name subscriptions and read them back", () => {
    expect(billingName("professional")).toBe("SyncFlow Professional");
    expect(planKeyOfBillingName("SyncFlow Starter")).toBe("starter");
    expect(planKeyOfBillingName("Someone else's plan")).toBeNull();
  });

  it("allow a channel under the limit and name the smallest plan that fits over it", () => {
    expect(channelAllowance("free", 0)).toEqual({ allowed: true });
    expect(channelAllowance("free", 1)).toEqual({ allowed: false, limit: 1, upgradeTo: "starter" });
    expect(channelAllowance("starter", 2)).toEqual({ allowed: false, limit: 2, upgradeTo: "professional" });
    expect(channelAllowance("professional", 5)).toEqual({ allowed: false, limit: 5, upgradeTo: "enterprise" });
    expect(channelAllowance("enterprise", 500)).toEqual({ allowed: true });
    expect(smallestPlanFor(3)).toBe("professional");
  });

  it("pause the newest channels beyond the limit and resume the oldest paused first", () => {
    const ch = [
      { id: "c", createdAt: d("2026-03-01"), pausedAt: null },
      { id: "a", createdAt: d("2026-01-01"), pausedAt: null },
      { id: "b", createdAt: d("2026-02-01"), pausedAt: null },
    ];
    expect(channelsToPauseAndResume("free", ch)).toEqual({ pause: ["b", "c"], resume: [] });
    expect(channelsToPauseAndResume("starter", ch)).toEqual({ pause: ["c"], resume: [] });
    const paused = ch.map((c) => (c.id === "a" ? c : { ...c, pausedAt: d("2026-04-01") }));
    expect(channelsToPauseAndResume("starter", paused)).toEqual({ pause: [], resume: ["b"] });
    expect(channelsToPauseAndResume("enterprise", paused)).toEqual({ pause: [], resume: ["b", "c"] });
  });

  it("count orders per billing period: Shopify's 30-day period for paid plans, the calendar month on Free", () => {
    const end = d("2026-12-20T10:00:00Z");
    expect(billingPeriod(d("2026-12-05T00:00:00Z"), end, "starter")).toEqual({ start: d("2026-11-20T10:00:00Z"), end });
    // A stored end in the past (a missed update) rolls forward by whole periods.
    expect(billingPeriod(d("2027-01-02T00:00:00Z"), end, "starter").start).toEqual(end);
    expect(billingPeriod(d("2026-12-05T00:00:00Z"), end, "free")).toEqual({
      start: d("2026-12-01T00:00:00Z"),
      end: d("2027-01-01T00:00:00Z"),
    });
  });

  it("never count the shop's own record store as a sales channel (a retailer's Shopify store does count)", () => {
    expect(
      isRecordChannel({ kind: "shopify", baseUrl: "https://central.myshopify.com" }, "central.myshopify.com"),
    ).toBe(true);
    expect(
      isRecordChannel({ kind: "shopify", baseUrl: "https://retailer.myshopify.com" }, "central.myshopify.com"),
    ).toBe(false);
    expect(
      isRecordChannel({ kind: "woocommerce", baseUrl: "https://central.myshopify.com" }, "central.myshopify.com"),
    ).toBe(false);
  });
});
