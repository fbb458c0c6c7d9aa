import { expect, test } from './fixtures/test';
import { apiAs, json } from './fixtures/api';
import { CartPage, Catalog, emptyOpenCart, hydrated, signInAs } from './fixtures/shop';

// Checkout as an order process, in the browser: a declined test card fails the order, the page says
// why, and the cart is open again with the same lines (its history shows the reopening); the approved
// card then confirms a new order. An admin finds the failed order, sees each step and retries it.
// Travel tumbler: no other spec counts its stock.

const NAME = 'Travel tumbler';

test('a declined card: the reason is shown, the cart reopens with its lines, and the approved card then confirms the order', async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  await emptyOpenCart(baseURL!, 'bob');
  await signInAs(page, 'bob');
  const catalog = new Catalog(page);
  await catalog.open();
  await catalog.addToCart(NAME);
  await catalog.addToCart(NAME);
  const cart = new CartPage(page);
  await cart.open();
  await expect(cart.lines).toHaveCount(1);
  const total = await cart.total.innerText();

  let failedOrder = '';
  await test.step('pay with the declining test card', async () => {
    const declining = page.getByRole('radio', { name: /Test card, declined/ });
    await hydrated(declining);
    await declining.check();
    await cart.checkoutButton.click();
    const failed = page.getByTestId('order-failed');
    await expect(failed).toBeVisible();
    await expect(failed.getByRole('heading')).toHaveText('Your order could not be completed');
    await expect(page.getByTestId('order-failure-reason')).toHaveText('The card was declined: insufficient funds.');
    failedOrder = (await failed.getByTestId('order-id').innerText()).trim();
    expect(failedOrder).toMatch(/^ord_[0-9a-f]{16}$/);
    await expect(cart.messages).toHaveText(`Order ${failedOrder} failed`);
    // The same cart, open again, with the same lines and total.
    await expect(cart.lines).toHaveCount(1);
    await expect(cart.line(NAME)).toBeVisible();
    await expect(cart.total).toHaveText(total);
  });

  await test.step("the order page explains it and lists the process's steps", async () => {
    await page.getByRole('link', { name: 'View order' }).click();
    await expect(page).toHaveURL(new RegExp(`/orders/${failedOrder}$`));
    await expect(page.getByTestId('order-status')).toHaveText('Failed');
    await expect(page.getByTestId('order-failure-reason')).toHaveText('The card was declined: insufficient funds.');
    await expect(page.getByTestId('order-step')).toHaveText([/Order placed/, /Payment failed/, /Order failed; the cart is open again/]);
  });

  await test.step("the cart's history shows the checkout and the reopening", async () => {
    await page.getByRole('link', { name: 'Go to your cart' }).click();
    await page.getByRole('link', { name: 'history' }).click();
    await expect(page.getByText(`Reopened: order #${failedOrder} failed (The card was declined: insufficient funds.)`)).toBeVisible();
    await expect(page.getByText(`Checked out, order #${failedOrder}`)).toBeVisible();
  });

  await test.step('the approved card confirms a new order', async () => {
    await cart.open();
    const approving = page.getByRole('radio', { name: /Test card, approved/ });
    await hydrated(approving);
    await approving.check();
    const orderId = await cart.checkout();
    expect(orderId).not.toBe(failedOrder);
    await expect(page.getByRole('heading', { name: 'Thank you! Your order is confirmed.' })).toBeVisible();
    await expect(cart.emptyState).toBeVisible();
    await page.getByRole('link', { name: 'View order' }).click();
    await expect(page.getByTestId('order-status')).toHaveText('Confirmed');
    await expect(page.getByTestId('order-step')).toHaveText([/Order placed/, /Payment authorised/, /Stock committed/, /Order confirmed/]);
  });
});

test('an admin lists failed orders, sees the steps and retries one', async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  // A failed order through the API: alice checks out with the declining card.
  await emptyOpenCart(baseURL!, 'alice');
  const alice = await apiAs(baseURL!, 'alice');
  let orderId = '';
  try {
    const { cartId } = await json<{ cartId: string }>(await alice.post('/api/carts'));
    const added = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'travel-tumbler', quantity: 1 } });
    expect(added.status(), await added.text()).toBe(200);
    const res = await alice.post(`/api/carts/${cartId}/checkout`, { data: { paymentMethod: 'card_declined' } });
    expect(res.status(), await res.text()).toBe(200);
    const body = await json<{ orderId: string; order: { status: string; failure: { code: string } } }>(res);
    expect(body.order).toMatchObject({ status: 'failed', failure: { code: 'insufficient_funds' } });
    orderId = body.orderId;
  } finally {
    await alice.dispose();
  }

  await signInAs(page, 'admin');
  await page.goto('/admin/audit');
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Orders' }).click();
  await expect(page.getByRole('heading', { name: 'Orders', level: 1 })).toBeVisible();
  await page.getByRole('navigation', { name: 'Order status' }).getByRole('link', { name: /^Failed/ }).click();
  await expect(page).toHaveURL(/status=failed/);
  const row = page.locator(`[data-testid="admin-order-row"][data-order-id="${orderId}"]`);
  await expect(row).toContainText('The card was declined: insufficient funds.');
  await row.getByRole('link', { name: orderId }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/orders/${orderId}$`));
  await expect(page.getByTestId('order-step')).toHaveText([/Order placed/, /Payment failed/, /Order failed/]);

  const retry = page.getByRole('button', { name: 'Retry order' });
  await hydrated(retry);
  await retry.click();
  // The shopper's card declines again: attempt 2 fails the same way, and the timeline shows both attempts.
  await expect(page.getByTestId('retry-message')).toHaveText('Retried: attempt 2 is failed');
  await expect(page.getByTestId('order-step').filter({ hasText: 'Retried by an admin (attempt 2)' })).toBeVisible();
  await expect(page.getByTestId('order-step').filter({ hasText: 'Payment failed (attempt 2)' })).toBeVisible();
});
