import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';

// Runs against the production build started by `npm start` (server/cli/start.ts) on its own database:
// embedded PGlite in a scratch folder, or E2E_DATABASE_URL when set. `npm test` sets these up.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
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

export default defineConfig({
  testDir: './e2e',
  // The database-outage spec takes a PostgreSQL server away from an app server through a TCP proxy; the
  // embedded database lives inside the app process and cannot be taken away, so that spec runs only on
  // the PostgreSQL pass (E2E_DATABASE_URL set), never as a skipped test on the embedded one.
  testIgnore: [
    ...(process.env.E2E_DATABASE_URL ? [] : ['**/outage.spec.ts']),
    // Runs where the server publishes to NATS (the PostgreSQL pass of npm test), see server/cli/test.ts.
    ...(process.env.E2E_NATS_URL ? [] : ['**/nats.spec.ts']),
  ],
  fullyParallel: true,
  // One worker: specs share the demo users' open carts (the catalog and /cart use the newest open
  // cart), so specs in parallel would step on each other's carts.
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  outputDir: process.env.E2E_OUTPUT_DIR ?? path.join(scratch, 'test-results'),
  use: {
    baseURL,
    trace: 'retain-on-failure',
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
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
  webServer: {
    command: 'node_modules/.bin/tsx --conditions=react-server server/cli/start.ts',
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 240_000,
    stdout: 'ignore',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
    env: {
      PORT: String(port),
      PGLITE_DIR: path.join(scratch, 'pglite'),
      EVENTCART_DATA_DIR: scratch,
      SEED_DEMO: '1',
      LOG_LEVEL: 'warn',
      NEXT_TELEMETRY_DISABLED: '1',
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? '',
      NATS_URL: process.env.E2E_NATS_URL ?? '',
      NATS_STREAM: process.env.E2E_NATS_STREAM ?? 'EVENTCART',
      NATS_SUBJECT_PREFIX: process.env.E2E_NATS_SUBJECT_PREFIX ?? 'eventcart',
      SMTP_URL: '',
      AUTH_SECRET: '',
      // The suite signs in hundreds of times and sends thousands of commands from one address
      // (127.0.0.1): limits well above that, so the limiter runs but never refuses here. The limits
      // themselves are tested by e2e/security.spec.ts on a second server with tight ones.
      RATE_LIMIT_SIGNIN: '1000/60',
      RATE_LIMIT_SIGNIN_IP: '100000/60',
      RATE_LIMIT_COMMANDS: '100000/60',
      RATE_LIMIT_DISABLED: '',
      // Adding to a cart holds the units (docs/reservations.md); the specs share the demo stock and
      // leave carts behind, so holds lapse after 90 s here instead of 15 min (long enough for any one
      // test, short enough that the suite does not run the catalog dry). The sweeper runs often.
      RESERVATION_TTL: '90s',
      SWEEP_INTERVAL: '5s',
      // The simulated payment provider answers after 100 ms; checkout waits for the whole order process.
      PAYMENT_DELAY: '100',
      TRUST_PROXY: '',
    },
  },
});
