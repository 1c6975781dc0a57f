/**
 * E-mail over SMTP with nodemailer (any relay: SendGrid, Mailgun, SES, Postmark, your own).
 *
 * Env: `SMTP_URL` — `smtp://user:pass@host:587` (STARTTLS required) or `smtps://user:pass@host:465` (TLS from the
 * start); `SMTP_ALLOW_PLAINTEXT=1` lets an `smtp://` relay that offers no STARTTLS be used in clear (the operator's
 * explicit opt-out: a relay on the same host or private network; the tests' and the demo's local fake);
 * `NOTIFY_FROM` — the sender, e.g. `SyncFlow <alerts@yourdomain.com>` (must be a sender the relay accepts).
 * Recipients are per shop (NotificationSettings). Failures throw; the notify-send job retries them.
 * nodemailer is imported on the first e-mail only (startup memory: docs/decisions/071).
 */
import type { Transporter } from "nodemailer";
import { env } from "../env.server";

/** Thrown when the app has no SMTP relay configured. */
export class NotConfiguredError extends Error {
  constructor(what: string) {
    super(`${what} is not configured`);
    this.name = "NotConfiguredError";
  }
}

let cached: { url: string; transport: Transporter } | null = null;

/** Whether SMTP_URL is set. */
export const emailConfigured = (): boolean => !!env.SMTP_URL;

/** The sender address (NOTIFY_FROM, else a no-reply on the app's host). */
export function senderAddress(): string {
  if (env.NOTIFY_FROM) return env.NOTIFY_FROM;
  let host = "localhost";
  try {
    host = new URL(env.SHOPIFY_APP_URL ?? "http://localhost").hostname;
  } catch {
    /* keep localhost */
  }
  return `SyncFlow <no-reply@${host}>`;
}

async function transport(): Promise<Transporter> {
  const url = env.SMTP_URL;
  if (!url) throw new NotConfiguredError("E-mail (SMTP_URL)");
  const nodemailer = (await import("nodemailer")).default; // before the cache check: no await between check and set
  if (cached?.url !== `${url}|${env.SMTP_ALLOW_PLAINTEXT}`) {
    cached?.transport.close();
    cached = {
      url: `${url}|${env.SMTP_ALLOW_PLAINTEXT}`,
      // One connection per send keeps failures per message; timeouts bounded so a dead relay fails the job fast.
      // requireTLS: an smtp:// relay must upgrade with STARTTLS or nothing is sent (credentials and recipients never
      // travel in clear), unless the operator opted out (issue 13, docs/decisions/147).
      // (Options go in one object with `url`: createTransport's second argument is message defaults, not options.)
      transport: nodemailer.createTransport({
        url,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
        requireTLS: !env.SMTP_ALLOW_PLAINTEXT,
      } as never),
    };
  }
  return cached.transport;
}

/** One e-mail: plain text and HTML alternatives. */
export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Stable Message-ID seed (notification id) so a retried send is recognisable. */
  id?: string;
  /** Files attached (scheduled reports' CSVs, issue 18): name, content, MIME type. */
  attachments?: { filename: string; content: string | Buffer; contentType: string }[];
}

/**
 * Sends one message through the SMTP relay.
 * @returns the Message-ID and the relay's response line.
 */
export async function sendEmail(msg: EmailMessage): Promise<{ messageId: string; response: string }> {
  const info = await (
    await transport()
  ).sendMail({
    from: senderAddress(),
    to: msg.to.join(", "),
    subject: msg.subject,
    text: msg.text,
    html: msg.html,
    ...(msg.id ? { messageId: `<${msg.id}@syncflow>` } : {}),
    headers: { "X-SyncFlow-Notification": msg.id ?? "" },
    ...(msg.attachments?.length ? { attachments: msg.attachments } : {}),
  });
  return { messageId: info.messageId, response: String(info.response ?? "") };
}
