// Shared by the bench parent (server/cli/bench.ts) and its workers (server/bench/worker.ts):
// the scratch database, the seeded carts, small statistics helpers.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { demoProducts } from '../../db/catalog-data';
import { openDatabase, type DbHandle } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { carts, events, products, snapshots, streams } from '../../db/schema';
import { seedDemo } from '../../db/seed';
import { CART_STREAM_TYPE, cartStreamId, type CartEvent, type CartEventEnvelope } from '../cart/events';
import { evolve, type CartState } from '../cart/evolve';
import { cartRow } from '../cart/projections';
import { CART_STATE_SCHEMA_VERSION } from '../cart/snapshots';
import { currentSchemaVersion } from '../cart/upcast';

export const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Carts seeded per set: the workloads pick one at random per command. */
export const CARTS_PER_SET = 1000;
/** `ours` for our handler, `pgb` for pgbench (so its events never mix into the carts ours folds), `s2` for scenario 2. */
export type CartSet = 'ours' | 'pgb' | 'ours10' | 'pgb10' | 's2';
export const CART_SETS: CartSet[] = ['ours', 'pgb', 'ours10', 'pgb10', 's2'];
export const cartIdOf = (set: CartSet, i: number) => `bench-${set}-${i}`;
export const longCartId = (n: number) => `bench-long-${n}`;
export const ownerOf = (i: number) => `bench-user-${i}`;

/** Products a shopper can add (stock is raised to a million in the scratch database). */
export const benchProducts = demoProducts.map((p) => p);
export const productIds: string[] = benchProducts.map((p) => p.id);

export const benchMeta = (userId: string) => ({
  actor: { userId, role: 'shopper' as const },
  correlationId: 'bench',
  causationId: null,
  commandId: null,
});

/** Deterministic random numbers. */
export function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------ statistics

export const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
export const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmt = (n: number | undefined | null) => {
  if (n === undefined || n === null || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  return a >= 1000 ? Math.round(n).toLocaleString('en') : a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : n.toFixed(2);
};

// ------------------------------------------------------------------ scratch database

export type Scratch = { url: string; name: string; drop: () => Promise<void> };

/** A new database on the server at `base`, dropped (with force) by `drop`. */
export async function createScratch(base: string): Promise<Scratch> {
  const name = `eventcart_bench_${randomBytes(5).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch((e) => console.error(`could not drop ${name}:`, e));
      await admin.end({ timeout: 2 });
    },
  };
}

/** A cart's first events: opened, two products added. */
function seedHistory(cartId: string, userId: string, at: Date): CartEventEnvelope[] {
  const evs: CartEvent[] = [
    { type: 'CartOpened', data: { cartId, userId, currency: 'EUR' } },
    ...benchProducts.slice(0, 2).map(
      (p): CartEvent => ({ type: 'ItemAdded', data: { productId: p.id, name: p.name, unitPriceCents: p.priceCents, quantity: 1 } }),
    ),
  ];
  return evs.map((e, i) => ({ ...e, version: i + 1, occurredAt: at.toISOString() }) as CartEventEnvelope);
}

/** Migrates, seeds the catalog (stock a million) and `cartsPerSet` carts per set, in bulk SQL. */
export async function prepareDb(h: DbHandle, cartsPerSet = CARTS_PER_SET, sets: CartSet[] = CART_SETS): Promise<void> {
  await migrateDatabase(h);
  await seedDemo(h.db);
  await h.db.update(products).set({ stock: 1_000_000 });
  await seedCarts(h, cartsPerSet, sets);
}

export async function prepareScratch(url: string): Promise<void> {
  const h = openDatabase({ url, poolMax: 2 });
  try {
    await prepareDb(h);
    await h.exec('vacuum analyze');
  } finally {
    await h.close();
  }
}

/** The parent's side: a migrated, seeded PGlite folder that pglite workers copy. */
export async function preparePgliteTemplate(dir: string) {
  const h = openDatabase({ pgliteDir: dir });
  try {
    await prepareDb(h, 20, ['ours']);
  } finally {
    await h.close();
  }
}

async function seedCarts(h: DbHandle, cartsPerSet: number, sets: CartSet[]) {
  const at = new Date(Date.UTC(2026, 0, 1));
  for (const set of sets) {
    for (let from = 0; from < cartsPerSet; from += 250) {
      const batch = Array.from({ length: Math.min(250, cartsPerSet - from) }, (_, k) => {
        const i = from + k;
        const cartId = cartIdOf(set, i);
        const evs = seedHistory(cartId, ownerOf(i), at);
        const state = evs.reduce<CartState | null>(evolve, null)!;
        return { cartId, userId: ownerOf(i), evs, state };
      });
      await h.db.transaction(async (tx) => {
        await tx.insert(streams).values(
          batch.map((c) => ({ streamId: cartStreamId(c.cartId), streamType: CART_STREAM_TYPE, version: c.evs.length, createdAt: at, updatedAt: at })),
        );
        await tx.insert(events).values(
          batch.flatMap((c) =>
            c.evs.map((e) => ({
              streamId: cartStreamId(c.cartId),
              streamType: CART_STREAM_TYPE,
              streamVersion: e.version,
              type: e.type,
              schemaVersion: currentSchemaVersion(e.type),
              data: e.data,
              metadata: benchMeta(c.userId),
              occurredAt: at,
            })),
          ),
        );
        await tx.insert(carts).values(batch.map((c) => cartRow(c.state)));
      });
    }
  }
}

/** A valid n-event cart history: opened, then a product added and removed in turn. */
export function longHistory(cartId: string, userId: string, n: number, at: Date): CartEventEnvelope[] {
  const out: CartEventEnvelope[] = [];
  const p = benchProducts[0];
  for (let v = 1; v <= n; v++) {
    const e: CartEvent =
      v === 1
        ? { type: 'CartOpened', data: { cartId, userId, currency: 'EUR' } }
        : v % 2 === 0
          ? { type: 'ItemAdded', data: { productId: p.id, name: p.name, unitPriceCents: p.priceCents, quantity: 1 } }
          : { type: 'ItemRemoved', data: { productId: p.id, quantity: 1 } };
    out.push({ ...e, version: v, occurredAt: at.toISOString() } as CartEventEnvelope);
  }
  return out;
}

/** Snapshot every K events in the long streams, as the handler writes them (SNAPSHOT_EVERY default). */
export const LONG_SNAPSHOT_EVERY = 100;
/**
 * The "middle version" asked of an n-event cart: half-way plus 50 (a quarter for short carts), so 50 events
 * are folded after the snapshot at half-way (5,050 of 10,000; 550 of 1,000; 75 of 100, from the start).
 */
export const middleVersion = (n: number) => Math.floor(n / 2) + Math.min(50, Math.floor(n / 4));

/** Our long streams: the events, and a snapshot every LONG_SNAPSHOT_EVERY versions (as writeSnapshotsFor stores them). */
export async function seedLongStreams(url: string, lengths: number[]) {
  const h = openDatabase({ url, poolMax: 1 });
  const at = new Date(Date.UTC(2026, 0, 2));
  try {
    for (const n of lengths) {
      const cartId = longCartId(n);
      const evs = longHistory(cartId, ownerOf(0), n, at);
      const snaps: (typeof snapshots.$inferInsert)[] = [];
      let state: CartState | null = null;
      for (const e of evs) {
        state = evolve(state, e);
        if (e.version % LONG_SNAPSHOT_EVERY === 0) {
          snaps.push({ streamId: cartStreamId(cartId), version: e.version, schemaVersion: CART_STATE_SCHEMA_VERSION, state });
        }
      }
      for (let k = 0; k < snaps.length; k += 500) await h.db.insert(snapshots).values(snaps.slice(k, k + 500));
      await h.db.insert(streams).values({ streamId: cartStreamId(cartId), streamType: CART_STREAM_TYPE, version: n });
      for (let k = 0; k < evs.length; k += 2000) {
        await h.db.insert(events).values(
          evs.slice(k, k + 2000).map((e) => ({
            streamId: cartStreamId(cartId),
            streamType: CART_STREAM_TYPE,
            streamVersion: e.version,
            type: e.type,
            schemaVersion: currentSchemaVersion(e.type),
            data: e.data,
            metadata: benchMeta(ownerOf(0)),
            occurredAt: at,
          })),
        );
      }
    }
  } finally {
    await h.close();
  }
}
