import 'server-only';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { events, streams } from '@/db/schema';
import { ConcurrencyError } from './errors';
import type { AppendResult, EventMetadata, ExpectedVersion, NewEvent, StoredEvent } from './types';

async function currentVersion(tx: Db, streamId: string): Promise<number> {
  const [row] = await tx.select({ version: streams.version }).from(streams).where(eq(streams.streamId, streamId));
  return row?.version ?? 0;
}

/**
 * Claims versions for `count` new events on the stream's row, checking the expectation in the same
 * statement. The row lock taken by INSERT/UPDATE serialises concurrent appenders on one stream; under
 * READ COMMITTED a waiting UPDATE re-checks its WHERE against the committed row, so a stale
 * expectation can never slip through.
 */
async function claimVersions(
  tx: Db,
  streamId: string,
  streamType: string,
  count: number,
  expected: ExpectedVersion,
  now: Date,
): Promise<number> {
  if (expected === 'no_stream' || expected === 0) {
    const rows = await tx
      .insert(streams)
      .values({ streamId, streamType, version: count, createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning({ version: streams.version });
    if (rows.length === 0) throw new ConcurrencyError(streamId, expected, await currentVersion(tx, streamId));
    return count;
  }
  if (expected === 'any') {
    const [row] = await tx
      .insert(streams)
      .values({ streamId, streamType, version: count, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: streams.streamId,
        set: { version: sql`${streams.version} + ${count}`, updatedAt: now },
      })
      .returning({ version: streams.version });
    return row.version;
  }
  if (!Number.isInteger(expected) || expected < 0) throw new RangeError(`Invalid expected version ${expected}`);
  const rows = await tx
    .update(streams)
    .set({ version: sql`${streams.version} + ${count}`, updatedAt: now })
    .where(and(eq(streams.streamId, streamId), eq(streams.version, expected)))
    .returning({ version: streams.version });
  if (rows.length === 0) throw new ConcurrencyError(streamId, expected, await currentVersion(tx, streamId));
  return rows[0].version;
}

/**
 * Appends events to a stream if it is at the expected version. Run it inside the transaction that
 * also updates the inline projections, so events and read models commit or vanish together.
 */
export async function append(
  tx: Db,
  streamId: string,
  newEvents: NewEvent[],
  opts: { streamType: string; expectedVersion: ExpectedVersion; metadata: EventMetadata; occurredAt: Date },
): Promise<AppendResult> {
  if (newEvents.length === 0) {
    const version = await currentVersion(tx, streamId);
    if (typeof opts.expectedVersion === 'number' && opts.expectedVersion !== version) {
      throw new ConcurrencyError(streamId, opts.expectedVersion, version);
    }
    if (opts.expectedVersion === 'no_stream' && version !== 0) throw new ConcurrencyError(streamId, 'no_stream', version);
    return { nextExpectedVersion: version, events: [] };
  }
  const last = await claimVersions(tx, streamId, opts.streamType, newEvents.length, opts.expectedVersion, opts.occurredAt);
  const first = last - newEvents.length + 1;
  const rows = await tx
    .insert(events)
    .values(
      newEvents.map((e, i) => ({
        streamId,
        streamType: opts.streamType,
        streamVersion: first + i,
        type: e.type,
        schemaVersion: e.schemaVersion ?? 1,
        data: e.data,
        metadata: opts.metadata,
        occurredAt: opts.occurredAt,
      })),
    )
    .returning();
  return { nextExpectedVersion: last, events: rows.map(toStored) };
}

export function toStored(row: typeof events.$inferSelect): StoredEvent {
  return {
    ...row,
    metadata: row.metadata as EventMetadata,
  };
}
