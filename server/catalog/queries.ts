import 'server-only';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { products, reservations } from '@/db/schema';
import type { ProductSnapshot } from '../cart/decide';

export type Product = {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  imageUrl: string;
};

const columns = {
  id: products.id,
  name: products.name,
  description: products.description,
  priceCents: products.priceCents,
  currency: products.currency,
  stock: products.stock,
  imageUrl: products.imageUrl,
};

/** A catalog entry: `available` is stock minus the units live cart reservations hold (never below 0). */
export type CatalogProduct = Product & { available: number };

export async function listProducts(db: Db = getDb(), now: Date = new Date()): Promise<CatalogProduct[]> {
  const held = sql<number>`coalesce((select sum(${reservations.quantity}) from ${reservations}
    where ${reservations.productId} = ${products.id} and ${reservations.expiresAt} > ${now.toISOString()}::timestamptz), 0)`;
  const rows = await db
    .select({ ...columns, available: sql<number>`greatest(${products.stock} - ${held}, 0)::int` })
    .from(products)
    .orderBy(asc(products.sortOrder), asc(products.id));
  return rows.map((r) => ({ ...r, available: Number(r.available) }));
}

export async function getProduct(id: string, db: Db = getDb()): Promise<Product | null> {
  const [row] = await db.select(columns).from(products).where(eq(products.id, id));
  return row ?? null;
}

export const toSnapshot = (p: Product): ProductSnapshot => ({
  productId: p.id,
  name: p.name,
  unitPriceCents: p.priceCents,
  currency: p.currency,
  stock: p.stock,
});

/** Locks the rows in id order (so two checkouts never deadlock) and returns their current state. */
export async function lockProducts(tx: Db, ids: string[]): Promise<Record<string, ProductSnapshot>> {
  if (ids.length === 0) return {};
  const rows = await tx
    .select(columns)
    .from(products)
    .where(inArray(products.id, ids))
    .orderBy(asc(products.id))
    .for('update');
  return Object.fromEntries(rows.map((p) => [p.id, toSnapshot(p)]));
}

/** Current unit prices of the given products (id -> cents); ids the catalog lacks are absent. */
export async function currentPrices(ids: string[], db: Db = getDb()): Promise<Record<string, number>> {
  if (ids.length === 0) return {};
  const rows = await db.select({ id: products.id, priceCents: products.priceCents }).from(products).where(inArray(products.id, ids));
  return Object.fromEntries(rows.map((r) => [r.id, r.priceCents]));
}
