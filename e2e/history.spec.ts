import { expect, test, type APIRequestContext } from './fixtures/test';
import { apiAs, newCart } from './fixtures/api';
import { hydrated, signInAs } from './fixtures/shop';

// Carts made through the API (as bob, in carts of their own), then read as a person would.

async function send(api: APIRequestContext, method: 'post' | 'patch' | 'delete', path: string, data?: unknown) {
  const res = await api[method](path, data === undefined ? {} : { data });
  expect(res.status(), `${method} ${path}`).toBe(200);
  return (await res.json()) as { version: number; cart: { updatedAt: string } };
}

/** v1 opened, v2 +2 espresso, v3 +1 mug, v4 espresso 2 -> 3, v5 mug removed. */
async function cartWithHistory(baseURL: string) {
  const api = await apiAs(baseURL, 'bob');
  const cartId = await newCart(api);
  const stamps: string[] = [];
  const step = async (method: 'post' | 'patch' | 'delete', path: string, data?: unknown) => {
    const r = await send(api, method, `/api/carts/${cartId}${path}`, data);
    stamps[r.version] = r.cart.updatedAt;
    await new Promise((ok) => setTimeout(ok, 30)); // distinct timestamps
  };
  await step('post', '/items', { productId: 'espresso-beans', quantity: 2 });
  await step('post', '/items', { productId: 'ceramic-mug', quantity: 1 });
  await step('patch', '/items/espresso-beans', { quantity: 3 });
  await step('delete', '/items/ceramic-mug');
  await api.dispose();
  return { cartId, stamps };
}

test('the history lists every change with who and when, newest first, with the raw event', async ({ page, baseURL }) => {
  const { cartId } = await cartWithHistory(baseURL!);
  await signInAs(page, 'bob');
  await page.goto(`/carts/${cartId}/history`);
  await expect(page.getByRole('heading', { name: 'Cart history' })).toBeVisible();
  const entries = page.getByTestId('history-entry');
  await expect(entries).toHaveCount(5);
  await expect(entries.nth(0).getByRole('heading')).toHaveText('Removed Ceramic mug (1)');
  await expect(entries.nth(1).getByRole('heading')).toHaveText('Espresso beans: quantity 2 → 3');
  await expect(entries.nth(3).getByRole('heading')).toHaveText('Added 2 × Espresso beans');
  await expect(entries.nth(4).getByRole('heading')).toHaveText('Cart opened');
  await expect(entries.nth(1)).toContainText('Bob');
  await expect(entries.nth(1)).toContainText('shopper');
  await expect(entries.nth(1)).toContainText('2 × €24.90');
  await expect(entries.nth(1)).toContainText('3 × €24.90');
  // It reads as a list of lists (days, then events).
  await expect(page.getByRole('list', { name: 'Cart history' })).toBeVisible();
  // Absolute time on focus.
  const time = entries.nth(0).locator('time');
  await time.focus();
  await expect(entries.nth(0).getByRole('tooltip')).toBeVisible();
  await expect(entries.nth(0).getByRole('tooltip')).toContainText('UTC');
  // The raw event with its metadata.
  await entries.nth(0).getByText('Raw event').click();
  const raw = entries.nth(0).locator('pre');
  await expect(raw).toContainText('"type": "ItemRemoved"');
  await expect(raw).toContainText('"correlationId"');
  await expect(raw).toContainText('"schemaVersion"');
  // Each event links to time travel at its version.
  await entries.nth(3).getByRole('link', { name: 'View cart at this version' }).click();
  await expect(page).toHaveURL(new RegExp(`/carts/${cartId}/time-travel\\?version=2$`));
  await expect(page.getByTestId('tt-position')).toContainText('Version 2 of 5');
});

test('time travel: the slider, the keyboard, a moment in time and a comparison', async ({ page, baseURL }) => {
  const { cartId, stamps } = await cartWithHistory(baseURL!);
  await signInAs(page, 'bob');
  await page.goto(`/carts/${cartId}/time-travel`);
  const slider = page.getByRole('slider', { name: 'Version' });
  await hydrated(slider);
  await expect(page.getByTestId('tt-position')).toContainText('Version 5 of 5');
  const cart = page.getByTestId('tt-cart');
  await expect(cart).toContainText('Espresso beans');
  await expect(cart).not.toContainText('Ceramic mug');

  // Keyboard: Home goes to the first version, arrows step.
  await slider.focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('tt-position')).toContainText('Version 1 of 5');
  await expect(cart).toContainText('Empty cart');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('tt-position')).toContainText('Version 3 of 5');
  await expect(cart).toContainText('Ceramic mug');
  await expect(cart).toContainText('€61.80');
  await expect(page).toHaveURL(/version=3/);

  // A shared link to a moment: just after version 2.
  const atV2 = new Date(new Date(stamps[2]).getTime() + 5).toISOString();
  await page.goto(`/carts/${cartId}/time-travel?at=${encodeURIComponent(atV2)}`);
  await expect(page.getByTestId('tt-position')).toContainText('Version 2 of 5');
  await expect(page.getByTestId('tt-cart')).toContainText('€49.80');

  // Compare version 3 with the current one.
  await page.goto(`/carts/${cartId}/time-travel?version=5&compare=3`);
  const diff = page.getByTestId('tt-diff');
  await expect(diff).toContainText('From version 3 to version 5');
  await expect(diff).toContainText('Removed 1 × Ceramic mug');
  await expect(diff).toContainText('Changed Espresso beans: 2 → 3');
  await expect(page.getByTestId('tt-total-delta')).toHaveText('Total +€12.90');
});

test("another shopper cannot open a cart's history or time travel", async ({ page, baseURL }) => {
  const { cartId } = await cartWithHistory(baseURL!);
  await signInAs(page, 'alice');
  for (const view of ['history', 'time-travel']) {
    const res = await page.goto(`/carts/${cartId}/${view}`);
    expect(res?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  }
});
