import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { orders, products, streams } from '@/db/schema';
import { seedDemo } from '@/db/seed';
import { createTestDatabase, testDbKinds } from '@/server/testing/db';
import { searchEvents } from '../audit/queries';
import { getCart } from '../cart/queries';
import { addItem, checkOut, openCart, type CommandContext } from '../cart/handler';
import { readStream, type Actor } from '../eventstore';
import { toAppError } from '../http/errors';
import { verifyStore } from '../verify';
import { listAdminCatalog, updateProduct } from './commands';
import { productStreamId } from './events';

type Handle = DbHandle & { drop: () => Promise<void> };

const admin: Actor = { userId: 'user-admin', role: 'admin' };
let shoppers = 0;
const shopper = (): CommandContext => ({ actor: { userId: `shopper-price-${++shoppers}`, role: 'shopper' } });

/** The AppError status and code a call fails with. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = toAppError(e);
    return `${err.status} ${err.code}`;
  }
  return 'succeeded';
}

describe.each(testDbKinds())('prices that change, on %s', (kind) => {
  let h: Handle;
  const row = async (id: string) => (await h.db.select().from(products).where(eq(products.id, id)))[0];
  const streamVersion = async (id: string) =>
    (await h.db.select({ v: streams.version }).from(streams).where(eq(streams.streamId, id)))[0]?.v ?? 0;

  beforeAll(async () => {
    h = await createTestDatabase(kind);
    await seedDemo(h.db);
    setDbHandle(h);
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  it('a price change is an event on the product stream, by the admin, and updates the catalog in the same transaction', async () => {
    const before = await row('ceramic-mug');
    expect(await streamVersion(productStreamId('ceramic-mug'))).toBe(0);
    const r = await updateProduct(admin, 'ceramic-mug', { priceCents: before.priceCents + 250, expectedVersion: 0 }, { correlationId: 'req-1' });
    expect(r.events).toEqual([{ type: 'ProductPriceChanged', version: 1 }]);
    expect(r.product).toMatchObject({ id: 'ceramic-mug', priceCents: before.priceCents + 250, version: 1 });
    expect((await row('ceramic-mug')).priceCents).toBe(before.priceCents + 250);
    const stored = await readStream(h.db, productStreamId('ceramic-mug'));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      streamType: 'product',
      type: 'ProductPriceChanged',
      data: { productId: 'ceramic-mug', fromCents: before.priceCents, toCents: before.priceCents + 250, currency: 'EUR' },
      metadata: { actor: admin, correlationId: 'req-1' },
    });
    // The admin catalog lists it with its version; the same values again append nothing.
    expect((await listAdminCatalog(admin)).find((p) => p.id === 'ceramic-mug')).toMatchObject({ version: 1, priceCents: before.priceCents + 250 });
    expect((await updateProduct(admin, 'ceramic-mug', { priceCents: before.priceCents + 250, expectedVersion: 1 })).events).toEqual([]);
    await updateProduct(admin, 'ceramic-mug', { priceCents: before.priceCents, expectedVersion: 1 });
    expect(await streamVersion(productStreamId('ceramic-mug'))).toBe(2);
  });

  it('a stale version gives 409 version_conflict and writes nothing; shoppers 403, nobody 401; bad input 400/404', async () => {
    const v = await streamVersion(productStreamId('french-press'));
    await updateProduct(admin, 'french-press', { priceCents: 4100, expectedVersion: v });
    const price = (await row('french-press')).priceCents;
    expect(await failure(updateProduct(admin, 'french-press', { priceCents: 1, expectedVersion: v }))).toBe('409 version_conflict');
    expect(await failure(updateProduct({ userId: 'user-alice', role: 'shopper' }, 'french-press', { priceCents: 1 }))).toBe('403 forbidden');
    expect(await failure(updateProduct(null, 'french-press', { priceCents: 1 }))).toBe('401 unauthorized');
    expect(await failure(updateProduct(admin, 'french-press', { priceCents: -5 }))).toBe('400 invalid_price');
    expect(await failure(updateProduct(admin, 'no-such-product', { priceCents: 100 }))).toBe('404 product_not_found');
    expect((await row('french-press')).priceCents).toBe(price);
    expect(await streamVersion(productStreamId('french-press'))).toBe(v + 1);
  });

  it('concurrent admin edits from the same version: one wins, the other gets 409 and nothing of it is written', async () => {
    const v = await streamVersion(productStreamId('paper-filters'));
    const results = await Promise.allSettled([
      updateProduct(admin, 'paper-filters', { priceCents: 501, expectedVersion: v }),
      updateProduct(admin, 'paper-filters', { priceCents: 502, expectedVersion: v }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => toAppError(r.reason).code)).toEqual(['version_conflict']);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof updateProduct>>>).value.product.priceCents;
    expect((await row('paper-filters')).priceCents).toBe(winner);
    expect(await streamVersion(productStreamId('paper-filters'))).toBe(v + 1);
  });

  it('checkout after a price change: refused (409 prices_changed, nothing written) unless the shopper saw the new total; then CartRepriced and the order at the new price', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    const old = (await row('espresso-beans')).priceCents;
    await addItem(ctx, cartId, { productId: 'espresso-beans', quantity: 2 });
    await addItem(ctx, cartId, { productId: 'ceramic-mug', quantity: 1 });
    const mug = (await row('ceramic-mug')).priceCents;
    const v = await streamVersion(productStreamId('espresso-beans'));
    await updateProduct(admin, 'espresso-beans', { priceCents: old + 300, expectedVersion: v });

    // The cart keeps the price it was added at, and shows the new one with the difference.
    const shown = await getCart(ctx.actor, cartId);
    expect(shown.totalCents).toBe(2 * old + mug);
    expect(shown.repricing).toEqual({
      lines: [{ productId: 'espresso-beans', name: 'Espresso beans', quantity: 2, fromCents: old, toCents: old + 300 }],
      totalCents: 2 * (old + 300) + mug,
      differenceCents: 600,
    });

    const stockBefore = (await row('espresso-beans')).stock;
    const versionBefore = await streamVersion(`cart-${cartId}`);
    expect(await failure(checkOut(ctx, cartId))).toBe('409 prices_changed');
    expect(await failure(checkOut(ctx, cartId, { expectedTotalCents: 2 * old + mug }))).toBe('409 prices_changed');
    try {
      await checkOut(ctx, cartId, { expectedTotalCents: 2 * old + mug });
    } catch (e) {
      expect(toAppError(e).extra.details).toMatchObject({
        lines: [{ productId: 'espresso-beans', fromCents: old, toCents: old + 300 }],
        currentTotalCents: 2 * (old + 300) + mug,
      });
    }
    expect(await streamVersion(`cart-${cartId}`)).toBe(versionBefore);
    expect(await h.db.select().from(orders).where(eq(orders.cartId, cartId))).toEqual([]);
    expect((await row('espresso-beans')).stock).toBe(stockBefore);

    const done = await checkOut(ctx, cartId, { expectedTotalCents: 2 * (old + 300) + mug });
    expect(done.events.map((e) => e.type)).toEqual(['CartRepriced', 'CartCheckedOut']);
    const [order] = await h.db.select().from(orders).where(eq(orders.cartId, cartId));
    expect(order.totalCents).toBe(2 * (old + 300) + mug);
    expect(order.items.find((l) => l.productId === 'espresso-beans')).toMatchObject({ unitPriceCents: old + 300, lineTotalCents: 2 * (old + 300) });
    const events = await readStream(h.db, `cart-${cartId}`);
    expect(events.at(-2)).toMatchObject({
      type: 'CartRepriced',
      data: { currency: 'EUR', lines: [{ productId: 'espresso-beans', name: 'Espresso beans', fromCents: old, toCents: old + 300 }] },
      metadata: { actor: ctx.actor },
    });
    expect((await getCart(ctx.actor, cartId))).not.toHaveProperty('repricing');
    await updateProduct(admin, 'espresso-beans', { priceCents: old, expectedVersion: v + 1 });
  });

  it('stock adjustments keep verify green: initial stock moves with them, across sales before and after', async () => {
    const ctx = shopper();
    const { cartId } = await openCart(ctx);
    await addItem(ctx, cartId, { productId: 'travel-tumbler', quantity: 2 });
    await checkOut(ctx, cartId);
    const before = await row('travel-tumbler');
    const r = await updateProduct(admin, 'travel-tumbler', { stock: before.stock + 10, reason: 'delivery' });
    expect(r.events).toEqual([{ type: 'ProductStockAdjusted', version: 1 }]);
    const after = await row('travel-tumbler');
    expect([after.stock, after.initialStock]).toEqual([before.stock + 10, before.initialStock + 10]);
    await updateProduct(admin, 'travel-tumbler', { stock: 1, reason: 'breakage', expectedVersion: 1 });
    expect((await row('travel-tumbler')).initialStock).toBe(before.initialStock + 10 + (1 - before.stock - 10));
    const report = await verifyStore(h.db);
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('the admin audit lists the product events with the product id and a readable title, and filters by their type', async () => {
    const page = await searchEvents(admin, { type: 'ProductStockAdjusted', limit: 10 });
    expect(page.events.map((e) => e.title)).toEqual([
      expect.stringMatching(/^Stock of Travel tumbler: \d+ → 1 \(breakage\)$/),
      expect.stringMatching(/^Stock of Travel tumbler: \d+ → \d+ \(delivery\)$/),
    ]);
    expect(page.events[0]).toMatchObject({ cartId: null, productId: 'travel-tumbler', type: 'ProductStockAdjusted', actor: admin, version: 2 });
    const all = await searchEvents(admin, { limit: 200 });
    expect(all.events.some((e) => e.type === 'ProductPriceChanged' && e.productId === 'espresso-beans')).toBe(true);
    expect(all.events.find((e) => e.type === 'CartRepriced')?.title).toMatch(/^Repriced: Espresso beans €[\d.]+ → €[\d.]+$/);
  });
});
