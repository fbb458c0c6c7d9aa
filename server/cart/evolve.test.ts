import { describe, it, expect } from 'vitest';
import { decide, type CartCommand, type ProductSnapshot } from './decide';
import type { CartEvent, CartEventEnvelope, CartLine } from './events';
import { evolve, fold, type CartState } from './evolve';

// ------------------------------------------------------------------ fixtures (fixed values only)

const CART_ID = 'cart-1';
const USER_ID = 'user-1';

/** A fixed, deterministic timestamp per stream version: 2025-01-01T09:0v:00.000Z. */
const at = (version: number) => new Date(Date.UTC(2025, 0, 1, 9, 0, 0) + version * 60_000).toISOString();

const espresso: ProductSnapshot = {
  productId: 'espresso-beans',
  name: 'Espresso beans',
  unitPriceCents: 2490,
  currency: 'EUR',
  stock: 40,
};
const mug: ProductSnapshot = { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, currency: 'EUR', stock: 60 };
const dripper: ProductSnapshot = {
  productId: 'pour-over-dripper',
  name: 'Pour-over dripper',
  unitPriceCents: 2800,
  currency: 'EUR',
  stock: 18,
};

const cartOpened = (): CartEvent => ({ type: 'CartOpened', data: { cartId: CART_ID, userId: USER_ID, currency: 'EUR' } });
const itemAdded = (p: ProductSnapshot, quantity: number): CartEvent => ({
  type: 'ItemAdded',
  data: { productId: p.productId, name: p.name, unitPriceCents: p.unitPriceCents, quantity },
});
const quantityChanged = (productId: string, from: number, to: number): CartEvent => ({
  type: 'ItemQuantityChanged',
  data: { productId, from, to },
});
const itemRemoved = (productId: string, quantity: number): CartEvent => ({ type: 'ItemRemoved', data: { productId, quantity } });
const line = (p: ProductSnapshot, quantity: number): CartLine => ({
  productId: p.productId,
  name: p.name,
  unitPriceCents: p.unitPriceCents,
  quantity,
  lineTotalCents: p.unitPriceCents * quantity,
});
const cartCheckedOut = (orderId: string, items: CartLine[]): CartEvent => ({
  type: 'CartCheckedOut',
  data: {
    orderId,
    items,
    itemCount: items.reduce((n, l) => n + l.quantity, 0),
    totalCents: items.reduce((n, l) => n + l.lineTotalCents, 0),
    currency: 'EUR',
  },
});

/** Stamps events with versions from..from+n-1 and fixed timestamps, as the event store would. */
const stamp = (events: CartEvent[], from = 1): CartEventEnvelope[] =>
  events.map((e, i) => ({ ...e, version: from + i, occurredAt: at(from + i) }));

/** The state after a stream holding `events` (versions 1..n). */
const given = (events: CartEvent[]): CartState | null => fold(stamp(events));

/** Like `given`, for streams that start with CartOpened and so always fold to a cart. */
function givenCart(events: CartEvent[]): CartState {
  const state = given(events);
  if (!state) throw new Error('expected a cart');
  return state;
}

// ------------------------------------------------------------------ evolve, event by event

describe('evolve: CartOpened', () => {
  it('starts an empty open cart at the event version and time', () => {
    expect(given([cartOpened()])).toEqual({
      cartId: CART_ID,
      userId: USER_ID,
      status: 'open',
      items: [],
      itemCount: 0,
      totalCents: 0,
      currency: 'EUR',
      version: 1,
      orderId: null,
      createdAt: at(1),
      updatedAt: at(1),
    });
  });
});

describe('evolve: ItemAdded', () => {
  it('appends a new line with line total = unit price x quantity', () => {
    const state = givenCart([cartOpened(), itemAdded(espresso, 3)]);
    expect(state.items).toEqual([
      { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 3, lineTotalCents: 7470 },
    ]);
    expect(state.itemCount).toBe(3);
    expect(state.totalCents).toBe(7470);
  });

  it('adds to the existing line for the same product instead of adding a second line', () => {
    const state = givenCart([cartOpened(), itemAdded(espresso, 2), itemAdded(mug, 1), itemAdded(espresso, 4)]);
    expect(state.items).toEqual([line(espresso, 6), line(mug, 1)]);
    expect(state.items[0].lineTotalCents).toBe(state.items[0].unitPriceCents * state.items[0].quantity);
  });

  it('prices the whole line at the unit price of the latest ItemAdded', () => {
    const repriced = { ...espresso, unitPriceCents: 2690 };
    const state = givenCart([cartOpened(), itemAdded(espresso, 2), itemAdded(repriced, 1)]);
    expect(state.items).toEqual([line(repriced, 3)]);
    expect(state.totalCents).toBe(8070);
  });
});

describe('evolve: ItemQuantityChanged', () => {
  it('sets the quantity and recomputes the line total and the cart totals', () => {
    const state = givenCart([cartOpened(), itemAdded(espresso, 2), itemAdded(mug, 1), quantityChanged('espresso-beans', 2, 5)]);
    expect(state.items).toEqual([line(espresso, 5), line(mug, 1)]);
    expect(state.itemCount).toBe(6);
    expect(state.totalCents).toBe(5 * 2490 + 1200);
  });
});

describe('evolve: ItemRemoved', () => {
  it('drops the line and keeps the others in order', () => {
    const state = givenCart([
      cartOpened(),
      itemAdded(espresso, 2),
      itemAdded(mug, 1),
      itemAdded(dripper, 1),
      itemRemoved('ceramic-mug', 1),
    ]);
    expect(state.items).toEqual([line(espresso, 2), line(dripper, 1)]);
    expect(state.itemCount).toBe(3);
    expect(state.totalCents).toBe(2 * 2490 + 2800);
  });

  it('leaves an empty cart with zero totals when the last line goes', () => {
    const state = givenCart([cartOpened(), itemAdded(espresso, 2), itemRemoved('espresso-beans', 2)]);
    expect(state.items).toEqual([]);
    expect(state.itemCount).toBe(0);
    expect(state.totalCents).toBe(0);
  });
});

describe('evolve: CartCheckedOut', () => {
  it("sets status 'checked_out' and the orderId, keeping lines and totals", () => {
    const state = givenCart([cartOpened(), itemAdded(espresso, 2), itemAdded(mug, 1), cartCheckedOut('ord_1', [line(espresso, 2), line(mug, 1)])]);
    expect(state).toEqual({
      cartId: CART_ID,
      userId: USER_ID,
      status: 'checked_out',
      items: [line(espresso, 2), line(mug, 1)],
      itemCount: 3,
      totalCents: 2 * 2490 + 1200,
      currency: 'EUR',
      version: 4,
      orderId: 'ord_1',
      createdAt: at(1),
      updatedAt: at(4),
    });
  });
});

describe('evolve: totals, versions and times', () => {
  const mixed: CartEvent[] = [
    cartOpened(), //                                  v1
    itemAdded(espresso, 2), //                        v2  espresso 2
    itemAdded(mug, 3), //                             v3  mug 3
    itemAdded(dripper, 1), //                         v4  dripper 1
    itemAdded(espresso, 1), //                        v5  espresso 3
    quantityChanged('ceramic-mug', 3, 2), //          v6  mug 2
    itemRemoved('pour-over-dripper', 1), //           v7  -
    itemAdded(dripper, 2), //                         v8  dripper 2
  ];

  it('itemCount is the sum of quantities and totalCents the sum of line totals after a mixed sequence', () => {
    const state = givenCart(mixed);
    expect(state.items).toEqual([line(espresso, 3), line(mug, 2), line(dripper, 2)]);
    expect(state.itemCount).toBe(3 + 2 + 2);
    expect(state.totalCents).toBe(3 * 2490 + 2 * 1200 + 2 * 2800);
    expect(state.itemCount).toBe(state.items.reduce((n, l) => n + l.quantity, 0));
    expect(state.totalCents).toBe(state.items.reduce((n, l) => n + l.lineTotalCents, 0));
  });

  it('version and updatedAt follow the last event; createdAt stays the CartOpened time', () => {
    const state = givenCart(mixed);
    expect(state.version).toBe(8);
    expect(state.updatedAt).toBe(at(8));
    expect(state.createdAt).toBe(at(1));
  });

  it('takes version and time from the envelope, not from a count of events', () => {
    const opened = givenCart([cartOpened()]);
    const next = evolve(opened, { ...itemAdded(mug, 1), version: 42, occurredAt: '2030-06-15T12:00:00.000Z' });
    expect(next.version).toBe(42);
    expect(next.updatedAt).toBe('2030-06-15T12:00:00.000Z');
    expect(next.createdAt).toBe(at(1));
  });

  it('does not mutate the state it is given', () => {
    const before = givenCart([cartOpened(), itemAdded(espresso, 2)]);
    const copy = structuredClone(before);
    const events = stamp([itemAdded(espresso, 1), itemAdded(mug, 1), quantityChanged('ceramic-mug', 1, 3), itemRemoved('espresso-beans', 3)], 3);
    fold(events, before);
    expect(before).toEqual(copy);
  });
});

describe('evolve / fold: edges', () => {
  it.each([
    itemAdded(espresso, 1),
    quantityChanged('espresso-beans', 1, 2),
    itemRemoved('espresso-beans', 1),
    cartCheckedOut('ord_1', [line(espresso, 1)]),
  ])('throws on $type before CartOpened', (event) => {
    expect(() => evolve(null, { ...event, version: 1, occurredAt: at(1) })).toThrow(`${event.type} before CartOpened`);
  });

  it('fold([]) is null', () => {
    expect(fold([])).toBeNull();
  });

  it('fold([], state) is that state', () => {
    const state = givenCart([cartOpened(), itemAdded(mug, 1)]);
    expect(fold([], state)).toBe(state);
  });

  it('fold is evolve applied one event at a time', () => {
    const events = stamp([cartOpened(), itemAdded(espresso, 2), itemAdded(mug, 1), quantityChanged('espresso-beans', 2, 4)]);
    let state: CartState | null = null;
    for (const e of events) state = evolve(state, e);
    expect(fold(events)).toEqual(state);
  });

  it('folding the rest of a stream onto a prefix equals folding the whole stream', () => {
    const events = stamp([cartOpened(), itemAdded(espresso, 2), itemAdded(mug, 1), itemRemoved('espresso-beans', 2), itemAdded(dripper, 1)]);
    expect(fold(events.slice(3), fold(events.slice(0, 3)))).toEqual(fold(events));
  });
});

// ------------------------------------------------------------------ replay property

describe('replay: the events decide produced rebuild the same state', () => {
  const products = { [espresso.productId]: espresso, [mug.productId]: mug, [dripper.productId]: dripper };
  const commands: CartCommand[] = [
    { type: 'OpenCart', data: { cartId: CART_ID, userId: USER_ID, currency: 'EUR' } },
    { type: 'AddItem', data: { productId: 'espresso-beans', quantity: 2, product: espresso } },
    { type: 'AddItem', data: { productId: 'ceramic-mug', quantity: 1, product: mug } },
    { type: 'AddItem', data: { productId: 'espresso-beans', quantity: 3, product: espresso } },
    { type: 'ChangeQuantity', data: { productId: 'ceramic-mug', quantity: 4, product: mug } },
    { type: 'ChangeQuantity', data: { productId: 'ceramic-mug', quantity: 4, product: mug } }, // no-op: []
    { type: 'AddItem', data: { productId: 'pour-over-dripper', quantity: 1, product: dripper } },
    { type: 'ChangeQuantity', data: { productId: 'espresso-beans', quantity: 0, product: espresso } }, // -> ItemRemoved
    { type: 'AddItem', data: { productId: 'espresso-beans', quantity: 1, product: espresso } },
    { type: 'RemoveItem', data: { productId: 'pour-over-dripper' } },
    { type: 'CheckOut', data: { orderId: 'ord_replay', products } },
  ];

  /** Runs the commands like the handler does: decide, stamp with the next versions, evolve. */
  function run() {
    let state: CartState | null = null;
    const history: CartEventEnvelope[] = [];
    const steps: { before: CartState | null; produced: CartEventEnvelope[]; after: CartState | null }[] = [];
    for (const command of commands) {
      const produced = stamp(decide(command, state), (state?.version ?? 0) + 1);
      let after: CartState | null = state;
      for (const e of produced) after = evolve(after, e);
      steps.push({ before: state, produced, after });
      history.push(...produced);
      state = after;
    }
    return { state, history, steps };
  }

  it('fold(produced, state decided on) equals applying the produced events one by one, at every step', () => {
    for (const { before, produced, after } of run().steps) {
      expect(fold(produced, before)).toEqual(after);
    }
  });

  it('folding the whole history from nothing equals the state built step by step', () => {
    const { state, history } = run();
    expect(fold(history)).toEqual(state);
  });

  it('the history and the final state are what the commands mean', () => {
    const { state, history } = run();
    expect(history.map((e) => e.type)).toEqual([
      'CartOpened',
      'ItemAdded',
      'ItemAdded',
      'ItemAdded',
      'ItemQuantityChanged',
      'ItemAdded',
      'ItemRemoved',
      'ItemAdded',
      'ItemRemoved',
      'CartCheckedOut',
    ]);
    expect(history.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(state).toEqual({
      cartId: CART_ID,
      userId: USER_ID,
      status: 'checked_out',
      items: [line(mug, 4), line(espresso, 1)],
      itemCount: 5,
      totalCents: 4 * 1200 + 2490,
      currency: 'EUR',
      version: 10,
      orderId: 'ord_replay',
      createdAt: at(1),
      updatedAt: at(10),
    });
    const checkedOut = history[history.length - 1];
    expect(checkedOut).toMatchObject({
      type: 'CartCheckedOut',
      data: { orderId: 'ord_replay', items: state?.items, itemCount: 5, totalCents: 7290, currency: 'EUR' },
    });
  });

  it('a command that produces no events leaves the state as it was', () => {
    const noOp = run().steps[5];
    expect(noOp.produced).toEqual([]);
    expect(noOp.after).toBe(noOp.before);
  });
});
