import { addItem, createCart, expect, expectError, expectOk, getCart, getEvents, getProducts, productWithStock, test, type CommandBody, type Order } from './helpers';

// Request headers the command endpoints honour: If-Match (optimistic concurrency), Idempotency-Key
// (safe retries, per user) and X-Request-Id (echoed, and recorded as the events' correlation id).

const key = (label: string) => `${label}-${crypto.randomUUID()}`;

test.describe('If-Match', () => {
  test('the current version "<n>" (also weak W/"<n>") is accepted', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    const first = await expectOk<CommandBody>(
      await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 }, headers: { 'If-Match': '"1"' } }),
    );
    expect(first.version).toBe(2);
    const etag = (await alice.get(`/api/carts/${cartId}`)).headers()['etag'];
    expect(etag).toBe('"2"');
    // The ETag of a read goes straight back as If-Match.
    const second = await expectOk<CommandBody>(
      await alice.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 3 }, headers: { 'If-Match': etag } }),
    );
    expect(second.version).toBe(3);
    const third = await expectOk<CommandBody>(
      await alice.delete(`/api/carts/${cartId}/items/ceramic-mug`, { headers: { 'If-Match': 'W/"3"' } }),
    );
    expect(third.version).toBe(4);
  });

  test('a stale version answers 412 version_mismatch with the current version, and nothing is appended', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    await addItem(alice, cartId, 'ceramic-mug', 1);
    await addItem(alice, cartId, 'espresso-beans', 1);
    const before = await getCart(alice, cartId);
    expect(before.version).toBe(3);

    const res = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 }, headers: { 'If-Match': '"2"' } });
    const err = await expectError(res, 412, 'version_mismatch');
    expect(err.details?.currentVersion).toBe(3);
    expect(err.details?.expectedVersion).toBe(2);
    expect(res.headers()['etag']).toBe('"3"');

    // A version from the future is just as stale.
    const future = await expectError(
      await alice.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 5 }, headers: { 'If-Match': '"7"' } }),
      412,
      'version_mismatch',
    );
    expect(future.details?.currentVersion).toBe(3);
    await expectError(await alice.delete(`/api/carts/${cartId}/items/ceramic-mug`, { headers: { 'If-Match': '"1"' } }), 412, 'version_mismatch');
    await expectError(await alice.post(`/api/carts/${cartId}/checkout`, { headers: { 'If-Match': '"2"' } }), 412, 'version_mismatch');

    expect(await getCart(alice, cartId)).toEqual(before);
    expect(await getEvents(alice, cartId)).toHaveLength(3);
  });

  for (const value of ['abc', '"abc"', '"1", "2"', '"-1"']) {
    test(`a malformed If-Match (${value}) answers 400 invalid_if_match`, async ({ as }) => {
      const alice = await as('alice');
      const cartId = (await createCart(alice)).cartId;
      await expectError(
        await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 }, headers: { 'If-Match': value } }),
        400,
        'invalid_if_match',
      );
      expect((await getCart(alice, cartId)).version).toBe(1);
    });
  }

  test('two devices changing the same version at once: one wins, the other gets 412', async ({ as }) => {
    const [phone, laptop] = await Promise.all([as('alice'), as('alice')]);
    const cartId = (await createCart(phone)).cartId;
    await addItem(phone, cartId, 'ceramic-mug', 1);
    const [a, b] = await Promise.all([
      phone.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 2 }, headers: { 'If-Match': '"2"' } }),
      laptop.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 3 }, headers: { 'If-Match': '"2"' } }),
    ]);
    expect([a.status(), b.status()].sort()).toEqual([200, 412]);
    const loser = a.status() === 412 ? a : b;
    const err = await expectError(loser, 412, 'version_mismatch');
    expect(err.details?.currentVersion).toBe(3);
    const cart = await getCart(phone, cartId);
    expect(cart.version).toBe(3);
    expect(await getEvents(phone, cartId)).toHaveLength(3);
  });
});

test.describe('Idempotency-Key', () => {
  test('the same key and body twice: both 200, identical bodies, the second replayed, one ItemAdded', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    const k = key('add');
    const send = () =>
      alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 2 }, headers: { 'Idempotency-Key': k } });
    const first = await send();
    const firstBody = await expectOk<CommandBody>(first);
    expect(first.headers()['idempotent-replayed']).toBeUndefined();
    const second = await send();
    const secondBody = await expectOk<CommandBody>(second);
    expect(second.headers()['idempotent-replayed']).toBe('true');
    expect(secondBody).toEqual(firstBody);
    expect(second.headers()['etag']).toBe(first.headers()['etag']);

    const events = await getEvents(alice, cartId);
    expect(events.filter((e) => e.type === 'ItemAdded')).toHaveLength(1);
    expect(events).toHaveLength(2);
    const cart = await getCart(alice, cartId);
    expect(cart.version).toBe(2);
    expect(cart.itemCount).toBe(2);
  });

  test('the same key with a different body answers 422 idempotency_key_reused', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    const k = key('reuse');
    await expectOk(await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 }, headers: { 'Idempotency-Key': k } }));
    await expectError(
      await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 2 }, headers: { 'Idempotency-Key': k } }),
      422,
      'idempotency_key_reused',
    );
    // Another command kind with the same key is a different request too.
    await expectError(
      await alice.patch(`/api/carts/${cartId}/items/ceramic-mug`, { data: { quantity: 5 }, headers: { 'Idempotency-Key': k } }),
      422,
      'idempotency_key_reused',
    );
    const cart = await getCart(alice, cartId);
    expect(cart.version).toBe(2);
    expect(cart.itemCount).toBe(1);
  });

  test("keys are per user: bob's request with alice's key runs as a new command", async ({ as }) => {
    const [alice, bob] = await Promise.all([as('alice'), as('bob')]);
    const aliceCart = (await createCart(alice)).cartId;
    const bobCart = (await createCart(bob)).cartId;
    const k = key('shared');
    const data = { productId: 'ceramic-mug', quantity: 1 };
    const a = await alice.post(`/api/carts/${aliceCart}/items`, { data, headers: { 'Idempotency-Key': k } });
    await expectOk(a);
    const b = await bob.post(`/api/carts/${bobCart}/items`, { data, headers: { 'Idempotency-Key': k } });
    const bBody = await expectOk<CommandBody>(b);
    expect(b.headers()['idempotent-replayed']).toBeUndefined();
    expect(bBody.cartId).toBe(bobCart);
    expect(bBody.cart.userId).toBe('user-bob');
    expect((await getCart(bob, bobCart)).itemCount).toBe(1);
    expect((await getCart(alice, aliceCart)).itemCount).toBe(1);

    // And bob cannot replay alice's key against alice's cart to read her result.
    await expectError(
      await bob.post(`/api/carts/${aliceCart}/items`, { data, headers: { 'Idempotency-Key': `${k}-bob` } }),
      404,
      'cart_not_found',
    );
  });

  test('an invalid key answers 400 invalid_idempotency_key', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    for (const bad of ['has space', 'x'.repeat(201)]) {
      await expectError(
        await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 }, headers: { 'Idempotency-Key': bad } }),
        400,
        'invalid_idempotency_key',
      );
    }
    expect((await getCart(alice, cartId)).version).toBe(1);
  });

  test('two identical checkouts with one key sent at once: both 200, one order id, one order', async ({ as }) => {
    // paper-filters is checked out by this test only.
    const [alice, tablet] = await Promise.all([as('alice'), as('alice')]);
    const before = await productWithStock(alice, 'paper-filters', 1);
    const cartId = (await createCart(alice)).cartId;
    await addItem(alice, cartId, before.id, 1);
    const k = key('checkout');
    const [r1, r2] = await Promise.all([
      alice.post(`/api/carts/${cartId}/checkout`, { headers: { 'Idempotency-Key': k } }),
      tablet.post(`/api/carts/${cartId}/checkout`, { headers: { 'Idempotency-Key': k } }),
    ]);
    const [b1, b2] = [await expectOk<CommandBody>(r1), await expectOk<CommandBody>(r2)];
    expect(b1.orderId).toMatch(/^ord_[a-f0-9]{16}$/);
    expect(b2.orderId).toBe(b1.orderId);
    expect(b2).toEqual(b1);
    expect([r1.headers()['idempotent-replayed'], r2.headers()['idempotent-replayed']].filter(Boolean)).toEqual(['true']);

    const { orders } = await expectOk<{ orders: Order[] }>(await alice.get('/api/orders'));
    expect(orders.filter((o) => o.cartId === cartId).map((o) => o.orderId)).toEqual([b1.orderId]);
    const events = await getEvents(alice, cartId);
    expect(events.filter((e) => e.type === 'CartCheckedOut')).toHaveLength(1);
    expect((await getProducts(alice)).get(before.id)!.stock).toBe(before.stock - 1);
  });
});

test.describe('X-Request-Id and caching', () => {
  test('a given X-Request-Id is echoed and becomes the correlation id of the events it produced', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    const id = `e2e-${crypto.randomUUID()}`;
    const res = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 }, headers: { 'X-Request-Id': id } });
    await expectOk(res);
    expect(res.headers()['x-request-id']).toBe(id);
    const events = await getEvents(alice, cartId);
    expect(events[1].correlationId).toBe(id);
    expect(events[0].correlationId).not.toBe(id);

    // Errors carry one too, and an unusable one is replaced.
    const err = await alice.get(`/api/carts/${crypto.randomUUID()}`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(err.status()).toBe(404);
    expect(err.headers()['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('cart reads and command answers are not cacheable', async ({ as }) => {
    const alice = await as('alice');
    const created = await alice.post('/api/carts');
    expect(created.headers()['cache-control']).toBe('no-store');
    const { cartId } = (await created.json()) as CommandBody;
    for (const path of [`/api/carts/${cartId}`, `/api/carts/${cartId}/events`, '/api/carts', '/api/orders']) {
      expect((await alice.get(path)).headers()['cache-control'], path).toBe('no-store');
    }
  });
});
