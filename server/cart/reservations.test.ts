import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { carts, events, products, reservations } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { listProducts } from '../catalog/queries';
import { readStream } from '../eventstore';
import { toAppError } from '../http/errors';
import { cartStreamId } from './events';
import { abandonCart, addItem, changeQuantity, checkOut, loadCart, openCart, removeItem, type CommandContext } from './handler';
import { requireAvailable, STOCK_CHANGED } from './reservations';
import { sweep } from './sweeper';

// Reservations, abandonment and expiry against a real database (PGlite; PostgreSQL with TEST_DATABASE_URL).
// Time is driven through the commands' `now` and the sweeper's `now`: RESERVATION_TTL is the default 15 min.

type Handle = DbHandle & { drop: () => Promise<void> };

async function setup(kind: TestDbKind, poolMax = 20): Promise<Handle> {
  const h = await createTestDatabase(kind, poolMax);
  await seedDemo(h.db);
  setDbHandle(h);
  return h;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const plus = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000);
const MIN = 60;
const HOUR = 3600;
const DAY_TTL = 24 * HOUR;

let users = 0;
const shopper = (now: Date = T0): CommandContext => ({ actor: { userId: `res-shopper-${++users}`, role: 'shopper' }, now: () => now });
const at = (ctx: CommandContext, now: Date): CommandContext => ({ ...ctx, now: () => now });

const held = async (h: Handle, cartId: string) =>
  h.db.select({ productId: reservations.productId, quantity: reservations.quantity, expiresAt: reservations.expiresAt }).from(reservations).where(eq(reservations.cartId, cartId)).orderBy(asc(reservations.productId));
const stockOf = async (h: Handle, id: string) => (await h.db.select({ stock: products.stock }).from(products).where(eq(products.id, id)))[0].stock;
const availableOf = async (h: Handle, id: string, now: Date) => (await listProducts(h.db, now)).find((p) => p.id === id)!.available;
const setStock = (h: Handle, id: string, stock: number) => h.db.update(products).set({ stock, initialStock: stock }).where(eq(products.id, id));
const typesOf = async (h: Handle, cartId: string) => (await readStream(h.db, cartStreamId(cartId))).map((e) => e.type);

const priceOf = async (h: Handle, id: string) => (await h.db.select({ p: products.priceCents }).from(products).where(eq(products.id, id)))[0].p;
const codeOf = (e: unknown) => (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;

/** No product has more units held by live reservations than it has in stock. */
async function expectNoOverReservation(h: Handle, now: Date) {
  const rows = await h.db.execute(sql`
    select p.id, p.stock, coalesce(sum(r.quantity), 0)::int as held
    from products p left join reservations r on r.product_id = p.id and r.expires_at > ${now.toISOString()}::timestamptz
    group by p.id, p.stock having coalesce(sum(r.quantity), 0) > p.stock`);
  expect(Array.isArray(rows) ? rows : (rows as unknown as { rows: unknown[] }).rows).toEqual([]);
}

describe.each(testDbKinds())('stock reservations on %s', (kind) => {
  let h: Handle;
  beforeAll(async () => {
    h = await setup(kind);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('adding reserves the whole line until now + RESERVATION_TTL; the catalog shows stock minus held units; stock itself is untouched', async () => {
    await setStock(h, 'gooseneck-kettle', 12);
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'gooseneck-kettle', quantity: 2 });
    expect(await held(h, cartId)).toEqual([{ productId: 'gooseneck-kettle', quantity: 2, expiresAt: plus(T0, 15 * MIN) }]);
    const [ev] = (await readStream(h.db, cartStreamId(cartId))).slice(-1);
    expect(ev.data).toMatchObject({ productId: 'gooseneck-kettle', quantity: 2, reservedUntil: plus(T0, 15 * MIN).toISOString() });

    // Five minutes later another 1: the whole line (3) is held again for 15 minutes from then.
    await addItem(at(ctx, plus(T0, 5 * MIN)), cartId, { productId: 'gooseneck-kettle', quantity: 1 });
    expect(await held(h, cartId)).toEqual([{ productId: 'gooseneck-kettle', quantity: 3, expiresAt: plus(T0, 20 * MIN) }]);
    expect(await availableOf(h, 'gooseneck-kettle', plus(T0, 6 * MIN))).toBe(9);
    expect(await stockOf(h, 'gooseneck-kettle')).toBe(12);

    // Reduced: holds less, same expiry. Up again: re-reserved from then.
    await changeQuantity(at(ctx, plus(T0, 7 * MIN)), cartId, { productId: 'gooseneck-kettle', quantity: 1 });
    expect(await held(h, cartId)).toEqual([{ productId: 'gooseneck-kettle', quantity: 1, expiresAt: plus(T0, 20 * MIN) }]);
    await changeQuantity(at(ctx, plus(T0, 8 * MIN)), cartId, { productId: 'gooseneck-kettle', quantity: 4 });
    expect(await held(h, cartId)).toEqual([{ productId: 'gooseneck-kettle', quantity: 4, expiresAt: plus(T0, 23 * MIN) }]);

    // The timed-out reservation no longer counts, even before the sweeper deletes it.
    expect(await availableOf(h, 'gooseneck-kettle', plus(T0, 22 * MIN))).toBe(8);
    expect(await availableOf(h, 'gooseneck-kettle', plus(T0, 23 * MIN))).toBe(12);

    // Removed: released.
    await removeItem(at(ctx, plus(T0, 9 * MIN)), cartId, { productId: 'gooseneck-kettle' });
    expect(await held(h, cartId)).toEqual([]);
    expect(await availableOf(h, 'gooseneck-kettle', plus(T0, 9 * MIN))).toBe(12);
  });

  it('the late stock check (migration 0009) refuses with EC409 a changed price or a line the stock no longer covers, and takes the product lock', async () => {
    await setStock(h, 'gooseneck-kettle', 5);
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'gooseneck-kettle', quantity: 2 }); // another cart's hold, until T0 + 15 min
    const product = { productId: 'gooseneck-kettle', name: 'Gooseneck kettle', unitPriceCents: await priceOf(h, 'gooseneck-kettle'), currency: 'EUR', stock: 5 };
    const check = (p: Partial<Parameters<typeof requireAvailable>[1]>) =>
      h.db.transaction((tx) => requireAvailable(tx, { product, cartId: 'some-other-cart', now: T0, quantity: 1, ...p }));
    await expect(check({ quantity: 3 })).resolves.toBeUndefined(); // 5 - 2 held by the other cart
    await expect(check({ quantity: 4 }).catch(codeOf)).resolves.toBe(STOCK_CHANGED);
    await expect(check({ quantity: 4, now: plus(T0, 15 * MIN) })).resolves.toBeUndefined(); // that hold has lapsed by then
    await expect(check({ quantity: 5, cartId })).resolves.toBeUndefined(); // a cart's own hold never counts against it
    await expect(check({ product: { ...product, unitPriceCents: product.unitPriceCents + 1 } }).catch(codeOf)).resolves.toBe(STOCK_CHANGED);
    await expect(check({ product: { ...product, currency: 'USD' } }).catch(codeOf)).resolves.toBe(STOCK_CHANGED);
    await expect(check({ product: { ...product, productId: 'no-such-product' } }).catch(codeOf)).resolves.toBe(STOCK_CHANGED);
  });

  it('another cart cannot take units held by a live reservation (409 insufficient_stock), and can once it lapsed; checkout then re-checks', async () => {
    await setStock(h, 'milk-frother', 3);
    const [a, b] = [shopper(), shopper()];
    const cartA = (await openCart(a)).cartId;
    const cartB = (await openCart(b)).cartId;
    await addItem(a, cartA, { productId: 'milk-frother', quantity: 2 });
    const refused = await addItem(b, cartB, { productId: 'milk-frother', quantity: 2 }).catch((e: unknown) => e);
    expect(toAppError(refused)).toMatchObject({ status: 409, code: 'insufficient_stock' });
    expect(toAppError(refused).toBody()).toMatchObject({ error: { details: { productId: 'milk-frother', available: 1, requested: 2 } } });
    await addItem(at(b, plus(T0, 5 * MIN)), cartB, { productId: 'milk-frother', quantity: 1 });
    await expectNoOverReservation(h, plus(T0, 5 * MIN));

    // 16 minutes on, A's reservation lapsed (no sweeper yet): B may raise to 3 and so hold everything.
    const later = plus(T0, 16 * MIN);
    expect(await availableOf(h, 'milk-frother', later)).toBe(2);
    await changeQuantity(at(b, later), cartB, { productId: 'milk-frother', quantity: 3 });
    await expectNoOverReservation(h, later);
    // A still has its line, but its checkout competes with B's live hold and is refused, taking nothing.
    const lapsed = await checkOut(at(a, later), cartA).catch((e: unknown) => e);
    expect(toAppError(lapsed)).toMatchObject({ status: 409, code: 'insufficient_stock' });
    expect(await stockOf(h, 'milk-frother')).toBe(3);
    // B checks out: stock goes down by 3, its reservation is converted (deleted).
    await checkOut(at(b, plus(later, MIN)), cartB);
    expect(await stockOf(h, 'milk-frother')).toBe(0);
    expect(await held(h, cartB)).toEqual([]);
  });

  it('a checkout within the reservation always finds its units; stock + units sold = initial stock', async () => {
    await setStock(h, 'cold-brew-jar', 4);
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'cold-brew-jar', quantity: 4 });
    const other = shopper();
    const otherCart = (await openCart(other)).cartId;
    await expect(addItem(other, otherCart, { productId: 'cold-brew-jar', quantity: 1 })).rejects.toMatchObject({ code: 'insufficient_stock' });
    await checkOut(at(ctx, plus(T0, 14 * MIN)), cartId);
    expect(await stockOf(h, 'cold-brew-jar')).toBe(0);
    const [{ initial }] = await h.db.select({ initial: products.initialStock }).from(products).where(eq(products.id, 'cold-brew-jar'));
    expect(initial).toBe(4);
    expect(await held(h, cartId)).toEqual([]);
  });

  it('abandoning a cart releases its reservations; the closed cart refuses commands with 409 cart_closed', async () => {
    await setStock(h, 'pour-over-dripper', 18);
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'pour-over-dripper', quantity: 5 });
    expect(await availableOf(h, 'pour-over-dripper', T0)).toBe(13);
    const res = await abandonCart(at(ctx, plus(T0, MIN)), cartId);
    expect(res.cart.status).toBe('abandoned');
    expect(res.events).toEqual([{ type: 'CartAbandoned', version: 3 }]);
    expect(await held(h, cartId)).toEqual([]);
    expect(await availableOf(h, 'pour-over-dripper', T0)).toBe(18);
    const [row] = await h.db.select().from(carts).where(eq(carts.cartId, cartId));
    expect(row.status).toBe('abandoned');
    for (const cmd of [
      () => addItem(ctx, cartId, { productId: 'pour-over-dripper', quantity: 1 }),
      () => checkOut(ctx, cartId),
      () => abandonCart(ctx, cartId),
    ]) {
      const err = await cmd().catch((e: unknown) => e);
      expect(toAppError(err)).toMatchObject({ status: 409, code: 'cart_closed' });
      expect(toAppError(err).toBody()).toMatchObject({ error: { details: { status: 'abandoned' } } });
    }
    // Someone else's cart is not found; an admin may not abandon it.
    const other = shopper();
    const mine = (await openCart(other)).cartId;
    await expect(abandonCart(ctx, mine)).rejects.toMatchObject({ code: 'cart_not_found' });
    await expect(abandonCart({ actor: { userId: 'admin-1', role: 'admin' } }, mine)).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe.each(testDbKinds())('the sweeper on %s', (kind) => {
  let h: Handle;
  beforeAll(async () => {
    h = await setup(kind);
    // Carts of the other describe blocks are on other databases; every cart here is this block's.
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('releases lapsed reservations with a ReservationsExpired event by the system actor; the cart stays open and keeps its last activity', async () => {
    const base = new Date('2026-04-01T08:00:00.000Z');
    const ctx = shopper(base);
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'travel-tumbler', quantity: 2 });
    await addItem(at(ctx, plus(base, 10 * MIN)), cartId, { productId: 'french-press', quantity: 1 });

    // At +14 min nothing has lapsed yet.
    expect((await sweep(h.db, { now: plus(base, 14 * MIN), cartTtlSeconds: DAY_TTL })).released).toEqual([]);
    // At +16 min the tumblers' reservation lapsed, the press's has not.
    const r = await sweep(h.db, { now: plus(base, 16 * MIN), cartTtlSeconds: DAY_TTL });
    expect(r).toMatchObject({ skipped: false, released: [cartId], expired: [], failed: 0 });
    expect((await held(h, cartId)).map((x) => x.productId)).toEqual(['french-press']);
    const evs = await readStream(h.db, cartStreamId(cartId));
    expect(evs.at(-1)).toMatchObject({ type: 'ReservationsExpired', data: { productIds: ['travel-tumbler'] }, metadata: { actor: { userId: 'system', role: 'system' } } });
    const { state } = await loadCart(h.db, cartId);
    expect(state).toMatchObject({ status: 'open', itemCount: 3, updatedAt: plus(base, 10 * MIN).toISOString() });
    // A second pass at the same moment has nothing to do.
    expect((await sweep(h.db, { now: plus(base, 16 * MIN), cartTtlSeconds: DAY_TTL })).released).toEqual([]);
    expect(await typesOf(h, cartId)).toEqual(['CartOpened', 'ItemAdded', 'ItemAdded', 'ReservationsExpired']);
  });

  it('a cart left alone for CART_TTL expires (system actor), frees its stock, then refuses the shopper with 409 cart_closed', async () => {
    const base = new Date('2026-05-01T08:00:00.000Z');
    const ctx = shopper(base);
    const idle = (await openCart(ctx)).cartId;
    await addItem(ctx, idle, { productId: 'digital-scale', quantity: 3 });
    const busy = shopper(base);
    const active = (await openCart(busy)).cartId;
    await addItem(busy, active, { productId: 'digital-scale', quantity: 1 });
    // The busy shopper comes back after 20 hours.
    await changeQuantity(at(busy, plus(base, 20 * HOUR)), active, { productId: 'digital-scale', quantity: 2 });

    const now = plus(base, 24 * HOUR + MIN);
    const r = await sweep(h.db, { now, cartTtlSeconds: DAY_TTL });
    // (Carts of the test before, idle since April, expire in this pass too.)
    expect(r.expired).toContain(idle);
    expect(r.expired).not.toContain(active);
    expect(await typesOf(h, idle)).toEqual(['CartOpened', 'ItemAdded', 'CartExpired']);
    const last = (await readStream(h.db, cartStreamId(idle))).at(-1)!;
    expect(last).toMatchObject({ data: { lastActivityAt: base.toISOString(), ttlSeconds: DAY_TTL }, metadata: { actor: { userId: 'system', role: 'system' } } });
    expect(last.occurredAt).toEqual(now);
    const [row] = await h.db.select().from(carts).where(eq(carts.cartId, idle));
    expect(row).toMatchObject({ status: 'expired', version: 3 });
    expect(await held(h, idle)).toEqual([]);
    const [{ status: activeStatus }] = await h.db.select({ status: carts.status }).from(carts).where(eq(carts.cartId, active));
    expect(activeStatus).toBe('open');

    // The shopper's next command: 409 cart_closed with status expired, nothing appended.
    const err = await addItem(at(ctx, now), idle, { productId: 'digital-scale', quantity: 1 }).catch((e: unknown) => e);
    expect(toAppError(err)).toMatchObject({ status: 409, code: 'cart_closed' });
    expect(toAppError(err).toBody()).toMatchObject({ error: { details: { status: 'expired' } } });
    expect(await typesOf(h, idle)).toHaveLength(3);

    // Again later: nothing more for the expired cart; the busy one expires 24 h after its last activity.
    const later = await sweep(h.db, { now: plus(base, 44 * HOUR + MIN), cartTtlSeconds: DAY_TTL });
    expect(later.expired).toEqual([active]);
    expect((await sweep(h.db, { now: plus(base, 44 * HOUR + MIN), cartTtlSeconds: DAY_TTL })).expired).toEqual([]);
    expect(await typesOf(h, idle)).toHaveLength(3);
  });

  it('two sweepers at once expire each cart exactly once (advisory lock, and idempotent commands underneath)', async () => {
    const base = new Date('2026-06-01T08:00:00.000Z');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const ctx = shopper(base);
      const { cartId } = await openCart(ctx);
      await addItem(ctx, cartId, { productId: 'paper-filters', quantity: 1 });
      ids.push(cartId);
    }
    const now = plus(base, 25 * HOUR);
    const [r1, r2] = await Promise.all([sweep(h.db, { now, cartTtlSeconds: DAY_TTL }), sweep(h.db, { now, cartTtlSeconds: DAY_TTL })]);
    const expired = [...r1.expired, ...r2.expired];
    expect(expired.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    expect(new Set(expired).size).toBe(expired.length);
    expect(r1.failed + r2.failed).toBe(0);
    const rows = await h.db
      .select({ streamId: events.streamId, n: sql<number>`count(*)::int` })
      .from(events)
      .where(and(eq(events.type, 'CartExpired'), sql`${events.streamId} in (${sql.join(ids.map((id) => sql`${cartStreamId(id)}`), sql`, `)})`))
      .groupBy(events.streamId);
    expect(rows).toHaveLength(ids.length);
    for (const r of rows) expect(Number(r.n)).toBe(1);
  });
});

// Row-lock contention exists only between connections of a real server.
if (process.env.TEST_DATABASE_URL) {
  describe('reservations under concurrency on postgres', () => {
    let h: Handle;
    beforeAll(async () => {
      h = await setup('postgres', 40);
    });
    afterAll(async () => {
      setDbHandle(undefined);
      await h?.drop();
    });

    it('30 carts race for the last 7 units: exactly 7 reserved, never oversold, the losers get 409 insufficient_stock', async () => {
      await setStock(h, 'hand-grinder', 7);
      const shoppers = Array.from({ length: 30 }, () => shopper());
      const cartIds = await Promise.all(shoppers.map(async (ctx) => (await openCart(ctx)).cartId));
      const results = await Promise.allSettled(shoppers.map((ctx, i) => addItem(ctx, cartIds[i], { productId: 'hand-grinder', quantity: 1 })));
      const won = results.filter((r) => r.status === 'fulfilled').length;
      expect(won).toBe(7);
      for (const r of results) {
        if (r.status === 'rejected') expect(toAppError(r.reason)).toMatchObject({ status: 409, code: 'insufficient_stock' });
      }
      await expectNoOverReservation(h, T0);
      expect(await availableOf(h, 'hand-grinder', T0)).toBe(0);

      // Every winner checks out at once: all succeed, stock lands on 0, stock + sold = initial.
      const winners = cartIds.filter((_, i) => results[i].status === 'fulfilled');
      const outs = await Promise.allSettled(winners.map((id) => checkOut(shoppers[cartIds.indexOf(id)], id)));
      expect(outs.filter((o) => o.status === 'fulfilled')).toHaveLength(7);
      expect(await stockOf(h, 'hand-grinder')).toBe(0);
      const sold = await h.db.execute(sql`
        select coalesce(sum((l ->> 'quantity')::int), 0)::int as n from orders o, jsonb_array_elements(o.items) l where l ->> 'productId' = 'hand-grinder'`);
      expect((Array.isArray(sold) ? sold : (sold as unknown as { rows: { n: number }[] }).rows)[0]).toMatchObject({ n: 7 });
      expect(await h.db.select().from(reservations).where(eq(reservations.productId, 'hand-grinder'))).toEqual([]);
    });

    /** Holds the product's row lock in a transaction of its own until `during` has run and `waiters` commands queue on it. */
    async function withProductLocked(id: string, waiters: number, during: () => void, then: (tx: typeof h.db) => Promise<unknown> = async () => {}) {
      await h.db.transaction(async (tx) => {
        await tx.select({ id: products.id }).from(products).where(eq(products.id, id)).for('update');
        during();
        const deadline = Date.now() + 10_000;
        for (;;) {
          const rows = await h.db.execute(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
          if ((rows as unknown as { n: number }[])[0].n >= waiters) break;
          if (Date.now() > deadline) throw new Error(`never saw ${waiters} commands wait for the lock on ${id}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        await then(tx);
      });
    }

    it('a command that read the product before a price change committed checks again under the lock and runs again at the new price', async () => {
      await setStock(h, 'filter-roast', 50);
      const ctx = shopper();
      const { cartId } = await openCart(ctx);
      const before = await priceOf(h, 'filter-roast');
      let adding!: ReturnType<typeof addItem>;
      await withProductLocked('filter-roast', 1, () => {
        adding = addItem(ctx, cartId, { productId: 'filter-roast', quantity: 1 }); // reads the old price, then waits in its check
      }, (tx) => tx.update(products).set({ priceCents: before + 100 }).where(eq(products.id, 'filter-roast')));
      try {
        const r = await adding;
        expect(r.version).toBe(2);
        expect(r.cart.items).toMatchObject([{ productId: 'filter-roast', unitPriceCents: before + 100, quantity: 1 }]);
        expect(await typesOf(h, cartId)).toEqual(['CartOpened', 'ItemAdded']);
      } finally {
        await h.db.update(products).set({ priceCents: before }).where(eq(products.id, 'filter-roast'));
      }
    });

    it('two carts that both read the last unit as available: the check under the lock lets one reserve it, the other gets 409 insufficient_stock', async () => {
      await setStock(h, 'pour-over-dripper', 1);
      const [a, b] = [shopper(), shopper()];
      const [ca, cb] = [(await openCart(a)).cartId, (await openCart(b)).cartId];
      let adding: Promise<PromiseSettledResult<unknown>[]> | undefined;
      await withProductLocked('pour-over-dripper', 2, () => {
        adding = Promise.allSettled([addItem(a, ca, { productId: 'pour-over-dripper', quantity: 1 }), addItem(b, cb, { productId: 'pour-over-dripper', quantity: 1 })]);
      });
      const results = await adding!;
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(toAppError(lost.reason)).toMatchObject({ status: 409, code: 'insufficient_stock' });
      const loser = results[0].status === 'rejected' ? ca : cb;
      expect(await typesOf(h, loser)).toEqual(['CartOpened']); // the rolled-back attempt left nothing
      expect(await held(h, loser)).toEqual([]);
      await expectNoOverReservation(h, T0);
    });

    it('while another app server holds the sweeper lock, a sweep skips instead of waiting, and expires nothing', async () => {
      const ctx = shopper(T0);
      const { cartId } = await openCart(ctx);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = h.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(727003, hashtext('cart-sweeper'))`);
        locked();
        await released;
      });
      await isLocked;
      const r = await sweep(h.db, { now: plus(T0, 48 * HOUR), cartTtlSeconds: DAY_TTL });
      release();
      await holder;
      expect(r).toEqual({ skipped: true, expired: [], released: [], failed: 0 });
      expect(await typesOf(h, cartId)).toEqual(['CartOpened']);
      expect((await sweep(h.db, { now: plus(T0, 48 * HOUR), cartTtlSeconds: DAY_TTL })).expired).toContain(cartId);
    });

    it('mixed quantities, raises and lapsed checkouts interleaved: live holds never exceed stock, stock never negative', async () => {
      await setStock(h, 'decaf-beans', 10);
      const later = plus(T0, 16 * MIN);
      // Five carts whose reservations will have lapsed by `later`, holding 2 each (all 10).
      const stale = Array.from({ length: 5 }, () => shopper());
      const staleCarts = await Promise.all(
        stale.map(async (ctx) => {
          const { cartId } = await openCart(ctx);
          await addItem(ctx, cartId, { productId: 'decaf-beans', quantity: 2 });
          return cartId;
        }),
      );
      // At `later`: 15 fresh carts add 1..3 while the stale carts try to check out and to raise their lines.
      const fresh = Array.from({ length: 15 }, () => shopper(later));
      const freshCarts = await Promise.all(fresh.map(async (ctx) => (await openCart(ctx)).cartId));
      const ops: Promise<unknown>[] = [
        ...fresh.map((ctx, i) => addItem(ctx, freshCarts[i], { productId: 'decaf-beans', quantity: 1 + (i % 3) })),
        ...stale.map((ctx, i) => (i % 2 ? checkOut(at(ctx, later), staleCarts[i]) : changeQuantity(at(ctx, later), staleCarts[i], { productId: 'decaf-beans', quantity: 3 }))),
      ];
      const results = await Promise.allSettled(ops);
      for (const r of results) {
        if (r.status === 'rejected') expect(toAppError(r.reason)).toMatchObject({ status: 409, code: 'insufficient_stock' });
      }
      await expectNoOverReservation(h, later);
      const stock = await stockOf(h, 'decaf-beans');
      expect(stock).toBeGreaterThanOrEqual(0);
      const sold = await h.db.execute(sql`
        select coalesce(sum((l ->> 'quantity')::int), 0)::int as n from orders o, jsonb_array_elements(o.items) l where l ->> 'productId' = 'decaf-beans'`);
      const n = (Array.isArray(sold) ? sold : (sold as unknown as { rows: { n: number }[] }).rows)[0] as { n: number };
      expect(stock + n.n).toBe(10);
      // Something on each side got through, and at least one was refused: it was a real race.
      expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
      expect(results.some((r) => r.status === 'rejected')).toBe(true);
    });
  });
}
