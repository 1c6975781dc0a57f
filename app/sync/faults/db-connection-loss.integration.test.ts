/**
 * Database connection loss and return, seen by a real worker process whose every PostgreSQL connection
 * goes through a TCP proxy the test can cut: (1) while idle — the worker survives and picks up work once
 * the database is back; (2) in the middle of a `shopify-adjust` job, after Shopify applied the write but
 * before the hub recorded it — the job is retried once the database returns, the same idempotency key
 * replays, and the sale is recorded once.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "../../db.server";
import {
  adjustmentsFor,
  ledgerFor,
  sleep,
  startFaultWorld,
  waitFor,
  type FaultWorld,
} from "../../../tests/harness/faults";

const SHOP = "fault-db-loss.myshopify.com";
let fw: FaultWorld;
let proxy: DbProxy;

/** A TCP proxy to PostgreSQL that can drop every connection and refuse new ones until restored. */
interface DbProxy {
  url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startDbProxy(databaseUrl: string): Promise<DbProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    cut: () => {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      down = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

beforeAll(async () => {
  proxy = await startDbProxy(process.env.DATABASE_URL!);
  fw = await startFaultWorld({ shop: SHOP, workers: { processes: 1 }, workerEnv: { DATABASE_URL: proxy.url } });
}, 150_000);

afterAll(async () => {
  await fw?.close();
  await proxy?.close();
});

describe("database connection loss and return", () => {
  it("while the worker is idle: it survives the outage and processes work queued during it", async () => {
    const sku = "woo-beanie";
    const woo = fw.world.woo[0]!;
    const before = fw.shopifyAvailable(sku)!;
    proxy.cut();
    await sleep(1500);
    woo.control.placeOrder({ lines: [{ sku, quantity: 1 }], status: "processing" }); // stored by the app (its own connection), queued
    await woo.control.idle();
    await sleep(1500);
    expect(fw.shopifyAvailable(sku)).toBe(before); // nothing can run yet
    proxy.restore();
    await waitFor(
      "sale applied after the database returned",
      () => fw.shopifyAvailable(sku) === before - 1,
      45_000,
      100,
    );
    await sleep(800);
    expect(fw.shopifyAvailable(sku)).toBe(before - 1);
    expect(await adjustmentsFor(fw.shopId, sku)).toHaveLength(1);
    expect(fw.workers[0]!.proc.exitCode).toBeNull();
  }, 90_000);

  it("in the middle of a job, after Shopify applied the write: retried when the database returns, recorded once", async () => {
    const sku = "woo-belt";
    const woo = fw.world.woo[0]!;
    const before = fw.shopifyAvailable(sku)!;
    fw.world.shopify.control.setFaults({ latencyMs: 1200 });
    woo.control.placeOrder({ lines: [{ sku, quantity: 2 }], status: "processing" });
    const adj = await waitFor(
      "CAS write in flight",
      async () => (await adjustmentsFor(fw.shopId, sku)).find((a) => a.inFlightChangeFrom != null),
      30_000,
      5,
    );
    await sleep(200);
    proxy.cut();
    fw.world.shopify.control.setFaults({ latencyMs: 0 });
    await waitFor("Shopify applied the write", () => fw.shopifyAvailable(sku) === before - 2, 10_000);
    await sleep(2500); // the worker tries to record it and cannot
    expect((await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } })).status).toBe("pending");
    proxy.restore();
    await waitFor(
      "recorded as applied",
      async () => (await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } })).status === "applied",
      60_000,
      100,
    );
    await waitFor("store follows", () => woo.control.getStock(sku) === before - 2, 20_000);
    await sleep(800);
    expect(fw.shopifyAvailable(sku)).toBe(before - 2);
    const applied = (await ledgerFor(fw.shopId, sku)).filter((l) => l.idempotencyKey.endsWith(":applied"));
    expect(applied.map((l) => [l.before, l.after])).toEqual([[before, before - 2]]);
    expect((await prisma.shopifyAdjustment.findUniqueOrThrow({ where: { id: adj.id } })).keyAttempt).toBe(0);
    expect(fw.workers[0]!.proc.exitCode).toBeNull();
  }, 120_000);
});
