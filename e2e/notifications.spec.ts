import { expect, test } from './fixtures/test';
import { apiAs, json } from './fixtures/api';
import { signInAs } from './fixtures/shop';
import { productWithStock } from './api/helpers';

// A checkout writes order.confirmed to the outbox; the relay hands it to the notifications consumer,
// which keeps the rendered confirmation (no SMTP_URL here). The shopper sees it on the order page and
// admins at /admin/notifications.
test('a confirmed order produces a confirmation on the order page and in the admin list', async ({ page, baseURL }) => {
  const bob = await apiAs(baseURL!, 'bob');
  const product = await productWithStock(bob, 'digital-scale', 1);
  const cartId = (await json<{ cartId: string }>(await bob.post('/api/carts'))).cartId;
  expect((await bob.post(`/api/carts/${cartId}/items`, { data: { productId: product.id, quantity: 1 } })).status()).toBe(200);
  const checkout = await bob.post(`/api/carts/${cartId}/checkout`);
  expect(checkout.status()).toBe(200);
  const { orderId } = await json<{ orderId: string }>(checkout);
  await bob.dispose();

  await signInAs(page, 'bob');
  await page.goto(`/orders/${orderId}`);
  const messages = page.getByTestId('notification');
  await expect(async () => {
    await page.reload();
    await expect(messages).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(messages.first()).toContainText(`Your eventcart order ${orderId} is confirmed`);
  await expect(messages.first()).toContainText('Kept here (no SMTP)');
  await messages.first().locator('summary').click();
  await expect(messages.first().locator('pre')).toContainText(`1 × ${product.name}`);

  await page.context().clearCookies();
  await signInAs(page, 'admin');
  await page.goto('/admin/notifications');
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
  const row = page.getByTestId('notification').filter({ hasText: orderId });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('bob@example.com');
  await expect(page.getByTestId('outbox-status')).toContainText('Outbox:');
});
