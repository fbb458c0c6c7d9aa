// npm test: every test. Unit and storage tests (Vitest) on PGlite and, with TEST_DATABASE_URL, on
// PostgreSQL; then the API and browser tests (Playwright) against one production build, in two
// projects that run at the same time: embedded PGlite, and PostgreSQL (with NATS) on the
// TEST_DATABASE_URL server. Every Playwright worker starts its own app server and database.
// Prints how long each stage took and the totals; writes both to .data/reports/ for .ci/run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from 'nats';
import postgres from 'postgres';
import { ensureBuild } from './lib/build';
import { readPlaywrightReport, readVitestReport, recordStage, recordTotals, REPORTS, type Counts } from './lib/test-report';

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/test';
const LOCAL_NATS = 'nats://127.0.0.1:4222';

/** Runs a command with inherited output; resolves with whether it exited 0 and how long it took. */
function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ ok: boolean; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env } });
    child.on('exit', (code) => resolve({ ok: code === 0, seconds: (Date.now() - started) / 1000 }));
  });
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

/**
 * The postgres project's servers publish integration events to NATS JetStream (NATS_TEST_URL, default
 * this machine's server; `none` leaves NATS out), each worker on a stream of its own named with this
 * run's tag. The workers delete their streams; whatever a crashed worker left is deleted here.
 */
async function natsEnv(): Promise<{ env: Record<string, string>; cleanUp: () => Promise<void> }> {
  const url = process.env.NATS_TEST_URL ?? LOCAL_NATS;
  if (url === 'none') return { env: {}, cleanUp: async () => {} };
  const probe = await connect({ servers: url, timeout: 3000 }).catch((e: Error) => {
    throw new Error(`No NATS server at ${url} (${e.message}); set NATS_TEST_URL, or NATS_TEST_URL=none to leave NATS out.`);
  });
  await probe.close();
  const tag = randomBytes(4).toString('hex');
  const cleanUp = async () => {
    try {
      const nc = await connect({ servers: url, timeout: 3000 });
      const jsm = await nc.jetstreamManager();
      for await (const name of jsm.streams.names()) {
        if (name.startsWith(`EVENTCART_E2E_${tag}_`)) await jsm.streams.delete(name).catch(() => false);
      }
      await nc.drain();
    } catch (e) {
      console.warn(`Could not clean up this run's NATS streams: ${(e as Error).message}`);
    }
  };
  return { env: { E2E_NATS_URL: url, E2E_NATS_TAG: tag }, cleanUp };
}

async function main() {
  const pgUrl = await serverUrl();
  const only = process.argv[2]; // optional: unit | e2e
  if (pgUrl) process.env.TEST_DATABASE_URL = pgUrl;
  else delete process.env.TEST_DATABASE_URL;
  fs.rmSync(REPORTS, { recursive: true, force: true });
  fs.mkdirSync(REPORTS, { recursive: true });
  const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
  const add = (c: Counts) => {
    totals.passed += c.passed;
    totals.failed += c.failed;
    totals.skipped += c.skipped;
  };
  let ok = true;

  if (only !== 'e2e') {
    console.log(`\n=== vitest (PGlite${pgUrl ? ' + PostgreSQL' : ''})`);
    const vitestJson = path.join(REPORTS, 'vitest.json');
    const r = await run('node_modules/.bin/vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
    recordStage(`unit (vitest, PGlite${pgUrl ? ' + PostgreSQL' : ''})`, r.seconds, r.ok);
    const counts = readVitestReport(vitestJson);
    add(counts);
    ok &&= r.ok && counts.failed === 0;
  }

  if (only !== 'unit') {
    const started = Date.now();
    ensureBuild();
    recordStage('production build', (Date.now() - started) / 1000, true);
    const scratch = path.resolve('.data/e2e');
    fs.rmSync(scratch, { recursive: true, force: true });
    const nats = pgUrl ? await natsEnv() : { env: {}, cleanUp: async () => {} };
    const playwrightJson = path.join(REPORTS, 'playwright.json');
    console.log(`\n=== playwright (${pgUrl ? 'PGlite and PostgreSQL' : 'PGlite'}; a server and a database per worker)`);
    try {
      const r = await run('node_modules/.bin/playwright', ['test', '--reporter=list,json'], {
        E2E_DATA_DIR: scratch,
        E2E_DATABASE_URL: pgUrl ?? '',
        E2E_OUTPUT_DIR: path.join(scratch, 'test-results'),
        PLAYWRIGHT_JSON_OUTPUT_FILE: playwrightJson,
        ...nats.env,
      });
      const report = readPlaywrightReport(playwrightJson);
      for (const [project, seconds] of Object.entries(report.projectSeconds)) recordStage(`browser suite: ${project}`, seconds, report.projectOk[project]);
      recordStage('browser suites, wall clock', r.seconds, r.ok);
      add(report.counts);
      ok &&= r.ok && report.counts.failed === 0;
    } finally {
      await nats.cleanUp();
    }
  }

  recordTotals(totals);
  if (totals.skipped) console.log(`\n${totals.skipped} test(s) skipped: every test here runs or is left out by the config, never skipped.`);
  ok &&= totals.skipped === 0;
  console.log(`\n=== npm test: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
