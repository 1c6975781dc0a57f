/**
 * Test webhook receiver: a loopback `node:http` server that records every request (raw body kept as a Buffer
 * so signatures can be checked) and answers with a configurable status / delay. Times in ms.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One received request. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  at: number;
}

/** A running receiver. `respond` decides each answer (default 200, no delay). */
export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  respond: (r: ReceivedRequest) => {
    status: number;
    delayMs?: number;
    /** JSON answer (default "ok" as text). */ body?: string;
  };
  /** Resolves once at least n requests arrived (rejects after timeoutMs, default 3000). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (ephemeral port). */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
        at: Date.now(),
      };
      received.push(r);
      const { status, delayMs, body } = recv.respond(r);
      const answer = () => {
        if (!res.destroyed)
          res
            .writeHead(status, { "Content-Type": body === undefined ? "text/plain" : "application/json" })
            .end(body ?? "ok");
      };
      if (delayMs) setTimeout(answer, delayMs);
      else answer();
    });
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/woocommerce`;
  const recv: WebhookReceiver = {
    url,
    received,
    respond: () => ({ status: 200 }),
    async waitFor(n, timeoutMs = 3000) {
      const t0 = Date.now();
      while (received.length < n) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`receiver: expected ${n} requests, got ${received.length}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return received;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
  return recv;
}
