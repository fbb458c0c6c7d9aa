import 'server-only';
import { and, asc, eq, gte, lte, max, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { events, snapshots, streams } from '@/db/schema';
import { lastVersion, readStream, type StoredEvent } from '../eventstore';
import { toStored } from '../eventstore/append';
import { log } from '../log';
import { toEnvelope, upcastStored } from './envelope';
import { cartStreamId, type CartEventEnvelope } from './events';
import { evolve, fold, type CartState } from './evolve';

// Snapshots are a cache of the folded cart state every K events. They never change an answer:
// - a snapshot is used only if its schema_version is CART_STATE_SCHEMA_VERSION, its state parses as
//   today's CartState, its state.version equals its row's version and its cartId is the cart's;
//   anything else is ignored and the fold starts from an older point (or from the first event);
// - a snapshot is written in the append transaction from the same fold that the read model gets, so
//   a rolled-back command leaves none behind;
// - `delete from snapshots` is always safe: loads get slower, never different.
// What a snapshot cannot protect against is a hand-edited state that still passes those checks: the
// table is written only by writeSnapshotsFor.

/**
 * The shape of CartState stored in snapshots. Bump it whenever CartState (or what evolve puts in it)
 * changes: snapshots of other versions are then ignored and new ones are taken as streams grow.
 */
export const CART_STATE_SCHEMA_VERSION = 1;

const SnapshotEnv = z.object({
  SNAPSHOT_EVERY: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(1_000_000).default(100),
  ),
});

/** K: a snapshot is taken at every version that is a multiple of K (env SNAPSHOT_EVERY, default 100). */
export function readSnapshotEvery(env: Record<string, string | undefined> = process.env): number {
  const parsed = SnapshotEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid SNAPSHOT_EVERY "${env.SNAPSHOT_EVERY}": a whole number from 1 to 1000000 is expected.`);
  }
  return parsed.data.SNAPSHOT_EVERY;
}

export const SNAPSHOT_EVERY = readSnapshotEvery();

// Key order as evolve builds it, so a state read from jsonb serialises like a freshly folded one.
const CartLineJson = z.object({
  productId: z.string(),
  name: z.string(),
  unitPriceCents: z.number().int(),
  quantity: z.number().int(),
  lineTotalCents: z.number().int(),
});
const CartStateJson = z.object({
  cartId: z.string(),
  userId: z.string(),
  status: z.enum(['open', 'checked_out', 'abandoned', 'expired', 'merged']),
  items: z.array(CartLineJson),
  itemCount: z.number().int(),
  totalCents: z.number().int(),
  currency: z.string(),
  version: z.number().int(),
  orderId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

// Compile-time guard: when CartState changes, this fails until the schema above (and, for stored
// snapshots, CART_STATE_SCHEMA_VERSION) follow.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const stateSchemaMatchesCartState: Same<z.infer<typeof CartStateJson>, CartState> = true;
void stateSchemaMatchesCartState;

/**
 * Call in the append transaction, after append: stores the state at every version in the appended
 * events that is a multiple of K (folding event by event, so a batch crossing a multiple stores the
 * state exactly there, not the state after the batch). Returns the versions stored.
 */
export async function writeSnapshotsFor(
  tx: Db,
  streamId: string,
  stateBefore: CartState | null,
  appendedEnvelopes: CartEventEnvelope[],
  every: number = SNAPSHOT_EVERY,
): Promise<number[]> {
  const rows: (typeof snapshots.$inferInsert)[] = [];
  let state = stateBefore;
  for (const e of appendedEnvelopes) {
    state = evolve(state, e);
    if (e.version % every === 0) {
      rows.push({ streamId, version: e.version, schemaVersion: CART_STATE_SCHEMA_VERSION, state });
    }
  }
  if (rows.length === 0) return [];
  await tx
    .insert(snapshots)
    .values(rows)
    .onConflictDoUpdate({
      target: [snapshots.streamId, snapshots.version],
      set: { schemaVersion: sql`excluded.schema_version`, state: sql`excluded.state`, createdAt: sql`excluded.created_at` },
    });
  return rows.map((r) => r.version);
}

/** A snapshot row as read, checked: its state if usable, else null (logged, so the fold starts from the first event). */
function usableSnapshot(streamId: string, cartId: string, row: { version: number; state: unknown }): { version: number; state: CartState } | null {
  const parsed = CartStateJson.safeParse(row.state);
  if (!parsed.success || parsed.data.version !== row.version || parsed.data.cartId !== cartId) {
    log.warn({ streamId, version: row.version }, 'ignoring a snapshot that does not match its stream; folding from the start');
    return null;
  }
  return { version: row.version, state: parsed.data };
}

/**
 * The newest snapshot (current schema version) at or below `target` and the events from its version up
 * to `target`, in one statement: the events are read from the snapshot's own version on (from version 1
 * without one), and the snapshot is joined to the event of its version, so only the first row carries it.
 */
function snapshotAndEvents(db: Db, streamId: string, target: number | SQL) {
  const newestSnapshot = db
    .select({ version: max(snapshots.version) })
    .from(snapshots)
    .where(
      and(
        eq(snapshots.streamId, streamId),
        eq(snapshots.schemaVersion, CART_STATE_SCHEMA_VERSION),
        lte(snapshots.version, target),
      ),
    );
  return db
    .select({ event: events, snapshotState: snapshots.state })
    .from(events)
    .leftJoin(
      snapshots,
      and(
        eq(snapshots.streamId, events.streamId),
        eq(snapshots.version, events.streamVersion),
        eq(snapshots.schemaVersion, CART_STATE_SCHEMA_VERSION),
      ),
    )
    .where(
      and(
        eq(events.streamId, streamId),
        gte(events.streamVersion, sql`coalesce((${newestSnapshot}), 1)`),
        lte(events.streamVersion, target),
      ),
    )
    .orderBy(asc(events.streamVersion));
}

export type LoadedState = {
  /** The cart at the requested point, or null when it did not exist yet. */
  state: CartState | null;
  /** The events folded on top of the snapshot (upcast), not the whole stream. */
  events: StoredEvent[];
  /** The version of the snapshot the fold started from; 0 when it started from the first event. */
  snapshotVersion: number;
};

/**
 * The cart at its latest version, at `toVersion`, or as it was at `until` (the highest version whose
 * occurred_at <= until), whichever is lower: the target version comes from one indexed query (or from
 * `version`, when the caller already holds the stream's current version, e.g. from its locked streams
 * row), then the nearest snapshot at or below it and the events after it are read in one statement.
 */
export async function loadState(
  db: Db,
  cartId: string,
  opts: { toVersion?: number; until?: Date; useSnapshots?: boolean; version?: number } = {},
): Promise<LoadedState> {
  const streamId = cartStreamId(cartId);
  const target =
    opts.version !== undefined && opts.toVersion === undefined && opts.until === undefined
      ? opts.version
      : await lastVersion(db, streamId, { toVersion: opts.toVersion, until: opts.until });
  if (target === 0) return { state: null, events: [], snapshotVersion: 0 };
  if (opts.useSnapshots !== false) {
    const state = fromSnapshotAndEvents(streamId, cartId, await snapshotAndEvents(db, streamId, target));
    if (state) return state;
  }
  return folded(await readStream(db, streamId, { toVersion: target }), null);
}

type SnapshotAndEventsRow = Awaited<ReturnType<typeof snapshotAndEvents>>[number];

function fromSnapshotAndEvents(streamId: string, cartId: string, rows: SnapshotAndEventsRow[]): LoadedState | null {
  const first = rows[0];
  if (first && first.snapshotState === null && first.event.streamVersion === 1) {
    return folded(rows.map((r) => toStored(r.event)), null);
  }
  if (first && first.snapshotState !== null) {
    const snapshot = usableSnapshot(streamId, cartId, { version: first.event.streamVersion, state: first.snapshotState });
    if (snapshot) return folded(rows.slice(1).map((r) => toStored(r.event)), snapshot);
  }
  // An unusable snapshot (or, never expected, a snapshot without its event): fold from the first event.
  return null;
}

/**
 * The cart at its latest version, for a command that has just sent `select ... for update` on the
 * stream's row (`locked`: that row's version, null without a row). The snapshot-and-events read is sent
 * right behind the lock, without waiting for it (one round trip for both): PostgreSQL runs it once the
 * lock is held, with a snapshot of its own, so reading the version from the streams row in it finds
 * what the lock returns. Without a streams row it answers like loadState.
 */
export async function loadStateAfterLock(db: Db, cartId: string, locked: Promise<number | null>): Promise<LoadedState> {
  const streamId = cartStreamId(cartId);
  const current = sql`(select ${streams.version} from ${streams} where ${streams.streamId} = ${streamId})`;
  const [version, rows] = await settledPair(locked, snapshotAndEvents(db, streamId, current).then((r) => r));
  if (version === null) return loadState(db, cartId);
  const state = fromSnapshotAndEvents(streamId, cartId, rows);
  if (state) return state;
  return folded(await readStream(db, streamId, { toVersion: version }), null);
}

/** Both settled (neither still running), then the first failure or both results. */
async function settledPair<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

function folded(stored: StoredEvent[], snapshot: { version: number; state: CartState } | null): LoadedState {
  const events = stored.map(upcastStored);
  return {
    state: fold(events.map(toEnvelope), snapshot?.state ?? null),
    events,
    snapshotVersion: snapshot?.version ?? 0,
  };
}
