import 'server-only';
import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { cartStreamId } from '../cart/events';
import { fromDriver, projections, type InlineProjection } from './registry';
import { rowsOf } from './sql';
import type { Mismatch } from './types';

/**
 * Rows in a read-model table whose cart has no stream at all: nothing in the events explains them.
 * Keyset-paged on the primary key so a large table is read in bounded chunks.
 */
export async function findOrphans(db: Db, opts: { batchSize: number; tableOf?: (p: InlineProjection) => string }): Promise<Mismatch[]> {
  const out: Mismatch[] = [];
  for (const p of projections) {
    const table = sql.identifier(opts.tableOf ? opts.tableOf(p) : p.table);
    const key = sql.identifier(p.keyColumn);
    const cart = sql.identifier(p.cartColumn);
    let after = '';
    for (;;) {
      const res = await db.execute(sql`
        select t.* from ${table} t
        where t.${key} > ${after}
          and not exists (select 1 from streams s where s.stream_id = ${cartStreamId('')} || t.${cart})
        order by t.${key}
        limit ${opts.batchSize}`);
      const rows = rowsOf(res).map((r) => fromDriver(p, r));
      for (const r of rows) {
        out.push({ cartId: String(r[p.cartColumn]), projection: p.name, key: String(r[p.keyColumn]), field: 'row', expected: 'absent', actual: 'present' });
      }
      if (rows.length < opts.batchSize) break;
      after = String(rows.at(-1)![p.keyColumn]);
    }
  }
  return out;
}
