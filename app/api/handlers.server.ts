/**
 * The merchant API's endpoints (docs/decisions/280–283), behind the thin resource routes app/routes/api.v1.*.tsx.
 * Every handler authenticates (app/api/keys.server.ts), validates its query/body with the operation's zod schema
 * (app/api/openapi.ts — the same objects the OpenAPI document is generated from), reads or writes ONLY the key's shop,
 * and answers JSON; failures are ApiErrors (app/api/errors.ts).
 *
 * Stock writes go through the sync engine, never around it (docs/decisions/282):
 * - an adjustment is a ShopifyAdjustment row (key `api:<shop>:<Idempotency-Key>`) applied by the same flush as a sales
 *   channel's sale (app/sync/stock/adjust.server.ts: compare-and-set and `@idempotent` on Shopify, a ledger row with
 *   cause `manual`, pushes to every linked channel); the request applies it inline and answers 200, or 202 when the
 *   `shopify-adjust` job (queued first) must finish it;
 * - a set is Shopify's own compare-and-set (`inventorySetQuantities` with `changeFromQuantity` = expectedQuantity and
 *   `@idempotent` key `api-set:<shop>:<Idempotency-Key>`); a mismatch is 409 with Shopify's current value. The cached
 *   level and the ledger (cause `manual`, actor `api`) follow in one transaction, then every linked channel is pushed.
 */
import { Prisma } from "@prisma/client";
import type { z } from "zod";
import prisma from "../db.server";
import { ApiError, apiJson, errorResponse } from "./errors";
import { ledgerEntry } from "./views";
import { authenticate, type ApiCaller } from "./keys.server";
import { idempotencyKeyOf, runIdempotent, type StoredAnswer } from "./idempotency.server";
import { OPERATIONS, type ApiOperation } from "./openapi";
import { normalizeSku } from "../sync/stores/sku";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { applyAdjustment } from "../sync/stock/adjust.server";
import { recordForShop } from "../sync/stores/stores.server";
import { recordOwnLevels } from "../sync/intake/levels.server";
import { appendLedger } from "../sync/stock/ledger.server";
import { requestPushToStores } from "../sync/stock/push.server";
import { signalStockChanged } from "../notify/stock-watch.server";
import { ChannelError } from "../channels/channel";
import { getDashboard } from "../models/dashboard.server";
import { readBody, PluginApiError } from "../sync/intake/plugin-api.server";
import { BODY_LIMITS } from "../lib/body-limits";
import type { AdjustmentRequest, InventoryQuery, LedgerQuery, OrdersQuery, SetRequest } from "./schemas";

const op = (id: string): ApiOperation => OPERATIONS.find((o) => o.operationId === id)!;

/** zod issues as the API reports them: one `{ path, message }` per problem. */
function issues(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message }));
}

function parseQuery<T extends z.ZodType>(schema: T, url: URL): z.infer<T> {
  const obj: Record<string, string> = {};
  for (const [k, v] of url.searchParams) obj[k] = v;
  const r = schema.safeParse(obj);
  if (!r.success) throw new ApiError(400, "invalid_query", "The query string is not valid.", issues(r.error));
  return r.data;
}

async function parseJsonBody<T extends z.ZodType>(
  schema: T,
  request: Request,
): Promise<{ data: z.infer<T>; raw: string }> {
  let raw: string;
  try {
    raw = await readBody(request, BODY_LIMITS.merchantApi);
  } catch (err) {
    if (err instanceof PluginApiError) throw new ApiError(err.status, err.code, err.message);
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ApiError(400, "invalid_json", "The body is not valid JSON.");
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new ApiError(400, "invalid_body", "The request body is not valid.", issues(r.error));
  return { data: r.data, raw };
}

const encodeCursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
function decodeCursor<T>(c: string | undefined, check: (v: unknown) => v is T): T | null {
  if (c === undefined) return null;
  try {
    const v = JSON.parse(Buffer.from(c, "base64url").toString("utf8"));
    if (check(v)) return v;
  } catch {
    /* below */
  }
  throw new ApiError(400, "invalid_cursor", "The cursor is not one this API gave out; start again without it.");
}

/**
 * Runs an operation: method check, authentication with its scope, then `fn`. Every ApiError becomes its response;
 * anything else is a 500 with no detail (logged).
 */
export async function runOperation(
  operationId: string,
  request: Request,
  fn: (caller: ApiCaller, url: URL) => Promise<Response>,
): Promise<Response> {
  const o = op(operationId);
  try {
    if (request.method.toLowerCase() !== o.method)
      throw new ApiError(405, "method_not_allowed", `Use ${o.method.toUpperCase()} on this path.`, undefined, {
        Allow: o.method.toUpperCase(),
      });
    const caller = await authenticate(request, o.scope);
    return await fn(caller, new URL(request.url));
  } catch (err) {
    if (err instanceof ApiError) return errorResponse(err);
    console.error(`[api] ${operationId} failed:`, err);
    return errorResponse(new ApiError(500, "internal_error", "SyncFlow could not answer; retry in a moment."));
  }
}

// ---- inventory ----

/** GET /inventory: items by id, each with Shopify's levels, pending sales and its linked listings. */
export async function listInventory(caller: ApiCaller, url: URL): Promise<Response> {
  const q = parseQuery(op("listInventory").query! as typeof InventoryQuery, url);
  const after = decodeCursor(q.cursor, (v): v is string => typeof v === "string");
  const shopId = caller.shopId;
  const skuKey = q.sku !== undefined ? normalizeSku(q.sku) : undefined;
  if (skuKey === null) throw new ApiError(400, "invalid_query", "The sku is empty.");
  const rows = await prisma.catalogItem.findMany({
    where: { shopId, ...(skuKey ? { skuKey } : {}), ...(after ? { id: { gt: after } } : {}) },
    orderBy: { id: "asc" },
    take: q.limit + 1,
    select: {
      id: true,
      sku: true,
      title: true,
      tracked: true,
      levels: { select: { locationGid: true, available: true, observedAt: true }, orderBy: { locationGid: "asc" } },
      listings: {
        where: { shopId, matchStatus: "linked", ...(q.channelId ? { channelId: q.channelId } : {}) },
        orderBy: { channelId: "asc" },
        select: {
          id: true,
          channelId: true,
          lastObservedQuantity: true,
          lastWrittenQuantity: true,
          channel: { select: { name: true, kind: true } },
        },
      },
    },
  });
  const page = rows.slice(0, q.limit);
  const ids = page.map((r) => r.id);
  const [pending, locations] = await Promise.all([
    ids.length
      ? prisma.shopifyAdjustment.groupBy({
          by: ["itemId"],
          where: { shopId, itemId: { in: ids }, status: "pending", quantityName: "available" },
          _sum: { delta: true },
        })
      : [],
    prisma.location.findMany({ where: { shopId }, select: { gid: true, name: true } }),
  ]);
  const pendingBy = new Map(pending.map((p) => [p.itemId, p._sum.delta ?? 0]));
  const names = new Map(locations.map((l) => [l.gid, l.name]));
  return apiJson({
    data: page.map((r) => ({
      itemId: r.id,
      sku: r.sku,
      title: r.title,
      tracked: r.tracked,
      record: {
        available: r.levels.reduce((s, l) => s + l.available, 0),
        pendingSales: pendingBy.get(r.id) ?? 0,
        locations: r.levels.map((l) => ({
          locationId: l.locationGid,
          name: names.get(l.locationGid) ?? null,
          available: l.available,
          observedAt: l.observedAt.toISOString(),
        })),
      },
      channels: r.listings.map((l) => ({
        channelId: l.channelId,
        name: l.channel.name,
        kind: l.channel.kind,
        listingId: l.id,
        quantity: l.lastObservedQuantity ?? l.lastWrittenQuantity,
        lastWrittenQuantity: l.lastWrittenQuantity,
        lastObservedQuantity: l.lastObservedQuantity,
      })),
    })),
    nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null,
  });
}

/** The shop's item of `sku` on the record and the location to write (given, or its only level). @throws ApiError 400/404/422 */
async function target(shopId: string, sku: string, locationId: string | undefined) {
  const skuKey = normalizeSku(sku);
  const item = skuKey
    ? await prisma.catalogItem.findFirst({
        where: { shopId, skuKey },
        select: {
          id: true,
          sku: true,
          inventoryItemId: true,
          tracked: true,
          levels: { select: { locationGid: true, available: true } },
        },
      })
    : null;
  if (!item) throw new ApiError(404, "unknown_sku", `No item with SKU "${sku}" in this shop's catalog.`);
  if (!item.inventoryItemId || !item.tracked)
    throw new ApiError(
      422,
      "not_tracked",
      `SKU "${item.sku}" is not a tracked Shopify inventory item; its stock cannot be changed.`,
    );
  let location = locationId;
  if (!location) {
    if (item.levels.length !== 1)
      throw new ApiError(
        400,
        "location_required",
        `SKU "${item.sku}" is stocked at ${item.levels.length} locations: name one in locationId.`,
        [{ path: "locationId", message: "Required for this SKU." }],
      );
    location = item.levels[0]!.locationGid;
  } else if (!item.levels.some((l) => l.locationGid === location))
    throw new ApiError(404, "unknown_location", `SKU "${item.sku}" is not stocked at ${location}.`);
  return { item, location };
}

/** POST /inventory/adjustments (see the module docs). */
export async function adjustInventory(caller: ApiCaller, request: Request): Promise<Response> {
  const key = idempotencyKeyOf(request);
  const { data, raw } = await parseJsonBody(op("adjustInventory").body! as typeof AdjustmentRequest, request);
  return runIdempotent(caller.shopId, caller.keyId, key, `POST /inventory/adjustments\n${canonical(raw)}`, async () => {
    const shopId = caller.shopId;
    const { item, location } = await target(shopId, data.sku, data.locationId);
    const idempotencyKey = `api:${shopId}:${key}`;
    let adj = await prisma.shopifyAdjustment.findUnique({ where: { idempotencyKey } });
    adj ??= await prisma.shopifyAdjustment.create({
      data: { shopId, itemId: item.id, locationGid: location, delta: data.delta, idempotencyKey, reason: "correction" },
    });
    // Queued first, so the change is never lost: the job is a no-op once the inline apply below has applied it.
    await enqueue(QUEUES.shopifyAdjust, { shopId, adjustmentId: adj.id }, { singletonKey: `adjust:${adj.id}` });
    const body = {
      adjustmentId: adj.id,
      sku: item.sku,
      itemId: item.id,
      locationId: location,
      delta: data.delta,
      status: "pending" as "pending" | "applied",
      before: null as number | null,
      after: null as number | null,
    };
    try {
      const res = await applyAdjustment(shopId, adj.id);
      if (res.status === "applied" || res.status === "already_applied") {
        const row = await prisma.stockLedger.findUnique({
          where: { idempotencyKey: `${idempotencyKey}:applied` },
          select: { before: true, after: true },
        });
        if (row) Object.assign(body, { status: "applied", before: row.before, after: row.after });
      }
    } catch (err) {
      console.error(`[api] adjustment ${adj.id} left to its job:`, err instanceof Error ? err.message : err);
    }
    await signalStockChanged(shopId);
    return { status: body.status === "applied" ? 200 : 202, body } satisfies StoredAnswer;
  });
}

/** POST /inventory/sets (see the module docs). */
export async function setInventory(caller: ApiCaller, request: Request): Promise<Response> {
  const key = idempotencyKeyOf(request);
  const { data, raw } = await parseJsonBody(op("setInventory").body! as typeof SetRequest, request);
  return runIdempotent(caller.shopId, caller.keyId, key, `POST /inventory/sets\n${canonical(raw)}`, async () => {
    const shopId = caller.shopId;
    const { item, location } = await target(shopId, data.sku, data.locationId);
    const { adapter } = await recordForShop(shopId);
    const writeKey = `api-set:${shopId}:${key}`;
    const sentAt = new Date();
    let result;
    try {
      [result] = await adapter.setAvailable(
        [
          {
            inventoryItemId: item.inventoryItemId!,
            locationId: location,
            quantity: data.quantity,
            changeFromQuantity: data.expectedQuantity,
          },
        ],
        {
          idempotencyKey: writeKey,
          reason: "correction",
          referenceDocumentUri: `gid://syncflow/ApiRequest/${encodeURIComponent(key)}`,
        },
      );
    } catch (err) {
      if (err instanceof ChannelError && err.code === "STALE") {
        const current = err.opts.current ?? null;
        throw new ApiError(
          409,
          "quantity_mismatch",
          `Shopify's available for "${item.sku}" at ${location} is ${current ?? "not what you expected"}, not ${data.expectedQuantity}: nothing changed. Read it again and resend with the current value (and a new Idempotency-Key).`,
          { currentQuantity: current },
        );
      }
      if (err instanceof ChannelError && !err.retryable)
        throw new ApiError(422, "rejected_by_shopify", `Shopify refused the change: ${err.message}`);
      throw err; // unknown outcome: 500, not stored; the retry resends the same Shopify key (Shopify replays it)
    }
    const before = result!.before ?? data.expectedQuantity;
    const scId =
      (await prisma.channel.findFirst({ where: { shopId, kind: "shopify" }, select: { id: true } }))?.id ?? null;
    await prisma.$transaction(async (tx) => {
      await recordOwnLevels(
        tx,
        shopId,
        [{ itemId: item.id, locationGid: location, available: result!.after, before, key: writeKey }],
        scId,
        sentAt,
      );
      await appendLedger(tx, {
        shopId,
        itemId: item.id,
        channelId: scId,
        locationGid: location,
        cause: "manual",
        delta: result!.after - before,
        before,
        after: result!.after,
        idempotencyKey: writeKey,
        actor: "api",
        note: `set through the merchant API (key ${caller.prefix})${data.note ? `: ${data.note}` : ""}`,
      });
    });
    await requestPushToStores(shopId, [item.id]);
    await signalStockChanged(shopId);
    return {
      status: 200,
      body: { sku: item.sku, itemId: item.id, locationId: location, status: "applied", before, after: result!.after },
    } satisfies StoredAnswer;
  });
}

/** A body's canonical form for the request fingerprint (key order and spacing do not matter). */
function canonical(raw: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  try {
    return JSON.stringify(sort(JSON.parse(raw)));
  } catch {
    return raw;
  }
}

// ---- orders ----

/** GET /orders: newest first (placedAt, id), filters on channel, status, placed time. */
export async function listOrders(caller: ApiCaller, url: URL): Promise<Response> {
  const q = parseQuery(op("listOrders").query! as typeof OrdersQuery, url);
  const after = decodeCursor(
    q.cursor,
    (v): v is [string, string] => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "string"),
  );
  const where: Prisma.OrderWhereInput = {
    shopId: caller.shopId,
    ...(q.channelId ? { channelId: q.channelId } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.placedAtMin || q.placedAtMax
      ? {
          placedAt: {
            ...(q.placedAtMin ? { gte: new Date(q.placedAtMin) } : {}),
            ...(q.placedAtMax ? { lte: new Date(q.placedAtMax) } : {}),
          },
        }
      : {}),
  };
  if (after) {
    const at = new Date(after[0]);
    where.AND = [{ OR: [{ placedAt: { lt: at } }, { placedAt: at, id: { lt: after[1] } }] }];
  }
  const rows = await prisma.order.findMany({
    where,
    orderBy: [{ placedAt: "desc" }, { id: "desc" }],
    take: q.limit + 1,
    include: {
      channel: { select: { name: true } },
      lines: { select: { sku: true, title: true, quantity: true, price: true }, orderBy: { id: "asc" } },
    },
  });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return apiJson({
    data: page.map((o) => ({
      id: o.id,
      channelId: o.channelId,
      channelName: o.channel.name,
      externalId: o.externalId,
      number: o.number,
      status: o.status,
      currency: o.currency,
      totalPrice: o.totalPrice?.toFixed(2) ?? null,
      placedAt: o.placedAt.toISOString(),
      cancelledAt: o.cancelledAt?.toISOString() ?? null,
      importState: o.importState,
      lines: o.lines.map((l) => ({
        sku: l.sku,
        title: l.title,
        quantity: l.quantity,
        price: l.price?.toFixed(2) ?? null,
      })),
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.placedAt.toISOString(), last.id]) : null,
  });
}

// ---- ledger ----

/** GET /ledger: newest first (id), filters on SKU, cause, time. */
export async function listLedger(caller: ApiCaller, url: URL): Promise<Response> {
  const q = parseQuery(op("listLedger").query! as typeof LedgerQuery, url);
  const after = decodeCursor(q.cursor, (v): v is string => typeof v === "string" && /^\d{1,19}$/.test(v));
  const where: Prisma.StockLedgerWhereInput = { shopId: caller.shopId };
  if (q.sku !== undefined) {
    const skuKey = normalizeSku(q.sku);
    where.item = { skuKey: skuKey ?? "" };
  }
  if (q.cause) where.cause = q.cause;
  if (q.since || q.until)
    where.createdAt = {
      ...(q.since ? { gte: new Date(q.since) } : {}),
      ...(q.until ? { lte: new Date(q.until) } : {}),
    };
  if (after) where.id = { lt: BigInt(after) };
  const rows = await prisma.stockLedger.findMany({
    where,
    orderBy: { id: "desc" },
    take: q.limit + 1,
    include: { item: { select: { sku: true } } },
  });
  const page = rows.slice(0, q.limit);
  return apiJson({
    data: page.map(ledgerEntry),
    nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.id.toString()) : null,
  });
}

// ---- channels ----

/** GET /channels: the dashboard's per-channel health (app/models/dashboard.server.ts). */
export async function listChannels(caller: ApiCaller): Promise<Response> {
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: caller.shopId },
    select: { id: true, lowStockThreshold: true, reconcileEveryMin: true, currency: true },
  });
  const dash = await getDashboard(shop);
  return apiJson({
    data: dash.stores.map((s) => ({
      id: s.id,
      kind: s.kind,
      name: s.name,
      status: s.status,
      health: s.health,
      healthReason: s.healthReason,
      mode: s.mode,
      lastSyncAt: s.lastSyncAt,
      lastWebhookAt: s.lastWebhookAt,
      linkedListings: s.linked,
      unmatchedListings: s.unmatched,
      pendingJobs: s.pendingJobs,
      errorRate: s.errorRate,
      failures24h: s.failures24h,
    })),
  });
}
