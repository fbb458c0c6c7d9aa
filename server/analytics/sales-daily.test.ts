import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { orders, salesDaily } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { addItem, checkOut, openCart, type CommandContext } from '../cart/handler';
import { lag, readAfterCheckpoint, readCheckpoint, runSubscriber, START } from '../eventstore';
import { projectSalesDaily, salesByDay, salesDailySubscriber, salesIncrements, SALES_DAILY_SUBSCRIBER, type SalesDay } from './sales-daily';

type Handle = DbHandle & { drop: () => Promise<void> };

const admin = { userId: 'admin', role: 'admin' } as const;
let shoppers = 0;
const shopperAt = (iso: string): CommandContext => ({
  actor: { userId: `sales-shopper-${++shoppers}`, role: 'shopper' },
  now: () => new Date(iso),
});

/** One checked-out cart: lines as [productId, quantity]. */
async function buy(iso: string, lines: [string, number][]) {
  const ctx = shopperAt(iso);
  const { cartId } = await openCart(ctx);
  for (const [productId, quantity] of lines) await addItem(ctx, cartId, { productId, quantity });
  return checkOut(ctx, cartId);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the projection until it has handled every committed event (waits out other sessions' xmin). */
async function catchUp(h: Handle) {
  const deadline = Date.now() + 30_000;
  while ((await lag(h.db, SALES_DAILY_SUBSCRIBER)).events > 0) {
    if (Date.now() > deadline) throw new Error('sales-daily did not catch up');
    const r = await runSubscriber(h.db, salesDailySubscriber);
    if (r.delivered === 0) await sleep(20);
  }
}

/** What the read model must hold: the orders table grouped by UTC day of placement and product. */
async function expectedFromOrders(h: Handle): Promise<SalesDay[]> {
  const acc = new Map<string, SalesDay>();
  for (const o of await h.db.select().from(orders)) {
    const day = o.placedAt.toISOString().slice(0, 10);
    for (const l of o.items) {
      const key = `${day} ${l.productId}`;
      const row = acc.get(key) ?? { day, productId: l.productId, units: 0, revenueCents: 0, orders: 0 };
      row.units += l.quantity;
      row.revenueCents += l.lineTotalCents;
      row.orders += 1;
      acc.set(key, row);
    }
  }
  return [...acc.values()].sort((a, b) => (a.day + a.productId < b.day + b.productId ? -1 : 1));
}

async function table(h: Handle): Promise<SalesDay[]> {
  const rows = await h.db.select().from(salesDaily);
  return rows
    .map((r) => ({ ...r, revenueCents: Number(r.revenueCents) }))
    .sort((a, b) => (a.day + a.productId < b.day + b.productId ? -1 : 1));
}

describe.each(testDbKinds())('sales per product per day on %s', (kind) => {
  let h: Handle;
  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('checkouts through the real handler, then the subscriber: rows match the orders, by UTC day', async () => {
    await buy('2026-03-01T09:00:00Z', [
      ['espresso-beans', 2],
      ['ceramic-mug', 1],
    ]);
    await buy('2026-03-01T23:59:59.999Z', [['espresso-beans', 1]]);
    await buy('2026-03-02T00:00:00Z', [
      ['espresso-beans', 3],
      ['paper-filters', 2],
    ]);
    // An open cart sells nothing.
    const ctx = shopperAt('2026-03-01T10:00:00Z');
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'ceramic-mug', quantity: 5 });

    expect(await table(h)).toEqual([]); // asynchronous: nothing until the subscriber runs
    await catchUp(h);

    const rows = await table(h);
    expect(rows).toEqual(await expectedFromOrders(h));
    expect(rows.find((r) => r.day === '2026-03-01' && r.productId === 'espresso-beans')).toEqual({
      day: '2026-03-01',
      productId: 'espresso-beans',
      units: 3,
      revenueCents: 3 * 2490,
      orders: 2,
    });
    expect(rows.find((r) => r.day === '2026-03-01' && r.productId === 'ceramic-mug')?.units).toBe(1);
    expect(rows.find((r) => r.day === '2026-03-02' && r.productId === 'espresso-beans')).toMatchObject({ units: 3, orders: 1 });
  });

  it('later checkouts add to the same days; the subscriber picks up where it left off', async () => {
    const before = await readCheckpoint(h.db, SALES_DAILY_SUBSCRIBER);
    expect(before).not.toEqual(START);
    await buy('2026-03-02T12:00:00Z', [['paper-filters', 1]]);
    await buy('2026-03-03T12:00:00Z', [['ceramic-mug', 2]]);
    await catchUp(h);
    expect(await table(h)).toEqual(await expectedFromOrders(h));
    expect((await table(h)).find((r) => r.day === '2026-03-02' && r.productId === 'paper-filters')).toMatchObject({ units: 3, orders: 2 });
  });

  it('handling a batch whose transaction rolled back, then handling it again, counts it once', async () => {
    await buy('2026-03-04T08:00:00Z', [['espresso-beans', 1]]);
    const batch = await h.db.transaction((tx) => readAfterCheckpoint(tx, START, 100_000));
    const again = batch.filter((e) => e.occurredAt.toISOString().startsWith('2026-03-04'));
    expect(again.some((e) => e.type === 'CartCheckedOut')).toBe(true);
    await expect(
      h.db.transaction(async (tx) => {
        await projectSalesDaily(tx, again);
        throw new Error('crash before the checkpoint');
      }),
    ).rejects.toThrow('crash');
    expect((await table(h)).filter((r) => r.day === '2026-03-04')).toEqual([]);
    await catchUp(h);
    expect(await table(h)).toEqual(await expectedFromOrders(h));
  });

  it('salesIncrements folds a batch per (day, product), an order counted once per product', () => {
    const at = new Date('2026-05-05T05:00:00Z');
    const e = (orderId: string, items: [string, number, number][]) => ({
      globalPosition: 1,
      streamId: 'cart-x',
      streamType: 'cart',
      streamVersion: 1,
      type: 'CartCheckedOut',
      schemaVersion: 1,
      data: {
        orderId,
        items: items.map(([productId, quantity, unit]) => ({ productId, name: productId, unitPriceCents: unit, quantity, lineTotalCents: unit * quantity })),
        itemCount: 0,
        totalCents: 0,
        currency: 'EUR',
      },
      metadata: { actor: { userId: 'u', role: 'shopper' as const }, correlationId: 'c', causationId: null, commandId: null },
      occurredAt: at,
      recordedAt: at,
      transactionId: 1,
    });
    const other = { ...e('o0', [['a', 1, 1]]), type: 'ItemAdded' };
    expect(
      salesIncrements([
        e('o1', [
          ['b', 2, 100],
          ['a', 1, 50],
        ]),
        e('o2', [['b', 1, 100]]),
        other,
      ]),
    ).toEqual([
      { day: '2026-05-05', productId: 'a', units: 1, revenueCents: 50, orders: 1 },
      { day: '2026-05-05', productId: 'b', units: 3, revenueCents: 300, orders: 2 },
    ]);
    // A failed order's CartReopened (a day later) takes its lines back from the day it was placed.
    const placed = e('o3', [['b', 2, 100]]);
    const reopened = {
      ...placed,
      type: 'CartReopened',
      occurredAt: new Date('2026-05-06T01:00:00Z'),
      data: { ...placed.data, step: 'payment', code: 'card_declined', reason: 'declined', placedAt: at.toISOString() },
    };
    expect(salesIncrements([e('o1', [['b', 2, 100]]), placed, reopened])).toEqual([
      { day: '2026-05-05', productId: 'b', units: 2, revenueCents: 200, orders: 1 },
    ]);
    expect(salesIncrements([reopened])).toEqual([{ day: '2026-05-05', productId: 'b', units: -2, revenueCents: -200, orders: -1 }]);
  });

  it('salesByDay: admins read a range of days; shoppers get 403; a backwards or too long range is 400', async () => {
    const r = await salesByDay(admin, { from: '2026-03-01', to: '2026-03-02' });
    expect(r.from).toBe('2026-03-01');
    expect(r.days.map((d) => d.day)).toEqual([...r.days.map((d) => d.day)].sort());
    expect(new Set(r.days.map((d) => d.day))).toEqual(new Set(['2026-03-01', '2026-03-02']));
    expect(r.days).toEqual((await expectedFromOrders(h)).filter((d) => d.day <= '2026-03-02'));

    await expect(salesByDay({ userId: 'someone', role: 'shopper' }, {})).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await expect(salesByDay(admin, { from: '2026-03-05', to: '2026-03-01' })).rejects.toMatchObject({ status: 400 });
    await expect(salesByDay(admin, { from: '2024-01-01', to: '2026-03-01' })).rejects.toMatchObject({ status: 400 });

    const last30 = await salesByDay(admin, {}, { now: new Date('2026-03-10T12:00:00Z') });
    expect({ from: last30.from, to: last30.to }).toEqual({ from: '2026-02-09', to: '2026-03-10' });
    expect(last30.days.length).toBe((await expectedFromOrders(h)).length);
  });
});
