/**
 * Production entry points (issue 13: "SYNCFLOW_MODE=demo alone turns on routes that mint admin session tokens, and
 * the demo runs with NODE_ENV=production"; "no check at start-up"; docs/decisions/144):
 * - `npm start` (scripts/start.ts) and `npm run worker` (worker-main with --production) refuse demo/test settings
 *   and a missing or malformed SYNCFLOW_ENCRYPTION_KEY, naming each problem, before touching the database;
 * - the production server build has no demo route: with SYNCFLOW_MODE=demo set on it anyway, /demo/admin and
 *   /demo/session-token mint nothing; the demo's own server entry still serves them.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NODE_ENTRIES } from "./lib/build";
import { startServerProcess, type ServerProcess } from "../tests/harness/server";

const KEY = crypto.randomBytes(32).toString("base64");

/** Runs a TypeScript entry with `env` (no inherited demo/test settings) and resolves its exit code and output (killed after 20 s → null). */
function run(
  entry: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const clean = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: process.env.DATABASE_URL,
    ...env,
  } as unknown as NodeJS.ProcessEnv;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(process.cwd(), entry), ...args], {
      env: clean,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("production entry points refuse demo/test settings and a missing key", () => {
  it("npm start (scripts/start.ts) refuses SYNCFLOW_MODE=demo, loopback stores and a missing key, listing each", async () => {
    const res = await run("scripts/start.ts", [], {
      SYNCFLOW_MODE: "demo",
      SYNCFLOW_ALLOW_LOOPBACK_STORES: "1",
      SHOPIFY_ADMIN_ORIGIN: "http://127.0.0.1:1",
    });
    expect(res.code).toBe(78);
    expect(res.out).toContain("SYNCFLOW_MODE is set");
    expect(res.out).toContain("SYNCFLOW_ALLOW_LOOPBACK_STORES is set");
    expect(res.out).toContain("SHOPIFY_ADMIN_ORIGIN is set");
    expect(res.out).toContain("SYNCFLOW_ENCRYPTION_KEY is not set");
  }, 30_000);

  it("npm start refuses a malformed key even with NODE_ENV unset; npm run worker (--production) refuses too", async () => {
    const start = await run("scripts/start.ts", [], { SYNCFLOW_ENCRYPTION_KEY: "short" });
    expect(start.code).toBe(78);
    expect(start.out).toContain("32 bytes");
    const worker = await run("app/jobs/worker-main.server.ts", ["--production"], {
      SYNCFLOW_ENCRYPTION_KEY: KEY,
      SYNCFLOW_MODE: "demo",
      NODE_ENV: "production",
    });
    expect(worker.code).toBe(78);
    expect(worker.out).toContain("SYNCFLOW_MODE is set");
  }, 30_000);

  it("npm start and npm run worker refuse an invalid value, naming the variable and what it is for (app/env.server.ts)", async () => {
    const start = await run("scripts/start.ts", [], { SYNCFLOW_ENCRYPTION_KEY: KEY, SYNCFLOW_RETRY_LIMIT: "five" });
    expect(start.code).toBe(78);
    expect(start.out).toContain('SYNCFLOW_RETRY_LIMIT="five" is invalid');
    expect(start.out).toContain("dead letter queue");
    const worker = await run("app/jobs/worker-main.server.ts", ["--production"], {
      SYNCFLOW_ENCRYPTION_KEY: KEY,
      SHOPIFY_APP_URL: "app.example.com",
    });
    expect(worker.code).toBe(78);
    expect(worker.out).toContain('SHOPIFY_APP_URL="app.example.com" is invalid: must be an http(s) URL');
  }, 30_000);
});

describe("demo routes exist only in the demo server entry", () => {
  let prod: ServerProcess | undefined;
  let demo: ServerProcess | undefined;
  afterAll(async () => {
    await prod?.close();
    await demo?.close();
  });

  it("the Remix build has no demo route, and the production server mints no token even with SYNCFLOW_MODE=demo", async () => {
    const build = fs.readFileSync(path.join(process.cwd(), "build", "server", "index.js"), "utf8");
    expect(build).not.toMatch(/"routes\/demo\./);
    const demoEnv = { SYNCFLOW_MODE: "demo", SYNCFLOW_DEMO_SHOP: "prod-check.myshopify.com" };
    prod = await startServerProcess(demoEnv);
    for (const p of ["/demo/admin", "/demo/session-token", "/auth/session-token?shop=prod-check.myshopify.com"]) {
      const res = await fetch(`${prod.url}${p}`, { redirect: "manual" });
      const text = await res.text();
      expect(res.headers.get("location") ?? "", p).not.toContain("id_token");
      expect(text, p).not.toMatch(/"token":/);
    }
    demo = await startServerProcess(demoEnv, NODE_ENTRIES.serveDemo.out);
    const res = await fetch(`${demo.url}/demo/admin`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toContain("id_token=");
  }, 60_000);
});
