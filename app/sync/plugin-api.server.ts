/**
 * The hub's API for the SyncFlow for WooCommerce plugin (docs/contracts/hub-api-v1.md): request parsing
 * and validation (zod), signed-call verification, and the heartbeat/disconnect effects.
 * Every failure is a `PluginApiError` carrying the HTTP status and a stable error code.
 */
import { z } from "zod";
import prisma from "../db.server";
import { verifyPluginCall } from "../lib/plugin-signature.server";
import { enqueue, QUEUES } from "../jobs/queue.server";

export class PluginApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** JSON error/success responses in the contract's shape. */
export const apiJson = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers } });

export const apiError = (err: unknown): Response => {
  if (err instanceof PluginApiError || (err && typeof err === "object" && "status" in err && "code" in err && err instanceof Error)) {
    const e = err as PluginApiError;
    return apiJson(e.status, { ok: false, error: { code: e.code, message: e.message } }, e.headers ?? {});
  }
  console.error("[plugin-api] unexpected error:", err);
  return apiJson(500, { ok: false, error: { code: "internal", message: "Unexpected error; nothing was changed. Try again." } });
};

const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL");

export const RegisterBody = z.object({
  code: z.string().min(8).max(200),
  store_url: httpUrl,
  consumer_key: z.string().regex(/^ck_[A-Za-z0-9]+$/, "must look like ck_…"),
  consumer_secret: z.string().regex(/^cs_[A-Za-z0-9]+$/, "must look like cs_…"),
  plugin_version: z.string().max(40).optional(),
  store_name: z.string().max(200).optional(),
});

export const HeartbeatBody = z.object({
  store_url: httpUrl,
  plugin_version: z.string().max(40).optional(),
  webhooks: z.array(z.object({ id: z.number().int(), topic: z.string(), status: z.string(), delivery_url: z.string().optional() })).default([]),
  recreated: z.array(z.object({ id: z.number().int(), topic: z.string() })).default([]),
  last_event_at: z.string().optional().nullable(),
  missed_since: z.string().optional().nullable(),
});

export const DisconnectBody = z.object({ store_url: httpUrl, reason: z.string().max(500).optional() });

/**
 * Reads a request body as UTF-8 text, at most `maxBytes` bytes (app/lib/body-limits.ts). A Content-Length above
 * the cap is refused before anything is read; a body without one is read chunk by chunk and abandoned at the
 * cap. Throws PluginApiError 413 `body_too_large` (with `Connection: close`, so the rest is not read either).
 */
export async function readBody(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new PluginApiError(413, "body_too_large", `The body is larger than this route accepts (${maxBytes} bytes).`, { Connection: "close" });
  const declared = request.headers.get("content-length");
  if (declared !== null && (!/^\d+$/.test(declared.trim()) || Number(declared) > maxBytes)) {
    if (!/^\d+$/.test(declared.trim())) throw new PluginApiError(400, "bad_request", "Content-Length is not a number.");
    throw tooLarge();
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses a JSON body against a schema; throws PluginApiError 400 with the first problem. */
export function parseBody<T extends z.ZodTypeAny>(schema: T, raw: string): z.infer<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new PluginApiError(400, "bad_request", "Body is not JSON.");
  }
  const res = schema.safeParse(data);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    throw new PluginApiError(400, "bad_request", `${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  return res.data;
}

/**
 * Verifies a signed plugin call — every plugin → hub call but registration goes through here: `X-SyncFlow-Channel`,
 * `X-SyncFlow-Timestamp`, `X-SyncFlow-Nonce` and `X-SyncFlow-Signature` (app/lib/plugin-signature.server.ts: replay
 * protection, plugin 1.0.0 grace period, 410 for a disconnected store).
 * @returns the channel row. Throws 404 unknown_channel / 410 store_disconnected / 401 bad_signature,
 * stale_signature, replayed, plugin_update_required.
 */
export async function verifySignedCall(request: Request, raw: string) {
  return verifyPluginCall(request, raw);
}

/** Records a heartbeat; schedules a reconciliation (re-link + push) when events may have been missed. */
export async function recordHeartbeat(channelId: string, body: z.infer<typeof HeartbeatBody>) {
  const unhealthy = body.webhooks.filter((w) => w.status !== "active");
  const channel = await prisma.channel.update({
    where: { id: channelId },
    data: {
      lastHeartbeatAt: new Date(),
      pluginVersion: body.plugin_version ?? undefined,
      status: unhealthy.length ? "degraded" : "active",
      statusReason: unhealthy.length ? `webhooks not active: ${unhealthy.map((w) => `${w.topic} (${w.status})`).join(", ")}` : null,
    },
  });
  const reconcile = body.recreated.length > 0 || !!body.missed_since;
  if (reconcile) await enqueue(QUEUES.linkChannel, { shopId: channel.shopId, channelId }, { singletonKey: `link:${channelId}` });
  return { mode: channel.mode, reconcile_scheduled: reconcile };
}

/**
 * Marks a store disconnected and forgets its credentials AND its webhook secret: the secret is revoked, so the
 * store's later signed calls and webhook deliveries get 410 and change nothing (a new code reconnects it).
 */
export async function disconnectStore(channelId: string, reason?: string) {
  await prisma.channel.update({
    where: { id: channelId },
    data: { status: "disconnected", statusReason: reason ?? "disconnected from the store", credentialsEnc: null, webhookSecretEnc: null },
  });
}
