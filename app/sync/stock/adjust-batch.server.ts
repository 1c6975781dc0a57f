/**
 * Store sales bound for Shopify's `available`, many per call (docs/decisions/102).
 *
 * One `inventoryAdjustQuantities` call carries up to 250 changes (Shopify's limit), one per (inventory item, location),
 * each the sum of that item's pending sales and restocks (≤ 100 per change), compare-and-set per change
 * (`changeFromQuantity` = the hub's cached level: kept current by webhooks and the hub's own writes, so no read per
 * call; a change that lost its compare-and-set is re-read and resent). `@idempotent(key:)` covers a whole call, so the
 * call's composition is stored before it is sent (`ShopifyWriteBatch`: its changes exactly as sent, and each sale's
 * `batchId`): after an unknown outcome (timeout, 5xx, throttled) the same call is resent byte for byte under the same
 * key and Shopify replays it; a call that was definitively refused (a lost compare-and-set, a rejected item) is
 * dissolved and its sales go into a new call under a new key — a key is never reused for other changes.
 * A flush runs under the shop's advisory lock `syncflow:adjust:<shop>:available` (one flusher per shop); jobs whose
 * sale another flusher is applying wait for it. Each applied sale keeps its own ledger row (`<key>:applied`, before/after
 * within its change), and the cached level moves with Shopify's answer — a change Shopify made in between that the hub
 * had not seen gets its own row too (levels.server.ts, B8).
 * Sales on allocation stores (`safety_stock`) are applied per item under the item lock (allocation.server.ts).
 */
import prisma from "../../db.server";
import { ChannelError } from "../../channels/channel";
import { appendLedgerMany, type LedgerRow } from "./ledger.server";
import { recordOwnLevels } from "../intake/levels.server";
import { recordForShop } from "../stores/stores.server";
import { withAdvisoryLock } from "../allocation/allocation.server";
import { claimMembers } from "../allocation/allocation-batch.server";
import { requestPushToStores } from "./push.server";
import { Prisma } from "@prisma/client";

/** Most changes per call (Shopify's limit for inventory mutations). */
export const MAX_CHANGES = 250;
/** Most sales folded into one change (keeps the commit transaction and its ledger batch small). */
const MAX_MEMBERS = 100;
/** Lost compare-and-sets a flush tolerates before it leaves the rest to the next one. */
const MAX_STALE = 8;

/** One change of a stored call: what was sent, and which sales it carries. */
interface BatchChange {
  inventoryItemId: string;
  locationId: string;
  delta: number;
  changeFromQuantity: number;
  itemId: string;
  members: string[];
}

/**
 * Ledger cause and actor of an applied change: a change made through the merchant API (key `api:…`, app/api,
 * docs/decisions/282) is `manual` by `api`; a store's sale is `order`, its release or restock `cancel`.
 */
export function ledgerCauseOf(m: { delta: number; idempotencyKey: string }): {
  cause: "order" | "cancel" | "manual";
  actor?: string;
} {
  if (m.idempotencyKey.startsWith("api:")) return { cause: "manual", actor: "api" };
  return { cause: m.delta < 0 ? "order" : "cancel" };
}

/** What one flush did. */
export interface SalesFlushOutcome {
  /** Sales applied (by adjustment id): `available` before and after the sale itself, in units. */
  applied: Map<string, { before: number; after: number }>;
  /** Items whose sales were applied (their stores' derived quantities may move). */
  items: Set<string>;
  calls: number;
  stale: number;
  /** Sales whose write failed definitively in this flush, with the error (their jobs retry). */
  failed: Map<string, unknown>;
}

type Pending = {
  id: string;
  itemId: string;
  locationGid: string;
  delta: number;
  idempotencyKey: string;
  reason: string;
  orderId: string | null;
  inFlightChangeFrom: number | null;
  inventoryItemId: string | null;
};

/**
 * Applies every pending `available` store sale of the shop, ≤ 250 changes per call (see the module docs).
 * @returns null when another flusher holds the shop's lock (it applies them)
 * @throws ChannelError when a call's outcome is unknown (the call stays stored and is resent by the next flush) or
 *   Shopify stays unreadable; database errors
 */
export async function flushAvailableSales(shopId: string): Promise<SalesFlushOutcome | null> {
  const res = await withAdvisoryLock(`syncflow:adjust:${shopId}:available`, () => flushLocked(shopId));
  if (!res.locked) return null;
  // Applied restocks raise the other stores' derived quantities (sales only move which number holds them).
  if (res.value.items.size) await requestPushToStores(shopId, [...res.value.items]);
  return res.value;
}

async function flushLocked(shopId: string): Promise<SalesFlushOutcome> {
  const out: SalesFlushOutcome = { applied: new Map(), items: new Set(), calls: 0, stale: 0, failed: new Map() };
  const { shop, adapter } = await recordForShop(shopId);
  const scId =
    (await prisma.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } }))?.id ?? null;
  const reread = new Set<string>(); // "itemId|location" whose cached level lost a compare-and-set: read fresh
  let solo = false; // after a refused call of several changes: one change per call, to find the refused one
  for (let round = 0; round < 200 && out.stale < MAX_STALE; round++) {
    // 1. A call stored but not known to have landed: resend exactly it.
    const open = await prisma.shopifyWriteBatch.findFirst({
      where: { shopId, quantityName: "available", status: "sending" },
      orderBy: { createdAt: "asc" },
    });
    if (open) {
      const r = await send(shopId, shop.domain, scId, adapter, open.id, open.changes as unknown as BatchChange[], out);
      if (r.kind === "stale") for (const k of r.keys) reread.add(k);
      if (r.kind === "refused" && (open.changes as unknown as BatchChange[]).length > 1) solo = true;
      continue;
    }
    // 2. Compose the next call from pending sales not in a call.
    const pending = await prisma.$queryRaw<Pending[]>`
      SELECT a.id, a."itemId", a."locationGid", a.delta, a."idempotencyKey", a.reason, a."orderId", a."inFlightChangeFrom", ci."inventoryItemId"
      FROM "ShopifyAdjustment" a JOIN "CatalogItem" ci ON ci.id = a."itemId"
      WHERE a."shopId" = ${shopId} AND a.status = 'pending' AND a."quantityName" = 'available' AND a."batchId" IS NULL
        AND NOT (a.id = ANY(${[...out.failed.keys()]}::text[]))
      ORDER BY a.id
      LIMIT 5000`;
    if (!pending.length) break;
    // Sales claimed one at a time by the pre-batch path (decision 007: `inFlightChangeFrom` without a call) are resent by
    // that path, with their own key and compare-and-set value.
    const legacy = pending.filter((p) => p.inFlightChangeFrom != null);
    if (legacy.length) {
      const { applyOne } = await import("./adjust.server");
      for (const p of legacy) {
        try {
          const r = await applyOne(shopId, p.id);
          if (r.status === "applied") {
            out.applied.set(p.id, { before: r.before!, after: r.after! });
            out.items.add(p.itemId);
          }
        } catch (err) {
          out.failed.set(p.id, err);
        }
      }
      continue;
    }
    const groups = new Map<string, Pending[]>();
    for (const p of pending) {
      if (!p.inventoryItemId) {
        out.failed.set(
          p.id,
          new ChannelError("BAD_REQUEST", `item ${p.itemId} has no Shopify inventory item`, { retryable: false }),
        );
        continue;
      }
      const k = `${p.itemId}|${p.locationGid}`;
      const g = groups.get(k);
      if (g) {
        if (g.length < MAX_MEMBERS) g.push(p);
      } else if (groups.size < (solo ? 1 : MAX_CHANGES)) groups.set(k, [p]);
    }
    if (!groups.size) continue;
    // Changes that net to zero (a sale and its release both pending) are applied without a write.
    const zero = [...groups.values()].filter((g) => g.reduce((n, m) => n + m.delta, 0) === 0);
    if (zero.length) await commitWithoutWrite(shopId, shop.domain, scId, zero, out);
    const live = [...groups.entries()].filter(([, g]) => g.reduce((n, m) => n + m.delta, 0) !== 0);
    if (!live.length) continue;
    // changeFromQuantity: the cached level, or Shopify's (read now) for levels that lost a compare-and-set.
    const cached = await prisma.inventoryLevel.findMany({
      where: { shopId, OR: live.map(([, g]) => ({ itemId: g[0]!.itemId, locationGid: g[0]!.locationGid })) },
      select: { itemId: true, locationGid: true, available: true },
    });
    const cfq = new Map(cached.map((c) => [`${c.itemId}|${c.locationGid}`, c.available]));
    const toRead = live.filter(([k]) => reread.has(k) || !cfq.has(k));
    if (toRead.length) {
      const fresh = await adapter.readAvailable(
        [...new Set(toRead.map(([, g]) => g[0]!.inventoryItemId!))],
        [...new Set(toRead.map(([, g]) => g[0]!.locationGid))],
      );
      for (const [k, g] of toRead) {
        cfq.set(k, fresh.get(g[0]!.inventoryItemId!)?.get(g[0]!.locationGid) ?? 0);
        reread.delete(k);
      }
    }
    const changes: BatchChange[] = live.map(([k, g]) => ({
      inventoryItemId: g[0]!.inventoryItemId!,
      locationId: g[0]!.locationGid,
      delta: g.reduce((n, m) => n + m.delta, 0),
      changeFromQuantity: cfq.get(k)!,
      itemId: g[0]!.itemId,
      members: g.map((m) => m.id).sort(),
    }));
    // Store the call before sending it: its sales are claimed by it (batchId) in the same transaction.
    const batchId = await prisma
      .$transaction(
        async (tx) => {
          const b = await tx.shopifyWriteBatch.create({
            data: { shopId, quantityName: "available", changes: changes as unknown as Prisma.InputJsonValue },
          });
          if ((await claimMembers(tx, b.id, changes)) !== changes.reduce((n, c) => n + c.members.length, 0))
            throw new ClaimLost();
          return b.id;
        },
        { timeout: 60_000, maxWait: 30_000 },
      )
      .catch((err) => {
        if (err instanceof ClaimLost) return null;
        throw err;
      });
    if (!batchId) continue;
    const r = await send(shopId, shop.domain, scId, adapter, batchId, changes, out);
    if (r.kind === "stale") for (const k of r.keys) reread.add(k);
    if (r.kind === "refused" && changes.length > 1) solo = true;
  }
  return out;
}

class ClaimLost extends Error {}

type SendOutcome = { kind: "applied" } | { kind: "stale"; keys: string[] } | { kind: "refused" };

/**
 * Sends one stored call under `syncflow-batch:<id>` and settles it: applied → every sale applied with its ledger row and
 * the cached levels moved; lost compare-and-set → dissolved (its sales free for a new call; the stale levels are read
 * fresh); refused → dissolved, its sales marked failed for this flush; unknown outcome → left stored and rethrown.
 */
async function send(
  shopId: string,
  domain: string,
  scId: string | null,
  adapter: Awaited<ReturnType<typeof recordForShop>>["adapter"],
  batchId: string,
  changes: BatchChange[],
  out: SalesFlushOutcome,
): Promise<SendOutcome> {
  const members = await prisma.shopifyAdjustment.findMany({ where: { batchId }, orderBy: { id: "asc" } });
  const byId = new Map(members.map((m) => [m.id, m]));
  const reason = new Set(members.map((m) => m.reason)).size === 1 ? (members[0]?.reason ?? "correction") : "correction";
  out.calls++;
  let results;
  const sentAt = new Date();
  try {
    results = await adapter.adjustQuantitiesCall(
      "available",
      changes.map((c) => ({
        inventoryItemId: c.inventoryItemId,
        locationId: c.locationId,
        delta: c.delta,
        changeFromQuantity: c.changeFromQuantity,
        ledgerDocumentUri: null,
      })),
      {
        idempotencyKey: `syncflow-batch:${batchId}`,
        reason,
        referenceDocumentUri: `gid://syncflow/AdjustmentBatch/${batchId}`,
      },
    );
  } catch (err) {
    const msg = String((err as Error).message ?? err).slice(0, 2000);
    if (err instanceof ChannelError && (err.code === "STALE" || !err.retryable)) {
      // Definitive: nothing applied under this key. Dissolve: the sales return to the pool for a new call (new key).
      await dissolve(batchId, msg);
      if (err.code === "STALE") {
        out.stale++;
        const idx =
          (err.opts.cause as { staleIndexes?: number[] } | undefined)?.staleIndexes ?? changes.map((_, i) => i);
        return {
          kind: "stale",
          keys: idx
            .map((i) => changes[i])
            .filter(Boolean)
            .map((c) => `${c!.itemId}|${c!.locationId}`),
        };
      }
      if (changes.length === 1) for (const id of changes[0]!.members) out.failed.set(id, err);
      return { kind: "refused" };
    }
    // Unknown outcome: the call stays stored ("sending") and is resent exactly, under the same key, next time.
    await prisma.shopifyWriteBatch.update({
      where: { id: batchId },
      data: { attempts: { increment: 1 }, lastError: msg },
    });
    await prisma.shopifyAdjustment.updateMany({
      where: { batchId, status: "pending" },
      data: { attempts: { increment: 1 }, lastError: msg },
    });
    for (const c of changes) for (const id of c.members) out.failed.set(id, err);
    throw err;
  }
  await prisma.$transaction(
    async (tx) => {
      const { count } = await tx.shopifyWriteBatch.updateMany({
        where: { id: batchId, status: "sending" },
        data: { status: "applied", finishedAt: new Date(), attempts: { increment: 1 }, lastError: null },
      });
      if (count !== 1) return;
      const rows: LedgerRow[] = [];
      const levels: { itemId: string; locationGid: string; available: number; before: number; key: string }[] = [];
      for (let i = 0; i < changes.length; i++) {
        const c = changes[i]!;
        const r = results[i]!;
        const before = r.before ?? c.changeFromQuantity;
        let q = before;
        for (const id of c.members) {
          const m = byId.get(id);
          if (!m || m.status !== "pending") continue;
          rows.push({
            shopId,
            itemId: m.itemId,
            channelId: scId,
            locationGid: m.locationGid,
            ...ledgerCauseOf(m),
            delta: m.delta,
            before: q,
            after: q + m.delta,
            idempotencyKey: `${m.idempotencyKey}:applied`,
            orderId: m.orderId,
            note: `applied to Shopify (${domain}) available with key syncflow-batch:${batchId}${changes.length > 1 || c.members.length > 1 ? ` (one call for ${changes.reduce((n, x) => n + x.members.length, 0)} store sales)` : ""}`,
          });
          out.applied.set(m.id, { before: q, after: q + m.delta });
          out.items.add(m.itemId);
          q += m.delta;
        }
        levels.push({
          itemId: c.itemId,
          locationGid: c.locationId,
          available: r.after,
          before,
          key: `syncflow-batch:${batchId}:${i}`,
        });
      }
      await recordOwnLevels(tx, shopId, levels, scId, sentAt);
      await tx.shopifyAdjustment.updateMany({
        where: { batchId, status: "pending" },
        data: {
          status: "applied",
          appliedAt: new Date(),
          inFlightChangeFrom: null,
          attempts: { increment: 1 },
          lastError: null,
        },
      });
      await appendLedgerMany(tx, rows);
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
  return { kind: "applied" };
}

/** A definitively refused call: stored as failed; its sales leave it (a new key attempt, fresh compare-and-set). */
async function dissolve(batchId: string, msg: string): Promise<void> {
  await prisma.$transaction([
    prisma.shopifyWriteBatch.update({
      where: { id: batchId },
      data: { status: "failed", finishedAt: new Date(), attempts: { increment: 1 }, lastError: msg },
    }),
    prisma.shopifyAdjustment.updateMany({
      where: { batchId, status: "pending" },
      data: {
        batchId: null,
        inFlightChangeFrom: null,
        keyAttempt: { increment: 1 },
        attempts: { increment: 1 },
        lastError: msg,
      },
    }),
  ]);
}

/** Groups whose sales net to zero: applied without a write (one ledger row per sale, Shopify unchanged). */
async function commitWithoutWrite(
  shopId: string,
  domain: string,
  scId: string | null,
  groups: Pending[][],
  out: SalesFlushOutcome,
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const rows: LedgerRow[] = [];
    const ids: string[] = [];
    for (const g of groups) {
      const level = await tx.inventoryLevel.findUnique({
        where: { itemId_locationGid: { itemId: g[0]!.itemId, locationGid: g[0]!.locationGid } },
        select: { available: true },
      });
      let q = level?.available ?? 0;
      for (const m of g) {
        rows.push({
          shopId,
          itemId: m.itemId,
          channelId: scId,
          locationGid: m.locationGid,
          ...ledgerCauseOf(m),
          delta: m.delta,
          before: q,
          after: q + m.delta,
          idempotencyKey: `${m.idempotencyKey}:applied`,
          orderId: m.orderId,
          note: `applied to Shopify (${domain}) available: the sale and its release cancel out, nothing to write`,
        });
        out.applied.set(m.id, { before: q, after: q + m.delta });
        out.items.add(m.itemId);
        q += m.delta;
        ids.push(m.id);
      }
    }
    await tx.shopifyAdjustment.updateMany({
      where: { id: { in: ids }, status: "pending", batchId: null },
      data: { status: "applied", appliedAt: new Date(), inFlightChangeFrom: null },
    });
    await appendLedgerMany(tx, rows);
  });
}
