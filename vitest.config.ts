import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: {
      '@': import.meta.dirname,
      'server-only': path.resolve(import.meta.dirname, 'server/testing/server-only-stub.ts'),
    },
  },
  test: {
    environment: 'node',
    include: ['{server,db,components,app}/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['./vitest.global-setup.ts'],
    pool: 'forks',
    // Most files wait on a database, a child process or a timer more than they compute, and each
    // makes its own scratch database, so more files at once than cores pays (docs/testing.md has the
    // measurements). VITEST_WORKERS overrides it.
    maxWorkers: Number(process.env.VITEST_WORKERS ?? 3),
    // next-auth's ESM imports 'next/server' without an extension, which Node's resolver refuses;
    // inlined, Vite resolves it.
    server: { deps: { inline: ['next-auth'] } },
    // The simulated payment provider answers at once in tests (its delay is for the running shop).
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', PAYMENT_DELAY: '0' },
  },
});
