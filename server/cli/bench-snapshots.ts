// npm run bench:snapshots (also run by the full `npm run bench`): how fast is the state of a long cart with snapshots, against folding every event?
// On embedded PGlite (in a temp folder) and, when BENCH_DATABASE_URL or the local server answers, on a
// scratch database on a PostgreSQL server (created and dropped here). Builds a 10,000-event cart of
// adds, quantity changes and removes of catalog products (appended in batches through the event store,
// with the inline projection and snapshots, as the handler would), then times:
//   - the state at 200 random versions and at 50 random moments: snapshot path (loadCart) vs the full
//     fold of the events up to that point (what loadCart did before snapshots), in the same run;
//   - append throughput: single-event commands through the command handler vs a raw INSERT loop.
// Prints the figures and writes them to docs/benchmarks-snapshots.md.
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase, setDbHandle, type DbHandle } from '../../db/client';
import { demoProducts } from '../../db/catalog-data';
import { migrateDatabase } from '../../db/migrate';
import { products } from '../../db/schema';
import { seedDemo } from '../../db/seed';
import { decide, type CartCommand, type ProductSnapshot } from '../cart/decide';
import { toEnvelope } from '../cart/envelope';
import { CART_STREAM_TYPE, cartStreamId, type CartEvent, type CartEventEnvelope } from '../cart/events';
import { evolve, fold, type CartState } from '../cart/evolve';
import { addItem, changeQuantity, loadCart, openCart, type CommandContext } from '../cart/handler';
import { projectCart } from '../cart/projections';
import { SNAPSHOT_EVERY, writeSnapshotsFor } from '../cart/snapshots';
import { currentSchemaVersion } from '../cart/upcast';
import { append, readStream, type EventMetadata } from '../eventstore';
import { prng } from '../bench/common'; // deterministic: every run builds the same cart and asks the same questions

const EVENTS = 10_000;
const VERSION_SAMPLES = 200;
const TIME_SAMPLES = 50;
const THROUGHPUT_SECONDS = 3;
const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/test';

// ------------------------------------------------------------------ small helpers


const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

type Row = { what: string; samples: number; baseSamples: number; snapMedian: number; snapP95: number; snapMax: number; baseMedian: number; baseP95: number };
type Result = {
  kind: string;
  buildSeconds: number;
  eventsBuilt: number;
  snapshots: number;
  rows: Row[];
  handlerEps: number;
  handlerCount: number;
  rawEps: number;
  rawCount: number;
};

// ------------------------------------------------------------------ the long cart

const catalog: Record<string, ProductSnapshot> = Object.fromEntries(
  demoProducts.map((p) => [p.id, { productId: p.id, name: p.name, unitPriceCents: p.priceCents, currency: 'EUR', stock: 1_000_000 }]),
);
const productIds = Object.keys(catalog);

/** The next shopper command against `state` that yields one event: add, change quantity or remove. */
function nextCommand(state: CartState, rnd: () => number): CartCommand {
  const lines = state.items;
  const r = rnd();
  if (lines.length > 0 && r < 0.3) {
    const l = lines[Math.floor(rnd() * lines.length)];
    let to = 1 + Math.floor(rnd() * 12);
    if (to === l.quantity) to = to === 1 ? 2 : to - 1;
    return { type: 'ChangeQuantity', data: { productId: l.productId, quantity: to, product: catalog[l.productId] } };
  }
  if (lines.length > 0 && (r < 0.42 || lines.length >= 8)) {
    return { type: 'RemoveItem', data: { productId: lines[Math.floor(rnd() * lines.length)].productId } };
  }
  const id = productIds[Math.floor(rnd() * productIds.length)];
  const current = lines.find((l) => l.productId === id)?.quantity ?? 0;
  if (current > 90) return { type: 'RemoveItem', data: { productId: id } };
  return { type: 'AddItem', data: { productId: id, quantity: 1 + Math.floor(rnd() * 3), product: catalog[id] } };
}

/**
 * Appends EVENTS events to a new cart in batches of 1..19 (one shopper session each, sharing a
 * timestamp, 1..120 s apart), each batch with its projection and snapshots, 40 batches per transaction.
 */
async function buildLongCart(h: DbHandle, actor: EventMetadata['actor']) {
  const t0 = Date.UTC(2026, 0, 5, 9, 0, 0);
  const { cartId } = await openCart({ actor, now: () => new Date(t0) });
  const streamId = cartStreamId(cartId);
  const rnd = prng(20261122);
  let state = (await loadCart(h.db, cartId)).state!;
  let clock = t0;
  let snapshots = 0;
  while (state.version < EVENTS) {
    await h.db.transaction(async (tx) => {
      for (let b = 0; b < 40 && state.version < EVENTS; b++) {
        const size = Math.min(1 + Math.floor(rnd() * 19), EVENTS - state.version);
        const batch: CartEvent[] = [];
        let draft = state;
        while (batch.length < size) {
          const [e] = decide(nextCommand(draft, rnd), draft);
          if (!e) continue;
          batch.push(e);
          draft = evolve(draft, { ...e, version: draft.version + 1, occurredAt: draft.updatedAt } as CartEventEnvelope);
        }
        clock += 1000 + Math.floor(rnd() * 119_000);
        const appended = await append(tx, streamId, batch.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })), {
          streamType: CART_STREAM_TYPE,
          expectedVersion: state.version,
          metadata: { actor, correlationId: `bench-${state.version}`, causationId: null, commandId: null },
          occurredAt: new Date(clock),
        });
        const envelopes = appended.events.map(toEnvelope);
        const after = fold(envelopes, state)!;
        await projectCart(tx, after, envelopes);
        snapshots += (await writeSnapshotsFor(tx, streamId, state, envelopes)).length;
        state = after;
      }
    });
  }
  return { cartId, streamId, first: t0, last: clock, state, snapshots };
}

/** What loadCart did before snapshots: read every event up to the point and fold them all. */
async function fullFold(h: DbHandle, streamId: string, opts: { toVersion?: number; until?: Date }) {
  return fold((await readStream(h.db, streamId, opts)).map(toEnvelope));
}

// ------------------------------------------------------------------ one database

async function benchOne(h: DbHandle, kind: string, deadline: number): Promise<Result> {
  await migrateDatabase(h);
  await seedDemo(h.db);
  await h.db.update(products).set({ stock: 1_000_000 });
  setDbHandle(h);
  const actor = { userId: 'user-alice', role: 'shopper' as const };

  process.stdout.write(`[${kind}] building a ${EVENTS}-event cart ... `);
  const build = await timed(() => buildLongCart(h, actor));
  const cart = build.value;
  console.log(`${(build.ms / 1000).toFixed(1)} s, ${cart.snapshots} snapshots (K = ${SNAPSHOT_EVERY})`);
  const check = await loadCart(h.db, cart.cartId);
  if (JSON.stringify(check.state) !== JSON.stringify(cart.state)) throw new Error('the loaded state differs from the built one');

  // Append throughput: single-event commands through the handler (own transaction each: lock, load from
  // the snapshot, decide, append, project, snapshot) vs single-row INSERTs into events.
  const ctx: CommandContext = { actor };
  const { cartId } = await openCart(ctx);
  const ids = productIds.filter((id) => demoProducts.find((p) => p.id === id)!.stock > 0).slice(0, 8);
  for (const id of ids) await addItem(ctx, cartId, { productId: id, quantity: 1 });
  const trnd = prng(99);
  let handlerCount = 0;
  const quantities = new Map(ids.map((id) => [id, 1]));
  const handlerStart = performance.now();
  while (performance.now() - handlerStart < THROUGHPUT_SECONDS * 1000) {
    const id = ids[handlerCount % ids.length];
    let q = 1 + Math.floor(trnd() * 99);
    if (q === quantities.get(id)) q = q === 1 ? 2 : q - 1;
    await changeQuantity(ctx, cartId, { productId: id, quantity: q });
    quantities.set(id, q);
    handlerCount++;
  }
  const handlerEps = handlerCount / ((performance.now() - handlerStart) / 1000);

  const rawStream = `bench-raw-${randomBytes(4).toString('hex')}`;
  const meta = JSON.stringify({ actor, correlationId: 'bench', causationId: null, commandId: null });
  let rawCount = 0;
  const rawStart = performance.now();
  while (performance.now() - rawStart < THROUGHPUT_SECONDS * 1000) {
    rawCount++;
    const data = JSON.stringify({ productId: 'ceramic-mug', from: rawCount, to: rawCount + 1 });
    await h.db.execute(sql`
      insert into events (stream_id, stream_type, stream_version, type, schema_version, data, metadata, occurred_at)
      values (${rawStream}, 'bench', ${rawCount}, 'ItemQuantityChanged', 1, ${data}::jsonb, ${meta}::jsonb, now())`);
  }
  const rawEps = rawCount / ((performance.now() - rawStart) / 1000);

  const rnd = prng(7);
  const versions = Array.from({ length: VERSION_SAMPLES }, () => 1 + Math.floor(rnd() * EVENTS));
  const times = Array.from({ length: TIME_SAMPLES }, () => new Date(cart.first + Math.floor(rnd() * (cart.last - cart.first + 1))));

  // Warm up both paths (connections, plans, JIT) before timing.
  for (const v of versions.slice(0, 5)) {
    await loadCart(h.db, cart.cartId, { toVersion: v });
    await fullFold(h, cart.streamId, { toVersion: v });
  }

  const rows: Row[] = [];
  for (const [what, points, share] of [
    [`state at ${VERSION_SAMPLES} random versions`, versions.map((v) => ({ toVersion: v })), 0.7],
    [`state at ${TIME_SAMPLES} random moments`, times.map((t) => ({ until: t })), 1],
  ] as const) {
    // Each path over all points in turn: a full fold's garbage (10,000 rows) must not be collected
    // inside a snapshot-path sample. Same points, same run, every answer compared afterwards.
    const ps = points as { toVersion?: number; until?: Date }[];
    const snap: number[] = [];
    const base: number[] = [];
    const snapStates: string[] = [];
    for (const point of ps) {
      const r = await timed(() => loadCart(h.db, cart.cartId, point));
      snap.push(r.ms);
      snapStates.push(JSON.stringify(r.value.state));
    }
    // The full folds are what takes long; on a busy machine they stop at the deadline (the table
    // then says how many ran). The points are in random order, so the ones that ran are a random subset.
    const stopAt = performance.now() + share * Math.max(0, deadline - performance.now());
    for (const [i, point] of ps.entries()) {
      if (performance.now() > stopAt && base.length >= 10) break;
      const r = await timed(() => fullFold(h, cart.streamId, point));
      base.push(r.ms);
      if (JSON.stringify(r.value) !== snapStates[i]) throw new Error(`snapshot path and full fold disagree at ${JSON.stringify(point)}`);
    }
    rows.push({
      what,
      samples: snap.length,
      baseSamples: base.length,
      snapMedian: quantile(snap, 0.5),
      snapP95: quantile(snap, 0.95),
      snapMax: Math.max(...snap),
      baseMedian: quantile(base, 0.5),
      baseP95: quantile(base, 0.95),
    });
  }

  return {
    kind,
    buildSeconds: build.ms / 1000,
    eventsBuilt: cart.state.version,
    snapshots: cart.snapshots,
    rows,
    handlerEps,
    handlerCount,
    rawEps,
    rawCount,
  };
}

// ------------------------------------------------------------------ databases, report

async function serverUrl(): Promise<string | undefined> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given === 'none') return undefined;
  const url = given || LOCAL_SERVER;
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    return url;
  } catch (e) {
    if (given) throw new Error(`BENCH_DATABASE_URL is set but not reachable: ${(e as Error).message}`);
    console.log(`No PostgreSQL server at ${LOCAL_SERVER} and BENCH_DATABASE_URL is not set: embedded database only.`);
    return undefined;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

function table(r: Result): string {
  const lines = [
    `| ${r.kind}: ${r.eventsBuilt.toLocaleString('en')}-event cart, K = ${SNAPSHOT_EVERY} | samples (snapshots / full fold) | snapshots median ms | p95 ms | max ms | full fold median ms | p95 ms | median ratio | p95 ratio |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (x) =>
        `| ${x.what} | ${x.samples} / ${x.baseSamples} | ${ms(x.snapMedian)} | ${ms(x.snapP95)} | ${ms(x.snapMax)} | ${ms(x.baseMedian)} | ${ms(x.baseP95)} | ${(x.baseMedian / x.snapMedian).toFixed(1)}× faster | ${(x.baseP95 / x.snapP95).toFixed(1)}× faster |`,
    ),
    '',
    `| ${r.kind}: append throughput | events | events/s | vs raw INSERT |`,
    '|---|---:|---:|---:|',
    `| single-event commands through the handler (1 tx each: lock, load from snapshot, decide, append, project, snapshot) | ${r.handlerCount} | ${r.handlerEps.toFixed(0)} | ${((r.handlerEps / r.rawEps) * 100).toFixed(0)} % |`,
    `| raw single-row INSERT loop into events (autocommit) | ${r.rawCount} | ${r.rawEps.toFixed(0)} | 100 % |`,
    '',
    `Building the cart (${r.eventsBuilt.toLocaleString('en')} events in batches of 1–19, with projection and ${r.snapshots} snapshots): ${r.buildSeconds.toFixed(1)} s.`,
  ];
  return lines.join('\n');
}

function machineFacts(pgVersion: string | undefined): string[] {
  const pglite = JSON.parse(fs.readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8')).version as string;
  let nproc = String(os.availableParallelism());
  try {
    nproc = execSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // nproc missing: keep Node's count
  }
  return [
    `- nproc: ${nproc}; CPU: ${os.cpus()[0]?.model ?? 'unknown'}; memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- ${os.type()} ${os.release()} (${os.arch()}); Node ${process.version}`,
    `- PGlite ${pglite} (embedded, temp folder)${pgVersion ? `; ${pgVersion} (scratch database on the server)` : ''}`,
  ];
}

/** The whole run stays under two minutes: full-fold sampling stops at these marks (from the start). */
const PGLITE_DONE_BY_S = 60;
const ALL_DONE_BY_S = 108;

async function main() {
  const started = performance.now();
  const loadBefore = os.loadavg()[0];
  const results: Result[] = [];
  let pgVersion: string | undefined;
  const base = await serverUrl();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-bench-'));
  const lite = openDatabase({ pgliteDir: path.join(dir, 'pglite') });
  try {
    results.push(await benchOne(lite, 'PGlite', started + (base ? PGLITE_DONE_BY_S : ALL_DONE_BY_S) * 1000));
  } finally {
    setDbHandle(undefined);
    await lite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  if (base) {
    const name = `eventcart_bench_${randomBytes(5).toString('hex')}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    const pg = openDatabase({ url: url.toString(), poolMax: 4 });
    try {
      const [v] = await admin<{ server_version: string }[]>`show server_version`;
      pgVersion = `PostgreSQL ${v.server_version.split(' ')[0]}`;
      results.push(await benchOne(pg, pgVersion, started + ALL_DONE_BY_S * 1000));
    } finally {
      setDbHandle(undefined);
      await pg.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end();
    }
  }

  const seconds = (performance.now() - started) / 1000;
  const facts = [
    ...machineFacts(pgVersion),
    `- load average (1 min) at start ${loadBefore.toFixed(1)}, at end ${os.loadavg()[0].toFixed(1)}: on a shared machine the absolute times move with it; compare the ratios`,
  ];
  const tables = results.map(table).join('\n\n');
  console.log('\n' + tables + '\n');
  console.log(facts.join('\n'));
  console.log(`\nTotal ${seconds.toFixed(0)} s.`);

  const doc = [
    '# Benchmarks',
    '',
    'Snapshots against folding every event, and the cost of the command path. Written by `npm run bench:snapshots`',
    '(`server/cli/bench-snapshots.ts`); rerun it to refresh this page.',
    '',
    '```sh',
    'npm run bench:snapshots   # BENCH_DATABASE_URL=postgres://… for another server, =none for PGlite only',
    '```',
    '',
    `Run on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${seconds.toFixed(0)} s in all.`,
    '',
    ...facts,
    '',
    'Method: one cart of 10,000 realistic events (adds, quantity changes and removes of the demo catalog,',
    'appended through the event store in batches of 1–19 with their projection and snapshots). "Snapshots"',
    'is `loadCart` (one indexed query for the target version, the nearest snapshot, the events after it,',
    'fold); "full fold" reads every event up to the point and folds them, as before snapshots. Both run on',
    'the same points in the same run (all snapshot-path samples, then all full folds, so one path\'s garbage',
    'collection does not land in the other\'s samples), and every answer is checked equal.',
    'Times are wall-clock per call from Node, including the round trips.',
    '',
    tables,
    '',
  ].join('\n');
  fs.mkdirSync('docs', { recursive: true });
  fs.writeFileSync('docs/benchmarks-snapshots.md', doc);
  console.log('Written to docs/benchmarks-snapshots.md');
}

main().catch((e) => {
  console.error('[eventcart] bench failed:', e);
  process.exit(1);
});
