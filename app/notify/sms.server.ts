/**
 * SMS through Twilio's Messages API with the official `twilio` SDK. Critical events only.
 *
 * Env: `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN` (or an API key: `TWILIO_API_KEY` + `TWILIO_API_SECRET`
 * with the account SID), and the sender `TWILIO_FROM` (an E.164 number) or `TWILIO_MESSAGING_SERVICE_SID`.
 *
 * Tests and the demo point the SDK at a local fake of the Messages API (tests/fakes/twilio) through the
 * SDK's supported `httpClient` option: a `RequestClient` whose requests go to `TWILIO_API_BASE` instead of
 * https://api.twilio.com. That override is honoured only when `SYNCFLOW_MODE` is `test` or `demo`.
 *
 * The SDK (~22 MB RSS) is imported on the first SMS only, not when the app or worker starts
 * (docs/decisions/071-memory-worker-bundle-lazy-sdks.md).
 */
import type { Twilio } from "twilio";
import type IRequestClient from "twilio/lib/base/RequestClient";
import { NotConfiguredError } from "./email.server";
import { env } from "../env.server";

/** Whether Twilio credentials and a sender are configured. */
export const smsConfigured = (): boolean =>
  !!env.TWILIO_ACCOUNT_SID &&
  !!(env.TWILIO_AUTH_TOKEN || (env.TWILIO_API_KEY && env.TWILIO_API_SECRET)) &&
  !!(env.TWILIO_FROM || env.TWILIO_MESSAGING_SERVICE_SID);

/** The local API base (test/demo only), else null. */
function localBase(): string | null {
  const base = env.TWILIO_API_BASE;
  const mode = env.SYNCFLOW_MODE;
  return base && (mode === "test" || mode === "demo") ? base.replace(/\/$/, "") : null;
}

/** A Twilio RequestClient that sends every request to `base` (same path and query), for the local fake. */
function localRequestClient(twilio: typeof import("twilio"), base: string) {
  class LocalRequestClient extends twilio.RequestClient {
    constructor() {
      super({ autoRetry: false });
    }
    override request<T>(opts: IRequestClient.RequestOptions<T>) {
      const u = new URL(opts.uri);
      return super.request<T>({ ...opts, uri: `${base}${u.pathname}${u.search}` });
    }
  }
  return new LocalRequestClient();
}

let cached: { key: string; client: Twilio } | null = null;

async function client(): Promise<Twilio> {
  if (!smsConfigured()) throw new NotConfiguredError("SMS (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM)");
  const sid = env.TWILIO_ACCOUNT_SID!;
  const base = localBase();
  const key = [sid, env.TWILIO_AUTH_TOKEN, env.TWILIO_API_KEY, base].join("|");
  const twilio = (await import("twilio")).default; // before the cache check: no await between check and set
  if (cached?.key !== key) {
    const opts = {
      accountSid: sid,
      ...(base ? { httpClient: localRequestClient(twilio, base) } : { autoRetry: true, maxRetries: 2 }),
    };
    const c = env.TWILIO_API_KEY
      ? twilio(env.TWILIO_API_KEY, env.TWILIO_API_SECRET, opts)
      : twilio(sid, env.TWILIO_AUTH_TOKEN, opts);
    cached = { key, client: c };
  }
  return cached.client;
}

/**
 * Sends one SMS (the body should already be ≤ 160 GSM-7 characters: see `smsText`).
 * @returns Twilio's message SID and initial status (queued / accepted / sent).
 */
export async function sendSms(
  to: string,
  body: string,
  statusCallback?: string,
): Promise<{ sid: string; status: string; segments: string | null }> {
  const from = env.TWILIO_MESSAGING_SERVICE_SID
    ? { messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID }
    : { from: env.TWILIO_FROM! };
  const msg = await (
    await client()
  ).messages.create({ to, body, ...from, ...(statusCallback ? { statusCallback } : {}) });
  return { sid: msg.sid, status: msg.status, segments: msg.numSegments ?? null };
}

/** Fetches a message's current delivery status (queued, sent, delivered, undelivered, failed). */
export async function fetchSmsStatus(
  sid: string,
): Promise<{ status: string; errorCode: number | null; errorMessage: string | null }> {
  const m = await (await client()).messages(sid).fetch();
  return { status: m.status, errorCode: m.errorCode ?? null, errorMessage: m.errorMessage ?? null };
}
