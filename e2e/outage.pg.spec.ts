import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, request, test, type APIRequestContext } from '@playwright/test';
import postgres from 'postgres';
import { startTcpProxy, viaProxy, type TcpProxy } from '../server/testing/tcp-proxy';
import { signIn } from './fixtures/api';
import { freePort } from './fixtures/server';

// The database goes away and comes back while shoppers keep sending commands. PostgreSQL only: the
// embedded database lives inside the app process and cannot be taken away from it, so playwright.config.ts
// runs this spec (*.pg.spec.ts) only in the postgres project.
//
// A second app server of our own (the production build, started like `npm start`) talks to a fresh
// database through a loopback TCP proxy; the test cuts the proxy for 10 s (every connection dropped, new
// ones refused) and restores it. Asserted: outage answers are 503 database_unavailable with Retry-After
// and come quickly (no hang, no 500); liveness stays up; readiness says 503 then 200 again; the page shows
// the friendly notice; after the restore the same process serves again; every command acknowledged with
// a 2xx is in the event store, with the request id it was sent with as its correlation id.

const OUTAGE_MS = 10_000;
const SLOW_MS = 6_000; // generous: the connect timeout is 3 s; anything near this is a hang, not a slow answer

let port: number;
let baseURL: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Sample = { at: number; ms: number; status: number; code?: string; retryAfter?: string; requestId: string; body?: CommandAnswer };
type CommandAnswer = { cartId: string; version: number; events: { type: string; version: number }[] };

test.describe.configure({ mode: 'serial' });
test.setTimeout(240_000);

let proxy: TcpProxy;
let server: ChildProcess;
let admin: postgres.Sql;
let direct: postgres.Sql;
let dbName: string;
let serverLog: string;

test.beforeAll(async ({}, testInfo) => {
  test.setTimeout(180_000); // migrating and seeding a fresh database, starting the server
  port = await freePort();
  baseURL = `http://127.0.0.1:${port}`;
  const base = process.env.E2E_DATABASE_URL!;
  dbName = `eventcart_outage_${randomBytes(5).toString('hex')}`;
  admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  direct = postgres(url.toString(), { max: 2, onnotice: () => {} });
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });

  serverLog = testInfo.outputPath('outage-server.log');
  fs.mkdirSync(path.dirname(serverLog), { recursive: true });
  const out = fs.openSync(serverLog, 'w');
  server = spawn('node_modules/.bin/tsx', ['--conditions=react-server', 'server/cli/start.ts'], {
    detached: true, // its own process group, so the Next server it starts ends with it
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: viaProxy(url.toString(), proxy.port),
      EVENTCART_SKIP_BUILD: '1',
      SEED_DEMO: '1',
      AUTH_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      NEXT_TELEMETRY_DISABLED: '1',
      // This spec measures outage answers; fast 503s let its load loop outrun the command limit, and a
      // 429 would hide the answer under test (rate limits have their own spec).
      RATE_LIMIT_DISABLED: '1',
    },
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await fetch(`${baseURL}/api/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`the app server did not become ready:\n${fs.readFileSync(serverLog, 'utf8')}`);
    await sleep(250);
  }
});

test.afterAll(async () => {
  if (server?.pid && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {}
    const gone = await Promise.race([new Promise((r) => server.once('exit', () => r(true))), sleep(5_000).then(() => false)]);
    if (!gone) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {}
    }
  }
  await proxy?.close();
  await direct?.end({ timeout: 2 });
  await admin?.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin?.end({ timeout: 2 });
});

/** One sample's value from the Prometheus text; undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function timed(api: APIRequestContext, at0: number, send: (headers: Record<string, string>) => ReturnType<APIRequestContext['get']>): Promise<Sample> {
  const requestId = `outage-${randomUUID()}`;
  const started = performance.now();
  const res = await send({ 'X-Request-Id': requestId });
  const ms = performance.now() - started;
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const code = (body as { error?: { code?: string } } | undefined)?.error?.code;
  return {
    at: started - at0,
    ms,
    status: res.status(),
    code,
    retryAfter: res.headers()['retry-after'],
    requestId,
    body: res.status() < 300 ? (body as CommandAnswer) : undefined,
  };
}

test('a 10 s database outage: quick 503s with Retry-After, then recovery without a restart, and no acknowledged command lost', async ({ page }, testInfo) => {
  const api = await request.newContext({ baseURL });
  await signIn(api, 'alice');
  // One cart and one line per worker; each command sets a new quantity on that line.
  const products = ['paper-filters', 'ceramic-mug', 'espresso-beans'];
  const carts: string[] = [];
  for (const productId of products) {
    const created = await api.post('/api/carts');
    expect(created.status()).toBe(201);
    const { cartId } = (await created.json()) as CommandAnswer;
    expect((await api.post(`/api/carts/${cartId}/items`, { data: { productId, quantity: 1 } })).status()).toBe(200);
    carts.push(cartId);
  }

  const t0 = performance.now();
  const commands: Sample[] = [];
  const ready: Sample[] = [];
  const health: Sample[] = [];
  let stop = false;
  const workers = products.map(async (productId, w) => {
    for (let i = 0; !stop; i++) {
      const quantity = (i % 20) + 2; // never the line's current quantity twice in a row
      commands.push(await timed(api, t0, (headers) => api.patch(`/api/carts/${carts[w]}/items/${productId}`, { data: { quantity }, headers })));
      await sleep(50);
    }
  });
  const probes = (async () => {
    while (!stop) {
      ready.push(await timed(api, t0, (headers) => api.get('/api/ready', { headers })));
      health.push(await timed(api, t0, (headers) => api.get('/api/health', { headers })));
      await sleep(200);
    }
  })();

  await sleep(2_000);
  const cutAt = performance.now() - t0;
  proxy.cut();

  // Halfway through, a shopper opens the shop: the friendly notice, not a stack trace.
  await sleep(OUTAGE_MS / 2);
  await page.goto(baseURL + '/');
  const notice = page.getByTestId('outage-notice');
  await expect(notice.getByRole('heading', { name: "The shop can't reach its database" })).toBeVisible();
  await expect(notice.getByRole('button', { name: 'Try again' })).toBeVisible();
  await expect(page.getByText(/at .*\.js:\d+/)).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('outage-page.png'), fullPage: true });
  // Metrics still answer (they matter most now), saying the database is down.
  const midScrape = await api.get('/api/metrics');
  expect(midScrape.status()).toBe(200);
  expect(sample(await midScrape.text(), 'eventcart_database_up')).toBe(0);
  await sleep(OUTAGE_MS / 2 - (performance.now() - t0 - cutAt - OUTAGE_MS / 2));

  const restoredAt = performance.now() - t0;
  proxy.restore();
  // Keep the load on until readiness is back and commands have succeeded for 3 s more.
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const readyAgain = ready.find((s) => s.at > restoredAt && s.status === 200);
    if (readyAgain && commands.some((s) => s.at > readyAgain.at + 3_000)) break;
    await sleep(200);
  }
  stop = true;
  await Promise.all([...workers, probes]);

  // The page recovers with its own button.
  await notice.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { name: 'Paper filters' })).toBeVisible();

  // ---- what happened
  const during = commands.filter((s) => s.at > cutAt + 500 && s.at + s.ms < restoredAt);
  const failed = commands.filter((s) => s.status >= 300);
  const firstFailure = commands.find((s) => s.at >= cutAt && s.status === 503);
  const firstReadyAgain = ready.find((s) => s.at > restoredAt && s.status === 200);
  const firstCommandAgain = commands.find((s) => s.at > restoredAt && s.status === 200);
  const figures = {
    commands: commands.length,
    acknowledged: commands.filter((s) => s.status === 200).length,
    answered503: failed.filter((s) => s.status === 503).length,
    otherStatuses: [...new Set(failed.filter((s) => s.status !== 503).map((s) => `${s.status} ${s.code}`))],
    msToFirst503AfterCut: firstFailure ? Math.round(firstFailure.at + firstFailure.ms - cutAt) : null,
    maxOutageLatencyMs: Math.round(Math.max(...during.map((s) => s.ms))),
    p50OutageLatencyMs: Math.round(during.map((s) => s.ms).sort((a, b) => a - b)[Math.floor(during.length / 2)] ?? 0),
    maxLatencyOverallMs: Math.round(Math.max(...commands.map((s) => s.ms))),
    msToReadyAfterRestore: firstReadyAgain ? Math.round(firstReadyAgain.at + firstReadyAgain.ms - restoredAt) : null,
    msToFirstCommandOkAfterRestore: firstCommandAgain ? Math.round(firstCommandAgain.at + firstCommandAgain.ms - restoredAt) : null,
  };

  const serverOut = fs.readFileSync(serverLog, 'utf8');
  const knownDriverErrors = (serverOut.match(/ignored known postgres\.js error/g) ?? []).length;
  console.log(`[outage] ${JSON.stringify({ ...figures, knownDriverErrorsIgnored: knownDriverErrors, screenshot: testInfo.outputPath('outage-page.png') })}`);
  console.log(`[outage] latencies during the outage (ms): ${during.map((s) => `${Math.round(s.ms)}:${s.status}`).join(' ')}`);

  // Every outage answer is the clear 503, with Retry-After; nothing else went wrong, nothing hung.
  expect(failed.filter((s) => !(s.status === 503 && s.code === 'database_unavailable')), 'non-503 failures').toEqual([]);
  expect(failed.filter((s) => !s.retryAfter), '503s without Retry-After').toEqual([]);
  expect(during.length, 'commands sent during the outage').toBeGreaterThan(10);
  expect(during.every((s) => s.status === 503), 'every command during the outage answered 503').toBe(true);
  expect(commands.filter((s) => s.ms > SLOW_MS), `answers slower than ${SLOW_MS} ms`).toEqual([]);
  // Liveness never depended on the database; readiness followed it.
  expect(health.filter((s) => s.status !== 200), 'health answers other than 200').toEqual([]);
  expect(ready.filter((s) => s.at > cutAt + 500 && s.at + s.ms < restoredAt).every((s) => s.status === 503 && s.code === 'database_unavailable')).toBe(true);
  // Recovered in the same process: after readiness came back, every command succeeded.
  expect(firstReadyAgain, 'ready again after the restore').toBeTruthy();
  expect(commands.filter((s) => s.at > firstReadyAgain!.at + firstReadyAgain!.ms && s.status !== 200), 'failures after recovery').toEqual([]);
  expect(server.exitCode, 'the app server kept running').toBeNull();

  // Each outage answer was counted as a failed command; the database is up again.
  const endScrape = await (await api.get('/api/metrics')).text();
  expect(sample(endScrape, 'eventcart_commands_total{type="change",outcome="error"}')).toBeGreaterThanOrEqual(figures.answered503);
  expect(sample(endScrape, 'eventcart_database_up')).toBe(1);

  // No acknowledged command is lost: its events are stored, correlated with the request id it was sent with.
  const acked = commands.filter((s) => s.status === 200 && s.body);
  const stored = await direct<{ stream_id: string; stream_version: number; correlation_id: string }[]>`
    select stream_id, stream_version, metadata->>'correlationId' as correlation_id from events where stream_id = any(${carts.map((c) => `cart-${c}`)})`;
  const byKey = new Map(stored.map((r) => [`${r.stream_id}@${r.stream_version}`, r.correlation_id]));
  const missing = acked.flatMap((s) =>
    s.body!.events.map((e) => ({ key: `cart-${s.body!.cartId}@${e.version}`, requestId: s.requestId })).filter((x) => byKey.get(x.key) !== x.requestId),
  );
  expect(acked.length).toBeGreaterThan(20);
  expect(missing, 'acknowledged commands whose events are not in the store').toEqual([]);

  await testInfo.attach('outage-figures', { body: JSON.stringify(figures, null, 2), contentType: 'application/json' });
  await api.dispose();
});
