/**
 * Start-up checks of the production entry points — `npm start` (scripts/start.ts) and `npm run worker`
 * (app/jobs/worker-main.server.ts with `--production`) — whatever NODE_ENV says (the demo itself runs with
 * NODE_ENV=production). They refuse to start, with every problem listed, when (issue 13; docs/decisions/144):
 * - a demo/test setting is present: `SYNCFLOW_MODE` (points Shopify, Twilio and Google clients at emulators and
 *   enables demo behaviour), `SHOPIFY_ADMIN_ORIGIN`, `SYNCFLOW_DEMO_SHOP`, `SYNCFLOW_ALLOW_LOOPBACK_STORES`
 *   (lets the hub call loopback stores, decision 141);
 * - `SYNCFLOW_ENCRYPTION_KEY` is missing or malformed, or a retired key is malformed (app/lib/crypto.server.ts):
 *   without it, store keys and Shopify tokens cannot be stored, and registrations would fail after the store check;
 * - any variable holds a value its declaration in app/env.server.ts rejects (decision 192), e.g. a number that is not
 *   one: the message names the variable, what is wrong and what it is for.
 */
import { encryptionKeys } from "./crypto.server";
import { envProblems } from "../env.server";

/** Environment variables that only the demo, tests and benchmarks may set. */
export const NON_PRODUCTION_SETTINGS = [
  "SYNCFLOW_MODE",
  "SHOPIFY_ADMIN_ORIGIN",
  "SYNCFLOW_DEMO_SHOP",
  "SYNCFLOW_ALLOW_LOOPBACK_STORES",
] as const;

/** What is wrong for production in `env` (empty when nothing is). */
export function productionProblems(env: Record<string, string | undefined> = process.env): string[] {
  const problems: string[] = envProblems(env);
  for (const v of NON_PRODUCTION_SETTINGS) {
    if (env[v] !== undefined && env[v] !== "")
      problems.push(
        `${v} is set (${v === "SYNCFLOW_ALLOW_LOOPBACK_STORES" ? "lets the hub call stores on loopback" : "a demo/test setting that points the app at emulators"}): unset it`,
      );
  }
  const saved = { key: process.env.SYNCFLOW_ENCRYPTION_KEY, retired: process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED };
  try {
    process.env.SYNCFLOW_ENCRYPTION_KEY = env.SYNCFLOW_ENCRYPTION_KEY ?? "";
    process.env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED = env.SYNCFLOW_ENCRYPTION_KEYS_RETIRED ?? "";
    encryptionKeys();
  } catch (err) {
    problems.push((err as Error).message);
  } finally {
    for (const [k, v] of [
      ["SYNCFLOW_ENCRYPTION_KEY", saved.key],
      ["SYNCFLOW_ENCRYPTION_KEYS_RETIRED", saved.retired],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return problems;
}

/**
 * Exits the process (code 78, EX_CONFIG) after printing every problem when `productionProblems()` finds any.
 * `entry` names the entry point in the message.
 */
export function assertProductionSettings(entry: string): void {
  const problems = productionProblems();
  if (!problems.length) return;
  console.error(
    `[${entry}] refusing to start in production:\n  - ${problems.join("\n  - ")}\n(see README "Run against a real Shopify dev store" and docs/security.md)`,
  );
  process.exit(78);
}
