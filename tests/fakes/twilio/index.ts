/**
 * FAKE of Twilio's Messages API (2010-04-01) for tests and the demo, speaking its wire shape:
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form-encoded To, From | MessagingServiceSid, Body,
 * StatusCallback) with HTTP Basic auth `AccountSid:AuthToken` → 201 + a Message resource (status "queued");
 * `GET .../Messages/{Sid}.json` → the resource, "delivered" after `deliverAfterMs`. Errors use Twilio's
 * JSON error shape (401 code 20003; 400 code 21211 for a number that is not E.164).
 */
import http from "node:http";
import type net from "node:net";
import crypto from "node:crypto";

/** A message the fake accepted. */
export interface FakeSms {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  createdAt: number;
  authorization: string;
}

export interface TwilioFake {
  url: string;
  accountSid: string;
  authToken: string;
  messages: FakeSms[];
  /** Every request: method, path, status answered. */
  requests: { method: string; path: string; status: number }[];
  /** Status to report for fetched messages ("delivered", "undelivered" ...). */
  setFinalStatus(status: string): void;
  waitFor(n: number, timeoutMs?: number): Promise<FakeSms[]>;
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** Starts the fake on a free loopback port with the given credentials. */
export async function startTwilioFake(
  opts: { accountSid?: string; authToken?: string; deliverAfterMs?: number; log?: (m: FakeSms) => void } = {},
): Promise<TwilioFake> {
  const accountSid = opts.accountSid ?? `AC${crypto.randomBytes(16).toString("hex")}`;
  const authToken = opts.authToken ?? crypto.randomBytes(16).toString("hex");
  const messages: FakeSms[] = [];
  const requests: TwilioFake["requests"] = [];
  let finalStatus = "delivered";
  const resource = (m: FakeSms) => ({
    sid: m.sid,
    account_sid: m.accountSid,
    to: m.to,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    body: m.body,
    status: Date.now() - m.createdAt >= (opts.deliverAfterMs ?? 0) ? finalStatus : "sent",
    num_segments: String(Math.max(1, Math.ceil(m.body.length / 160))),
    num_media: "0",
    direction: "outbound-api",
    api_version: "2010-04-01",
    price: null,
    price_unit: "USD",
    error_code: finalStatus === "undelivered" ? 30003 : null,
    error_message: finalStatus === "undelivered" ? "Unreachable destination handset" : null,
    date_created: new Date(m.createdAt).toUTCString(),
    date_updated: new Date().toUTCString(),
    date_sent: new Date(m.createdAt).toUTCString(),
    uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
    subresource_uris: {},
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const send = (status: number, body: unknown) => {
        requests.push({ method: req.method ?? "", path: url.pathname, status });
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      };
      const auth = req.headers.authorization ?? "";
      const [user, pass] = Buffer.from(auth.replace(/^Basic /, ""), "base64")
        .toString()
        .split(":");
      if (user !== accountSid || pass !== authToken) {
        return send(401, {
          code: 20003,
          message: "Authenticate",
          more_info: "https://www.twilio.com/docs/errors/20003",
          status: 401,
        });
      }
      const create = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
      const fetch = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/.exec(url.pathname);
      if (req.method === "POST" && create && create[1] === accountSid) {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const to = form.get("To") ?? "";
        if (!E164.test(to))
          return send(400, {
            code: 21211,
            message: `The 'To' number ${to} is not a valid phone number.`,
            more_info: "https://www.twilio.com/docs/errors/21211",
            status: 400,
          });
        if (!form.get("Body")) return send(400, { code: 21602, message: "Message body is required.", status: 400 });
        const m: FakeSms = {
          sid: `SM${crypto.randomBytes(16).toString("hex")}`,
          accountSid,
          to,
          from: form.get("From"),
          messagingServiceSid: form.get("MessagingServiceSid"),
          body: form.get("Body")!,
          statusCallback: form.get("StatusCallback"),
          createdAt: Date.now(),
          authorization: auth,
        };
        messages.push(m);
        opts.log?.(m);
        return send(201, { ...resource(m), status: "queued" });
      }
      if (req.method === "GET" && fetch && fetch[1] === accountSid) {
        const m = messages.find((x) => x.sid === fetch[2]);
        return m
          ? send(200, resource(m))
          : send(404, { code: 20404, message: "The requested resource was not found", status: 404 });
      }
      return send(404, { code: 20404, message: "The requested resource was not found", status: 404 });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    messages,
    requests,
    setFinalStatus: (s) => void (finalStatus = s),
    async waitFor(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`Twilio fake: expected ${n} messages, got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return messages;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
