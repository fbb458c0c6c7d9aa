// One measured workload in a fresh process:
//   tsx --conditions=react-server server/bench/worker.ts <scenario> <variant> <n>
// env: BENCH_URL (scratch database), BENCH_WARMUP_MS, BENCH_MEASURE_MS.
// Runs `n` closed-loop clients (or, for `read`, one client reading n-event streams): warm-up first,
// then counts what completes inside the measuring window. Prints one JSON line (WorkerResult).
// `capture <variant>` runs one command after a warm-up and prints every statement it sent.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { eq, inArray, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { openDatabase, preparingStatements, setDbHandle, type Db, type DbHandle } from '../../db/client';
import { send, settled } from '../../db/pipeline';
import * as schema from '../../db/schema';
import { products, streams } from '../../db/schema';
import { toSnapshot } from '../catalog/queries';
import { decide } from '../cart/decide';
import { toEnvelope } from '../cart/envelope';
import { CART_STREAM_TYPE, cartStreamId, type CartEvent, type CartEventEnvelope } from '../cart/events';
import { evolve, fold, type CartState } from '../cart/evolve';
import { addItem } from '../cart/handler';
import { projectCart } from '../cart/projections';
import { loadState, loadStateAfterLock, writeSnapshotsFor } from '../cart/snapshots';
import { currentSchemaVersion } from '../cart/upcast';
import { append, readStream } from '../eventstore';
import { benchMeta, benchProducts, cartIdOf, longCartId, middleVersion, prepareDb, CARTS_PER_SET, ownerOf, prng, productIds, quantile, type CartSet } from './common';
import type { EmmettCartEvent } from './emmett';

export type WorkerResult = {
  scenario: string;
  variant: string;
  n: number;
  ops: number;
  events: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rssMb: number;
  note?: string;
  firstError?: string;
  profile?: ProfileSummary;
  /** pglite: opening, migrating and seeding the in-memory database before the warm-up. */
  preparedMs?: number;
  /** Figures of a scenario beyond the common ones (e.g. peak memory of a rebuild). */
  extra?: Record<string, unknown>;
};

type Op = (client: number, rnd: () => number) => Promise<number>;

const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 3000);

export type ProfileSummary = { totalMs: number; byPart: { part: string; ms: number; share: number }[]; top: { frame: string; ms: number }[] };

type CpuProfile = { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] };

/** Where a frame's self time goes: which package, or which kind of native work. */
function partOf(fn: string, url: string): string {
  if (fn === '(idle)') return 'idle (waiting for the database)';
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === 'writeBuffer' || fn === 'writev' || fn === 'writeUtf8String') return 'socket writes (syscalls)';
  if (fn === 'dispatch' && url === '') return 'inspector (the profiler itself)';
  if (url.includes('eventcart-bench/worker.mjs')) return 'eventcart code';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.includes('/server/') || url.includes('/db/')) return 'eventcart code';
  if (url.startsWith('node:') || url === '') return `node internals / native (${fn || 'anonymous'})`.replace(/ \((program|anonymous)\)$/, '');
  return 'other';
}

function summarise(p: CpuProfile): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parts = new Map<string, number>();
  const frames = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = p.timeDeltas[i] / 1000;
    total += dt;
    const part = partOf(n.callFrame.functionName, n.callFrame.url);
    const key = part.startsWith('node internals') ? 'node internals / native' : part;
    parts.set(key, (parts.get(key) ?? 0) + dt);
    const frame = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(server|db)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    frames.set(frame, (frames.get(frame) ?? 0) + dt);
  });
  return {
    totalMs: total,
    byPart: [...parts].sort((a, b) => b[1] - a[1]).map(([part, ms]) => ({ part, ms, share: ms / total })),
    top: [...frames].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([frame, ms]) => ({ frame, ms })),
  };
}

/** With BENCH_PROFILE=1, a CPU profile of the measuring window only. */
async function profileWindow(from: number, to: number): Promise<ProfileSummary | undefined> {
  if (process.env.BENCH_PROFILE !== '1') return undefined;
  const session = new Session();
  session.connect();
  await new Promise((r) => setTimeout(r, Math.max(0, from - performance.now())));
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await new Promise((r) => setTimeout(r, Math.max(0, to - performance.now())));
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  return summarise(profile);
}

/** `clients` loops of `op`; operations that complete inside the measuring window are counted (throughput = completions / window). */
async function runLoad(clients: number, op: Op) {
  const start = performance.now();
  const from = start + WARMUP_MS;
  const to = from + MEASURE_MS;
  const latencies: number[] = [];
  let events = 0;
  let errors = 0;
  let firstError: unknown;
  const profiling = profileWindow(from, to);
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const rnd = prng(1000 + c);
      while (performance.now() < to) {
        const t0 = performance.now();
        try {
          const n = await op(c, rnd);
          const t1 = performance.now();
          if (t1 >= from && t1 <= to) {
            latencies.push(t1 - t0);
            events += n;
          }
        } catch (e) {
          errors++;
          firstError ??= e;
          if (errors > 50 && errors > latencies.length) throw e;
        }
      }
    }),
  );
  if (firstError) console.error('[worker] first error:', firstError);
  const profile = await profiling;
  const seconds = MEASURE_MS / 1000;
  return {
    ops: latencies.length,
    events,
    errors,
    seconds,
    opsPerSec: latencies.length / seconds,
    eventsPerSec: events / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    ...(profile ? { profile } : {}),
    ...(firstError ? { firstError: String((firstError as Error).message ?? firstError).slice(0, 200) } : {}),
  };
}

// ------------------------------------------------------------------ our side

const pick = <T>(xs: T[], rnd: () => number) => xs[Math.floor(rnd() * xs.length)];

/** One AddItem command through the real handler (lock, load, decide, append, project, snapshot). */
const oursOneEvent =
  (set: CartSet, carts = CARTS_PER_SET): Op =>
  async (_c, rnd) => {
    const i = Math.floor(rnd() * carts);
    const r = await addItem({ actor: { userId: ownerOf(i), role: 'shopper' } }, cartIdOf(set, i), { productId: pick(productIds, rnd), quantity: 1 });
    return r.events.length;
  };

/**
 * One ItemAdded appended through the event store alone (no decide, no read model): `append` is one
 * statement (the stream row's claim and the events' insert in one CTE), atomic on its own, so it runs
 * without an explicit transaction, in one round trip.
 */
const oursAppend =
  (db: Db, carts = CARTS_PER_SET): Op =>
  async (_c, rnd) => {
    const i = Math.floor(rnd() * carts);
    const r = await append(db, `bench-append-${i}`, [{ ...itemAdded(rnd), schemaVersion: currentSchemaVersion('ItemAdded') }], {
      streamType: CART_STREAM_TYPE,
      expectedVersion: 'any',
      metadata: benchMeta(ownerOf(i)),
      occurredAt: new Date(),
    });
    return r.events.length;
  };

/**
 * A command of 10 events. No cart command decides more than one event, so this mirrors the handler's
 * executeCommand step by step with the same modules, in one transaction and the same round trips: BEGIN;
 * the stream row's lock with the load behind it (loadStateAfterLock) and the catalog's products (one
 * statement; the ten are picked once the cart is known), then decide 10 AddItems, and the append with
 * projectCart and writeSnapshotsFor sent behind it (the stream is locked, so the stored versions are
 * known before the append answers), then COMMIT. No stock check: none of these adds takes a reservation.
 */
async function tenEventCommand(db: Db, cartId: string, userId: string, rnd: () => number): Promise<number> {
  const streamId = cartStreamId(cartId);
  return db.transaction(async (tx) => {
    const lock = send(tx.select({ v: streams.version }).from(streams).where(eq(streams.streamId, streamId)).for('update'));
    const loading = send(loadStateAfterLock(tx, cartId, lock.then(([row]) => row?.v ?? null)));
    const reading = send(tx.select().from(products).where(inArray(products.id, productIds)));
    const [{ state }, rows] = await settled([loading, reading, lock] as const);
    if (!state) throw new Error(`no cart ${cartId}`);
    const ids = [...productIds].sort(() => rnd() - 0.5).filter((id) => (state.items.find((l) => l.productId === id)?.quantity ?? 0) < 98).slice(0, 10);
    const byId = new Map(rows.map((p) => [p.id, p]));
    let draft: CartState = state;
    const newEvents: CartEvent[] = [];
    for (const id of ids) {
      const p = byId.get(id)!;
      const [e] = decide(
        { type: 'AddItem', data: { productId: id, quantity: 1, product: toSnapshot({ ...p, imageUrl: p.imageUrl }) } },
        draft,
      );
      newEvents.push(e);
      draft = evolve(draft, { ...e, version: draft.version + 1, occurredAt: draft.updatedAt } as CartEventEnvelope);
    }
    const occurredAt = new Date();
    const appending = send(
      append(tx, streamId, newEvents.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })), {
        streamType: CART_STREAM_TYPE,
        expectedVersion: state.version,
        metadata: benchMeta(userId),
        occurredAt,
      }),
    );
    const envelopes = newEvents.map((e, i) => ({ ...e, version: state.version + i + 1, occurredAt: occurredAt.toISOString() }) as CartEventEnvelope);
    const after = fold(envelopes, state)!;
    const [appended] = await settled([appending, projectCart(tx, after, envelopes), writeSnapshotsFor(tx, streamId, state, envelopes)] as const);
    return appended.events.length;
  });
}

const itemAdded = (rnd: () => number): CartEvent => {
  const p = pick(benchProducts, rnd);
  return { type: 'ItemAdded', data: { productId: p.id, name: p.name, unitPriceCents: p.priceCents, quantity: 1 } };
};

// ------------------------------------------------------------------ embedded (PGlite)

/**
 * Embedded appends, one client (PGlite has one connection): `command` = AddItem through the handler,
 * `append` = the event store's append in its own transaction, `raw` = a single-row INSERT loop into
 * `events` (autocommit). A fresh in-memory PGlite per process, migrated and seeded before the warm-up.
 */
async function pgliteWorkload(variant: string) {
  // A copy of the template the parent prepared (migrated, seeded), so every process starts from the same
  // database without paying for initdb and migrations; in memory when there is no template.
  const template = process.env.BENCH_PGLITE_TEMPLATE;
  const dir = template ? fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-pglite-')) : null;
  const t0 = performance.now();
  if (dir) fs.cpSync(template!, path.join(dir, 'db'), { recursive: true });
  const h = openDatabase({ pgliteDir: dir ? path.join(dir, 'db') : 'memory://' });
  setDbHandle(h);
  try {
    if (!dir) await prepareDb(h, 20, ['ours']);
    else await h.db.execute(sql`select 1`);
    const preparedMs = performance.now() - t0;
    let seq = 0;
    const ops: Record<string, Op> = {
      command: oursOneEvent('ours', 20),
      append: oursAppend(h.db, 20),
      raw: async (_c, rnd) => {
        seq++;
        const e = itemAdded(rnd);
        await h.db.execute(sql`
          insert into events (stream_id, stream_type, stream_version, type, schema_version, data, metadata, occurred_at)
          values (${'bench-raw'}, 'cart', ${seq}, ${e.type}, 2, ${JSON.stringify(e.data)}::jsonb, ${JSON.stringify(benchMeta('bench-user-0'))}::jsonb, now())`);
        return 1;
      },
    };
    if (!ops[variant]) throw new Error(`unknown pglite variant ${variant}`);
    const r = await runLoad(1, ops[variant]);
    return { ...r, preparedMs };
  } finally {
    setDbHandle(undefined);
    await h.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ bare HTTP server (scenario 3)

/**
 * node:http with nothing but our append path: POST /api/carts/{id}/items -> JSON.parse -> addItem as
 * Alice -> the same JSON body and ETag the API answers with. No auth, no zod, no Next. Until SIGTERM.
 */
async function serveBare(url: string, port: number) {
  const h = openOurs(url, Number(process.env.DATABASE_POOL_MAX ?? 10));
  const server = http.createServer(async (req, res) => {
    if (req.url === '/health') return void res.writeHead(200).end('ok');
    const m = req.url?.match(/^\/api\/carts\/([^/]+)\/items$/);
    if (req.method !== 'POST' || !m) return void res.writeHead(404).end();
    let body = '';
    for await (const chunk of req) body += chunk;
    try {
      const input = JSON.parse(body) as { productId: string; quantity: number };
      const r = await addItem({ actor: { userId: 'user-alice', role: 'shopper' }, correlationId: randomUUID() }, m[1], input);
      const { replayed, ...out } = r;
      void replayed;
      res.writeHead(200, { 'content-type': 'application/json', etag: `"${r.version}"` }).end(JSON.stringify(out));
    } catch (e) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String((e as Error).message) }));
    }
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  await new Promise((r) => process.once('SIGTERM', r));
  await new Promise((r) => server.close(r));
  setDbHandle(undefined);
  await h.close();
}

// ------------------------------------------------------------------ wiring

function openOurs(url: string, poolMax: number): DbHandle {
  const h = openDatabase({ url, poolMax });
  setDbHandle(h);
  return h;
}

/** A handle whose postgres.js client reports every statement it sends to `sink` while `on()` says so. */
function openCapturing(url: string, sink: { on: boolean; trip: number; answered: boolean; log: { sql: string; params: unknown[]; trip?: number }[] }): DbHandle {
  // A statement sent after an answer came back starts a round trip; one sent while nothing has come back
  // since the last one (pipelined, or a COMMIT sent behind the writes without waiting) shares the trip.
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]) {
    if (event === 'data') sink.answered = true;
    return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
  } as typeof emit;
  const client = postgres(url, {
    max: 1,
    onnotice: () => {},
    debug: (_conn, query, params) => {
      if (!sink.on) return;
      if (sink.answered) sink.trip++;
      sink.answered = false;
      sink.log.push({ sql: query.trim().replace(/\s+/g, ' '), params: params.map((p) => (p instanceof Date ? p.toISOString() : p)), trip: sink.trip });
    },
  });
  const db = drizzle(preparingStatements(client), { schema }) as unknown as Db;
  const h: DbHandle = { db, kind: 'postgres', close: () => client.end({ timeout: 5 }), exec: async (q) => void (await client.unsafe(q)) };
  setDbHandle(h);
  return h;
}

async function main() {
  const [scenario, variant, nArg] = process.argv.slice(2);
  const n = Number(nArg ?? 1);
  const url = process.env.BENCH_URL;
  if (!url) throw new Error('BENCH_URL is not set');
  let result: Omit<WorkerResult, 'scenario' | 'variant' | 'n' | 'rssMb'>;
  let note: string | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  try {
    if (scenario === 'capture') {
      const sink = { on: false, trip: 0, answered: true, log: [] as { sql: string; params: unknown[]; trip?: number }[] };
      const h = openCapturing(url, sink);
      cleanups.push(h.close);
      const rnd = prng(42);
      const op: Op = variant === 'ours10' ? (_c, r) => tenEventCommand(h.db, cartIdOf('ours10', 0), ownerOf(0), r) : oursOneEvent('ours');
      await op(0, rnd);
      sink.answered = true;
      sink.on = true;
      await op(0, rnd);
      sink.on = false;
      process.stdout.write(JSON.stringify({ statements: sink.log }) + '\n');
      return;
    }
    if (scenario === 'serve') {
      await serveBare(url, n);
      return;
    }
    if (scenario === 's1' || (scenario === 's2' && variant === 'ours-inline')) {
      const h = openOurs(url, n);
      cleanups.push(h.close);
      const op: Op =
        variant === 'ours10'
          ? (_c, rnd) => {
              const i = Math.floor(rnd() * CARTS_PER_SET);
              return tenEventCommand(h.db, cartIdOf('ours10', i), ownerOf(i), rnd);
            }
          : oursOneEvent(scenario === 's2' ? 's2' : 'ours');
      result = await runLoad(n, op);
    } else if (scenario === 's2' && variant === 'ours-append') {
      const h = openOurs(url, n);
      cleanups.push(h.close);
      result = await runLoad(n, oursAppend(h.db));
    } else if (scenario === 's2' && variant.startsWith('emmett-')) {
      const { openEmmett, emmettCartStream, emmettPlainStream } = await import('./emmett');
      const inline = variant.startsWith('emmett-inline');
      const defaultPool = variant.endsWith('-default');
      const em = openEmmett(url, { inline, poolMax: defaultPool ? undefined : n });
      cleanups.push(em.close);
      note = defaultPool ? "Emmett's own pool (pg.Pool default max 10)" : `pg.Pool max ${n}`;
      result = await runLoad(n, async (_c, rnd) => {
        const i = Math.floor(rnd() * CARTS_PER_SET);
        const e = itemAdded(rnd) as EmmettCartEvent;
        await em.store.appendToStream(inline ? emmettCartStream(i) : emmettPlainStream(i), [e]);
        return 1;
      });
    } else if (scenario === 'read') {
      // n = stream length; one client reading and folding the whole stream again and again.
      if (variant === 'ours') {
        const h = openOurs(url, 1);
        cleanups.push(h.close);
        const streamId = cartStreamId(longCartId(n));
        result = await runLoad(1, async () => {
          const evs = await readStream(h.db, streamId);
          const s = fold(evs.map(toEnvelope));
          if (!s || s.version !== n) throw new Error(`folded to ${s?.version}, expected ${n}`);
          return evs.length;
        });
      } else {
        const { openEmmett, emmettLongStream, toEnvelopeFromEmmett } = await import('./emmett');
        const em = openEmmett(url, { inline: false, poolMax: 1 });
        cleanups.push(em.close);
        result = await runLoad(1, async () => {
          const r = await em.store.readStream<EmmettCartEvent>(emmettLongStream(n));
          const s = fold(r.events.map((e) => toEnvelopeFromEmmett(e!)));
          if (!s || s.version !== n) throw new Error(`folded to ${s?.version}, expected ${n}`);
          return r.events.length;
        });
      }
    } else if (scenario === 'long') {
      // n = stream length; one client asking for the cart's state again and again.
      const h = openOurs(url, 1);
      cleanups.push(h.close);
      const cartId = longCartId(n);
      const middle = middleVersion(n);
      const ask: Record<string, () => Promise<{ version: number; events: number }>> = {
        'snap-last': async () => {
          const r = await loadState(h.db, cartId);
          return { version: r.state!.version, events: r.events.length };
        },
        'snap-middle': async () => {
          const r = await loadState(h.db, cartId, { toVersion: middle });
          return { version: r.state!.version, events: r.events.length };
        },
        'fold-all': async () => {
          const evs = await readStream(h.db, cartStreamId(cartId));
          return { version: fold(evs.map(toEnvelope))!.version, events: evs.length };
        },
      };
      const want = variant === 'snap-middle' ? middle : n;
      result = await runLoad(1, async () => {
        const r = await ask[variant]();
        if (r.version !== want) throw new Error(`${variant}: version ${r.version}, expected ${want}`);
        return r.events;
      });
    } else if (scenario === 'pglite') {
      result = await pgliteWorkload(variant);
    } else if (scenario === 'rebuild') {
      // Scenario 5: one whole pass (no measuring window): events/s over the pass, peak RSS of this process.
      const { rebuildPass } = await import('./rebuild');
      const r = await rebuildPass(url, variant === 'rebuild' ? 'rebuild' : 'plain');
      result = {
        ops: 1,
        events: r.events,
        errors: 0,
        seconds: r.seconds,
        opsPerSec: 1 / r.seconds,
        eventsPerSec: r.eventsPerSec,
        p50Ms: r.seconds * 1000,
        p99Ms: r.seconds * 1000,
        extra: { maxRssMb: r.maxRssMb, rssBeforeMb: r.rssBeforeMb, warmupMs: r.warmupMs, carts: r.carts },
      };
    } else {
      throw new Error(`unknown workload ${scenario} ${variant}`);
    }
  } finally {
    setDbHandle(undefined);
    for (const c of cleanups) await c().catch(() => {});
  }
  const out: WorkerResult = { scenario, variant, n, ...result, rssMb: process.memoryUsage.rss() / 2 ** 20, ...(note ? { note } : {}) };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('[worker] failed:', e);
    process.exit(1);
  },
);
