import { expect, test } from '@playwright/test';
import { CartPage, Catalog, emptyOpenCart, hydrated, signInAs } from './fixtures/shop';

test('shots', async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  await emptyOpenCart(baseURL!, 'bob');
  for (const [w, h, tag] of [[1280, 900, 'd'], [390, 844, 'm']] as const) {
    const page = await (await browser.newContext({ viewport: { width: w, height: h } })).newPage();
    await signInAs(page, 'bob');
    const catalog = new Catalog(page);
    await catalog.open();
    await catalog.addToCart('Travel tumbler');
    const cart = new CartPage(page);
    await cart.open();
    await page.screenshot({ path: `/tmp/shots/${tag}-cart.png`, fullPage: true });
    const declining = page.getByRole('radio', { name: /Test card, declined/ });
    await hydrated(declining);
    await declining.check();
    await cart.checkoutButton.click();
    await expect(page.getByTestId('order-failed')).toBeVisible();
    await expect(cart.lines).toHaveCount(1);
    await page.screenshot({ path: `/tmp/shots/${tag}-failed.png`, fullPage: true });
    await page.getByRole('link', { name: 'View order' }).click();
    await expect(page.getByTestId('order-status')).toBeVisible();
    await page.screenshot({ path: `/tmp/shots/${tag}-order-failed.png`, fullPage: true });
    await cart.open();
    await page.getByRole('radio', { name: /Test card, approved/ }).check();
    await cart.checkout();
    await page.screenshot({ path: `/tmp/shots/${tag}-confirmed.png`, fullPage: true });
    await page.getByRole('link', { name: 'View order' }).click();
    await expect(page.getByTestId('order-status')).toHaveText('Confirmed');
    await page.screenshot({ path: `/tmp/shots/${tag}-order-ok.png`, fullPage: true });
    const admin = await (await browser.newContext({ viewport: { width: w, height: h } })).newPage();
    await signInAs(admin, 'admin');
    await admin.goto('/admin/orders');
    await admin.screenshot({ path: `/tmp/shots/${tag}-admin-orders.png`, fullPage: true });
    await admin.getByRole('navigation', { name: 'Order status' }).getByRole('link', { name: /^Failed/ }).click();
    await admin.getByTestId('admin-order-row').first().getByRole('link').first().click();
    await expect(admin.getByTestId('order-steps')).toBeVisible();
    await admin.screenshot({ path: `/tmp/shots/${tag}-admin-order.png`, fullPage: true });
    await admin.goto('/admin/audit');
    await admin.screenshot({ path: `/tmp/shots/${tag}-audit.png`, fullPage: false });
  }
});
