import { expect, test, type Browser, type Page } from './fixtures/test';
import { CartPage, Catalog, emptyOpenCart, signInAs } from './fixtures/shop';

// bob's cart only (alice: shop.spec.ts, admin: visual.spec.ts). Serial: one open cart for all of bob's devices.
test.describe.configure({ mode: 'serial' });

test.beforeEach(async ({ baseURL }) => {
  await emptyOpenCart(baseURL!, 'bob');
});

/** A "device": its own browser context (cookies, cache), signed in as bob. */
async function device(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, 'bob');
  return page;
}

test('a change on one device shows up on the other', async ({ browser }) => {
  const a = await device(browser);
  const b = await device(browser);
  try {
    const cartB = new CartPage(b);
    await cartB.open();
    await expect(cartB.emptyState).toBeVisible();

    const catalogA = new Catalog(a);
    await catalogA.open();
    await catalogA.addToCart('Paper filters');
    await catalogA.header.expectCount(1);

    // B follows the live feed (it polls only while the feed is down): no reload.
    await expect(cartB.quantity('Paper filters')).toBeVisible({ timeout: 10_000 });
    await expect(cartB.quantity('Paper filters')).toHaveValue('1', { timeout: 10_000 });
    await expect(cartB.emptyState).toBeHidden();

    await cartB.setQuantity('Paper filters', 2);
    await expect(cartB.messages).toHaveText('Paper filters: quantity 2');

    const cartA = new CartPage(a);
    await cartA.open();
    await expect(cartA.quantity('Paper filters')).toHaveValue('2');
    await cartA.header.expectCount(2);

    // And back: A removes the line, B's open page follows.
    await cartA.remove('Paper filters');
    await expect(cartB.emptyState).toBeVisible({ timeout: 10_000 });
  } finally {
    await a.context().close();
    await b.context().close();
  }
});

test('adds from two devices at the same time all land', async ({ browser }) => {
  const a = await device(browser);
  const b = await device(browser);
  try {
    const catalogs = [new Catalog(a), new Catalog(b)];
    await Promise.all(catalogs.map((c) => c.open()));
    const products = ['Espresso beans', 'Ceramic mug', 'Paper filters'];
    const rounds = 2;
    const clicks = catalogs.length * products.length * rounds;
    const answers = catalogs.map((c) => c.countActionAnswers());
    // Both devices at once, each clicking its cards as fast as a shopper can (a button is disabled
    // while its add is in flight, so a second click on it waits for that). Within one page the clicks
    // are issued one after the other: a page has one mouse, and concurrent Playwright clicks on it
    // interleave their down/up events and lose clicks (seen while writing this test; not an app bug).
    await Promise.all(
      catalogs.map(async (c) => {
        for (let round = 0; round < rounds; round++) for (const p of products) await c.clickAdd(p);
      }),
    );
    await expect.poll(() => answers.map((n) => n()), { message: 'every click answered' }).toEqual(catalogs.map(() => products.length * rounds));
    for (const c of catalogs) {
      for (const p of products) {
        await expect(c.addButton(p)).toHaveText('Add to cart');
        await expect(c.status(p), `${p} on one device`).toHaveText(new RegExp(`^Added ${p} · \\d+ in your cart$`));
      }
    }
    const cart = new CartPage(a);
    await cart.open();
    await expect(cart.lines).toHaveCount(products.length);
    for (const p of products) await expect(cart.quantity(p)).toHaveValue(String(catalogs.length * rounds));
    await expect(cart.itemCount).toHaveText(String(clicks));
    await cart.header.expectCount(clicks);
  } finally {
    await a.context().close();
    await b.context().close();
  }
});
