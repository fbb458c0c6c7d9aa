import { addItem, CART_KEYS, createCart, expect, expectError, expectOk, getCart, randomUuid, rawJson, test, type Cart, type CommandBody } from './helpers';

// The cart collection and one cart's read model: who may list, open and read carts.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test.describe('GET /api/carts', () => {
  test('401 unauthorized when signed out', async ({ as }) => {
    const anon = await as(null);
    await expectError(await anon.get('/api/carts'), 401, 'unauthorized');
  });

  test("200 lists only the caller's carts (bob's never appear in alice's list)", async ({ as }) => {
    const [alice, bob] = await Promise.all([as('alice'), as('bob')]);
    const mine = (await createCart(alice)).cartId;
    const his = (await createCart(bob)).cartId;

    const aliceList = await expectOk<{ carts: Cart[] }>(await alice.get('/api/carts'));
    const aliceIds = aliceList.carts.map((c) => c.cartId);
    expect(aliceIds).toContain(mine);
    expect(aliceIds).not.toContain(his);
    for (const c of aliceList.carts) {
      expect(c.userId).toBe('user-alice');
      expect(Object.keys(c).sort()).toEqual([...CART_KEYS].sort());
    }

    const bobList = await expectOk<{ carts: Cart[] }>(await bob.get('/api/carts'));
    expect(bobList.carts.map((c) => c.cartId)).toContain(his);
    expect(bobList.carts.map((c) => c.cartId)).not.toContain(mine);
    for (const c of bobList.carts) expect(c.userId).toBe('user-bob');
  });
});

test.describe('POST /api/carts', () => {
  test('201 opens a cart: CartOpened at version 1, the cart, a Location and an ETag', async ({ as }) => {
    const alice = await as('alice');
    const res = await alice.post('/api/carts');
    const body = await expectOk<CommandBody>(res, 201);
    expect(body.cartId).toMatch(UUID);
    expect(body.version).toBe(1);
    expect(body.events).toEqual([{ type: 'CartOpened', version: 1 }]);
    expect(body.cart).toMatchObject({
      cartId: body.cartId,
      userId: 'user-alice',
      status: 'open',
      items: [],
      itemCount: 0,
      totalCents: 0,
      currency: 'EUR',
      version: 1,
      orderId: null,
    });
    expect(res.headers()['location']).toBe(`/api/carts/${body.cartId}`);
    expect(res.headers()['etag']).toBe('"1"');

    // The Location points at the new cart's read model.
    const read = await getCart(alice, body.cartId);
    expect(read).toEqual(body.cart);
  });

  test('401 unauthorized when signed out', async ({ as }) => {
    const anon = await as(null);
    await expectError(await anon.post('/api/carts'), 401, 'unauthorized');
    await expectError(await anon.post('/api/carts', { data: {} }), 401, 'unauthorized');
  });

  test('201 with a JSON body {} and with {"currency":"EUR"}', async ({ as }) => {
    const alice = await as('alice');
    const empty = await expectOk<CommandBody>(await alice.post('/api/carts', { data: {} }), 201);
    expect(empty.version).toBe(1);
    expect(empty.cart.currency).toBe('EUR');
    const eur = await expectOk<CommandBody>(await alice.post('/api/carts', { data: { currency: 'EUR' } }), 201);
    expect(eur.cart.currency).toBe('EUR');
    expect(eur.cartId).not.toBe(empty.cartId);
  });

  test('400 invalid_input for {"currency":"USD"} and for unknown keys', async ({ as }) => {
    const alice = await as('alice');
    const usd = await expectError(await alice.post('/api/carts', { data: { currency: 'USD' } }), 400, 'invalid_input');
    expect(usd.issues?.length).toBeGreaterThan(0);
    expect(usd.issues![0].path).toEqual(['currency']);
    const extra = await expectError(await alice.post('/api/carts', { data: { owner: 'user-bob' } }), 400, 'invalid_input');
    expect(extra.issues?.length).toBeGreaterThan(0);
  });

  test('415 for a text/plain body, 400 malformed_json for broken JSON', async ({ as }) => {
    const alice = await as('alice');
    await expectError(
      await alice.post('/api/carts', { data: 'currency=EUR', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    );
    await expectError(
      await alice.post('/api/carts', rawJson('{"currency":')),
      400,
      'malformed_json',
    );
  });

  test('an unsupported method (PUT /api/carts, PUT /api/carts/{id}) is refused without a 5xx', async ({ as }) => {
    const alice = await as('alice');
    const put = await alice.put('/api/carts', { data: {} });
    expect(put.status()).toBeGreaterThanOrEqual(400);
    expect(put.status()).toBeLessThan(500);
    const cartId = (await createCart(alice)).cartId;
    // (DELETE /api/carts/{id} abandons the cart: see e2e/reservations.spec.ts.)
    const replace = await alice.put(`/api/carts/${cartId}`, { data: {} });
    expect(replace.status()).toBeGreaterThanOrEqual(400);
    expect(replace.status()).toBeLessThan(500);
    expect((await getCart(alice, cartId)).version).toBe(1);
  });
});

test.describe('GET /api/carts/{cartId}', () => {
  test('200 read model with exactly the documented keys and ETag "<version>"', async ({ as }) => {
    const alice = await as('alice');
    const cartId = (await createCart(alice)).cartId;
    const res = await alice.get(`/api/carts/${cartId}`);
    const cart = await expectOk<Cart>(res);
    expect(Object.keys(cart).sort()).toEqual([...CART_KEYS].sort());
    expect(res.headers()['etag']).toBe('"1"');
    expect(res.headers()['cache-control']).toBe('no-store');
    expect(cart).toMatchObject({ cartId, userId: 'user-alice', status: 'open', version: 1, orderId: null });
    expect(Number.isNaN(Date.parse(cart.createdAt))).toBe(false);
    expect(Number.isNaN(Date.parse(cart.updatedAt))).toBe(false);

    await addItem(alice, cartId, 'ceramic-mug', 1);
    const after = await alice.get(`/api/carts/${cartId}`);
    expect(after.headers()['etag']).toBe('"2"');
    expect(((await after.json()) as Cart).version).toBe(2);
  });

  test('404 cart_not_found for a random UUID, a malformed id and another shopper\'s cart, with the same body', async ({ as }) => {
    const [alice, bob] = await Promise.all([as('alice'), as('bob')]);
    const cartId = (await createCart(alice)).cartId;
    const random = await expectError(await bob.get(`/api/carts/${randomUuid()}`), 404, 'cart_not_found');
    const malformed = await expectError(await bob.get('/api/carts/not-a-uuid'), 404, 'cart_not_found');
    const foreign = await expectError(await bob.get(`/api/carts/${cartId}`), 404, 'cart_not_found');
    expect(foreign).toEqual(random);
    expect(malformed).toEqual(random);
    expect(JSON.stringify(foreign)).not.toContain('alice');
  });

  test('401 unauthorized when signed out', async ({ as }) => {
    const [alice, anon] = await Promise.all([as('alice'), as(null)]);
    const cartId = (await createCart(alice)).cartId;
    await expectError(await anon.get(`/api/carts/${cartId}`), 401, 'unauthorized');
  });

  test("the admin can read alice's cart (200) but not change it (403 forbidden, nothing appended)", async ({ as }) => {
    const [alice, admin] = await Promise.all([as('alice'), as('admin')]);
    const cartId = (await createCart(alice)).cartId;
    await addItem(alice, cartId, 'ceramic-mug', 2);
    const asAlice = await getCart(alice, cartId);
    const asAdmin = await getCart(admin, cartId);
    expect(asAdmin).toEqual(asAlice);
    expect(asAdmin.userId).toBe('user-alice');

    await expectError(await admin.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 } }), 403, 'forbidden');
    await expectError(await admin.post(`/api/carts/${cartId}/checkout`), 403, 'forbidden');
    expect(await getCart(alice, cartId)).toEqual(asAlice);

    // The admin's own list holds only the admin's carts.
    const { carts } = await expectOk<{ carts: Cart[] }>(await admin.get('/api/carts'));
    expect(carts.map((c) => c.cartId)).not.toContain(cartId);
  });
});
