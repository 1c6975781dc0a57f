/**
 * Read-side queries of the activity page (app/routes/app.activity.tsx): the shop's stock ledger, newest
 * first, keyset-paginated by id (no OFFSET, constant cost per page). Every query filters on shopId.
 */
import type { Prisma } from "@prisma/client";
import prisma from "../db.server";

import { ACTIVITY_PAGE_SIZE, LEDGER_CAUSES } from "../lib/page-constants";

export { ACTIVITY_PAGE_SIZE, LEDGER_CAUSES };

/** One ledger row, JSON-safe (id as string). */
export interface ActivityRow {
  id: string;
  createdAt: string;
  sku: string;
  title: string;
  store: string | null;
  storeKind: string | null;
  locationGid: string | null;
  cause: string;
  delta: number | null;
  before: number | null;
  after: number | null;
  idempotencyKey: string;
  orderId: string | null;
  actor: string;
  note: string | null;
}

/** A page of the activity table; `nextCursor` is the id to pass as `?cursor=` for older rows. */
export interface ActivityPage {
  rows: ActivityRow[];
  nextCursor: string | null;
  cause: string | null;
}

/** Parse `?cause=` (one of {@link LEDGER_CAUSES}, else none) and `?cursor=` (a positive integer id, else none). */
export function parseActivityParams(url: URL): { cause: string | null; cursor: string | null } {
  const cause = url.searchParams.get("cause");
  const cursor = url.searchParams.get("cursor");
  return {
    cause: cause && (LEDGER_CAUSES as readonly string[]).includes(cause) ? cause : null,
    cursor: cursor && /^[1-9]\d{0,18}$/.test(cursor) ? cursor : null,
  };
}

/** The newest ledger rows of `shopId` older than `cursor`, optionally of one `cause`. */
export async function getActivityPage(
  shopId: string,
  opts: { cause?: string | null; cursor?: string | null; pageSize?: number },
): Promise<ActivityPage> {
  const pageSize = opts.pageSize ?? ACTIVITY_PAGE_SIZE;
  const where: Prisma.StockLedgerWhereInput = { shopId };
  if (opts.cause) where.cause = opts.cause;
  if (opts.cursor) where.id = { lt: BigInt(opts.cursor) };
  const rows = await prisma.stockLedger.findMany({
    where,
    orderBy: { id: "desc" },
    take: pageSize + 1,
    include: { item: { select: { sku: true, title: true } }, channel: { select: { name: true, kind: true } } },
  });
  const page = rows.slice(0, pageSize);
  return {
    cause: opts.cause ?? null,
    nextCursor: rows.length > pageSize ? page[page.length - 1]!.id.toString() : null,
    rows: page.map((r) => ({
      id: r.id.toString(),
      createdAt: r.createdAt.toISOString(),
      sku: r.item.sku,
      title: r.item.title,
      store: r.channel?.name ?? null,
      storeKind: r.channel?.kind ?? null,
      locationGid: r.locationGid,
      cause: r.cause,
      delta: r.delta,
      before: r.before,
      after: r.after,
      idempotencyKey: r.idempotencyKey,
      orderId: r.orderId,
      actor: r.actor,
      note: r.note,
    })),
  };
}
