import { expect, test, type Page } from './fixtures/test';
import { signInAs } from './fixtures/shop';

// Layout on a 390x844 phone. Signing in changes no cart, so this runs alongside the other files.
test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

const overflow = (page: Page) =>
  page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const wide = Array.from(document.querySelectorAll('body *'))
      .filter((el) => el.getBoundingClientRect().right > vw + 0.5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.textContent ?? '').trim().slice(0, 30)}" right=${Math.round(el.getBoundingClientRect().right)}`);
    return { vw, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 8) };
  });

test('signed out: no page scrolls sideways on a phone', async ({ page }) => {
  for (const path of ['/', '/login']) {
    await page.goto(path);
    const o = await overflow(page);
    expect(o.scrollWidth, `${path}: ${JSON.stringify(o)}`).toBeLessThanOrEqual(o.vw);
  }
});

test('signed in: no page scrolls sideways on a phone', async ({ page }) => {
  // KNOWN APP BUG (reported, not fixed here): signed in, the header's nav (Shop, My carts, Cart, Sign out)
  // is ~15 px wider than a 390 px screen, so every page scrolls sideways and "Sign out" sits half off
  // screen (components/layout/site-header.tsx). Remove this line once the header fits.
  await signInAs(page, 'bob');
  for (const path of ['/', '/cart', '/carts']) {
    await page.goto(path);
    const o = await overflow(page);
    expect.soft(o.scrollWidth, `${path}: ${JSON.stringify(o)}`).toBeLessThanOrEqual(o.vw);
  }
});
