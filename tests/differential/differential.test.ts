/**
 * The differential suite (issue 12, decision 121): every probe of ./probes.ts runs against the hub's WooCommerce
 * emulator and against a real WooCommerce 10.0.2, and the two observations must be equal — statuses, error codes,
 * stock fields, the stock left after each order move, and the key sets of products, variations, orders, refunds,
 * webhooks and deliveries. A failing probe prints what differs ("emulator lacks keys …", "real says 413, emulator
 * 200"); the run's per-probe result is written to `.data/differential/last-run.json`.
 * Skipped, with the reason printed, when the real WooCommerce is unavailable.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRealWooCommerce, ROOT } from "../wordpress/real-woocommerce";
import { PROBES } from "./probes";
import { startEmulatorTarget, startRealTarget, type DiffTarget } from "./targets";

/** Where two observations differ, in words: one line per differing leaf or key-path set. */
export function describeDifferences(emulator: unknown, real: unknown, at = ""): string[] {
  if (JSON.stringify(emulator) === JSON.stringify(real)) return [];
  const isPaths = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === "string");
  if (isPaths(emulator) && isPaths(real)) {
    const e = new Set(emulator as string[]);
    const r = new Set(real as string[]);
    const lacks = [...r].filter((k) => !e.has(k));
    const extra = [...e].filter((k) => !r.has(k));
    const out: string[] = [];
    if (lacks.length) out.push(`${at}: emulator lacks ${lacks.length}: ${lacks.join(", ")}`);
    if (extra.length) out.push(`${at}: emulator has ${extra.length} the real store does not: ${extra.join(", ")}`);
    return out.length ? out : [`${at}: same keys, other order`];
  }
  const obj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object";
  if (obj(emulator) && obj(real) && Array.isArray(emulator) === Array.isArray(real)) {
    const keys = [...new Set([...Object.keys(emulator), ...Object.keys(real)])];
    return keys.flatMap((k) => describeDifferences(emulator[k], real[k], at ? `${at}.${k}` : k));
  }
  return [`${at}: emulator ${JSON.stringify(emulator)}, real ${JSON.stringify(real)}`];
}

const results: Array<{
  probe: string;
  ok: boolean;
  differences: string[];
  ms: { emulator: number; real: number };
  error?: string;
}> = [];

describeRealWooCommerce(
  "differential: emulator vs real WooCommerce 10.0.2",
  () => {
    let emulator: DiffTarget;
    let real: DiffTarget;

    beforeAll(async () => {
      [emulator, real] = await Promise.all([startEmulatorTarget(), startRealTarget()]);
    }, 180_000);
    afterAll(async () => {
      await Promise.all([emulator?.close(), real?.close()]);
      const out = path.join(ROOT, ".data", "differential");
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(
        path.join(out, "last-run.json"),
        JSON.stringify(
          { at: new Date().toISOString(), passed: results.filter((r) => r.ok).length, of: results.length, results },
          null,
          2,
        ),
      );
      console.log(
        `[differential] ${results.filter((r) => r.ok).length}/${results.length} probes agree` +
          results
            .map(
              (r) =>
                `\n  ${r.ok ? "✓" : "✗"} ${r.probe}${r.ok ? "" : ` — ${r.error ?? r.differences.length + " differences"}`}`,
            )
            .join(""),
      );
    }, 60_000);

    let n = 0;
    for (const probe of PROBES) {
      it(probe.name, async () => {
        const u = `${Date.now().toString(36)}${(n++).toString(36)}`;
        const timed = async (t: DiffTarget) => {
          const t0 = Date.now();
          const obs = await probe.run(t, u);
          return { obs, ms: Date.now() - t0 };
        };
        let e: Awaited<ReturnType<typeof timed>>;
        let r: Awaited<ReturnType<typeof timed>>;
        try {
          [e, r] = await Promise.all([timed(emulator), timed(real)]);
        } catch (err) {
          results.push({
            probe: probe.name,
            ok: false,
            differences: [],
            ms: { emulator: 0, real: 0 },
            error: String((err as Error).message ?? err).slice(0, 300),
          });
          throw err;
        }
        const differences = describeDifferences(e.obs, r.obs);
        results.push({
          probe: probe.name,
          ok: differences.length === 0,
          differences,
          ms: { emulator: e.ms, real: r.ms },
        });
        expect(differences, `emulator differs from the real WooCommerce:\n${differences.join("\n")}`).toEqual([]);
        expect(e.obs).toEqual(r.obs);
      });
    }
  },
  { timeout: 180_000 },
);
