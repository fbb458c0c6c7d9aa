import { expect, test, type APIRequestContext } from './fixtures/test';
import { apiAs, json } from './fixtures/api';
import { signInAs } from './fixtures/shop';
import { productWithStock } from './api/helpers';

type Dashboard = {
  funnel: { opened: number; withItems: number; checkedOut: number };
  totals: { orders: number; revenueCents: number };
  days: { day: string; orders: number }[];
  topProducts: { productId: string; name: string; units: number }[];
};

// The dashboard draws what GET /api/admin/analytics returns (its figures are checked against the
// events in server/analytics/funnel.test.ts); here: a checkout shows up in it, and each chart has a
// table with the same figures.
/** Waits until the dashboard's asynchronous projections have handled every committed event (GET /api/metrics). */
async function caughtUp(api: APIRequestContext) {
  await expect
    .poll(
      async () => {
        const text = await (await api.get('/api/metrics')).text();
        return ['cart-funnel', 'sales-daily'].map((s) => new RegExp(`^eventcart_subscriber_lag_events\\{subscriber="${s}"\\} (\\d+)`, 'm').exec(text)?.[1]);
      },
      { timeout: 15_000 },
    )
    .toEqual(['0', '0']);
}

test('an order shows up in the dashboard, whose tables match the API', async ({ page, baseURL }) => {
  const adminApi = await apiAs(baseURL!, 'admin');
  // Earlier specs' events may still be on their way into the projections: start from a settled dashboard.
  await caughtUp(adminApi);
  const before = await json<Dashboard>(await adminApi.get('/api/admin/analytics'));

  const bob = await apiAs(baseURL!, 'bob');
  const product = await productWithStock(bob, 'travel-tumbler', 1);
  const cartId = (await json<{ cartId: string }>(await bob.post('/api/carts'))).cartId;
  expect((await bob.post(`/api/carts/${cartId}/items`, { data: { productId: product.id, quantity: 1 } })).status()).toBe(200);
  expect((await bob.post(`/api/carts/${cartId}/checkout`)).status()).toBe(200);
  await bob.dispose();

  // The projections are asynchronous: within a few seconds the order counts.
  let after = before;
  await expect
    .poll(async () => {
      after = await json<Dashboard>(await adminApi.get('/api/admin/analytics'));
      return after.totals.orders;
    }, { timeout: 15_000 })
    .toBe(before.totals.orders + 1);
  expect(after.funnel.opened).toBe(before.funnel.opened + 1);
  expect(after.funnel.checkedOut).toBe(before.funnel.checkedOut + 1);
  expect(after.totals.revenueCents).toBe(before.totals.revenueCents + product.priceCents);
  await adminApi.dispose();

  await signInAs(page, 'admin');
  await page.goto('/admin/analytics');
  await expect(page.getByRole('heading', { name: 'Analytics' })).toBeVisible();
  for (const id of ['chart-funnel', 'chart-revenue', 'chart-top-products', 'chart-time-to-checkout', 'chart-carts']) {
    await expect(page.getByTestId(id).locator('svg.recharts-surface').first()).toBeVisible();
  }
  await expect(page.getByTestId('total-Orders')).toContainText(after.totals.orders.toLocaleString('en-GB'));

  const funnel = page.getByTestId('chart-funnel');
  await funnel.getByRole('button', { name: 'Table' }).click();
  await expect(funnel.getByRole('row', { name: /^Opened/ })).toContainText(String(after.funnel.opened));
  await expect(funnel.getByRole('row', { name: /^Checked out/ })).toContainText(String(after.funnel.checkedOut));

  const revenue = page.getByTestId('chart-revenue');
  await revenue.getByRole('button', { name: 'Table' }).click();
  const today = after.days.at(-1)!;
  await expect(revenue.getByRole('row', { name: new RegExp(`^${today.day}`) })).toContainText(String(today.orders));

  const top = page.getByTestId('chart-top-products');
  await top.getByRole('button', { name: 'Table' }).click();
  await expect(top.getByRole('row', { name: new RegExp(product.name) })).toBeVisible();
  await top.getByRole('button', { name: 'Chart' }).click();
  await expect(top.locator('svg.recharts-surface').first()).toBeVisible();
});

test('shoppers get 403 from the analytics API and the admin page refuses them', async ({ page, baseURL }) => {
  const alice = await apiAs(baseURL!, 'alice');
  expect((await alice.get('/api/admin/analytics')).status()).toBe(403);
  expect((await (await apiAs(baseURL!, null)).get('/api/admin/analytics')).status()).toBe(401);
  const bad = await (await apiAs(baseURL!, 'admin')).get('/api/admin/analytics?from=2026-13-01');
  expect(bad.status()).toBe(400);
  await signInAs(page, 'alice');
  await page.goto('/admin/analytics');
  await expect(page.getByTestId('admin-refused')).toBeVisible();
});
