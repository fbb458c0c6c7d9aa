// Scenario 3: the JSON API of the production build (`next start`) under autocannon, beside a bare
// node:http server (server/bench/worker.ts `serve`) that runs the same addItem per request. Each
// measured workload gets a freshly started server; both use a database pool of POOL_MAX connections.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
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
        // Scenario 6 measures commit-to-handled time of the events written under load: the subscribers first
        // work through whatever the run wrote before (seeded carts, other workloads' commands), bounded.
        const lagged = o.server === 'next' && o.kind === 'command';
        const catchUp = lagged ? await waitCaughtUp(o.dbUrl, 180_000) : null;
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
        const lagSampler = lagged ? sampleLag(o.dbUrl) : null;
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
            ...(catchUp ? { catchUpMs: catchUp.ms, catchUpEvents: catchUp.events, caughtUp: catchUp.caughtUp } : {}),
          },
        };
      } finally {
        await server.stop();
      }
    },
  };
}

/**
 * Waits (polling every 200 ms, at most `maxMs`) until every subscriber's lag() is 0 events: the Next
 * server's subscribers have handled every event committed so far. Returns how long that took and how
 * many events they had to go through.
 */
async function waitCaughtUp(dbUrl: string, maxMs: number): Promise<{ ms: number; events: number; caughtUp: boolean }> {
  const h = openDatabase({ url: dbUrl, poolMax: 1 });
  const t0 = performance.now();
  let first: number | undefined;
  try {
    for (;;) {
      let behind = 0;
      for (const s of subscribers) behind += (await lag(h.db, s.name)).events;
      first ??= behind;
      if (behind === 0) return { ms: performance.now() - t0, events: first, caughtUp: true };
      if (performance.now() - t0 > maxMs) return { ms: performance.now() - t0, events: first, caughtUp: false };
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await h.close();
  }
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



/** The id Next gave a server action in this build (`.next/server/server-reference-manifest.json`). */
export function actionId(exportedName: string, file: string): string {
  const manifest = JSON.parse(fs.readFileSync('.next/server/server-reference-manifest.json', 'utf8')) as {
    node: Record<string, { exportedName?: string; filename?: string }>;
  };
  const hit = Object.entries(manifest.node).find(([, v]) => v.exportedName === exportedName && v.filename === file);
  if (!hit) throw new Error(`no server action ${exportedName} (${file}) in .next/server/server-reference-manifest.json`);
  return hit[0];
}

/** The router state tree the browser sends from the catalog page (`/`, route group `(catalog)`). */
const CATALOG_TREE = encodeURIComponent(JSON.stringify(['', { children: ['(catalog)', { children: ['__PAGE__', {}] }] }, null, null, true]));

/**
 * Scenario 3b: one AddItem at a time (one connection, sequential requests), through the server action
 * as the browser sends it, or through the JSON API, on a freshly started `next start`, signed in as
 * Alice. Both add to the same cart: one opened through the API at the start, which is then Alice's most
 * recently updated open cart, the one the action's ensureOpenCart picks (checked on the first answer).
 * The action request is what Next's client sends (server-action-reducer): POST to the page with the
 * Next-Action id, the router state tree, Accept text/x-component, Origin, and React's encodeReply of
 * the arguments as text/plain (plain strings and numbers encode as a JSON array). Its answer is the
 * action's result and, as the action revalidates the layout, the re-rendered page; the body is read whole.
 */
export function actionWorkload(o: {
  key: string;
  label: string;
  via: 'action' | 'json';
  dbUrl: string;
  port: number;
  timing: Timing;
  productIds: string[];
}): Workload {
  return {
    key: o.key,
    label: o.label,
    run: async (): Promise<Sample> => {
      const id = o.via === 'action' ? actionId('addToCartAction', 'server/cart/actions.ts') : '';
      const server = await startServer('next', o.dbUrl, o.port);
      try {
        const cookie = await signIn(server.base);
        let cartId = '';
        let added = 0;
        const newCart = async () => {
          [cartId] = await openCarts(server.base, cookie, 1);
          added = 0;
        };
        await newCart();
        let checked = false;
        let n = 0;
        const one = async (): Promise<void> => {
          // At most 99 of a product in a cart: a new cart every 1,000 adds (13 products in turn, 77 each).
          if (added >= 1000) await newCart();
          const productId = o.productIds[n++ % o.productIds.length];
          added++;
          if (o.via === 'json') {
            const r = await fetch(`${server.base}/api/carts/${cartId}/items`, {
              method: 'POST',
              headers: { cookie, 'content-type': 'application/json' },
              body: JSON.stringify({ productId, quantity: 1 }),
            });
            const text = await r.text();
            if (r.status !== 200 && r.status !== 201) throw new Error(`JSON API answered ${r.status}: ${text.slice(0, 200)}`);
            return;
          }
          const r = await fetch(`${server.base}/`, {
            method: 'POST',
            headers: {
              cookie,
              accept: 'text/x-component',
              'next-action': id,
              'next-router-state-tree': CATALOG_TREE,
              origin: server.base,
              'content-type': 'text/plain;charset=UTF-8',
            },
            body: JSON.stringify([productId, 1, `/?add=${encodeURIComponent(productId)}`]),
          });
          const text = await r.text();
          const result = text.match(/^1:(\{.*)$/m)?.[1] ?? '';
          if (r.status !== 200 || !result.startsWith('{"ok":true')) throw new Error(`action answered ${r.status}: ${(result || text).slice(0, 200)}`);
          if (!checked) {
            const got = result.match(/"cartId":"([^"]+)"/)?.[1];
            if (got !== cartId) throw new Error(`the action added to cart ${got}, not ${cartId}`);
            checked = true;
          }
        };
        const latencies: number[] = [];
        let errors = 0;
        let firstError: string | undefined;
        const start = performance.now();
        const from = start + o.timing.warmupMs;
        const to = from + o.timing.measureMs;
        while (performance.now() < to) {
          const t0 = performance.now();
          try {
            await one();
            const t1 = performance.now();
            if (t1 >= from && t1 <= to) latencies.push(t1 - t0);
          } catch (e) {
            errors++;
            firstError ??= (e as Error).message;
            if (errors > 20 && errors > latencies.length) throw e;
          }
        }
        const rate = latencies.length / (o.timing.measureMs / 1000);
        return {
          opsPerSec: rate,
          eventsPerSec: rate,
          p50Ms: quantile(latencies, 0.5),
          p99Ms: quantile(latencies, 0.99),
          errors,
          ...(firstError ? { note: `first error: ${firstError}` } : {}),
        };
      } finally {
        await server.stop();
      }
    },
  };
}
