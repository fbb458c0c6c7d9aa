import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle } from '@/db/client';
import { migrateDatabase, migrationsFolder } from '@/db/migrate';
import { carts, orders, products } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { addItem, changeQuantity, checkOut, loadCart, openCart, removeItem, type CommandContext } from '../cart/handler';
import { rowsOf } from './sql';
import {
  acquireRebuildLock,
  rebuildProjections,
  rebuildRunning,
  RebuildInProgressError,
  REBUILD_LOCK_KEY,
  verifyProjections,
  type Mismatch,
  type Progress,
} from '.';

type Handle = Awaited<ReturnType<typeof createTestDatabase>>;

async function setup(kind: TestDbKind, poolMax = 20): Promise<Handle> {
  const h = await createTestDatabase(kind, poolMax);
  await seedDemo(h.db);
  // Adding reserves stock now (docs/reservations.md): enough for the hundreds of carts made here.
  await h.db.update(products).set({ stock: 1_000_000, initialStock: 1_000_000 });
  setDbHandle(h);
  return h;
}

let users = 0;
const shopper = (): CommandContext => ({ actor: { userId: `proj-shopper-${++users}`, role: 'shopper' } });

/** A cart with a few lines; checked out when asked. */
async function makeCart(opts: { checkout?: boolean } = {}) {
  const ctx = shopper();
  const { cartId } = await openCart(ctx);
  await addItem(ctx, cartId, { productId: 'espresso-beans', quantity: 2 });
  await addItem(ctx, cartId, { productId: 'ceramic-mug', quantity: 1 });
  await changeQuantity(ctx, cartId, { productId: 'espresso-beans', quantity: 3 });
  let orderId: string | undefined;
  if (opts.checkout) orderId = (await checkOut(ctx, cartId)).orderId;
  return { ctx, cartId, orderId };
}

const byKey = (ms: Mismatch[]) =>
  [...ms].sort((a, b) => `${a.cartId}/${a.projection}/${a.key}/${a.field}`.localeCompare(`${b.cartId}/${b.projection}/${b.key}/${b.field}`));

type IndexName = { table: string; name: string };

/** Index and constraint names of the read-model tables (what later migrations refer to). */
async function namesOf(h: Handle): Promise<{ indexes: IndexName[]; constraints: IndexName[]; tables: string[] }> {
  const indexes = rowsOf(
    await h.db.execute(sql`select tablename as table, indexname as name from pg_indexes
      where schemaname = 'public' and tablename in ('carts', 'orders') order by 1, 2`),
  ) as IndexName[];
  const constraints = rowsOf(
    await h.db.execute(sql`select conrelid::regclass::text as table, conname as name from pg_constraint
      where conrelid in ('carts'::regclass, 'orders'::regclass) order by 1, 2`),
  ) as IndexName[];
  const tables = rowsOf(
    await h.db.execute(sql`select tablename from pg_tables where schemaname = 'public' and tablename like any (array['carts%', 'orders%']) order by 1`),
  ).map((r) => String(r.tablename));
  return { indexes, constraints, tables };
}

describe.each(testDbKinds())('projections verify and rebuild on %s', (kind) => {
  let h: Handle;
  beforeAll(async () => {
    h = await setup(kind);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('verify is clean after normal commands, and checks every cart stream', async () => {
    const made = [await makeCart(), await makeCart({ checkout: true }), await makeCart()];
    const ctx = made[2].ctx;
    await removeItem(ctx, made[2].cartId, { productId: 'ceramic-mug' });
    const phases: Progress[] = [];
    const report = await verifyProjections(h.db, { batchSize: 2, onProgress: (p) => void phases.push(p) });
    expect(report.mismatches).toEqual([]);
    expect(report.mismatchedCarts).toBe(0);
    const [{ n }] = rowsOf(await h.db.execute(sql`select count(*)::int as n from streams where stream_type = 'cart'`)) as { n: number }[];
    expect(report.checked).toBe(n);
    expect(phases.at(-1)).toEqual({ phase: 'done', done: n, total: n });
    expect(phases.filter((p) => p.phase === 'verifying').map((p) => p.done)).toEqual(
      [0, ...Array.from({ length: Math.ceil(n / 2) }, (_, i) => Math.min(n, (i + 1) * 2))],
    );
  });

  it('verify reports exactly the corrupted carts and fields; rebuild reports and repairs them; verify is clean again', async () => {
    const a = await makeCart();
    const b = await makeCart();
    const d = await makeCart({ checkout: true });
    const e = await makeCart();
    const ghost = '00000000-0000-4000-8000-000000000001';
    const ghostOrder = 'ord_0000000000000001';
    const extraOrder = 'ord_0000000000000002';
    const { state: aState } = await loadCart(h.db, a.cartId);
    const [dOrder] = await h.db.select().from(orders).where(eq(orders.cartId, d.cartId));

    await h.db.execute(sql`update carts set total_cents = 1 where cart_id = ${a.cartId}`);
    await h.db.execute(sql`delete from carts where cart_id = ${b.cartId}`);
    await h.db.execute(sql`insert into carts (cart_id, user_id, status, items, item_count, total_cents, currency, version, order_id, created_at, updated_at)
      values (${ghost}, 'nobody', 'open', '[]', 0, 0, 'EUR', 1, null, now(), now())`);
    await h.db.execute(sql`insert into orders (order_id, cart_id, user_id, items, item_count, total_cents, currency, placed_at)
      values (${ghostOrder}, ${ghost}, 'nobody', '[]', 0, 0, 'EUR', now())`);
    await h.db.execute(sql`update orders set total_cents = total_cents + 5, currency = 'USD' where order_id = ${dOrder.orderId}`);
    await h.db.execute(sql`insert into orders (order_id, cart_id, user_id, items, item_count, total_cents, currency, placed_at)
      values (${extraOrder}, ${e.cartId}, ${e.ctx.actor.userId}, '[]', 0, 0, 'EUR', now())`);

    const expected: Mismatch[] = byKey([
      { cartId: a.cartId, projection: 'carts', key: a.cartId, field: 'total_cents', expected: aState!.totalCents, actual: 1 },
      { cartId: b.cartId, projection: 'carts', key: b.cartId, field: 'row', expected: 'present', actual: 'missing' },
      { cartId: ghost, projection: 'carts', key: ghost, field: 'row', expected: 'absent', actual: 'present' },
      { cartId: ghost, projection: 'orders', key: ghostOrder, field: 'row', expected: 'absent', actual: 'present' },
      { cartId: d.cartId, projection: 'orders', key: dOrder.orderId, field: 'total_cents', expected: dOrder.totalCents, actual: dOrder.totalCents + 5 },
      { cartId: d.cartId, projection: 'orders', key: dOrder.orderId, field: 'currency', expected: 'EUR', actual: 'USD' },
      { cartId: e.cartId, projection: 'orders', key: extraOrder, field: 'row', expected: 'absent', actual: 'present' },
    ]);

    const before = await verifyProjections(h.db, { batchSize: 3 });
    expect(byKey(before.mismatches)).toEqual(expected);
    expect(before.mismatchedCarts).toBe(5);

    const rebuilt = await rebuildProjections(h, { batchSize: 3 });
    expect(byKey(rebuilt.mismatches)).toEqual(expected);
    expect(rebuilt.mismatchedCarts).toBe(5);
    expect(rebuilt.checked).toBe(before.checked);
    expect(rebuilt.swapMs).toBeGreaterThanOrEqual(0);

    const after = await verifyProjections(h.db);
    expect(after.mismatches).toEqual([]);
    expect((await h.db.select().from(carts).where(eq(carts.cartId, a.cartId)))[0].totalCents).toBe(aState!.totalCents);
    expect(await h.db.select().from(carts).where(eq(carts.cartId, b.cartId))).toHaveLength(1);
    expect(await h.db.select().from(carts).where(eq(carts.cartId, ghost))).toHaveLength(0);
    expect((await h.db.select().from(orders).where(eq(orders.orderId, dOrder.orderId)))[0]).toEqual(dOrder);
    expect(await h.db.select().from(orders).where(eq(orders.cartId, e.cartId))).toHaveLength(0);
    expect(rebuilt.rows.carts).toBe((await h.db.select().from(carts)).length);
    expect(rebuilt.rows.orders).toBe((await h.db.select().from(orders)).length);
  });

  it('indexes and constraints keep their names after a rebuild, a second rebuild works, and later migrations can use the names', async () => {
    await makeCart({ checkout: true });
    const before = await namesOf(h);
    expect(before.indexes.map((i) => i.name)).toEqual(
      expect.arrayContaining(['carts_pkey', 'carts_user_updated_idx', 'orders_pkey', 'orders_cart_idx', 'orders_user_placed_idx']),
    );
    expect(before.constraints.map((c) => c.name)).toEqual(expect.arrayContaining(['carts_pkey', 'orders_pkey']));
    expect(before.tables).toEqual(['carts', 'orders']);

    await rebuildProjections(h);
    expect(await namesOf(h)).toEqual(before);
    await rebuildProjections(h, { batchSize: 1 });
    expect(await namesOf(h)).toEqual(before);
    expect((await verifyProjections(h.db)).mismatches).toEqual([]);

    // A migration written against the drizzle names still applies after the swaps.
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-mig-'));
    try {
      fs.cpSync(migrationsFolder, folder, { recursive: true });
      const journalFile = path.join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { idx: number; when: number; tag: string; breakpoints: boolean; version: string }[] };
      const last = journal.entries.at(-1)!;
      journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag: '9999_uses_read_model_names' });
      fs.writeFileSync(journalFile, JSON.stringify(journal));
      fs.writeFileSync(
        path.join(folder, '9999_uses_read_model_names.sql'),
        [
          'ALTER INDEX "carts_user_updated_idx" RENAME TO "carts_user_updated_idx2";',
          'ALTER INDEX "carts_user_updated_idx2" RENAME TO "carts_user_updated_idx";',
          'DROP INDEX "orders_cart_idx";',
          'CREATE INDEX "orders_cart_idx" ON "orders" USING btree ("cart_id");',
          'ALTER TABLE "carts" DROP CONSTRAINT "carts_pkey";',
          'ALTER TABLE "carts" ADD CONSTRAINT "carts_pkey" PRIMARY KEY("cart_id");',
        ].join('\n--> statement-breakpoint\n'),
      );
      await migrateDatabase(h, folder);
      expect(await namesOf(h)).toEqual(before);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it("the rebuilt tables keep the live tables' privileges", async () => {
    const role = `proj_reader_${kind}_${Date.now()}`;
    await h.db.execute(sql`create role ${sql.identifier(role)}`);
    try {
      await h.db.execute(sql`grant select on carts to ${sql.identifier(role)}`);
      await h.db.execute(sql`grant select, insert on orders to ${sql.identifier(role)} with grant option`);
      const privileges = async () =>
        rowsOf(
          await h.db.execute(sql`select has_table_privilege(${role}, 'carts', 'select') as cs, has_table_privilege(${role}, 'carts', 'insert') as ci,
            has_table_privilege(${role}, 'orders', 'insert with grant option') as oi`),
        )[0];
      expect(await privileges()).toEqual({ cs: true, ci: false, oi: true });
      await rebuildProjections(h);
      expect(await privileges()).toEqual({ cs: true, ci: false, oi: true });
    } finally {
      await h.db.execute(sql`drop owned by ${sql.identifier(role)}`);
      await h.db.execute(sql`drop role ${sql.identifier(role)}`);
    }
  });

  it('commands committed while the rebuild runs are in the new tables (caught up before the swap)', async () => {
    const early = await makeCart();
    let fired = false;
    let late: Awaited<ReturnType<typeof makeCart>> | undefined;
    const report = await rebuildProjections(h, {
      batchSize: 2,
      onProgress: async (p) => {
        // After the last batch of the build, before the catch-up: every cart is folded already.
        if (p.phase !== 'orphans' || fired) return;
        fired = true;
        await addItem(early.ctx, early.cartId, { productId: 'ceramic-mug', quantity: 4 });
        await checkOut(early.ctx, early.cartId);
        late = await makeCart({ checkout: true });
      },
    });
    expect(fired).toBe(true);
    expect(report.caughtUp).toBe(2);
    expect(report.mismatches).toEqual([]);
    expect((await verifyProjections(h.db)).mismatches).toEqual([]);
    const [row] = await h.db.select().from(carts).where(eq(carts.cartId, early.cartId));
    expect(row).toMatchObject({ status: 'checked_out', itemCount: 8 });
    expect(await h.db.select().from(orders).where(eq(orders.cartId, late!.cartId))).toHaveLength(1);
  });

  it('the event loop turns between batches, so the server keeps answering while a job runs (PGlite would starve it)', async () => {
    for (let i = 0; i < 6; i++) await makeCart();
    const batches = Math.ceil((await verifyProjections(h.db)).checked / 2);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      await verifyProjections(h.db, { batchSize: 2 });
      expect(ticks).toBeGreaterThanOrEqual(batches - 1);
      ticks = 0;
      await rebuildProjections(h, { batchSize: 2 });
      expect(ticks).toBeGreaterThanOrEqual(batches - 1);
    } finally {
      clearInterval(timer);
    }
  });

  it('a second rebuild while one runs is refused with a clear error; the first still completes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const inside = new Promise<void>((r) => (reached = r));
    const first = rebuildProjections(h, {
      onProgress: async (p) => {
        if (p.phase === 'building') {
          reached();
          await gate;
        }
      },
    });
    await inside;
    expect(await rebuildRunning(h)).toBe(true);
    const second = await rebuildProjections(h).catch((e) => e);
    expect(second).toBeInstanceOf(RebuildInProgressError);
    expect(second.message).toMatch(/already running/);
    release();
    await expect(first).resolves.toMatchObject({ mismatches: [] });
    expect(await rebuildRunning(h)).toBe(false);
    expect((await namesOf(h)).tables).toEqual(['carts', 'orders']);
  });

  it('a failing rebuild leaves the live tables as they were and no shadow behind', async () => {
    await makeCart();
    const before = await h.db.select().from(carts);
    const err = await rebuildProjections(h, {
      onProgress: (p) => {
        if (p.phase === 'orphans') throw new Error('operator pulled the plug');
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect((await namesOf(h)).tables).toEqual(['carts', 'orders']);
    expect(await h.db.select().from(carts)).toEqual(before);
    // And the lock was released: a rebuild runs again.
    await expect(rebuildProjections(h)).resolves.toMatchObject({ mismatches: [] });
  });
});

// Cross-process exclusion and real concurrency exist only on a server (PGlite has one connection).
if (process.env.TEST_DATABASE_URL) {
  describe('projections rebuild under concurrency on postgres', () => {
    let h: Handle;
    beforeAll(async () => {
      h = await setup('postgres', 30);
    });
    afterAll(async () => {
      setDbHandle(undefined);
      await h?.drop();
    });

    it('a rebuild while another process holds the advisory lock is refused; rebuildRunning sees it', async () => {
      const other = postgres(h.url!, { max: 1, onnotice: () => {} });
      try {
        await other`select pg_advisory_lock(${REBUILD_LOCK_KEY})`;
        expect(await rebuildRunning(h)).toBe(true);
        const err = await rebuildProjections(h).catch((e) => e);
        expect(err).toBeInstanceOf(RebuildInProgressError);
        expect(err.message).toMatch(/another app server or CLI/);
        await expect(acquireRebuildLock(h)).rejects.toBeInstanceOf(RebuildInProgressError);
        await other`select pg_advisory_unlock(${REBUILD_LOCK_KEY})`;
        expect(await rebuildRunning(h)).toBe(false);
        const lock = await acquireRebuildLock(h);
        await lock.release();
      } finally {
        await other.end();
      }
    });

    it('commands keep succeeding while a rebuild runs, and none of their changes is missing afterwards', async () => {
      // Enough carts for many batches, so the build, the catch-up and the swap all overlap the writers.
      const seeded = await Promise.all(Array.from({ length: 60 }, () => makeCart()));
      let rebuilding = true;
      const failures: unknown[] = [];
      const adds = new Map<string, number>();
      let duringRebuild = 0;
      const writer = async (i: number) => {
        const ctx = shopper();
        const { cartId } = await openCart(ctx);
        let n = 0;
        let afterwards = 0;
        // Keep writing until the rebuild is over, then a few more that must land in the new tables.
        while ((rebuilding || afterwards++ < 3) && n < 50) {
          try {
            await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
            n++;
            if (rebuilding) duringRebuild++;
            const other = seeded[(i * 7 + n) % seeded.length];
            if (n % 5 === 0) await addItem(other.ctx, other.cartId, { productId: 'paper-filters', quantity: 1 });
          } catch (e) {
            failures.push(e);
          }
        }
        adds.set(cartId, n);
      };
      const writers = Array.from({ length: 8 }, (_, i) => writer(i));
      const phases = new Set<string>();
      const report = await rebuildProjections(h, { batchSize: 5, onProgress: (p) => void phases.add(p.phase) }).finally(() => {
        rebuilding = false;
      });
      await Promise.all(writers);
      expect(failures).toEqual([]);
      expect(duringRebuild).toBeGreaterThan(8);
      expect(report.caughtUp).toBeGreaterThan(0);
      expect([...phases]).toEqual(expect.arrayContaining(['building', 'swapping', 'done']));
      // The build compares each batch in one snapshot, so the live writers are never reported as differences.
      expect(report.mismatches).toEqual([]);
      expect((await verifyProjections(h.db)).mismatches).toEqual([]);
      for (const [cartId, n] of adds) {
        const [row] = await h.db.select().from(carts).where(eq(carts.cartId, cartId));
        expect(row.itemCount, `cart ${cartId}`).toBe(n);
      }
    });
  });
}
