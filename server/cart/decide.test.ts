import { describe, it, expect } from 'vitest';
import { decide, type CartCommand, type ProductSnapshot } from './decide';
import { CartError, type CartErrorKind } from './errors';
import type { CartEvent, CartEventEnvelope, CartLine } from './events';
import { fold, type CartState } from './evolve';

// ------------------------------------------------------------------ fixtures (fixed values only)

const CART_ID = 'cart-1';
const USER_ID = 'user-1';
const ORDER_ID = 'ord_0000000000000001';

/** A fixed, deterministic timestamp per stream version. */
const at = (version: number) => new Date(Date.UTC(2025, 0, 1, 9, 0, 0) + version * 60_000).toISOString();

const espresso: ProductSnapshot = {
  productId: 'espresso-beans',
  name: 'Espresso beans',
  unitPriceCents: 2490,
  currency: 'EUR',
  stock: 40,
};
const mug: ProductSnapshot = {
  productId: 'ceramic-mug',
  name: 'Ceramic mug',
  unitPriceCents: 1200,
  currency: 'EUR',
  stock: 60,
};
/** Plenty of stock, so the quantity rules can be tested without the stock rule getting in the way. */
const filters: ProductSnapshot = {
  productId: 'paper-filters',
  name: 'Paper filters',
  unitPriceCents: 450,
  currency: 'EUR',
  stock: 1000,
};

const withStock = (p: ProductSnapshot, stock: number): ProductSnapshot => ({ ...p, stock });

// ------------------------------------------------------------------ events

const cartOpened = (currency = 'EUR'): CartEvent => ({
  type: 'CartOpened',
  data: { cartId: CART_ID, userId: USER_ID, currency },
});

const itemAdded = (p: ProductSnapshot, quantity: number): CartEvent => ({
  type: 'ItemAdded',
  data: { productId: p.productId, name: p.name, unitPriceCents: p.unitPriceCents, quantity },
});

const itemRemoved = (productId: string, quantity: number): CartEvent => ({
  type: 'ItemRemoved',
  data: { productId, quantity },
});

const quantityChanged = (productId: string, from: number, to: number): CartEvent => ({
  type: 'ItemQuantityChanged',
  data: { productId, from, to },
});

const line = (p: ProductSnapshot, quantity: number): CartLine => ({
  productId: p.productId,
  name: p.name,
  unitPriceCents: p.unitPriceCents,
  quantity,
  lineTotalCents: p.unitPriceCents * quantity,
});

const cartCheckedOut = (items: CartLine[], orderId = ORDER_ID): CartEvent => ({
  type: 'CartCheckedOut',
  data: {
    orderId,
    items,
    itemCount: items.reduce((n, l) => n + l.quantity, 0),
    totalCents: items.reduce((n, l) => n + l.lineTotalCents, 0),
    currency: 'EUR',
  },
});

/** A cart with two espresso beans that has been checked out. */
const checkedOutHistory = (): CartEvent[] => [cartOpened(), itemAdded(espresso, 2), cartCheckedOut([line(espresso, 2)])];

// ------------------------------------------------------------------ commands

const openCart = (currency = 'EUR'): CartCommand => ({
  type: 'OpenCart',
  data: { cartId: CART_ID, userId: USER_ID, currency },
});

const addItem = (product: ProductSnapshot | null, quantity: number, productId = product?.productId ?? 'ghost'): CartCommand => ({
  type: 'AddItem',
  data: { productId, quantity, product },
});

const changeQuantity = (productId: string, quantity: number, product: ProductSnapshot | null): CartCommand => ({
  type: 'ChangeQuantity',
  data: { productId, quantity, product },
});

const removeItem = (productId: string): CartCommand => ({ type: 'RemoveItem', data: { productId } });

const checkOut = (products: ProductSnapshot[], orderId = ORDER_ID): CartCommand => ({
  type: 'CheckOut',
  data: { orderId, products: Object.fromEntries(products.map((p) => [p.productId, p])) },
});

// ------------------------------------------------------------------ given / when / then

/** Stamps events with versions from..from+n-1 and fixed timestamps, as the event store would. */
const stamp = (events: CartEvent[], from = 1): CartEventEnvelope[] =>
  events.map((e, i) => ({ ...e, version: from + i, occurredAt: at(from + i) }));

/** The state a stream holding `events` (versions 1..n) folds to; `[]` means no cart at all. */
function given(events: CartEvent[]) {
  const state = fold(stamp(events));
  return {
    state,
    when: (command: CartCommand) => when(state, command),
  };
}

function when(state: CartState | null, command: CartCommand) {
  const before = structuredClone(state);
  let events: CartEvent[] | undefined;
  let error: unknown;
  try {
    events = decide(command, state);
  } catch (e) {
    error = e;
  }
  // decide is pure: whatever it answered, it left the state alone.
  expect(state).toEqual(before);
  return {
    /** Asserts the exact events produced; returns the state after applying them. */
    then(expected: CartEvent[]): CartState | null {
      if (error) throw error;
      expect(events).toEqual(expected);
      return fold(stamp(expected, (state?.version ?? 0) + 1), state);
    },
    /** Asserts a CartError with this code and kind (and, if given, these details) was thrown. */
    thenFails(code: string, kind: CartErrorKind, details?: Record<string, unknown>): CartError {
      expect(events, 'expected a CartError, but decide produced events').toBeUndefined();
      expect(error).toBeInstanceOf(CartError);
      const cartError = error as CartError;
      expect({ code: cartError.code, kind: cartError.kind }).toEqual({ code, kind });
      expect(cartError.message).not.toBe('');
      if (details) expect(cartError.details).toEqual(details);
      return cartError;
    },
  };
}

// ------------------------------------------------------------------ OpenCart

describe('decide: OpenCart', () => {
  it('opens a cart when there is none', () => {
    given([])
      .when(openCart('EUR'))
      .then([{ type: 'CartOpened', data: { cartId: CART_ID, userId: USER_ID, currency: 'EUR' } }]);
  });

  it('refuses to open a cart that exists already (cart_exists)', () => {
    given([cartOpened()]).when(openCart()).thenFails('cart_exists', 'conflict');
  });

  it('refuses to reopen a checked-out cart (cart_exists)', () => {
    given(checkedOutHistory()).when(openCart()).thenFails('cart_exists', 'conflict');
  });
});

// ------------------------------------------------------------------ AddItem

describe('decide: AddItem', () => {
  it('adds an item, carrying name and unit price from the product snapshot', () => {
    given([cartOpened()])
      .when(addItem(espresso, 2))
      .then([
        {
          type: 'ItemAdded',
          data: { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2 },
        },
      ]);
  });

  it('adds a second product as its own line', () => {
    const after = given([cartOpened(), itemAdded(espresso, 1)])
      .when(addItem(mug, 3))
      .then([itemAdded(mug, 3)]);
    expect(after?.items).toEqual([line(espresso, 1), line(mug, 3)]);
  });

  it('adding the same product again adds to the existing line', () => {
    const after = given([cartOpened(), itemAdded(espresso, 2)])
      .when(addItem(espresso, 3))
      .then([itemAdded(espresso, 3)]);
    expect(after?.items).toEqual([
      { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 5, lineTotalCents: 2490 * 5 },
    ]);
    expect(after?.itemCount).toBe(5);
    expect(after?.totalCents).toBe(12450);
  });

  it.each([1, 99])('accepts quantity %s', (quantity) => {
    given([cartOpened()])
      .when(addItem(filters, quantity))
      .then([itemAdded(filters, quantity)]);
  });

  it.each([0, -1, 1.5, 100, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses quantity %s (invalid_quantity)',
    (quantity) => {
      given([cartOpened()]).when(addItem(filters, quantity)).thenFails('invalid_quantity', 'invalid', { quantity });
    },
  );

  it('accepts topping a line up to exactly 99', () => {
    given([cartOpened(), itemAdded(filters, 98)])
      .when(addItem(filters, 1))
      .then([itemAdded(filters, 1)]);
  });

  it('refuses to take a line past 99: existing 98 + 2 (quantity_limit)', () => {
    given([cartOpened(), itemAdded(filters, 98)])
      .when(addItem(filters, 2))
      .thenFails('quantity_limit', 'conflict', { productId: 'paper-filters', current: 98, requested: 2, max: 99 });
  });

  it('refuses a product the catalog does not know (product_not_found)', () => {
    given([cartOpened()])
      .when(addItem(null, 1, 'no-such-product'))
      .thenFails('product_not_found', 'not_found', { productId: 'no-such-product' });
  });

  it('refuses a product that is out of stock (insufficient_stock)', () => {
    given([cartOpened()])
      .when(addItem(withStock(espresso, 0), 1))
      .thenFails('insufficient_stock', 'conflict', { productId: 'espresso-beans', available: 0, requested: 1 });
  });

  it('refuses when stock is below what is already in the cart plus the request (insufficient_stock)', () => {
    given([cartOpened(), itemAdded(espresso, 3)])
      .when(addItem(withStock(espresso, 4), 2))
      .thenFails('insufficient_stock', 'conflict', { productId: 'espresso-beans', available: 4, requested: 5 });
  });

  it('accepts when stock exactly covers what is in the cart plus the request', () => {
    given([cartOpened(), itemAdded(espresso, 3)])
      .when(addItem(withStock(espresso, 5), 2))
      .then([itemAdded(espresso, 2)]);
  });

  it('refuses a product priced in another currency than the cart (currency_mismatch)', () => {
    given([cartOpened('EUR')])
      .when(addItem({ ...espresso, currency: 'USD' }, 1))
      .thenFails('currency_mismatch', 'conflict');
  });

  it('refuses when there is no cart (cart_not_found)', () => {
    given([]).when(addItem(espresso, 1)).thenFails('cart_not_found', 'not_found');
  });

  it('refuses on a checked-out cart (cart_closed)', () => {
    given(checkedOutHistory())
      .when(addItem(espresso, 1))
      .thenFails('cart_closed', 'conflict', { status: 'checked_out', orderId: ORDER_ID });
  });
});

// ------------------------------------------------------------------ ChangeQuantity

describe('decide: ChangeQuantity', () => {
  it('changes a line to a higher quantity (ItemQuantityChanged from/to)', () => {
    given([cartOpened(), itemAdded(espresso, 2)])
      .when(changeQuantity('espresso-beans', 5, espresso))
      .then([{ type: 'ItemQuantityChanged', data: { productId: 'espresso-beans', from: 2, to: 5 } }]);
  });

  it('changes a line to a lower quantity (ItemQuantityChanged from/to)', () => {
    const after = given([cartOpened(), itemAdded(espresso, 5)])
      .when(changeQuantity('espresso-beans', 3, espresso))
      .then([quantityChanged('espresso-beans', 5, 3)]);
    expect(after?.items).toEqual([line(espresso, 3)]);
  });

  it('changing to 0 removes the line, carrying the old quantity', () => {
    const after = given([cartOpened(), itemAdded(espresso, 4)])
      .when(changeQuantity('espresso-beans', 0, espresso))
      .then([{ type: 'ItemRemoved', data: { productId: 'espresso-beans', quantity: 4 } }]);
    expect(after?.items).toEqual([]);
  });

  it('changing to the same quantity produces no events', () => {
    given([cartOpened(), itemAdded(espresso, 2)])
      .when(changeQuantity('espresso-beans', 2, espresso))
      .then([]);
  });

  it('refuses a product that has no line in the cart (line_not_found)', () => {
    given([cartOpened(), itemAdded(espresso, 2)])
      .when(changeQuantity('ceramic-mug', 1, mug))
      .thenFails('line_not_found', 'not_found', { productId: 'ceramic-mug' });
  });

  it('accepts 99, the largest quantity', () => {
    given([cartOpened(), itemAdded(filters, 1)])
      .when(changeQuantity('paper-filters', 99, filters))
      .then([quantityChanged('paper-filters', 1, 99)]);
  });

  it.each([100, -1, 2.5])('refuses quantity %s (invalid_quantity)', (quantity) => {
    given([cartOpened(), itemAdded(filters, 1)])
      .when(changeQuantity('paper-filters', quantity, filters))
      .thenFails('invalid_quantity', 'invalid', { quantity });
  });

  it('refuses an increase beyond the stock in the snapshot (insufficient_stock)', () => {
    given([cartOpened(), itemAdded(espresso, 2)])
      .when(changeQuantity('espresso-beans', 6, withStock(espresso, 5)))
      .thenFails('insufficient_stock', 'conflict', { productId: 'espresso-beans', available: 5, requested: 6 });
  });

  it('accepts an increase up to exactly the stock in the snapshot', () => {
    given([cartOpened(), itemAdded(espresso, 2)])
      .when(changeQuantity('espresso-beans', 5, withStock(espresso, 5)))
      .then([quantityChanged('espresso-beans', 2, 5)]);
  });

  it('always allows a decrease, even when the product is out of stock', () => {
    given([cartOpened(), itemAdded(espresso, 5)])
      .when(changeQuantity('espresso-beans', 1, withStock(espresso, 0)))
      .then([quantityChanged('espresso-beans', 5, 1)]);
  });

  it('allows a decrease below the stock when the stock is less than the line', () => {
    given([cartOpened(), itemAdded(espresso, 8)])
      .when(changeQuantity('espresso-beans', 6, withStock(espresso, 3)))
      .then([quantityChanged('espresso-beans', 8, 6)]);
  });

  it('allows a decrease when the product has left the catalog (null snapshot)', () => {
    given([cartOpened(), itemAdded(espresso, 5)])
      .when(changeQuantity('espresso-beans', 2, null))
      .then([quantityChanged('espresso-beans', 5, 2)]);
  });

  it('refuses when there is no cart (cart_not_found)', () => {
    given([]).when(changeQuantity('espresso-beans', 1, espresso)).thenFails('cart_not_found', 'not_found');
  });

  it('refuses on a checked-out cart (cart_closed)', () => {
    given(checkedOutHistory())
      .when(changeQuantity('espresso-beans', 1, espresso))
      .thenFails('cart_closed', 'conflict', { status: 'checked_out', orderId: ORDER_ID });
  });
});

// ------------------------------------------------------------------ RemoveItem

describe('decide: RemoveItem', () => {
  it("removes a line, carrying the line's quantity", () => {
    const after = given([cartOpened(), itemAdded(espresso, 3), itemAdded(mug, 1)])
      .when(removeItem('espresso-beans'))
      .then([{ type: 'ItemRemoved', data: { productId: 'espresso-beans', quantity: 3 } }]);
    expect(after?.items).toEqual([line(mug, 1)]);
  });

  it('carries the current quantity after earlier changes', () => {
    given([cartOpened(), itemAdded(espresso, 3), itemAdded(espresso, 2), quantityChanged('espresso-beans', 5, 4)])
      .when(removeItem('espresso-beans'))
      .then([itemRemoved('espresso-beans', 4)]);
  });

  it('refuses a product that has no line in the cart (line_not_found)', () => {
    given([cartOpened(), itemAdded(espresso, 3)])
      .when(removeItem('ceramic-mug'))
      .thenFails('line_not_found', 'not_found', { productId: 'ceramic-mug' });
  });

  it('refuses a line that was removed already (line_not_found)', () => {
    given([cartOpened(), itemAdded(espresso, 3), itemRemoved('espresso-beans', 3)])
      .when(removeItem('espresso-beans'))
      .thenFails('line_not_found', 'not_found');
  });

  it('refuses when there is no cart (cart_not_found)', () => {
    given([]).when(removeItem('espresso-beans')).thenFails('cart_not_found', 'not_found');
  });

  it('refuses on a checked-out cart (cart_closed)', () => {
    given(checkedOutHistory())
      .when(removeItem('espresso-beans'))
      .thenFails('cart_closed', 'conflict', { status: 'checked_out', orderId: ORDER_ID });
  });
});

// ------------------------------------------------------------------ CheckOut

describe('decide: CheckOut', () => {
  it('checks out with the order id, the lines, item count, total and currency', () => {
    const after = given([cartOpened(), itemAdded(espresso, 2), itemAdded(mug, 3)])
      .when(checkOut([espresso, mug], 'ord_abc'))
      .then([
        {
          type: 'CartCheckedOut',
          data: {
            orderId: 'ord_abc',
            items: [
              { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2, lineTotalCents: 4980 },
              { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 3, lineTotalCents: 3600 },
            ],
            itemCount: 5,
            totalCents: 8580,
            currency: 'EUR',
          },
        },
      ]);
    expect(after?.status).toBe('checked_out');
    expect(after?.orderId).toBe('ord_abc');
  });

  it('checks out the lines as they are after adds, changes and removals', () => {
    given([
      cartOpened(),
      itemAdded(espresso, 1),
      itemAdded(mug, 2),
      itemAdded(filters, 10),
      itemAdded(espresso, 2),
      quantityChanged('ceramic-mug', 2, 4),
      itemRemoved('paper-filters', 10),
    ])
      .when(checkOut([espresso, mug, filters]))
      .then([
        cartCheckedOut([
          { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 3, lineTotalCents: 7470 },
          { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 4, lineTotalCents: 4800 },
        ]),
      ]);
  });

  it('checks out when the stock exactly covers every line', () => {
    given([cartOpened(), itemAdded(espresso, 2)])
      .when(checkOut([withStock(espresso, 2)]))
      .then([cartCheckedOut([line(espresso, 2)])]);
  });

  it('refuses a cart that never had items (cart_empty)', () => {
    given([cartOpened()]).when(checkOut([])).thenFails('cart_empty', 'conflict');
  });

  it('refuses a cart whose items were all removed (cart_empty)', () => {
    given([cartOpened(), itemAdded(espresso, 2), itemRemoved('espresso-beans', 2)])
      .when(checkOut([espresso]))
      .thenFails('cart_empty', 'conflict');
  });

  it('refuses when a line\'s product is missing from the catalog (product_unavailable)', () => {
    given([cartOpened(), itemAdded(espresso, 2), itemAdded(mug, 1)])
      .when(checkOut([espresso]))
      .thenFails('product_unavailable', 'conflict', { productId: 'ceramic-mug' });
  });

  it("refuses when stock is below a line's quantity, naming the product (insufficient_stock)", () => {
    given([cartOpened(), itemAdded(espresso, 2), itemAdded(mug, 5)])
      .when(checkOut([espresso, withStock(mug, 4)]))
      .thenFails('insufficient_stock', 'conflict', { productId: 'ceramic-mug', available: 4, requested: 5 });
  });

  it('refuses when there is no cart (cart_not_found)', () => {
    given([]).when(checkOut([espresso])).thenFails('cart_not_found', 'not_found');
  });
});

// ------------------------------------------------------------------ a checked-out cart is closed

describe('decide: a checked-out cart', () => {
  const commands: [string, CartCommand][] = [
    ['AddItem', addItem(espresso, 1)],
    ['ChangeQuantity', changeQuantity('espresso-beans', 3, espresso)],
    ['RemoveItem', removeItem('espresso-beans')],
    ['CheckOut', checkOut([espresso], 'ord_second')],
  ];

  it.each(commands)('refuses %s (cart_closed)', (_type, command) => {
    given(checkedOutHistory())
      .when(command)
      .thenFails('cart_closed', 'conflict', { status: 'checked_out', orderId: ORDER_ID });
  });
});
