/**
 * The production server's global guard (issue 13, finding "one unauthenticated request stops the server"):
 * malformed paths, hosts and headers get a 4xx with a reason; the process keeps serving.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "../tests/harness/server";

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
}, 60_000);
afterAll(async () => server?.close());

/** Sends raw bytes and returns the status line's code (0 when the connection closed without an answer). */
function raw(request: string): Promise<number> {
  const { port } = new URL(server.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.end(request));
    let data = "";
    socket.on("data", (d) => (data += d.toString("latin1")));
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.on("error", () => resolve(0));
  });
}

describe("production server: one bad request never stops the process", () => {
  it("answers a malformed percent-escape in a webhook path with 400 and a reason, and keeps serving", async () => {
    const res = await fetch(`${server.url}/webhooks/woocommerce/%E0%A4%A`, { method: "POST", body: "{}" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("malformed_path");
    await new Promise((r) => setTimeout(r, 200));
    expect(server.alive()).toBe(true);
    expect((await fetch(`${server.url}/auth/login`)).status).toBe(200);
  });

  it("answers malformed escapes on page routes, a bad Host and junk request lines without a 5xx", async () => {
    for (const p of ["/app/%E0%A4%A", "/api/woo/%FF", "/webhooks/orders/create%", "/%", "/auth/%C0"]) {
      const res = await fetch(`${server.url}${p}`, { method: p.startsWith("/app") ? "GET" : "POST", body: p.startsWith("/app") ? undefined : "{}", redirect: "manual" });
      expect(res.status, p).toBeGreaterThanOrEqual(300);
      expect(res.status, p).toBeLessThan(500);
    }
    expect(await raw("POST /webhooks/woocommerce/x HTTP/1.1\r\nHost: [bad\r\nContent-Length: 2\r\n\r\n{}")).toBe(400);
    expect(await raw("GARBAGE\r\n\r\n")).toBe(400);
    expect(server.alive()).toBe(true);
    expect((await fetch(`${server.url}/auth/login`)).status).toBe(200);
  });
});
