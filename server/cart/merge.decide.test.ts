import { describe, expect, it } from 'vitest';
import { decide, type CartCommand, type ProductSnapshot } from './decide';
import { CartError } from './errors';
import { MAX_QUANTITY, type CartEvent, type CartEventEnvelope } from './events';
import { evolve, fold, type CartState } from './evolve';
import { describeEvent } from './registry';

// Given/when/then for the guest-cart merge rules (server/cart/decide.ts, decideMerge).

const at = (version: number) => new Date(Date.UTC(2025, 0, 1, 9, 0, 0) + version * 60_000).toISOString();
const stamp = (events: CartEvent[], from = 1): CartEventEnvelope[] => events.map((e, i) => ({ ...e, version: from + i, occurredAt: at(from + i) }));

const beans: ProductSnapshot = { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, currency: 'EUR', stock: 40 };
const mug: ProductSnapshot = { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, currency: 'EUR', stock: 60 };
const filters: ProductSnapshot = { productId: 'paper-filters', name: 'Paper filters', unitPriceCents: 450, currency: 'EUR', stock: 1000 };

const opened = (cartId: string, userId: string): CartEvent => ({ type: 'CartOpened', data: { cartId, userId, currency: 'EUR' } });
const added = (p: ProductSnapshot, quantity: number): CartEvent => ({
  type: 'ItemAdded',
  data: { productId: p.productId, name: p.name, unitPriceCents: p.unitPriceCents, quantity },
});

const given = (events: CartEvent[]): CartState | null => fold(stamp(events));
const shopperCart = (...lines: [ProductSnapshot, number][]) => given([opened('cart-shopper', 'user-1'), ...lines.map(([p, q]) => added(p, q))]);
const guestCart = (...lines: [ProductSnapshot, number][]) => given([opened('cart-guest', 'guest_1'), ...lines.map(([p, q]) => added(p, q))]);

const catalog = (...ps: ProductSnapshot[]) => Object.fromEntries(ps.map((p) => [p.productId, p]));
const merge = (guest: CartState, products = catalog(beans, mug, filters)): CartCommand => ({
  type: 'MergeGuestCart',
  data: { fromCartId: guest.cartId, guestId: guest.userId, lines: guest.items, products },
});
const markMerged: CartCommand = { type: 'MarkMergedInto', data: { intoCartId: 'cart-shopper', userId: 'user-1' } };

function refusal(fn: () => unknown): CartError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CartError);
    return e as CartError;
  }
  throw new Error('expected a refusal');
}

describe('MergeGuestCart (on the shopper cart)', () => {
  it('adds the guest lines as one GuestCartMerged event naming the guest cart; a product in both adds up', () => {
    const target = shopperCart([beans, 1]);
    const guest = guestCart([beans, 2], [mug, 1])!;
    const events = decide(merge(guest), target);
    expect(events).toEqual([
      {
        type: 'GuestCartMerged',
        data: {
          fromCartId: 'cart-guest',
          guestId: 'guest_1',
          lines: [
            { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2 },
            { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 1 },
          ],
          capped: [],
        },
      },
    ]);
    const after = fold(stamp(events, target!.version + 1), target)!;
    expect(after.items.map((l) => [l.productId, l.quantity])).toEqual([
      ['espresso-beans', 3],
      ['ceramic-mug', 1],
    ]);
    expect(after.itemCount).toBe(4);
    expect(after.totalCents).toBe(3 * 2490 + 1200);
    expect(after.status).toBe('open');
  });

  it(`caps a product at ${MAX_QUANTITY} and says so in the event`, () => {
    const target = shopperCart([filters, 90]);
    const guest = guestCart([filters, 20])!;
    const [e] = decide(merge(guest), target);
    expect(e).toMatchObject({
      type: 'GuestCartMerged',
      data: {
        lines: [{ productId: 'paper-filters', quantity: 9 }],
        capped: [{ productId: 'paper-filters', name: 'Paper filters', requested: 20, merged: 9, reason: 'quantity_limit' }],
      },
    });
    expect(fold(stamp([e], target!.version + 1), target)!.items[0].quantity).toBe(MAX_QUANTITY);
  });

  it('follows the stock rule of AddItem: never more in the cart than in stock, the rest named', () => {
    const target = shopperCart([beans, 3]);
    const guest = guestCart([beans, 5])!;
    const [e] = decide(merge(guest, catalog({ ...beans, stock: 4 })), target);
    expect(e).toMatchObject({
      data: { lines: [{ productId: 'espresso-beans', quantity: 1 }], capped: [{ requested: 5, merged: 1, reason: 'insufficient_stock' }] },
    });
  });

  it('a line that cannot be merged at all (sold out, no longer sold) is listed, not dropped silently', () => {
    const target = shopperCart();
    const guest = guestCart([beans, 2], [mug, 1])!;
    const [e] = decide(merge(guest, catalog({ ...beans, stock: 0 })), target);
    expect(e).toMatchObject({
      data: {
        lines: [],
        capped: [
          { productId: 'espresso-beans', requested: 2, merged: 0, reason: 'insufficient_stock' },
          { productId: 'ceramic-mug', requested: 1, merged: 0, reason: 'product_not_found' },
        ],
      },
    });
  });

  it('uses the catalog price now, as AddItem does, not the price the guest saw', () => {
    const guest = guestCart([mug, 2])!;
    const [e] = decide(merge(guest, catalog({ ...mug, unitPriceCents: 1500 })), shopperCart());
    expect(e).toMatchObject({ data: { lines: [{ productId: 'ceramic-mug', unitPriceCents: 1500, quantity: 2 }] } });
  });

  it('another currency is not merged', () => {
    const guest = guestCart([mug, 1])!;
    const [e] = decide(merge(guest, catalog({ ...mug, currency: 'USD' })), shopperCart());
    expect(e).toMatchObject({ data: { lines: [], capped: [{ reason: 'currency_mismatch', merged: 0 }] } });
  });

  it('an empty guest cart merges nothing', () => {
    expect(decide(merge(guestCart()!), shopperCart())).toEqual([]);
  });

  it('refuses a closed target cart and a cart merged into itself', () => {
    const target = shopperCart([beans, 1])!;
    const closed = fold(stamp([{ type: 'CartCheckedOut', data: { orderId: 'ord_1', items: target.items, itemCount: 1, totalCents: 2490, currency: 'EUR' } }], target.version + 1), target);
    expect(refusal(() => decide(merge(guestCart([mug, 1])!), closed)).code).toBe('cart_closed');
    expect(refusal(() => decide(merge(guestCart([mug, 1])!), null)).code).toBe('cart_not_found');
    expect(refusal(() => decide(merge(target), target)).code).toBe('merge_into_self');
  });
});

describe('MarkMergedInto (on the guest cart)', () => {
  it('closes the guest cart with CartMergedInto naming the target cart and the lines; it becomes the shopper’s to read', () => {
    const guest = guestCart([beans, 2], [mug, 1]);
    const events = decide(markMerged, guest);
    expect(events).toEqual([
      {
        type: 'CartMergedInto',
        data: {
          intoCartId: 'cart-shopper',
          userId: 'user-1',
          lines: [
            { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity: 2 },
            { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity: 1 },
          ],
        },
      },
    ]);
    const after = fold(stamp(events, guest!.version + 1), guest)!;
    expect(after).toMatchObject({ status: 'merged', userId: 'user-1', itemCount: 3 });
  });

  it('merging twice does nothing the second time: the first merge closed the guest cart', () => {
    const guest = guestCart([beans, 2])!;
    const merged = fold(stamp(decide(markMerged, guest), guest.version + 1), guest);
    expect(decide(markMerged, merged)).toEqual([]);
    // and the closed guest cart refuses shopping commands like a checked-out one
    const e = refusal(() => decide({ type: 'AddItem', data: { productId: 'espresso-beans', quantity: 1, product: beans } }, merged));
    expect(e.code).toBe('cart_closed');
    expect(e.message).toMatch(/merged/);
  });

  it('an empty or checked-out guest cart is not merged', () => {
    expect(decide(markMerged, guestCart())).toEqual([]);
    const guest = guestCart([mug, 1])!;
    const out = fold(stamp([{ type: 'CartCheckedOut', data: { orderId: 'ord_2', items: guest.items, itemCount: 1, totalCents: 1200, currency: 'EUR' } }], guest.version + 1), guest);
    expect(decide(markMerged, out)).toEqual([]);
    expect(refusal(() => decide(markMerged, null)).code).toBe('cart_not_found');
  });
});

describe('timeline registry for merges', () => {
  it('names the guest cart in the shopper cart history, with a link and the capped lines', () => {
    const target = shopperCart([filters, 90])!;
    const guest = guestCart([filters, 20], [mug, 1])!;
    const [e] = stamp(decide(merge(guest), target), target.version + 1);
    const view = describeEvent(e, target, evolve(target, e));
    expect(view.icon).toBe('merge-in');
    expect(view.title).toBe('Merged 2 lines from guest cart cart-gue');
    expect(view.links).toEqual([{ label: 'From guest cart cart-gue', href: '/carts/cart-guest/history' }]);
    expect(view.notes).toEqual([`Paper filters: 9 of 20 merged (at most ${MAX_QUANTITY} per product)`]);
    expect(view.changes.map((c) => c.label)).toEqual(['Paper filters', 'Ceramic mug', 'Total']);
  });

  it('says in the guest cart history where it went', () => {
    const guest = guestCart([mug, 1])!;
    const [e] = stamp(decide(markMerged, guest), guest.version + 1);
    const view = describeEvent(e, guest, evolve(guest, e));
    expect(view.title).toBe('Merged into cart cart-sho on sign-in (1 line)');
    expect(view.links).toEqual([{ label: 'Into cart cart-sho', href: '/carts/cart-shopper/history' }]);
    expect(view.changes).toContainEqual({ label: 'Status', before: 'open', after: 'merged' });
  });
});
