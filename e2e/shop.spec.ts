import { expect, test } from './fixtures/test';
import { demo } from './fixtures/api';
import { CartPage, Catalog, cents, emptyOpenCart, euros, hydrated, signIn, signInAs } from './fixtures/shop';

// Every test here that touches a cart is alice's; bob's are in devices.spec.ts, admin's in visual.spec.ts.
// Serial: alice has one open cart that all of these tests share.
test.describe.configure({ mode: 'serial' });

test.beforeEach(async ({ baseURL }) => {
  await emptyOpenCart(baseURL!, 'alice');
});

test('signed out: the catalog shows product cards; Add to cart fills a guest cart that comes along on sign-in', async ({ page }) => {
  const catalog = new Catalog(page);
  await catalog.open();
  await expect(catalog.header.signInLink).toBeVisible();

  const cards = catalog.cards;
  expect(await cards.count()).toBeGreaterThanOrEqual(12);
  for (const card of await cards.all()) {
    const name = (await card.getByRole('heading').innerText()).trim();
    await test.step(name, async () => {
      expect(name.length).toBeGreaterThan(0);
      const img = card.locator('img');
      await expect(img).toHaveCount(1);
      await img.scrollIntoViewIfNeeded();
      await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0), { message: `${name}: picture loads` }).toBe(true);
      await expect(card.getByText(/^€\d+\.\d{2}$/)).toBeVisible();
      await expect(card.getByText(/^(In stock|Only \d+ left|Sold out)$/).first()).toBeVisible();
      await expect(card.getByRole('button', { name: `Add to cart: ${name}`, exact: true })).toBeVisible();
    });
  }
  await expect(catalog.stock('Espresso beans')).toHaveText('In stock');
  await expect(catalog.stock('Sencha green tea')).toHaveText('Sold out');

  const add = catalog.addButton('Espresso beans');
  await hydrated(add);
  await add.click();
  await expect(catalog.status('Espresso beans')).toHaveText('Added Espresso beans · 1 in your cart');
  await catalog.header.expectCount(1);
  // Signing in merges the guest cart into alice's (emptied) open cart: still one line, now hers.
  await signIn(page, demo.alice.email, demo.alice.password);
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/$/);
  await catalog.header.expectCount(1);
  await expect(catalog.header.signOutButton).toBeVisible();
  await page.reload();
  await catalog.header.expectCount(1);
});

test('alice fills her cart, edits it and checks out', async ({ page, browser }) => {
  const catalog = new Catalog(page);
  const cart = new CartPage(page);
  await signInAs(page, 'alice');
  await catalog.open();
  await catalog.header.expectCount(0);

  const beans = await catalog.priceCents('Espresso beans');
  const mug = await catalog.priceCents('Ceramic mug');

  await catalog.addToCart('Espresso beans');
  await expect(catalog.status('Espresso beans')).toHaveText(/^Added Espresso beans · \d+ in your cart$/);
  await catalog.header.expectCount(1);
  await catalog.addToCart('Ceramic mug');
  await expect(catalog.status('Ceramic mug')).toHaveText(/^Added Ceramic mug · \d+ in your cart$/);
  await catalog.header.expectCount(2);

  await catalog.header.cartLink.click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(cart.lines).toHaveCount(2);
  await expect(cart.lineTotal('Espresso beans')).toHaveText(euros(beans));
  await expect(cart.lineTotal('Ceramic mug')).toHaveText(euros(mug));
  await expect(cart.total).toHaveText(euros(beans + mug));
  await expect(cart.itemCount).toHaveText('2');

  await test.step('type a quantity and press Enter', async () => {
    await cart.setQuantity('Espresso beans', 3);
    await expect(cart.lineTotal('Espresso beans')).toHaveText(euros(3 * beans));
    await expect(cart.total).toHaveText(euros(3 * beans + mug));
    await expect(cart.messages).toHaveText('Espresso beans: quantity 3');
    await expect(cart.header.cartCount).toHaveText('4');
  });

  await test.step('more than in stock: the cart says why and keeps the old quantity', async () => {
    await cart.setQuantity('Espresso beans', 99);
    await expect(cart.messages).toHaveText(/^Only \d+ of Espresso beans (in stock|available); 99 requested\.$/);
    await expect(cart.quantity('Espresso beans')).toHaveValue('3');
    await expect(cart.total).toHaveText(euros(3 * beans + mug));
  });

  await test.step('+ and − buttons', async () => {
    await cart.increase('Espresso beans').click();
    await expect(cart.quantity('Espresso beans')).toHaveValue('4');
    await expect(cart.messages).toHaveText('Espresso beans: quantity 4');
    await expect(cart.lineTotal('Espresso beans')).toHaveText(euros(4 * beans));
    await cart.decrease('Espresso beans').click();
    await expect(cart.quantity('Espresso beans')).toHaveValue('3');
    await expect(cart.messages).toHaveText('Espresso beans: quantity 3');
    await expect(cart.total).toHaveText(euros(3 * beans + mug));
  });

  await test.step('remove the mug', async () => {
    await cart.remove('Ceramic mug');
    await expect(cart.messages).toHaveText('Removed Ceramic mug');
    await expect(cart.messages).toHaveRole('status');
    await expect(cart.lines).toHaveCount(1);
    await expect(cart.total).toHaveText(euros(3 * beans));
    await cart.header.expectCount(3);
  });

  const orderId = await cart.checkout();
  expect(orderId).toMatch(/^ord_[0-9a-f]{16}$/);
  await expect(page.getByRole('heading', { name: 'Thank you! Your order is confirmed.' })).toBeVisible();
  await expect(cart.messages).toHaveText(`Order ${orderId} confirmed`);
  await expect(cart.emptyState).toBeVisible();
  await cart.header.expectCount(0);

  await page.getByRole('link', { name: 'View order' }).click();
  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Order ${orderId}`);
  const rows = page.getByRole('table').getByRole('row');
  const beansRow = rows.filter({ has: page.getByRole('cell', { name: 'Espresso beans', exact: true }) });
  await expect(beansRow.getByRole('cell')).toHaveText(['Espresso beans', euros(beans), '3', euros(3 * beans)]);
  await expect(rows.filter({ hasText: 'Ceramic mug' })).toHaveCount(0);
  await expect(rows.filter({ hasText: 'Total' }).getByRole('cell').last()).toHaveText(euros(3 * beans));

  await test.step("the order is not someone else's to see", async () => {
    const bob = await (await browser.newContext()).newPage();
    await signInAs(bob, 'bob');
    await bob.goto(`/orders/${orderId}`);
    await expect(bob.getByRole('heading', { name: 'Not found', level: 1 })).toBeVisible();
    await expect(bob.getByText('Espresso beans')).toHaveCount(0);
    await bob.context().close();
  });

  await page.goto('/carts');
  const cartRow = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: `Order ${orderId}`, exact: true }) });
  await expect(cartRow).toContainText('Checked out');
  await expect(cartRow).toContainText(`3 items · ${euros(3 * beans)}`);
  await expect(page.getByRole('heading', { name: 'Your orders' })).toBeVisible();
  // The orders list links the bare id (the carts list says "Order <id>").
  const orderRow = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: orderId, exact: true }) });
  await expect(orderRow).toContainText(`3 items · ${euros(3 * beans)}`);

  await cart.open();
  await expect(cart.emptyState).toBeVisible();
  await expect(cart.lines).toHaveCount(0);
});

test('errors are shown: more Milk frothers than in stock, and a sold-out product cannot be added', async ({ page }) => {
  const catalog = new Catalog(page);
  await signInAs(page, 'alice');
  await catalog.open();
  await catalog.header.expectCount(0);

  const badge = (await catalog.stock('Milk frother').innerText()).trim();
  const m = /^Only (\d+) left$/.exec(badge);
  expect(m, `Milk frother stock badge: ${badge}`).not.toBeNull();
  const stock = Number(m![1]);
  expect(stock).toBeGreaterThan(0);

  for (let i = 1; i < stock; i++) {
    await catalog.addToCart('Milk frother');
    await catalog.header.expectCount(i);
  }
  // The last unit: afterwards every unit is held by this cart (a reservation), so the catalog has none
  // left to add and the button says so.
  await hydrated(catalog.addButton('Milk frother'));
  await catalog.addButton('Milk frother').click();
  await expect(catalog.status('Milk frother')).toHaveText(`Added Milk frother · ${stock} in your cart`);
  await page.reload();
  await expect(catalog.addButton('Milk frother')).toBeDisabled();
  await catalog.header.expectCount(stock);

  const tea = catalog.addButton('Sencha green tea');
  await expect(tea).toBeDisabled();
  await expect(tea).toHaveText('Unavailable');

  // Asking for one more than the stock on the cart page is refused with the reason.
  const cart = new CartPage(page);
  await cart.open();
  await cart.setQuantity('Milk frother', stock + 1);
  await expect(cart.messages).toHaveText(`Only ${stock} of Milk frother in stock; ${stock + 1} requested.`);

  // Leave the milk frothers for other shoppers.
  await cart.remove('Milk frother');
  await expect(cart.emptyState).toBeVisible();
});

test('keyboard: skip link, Add to cart buttons and the quantity input', async ({ page }) => {
  await signInAs(page, 'alice');
  await page.goto('/');
  await hydrated(new Catalog(page).addButton('Espresso beans'));

  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();

  // Tabbing on reaches the first Add to cart button.
  let reached = '';
  for (let i = 0; i < 25 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    if (!reached.startsWith('Add to cart')) reached = '';
  }
  expect(reached, 'an Add to cart button gets focus by Tab').toBe('Add to cart: Espresso beans');

  // Enter on the focused button adds the product.
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('cart-count')).toHaveText('1');

  // The skip link jumps over the header: the next Tab lands in the catalog.
  await page.goto('/');
  await hydrated(new Catalog(page).addButton('Espresso beans'));
  await page.keyboard.press('Tab');
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Add to cart: Espresso beans' })).toBeFocused();

  const cart = new CartPage(page);
  await cart.open();
  const qty = cart.quantity('Espresso beans');
  await hydrated(qty);
  await qty.focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await expect(cart.messages).toHaveText('Espresso beans: quantity 2');
  await expect(cart.quantity('Espresso beans')).toHaveValue('2');
  await cart.idle();

  // Select and type over it, then Tab away: blur commits too.
  await cart.quantity('Espresso beans').focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('5');
  await page.keyboard.press('Tab');
  await expect(cart.messages).toHaveText('Espresso beans: quantity 5');
  await expect(cart.itemCount).toHaveText('5');
  const each = cents(await cart.line('Espresso beans').getByText(/each$/).innerText());
  await expect(cart.total).toHaveText(euros(5 * each));

  // Remove with the keyboard.
  await cart.removeButton('Espresso beans').focus();
  await page.keyboard.press('Enter');
  await expect(cart.emptyState).toBeVisible();
});
