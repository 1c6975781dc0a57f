/**
 * app/env.server.ts (decision 192): every variable read anywhere is declared; the README table is the generated one;
 * values are validated with clear errors; production refuses invalid values.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ENV_VARS,
  EnvError,
  env,
  envMarkdownTable,
  envProblems,
  readEnv,
  README_ENV_BEGIN,
  README_ENV_END,
} from "./env.server";
import { productionProblems } from "./lib/production-checks.server";

const root = process.cwd();
/** Set by the operating system or npm, not by SyncFlow's operator: read only to pass through to child processes. */
const SYSTEM = new Set(["PATH", "HOME"]);
const SCANNED = ["app", "scripts", "bench", "tests", "prisma.config.ts", "vite.config.ts", "vitest.config.ts"];

function sourceFiles(p: string): string[] {
  const abs = path.join(root, p);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return [abs];
  return fs
    .readdirSync(abs, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && /\.(ts|tsx|mts|mjs|js)$/.test(d.name) && !d.parentPath.includes("node_modules"))
    .map((d) => path.join(d.parentPath, d.name));
}

/** Every `process.env.NAME` / `process.env["NAME"]` in the scanned trees, with the first file that reads it. */
function variablesRead(): Map<string, string> {
  const found = new Map<string, string>();
  const self = new Set([path.join(root, "app", "env.server.ts"), path.join(root, "app", "env.server.test.ts")]);
  for (const file of SCANNED.flatMap(sourceFiles).filter((f) => !self.has(f))) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*["'`]([A-Z][A-Z0-9_]*)["'`]\s*\])/g)) {
      const name = m[1] ?? m[2]!;
      if (!found.has(name)) found.set(name, path.relative(root, file));
    }
  }
  return found;
}

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe("every environment variable is declared and documented", () => {
  it("each process.env read in app, scripts, bench, tests and the configs is declared in ENV_VARS", () => {
    const read = variablesRead();
    expect(read.size).toBeGreaterThan(25); // the scan finds the reads (a broken pattern would find none and pass)
    const undeclared = [...read]
      .filter(([name]) => !(name in ENV_VARS) && !SYSTEM.has(name))
      .map(([n, f]) => `${n} (${f})`);
    expect(undeclared, "declare these in app/env.server.ts, then run `npm run env:table`").toEqual([]);
  });

  it("the README's table is the one generated from ENV_VARS (every variable listed, none stale)", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const start = readme.indexOf(README_ENV_BEGIN);
    const end = readme.indexOf(README_ENV_END);
    expect(start, "README.md lost its env-table markers").toBeGreaterThan(0);
    const table = readme.slice(start + README_ENV_BEGIN.length, end).trim();
    for (const name of Object.keys(ENV_VARS))
      expect(table, `README env table misses ${name}: run \`npm run env:table\``).toContain(`| \`${name}\` |`);
    expect(table, "README env table is stale: run `npm run env:table`").toBe(envMarkdownTable());
  });

  it("every declared variable has a description", () => {
    for (const [name, spec] of Object.entries(ENV_VARS)) expect(spec.description.length, name).toBeGreaterThan(10);
  });
});

describe("reading", () => {
  it("gives the default when unset or empty, the parsed value when set, and sees run-time changes", () => {
    delete process.env.SYNCFLOW_WORKER_NICE;
    expect(env.SYNCFLOW_WORKER_NICE).toBe(5);
    process.env.SYNCFLOW_WORKER_NICE = "";
    expect(env.SYNCFLOW_WORKER_NICE).toBe(5);
    process.env.SYNCFLOW_WORKER_NICE = "0";
    expect(env.SYNCFLOW_WORKER_NICE).toBe(0);
    process.env.NOTIFY_SMS_WINDOW_S = "0.5";
    expect(env.NOTIFY_SMS_WINDOW_S).toBe(0.5);
  });

  it("reads flags as booleans", () => {
    for (const [raw, want] of [
      ["1", true],
      ["true", true],
      ["0", false],
      ["no", false],
      ["", false],
    ] as const) {
      process.env.SYNCFLOW_JOB_LOG = raw;
      expect(env.SYNCFLOW_JOB_LOG, raw).toBe(want);
    }
    delete process.env.SYNCFLOW_JOB_LOG;
    expect(env.SYNCFLOW_JOB_LOG).toBe(false);
  });

  it("throws EnvError naming the variable, the problem and its purpose on an invalid value (no silent default)", () => {
    process.env.SYNCFLOW_RECONCILE_CHUNK = "lots";
    expect(() => env.SYNCFLOW_RECONCILE_CHUNK).toThrow(EnvError);
    expect(() => env.SYNCFLOW_RECONCILE_CHUNK).toThrow(
      /SYNCFLOW_RECONCILE_CHUNK="lots" is invalid: .*Listings per reconciliation chunk/,
    );
    process.env.SYNCFLOW_RECONCILE_CHUNK = "0";
    expect(() => env.SYNCFLOW_RECONCILE_CHUNK).toThrow(/too small|>=1/);
    process.env.SYNCFLOW_MODE = "prod";
    expect(() => env.SYNCFLOW_MODE).toThrow(/SYNCFLOW_MODE="prod" is invalid/);
    process.env.DATABASE_URL = "mysql://x@y/z";
    expect(() => env.DATABASE_URL).toThrow(/postgresql:\/\//);
  });

  it("readEnv checks another environment without touching process.env", () => {
    expect(readEnv("PORT", { PORT: "8080" })).toBe(8080);
    expect(() => readEnv("PORT", { PORT: "70000" })).toThrow(/PORT/);
  });
});

describe("production start", () => {
  it("envProblems lists every invalid variable at once", () => {
    const problems = envProblems({
      SYNCFLOW_RETRY_LIMIT: "five",
      SHOPIFY_APP_URL: "localhost:3000",
      SMTP_URL: "mail.example.com",
    });
    expect(problems.map((p) => p.split("=")[0])).toEqual(["SHOPIFY_APP_URL", "SMTP_URL", "SYNCFLOW_RETRY_LIMIT"]);
  });

  it("productionProblems (npm start, npm run worker) includes invalid values", () => {
    const problems = productionProblems({
      SYNCFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
      SYNCFLOW_WORKER_NICE: "high",
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SYNCFLOW_WORKER_NICE="high" is invalid/);
  });
});
