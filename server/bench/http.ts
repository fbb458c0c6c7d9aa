// Scenario 3: the JSON API of the production build (`next start`) under autocannon, beside a bare
// node:http server (server/bench/worker.ts `serve`) that runs the same addItem per request. Each
// measured workload gets a freshly started server; both use a database pool of POOL_MAX connections.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { demoUsers } from '../../db/catalog-data';
import { openDatabase } from '../../db/client';
import { lag } from '../eventstore';
import { subscribers } from '../subscribers/registry';
import { quantile } from './common';
import type { Sample, Timing, Workload } from './runner';
import { workerCommand } from './runner';

export const POOL_MAX = 10;
const AUTH_SECRET = randomBytes(32).toString('hex');

type Server = { base: string; child: ChildProcess; stop: () => Promise<void>; rssMb: () => number };

/** Servers started and not yet stopped: stopped by stopAllServers when the run is interrupted. */
const running = new Set<() => Promise<void>>();
export async function stopAllServers() {
  await Promise.all([...running].map((stop) => stop()));
}

/** Resident memory of the server's whole process group (next start runs next-server as a child). */
function groupRssMb(pgid: number): number {
  try {
    const out = execFileSync('ps', ['-o', 'rss=', '-g', String(pgid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .map(Number)
      .filter((n) => n > 0)
      .reduce((a, b) => a + b, 0) / 1024;
  } catch {
    return NaN;
  }
}

async function waitFor(url: string, ms: number, child: ChildProcess, log: () => string) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${log().slice(-1500)}`);
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not answer ${url} within ${ms} ms: ${log().slice(-1500)}`);
}

export async function startServer(kind: 'next' | 'bare', dbUrl: string, port: number): Promise<Server> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl,
    BENCH_URL: dbUrl,
    DATABASE_POOL_MAX: String(POOL_MAX),
    AUTH_SECRET,
    AUTH_TRUST_HOST: 'true',
    NEXT_TELEMETRY_DISABLED: '1',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    // One signed-in user sends every request from one address: the shop's rate limits (120 commands a
    // minute) would answer most of them 429, and the bare server has no limiter to compare with.
    RATE_LIMIT_DISABLED: '1',
  };
  const [cmd, args]: [string, string[]] =
    kind === 'next'
      ? ['node_modules/.bin/next', ['start', '-p', String(port), '-H', '127.0.0.1']]
      : [process.execPath, ['--conditions=react-server', ...workerCommand(), 'serve', 'bare', String(port)]];
  // Its own process group, so stop() ends the server and anything it started, and nothing else.
  const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-4000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const pgid = child.pid!;
  const stop = async () => {
    running.delete(stop);
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 5000);
    await exited;
    clearTimeout(t);
  };
  running.add(stop);
  try {
    await waitFor(`${base}${kind === 'next' ? '/api/health' : '/health'}`, 90_000, child, () => out);
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, child, stop, rssMb: () => groupRssMb(pgid) };
}

/** Signs Alice in through Auth.js's credentials endpoint; returns the Cookie header to send. */
export async function signIn(base: string): Promise<string> {
  const alice = demoUsers.find((u) => u.id === 'user-alice')!;
  const jar = new Map<string, string>();
  const keep = (r: Response) => {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const r1 = await fetch(`${base}/api/auth/csrf`);
  keep(r1);
  const { csrfToken } = (await r1.json()) as { csrfToken: string };
  const r2 = await fetch(`${base}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
    body: new URLSearchParams({ csrfToken, email: alice.email, password: alice.password }),
  });
  keep(r2);
  const check = await fetch(`${base}/api/carts`, { headers: { cookie: cookie() } });
  if (check.status !== 200) throw new Error(`sign-in did not stick: GET /api/carts answered ${check.status}`);
  return cookie();
}

export async function openCarts(base: string, cookie: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${base}/api/carts`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    if (r.status !== 201) throw new Error(`POST /api/carts answered ${r.status}: ${await r.text()}`);
    ids.push(((await r.json()) as { cartId: string }).cartId);
  }
  return ids;
}

type Cannon = {
  duration: number;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
};

async function cannon(opts: Record<string, unknown>): Promise<Cannon> {
  const autocannon = (await import('autocannon')).default;
  return new Promise((resolve, reject) => {
    autocannon({ ...opts }, (err: Error | null, result: Cannon) => (err ? reject(err) : resolve(result)));
  });
}

export type HttpKind = 'command' | 'get' | 'page';

/**
 * One measured HTTP workload: start the server, warm up, measure, stop. `command` posts an AddItem to a
 * random one of the carts; `get` reads GET /api/carts/{id}; `page` renders /cart.
 */
export function httpWorkload(o: {
  key: string;
  label: string;
  server: 'next' | 'bare';
  kind: HttpKind;
  connections: number;
  dbUrl: string;
  port: number;
  timing: Timing;
  carts: () => { ids: string[]; cookie: string };
  productIds: string[];
}): Workload {
  return {
    key: o.key,
    label: o.label,
    run: async (): Promise<Sample> => {
      const server = await startServer(o.server, o.dbUrl, o.port);
      try {
        const { ids, cookie } = o.carts();
        const rssRest = server.rssMb();
        let n = 0;
        const pick = () => ids[n++ % ids.length];
        const request =
          o.kind === 'command'
            ? {
                method: 'POST',
                setupRequest: (req: Record<string, unknown>) => ({
                  ...req,
                  path: `/api/carts/${pick()}/items`,
                  body: JSON.stringify({ productId: o.productIds[n % o.productIds.length], quantity: 1 }),
                }),
              }
            : o.kind === 'get'
              ? { method: 'GET', setupRequest: (req: Record<string, unknown>) => ({ ...req, path: `/api/carts/${pick()}` }) }
              : { method: 'GET', path: '/cart' };
        const common = {
          url: server.base,
          connections: o.connections,
          headers: { cookie, 'content-type': 'application/json' },
          requests: [request],
          timeout: 30,
        };
        await cannon({ ...common, duration: Math.max(1, Math.round(o.timing.warmupMs / 1000)) });
        let rssLoad = NaN;
        const probe = setTimeout(() => (rssLoad = server.rssMb()), o.timing.measureMs / 2);
        // Scenario 6: while Next serves commands, how old is the oldest event the subscribers have not handled?
        const lagSampler = o.server === 'next' && o.kind === 'command' ? sampleLag(o.dbUrl) : null;
        const r = await cannon({ ...common, duration: Math.max(1, Math.round(o.timing.measureMs / 1000)) });
        clearTimeout(probe);
        const lagSamples = lagSampler ? await lagSampler.stop() : null;
        // Responses received over the run's length (autocannon's per-second average reads 0 when answers take ~1 s).
        const rate = r.requests.total / r.duration;
        return {
          opsPerSec: rate,
          eventsPerSec: o.kind === 'command' ? rate : 0,
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          errors: r.non2xx + r.errors + r.timeouts,
          rssMb: rssLoad,
          extra: {
            rssRestMb: rssRest,
            rssLoadMb: rssLoad,
            non2xx: r.non2xx,
            ...(lagSamples && lagSamples.length
              ? { lagP50S: quantile(lagSamples, 0.5), lagP99S: quantile(lagSamples, 0.99), lagMaxS: Math.max(...lagSamples), lagSamples: lagSamples.length }
              : {}),
          },
        };
      } finally {
        await server.stop();
      }
    },
  };
}

/**
 * Every 100 ms, for each subscriber, the age of the oldest committed event it has not handled yet
 * (`lag()` of the event store: now() - occurred_at of the oldest event after its checkpoint; 0 when it
 * is caught up; 0.1 s resolution). Its distribution bounds commit-to-handled latency from above.
 */
function sampleLag(dbUrl: string) {
  const h = openDatabase({ url: dbUrl, poolMax: 1 });
  const samples: number[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      try {
        for (const s of subscribers) samples.push((await lag(h.db, s.name)).seconds);
      } catch {
        // a failed sample is skipped
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await loop;
      await h.close();
      return samples;
    },
  };
}


