import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { events } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createLimiters, readRateLimitEnv, setLimitersForTest } from '@/server/http/rate-limit';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import type { SignedInUser } from '../auth';
import { addToCartAction, changeQuantityAction, checkoutAction, removeItemAction, type CartActionResult } from './actions';
import { cartStreamId } from './events';
import { addItem, openCart } from './handler';

// The authorisation matrix of the cart's server actions: signed out / owner / other shopper / admin x
// every action, on a real database. Only the session lookup is replaced (who is signed in), and
// revalidatePath, which needs a Next request around it.

const session = vi.hoisted(() => ({ user: null as SignedInUser | null }));
vi.mock('../auth', () => ({ currentUser: async () => session.user }));
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
// The request's headers: the client address the rate limits count by; and the browser's cookies (the guest id).
const jar = vi.hoisted(() => new Map<string, string>());
vi.mock('next/headers', () => ({
  headers: async () => new Headers({ 'x-forwarded-for': '127.0.0.1' }),
  cookies: async () => ({
    get: (name: string) => (jar.has(name) ? { name, value: jar.get(name) } : undefined),
    has: (name: string) => jar.has(name),
    set: (name: string, value: string, o?: { maxAge?: number }) => (o?.maxAge === 0 ? jar.delete(name) : jar.set(name, value)),
  }),
}));

// 'signed out' is a browser without cookies; 'guest' one holding the guest cookie of a guest cart of its own.
type Who = 'signed out' | 'guest' | 'alice (owner)' | 'bob (other shopper)' | 'admin';
const WHO: Who[] = ['signed out', 'guest', 'alice (owner)', 'bob (other shopper)', 'admin'];
const GUEST_ID = 'guest_00000000-0000-4000-8000-000000000001';
const users: Record<Exclude<Who, 'signed out' | 'guest'>, SignedInUser> = {
  'alice (owner)': { userId: 'user-alice', role: 'shopper', name: 'Alice', email: 'alice@example.com' },
  'bob (other shopper)': { userId: 'user-bob', role: 'shopper', name: 'Bob', email: 'bob@example.com' },
  admin: { userId: 'user-admin', role: 'admin', name: 'Admin', email: 'admin@example.com' },
};
const alice = { actor: { userId: 'user-alice', role: 'shopper' as const } };

type Row = {
  action: string;
  call: (cartId: string) => Promise<CartActionResult>;
  expected: Record<Who, string>;
};

const PRODUCT = 'paper-filters';
const denied = { 'signed out': 'unauthorized', guest: 'cart_not_found', 'bob (other shopper)': 'cart_not_found', admin: 'forbidden' } as const;

const rows: Row[] = [
  {
    action: `addToCartAction('${PRODUCT}', 1)`,
    call: () => addToCartAction(PRODUCT, 1, '/'),
    // No cart id: everyone adds to their own open cart, never to alice's; signed out, a new guest's.
    expected: {
      'signed out': 'ok: cart of a new guest',
      guest: 'ok: cart of the guest',
      'alice (owner)': 'ok: cart of user-alice',
      'bob (other shopper)': 'ok: cart of user-bob',
      admin: 'ok: cart of user-admin',
    },
  },
  {
    action: `changeQuantityAction(aliceCart, '${PRODUCT}', 3)`,
    call: (cartId) => changeQuantityAction(cartId, PRODUCT, 3),
    expected: { ...denied, 'alice (owner)': 'ok: cart of user-alice' },
  },
  {
    action: `removeItemAction(aliceCart, '${PRODUCT}')`,
    call: (cartId) => removeItemAction(cartId, PRODUCT),
    expected: { ...denied, 'alice (owner)': 'ok: cart of user-alice' },
  },
  {
    action: 'checkoutAction(aliceCart)',
    call: (cartId) => checkoutAction(cartId),
    // Guests sign in to check out.
    expected: { ...denied, guest: 'unauthorized', 'alice (owner)': 'ok: cart of user-alice, order placed' },
  },
  {
    // Input is checked before anything else, for everyone.
    action: "changeQuantityAction('not-a-uuid', …, 3)",
    call: () => changeQuantityAction('not-a-uuid', PRODUCT, 3),
    expected: { 'signed out': 'invalid_input', guest: 'invalid_input', 'alice (owner)': 'invalid_input', 'bob (other shopper)': 'invalid_input', admin: 'invalid_input' },
  },
];

/** What happened, as one short string: the result's owner or error code, or where it redirected. */
async function observe(fn: () => Promise<CartActionResult>): Promise<string> {
  try {
    const r = await fn();
    if (!r.ok) return r.error.code;
    const owner = r.cart.userId === GUEST_ID ? 'the guest' : r.cart.userId.startsWith('guest_') ? 'a new guest' : r.cart.userId;
    return `ok: cart of ${owner}${r.orderId ? ', order placed' : ''}`;
  } catch (e) {
    const digest = (e as { digest?: string }).digest;
    if (typeof digest === 'string' && digest.startsWith('NEXT_REDIRECT')) return `→ ${digest.split(';')[2]}`;
    throw e;
  }
}

describe.each(testDbKinds())('cart server actions: who may do what, on %s', (kind) => {
  let h: DbHandle & { drop: () => Promise<void> };
  const table: Record<string, Record<Who, string>> = {};

  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
  });
  afterAll(async () => {
    session.user = null;
    setDbHandle(undefined);
    await h?.drop();
    console.table(table);
  });

  const eventsOf = async (cartId: string) =>
    (await h.db.select({ n: count() }).from(events).where(eq(events.streamId, cartStreamId(cartId))))[0].n;
  const allEvents = async () => (await h.db.select({ n: count() }).from(events))[0].n;

  for (const row of rows) {
    it(row.action, async () => {
      // A fresh cart of alice's holding one line; it is her most recently changed open cart.
      const { cartId } = await openCart(alice);
      await addItem(alice, cartId, { productId: PRODUCT, quantity: 2 });
      table[row.action] = {} as Record<Who, string>;

      // The owner goes last, so every refusal is checked against an untouched cart.
      for (const who of ['signed out', 'guest', 'bob (other shopper)', 'admin', 'alice (owner)'] as Who[]) {
        session.user = who === 'signed out' || who === 'guest' ? null : users[who];
        jar.clear();
        if (who === 'guest') jar.set('eventcart-guest', GUEST_ID);
        const [cartBefore, allBefore] = [await eventsOf(cartId), await allEvents()];
        const actual = await observe(() => row.call(cartId));
        table[row.action][who] = actual;
        expect.soft(actual, `${row.action} as ${who}`).toBe(row.expected[who]);
        const [cartAfter, allAfter] = [await eventsOf(cartId), await allEvents()];
        if (!actual.startsWith('ok')) {
          expect.soft(allAfter, `${row.action} as ${who} was refused and wrote no event anywhere`).toBe(allBefore);
        } else if (who !== 'alice (owner)') {
          expect.soft(cartAfter, `${row.action} as ${who} left alice's cart alone`).toBe(cartBefore);
        } else if (row.action !== rows.at(-1)!.action) {
          expect.soft(cartAfter, `${row.action} as the owner wrote to her cart`).toBeGreaterThan(cartBefore);
        }
      }
      table[row.action] = Object.fromEntries(WHO.map((w) => [w, table[row.action][w]])) as Record<Who, string>;
    });
  }
});

describe.each(testDbKinds())('cart server actions: rate limits, on %s', (kind) => {
  let h: DbHandle & { drop: () => Promise<void> };
  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
  });
  afterAll(async () => {
    session.user = null;
    setLimitersForTest(undefined);
    setDbHandle(undefined);
    await h?.drop();
  });

  it('over RATE_LIMIT_COMMANDS a command answers rate_limited with the wait, and writes nothing', async () => {
    setLimitersForTest(createLimiters(readRateLimitEnv({ RATE_LIMIT_COMMANDS: '3/60' })));
    session.user = users['alice (owner)'];
    for (let i = 0; i < 3; i++) expect((await addToCartAction(PRODUCT, 1, '/')).ok).toBe(true);
    const before = (await h.db.select({ n: count() }).from(events))[0].n;
    const refused = await addToCartAction(PRODUCT, 1, '/');
    expect(refused).toEqual({
      ok: false,
      error: { code: 'rate_limited', message: 'Too many attempts; try again in 60 s.', retryAfterSeconds: 60 },
    });
    expect((await h.db.select({ n: count() }).from(events))[0].n).toBe(before);
    // Bob counts separately per user, but shares alice's address here (127.0.0.1): 3 commands from it already.
    session.user = users['bob (other shopper)'];
    const bob = await addToCartAction(PRODUCT, 1, '/');
    expect(bob.ok ? 'ok' : bob.error.code).toBe('rate_limited');
  });
});
