// npm run bench [-- --quick] [-- --only s1,s2,read,long,pglite,http,action,coldstart,rebuild] [-- --rounds N --warmup-ms N --measure-ms N]
//   [-- --rebuild-events N --rebuild-rounds N]
//
// Measures the shop on this machine against baselines measured in the same run, and writes
// docs/benchmarks.md and docs/benchmarks.json. Every compared workload runs in a fresh process
// (server/bench/worker.ts, or pgbench) after the same warm-up, alternately (A B C A B C ...), for
// at least 3 rounds; the report gives medians, min-max and ratios. Loopback only: it creates a scratch
// database on the PostgreSQL server (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres),
// drops it at the end, changes no server setting and leaves nothing running.
//   s1    the ceiling: pgbench running the statements our handler sends for one command, vs the handler
//   s2    the peer: Emmett's PostgreSQL event store (plain append and with an inline projection)
//   read  reading + folding 100-, 1,000- and 10,000-event streams, ours vs Emmett
//   long  state of 100-, 1,000-, 10,000-event carts with snapshots (last and middle version) vs read + fold
//   http  (full run only) JSON API (next start) under autocannon vs a bare node:http server, GET, /cart
//   pglite (full run only) embedded appends: handler and event store vs a raw INSERT loop
//   action (full run, or --only) one AddItem at a time through the server action (POST / with Next-Action) vs the JSON API
//   coldstart (full run, or --only) spawn to first GET / 200: zero-config start on a fresh PGlite folder vs on PostgreSQL,
//          and a bare PGlite open
//   rebuild (full run: 1M events, 1 round; --only: 20,000 events unless --rebuild-events) rebuildProjections vs a plain
//          read of the same rows, events/s and peak RSS, in a database of its own
// Separately: npm run bench:snapshots (state at random versions/moments of a realistic 10,000-event cart).
import { execSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import {
  CARTS_PER_SET,
  createScratch,
  fmt,
  LOCAL_SERVER,
  longCartId,
  longHistory,
  median,
  middleVersion,
  ownerOf,
  preparePgliteTemplate,
  prepareScratch,
  productIds,
  seedLongStreams,
  type Scratch,
} from '../bench/common';
import { seedEmmett, type EmmettCartEvent } from '../bench/emmett';
import { pgbenchScript, pgbenchVersion, runPgbench, type Captured, type PgbenchResult } from '../bench/pgbench';
import { bundleWorker, roundRobin, runWorker, workerWorkload, type Summary, type Timing, type Workload } from '../bench/runner';
import type { ProfileSummary } from '../bench/worker';
import { actionWorkload, httpWorkload, openCarts, POOL_MAX as HTTP_POOL, signIn, startServer, stopAllServers, type HttpKind } from '../bench/http';
import { coldStartWorkload, freePort, stopColdStarts, type ColdKind } from '../bench/coldstart';
import { REBUILD_BATCH_SIZE, REBUILD_EVENTS_PER_CART, seedRebuild } from '../bench/rebuild';
import { buildIsCurrent } from './lib/build';

type Config = {
  mode: 'quick' | 'full';
  rounds: number;
  timing: Timing;
  clients: number[];
  clients10: number[];
  s2Clients: number[];
  readLengths: number[];
  longLengths: number[];
  pglite: boolean;
  /** HTTP (scenario 3): autocannon connection counts; empty = skipped. */
  httpConnections: number[];
  /** Scenario 5: events in the rebuild database (10 per cart); 0 = skipped. */
  rebuildEvents: number;
  /**
   * Scenario 5's rounds. One pass over 1M events takes minutes on 2 shared cores (rebuild ~3-7k events/s
   * under load), so the full run does 1 round of it (not 3) to stay within 15 minutes; the report says so.
   */
  rebuildRounds: number;
  /** Scenario 7: cold start of the app on PGlite beside PostgreSQL and a bare PGlite open. */
  coldStart: boolean;
  /** Scenario 3b: the server action for AddItem beside the JSON API, sequential requests. */
  action: boolean;
};

const QUICK: Config = {
  mode: 'quick',
  rounds: 3,
  timing: { warmupMs: 1000, measureMs: 1000 },
  clients: [16],
  clients10: [16],
  s2Clients: [16],
  readLengths: [1000],
  longLengths: [10_000],
  pglite: false,
  httpConnections: [],
  rebuildEvents: 0,
  rebuildRounds: 3,
  coldStart: false,
  action: false,
};
const FULL: Config = {
  mode: 'full',
  rounds: 3,
  timing: { warmupMs: 1000, measureMs: 2000 },
  clients: [1, 4, 16, 64],
  clients10: [16, 64],
  s2Clients: [16, 64],
  readLengths: [100, 1000, 10_000],
  longLengths: [100, 1000, 10_000],
  pglite: true,
  httpConnections: [10, 50],
  rebuildEvents: 1_000_000,
  rebuildRounds: 1,
  coldStart: true,
  action: true,
};

const log = (s: string) => console.log(`[bench] ${s}`);

// ------------------------------------------------------------------ the machine

type Env = {
  date: string;
  nproc: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  os: string;
  postgres: string;
  synchronousCommit: string;
  fsync: string;
  walSync: string;
  sharedBuffers: string;
  maxConnections: string;
  pgbench: string | null;
  loadStart: number;
  loadEnd?: number;
};

function nproc(): number {
  try {
    return Number(execSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return os.availableParallelism();
  }
}

async function machine(base: string): Promise<Env> {
  const sql = postgres(base, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const show = async (name: string) => ((await sql.unsafe(`show ${name}`)) as unknown as Record<string, string>[])[0][name];
    return {
      date: new Date().toISOString(),
      nproc: nproc(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: os.totalmem() / 2 ** 30,
      node: process.version,
      os: `${os.type()} ${os.release()} (${os.arch()})`,
      postgres: (await show('server_version')).split(' ')[0],
      synchronousCommit: await show('synchronous_commit'),
      fsync: await show('fsync'),
      walSync: await show('wal_sync_method'),
      sharedBuffers: await show('shared_buffers'),
      maxConnections: await show('max_connections'),
      pgbench: pgbenchVersion(),
      loadStart: os.loadavg()[0],
    };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** `next build`, as a child whose failure (or Ctrl-C) ends the run with an error instead of exiting on the spot. */
function nextBuild(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/next', ['build'], { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`next build failed (${signal ?? code})`))));
  });
}

// ------------------------------------------------------------------ workloads

function pgbenchWorkload(url: string, timing: Timing, key: string, label: string, scriptFile: string, clients: number, events: number, keep: PgbenchResult[]): Workload {
  return {
    key,
    label,
    run: async () => {
      const r = await runPgbench(url, scriptFile, clients, Math.max(1, Math.round(timing.warmupMs / 1000)), Math.max(1, Math.round(timing.measureMs / 1000)));
      keep.push(r);
      return { opsPerSec: r.tps, eventsPerSec: r.tps * events, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.failed };
    },
  };
}

type Profile = ProfileSummary & { clients: number; opsPerSec: number };

type Comparison = {
  scenario: string;
  what: string;
  ours: string;
  base: string;
  /** Throughput (higher is better) or the time of one operation, p50 (lower is better). */
  metric: 'opsPerSec' | 'eventsPerSec' | 'timeMs' | 'p99Ms';
  target?: number;
};

// ------------------------------------------------------------------ report

function ratioOf(results: Map<string, Summary>, c: Comparison): number {
  const o = results.get(c.ours);
  const b = results.get(c.base);
  if (!o || !b || o.failed || b.failed || !o.samples.length || !b.samples.length) return NaN;
  // No operation completed inside the measuring window: no figure, rather than a ratio of 0.
  if (!(o.median.opsPerSec > 0) || !(b.median.opsPerSec > 0)) return NaN;
  if (c.metric === 'timeMs') return o.median.p50Ms / b.median.p50Ms;
  if (c.metric === 'p99Ms') return o.median.p99Ms / b.median.p99Ms;
  return o.median[c.metric] / b.median[c.metric];
}

function verdict(ratio: number, metric: Comparison['metric'], target?: number): string {
  if (!Number.isFinite(ratio)) return 'not measured (failed, skipped, or nothing completed in the window)';
  if (target === undefined) return '';
  if (metric === 'timeMs' || metric === 'p99Ms') {
    if (ratio <= target) return `met (target ≤ ${target}×)`;
    return `**missed**: ${(ratio / target).toFixed(1)}× the allowed time (target ≤ ${target}×)`;
  }
  if (ratio >= target) return `met (target ≥ ${target}×)`;
  return `**missed** by ${(((target - ratio) / target) * 100).toFixed(0)} % (target ≥ ${target}×)`;
}

function row(s: Summary | undefined, metric: 'opsPerSec' | 'eventsPerSec'): string {
  if (!s) return '| – | – | – | – | – |';
  if (s.failed) return `| failed: ${s.failed.replace(/\|/g, '/').replace(/\n/g, ' ').slice(0, 160)} | | | | |`;
  return `| ${fmt(s.median[metric])} | ${fmt(s.min[metric])}–${fmt(s.max[metric])} | ${fmt(s.median.p50Ms)} | ${fmt(s.median.p99Ms)} | ${s.samples.length}${s.errors ? `, ${s.errors} errors` : ''} |`;
}

function main_(argv: string[]) {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only'));
  // Overrides for checking the harness itself (e.g. the full run's workloads with one short round).
  const num = (flag: string) => {
    const a = argv.find((x) => x.startsWith(flag));
    if (!a) return undefined;
    const v = Number(a.includes('=') ? a.split('=')[1] : argv[argv.indexOf(a) + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} needs a positive number`);
    return v;
  };
  const base = quick ? QUICK : FULL;
  const rounds = num('--rounds');
  const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]).split(',') : null;
  const measureMs = num('--measure-ms');
  const cfg: Config = {
    ...base,
    rounds: rounds ?? base.rounds,
    timing: { warmupMs: num('--warmup-ms') ?? base.timing.warmupMs, measureMs: measureMs ?? base.timing.measureMs },
    rebuildEvents: num('--rebuild-events') ?? (only?.includes('rebuild') && !base.rebuildEvents ? 20_000 : base.rebuildEvents),
    rebuildRounds: num('--rebuild-rounds') ?? base.rebuildRounds,
  };
  // A small rebuild (the --only default, or --rebuild-events) takes seconds: the usual rounds.
  if (num('--rebuild-rounds') === undefined && cfg.rebuildEvents <= 100_000) cfg.rebuildRounds = cfg.rounds;
  if (cfg.rounds < 3) console.log(`[bench] --rounds ${cfg.rounds}: fewer than 3 rounds, a check of the harness, not a result`);
  return { cfg, only };
}

async function main() {
  const started = performance.now();
  const { cfg, only } = main_(process.argv.slice(2));
  const want = (s: string) => !only || only.includes(s);
  const base = process.env.BENCH_DATABASE_URL || LOCAL_SERVER;
  const env = await machine(base).catch((e: Error) => {
    throw new Error(`No PostgreSQL server at ${base.replace(/:[^:@/]*@/, ':***@')} (${e.message}); set BENCH_DATABASE_URL.`);
  });
  log(`${cfg.mode} run: ${cfg.rounds} rounds, warm-up ${cfg.timing.warmupMs} ms, measure ${cfg.timing.measureMs} ms per workload; load average ${env.loadStart.toFixed(1)}`);
  if (!env.pgbench) log(`pgbench not found at ${process.env.PGBENCH ?? '/usr/bin/pgbench'} (Debian: apt-get install postgresql-client): the ceiling column is skipped`);

  await bundleWorker();
  const httpConns = cfg.httpConnections.length ? cfg.httpConnections : only?.includes('http') ? [10, 50] : [];
  // Asked for by name with --only, they run in a quick run too.
  const coldStart = want('coldstart') && (cfg.coldStart || !!only?.includes('coldstart'));
  const action = want('action') && (cfg.action || !!only?.includes('action'));
  if (((want('http') && httpConns.length) || coldStart || action) && !buildIsCurrent()) {
    log('HTTP: no current production build, running next build (counted in the run time) ...');
    await nextBuild();
  }
  let scratch: Scratch | undefined;
  let rebuildScratch: Scratch | undefined;
  let rebuildSeed: { carts: number; events: number; ms: number } | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-bench-'));
  // Interrupted (Ctrl-C, CI timeout): stop any server it started (they run in their own process groups),
  // drop the scratch database, remove the temp folder. Workers and pgbench share our process group.
  const interrupted = async (sig: NodeJS.Signals) => {
    log(`${sig}: stopping servers, dropping the scratch database ...`);
    await stopAllServers().catch(() => {});
    await stopColdStarts().catch(() => {});
    if (scratch) await scratch.drop().catch(() => {});
    if (rebuildScratch) await rebuildScratch.drop().catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const groups: Workload[][] = [];
  /** Scenario 5 runs its own rounds (cfg.rebuildRounds), after the others. */
  const rebuildGroups: Workload[][] = [];
  const comparisons: Comparison[] = [];
  const pgbenchRuns: Record<string, PgbenchResult[]> = {};
  const scripts: Record<string, { script: string; notes: string[]; statements: Captured }> = {};
  let results = new Map<string, Summary>();
  let profile: Profile | undefined;
  try {
    scratch = await createScratch(base);
    const url = scratch.url;
    log(`scratch database ${scratch.name}: seeding ${CARTS_PER_SET} carts per set ...`);
    await prepareScratch(url);
    const longs = [...new Set([...(want('read') ? cfg.readLengths : []), ...(want('long') ? cfg.longLengths : [])])];
    if (longs.length) await seedLongStreams(url, longs);
    if (want('s2') || want('read')) {
      log("Emmett's schema, its carts and long streams ...");
      await seedEmmett(
        url,
        want('s2') ? CARTS_PER_SET : 0,
        want('read') ? cfg.readLengths : [],
        (i): EmmettCartEvent[] => [{ type: 'CartOpened', data: { cartId: `emmett-${i}`, userId: ownerOf(i), currency: 'EUR' } }],
        (n) => longHistory(longCartId(n), ownerOf(0), n, new Date(Date.UTC(2026, 0, 2))).map((e) => ({ type: e.type, data: e.data as Record<string, unknown> })),
      );
    }

    // s1: the statements of one command, captured from the handler, become the pgbench script.
    if (want('s1')) {
      for (const [variant, set, events] of [['ours', 'pgb', 1], ['ours10', 'pgb10', 10]] as const) {
        const cap = (await runWorker(url, cfg.timing, ['capture', variant, '1'])) as unknown as { statements: Captured };
        const s = pgbenchScript(cap.statements, set);
        scripts[variant] = { ...s, statements: cap.statements };
        fs.writeFileSync(path.join(tmp, `${variant}.pgbench`), s.script);
        log(`captured ${cap.statements.length} statements for a ${events}-event command`);
      }
      for (const [variant, clientsList, events] of [['ours', cfg.clients, 1], ['ours10', cfg.clients10, 10]] as const) {
        for (const c of clientsList) {
          const g: Workload[] = [];
          const pk = `s1-pgbench-${events}-${c}`;
          pgbenchRuns[pk] = [];
          if (env.pgbench) g.push(pgbenchWorkload(url, cfg.timing, pk, `pgbench ${events}-event command, ${c} client${c === 1 ? '' : 's'}`, path.join(tmp, `${variant}.pgbench`), c, events, pgbenchRuns[pk]));
          g.push(workerWorkload(url, cfg.timing, `s1-ours-${events}-${c}`, `ours ${events}-event command, ${c} client${c === 1 ? '' : 's'}`, ['s1', variant, String(c)]));
          groups.push(g);
          comparisons.push({
            scenario: 's1',
            what: `${events}-event command, ${c} client${c === 1 ? '' : 's'}`,
            ours: `s1-ours-${events}-${c}`,
            base: pk,
            metric: 'eventsPerSec',
            target: events === 10 || c >= 16 ? 0.8 : undefined,
          });
        }
      }
    }
    if (want('s2')) {
      for (const c of cfg.s2Clients) {
        const v = (variant: string, label: string): Workload =>
          workerWorkload(url, cfg.timing, `s2-${variant}-${c}`, `${label}, ${c} clients`, ['s2', variant, String(c)]);
        // Emmett's default pool (max 10) matters above 10 clients: measured at the largest count of the full run.
        const defaults = cfg.mode === 'full' && c === Math.max(...cfg.s2Clients);
        groups.push([
          v('ours-append', 'ours: event store append (1 event, one statement)'),
          v('emmett-append', `Emmett appendToStream (pool ${c})`),
          ...(defaults ? [v('emmett-append-default', 'Emmett appendToStream (its default pool)')] : []),
        ]);
        groups.push([
          v('ours-inline', 'ours: AddItem command through the handler (inline read model)'),
          v('emmett-inline', `Emmett appendToStream + inline Pongo projection (pool ${c})`),
          ...(defaults ? [v('emmett-inline-default', 'Emmett + inline projection (its default pool)')] : []),
        ]);
        comparisons.push(
          { scenario: 's2', what: `plain append, ${c} clients, Emmett pool ${c}`, ours: `s2-ours-append-${c}`, base: `s2-emmett-append-${c}`, metric: 'opsPerSec', target: 2 },
          { scenario: 's2', what: `with inline read model, ${c} clients, Emmett pool ${c}`, ours: `s2-ours-inline-${c}`, base: `s2-emmett-inline-${c}`, metric: 'opsPerSec', target: 3 },
        );
        if (defaults) {
          comparisons.push(
            { scenario: 's2', what: `plain append, ${c} clients, Emmett default pool`, ours: `s2-ours-append-${c}`, base: `s2-emmett-append-default-${c}`, metric: 'opsPerSec' },
            { scenario: 's2', what: `with inline read model, ${c} clients, Emmett default pool`, ours: `s2-ours-inline-${c}`, base: `s2-emmett-inline-default-${c}`, metric: 'opsPerSec' },
          );
        }
      }
    }
    if (want('read')) {
      for (const n of cfg.readLengths) {
        groups.push([
          workerWorkload(url, cfg.timing, `read-ours-${n}`, `ours: readStream + fold, ${n} events`, ['read', 'ours', String(n)]),
          workerWorkload(url, cfg.timing, `read-emmett-${n}`, `Emmett readStream + fold, ${n} events`, ['read', 'emmett', String(n)]),
        ]);
        comparisons.push({ scenario: 'read', what: `read + fold a ${n.toLocaleString('en')}-event stream, ours / Emmett`, ours: `read-ours-${n}`, base: `read-emmett-${n}`, metric: 'timeMs' });
      }
    }
    if (want('long')) {
      for (const n of cfg.longLengths) {
        const w = (variant: string, label: string) => workerWorkload(url, cfg.timing, `long-${variant}-${n}`, `${label}, ${n.toLocaleString('en')}-event cart`, ['long', variant, String(n)]);
        groups.push([
          w('snap-last', 'loadState, last version (snapshot + events after it)'),
          w('snap-middle', `loadState at version ${middleVersion(n).toLocaleString('en')} (snapshot + events after it)`),
          w('fold-all', 'readStream of the whole stream + fold'),
        ]);
        comparisons.push(
          { scenario: 'long', what: `last version of a ${n.toLocaleString('en')}-event cart / full read + fold`, ours: `long-snap-last-${n}`, base: `long-fold-all-${n}`, metric: 'timeMs' },
          {
            scenario: 'long',
            what: `middle version of a ${n.toLocaleString('en')}-event cart / full read + fold`,
            ours: `long-snap-middle-${n}`,
            base: `long-fold-all-${n}`,
            metric: 'timeMs',
            target: n === 10_000 ? 0.2 : undefined,
          },
        );
      }
    }
    if (cfg.pglite && want('pglite')) {
      log('PGlite template (migrated, seeded) for the embedded workloads ...');
      const template = path.join(tmp, 'pglite-template');
      await preparePgliteTemplate(template);
      process.env.BENCH_PGLITE_TEMPLATE = template;
      const w = (variant: string, label: string) => workerWorkload(url, cfg.timing, `pglite-${variant}`, label, ['pglite', variant, '1']);
      groups.push([
        w('command', 'PGlite: AddItem through the handler (1 event per command)'),
        w('append', 'PGlite: event store append (1 event, one statement)'),
        w('raw', 'PGlite: raw single-row INSERT loop into events'),
      ]);
      comparisons.push(
        // The target is for appends: an event store append is one statement, like the raw INSERT. A command
        // is ten statements (lock, load, product, holds, append, read models), reported beside it.
        { scenario: 'pglite', what: 'event store append / raw INSERT loop', ours: 'pglite-append', base: 'pglite-raw', metric: 'eventsPerSec', target: 0.9 },
        { scenario: 'pglite', what: 'handler commands / raw INSERT loop', ours: 'pglite-command', base: 'pglite-raw', metric: 'eventsPerSec' },
      );
    }
    if (want('http') && httpConns.length) {
      const port = 3900 + Math.floor(Math.random() * 90);
      // Answers take up to seconds at 50 connections: a longer window than the other workloads, so the count is not all edge.
      const httpTiming: Timing = { warmupMs: Math.max(cfg.timing.warmupMs, 1500), measureMs: Math.max(cfg.timing.measureMs, 4000) };
      log(`HTTP: opening carts for Alice through the API (next start on 127.0.0.1:${port}) ...`);
      const first = await startServer('next', url, port);
      let carts: { ids: string[]; cookie: string };
      try {
        const cookie = await signIn(first.base);
        carts = { cookie, ids: await openCarts(first.base, cookie, 50) };
      } finally {
        await first.stop();
      }
      const h = (key: string, label: string, server: 'next' | 'bare', kind: HttpKind, connections: number) =>
        httpWorkload({ key, label, server, kind, connections, dbUrl: url, port, timing: httpTiming, carts: () => carts, productIds: productIds.filter((p) => p !== 'sencha-tea') });
      for (const c of httpConns) {
        groups.push([
          h(`http-next-command-${c}`, `POST /api/carts/{id}/items (next start), ${c} connections`, 'next', 'command', c),
          h(`http-bare-command-${c}`, `bare node:http running addItem, ${c} connections`, 'bare', 'command', c),
        ]);
        comparisons.push({ scenario: 'http', what: `JSON API AddItem req/s / bare node:http, ${c} connections`, ours: `http-next-command-${c}`, base: `http-bare-command-${c}`, metric: 'opsPerSec', target: 0.7 });
        comparisons.push({ scenario: 'http', what: `JSON API AddItem p99 / bare node:http p99, ${c} connections`, ours: `http-next-command-${c}`, base: `http-bare-command-${c}`, metric: 'p99Ms', target: c >= 50 ? 1.5 : undefined });
      }
      const c0 = Math.min(...httpConns);
      groups.push([
        h(`http-next-get-${c0}`, `GET /api/carts/{id}, ${c0} connections`, 'next', 'get', c0),
        h(`http-next-page-${c0}`, `GET /cart (server render), ${c0} connections`, 'next', 'page', c0),
      ]);
    }
    if (action) {
      const port = await freePort();
      const actionTiming: Timing = { warmupMs: Math.max(cfg.timing.warmupMs, 1500), measureMs: Math.max(cfg.timing.measureMs, 4000) };
      const a = (via: 'action' | 'json', label: string) =>
        actionWorkload({ key: `action-${via}`, label, via, dbUrl: url, port, timing: actionTiming, productIds: productIds.filter((p) => p !== 'sencha-tea') });
      groups.push([
        a('action', 'server action addToCartAction (POST / with Next-Action, as the browser sends it), 1 connection'),
        a('json', 'JSON API POST /api/carts/{id}/items, 1 connection'),
      ]);
      comparisons.push(
        { scenario: 'action', what: 'one AddItem through the server action / through the JSON API, 1 connection', ours: 'action-action', base: 'action-json', metric: 'timeMs' },
        { scenario: 'action', what: 'server action / JSON API, sequential requests', ours: 'action-action', base: 'action-json', metric: 'opsPerSec' },
      );
    }
    if (coldStart) {
      // Each start on a port the kernel just found free.
      const w = (kind: ColdKind, label: string) => coldStartWorkload(`coldstart-${kind}`, label, kind, url);
      // The bare PGlite open (how much of the start is PGlite creating its database) only with --only
      // coldstart: the full run keeps under 15 minutes without it.
      const bare = !!only?.includes('coldstart');
      groups.push([
        w('pglite', 'zero-config start on PGlite (fresh folder: migrate, seed, next start) to GET / 200'),
        w('postgres', 'the same start on the PostgreSQL server (migrated, seeded database) to GET / 200'),
        ...(bare ? [w('bare', 'bare node: open PGlite on a fresh folder, one query, exit')] : []),
      ]);
      comparisons.push(
        { scenario: 'coldstart', what: 'start to first page: PGlite (fresh folder) / PostgreSQL server', ours: 'coldstart-pglite', base: 'coldstart-postgres', metric: 'timeMs' },
        ...(bare
          ? [{ scenario: 'coldstart', what: 'start to first page on PGlite / bare PGlite open of a fresh folder', ours: 'coldstart-pglite', base: 'coldstart-bare', metric: 'timeMs' as const }]
          : []),
      );
    }
    if (want('rebuild') && cfg.rebuildEvents > 0) {
      // Scenario 5 has a database of its own, so the rebuild folds exactly these carts and nothing the other workloads wrote.
      rebuildScratch = await createScratch(base);
      const cartsN = Math.ceil(cfg.rebuildEvents / REBUILD_EVENTS_PER_CART);
      log(`rebuild: seeding ${cartsN.toLocaleString('en')} carts x ${REBUILD_EVENTS_PER_CART} events into ${rebuildScratch.name} ...`);
      rebuildSeed = await seedRebuild(rebuildScratch.url, cartsN);
      log(`rebuild: ${rebuildSeed.events.toLocaleString('en')} events seeded in ${(rebuildSeed.ms / 1000).toFixed(1)} s`);
      const w = (variant: string, label: string) =>
        workerWorkload(rebuildScratch!.url, cfg.timing, `rebuild-${variant}`, label, ['rebuild', variant, String(rebuildSeed!.events)], 15 * 60_000);
      rebuildGroups.push([
        w('rebuild', `rebuildProjections (carts + orders, batches of ${REBUILD_BATCH_SIZE} streams)`),
        w('plain', `plain read of the same rows (postgres.js, same order and batches, JSON parsed, nothing folded)`),
      ]);
      comparisons.push({ scenario: 'rebuild', what: `rebuild / plain read, ${rebuildSeed.events.toLocaleString('en')} events`, ours: 'rebuild-rebuild', base: 'rebuild-plain', metric: 'eventsPerSec', target: 0.5 });
    }
    results = await roundRobin(groups, cfg.rounds, log);
    if (rebuildGroups.length) {
      for (const [k, v] of await roundRobin(rebuildGroups, cfg.rebuildRounds, log)) results.set(k, v);
      groups.push(...rebuildGroups);
    }
    if (want('s1')) {
      // One more run of the handler at the highest client count, with a CPU profile of its measuring window.
      const c = Math.max(...cfg.clients);
      const prev = process.env.BENCH_PROFILE;
      process.env.BENCH_PROFILE = '1';
      try {
        const r = await runWorker(scratch.url, cfg.timing, ['s1', 'ours', String(c)]);
        if (r.profile) profile = { clients: c, opsPerSec: r.opsPerSec, ...r.profile };
        log(`profiled the handler at ${c} clients: ${r.opsPerSec.toFixed(0)} ops/s`);
      } catch (e) {
        log(`profile run failed: ${(e as Error).message.slice(0, 300)}`);
      } finally {
        if (prev === undefined) delete process.env.BENCH_PROFILE;
        else process.env.BENCH_PROFILE = prev;
      }
    }
  } finally {
    if (scratch) await scratch.drop();
    if (rebuildScratch) await rebuildScratch.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  env.loadEnd = os.loadavg()[0];
  const seconds = (performance.now() - started) / 1000;
  writeReport({ cfg, env, seconds, results, comparisons, groups, pgbenchRuns, scripts, profile, rebuildSeed });
  log(`done in ${seconds.toFixed(0)} s: docs/benchmarks.md, docs/benchmarks.json`);
}

function writeReport(r: {
  cfg: Config;
  env: Env;
  seconds: number;
  results: Map<string, Summary>;
  comparisons: Comparison[];
  groups: Workload[][];
  pgbenchRuns: Record<string, PgbenchResult[]>;
  scripts: Record<string, { script: string; notes: string[]; statements: Captured }>;
  profile?: Profile;
  rebuildSeed?: { carts: number; events: number; ms: number };
}) {
  const { cfg, env, results, comparisons } = r;
  const ratios = comparisons.map((c) => ({ ...c, ratio: ratioOf(results, c) }));
  const extraMedian = (key: string, f: string) => median((results.get(key)?.samples ?? []).map((x) => Number(x.extra?.[f])).filter(Number.isFinite));
  const extraMax = (key: string, f: string) => Math.max(...(results.get(key)?.samples ?? []).map((x) => Number(x.extra?.[f])).filter(Number.isFinite));
  // Scenario 5's "bounded memory": the rebuild's peak RSS within 2x the plain read's, which holds one batch at a time
  // (a rebuild holding every event would need many times that: 1M parsed events are over a gigabyte).
  const rebuildMem = { rebuild: extraMax('rebuild-rebuild', 'maxRssMb'), plain: extraMax('rebuild-plain', 'maxRssMb') };
  const rebuildMemOk = rebuildMem.rebuild <= 2 * rebuildMem.plain;
  const json = {
    env,
    mode: cfg.mode,
    config: cfg,
    seconds: r.seconds,
    results: Object.fromEntries([...results.entries()]),
    ratios,
    pgbench: r.pgbenchRuns,
    profile: r.profile,
    scripts: Object.fromEntries(Object.entries(r.scripts).map(([k, v]) => [k, { script: v.script, notes: v.notes }])),
    rebuildSeed: r.rebuildSeed,
  };
  fs.mkdirSync('docs', { recursive: true });
  fs.writeFileSync('docs/benchmarks.json', JSON.stringify(json, null, 1) + '\n');

  const L: string[] = [];
  L.push('# Benchmarks', '');
  L.push('Written by `npm run bench` (`server/cli/bench.ts`, workloads in `server/bench/`); the raw figures of the same run are in');
  L.push('[`benchmarks.json`](benchmarks.json). Rerun to refresh; `npm run bench -- --quick` is the sanity run CI can use.', '');
  L.push(`**${cfg.mode === 'quick' ? 'Quick' : 'Full'} run** on ${env.date.slice(0, 16).replace('T', ' ')} UTC, ${r.seconds.toFixed(0)} s; ${cfg.rounds} rounds, each workload in a fresh process, warm-up ${cfg.timing.warmupMs / 1000} s then ${cfg.timing.measureMs / 1000} s measured.`, '');
  L.push('| machine | |', '|---|---|');
  L.push(`| cores (nproc) | ${env.nproc} (${env.cpu}) |`);
  L.push(`| memory | ${env.memoryGiB.toFixed(1)} GiB |`);
  L.push(`| OS | ${env.os} |`);
  L.push(`| Node | ${env.node} |`);
  L.push(`| PostgreSQL | ${env.postgres} on 127.0.0.1 (scratch database, created and dropped by the run) |`);
  L.push(`| synchronous_commit | ${env.synchronousCommit} |`);
  L.push(`| fsync | ${env.fsync} (wal_sync_method ${env.walSync}) |`);
  L.push(`| shared_buffers / max_connections | ${env.sharedBuffers} / ${env.maxConnections} |`);
  L.push(`| pgbench | ${env.pgbench ?? 'not installed: ceiling column skipped'} |`);
  L.push(`| load average (1 min) | ${env.loadStart.toFixed(1)} at start, ${env.loadEnd?.toFixed(1)} at end |`, '');
  L.push(
    'The machine is shared (2 cores; other test suites run beside the benchmark), so absolute figures move with the load;',
    'the ratios are between workloads that ran alternately in the same minutes, which is what they are for.',
    'Medians are over the rounds; min–max is the spread of the rounds; p50/p99 are per operation in the median round set.',
    '',
  );

  L.push('## Targets', '');
  L.push('| scenario | comparison | ours / baseline | target |', '|---|---|---:|---|');
  for (const c of ratios) {
    const names: Record<string, string> = { s1: 'ceiling (pgbench)', s2: 'peer (Emmett)', read: 'stream reads (Emmett)', long: 'long streams', pglite: 'embedded (PGlite)', http: 'HTTP', rebuild: 'rebuild', coldstart: 'cold start', action: 'server action' };
    const what = c.metric === 'p99Ms' ? c.what : c.metric === 'timeMs' ? `${c.what} (time, p50)` : `${c.what} (${c.metric === 'eventsPerSec' ? 'events/s' : 'ops/s'})`;
    let v = verdict(c.ratio, c.metric, c.target) || 'no target';
    if (c.scenario === 'rebuild' && Number.isFinite(c.ratio)) {
      const mem = `peak RSS ${fmt(rebuildMem.rebuild)} MB vs ${fmt(rebuildMem.plain)} MB for the plain read`;
      v = rebuildMemOk ? `${v}; memory bounded (${mem}, target ≤ 2×)` : `**missed**: memory not bounded (${mem}, target ≤ 2×); rate: ${v}`;
      if (!rebuildMemOk || c.ratio < (c.target ?? 0)) v = v.replace(/^met/, 'rate met');
    }
    L.push(`| ${names[c.scenario] ?? c.scenario} | ${what} | ${Number.isFinite(c.ratio) ? c.ratio.toFixed(c.ratio < 0.1 ? 3 : 2) + '×' : '–'} | ${v} |`);
  }
  L.push('');

  const section = (title: string, keys: string[], metric: 'opsPerSec' | 'eventsPerSec', unit: string) => {
    L.push(`| ${title} | median ${unit} | min–max | p50 ms | p99 ms | rounds |`, '|---|---:|---:|---:|---:|---:|');
    for (const k of keys) L.push(`| ${results.get(k)?.label ?? k} ${row(results.get(k), metric)}`);
    L.push('');
  };
  const s1 = r.groups.flat().filter((w) => w.key.startsWith('s1-')).map((w) => w.key);
  if (s1.length) {
    L.push('## 1. The ceiling: pgbench running our statements vs our command handler', '');
    L.push(
      'Each command is an AddItem on a random one of 1,000 carts (3 events long at the start), through `addItem` in',
      '`server/cart/handler.ts` with a postgres.js pool as large as the client count. The pgbench script is generated at',
      'the start of the run from the statements the handler sent for one command, captured with postgres.js\'s `debug`',
      'callback in the worker (`server/bench/pgbench.ts`): same SQL text, same parameter values, except',
    );
    for (const n of r.scripts.ours?.notes ?? []) L.push(`- ${n}`);
    L.push(
      '- pgbench runs with `-M prepared` (postgres.js prepares its statements too) and its own carts, so neither side folds the other\'s events;',
      '- no command crossed a snapshot boundary (every 100 events) in the capture, so the script never writes a snapshot; ours does for ~1 in 10 of the 10-event commands.',
      '',
      'The 10-event command: no cart command decides more than one event, so the worker runs the handler\'s steps with the',
      'same modules (lock, `loadCart`, one products read, `decide` ×10, `append`, `projectCart`, `writeSnapshotsFor`) in one',
      'transaction; its statements are captured and scripted the same way. Events/s is commands/s × events per command.',
      '',
    );
    section('workload', s1, 'eventsPerSec', 'events/s');
  }
  const s2 = r.groups.flat().filter((w) => w.key.startsWith('s2-')).map((w) => w.key);
  if (s2.length) {
    L.push("## 2. The peer: Emmett's PostgreSQL event store", '');
    L.push(
      '`@event-driven-io/emmett-postgresql` 0.42.0 (devDependency). Each operation appends one ItemAdded event to a random one of',
      '1,000 streams. "Plain append": ours is `append()` of the event store, one statement on its own (expected version `any`),',
      "Emmett's is `appendToStream` without an expected version. \"Inline read model\": ours is the whole AddItem command through",
      "the handler (lock, load from snapshot, decide, append, project the `carts` row; more work than Emmett's side), Emmett's",
      'is `appendToStream` with a `pongoSingleStreamProjection` whose evolve is our own `evolve`, so its document is our `carts`',
      "row. Emmett gets a `pg.Pool` as large as the client count, and is also run with its own pool (pg's default, max 10).",
      "Errors on Emmett's side are appends that collided on the same stream (its append without an expected version still",
      'fails with a version conflict when two run at once; real callers retry); only successful appends are counted.',
      '',
    );
    section('workload', s2, 'opsPerSec', 'appends/s');
  }
  const rd = r.groups.flat().filter((w) => w.key.startsWith('read-')).map((w) => w.key);
  if (rd.length) {
    L.push('## Stream reads: whole stream read and folded, ours vs Emmett', '');
    L.push('One client reading the same stream again and again (ours: `readStream` + `fold`; Emmett: `readStream` + the same `fold`). p50 is the time of one read + fold.', '');
    section('workload', rd, 'opsPerSec', 'reads/s');
  }
  const lg = r.groups.flat().filter((w) => w.key.startsWith('long-')).map((w) => w.key);
  if (lg.length) {
    L.push('## 4. Long streams: state with snapshots vs reading and folding the whole stream', '');
    L.push(
      'Carts of alternating ItemAdded/ItemRemoved events with a snapshot every 100 versions (as `writeSnapshotsFor` stores them).',
      '`loadState` (what `loadCart` runs) asks for the target version, reads the nearest snapshot and the events after it, and folds;',
      'the baseline reads every event of the stream and folds them all. One client, the same question again and again.',
      '',
    );
    section('workload', lg, 'opsPerSec', 'answers/s');
  }
  const pl = r.groups.flat().filter((w) => w.key.startsWith('pglite-')).map((w) => w.key);
  if (pl.length) {
    L.push('## 7. Embedded database: PGlite appends', '');
    L.push(
      'Each process copies a PGlite folder the run prepared (migrated, seeded) and opens it from disk, as the app does by default;',
      'one client (PGlite has one connection).',
      'Events/s of single-event commands through the handler and of bare event store appends, beside a raw single-row INSERT loop.',
      '',
    );
    section('workload', pl, 'eventsPerSec', 'events/s');
  }
  const hp = r.groups.flat().filter((w) => w.key.startsWith('http-')).map((w) => w.key);
  if (hp.length) {
    L.push('## 3. HTTP: the JSON API under autocannon vs a bare node:http server', '');
    L.push(
      `The production build (\`next start\`, database pool ${HTTP_POOL}) and a bare node:http server (\`server/bench/worker.ts serve\`: JSON.parse,`,
      '`addItem` as Alice, the same JSON answer; no auth, no zod, no Next) with the same pool, each started afresh for every',
      'measured workload; autocannon in the bench process on 127.0.0.1 posts an AddItem to one of 50 carts of Alice in turn',
      "(signed in through Auth.js's credentials endpoint). Server memory is the resident size of the server's process group,",
      'after start (at rest) and half-way through the measuring window (under load). Warm-up at least 1.5 s and window at least',
      '4 s here (answers take seconds at 50 connections); req/s is the responses received over the window. The Next server',
      'also runs the asynchronous subscribers (instrumentation.ts), the bare one does not.',
      '',
      '| workload | median req/s | min–max | p50 ms | p99 ms | rounds | RSS at rest MB | RSS under load MB |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const k of hp) {
      const s = results.get(k);
      const ex = (f: string) => median((s?.samples ?? []).map((x) => Number(x.extra?.[f])).filter(Number.isFinite));
      L.push(`| ${s?.label ?? k} ${row(s, 'opsPerSec').replace(/ \|$/, '')} | ${fmt(ex('rssRestMb'))} | ${fmt(ex('rssLoadMb'))} |`);
    }
    L.push('');
    const lagRows = hp
      .map((k) => results.get(k))
      .filter((s): s is Summary => !!s && s.samples.some((x) => x.extra?.lagP50S !== undefined));
    if (lagRows.length) {
      L.push(
        '### 6. Subscriber lag under that load',
        '',
        'Before the warm-up of each Next command workload, the bench waits (at most 180 s) until every subscriber',
        "(`sales-daily` and `cart-funnel`, polling every 500 ms inside the Next server) has handled every committed event (`lag()`",
        'of the event store reports 0 events), so the window sees only events written under load, not the backlog of seeded carts',
        "and earlier workloads. Then, every 100 ms of the measuring window, for each subscriber, the age of the oldest committed",
        "event it has not handled yet (0 when caught up, 0.1 s resolution): an upper bound of commit-to-handled time. Medians over",
        'the rounds; "catch-up" is how long the wait took and how many events were behind when it began.',
        '',
        '| workload | lag p50 s | lag p99 s | max s | samples per round | catch-up s | events behind before |',
        '|---|---:|---:|---:|---:|---:|---:|',
      );
      for (const s of lagRows) {
        const ex = (f: string) => median(s.samples.map((x) => Number(x.extra?.[f])).filter(Number.isFinite));
        const notCaught = s.samples.filter((x) => x.extra?.caughtUp === false).length;
        L.push(
          `| ${s.label} | ${fmt(ex('lagP50S'))} | ${fmt(ex('lagP99S'))} | ${fmt(ex('lagMaxS'))} | ${fmt(ex('lagSamples'))} | ${fmt(ex('catchUpMs') / 1000)}${notCaught ? ` (not caught up in ${notCaught} round${notCaught === 1 ? '' : 's'}: lag includes backlog)` : ''} | ${fmt(ex('catchUpEvents'))} |`,
        );
      }
      L.push('');
    }
  }
  const rb = r.groups.flat().filter((w) => w.key.startsWith('rebuild-')).map((w) => w.key);
  if (rb.length) {
    const seed = r.rebuildSeed;
    L.push('## 5. Projection rebuild vs a plain read of the same rows', '');
    L.push(
      `A database of its own on the PostgreSQL server: ${seed ? seed.carts.toLocaleString('en') : '?'} carts of 10 events (${seed ? seed.events.toLocaleString('en') : '?'} events; the shapes`,
      '`npm run bench:projections` seeds: opened, items added, one quantity changed, every fourth checked out), with the live `carts`',
      `and \`orders\` rows the inline projections would have written, bulk-inserted with INSERT ... SELECT over generate_series in`,
      `${seed ? (seed.ms / 1000).toFixed(0) : '?'} s (not measured). Each round runs, in a fresh process after the same warm-up (the first 4 batches read and folded`,
      'with `foldCarts`, nothing written): `rebuildProjections` (shadow tables filled in keyset batches of 500 cart streams, each',
      'folded and compared with the live rows in one REPEATABLE READ transaction, then orphans, analyze, catch-up and the swap),',
      "and a plain read of the same rows: the same keyset batches of 500 streams, each batch's events read in one REPEATABLE READ",
      'transaction with postgres.js (`select *`, jsonb parsed by the driver), folding and writing nothing. Events/s = the cart',
      "streams' events / the whole pass. Peak RSS is the worker process's high-water mark (`process.resourceUsage().maxRSS`),",
      'warm-up included; "after warm-up" is its RSS when the measured pass starts. One pass per process, so p50/p99 are not given.',
      '',
      ...(r.cfg.rebuildRounds < 3
        ? [
            `**${r.cfg.rebuildRounds} round${r.cfg.rebuildRounds === 1 ? '' : 's'} only** for this scenario (rebuild, then plain read${r.cfg.rebuildRounds === 1 ? ', once each' : ''}), not 3: one rebuild pass over a million events`,
            'takes minutes on this machine (3-7k events/s in trial runs under load), and three rounds of both would take the full run',
            'well past its 15 minutes. A single round has no spread; compare with care. `--rebuild-rounds 3` runs three.',
            '',
          ]
        : []),
      '| workload | median events/s | min–max | pass s (median) | peak RSS MB (median, max) | RSS after warm-up MB | rounds |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const k of rb) {
      const s = results.get(k);
      if (!s || s.failed) {
        L.push(`| ${s?.label ?? k} | failed: ${(s?.failed ?? 'not run').replace(/\|/g, '/').replace(/\n/g, ' ').slice(0, 160)} | | | | | |`);
        continue;
      }
      L.push(
        `| ${s.label} | ${fmt(s.median.eventsPerSec)} | ${fmt(s.min.eventsPerSec)}–${fmt(s.max.eventsPerSec)} | ${fmt(s.median.p50Ms / 1000)} | ${fmt(extraMedian(k, 'maxRssMb'))}, ${fmt(extraMax(k, 'maxRssMb'))} | ${fmt(extraMedian(k, 'rssBeforeMb'))} | ${s.samples.length} |`,
      );
    }
    L.push('');
  }
  const ac = r.groups.flat().filter((w) => w.key.startsWith('action-')).map((w) => w.key);
  if (ac.length) {
    L.push('## 3b. One AddItem through the server action vs the JSON API', '');
    L.push(
      "The catalog's add-to-cart button calls the server action `addToCartAction` (server/cart/actions.ts). The bench sends what",
      "Next's client sends for it (its server-action reducer), without a browser: `POST /` with the `Next-Action` id from",
      '`.next/server/server-reference-manifest.json`, the `Next-Router-State-Tree` of the catalog page, `Accept: text/x-component`,',
      "an `Origin`, and the arguments as React's `encodeReply` makes them for strings and numbers (a JSON array, text/plain). Every",
      'answer is checked (200 and `{"ok":true` in the action\'s result line) and read whole: the action revalidates the layout,',
      'so its answer also carries the re-rendered catalog page (~26 KB), as the browser gets it. The JSON side posts the same',
      'AddItem to `/api/carts/{id}/items`. Same production server (`next start`, started afresh per workload, pool',
      `${HTTP_POOL}, rate limits off), signed in as Alice, one connection, one request at a time (closed loop), both adding to the same`,
      "cart (opened through the API, so it is the open cart the action's `ensureOpenCart` picks; checked on the first answer).",
      'The action also runs `ensureOpenCart` (one more transaction) and the page render; the JSON handler does neither.',
      '',
    );
    section('workload', ac, 'opsPerSec', 'req/s');
  }
  const cs = r.groups.flat().filter((w) => w.key.startsWith('coldstart-')).map((w) => w.key);
  if (cs.length) {
    L.push('## 7. Cold start: spawning the app to its first page', '');
    L.push(
      'Time from spawning the app to the first `GET /` answered 200 (polled every 50 ms), each start a fresh process group in a',
      "fresh temporary folder, ended when timed. The app is started as `npm start` runs it (`tsx server/cli/start.ts`, without npm",
      'itself, build already current): on PGlite with no DATABASE_URL and a fresh PGLITE_DIR it migrates and seeds the folder, then',
      'runs `next start` of the production build, which opens PGlite itself; on the PostgreSQL server (the run\'s scratch',
      'database, already migrated) the migration finds nothing to do and nothing is seeded. With `--only coldstart` a bare Node',
      'process that opens PGlite on a fresh folder, runs one query and exits is timed as well, from spawn to exit (left out of the',
      'full run for its run time; the run of 2026-11-29 18:40 measured it at 6.0 s against 10.8 s for the whole zero-config start).',
      '"migrated"/"seeded" are when start.ts logged them.',
      '',
      '| start | median ms | min–max | migrated ms | seeded ms | rounds |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const k of cs) {
      const s = results.get(k);
      if (!s || s.failed) {
        L.push(`| ${s?.label ?? k} | failed: ${(s?.failed ?? 'not run').replace(/\|/g, '/').replace(/\n/g, ' ').slice(0, 160)} | | | | |`);
        continue;
      }
      const ms = s.samples.map((x) => x.p50Ms);
      L.push(`| ${s.label} | ${fmt(s.median.p50Ms)} | ${fmt(Math.min(...ms))}–${fmt(Math.max(...ms))} | ${fmt(extraMedian(k, 'migratedMs'))} | ${fmt(extraMedian(k, 'seededMs'))} | ${s.samples.length} |`);
    }
    L.push('');
  }
  const one = r.scripts.ours;
  if (one) {
    L.push('## Where the time goes (one AddItem command)', '');
    const trips = new Set(one.statements.map((s, i) => s.trip ?? -i)).size;
    L.push(
      `The handler sends **${one.statements.length} statements in ${trips} round trips** for one single-event command (statements`,
      'with the same number leave together: postgres.js pipelines what the handler sends before awaiting an answer, and',
      'PostgreSQL runs them one after the other in that order; every statement is prepared once per connection):',
      '',
    );
    L.push('```sql');
    for (const s of one.statements) {
      const text = `${s.trip ?? '?'}. ${s.sql}`;
      L.push(text.length > 160 ? text.slice(0, 157) + '...' : text);
    }
    L.push('```', '');
    L.push('The pgbench script generated from them (1-event command; the 10-event one is in benchmarks.json):', '', '```text', one.script.trim(), '```', '');
    const last = Object.entries(r.pgbenchRuns)
      .filter(([k, v]) => k.startsWith('s1-pgbench-1-') && v.length)
      .sort((a, b) => Number(b[0].split('-').at(-1)) - Number(a[0].split('-').at(-1)))[0];
    if (last) {
      const clients = last[0].split('-').at(-1);
      const per = last[1].at(-1)!.perStatement;
      L.push(`pgbench's per-statement latency (\`-r\`) for that script at ${clients} clients, last round (ms, includes waiting for the row lock on the cart and for commit):`, '');
      L.push('| ms | statement |', '|---:|---|');
      for (const p of per) L.push(`| ${p.ms.toFixed(3)} | \`${p.sql.replace(/\|/g, '/').slice(0, 90)}\` |`);
      L.push('');
    }
    if (r.profile) {
      const p = r.profile;
      L.push(
        `A CPU profile of the worker process during one ${(p.totalMs / 1000).toFixed(0)} s measuring window of the handler at ${p.clients} clients`,
        `(${fmt(p.opsPerSec)} commands/s; \`BENCH_PROFILE=1\`, node:inspector), self time by where it is spent:`,
        '',
        '| part | ms | share |',
        '|---|---:|---:|',
        ...p.byPart.slice(0, 10).map((x) => `| ${x.part} | ${fmt(x.ms)} | ${(x.share * 100).toFixed(0)} % |`),
        '',
        `Top frames: ${p.top.slice(0, 8).map((f) => `\`${f.frame}\` ${fmt(f.ms)} ms`).join(', ')}.`,
        '',
      );
    }
    const idle = r.profile?.byPart.find((x) => x.part.startsWith('idle'))?.share ?? NaN;
    const busy = Number.isFinite(idle) && idle < 0.15;
    L.push(
      'Reading the figures. pgbench is a small C client: it sends the same statements and then waits, so its rate is what',
      'PostgreSQL can do on this machine with these statements. Our worker is one Node process; in the profile above it is',
      busy
        ? `idle only ${(idle * 100).toFixed(0)} % of the time, i.e. CPU-bound, not waiting for the database: the gap to the ceiling is the`
        : `idle ${Number.isFinite(idle) ? (idle * 100).toFixed(0) + ' %' : '(not profiled)'} of the time (waiting for the database); what is not idle is the`,
      'Node-side cost per statement and per round trip (a socket write system call for each round trip, drizzle building',
      'SQL objects per query, postgres.js parsing results, GC), competing for 2 shared cores with PostgreSQL and with the',
      'other processes on the machine. With a load average far above the core count, a single-threaded client gets a',
      "small share of a core, so the ratio here is a lower bound; rerun on a quiet machine (load average < 2) before",
      'drawing conclusions from the absolute values. The pgbench script sends the same statements one round trip each.',
      '',
      'What the command path does about round trips and locks (server/cart/handler.ts, db/client.ts):',
      '- Four round trips in the transaction: BEGIN; the stream lock, the load, the product and other carts\' holds; the',
      '  stock check, the append and the read-model writes; COMMIT. (Sending BEGIN and COMMIT with the statements around',
      '  them, two round trips, was tried: it hung a command when the database connection dropped mid-transaction, and',
      '  was taken out.)',
      "- The append is one statement (a data-modifying CTE claims the versions on the streams row and inserts the events).",
      "- AddItem reads the product and other carts' holds without a lock; the stock check (`eventcart_require_available`,",
      '  migration 0009) takes the product row lock as the first of the writes and checks again, so the lock is held from',
      '  there to the COMMIT (two round trips), not across the command. A failed check rolls back and the command runs',
      '  again with the lock taken first.',
      '- The live NOTIFY goes after the COMMIT, in a transaction of its own with `synchronous_commit` off for that',
      '  transaction only: PostgreSQL holds a database-wide lock from the commit of a transaction that notified until its',
      '  commit record is flushed, so notifying inside the command made every command wait for the previous one\'s flush.',
      '- Statements that do nothing (an empty outbox enqueue, a snapshot when no boundary is crossed) are not sent.',
      '',
    );
  }
  L.push('## Other benchmarks', '');
  L.push('State at random versions and moments of a realistic 10,000-event cart (snapshots vs full fold, PGlite and PostgreSQL):');
  L.push('[benchmarks-snapshots.md](benchmarks-snapshots.md), from `npm run bench:snapshots` (a separate, older method: one process, no rounds).');
  L.push('Projection verify timings and commands during a rebuild: `npm run bench:projections` (prints only; the rebuild rate is scenario 5 here).');
  L.push('');
  L.push('## Not measured yet', '');
  L.push(
    cfg.httpConnections.length
      ? '- subscriber lag measured per event (here: the age of the oldest unhandled event, sampled every 100 ms); the server action under concurrent connections (here: one at a time);'
      : '- HTTP (JSON API under autocannon vs a bare node:http server, GET /api/carts/{id}, /cart render, server RSS, subscriber lag) in the quick run (`--only http` runs it alone; the full run includes it);',
    cfg.mode === 'quick'
      ? '- the server action (3b), the rebuild over 1,000,000 events (5) and the cold start (7) in the quick run (`--only action`, `--only rebuild` (20,000 events), `--only coldstart` run them; the full run includes them);'
      : cfg.rebuildRounds < 3
        ? `- the rebuild over ${cfg.rebuildEvents.toLocaleString('en')} events in 3 rounds (${cfg.rebuildRounds} here, for the run time);`
        : '',
    cfg.mode === 'quick'
      ? "- this quick run measures 16 clients only, Emmett at 16 without its default pool, 1,000-event stream reads, the 10,000-event cart only, and no PGlite; the full run measures 1, 4, 16 and 64 clients, Emmett's default pool, 100-, 1,000- and 10,000-event streams and PGlite."
      : '',
  );
  L.push('');
  fs.writeFileSync('docs/benchmarks.md', L.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n'));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('[bench] failed:', e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
