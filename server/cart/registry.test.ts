import { describe, it, expect } from 'vitest';
import { cartEventTypes, type CartEvent, type CartEventEnvelope } from './events';
import { evolve, type CartState } from './evolve';
import { cartEventRegistry, describeEvent, eventIcon, eventTitle, type EventIconName } from './registry';

// ------------------------------------------------------------------ fixtures (fixed values only)

const at = (version: number) => new Date(Date.UTC(2025, 0, 1, 9, 0, 0) + version * 60_000).toISOString();
const ORDER_ID = 'ord_0123456789abcdef';

const opened: CartEvent = { type: 'CartOpened', data: { cartId: 'cart-1', userId: 'user-1', currency: 'EUR' } };
const addEspresso = (quantity: number): CartEvent => ({
  type: 'ItemAdded',
  data: { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2490, quantity },
});
const addMug = (quantity: number): CartEvent => ({
  type: 'ItemAdded',
  data: { productId: 'ceramic-mug', name: 'Ceramic mug', unitPriceCents: 1200, quantity },
});
const espressoQuantity = (from: number, to: number): CartEvent => ({
  type: 'ItemQuantityChanged',
  data: { productId: 'espresso-beans', from, to },
});
const removeMug = (quantity: number): CartEvent => ({ type: 'ItemRemoved', data: { productId: 'ceramic-mug', quantity } });

/** Folds events with the real evolve; returns the state after each version (index = version, 0 = null). */
function replay(events: CartEvent[]): (CartState | null)[] {
  const states: (CartState | null)[] = [null];
  events.forEach((e, i) => {
    const env = { ...e, version: i + 1, occurredAt: at(i + 1) } as CartEventEnvelope;
    states.push(evolve(states[i], env));
  });
  return states;
}

/** describeEvent for the event at `version` of `events`, with the real before and after states. */
function describeAt(events: CartEvent[], version: number) {
  const states = replay(events);
  return describeEvent(events[version - 1], states[version - 1], states[version]!);
}

const checkedOut = (state: CartState): CartEvent => ({
  type: 'CartCheckedOut',
  data: { orderId: ORDER_ID, items: state.items, itemCount: state.itemCount, totalCents: state.totalCents, currency: state.currency },
});

const knownIcons: EventIconName[] = ['open', 'add', 'quantity', 'remove', 'checkout', 'lapsed', 'abandoned', 'expired', 'price', 'merge-in', 'merge-out', 'reopen'];
const repriced: CartEvent = {
  type: 'CartRepriced',
  data: { currency: 'EUR', lines: [{ productId: 'espresso-beans', name: 'Espresso beans', fromCents: 2490, toCents: 2690 }] },
};

// ------------------------------------------------------------------ icons and titles

describe('cart event registry: icons and titles', () => {
  it('every cart event type has a registry entry with an icon key and a readable title', () => {
    const sampleData: Record<string, unknown> = {
      CartOpened: opened.data,
      ItemAdded: addEspresso(2).data,
      ItemQuantityChanged: espressoQuantity(1, 3).data,
      ItemRemoved: removeMug(1).data,
      CartCheckedOut: { orderId: ORDER_ID, items: [], itemCount: 0, totalCents: 0, currency: 'EUR' },
      ReservationsExpired: { productIds: ['espresso-beans'] },
      CartAbandoned: {},
      CartExpired: { lastActivityAt: at(1), ttlSeconds: 86_400 },
      CartRepriced: repriced.data,
      GuestCartMerged: { fromCartId: 'cart-2', guestId: 'guest_1', lines: [], capped: [] },
      CartMergedInto: { intoCartId: 'cart-1', userId: 'user-1', lines: [] },
      CartReopened: { orderId: 'ord_1', step: 'payment', code: 'insufficient_funds', reason: 'The card was declined: insufficient funds.' },
    };
    expect(Object.keys(cartEventRegistry).sort()).toEqual([...cartEventTypes].sort());
    for (const type of cartEventTypes) {
      expect(knownIcons).toContain(eventIcon(type));
      const title = eventTitle(type, sampleData[type]);
      expect(title.length).toBeGreaterThan(0);
      expect(title).not.toBe(type);
    }
    expect(new Set(cartEventTypes.map(eventIcon)).size).toBe(cartEventTypes.length);
  });

  it('icon keys per type', () => {
    expect(cartEventTypes.map((t) => [t, eventIcon(t)])).toEqual([
      ['CartOpened', 'open'],
      ['ItemAdded', 'add'],
      ['ItemQuantityChanged', 'quantity'],
      ['ItemRemoved', 'remove'],
      ['CartCheckedOut', 'checkout'],
      ['ReservationsExpired', 'lapsed'],
      ['CartAbandoned', 'abandoned'],
      ['CartExpired', 'expired'],
      ['CartRepriced', 'price'],
      ['GuestCartMerged', 'merge-in'],
      ['CartMergedInto', 'merge-out'],
      ['CartReopened', 'reopen'],
    ]);
  });

  it('CartRepriced: the old -> new price per line in the title, and the line and total in the changes', () => {
    expect(eventTitle('CartRepriced', repriced.data)).toBe('Repriced: Espresso beans €24.90 → €26.90');
    const view = describeAt([opened, addEspresso(2), repriced], 3);
    expect(view.icon).toBe('price');
    expect(view.changes).toEqual([
      { label: 'Espresso beans', before: '2 × €24.90', after: '2 × €26.90' },
      { label: 'Total', before: '€49.80', after: '€53.80' },
    ]);
  });

  it('reservations and closing: titles name the lines (from the state before) and the TTL', () => {
    const states = replay([opened, addEspresso(1)]);
    expect(eventTitle('ReservationsExpired', { productIds: ['espresso-beans'] }, states[2])).toBe(
      'Reservation lapsed: Espresso beans no longer held',
    );
    expect(eventTitle('CartAbandoned', {})).toBe('Cart abandoned by the shopper');
    expect(eventTitle('CartExpired', { lastActivityAt: at(1), ttlSeconds: 86_400 })).toBe('Cart expired after 24 h without activity');
  });

  it('CartOpened: "Cart opened"', () => {
    expect(eventTitle('CartOpened', opened.data)).toBe('Cart opened');
  });

  it('ItemAdded: "Added 2 × Espresso beans"', () => {
    expect(eventTitle('ItemAdded', addEspresso(2).data)).toBe('Added 2 × Espresso beans');
  });

  it('ItemQuantityChanged: the name comes from the state before the event', () => {
    const events = [opened, addEspresso(1), espressoQuantity(1, 3)];
    const states = replay(events);
    expect(eventTitle('ItemQuantityChanged', events[2].data, states[2])).toBe('Espresso beans: quantity 1 → 3');
  });

  it('ItemQuantityChanged without a before-state falls back to the product id', () => {
    expect(eventTitle('ItemQuantityChanged', espressoQuantity(1, 3).data)).toBe('espresso-beans: quantity 1 → 3');
    expect(eventTitle('ItemQuantityChanged', espressoQuantity(1, 3).data, null)).toBe('espresso-beans: quantity 1 → 3');
  });

  it('ItemQuantityChanged with a before-state that lacks the line falls back to the product id', () => {
    const states = replay([opened, addMug(1)]);
    expect(eventTitle('ItemQuantityChanged', espressoQuantity(1, 3).data, states[2])).toBe('espresso-beans: quantity 1 → 3');
  });

  it('ItemRemoved: "Removed Ceramic mug (1)", name from the state before', () => {
    const events = [opened, addMug(1), removeMug(1)];
    const states = replay(events);
    expect(eventTitle('ItemRemoved', events[2].data, states[2])).toBe('Removed Ceramic mug (1)');
    expect(eventTitle('ItemRemoved', events[2].data)).toBe('Removed ceramic-mug (1)');
  });

  it('CartCheckedOut: "Checked out, order #ord_…"', () => {
    const states = replay([opened, addEspresso(1)]);
    expect(eventTitle('CartCheckedOut', checkedOut(states[2]!).data, states[2])).toBe(`Checked out, order #${ORDER_ID}`);
  });

  it('an unknown type falls back to the type string and the icon "other"', () => {
    for (const type of ['CouponApplied', 'cart-opened', '']) {
      expect(eventTitle(type, { whatever: 1 })).toBe(type);
      expect(eventIcon(type)).toBe('other');
    }
  });

  it('an unknown type named like an Object.prototype member also falls back (no prototype lookup)', () => {
    for (const type of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      expect(eventIcon(type)).toBe('other');
      expect(eventTitle(type, {})).toBe(type);
    }
  });

  it('describeEvent of an unknown type: icon "other", the type as title', () => {
    const states = replay([opened]);
    const view = describeEvent({ type: 'CouponApplied', data: { code: 'X' } } as unknown as CartEvent, states[1], states[1]!);
    expect(view).toEqual({ icon: 'other', title: 'CouponApplied', changes: [] });
  });
});

// ------------------------------------------------------------------ describeEvent: what changed

describe('cart event registry: describeEvent changes', () => {
  it('CartOpened changes no line but lists the Total: none -> €0.00', () => {
    const view = describeAt([opened], 1);
    expect(view).toEqual({ icon: 'open', title: 'Cart opened', changes: [{ label: 'Total', before: null, after: '€0.00' }] });
  });

  it('ItemAdded on a new line: the line none -> "2 × €24.90" and the Total', () => {
    const view = describeAt([opened, addEspresso(2)], 2);
    expect(view).toEqual({
      icon: 'add',
      title: 'Added 2 × Espresso beans',
      changes: [
        { label: 'Espresso beans', before: null, after: '2 × €24.90' },
        { label: 'Total', before: '€0.00', after: '€49.80' },
      ],
    });
  });

  it('ItemAdded on an existing line: only that line changes, the others are not listed', () => {
    const view = describeAt([opened, addMug(1), addEspresso(2), addEspresso(1)], 4);
    expect(view.title).toBe('Added 1 × Espresso beans');
    expect(view.changes).toEqual([
      { label: 'Espresso beans', before: '2 × €24.90', after: '3 × €24.90' },
      { label: 'Total', before: '€61.80', after: '€86.70' },
    ]);
  });

  it('ItemQuantityChanged: the line before -> after and the Total', () => {
    const view = describeAt([opened, addMug(1), addEspresso(2), espressoQuantity(2, 3)], 4);
    expect(view).toEqual({
      icon: 'quantity',
      title: 'Espresso beans: quantity 2 → 3',
      changes: [
        { label: 'Espresso beans', before: '2 × €24.90', after: '3 × €24.90' },
        { label: 'Total', before: '€61.80', after: '€86.70' },
      ],
    });
  });

  it('ItemQuantityChanged downwards gives a smaller Total', () => {
    const view = describeAt([opened, addEspresso(3), espressoQuantity(3, 1)], 3);
    expect(view.changes).toEqual([
      { label: 'Espresso beans', before: '3 × €24.90', after: '1 × €24.90' },
      { label: 'Total', before: '€74.70', after: '€24.90' },
    ]);
  });

  it('ItemRemoved: the line before -> null (named from the state before) and the Total', () => {
    const view = describeAt([opened, addEspresso(2), addMug(1), removeMug(1)], 4);
    expect(view).toEqual({
      icon: 'remove',
      title: 'Removed Ceramic mug (1)',
      changes: [
        { label: 'Ceramic mug', before: '1 × €12.00', after: null },
        { label: 'Total', before: '€61.80', after: '€49.80' },
      ],
    });
  });

  it('CartCheckedOut: lists the Status change open -> checked_out, no line and no Total', () => {
    const pre = replay([opened, addEspresso(2)]);
    const events = [opened, addEspresso(2), checkedOut(pre[2]!)];
    const view = describeAt(events, 3);
    expect(view).toEqual({
      icon: 'checkout',
      title: `Checked out, order #${ORDER_ID}`,
      changes: [{ label: 'Status', before: 'open', after: 'checked_out' }],
    });
  });

  it('a line whose unit price changed (re-added at a new price) is listed', () => {
    const repriced: CartEvent = {
      type: 'ItemAdded',
      data: { productId: 'espresso-beans', name: 'Espresso beans', unitPriceCents: 2290, quantity: 1 },
    };
    const view = describeAt([opened, addEspresso(1), repriced], 3);
    expect(view.changes).toEqual([
      { label: 'Espresso beans', before: '1 × €24.90', after: '2 × €22.90' },
      { label: 'Total', before: '€24.90', after: '€45.80' },
    ]);
  });
});
