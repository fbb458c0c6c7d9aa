import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { carts, events } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds, type TestDbKind } from '@/server/testing/db';
import { readStream, type Actor } from '../eventstore';
import { cartStreamId, MAX_QUANTITY } from './events';
import { addItem, ensureOpenCart, loadCart, type CommandContext } from './handler';
import { getCartHistory } from './history';
import { mergeGuestCarts } from './merge';
import { getCart } from './queries';

// The guest-cart merge on sign-in against a real database (PGlite, and PostgreSQL when
// TEST_DATABASE_URL is set): both events in one transaction, read models, who may read what afterwards.

// The sign-in hook reads and clears the guest cookie: a tiny cookie jar stands in for next/headers.
const jar = vi.hoisted(() => new Map<string, string>());
vi.mock('next/headers', () => ({
  headers: async () => new Headers(),
  cookies: async () => ({
    get: (name: string) => (jar.has(name) ? { name, value: jar.get(name) } : undefined),
    has: (name: string) => jar.has(name),
    set: (name: string, value: string, o?: { maxAge?: number }) => (o?.maxAge === 0 ? jar.delete(name) : jar.set(name, value)),
  }),
}));

type Handle = DbHandle & { drop: () => Promise<void> };

let n = 0;
const newGuest = (): CommandContext => ({
  actor: { userId: `guest_00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, role: 'guest' },
});
const newShopper = (): CommandContext => ({ actor: { userId: `merge-shopper-${++n}`, role: 'shopper' } });

async function fill(ctx: CommandContext, lines: [string, number][]): Promise<string> {
  const cartId = await ensureOpenCart(ctx);
  for (const [productId, quantity] of lines) await addItem(ctx, cartId, { productId, quantity });
  return cartId;
}

const typesOf = async (cartId: string) => (await readStream(h.db, cartStreamId(cartId))).map((e) => e.type);
const qty = (cart: { items: { productId: string; quantity: number }[] }) => Object.fromEntries(cart.items.map((l) => [l.productId, l.quantity]));

async function expectReadModelMatchesEvents(cartId: string) {
  const { state } = await loadCart(h.db, cartId);
  const [row] = await h.db.select().from(carts).where(eq(carts.cartId, cartId));
  expect({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() }).toEqual(state);
}

let h: Handle;

describe.each(testDbKinds())('guest cart merge on %s', (kind: TestDbKind) => {
  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('merges the guest lines into the open cart: one event in each cart, one correlation id, read models follow', async () => {
    const guest = newGuest();
    const shopper = newShopper();
    const guestCart = await fill(guest, [
      ['espresso-beans', 2],
      ['ceramic-mug', 1],
    ]);
    const shopperCart = await fill(shopper, [['espresso-beans', 1]]);

    const [outcome, ...more] = await mergeGuestCarts(shopper.actor, guest.actor.userId, { correlationId: 'corr-merge-1' });
    expect(more).toEqual([]);
    expect(outcome).toMatchObject({ fromCartId: guestCart, intoCartId: shopperCart, capped: [] });

    const into = await getCart(shopper.actor, shopperCart);
    expect(qty(into)).toEqual({ 'espresso-beans': 3, 'ceramic-mug': 1 });
    expect(await typesOf(shopperCart)).toEqual(['CartOpened', 'ItemAdded', 'GuestCartMerged']);
    expect(await typesOf(guestCart)).toEqual(['CartOpened', 'ItemAdded', 'ItemAdded', 'CartMergedInto']);

    const [merged] = (await readStream(h.db, cartStreamId(shopperCart))).slice(-1);
    const [mergedInto] = (await readStream(h.db, cartStreamId(guestCart))).slice(-1);
    expect(merged.data).toMatchObject({ fromCartId: guestCart, guestId: guest.actor.userId });
    expect(mergedInto.data).toMatchObject({ intoCartId: shopperCart, userId: shopper.actor.userId });
    // Who did what: the guest handed its cart over, the shopper took it in, in answer to one request.
    expect(merged.metadata).toMatchObject({ actor: shopper.actor, correlationId: 'corr-merge-1' });
    expect(mergedInto.metadata).toMatchObject({ actor: guest.actor, correlationId: 'corr-merge-1' });
    expect(merged.transactionId).toBe(mergedInto.transactionId);

    await expectReadModelMatchesEvents(shopperCart);
    await expectReadModelMatchesEvents(guestCart);
    // The closed guest cart is now the shopper's to read (history included); the guest's no more.
    const closed = await getCart(shopper.actor, guestCart);
    expect(closed).toMatchObject({ status: 'merged', userId: shopper.actor.userId, itemCount: 3 });
    const history = await getCartHistory(shopper.actor, guestCart);
    expect(history.entries[0].view.title).toMatch(/^Merged into cart /);
    expect(history.entries[0].actorName).toBe('Guest');
    await expect(getCart(guest.actor, guestCart)).rejects.toMatchObject({ status: 404 });
    await expect(getCart(newShopper().actor, guestCart)).rejects.toMatchObject({ status: 404 });
  });

  it('merging twice is idempotent: the second finds the guest cart closed and writes nothing', async () => {
    const guest = newGuest();
    const shopper = newShopper();
    await fill(guest, [['paper-filters', 2]]);
    await fill(shopper, [['ceramic-mug', 1]]);
    expect(await mergeGuestCarts(shopper.actor, guest.actor.userId)).toHaveLength(1);
    const before = (await h.db.select({ n: count() }).from(events))[0].n;
    expect(await mergeGuestCarts(shopper.actor, guest.actor.userId)).toEqual([]);
    expect((await h.db.select({ n: count() }).from(events))[0].n).toBe(before);
  });

  it('a shopper without an open cart gets one, opened in the same transaction', async () => {
    const guest = newGuest();
    const shopper = newShopper();
    const guestCart = await fill(guest, [['ceramic-mug', 2]]);
    const [outcome] = await mergeGuestCarts(shopper.actor, guest.actor.userId);
    expect(await typesOf(outcome.intoCartId)).toEqual(['CartOpened', 'GuestCartMerged']);
    expect(qty(await getCart(shopper.actor, outcome.intoCartId))).toEqual({ 'ceramic-mug': 2 });
    expect((await getCart(shopper.actor, guestCart)).status).toBe('merged');
  });

  it(`quantities in both carts add up to at most ${MAX_QUANTITY}; what did not fit is in the event`, async () => {
    const guest = newGuest();
    const shopper = newShopper();
    await fill(guest, [['paper-filters', 30]]);
    const shopperCart = await fill(shopper, [['paper-filters', 80]]);
    const [outcome] = await mergeGuestCarts(shopper.actor, guest.actor.userId);
    expect(outcome.capped).toEqual([{ productId: 'paper-filters', name: expect.any(String), requested: 30, merged: 19, reason: 'quantity_limit' }]);
    expect(qty(await getCart(shopper.actor, shopperCart))).toEqual({ 'paper-filters': MAX_QUANTITY });
  });

  it('an empty guest cart, or a guest with no cart, merges nothing and opens nothing', async () => {
    const guest = newGuest();
    const shopper = newShopper();
    const guestCart = await ensureOpenCart(guest);
    expect(await mergeGuestCarts(shopper.actor, guest.actor.userId)).toEqual([]);
    expect(await mergeGuestCarts(shopper.actor, newGuest().actor.userId)).toEqual([]);
    expect(await h.db.select().from(carts).where(eq(carts.userId, shopper.actor.userId))).toEqual([]);
    expect((await getCart(guest.actor, guestCart)).status).toBe('open');
  });

  it('is atomic: a failure after the first append leaves both carts as they were', async () => {
    const guest = newGuest();
    const shopper = newShopper();
    const guestCart = await fill(guest, [['espresso-beans', 1]]);
    const shopperCart = await fill(shopper, [['ceramic-mug', 1]]);
    let calls = 0;
    const now = () => {
      // The clock is read once per append: the shopper's append succeeds, the guest's then fails.
      if (++calls === 2) throw new Error('boom between the two appends');
      return new Date();
    };
    await expect(mergeGuestCarts(shopper.actor, guest.actor.userId, { now })).rejects.toThrow('boom');
    expect(await typesOf(shopperCart)).toEqual(['CartOpened', 'ItemAdded']);
    expect(await typesOf(guestCart)).toEqual(['CartOpened', 'ItemAdded']);
    expect((await getCart(shopper.actor, shopperCart)).itemCount).toBe(1);
    expect((await getCart(guest.actor, guestCart)).status).toBe('open');
  });

  it('two sign-ins at once (two tabs) merge once', async () => {
    const guest = newGuest();
    const shopper = newShopper();
    const guestCart = await fill(guest, [['espresso-beans', 2]]);
    const shopperCart = await fill(shopper, [['ceramic-mug', 1]]);
    const results = await Promise.all([1, 2, 3].map(() => mergeGuestCarts(shopper.actor, guest.actor.userId)));
    expect(results.map((r) => r.length).sort()).toEqual([0, 0, 1]);
    expect((await typesOf(shopperCart)).filter((t) => t === 'GuestCartMerged')).toHaveLength(1);
    expect((await typesOf(guestCart)).filter((t) => t === 'CartMergedInto')).toHaveLength(1);
    expect(qty(await getCart(shopper.actor, shopperCart))).toEqual({ 'ceramic-mug': 1, 'espresso-beans': 2 });
  });

  it('the sign-in hook merges the browser’s guest cart and forgets the guest; with no guest cookie it does nothing', async () => {
    const { mergeGuestOnSignIn } = await import('../guest/sign-in');
    const guest = newGuest();
    const shopper = newShopper();
    const guestCart = await fill(guest, [['ceramic-mug', 1]]);
    jar.clear();
    jar.set('eventcart-guest', guest.actor.userId);
    await mergeGuestOnSignIn({ id: shopper.actor.userId, role: 'shopper' });
    expect(jar.size).toBe(0);
    expect((await getCart(shopper.actor, guestCart)).status).toBe('merged');

    const other: Actor = newShopper().actor;
    await mergeGuestOnSignIn({ id: other.userId, role: 'shopper' });
    expect(await h.db.select().from(carts).where(eq(carts.userId, other.userId))).toEqual([]);
  });
});
