/** Report periods in the shop's time zone, the change column, and the schedule form's validation (decision 296). */
import { describe, expect, it } from "vitest";
import { change, duePeriod, isoWeekday, reportScheduleSchema } from "./reports.server";

describe("duePeriod", () => {
  const daily = { frequency: "daily" as const, weekday: 1, hour: 7 };
  const weekly = { frequency: "weekly" as const, weekday: 1, hour: 7 };
  it("daily: yesterday, from the local hour on", () => {
    expect(duePeriod(daily, "Europe/Berlin", new Date("2026-11-30T05:59:00Z"))).toBeNull(); // 06:59 Berlin
    expect(duePeriod(daily, "Europe/Berlin", new Date("2026-11-30T06:00:00Z"))).toEqual({
      key: "daily:2026-11-29",
      frequency: "daily",
      start: "2026-11-29",
      end: "2026-11-29",
      prevStart: "2026-11-28",
      prevEnd: "2026-11-28",
    });
  });
  it("the local date decides: 23:30 UTC is already tomorrow in Berlin, still today in New York", () => {
    const late = { ...daily, hour: 0 };
    expect(duePeriod(late, "Europe/Berlin", new Date("2026-12-31T23:30:00Z"))?.key).toBe("daily:2026-12-31");
    expect(duePeriod(late, "America/New_York", new Date("2026-12-31T23:30:00Z"))?.key).toBe("daily:2026-12-30");
  });
  it("weekly: only on its weekday, the 7 days before, against the 7 before those", () => {
    expect(isoWeekday("2026-11-30")).toBe(1);
    expect(isoWeekday("2026-12-06")).toBe(7);
    expect(duePeriod(weekly, "UTC", new Date("2026-12-01T09:00:00Z"))).toBeNull(); // Tuesday
    expect(duePeriod(weekly, "UTC", new Date("2026-11-30T09:00:00Z"))).toMatchObject({
      key: "weekly:2026-11-23",
      start: "2026-11-23",
      end: "2026-11-29",
      prevStart: "2026-11-16",
      prevEnd: "2026-11-22",
    });
  });
});

describe("change", () => {
  it("percent against the previous period; new; nothing", () => {
    expect(change(60, 40)).toBe("+50.0 %");
    expect(change(30, 40)).toBe("−25.0 %");
    expect(change(5, null)).toBe("new");
    expect(change(0, null)).toBe("");
    expect(change(5, 0)).toBe("new");
    expect(change(0, 0)).toBe("0.0 %");
  });
});

describe("reportScheduleSchema", () => {
  it("normalises recipients and needs one to send", () => {
    const ok = reportScheduleSchema.parse({
      enabled: "on",
      frequency: "weekly",
      weekday: "3",
      hour: "18",
      recipients: "A@x.test; b@x.test a@x.test",
    });
    expect(ok).toEqual({
      enabled: true,
      frequency: "weekly",
      weekday: 3,
      hour: 18,
      recipients: ["a@x.test", "b@x.test"],
    });
    const bad = reportScheduleSchema.safeParse({
      enabled: "on",
      frequency: "monthly",
      weekday: "8",
      hour: "24",
      recipients: "",
    });
    expect(bad.success).toBe(false);
    const paths = new Set(bad.error!.issues.map((i) => String(i.path[0])));
    expect([...paths].sort()).toEqual(["frequency", "hour", "weekday"]);
    expect(
      reportScheduleSchema.safeParse({ enabled: "on", frequency: "daily", weekday: "1", hour: "7", recipients: "" })
        .error?.issues[0]?.path,
    ).toEqual(["recipients"]);
    expect(
      reportScheduleSchema.safeParse({ frequency: "daily", weekday: "1", hour: "7", recipients: "not-an-address" })
        .success,
    ).toBe(false);
  });
});
