import { describe, expect, it } from 'vitest';
import { decide, type ProductSnapshot } from './decide';
import { CartError } from './errors';
import type { CartEvent, CartEventEnvelope } from './events';
import { evolve, fold, type CartState } from './evolve';
import { pricesOf, repricingOf } from './reprice';

// Given / when / then for the repricing rules: fixed values only.

const at = (v: number) => new Date(Date.UTC(2025, 0, 1, 9, 0, 0) + v * 60_000).toISOString();
const espresso: ProductSnapshot = { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, currency: 'EUR', stock: 40 };
const mug: ProductSnapshot = { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, currency: 'EUR', stock: 60 };
const priced = (p: ProductSnapshot, unitPriceCents: number): ProductSnapshot => ({ ...p, unitPriceCents });

const given = (...events: CartEvent[]): CartState =>
  fold(events.map((e, i) => ({ ...e, version: i + 1, occurredAt: at(i + 1) }) as CartEventEnvelope))!;
const opened: CartEvent = { type: 'CartOpened', data: { cartId: 'cart-1', userId: 'user-1', currency: 'EUR' } };
const added = (p: ProductSnapshot, quantity: number): CartEvent => ({
  type: 'ItemAdded',
  data: { productId: p.productId, name: p.name, unitPriceCents: p.unitPriceCents, quantity },
});
/** 2 espresso at €24.90 + 1 mug at €12.00 = €61.80. */
const cart = () => given(opened, added(espresso, 2), added(mug, 1));

const checkOut = (products: ProductSnapshot[], expectedTotalCents?: number) =>
  ({
    type: 'CheckOut',
    data: {
      orderId: 'ord_1',
      products: Object.fromEntries(products.map((p) => [p.productId, p])),
      ...(expectedTotalCents === undefined ? {} : { expectedTotalCents }),
    },
  }) as const;

function refusal(fn: () => unknown): CartError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CartError) return e;
    throw e;
  }
  throw new Error('expected a CartError');
}

describe('repricingOf', () => {
  it('null when every line is at its current price (or the product is unknown)', () => {
    expect(repricingOf(cart().items, { 'espresso-beans': 2490, 'ceramic-mug': 1200 })).toBeNull();
    expect(repricingOf(cart().items, {})).toBeNull();
  });

  it('the changed lines with old and new unit price, the total at current prices and the difference', () => {
    const r = repricingOf(cart().items, { 'espresso-beans': 2690, 'ceramic-mug': 1200 });
    expect(r).toEqual({
      lines: [{ productId: 'espresso-beans', name: 'Espresso beans', quantity: 2, fromCents: 2490, toCents: 2690 }],
      totalCents: 2 * 2690 + 1200,
      differenceCents: 400,
    });
    expect(pricesOf(r)).toEqual({ 'espresso-beans': 2690 });
    expect(repricingOf(cart().items, { 'ceramic-mug': 1000 })!.differenceCents).toBe(-200);
  });
});

describe('decide CheckOut with prices that changed', () => {
  it('prices unchanged: CartCheckedOut alone, with or without the shown total', () => {
    for (const shown of [undefined, 6180]) {
      const events = decide(checkOut([espresso, mug], shown), cart());
      expect(events.map((e) => e.type)).toEqual(['CartCheckedOut']);
      expect(events[0]).toMatchObject({ data: { totalCents: 6180 } });
    }
  });

  it('prices unchanged but the shown total is not the cart total: 409 total_changed', () => {
    const e = refusal(() => decide(checkOut([espresso, mug], 5000), cart()));
    expect([e.kind, e.code, e.details]).toEqual(['conflict', 'total_changed', { expectedTotalCents: 5000, totalCents: 6180 }]);
  });

  it('a price rose and the shopper was shown the new total: CartRepriced then CartCheckedOut at the new price', () => {
    const events = decide(checkOut([priced(espresso, 2690), mug], 6580), cart());
    expect(events).toEqual([
      {
        type: 'CartRepriced',
        data: { currency: 'EUR', lines: [{ productId: 'espresso-beans', name: 'Espresso beans', fromCents: 2490, toCents: 2690 }] },
      },
      {
        type: 'CartCheckedOut',
        data: {
          orderId: 'ord_1',
          items: [
            { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2690, quantity: 2, lineTotalCents: 5380 },
            { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 1, lineTotalCents: 1200 },
          ],
          itemCount: 3,
          totalCents: 6580,
          currency: 'EUR',
        },
      },
    ]);
  });

  it('the events fold to the checkout: evolve applies CartRepriced to the lines, so the state agrees with the order', () => {
    const before = cart();
    const events = decide(checkOut([priced(espresso, 2690), priced(mug, 1000)], 6380), before);
    const after = events.reduce<CartState>((s, e, i) => evolve(s, { ...e, version: before.version + i + 1, occurredAt: at(9) } as CartEventEnvelope), before);
    const checkedOut = events[1] as Extract<CartEvent, { type: 'CartCheckedOut' }>;
    expect(after.items).toEqual(checkedOut.data.items);
    expect(after.totalCents).toBe(6380);
    expect(after.status).toBe('checked_out');
  });

  it('a price changed and the shown total is the old one: 409 prices_changed with the old and new prices, no events', () => {
    const e = refusal(() => decide(checkOut([priced(espresso, 2690), mug], 6180), cart()));
    expect(e.kind).toBe('conflict');
    expect(e.code).toBe('prices_changed');
    expect(e.details).toEqual({
      lines: [{ productId: 'espresso-beans', name: 'Espresso beans', fromCents: 2490, toCents: 2690 }],
      totalCents: 6180,
      currentTotalCents: 6580,
      expectedTotalCents: 6180,
    });
  });

  it('a price changed and no shown total was sent (a JSON client): 409 prices_changed, never charged unseen', () => {
    const e = refusal(() => decide(checkOut([priced(espresso, 2690), mug]), cart()));
    expect(e.code).toBe('prices_changed');
    expect(e.details).not.toHaveProperty('expectedTotalCents');
  });

  it('a price fell: the lower price is charged only when shown too', () => {
    expect(refusal(() => decide(checkOut([priced(espresso, 1990), mug]), cart())).code).toBe('prices_changed');
    const events = decide(checkOut([priced(espresso, 1990), mug], 5180), cart());
    expect(events.map((e) => e.type)).toEqual(['CartRepriced', 'CartCheckedOut']);
    expect(events[1]).toMatchObject({ data: { totalCents: 5180 } });
  });

  it('the other rules come first: a product no longer sold is refused before any repricing', () => {
    expect(refusal(() => decide(checkOut([priced(espresso, 2690)], 6580), cart())).code).toBe('product_unavailable');
  });
});

describe('decide AddItem on a line whose price changed', () => {
  it('adding more at the new price says that the line is repriced first', () => {
    const events = decide({ type: 'AddItem', data: { productId: 'espresso-beans', quantity: 1, product: priced(espresso, 2690) } }, cart());
    expect(events).toEqual([
      {
        type: 'CartRepriced',
        data: { currency: 'EUR', lines: [{ productId: 'espresso-beans', name: 'Espresso beans', fromCents: 2490, toCents: 2690 }] },
      },
      { type: 'ItemAdded', data: { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2690, quantity: 1 } },
    ]);
  });

  it('same price, or a new line: ItemAdded alone', () => {
    expect(decide({ type: 'AddItem', data: { productId: 'espresso-beans', quantity: 1, product: espresso } }, cart()).map((e) => e.type)).toEqual(['ItemAdded']);
    expect(decide({ type: 'AddItem', data: { productId: 'ceramic-mug', quantity: 1, product: priced(mug, 900) } }, given(opened)).map((e) => e.type)).toEqual([
      'ItemAdded',
    ]);
  });
});

describe('evolve CartRepriced', () => {
  it('changes the listed lines to the new price and recomputes the totals; other lines stay', () => {
    const before = cart();
    const after = evolve(before, {
      type: 'CartRepriced',
      data: { currency: 'EUR', lines: [{ productId: 'ceramic-mug', name: 'Ceramic mug', fromCents: 1200, toCents: 1500 }] },
      version: 4,
      occurredAt: at(4),
    });
    expect(after.items).toEqual([before.items[0], { ...before.items[1], unitPriceCents: 1500, lineTotalCents: 1500 }]);
    expect([after.totalCents, after.itemCount, after.version, after.status]).toEqual([6480, 3, 4, 'open']);
  });
});
