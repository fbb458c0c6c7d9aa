import type { APIRequestContext } from '../fixtures/test';
import {
  addItem,
  createCart,
  expect,
  expectError,
  expectOk,
  getCart,
  getEvents,
  getProducts,
  productWithStock,
  randomUuid,
  rawJson,
  test,
  type CommandBody,
  type Order,
} from './helpers';

// The cart's commands: add, change quantity, remove, check out; and the orders checkout produces.

const ORDER_ID = /^ord_[a-f0-9]{16}$/;

async function cartWith(api: APIRequestContext, lines: [string, number][] = []): Promise<string> {
  const cartId = (await createCart(api)).cartId;
  for (const [productId, quantity] of lines) await addItem(api, cartId, productId, quantity);
  return cartId;
}

test.describe('POST /api/carts/{cartId}/items', () => {
  test('200 ItemAdded: the line carries the catalog name and price, totals add up', async ({ as }) => {
    const alice = await as('alice');
    const catalog = await getProducts(alice);
    const beans = catalog.get('espresso-beans')!;
    const mug = catalog.get('ceramic-mug')!;
    const cartId = await cartWith(alice);

    const res = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'espresso-beans', quantity: 2 } });
    const body = await expectOk<CommandBody>(res);
    expect(body.cartId).toBe(cartId);
    expect(body.version).toBe(2);
    expect(body.events).toEqual([{ type: 'ItemAdded', version: 2 }]);
    expect(res.headers()['etag']).toBe('"2"');
    expect(body.cart.items).toEqual([
      { productId: 'espresso-beans', name: beans.name, unitPriceCents: beans.priceCents, quantity: 2, lineTotalCents: beans.priceCents * 2 },
    ]);
    expect(body.cart.itemCount).toBe(2);
    expect(body.cart.totalCents).toBe(beans.priceCents * 2);
    expect(body.cart.version).toBe(2);

    const second = await addItem(alice, cartId, 'ceramic-mug', 3);
    expect(second.version).toBe(3);
    expect(second.cart.itemCount).toBe(5);
    expect(second.cart.totalCents).toBe(beans.priceCents * 2 + mug.priceCents * 3);
    expect(second.cart.items.find((l) => l.productId === 'ceramic-mug')).toEqual({
      productId: 'ceramic-mug',
      name: mug.name,
      unitPriceCents: mug.priceCents,
      quantity: 3,
      lineTotalCents: mug.priceCents * 3,
    });
    // The read model says the same as the command's answer.
    expect(await getCart(alice, cartId)).toEqual(second.cart);
  });

  test('adding the same product again sums the quantities on one line', async ({ as }) => {
    const alice = await as('alice');
    const unit = (await getProducts(alice)).get('ceramic-mug')!.priceCents;
    const cartId = await cartWith(alice, [['ceramic-mug', 2]]);
    const again = await addItem(alice, cartId, 'ceramic-mug', 3);
    expect(again.events).toEqual([{ type: 'ItemAdded', version: 3 }]);
    expect(again.cart.items).toHaveLength(1);
    expect(again.cart.items[0]).toMatchObject({ productId: 'ceramic-mug', quantity: 5, lineTotalCents: unit * 5 });
    expect(again.cart.itemCount).toBe(5);
    expect(again.cart.totalCents).toBe(unit * 5);
  });

  const invalidBodies: { name: string; body: unknown; path?: string[] }[] = [
    { name: 'quantity 0', body: { productId: 'espresso-beans', quantity: 0 }, path: ['quantity'] },
    { name: 'quantity 100', body: { productId: 'espresso-beans', quantity: 100 }, path: ['quantity'] },
    { name: 'quantity 1.5', body: { productId: 'espresso-beans', quantity: 1.5 }, path: ['quantity'] },
    { name: 'quantity -1', body: { productId: 'espresso-beans', quantity: -1 }, path: ['quantity'] },
    { name: 'quantity "2" (a string)', body: { productId: 'espresso-beans', quantity: '2' }, path: ['quantity'] },
    { name: 'missing productId', body: { quantity: 1 }, path: ['productId'] },
    { name: 'missing quantity', body: { productId: 'espresso-beans' }, path: ['quantity'] },
    { name: 'a malformed productId', body: { productId: 'Espresso Beans', quantity: 1 }, path: ['productId'] },
    { name: 'an extra unknown key', body: { productId: 'espresso-beans', quantity: 1, priceCents: 1 } },
    { name: 'an array body', body: [{ productId: 'espresso-beans', quantity: 1 }] },
  ];
  for (const c of invalidBodies) {
    test(`400 invalid_input with issues for ${c.name}, nothing appended`, async ({ as }) => {
      const alice = await as('alice');
      const cartId = await cartWith(alice);
      const err = await expectError(await alice.post(`/api/carts/${cartId}/items`, { data: c.body }), 400, 'invalid_input');
      expect(Array.isArray(err.issues)).toBe(true);
      expect(err.issues!.length).toBeGreaterThan(0);
      for (const issue of err.issues!) {
        expect(Array.isArray(issue.path)).toBe(true);
        expect(typeof issue.message).toBe('string');
      }
      if (c.path) expect(err.issues!.map((i) => i.path)).toContainEqual(c.path);
      expect((await getCart(alice, cartId)).version).toBe(1);
    });
  }

  test('400 malformed_json for a truncated body', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice);
    await expectError(
      await alice.post(`/api/carts/${cartId}/items`, rawJson('{"productId":"espresso-beans","quantity":')),
      400,
      'malformed_json',
    );
    expect((await getCart(alice, cartId)).version).toBe(1);
  });

  test('415 for a text/plain body, a body without JSON content type, and no content type at all', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice);
    const url = `/api/carts/${cartId}/items`;
    const body = JSON.stringify({ productId: 'espresso-beans', quantity: 1 });
    await expectError(await alice.post(url, { data: body, headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    // A string without a content type goes out as application/octet-stream.
    await expectError(await alice.post(url, { data: body }), 415, 'unsupported_media_type');
    // No body, no content type.
    const bare = await alice.post(url);
    await expectError(bare, 415, 'unsupported_media_type');
    expect((await getCart(alice, cartId)).version).toBe(1);
  });

  test('JSON with a charset or a +json media type is accepted; bytes that are not UTF-8 are malformed_json', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice);
    const url = `/api/carts/${cartId}/items`;
    const body = Buffer.from(JSON.stringify({ productId: 'ceramic-mug', quantity: 1 }));
    await expectOk(await alice.post(url, { data: body, headers: { 'content-type': 'application/json; charset=utf-8' } }));
    await expectOk(await alice.post(url, { data: body, headers: { 'content-type': 'application/vnd.eventcart+json' } }));
    await expectError(
      await alice.post(url, { data: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), headers: { 'content-type': 'application/json' } }),
      400,
      'malformed_json',
    );
    await expectError(await alice.post(url, rawJson('null')), 400, 'invalid_input');
    await expectError(await alice.post(url, rawJson('')), 400, 'malformed_json');
    const cart = await getCart(alice, cartId);
    expect(cart.version).toBe(3);
    expect(cart.itemCount).toBe(2);
  });

  test('413 payload_too_large for a body over 64 KB', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice);
    const body = JSON.stringify({ productId: 'espresso-beans', quantity: 1, pad: 'x'.repeat(70 * 1024) });
    expect(body.length).toBeGreaterThan(64 * 1024);
    await expectError(
      await alice.post(`/api/carts/${cartId}/items`, rawJson(body)),
      413,
      'payload_too_large',
    );
    expect((await getCart(alice, cartId)).version).toBe(1);
  });

  test('404 product_not_found for an unknown product', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice);
    await expectError(
      await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'no-such-product', quantity: 1 } }),
      404,
      'product_not_found',
    );
    expect((await getCart(alice, cartId)).version).toBe(1);
  });

  test('404 cart_not_found for a cart that does not exist or a malformed cart id', async ({ as }) => {
    const alice = await as('alice');
    const data = { productId: 'espresso-beans', quantity: 1 };
    await expectError(await alice.post(`/api/carts/${randomUuid()}/items`, { data }), 404, 'cart_not_found');
    await expectError(await alice.post('/api/carts/not-a-uuid/items', { data }), 404, 'cart_not_found');
  });

  test('409 insufficient_stock for sencha-tea (stock 0) and for more than the stock', async ({ as }) => {
    const alice = await as('alice');
    const catalog = await getProducts(alice);
    expect(catalog.get('sencha-tea')!.stock).toBe(0);
    const cartId = await cartWith(alice);
    const err = await expectError(
      await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'sencha-tea', quantity: 1 } }),
      409,
      'insufficient_stock',
    );
    expect(err.details).toMatchObject({ productId: 'sencha-tea', available: 0, requested: 1 });

    const grinder = catalog.get('hand-grinder')!.stock;
    expect(grinder).toBeLessThan(99);
    await expectError(
      await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'hand-grinder', quantity: grinder + 1 } }),
      409,
      'insufficient_stock',
    );
    expect((await getCart(alice, cartId)).version).toBe(1);
  });

  test('409 quantity_limit when a line would exceed 99', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice, [['espresso-beans', 1]]);
    const err = await expectError(
      await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'espresso-beans', quantity: 99 } }),
      409,
      'quantity_limit',
    );
    expect(err.details).toMatchObject({ productId: 'espresso-beans', current: 1, requested: 99, max: 99 });
    const cart = await getCart(alice, cartId);
    expect(cart.version).toBe(2);
    expect(cart.items[0].quantity).toBe(1);
  });

  test('401 unauthorized when signed out', async ({ as }) => {
    const [alice, anon] = await Promise.all([as('alice'), as(null)]);
    const cartId = await cartWith(alice);
    await expectError(
      await anon.post(`/api/carts/${cartId}/items`, { data: { productId: 'espresso-beans', quantity: 1 } }),
      401,
      'unauthorized',
    );
    expect((await getCart(alice, cartId)).version).toBe(1);
  });

  test("404 as bob on alice's cart, for every command, and alice's cart is unchanged", async ({ as }) => {
    const [alice, bob] = await Promise.all([as('alice'), as('bob')]);
    const cartId = await cartWith(alice, [['ceramic-mug', 1]]);
    const before = await getCart(alice, cartId);
    const eventsBefore = await getEvents(alice, cartId);

    const random = await expectError(
      await bob.post(`/api/carts/${randomUuid()}/items`, { data: { productId: 'ceramic-mug', quantity: 1 } }),
      404,
      'cart_not_found',
    );
    const add = await expectError(
      await bob.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 } }),
      404,
      'cart_not_found',
    );
    expect(add).toEqual(random);
    await expectError(await bob.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 5 } }), 404, 'cart_not_found');
    await expectError(await bob.delete(`/api/carts/${cartId}/items/ceramic-mug`), 404, 'cart_not_found');
    await expectError(await bob.post(`/api/carts/${cartId}/checkout`), 404, 'cart_not_found');

    const after = await getCart(alice, cartId);
    expect(after.version).toBe(before.version);
    expect(after).toEqual(before);
    expect(await getEvents(alice, cartId)).toEqual(eventsBefore);
  });
});

test.describe('PATCH /api/carts/{cartId}/items/{productId}', () => {
  test('200 ItemQuantityChanged sets the quantity and the totals', async ({ as }) => {
    const alice = await as('alice');
    const unit = (await getProducts(alice)).get('ceramic-mug')!.priceCents;
    const cartId = await cartWith(alice, [['ceramic-mug', 2]]);
    const res = await alice.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 4 } });
    const body = await expectOk<CommandBody>(res);
    expect(body.version).toBe(3);
    expect(body.events).toEqual([{ type: 'ItemQuantityChanged', version: 3 }]);
    expect(res.headers()['etag']).toBe('"3"');
    expect(body.cart.items).toEqual([{ productId: 'ceramic-mug', name: expect.any(String), unitPriceCents: unit, quantity: 4, lineTotalCents: unit * 4 }]);
    expect(body.cart.itemCount).toBe(4);
    expect(body.cart.totalCents).toBe(unit * 4);

    const down = await expectOk<CommandBody>(await alice.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 1 } }));
    expect(down.events).toEqual([{ type: 'ItemQuantityChanged', version: 4 }]);
    expect(down.cart.itemCount).toBe(1);
    const events = await getEvents(alice, cartId);
    expect(events.at(-1)).toMatchObject({ type: 'ItemQuantityChanged', data: { productId: 'ceramic-mug', from: 4, to: 1 } });
  });

  test('quantity 0 removes the line with ItemRemoved', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice, [['ceramic-mug', 2], ['espresso-beans', 1]]);
    const body = await expectOk<CommandBody>(await alice.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 0 } }));
    expect(body.events).toEqual([{ type: 'ItemRemoved', version: 4 }]);
    expect(body.cart.items.map((l) => l.productId)).toEqual(['espresso-beans']);
    expect(body.cart.itemCount).toBe(1);
    expect((await getCart(alice, cartId)).items.map((l) => l.productId)).toEqual(['espresso-beans']);
  });

  test('the same quantity answers 200 with no events and the version unchanged', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice, [['ceramic-mug', 2]]);
    const res = await alice.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 2 } });
    const body = await expectOk<CommandBody>(res);
    expect(body.events).toEqual([]);
    expect(body.version).toBe(2);
    expect(body.cart.version).toBe(2);
    expect((await getCart(alice, cartId)).version).toBe(2);
    expect(await getEvents(alice, cartId)).toHaveLength(2);
  });

  test('404 line_not_found for a product not in the cart (known, unknown or malformed id)', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice, [['ceramic-mug', 1]]);
    await expectError(await alice.patch(`/api/carts/${cartId}/items/espresso-beans`, { data: { quantity: 2 } }), 404, 'line_not_found');
    await expectError(await alice.patch(`/api/carts/${cartId}/items/no-such-product`, { data: { quantity: 2 } }), 404, 'line_not_found');
    await expectError(await alice.patch(`/api/carts/${cartId}/items/Not%20An%20Id`, { data: { quantity: 2 } }), 404, 'line_not_found');
    expect((await getCart(alice, cartId)).version).toBe(2);
  });

  for (const quantity of [-1, 100, 1.5, '3']) {
    test(`400 invalid_input for quantity ${JSON.stringify(quantity)}`, async ({ as }) => {
      const alice = await as('alice');
      const cartId = await cartWith(alice, [['ceramic-mug', 1]]);
      const err = await expectError(await alice.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity } }), 400, 'invalid_input');
      expect(err.issues!.map((i) => i.path)).toContainEqual(['quantity']);
      expect((await getCart(alice, cartId)).version).toBe(2);
    });
  }

  test('400 for an extra key, 400 malformed_json, 415 without a JSON content type', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice, [['ceramic-mug', 1]]);
    const url = `/api/carts/${cartId}/items/ceramic-mug`;
    await expectError(await alice.patch(url, { data: { quantity: 2, productId: 'espresso-beans' } }), 400, 'invalid_input');
    await expectError(await alice.patch(url, rawJson('{"quantity":')), 400, 'malformed_json');
    await expectError(await alice.patch(url, { data: '{"quantity":2}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    await expectError(await alice.patch(url), 415, 'unsupported_media_type');
    expect((await getCart(alice, cartId)).version).toBe(2);
  });

  test('409 insufficient_stock when raising a line above the stock', async ({ as }) => {
    const alice = await as('alice');
    // Stock below the per-line maximum, so stock + 1 is a valid quantity the stock cannot cover.
    const { id, stock } = await productWithStock(alice, 'hand-grinder', 1, 98);
    const cartId = await cartWith(alice, [[id, 1]]);
    await expectError(
      await alice.patch(`/api/carts/${cartId}/items/${id}`, { data: { quantity: stock + 1 } }),
      409,
      'insufficient_stock',
    );
    expect((await getCart(alice, cartId)).items[0].quantity).toBe(1);
  });

  test('401 signed out, 404 for bob and for a missing cart', async ({ as }) => {
    const [alice, bob, anon] = await Promise.all([as('alice'), as('bob'), as(null)]);
    const cartId = await cartWith(alice, [['ceramic-mug', 1]]);
    await expectError(await anon.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 2 } }), 401, 'unauthorized');
    await expectError(await bob.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 2 } }), 404, 'cart_not_found');
    await expectError(await alice.patch(`/api/carts/${randomUuid()}/items/ceramic-mug`, { data: { quantity: 2 } }), 404, 'cart_not_found');
    expect((await getCart(alice, cartId)).version).toBe(2);
  });
});

test.describe('DELETE /api/carts/{cartId}/items/{productId}', () => {
  test('200 ItemRemoved, then 404 line_not_found the second time', async ({ as }) => {
    const alice = await as('alice');
    const cartId = await cartWith(alice, [['ceramic-mug', 2], ['espresso-beans', 1]]);
    const res = await alice.delete(`/api/carts/${cartId}/items/ceramic-mug`);
    const body = await expectOk<CommandBody>(res);
    expect(body.version).toBe(4);
    expect(body.events).toEqual([{ type: 'ItemRemoved', version: 4 }]);
    expect(body.cart.items.map((l) => l.productId)).toEqual(['espresso-beans']);
    expect(res.headers()['etag']).toBe('"4"');
    const events = await getEvents(alice, cartId);
    expect(events.at(-1)).toMatchObject({ type: 'ItemRemoved', data: { productId: 'ceramic-mug', quantity: 2 } });

    await expectError(await alice.delete(`/api/carts/${cartId}/items/ceramic-mug`), 404, 'line_not_found');
    expect((await getCart(alice, cartId)).version).toBe(4);
  });

  test('401 signed out, 404 for bob and for a missing cart', async ({ as }) => {
    const [alice, bob, anon] = await Promise.all([as('alice'), as('bob'), as(null)]);
    const cartId = await cartWith(alice, [['ceramic-mug', 1]]);
    await expectError(await anon.delete(`/api/carts/${cartId}/items/ceramic-mug`), 401, 'unauthorized');
    await expectError(await bob.delete(`/api/carts/${cartId}/items/ceramic-mug`), 404, 'cart_not_found');
    await expectError(await alice.delete(`/api/carts/${randomUuid()}/items/ceramic-mug`), 404, 'cart_not_found');
    expect((await getCart(alice, cartId)).version).toBe(2);
  });
});

test.describe('/api/carts/{cartId}/items/{productId} path decoding', () => {
  // Next.js hands the route an already-decoded productId ("%"); productIdParam decodes it a second time
  // with decodeURIComponent, which throws URIError on a lone "%", and the route answers 500.
  for (const method of ['DELETE', 'PATCH'] as const) {
    test(`${method} with the product id %25 (a lone "%") answers 404 line_not_found, not 500`, async ({ as }) => {
      const alice = await as('alice');
      const cartId = await cartWith(alice, [['ceramic-mug', 1]]);
      const send = (productId: string) =>
        method === 'DELETE'
          ? alice.delete(`/api/carts/${cartId}/items/${productId}`)
          : alice.patch(`/api/carts/${cartId}/items/${productId}`, { data: { quantity: 2 } });
      await expectError(await send('Not%20An%20Id'), 404, 'line_not_found');
      await expectError(await send('%25'), 404, 'line_not_found');
      expect((await getCart(alice, cartId)).version).toBe(2);
    });
  }
});

test.describe('POST /api/carts/{cartId}/checkout and the orders', () => {
  test('200 CartCheckedOut with an order id; stock goes down; the order is readable by its owner only; the cart is closed', async ({
    as,
  }) => {
    // The product bought here is checked out by this test only, so its stock changes by exactly what it buys.
    const [alice, bob, admin, anon] = await Promise.all([as('alice'), as('bob'), as('admin'), as(null)]);
    const before = await productWithStock(alice, 'ceramic-mug', 2);
    const mug = before.id;
    const cartId = await cartWith(alice, [[mug, 2]]);

    const res = await alice.post(`/api/carts/${cartId}/checkout`);
    const body = await expectOk<CommandBody>(res);
    expect(body.orderId).toMatch(ORDER_ID);
    expect(body.version).toBe(3);
    expect(body.events).toEqual([{ type: 'CartCheckedOut', version: 3 }]);
    expect(body.cart.status).toBe('checked_out');
    expect(body.cart.orderId).toBe(body.orderId);
    expect(res.headers()['etag']).toBe('"3"');
    const orderId = body.orderId!;

    const cart = await getCart(alice, cartId);
    expect(cart).toMatchObject({ status: 'checked_out', orderId, version: 3, itemCount: 2, totalCents: before.priceCents * 2 });

    // Stock went down by the quantity bought.
    expect((await getProducts(alice)).get(mug)!.stock).toBe(before.stock - 2);

    // The order: 200 for alice (and the admin), 404 for bob, 401 signed out.
    const order = await expectOk<Order>(await alice.get(`/api/orders/${orderId}`));
    expect(order).toMatchObject({ orderId, cartId, userId: 'user-alice', itemCount: 2, totalCents: before.priceCents * 2, currency: 'EUR' });
    expect(order.items).toEqual(cart.items);
    await expectError(await bob.get(`/api/orders/${orderId}`), 404, 'order_not_found');
    await expectError(await anon.get(`/api/orders/${orderId}`), 401, 'unauthorized');
    expect((await expectOk<Order>(await admin.get(`/api/orders/${orderId}`))).orderId).toBe(orderId);

    // In alice's order list, not in bob's.
    const mine = await expectOk<{ orders: Order[] }>(await alice.get('/api/orders'));
    expect(mine.orders.filter((o) => o.orderId === orderId)).toHaveLength(1);
    for (const o of mine.orders) expect(o.userId).toBe('user-alice');
    const his = await expectOk<{ orders: Order[] }>(await bob.get('/api/orders'));
    expect(his.orders.map((o) => o.orderId)).not.toContain(orderId);

    // Every command on the checked-out cart: 409 cart_closed, nothing appended.
    const closed = [
      await alice.post(`/api/carts/${cartId}/items`, { data: { productId: mug, quantity: 1 } }),
      await alice.patch(`/api/carts/${cartId}/items/${mug}`, { data: { quantity: 1 } }),
      await alice.patch(`/api/carts/${cartId}/items/${mug}`, { data: { quantity: 0 } }),
      await alice.delete(`/api/carts/${cartId}/items/${mug}`),
      await alice.post(`/api/carts/${cartId}/checkout`),
    ];
    for (const r of closed) {
      const err = await expectError(r, 409, 'cart_closed');
      expect(err.details).toMatchObject({ orderId });
    }
    expect((await getCart(alice, cartId)).version).toBe(3);
    expect((await getProducts(alice)).get(mug)!.stock).toBe(before.stock - 2);
    const events = await getEvents(alice, cartId);
    expect(events.map((e) => e.type)).toEqual(['CartOpened', 'ItemAdded', 'CartCheckedOut']);
    expect(events[2].data).toMatchObject({ orderId, itemCount: 2, totalCents: before.priceCents * 2, currency: 'EUR' });
  });

  test('two checkouts of one cart at once without a key: one order, the other 409 cart_closed', async ({ as }) => {
    // french-press is checked out by this test only.
    const [phone, laptop] = await Promise.all([as('alice'), as('alice')]);
    const before = await productWithStock(phone, 'french-press', 1);
    const cartId = await cartWith(phone, [[before.id, 1]]);
    const [a, b] = await Promise.all([phone.post(`/api/carts/${cartId}/checkout`), laptop.post(`/api/carts/${cartId}/checkout`)]);
    expect([a.status(), b.status()].sort()).toEqual([200, 409]);
    const winner = await expectOk<CommandBody>(a.status() === 200 ? a : b);
    const loser = await expectError(a.status() === 200 ? b : a, 409, 'cart_closed');
    expect(loser.details).toMatchObject({ orderId: winner.orderId });
    const { orders } = await expectOk<{ orders: Order[] }>(await phone.get('/api/orders'));
    expect(orders.filter((o) => o.cartId === cartId)).toHaveLength(1);
    expect((await getProducts(phone)).get(before.id)!.stock).toBe(before.stock - 1);
    // Time travel to the last version agrees with the checked-out read model.
    const cart = await getCart(phone, cartId);
    const state = await expectOk<{ version: number; state: unknown }>(await phone.get(`/api/carts/${cartId}/state?version=3`));
    expect(state).toEqual({ cartId, version: 3, state: cart });
  });

  test('409 cart_empty for an empty cart (also after its only line was removed)', async ({ as }) => {
    const alice = await as('alice');
    const empty = await cartWith(alice);
    await expectError(await alice.post(`/api/carts/${empty}/checkout`), 409, 'cart_empty');
    expect((await getCart(alice, empty)).status).toBe('open');

    const emptied = await cartWith(alice, [['ceramic-mug', 1]]);
    await expectOk(await alice.delete(`/api/carts/${emptied}/items/ceramic-mug`));
    await expectError(await alice.post(`/api/carts/${emptied}/checkout`), 409, 'cart_empty');
    expect((await getCart(alice, emptied)).version).toBe(3);
  });

  test('401 signed out, 404 for bob and for a missing cart; the cart stays open', async ({ as }) => {
    const [alice, bob, anon] = await Promise.all([as('alice'), as('bob'), as(null)]);
    const cartId = await cartWith(alice, [['ceramic-mug', 1]]);
    await expectError(await anon.post(`/api/carts/${cartId}/checkout`), 401, 'unauthorized');
    await expectError(await bob.post(`/api/carts/${cartId}/checkout`), 404, 'cart_not_found');
    await expectError(await alice.post(`/api/carts/${randomUuid()}/checkout`), 404, 'cart_not_found');
    await expectError(await alice.post('/api/carts/not-a-uuid/checkout'), 404, 'cart_not_found');
    const cart = await getCart(alice, cartId);
    expect(cart).toMatchObject({ status: 'open', version: 2, orderId: null });
  });

  test('GET /api/orders: 401 signed out; GET /api/orders/{id}: 404 order_not_found for unknown and malformed ids', async ({ as }) => {
    const [alice, anon] = await Promise.all([as('alice'), as(null)]);
    await expectError(await anon.get('/api/orders'), 401, 'unauthorized');
    await expectError(await alice.get('/api/orders/ord_0000000000000000'), 404, 'order_not_found');
    await expectError(await alice.get('/api/orders/not-an-order'), 404, 'order_not_found');
    const { orders } = await expectOk<{ orders: Order[] }>(await alice.get('/api/orders'));
    expect(Array.isArray(orders)).toBe(true);
  });
});
