import { createCart, expect, expectOk, getCart, getEvents, getProducts, test, type CommandBody } from './helpers';

// Many devices of one shopper writing to one cart at the same moment: every command lands once, in
// one contiguous version sequence, and the read model adds up.

const PLENTIFUL = ['paper-filters', 'ceramic-mug', 'espresso-beans', 'filter-roast', 'travel-tumbler', 'decaf-beans'];

test('30 concurrent POST /items from three signed-in devices: all 200, 30 more items, versions 1..31', async ({ as }) => {
  const devices = await Promise.all([as('alice'), as('alice'), as('alice')]);
  const catalog = await getProducts(devices[0]);
  // Three products with stock for 10 each (adding checks the line against the stock, it does not take it).
  const products = PLENTIFUL.filter((id) => (catalog.get(id)?.stock ?? 0) >= 10).slice(0, 3);
  expect(products, 'three products with at least 10 in stock').toHaveLength(3);

  const { cartId } = await createCart(devices[0]);
  const before = await getCart(devices[0], cartId);
  expect(before.version).toBe(1);

  const responses = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      devices[i % 3].post(`/api/carts/${cartId}/items`, { data: { productId: products[i % 3], quantity: 1 } }),
    ),
  );
  const bodies: CommandBody[] = [];
  for (const res of responses) bodies.push(await expectOk<CommandBody>(res));
  for (const b of bodies) {
    expect(b.events).toHaveLength(1);
    expect(b.events[0].type).toBe('ItemAdded');
  }
  // Each command got its own version.
  expect(bodies.map((b) => b.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));

  const cart = await getCart(devices[1], cartId);
  expect(cart.itemCount).toBe(before.itemCount + 30);
  expect(cart.version).toBe(31);
  expect(cart.items).toHaveLength(3);
  for (const id of products) {
    const line = cart.items.find((l) => l.productId === id)!;
    expect(line.quantity, id).toBe(10);
    expect(line.lineTotalCents).toBe(catalog.get(id)!.priceCents * 10);
  }
  expect(cart.totalCents).toBe(products.reduce((n, id) => n + catalog.get(id)!.priceCents * 10, 0));

  const events = await getEvents(devices[2], cartId);
  expect(events.map((e) => e.version)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
  expect(events.filter((e) => e.type === 'ItemAdded')).toHaveLength(30);
  for (let i = 1; i < events.length; i++) expect(events[i].globalPosition).toBeGreaterThan(events[i - 1].globalPosition);

  // The fold of all events agrees with the read model.
  const folded = await expectOk<{ version: number; state: unknown }>(await devices[0].get(`/api/carts/${cartId}/state?version=31`));
  expect(folded.state).toEqual(cart);
});

test('concurrent commands on different carts of two shoppers do not interfere', async ({ as }) => {
  const [alice, bob] = await Promise.all([as('alice'), as('bob')]);
  const [a, b] = await Promise.all([createCart(alice), createCart(bob)]);
  const responses = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0
        ? alice.post(`/api/carts/${a.cartId}/items`, { data: { productId: 'paper-filters', quantity: 1 } })
        : bob.post(`/api/carts/${b.cartId}/items`, { data: { productId: 'paper-filters', quantity: 1 } }),
    ),
  );
  for (const res of responses) await expectOk(res);
  const [ca, cb] = await Promise.all([getCart(alice, a.cartId), getCart(bob, b.cartId)]);
  expect([ca.version, ca.itemCount, ca.userId]).toEqual([6, 5, 'user-alice']);
  expect([cb.version, cb.itemCount, cb.userId]).toEqual([6, 5, 'user-bob']);
});
