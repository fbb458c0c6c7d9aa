import type { CartLine } from '../cart/events';

// The order process: checkout as a saga, event-sourced in a stream of its own per order
// (`order-<orderId>`). Forward: OrderPlaced -> PaymentAuthorized -> StockCommitted -> OrderConfirmed.
// A step that fails records OrderStepFailed; then every completed step is undone, newest first
// (StockReturned, PaymentVoided) and OrderFailed closes the order while the cart is reopened
// (CartReopened, in the same transaction). An admin may retry a failed order: OrderRetried starts the
// steps again as the next attempt.

export type OrderStep = 'payment' | 'stock' | 'confirm';

/** The test cards of the simulated payment provider (server/payments/simulated.ts). */
export const PAYMENT_METHODS = ['card_ok', 'card_declined'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export type StockLine = { productId: string; name: string; quantity: number };

export type OrderPlaced = {
  type: 'OrderPlaced';
  data: {
    orderId: string;
    cartId: string;
    userId: string;
    items: CartLine[];
    itemCount: number;
    totalCents: number;
    currency: string;
    paymentMethod: PaymentMethod;
  };
};
export type PaymentAuthorized = { type: 'PaymentAuthorized'; data: { attempt: number; paymentId: string; amountCents: number } };
export type StockCommitted = { type: 'StockCommitted'; data: { lines: StockLine[] } };
export type OrderConfirmed = { type: 'OrderConfirmed'; data: { attempt: number } };
export type OrderStepFailed = { type: 'OrderStepFailed'; data: { attempt: number; step: OrderStep; code: string; reason: string } };
export type StockReturned = { type: 'StockReturned'; data: { lines: StockLine[] } };
export type PaymentVoided = { type: 'PaymentVoided'; data: { paymentId: string } };
export type OrderFailed = { type: 'OrderFailed'; data: { attempt: number; step: OrderStep; code: string; reason: string } };
export type OrderRetried = { type: 'OrderRetried'; data: { attempt: number; by: string } };

export type OrderEvent =
  | OrderPlaced
  | PaymentAuthorized
  | StockCommitted
  | OrderConfirmed
  | OrderStepFailed
  | StockReturned
  | PaymentVoided
  | OrderFailed
  | OrderRetried;
export type OrderEventType = OrderEvent['type'];
export type OrderEventEnvelope = OrderEvent & { version: number; occurredAt: string };

export const orderEventTypes: OrderEventType[] = [
  'OrderPlaced',
  'PaymentAuthorized',
  'StockCommitted',
  'OrderConfirmed',
  'OrderStepFailed',
  'StockReturned',
  'PaymentVoided',
  'OrderFailed',
  'OrderRetried',
];

export const ORDER_STREAM_TYPE = 'order';
export const orderStreamId = (orderId: string) => `order-${orderId}`;
