import 'server-only';
import { and, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { events } from '@/db/schema';
import { CART_STREAM_TYPE, cartStreamId } from '../cart/events';
import { eventTitle } from '../cart/registry';
import { isProductEventType, PRODUCT_STREAM_TYPE, productEventRegistry, productStreamId } from '../catalog/events';
import type { Actor, EventMetadata } from '../eventstore/types';
import { upcast } from '../cart/upcast';
import { AppError, forbidden, unauthorized } from '../http/errors';
import { AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, AuditCursorSchema } from '../http/schemas';
import type { AuditEvent, AuditFilters, AuditPage, AuditSearch } from './types';

export type { AuditEvent, AuditFilters, AuditPage, AuditSearch } from './types';

/** The audit reads every shopper's carts: admins only, with the same answers as requireAdmin. */
export function assertAdmin(actor: Actor | null | undefined): asserts actor is Actor {
  if (!actor) throw unauthorized();
  if (actor.role !== 'admin') throw forbidden('Only admins may do this.');
}

import { ORDER_STREAM_TYPE, orderStreamId, type OrderEventEnvelope } from '../orders/events';
import { stepView } from '../orders/steps';

const CART_PREFIX = `${cartStreamId('')}`;
const PRODUCT_PREFIX = productStreamId('');
const ORDER_PREFIX = orderStreamId('');

// The expression must read exactly like events_actor_idx's for the planner to use that index; the keys
// are literal SQL (not bind parameters) for the same reason.
const actorUserId = sql<string>`(${events.metadata} -> 'actor' ->> 'userId')`;

/**
 * The WHERE of every audit read: the filters, plus `global_position < before` for keyset paging.
 * Each filter is a plain comparison on an indexed column or expression (stream id, actor, type,
 * occurred_at), and the order is the primary key, so a page is one index range scan, never a sort of
 * the whole log.
 */
function whereOf(f: AuditFilters, before: number | undefined) {
  return and(
    // Carts, the catalog's product streams (an admin's price and stock changes) and order processes.
    inArray(events.streamType, [CART_STREAM_TYPE, PRODUCT_STREAM_TYPE, ORDER_STREAM_TYPE]),
    f.cartId !== undefined ? eq(events.streamId, cartStreamId(f.cartId)) : undefined,
    f.userId !== undefined ? sql`${actorUserId} = ${f.userId}` : undefined,
    f.type !== undefined ? eq(events.type, f.type) : undefined,
    f.from !== undefined ? gte(events.occurredAt, f.from) : undefined,
    f.to !== undefined ? lt(events.occurredAt, f.to) : undefined,
    before !== undefined ? lt(events.globalPosition, before) : undefined,
  );
}

/** Newest first, at most `limit` rows older than `before`. Exported for the plan tests. */
export function auditQuery(db: Db, f: AuditFilters, before: number | undefined, limit: number) {
  return db
    .select({
      globalPosition: events.globalPosition,
      streamId: events.streamId,
      streamVersion: events.streamVersion,
      type: events.type,
      schemaVersion: events.schemaVersion,
      data: events.data,
      metadata: events.metadata,
      occurredAt: events.occurredAt,
    })
    .from(events)
    .where(whereOf(f, before))
    .orderBy(desc(events.globalPosition))
    .limit(limit);
}

type Row = Awaited<ReturnType<typeof auditQuery>>[number];

export function toAuditEvent(row: Row): AuditEvent {
  const meta = row.metadata as EventMetadata;
  // Old schema versions are read as the current one, like every other read path (server/cart/upcast.ts).
  const product = row.streamId.startsWith(PRODUCT_PREFIX);
  const order = row.streamId.startsWith(ORDER_PREFIX);
  // Cart events only: the upcasters are the cart's (product and order events have one schema version).
  const up = product || order ? { data: row.data ?? {}, schemaVersion: row.schemaVersion } : upcast(row.type, row.schemaVersion, row.data ?? {});
  const data = up.data as Record<string, unknown>;
  return {
    globalPosition: row.globalPosition,
    cartId: product || order ? null : row.streamId.startsWith(CART_PREFIX) ? row.streamId.slice(CART_PREFIX.length) : row.streamId,
    ...(product ? { productId: row.streamId.slice(PRODUCT_PREFIX.length) } : {}),
    ...(order ? { orderId: row.streamId.slice(ORDER_PREFIX.length) } : {}),
    version: row.streamVersion,
    type: row.type,
    title:
      product && isProductEventType(row.type)
        ? productEventRegistry[row.type].title(data as never)
        : order
          ? stepView({ type: row.type, data, version: row.streamVersion, occurredAt: row.occurredAt.toISOString() } as OrderEventEnvelope).title
          : eventTitle(row.type, data),
    data,
    occurredAt: row.occurredAt.toISOString(),
    actor: { userId: meta.actor?.userId ?? '', role: meta.actor?.role ?? 'system' },
    correlationId: meta.correlationId ?? '',
    causationId: meta.causationId ?? null,
    schemaVersion: up.schemaVersion,
  };
}

/** The cursor is the global position of the last event on a page, as a string; clients treat it as opaque. */
export const encodeCursor = (globalPosition: number) => String(globalPosition);

export function decodeCursor(cursor: string): number {
  const n = AuditCursorSchema.safeParse(cursor).success ? Number(cursor) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new AppError(400, 'invalid_input', 'The query string is not valid.', {
      issues: [{ path: ['after'], code: 'custom', message: 'Not a cursor from a previous page.' }],
    });
  }
  return n;
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT) {
    throw new AppError(400, 'invalid_input', 'The query string is not valid.', {
      issues: [{ path: ['limit'], code: 'too_big', message: `limit is a whole number from 1 to ${AUDIT_MAX_LIMIT}.` }],
    });
  }
  return limit;
}

/**
 * Every event of every cart, newest first (by global position), narrowed by the filters, one page at
 * a time. Paging is keyset (`global_position < cursor`), not OFFSET: events appended while an admin
 * pages get higher positions and never shift the later pages, so nothing is skipped or repeated.
 */
export async function searchEvents(actor: Actor | null | undefined, search: AuditSearch = {}): Promise<AuditPage> {
  assertAdmin(actor);
  const limit = checkLimit(search.limit ?? AUDIT_DEFAULT_LIMIT);
  const before = search.after !== undefined ? decodeCursor(search.after) : undefined;
  // One extra row tells whether an older page exists, so the last page says so (nextCursor null).
  const rows = await auditQuery(getDb(), search, before, limit + 1);
  const page = rows.slice(0, limit).map(toAuditEvent);
  return { events: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].globalPosition) : null };
}
