import path from 'node:path';
import { expect, test, type APIRequestContext } from './fixtures/test';
import { apiAs, json, newCart } from './fixtures/api';
import { Catalog, hydrated, signInAs } from './fixtures/shop';

// Stock reservations (docs/reservations.md): adding to a cart holds the units, the catalog shows what
// is still available, abandoning a cart gives them back, and the abandoned cart stays in the list.

type Product = { id: string; name: string; stock: number; available: number };
type Command = { version: number; events: { type: string }[]; cart: { status: string; items: unknown[] } };
type ApiError = { error: { code: string; message: string; details?: Record<string, unknown> } };

const products = async (api: APIRequestContext) => new Map((await json<{ products: Product[] }>(await api.get('/api/products'))).products.map((p) => [p.id, p]));

/** A product with at least `min` available and at most 99 (one line can hold it), preferring the one named. */
async function productWithAvailable(api: APIRequestContext, preferred: string, min: number): Promise<Product> {
  const all = await products(api);
  const fits = (p?: Product): p is Product => !!p && p.available >= min && p.available <= 99;
  const chosen = fits(all.get(preferred)) ? all.get(preferred) : [...all.values()].find(fits);
  expect(chosen, `a product with ${min}..99 available`).toBeTruthy();
  return chosen!;
}

test('adding lowers the available count on the catalog; abandoning the cart from the list frees it, and the list shows it abandoned', async ({
  page,
  baseURL,
}) => {
  const alice = await apiAs(baseURL!, 'alice');
  const product = await productWithAvailable(alice, 'hand-grinder', 3);
  const take = product.available - 2;
  const cartId = await newCart(alice);
  if (take > 0) {
    const added = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: product.id, quantity: take } });
    expect(added.status(), await added.text()).toBe(200);
  }
  // The API: stock untouched, available down by what the cart holds.
  const held = (await products(alice)).get(product.id)!;
  expect(held).toMatchObject({ stock: product.stock, available: 2 });

  await signInAs(page, 'alice');
  const catalog = new Catalog(page);
  await catalog.open();
  await expect(catalog.stock(product.name)).toHaveText('Only 2 left');

  await page.goto('/carts');
  const row = page.locator(`li[data-cart-id="${cartId}"]`);
  await expect(row.getByText('Open', { exact: true })).toBeVisible();
  const abandon = row.getByRole('button', { name: `Abandon cart ${cartId.slice(0, 8)}` });
  await hydrated(abandon);
  await abandon.click();
  await expect(row.getByText('Abandoned', { exact: true })).toBeVisible();
  await expect(abandon).toHaveCount(0);
  await page.screenshot({ path: path.join(process.env.E2E_DATA_DIR ?? '.data/e2e', 'screenshots', 'carts-abandoned.png'), fullPage: true });

  // Freed: the API and the catalog show the units again.
  expect((await products(alice)).get(product.id)!.available).toBe(product.available);
  await catalog.open();
  await expect(catalog.stock(product.name)).toHaveText(product.available <= 5 ? `Only ${product.available} left` : 'In stock');
  await expect(catalog.stock(product.name)).toHaveAttribute('data-available', String(product.available));

  // The history says what happened.
  await page.goto(`/carts/${cartId}/history`);
  await expect(page.getByText('Cart abandoned by the shopper')).toBeVisible();
  await page.screenshot({ path: path.join(process.env.E2E_DATA_DIR ?? '.data/e2e', 'screenshots', 'history-abandoned.png'), fullPage: true });
});

test('DELETE /api/carts/{id} abandons: CartAbandoned, then every command is 409 cart_closed; another shopper gets 404, signed out 401', async ({
  baseURL,
}) => {
  const [alice, bob, anon] = await Promise.all([apiAs(baseURL!, 'alice'), apiAs(baseURL!, 'bob'), apiAs(baseURL!, null)]);
  const product = await productWithAvailable(alice, 'paper-filters', 1);
  const cartId = await newCart(alice);
  expect((await alice.post(`/api/carts/${cartId}/items`, { data: { productId: product.id, quantity: 1 } })).status()).toBe(200);

  expect((await anon.delete(`/api/carts/${cartId}`)).status()).toBe(401);
  const notYours = await bob.delete(`/api/carts/${cartId}`);
  expect(notYours.status()).toBe(404);
  expect((await json<ApiError>(notYours)).error.code).toBe('cart_not_found');

  const res = await alice.delete(`/api/carts/${cartId}`);
  expect(res.status(), await res.text()).toBe(200);
  const body = await json<Command>(res);
  expect(body).toMatchObject({ version: 3, events: [{ type: 'CartAbandoned', version: 3 }], cart: { status: 'abandoned' } });
  expect(res.headers()['etag']).toBe('"3"');

  for (const r of [
    await alice.delete(`/api/carts/${cartId}`),
    await alice.post(`/api/carts/${cartId}/items`, { data: { productId: product.id, quantity: 1 } }),
    await alice.post(`/api/carts/${cartId}/checkout`),
  ]) {
    expect(r.status()).toBe(409);
    const err = await json<ApiError>(r);
    expect(err.error).toMatchObject({ code: 'cart_closed', details: { status: 'abandoned' } });
    expect(err.error.message).toContain('abandoned');
  }
  const { carts } = await json<{ carts: { cartId: string; status: string }[] }>(await alice.get('/api/carts?status=abandoned'));
  expect(carts.map((c) => c.cartId)).toContain(cartId);
  const events = await json<{ events: { type: string }[] }>(await alice.get(`/api/carts/${cartId}/events`));
  expect(events.events.map((e) => e.type)).toEqual(['CartOpened', 'ItemAdded', 'CartAbandoned']);
});

test("units another shopper holds cannot be added (409 insufficient_stock), and can once that cart is abandoned", async ({ baseURL }) => {
  const [alice, bob] = await Promise.all([apiAs(baseURL!, 'alice'), apiAs(baseURL!, 'bob')]);
  const product = await productWithAvailable(alice, 'gooseneck-kettle', 1);
  const aliceCart = await newCart(alice);
  const bobCart = await newCart(bob);
  const all = await alice.post(`/api/carts/${aliceCart}/items`, { data: { productId: product.id, quantity: product.available } });
  expect(all.status(), await all.text()).toBe(200);

  const refused = await bob.post(`/api/carts/${bobCart}/items`, { data: { productId: product.id, quantity: 1 } });
  expect(refused.status()).toBe(409);
  expect((await json<ApiError>(refused)).error).toMatchObject({ code: 'insufficient_stock', details: { productId: product.id, available: 0, requested: 1 } });

  expect((await alice.delete(`/api/carts/${aliceCart}`)).status()).toBe(200);
  const ok = await bob.post(`/api/carts/${bobCart}/items`, { data: { productId: product.id, quantity: 1 } });
  expect(ok.status(), await ok.text()).toBe(200);
  // Leave nothing held for the specs after this one.
  expect((await bob.delete(`/api/carts/${bobCart}`)).status()).toBe(200);
  expect((await products(alice)).get(product.id)!.available).toBe(product.available);
});
