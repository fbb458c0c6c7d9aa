import { count } from 'drizzle-orm';
import { hashPassword } from '../server/auth/password';
import type { Db } from './client';
import { demoProducts, demoUsers } from './catalog-data';
import { products, users } from './schema';

/** Inserts the demo catalog and accounts; rows that exist already are left as they are (idempotent). */
export async function seedDemo(db: Db): Promise<{ products: number; users: number }> {
  const productRows = demoProducts.map((p, i) => ({
    ...p,
    initialStock: p.stock,
    currency: 'EUR',
    imageUrl: `/products/${p.id}.svg`,
    sortOrder: i,
  }));
  const insertedProducts = await db.insert(products).values(productRows).onConflictDoNothing().returning({ id: products.id });
  const userRows = await Promise.all(
    demoUsers.map(async (u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      role: u.role,
      passwordHash: await hashPassword(u.password),
    })),
  );
  const insertedUsers = await db.insert(users).values(userRows).onConflictDoNothing().returning({ id: users.id });
  return { products: insertedProducts.length, users: insertedUsers.length };
}

export async function isEmpty(db: Db): Promise<boolean> {
  const [p] = await db.select({ n: count() }).from(products);
  const [u] = await db.select({ n: count() }).from(users);
  return p.n === 0 && u.n === 0;
}
