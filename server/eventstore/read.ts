import 'server-only';
import { and, asc, desc, eq, gt, inArray, lte } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { events, streams } from '@/db/schema';
import { toStored } from './append';
import type { StoredEvent } from './types';

// Dates outside years 1-9999 serialise to ISO strings PostgreSQL cannot parse ("0000-…", "+010000-…").
// No event lies outside that range, so clamping `until` to it changes no answer.
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');
const clampToSqlRange = (d: Date) => new Date(Math.min(Math.max(d.getTime(), EARLIEST), LATEST));

/** One stream in version order, optionally only up to a version and/or a moment (inclusive). */
export async function readStream(
  db: Db,
  streamId: string,
  opts: { toVersion?: number; until?: Date; afterVersion?: number; limit?: number } = {},
): Promise<StoredEvent[]> {
  const conds = [eq(events.streamId, streamId)];
  if (opts.toVersion !== undefined) conds.push(lte(events.streamVersion, opts.toVersion));
  if (opts.until !== undefined) conds.push(lte(events.occurredAt, clampToSqlRange(opts.until)));
  if (opts.afterVersion !== undefined) conds.push(gt(events.streamVersion, opts.afterVersion));
  const q = db.select().from(events).where(and(...conds)).orderBy(asc(events.streamVersion));
  const rows = opts.limit !== undefined ? await q.limit(opts.limit) : await q;
  return rows.map(toStored);
}

/** Several whole streams at once (batch readers such as projection rebuilds), each in version order. */
export async function readStreams(db: Db, streamIds: string[]): Promise<Map<string, StoredEvent[]>> {
  const out = new Map<string, StoredEvent[]>(streamIds.map((id) => [id, []]));
  if (streamIds.length === 0) return out;
  const rows = await db
    .select()
    .from(events)
    .where(inArray(events.streamId, streamIds))
    .orderBy(asc(events.streamId), asc(events.streamVersion));
  for (const row of rows) out.get(row.streamId)!.push(toStored(row));
  return out;
}

/**
 * The last version of a stream at or before a version and/or a moment (0: none). One backward scan of
 * the (stream_id, stream_version) index that stops at the first match. "At a moment" means the highest
 * version whose occurred_at <= until, so the answer is always a prefix of the stream.
 */
export async function lastVersion(db: Db, streamId: string, opts: { toVersion?: number; until?: Date } = {}): Promise<number> {
  const conds = [eq(events.streamId, streamId)];
  if (opts.toVersion !== undefined) conds.push(lte(events.streamVersion, opts.toVersion));
  if (opts.until !== undefined) conds.push(lte(events.occurredAt, clampToSqlRange(opts.until)));
  const [row] = await db
    .select({ version: events.streamVersion })
    .from(events)
    .where(and(...conds))
    .orderBy(desc(events.streamVersion))
    .limit(1);
  return row?.version ?? 0;
}

/** Every stream's events after a global position, in global order (batch readers, rebuilds). */
export async function readAll(db: Db, opts: { after?: number; limit?: number } = {}): Promise<StoredEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(gt(events.globalPosition, opts.after ?? 0))
    .orderBy(asc(events.globalPosition))
    .limit(opts.limit ?? 1000);
  return rows.map(toStored);
}

export async function streamVersion(db: Db, streamId: string): Promise<number> {
  const [row] = await db.select({ version: streams.version }).from(streams).where(eq(streams.streamId, streamId));
  return row?.version ?? 0;
}
