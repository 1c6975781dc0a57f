/** Adaptive per-store concurrency (docs/decisions/105): grows while the store answers quickly, backs off when it does not. */
import { describe, expect, it } from "vitest";
import { StoreLimiter } from "./concurrency";

describe("StoreLimiter", () => {
  it("grows while answers are quick (slow start, then one per window), up to its max", () => {
    const l = new StoreLimiter({ initial: 2, max: 8 });
    for (let i = 0; i < 2; i++) l.record({ ok: true, ms: 180, kind: "put" });
    expect(l.limit).toBe(4);
    for (let i = 0; i < 20; i++) l.record({ ok: true, ms: 185, kind: "put" });
    expect(l.limit).toBe(8);
  });
  it("halves on 429 / 5xx / timeouts, then grows one per window of quick answers", () => {
    const l = new StoreLimiter({ initial: 8, max: 16 });
    l.record({ ok: false, overload: true });
    expect(l.limit).toBe(4);
    l.record({ ok: false, overload: true });
    expect(l.limit).toBe(2);
    l.record({ ok: true, ms: 100, kind: "get" });
    expect(l.limit).toBe(2); // after a cut: a whole window (2 answers) per step
    l.record({ ok: true, ms: 100, kind: "get" });
    expect(l.limit).toBe(3);
    expect(l.stats().cuts).toBe(2);
  });
  it("shrinks when answers slow down (the store queues them), comparing like with like", () => {
    const l = new StoreLimiter({ initial: 4, max: 16 });
    l.record({ ok: true, ms: 8000, kind: "batch#7" }); // a 100-op batch is slow but not queued
    l.record({ ok: true, ms: 200, kind: "put" });
    expect(l.limit).toBeGreaterThanOrEqual(5);
    const before = l.limit;
    l.record({ ok: true, ms: 600, kind: "put" }); // 3× the quickest PUT: queueing
    expect(l.limit).toBeLessThan(before);
    expect(l.limit).toBeGreaterThanOrEqual(1);
  });
  it("never runs more than `limit` requests at once", async () => {
    const l = new StoreLimiter({ initial: 2, max: 2 });
    let running = 0;
    let most = 0;
    const job = () =>
      l.run(
        "x",
        async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 10));
          running--;
        },
        () => false,
      );
    await Promise.all(Array.from({ length: 8 }, job));
    expect(most).toBe(2);
  });
});
