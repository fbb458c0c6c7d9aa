// npm run chaos [-- --pglite] [-- --kills 20] [-- --max-seconds 240] [-- --outage-seconds 10]
//                [-- --shoppers 6] [-- --port 3230] [-- --keep]
//
// Proves acknowledged writes survive crashes: starts the production build on a fresh database of its
// own, runs signed-in shoppers against it (every command with an Idempotency-Key, retried with the
// same key when the server is away), SIGKILLs the whole server process group at random moments and
// restarts it, and on PostgreSQL also cuts the app's database link for a while (a TCP proxy between
// them) without restarting anything. At the end every command answered 2xx must be in the event store
// at the version it reported, and `verify` (server/verify) must find no difference.
// Talks only to 127.0.0.1. Exit 0 when nothing was lost and verify is clean, 1 otherwise, 2 when the
// run itself failed (e.g. the server would not come back). The summary also goes to
// .data/chaos/last-run.json (and last-run-postgres.json / last-run-pglite.json).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { products, users } from '../../db/schema';
import { seedDemo } from '../../db/seed';
import { hashPassword } from '../auth/password';
import { AppServer } from '../chaos/app-server';
import { newLoadState, Shopper, type Ack, type LoadState } from '../chaos/shopper';
import { rowsOf } from '../projections/sql';
import { startTcpProxy, viaProxy, type TcpProxy } from '../testing/tcp-proxy';
import { formatReport, verifyStore, type StoreReport } from '../verify';
import { ensureBuild } from './lib/build';

type Args = {
  pglite: boolean;
  kills: number;
  maxSeconds: number;
  outageSeconds: number;
  restartPostgres: boolean;
  shoppers: number;
  port: number;
  keep: boolean;
};

const USAGE = 'usage: chaos [--pglite] [--kills N] [--max-seconds N] [--outage-seconds N] [--restart-postgres] [--shoppers N] [--port N] [--keep]';

function parseArgs(argv: string[]): Args {
  const args: Args = { pglite: false, kills: 20, maxSeconds: 0, outageSeconds: 10, restartPostgres: false, shoppers: 6, port: 3230, keep: false };
  const bounds: Record<string, [keyof Args, number, number]> = {
    '--kills': ['kills', 0, 200],
    '--max-seconds': ['maxSeconds', 10, 3600],
    '--outage-seconds': ['outageSeconds', 0, 120],
    '--shoppers': ['shoppers', 1, 32],
    '--port': ['port', 1024, 65535],
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    if (flag === '--pglite') args.pglite = true;
    else if (flag === '--keep') args.keep = true;
    else if (flag === '--restart-postgres') args.restartPostgres = true;
    else if (bounds[flag]) {
      const [key, lo, hi] = bounds[flag];
      const raw = inline ?? argv[++i];
      const n = Number(raw);
      if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${flag} must be a whole number from ${lo} to ${hi}, not ${raw}`);
      (args as Record<string, unknown>)[key] = n;
    } else throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
  }
  // An embedded database reopens its folder (and replays its WAL) after every kill: restarts take several
  // times longer than on a server, so 20 kills need more time.
  if (!args.maxSeconds) args.maxSeconds = args.pglite ? 480 : 240;
  if (args.restartPostgres && args.pglite) throw new Error('--restart-postgres needs the PostgreSQL server, not --pglite');
  return args;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * --restart-postgres: a real stop of this machine's PostgreSQL cluster (Debian's pg_ctlcluster, as root)
 * instead of the proxy cut. It stops every database on that server for the outage, so it is opt-in.
 * Returns the cluster version to start again.
 */
function stopPostgres(): string {
  const versions = fs.existsSync('/etc/postgresql') ? fs.readdirSync('/etc/postgresql') : [];
  if (versions.length !== 1) throw new Error('--restart-postgres needs exactly one Debian PostgreSQL cluster in /etc/postgresql');
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'stop', '-m', 'fast'], { stdio: 'inherit' });
  return versions[0];
}

async function startPostgres(version: string) {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  for (let i = 0; i < 60; i++) {
    if (spawnSync('pg_isready', ['-h', '127.0.0.1', '-q']).status === 0) return;
    await sleep(500);
  }
  throw new Error('PostgreSQL did not come back within 30 s');
}
const secs = (ms: number) => Math.round(ms / 100) / 10;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const CHAOS_PASSWORD = 'chaos';

/** Demo shoppers first, then extra accounts of the run's own. */
function shopperAccounts(n: number) {
  const demo = [
    { userId: 'user-alice', email: 'alice@example.com', password: 'alice' },
    { userId: 'user-bob', email: 'bob@example.com', password: 'bob' },
  ];
  const extra = Array.from({ length: Math.max(0, n - demo.length) }, (_, i) => ({
    userId: `chaos-shopper-${i + 1}`,
    email: `chaos-${i + 1}@example.com`,
    password: CHAOS_PASSWORD,
  }));
  return [...demo, ...extra].slice(0, n);
}

type Store = { kind: 'postgres'; adminUrl: string; name: string; url: string } | { kind: 'pglite'; dir: string; pgliteDir: string };

async function createStore(args: Args): Promise<Store> {
  if (args.pglite) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-chaos-'));
    return { kind: 'pglite', dir, pgliteDir: path.join(dir, 'pglite') };
  }
  const adminUrl = process.env.CHAOS_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const host = new URL(adminUrl).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`chaos talks only to this machine: the PostgreSQL server must be on 127.0.0.1, not ${host}`);
  const name = `eventcart_chaos_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.hostname = '127.0.0.1';
  url.pathname = `/${name}`;
  return { kind: 'postgres', adminUrl, name, url: url.toString() };
}

async function dropStore(store: Store, keep: boolean) {
  if (keep) return;
  if (store.kind === 'pglite') {
    fs.rmSync(store.dir, { recursive: true, force: true });
    return;
  }
  const admin = postgres(store.adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${store.name} with (force)`);
  } finally {
    await admin.end();
  }
}

const openStore = (store: Store) =>
  store.kind === 'pglite' ? openDatabase({ pgliteDir: store.pgliteDir }) : openDatabase({ url: store.url, poolMax: 2 });

/**
 * Migrations, the demo catalog and accounts, the run's extra shoppers; stock raised on most products so
 * a few minutes of checkouts do not sell everything out (the milk frother and the grinder keep their
 * scarce stock, so "insufficient stock" refusals happen too). initial_stock moves with stock.
 */
async function prepareStore(store: Store, accounts: ReturnType<typeof shopperAccounts>) {
  const h = openStore(store);
  try {
    await migrateDatabase(h);
    await seedDemo(h.db);
    const extra = accounts.filter((a) => a.userId.startsWith('chaos-'));
    if (extra.length) {
      const hash = await hashPassword(CHAOS_PASSWORD);
      await h.db
        .insert(users)
        .values(extra.map((a, i) => ({ id: a.userId, email: a.email, name: `Chaos shopper ${i + 1}`, role: 'shopper' as const, passwordHash: hash })))
        .onConflictDoNothing();
    }
    await h.db
      .update(products)
      .set({ stock: 5000, initialStock: 5000 })
      .where(sql`${products.id} not in ('milk-frother', 'hand-grinder', 'sencha-tea')`);
    const rows = await h.db.select({ id: products.id }).from(products).where(sql`${products.stock} > 0`);
    return rows.map((r) => r.id).concat('sencha-tea'); // one sold-out product: adds to it are refused
  } finally {
    await h.close();
  }
}

type LossReport = { lost: (Ack & { why: string })[]; unacknowledgedLanded: number };

/** Every acknowledged command must be recorded under its key, with the version it reported, and its last event must be there. */
async function findLosses(store: Store, s: LoadState): Promise<LossReport> {
  const h = openStore(store);
  try {
    const cmds = new Map<string, { stream: string; version: number | null }>();
    for (const r of rowsOf(await h.db.execute(sql`select command_id, stream_id, (result ->> 'version')::int as version from commands`))) {
      cmds.set(String(r.command_id), { stream: String(r.stream_id), version: r.version === null ? null : Number(r.version) });
    }
    const events = new Map<string, string>();
    for (const r of rowsOf(await h.db.execute(sql`select stream_id, stream_version, metadata ->> 'commandId' as command_id from events`))) {
      events.set(`${String(r.stream_id)}#${Number(r.stream_version)}`, String(r.command_id));
    }
    const lost: LossReport['lost'] = [];
    for (const a of s.acks) {
      const commandId = `${a.userId}:${a.key}`;
      const c = cmds.get(commandId);
      let why = '';
      if (!c) why = 'no command record for its Idempotency-Key';
      else if (c.version !== a.version) why = `command recorded with version ${c.version}, acknowledged ${a.version}`;
      else if (a.events > 0) {
        const at = events.get(`cart-${a.cartId}#${a.version}`);
        if (at === undefined) why = `no event at version ${a.version} of cart ${a.cartId}`;
        else if (at !== commandId) why = `version ${a.version} of cart ${a.cartId} belongs to another command (${at})`;
      }
      if (why) lost.push({ ...a, why });
    }
    const unacknowledgedLanded = s.unacknowledged.filter((u) => cmds.get(`${u.userId}:${u.key}`)?.version != null).length;
    return { lost, unacknowledgedLanded };
  } finally {
    await h.close();
  }
}

async function runVerify(store: Store): Promise<{ report?: StoreReport; error?: string }> {
  try {
    const h = openStore(store);
    try {
      return { report: await verifyStore(h.db) };
    } finally {
      await h.close();
    }
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function stats(ms: number[]) {
  if (ms.length === 0) return null;
  const sorted = [...ms].sort((a, b) => a - b);
  return { min: secs(sorted[0]), median: secs(sorted[Math.floor(sorted.length / 2)]), max: secs(sorted.at(-1)!) };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const outDir = path.resolve('.data/chaos');
  fs.mkdirSync(outDir, { recursive: true });
  const logFile = path.join(outDir, `server-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);

  const buildStarted = Date.now();
  ensureBuild();
  const buildMs = Date.now() - buildStarted;

  const accounts = shopperAccounts(args.shoppers);
  const store = await createStore(args);
  let proxy: TcpProxy | null = null;
  let server: AppServer | null = null;
  let postgresDown: string | null = null; // the cluster chaos stopped, until it is started again
  const s = newLoadState();
  const killTimes: number[] = [];
  const restartMs: number[] = [];
  let outage: { mode: 'link cut' | 'server stopped'; seconds: number; statuses: Record<string, number>; recoverySeconds: number | null } | null = null;
  let fatal: string | null = null;
  let loadMs = 0;
  let losses: LossReport | null = null;
  let verify: { report?: StoreReport; error?: string } = {};
  // Ctrl-C: stop the load, then stop the server, check what was acknowledged so far and clean up.
  const stopOnSignal = () => {
    console.log('[chaos] interrupted: finishing up');
    fatal ??= 'interrupted';
    s.stop = true;
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  try {
    const catalog = await prepareStore(store, accounts);
    const where = store.kind === 'pglite' ? `embedded PGlite in ${store.pgliteDir}` : `PostgreSQL database ${store.name}`;
    console.log(`[chaos] ${where}; ${args.shoppers} shoppers; up to ${args.kills} kills in ${args.maxSeconds} s; server log ${path.relative(process.cwd(), logFile)}`);

    let appDbUrl = '';
    if (store.kind === 'postgres') {
      const u = new URL(store.url);
      proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(u.port || 5432) });
      appDbUrl = viaProxy(store.url, proxy.port);
    }
    server = new AppServer(
      args.port,
      {
        ...process.env,
        PORT: String(args.port),
        HOSTNAME_BIND: '127.0.0.1',
        DATABASE_URL: appDbUrl,
        PGLITE_DIR: store.kind === 'pglite' ? store.pgliteDir : '.data/pglite',
        EVENTCART_SKIP_BUILD: '1',
        AUTH_SECRET: randomBytes(32).toString('base64url'),
        AUTH_TRUST_HOST: 'true',
        RATE_LIMIT_DISABLED: '1',
        SEED_DEMO: '1',
        NEXT_TELEMETRY_DISABLED: '1',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
      logFile,
    );
    server.start();
    const firstUp = await server.waitHealthy();
    console.log(`[chaos] server up in ${secs(firstUp)} s (pid ${server.pid})`);

    const shoppers = accounts.map(
      (a) => new Shopper(server!.base, { userId: a.userId, email: a.email, password: a.password, products: catalog, maxAttempts: 90 }, s),
    );
    for (const sh of shoppers) await sh.signIn();
    const loadStarted = Date.now();
    const deadline = loadStarted + args.maxSeconds * 1000;
    const runs = shoppers.map((sh) => sh.run());

    const outageAt = store.kind === 'postgres' && args.outageSeconds > 0 ? Math.floor(args.kills / 2) : -1;
    try {
      for (let k = 0; k < args.kills && !s.stop; k++) {
        if (k === outageAt && Date.now() + args.outageSeconds * 1000 < deadline) {
          await sleep(1000);
          console.log(
            args.restartPostgres
              ? `[chaos] stopping the PostgreSQL server for ${args.outageSeconds} s`
              : `[chaos] cutting the database link for ${args.outageSeconds} s`,
          );
          s.phase = 'outage';
          if (args.restartPostgres) postgresDown = stopPostgres();
          else proxy!.cut();
          await sleep(args.outageSeconds * 1000);
          if (postgresDown) await startPostgres(postgresDown);
          postgresDown = null;
          proxy!.restore();
          s.phase = 'recovering';
          const recovered = await server.waitHealthy(60_000, 'ready').catch(() => null);
          s.phase = 'steady';
          outage = { mode: args.restartPostgres ? 'server stopped' : 'link cut', seconds: args.outageSeconds, statuses: { ...(s.outcomes.outage ?? {}) }, recoverySeconds: recovered === null ? null : secs(recovered) };
          console.log(`[chaos] database back; ready again after ${outage.recoverySeconds ?? 'never'} s; statuses during the outage: ${JSON.stringify(outage.statuses)}`);
          if (recovered === null) throw new Error('the app did not serve again within 60 s of the database coming back');
        }
        const up = 1000 + Math.random() * 3000;
        if (Date.now() + up > deadline) break;
        await sleep(up);
        if (s.stop) break;
        s.phase = 'down';
        killTimes.push(Date.now());
        await server.kill('SIGKILL');
        const t0 = Date.now();
        server.start();
        await server.waitHealthy();
        restartMs.push(Date.now() - t0);
        s.phase = 'steady';
        console.log(`[chaos] kill ${k + 1}/${args.kills}: back in ${secs(Date.now() - t0)} s; ${s.acks.length} acknowledged so far`);
      }
      await sleep(2000);
    } catch (e) {
      fatal = e instanceof Error ? e.message : String(e);
      console.error(`[chaos] ${fatal}`);
      s.abort = true;
    }
    s.stop = true;
    await Promise.all(runs);
    loadMs = Date.now() - loadStarted;
    await server.stop();
    await proxy?.close();
    proxy = null;

    losses = await findLosses(store, s).catch((e) => {
      fatal ??= `could not read the store to look for lost commands: ${e instanceof Error ? e.message : String(e)}`;
      return null;
    });
    verify = await runVerify(store);
  } catch (e) {
    fatal ??= e instanceof Error ? e.message : String(e);
    console.error(`[chaos] ${fatal}`);
  } finally {
    s.stop = true;
    // Never leave the machine's PostgreSQL server stopped, whatever happened.
    if (postgresDown) await startPostgres(postgresDown).catch((e) => console.error(`[chaos] could not start PostgreSQL again: ${e}`));
    await server?.kill('SIGKILL');
    await proxy?.close();
  }

  const lost = losses?.lost.length ?? null;
  const summary = {
    startedAt: new Date(started).toISOString(),
    database: store.kind,
    options: args,
    durationSeconds: secs(Date.now() - started),
    buildSeconds: secs(buildMs),
    loadSeconds: secs(loadMs),
    kills: { requested: args.kills, done: killTimes.length, restartSeconds: stats(restartMs) },
    commands: {
      sent: s.sent,
      requests: s.requests,
      acknowledged: s.acks.length,
      acknowledgedAfterRetry: s.acks.filter((a) => a.attempts > 1).length,
      acknowledgedAsReplay: s.acks.filter((a) => a.replayed).length,
      refused: s.refused,
      unacknowledged: s.unacknowledged.length,
      unacknowledgedButLanded: losses?.unacknowledgedLanded ?? null,
      lost,
    },
    lostCommands: losses?.lost.slice(0, 50) ?? [],
    outage,
    outcomesByPhase: s.outcomes,
    verify: verify.report
      ? { ok: verify.report.ok, counts: verify.report.counts, differences: verify.report.differences.length, first: verify.report.differences.slice(0, 100) }
      : { ok: false, error: verify.error ?? 'not run' },
    error: fatal,
    ok: !fatal && lost === 0 && verify.report?.ok === true,
  };
  // last-run.json is the latest run; last-run-<database>.json keeps the latest of each kind side by side.
  for (const name of ['last-run.json', `last-run-${store.kind}.json`]) fs.writeFileSync(path.join(outDir, name), JSON.stringify(summary, null, 2) + '\n');

  if (summary.lostCommands.length) {
    console.log('\nlost (acknowledged but not in the store):');
    for (const l of summary.lostCommands) console.log(`  ${l.kind} cart ${l.cartId} v${l.version} key ${l.key}: ${l.why}`);
  }
  if (verify.report) console.log(`\n${formatReport(verify.report)}`);
  else console.log(`\nverify could not run: ${verify.error ?? 'not reached'}`);
  const c = summary.commands;
  console.log(
    [
      '',
      `chaos on ${store.kind}: ${summary.kills.done}/${args.kills} kills${summary.kills.restartSeconds ? ` (restart ${summary.kills.restartSeconds.median} s median, ${summary.kills.restartSeconds.max} s max)` : ''}, ${summary.loadSeconds} s of load, ${summary.durationSeconds} s in all`,
      `commands: ${c.sent} sent, ${c.acknowledged} acknowledged (${c.acknowledgedAfterRetry} after a retry, ${c.acknowledgedAsReplay} as idempotent replays), ` +
        `${Object.values(c.refused).reduce((a, b) => a + b, 0)} refused ${JSON.stringify(c.refused)}, ${c.unacknowledged} unacknowledged (${c.unacknowledgedButLanded ?? '?'} of them landed), lost: ${lost ?? 'unknown'}`,
      outage ? `database outage (${outage.mode}) ${outage.seconds} s: statuses ${JSON.stringify(outage.statuses)}; ready again ${outage.recoverySeconds ?? 'never'} s after the database came back` : 'database outage: not run',
      `verify: ${verify.report ? (verify.report.ok ? 'clean' : `${verify.report.differences.length} differences`) : `could not run (${verify.error})`}`,
      fatal ? `run failed: ${fatal}` : '',
      `result: ${summary.ok ? 'PASS' : 'FAIL'} (summary in ${path.relative(process.cwd(), path.join(outDir, 'last-run.json'))})`,
    ]
      .filter(Boolean)
      .join('\n'),
  );

  const keep = args.keep || (store.kind === 'pglite' && !!verify.error);
  if (keep && store.kind === 'pglite') console.log(`[chaos] kept the PGlite folder for inspection: ${store.pgliteDir}`);
  await dropStore(store, keep).catch((e) => console.error(`[chaos] could not drop the scratch database: ${e instanceof Error ? e.message : String(e)}`));
  if (fatal) return 2;
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`[chaos] failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
