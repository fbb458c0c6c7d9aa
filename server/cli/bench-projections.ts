// npm run bench:projections [-- --carts 2000 --events 10 --batch-size 500 --db both|pglite|postgres]
//
// Seeds N carts x E events into a scratch database (in-memory PGlite, and a fresh database on the
// PostgreSQL server in BENCH_DATABASE_URL / TEST_DATABASE_URL / the local default, dropped afterwards;
// it never touches DATABASE_URL's database), then times verify, rebuild and verify again. On
// PostgreSQL it also times cart commands that run while the rebuild runs.
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, setDbHandle, type DbHandle } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { carts, events, orders, streams } from '../../db/schema';
import { seedDemo } from '../../db/seed';
import { demoProducts } from '../../db/catalog-data';
import { addItem, openCart, removeItem } from '../cart/handler';
import { CART_STREAM_TYPE, cartStreamId, type CartEvent, type CartEventEnvelope } from '../cart/events';
import { evolve, type CartState } from '../cart/evolve';
import { cartRow, orderRows } from '../cart/projections';
import { rebuildProjections, verifyProjections } from '../projections';

type Opts = { carts: number; events: number; batchSize: number; db: 'both' | 'pglite' | 'postgres' };

function parse(argv: string[]): Opts {
  const o: Opts = { carts: 2000, events: 10, batchSize: 500, db: 'both' };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].split('=');
    const v = inline ?? argv[++i];
    if (k === '--carts') o.carts = Number(v);
    else if (k === '--events') o.events = Number(v);
    else if (k === '--batch-size') o.batchSize = Number(v);
    else if (k === '--db') o.db = v as Opts['db'];
    else throw new Error(`unknown option ${k}`);
  }
  if (!(o.carts > 0 && o.events >= 3 && o.batchSize > 0)) throw new Error('--carts > 0, --events >= 3, --batch-size > 0');
  return o;
}

const products = demoProducts.filter((p) => p.stock > 0);
const meta = { actor: { userId: 'bench', role: 'system' as const }, correlationId: 'bench', causationId: null, commandId: null };

/** One cart's history: opened, items added, one quantity changed, and checked out every fourth cart. */
function history(i: number, count: number, start: number): { cartId: string; userId: string; evs: CartEventEnvelope[] } {
  const cartId = randomUUID();
  const userId = `bench-user-${i % 200}`;
  const at = (v: number) => new Date(start + i * 1000 + v * 10).toISOString();
  const evs: CartEventEnvelope[] = [{ type: 'CartOpened', data: { cartId, userId, currency: 'EUR' }, version: 1, occurredAt: at(1) }];
  const push = (e: CartEvent) => evs.push({ ...e, version: evs.length + 1, occurredAt: at(evs.length + 1) } as CartEventEnvelope);
  const checkout = i % 4 === 0;
  const adds = count - 2 - (checkout ? 1 : 0);
  for (let k = 0; k < adds; k++) {
    const p = products[(i + k) % products.length];
    push({ type: 'ItemAdded', data: { productId: p.id, name: p.name, unitPriceCents: p.priceCents, quantity: 1 } });
  }
  const first = products[i % products.length];
  const state = evs.reduce<CartState | null>(evolve, null)!;
  const q = state.items.find((l) => l.productId === first.id)!.quantity;
  push({ type: 'ItemQuantityChanged', data: { productId: first.id, from: q, to: q + 1 } });
  if (checkout) {
    const s = evs.reduce<CartState | null>(evolve, null)!;
    push({
      type: 'CartCheckedOut',
      data: { orderId: `ord_${randomBytes(8).toString('hex')}`, items: s.items, itemCount: s.itemCount, totalCents: s.totalCents, currency: 'EUR' },
    });
  }
  return { cartId, userId, evs };
}

async function seed(h: DbHandle, o: Opts) {
  const start = Date.UTC(2026, 0, 1);
  const chunk = 200;
  for (let from = 0; from < o.carts; from += chunk) {
    const carts_ = Array.from({ length: Math.min(chunk, o.carts - from) }, (_, k) => history(from + k, o.events, start));
    await h.db.transaction(async (tx) => {
      await tx.insert(streams).values(carts_.map((c) => ({ streamId: cartStreamId(c.cartId), streamType: CART_STREAM_TYPE, version: c.evs.length })));
      await tx.insert(events).values(
        carts_.flatMap((c) =>
          c.evs.map((e) => ({
            streamId: cartStreamId(c.cartId),
            streamType: CART_STREAM_TYPE,
            streamVersion: e.version,
            type: e.type,
            data: e.data,
            metadata: meta,
            occurredAt: new Date(e.occurredAt),
          })),
        ),
      );
      const states = carts_.map((c) => ({ c, state: c.evs.reduce<CartState | null>(evolve, null)! }));
      await tx.insert(carts).values(states.map(({ state }) => cartRow(state)));
      const os = states.flatMap(({ c, state }) => orderRows(state, c.evs));
      if (os.length) await tx.insert(orders).values(os);
    });
  }
}

const ms = (n: number) => `${Math.round(n)} ms`;

/** Cart commands in a loop while `during` runs: how long each took, and whether any failed. */
async function commandsDuring<T>(during: Promise<T>) {
  let running = true;
  const latencies: number[] = [];
  let failed = 0;
  const ctx = { actor: { userId: 'bench-writer', role: 'shopper' as const } };
  const { cartId } = await openCart(ctx);
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      try {
        if (i % 2 === 0) await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
        else await removeItem(ctx, cartId, { productId: 'paper-filters' });
        latencies.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }
  })();
  const result = await during.finally(() => {
    running = false;
  });
  await loop;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { result, n: latencies.length, failed, p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? 0 };
}

async function bench(label: string, h: DbHandle, o: Opts) {
  await migrateDatabase(h);
  await seedDemo(h.db);
  setDbHandle(h);
  let t = performance.now();
  await seed(h, o);
  console.log(`\n== ${label}: ${o.carts} carts x ${o.events} events (${o.carts * o.events} events), batch size ${o.batchSize}`);
  console.log(`seed (bulk SQL):        ${ms(performance.now() - t)}`);

  const v1 = await verifyProjections(h.db, { batchSize: o.batchSize });
  console.log(`verify:                 ${ms(v1.durationMs)}  (${v1.checked} carts, ${v1.mismatches.length} mismatches, ${Math.round(v1.checked / (v1.durationMs / 1000))} carts/s)`);

  t = performance.now();
  const withWriters = h.kind === 'postgres';
  const run = rebuildProjections(h, { batchSize: o.batchSize });
  const r = withWriters ? await commandsDuring(run) : { result: await run, n: 0, failed: 0, p50: 0, p99: 0, max: 0 };
  const rb = r.result;
  console.log(
    `rebuild:                ${ms(rb.durationMs)}  (${rb.checked} carts, rows carts ${rb.rows.carts} / orders ${rb.rows.orders}, ` +
      `${rb.caughtUp} caught up, tables locked ${rb.swapMs} ms, ${Math.round(rb.checked / (rb.durationMs / 1000))} carts/s)`,
  );
  if (withWriters) {
    console.log(`commands during rebuild: ${r.n} ok, ${r.failed} failed; latency p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)}`);
  }
  const v2 = await verifyProjections(h.db, { batchSize: o.batchSize });
  console.log(`verify after rebuild:   ${ms(v2.durationMs)}  (${v2.mismatches.length} mismatches)`);
  setDbHandle(undefined);
  if (v1.mismatches.length || v2.mismatches.length || r.failed) throw new Error('the benchmark found differences or failed commands');
}

async function main() {
  const o = parse(process.argv.slice(2));
  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cpus`);
  if (o.db !== 'postgres') {
    const h = openDatabase({ pgliteDir: 'memory://' });
    try {
      await bench('PGlite (in memory)', h, o);
    } finally {
      await h.close();
    }
  }
  if (o.db !== 'pglite') {
    const base = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
    const admin = postgres(base, { max: 1, onnotice: () => {}, connect_timeout: 3 });
    const name = `eventcart_bench_${randomBytes(5).toString('hex')}`;
    try {
      await admin.unsafe(`create database ${name}`);
    } catch (e) {
      await admin.end();
      if (o.db === 'postgres') throw e;
      console.log(`\n(no PostgreSQL server at ${base.replace(/:[^:@/]*@/, ':***@')}: skipped)`);
      return;
    }
    const url = new URL(base);
    url.pathname = `/${name}`;
    const h = openDatabase({ url: url.toString(), poolMax: 10 });
    try {
      await bench(`PostgreSQL ${(await admin`show server_version`)[0].server_version}`, h, o);
    } finally {
      await h.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('[eventcart] bench failed:', e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
