/**
 * Shopify as the record (`InventoryRecord`, app/channels/record.ts): the inventory reads/writes the sync engine needs.
 * Quantities are units. Writes use `inventoryAdjustQuantities` / `inventorySetQuantities` with
 * `@idempotent(key:)` and `changeFromQuantity` (mandatory from 2026-04), in chunks of ≤ 250.
 * A lost compare-and-swap (userError CHANGE_FROM_QUANTITY_STALE) raises ChannelError("STALE") with `current`.
 * Idempotency: Shopify replays the first result for the same key + same input; a different input under the
 * same key fails (IDEMPOTENCY_KEY_PARAMETER_MISMATCH / IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED), so after STALE
 * the caller must retry with a NEW key. Chunk n>0 of a call uses key `${idempotencyKey}:${n}`.
 */
import { ChannelError, type ChannelListing, type QuantityWriteResult } from "../channel.js";
import {
  RECORD_MAX_BATCH,
  type AdjustChange,
  type InventoryRecord,
  type UnitCost,
  type RecordApp,
  type AppSubscriptionRead,
  type ImportOrderInput,
  type RecordFulfilment,
  type RecordOrderRef,
  type RecordOrders,
  type MoveChange,
  type MoveResult,
  type MoveTerminal,
  type NamedAdjustChange,
  type RecordLocation,
  type SetQuantity,
  type WriteMeta,
} from "../record.js";
import { ShopifyGraphqlClient, type ShopifyClientOptions } from "./client.server.js";
import { Readable } from "node:stream";
import readline from "node:readline";
import {
  BULK_CANCEL_MUTATION,
  BULK_INVENTORY_AVAILABLE_QUERY,
  BULK_OPERATION_QUERY,
  BULK_RUN_QUERY_MUTATION,
  INVENTORY_ADJUST_MUTATION,
  INVENTORY_ITEMS_AVAILABLE_QUERY,
  INVENTORY_ITEMS_UNIT_COST_QUERY,
  INVENTORY_ITEMS_QUANTITIES_QUERY,
  INVENTORY_MOVE_MUTATION,
  INVENTORY_SET_MUTATION,
  LOCATIONS_QUERY,
  SHOP_QUERY,
  VARIANTS_QUERY,
} from "./graphql/index.js";
import { shopifyFetch } from "./transport.server.js";
import { env } from "../../env.server";

/** The cheapest query (1 point): its answer carries the cost bucket. */
const SHOP_ID_QUERY = `#graphql
  query SyncflowPing { shop { id } }`;

/** Shopify caps inventory mutations and connection pages at 250. */
export const SHOPIFY_MAX_BATCH = RECORD_MAX_BATCH;
const MAX_QUERY_COST = 1000;

/** A Shopify location (the record's `RecordLocation`). */
export type ShopifyLocation = RecordLocation;
export type { AdjustChange, SetQuantity, NamedAdjustChange, MoveTerminal, MoveChange, MoveResult, WriteMeta };

interface UserError {
  field: string[] | null;
  message: string;
  code: string | null;
}
interface MutationPayload {
  inventoryAdjustmentGroup: {
    id: string;
    changes: {
      name: string;
      delta: number;
      quantityAfterChange: number | null;
      item: { id: string } | null;
      location: { id: string } | null;
    }[];
  } | null;
  userErrors: UserError[];
}
/** Options of the bulk read (ms). */
export interface BulkReadOptions {
  /** Interval between status polls (default env SYNCFLOW_BULK_POLL_MS or 1000). */
  bulkPollMs?: number;
  /** Give up (cancel, ChannelError TIMEOUT) after this long (default 30 min). */
  bulkTimeoutMs?: number;
}

/** BulkOperation fields read while polling. UnsignedInt64 values arrive as strings. */
interface BulkOperationView {
  id: string;
  status: "CREATED" | "RUNNING" | "COMPLETED" | "CANCELING" | "CANCELED" | "FAILED" | "EXPIRED";
  errorCode: string | null;
  objectCount: string | number;
  url: string | null;
  partialDataUrl: string | null;
}

interface LevelsNode {
  inventoryLevels: { nodes: { location: { id: string }; quantities: { name: string; quantity: number }[] }[] };
}

function chunks<T>(list: T[], size = SHOPIFY_MAX_BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function availableByLocation(item: LevelsNode | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of item?.inventoryLevels.nodes ?? []) {
    const q = n.quantities.find((x) => x.name === "available");
    if (q) out[n.location.id] = q.quantity;
  }
  return out;
}

/** The Shopify channel for one shop, using its offline access token. */
export class ShopifyChannel implements InventoryRecord, RecordApp, RecordOrders {
  readonly kind = "shopify" as const;
  readonly client: ShopifyGraphqlClient;
  private locationsCache: ShopifyLocation[] | null = null;

  constructor(
    readonly opts: { shop: string; accessToken: string } & Omit<ShopifyClientOptions, "shop" | "accessToken"> &
      BulkReadOptions,
  ) {
    this.client = new ShopifyGraphqlClient(opts);
  }

  /** The app subscription `id` (billing.server.ts). */
  async readAppSubscription(id: string): Promise<AppSubscriptionRead | null> {
    const { readAppSubscription } = await import("./billing.server.js");
    return readAppSubscription(this, id);
  }

  /** The cost bucket after one `{ shop { id } }` query (`extensions.cost.throttleStatus`), null when Shopify sent none. */
  async readApiBudget(): Promise<{ maximum: number; available: number; restoreRate: number } | null> {
    const r = await this.client.request<{ shop: { id: string } }>(SHOP_ID_QUERY);
    const t = r.extensions?.cost?.throttleStatus;
    return t ? { maximum: t.maximumAvailable, available: t.currentlyAvailable, restoreRate: t.restoreRate } : null;
  }

  /** One Flow trigger for this shop (flow.server.ts). */
  async sendFlowTrigger(handle: string, payload: Record<string, unknown>): Promise<void> {
    const { sendFlowTrigger } = await import("./flow.server.js");
    return sendFlowTrigger(this, handle, payload);
  }

  /** The order carrying the orders hub's `key` (orders.server.ts). */
  async findOrderByKey(key: string): Promise<RecordOrderRef | null> {
    const { findOrderByKey } = await import("./orders.server.js");
    return findOrderByKey(this, key);
  }

  /** An imported order, created once per key without moving inventory (orders.server.ts, decision 215). */
  async createImportedOrder(input: ImportOrderInput): Promise<{ order: RecordOrderRef; created: boolean }> {
    const { createImportedOrder } = await import("./orders.server.js");
    return createImportedOrder(this, input);
  }

  /** Cancels an imported order without restock or refund; false when already cancelled (orders.server.ts). */
  async cancelImportedOrder(
    orderId: string,
    opts: { notifyCustomer: boolean; staffNote: string | null },
  ): Promise<boolean> {
    const { cancelImportedOrder } = await import("./orders.server.js");
    return cancelImportedOrder(this, orderId, opts);
  }

  /** An order's fulfilments with tracking (orders.server.ts). */
  async readFulfilments(orderId: string): Promise<{ order: RecordOrderRef; fulfilments: RecordFulfilment[] } | null> {
    const { readFulfilments } = await import("./orders.server.js");
    return readFulfilments(this, orderId);
  }

  /** Shop name/currency; ChannelError AUTH when the token is rejected. */
  async verifyConnection(): Promise<{ name: string; currency?: string | null }> {
    const r = await this.client.request<{ shop: { name: string; currencyCode: string } }>(SHOP_QUERY);
    return { name: r.data.shop.name, currency: r.data.shop.currencyCode };
  }

  /** All active locations (paged by 250). */
  async listLocations(): Promise<ShopifyLocation[]> {
    const out: ShopifyLocation[] = [];
    let after: string | null = null;
    do {
      const r: {
        data: { locations: { nodes: ShopifyLocation[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      } = await this.client.request(LOCATIONS_QUERY, { first: SHOPIFY_MAX_BATCH, after });
      out.push(...r.data.locations.nodes);
      after = r.data.locations.pageInfo.hasNextPage ? r.data.locations.pageInfo.endCursor : null;
    } while (after);
    this.locationsCache = out;
    return out;
  }

  /** How many inventory levels to ask for per item (number of locations, ≥ 1, ≤ 250). */
  private async levelsPerItem(): Promise<number> {
    const locs = this.locationsCache ?? (await this.listLocations());
    return Math.max(1, Math.min(SHOPIFY_MAX_BATCH, locs.length));
  }

  /**
   * Every variant as a ChannelListing, a page at a time. Page size is ≤ 250 and sized so the query's
   * requested cost stays ≤ 1000 points: cost ≈ 2 + first × (5 + 3 × levels).
   * `quantity` = available summed over all locations; null when not tracked.
   */
  async *listListings(opts: { query?: string } = {}): AsyncGenerator<ChannelListing[]> {
    const levels = await this.levelsPerItem();
    const first = Math.max(1, Math.min(SHOPIFY_MAX_BATCH, Math.floor((MAX_QUERY_COST - 2) / (5 + 3 * levels))));
    let after: string | null = null;
    type Node = {
      id: string;
      sku: string | null;
      title: string;
      displayName: string;
      price: string;
      updatedAt: string;
      product: { id: string; title: string };
      inventoryItem: ({ id: string; tracked: boolean } & LevelsNode) | null;
    };
    do {
      const r: {
        data: { productVariants: { nodes: Node[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      } = await this.client.request(VARIANTS_QUERY, { first, after, levels, query: opts.query ?? null });
      const page = r.data.productVariants.nodes.map((v): ChannelListing => {
        const byLoc = availableByLocation(v.inventoryItem);
        const tracked = v.inventoryItem?.tracked ?? false;
        return {
          externalId: v.id,
          productId: v.product.id,
          variantId: v.id,
          inventoryItemId: v.inventoryItem?.id ?? null,
          sku: v.sku && v.sku.length ? v.sku : null,
          title: v.displayName,
          productType: "variant",
          manageStock: tracked,
          quantity: tracked ? Object.values(byLoc).reduce((s, q) => s + q, 0) : null,
          quantitiesByLocation: byLoc,
          price: v.price,
          modifiedAt: v.updatedAt,
        };
      });
      if (page.length) yield page;
      after = r.data.productVariants.pageInfo.hasNextPage ? r.data.productVariants.pageInfo.endCursor : null;
    } while (after);
  }

  /**
   * Available (units) for each inventory item at each asked location. Items/locations Shopify does not stock
   * are absent from the inner map. Chunked at 250 ids per `nodes` call (and sized to the cost limit).
   */
  async readAvailable(inventoryItemIds: string[], locationIds: string[]): Promise<Map<string, Map<string, number>>> {
    const out = new Map<string, Map<string, number>>();
    const levels = await this.levelsPerItem();
    const per = Math.max(1, Math.min(SHOPIFY_MAX_BATCH, Math.floor(MAX_QUERY_COST / (3 + 3 * levels))));
    const wanted = new Set(locationIds);
    for (const ids of chunks([...new Set(inventoryItemIds)], per)) {
      const r = await this.client.request<{ nodes: (({ id: string } & LevelsNode) | null)[] }>(
        INVENTORY_ITEMS_AVAILABLE_QUERY,
        { ids, levels },
      );
      for (const node of r.data.nodes) {
        if (!node || !node.id) continue;
        const m = new Map<string, number>();
        for (const [loc, q] of Object.entries(availableByLocation(node)))
          if (wanted.size === 0 || wanted.has(loc)) m.set(loc, q);
        out.set(node.id, m);
      }
    }
    return out;
  }

  /**
   * `InventoryItem.unitCost` of each item (https://shopify.dev/docs/api/admin-graphql/2026-10/objects/InventoryItem):
   * the current cost only — Shopify keeps no history. 250 ids per `nodes` call.
   * @returns inventory item GID → { amount, currency } or null (no cost set); unknown ids are absent
   */
  async readUnitCosts(inventoryItemIds: string[]): Promise<Map<string, UnitCost | null>> {
    const out = new Map<string, UnitCost | null>();
    for (const ids of chunks([...new Set(inventoryItemIds)], SHOPIFY_MAX_BATCH)) {
      const r = await this.client.request<{
        nodes: ({ id?: string; unitCost?: { amount: string; currencyCode: string } | null } | null)[];
      }>(INVENTORY_ITEMS_UNIT_COST_QUERY, { ids });
      for (const node of r.data.nodes) {
        if (!node?.id) continue;
        out.set(
          node.id,
          node.unitCost ? { amount: String(node.unitCost.amount), currency: node.unitCost.currencyCode } : null,
        );
      }
    }
    return out;
  }

  /**
   * Shopify's available (units) for EVERY inventory item at `locationIds` (empty = every location) — and, into
   * `opts.safetyStock` when given, each level's `safety_stock` from the same read — with one bulk operation instead of
   * cost-throttled pages: `bulkOperationRunQuery` (10 points) → poll
   * `bulkOperation(id:)` every `bulkPollMs` (1 point each) → stream the JSONL from `url`.
   * Items without a level at the asked locations map to an empty inner map (as `readAvailable` does).
   * @returns inventoryItem GID → location GID → available
   * @throws ChannelError THROTTLED (retryable) when the shop's bulk query slots are taken, SERVER when the
   *   operation fails/expires/is cancelled, TIMEOUT after `bulkTimeoutMs`, BAD_REQUEST on userErrors.
   */
  async readAllAvailableBulk(
    locationIds: string[],
    opts: { safetyStock?: Map<string, Map<string, number>> } = {},
  ): Promise<Map<string, Map<string, number>>> {
    const op = await this.runBulkQuery(BULK_INVENTORY_AVAILABLE_QUERY);
    const out = new Map<string, Map<string, number>>();
    if (!op.url) return out; // no objects at all
    const wanted = new Set(locationIds);
    for await (const row of this.bulkRows(op.url)) {
      const parent = row.__parentId as string | undefined;
      if (parent === undefined) {
        if (typeof row.id === "string" && !out.has(row.id)) out.set(row.id, new Map());
        continue;
      }
      const loc = (row.location as { id?: string } | undefined)?.id;
      const qs = row.quantities as { name: string; quantity: number }[] | undefined;
      const q = qs?.find((x) => x.name === "available");
      if (!loc || !q || (wanted.size > 0 && !wanted.has(loc))) continue;
      let m = out.get(parent);
      if (!m) out.set(parent, (m = new Map()));
      m.set(loc, q.quantity);
      // The same read's safety_stock (allocations, docs/decisions/008), for callers that ask for it.
      if (opts.safetyStock) {
        const ss = qs?.find((x) => x.name === "safety_stock")?.quantity ?? 0;
        let sm = opts.safetyStock.get(parent);
        if (!sm) opts.safetyStock.set(parent, (sm = new Map()));
        sm.set(loc, ss);
      }
    }
    return out;
  }

  /** Starts a bulk query and waits until it is COMPLETED; returns the final operation. */
  private async runBulkQuery(query: string): Promise<BulkOperationView> {
    type Run = {
      bulkOperationRunQuery: { bulkOperation: { id: string; status: string } | null; userErrors: UserError[] } | null;
    };
    const started = await this.client.request<Run>(BULK_RUN_QUERY_MUTATION, { query });
    const payload = started.data.bulkOperationRunQuery;
    const errs = payload?.userErrors ?? [];
    if (errs.length || !payload?.bulkOperation) {
      const busy = errs.some((e) => e.code === "OPERATION_IN_PROGRESS" || e.code === "LIMIT_REACHED");
      const msg = errs.map((e) => `${e.code ?? "ERROR"}: ${e.message}`).join("; ") || "no bulk operation returned";
      throw new ChannelError(
        busy ? "THROTTLED" : "BAD_REQUEST",
        `Shopify bulk query refused: ${msg}`,
        busy ? { retryAfterMs: 10_000 } : { retryable: false },
      );
    }
    const id = payload.bulkOperation.id;
    const pollMs = this.opts.bulkPollMs ?? env.SYNCFLOW_BULK_POLL_MS;
    const deadline = Date.now() + (this.opts.bulkTimeoutMs ?? 30 * 60_000);
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    for (;;) {
      const r = await this.client.request<{ bulkOperation: BulkOperationView | null }>(BULK_OPERATION_QUERY, { id });
      const op = r.data.bulkOperation;
      if (!op) throw new ChannelError("NOT_FOUND", `Shopify bulk operation ${id} vanished`);
      if (op.status === "COMPLETED") return op;
      if (op.status === "FAILED" || op.status === "CANCELED" || op.status === "CANCELING" || op.status === "EXPIRED") {
        throw new ChannelError(
          "SERVER",
          `Shopify bulk operation ${id} ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ""}`,
        );
      }
      if (Date.now() > deadline) {
        await this.client.request(BULK_CANCEL_MUTATION, { id }).catch(() => undefined);
        throw new ChannelError(
          "TIMEOUT",
          `Shopify bulk operation ${id} still ${op.status} after ${this.opts.bulkTimeoutMs ?? 1_800_000} ms (cancelled)`,
        );
      }
      await sleep(pollMs);
    }
  }

  /** Streams a bulk result's JSONL rows (one object per line). */
  private async *bulkRows(url: string): AsyncGenerator<Record<string, unknown>> {
    const f = this.opts.fetchImpl ?? shopifyFetch;
    let res: Response;
    try {
      res = await f(url, { signal: AbortSignal.timeout(this.opts.bulkTimeoutMs ?? 30 * 60_000) });
    } catch (e) {
      throw new ChannelError("NETWORK", `Shopify bulk result download failed: ${(e as Error).message}`, { cause: e });
    }
    if (!res.ok || !res.body)
      throw new ChannelError(
        res.status >= 500 ? "SERVER" : "NOT_FOUND",
        `Shopify bulk result download: HTTP ${res.status}`,
        { status: res.status },
      );
    const lines = readline.createInterface({ input: Readable.fromWeb(res.body as never), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      yield JSON.parse(line) as Record<string, unknown>;
    }
  }

  /**
   * Relative change of `available` via inventoryAdjustQuantities. Returns per change {before, after}
   * (after = quantityAfterChange; before = after − delta). Throws ChannelError STALE (with `current` read back
   * for the first stale change), BAD_REQUEST for other userErrors.
   */
  async adjustAvailable(changes: AdjustChange[], meta: WriteMeta): Promise<QuantityWriteResult[]> {
    const results: QuantityWriteResult[] = [];
    const parts = chunks(changes);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const input = {
        name: "available",
        reason: meta.reason,
        referenceDocumentUri: meta.referenceDocumentUri,
        changes: part.map((c) => ({
          inventoryItemId: c.inventoryItemId,
          locationId: c.locationId,
          delta: c.delta,
          changeFromQuantity: c.changeFromQuantity,
        })),
      };
      const r = await this.client.request<{ inventoryAdjustQuantities: MutationPayload | null }>(
        INVENTORY_ADJUST_MUTATION,
        { input, key: i === 0 ? meta.idempotencyKey : `${meta.idempotencyKey}:${i}` },
      );
      const payload = await this.checkPayload(r.data.inventoryAdjustQuantities, part, "changes");
      for (const c of part) {
        const ch = payload.inventoryAdjustmentGroup?.changes.find(
          (x) => x.name === "available" && x.item?.id === c.inventoryItemId && x.location?.id === c.locationId,
        );
        if (ch && ch.quantityAfterChange !== null)
          results.push({ before: ch.quantityAfterChange - ch.delta, after: ch.quantityAfterChange });
        else results.push({ before: c.changeFromQuantity, after: (c.changeFromQuantity ?? 0) + c.delta });
      }
    }
    return results;
  }

  /**
   * Absolute compare-and-set of `available` via inventorySetQuantities. Returns per quantity {before, after}.
   * Throws ChannelError STALE (with `current`) when a changeFromQuantity no longer matches; nothing is applied.
   */
  async setAvailable(quantities: SetQuantity[], meta: WriteMeta): Promise<QuantityWriteResult[]> {
    const results: QuantityWriteResult[] = [];
    const parts = chunks(quantities);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const input = {
        name: "available",
        reason: meta.reason,
        referenceDocumentUri: meta.referenceDocumentUri,
        quantities: part.map((q) => ({
          inventoryItemId: q.inventoryItemId,
          locationId: q.locationId,
          quantity: q.quantity,
          changeFromQuantity: q.changeFromQuantity,
        })),
      };
      const r = await this.client.request<{ inventorySetQuantities: MutationPayload | null }>(INVENTORY_SET_MUTATION, {
        input,
        key: i === 0 ? meta.idempotencyKey : `${meta.idempotencyKey}:${i}`,
      });
      const payload = await this.checkPayload(r.data.inventorySetQuantities, part, "quantities");
      for (const q of part) {
        const ch = payload.inventoryAdjustmentGroup?.changes.find(
          (x) => x.name === "available" && x.item?.id === q.inventoryItemId && x.location?.id === q.locationId,
        );
        if (ch && ch.quantityAfterChange !== null)
          results.push({ before: ch.quantityAfterChange - ch.delta, after: ch.quantityAfterChange });
        else results.push({ before: q.changeFromQuantity ?? q.quantity, after: q.quantity }); // no change reported: already at quantity
      }
    }
    return results;
  }

  /**
   * Named quantities (units) per inventory item and location, e.g. `["available", "safety_stock"]`.
   * @returns inventoryItem GID → location GID → name → quantity (names Shopify did not return are 0)
   */
  async readQuantities(
    inventoryItemIds: string[],
    locationIds: string[],
    names: string[],
  ): Promise<Map<string, Map<string, Record<string, number>>>> {
    const out = new Map<string, Map<string, Record<string, number>>>();
    const levels = await this.levelsPerItem();
    const per = Math.max(1, Math.min(SHOPIFY_MAX_BATCH, Math.floor(MAX_QUERY_COST / (3 + 3 * levels))));
    const wanted = new Set(locationIds);
    for (const ids of chunks([...new Set(inventoryItemIds)], per)) {
      const r = await this.client.request<{ nodes: (({ id: string } & LevelsNode) | null)[] }>(
        INVENTORY_ITEMS_QUANTITIES_QUERY,
        { ids, levels, names },
      );
      for (const node of r.data.nodes) {
        if (!node || !node.id) continue;
        const m = new Map<string, Record<string, number>>();
        for (const n of node.inventoryLevels.nodes) {
          if (wanted.size && !wanted.has(n.location.id)) continue;
          const q: Record<string, number> = Object.fromEntries(names.map((x) => [x, 0]));
          for (const x of n.quantities) q[x.name] = x.quantity;
          m.set(n.location.id, q);
        }
        out.set(node.id, m);
      }
    }
    return out;
  }

  /**
   * Relative change of a named quantity (e.g. `safety_stock`) via inventoryAdjustQuantities, compare-and-set on
   * that name. Every change of one call must carry the same `ledgerDocumentUri` (Shopify's rule), required
   * for names other than `available`. Returns per change {before, after} of that name.
   * @throws ChannelError STALE (current: null) when a changeFromQuantity no longer matches; BAD_REQUEST otherwise
   */
  async adjustQuantities(name: string, changes: NamedAdjustChange[], meta: WriteMeta): Promise<QuantityWriteResult[]> {
    if (name === "available") return this.adjustAvailable(changes, meta);
    const results: QuantityWriteResult[] = [];
    const parts = chunks(changes);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const input = {
        name,
        reason: meta.reason,
        referenceDocumentUri: meta.referenceDocumentUri,
        changes: part.map((c) => ({
          inventoryItemId: c.inventoryItemId,
          locationId: c.locationId,
          delta: c.delta,
          changeFromQuantity: c.changeFromQuantity,
          ledgerDocumentUri: c.ledgerDocumentUri,
        })),
      };
      const r = await this.client.request<{ inventoryAdjustQuantities: MutationPayload | null }>(
        INVENTORY_ADJUST_MUTATION,
        { input, key: i === 0 ? meta.idempotencyKey : `${meta.idempotencyKey}:${i}` },
      );
      const payload = this.checkNamedPayload(r.data.inventoryAdjustQuantities, "adjust");
      for (const c of part) {
        const ch = payload.inventoryAdjustmentGroup?.changes.find(
          (x) => x.name === name && x.item?.id === c.inventoryItemId && x.location?.id === c.locationId,
        );
        if (ch && ch.quantityAfterChange !== null)
          results.push({ before: ch.quantityAfterChange - ch.delta, after: ch.quantityAfterChange });
        else results.push({ before: c.changeFromQuantity, after: (c.changeFromQuantity ?? 0) + c.delta });
      }
    }
    return results;
  }

  /**
   * ONE `inventoryAdjustQuantities` call of ≤ 250 changes of quantity `name` (`available`, or a named quantity such as
   * `safety_stock` whose changes must all carry the same `ledgerDocumentUri`), compare-and-set per change, under
   * `@idempotent(key: meta.idempotencyKey)` — the key covers the whole call, so a resend after an unknown outcome must
   * carry exactly these changes (docs/decisions/102). Nothing is read back: the caller chose every changeFromQuantity.
   * @returns per change (input order) {before, after} of `name`
   * @throws ChannelError STALE (nothing applied) with `cause.staleIndexes` = the changes whose changeFromQuantity no
   *   longer matched; BAD_REQUEST for other userErrors (`cause.userErrors`); transport errors as `request` raises them
   */
  async adjustQuantitiesCall(
    name: string,
    changes: NamedAdjustChange[],
    meta: WriteMeta,
  ): Promise<QuantityWriteResult[]> {
    if (!changes.length) return [];
    if (changes.length > SHOPIFY_MAX_BATCH)
      throw new ChannelError("BAD_REQUEST", `at most ${SHOPIFY_MAX_BATCH} changes per call`, { retryable: false });
    const input = {
      name,
      reason: meta.reason,
      referenceDocumentUri: meta.referenceDocumentUri,
      changes: changes.map((c) => ({
        inventoryItemId: c.inventoryItemId,
        locationId: c.locationId,
        delta: c.delta,
        changeFromQuantity: c.changeFromQuantity,
        ...(name === "available" ? {} : { ledgerDocumentUri: c.ledgerDocumentUri }),
      })),
    };
    const r = await this.client.request<{ inventoryAdjustQuantities: MutationPayload | null }>(
      INVENTORY_ADJUST_MUTATION,
      { input, key: meta.idempotencyKey },
    );
    const payload = r.data.inventoryAdjustQuantities;
    if (!payload)
      throw new ChannelError("BAD_REQUEST", "Shopify returned no payload for the inventory adjustment", {
        retryable: false,
      });
    if (payload.userErrors.length) {
      const stale = payload.userErrors.filter((e) => e.code === "CHANGE_FROM_QUANTITY_STALE");
      const msg = payload.userErrors
        .map((e) => `${e.code ?? "ERROR"}: ${e.message}${e.field ? ` [${e.field.join(".")}]` : ""}`)
        .join("; ");
      if (stale.length) {
        const staleIndexes = stale.map((e) => Number(e.field?.[2])).filter((i) => Number.isInteger(i));
        throw new ChannelError(
          "STALE",
          `Shopify compare-and-swap lost on ${stale.length} of ${changes.length} changes: ${msg.slice(0, 300)}`,
          { current: null, retryable: false, cause: { staleIndexes } },
        );
      }
      throw new ChannelError("BAD_REQUEST", `Shopify rejected the inventory adjustment: ${msg.slice(0, 1000)}`, {
        retryable: false,
        cause: { userErrors: payload.userErrors },
      });
    }
    return changes.map((c) => {
      const ch = payload.inventoryAdjustmentGroup?.changes.find(
        (x) => x.name === name && x.item?.id === c.inventoryItemId && x.location?.id === c.locationId,
      );
      return ch && ch.quantityAfterChange !== null
        ? { before: ch.quantityAfterChange - ch.delta, after: ch.quantityAfterChange }
        : { before: c.changeFromQuantity, after: (c.changeFromQuantity ?? 0) + c.delta };
    });
  }

  /**
   * Moves quantities between names at one location via inventoryMoveQuantities (one call, ≤ 250 changes),
   * compare-and-set on both terminals, `@idempotent(key:)`. `referenceDocumentUri` is required by Shopify here.
   * @returns each change's terminal quantities after the move
   * @throws ChannelError STALE (current: null) when a terminal's changeFromQuantity no longer matches (nothing
   *   moved; retry with a NEW key), BAD_REQUEST for other userErrors
   */
  async moveQuantities(changes: MoveChange[], meta: WriteMeta): Promise<MoveResult[]> {
    if (changes.length > SHOPIFY_MAX_BATCH)
      throw new ChannelError("BAD_REQUEST", `at most ${SHOPIFY_MAX_BATCH} moves per call`, { retryable: false });
    const input = {
      reason: meta.reason,
      referenceDocumentUri: meta.referenceDocumentUri,
      changes: changes.map((c) => ({
        inventoryItemId: c.inventoryItemId,
        quantity: c.quantity,
        from: {
          name: c.from.name,
          locationId: c.locationId,
          changeFromQuantity: c.from.changeFromQuantity,
          ledgerDocumentUri: c.from.ledgerDocumentUri,
        },
        to: {
          name: c.to.name,
          locationId: c.locationId,
          changeFromQuantity: c.to.changeFromQuantity,
          ledgerDocumentUri: c.to.ledgerDocumentUri,
        },
      })),
    };
    const r = await this.client.request<{ inventoryMoveQuantities: MutationPayload | null }>(INVENTORY_MOVE_MUTATION, {
      input,
      key: meta.idempotencyKey,
    });
    const payload = this.checkNamedPayload(r.data.inventoryMoveQuantities, "move");
    return changes.map((c) => {
      const find = (name: string) =>
        payload.inventoryAdjustmentGroup?.changes.find(
          (x) => x.name === name && x.item?.id === c.inventoryItemId && x.location?.id === c.locationId,
        );
      const f = find(c.from.name);
      const t = find(c.to.name);
      return {
        fromAfter: f?.quantityAfterChange ?? (c.from.changeFromQuantity ?? 0) - c.quantity,
        toAfter: t?.quantityAfterChange ?? (c.to.changeFromQuantity ?? 0) + c.quantity,
      };
    });
  }

  private checkNamedPayload(payload: MutationPayload | null, what: string): MutationPayload {
    if (!payload)
      throw new ChannelError("BAD_REQUEST", `Shopify returned no payload for the inventory ${what}`, {
        retryable: false,
      });
    if (!payload.userErrors.length) return payload;
    const stale = payload.userErrors.find((e) => e.code === "CHANGE_FROM_QUANTITY_STALE");
    if (stale)
      throw new ChannelError(
        "STALE",
        `Shopify compare-and-swap lost (${what}): ${stale.message} [${stale.field?.join(".") ?? ""}]`,
        { current: null, retryable: false },
      );
    const msg = payload.userErrors
      .map((e) => `${e.code ?? "ERROR"}: ${e.message}${e.field ? ` [${e.field.join(".")}]` : ""}`)
      .join("; ");
    throw new ChannelError("BAD_REQUEST", `Shopify rejected the inventory ${what}: ${msg}`, { retryable: false });
  }

  private async checkPayload(
    payload: MutationPayload | null,
    part: { inventoryItemId: string; locationId: string }[],
    listField: string,
  ): Promise<MutationPayload> {
    if (!payload)
      throw new ChannelError("BAD_REQUEST", "Shopify returned no payload for the inventory mutation", {
        retryable: false,
      });
    if (!payload.userErrors.length) return payload;
    const stale = payload.userErrors.find((e) => e.code === "CHANGE_FROM_QUANTITY_STALE");
    if (stale) {
      const idx = Number(stale.field?.[2] ?? (stale.field?.[0] === listField ? stale.field?.[1] : NaN));
      const target = Number.isInteger(idx) ? part[idx] : undefined;
      let current: number | null = null;
      if (target) {
        try {
          current =
            (await this.readAvailable([target.inventoryItemId], [target.locationId]))
              .get(target.inventoryItemId)
              ?.get(target.locationId) ?? null;
        } catch {
          current = null;
        }
      }
      throw new ChannelError(
        "STALE",
        `Shopify compare-and-swap lost: ${stale.message}${target ? ` (${target.inventoryItemId} @ ${target.locationId})` : ""}`,
        { current, retryable: false },
      );
    }
    const msg = payload.userErrors
      .map((e) => `${e.code ?? "ERROR"}: ${e.message}${e.field ? ` [${e.field.join(".")}]` : ""}`)
      .join("; ");
    throw new ChannelError("BAD_REQUEST", `Shopify rejected the inventory write: ${msg}`, { retryable: false });
  }
}
