import 'server-only';
import { and, count, desc, eq, isNull, lt, min } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { notifications, orders, outbox } from '@/db/schema';
import type { Actor } from '../eventstore';
import { AppError } from '../http/errors';

export type NotificationView = {
  id: string;
  kind: string;
  userId: string;
  orderId: string | null;
  recipient: string;
  subject: string;
  textBody: string;
  channel: 'smtp' | 'stored';
  status: 'sent' | 'stored' | 'failed';
  createdAt: string;
};

const view = (r: typeof notifications.$inferSelect): NotificationView => ({
  id: r.id,
  kind: r.kind,
  userId: r.userId,
  orderId: r.orderId,
  recipient: r.recipient,
  subject: r.subject,
  textBody: r.textBody,
  channel: r.channel,
  status: r.status,
  createdAt: r.createdAt.toISOString(),
});

/** Admins: every notification, newest first, in pages of `limit` before the `before` time. */
export async function listNotifications(actor: Actor, opts: { limit?: number; before?: Date } = {}): Promise<NotificationView[]> {
  if (actor.role !== 'admin') throw new AppError(403, 'forbidden', 'Only admins can list notifications.');
  const rows = await getDb()
    .select()
    .from(notifications)
    .where(opts.before ? lt(notifications.createdAt, opts.before) : undefined)
    .orderBy(desc(notifications.createdAt))
    .limit(Math.min(opts.limit ?? 50, 200));
  return rows.map(view);
}

/** The messages about one order: its shopper, or an admin. */
export async function notificationsForOrder(actor: Actor, orderId: string): Promise<NotificationView[]> {
  const db = getDb();
  if (actor.role !== 'admin') {
    const [own] = await db.select({ id: orders.orderId }).from(orders).where(and(eq(orders.orderId, orderId), eq(orders.userId, actor.userId)));
    if (!own) return [];
  }
  const rows = await db.select().from(notifications).where(eq(notifications.orderId, orderId)).orderBy(desc(notifications.createdAt));
  return rows.map(view);
}

export type OutboxStatus = { pending: number; oldestPendingAt: string | null; failing: { messageId: string; attempts: number; lastError: string | null } | null };

/** How far the relay is behind: unpublished messages, the oldest one's age, and the one failing. */
export async function outboxStatus(actor: Actor): Promise<OutboxStatus> {
  if (actor.role !== 'admin') throw new AppError(403, 'forbidden', 'Only admins can see the outbox.');
  const db = getDb();
  const [agg] = await db.select({ n: count(), oldest: min(outbox.createdAt) }).from(outbox).where(isNull(outbox.publishedAt));
  const [head] = await db
    .select({ messageId: outbox.messageId, attempts: outbox.attempts, lastError: outbox.lastError })
    .from(outbox)
    .where(isNull(outbox.publishedAt))
    .orderBy(outbox.position)
    .limit(1);
  return {
    pending: Number(agg?.n ?? 0),
    oldestPendingAt: agg?.oldest ? new Date(agg.oldest).toISOString() : null,
    failing: head && head.attempts > 0 ? head : null,
  };
}
