import { describe, expect, it } from 'vitest';
import { cartEventTypes } from './events';
import { evolve, fold } from './evolve';
import {
  cartEventSchemas,
  currentSchemaVersion,
  decimalToCents,
  itemAddedV1ToV2,
  upcast,
  UpcastError,
  upcastWith,
  type SchemaRegistry,
} from './upcast';

/** The inverse of the v1 -> v2 step, as v1 would have written a price: always two decimals. */
const centsToDecimal = (cents: number) => `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

describe('ItemAdded v1 -> v2', () => {
  it('turns the decimal euro string into integer cents and keeps every other field', () => {
    expect(itemAddedV1ToV2({ productId: 'espresso-beans', name: 'Espresso beans', unitPrice: '24.90', quantity: 2 })).toEqual({
      productId: 'espresso-beans',
      name: 'Espresso beans',
      unitPriceCents: 2490,
      quantity: 2,
    });
    // Fields v1 carried that v2 does not name survive too.
    expect(itemAddedV1ToV2({ productId: 'p', name: 'P', unitPrice: '1.00', quantity: 1, note: 'gift' })).toEqual({
      productId: 'p',
      name: 'P',
      unitPriceCents: 100,
      quantity: 1,
      note: 'gift',
    });
  });

  it('converts exactly, without floating point: one, two or no decimals', () => {
    expect(decimalToCents('24.90')).toBe(2490);
    expect(decimalToCents('24.9')).toBe(2490);
    expect(decimalToCents('6.5')).toBe(650);
    expect(decimalToCents('0.05')).toBe(5);
    expect(decimalToCents('0.29')).toBe(29); // 0.29 * 100 = 28.999999999999996 in floating point
    expect(decimalToCents('1200')).toBe(120000);
    expect(decimalToCents('0')).toBe(0);
  });

  it('is lossless: every price in cents survives v2 -> v1 -> v2', () => {
    for (let cents = 0; cents <= 250_000; cents += 7) {
      const v1 = { productId: 'p', name: 'P', unitPrice: centsToDecimal(cents), quantity: 1 };
      expect(itemAddedV1ToV2(v1).unitPriceCents).toBe(cents);
    }
    expect(itemAddedV1ToV2({ productId: 'p', name: 'P', unitPrice: centsToDecimal(Number.MAX_SAFE_INTEGER - 91), quantity: 1 }).unitPriceCents).toBe(
      Number.MAX_SAFE_INTEGER - 91,
    );
  });

  it('refuses what it cannot convert exactly instead of guessing a price', () => {
    for (const unitPrice of ['90071992547409.92', '3.456', '-1.00', '1,50', 'abc', '', ' 1.00', '1e3', '.5']) {
      expect(() => itemAddedV1ToV2({ productId: 'p', name: 'P', unitPrice, quantity: 1 }), unitPrice).toThrow(UpcastError);
    }
    expect(() => itemAddedV1ToV2({ productId: 'p', name: 'P', unitPrice: 24.9, quantity: 1 })).toThrow(UpcastError);
    expect(() => itemAddedV1ToV2({ productId: 'p', name: 'P', unitPrice: '1.00', unitPriceCents: 100, quantity: 1 })).toThrow(/ambiguous/);
    expect(() => itemAddedV1ToV2(null)).toThrow(UpcastError);
    expect(() => itemAddedV1ToV2(['x'])).toThrow(UpcastError);
  });

  it('leaves events that were recorded as v1 but already have the v2 shape exactly as they are', () => {
    const data = { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2 };
    expect(upcast('ItemAdded', 1, data)).toEqual({ schemaVersion: 2, data });
    expect(upcast('ItemAdded', 1, data).data).toBe(data);
  });
});

describe('upcast', () => {
  it('ItemAdded is at schema version 2, every other cart event at 1', () => {
    expect(Object.fromEntries(cartEventTypes.map((t) => [t, currentSchemaVersion(t)]))).toEqual({
      CartOpened: 1,
      ItemAdded: 2,
      ItemQuantityChanged: 1,
      ItemRemoved: 1,
      CartCheckedOut: 1,
      ReservationsExpired: 1,
      CartAbandoned: 1,
      CartExpired: 1,
      CartRepriced: 1,
      GuestCartMerged: 1,
      CartMergedInto: 1,
      CartReopened: 1,
    });
    expect(Object.keys(cartEventSchemas).sort()).toEqual([...cartEventTypes].sort());
  });

  it('every version below the current one has an upcaster', () => {
    for (const [type, schema] of Object.entries(cartEventSchemas)) {
      for (let v = 1; v < schema.current; v++) expect(schema.upcasters[v], `${type} v${v}`).toBeTypeOf('function');
    }
  });

  it('current data passes through untouched (same object)', () => {
    const data = { productId: 'p', name: 'P', unitPriceCents: 100, quantity: 1 };
    expect(upcast('ItemAdded', 2, data).data).toBe(data);
    const opened = { cartId: 'c', userId: 'u', currency: 'EUR' };
    expect(upcast('CartOpened', 1, opened)).toEqual({ schemaVersion: 1, data: opened });
  });

  it('unknown event types pass through; unknown future versions and nonsense versions are refused', () => {
    expect(upcast('SomethingElse', 7, { a: 1 })).toEqual({ schemaVersion: 7, data: { a: 1 } });
    expect(() => upcast('ItemAdded', 3, {})).toThrow(/up to 2/);
    expect(() => upcast('CartOpened', 2, {})).toThrow(UpcastError);
    expect(() => upcast('ItemAdded', 0, {})).toThrow(UpcastError);
    expect(() => upcast('ItemAdded', 1.5, {})).toThrow(UpcastError);
  });

  it('applies a chain of upcasters in order, v1 -> v2 -> v3, from any starting version', () => {
    const registry: SchemaRegistry = {
      Thing: {
        current: 3,
        upcasters: {
          1: (d) => ({ ...(d as object), steps: ['1->2'] }),
          2: (d) => ({ ...(d as { steps?: string[] }), steps: [...((d as { steps?: string[] }).steps ?? []), '2->3'] }),
        },
      },
    };
    expect(upcastWith(registry, 'Thing', 1, { x: 1 })).toEqual({ schemaVersion: 3, data: { x: 1, steps: ['1->2', '2->3'] } });
    expect(upcastWith(registry, 'Thing', 2, { x: 1 })).toEqual({ schemaVersion: 3, data: { x: 1, steps: ['2->3'] } });
    expect(upcastWith(registry, 'Thing', 3, { x: 1 })).toEqual({ schemaVersion: 3, data: { x: 1 } });
    const gap: SchemaRegistry = { Thing: { current: 3, upcasters: { 1: (d) => d } } };
    expect(() => upcastWith(gap, 'Thing', 1, {})).toThrow(/no upcaster from v2 to v3/);
  });

  it('a v1 add folds to the same line as the v2 add written today', () => {
    const opened = { type: 'CartOpened', data: { cartId: 'c', userId: 'u', currency: 'EUR' }, version: 1, occurredAt: '2025-01-01T00:00:00.000Z' } as const;
    const v1 = { productId: 'ceramic-mug', name: 'Ceramic mug', unitPrice: '12.00', quantity: 3 };
    const v2 = { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 3 };
    const at = '2025-01-01T00:01:00.000Z';
    const fromV1 = evolve(fold([opened]), { type: 'ItemAdded', data: upcast('ItemAdded', 1, v1).data as typeof v2, version: 2, occurredAt: at });
    const fromV2 = evolve(fold([opened]), { type: 'ItemAdded', data: v2, version: 2, occurredAt: at });
    expect(fromV1).toEqual(fromV2);
    expect(fromV1.items).toEqual([{ productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 3, lineTotalCents: 3600 }]);
  });
});
