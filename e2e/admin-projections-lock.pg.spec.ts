import postgres from 'postgres';
import { expect, expectError, expectOk, test } from './api/helpers';

// Another app server (or the CLI) rebuilding holds the advisory lock on the database; only a server
// database can be reached from outside the app server, so this spec (*.pg.spec.ts) runs in the
// postgres project only, on the worker's own database.
test('409 while another process holds the rebuild lock; the status says a rebuild is running', async ({ as, app }) => {
  const admin = await as('admin');
  const other = postgres(app.databaseUrl!, { max: 1, onnotice: () => {} });
  try {
    await other`select pg_advisory_lock(727002)`;
    const err = await expectError(await admin.post('/api/admin/projections/rebuild'), 409, 'rebuild_running');
    expect(err.message).toContain('another app server or CLI');
    expect((await expectOk<{ rebuildRunning: boolean }>(await admin.get('/api/admin/projections/status'))).rebuildRunning).toBe(true);
  } finally {
    await other`select pg_advisory_unlock(727002)`.catch(() => {});
    await other.end();
  }
  expect((await expectOk<{ rebuildRunning: boolean }>(await admin.get('/api/admin/projections/status'))).rebuildRunning).toBe(false);
});
