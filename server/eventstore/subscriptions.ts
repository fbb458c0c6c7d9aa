import 'server-only';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { events, subscriberCheckpoints } from '@/db/schema';
import { toStored } from './append';
import type { StoredEvent } from './types';

/**
 * Asynchronous subscribers read the whole log in (transaction id, global position) order and keep a
 * checkpoint per subscriber.
 *
 * Why not simply "global_position > checkpoint"? Positions come from a sequence, taken when a row is
 * inserted, but become visible when the transaction commits. A writer that took position 10 and
 * commits after another writer's position 11 would be skipped by a reader that had already moved past
 * 11. So a reader only takes events of transactions older than its snapshot's xmin (the oldest
 * transaction still running): every such transaction has finished, and no transaction that is still
 * running or has not started yet can ever get an id below xmin. Ordering by transaction id first
 * keeps the checkpoint monotonic: whatever commits later has a transaction id >= xmin, so it sorts
 * after everything already delivered.
 *
 * The price: one long-running writing transaction (anywhere on the server: ids are cluster-wide)
 * holds xmin back, and every subscriber waits until it ends. Lag grows; nothing is skipped.
 */

/** The (transaction id, global position) of the last event a subscriber handled; (0, 0) before the first. */
export type Checkpoint = { transactionId: number; globalPosition: number };

export const START: Checkpoint = { transactionId: 0, globalPosition: 0 };

export type Subscriber = {
  /** Stable name: the checkpoint's key. Renaming a subscriber starts it from the beginning. */
  name: string;
  /**
   * Handles a batch inside the transaction that then advances the checkpoint. Use `tx` only. If it
   * throws, or the process dies before the commit, the work and the checkpoint roll back together and
   * the same events are delivered again: write it so that re-running on the same batch is correct
   * (keep no state outside the database between calls).
   */
  handle: (tx: Db, events: StoredEvent[]) => Promise<void>;
  /** Events per transaction (default 500). */
  batchSize?: number;
};

export type RunResult = {
  /** false: another process holds this subscriber right now; nothing was done. */
  ran: boolean;
  delivered: number;
  checkpoint: Checkpoint;
};

export const DEFAULT_BATCH_SIZE = 500;

// Two-key advisory locks live in their own space; the first key marks "subscriber", the second is the name's hash.
const SUBSCRIBER_LOCK_CLASS = 727_002;

/** The transaction id below which every transaction has finished, as this statement's snapshot sees it. */
const snapshotXmin = sql`(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`;

function rowsOf<T>(res: unknown): T[] {
  return (Array.isArray(res) ? res : (res as { rows: T[] }).rows) as T[];
}

/**
 * Events after the checkpoint in (transaction id, position) order, only from transactions older than
 * the snapshot's xmin. The xmin and the rows come from one statement, hence one snapshot. Served by
 * the (transaction_id, global_position) index.
 */
export async function readAfterCheckpoint(tx: Db, checkpoint: Checkpoint, limit = DEFAULT_BATCH_SIZE): Promise<StoredEvent[]> {
  const rows = await tx
    .select()
    .from(events)
    .where(
      and(
        sql`(${events.transactionId}, ${events.globalPosition}) > (${checkpoint.transactionId}::bigint, ${checkpoint.globalPosition}::bigint)`,
        sql`${events.transactionId} < ${snapshotXmin}`,
      ),
    )
    .orderBy(asc(events.transactionId), asc(events.globalPosition))
    .limit(limit);
  return rows.map(toStored);
}

/** The subscriber's checkpoint, or START if it never ran. */
export async function readCheckpoint(db: Db, name: string): Promise<Checkpoint> {
  const [row] = await db
    .select({ transactionId: subscriberCheckpoints.transactionId, globalPosition: subscriberCheckpoints.globalPosition })
    .from(subscriberCheckpoints)
    .where(eq(subscriberCheckpoints.subscriber, name));
  return row ?? START;
}

/**
 * One batch in one transaction: take the subscriber's lock (skip if another process has it), read its
 * checkpoint, read the next events, let the subscriber handle them, advance the checkpoint, commit.
 *
 * The lock is a transaction-scoped advisory lock rather than FOR UPDATE on the checkpoint row: it does
 * not wait (a second app server just skips this round), and an idle poll writes nothing and takes no
 * transaction id. It is released only after the commit is visible, so the next holder reads the new
 * checkpoint.
 */
export async function runSubscriber(db: Db, subscriber: Subscriber): Promise<RunResult> {
  const { name, handle } = subscriber;
  const batchSize = subscriber.batchSize ?? DEFAULT_BATCH_SIZE;
  return db.transaction(async (tx) => {
    const [lock] = rowsOf<{ locked: boolean }>(
      await tx.execute(sql`select pg_try_advisory_xact_lock(${SUBSCRIBER_LOCK_CLASS}, hashtext(${name})) as locked`),
    );
    if (!lock.locked) return { ran: false, delivered: 0, checkpoint: await readCheckpoint(tx, name) };

    const checkpoint = await readCheckpoint(tx, name);
    const batch = await readAfterCheckpoint(tx, checkpoint, batchSize);
    if (batch.length === 0) return { ran: true, delivered: 0, checkpoint };

    await handle(tx, batch);

    const last = batch[batch.length - 1];
    const next: Checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
    await tx
      .insert(subscriberCheckpoints)
      .values({ subscriber: name, ...next, updatedAt: new Date() })
      .onConflictDoUpdate({ target: subscriberCheckpoints.subscriber, set: { ...next, updatedAt: new Date() } });
    return { ran: true, delivered: batch.length, checkpoint: next };
  });
}

/** Runs batches until the subscriber is caught up (as far as xmin allows) or `maxBatches` ran. */
export async function drainSubscriber(db: Db, subscriber: Subscriber, maxBatches = 1_000): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const r = await runSubscriber(db, subscriber);
    total += r.delivered;
    if (!r.ran || r.delivered < (subscriber.batchSize ?? DEFAULT_BATCH_SIZE)) break;
  }
  return total;
}

export type SubscriberLag = {
  subscriber: string;
  /** Committed events after the checkpoint: not yet handled. */
  events: number;
  /** Now minus occurredAt of the oldest of them; 0 when caught up. */
  seconds: number;
  /** Of `events`, those the reader may not take yet: their transaction id is not below xmin. */
  heldBack: number;
  checkpoint: Checkpoint;
};

/** How far a subscriber is behind the log. Counts rows after the checkpoint: cheap when it keeps up. */
export async function lag(db: Db, name: string): Promise<SubscriberLag> {
  const checkpoint = await readCheckpoint(db, name);
  const [row] = await db
    .select({
      events: sql<number>`count(*)::int`,
      seconds: sql<number | null>`extract(epoch from (now() - min(${events.occurredAt})))::float8`,
      heldBack: sql<number>`(count(*) filter (where ${events.transactionId} >= ${snapshotXmin}))::int`,
    })
    .from(events)
    .where(
      sql`(${events.transactionId}, ${events.globalPosition}) > (${checkpoint.transactionId}::bigint, ${checkpoint.globalPosition}::bigint)`,
    );
  return {
    subscriber: name,
    events: row.events,
    seconds: row.events === 0 ? 0 : Math.max(0, Math.round((row.seconds ?? 0) * 10) / 10),
    heldBack: row.heldBack,
    checkpoint,
  };
}

export type OpenTransaction = { pid: number; database: string | null; state: string | null; seconds: number; query: string | null };

/**
 * The oldest transaction on the server that has a transaction id (it wrote something), other than
 * ours: the one holding every subscriber back when lag grows. Null when there is none. Query text is
 * only visible for sessions of the same role (or to superusers / pg_read_all_stats).
 */
export async function oldestWritingTransaction(db: Db): Promise<OpenTransaction | null> {
  const rows = rowsOf<{ pid: number; database: string | null; state: string | null; seconds: number | null; query: string | null }>(
    await db.execute(sql`
      select pid, datname as database, state,
             extract(epoch from (now() - xact_start))::float8 as seconds,
             left(query, 200) as query
        from pg_stat_activity
       where backend_xid is not null and pid <> pg_backend_pid()
       order by age(backend_xid) desc
       limit 1`),
  );
  const r = rows[0];
  if (!r) return null;
  return { pid: Number(r.pid), database: r.database, state: r.state, seconds: Math.round(Number(r.seconds ?? 0) * 10) / 10, query: r.query };
}
