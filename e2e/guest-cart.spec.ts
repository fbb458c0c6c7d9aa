import path from 'node:path';
import { expect, test } from './fixtures/test';
import { apiAs, demo, json, newCart } from './fixtures/api';
import { CartPage, Catalog, emptyOpenCart, hydrated, signIn } from './fixtures/shop';

// A visitor fills a guest cart, signs in as bob (who already has a line in his open cart) and finds
// both carts merged, with the merge in both carts' histories.
const shots = process.env.E2E_SHOTS_DIR ?? '/tmp/eventcart-shots';

test.beforeEach(async ({ baseURL }) => {
  await emptyOpenCart(baseURL!, 'bob');
});

test('a guest cart survives sign-in: merged into the open cart, the merge in both histories', async ({ browser, baseURL }) => {
  // A long walk through six pages; on a loaded two-core machine it can take longer than the default minute.
  test.setTimeout(180_000);
  // Bob's open cart holds one mug before the guest shows up.
  const bob = await apiAs(baseURL!, 'bob');
  const { carts } = await json<{ carts: { cartId: string }[] }>(await bob.get('/api/carts?status=open&limit=1'));
  const bobsCart = carts[0]?.cartId ?? (await newCart(bob));
  expect((await bob.post(`/api/carts/${bobsCart}/items`, { data: { productId: 'ceramic-mug', quantity: 1 } })).status()).toBe(200);
  await bob.dispose();

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const catalog = new Catalog(page);
  const cart = new CartPage(page);

  await test.step('a visitor browses: no guest cookie for just looking', async () => {
    await catalog.open();
    await expect(catalog.header.signInLink).toBeVisible();
    expect((await context.cookies()).filter((c) => c.name.includes('guest'))).toEqual([]);
  });

  await test.step('the guest adds two products without signing in', async () => {
    await catalog.addToCart('Espresso beans');
    await expect(catalog.status('Espresso beans')).toHaveText('Added Espresso beans · 1 in your cart');
    await catalog.addToCart('Paper filters');
    await expect(catalog.status('Paper filters')).toHaveText('Added Paper filters · 1 in your cart');
    await catalog.header.expectCount(2);
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'eventcart-guest');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie.value).toMatch(/^guest_[0-9a-f-]{36}$/);
    // The JSON API stays for signed-in clients.
    expect((await page.request.get('/api/carts')).status()).toBe(401);
  });

  await test.step('the guest cart page: lines, changeable, and checkout asks to sign in', async () => {
    await catalog.header.cartLink.click();
    await expect(page).toHaveURL(/\/cart$/);
    await expect(cart.lines).toHaveCount(2);
    await cart.setQuantity('Paper filters', 2);
    await expect(cart.itemCount).toHaveText('3');
    await cart.header.expectCount(3);
    await expect(page.getByTestId('guest-note')).toContainText('When you sign in, this cart is added to your account');
    await expect(cart.checkoutButton).toHaveCount(0);
    await page.screenshot({ path: path.join(shots, 'guest-cart.png'), fullPage: true });
  });

  await test.step('signing in merges the guest cart into bob’s open cart', async () => {
    const toLogin = page.getByRole('link', { name: 'Sign in to check out' });
    await hydrated(toLogin);
    await toLogin.click();
    await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fcart$/);
    await signIn(page, demo.bob.email, demo.bob.password);
    await expect(page).toHaveURL(/\/cart$/);
    await expect(cart.lines).toHaveCount(3);
    await expect(cart.quantity('Ceramic mug')).toHaveValue('1');
    await expect(cart.quantity('Espresso beans')).toHaveValue('1');
    await expect(cart.quantity('Paper filters')).toHaveValue('2');
    await cart.header.expectCount(4);
    await expect(cart.checkoutButton).toBeVisible();
    // Said on the page too, not only in the history.
    await expect(page.getByTestId('merge-notice')).toContainText(
      /^2 lines from the cart you filled before signing in \(guest cart [0-9a-f]{8}\) were added to this cart\./,
    );
    await page.screenshot({ path: path.join(shots, 'guest-merged-cart.png'), fullPage: true });
    // The guest is forgotten: the browser now shops as bob.
    expect((await context.cookies()).filter((c) => c.name.includes('guest'))).toEqual([]);
  });

  let guestCartShort = '';
  await test.step('bob’s cart history shows the merge, naming the guest cart', async () => {
    await page.getByRole('link', { name: 'history', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/carts/${bobsCart}/history$`));
    const newest = page.getByTestId('history-entry').first();
    await expect(newest.getByRole('heading')).toHaveText(/^Merged 2 lines from guest cart [0-9a-f]{8}$/);
    guestCartShort = (await newest.getByRole('heading').innerText()).slice(-8);
    await expect(newest).toContainText('Bob');
    await expect(newest).toContainText('Espresso beans');
    await expect(newest).toContainText('Paper filters');
    await page.screenshot({ path: path.join(shots, 'guest-merge-history.png'), fullPage: true });
    await newest.getByRole('link', { name: `From guest cart ${guestCartShort}` }).click();
  });

  await test.step('the guest cart’s history says it was merged into bob’s cart', async () => {
    await expect(page).toHaveURL(new RegExp(`/carts/${guestCartShort}[0-9a-f-]{28}/history$`));
    await expect(page.getByText('Merged', { exact: true })).toBeVisible();
    const newest = page.getByTestId('history-entry').first();
    await expect(newest.getByRole('heading')).toHaveText(`Merged into cart ${bobsCart.slice(0, 8)} on sign-in (2 lines)`);
    await expect(newest).toContainText('Guest');
    await expect(page.getByTestId('history-entry')).toHaveCount(5); // opened, 2 adds, quantity, merged
    await page.screenshot({ path: path.join(shots, 'guest-cart-merged-history.png'), fullPage: true });
    await newest.getByRole('link', { name: `Into cart ${bobsCart.slice(0, 8)}` }).click();
    await expect(page).toHaveURL(new RegExp(`/carts/${bobsCart}/history$`));
  });

  await test.step('once the cart changes, the merge notice is gone', async () => {
    await page.goto('/cart');
    await cart.header.expectCount(4);
    await cart.setQuantity('Ceramic mug', 2);
    await expect(cart.header.cartCount).toHaveText('5');
    await page.reload();
    await expect(cart.lines).toHaveCount(3);
    await expect(page.getByTestId('merge-notice')).toHaveCount(0);
  });
  await context.close();
});

test('guests cannot reach carts, orders or the admin', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const catalog = new Catalog(page);
  await catalog.open();
  await catalog.addToCart('Ceramic mug');
  await catalog.header.expectCount(1);
  for (const p of ['/carts', '/admin/audit']) {
    await page.goto(p);
    await expect(page).toHaveURL(/\/login\?callbackUrl=/);
  }
  await context.close();
});
