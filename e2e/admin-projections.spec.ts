import fs from 'node:fs';
import path from 'node:path';
import { expect as pwExpect, test as pwTest } from './fixtures/test';
import { expectError, expectOk, test, expect } from './api/helpers';
import { hydrated, signInAs } from './fixtures/shop';

// Verify and rebuild run against the worker's database, which holds whatever carts the worker's earlier
// specs left, so nothing here assumes how many carts there are, and nothing here corrupts the read
// model (the corruption cases and rebuilds under concurrent writes live in the vitest suites).
// Serial: the server runs one projection job at a time, and these tests start jobs.
test.describe.configure({ mode: 'serial' });

type Job = { kind: string; state: string; progress: { phase: string; done: number; total: number }; report: { totalMismatches: number; checked: number } | null };

pwTest('admin verifies (0 mismatches), then rebuilds: a progress bar, then a completed report', async ({ page }) => {
  await signInAs(page, 'admin');
  await page.goto('/admin/projections');
  await pwExpect(page.getByRole('heading', { name: 'Projections', level: 1 })).toBeVisible();
  await pwExpect(page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Projections' })).toBeVisible();

  const verify = page.getByRole('button', { name: 'Verify', exact: true });
  const rebuild = page.getByRole('button', { name: 'Rebuild', exact: true });
  await hydrated(verify);
  await pwExpect(verify).toBeEnabled();
  await verify.click();
  const job = page.getByTestId('projection-job');
  await pwExpect(job.getByRole('heading', { name: 'Last verify' })).toBeVisible();
  await pwExpect(page.getByTestId('mismatch-count')).toHaveText('0 mismatches');
  await pwExpect(page.getByTestId('projection-report')).toContainText('The read models match the events.');
  await pwExpect(page.getByRole('progressbar', { name: 'Verify progress' })).toHaveAttribute('aria-valuenow', '100');

  await pwExpect(rebuild).toBeEnabled();
  await rebuild.click();
  const bar = page.getByRole('progressbar', { name: 'Rebuild progress' });
  await pwExpect(bar).toBeVisible();
  await pwExpect(bar).toHaveAttribute('aria-valuemin', '0');
  await pwExpect(bar).toHaveAttribute('aria-valuemax', '100');
  await pwExpect(bar).toHaveAttribute('aria-valuenow', '100', { timeout: 60_000 });
  await pwExpect(job.getByRole('heading', { name: 'Last rebuild' })).toBeVisible();
  await pwExpect(job.getByText('Completed', { exact: true })).toBeVisible();
  await pwExpect(page.getByTestId('mismatch-count')).toHaveText('0 mismatches');
  await pwExpect(page.getByTestId('projection-report')).toContainText('Tables locked for');
  await pwExpect(page.getByTestId('projection-report')).toContainText(/carts \d/);
  // The page is whole again once the job is done: both buttons usable.
  await pwExpect(verify).toBeEnabled();
  await pwExpect(rebuild).toBeEnabled();
});

pwTest('a shopper is refused the page; signed out is sent to sign in', async ({ page }) => {
  await signInAs(page, 'alice');
  await page.goto('/admin/projections');
  await pwExpect(page.getByTestId('admin-refused')).toBeVisible();
  await pwExpect(page.getByRole('heading', { name: '403: admins only' })).toBeVisible();
  await pwExpect(page.getByRole('button', { name: 'Rebuild' })).toHaveCount(0);
  await pwExpect(page.getByRole('progressbar')).toHaveCount(0);

  await page.context().clearCookies();
  await page.goto('/admin/projections');
  await pwExpect(page).toHaveURL(/\/login\?callbackUrl=/);
});

test.describe('projections API', () => {
  test('401 signed out, 403 for a shopper, on every endpoint; nothing is started', async ({ as }) => {
    const [anon, alice] = await Promise.all([as(null), as('alice')]);
    await expectError(await anon.get('/api/admin/projections/status'), 401, 'unauthorized');
    await expectError(await anon.post('/api/admin/projections/verify'), 401, 'unauthorized');
    await expectError(await anon.post('/api/admin/projections/rebuild'), 401, 'unauthorized');
    await expectError(await alice.get('/api/admin/projections/status'), 403, 'forbidden');
    await expectError(await alice.post('/api/admin/projections/verify'), 403, 'forbidden');
    await expectError(await alice.post('/api/admin/projections/rebuild'), 403, 'forbidden');
  });

  test('rebuild answers 202 and runs in the background; a second one meanwhile is 409; the status shows progress then the report', async ({ as }) => {
    // Two clients (two connections): one client's requests may be sent one after the other.
    const [admin, admin2] = await Promise.all([as('admin'), as('admin')]);
    const statusOf = async () => expectOk<{ job: Job | null; rebuildRunning: boolean }>(await admin.get('/api/admin/projections/status'));
    const idle = () => expect.poll(async () => (await statusOf()).job?.state, { timeout: 60_000, intervals: [100] }).not.toBe('running');
    // Two at once: one starts, the other finds it running. A nearly empty database could finish the
    // first before the second arrives (both then answer 202), so try again until they overlap.
    let pair: Awaited<ReturnType<typeof admin.post>>[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      await idle();
      pair = await Promise.all([admin.post('/api/admin/projections/rebuild'), admin2.post('/api/admin/projections/rebuild')]);
      if (pair.some((r) => r.status() === 409)) break;
    }
    const [a, b] = pair;
    const statuses = [a.status(), b.status()].sort();
    expect(statuses, `${await a.text()} / ${await b.text()}`).toEqual([202, 409]);
    const [started, refused] = a.status() === 202 ? [a, b] : [b, a];
    const { job } = await expectOk<{ job: Job }>(started, 202);
    expect(job).toMatchObject({ kind: 'rebuild', state: 'running' });
    expect(started.headers()['location']).toBe('/api/admin/projections/status');
    const err = await expectError(refused, 409, 'rebuild_running');
    expect(err.message).toMatch(/already running/);

    let last: { job: Job | null; rebuildRunning: boolean } | undefined;
    await expect
      .poll(
        async () => {
          last = await statusOf();
          return last.job?.state;
        },
        { timeout: 60_000, intervals: [100] },
      )
      .toBe('succeeded');
    expect(last!.rebuildRunning).toBe(false);
    expect(last!.job!.progress.phase).toBe('done');
    expect(last!.job!.report).toMatchObject({ totalMismatches: 0 });
    // How many carts there are depends on what the other spec files did so far.
    expect(last!.job!.report!.checked).toBeGreaterThanOrEqual(0);

    // With nothing running, verify starts at once.
    const v = await expectOk<{ job: Job }>(await admin.post('/api/admin/projections/verify'), 202);
    expect(v.job.kind).toBe('verify');
    await idle();
    expect((await statusOf()).job).toMatchObject({ kind: 'verify', state: 'succeeded', report: { totalMismatches: 0 } });
  });
});

// For a human to look at (nothing compared): the page after a verify, wide and on a phone.
pwTest('screenshots of /admin/projections at 1280x800 and 390x844', { tag: '@screenshots' }, async ({ browser }) => {
  const outDir = process.env.E2E_SHOTS_DIR ?? '/tmp/eventcart-shots';
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, opts] of [
    ['desktop', { viewport: { width: 1280, height: 800 } }],
    ['mobile', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }],
  ] as const) {
    const context = await browser.newContext(opts);
    const page = await context.newPage();
    await signInAs(page, 'admin');
    await page.goto('/admin/projections');
    const verify = page.getByRole('button', { name: 'Verify', exact: true });
    await hydrated(verify);
    await verify.click();
    await pwExpect(page.getByRole('heading', { name: 'Last verify' })).toBeVisible();
    await pwExpect(page.getByTestId('mismatch-count')).toBeVisible();
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    await page.screenshot({ path: path.join(outDir, `${name}-admin-projections.png`), fullPage: true, animations: 'disabled' });
    await context.close();
  }
});
