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
 * Called by the cart command handler inside the command's transaction: PostgreSQL delivers a NOTIFY
 * only when that transaction commits (a rolled-back command tells nobody) and to every connection that
 * listens, on every app server; PGlite does the same in-process. The payload stays tiny (PostgreSQL
 * caps it at 8000 bytes): listeners fetch the cart itself, with their own authorisation.
 */
export async function publishCartChange(tx: Db, change: CartChange): Promise<void> {
  if (change.types.length === 0) return;
  const payload = CartChangeSchema.parse({ ...change, types: change.types.slice(0, 20) });
  await tx.execute(sql`select pg_notify(${CART_CHANNEL}, ${JSON.stringify(payload)})`);
}
