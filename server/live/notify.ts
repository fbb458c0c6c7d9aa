import 'server-only';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';

/** The one channel every app server LISTENs on (hub.ts). */
export const CART_CHANNEL = 'cart_changed';

/**
 * What a notification says: which cart (and whose: a shopper's page follows all of their carts, so it
 * notices a cart opened on another device), its version now, and the types of the events just appended.
 */
export const CartChangeSchema = z.object({
  cartId: z.string().min(1).max(100),
  userId: z.string().min(1).max(200).optional(),
  version: z.number().int().nonnegative(),
  types: z.array(z.string().max(100)).max(20),
});
export type CartChange = z.infer<typeof CartChangeSchema>;

/**
 * Tells every listening app server (hub.ts) that a cart changed; PGlite delivers in-process. The
 * payload stays tiny (PostgreSQL caps it at 8000 bytes): listeners fetch the cart itself, with their
 * own authorisation.
 *
 * The cart command handler sends it after its own transaction committed (a rolled-back command tells
 * nobody), through the pool (`own`), or inside a caller's transaction, which delivers it on commit. On
 * its own it is one statement that also sets `synchronous_commit` off for its own implicit transaction
 * only: PostgreSQL gives a transaction that notifies a transaction id and holds a database-wide lock
 * from its commit until the commit is flushed, so durable notifications (or notifying inside the
 * command's transaction) would queue every command behind one disk flush after another. A notification
 * is never durable anyway (listeners that miss one see the cart on their next fetch), so that commit
 * need not wait for the disk.
 */
export async function publishCartChange(tx: Db, change: CartChange, opts: { own: boolean } = { own: false }): Promise<void> {
  if (change.types.length === 0) return;
  const payload = JSON.stringify(CartChangeSchema.parse({ ...change, types: change.types.slice(0, 20) }));
  await tx.execute(
    opts.own
      ? sql`select set_config('synchronous_commit', 'off', true), pg_notify(${CART_CHANNEL}, ${payload})`
      : sql`select pg_notify(${CART_CHANNEL}, ${payload})`,
  );
}
