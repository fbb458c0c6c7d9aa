// The peer: Emmett's PostgreSQL event store (a benchmark devDependency only), with and without an
// inline Pongo projection that keeps the same read model as our `carts` table (our own evolve).
import { projections, type ReadEvent } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, pongoSingleStreamProjection, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import type { CartEvent, CartEventEnvelope } from '../cart/events';
import { evolve, type CartState } from '../cart/evolve';

/** Emmett event shape for our cart events (type + data; Emmett adds its own metadata). */
export type EmmettCartEvent = { type: CartEvent['type']; data: Record<string, unknown>; metadata?: Record<string, unknown> };

export const EMMETT_CARTS_COLLECTION = 'bench_carts';
export const emmettCartStream = (i: number) => `emmett-cart-${i}`;
export const emmettPlainStream = (i: number) => `emmett-plain-${i}`;
export const emmettLongStream = (n: number) => `emmett-long-${n}`;

export const toEnvelopeFromEmmett = (e: ReadEvent<EmmettCartEvent>): CartEventEnvelope =>
  ({
    type: e.type,
    data: e.data,
    version: Number(e.metadata.streamPosition),
    occurredAt: new Date(0).toISOString(),
  }) as CartEventEnvelope;

/** The read model: the folded cart as a Pongo document (the `carts` row's fields). */
type CartDoc = CartState & { _id?: string };

const cartProjection = pongoSingleStreamProjection<CartDoc, EmmettCartEvent>({
  collectionName: EMMETT_CARTS_COLLECTION,
  canHandle: ['CartOpened', 'ItemAdded', 'ItemQuantityChanged', 'ItemRemoved', 'CartCheckedOut'],
  evolve: (doc: CartDoc | null, event: ReadEvent<EmmettCartEvent>) => {
    const { _id, ...state } = doc ?? ({} as CartDoc);
    void _id;
    return evolve(doc ? (state as CartState) : null, toEnvelopeFromEmmett(event)) as CartDoc;
  },
});

export type EmmettStore = { store: PostgresEventStore; close: () => Promise<void> };

/**
 * `poolMax` undefined: Emmett's own pool from the connection string (pg.Pool's default, max 10);
 * otherwise a pg.Pool of that size handed to it.
 */
export function openEmmett(url: string, opts: { inline: boolean; poolMax?: number }): EmmettStore {
  const pool = opts.poolMax !== undefined ? new pg.Pool({ connectionString: url, max: opts.poolMax }) : undefined;
  const store = getPostgreSQLEventStore(url, {
    ...(pool ? { connectionOptions: { pool } } : {}),
    schema: { autoMigration: 'None' },
    ...(opts.inline ? { projections: projections.inline([cartProjection]) } : {}),
  });
  return {
    store,
    close: async () => {
      await store.close();
      if (pool) await pool.end();
    },
  };
}

/** Creates Emmett's schema in the scratch database (with the projection registered, so its tables exist). */
export async function migrateEmmett(url: string) {
  const store = getPostgreSQLEventStore(url, { projections: projections.inline([cartProjection]) });
  try {
    await store.schema.migrate();
  } finally {
    await store.close();
  }
}

/** Emmett's side of the setup: schema, the 1,000 carts its inline projection updates, the long streams. */
export async function seedEmmett(url: string, carts: number, lengths: number[], history: (i: number) => EmmettCartEvent[], long: (n: number) => EmmettCartEvent[]) {
  await migrateEmmett(url);
  const em = openEmmett(url, { inline: true, poolMax: 8 });
  try {
    // The first append creates the projection's table: alone, as concurrent CREATE TABLE IF NOT EXISTS collide.
    await em.store.appendToStream(emmettCartStream(0), history(0));
    for (let from = 1; from < carts; from += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, carts - from) }, (_, k) => em.store.appendToStream(emmettCartStream(from + k), history(from + k))),
      );
    }
  } finally {
    await em.close();
  }
  const plain = openEmmett(url, { inline: false, poolMax: 1 });
  try {
    for (const n of lengths) {
      const evs = long(n);
      for (let k = 0; k < evs.length; k += 500) await plain.store.appendToStream(emmettLongStream(n), evs.slice(k, k + 500));
    }
  } finally {
    await plain.close();
  }
}
