import 'server-only';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { events, streams } from '@/db/schema';
import { rowsOf } from '../projections/sql';
import { ConcurrencyError } from './errors';
import type { AppendResult, EventMetadata, ExpectedVersion, NewEvent, StoredEvent } from './types';

async function currentVersion(tx: Db, streamId: string): Promise<number> {
  const [row] = await tx.select({ version: streams.version }).from(streams).where(eq(streams.streamId, streamId));
  return row?.version ?? 0;
}

/**
 * Appends events to a stream if it is at the expected version. Run it inside the transaction that
 * also updates the inline projections, so events and read models commit or vanish together.
 *
 * One statement, one round trip: a data-modifying CTE claims the versions on the stream's row (checking
 * the expectation) and the INSERT takes its rows from it, so when the claim finds the stream elsewhere
 * nothing is inserted. The row lock taken by the claim serialises concurrent appenders on one stream;
 * under READ COMMITTED a waiting UPDATE re-checks its WHERE against the committed row, so a stale
 * expectation can never slip through. The events travel as one jsonb array, so the statement's text
 * (and its prepared plan) is the same for any number of events.
 */
export async function append(
  tx: Db,
  streamId: string,
  newEvents: NewEvent[],
  opts: { streamType: string; expectedVersion: ExpectedVersion; metadata: EventMetadata; occurredAt: Date },
): Promise<AppendResult> {
  const expected = opts.expectedVersion;
  if (newEvents.length === 0) {
    const version = await currentVersion(tx, streamId);
    if (typeof expected === 'number' && expected !== version) {
      throw new ConcurrencyError(streamId, expected, version);
    }
    if (expected === 'no_stream' && version !== 0) throw new ConcurrencyError(streamId, 'no_stream', version);
    return { nextExpectedVersion: version, events: [] };
  }
  if (typeof expected === 'number' && (!Number.isInteger(expected) || expected < 0)) throw new RangeError(`Invalid expected version ${expected}`);
  const count = newEvents.length;
  const at = opts.occurredAt.toISOString();
  const claim =
    expected === 'no_stream' || expected === 0
      ? sql`insert into "streams" ("stream_id", "stream_type", "version", "created_at", "updated_at") values (${streamId}, ${opts.streamType}, ${count}, ${at}::timestamptz, ${at}::timestamptz) on conflict do nothing returning "version"`
      : expected === 'any'
        ? sql`insert into "streams" ("stream_id", "stream_type", "version", "created_at", "updated_at") values (${streamId}, ${opts.streamType}, ${count}, ${at}::timestamptz, ${at}::timestamptz) on conflict ("stream_id") do update set "version" = "streams"."version" + ${count}, "updated_at" = ${at}::timestamptz returning "version"`
        : sql`update "streams" set "version" = "streams"."version" + ${count}, "updated_at" = ${at}::timestamptz where "streams"."stream_id" = ${streamId} and "streams"."version" = ${expected} returning "version"`;
  const batch = JSON.stringify(newEvents.map((e) => ({ type: e.type, schemaVersion: e.schemaVersion ?? 1, data: e.data })));
  const res = await tx.execute(sql`with "claim" as (${claim})
    insert into "events" ("stream_id", "stream_type", "stream_version", "type", "schema_version", "data", "metadata", "occurred_at")
    select ${streamId}, ${opts.streamType}, "claim"."version" - ${count} + "e"."n", "e"."ev"->>'type', ("e"."ev"->>'schemaVersion')::int, "e"."ev"->'data', ${JSON.stringify(opts.metadata)}::jsonb, ${at}::timestamptz
    from "claim" cross join jsonb_array_elements(${batch}::jsonb) with ordinality as "e"("ev", "n")
    order by "e"."n"
    returning ${RETURNING}`);
  const rows = rowsOf<RawEventRow>(res).map(fromRaw).sort((a, b) => a.streamVersion - b.streamVersion);
  if (rows.length === 0) {
    if (expected === 'any') throw new Error(`append to ${streamId} inserted no events`);
    throw new ConcurrencyError(streamId, expected, await currentVersion(tx, streamId));
  }
  return { nextExpectedVersion: rows[rows.length - 1].streamVersion, events: rows };
}

const RETURNING = sql.raw(
  ['global_position', 'stream_id', 'stream_type', 'stream_version', 'type', 'schema_version', 'data', 'metadata', 'occurred_at', 'recorded_at', 'transaction_id']
    .map((c) => `"${c}"`)
    .join(', '),
);

type RawEventRow = {
  global_position: number | string | bigint;
  stream_id: string;
  stream_type: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  occurred_at: Date | string;
  recorded_at: Date | string;
  transaction_id: number | string | bigint;
};

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));

/** A row as the raw query returns it (drivers differ: strings or numbers, text or parsed json), typed like a select. */
function fromRaw(r: RawEventRow): StoredEvent {
  return {
    globalPosition: Number(r.global_position),
    streamId: r.stream_id,
    streamType: r.stream_type,
    streamVersion: Number(r.stream_version),
    type: r.type,
    schemaVersion: Number(r.schema_version),
    data: json(r.data),
    metadata: json(r.metadata) as EventMetadata,
    occurredAt: date(r.occurred_at),
    recordedAt: date(r.recorded_at),
    transactionId: Number(r.transaction_id),
  };
}

export function toStored(row: typeof events.$inferSelect): StoredEvent {
  return {
    ...row,
    metadata: row.metadata as EventMetadata,
  };
}
