/**
 * The hub's API for the SyncFlow for WooCommerce plugin (docs/contracts/hub-api-v1.md): request parsing
 * and validation (zod), signed-call verification, and the heartbeat / stock events / disconnect effects.
 * Every failure is a `PluginApiError` carrying the HTTP status and a stable error code.
 */
import { z } from "zod";
import prisma from "../../db.server";
import { sha256Hex } from "../../lib/crypto.server";
import { verifyPluginCall } from "../../lib/plugin-signature.server";
import { enqueue, QUEUES } from "../../jobs/queue.server";
import { storeAndQueueReceipt } from "../../webhooks/receipt-writer.server";
import type { Channel as ChannelRow, Prisma } from "@prisma/client";
import { DeliveryParseError, type StockChange } from "../../channels/events";
import { parseSalesDelivery } from "../../channels/registry.server";

export class PluginApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** JSON error/success responses in the contract's shape. */
export const apiJson = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
  });

export const apiError = (err: unknown): Response => {
  if (
    err instanceof PluginApiError ||
    (err && typeof err === "object" && "status" in err && "code" in err && err instanceof Error)
  ) {
    const e = err as PluginApiError;
    return apiJson(e.status, { ok: false, error: { code: e.code, message: e.message } }, e.headers ?? {});
  }
  console.error("[plugin-api] unexpected error:", err);
  return apiJson(500, {
    ok: false,
    error: { code: "internal", message: "Unexpected error; nothing was changed. Try again." },
  });
};

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL");

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
  webhooks: z
    .array(
      z.object({ id: z.number().int(), topic: z.string(), status: z.string(), delivery_url: z.string().optional() }),
    )
    .default([]),
  recreated: z.array(z.object({ id: z.number().int(), topic: z.string() })).default([]),
  last_event_at: z.string().optional().nullable(),
  missed_since: z.string().optional().nullable(),
  /** The plugin's capabilities (plugin ≥ 1.1; the same list as GET wc-syncflow/v1/capabilities). */
  features: z.array(z.string().max(40)).max(50).optional(),
});

/** The envelope of a stock events call; each event is checked on its own (`StockEvent`). */
export const StockEventsBody = z.object({
  store_url: httpUrl,
  plugin_version: z.string().max(40).optional(),
  events: z.array(z.unknown()).max(100, "at most 100 events per call"),
});

/** Whether a plugin's capability list (or registration's detection) says it reports stock events. */
export const reportsStockEvents = (features: readonly string[] | undefined): boolean =>
  !!features?.includes("stock-events");

export const DisconnectBody = z.object({ store_url: httpUrl, reason: z.string().max(500).optional() });

/**
 * Reads a request body as UTF-8 text, at most `maxBytes` bytes (app/lib/body-limits.ts). A Content-Length above
 * the cap is refused before anything is read; a body without one is read chunk by chunk and abandoned at the
 * cap. Throws PluginApiError 413 `body_too_large` (with `Connection: close`, so the rest is not read either).
 */
export async function readBody(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new PluginApiError(413, "body_too_large", `The body is larger than this route accepts (${maxBytes} bytes).`, {
      Connection: "close",
    });
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

/**
 * Records a heartbeat. When the plugin reports missed events (`missed_since`) or webhooks it had to recreate
 * (`recreated`), a reconciliation of that store is queued at once (hub-api-v1 §2; its missed-orders pass reads
 * the orders modified in the gap) along with a re-link (products added meanwhile). A plugin that lists the
 * `stock-events` feature switches the store to stock events (decision 130); the features are kept as the store's
 * `pluginFeatures` (batch and snapshot routes, decision 101).
 * @returns the answer's fields: `mode`, `reconcile_scheduled`, `stock_events`
 */
export async function recordHeartbeat(channelId: string, body: z.infer<typeof HeartbeatBody>) {
  const unhealthy = body.webhooks.filter((w) => w.status !== "active");
  const stockEvents = body.features === undefined ? undefined : reportsStockEvents(body.features);
  const channel = await prisma.channel.update({
    where: { id: channelId },
    data: {
      lastHeartbeatAt: new Date(),
      pluginVersion: body.plugin_version ?? undefined,
      status: unhealthy.length ? "degraded" : "active",
      statusReason: unhealthy.length
        ? `webhooks not active: ${unhealthy.map((w) => `${w.topic} (${w.status})`).join(", ")}`
        : null,
      ...(stockEvents !== undefined ? { stockEvents } : {}),
      // A plugin updated to 1.1 gets batched writes and snapshot reads from its next heartbeat on (decision 101).
      ...(body.features !== undefined ? { pluginFeatures: body.features } : {}),
    },
  });
  const reconcile = body.recreated.length > 0 || !!body.missed_since;
  if (reconcile) {
    await enqueue(QUEUES.linkChannel, { shopId: channel.shopId, channelId }, { singletonKey: `link:${channelId}` });
    await enqueue(
      QUEUES.reconcile,
      { shopId: channel.shopId, channelId, dryRun: false, trigger: "heartbeat" },
      { singletonKey: `reconcile:heartbeat:${channelId}` },
    );
  }
  return {
    mode: channel.mode,
    reconcile_scheduled: reconcile,
    stock_events: channel.stockEvents && channel.mode === "exact",
  };
}

/**
 * Stores the valid events of a stock events call as receipts (one per event, deduplicated on the event id) and
 * queues their work; the call is answered only once they are durable. A store that sends events is switched to
 * stock events (the plugin sends only after the hub asked for them, or before this hub knew: decision 130).
 * @returns the answer's fields: `accepted` (ids stored now or before — the plugin may forget them), `duplicates`,
 *   `rejected` (ids with a reason; the plugin must not resend them), `stock_events`
 * @throws the database error when events could not be stored (the route answers 500 and the plugin retries)
 */
export async function acceptStockEvents(
  channel: ChannelRow,
  body: z.infer<typeof StockEventsBody>,
  plugin: { version?: string } = {},
) {
  const accepted: string[] = [];
  const rejected: { id: string; reason: string }[] = [];
  const live = channel.status !== "disconnected" && channel.mode === "exact";
  const valid: { raw: unknown; change: StockChange }[] = [];
  body.events.forEach((raw, i) => {
    const id =
      typeof (raw as { id?: unknown })?.id === "string" ? String((raw as { id: string }).id).slice(0, 64) : `#${i}`;
    // The store's adapter reads the event (app/channels/<kind>/): a DeliveryParseError names the bad field.
    let change: StockChange | undefined;
    let reason = "not a stock event";
    try {
      const [event] = parseSalesDelivery(channel.kind, { topic: "stock.event", body: raw });
      if (event?.type === "stock.changed") change = event.change;
    } catch (err) {
      if (!(err instanceof DeliveryParseError)) throw err;
      reason = err.message;
    }
    if (!change) rejected.push({ id, reason });
    else if (!live)
      rejected.push({
        id,
        reason: channel.status === "disconnected" ? "store disconnected" : "store is not in exact mode",
      });
    else valid.push({ raw, change });
  });
  let duplicates = 0;
  const stored = await Promise.all(
    valid.map(({ raw, change: e }) =>
      storeAndQueueReceipt({
        shopId: channel.shopId,
        channelId: channel.id,
        source: "woocommerce",
        topic: "stock.event",
        dedupeKey: `woo:${channel.id}:stock-event:${e.id}`,
        bodyHash: sha256Hex(JSON.stringify(raw)),
        body: raw as Prisma.InputJsonValue,
        headers: { "x-syncflow-stream": e.stream, "x-syncflow-plugin-version": plugin.version ?? "" },
      }),
    ),
  );
  stored.forEach((r, i) => {
    if (!r) duplicates++;
    accepted.push(valid[i]!.change.id);
  });
  if (live && !channel.stockEvents && valid.length)
    await prisma.channel.update({ where: { id: channel.id }, data: { stockEvents: true } });
  return { accepted, duplicates, rejected, stock_events: live };
}

/**
 * Marks a store disconnected and forgets its credentials AND its webhook secret: the secret is revoked, so the
 * store's later signed calls and webhook deliveries get 410 and change nothing (a new code reconnects it).
 */
export async function disconnectStore(channelId: string, reason?: string) {
  await prisma.channel.update({
    where: { id: channelId },
    data: {
      status: "disconnected",
      statusReason: reason ?? "disconnected from the store",
      credentialsEnc: null,
      webhookSecretEnc: null,
    },
  });
}
