#!/usr/bin/env node
/**
 * Reads the snapshots bench/lib/query-count.cjs wrote (`<prefix>.<pid>.jsonl`) and prints, per process, the queries of
 * the measured window (second snapshot − first: the stream bench's window from the first order to its +60 s mark)
 * and the top shapes. Usage: `node bench/lib/query-window.mjs <prefix> [orders] [top]` — with `orders`, also per order.
 */
import fs from "node:fs";
import path from "node:path";

const [prefix, ordersArg, topArg] = process.argv.slice(2);
if (!prefix) throw new Error("usage: query-window.mjs <prefix> [orders] [top]");
const dir = path.dirname(prefix);
const base = path.basename(prefix);
const top = Number(topArg ?? 25);
for (const f of fs
  .readdirSync(dir)
  .filter((n) => n.startsWith(`${base}.`) && n.endsWith(".jsonl"))
  .sort()) {
  const snaps = fs
    .readFileSync(path.join(dir, f), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  // Snapshots come in pairs (window open, window closed), one pair per stream run; a last one at exit.
  for (let i = 0; i + 1 < snaps.length; i += 2) report(f, i / 2, snaps[i], snaps[i + 1]);
}

function report(f, run, a, b) {
  const diff = Object.entries(b.byShape)
    .map(([k, v]) => [k, v - (a.byShape[k] ?? 0)])
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1]);
  const total = b.total - a.total;
  const orders = Number(ordersArg ?? 0);
  console.log(
    `${f} run ${run + 1}: ${total} queries in ${((b.at - a.at) / 1000).toFixed(1)} s${orders ? ` = ${(total / orders).toFixed(1)} per order (${orders} orders)` : ""}`,
  );
  for (const [k, v] of diff.slice(0, top)) console.log(`${String(v).padStart(7)}  ${k}`);
}
