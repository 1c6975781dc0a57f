/**
 * The outbound guard's address and URL rules (app/lib/outbound-guard.server.ts). Every name resolves through
 * an injected resolver, so no packet leaves this machine: a refused address is refused before a socket
 * connects, an allowed one is a server of this test on loopback.
 */
import http from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  checkStoreUrl,
  guardedAgents,
  isOutboundBlocked,
  OutboundBlockedError,
  outboundPolicy,
  setOutboundLookupForTests,
} from "./outbound-guard.server";

let server: http.Server;
let port: number;
beforeAll(async () => {
  server = http.createServer((_q, res) => res.end("ok"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => server.close(r)));
afterEach(() => {
  process.env.SYNCFLOW_ALLOW_LOOPBACK_STORES = "1";
  setOutboundLookupForTests(undefined);
});

/** Resolves every name to `address`. */
const resolveTo = (address: string): LookupFunction =>
  ((_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
    o?.all
      ? cb(null, [{ address, family: address.includes(":") ? 6 : 4 }])
      : cb(null, address, address.includes(":") ? 6 : 4)) as unknown as LookupFunction;

function get(address: string): Promise<string> {
  setOutboundLookupForTests(resolveTo(address));
  const { httpAgent } = guardedAgents(outboundPolicy());
  return new Promise((resolve, reject) => {
    http
      .get({ host: "store.test", port, path: "/", agent: httpAgent }, (res) => {
        let b = "";
        res.on("data", (d) => (b += d));
        res.on("end", () => resolve(b));
      })
      .on("error", reject);
  });
}

describe("outbound guard", () => {
  it.each([
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "::1",
    "fc00::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::",
  ])("refuses a name resolving to %s (loopback not allowed)", async (address) => {
    process.env.SYNCFLOW_ALLOW_LOOPBACK_STORES = "0";
    const err = await get(address).catch((e) => e);
    expect(isOutboundBlocked(err), String(err)).toBe(true);
  });

  it("with loopback allowed, allows 127.0.0.0/8 and ::1 only — still refuses private, link-local and CGNAT", async () => {
    expect(await get("127.0.0.1")).toBe("ok");
    for (const a of ["10.0.0.1", "169.254.169.254", "100.64.0.1", "192.168.0.1"])
      expect(isOutboundBlocked(await get(a).catch((e) => e)), a).toBe(true);
  });

  it("checks store URLs: https on 443 only unless loopback is allowed, never credentials or other schemes", () => {
    const prod = { ...outboundPolicy(), allowLoopback: false };
    expect(checkStoreUrl("https://shop.example.com", prod).hostname).toBe("shop.example.com");
    expect(checkStoreUrl("https://shop.example.com:443/", prod).port).toBe("");
    for (const bad of [
      "http://shop.example.com",
      "https://shop.example.com:8443",
      "https://user:pw@shop.example.com",
      "ftp://shop.example.com",
      "file:///etc/passwd",
      "gopher://x",
      "not a url",
    ]) {
      expect(() => checkStoreUrl(bad, prod), bad).toThrow(OutboundBlockedError);
    }
    const dev = { ...prod, allowLoopback: true };
    expect(checkStoreUrl("http://127.0.0.1:8080", dev).port).toBe("8080");
    expect(() => checkStoreUrl("https://user:pw@127.0.0.1", dev)).toThrow(OutboundBlockedError);
  });
});
