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

  it("returns an invalid date for garbage", () => {
    expect(Number.isNaN(webhookObservedAt("yesterday").getTime())).toBe(true);
  });
});
