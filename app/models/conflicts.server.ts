/**
 * Read side of the conflicts page (app/routes/app.conflicts.tsx): open conflicts with the three values
 * side by side (record, expected, store) and the item's recent ledger at that store for context; resolved
 * and dismissed conflicts as history. Resolving goes through the sync layer's `resolveConflict`
 * (app/sync/reconcile/conflicts.server.ts). Every query filters on shopId.
 */
import prisma from "../db.server";
import { CONFLICTS_PAGE_SIZE } from "../lib/page-constants";

/** Ledger rows of context per open conflict. */
export const CONFLICT_CONTEXT_ROWS = 5;

/** One conflict as the page shows it (JSON-safe). */
export interface ConflictView {
  id: string;
  kind: string;
  status: string;
  itemId: string;
  sku: string;
  title: string;
  store: string;
  storeMode: string;
  recordQuantity: number | null;
  expectedQuantity: number | null;
  storeQuantity: number | null;
  detail: unknown;
  createdAt: string;
  resolution: string | null;
  resolvedQuantity: number | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  context: {
    id: string;
    createdAt: string;
    cause: string;
    delta: number | null;
    before: number | null;
    after: number | null;
    actor: string;
    note: string | null;
  }[];
}

/** Open conflicts (oldest first, with ledger context) or history (newest first), one page. */
export async function listConflicts(shopId: string, opts: { view: "open" | "history"; page?: number }) {
  const where =
    opts.view === "open" ? { shopId, status: "open" } : { shopId, status: { in: ["resolved", "dismissed"] } };
  const [total, openCount] = await Promise.all([
    prisma.conflict.count({ where }),
    prisma.conflict.count({ where: { shopId, status: "open" } }),
  ]);
  const pageCount = Math.max(1, Math.ceil(total / CONFLICTS_PAGE_SIZE));
  const page = Math.min(Math.max(1, opts.page ?? 1), pageCount);
  const rows = await prisma.conflict.findMany({
    where,
    orderBy: opts.view === "open" ? [{ createdAt: "asc" }, { id: "asc" }] : [{ resolvedAt: "desc" }, { id: "desc" }],
    skip: (page - 1) * CONFLICTS_PAGE_SIZE,
    take: CONFLICTS_PAGE_SIZE,
  });
  const itemIds = [...new Set(rows.map((r) => r.itemId))];
  const [items, channels, ledger] = await Promise.all([
    prisma.catalogItem.findMany({
      where: { shopId, id: { in: itemIds } },
      select: { id: true, sku: true, title: true },
    }),
    prisma.channel.findMany({ where: { shopId }, select: { id: true, name: true, mode: true } }),
    opts.view === "open" && itemIds.length
      ? prisma.stockLedger.findMany({
          where: { shopId, itemId: { in: itemIds } },
          orderBy: { id: "desc" },
          take: 50 * CONFLICT_CONTEXT_ROWS,
        })
      : Promise.resolve([]),
  ]);
  const itemBy = new Map(items.map((i) => [i.id, i]));
  const chBy = new Map(channels.map((c) => [c.id, c]));
  const conflicts: ConflictView[] = rows.map((c) => ({
    id: c.id,
    kind: c.kind,
    status: c.status,
    itemId: c.itemId,
    sku: itemBy.get(c.itemId)?.sku ?? "—",
    title: itemBy.get(c.itemId)?.title ?? "",
    store: chBy.get(c.channelId)?.name ?? "—",
    storeMode: chBy.get(c.channelId)?.mode ?? "",
    recordQuantity: c.recordQuantity,
    expectedQuantity: c.expectedQuantity,
    storeQuantity: c.storeQuantity,
    detail: c.detail,
    createdAt: c.createdAt.toISOString(),
    resolution: c.resolution,
    resolvedQuantity: c.resolvedQuantity,
    resolvedBy: c.resolvedBy,
    resolvedAt: c.resolvedAt?.toISOString() ?? null,
    context: ledger
      .filter(
        (l) =>
          l.itemId === c.itemId &&
          (l.channelId === c.channelId || l.channelId === null || chBy.get(l.channelId)?.mode === undefined),
      )
      .slice(0, CONFLICT_CONTEXT_ROWS)
      .map((l) => ({
        id: l.id.toString(),
        createdAt: l.createdAt.toISOString(),
        cause: l.cause,
        delta: l.delta,
        before: l.before,
        after: l.after,
        actor: l.actor,
        note: l.note,
      })),
  }));
  return { conflicts, total, openCount, page, pageCount };
}
