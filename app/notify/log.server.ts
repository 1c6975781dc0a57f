/**
 * Read side of the notification record (app/routes/app.notifications.tsx): newest first, keyset paged by
 * (createdAt, id), optionally filtered by status. Every query filters on shopId.
 */
import prisma from "../db.server";

import { NOTIFICATION_STATUSES } from "./kinds";

export { NOTIFICATION_STATUSES };

/** One row of the record, JSON-safe. */
export interface NotificationRow {
  id: string;
  createdAt: string;
  kind: string;
  channel: string;
  recipient: string;
  status: string;
  reason: string | null;
  subject: string | null;
  providerStatus: string | null;
  attempts: number;
  error: string | null;
  digestId: string | null;
}

/** A page of the record; `nextCursor` is passed back as `?cursor=`. */
export async function getNotificationPage(
  shopId: string,
  opts: { status?: string | null; cursor?: string | null; pageSize?: number },
): Promise<{ rows: NotificationRow[]; nextCursor: string | null }> {
  const size = opts.pageSize ?? 50;
  const status = opts.status && (NOTIFICATION_STATUSES as readonly string[]).includes(opts.status) ? opts.status : null;
  const cursor = opts.cursor
    ? await prisma.notification.findFirst({ where: { id: opts.cursor, shopId }, select: { id: true, createdAt: true } })
    : null;
  const rows = await prisma.notification.findMany({
    where: {
      shopId,
      ...(status ? { status } : {}),
      ...(cursor
        ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: size + 1,
  });
  const page = rows.slice(0, size);
  return {
    nextCursor: rows.length > size ? page[page.length - 1]!.id : null,
    rows: page.map((r) => ({
      id: r.id,
      createdAt: r.createdAt.toISOString(),
      kind: r.kind,
      channel: r.channel,
      recipient: r.recipient,
      status: r.status,
      reason: r.reason,
      subject: r.subject,
      providerStatus: r.providerStatus,
      attempts: r.attempts,
      error: r.error,
      digestId: r.digestId,
    })),
  };
}
