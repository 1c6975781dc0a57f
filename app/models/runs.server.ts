/**
 * Read-side queries of sync runs (`SyncRun`): one run's progress (bulk actions, reconciliations) and the
 * sync log of the activity page, newest first with a keyset cursor on (startedAt, id). Every query
 * filters on shopId.
 */
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";

/** A run as the UI shows it (JSON-safe). */
export interface RunView {
  id: string;
  kind: string;
  trigger: string;
  dryRun: boolean;
  status: string;
  total: number;
  processed: number;
  changed: number;
  conflicts: number;
  errors: number;
  error: string | null;
  store: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** Items per second over the run (processed / duration), null while running or when 0 s. */
  itemsPerSecond: number | null;
}

const RUN_SELECT = {
  id: true,
  kind: true,
  trigger: true,
  dryRun: true,
  status: true,
  total: true,
  processed: true,
  changed: true,
  conflicts: true,
  errors: true,
  error: true,
  channelId: true,
  startedAt: true,
  finishedAt: true,
  durationMs: true,
} satisfies Prisma.SyncRunSelect;

type RunRow = Prisma.SyncRunGetPayload<{ select: typeof RUN_SELECT }>;

function toView(r: RunRow, names: Map<string, string>): RunView {
  return {
    id: r.id,
    kind: r.kind,
    trigger: r.trigger,
    dryRun: r.dryRun,
    status: r.status,
    total: r.total,
    processed: r.processed,
    changed: r.changed,
    conflicts: r.conflicts,
    errors: r.errors,
    error: r.error,
    store: r.channelId ? (names.get(r.channelId) ?? null) : null,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    durationMs: r.durationMs,
    itemsPerSecond:
      r.durationMs && r.durationMs > 0 ? Math.round((r.processed / (r.durationMs / 1000)) * 10) / 10 : null,
  };
}

async function channelNames(shopId: string): Promise<Map<string, string>> {
  const rows = await prisma.channel.findMany({ where: { shopId }, select: { id: true, name: true } });
  return new Map(rows.map((c) => [c.id, c.name]));
}

/** One run of the shop (null when it does not exist or belongs to another shop). */
export async function getRun(shopId: string, runId: string): Promise<RunView | null> {
  const r = await prisma.syncRun.findFirst({ where: { id: runId, shopId }, select: RUN_SELECT });
  return r ? toView(r, await channelNames(shopId)) : null;
}

/** Filters of the sync log. */
export interface RunFilter {
  kind?: string;
  status?: string;
  store?: string;
  /** ISO date (inclusive, UTC). */
  from?: string;
  to?: string;
}

/** Sync log rows per page. */
export const RUNS_PAGE_SIZE = 50;

/** Parse `?kind=&status=&store=&from=&to=&cursor=` of the sync log. */
export function parseRunParams(url: URL): RunFilter & { cursor?: string } {
  const sp = url.searchParams;
  const date = (v: string | null) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);
  return {
    kind: sp.get("kind") || undefined,
    status: ["running", "succeeded", "failed"].includes(sp.get("status") ?? "") ? sp.get("status")! : undefined,
    store: sp.get("store") || undefined,
    from: date(sp.get("from")),
    to: date(sp.get("to")),
    cursor: sp.get("cursor") || undefined,
  };
}

/** The Prisma filter of the sync log for `shopId` (shared with the CSV export). */
export function runWhere(shopId: string, f: RunFilter): Prisma.SyncRunWhereInput {
  const startedAt: Prisma.DateTimeFilter = {};
  if (f.from) startedAt.gte = new Date(`${f.from}T00:00:00Z`);
  if (f.to) startedAt.lt = new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000);
  return {
    shopId,
    ...(f.kind ? { kind: f.kind } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.store ? { channelId: f.store } : {}),
    ...(f.from || f.to ? { startedAt } : {}),
  };
}

/** A page of the sync log, newest first; `nextCursor` is the last row's id when more exist. */
export async function listRuns(
  shopId: string,
  f: RunFilter & { cursor?: string },
): Promise<{ rows: RunView[]; nextCursor: string | null }> {
  const where = runWhere(shopId, f);
  let cursorWhere: Prisma.SyncRunWhereInput = {};
  if (f.cursor) {
    const c = await prisma.syncRun.findFirst({
      where: { id: f.cursor, shopId },
      select: { startedAt: true, id: true },
    });
    if (c) cursorWhere = { OR: [{ startedAt: { lt: c.startedAt } }, { startedAt: c.startedAt, id: { lt: c.id } }] };
  }
  const [rows, names] = await Promise.all([
    prisma.syncRun.findMany({
      where: { AND: [where, cursorWhere] },
      orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      take: RUNS_PAGE_SIZE + 1,
      select: RUN_SELECT,
    }),
    channelNames(shopId),
  ]);
  const more = rows.length > RUNS_PAGE_SIZE;
  const page = rows.slice(0, RUNS_PAGE_SIZE);
  return { rows: page.map((r) => toView(r, names)), nextCursor: more ? page[page.length - 1]!.id : null };
}
