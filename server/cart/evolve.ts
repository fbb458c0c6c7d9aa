import type { CartEventEnvelope, CartLine } from './events';

/** The cart as shoppers, the read model and time travel see it. */
export type CartState = {
  cartId: string;
  userId: string;
  status: 'open' | 'checked_out' | 'abandoned' | 'expired' | 'merged';
  items: CartLine[];
  itemCount: number;
  totalCents: number;
  currency: string;
  version: number;
  orderId: string | null;
  createdAt: string;
  updatedAt: string;
};

function withTotals(state: CartState, items: CartLine[]): CartState {
  return {
    ...state,
    items,
    itemCount: items.reduce((n, l) => n + l.quantity, 0),
    totalCents: items.reduce((n, l) => n + l.lineTotalCents, 0),
  };
}

const line = (productId: string, name: string, unitPriceCents: number, quantity: number): CartLine => ({
  productId,
  name,
  unitPriceCents,
  quantity,
  lineTotalCents: unitPriceCents * quantity,
});

/** Adds units to a line (at the given name and price, as ItemAdded does) or appends a new line. */
function addLine(items: CartLine[], l: { productId: string; name: string; unitPriceCents: number; quantity: number }): CartLine[] {
  const existing = items.find((x) => x.productId === l.productId);
  return existing
    ? items.map((x) => (x.productId === l.productId ? line(l.productId, l.name, l.unitPriceCents, x.quantity + l.quantity) : x))
    : [...items, line(l.productId, l.name, l.unitPriceCents, l.quantity)];
}

/** Pure: the state after one event. No I/O, no clock; used by the server, rebuilds and the browser. */
export function evolve(state: CartState | null, event: CartEventEnvelope): CartState {
  if (event.type === 'CartOpened') {
    return {
      cartId: event.data.cartId,
      userId: event.data.userId,
      status: 'open',
      items: [],
      itemCount: 0,
      totalCents: 0,
      currency: event.data.currency,
      version: event.version,
      orderId: null,
      createdAt: event.occurredAt,
      updatedAt: event.occurredAt,
    };
  }
  if (!state) throw new Error(`${event.type} before CartOpened`);
  const next = { ...state, version: event.version, updatedAt: event.occurredAt };
  switch (event.type) {
    case 'ItemAdded': {
      const { productId, name, unitPriceCents, quantity } = event.data;
      const existing = state.items.find((l) => l.productId === productId);
      const items = existing
        ? state.items.map((l) =>
            l.productId === productId ? line(productId, name, unitPriceCents, l.quantity + quantity) : l,
          )
        : [...state.items, line(productId, name, unitPriceCents, quantity)];
      return withTotals(next, items);
    }
    case 'ItemQuantityChanged': {
      const items = state.items.map((l) =>
        l.productId === event.data.productId ? line(l.productId, l.name, l.unitPriceCents, event.data.to) : l,
      );
      return withTotals(next, items);
    }
    case 'ItemRemoved':
      return withTotals(
        next,
        state.items.filter((l) => l.productId !== event.data.productId),
      );
    case 'CartCheckedOut':
      return { ...next, status: 'checked_out', orderId: event.data.orderId };
    // Releasing lapsed reservations is the system's doing, not activity: updatedAt (last activity,
    // which cart expiry measures from) stays.
    case 'ReservationsExpired':
      return { ...state, version: event.version };
    case 'CartAbandoned':
      return { ...next, status: 'abandoned' };
    case 'CartExpired':
      return { ...next, status: 'expired' };
    case 'CartRepriced': {
      const to = new Map(event.data.lines.map((c) => [c.productId, c.toCents]));
      return withTotals(
        next,
        state.items.map((l) => (to.has(l.productId) ? line(l.productId, l.name, to.get(l.productId)!, l.quantity) : l)),
      );
    }
    case 'GuestCartMerged':
      return withTotals(next, event.data.lines.reduce(addLine, state.items));
    case 'CartMergedInto':
      // The signed-in shopper proved to be this guest: the closed cart becomes theirs to read.
      return { ...next, status: 'merged', userId: event.data.userId };
    case 'CartReopened':
      return { ...next, status: 'open', orderId: null };
  }
}

export function fold(events: CartEventEnvelope[], from: CartState | null = null): CartState | null {
  return events.reduce<CartState | null>(evolve, from);
}
