import { describe, it, expect } from 'vitest';
import { diffCarts, isEmptyDiff, type CartDiff } from './diff';
import type { CartLine } from './events';
import type { CartState } from './evolve';

// ------------------------------------------------------------------ fixtures (fixed values only)

const line = (productId: string, name: string, unitPriceCents: number, quantity: number): CartLine => ({
  productId,
  name,
  unitPriceCents,
  quantity,
  lineTotalCents: unitPriceCents * quantity,
});

const espresso = (q: number, price = 2490) => line('espresso-beans', 'Espresso beans', price, q);
const mug = (q: number, price = 1200) => line('ceramic-mug', 'Ceramic mug', price, q);
const filters = (q: number, price = 650) => line('paper-filters', 'Paper filters', price, q);
const dripper = (q: number, price = 2800) => line('pour-over-dripper', 'Pour-over dripper', price, q);

/** A consistent cart state (itemCount and totalCents derived from the lines). */
function cart(items: CartLine[], opts: { status?: CartState['status']; version?: number } = {}): CartState {
  const status = opts.status ?? 'open';
  return {
    cartId: 'cart-1',
    userId: 'user-1',
    status,
    items,
    itemCount: items.reduce((n, l) => n + l.quantity, 0),
    totalCents: items.reduce((n, l) => n + l.lineTotalCents, 0),
    currency: 'EUR',
    version: opts.version ?? 1,
    orderId: status === 'checked_out' ? 'ord_0123456789abcdef' : null,
    createdAt: '2025-01-01T09:00:00.000Z',
    updatedAt: '2025-01-01T09:00:00.000Z',
  };
}

const byId = <T extends { productId: string }>(xs: T[]) => [...xs].sort((a, b) => a.productId.localeCompare(b.productId));

/** The diff with its line lists in a fixed order, so comparisons do not depend on line order. */
const normalized = (d: CartDiff): CartDiff => ({ ...d, added: byId(d.added), removed: byId(d.removed), changed: byId(d.changed) });

// ------------------------------------------------------------------ diffCarts

describe('diffCarts', () => {
  it('a line only in `to` is added', () => {
    const d = diffCarts(cart([espresso(1)]), cart([espresso(1), mug(2)]));
    expect(d.added).toEqual([mug(2)]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.totalDeltaCents).toBe(2400);
    expect(d.itemCountDelta).toBe(2);
    expect(d.status).toBeNull();
    expect(isEmptyDiff(d)).toBe(false);
  });

  it('a line only in `from` is removed; the deltas are negative', () => {
    const d = diffCarts(cart([espresso(2), mug(1)]), cart([espresso(2)]));
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([mug(1)]);
    expect(d.changed).toEqual([]);
    expect(d.totalDeltaCents).toBe(-1200);
    expect(d.itemCountDelta).toBe(-1);
    expect(isEmptyDiff(d)).toBe(false);
  });

  it('a quantity change is listed with before and after quantity, unit price and line total', () => {
    const d = diffCarts(cart([espresso(2), mug(1)]), cart([espresso(3), mug(1)]));
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([
      {
        productId: 'espresso-beans',
        name: 'Espresso beans',
        before: { quantity: 2, unitPriceCents: 2490, lineTotalCents: 4980 },
        after: { quantity: 3, unitPriceCents: 2490, lineTotalCents: 7470 },
      },
    ]);
    expect(d.totalDeltaCents).toBe(2490);
    expect(d.itemCountDelta).toBe(1);
  });

  it('a unit price change alone (same quantity) is a change; item count unchanged', () => {
    const d = diffCarts(cart([espresso(2)]), cart([espresso(2, 2290)]));
    expect(d.changed).toEqual([
      {
        productId: 'espresso-beans',
        name: 'Espresso beans',
        before: { quantity: 2, unitPriceCents: 2490, lineTotalCents: 4980 },
        after: { quantity: 2, unitPriceCents: 2290, lineTotalCents: 4580 },
      },
    ]);
    expect(d.totalDeltaCents).toBe(-400);
    expect(d.itemCountDelta).toBe(0);
    expect(isEmptyDiff(d)).toBe(false);
  });

  it('quantity and unit price changed together', () => {
    const d = diffCarts(cart([mug(1)]), cart([mug(3, 1000)]));
    expect(d.changed).toEqual([
      {
        productId: 'ceramic-mug',
        name: 'Ceramic mug',
        before: { quantity: 1, unitPriceCents: 1200, lineTotalCents: 1200 },
        after: { quantity: 3, unitPriceCents: 1000, lineTotalCents: 3000 },
      },
    ]);
    expect(d.totalDeltaCents).toBe(1800);
    expect(d.itemCountDelta).toBe(2);
  });

  it('added, removed and changed at once, with a negative total delta', () => {
    const d = diffCarts(cart([espresso(3), mug(2), dripper(1)]), cart([espresso(1), mug(2), filters(2)]));
    expect(d.added).toEqual([filters(2)]);
    expect(d.removed).toEqual([dripper(1)]);
    expect(d.changed.map((c) => [c.productId, c.before.quantity, c.after.quantity])).toEqual([['espresso-beans', 3, 1]]);
    // (1*2490 + 2*1200 + 2*650) - (3*2490 + 2*1200 + 1*2800) = 6190 - 12670
    expect(d.totalDeltaCents).toBe(-6480);
    expect(d.itemCountDelta).toBe(-1);
  });

  it('status change open -> checked_out with the same lines', () => {
    const items = [espresso(2), mug(1)];
    const d = diffCarts(cart(items), cart(items, { status: 'checked_out', version: 2 }));
    expect(d.status).toEqual({ before: 'open', after: 'checked_out' });
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.totalDeltaCents).toBe(0);
    expect(d.itemCountDelta).toBe(0);
    expect(isEmptyDiff(d)).toBe(false);
  });

  it('a null `from`: every line is added, deltas are the whole cart, no status change', () => {
    const to = cart([espresso(2), mug(1)]);
    const d = diffCarts(null, to);
    expect(byId(d.added)).toEqual(byId([espresso(2), mug(1)]));
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.totalDeltaCents).toBe(2 * 2490 + 1200);
    expect(d.itemCountDelta).toBe(3);
    expect(d.status).toBeNull();
    expect(isEmptyDiff(d)).toBe(false);
  });

  it('a null `from` to an empty cart is empty', () => {
    expect(isEmptyDiff(diffCarts(null, cart([])))).toBe(true);
  });

  it('identical states: nothing added, removed or changed, zero deltas, isEmptyDiff', () => {
    const a = cart([espresso(2), mug(1)]);
    const d = diffCarts(a, cart([espresso(2), mug(1)]));
    expect(d).toEqual({ added: [], removed: [], changed: [], totalDeltaCents: 0, itemCountDelta: 0, status: null });
    expect(isEmptyDiff(d)).toBe(true);
    expect(isEmptyDiff(diffCarts(a, a))).toBe(true);
  });

  it('identical lines at different versions (different metadata) still make an empty diff', () => {
    const d = diffCarts(cart([espresso(2)], { version: 3 }), { ...cart([espresso(2)], { version: 7 }), updatedAt: '2025-01-02T00:00:00.000Z' });
    expect(isEmptyDiff(d)).toBe(true);
  });

  it('the order of lines does not matter', () => {
    const from = [espresso(2), mug(1), dripper(1)];
    const to = [filters(2), mug(3), espresso(2)];
    const reference = normalized(diffCarts(cart(from), cart(to)));
    expect(reference.added).toEqual([filters(2)]);
    expect(reference.removed).toEqual([dripper(1)]);
    expect(reference.changed.map((c) => c.productId)).toEqual(['ceramic-mug']);
    for (const f of [from, [...from].reverse(), [from[1], from[2], from[0]]]) {
      for (const t of [to, [...to].reverse(), [to[2], to[0], to[1]]]) {
        expect(normalized(diffCarts(cart(f), cart(t)))).toEqual(reference);
      }
    }
    expect(isEmptyDiff(diffCarts(cart([espresso(2), mug(1)]), cart([mug(1), espresso(2)])))).toBe(true);
  });
});
