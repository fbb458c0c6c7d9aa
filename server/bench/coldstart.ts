// Scenario 7: cold start. Time from spawning the app to the first successful page (GET / -> 200):
//   pglite    the zero-config start (`npm start`'s server/cli/start.ts: migrate and seed a fresh PGlite
//             folder, then `next start` of the production build), no DATABASE_URL;
//   postgres  the same start on the PostgreSQL server (a database already migrated and seeded);
//   bare      a bare Node process opening PGlite on a fresh folder and running one query (spawn to exit).
// Each start is a fresh process group in a fresh folder, ended (group) when timed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Sample, Workload } from './runner';

export type ColdKind = 'pglite' | 'postgres' | 'bare';

const AUTH_SECRET = randomBytes(32).toString('hex');
const running = new Set<() => Promise<void>>();
/** Ends every start still running (an interrupted run). */
export async function stopColdStarts() {
  await Promise.all([...running].map((s) => s()));
}

function spawnGroup(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const marks: Record<string, number> = {};
  const t0 = performance.now();
  const onData = (d: Buffer) => {
    out = (out + d).slice(-4000);
    const s = String(d);
    if (marks.migrated === undefined && s.includes('migrations applied')) marks.migrated = performance.now() - t0;
    if (marks.seeded === undefined && s.includes('demo data:')) marks.seeded = performance.now() - t0;
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stop = async () => {
    running.delete(stop);
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 5000);
    await exited;
    clearTimeout(t);
  };
  running.add(stop);
  return { child, t0, marks, exited, stop, log: () => out };
}

/**
 * A port nobody listens on now (the kernel's pick), so the first 200 comes from the server just started,
 * not from another one on this shared machine.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One cold start, in ms, with the moments start.ts logged (migrations applied, demo data seeded). */
async function coldStart(kind: ColdKind, dbUrl: string): Promise<{ ms: number; marks: Record<string, number> }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-cold-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' };
    delete env.DATABASE_URL;
    delete env.BENCH_URL;
    if (kind === 'bare') {
      const script = `const { PGlite } = await import('@electric-sql/pglite'); const db = new PGlite(${JSON.stringify(path.join(dir, 'pglite'))}); await db.query('select 1'); await db.close();`;
      const g = spawnGroup(process.execPath, ['--input-type=module', '-e', script], env);
      const code = await g.exited;
      running.delete(g.stop);
      if (code !== 0) throw new Error(`bare PGlite open exited ${code}: ${g.log().slice(-800)}`);
      return { ms: performance.now() - g.t0, marks: {} };
    }
    Object.assign(env, {
      PORT: String(port),
      HOSTNAME_BIND: '127.0.0.1',
      EVENTCART_SKIP_BUILD: '1',
      AUTH_SECRET,
      AUTH_TRUST_HOST: 'true',
      LOG_LEVEL: 'warn',
      ...(kind === 'pglite' ? { PGLITE_DIR: path.join(dir, 'pglite') } : { DATABASE_URL: dbUrl }),
    });
    // As `npm start` runs it (package.json: tsx --conditions=react-server server/cli/start.ts), without npm itself.
    const g = spawnGroup('node_modules/.bin/tsx', ['--conditions=react-server', 'server/cli/start.ts'], env);
    try {
      const until = performance.now() + 120_000;
      for (;;) {
        if (g.child.exitCode !== null) throw new Error(`start exited ${g.child.exitCode}: ${g.log().slice(-1500)}`);
        if (performance.now() > until) throw new Error(`no 200 from GET / within 120 s: ${g.log().slice(-1500)}`);
        try {
          const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(30_000) });
          await r.arrayBuffer();
          if (r.status === 200) return { ms: performance.now() - g.t0, marks: g.marks };
          if (r.status >= 500) throw new Error(`GET / answered ${r.status}: ${g.log().slice(-1500)}`);
        } catch (e) {
          if ((e as Error).message.startsWith('GET /')) throw e;
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await g.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function coldStartWorkload(key: string, label: string, kind: ColdKind, dbUrl: string): Workload {
  return {
    key,
    label,
    run: async (): Promise<Sample> => {
      const r = await coldStart(kind, dbUrl);
      return {
        opsPerSec: 1000 / r.ms,
        eventsPerSec: 0,
        p50Ms: r.ms,
        p99Ms: r.ms,
        extra: { coldMs: r.ms, migratedMs: r.marks.migrated, seededMs: r.marks.seeded },
      };
    },
  };
}
