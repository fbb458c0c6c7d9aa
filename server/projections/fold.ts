import 'server-only';
import { and, asc, count, eq, gt } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { streams } from '@/db/schema';
import { readStreams } from '../eventstore';
import { CART_STREAM_TYPE, cartStreamId } from '../cart/events';
import { fold, type CartState } from '../cart/evolve';
import { toEnvelope } from '../cart/handler';
import { compareRows, type DbRecord } from './compare';
import { projections, readRowsByCart, toRecord } from './registry';
import type { Mismatch, ProjectionName } from './types';

const STREAM_PREFIX = cartStreamId('');

export type StreamHead = { streamId: string; version: number };

export type FoldedCart = {
  cartId: string;
  streamId: string;
  /** The stream's version in the streams table when it was read. */
  streamVersion: number;
  state: CartState | null;
  /** Expected rows per projection, as database records. */
  expected: Record<ProjectionName, DbRecord[]>;
  /** Set when the events could not be folded (a bug in evolve or a corrupt event). */
  error?: string;
};

export const cartIdOf = (streamId: string) => streamId.slice(STREAM_PREFIX.length);

/** The next `limit` cart streams after `after` in stream id order (keyset pagination). */
export async function nextCartStreams(db: Db, after: string, limit: number): Promise<StreamHead[]> {
  return db
    .select({ streamId: streams.streamId, version: streams.version })
    .from(streams)
    .where(and(eq(streams.streamType, CART_STREAM_TYPE), gt(streams.streamId, after)))
    .orderBy(asc(streams.streamId))
    .limit(limit);
}

export async function countCartStreams(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(streams).where(eq(streams.streamType, CART_STREAM_TYPE));
  return Number(row?.n ?? 0);
}

/**
 * Folds each stream with the handler's own `toEnvelope` and `evolve`, and turns the result into the
 * rows every inline projection would hold, with the same row builders the inline projection uses.
 */
export async function foldCarts(db: Db, heads: StreamHead[]): Promise<FoldedCart[]> {
  const byStream = await readStreams(
    db,
    heads.map((h) => h.streamId),
  );
  return heads.map((h) => {
    const cartId = cartIdOf(h.streamId);
    const expected = { carts: [], orders: [] } as Record<ProjectionName, DbRecord[]>;
    try {
      const envelopes = (byStream.get(h.streamId) ?? []).map(toEnvelope);
      const state = fold(envelopes);
      if (state) for (const p of projections) expected[p.name] = p.rows(state, envelopes).map((r) => toRecord(p, r));
      return { cartId, streamId: h.streamId, streamVersion: h.version, state, expected };
    } catch (e) {
      return { cartId, streamId: h.streamId, streamVersion: h.version, state: null, expected, error: (e as Error).message };
    }
  });
}

/** Folded carts vs the rows `tableOf(projection)` holds for them: every difference. */
export async function compareWithTables(
  db: Db,
  folded: FoldedCart[],
  tableOf: (p: (typeof projections)[number]) => string = (p) => p.table,
): Promise<Mismatch[]> {
  const ids = folded.map((f) => f.cartId);
  const mismatches: Mismatch[] = [];
  const actualBy = new Map<ProjectionName, Map<string, DbRecord[]>>();
  for (const p of projections) actualBy.set(p.name, await readRowsByCart(db, p, tableOf(p), ids));
  for (const f of folded) {
    if (f.error) {
      mismatches.push({ cartId: f.cartId, projection: 'carts', key: f.cartId, field: 'events', expected: 'a foldable stream', actual: f.error });
      continue;
    }
    for (const p of projections) {
      mismatches.push(...compareRows(f.cartId, p.name, p.keyColumn, p.columns, f.expected[p.name], actualBy.get(p.name)!.get(f.cartId) ?? []));
    }
  }
  return mismatches;
}
