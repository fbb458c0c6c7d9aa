import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import type { Database } from './e2e/fixtures/test';

// Runs against the production build (built once by the global setup). Every worker starts an app
// server with a database of its own (e2e/fixtures/test.ts), so specs run in parallel without sharing a
// cart. Two projects, one per database: `pglite` (embedded) always, `postgres` when E2E_DATABASE_URL
// names a PostgreSQL server to make the workers' databases on. `npm test` sets these up.
const scratch = path.resolve(process.env.E2E_DATA_DIR ?? '.data/e2e');

function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  const found = candidates.find((p) => fs.existsSync(p));
  if (found) return found;
  if (process.env.PLAYWRIGHT_OWN_BROWSER === '1') return undefined; // Playwright's downloaded browser
  throw new Error(
    'No Chromium found. Install Debian\'s (apt-get install -y chromium), set CHROMIUM_PATH, or set PLAYWRIGHT_OWN_BROWSER=1 to use Playwright\'s.',
  );
}

// Files named *.pg.spec.ts need a database server reachable from outside the app (the outage spec
// takes it away through a TCP proxy, the lock spec holds an advisory lock on it) or NATS, which only
// the postgres project's servers publish to: they run there, never as skipped tests on PGlite.
const serverOnly = '**/*.pg.spec.ts';

// Tests tagged @screenshots write full-page pictures for a human to look at (nothing compared); the
// pages look the same whatever the database, so they run in the pglite project only.
const projects: { name: string; database: Database; testIgnore: string[]; grepInvert?: RegExp }[] = [
  { name: 'pglite', database: 'pglite', testIgnore: [serverOnly] },
];
if (process.env.E2E_DATABASE_URL) {
  projects.push({
    name: 'postgres',
    database: 'postgres',
    testIgnore: process.env.E2E_NATS_URL ? [] : ['**/nats.pg.spec.ts'],
    grepInvert: /@screenshots/,
  });
}

export default defineConfig({
  testDir: './e2e',
  globalSetup: './e2e/fixtures/global-setup.ts',
  fullyParallel: true,
  // Workers share the machine's cores with their app servers and browsers: E2E_WORKERS, measured in
  // docs/testing.md; the default suits a 2-core machine.
  workers: Number(process.env.E2E_WORKERS ?? 3),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: process.env.E2E_OUTPUT_DIR ?? path.join(scratch, 'test-results'),
  use: {
    // Recording a trace of every test (to keep the failed ones) costs about a quarter of the suite's
    // CPU, so CI records none; locally every failure keeps its trace. E2E_TRACE overrides either.
    trace: (process.env.E2E_TRACE ?? (process.env.CI ? 'off' : 'retain-on-failure')) as 'off' | 'retain-on-failure' | 'on',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: projects.map((p) => ({
    name: p.name,
    testIgnore: p.testIgnore,
    grepInvert: p.grepInvert,
    use: { ...devices['Desktop Chrome'], database: p.database },
  })),
});
