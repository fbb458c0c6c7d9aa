import { addItem, createCart, expect, expectError, expectOk, getCart, getEvents, getProducts, test, type Cart, type CommandBody } from './helpers';

// PATCH /api/admin/products/{id}: admins change price and stock; every change is an event on the
// product's stream. And the repricing rule at checkout for JSON clients. Uses filter-roast, whose
// price no other spec reads; the price is set back at the end.

const ID = 'filter-roast';
type Updated = { product: { id: string; priceCents: number; stock: number; version: number }; events: { type: string; version: number }[] };
type Repricing = { lines: { productId: string; fromCents: number; toCents: number; quantity: number }[]; totalCents: number; differenceCents: number };

test.describe('PATCH /api/admin/products/{productId}', () => {
  test('401 signed out, 403 for shoppers (before the body is read), 400 bad bodies, 404 unknown product, 415 not JSON', async ({ as }) => {
    const [anon, alice, admin] = await Promise.all([as(null), as('alice'), as('admin')]);
    await expectError(await anon.patch(`/api/admin/products/${ID}`, { data: { priceCents: 1 } }), 401, 'unauthorized');
    await expectError(await alice.patch(`/api/admin/products/${ID}`, { data: { priceCents: 1 } }), 403, 'forbidden');
    await expectError(await alice.patch(`/api/admin/products/${ID}`, { data: { priceCents: -1 } }), 403, 'forbidden');
    for (const body of [{}, { priceCents: -1 }, { priceCents: 12.5 }, { stock: -2 }, { priceCents: '100' }, { priceCents: 100, colour: 'red' }]) {
      await expectError(await admin.patch(`/api/admin/products/${ID}`, { data: body }), 400, 'invalid_input');
    }
    await expectError(await admin.patch('/api/admin/products/no-such-product', { data: { priceCents: 100 } }), 404, 'product_not_found');
    await expectError(await admin.patch('/api/admin/products/Not_An_Id', { data: { priceCents: 100 } }), 400, 'invalid_input');
    await expectError(await admin.patch(`/api/admin/products/${ID}`, { data: 'priceCents=1', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    await expectError(await admin.get(`/api/admin/products/${ID}`), 405, 'method_not_allowed');
  });

  test('price and stock changes are product events (with the version check), the catalog and the audit show them', async ({ as }) => {
    const [admin, anon] = await Promise.all([as('admin'), as(null)]);
    const original = (await getProducts(anon)).get(ID)!;
    // Same values: nothing happens, but the answer tells the current version.
    const same = await expectOk<Updated>(await admin.patch(`/api/admin/products/${ID}`, { data: { priceCents: original.priceCents } }));
    expect(same.events).toEqual([]);
    const v = same.product.version;
    try {
      const res = await admin.patch(`/api/admin/products/${ID}`, { data: { priceCents: original.priceCents + 100, expectedVersion: v } });
      const changed = await expectOk<Updated>(res);
      expect(changed.events).toEqual([{ type: 'ProductPriceChanged', version: v + 1 }]);
      expect(changed.product).toMatchObject({ id: ID, priceCents: original.priceCents + 100, version: v + 1 });
      expect(res.headers()['etag']).toBe(`"${v + 1}"`);
      expect((await getProducts(anon)).get(ID)!.priceCents).toBe(original.priceCents + 100);

      // Someone else's form, still at v: refused, nothing written.
      const stale = await expectError(await admin.patch(`/api/admin/products/${ID}`, { data: { priceCents: 1, expectedVersion: v } }), 409, 'version_conflict');
      expect(stale.details).toEqual({ expectedVersion: v, currentVersion: v + 1 });
      expect((await getProducts(anon)).get(ID)!.priceCents).toBe(original.priceCents + 100);

      // Stock: set and set back, each an event with the reason.
      const stock = await expectOk<Updated>(await admin.patch(`/api/admin/products/${ID}`, { data: { stock: original.stock + 5, reason: 'delivery', expectedVersion: v + 1 } }));
      expect(stock.events).toEqual([{ type: 'ProductStockAdjusted', version: v + 2 }]);
      await expectOk(await admin.patch(`/api/admin/products/${ID}`, { data: { stock: original.stock, reason: 'recount' } }));

      const audit = await expectOk<{ events: { type: string; productId?: string; cartId: string | null; title: string; actor: { userId: string } }[] }>(
        await admin.get('/api/admin/events?type=ProductStockAdjusted&limit=2'),
      );
      expect(audit.events.map((e) => [e.productId, e.cartId, e.actor.userId, e.title])).toEqual([
        [ID, null, 'user-admin', `Stock of Filter roast: ${original.stock + 5} → ${original.stock} (recount)`],
        [ID, null, 'user-admin', `Stock of Filter roast: ${original.stock} → ${original.stock + 5} (delivery)`],
      ]);
    } finally {
      await expectOk(await admin.patch(`/api/admin/products/${ID}`, { data: { priceCents: original.priceCents } }));
    }
  });

  test('checkout after a price change: 409 prices_changed without the shown total or with a stale one (nothing written), CartRepriced with the current one', async ({ as }) => {
    const [alice, admin] = await Promise.all([as('alice'), as('admin')]);
    const original = (await getProducts(alice)).get(ID)!;
    const { cartId } = await createCart(alice);
    await addItem(alice, cartId, ID, 2);
    const raised = original.priceCents + 150;
    try {
      await expectOk(await admin.patch(`/api/admin/products/${ID}`, { data: { priceCents: raised } }));
      const cart = await getCart(alice, cartId) as Cart & { repricing?: Repricing };
      expect(cart.totalCents).toBe(2 * original.priceCents);
      expect(cart.repricing).toEqual({
        lines: [{ productId: ID, name: 'Filter roast', quantity: 2, fromCents: original.priceCents, toCents: raised }],
        totalCents: 2 * raised,
        differenceCents: 300,
      });

      const none = await expectError(await alice.post(`/api/carts/${cartId}/checkout`), 409, 'prices_changed');
      expect(none.details).toMatchObject({ lines: [{ productId: ID, fromCents: original.priceCents, toCents: raised }], totalCents: 2 * original.priceCents, currentTotalCents: 2 * raised });
      await expectError(await alice.post(`/api/carts/${cartId}/checkout`, { data: { expectedTotalCents: 2 * original.priceCents } }), 409, 'prices_changed');
      await expectError(await alice.post(`/api/carts/${cartId}/checkout`, { data: { expectedTotalCents: -1 } }), 400, 'invalid_input');
      expect((await getCart(alice, cartId)).version).toBe(cart.version);

      const done = await expectOk<CommandBody>(await alice.post(`/api/carts/${cartId}/checkout`, { data: { expectedTotalCents: cart.repricing!.totalCents } }));
      expect(done.events.map((e) => e.type)).toEqual(['CartRepriced', 'CartCheckedOut']);
      expect(done.cart.totalCents).toBe(2 * raised);
      const order = await expectOk<{ totalCents: number; items: { unitPriceCents: number }[] }>(await alice.get(`/api/orders/${done.orderId}`));
      expect(order.totalCents).toBe(2 * raised);
      expect(order.items.map((l) => l.unitPriceCents)).toEqual([raised]);
      const repriced = (await getEvents(alice, cartId)).find((e) => e.type === 'CartRepriced')!;
      expect(repriced).toMatchObject({ data: { lines: [{ productId: ID, fromCents: original.priceCents, toCents: raised }] }, actor: { userId: 'user-alice' } });
    } finally {
      await expectOk(await admin.patch(`/api/admin/products/${ID}`, { data: { priceCents: original.priceCents } }));
    }
  });
});
