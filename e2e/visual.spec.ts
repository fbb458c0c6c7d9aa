import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Browser, type BrowserContextOptions, type Page } from './fixtures/test';
import { CartPage, Catalog, emptyOpenCart, signInAs } from './fixtures/shop';

// Full-page screenshots for a human to look at; nothing is compared. Written outside the repo.
// admin's cart only (alice: shop.spec.ts, bob: devices.spec.ts).
const outDir = process.env.E2E_SHOTS_DIR ?? '/tmp/eventcart-shots';

const viewports: Record<string, BrowserContextOptions> = {
  desktop: { viewport: { width: 1280, height: 800 } },
  mobile: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};

/** Scrolls through the page so lazy pictures load, then waits for fonts and pictures. */
async function settle(page: Page) {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight / 2) {
      window.scrollTo(0, y);
      await new Promise((r) => requestAnimationFrame(() => r(null)));
    }
    window.scrollTo(0, 0);
  });
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  await expect
    .poll(() => page.evaluate(() => Array.from(document.images).every((i) => i.complete)), { message: 'pictures loaded' })
    .toBe(true);
}

async function shoot(page: Page, name: string) {
  await settle(page);
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

async function contexts(browser: Browser, signedIn: boolean) {
  const pages: Record<string, Page> = {};
  for (const [vp, opts] of Object.entries(viewports)) {
    const page = await (await browser.newContext(opts)).newPage();
    if (signedIn) await signInAs(page, 'admin');
    pages[vp] = page;
  }
  return pages;
}

test('screenshots of every page at 1280x800 and 390x844', { tag: '@screenshots' }, async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  fs.mkdirSync(outDir, { recursive: true });
  await emptyOpenCart(baseURL!, 'admin');

  const out = await contexts(browser, false);
  const signedIn = await contexts(browser, true);
  try {
    for (const [vp, page] of Object.entries(out)) {
      await page.goto('/');
      await shoot(page, `${vp}-home`);
      await page.goto('/login');
      await shoot(page, `${vp}-login`);
    }
    for (const [vp, page] of Object.entries(signedIn)) {
      await page.goto('/cart');
      await shoot(page, `${vp}-cart-empty`);
    }

    const catalog = new Catalog(signedIn.desktop);
    await catalog.open();
    for (const p of ['Espresso beans', 'Ceramic mug', 'Paper filters']) await catalog.addToCart(p);
    await shoot(signedIn.desktop, 'desktop-home-signed-in');
    await signedIn.mobile.goto('/');
    await shoot(signedIn.mobile, 'mobile-home-signed-in');

    for (const [vp, page] of Object.entries(signedIn)) {
      const cart = new CartPage(page);
      await cart.open();
      await expect(cart.lines).toHaveCount(3);
      await shoot(page, `${vp}-cart`);
    }

    const cart = new CartPage(signedIn.desktop);
    const orderId = await cart.checkout();
    await shoot(signedIn.desktop, 'desktop-cart-placed');

    for (const [vp, page] of Object.entries(signedIn)) {
      await page.goto(`/orders/${orderId}`);
      await expect(page.getByRole('table')).toBeVisible();
      await shoot(page, `${vp}-order`);
      await page.goto('/carts');
      await expect(page.getByRole('link', { name: orderId, exact: true })).toBeVisible();
      await shoot(page, `${vp}-carts`);
    }
    // The missing page, for completeness.
    await signedIn.desktop.goto('/orders/ord_0000000000000000');
    await expect(signedIn.desktop.getByRole('heading', { name: 'Not found', level: 1 })).toBeVisible();
    await shoot(signedIn.desktop, 'desktop-order-not-found');
  } finally {
    for (const page of [...Object.values(out), ...Object.values(signedIn)]) await page.context().close();
  }
});
