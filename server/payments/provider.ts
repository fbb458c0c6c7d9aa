import type { PaymentMethod } from '../orders/events';
import type { PaymentOutcome } from '../orders/decide';

// What the order process needs from a payment provider. The shop ships one implementation, a simulated
// provider (simulated.ts); a real one (a card processor's API) would implement the same two calls.

export type AuthorizeRequest = {
  /** The same key always gets the same answer: a runner that crashed after asking asks again safely. */
  idempotencyKey: string;
  orderId: string;
  amountCents: number;
  currency: string;
  method: PaymentMethod;
};

export type PaymentProvider = {
  readonly name: string;
  /** Authorised or declined; throws PaymentProviderUnavailable when the provider could not answer. */
  authorize: (req: AuthorizeRequest) => Promise<PaymentOutcome>;
  /** Releases an authorisation; voiding one twice is harmless. */
  void: (paymentId: string) => Promise<void>;
};

/** The provider did not answer (timeout, outage): the step is tried again later, then given up. */
export class PaymentProviderUnavailable extends Error {
  constructor(message = 'The payment provider did not answer.') {
    super(message);
    this.name = 'PaymentProviderUnavailable';
  }
}

/** How shoppers see the test cards at checkout. */
export const TEST_CARDS: { method: PaymentMethod; label: string; number: string; outcome: string }[] = [
  { method: 'card_ok', label: 'Test card, approved', number: '4242 4242 4242 4242', outcome: 'approved' },
  { method: 'card_declined', label: 'Test card, declined', number: '4000 0000 0000 9995', outcome: 'declined: insufficient funds' },
];
