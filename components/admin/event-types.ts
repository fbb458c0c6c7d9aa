import type { CartEventType } from '@/server/cart/events';
import type { ProductEventType } from '@/server/catalog/events';

/** The event types (cart and catalog) as the filter offers them. */
export const eventTypeLabels: Record<CartEventType | ProductEventType, string> = {
  CartOpened: 'Cart opened',
  ItemAdded: 'Item added',
  ItemQuantityChanged: 'Quantity changed',
  ItemRemoved: 'Item removed',
  CartCheckedOut: 'Checked out',
  ReservationsExpired: 'Reservation lapsed',
  CartAbandoned: 'Cart abandoned',
  CartExpired: 'Cart expired',
  CartRepriced: 'Cart repriced',
  ProductPriceChanged: 'Price changed (catalog)',
  ProductStockAdjusted: 'Stock adjusted (catalog)',
  GuestCartMerged: 'Guest cart merged in',
  CartMergedInto: 'Merged into a cart',
};
