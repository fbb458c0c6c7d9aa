import 'server-only';
import { count } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { carts, orders } from '@/db/schema';
import { countCartStreams } from './fold';

/** Cart streams and read-model rows, for the admin page. */
export async function readModelStats(): Promise<{ streams: number; carts: number; orders: number }> {
  const db = getDb();
  const [streams, [c], [o]] = await Promise.all([
    countCartStreams(db),
    db.select({ n: count() }).from(carts),
    db.select({ n: count() }).from(orders),
  ]);
  return { streams, carts: Number(c.n), orders: Number(o.n) };
}
