/**
 * `npm run env:table` — writes the README's environment-variable table from app/env.server.ts (between the
 * env-table markers). `--check` only compares and exits 1 when the README is stale (app/env.server.test.ts does the
 * same in `npm test`).
 */
import fs from "node:fs";
import path from "node:path";
import { envMarkdownTable, README_ENV_BEGIN, README_ENV_END } from "../app/env.server";

const readme = path.join(process.cwd(), "README.md");
const text = fs.readFileSync(readme, "utf8");
const start = text.indexOf(README_ENV_BEGIN);
const end = text.indexOf(README_ENV_END);
if (start < 0 || end < start) {
  console.error(`[env:table] README.md has no ${README_ENV_BEGIN} … ${README_ENV_END} section`);
  process.exit(1);
}
const next = `${text.slice(0, start + README_ENV_BEGIN.length)}\n${envMarkdownTable()}\n${text.slice(end)}`;
if (process.argv.includes("--check")) {
  if (next !== text) {
    console.error("[env:table] README.md's environment table is stale: run `npm run env:table`");
    process.exit(1);
  }
  console.log("[env:table] README.md is up to date");
} else {
  fs.writeFileSync(readme, next);
  console.log("[env:table] README.md updated");
}
