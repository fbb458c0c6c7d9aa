import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './client';
import { migrateDatabase, migrationsFolder } from './migrate';

type Journal = { entries: { idx: number; tag: string }[] };

/** db/migrations as it was up to and including `lastTag`: a database made before a later migration. */
function migrationsUpTo(lastTag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventcart-migrations-'));
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as Journal;
  const cut = journal.entries.findIndex((e) => e.tag === lastTag);
  const entries = journal.entries.slice(0, cut + 1);
  fs.mkdirSync(path.join(dir, 'meta'));
  fs.writeFileSync(path.join(dir, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }));
  for (const e of entries) fs.copyFileSync(path.join(migrationsFolder, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  return dir;
}

const rows = (res: unknown) => (Array.isArray(res) ? res : (res as { rows: unknown[] }).rows) as Record<string, unknown>[];

describe('migration 0004 (products.initial_stock) on a database that already sold things', () => {
  it('backfills initial_stock = stock + units sold over the orders, then requires it', async () => {
    const old = migrationsUpTo('0003_subscribers');
    const h = openDatabase({ pgliteDir: 'memory://' });
    try {
      await migrateDatabase(h, old);
      await h.exec(`
        insert into products (id, name, description, price_cents, stock, image_url) values
          ('a', 'A', '', 100, 7, '/a.svg'), ('b', 'B', '', 200, 0, '/b.svg'), ('c', 'C', '', 300, 5, '/c.svg');
        insert into orders (order_id, cart_id, user_id, items, item_count, total_cents, currency, placed_at) values
          ('o1', 'c1', 'u', '[{"productId":"a","name":"A","unitPriceCents":100,"quantity":2,"lineTotalCents":200},
                             {"productId":"b","name":"B","unitPriceCents":200,"quantity":3,"lineTotalCents":600}]', 5, 800, 'EUR', now()),
          ('o2', 'c2', 'u', '[{"productId":"a","name":"A","unitPriceCents":100,"quantity":1,"lineTotalCents":100}]', 1, 100, 'EUR', now());`);
      await migrateDatabase(h);
      const got = rows(await h.db.execute(sql`select id, stock, initial_stock from products order by id`));
      expect(got).toEqual([
        { id: 'a', stock: 7, initial_stock: 10 },
        { id: 'b', stock: 0, initial_stock: 3 },
        { id: 'c', stock: 5, initial_stock: 5 },
      ]);
      await expect(h.exec(`insert into products (id, name, description, price_cents, stock, image_url) values ('d', 'D', '', 1, 1, '/d.svg')`)).rejects.toThrow();
    } finally {
      await h.close();
      fs.rmSync(old, { recursive: true, force: true });
    }
  });
});
