/**
 * Query counter for profiling the hub's processes in a benchmark (issue 11): a `--require` preload that wraps `pg`'s
 * `Client.prototype.query` (Prisma's driver adapter and pg-boss both go through it) and counts every statement sent,
 * by a normalised shape (whitespace folded, literals and $n placeholders kept as written, first 110 characters).
 *
 * Use: `BENCH_QUERY_COUNT=/tmp/qc BENCH_WORKER_NODE_ARGS="--require ./bench/lib/query-count.cjs" npm run bench -- …`.
 * On SIGUSR2 (the stream bench sends one when its measured window opens and one when it closes) the process appends
 * a snapshot `{at, pid, total, byShape}` (cumulative counts) as one JSON line to `$BENCH_QUERY_COUNT.<pid>.jsonl`; the
 * difference of two snapshots is the window's queries. Also written at exit. Profiling only: not loaded otherwise.
 */
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- a `--require` preload is CommonJS */
const fs = require("node:fs");
const pg = require("pg");

const out = process.env.BENCH_QUERY_COUNT;
const counts = new Map();
let total = 0;

/** The shape of a statement: its text, whitespace folded, cut at 110 characters. */
function shape(q) {
  const text = typeof q === "string" ? q : q && typeof q.text === "string" ? q.text : String(q && q.name);
  return text.replace(/\s+/g, " ").trim().slice(0, 110);
}

const original = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  total++;
  const k = shape(config);
  counts.set(k, (counts.get(k) ?? 0) + 1);
  return original.call(this, config, ...rest);
};

function snapshot() {
  if (!out) return;
  const byShape = Object.fromEntries([...counts.entries()].sort((a, b) => b[1] - a[1]));
  fs.appendFileSync(
    `${out}.${process.pid}.jsonl`,
    JSON.stringify({ at: Date.now(), pid: process.pid, total, byShape }) + "\n",
  );
}

process.on("SIGUSR2", snapshot);
process.on("exit", snapshot);
