import { expect, test } from './fixtures/test';
import { demo } from './fixtures/api';
import { Catalog, Header, signInAs, submitLogin } from './fixtures/shop';

// Signing in and out changes no cart, so these run alongside the other files.

test('a wrong password is refused on /login with a message', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  await submitLogin(page, demo.alice.email, 'not-her-password');
  const status = page.getByRole('main').getByRole('status');
  await expect(status).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(demo.alice.email);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await expect(new Header(page).signInLink).toBeVisible();

  // An unknown account gets the same words.
  await submitLogin(page, 'nobody@example.com', 'whatever');
  // The form is reset once the answer is in: the password is cleared, the email put back.
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue('nobody@example.com');
  await expect(status).toHaveText('Wrong email or password.');

  // Empty fields are explained, not sent.
  await page.getByLabel('Email', { exact: true }).fill('');
  await page.getByLabel('Password', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(status).toHaveText('Enter your email.');
  await expect(page).toHaveURL(/\/login/);
});

test('signing out from the header', async ({ page }) => {
  await signInAs(page, 'admin');
  const header = new Header(page);
  await expect(header.signOutButton).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My carts' })).toBeVisible();

  await header.signOutButton.click();
  await expect(header.signInLink).toBeVisible();
  await expect(header.signOutButton).toHaveCount(0);
  await expect(page).toHaveURL(/^https?:\/\/[^/]+\/$/);
  await header.expectCount(0);

  // Signed out for real: the cart page is a guest's again, empty, and checking out needs a sign-in.
  await page.goto('/cart');
  await expect(page.getByText('Your cart is empty')).toBeVisible();
  await expect(page.getByTestId('cart-count')).toHaveText('0');
  await page.goto('/carts');
  await expect(page).toHaveURL(/\/login\?callbackUrl=(%2F|\/)carts$/);
});

test('the sold-out product cannot be added, even signed out', async ({ page }) => {
  const catalog = new Catalog(page);
  await catalog.open();
  await expect(catalog.stock('Sencha green tea')).toHaveText('Sold out');
  await expect(catalog.addButton('Sencha green tea')).toBeDisabled();
});
