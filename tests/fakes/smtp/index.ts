/**
 * FAKE of an SMTP relay (SendGrid/Mailgun/SES stand-in) for tests and the demo: a real SMTP server
 * (`smtp-server`) on loopback that accepts AUTH PLAIN/LOGIN, stores every message (envelope, headers, the
 * text and HTML parts) and can be told to fail (temporary 451 or permanent 550) to exercise retries.
 * Optionally writes each message as an .eml file into `mailboxDir` (the demo's local mailbox).
 */
import fs from "node:fs";
import path from "node:path";
import type net from "node:net";
import { SMTPServer } from "smtp-server";

/** One received message. */
export interface FakeMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: string;
  headers: Record<string, string>;
  /** Attached files (Content-Disposition: attachment), decoded as UTF-8 text (issue 18: the reports' CSVs). */
  attachments: { filename: string; contentType: string; content: string }[];
}

export interface SmtpFake {
  url: string;
  port: number;
  messages: FakeMail[];
  /** DATA commands seen (successful or refused). */
  attempts: number;
  /** Recipients of each refused message. */
  refused: string[][];
  /** Refuse the next `count` messages with `code` (451 temporary, 550 permanent); count Infinity = always. */
  failNext(count: number, code?: number): void;
  /** Resolves when `n` messages have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<FakeMail[]>;
  close(): Promise<void>;
}

function decodeQP(s: string): string {
  const bytes = Buffer.from(
    s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16))),
    "latin1",
  );
  return bytes.toString("utf8");
}

function decodeWords(s: string): string {
  // RFC 2047: white space between adjacent encoded words is not part of the text.
  return s
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toUpperCase() === "B" ? Buffer.from(text, "base64").toString("utf8") : decodeQP(text.replace(/_/g, " ")),
    );
}

function parseHeaders(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

function splitPart(raw: string): { headers: Record<string, string>; body: string } {
  const i = raw.search(/\r?\n\r?\n/);
  return i < 0
    ? { headers: parseHeaders(raw), body: "" }
    : { headers: parseHeaders(raw.slice(0, i)), body: raw.slice(i).replace(/^\r?\n\r?\n/, "") };
}

function decodeBody(headers: Record<string, string>, body: string): string {
  const enc = (headers["content-transfer-encoding"] ?? "").toLowerCase();
  if (enc === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (enc === "quoted-printable") return decodeQP(body);
  return body;
}

type Acc = { text: string; html: string; attachments: FakeMail["attachments"] };

/** Minimal MIME walk: collects text/plain and text/html leaves, and attachments apart. */
function walk(raw: string, acc: Acc): Record<string, string> {
  const { headers, body } = splitPart(raw);
  const ct = headers["content-type"] ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(ct)?.[1];
  if (/^multipart\//i.test(ct) && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith("--")) break;
      walk(part.replace(/^\r?\n/, ""), acc);
    }
  } else if (/^attachment/i.test(headers["content-disposition"] ?? "")) {
    const filename = /filename="?([^";]+)"?/i.exec(headers["content-disposition"] ?? "")?.[1] ?? "";
    acc.attachments.push({ filename, contentType: ct, content: decodeBody(headers, body.replace(/\r?\n$/, "")) });
  } else if (/^text\/html/i.test(ct)) acc.html += decodeBody(headers, body);
  else if (/^text\/plain/i.test(ct)) acc.text += decodeBody(headers, body);
  return headers;
}

/** Parses a raw RFC 5322 message. */
export function parseMail(raw: string, envelope: { from: string; to: string[] }): FakeMail {
  const acc: Acc = { text: "", html: "", attachments: [] };
  const headers = walk(raw, acc);
  return {
    from: envelope.from,
    to: envelope.to,
    subject: decodeWords(headers.subject ?? ""),
    text: acc.text.replace(/\r\n/g, "\n").trimEnd(),
    html: acc.html,
    raw,
    headers,
    attachments: acc.attachments,
  };
}

/** Starts the fake on a free loopback port. `auth` = the credentials it accepts (default any). */
export async function startSmtpFake(
  opts: { auth?: { user: string; pass: string }; mailboxDir?: string; onMessage?: (m: FakeMail) => void } = {},
): Promise<SmtpFake> {
  const messages: FakeMail[] = [];
  let fail = { count: 0, code: 451 };
  let attempts = 0;
  const refused: string[][] = [];
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    authOptional: !opts.auth,
    logger: false,
    onAuth(auth, _session, cb) {
      if (!opts.auth || (auth.username === opts.auth.user && auth.password === opts.auth.pass))
        return cb(null, { user: auth.username });
      return cb(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        attempts++;
        if (fail.count > 0) {
          fail.count--;
          refused.push(session.envelope.rcptTo.map((r) => r.address));
          return cb(
            Object.assign(
              new Error(fail.code >= 500 ? "Mailbox unavailable" : "Temporary local problem, try again later"),
              { responseCode: fail.code },
            ),
          );
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        const mail = parseMail(raw, {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
        });
        messages.push(mail);
        if (opts.mailboxDir) {
          fs.mkdirSync(opts.mailboxDir, { recursive: true });
          fs.writeFileSync(
            path.join(
              opts.mailboxDir,
              `${String(messages.length).padStart(4, "0")}-${mail.subject.replace(/[^\w.-]+/g, "_").slice(0, 60)}.eml`,
            ),
            raw,
          );
        }
        opts.onMessage?.(mail);
        waiters.splice(0).forEach((w) => w());
        cb(null, "250 OK: queued as fake-" + messages.length);
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = ((server as unknown as { server: net.Server }).server.address() as net.AddressInfo).port;
  const cred = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : "";
  return {
    url: `smtp://${cred}127.0.0.1:${port}`,
    port,
    messages,
    get attempts() {
      return attempts;
    },
    refused,
    failNext(count, code = 451) {
      fail = { count, code };
    },
    async waitFor(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`SMTP fake: expected ${n} messages, got ${messages.length}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return messages;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
