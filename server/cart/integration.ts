import type { NewIntegrationMessage } from '../outbox/types';
import type { CartEventEnvelope } from './events';
import type { CartState } from './evolve';

/**
 * The integration messages a cart command announces (written to the outbox in its transaction).
 * Ids derive from the domain event (stream, version, subject), so they are stable and unique.
 * order.confirmed and order.failed come from the order process (server/orders/store.ts).
 */
export function cartIntegrationMessages(
  streamId: string,
  state: CartState,
  events: CartEventEnvelope[],
  correlationId: string,
): NewIntegrationMessage[] {
  const out: NewIntegrationMessage[] = [];
  for (const e of events) {
    if (e.type !== 'CartCheckedOut') continue;
    const order = {
      orderId: e.data.orderId,
      cartId: state.cartId,
      userId: state.userId,
      items: e.data.items,
      itemCount: e.data.itemCount,
      totalCents: e.data.totalCents,
      currency: e.data.currency,
    };
    const id = (subject: string) => `${streamId}@${e.version}/${subject}`;
    out.push({
      messageId: id('cart.checked_out'),
      subject: 'cart.checked_out',
      partitionKey: state.cartId,
      payload: { ...order, checkedOutAt: e.occurredAt },
      correlationId,
    });
  }
  return out;
}
