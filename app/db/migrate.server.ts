/**
 * Applies the Prisma migration history (`prisma migrate deploy`) to DATABASE_URL, as a child process
 * running the project's own Prisma CLI on the current Node. Throws with the CLI output on failure.
 * Takes ~12 s (the JS schema engine keeps a 10 s timer alive; ENV.md).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

export function migrateDeploy(databaseUrl: string, cwd = process.cwd()): void {
  const cli = path.join(cwd, "node_modules", "prisma", "build", "index.js");
  const res = spawnSync(process.execPath, [cli, "migrate", "deploy"], {
    cwd,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: "utf8",
  });
  if (res.status !== 0) {
    throw new Error(`prisma migrate deploy failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  }
}
