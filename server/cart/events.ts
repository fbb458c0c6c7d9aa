// The cart's events: what happened, with everything needed to replay it (no look-ups on replay).

export type CartLine = {
  productId: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
};

export type CartOpened = { type: 'CartOpened'; data: { cartId: string; userId: string; currency: string } };
/** Schema version 2: the price in integer cents. v1 stored a decimal string; upcast.ts converts it on read. */
export type ItemAdded = {
  type: 'ItemAdded';
  data: { productId: string; name: string; unitPriceCents: number; quantity: number };
};
export type ItemQuantityChanged = {
  type: 'ItemQuantityChanged';
  data: { productId: string; from: number; to: number };
};
export type ItemRemoved = { type: 'ItemRemoved'; data: { productId: string; quantity: number } };
export type CartCheckedOut = {
  type: 'CartCheckedOut';
  data: { orderId: string; items: CartLine[]; itemCount: number; totalCents: number; currency: string };
};

/**
 * Catalog prices changed for lines in the cart, and the shopper was shown the new ones: appended just
 * before CartCheckedOut (or ItemAdded, which adds at the current price) so the lines are charged at them.
 */
export type CartRepriced = {
  type: 'CartRepriced';
  data: { currency: string; lines: { productId: string; name: string; fromCents: number; toCents: number }[] };
};

export type CartEvent = CartOpened | ItemAdded | ItemQuantityChanged | ItemRemoved | CartCheckedOut | CartRepriced;
export type CartEventType = CartEvent['type'];

/** An event as evolve sees it: the event plus its place in the stream and its time. */
export type CartEventEnvelope = CartEvent & { version: number; occurredAt: string };

export const cartEventTypes: CartEventType[] = [
  'CartOpened',
  'ItemAdded',
  'ItemQuantityChanged',
  'ItemRemoved',
  'CartCheckedOut',
  'CartRepriced',
];

/** Quantity bounds for one line: a whole number from 1 to 99. */
export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 99;

export const cartStreamId = (cartId: string) => `cart-${cartId}`;
export const CART_STREAM_TYPE = 'cart';
