import { describe, expect, it } from 'vitest';
import { decide, type CartCommand, type ProductSnapshot } from './decide';
import { CartError } from './errors';
import type { CartEvent, CartEventEnvelope } from './events';
import { evolve, fold, type CartState } from './evolve';

// Decider rules of reservations, abandonment and expiry (docs/reservations.md), given / when / then.

const at = (version: number) => new Date(Date.UTC(2025, 0, 1, 9, 0, 0) + version * 60_000).toISOString();
const UNTIL = '2025-01-01T09:30:00.000Z';

const frother: ProductSnapshot = { productId: 'milk-frother', name: 'Milk frother', unitPriceCents: 2900, currency: 'EUR', stock: 3 };
const beans: ProductSnapshot = { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, currency: 'EUR', stock: 40 };
const heldByOthers = (p: ProductSnapshot, reservedByOthers: number): ProductSnapshot => ({ ...p, reservedByOthers });

const opened: CartEvent = { type: 'CartOpened', data: { cartId: 'cart-1', userId: 'user-1', currency: 'EUR' } };
const added = (p: ProductSnapshot, quantity: number, reservedUntil?: string): CartEvent => ({
  type: 'ItemAdded',
  data: { productId: p.productId, name: p.name, unitPriceCents: p.unitPriceCents, quantity, ...(reservedUntil ? { reservedUntil } : {}) },
});

const stamp = (events: CartEvent[], from = 1): CartEventEnvelope[] => events.map((e, i) => ({ ...e, version: from + i, occurredAt: at(from + i) }));
const given = (events: CartEvent[]) => fold(stamp(events));

function fails(command: CartCommand, state: CartState | null): CartError {
  try {
    decide(command, state);
  } catch (e) {
    expect(e).toBeInstanceOf(CartError);
    return e as CartError;
  }
  throw new Error('expected a CartError');
}

const add = (p: ProductSnapshot, quantity: number, reservedUntil?: string): CartCommand => ({
  type: 'AddItem',
  data: { productId: p.productId, quantity, product: p, ...(reservedUntil ? { reservedUntil } : {}) },
});
const change = (p: ProductSnapshot, quantity: number, reservedUntil?: string): CartCommand => ({
  type: 'ChangeQuantity',
  data: { productId: p.productId, quantity, product: p, ...(reservedUntil ? { reservedUntil } : {}) },
});
const checkOut = (...products: ProductSnapshot[]): CartCommand => ({
  type: 'CheckOut',
  data: { orderId: 'ord_0000000000000001', products: Object.fromEntries(products.map((p) => [p.productId, p])) },
});
const abandon: CartCommand = { type: 'AbandonCart', data: {} };
const expire = (inactiveBefore: string, ttlSeconds = 86_400): CartCommand => ({ type: 'ExpireCart', data: { inactiveBefore, ttlSeconds } });
const expireReservations = (...productIds: string[]): CartCommand => ({ type: 'ExpireReservations', data: { productIds } });

describe('decide: reserving stock', () => {
  it('AddItem carries reservedUntil from the command: the whole line is held until then', () => {
    expect(decide(add(frother, 2, UNTIL), given([opened]))).toEqual([added(frother, 2, UNTIL)]);
  });

  it('AddItem counts only stock minus what other carts hold', () => {
    const err = fails(add(heldByOthers(frother, 2), 2, UNTIL), given([opened]));
    expect(err.code).toBe('insufficient_stock');
    expect(err.details).toEqual({ productId: 'milk-frother', available: 1, requested: 2 });
    expect(err.message).toBe('Only 1 of Milk frother available; 2 requested.');
    expect(decide(add(heldByOthers(frother, 2), 1, UNTIL), given([opened]))).toEqual([added(frother, 1, UNTIL)]);
  });

  it('AddItem: the last unit held by another cart is out of stock for this one', () => {
    const err = fails(add(heldByOthers(frother, 3), 1, UNTIL), given([opened]));
    expect(err.message).toBe('Milk frother is out of stock.');
    expect(err.details).toMatchObject({ available: 0 });
  });

  it('AddItem checks the whole line (what the cart has plus the new units) against the available stock', () => {
    const state = given([opened, added(frother, 1, UNTIL)]);
    expect(fails(add(heldByOthers(frother, 1), 2, UNTIL), state).details).toEqual({ productId: 'milk-frother', available: 2, requested: 3 });
    expect(decide(add(heldByOthers(frother, 1), 1, UNTIL), state)).toEqual([added(frother, 1, UNTIL)]);
  });

  it('more held by others than in stock (stock lowered meanwhile) reads as 0 available, never negative', () => {
    expect(fails(add(heldByOthers(frother, 5), 1), given([opened])).details).toMatchObject({ available: 0 });
  });

  it('ChangeQuantity up re-reserves the whole line with a new reservedUntil, checked against the available stock', () => {
    const state = given([opened, added(frother, 1, UNTIL)]);
    expect(decide(change(heldByOthers(frother, 1), 2, UNTIL), state)).toEqual([
      { type: 'ItemQuantityChanged', data: { productId: 'milk-frother', from: 1, to: 2, reservedUntil: UNTIL } },
    ]);
    expect(fails(change(heldByOthers(frother, 1), 3, UNTIL), state).details).toEqual({ productId: 'milk-frother', available: 2, requested: 3 });
  });

  it('ChangeQuantity down frees units: never refused for stock, and takes no new reservation', () => {
    const state = given([opened, added(frother, 3, UNTIL)]);
    expect(decide(change(heldByOthers({ ...frother, stock: 0 }, 9), 1, UNTIL), state)).toEqual([
      { type: 'ItemQuantityChanged', data: { productId: 'milk-frother', from: 3, to: 1 } },
    ]);
  });

  it('CheckOut re-checks every line against stock minus what other carts hold (a lapsed reservation may have been taken)', () => {
    const state = given([opened, added(frother, 2, UNTIL), added(beans, 1, UNTIL)]);
    const err = fails(checkOut(heldByOthers(frother, 2), beans), state);
    expect(err.code).toBe('insufficient_stock');
    expect(err.details).toEqual({ productId: 'milk-frother', available: 1, requested: 2 });
    // Its own lapsed reservation does not count against it: others hold 1 of 3, the cart's 2 still fit.
    expect(decide(checkOut(heldByOthers(frother, 1), beans), state)[0].type).toBe('CartCheckedOut');
  });

  it('CheckOut of a line under a live reservation needs only the stock (stock lowered below what carts hold: first come, first served)', () => {
    const state = given([opened, added(frother, 2, UNTIL)]);
    const lowered = { ...frother, stock: 2, reservedByOthers: 3 };
    expect(decide(checkOut({ ...lowered, heldByThisCart: 2 }), state)[0].type).toBe('CartCheckedOut');
    // A hold smaller than the line (not possible from events, but the rule is per line) does not count.
    expect(fails(checkOut({ ...lowered, heldByThisCart: 1 }), state).details).toMatchObject({ available: 0, requested: 2 });
    expect(fails(checkOut({ ...frother, stock: 1, heldByThisCart: 2 }), state).details).toMatchObject({ available: 1, requested: 2 });
  });

  it("CheckOut of a held line still leaves other carts' placed orders their units (they leave the shelf at the order's stock step)", () => {
    const state = given([opened, added(frother, 2, UNTIL)]);
    const lowered = { ...frother, stock: 3, reservedByOthers: 3, heldByThisCart: 2 };
    expect(decide(checkOut({ ...lowered, heldForOrders: 1 }), state)[0].type).toBe('CartCheckedOut');
    expect(fails(checkOut({ ...lowered, heldForOrders: 2 }), state).details).toEqual({ productId: 'milk-frother', available: 1, requested: 2 });
  });
});

describe('decide: abandoning a cart', () => {
  it('an open cart (empty or not) is abandoned; the state says so', () => {
    expect(decide(abandon, given([opened]))).toEqual([{ type: 'CartAbandoned', data: {} }]);
    const events = [opened, added(beans, 1, UNTIL), { type: 'CartAbandoned', data: {} } as CartEvent];
    expect(given(events)).toMatchObject({ status: 'abandoned', version: 3, updatedAt: at(3), orderId: null, itemCount: 1 });
  });

  it('an abandoned cart refuses every command with cart_closed (status abandoned)', () => {
    const state = given([opened, added(beans, 1, UNTIL), { type: 'CartAbandoned', data: {} }]);
    for (const c of [add(beans, 1), change(beans, 2), { type: 'RemoveItem', data: { productId: 'espresso-beans' } } as CartCommand, checkOut(beans), abandon]) {
      const err = fails(c, state);
      expect({ code: err.code, kind: err.kind, details: err.details }).toEqual({
        code: 'cart_closed',
        kind: 'conflict',
        details: { status: 'abandoned', orderId: null },
      });
      expect(err.message).toBe('This cart was abandoned and can no longer change.');
    }
  });

  it('a checked-out cart cannot be abandoned; a missing one is not found', () => {
    const done = given([opened, added(beans, 1), decide(checkOut(beans), given([opened, added(beans, 1)]))[0]]);
    expect(fails(abandon, done).code).toBe('cart_closed');
    expect(fails(abandon, null).code).toBe('cart_not_found');
  });
});

describe('decide: expiring a cart (the sweeper)', () => {
  const state = given([opened, added(beans, 1, UNTIL)]); // last activity at(2)

  it('a cart inactive since before the cut-off expires, recording its last activity and the TTL', () => {
    expect(decide(expire(at(3), 60), state)).toEqual([{ type: 'CartExpired', data: { lastActivityAt: at(2), ttlSeconds: 60 } }]);
    const after = evolve(state, { type: 'CartExpired', data: { lastActivityAt: at(2), ttlSeconds: 60 }, version: 3, occurredAt: at(9) });
    expect(after).toMatchObject({ status: 'expired', version: 3, updatedAt: at(9) });
    expect(fails(add(beans, 1), after)).toMatchObject({ code: 'cart_closed', details: { status: 'expired', orderId: null } });
    expect(fails(abandon, after).message).toBe('This cart expired after a long time without activity and can no longer change.');
  });

  it('a cart touched at or after the cut-off is left alone (a shopper command won the race)', () => {
    expect(decide(expire(at(2)), state)).toEqual([]);
    expect(decide(expire(at(1)), state)).toEqual([]);
  });

  it('expiring is idempotent: a cart already closed yields nothing (two sweepers, or checked out meanwhile)', () => {
    const expired = given([opened, added(beans, 1, UNTIL), { type: 'CartExpired', data: { lastActivityAt: at(2), ttlSeconds: 60 } }]);
    expect(decide(expire(at(9)), expired)).toEqual([]);
    const abandoned = given([opened, { type: 'CartAbandoned', data: {} }]);
    expect(decide(expire(at(9)), abandoned)).toEqual([]);
    expect(fails(expire(at(9)), null).code).toBe('cart_not_found');
  });
});

describe('decide: releasing lapsed reservations (the sweeper)', () => {
  const state = given([opened, added(beans, 1, UNTIL), added(frother, 2, UNTIL)]);

  it('names the lapsed lines the cart still has; the lines stay, last activity does not move', () => {
    const events = decide(expireReservations('milk-frother', 'ceramic-mug'), state);
    expect(events).toEqual([{ type: 'ReservationsExpired', data: { productIds: ['milk-frother'] } }]);
    const after = evolve(state, { ...events[0], version: 4, occurredAt: at(30) } as CartEventEnvelope);
    expect(after).toEqual({ ...state, version: 4 });
    expect(after.updatedAt).toBe(at(3));
  });

  it('nothing lapsed, only lines no longer in the cart, or a closed cart: no event', () => {
    expect(decide(expireReservations(), state)).toEqual([]);
    expect(decide(expireReservations('ceramic-mug'), state)).toEqual([]);
    expect(decide(expireReservations('milk-frother'), given([opened, added(frother, 1), { type: 'CartAbandoned', data: {} }]))).toEqual([]);
    expect(fails(expireReservations('milk-frother'), null).code).toBe('cart_not_found');
  });
});
