#!/usr/bin/env node
/**
 * Summarises a V8 `.cpuprofile` (`node --cpu-prof`, e.g. the worker under `BENCH_WORKER_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"`) by where the self time went: Prisma (client runtime + query-compiler wasm), the `pg`
 * driver, pg-boss, other node_modules, SyncFlow's own code (the bundled `build/node/*.js`), Node internals, GC, native
 * (`(program)`) and idle — in seconds — and the top self-time functions of SyncFlow's own code.
 * Usage: `node bench/lib/cpu-profile.mjs <file.cpuprofile> [lastSeconds]` — with `lastSeconds`, only the samples of
 * the profile's last N seconds (the stream window and settle, without the setup).
 */
import fs from "node:fs";

const [file, lastArg] = process.argv.slice(2);
if (!file) throw new Error("usage: cpu-profile.mjs <file.cpuprofile> [lastSeconds]");
const prof = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));

/** The bucket of a profile node, by its script URL and function name. */
function bucket(n) {
  const url = n.callFrame.url ?? "";
  const fn = n.callFrame.functionName ?? "";
  if (fn === "(garbage collector)") return "gc";
  if (fn === "(idle)") return "idle";
  if (fn === "(program)") return "native (program)";
  if (/@prisma|\.prisma|query_compiler|wasm:\/\//.test(url)) return "prisma";
  if (/node_modules\/(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|pgpass)\//.test(url)) return "pg";
  if (/node_modules\/pg-boss\//.test(url)) return "pg-boss";
  if (/node_modules\//.test(url)) return "other node_modules";
  if (/\/build\/node\/|\/app\//.test(url)) return "ours";
  if (url.startsWith("node:") || (!url && fn)) return "node internals / native";
  return "other";
}

const samples = prof.samples;
const deltas = prof.timeDeltas;
let t = prof.startTime;
const times = samples.map((_, i) => (t += deltas[i]));
const from = lastArg ? prof.endTime - Number(lastArg) * 1e6 : -Infinity;
const totals = new Map();
const ours = new Map();
for (let i = 0; i < samples.length; i++) {
  if (times[i] < from) continue;
  const n = byId.get(samples[i]);
  const dt = (deltas[i + 1] ?? 0) / 1e6;
  const b = bucket(n);
  totals.set(b, (totals.get(b) ?? 0) + dt);
  if (b === "ours") {
    const k = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`;
    ours.set(k, (ours.get(k) ?? 0) + dt);
  }
}
const busy = [...totals].filter(([k]) => k !== "idle").reduce((s, [, v]) => s + v, 0);
console.log(
  `${file}: ${((prof.endTime - Math.max(prof.startTime, from)) / 1e6).toFixed(1)} s profiled, busy ${busy.toFixed(1)} s`,
);
for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1])) console.log(`  ${v.toFixed(1).padStart(7)} s  ${k}`);
console.log("  top own functions (self):");
for (const [k, v] of [...ours].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`  ${v.toFixed(2).padStart(7)} s  ${k}`);
