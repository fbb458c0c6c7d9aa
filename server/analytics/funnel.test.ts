import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { events as eventsTable } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { addItem, checkOut, openCart, removeItem, type CommandContext } from '../cart/handler';
import type { PaymentMethod } from '../orders/events';
import { append, lag, runSubscriber, type StoredEvent } from '../eventstore';
import { CART_FUNNEL_SUBSCRIBER, cartDashboard, cartFunnelSubscriber, funnelIncrements } from './funnel';
import { SALES_DAILY_SUBSCRIBER, salesDailySubscriber } from './sales-daily';

type Handle = DbHandle & { drop: () => Promise<void> };
const admin = { userId: 'admin', role: 'admin' } as const;
const meta = { actor: { userId: 'system', role: 'system' as const }, correlationId: 'c', causationId: null, commandId: null };
const ev = (type: string, streamId: string, occurredAt: string, data: unknown = {}): StoredEvent => ({
  globalPosition: 0,
  streamId,
  streamType: 'cart',
  streamVersion: 1,
  type,
  schemaVersion: 1,
  data,
  metadata: meta,
  occurredAt: new Date(occurredAt),
  recordedAt: new Date(occurredAt),
  transactionId: 1,
});

describe('funnelIncrements (pure)', () => {
  it('folds a batch into one row per cart: first item kept, last status wins; reservation expiries counted per day', () => {
    const { carts, daily } = funnelIncrements([
      ev('CartOpened', 'cart-a', '2026-11-01T10:00:00Z', { cartId: 'a', userId: 'u1', currency: 'EUR' }),
      ev('ItemAdded', 'cart-a', '2026-11-01T10:05:00Z'),
      ev('ItemAdded', 'cart-a', '2026-11-01T10:06:00Z'),
      ev('ReservationsExpired', 'cart-a', '2026-11-01T10:30:00Z', { productIds: ['p', 'q'] }),
      ev('CartCheckedOut', 'cart-a', '2026-11-02T09:00:00Z', { totalCents: 500, itemCount: 3 }),
      ev('CartOpened', 'cart-b', '2026-11-02T11:00:00Z', { cartId: 'b', userId: 'u2', currency: 'EUR' }),
      ev('CartExpired', 'cart-b', '2026-11-03T11:00:00Z'),
      ev('Thing', 'other-1', '2026-11-03T11:00:00Z'),
    ]);
    expect(carts).toEqual([
      expect.objectContaining({ cartId: 'a', userId: 'u1', firstItemAt: new Date('2026-11-01T10:05:00Z'), status: 'checked_out', totalCents: 500, itemCount: 3 }),
      expect.objectContaining({ cartId: 'b', status: 'expired', firstItemAt: null, expiredAt: new Date('2026-11-03T11:00:00Z') }),
    ]);
    expect(daily).toEqual([
      { day: '2026-11-01', metric: 'reservations_expired', value: 2 },
    ]);
  });
});

describe.each(testDbKinds())('the cart funnel projection and dashboard on %s', (kind) => {
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

  async function catchUp() {
    for (const [name, sub] of [
      [CART_FUNNEL_SUBSCRIBER, cartFunnelSubscriber],
      [SALES_DAILY_SUBSCRIBER, salesDailySubscriber],
    ] as const) {
      const deadline = Date.now() + 30_000;
      while ((await lag(h.db, name)).events > 0) {
        if (Date.now() > deadline) throw new Error(`${name} did not catch up`);
        const r = await runSubscriber(h.db, sub);
        if (r.delivered === 0) await new Promise((res) => setTimeout(res, 20));
      }
    }
  }

  let shopper = 0;
  const at = (iso: string): CommandContext => ({ actor: { userId: `funnel-${++shopper}`, role: 'shopper' }, now: () => new Date(iso) });
  const close = (cartId: string, type: string, iso: string, data: unknown = {}) =>
    append(h.db, `cart-${cartId}`, [{ type, data }], { streamType: 'cart', expectedVersion: 'any', metadata: meta, occurredAt: new Date(iso) });

  /** The same figures computed straight from the events table, without the projection. */
  async function fromEvents(from: string, to: string) {
    const all = await h.db.select().from(eventsTable).orderBy(asc(eventsTable.globalPosition));
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const inRange = (d: Date | undefined) => !!d && day(d) >= from && day(d) <= to;
    const carts = new Map<string, { opened?: Date; item?: Date; out?: Date; total?: number; abandoned?: Date; expired?: Date }>();
    const expiries = new Map<string, number>();
    for (const e of all) {
      if (e.streamType !== 'cart') continue;
      const c = carts.get(e.streamId) ?? {};
      carts.set(e.streamId, c);
      if (e.type === 'CartOpened') c.opened = e.occurredAt;
      if (e.type === 'ItemAdded') c.item ??= e.occurredAt;
      if (e.type === 'CartCheckedOut') {
        c.out = e.occurredAt;
        c.total = (e.data as { totalCents: number }).totalCents;
      }
      if (e.type === 'CartReopened') {
        // Its order failed: not checked out after all (until a later checkout).
        c.out = undefined;
        c.total = undefined;
      }
      if (e.type === 'CartAbandoned') c.abandoned = e.occurredAt;
      if (e.type === 'CartExpired') c.expired = e.occurredAt;
      if (e.type === 'ReservationsExpired') {
        const d = day(e.occurredAt);
        expiries.set(d, (expiries.get(d) ?? 0) + (e.data as { productIds: string[] }).productIds.length);
      }
    }
    const cohort = [...carts.values()].filter((c) => inRange(c.opened));
    const checkedOut = [...carts.values()].filter((c) => inRange(c.out));
    return {
      funnel: {
        opened: cohort.length,
        withItems: cohort.filter((c) => c.item).length,
        checkedOut: cohort.filter((c) => c.out).length,
        abandoned: cohort.filter((c) => c.abandoned).length,
        expired: cohort.filter((c) => c.expired).length,
      },
      orders: checkedOut.length,
      revenueCents: checkedOut.reduce((s, c) => s + c.total!, 0),
      avgSecondsToCheckout: Math.round(checkedOut.reduce((s, c) => s + (c.out!.getTime() - c.opened!.getTime()) / 1000, 0) / checkedOut.length),
      ordersByDay: Object.fromEntries(
        [...new Set(checkedOut.map((c) => day(c.out!)))].map((d) => [d, checkedOut.filter((c) => day(c.out!) === d).length]),
      ),
      expiries,
    };
  }

  it('matches the figures computed straight from the events, over days, after redelivery-safe catch-up', async () => {
    // Day 1: two checked out (10 and 30 minutes after opening), one abandoned with an item, one empty.
    const buy = async (opened: string, added: string, out: string, lines: [string, number][], paymentMethod: PaymentMethod = 'card_ok') => {
      const ctx = at(opened);
      const { cartId } = await openCart(ctx);
      for (const [productId, quantity] of lines) await addItem({ ...ctx, now: () => new Date(added) }, cartId, { productId, quantity });
      expect((await checkOut({ ...ctx, now: () => new Date(out) }, cartId, { paymentMethod })).order?.status).toBe(
        paymentMethod === 'card_ok' ? 'confirmed' : 'failed',
      );
      return cartId;
    };
    await buy('2026-10-01T09:00:00Z', '2026-10-01T09:02:00Z', '2026-10-01T09:10:00Z', [['espresso-beans', 2]]);
    await buy('2026-10-01T12:00:00Z', '2026-10-01T12:01:00Z', '2026-10-01T12:30:00Z', [['ceramic-mug', 1], ['paper-filters', 3]]);
    const abandoned = at('2026-10-01T13:00:00Z');
    const { cartId: ab } = await openCart(abandoned);
    await addItem({ ...abandoned, now: () => new Date('2026-10-01T13:01:00Z') }, ab, { productId: 'french-press', quantity: 1 });
    await close(ab, 'CartAbandoned', '2026-10-01T13:05:00Z');
    await openCart(at('2026-10-01T15:00:00Z'));
    // Day 2: one expires after its reservation lapsed; one opened on day 2 and checked out on day 3.
    const exp = at('2026-10-02T08:00:00Z');
    const { cartId: ex } = await openCart(exp);
    await addItem({ ...exp, now: () => new Date('2026-10-02T08:01:00Z') }, ex, { productId: 'digital-scale', quantity: 2 });
    await removeItem({ ...exp, now: () => new Date('2026-10-02T08:02:00Z') }, ex, { productId: 'digital-scale' });
    await addItem({ ...exp, now: () => new Date('2026-10-02T08:03:00Z') }, ex, { productId: 'digital-scale', quantity: 1 });
    await close(ex, 'ReservationsExpired', '2026-10-02T08:20:00Z', { productIds: ['digital-scale'] });
    await close(ex, 'CartExpired', '2026-10-03T08:03:00Z');
    await buy('2026-10-02T22:00:00Z', '2026-10-02T22:10:00Z', '2026-10-03T01:00:00Z', [['espresso-beans', 1]]);
    // A declined card on day 2: the order fails and the cart reopens; neither revenue nor sales count it.
    await buy('2026-10-02T10:00:00Z', '2026-10-02T10:01:00Z', '2026-10-02T10:05:00Z', [['espresso-beans', 4]], 'card_declined');

    await catchUp();
    const dash = await cartDashboard(admin, { from: '2026-10-01', to: '2026-10-03' });
    const truth = await fromEvents('2026-10-01', '2026-10-03');
    expect(dash.funnel).toMatchObject(truth.funnel);
    expect(dash.funnel).toMatchObject({ opened: 7, withItems: 6, checkedOut: 3, abandoned: 1, expired: 1, stillOpen: 2 });
    expect(dash.totals).toMatchObject({ orders: truth.orders, revenueCents: truth.revenueCents, avgSecondsToCheckout: truth.avgSecondsToCheckout });
    expect(dash.days.map((d) => d.day)).toEqual(['2026-10-01', '2026-10-02', '2026-10-03']);
    expect(Object.fromEntries(dash.days.filter((d) => d.orders > 0).map((d) => [d.day, d.orders]))).toEqual(truth.ordersByDay);
    expect(dash.days.map((d) => d.reservationsExpired)).toEqual(dash.days.map((d) => truth.expiries.get(d.day) ?? 0));
    expect(dash.days[0]).toMatchObject({ cartsOpened: 4, orders: 2, abandoned: 1, avgSecondsToCheckout: (10 * 60 + 30 * 60) / 2 });
    expect(dash.days[2]).toMatchObject({ expired: 1, orders: 1, avgSecondsToCheckout: 3 * 3600 });
    // Top products by revenue, from sales-daily: espresso (3 × 24.90) before filters and mug.
    expect(dash.topProducts[0]).toMatchObject({ productId: 'espresso-beans', units: 3, revenueCents: 3 * 2490, orders: 2 });
    expect(dash.topProducts.reduce((s, p) => s + p.revenueCents, 0)).toBe(truth.revenueCents);

    // Only the range asked for counts.
    const later = await cartDashboard(admin, { from: '2026-10-03', to: '2026-10-03' });
    expect(later.funnel.opened).toBe(0);
    expect(later.totals.orders).toBe(1);
  });

  it('refuses shoppers and bad ranges', async () => {
    await expect(cartDashboard({ userId: 'x', role: 'shopper' })).rejects.toMatchObject({ status: 403 });
    await expect(cartDashboard(admin, { from: '2026-10-05', to: '2026-10-01' })).rejects.toMatchObject({ code: 'invalid_range' });
    await expect(cartDashboard(admin, { from: '2024-01-01', to: '2026-10-01' })).rejects.toMatchObject({ code: 'invalid_range' });
  });
});
