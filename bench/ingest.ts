/**
 * Ingest: signed webhooks fired at the running app from a second Node process (bench/ingest-load.ts),
 * measuring accepted webhooks per second and the acknowledgement latency (verify → store receipt → queue → 200).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import prisma from "../app/db.server";
import type { Stack } from "./lib/stack";

/** Result of the ingest scenario. */
export interface IngestBench { webhooksPerSecond: number; ackP99Ms: number; ackP50Ms: number; sent: number; accepted: number; statuses: Record<string, number>; concurrency: number }

/** Runs the load generator against `stack` for `durationMs` with `concurrency` requests in flight. */
export async function runIngest(input: { stack: Stack; shop: string; durationMs: number; concurrency: number }): Promise<IngestBench> {
  const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: input.shop } });
  const levels = await prisma.inventoryLevel.findMany({ where: { shopId: shop.id }, take: 500, include: { item: { select: { inventoryItemId: true } } } });
  const items = levels.filter((l) => l.item.inventoryItemId).map((l) => ({ item: l.item.inventoryItemId!, location: l.locationGid }));
  const cfg = { url: input.stack.appUrl, secret: input.stack.apiSecret, shop: input.shop, items, durationMs: input.durationMs, concurrency: input.concurrency };
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(process.cwd(), "bench", "ingest-load.ts"), JSON.stringify(cfg)], { stdio: ["ignore", "pipe", "inherit"] });
    let buf = "";
    child.stdout.on("data", (d: Buffer) => (buf += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(buf) : reject(new Error(`ingest load generator exited ${code}`))));
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as IngestBench;
}
