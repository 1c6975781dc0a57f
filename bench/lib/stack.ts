/**
 * The real SyncFlow stack for benchmarks: embedded PostgreSQL (unless DATABASE_URL is set), migrations, the
 * production build served by the app server (`build/node/serve.js`, scripts/serve.ts) and the worker
 * (`build/node/worker.js`, app/jobs/worker-main.server.ts) as two child processes, as `scripts/demo.ts` runs them; plus peak-RSS sampling of those processes (VmHWM / VmRSS from
 * /proc). Times in ms, memory in MB.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { startEmbeddedPostgres } from "../../app/db/embedded-postgres.server";
import { migrateDeploy } from "../../app/db/migrate.server";
import { ensureBuild, NODE_ENTRIES, WORKER_NODE_FLAGS } from "../../scripts/lib/build";
import { freePort } from "../../app/lib/free-port.server";
export { freePort };

export interface Stack {
  appUrl: string;
  /** Pids of the app and worker processes (each may have children: see `cpuSeconds`). */
  appPid: number;
  workerPid: number;
  /** Every worker process (more than one with BENCH_WORKERS). */
  workerPids: number[];
  apiKey: string;
  apiSecret: string;
  databaseUrl: string;
  /** Peak of (app RSS + worker RSS) sampled so far, MB; and the per-process VmHWM. */
  peakRssMb(): { sumPeakMb: number; appHwmMb: number; workerHwmMb: number };
  stop(): Promise<void>;
}

const root = process.cwd();

/** Starts PostgreSQL (embedded, fresh) and applies migrations; sets process.env.DATABASE_URL. */
export async function startDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  let url = process.env.BENCH_DATABASE_URL;
  let stop = async () => {};
  if (!url) {
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(root, ".data", `pg-bench-${process.pid}`),
      database: "syncflow_bench",
      fresh: true,
    });
    url = pg.url;
    stop = async () => {
      await pg.stop();
      fs.rmSync(path.join(root, ".data", `pg-bench-${process.pid}`), { recursive: true, force: true });
    };
  }
  process.env.DATABASE_URL = url;
  migrateDeploy(url);
  return { url, stop };
}

/** Builds the app if needed; when the build fails but a previous build exists, warns and uses it. */
export function buildApp(log: (m: string) => void): void {
  try {
    ensureBuild(root, { quiet: true });
  } catch (err) {
    if (!fs.existsSync(path.join(root, "build", "server", "index.js"))) throw err;
    log(
      `WARNING: remix vite:build failed (${
        String((err as Error).message)
          .split("\n")
          .find((l) => /error|Error|✗/.test(l)) ?? "see build output"
      }); using the existing build/`,
    );
  }
}

function kb(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU time (user + system, seconds) consumed so far by `pid` and its live descendants (Linux /proc, clock
 * ticks of 10 ms). Exited children are not counted.
 */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of tree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15 of proc(5))
    } catch {
      /* exited */
    }
  }
  return ticks / 100;
}

/** Pids of the PostgreSQL postmasters started by this process (embedded server), for CPU accounting. */
export function postgresPids(): number[] {
  return tree(process.pid).filter((p) => {
    try {
      return (
        fs.readFileSync(`/proc/${p}/comm`, "utf8").trim() === "postgres" &&
        !tree(p).includes(process.pid) &&
        fs
          .readFileSync(
            `/proc/${fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1]}/comm`,
            "utf8",
          )
          .trim() !== "postgres"
      );
    } catch {
      return false;
    }
  });
}

/** Pids of `pid` and all its descendants (Linux /proc). */
function tree(pid: number): number[] {
  const out = [pid];
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      const kids = fs.readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim();
      if (kids) for (const k of kids.split(/\s+/)) out.push(...tree(Number(k)));
    }
  } catch {
    /* exited */
  }
  return out;
}

/**
 * Starts the app and the worker as child processes against `shopifyOrigin` (the emulated Shopify).
 * Resolves once the app answers HTTP.
 */
export async function startStack(opts: {
  databaseUrl: string;
  shopifyOrigin: string;
  env?: Record<string, string>;
  log: (m: string) => void;
}): Promise<Stack> {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const apiKey = "syncflow-bench-api-key";
  const apiSecret = "syncflow-bench-api-secret";
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: opts.databaseUrl,
    SHOPIFY_API_KEY: apiKey,
    SHOPIFY_API_SECRET: apiSecret,
    SHOPIFY_APP_URL: appUrl,
    SCOPES: "read_products,read_inventory,write_inventory,read_orders,read_locations",
    SYNCFLOW_MODE: "test",
    SHOPIFY_ADMIN_ORIGIN: opts.shopifyOrigin,
    SYNCFLOW_WORKER: "separate",
    SYNCFLOW_ALLOW_LOOPBACK_STORES: "1", // the emulated stores are on loopback (SSRF guard, app/lib/outbound-guard.server.ts)
    SYNCFLOW_ENCRYPTION_KEY: (process.env.SYNCFLOW_ENCRYPTION_KEY ??= crypto.randomBytes(32).toString("base64")),
    ...opts.env,
  };
  const children: ChildProcess[] = [];
  let stopping = false;
  const start = (name: string, args: string[]) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    const quiet = /\[worker\] (push-stock|shopify-adjust|webhook) job .* failed/;
    child.stdout!.on("data", (d: Buffer) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${d}`);
    });
    child.stderr!.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n").filter(Boolean))
        if (process.env.BENCH_VERBOSE || !quiet.test(line)) process.stderr.write(`[${name}] ${line}\n`);
    });
    child.on("exit", (code, signal) => {
      if (!stopping) process.stderr.write(`[${name}] exited unexpectedly (code ${code}, signal ${signal})\n`);
    });
    children.push(child);
    return child;
  };
  // BENCH_APP_NODE_ARGS / BENCH_WORKER_NODE_ARGS (profiling only, e.g. "--cpu-prof --cpu-prof-dir=bench/out/prof"): extra node flags.
  const extra = (v: string | undefined) => (v ? v.split(/\s+/).filter(Boolean) : []);
  // The production entry points, compiled (scripts/lib/build.ts): the app server and the worker.
  const app = start("app", [
    ...extra(process.env.BENCH_APP_NODE_ARGS),
    path.join(root, NODE_ENTRIES.serve.out),
    path.join(root, "build", "server", "index.js"),
  ]);
  const workerArgs = [
    ...WORKER_NODE_FLAGS,
    ...extra(process.env.BENCH_WORKER_NODE_ARGS),
    path.join(root, NODE_ENTRIES.worker.out),
  ];
  const worker = start("worker", workerArgs);
  // BENCH_WORKERS=N (measurement only): N worker processes sharing the queues, as a second worker host would.
  const moreWorkers = Array.from({ length: Math.max(0, Number(process.env.BENCH_WORKERS ?? 1) - 1) }, (_, i) =>
    start(`worker${i + 2}`, workerArgs),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${appUrl}/`)
      .then((r) => r.status > 0)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline || app.exitCode !== null) throw new Error("the app did not start");
    await new Promise((r) => setTimeout(r, 150));
  }
  let peakSum = 0;
  const sample = () => {
    const sum = [...tree(app.pid!), ...tree(worker.pid!)].reduce((n, p) => n + kb(p, "VmRSS"), 0);
    peakSum = Math.max(peakSum, sum);
  };
  const timer = setInterval(sample, 200);
  timer.unref();
  const hwm = (pid: number) => tree(pid).reduce((n, p) => n + kb(p, "VmHWM"), 0) / 1024;
  let last = { app: 0, worker: 0 };
  return {
    appUrl,
    apiKey,
    apiSecret,
    databaseUrl: opts.databaseUrl,
    appPid: app.pid!,
    workerPid: worker.pid!,
    workerPids: [worker.pid!, ...moreWorkers.map((w) => w.pid!)],
    peakRssMb() {
      sample();
      last = { app: Math.max(last.app, hwm(app.pid!)), worker: Math.max(last.worker, hwm(worker.pid!)) };
      return {
        sumPeakMb: Math.round(peakSum / 1024),
        appHwmMb: Math.round(last.app),
        workerHwmMb: Math.round(last.worker),
      };
    },
    async stop() {
      stopping = true;
      clearInterval(timer);
      for (const c of children) c.kill("SIGTERM");
      // A profiled process (--cpu-prof) writes its profile on exit: give it time.
      const profiling = /--cpu-prof/.test(
        `${process.env.BENCH_APP_NODE_ARGS ?? ""} ${process.env.BENCH_WORKER_NODE_ARGS ?? ""}`,
      );
      for (
        let waited = 0;
        waited < (profiling ? 15_000 : 500) && children.some((c) => c.exitCode === null && c.signalCode === null);
        waited += 100
      )
        await new Promise((r) => setTimeout(r, 100));
      for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    },
  };
}
