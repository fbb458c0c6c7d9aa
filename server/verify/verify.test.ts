import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, setDbHandle, type DbHandle } from '@/db/client';
import { lockPath } from '@/db/pglite-lock';
import { migrateDatabase } from '@/db/migrate';
import { carts, orders, products, reservations, streams } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { addItem, changeQuantity, checkOut, openCart, removeItem, type CommandContext } from '../cart/handler';
import { cartStreamId } from '../cart/events';
import { formatReport } from './format';
import { verifyStore } from './store';
import type { StoreReport } from './types';

type Handle = DbHandle & { drop: () => Promise<void> };

const alice: CommandContext = { actor: { userId: 'user-alice', role: 'shopper' } };
const bob: CommandContext = { actor: { userId: 'user-bob', role: 'shopper' } };

/** Real commands through the handler: two carts checked out, one left open. */
async function shop() {
  const a = (await openCart(alice)).cartId;
  await addItem(alice, a, { productId: 'espresso-beans', quantity: 2 });
  await addItem(alice, a, { productId: 'paper-filters', quantity: 3 });
  await changeQuantity(alice, a, { productId: 'espresso-beans', quantity: 1 });
  const orderA = (await checkOut(alice, a)).orderId!;
  const b = (await openCart(bob)).cartId;
  await addItem(bob, b, { productId: 'hand-grinder', quantity: 1 });
  await addItem(bob, b, { productId: 'ceramic-mug', quantity: 2 });
  await removeItem(bob, b, { productId: 'ceramic-mug' });
  const orderB = (await checkOut(bob, b)).orderId!;
  const open = (await openCart(alice)).cartId;
  await addItem(alice, open, { productId: 'french-press', quantity: 1 });
  await addItem(alice, open, { productId: 'paper-filters', quantity: 2 });
  return { a, b, open, orderA, orderB };
}

const found = (r: StoreReport) => r.differences.map((d) => [d.check, d.subject]);

describe.each(testDbKinds())('verify the whole store on %s', (kind: TestDbKind) => {
  let h: Handle;
  let s: Awaited<ReturnType<typeof shop>>;
  beforeAll(async () => {
    h = await createTestDatabase(kind, 5);
    await seedDemo(h.db);
    setDbHandle(h);
    s = await shop();
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  /** Breaks the store, checks what verify says, puts it back and checks it is clean again. */
  async function corrupted(breakIt: () => Promise<void>, repair: () => Promise<void>): Promise<StoreReport> {
    await breakIt();
    let report: StoreReport;
    try {
      report = await verifyStore(h.db);
    } finally {
      await repair();
    }
    expect((await verifyStore(h.db)).differences).toEqual([]);
    return report;
  }

  it('a healthy store after real commands: clean, with the counts it checked', async () => {
    const r = await verifyStore(h.db);
    expect(r.differences).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.counts).toEqual({ carts: 3, streams: 5, events: 21, orders: 2, products: 14 });
    expect(formatReport(r)).toMatch(/^verify: 3 carts, 5 streams, 21 events, 2 orders, 14 products checked; everything holds/);
  });

  it('(a) a carts row changed behind the events: that cart, that column', async () => {
    const r = await corrupted(
      () => h.db.update(carts).set({ totalCents: 1 }).where(eq(carts.cartId, s.open)).then(() => {}),
      () => h.db.update(carts).set({ totalCents: 3400 + 2 * 650 }).where(eq(carts.cartId, s.open)).then(() => {}),
    );
    expect(found(r)).toEqual([['read_model', `cart ${s.open}`]]);
    expect(r.differences[0].message).toBe('total_cents: the fold says 4700, the carts row says 1');
    expect(r.ok).toBe(false);
  });

  it('(b) streams.version moved past the last event', async () => {
    const id = cartStreamId(s.open);
    const r = await corrupted(
      () => h.db.update(streams).set({ version: 7 }).where(eq(streams.streamId, id)).then(() => {}),
      () => h.db.update(streams).set({ version: 3 }).where(eq(streams.streamId, id)).then(() => {}),
    );
    expect(found(r)).toEqual([['stream', `stream ${id}`]]);
    expect(r.differences[0].message).toBe('streams.version is 7, but the last event is version 3');
  });

  it('(b) a gap in a stream: the missing version, and the read model no longer matches the fold', async () => {
    const id = cartStreamId(s.open);
    const r = await corrupted(
      async () => {
        await h.exec(`insert into events (stream_id, stream_type, stream_version, type, data, metadata, occurred_at)
          values ('${id}', 'cart', 5, 'ItemAdded', '{"productId":"ceramic-mug","name":"Ceramic mug","unitPriceCents":1200,"quantity":1}', '{}', now())`);
        await h.db.update(streams).set({ version: 5 }).where(eq(streams.streamId, id));
      },
      async () => {
        await h.exec(`alter table events disable trigger user; delete from events where stream_id = '${id}' and stream_version = 5; alter table events enable trigger user;`);
        await h.db.update(streams).set({ version: 3 }).where(eq(streams.streamId, id));
      },
    );
    const byCheck = (c: string) => r.differences.filter((d) => d.check === c);
    expect(byCheck('stream')).toEqual([{ check: 'stream', subject: `stream ${id}`, message: 'version 4 is missing (the next event is version 5)' }]);
    expect(new Set(byCheck('read_model').map((d) => d.subject))).toEqual(new Set([`cart ${s.open}`]));
    expect(byCheck('read_model').map((d) => d.message.split(':')[0])).toEqual(expect.arrayContaining(['version', 'items', 'total_cents']));
    expect(byCheck('orders')).toEqual([]);
    expect(byCheck('stock')).toEqual([]);
  });

  it('(c) an order deleted: the order is missing for its checkout event, and its units no longer add up', async () => {
    const [row] = await h.db.select().from(orders).where(eq(orders.orderId, s.orderB));
    const r = await corrupted(
      () => h.db.delete(orders).where(eq(orders.orderId, s.orderB)).then(() => {}),
      () => h.db.insert(orders).values(row).then(() => {}),
    );
    expect(found(r)).toEqual([
      ['orders', `order ${s.orderB}`],
      ['stock', 'product hand-grinder'],
    ]);
    expect(r.differences[0].message).toBe(`no orders row, but cart ${s.b}'s stream has its CartCheckedOut event`);
    expect(r.differences[1].message).toBe('stock 7 + 0 sold = 7, but the initial stock is 8 (short by 1)');
  });

  it('(c) an order whose total differs from its checkout event', async () => {
    const r = await corrupted(
      () => h.db.update(orders).set({ totalCents: 99 }).where(eq(orders.orderId, s.orderA)).then(() => {}),
      () => h.db.update(orders).set({ totalCents: 2490 + 3 * 650 }).where(eq(orders.orderId, s.orderA)).then(() => {}),
    );
    expect(found(r)).toEqual([['orders', `order ${s.orderA}`]]);
    expect(r.differences[0].message).toBe(`total_cents: the checkout event (cart ${s.a}) says 4440, the orders row says 99`);
  });

  it('(d) stock changed behind the orders', async () => {
    const r = await corrupted(
      () => h.db.update(products).set({ stock: sql`${products.stock} - 2` }).where(eq(products.id, 'paper-filters')).then(() => {}),
      () => h.db.update(products).set({ stock: sql`${products.stock} + 2` }).where(eq(products.id, 'paper-filters')).then(() => {}),
    );
    expect(r.differences).toEqual([
      { check: 'stock', subject: 'product paper-filters', message: 'stock 115 + 3 sold = 118, but the initial stock is 120 (short by 2)' },
    ]);
    expect(formatReport(r)).toContain('stock + units sold vs initial stock (1):\n  product paper-filters: stock 115');
  });

  it('(e) reservations: one the cart line does not explain, one of a checked-out cart, and more held than in stock', async () => {
    const line = and(eq(reservations.cartId, s.open), eq(reservations.productId, 'french-press'));
    const r = await corrupted(
      async () => {
        await h.db.update(reservations).set({ quantity: 4 }).where(line);
        await h.db.insert(reservations).values({ cartId: s.a, productId: 'paper-filters', quantity: 1, expiresAt: new Date(Date.now() + 60_000) });
        await h.db.update(products).set({ stock: 1, initialStock: sql`${products.initialStock} - ${products.stock} + 1` }).where(eq(products.id, 'french-press'));
      },
      async () => {
        await h.db.update(reservations).set({ quantity: 1 }).where(line);
        await h.db.delete(reservations).where(eq(reservations.cartId, s.a));
        await h.db.update(products).set({ stock: 20, initialStock: 20 }).where(eq(products.id, 'french-press'));
      },
    );
    expect(r.differences).toEqual([
      { check: 'reservations', subject: `cart ${[s.a, s.open].sort()[0]}`, message: expect.any(String) },
      { check: 'reservations', subject: `cart ${[s.a, s.open].sort()[1]}`, message: expect.any(String) },
      { check: 'reservations', subject: 'product french-press', message: 'live reservations hold 4, but the stock is 1' },
    ]);
    expect(r.differences.map((d) => d.message)).toEqual(
      expect.arrayContaining(['holds 1 of paper-filters for a cart that is checked_out', 'holds 4 of french-press for a line of 1']),
    );
    expect(formatReport(r)).toContain('reservations vs open carts and stock (3):');
  });
});

type Run = { code: number | null; stdout: string; stderr: string };

function cli(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/tsx', ['--conditions=react-server', 'server/cli/verify.ts'], {
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

describe('npm run verify on an embedded database folder', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-verify-'));
  const pglite = path.join(dir, 'pglite');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exit 0 with the summary when clean, 1 with the difference when stock was changed', async () => {
    const h = openDatabase({ pgliteDir: pglite });
    await migrateDatabase(h);
    await seedDemo(h.db);
    await h.close();
    const clean = await cli({ PGLITE_DIR: pglite });
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('0 carts, 0 streams, 0 events, 0 orders, 14 products checked; everything holds');
    const h2 = openDatabase({ pgliteDir: pglite });
    await h2.exec(`update products set stock = 1 where id = 'milk-frother'`);
    await h2.close();
    const broken = await cli({ PGLITE_DIR: pglite });
    expect(broken.code, broken.stderr).toBe(1);
    expect(broken.stdout).toContain('product milk-frother: stock 1 + 0 sold = 1, but the initial stock is 3 (short by 2)');
  });

  it('refuses a folder a running server holds, saying so (exit 2)', async () => {
    fs.writeFileSync(lockPath(pglite), String(process.pid)); // this test process plays the server
    try {
      const r = await cli({ PGLITE_DIR: pglite });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`is in use by another process (pid ${process.pid})`);
      expect(r.stderr).toContain('stop the server first');
    } finally {
      fs.rmSync(lockPath(pglite), { force: true });
    }
  });
});
