import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from './fixtures/test';
import { apiAs } from './fixtures/api';
import { CartPage, Catalog, emptyOpenCart, euros, hydrated, signInAs } from './fixtures/shop';

// Prices that change: an admin changes a price on /admin/catalog; alice's cart shows the new price and
// the difference; her checkout charges the price she was shown and her history shows the repricing.
// Filter roast: no other spec reads its price; it is set back at the end. Screenshots go outside the repo.

const outDir = process.env.E2E_SHOTS_DIR ?? '/tmp/eventcart-shots';
const ID = 'filter-roast';
const NAME = 'Filter roast';

async function setPrice(baseURL: string, priceCents: number) {
  const admin = await apiAs(baseURL, 'admin');
  try {
    const res = await admin.patch(`/api/admin/products/${ID}`, { data: { priceCents } });
    expect(res.status(), await res.text()).toBe(200);
  } finally {
    await admin.dispose();
  }
}

async function shoot(page: Page, name: string) {
  fs.mkdirSync(outDir, { recursive: true });
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** The admin catalog row of a product and its fields. */
const row = (page: Page) => page.getByTestId(`catalog-row-${ID}`);
const priceField = (page: Page) => page.getByLabel(`Price of ${NAME} in euros`, { exact: true });

test('an admin changes a price; the cart shows it with the difference; checkout charges it and the history shows the repricing', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  await emptyOpenCart(baseURL!, 'alice');
  const anon = await apiAs(baseURL!, null);
  const { products } = (await (await anon.get('/api/products')).json()) as { products: { id: string; priceCents: number }[] };
  await anon.dispose();
  const old = products.find((p) => p.id === ID)!.priceCents;
  const raised = old + 100;

  const shopper = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  try {
    await signInAs(shopper, 'alice');
    const catalog = new Catalog(shopper);
    await catalog.open();
    await catalog.addToCart(NAME);
    await catalog.addToCart(NAME);

    await test.step('the admin changes the price on /admin/catalog', async () => {
      await signInAs(admin, 'admin');
      await admin.goto('/admin/audit');
      await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Catalog' }).click();
      await expect(admin).toHaveURL(/\/admin\/catalog$/);
      await expect(admin.getByRole('heading', { name: 'Catalog', level: 1 })).toBeVisible();
      await expect(row(admin).getByTestId('current-price')).toHaveText(euros(old));
      await hydrated(priceField(admin));
      await priceField(admin).fill('abc');
      await row(admin).getByRole('button', { name: 'Save' }).click();
      // A bad value: the error sits next to the field, and the status says it too.
      await expect(priceField(admin)).toHaveAttribute('aria-invalid', 'true');
      await expect(row(admin).getByText('A price in euros with at most two decimals, e.g. 12.50.').first()).toBeVisible();
      await priceField(admin).fill((raised / 100).toFixed(2));
      await row(admin).getByRole('button', { name: 'Save' }).click();
      await expect(row(admin).getByRole('status')).toHaveText(`${NAME}: price saved.`);
      await expect(row(admin).getByTestId('current-price')).toHaveText(euros(raised));
      await expect(priceField(admin)).toHaveAttribute('aria-invalid', 'false');
      await shoot(admin, 'desktop-admin-catalog');
    });

    await test.step('a second admin tab with the old version gets a clear conflict', async () => {
      const stale = await admin.context().newPage();
      await stale.goto('/admin/catalog');
      await hydrated(priceField(stale));
      // The first tab saves again (the version moves on), then the stale tab tries.
      await admin.reload();
      await hydrated(priceField(admin));
      await admin.getByLabel(`Stock of ${NAME}`, { exact: true }).fill(String(Number(await row(admin).getByTestId('current-stock').innerText()) + 1));
      await row(admin).getByRole('button', { name: 'Save' }).click();
      await expect(row(admin).getByRole('status')).toHaveText(`${NAME}: stock saved.`);
      await priceField(stale).fill('1.00');
      await row(stale).getByRole('button', { name: 'Save' }).click();
      await expect(row(stale).getByRole('status')).toContainText(`${NAME} was changed by someone else meanwhile. Reload to see its current price and stock`);
      await stale.close();
    });

    const cart = new CartPage(shopper);
    await test.step("the shopper's cart shows the new price and the difference", async () => {
      await cart.open();
      await expect(cart.lines).toHaveCount(1);
      await expect(shopper.getByTestId('repricing-notice')).toContainText(`${NAME}: ${euros(old)} → ${euros(raised)} each`);
      await expect(cart.line(NAME).getByTestId('price-change')).toHaveText(`${euros(old)} now ${euros(raised)} each (+${euros(100)})`);
      await expect(cart.lineTotal(NAME)).toHaveText(euros(2 * raised));
      await expect(shopper.getByTestId('cart-price-difference')).toHaveText(`+${euros(200)}`);
      await expect(cart.total).toHaveText(euros(2 * raised));
      await shoot(shopper, 'desktop-cart-repriced');
    });

    let orderId = '';
    await test.step('checkout charges the price shown', async () => {
      orderId = await cart.checkout();
      await expect(shopper.getByText(`total ${euros(2 * raised)}`)).toBeVisible();
    });

    await test.step('the order and the history show the repricing', async () => {
      await shopper.goto(`/orders/${orderId}`);
      await expect(shopper.getByRole('table').getByRole('row').filter({ hasText: NAME }).getByRole('cell')).toHaveText([NAME, euros(raised), '2', euros(2 * raised)]);
      const api = shopper.context().request;
      const order = (await (await api.get(`/api/orders/${orderId}`)).json()) as { cartId: string };
      await shopper.goto(`/carts/${order.cartId}/history`);
      const entries = shopper.getByTestId('history-entry');
      await expect(entries.nth(0).getByRole('heading')).toHaveText(`Checked out, order #${orderId}`);
      await expect(entries.nth(1).getByRole('heading')).toHaveText(`Repriced: ${NAME} ${euros(old)} → ${euros(raised)}`);
      await expect(entries.nth(1)).toContainText(`2 × ${euros(raised)}`);
    });

    await test.step('the admin audit lists the price change and the repricing', async () => {
      await admin.goto('/admin/audit?type=ProductPriceChanged');
      await expect(admin.getByTestId('audit-row').first()).toContainText(`Price of ${NAME}: ${euros(old)} → ${euros(raised)}`);
      await expect(admin.getByTestId('audit-row').first()).toContainText(`product ${ID}`);
      await admin.goto('/admin/audit?type=CartRepriced');
      await expect(admin.getByTestId('audit-row').first()).toContainText(`Repriced: ${NAME}`);
    });
  } finally {
    await setPrice(baseURL!, old);
    await shopper.context().close();
    await admin.context().close();
  }
});

test('a stale cart page: checkout is refused with the new prices, nothing is charged, and the page then shows them', async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  await emptyOpenCart(baseURL!, 'alice');
  const anon = await apiAs(baseURL!, null);
  const { products } = (await (await anon.get('/api/products')).json()) as { products: { id: string; priceCents: number }[] };
  await anon.dispose();
  const old = products.find((p) => p.id === ID)!.priceCents;
  try {
    await signInAs(page, 'alice');
    const catalog = new Catalog(page);
    await catalog.open();
    await catalog.addToCart(NAME);
    const cart = new CartPage(page);
    await cart.open();
    await expect(cart.total).toHaveText(euros(old));
    // Hold the page's background refresh, so it still shows the old price when the admin changes it.
    let frozen = true;
    await page.route('**/api/carts?status=open*', (r) => (frozen ? r.abort() : r.continue()));
    await setPrice(baseURL!, old + 250);
    await hydrated(cart.checkoutButton);
    await cart.checkoutButton.click();
    await expect(cart.messages).toHaveText('Prices changed since you last saw them; check the new prices and try again.');
    await expect(cart.orderId).toHaveCount(0);
    frozen = false;
    await expect(cart.line(NAME).getByTestId('price-change')).toHaveText(`${euros(old)} now ${euros(old + 250)} each (+${euros(250)})`, { timeout: 15_000 });
    await expect(cart.total).toHaveText(euros(old + 250));
    // Nothing was written by the refused checkout: the cart is still open at the old line price.
    const { carts } = (await (await page.context().request.get('/api/carts?status=open&limit=1')).json()) as { carts: { totalCents: number; status: string }[] };
    expect(carts[0]).toMatchObject({ status: 'open', totalCents: old });
  } finally {
    await setPrice(baseURL!, old);
    await emptyOpenCart(baseURL!, 'alice');
  }
});
