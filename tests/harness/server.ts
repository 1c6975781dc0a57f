/**
 * The production HTTP server (`build/node/serve.js`, scripts/serve.ts) on the real Remix build, as a child
 * process on a free loopback port — the same process `npm start` runs — for tests that must see what a real
 * caller sees (status codes, dropped connections, a process that exits).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { freePort } from "../../app/lib/free-port.server";
import { NODE_ENTRIES } from "../../scripts/lib/build";
import { TEST_API_KEY, TEST_API_SECRET } from "./app";
import { waitFor } from "./world";

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** True while the process runs. */
  alive(): boolean;
  close(): Promise<void>;
}

/**
 * Starts `entry` (default the production server) with test settings (API key/secret, app URL = its own,
 * SYNCFLOW_MODE=test, NODE_ENV=production) plus `env`; resolves once `/` answers. DATABASE_URL comes from
 * the environment (vitest's global setup).
 */
export async function startServerProcess(
  env: Record<string, string> = {},
  entry: string = NODE_ENTRIES.serve.out,
): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    SHOPIFY_API_KEY: TEST_API_KEY,
    SHOPIFY_API_SECRET: TEST_API_SECRET,
    SHOPIFY_APP_URL: url,
    SCOPES: "read_products,read_inventory,write_inventory,read_orders,read_locations",
    SYNCFLOW_MODE: "test",
    SYNCFLOW_WORKER: "separate",
    ...env,
    NODE_ENV: (env.NODE_ENV ?? "production") as "production",
    PORT: String(port),
    HOST: "127.0.0.1",
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(process.cwd(), entry), path.join(process.cwd(), "build", "server", "index.js")],
    {
      env: childEnv,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  await waitFor(
    "server up",
    () =>
      alive()
        ? fetch(`${url}/`)
            .then((r) => r.status > 0)
            .catch(() => false)
        : Promise.reject(new Error(`server exited: ${err}`)),
    30_000,
    100,
  );
  return {
    url,
    child,
    alive,
    stderr: () => err,
    close: async () => {
      if (!alive()) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 6_000))]);
      if (alive()) child.kill("SIGKILL");
    },
  };
}
