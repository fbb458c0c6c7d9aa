import 'server-only';
import { sql } from 'drizzle-orm';
import { send, settled } from '@/db/pipeline';
import type { Db } from '@/db/client';
import { carts, orders } from '@/db/schema';
import type { CartEventEnvelope } from './events';
import type { CartState } from './evolve';

export type CartRow = typeof carts.$inferSelect;
export type OrderRow = typeof orders.$inferSelect;

/** The `carts` row for a folded cart. Shared by the inline projection and rebuild/verify. */
export function cartRow(state: CartState): CartRow {
  return {
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
}

/** The `orders` rows the given events place (one per CartCheckedOut). Shared with rebuild/verify. */
export function orderRows(state: CartState, events: CartEventEnvelope[]): OrderRow[] {
  // A failed order retried by an admin checks the cart out again under the same id: one row per order.
  const rows = new Map<string, OrderRow>();
  for (const e of events) {
    if (e.type !== 'CartCheckedOut') continue;
    rows.set(e.data.orderId, {
      orderId: e.data.orderId,
      cartId: state.cartId,
      userId: state.userId,
      items: e.data.items,
      itemCount: e.data.itemCount,
      totalCents: e.data.totalCents,
      currency: e.data.currency,
      placedAt: rows.get(e.data.orderId)?.placedAt ?? new Date(e.occurredAt),
    });
  }
  return [...rows.values()];
}

/**
 * Inline projections: run in the append transaction, so a reader never sees an event without its
 * read-model change or the other way round.
 */
export async function projectCart(tx: Db, state: CartState, newEvents: CartEventEnvelope[]): Promise<void> {
  const row = cartRow(state);
  const { cartId: _id, ...update } = row;
  void _id;
  // Both sent before either answer is awaited (see projectReservations).
  const sent = [
    tx
      .insert(carts)
      .values(row)
      .onConflictDoUpdate({ target: carts.cartId, set: update, setWhere: sql`${carts.version} < excluded.version` }),
    ...orderRows(state, newEvents).map((order) => tx.insert(orders).values(order).onConflictDoNothing()),
  ].map(send);
  await settled(sent);
}
