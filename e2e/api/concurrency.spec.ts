import { createCart, expect, expectOk, getCart, getEvents, getProducts, test, type CommandBody } from './helpers';

// Many devices of one shopper writing to one cart at the same moment: every command lands once, in
// one contiguous version sequence, and the read model adds up.

const PLENTIFUL = ['paper-filters', 'ceramic-mug', 'espresso-beans', 'filter-roast', 'travel-tumbler', 'decaf-beans'];

const DEVICES = 5;
const COMMANDS = 100;
const PER_PRODUCT = COMMANDS / DEVICES;

test(`${COMMANDS} concurrent POST /items from ${DEVICES} signed-in devices: all 200, versions 1..${COMMANDS + 1} with no gap, read model = fold`, async ({
  as,
}) => {
  // Five sessions of one shopper (five sign-ins, five cookies), like a phone, a laptop and three tabs.
  const devices = await Promise.all(Array.from({ length: DEVICES }, () => as('alice')));
  const catalog = await getProducts(devices[0]);
  // One product per device with 20 available (adding reserves the line: docs/reservations.md).
  const products = PLENTIFUL.filter((id) => (catalog.get(id)?.available ?? 0) >= PER_PRODUCT).slice(0, DEVICES);
  expect(products, `${DEVICES} products with at least ${PER_PRODUCT} in stock`).toHaveLength(DEVICES);

  const { cartId } = await createCart(devices[0]);
  const before = await getCart(devices[0], cartId);
  expect(before.version).toBe(1);

  const responses = await Promise.all(
    Array.from({ length: COMMANDS }, (_, i) =>
      devices[i % DEVICES].post(`/api/carts/${cartId}/items`, { data: { productId: products[i % DEVICES], quantity: 1 } }),
    ),
  );
  const bodies: CommandBody[] = [];
  for (const res of responses) bodies.push(await expectOk<CommandBody>(res));
  for (const b of bodies) {
    expect(b.events).toHaveLength(1);
    expect(b.events[0].type).toBe('ItemAdded');
  }
  // Each command got its own version.
  expect(bodies.map((b) => b.version).sort((a, b) => a - b)).toEqual(Array.from({ length: COMMANDS }, (_, i) => i + 2));

  const cart = await getCart(devices[1], cartId);
  expect(cart.itemCount).toBe(before.itemCount + COMMANDS);
  expect(cart.version).toBe(COMMANDS + 1);
  expect(cart.items).toHaveLength(DEVICES);
  for (const id of products) {
    const line = cart.items.find((l) => l.productId === id)!;
    expect(line.quantity, id).toBe(PER_PRODUCT);
    expect(line.lineTotalCents).toBe(catalog.get(id)!.priceCents * PER_PRODUCT);
  }
  expect(cart.totalCents).toBe(products.reduce((n, id) => n + catalog.get(id)!.priceCents * PER_PRODUCT, 0));

  const events = await getEvents(devices[2], cartId);
  expect(events.map((e) => e.version)).toEqual(Array.from({ length: COMMANDS + 1 }, (_, i) => i + 1));
  expect(events.filter((e) => e.type === 'ItemAdded')).toHaveLength(COMMANDS);
  for (let i = 1; i < events.length; i++) expect(events[i].globalPosition).toBeGreaterThan(events[i - 1].globalPosition);

  // The fold of all events agrees with the read model.
  const folded = await expectOk<{ version: number; state: unknown }>(await devices[0].get(`/api/carts/${cartId}/state?version=${COMMANDS + 1}`));
  expect(folded.state).toEqual(cart);

  // Give the 100 held units back to the specs after this one (adding reserves: docs/reservations.md).
  await expectOk(await devices[0].delete(`/api/carts/${cartId}`));
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
