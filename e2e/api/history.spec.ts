import type { APIRequestContext, APIResponse } from '../fixtures/test';
import { createCart, expect, expectError, expectOk, getCart, getEvents, getProducts, randomUuid, sleep, test, type Cart, type CommandBody } from './helpers';

// The event log and time travel (GET /events, GET /state), and the OpenAPI document.

type StateBody = { cartId: string; version: number; state: Cart };

/** Runs a few commands ~60 ms apart and keeps what GET /api/carts/{id} said after each version. */
async function cartWithHistory(alice: APIRequestContext) {
  const snapshots = new Map<number, Cart>();
  const { cartId } = await createCart(alice);
  snapshots.set(1, await getCart(alice, cartId));
  const commands: (() => Promise<APIResponse>)[] = [
    () => alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'espresso-beans', quantity: 2 } }),
    () => alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 } }),
    () => alice.patch(`/api/carts/${cartId}/items/espresso-beans`, { data: { quantity: 5 } }),
    () => alice.delete(`/api/carts/${cartId}/items/ceramic-mug`),
  ];
  for (const run of commands) {
    await sleep(60);
    const body = await expectOk<CommandBody>(await run());
    snapshots.set(body.version, await getCart(alice, cartId));
  }
  return { cartId, snapshots };
}

test.describe('GET /api/carts/{cartId}/events', () => {
  test('200 events in version order with increasing global positions, actor and correlation id', async ({ as }) => {
    const alice = await as('alice');
    const beans = (await getProducts(alice)).get('espresso-beans')!;
    const { cartId } = await cartWithHistory(alice);
    const res = await alice.get(`/api/carts/${cartId}/events`);
    const { events } = await expectOk<{ events: Awaited<ReturnType<typeof getEvents>> }>(res);

    expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e) => e.type)).toEqual(['CartOpened', 'ItemAdded', 'ItemAdded', 'ItemQuantityChanged', 'ItemRemoved']);
    for (let i = 1; i < events.length; i++) {
      expect(events[i].globalPosition).toBeGreaterThan(events[i - 1].globalPosition);
      expect(Date.parse(events[i].occurredAt)).toBeGreaterThanOrEqual(Date.parse(events[i - 1].occurredAt));
    }
    const correlationIds = new Set<string>();
    for (const e of events) {
      expect(Number.isInteger(e.globalPosition)).toBe(true);
      expect(typeof e.type).toBe('string');
      expect(typeof e.data).toBe('object');
      expect(Number.isNaN(Date.parse(e.occurredAt))).toBe(false);
      expect(e.actor).toEqual({ userId: 'user-alice', role: 'shopper' });
      expect(typeof e.correlationId).toBe('string');
      expect(e.correlationId.length).toBeGreaterThan(0);
      correlationIds.add(e.correlationId);
    }
    // One request per event here, so one correlation id each.
    expect(correlationIds.size).toBe(events.length);

    expect(events[0].data).toEqual({ cartId, userId: 'user-alice', currency: 'EUR' });
    // Adding and raising a line reserve it until reservedUntil (docs/reservations.md).
    const reservedUntil = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);
    expect(events[1].data).toEqual({ productId: 'espresso-beans', name: beans.name, unitPriceCents: beans.priceCents, quantity: 2, reservedUntil });
    expect(events[3].data).toEqual({ productId: 'espresso-beans', from: 2, to: 5, reservedUntil });
    expect(events[4].data).toEqual({ productId: 'ceramic-mug', quantity: 1 });
  });

  test('404 for bob and for a missing cart, 401 signed out, 200 for the admin', async ({ as }) => {
    const [alice, bob, anon, admin] = await Promise.all([as('alice'), as('bob'), as(null), as('admin')]);
    const { cartId } = await createCart(alice);
    await expectError(await bob.get(`/api/carts/${cartId}/events`), 404, 'cart_not_found');
    await expectError(await alice.get(`/api/carts/${randomUuid()}/events`), 404, 'cart_not_found');
    await expectError(await alice.get('/api/carts/not-a-uuid/events'), 404, 'cart_not_found');
    await expectError(await anon.get(`/api/carts/${cartId}/events`), 401, 'unauthorized');
    const { events } = await expectOk<{ events: unknown[] }>(await admin.get(`/api/carts/${cartId}/events`));
    expect(events).toHaveLength(1);
  });
});

test.describe('GET /api/carts/{cartId}/state', () => {
  test('?version=N equals what GET /api/carts/{id} returned right after version N', async ({ as }) => {
    const alice = await as('alice');
    const { cartId, snapshots } = await cartWithHistory(alice);
    expect([...snapshots.keys()]).toEqual([1, 2, 3, 4, 5]);
    for (const [version, snapshot] of snapshots) {
      const body = await expectOk<StateBody>(await alice.get(`/api/carts/${cartId}/state?version=${version}`));
      expect(body, `version ${version}`).toEqual({ cartId, version, state: snapshot });
    }
  });

  test('?at= between two commands gives the earlier version; before the cart existed 404', async ({ as }) => {
    const alice = await as('alice');
    const { cartId, snapshots } = await cartWithHistory(alice);
    const at = (ms: number) => encodeURIComponent(new Date(ms).toISOString());

    for (let v = 1; v < 5; v++) {
      const t0 = Date.parse(snapshots.get(v)!.updatedAt);
      const t1 = Date.parse(snapshots.get(v + 1)!.updatedAt);
      expect(t1 - t0, `commands ${v} and ${v + 1} are apart in time`).toBeGreaterThanOrEqual(20);
      const middle = await expectOk<StateBody>(await alice.get(`/api/carts/${cartId}/state?at=${at((t0 + t1) / 2)}`));
      expect(middle, `between versions ${v} and ${v + 1}`).toEqual({ cartId, version: v, state: snapshots.get(v) });
      // The instant of version v itself still shows version v.
      const exact = await expectOk<StateBody>(await alice.get(`/api/carts/${cartId}/state?at=${at(t0)}`));
      expect(exact.version).toBe(v);
    }

    const latest = await expectOk<StateBody>(await alice.get(`/api/carts/${cartId}/state?at=${at(Date.now() + 60_000)}`));
    expect(latest).toEqual({ cartId, version: 5, state: snapshots.get(5) });

    // An offset instead of Z is fine too.
    const t2 = Date.parse(snapshots.get(2)!.updatedAt);
    const withOffset = new Date(t2 + 7_200_000).toISOString().replace('Z', '+02:00');
    expect((await expectOk<StateBody>(await alice.get(`/api/carts/${cartId}/state?at=${encodeURIComponent(withOffset)}`))).version).toBe(2);

    const created = Date.parse(snapshots.get(1)!.createdAt);
    await expectError(await alice.get(`/api/carts/${cartId}/state?at=${at(created - 1000)}`), 404);
  });

  for (const [label, query] of [
    ['no query', ''],
    ['both version and at', `?version=1&at=${encodeURIComponent(new Date().toISOString())}`],
    ['version=abc', '?version=abc'],
    ['version=0', '?version=0'],
    ['version=1.5', '?version=1.5'],
    ['at=yesterday', '?at=yesterday'],
    ['an unknown parameter', '?version=1&foo=bar'],
  ] as const) {
    test(`400 invalid_input for ${label}`, async ({ as }) => {
      const alice = await as('alice');
      const { cartId } = await createCart(alice);
      const err = await expectError(await alice.get(`/api/carts/${cartId}/state${query}`), 400, 'invalid_input');
      expect(Array.isArray(err.issues)).toBe(true);
    });
  }

  test('404 for bob and for a missing cart, 401 signed out', async ({ as }) => {
    const [alice, bob, anon] = await Promise.all([as('alice'), as('bob'), as(null)]);
    const { cartId } = await createCart(alice);
    await expectError(await bob.get(`/api/carts/${cartId}/state?version=1`), 404, 'cart_not_found');
    await expectError(await alice.get(`/api/carts/${randomUuid()}/state?version=1`), 404, 'cart_not_found');
    await expectError(await anon.get(`/api/carts/${cartId}/state?version=1`), 401, 'unauthorized');
  });
});

test.describe('GET /api/openapi.json', () => {
  type Doc = { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> } & Record<string, unknown>;
  type Schema = { $ref?: string; properties?: Record<string, { maximum?: number; minimum?: number; type?: string }>; required?: string[] } & Record<string, unknown>;

  const pointer = (root: unknown, ref: string): unknown =>
    ref
      .replace(/^#\/?/, '')
      .split('/')
      .filter(Boolean)
      .map((t) => decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, token) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined), root);

  test('200 OpenAPI 3 with the cart paths; AddItemBody lists productId and quantity (maximum 99)', async ({ as }) => {
    const anon = await as(null);
    const doc = await expectOk<Doc>(await anon.get('/api/openapi.json'));
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/api/products',
      '/api/carts',
      '/api/carts/{cartId}',
      '/api/carts/{cartId}/items',
      '/api/carts/{cartId}/items/{productId}',
      '/api/carts/{cartId}/checkout',
      '/api/carts/{cartId}/events',
      '/api/carts/{cartId}/state',
      '/api/orders',
      '/api/orders/{orderId}',
    ]) {
      expect(Object.keys(doc.paths), p).toContain(p);
    }
    expect(Object.keys(doc.paths['/api/carts/{cartId}/items/{productId}']).sort()).toEqual(['delete', 'patch']);

    const requestBody = doc.paths['/api/carts/{cartId}/items'].post.requestBody as { content: Record<string, { schema: Schema }> };
    let schema = requestBody.content['application/json'].schema;
    // Follow the reference wherever the document keeps it (root or next to the reference).
    if (schema.$ref) {
      const name = schema.$ref.split('/').at(-1)!;
      schema = ((pointer(doc, schema.$ref) as Schema | undefined) ??
        (schema.definitions as Record<string, Schema> | undefined)?.[name] ??
        (schema.$defs as Record<string, Schema> | undefined)?.[name])!;
    }
    expect(schema, 'AddItemBody schema').toBeTruthy();
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(['productId', 'quantity']);
    expect(schema.required?.sort()).toEqual(['productId', 'quantity']);
    expect(schema.properties!.quantity.maximum).toBe(99);
    expect(schema.properties!.quantity.minimum).toBe(1);
  });

  test('every $ref in the document resolves against the document root', async ({ as }) => {
    const anon = await as(null);
    const doc = await expectOk<Doc>(await anon.get('/api/openapi.json'));
    const refs = new Set<string>();
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.add(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    const dangling = [...refs].filter((ref) => !ref.startsWith('#') || pointer(doc, ref) === undefined);
    expect(dangling, 'OpenAPI $refs that point nowhere in /api/openapi.json').toEqual([]);
  });
});
