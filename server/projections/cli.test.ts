import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle } from '@/db/client';
import { lockPath } from '@/db/pglite-lock';
import { seedDemo } from '@/db/seed';
import { createTestDatabase } from '@/server/testing/db';
import { addItem, checkOut, loadCart, openCart } from '../cart/handler';
import { REBUILD_LOCK_KEY } from './lock';

type Run = { code: number | null; stdout: string; stderr: string };

/** `npm run projections:<command>` as an operator runs it: tsx with the react-server condition, in a child process. */
function cli(command: string, env: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/tsx', ['--conditions=react-server', 'server/cli/projections.ts', command, ...args], {
      cwd: process.cwd(),
      env: { ...process.env, DATABASE_URL: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('projections CLI on the embedded database', () => {
  it('refuses a PGlite folder a running server holds, with the lock message and what to do instead (exit 2)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-cli-'));
    const pglite = path.join(dir, 'pglite');
    // This test process plays the server that owns the folder.
    fs.writeFileSync(lockPath(pglite), String(process.pid));
    try {
      const r = await cli('verify', { PGLITE_DIR: pglite });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`is in use by another process (pid ${process.pid})`);
      expect(r.stderr).toContain('/admin/projections');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad subcommand prints the usage (exit 2)', async () => {
    const r = await cli('repair', { PGLITE_DIR: 'memory://' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: projections <verify|rebuild>');
  });
});

if (process.env.TEST_DATABASE_URL) {
  describe('projections CLI on a PostgreSQL scratch database', () => {
    let h: Awaited<ReturnType<typeof createTestDatabase>>;
    let env: Record<string, string>;
    const ctx = { actor: { userId: 'cli-shopper', role: 'shopper' as const } };
    let cartId: string;

    beforeAll(async () => {
      h = await createTestDatabase('postgres', 5);
      await seedDemo(h.db);
      setDbHandle(h);
      env = { DATABASE_URL: h.url! };
      cartId = (await openCart(ctx)).cartId;
      await addItem(ctx, cartId, { productId: 'espresso-beans', quantity: 2 });
      const other = (await openCart(ctx)).cartId;
      await addItem(ctx, other, { productId: 'ceramic-mug', quantity: 1 });
      await checkOut(ctx, other);
    });
    afterAll(async () => {
      setDbHandle(undefined);
      await h?.drop();
    });

    it('verify exits 0 on a clean database, 1 with a mismatch line when a row is corrupted; rebuild repairs it', async () => {
      const clean = await cli('verify', env);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stdout).toMatch(/verify: 2 carts checked, the read models match the events \(\d+\.\d+ s\)/);
      // Not a terminal: the progress comes as plain lines, not `\r` updates.
      expect(clean.stderr).toMatch(/^Checking carts: 100% 2\/2 \(\d+\.\d s\)$/m);
      expect(clean.stderr).not.toContain('\r');

      const { state } = await loadCart(h.db, cartId);
      await h.db.execute(sql`update carts set total_cents = 1 where cart_id = ${cartId}`);
      const dirty = await cli('verify', env);
      expect(dirty.code, dirty.stderr).toBe(1);
      expect(dirty.stdout).toContain(`MISMATCH cart ${cartId} carts.total_cents: expected ${state!.totalCents}, actual 1`);
      expect(dirty.stdout).toMatch(/1 mismatch in 1 cart; repair with npm run projections:rebuild/);

      const json = await cli('verify', env, ['--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({
        checked: 2,
        mismatches: [{ cartId, projection: 'carts', key: cartId, field: 'total_cents', expected: state!.totalCents, actual: 1 }],
      });

      const rebuild = await cli('rebuild', env, ['--batch-size', '1']);
      expect(rebuild.code, rebuild.stderr).toBe(0);
      expect(rebuild.stdout).toContain(`MISMATCH cart ${cartId} carts.total_cents`);
      expect(rebuild.stdout).toMatch(/rebuild: 2 carts folded, 1 mismatch in 1 cart repaired; rows: carts 2, orders 1; .* tables locked \d+ ms/);
      expect(rebuild.stderr).toMatch(/^Swapping tables: 100% 1\/1/m);

      const after = await cli('verify', env);
      expect(after.code, after.stdout).toBe(0);
    });

    it('rebuild exits 2 with a clear message while another process holds the rebuild lock', async () => {
      const other = postgres(h.url!, { max: 1, onnotice: () => {} });
      try {
        await other`select pg_advisory_lock(${REBUILD_LOCK_KEY})`;
        const r = await cli('rebuild', env);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('A projection rebuild is already running on another app server or CLI');
      } finally {
        await other.end();
      }
    });
  });
}
