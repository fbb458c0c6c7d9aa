import 'server-only';
import { randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { products, streams } from '@/db/schema';
import { assertAdmin } from '../audit/queries';
import { append, type Actor } from '../eventstore';
import { AppError } from '../http/errors';
import { decideProductUpdate, type UpdateProduct } from './decide';
import { PRODUCT_STREAM_TYPE, productStreamId } from './events';
import type { Product } from './queries';

/** A product as the admin catalog shows it: with its stream's version, for the optimistic check. */
export type AdminProduct = Product & { version: number };

export type ProductUpdateResult = { product: AdminProduct; events: { type: string; version: number }[] };

const adminColumns = {
  id: products.id,
  name: products.name,
  description: products.description,
  priceCents: products.priceCents,
  currency: products.currency,
  stock: products.stock,
  imageUrl: products.imageUrl,
  // Seeded products have no stream yet: version 0 (nothing changed since the seed).
  version: sql<number>`coalesce(${streams.version}, 0)`.mapWith(Number),
};

const withVersion = (db: Db) =>
  db
    .select(adminColumns)
    .from(products)
    .leftJoin(streams, eq(streams.streamId, sql`'product-' || ${products.id}`));

/** Every product with price, stock and version: admins only (401 / 403 like the other admin reads). */
export async function listAdminCatalog(actor: Actor | null | undefined): Promise<AdminProduct[]> {
  assertAdmin(actor);
  return withVersion(getDb()).orderBy(asc(products.sortOrder), asc(products.id));
}

/**
 * An admin changes a product's price and/or stock: lock the product row (checkouts lock it too, so
 * stock never moves under us), check the form's version, decide, append to the product's stream with
 * the expected version, and update the `products` read model, all in one transaction.
 */
export async function updateProduct(
  actor: Actor | null | undefined,
  productId: string,
  input: UpdateProduct & { expectedVersion?: number },
  opts: { correlationId?: string; now?: Date } = {},
): Promise<ProductUpdateResult> {
  assertAdmin(actor);
  const commandId = randomUUID();
  return getDb().transaction(async (tx) => {
    const [row] = await tx
      .select({ name: products.name, currency: products.currency, priceCents: products.priceCents, stock: products.stock })
      .from(products)
      .where(eq(products.id, productId))
      .for('update');
    const [head] = await tx.select({ v: streams.version }).from(streams).where(eq(streams.streamId, productStreamId(productId)));
    const version = head?.v ?? 0;
    if (row && input.expectedVersion !== undefined && input.expectedVersion !== version) {
      throw new AppError(409, 'version_conflict', `${row.name} was changed by someone else meanwhile. Reload to see its current price and stock, then try again.`, {
        details: { expectedVersion: input.expectedVersion, currentVersion: version },
      });
    }
    const newEvents = decideProductUpdate(input, row ? { productId, ...row } : null, productId);
    const appended = await append(tx, productStreamId(productId), newEvents, {
      streamType: PRODUCT_STREAM_TYPE,
      expectedVersion: version === 0 ? 'no_stream' : version,
      metadata: { actor, correlationId: opts.correlationId ?? randomUUID(), causationId: commandId, commandId },
      occurredAt: opts.now ?? new Date(),
    });
    for (const e of newEvents) {
      if (e.type === 'ProductPriceChanged') {
        await tx.update(products).set({ priceCents: e.data.toCents }).where(eq(products.id, productId));
      } else {
        // initial_stock means "units the shop ever had": an adjustment by d adds d to it as well, so
        // `npm run verify`'s invariant (stock + units sold = initial stock) still holds afterwards.
        const d = e.data.to - e.data.from;
        await tx
          .update(products)
          .set({ stock: e.data.to, initialStock: sql`${products.initialStock} + ${d}` })
          .where(eq(products.id, productId));
      }
    }
    const [product] = await withVersion(tx).where(eq(products.id, productId));
    return { product, events: appended.events.map((e) => ({ type: e.type, version: e.streamVersion })) };
  });
}
