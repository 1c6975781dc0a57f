/** Settings validation (bad e-mail, bad phone, quiet hours, time zone) and the pure helpers it relies on. */
import { describe, expect, it } from "vitest";
import { validateSettingsForm } from "./settings.server";
import { inQuietHours, kindOfEvent, mergeSwitches, minutesUntilQuietEnd, smsText } from "./kinds";

describe("validateSettingsForm", () => {
  const base = {
    emailRecipients: "a@shop.test",
    smsRecipients: "",
    timezone: "UTC",
    dailySummaryHour: "8",
    lowStockThreshold: "5",
    quietStart: "",
    quietEnd: "",
  };
  it("rejects a bad e-mail and a non-E.164 phone with field errors", () => {
    const r = validateSettingsForm({
      ...base,
      emailRecipients: "a@shop.test, not-an-email",
      smsRecipients: "4155550100",
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.emailRecipients).toMatch(/not-an-email/);
    expect(r.errors.smsRecipients).toMatch(/E\.164/);
  });
  it("normalises typed phone numbers and keeps SMS off for non-critical events", () => {
    const r = validateSettingsForm({
      ...base,
      smsRecipients: "+1 (415) 555-0100, +44 20 7946 0958",
      "order.imported.sms": "on",
      "stock.out.sms": "on",
      "stock.out.email": "on",
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.smsRecipients).toEqual(["+14155550100", "+442079460958"]);
    expect(r.value.switches["order.imported"]).toEqual({ email: false, sms: false });
    expect(r.value.switches["stock.out"]).toEqual({ email: true, sms: true });
  });
  it("checks quiet hours, time zone, hour and threshold", () => {
    const r = validateSettingsForm({
      ...base,
      quietStart: "25:00",
      quietEnd: "",
      timezone: "Mars/Base",
      dailySummaryHour: "24",
      lowStockThreshold: "-1",
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(["dailySummaryHour", "lowStockThreshold", "quietStart", "timezone"]);
    const half = validateSettingsForm({ ...base, quietStart: "22:00" });
    expect(half.ok ? null : half.errors.quietEnd).toMatch(/both/);
  });
});

describe("kinds", () => {
  it("wraps quiet hours over midnight", () => {
    expect(inQuietHours(23 * 60, 22 * 60, 7 * 60)).toBe(true);
    expect(inQuietHours(6 * 60, 22 * 60, 7 * 60)).toBe(true);
    expect(inQuietHours(12 * 60, 22 * 60, 7 * 60)).toBe(false);
    expect(minutesUntilQuietEnd(23 * 60, 22 * 60, 7 * 60)).toBe(8 * 60);
  });
  it("derives kinds and defaults (SMS only for critical)", () => {
    expect(kindOfEvent("stock.low", { outOfStock: true })).toBe("stock.out");
    expect(kindOfEvent("store.unhealthy", { kind: "customers/data_request" })).toBe("data.request");
    const d = mergeSwitches({ "stock.low": { sms: true } });
    expect(d["stock.low"].sms).toBe(false);
    expect(d["job.dead_lettered"]).toEqual({ email: true, sms: true });
  });
  it("keeps SMS text to one GSM-7 segment", () => {
    const t = smsText(`Store “Café” → down ${"x".repeat(300)}`);
    expect(t.length).toBe(160);
    expect(/^[\x20-\x7e]*$/.test(t)).toBe(true);
    expect(t.endsWith("...")).toBe(true);
  });
});
