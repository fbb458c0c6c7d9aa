import fs from 'node:fs';
import { expect, test, type Page } from './fixtures/test';
import { apiAs } from './fixtures/api';
import { csvRecords } from './fixtures/csv';
import { signInAs } from './fixtures/shop';

// The admin's audit page. Other spec files write at the same time, so this one makes its own cart
// (bob's, through the API, with a product no other spec uses) and only asserts about that cart's rows.
// The cart is checked out at once: bob's browser tests (devices.spec.ts) never find it as his open cart.

const PRODUCT = { id: 'cold-brew-jar', name: 'Cold brew jar' };

async function bobsCart(baseURL: string): Promise<string> {
  const bob = await apiAs(baseURL, 'bob');
  try {
    const res = await bob.post('/api/carts');
    expect(res.status()).toBe(201);
    const { cartId } = (await res.json()) as { cartId: string };
    for (const productId of [PRODUCT.id, 'paper-filters', 'decaf-beans']) {
      const add = await bob.post(`/api/carts/${cartId}/items`, { data: { productId, quantity: 1 } });
      expect(add.status(), await add.text()).toBe(200);
    }
    const done = await bob.post(`/api/carts/${cartId}/checkout`);
    expect(done.status(), await done.text()).toBe(200);
    return cartId;
  } finally {
    await bob.dispose();
  }
}

const rows = (page: Page) => page.getByTestId('audit-row');
const row = (page: Page, text: string) => rows(page).filter({ hasText: text });

test('an admin filters the log by user and type, pages through it and exports it as CSV', async ({ page, baseURL }) => {
  const cartId = await bobsCart(baseURL!);
  const short = cartId.slice(0, 8);
  await signInAs(page, 'admin');

  await test.step('filter by user and event type', async () => {
    await page.goto('/admin/audit');
    await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
    await page.getByLabel('User', { exact: true }).fill('user-bob');
    await page.getByLabel('Event type', { exact: true }).selectOption('ItemAdded');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/userId=user-bob/);
    await expect(page).toHaveURL(/type=ItemAdded/);
    await expect(page.getByLabel('User', { exact: true })).toHaveValue('user-bob');
    await expect(page.getByLabel('Event type', { exact: true })).toHaveValue('ItemAdded');

    const jar = row(page, `Added 1 × ${PRODUCT.name}`).filter({ hasText: short });
    await expect(jar).toHaveCount(1);
    await expect(jar.getByRole('link', { name: short })).toHaveAttribute('href', new RegExp(`cartId=${cartId}`));
    await expect(jar.getByRole('link', { name: 'History' })).toHaveAttribute('href', `/carts/${cartId}/history`);
    await expect(jar.getByRole('link', { name: 'State at v2' })).toHaveAttribute('href', `/carts/${cartId}/time-travel?version=2`);
    await expect(jar.getByText('user-bob')).toBeVisible();
    const time = jar.locator('time');
    expect(Date.parse((await time.getAttribute('datetime'))!)).toBeGreaterThan(Date.now() - 10 * 60_000);
    await expect(time).toHaveAttribute('title', /UTC$/);
    // Only bob's adds on this page, whoever else is writing.
    for (const text of await rows(page).locator('td:nth-child(2) .font-mono').allInnerTexts()) expect(text).toBe('ItemAdded');
  });

  await test.step('follow the pages, two events at a time, keeping the filters', async () => {
    await page.goto(`/admin/audit?limit=2`);
    await page.getByLabel('User', { exact: true }).fill('user-bob');
    await page.getByLabel('Cart', { exact: true }).fill(cartId);
    await page.getByLabel('Event type', { exact: true }).selectOption('ItemAdded');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(new RegExp(`cartId=${cartId}`));
    await expect(rows(page)).toHaveCount(2);
    await expect(rows(page).nth(0)).toContainText('Added 1 × Swiss water decaf');
    await expect(rows(page).nth(1)).toContainText('Added 1 × Paper filters');

    await page.getByRole('link', { name: 'Older events' }).click();
    await expect(page).toHaveURL(/after=\d+/);
    await expect(page).toHaveURL(/userId=user-bob/);
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page).first()).toContainText(`Added 1 × ${PRODUCT.name}`);
    await expect(page.getByRole('link', { name: 'Older events' })).toHaveCount(0);
    await expect(page.getByLabel('Cart', { exact: true })).toHaveValue(cartId);

    await page.getByRole('link', { name: 'Newest events' }).click();
    await expect(page).not.toHaveURL(/after=/);
    await expect(rows(page)).toHaveCount(2);
  });

  await test.step('the export menu downloads a CSV of the filtered events', async () => {
    await page.getByText('Export', { exact: true }).click();
    const csvLink = page.getByRole('link', { name: 'Export CSV' });
    await expect(csvLink).toHaveAttribute('href', new RegExp(`format=csv.*cartId=${cartId}`));
    await expect(page.getByRole('link', { name: 'Export JSON' })).toHaveAttribute('href', /format=json/);
    const [download] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(download.suggestedFilename()).toMatch(/^events-\d{8}T\d{6}Z\.csv$/);
    const records = csvRecords(fs.readFileSync((await download.path())!, 'utf8'));
    // All of this cart's adds, not just the page on screen (two per page).
    expect(records.map((r) => r.title)).toEqual([`Added 1 × Swiss water decaf`, 'Added 1 × Paper filters', `Added 1 × ${PRODUCT.name}`]);
    for (const r of records) expect([r.cart_id, r.actor_user_id, r.type]).toEqual([cartId, 'user-bob', 'ItemAdded']);
  });
});

test('filters that match nothing show the empty state; bad ones say why', async ({ page }) => {
  await signInAs(page, 'admin');
  await page.goto(`/admin/audit?cartId=${crypto.randomUUID()}`);
  await expect(page.getByText('No events match these filters.')).toBeVisible();
  await expect(rows(page)).toHaveCount(0);
  await page.getByRole('link', { name: 'Clear the filters' }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);

  await page.goto('/admin/audit?type=Bogus&limit=0');
  const alert = page.getByRole('alert', { name: 'These filters cannot be applied' });
  await expect(alert).toContainText('type');
  await expect(alert).toContainText('limit');
});

test('a shopper is refused at /admin/audit', async ({ page }) => {
  await signInAs(page, 'alice');
  await page.goto('/admin/audit');
  await expect(page.getByRole('heading', { name: '403: admins only' })).toBeVisible();
  await expect(page.getByRole('table')).toHaveCount(0);
  await expect(page.getByRole('search', { name: 'Filter events' })).toHaveCount(0);
});

test('signed out, /admin/audit asks to sign in first', async ({ page }) => {
  await page.goto('/admin/audit');
  await expect(page).toHaveURL(/\/login\?callbackUrl=(%2F|\/)admin(%2F|\/)audit$/);
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('the page does not scroll sideways; the table scrolls inside its card', async ({ page }) => {
    await signInAs(page, 'admin');
    await page.goto('/admin/audit');
    await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
    const o = await page.evaluate(() => ({ vw: document.documentElement.clientWidth, sw: document.documentElement.scrollWidth }));
    expect(o.sw, JSON.stringify(o)).toBeLessThanOrEqual(o.vw);
    if ((await rows(page).count()) > 0) {
      const scroller = page.getByTestId('audit-scroller');
      const s = await scroller.evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
      expect(s.scroll).toBeGreaterThan(s.client);
    }
  });
});
