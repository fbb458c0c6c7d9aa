// npm test: every test. Unit and storage tests (Vitest) on PGlite and, with TEST_DATABASE_URL, on
// PostgreSQL; then the API and browser tests (Playwright) against the production build, once on an
// embedded database and once on a fresh database on the TEST_DATABASE_URL server.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from 'nats';
import postgres from 'postgres';
import { ensureBuild } from './lib/build';

const results: { name: string; ok: boolean }[] = [];

function step(name: string, cmd: string, args: string[], env: Record<string, string> = {}) {
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env } });
  results.push({ name, ok: r.status === 0 });
  return r.status === 0;
}

async function withServerDatabase<T>(base: string, fn: (url: string) => T): Promise<T> {
  const name = `eventcart_e2e_${randomBytes(5).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
  }
}

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/test';
const LOCAL_NATS = 'nats://127.0.0.1:4222';

/**
 * The PostgreSQL pass publishes integration events to NATS JetStream (NATS_TEST_URL, default this
 * machine's server; `none` leaves NATS out), on a stream of its own that is deleted afterwards.
 */
async function withNatsStream<T>(fn: (env: Record<string, string>) => T): Promise<T> {
  const url = process.env.NATS_TEST_URL ?? LOCAL_NATS;
  if (url === 'none') return fn({});
  // No connection is held while the browser tests run: spawnSync blocks this process's event loop for
  // minutes, so a connection could not answer the server's pings and would be dropped as stale.
  const probe = await connect({ servers: url, timeout: 3000 }).catch((e: Error) => {
    throw new Error(`No NATS server at ${url} (${e.message}); set NATS_TEST_URL, or NATS_TEST_URL=none to leave NATS out.`);
  });
  await probe.close();
  const tag = randomBytes(4).toString('hex');
  const env = { E2E_NATS_URL: url, E2E_NATS_STREAM: `EVENTCART_E2E_${tag}`, E2E_NATS_SUBJECT_PREFIX: `eventcart_e2e_${tag}` };
  try {
    return await fn(env);
  } finally {
    // Clean-up only: a failure here is reported, it does not fail the tests that passed.
    try {
      const nc = await connect({ servers: url, timeout: 3000 });
      await (await nc.jetstreamManager()).streams.delete(env.E2E_NATS_STREAM).catch(() => false);
      await nc.drain();
    } catch (e) {
      console.warn(`Could not delete the NATS stream ${env.E2E_NATS_STREAM}: ${(e as Error).message}`);
    }
  }
}

/** TEST_DATABASE_URL, or a PostgreSQL server on this machine's default port if one answers. */
async function serverUrl(): Promise<string | undefined> {
  const given = process.env.TEST_DATABASE_URL;
  if (given === 'none') {
    console.log('TEST_DATABASE_URL=none: only the embedded database is tested.');
    return undefined;
  }
  const url = given || LOCAL_SERVER;
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    console.log(`PostgreSQL server tests run on ${url.replace(/:[^:@/]*@/, ':***@')}`);
    return url;
  } catch (e) {
    if (given) throw new Error(`TEST_DATABASE_URL is set but not reachable: ${(e as Error).message}`);
    console.log(`No PostgreSQL server at ${url} and TEST_DATABASE_URL is not set: only the embedded database is tested.`);
    return undefined;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

async function main() {
  const pgUrl = await serverUrl();
  const only = process.argv[2]; // optional: unit | e2e
  if (pgUrl) process.env.TEST_DATABASE_URL = pgUrl;
  else delete process.env.TEST_DATABASE_URL;

  if (only !== 'e2e') step(`vitest (PGlite${pgUrl ? ' + PostgreSQL' : ''})`, 'node_modules/.bin/vitest', ['run']);

  if (only !== 'unit') {
    ensureBuild();
    const scratch = path.resolve('.data/e2e');
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync('.data/test-results', { recursive: true, force: true });
    step('playwright on embedded PGlite', 'node_modules/.bin/playwright', ['test'], {
      E2E_DATA_DIR: scratch,
      E2E_DATABASE_URL: '',
      E2E_OUTPUT_DIR: '.data/test-results/pglite',
    });
    if (pgUrl) {
      fs.rmSync(scratch, { recursive: true, force: true });
      await withServerDatabase(pgUrl, (url) =>
        withNatsStream((nats) =>
          step('playwright on PostgreSQL (and NATS)', 'node_modules/.bin/playwright', ['test'], {
            E2E_DATA_DIR: scratch,
            E2E_DATABASE_URL: url,
            E2E_OUTPUT_DIR: '.data/test-results/postgres',
            ...nats,
          }),
        ),
      );
    }
  }

  console.log('\n=== summary');
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`suites: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
