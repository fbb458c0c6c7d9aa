import 'server-only';
import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { carts, orders } from '@/db/schema';
import type { CartEventEnvelope } from './events';
import type { CartState } from './evolve';

/**
 * Inline projections: run in the append transaction, so a reader never sees an event without its
 * read-model change or the other way round.
 */
export async function projectCart(tx: Db, state: CartState, newEvents: CartEventEnvelope[]): Promise<void> {
  const row = {
    cartId: state.cartId,
    userId: state.userId,
    status: state.status,
    items: state.items,
    itemCount: state.itemCount,
    totalCents: state.totalCents,
    currency: state.currency,
    version: state.version,
    orderId: state.orderId,
    createdAt: new Date(state.createdAt),
    updatedAt: new Date(state.updatedAt),
  };
  const { cartId: _id, ...update } = row;
  void _id;
  await tx
    .insert(carts)
    .values(row)
    .onConflictDoUpdate({ target: carts.cartId, set: update, setWhere: sql`${carts.version} < excluded.version` });

  for (const e of newEvents) {
    if (e.type === 'CartCheckedOut') {
      await tx
        .insert(orders)
        .values({
          orderId: e.data.orderId,
          cartId: state.cartId,
          userId: state.userId,
          items: e.data.items,
          itemCount: e.data.itemCount,
          totalCents: e.data.totalCents,
          currency: e.data.currency,
          placedAt: new Date(e.occurredAt),
        })
        .onConflictDoNothing();
    }
  }
}
