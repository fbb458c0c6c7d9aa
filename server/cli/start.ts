// npm start: build when needed, migrate, seed when asked, then serve the production build on PORT.
import { spawn } from 'node:child_process';
import { resolveAuthSecret } from '../auth/secret';
import { readDbEnv } from '../../db/env';
import { readRateLimitEnv } from '../http/rate-limit';
import { acquirePgliteLock, PgliteInUseError } from '../../db/pglite-lock';
import { ensureBuild } from './lib/build';
import { prepareDatabase } from './lib/prepare-db';

async function main() {
  const port = process.env.PORT || '3000';
  const dbEnv = readDbEnv();
  readRateLimitEnv(); // a bad RATE_LIMIT_* / TRUST_PROXY stops here, not as a 500 on the first request
  if (!dbEnv.DATABASE_URL) {
    // Held for the server's whole life; the Next server child inherits it.
    acquirePgliteLock(dbEnv.PGLITE_DIR);
    process.env.EVENTCART_PGLITE_LOCK_OWNER = String(process.pid);
  }
  process.env.AUTH_SECRET = resolveAuthSecret((m) => console.log(`[eventcart] ${m}`));
  process.env.NEXT_TELEMETRY_DISABLED = '1';
  if (process.env.EVENTCART_SKIP_BUILD !== '1') ensureBuild();
  await prepareDatabase();

  const child = spawn('node_modules/.bin/next', ['start', '-p', port, ...(process.env.HOSTNAME_BIND ? ['-H', process.env.HOSTNAME_BIND] : [])], {
    stdio: 'inherit',
    env: process.env,
  });
  console.log(`[eventcart] serving on http://localhost:${port}`);
  const stop = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((e) => {
  if (e instanceof PgliteInUseError) console.error(`[eventcart] ${e.message}`);
  else console.error('[eventcart] start failed:', e);
  process.exit(1);
});
