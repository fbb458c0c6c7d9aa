// Scenario 5: a projection rebuild over many events on the PostgreSQL server, beside a plain read of
// the same rows. The parent seeds a database of its own (seedRebuild); each worker process runs one
// pass (rebuildPass) and reports events/s and its peak resident memory.
import postgres from 'postgres';
import { demoProducts } from '../../db/catalog-data';
import { openDatabase, setDbHandle } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { seedDemo } from '../../db/seed';
import { CART_STREAM_TYPE, cartStreamId, type CartEvent, type CartEventEnvelope } from '../cart/events';
import { evolve, type CartState } from '../cart/evolve';
import { cartRow, orderRows } from '../cart/projections';
import { currentSchemaVersion } from '../cart/upcast';
import { rebuildProjections } from '../projections';
import { foldCarts, nextCartStreams } from '../projections/fold';
import { projections, toRecord } from '../projections/registry';
import { DEFAULT_BATCH_SIZE } from '../projections/verify';

/** Events per cart in the rebuild database (as `npm run bench:projections` seeds by default). */
export const REBUILD_EVENTS_PER_CART = 10;
export const REBUILD_BATCH_SIZE = DEFAULT_BATCH_SIZE;

const products = demoProducts.filter((p) => p.stock > 0);
const CART = '__CART__';
const USER = '__USER__';
const ORDER = '__ORDER__';
const meta = { actor: { userId: USER, role: 'shopper' as const }, correlationId: 'bench', causationId: null, commandId: null };

/**
 * Cart i's history, as server/cli/bench-projections.ts builds it: opened, items added (the products in
 * turn from i), one quantity changed, and checked out every fourth cart. Ids are placeholders that the
 * SQL fills in per cart; the shape repeats every lcm(products, 4) carts.
 */
function history(i: number, count: number): CartEventEnvelope[] {
  const start = Date.UTC(2026, 0, 1);
  const at = (v: number) => new Date(start + i * 1000 + v * 10).toISOString();
  const evs: CartEventEnvelope[] = [{ type: 'CartOpened', data: { cartId: CART, userId: USER, currency: 'EUR' }, version: 1, occurredAt: at(1) }];
  const push = (e: CartEvent) => evs.push({ ...e, version: evs.length + 1, occurredAt: at(evs.length + 1) } as CartEventEnvelope);
  const checkout = i % 4 === 0;
  const adds = count - 2 - (checkout ? 1 : 0);
  for (let k = 0; k < adds; k++) {
    const p = products[(i + k) % products.length];
    push({ type: 'ItemAdded', data: { productId: p.id, name: p.name, unitPriceCents: p.priceCents, quantity: 1, reservedUntil: at(evs.length + 1) } });
  }
  const first = products[i % products.length];
  const q = evs.reduce<CartState | null>(evolve, null)!.items.find((l) => l.productId === first.id)!.quantity;
  push({ type: 'ItemQuantityChanged', data: { productId: first.id, from: q, to: q + 1 } });
  if (checkout) {
    const s = evs.reduce<CartState | null>(evolve, null)!;
    push({ type: 'CartCheckedOut', data: { orderId: ORDER, items: s.items, itemCount: s.itemCount, totalCents: s.totalCents, currency: 'EUR' } });
  }
  return evs;
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/** One template per cart shape: its events, streams row and read-model records, with placeholder ids. */
function templates(eventsPerCart: number) {
  const shapes = (products.length * 4) / gcd(products.length, 4);
  const evs: { shape: number; version: number; type: string; schema_version: number; data: string; occurred_at: string }[] = [];
  const rows: Record<string, { shape: number; rec: string }[]> = {};
  for (let i = 0; i < shapes; i++) {
    const h = history(i, eventsPerCart);
    for (const e of h) evs.push({ shape: i, version: e.version, type: e.type, schema_version: currentSchemaVersion(e.type), data: JSON.stringify(e.data), occurred_at: e.occurredAt });
    const state = h.reduce<CartState | null>(evolve, null)!;
    const byName = { carts: [cartRow(state)], orders: orderRows(state, h) } as Record<string, Record<string, unknown>[]>;
    for (const p of projections) {
      rows[p.name] ??= [];
      for (const r of byName[p.name] ?? []) rows[p.name].push({ shape: i, rec: JSON.stringify(toRecord(p, r)) });
    }
  }
  return { shapes, evs, rows, lastAt: (shape: number) => evs.filter((e) => e.shape === shape).at(-1)!.occurred_at };
}

/**
 * Migrates and seeds the catalog, then `carts` carts of REBUILD_EVENTS_PER_CART events each, in bulk
 * SQL (INSERT ... SELECT over generate_series and the shape templates): streams, events and the live
 * read models exactly as the inline projections would have written them (rebuild finds no mismatch).
 * Cart ids are UUIDs (md5 of the cart number), so stream order is unrelated to insert order, as in life.
 */
export async function seedRebuild(url: string, carts: number): Promise<{ carts: number; events: number; ms: number }> {
  const t0 = performance.now();
  // Two connections: the migration holds its advisory lock on one and migrates on the other.
  const h = openDatabase({ url, poolMax: 2 });
  try {
    await migrateDatabase(h);
    await seedDemo(h.db);
  } finally {
    await h.close();
  }
  const t = templates(REBUILD_EVENTS_PER_CART);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const ids = `select g, md5(g::text)::uuid::text as cid, 'bench-user-' || (g % 200) as uid, 'ord_' || substr(md5('order' || g), 1, 16) as oid
                 from generate_series(0, ${carts - 1}) g`;
    const fill = (col: string) => `replace(replace(replace(${col}, '${CART}', c.cid), '${USER}', c.uid), '${ORDER}', c.oid)`;
    const phase = (() => {
      let t = performance.now();
      return (what: string) => {
        if (process.env.BENCH_DEBUG) console.log(`[seedRebuild] ${what}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
        t = performance.now();
      };
    })();
    // Bulk load, then index: the secondary indexes of the filled tables are dropped first and created again
    // afterwards from their own definitions (pg_get_indexdef), so the schema ends up exactly as migrated.
    const tables = ['events', 'carts', 'orders'];
    const indexes = await sql<{ name: string; def: string }[]>`
      select i.relname as name, pg_get_indexdef(i.oid) as def
      from pg_index x join pg_class i on i.oid = x.indexrelid
      where x.indrelid in (select to_regclass(t) from unnest(${tables}::text[]) t)
        and not x.indisprimary and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)`;
    await sql.begin(async (tx) => {
      // Settings of this transaction only (no server setting changes): the seed is not what is measured.
      await tx.unsafe(`set local synchronous_commit = off`);
      await tx.unsafe(`set local maintenance_work_mem = '256MB'`);
      await tx.unsafe(`set local work_mem = '64MB'`);
      for (const i of indexes) await tx.unsafe(`drop index ${i.name}`);
      const streamTpl = Array.from({ length: t.shapes }, (_, s) => ({ shape: s, version: t.evs.filter((e) => e.shape === s).length, at: t.lastAt(s) }));
      await tx.unsafe(
        `insert into streams (stream_id, stream_type, version, created_at, updated_at)
         select '${cartStreamId('')}' || c.cid, '${CART_STREAM_TYPE}', s.version, s.at, s.at
         from (${ids}) c join jsonb_to_recordset($1::jsonb) as s(shape int, version int, at timestamptz) on s.shape = c.g % ${t.shapes}`,
        [streamTpl as never],
      );
      await tx.unsafe(
        // Per event: the template's jsonb as parsed once, ids put in by text replacement only where the template
        // holds one (CartOpened, CartCheckedOut); the metadata is one of 200 (its user). No ORDER BY (a sort of
        // a million wide rows spills): the hash join emits rows in probe order, cart by cart, version by version.
        `with e as (
           select shape, version, type, schema_version, data::jsonb as data, data as text, occurred_at,
                  position('__' in data) > 0 as ids
           from jsonb_to_recordset($1::jsonb) as x(shape int, version int, type text, schema_version int, data text, occurred_at timestamptz)),
         m as (select u, replace($2, '${USER}', 'bench-user-' || u)::jsonb as metadata from generate_series(0, 199) u)
         insert into events (stream_id, stream_type, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at)
         select '${cartStreamId('')}' || c.cid, '${CART_STREAM_TYPE}', e.version, e.type, e.schema_version,
                case when e.ids then ${fill('e.text')}::jsonb else e.data end, m.metadata, e.occurred_at, e.occurred_at
         from (${ids}) c cross join generate_series(1, ${REBUILD_EVENTS_PER_CART}) v
         join e on e.shape = c.g % ${t.shapes} and e.version = v
         join m on m.u = c.g % 200`,
        [t.evs as never, JSON.stringify(meta)],
      );
      phase('events inserted');
      for (const p of projections) {
        await tx.unsafe(
          // LATERAL, not (f(...)).*, which would call f once per column.
          `insert into ${p.table} select x.*
           from (${ids}) c join jsonb_to_recordset($1::jsonb) as r(shape int, rec text) on r.shape = c.g % ${t.shapes}
           cross join lateral jsonb_populate_record(null::${p.table}, ${fill('r.rec')}::jsonb) x`,
          [(t.rows[p.name] ?? []) as never],
        );
      }
      phase('rows inserted');
      for (const i of indexes) await tx.unsafe(i.def);
      phase(`${indexes.length} indexes created`);
    });
    // Hint bits and the visibility map set now, so the first measured pass does not pay for them.
    await sql.unsafe('vacuum (freeze, analyze) streams, events, carts, orders');
    phase('vacuum');
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from events`;
    return { carts, events: n, ms: performance.now() - t0 };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export type RebuildPassResult = {
  events: number;
  carts: number;
  seconds: number;
  eventsPerSec: number;
  /** Peak resident memory of the process over its life (process.resourceUsage().maxRSS). */
  maxRssMb: number;
  /** Resident memory after the warm-up, before the measured pass. */
  rssBeforeMb: number;
  warmupMs: number;
  mismatches?: number;
};

/** The plain read: every cart stream's events in the rebuild's order and batches, JSON parsed by postgres.js, nothing folded. */
async function plainRead(url: string, batchSize: number, maxBatches = Infinity): Promise<{ events: number; carts: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let events = 0;
  let carts = 0;
  let after = '';
  try {
    for (let b = 0; b < maxBatches; b++) {
      const n = await sql.begin('isolation level repeatable read read only', async (tx) => {
        const heads = await tx<{ stream_id: string }[]>`
          select stream_id from streams where stream_type = ${CART_STREAM_TYPE} and stream_id > ${after} order by stream_id limit ${batchSize}`;
        if (heads.length === 0) return 0;
        const ids = heads.map((h) => h.stream_id);
        const rows = await tx`select * from events where stream_id in ${tx(ids)} order by stream_id, stream_version`;
        for (const r of rows) if (typeof r.data !== 'object' || typeof r.metadata !== 'object') throw new Error('jsonb not parsed');
        events += rows.length;
        after = ids.at(-1)!;
        return heads.length;
      });
      carts += n;
      if (n < batchSize) break;
    }
  } finally {
    await sql.end({ timeout: 2 });
  }
  return { events, carts };
}

const rssMb = () => process.memoryUsage.rss() / 2 ** 20;

/**
 * One measured pass in this (fresh) process. Warm-up, the same for both variants: read and fold the
 * first `warmupBatches` batches with the rebuild's own read (foldCarts), writing nothing.
 */
export async function rebuildPass(url: string, variant: 'rebuild' | 'plain', warmupBatches = 4): Promise<RebuildPassResult> {
  const batchSize = REBUILD_BATCH_SIZE;
  const w0 = performance.now();
  const h = openDatabase({ url, poolMax: 3 });
  setDbHandle(h);
  try {
    let after = '';
    for (let b = 0; b < warmupBatches; b++) {
      const heads = await nextCartStreams(h.db, after, batchSize);
      if (!heads.length) break;
      await foldCarts(h.db, heads);
      after = heads.at(-1)!.streamId;
    }
    const warmupMs = performance.now() - w0;
    const rssBeforeMb = rssMb();
    const t0 = performance.now();
    let events: number;
    let carts: number;
    let mismatches: number | undefined;
    if (variant === 'rebuild') {
      const r = await rebuildProjections(h, { batchSize });
      if (r.mismatches.length) throw new Error(`rebuild found ${r.mismatches.length} mismatches, e.g. ${JSON.stringify(r.mismatches[0])}`);
      carts = r.checked;
      mismatches = r.mismatches.length;
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      // The events the rebuild folded: every cart stream's (counted after the pass, not timed).
      events = Number((await sql`select count(*)::int as n from events where stream_type = ${CART_STREAM_TYPE}`)[0].n);
      await sql.end({ timeout: 2 });
    } else {
      ({ events, carts } = await plainRead(url, batchSize));
    }
    const seconds = (performance.now() - t0) / 1000;
    return { events, carts, seconds, eventsPerSec: events / seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, rssBeforeMb, warmupMs, mismatches };
  } finally {
    setDbHandle(undefined);
    await h.close();
  }
}
