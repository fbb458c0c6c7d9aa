import type { CartEventType } from '@/server/cart/events';
import type { ProductEventType } from '@/server/catalog/events';
import type { OrderEventType } from '@/server/orders/events';

/** The event types (cart, catalog and order process) as the filter offers them. */
export const eventTypeLabels: Record<CartEventType | ProductEventType | OrderEventType, string> = {
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
  CartReopened: 'Cart reopened (order failed)',
  OrderPlaced: 'Order placed',
  PaymentAuthorized: 'Payment authorised',
  StockCommitted: 'Stock committed',
  OrderConfirmed: 'Order confirmed',
  OrderStepFailed: 'Order step failed',
  StockReturned: 'Stock returned',
  PaymentVoided: 'Payment voided',
  OrderFailed: 'Order failed',
  OrderRetried: 'Order retried',
};
