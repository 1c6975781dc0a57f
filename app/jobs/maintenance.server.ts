/**
 * The hourly maintenance job (queue `maintenance`; issue 13, docs/decisions/145–147): re-encrypts secrets not on the
 * current key (app/lib/secrets-rotation.server.ts), drops webhook payloads past their retention
 * (app/webhooks/retention.server.ts) and prunes signed-call nonces that can no longer be replayed
 * (app/lib/plugin-signature.server.ts). Each part runs even when another fails; failures are logged and reported.
 */
import { rotateSecrets } from "../lib/secrets-rotation.server";
import { dropExpiredWebhookBodies } from "../webhooks/retention.server";
import { pruneNonces } from "../lib/plugin-signature.server";
import { purgeIdempotency } from "../api/idempotency.server";

/** Runs every maintenance part; resolves a report `{ part: result | { error } }`. */
export async function runMaintenance(): Promise<Record<string, unknown>> {
  const parts: Record<string, () => Promise<unknown>> = {
    rotateSecrets: () => rotateSecrets(),
    dropExpiredWebhookBodies: () => dropExpiredWebhookBodies(),
    pruneNonces: () => pruneNonces(),
    // issue 18: merchant API Idempotency-Key answers past their 7 days
    purgeApiIdempotency: () => purgeIdempotency(),
  };
  const report: Record<string, unknown> = {};
  for (const [name, run] of Object.entries(parts)) {
    try {
      report[name] = await run();
    } catch (err) {
      console.error(`[maintenance] ${name} failed:`, err);
      report[name] = { error: (err as Error).message };
    }
  }
  return report;
}
