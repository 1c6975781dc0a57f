/** `webhookObservedAt`: Shopify's second-resolution `updated_at` counts as the end of its second. */
import { describe, expect, it } from "vitest";
import { webhookObservedAt } from "./levels.server";

describe("webhookObservedAt", () => {
  it("takes a whole-second timestamp as the end of that second, in any offset", () => {
    expect(webhookObservedAt("2026-11-22T12:00:05+00:00").toISOString()).toBe("2026-11-22T12:00:05.999Z");
    expect(webhookObservedAt("2026-11-22T12:00:05Z").toISOString()).toBe("2026-11-22T12:00:05.999Z");
    expect(webhookObservedAt("2026-11-22T12:00:05-05:00").toISOString()).toBe("2026-11-22T17:00:05.999Z");
  });

  it("keeps a timestamp with milliseconds as is, so a hub read later in the same second stays newer", () => {
    expect(webhookObservedAt("2026-11-22T12:00:05.123Z").toISOString()).toBe("2026-11-22T12:00:05.123Z");
    // A catalog read that started at .700 of the same second no longer outranks the change.
    expect(webhookObservedAt("2026-11-22T12:00:05Z") > new Date("2026-11-22T12:00:05.700Z")).toBe(true);
  });

  it("orders a whole-second change inside its second by a sub-second X-Shopify-Triggered-At", () => {
    expect(webhookObservedAt("2026-11-22T12:00:05+00:00", "2026-11-22T12:00:05.516267807Z").toISOString()).toBe(
      "2026-11-22T12:00:05.516Z",
    );
    expect(webhookObservedAt("2026-11-22T12:00:05-05:00", "2026-11-22T17:00:05.100Z").toISOString()).toBe(
      "2026-11-22T17:00:05.100Z",
    );
    // The echo of the hub's first write of that second (triggered at .100) is older than its second write, recorded at .340.
    expect(
      webhookObservedAt("2026-11-22T12:00:05Z", "2026-11-22T12:00:05.100Z") < new Date("2026-11-22T12:00:05.340Z"),
    ).toBe(true);
  });

  it("keeps the end of the second when Triggered-At is missing, whole-second, outside the second or garbage", () => {
    for (const trig of [
      null,
      undefined,
      "2026-11-22T12:00:05Z",
      "2026-11-22T12:00:05.000000Z",
      "2026-11-22T12:00:06.200Z",
      "2026-11-22T12:00:04.900Z",
      "soon",
    ]) {
      expect(webhookObservedAt("2026-11-22T12:00:05+00:00", trig).toISOString()).toBe("2026-11-22T12:00:05.999Z");
    }
    // A payload time with milliseconds is taken as is, whatever the header says.
    expect(webhookObservedAt("2026-11-22T12:00:05.123Z", "2026-11-22T12:00:05.900Z").toISOString()).toBe(
      "2026-11-22T12:00:05.123Z",
    );
  });

  it("returns an invalid date for garbage", () => {
    expect(Number.isNaN(webhookObservedAt("yesterday").getTime())).toBe(true);
  });
});
