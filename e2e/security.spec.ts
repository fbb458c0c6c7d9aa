import { expect, request as pwRequest, test, type APIRequestContext, type APIResponse, type Page } from './fixtures/test';
import { demo, newCart } from './fixtures/api';
import { startServer, type SpawnedServer } from './fixtures/server';
import { CartPage, Catalog, emptyOpenCart, hydrated, signInAs, submitLogin } from './fixtures/shop';

// Access: Content-Security-Policy and security headers, request ids, sign-in answers that do not tell
// whether an account exists, secure cookies, and rate limits (429 + Retry-After) on sign-in and cart
// commands. The limits are tried on servers of their own with tight limits; the suite's server has
// generous ones (playwright.config.ts) so the rest of the suite never meets them.


const directives = (csp: string) =>
  new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name, values] as const;
      }),
  );

function expectStaticHeaders(h: Record<string, string>) {
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['x-frame-options']).toBe('DENY');
  expect(h['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(h['permissions-policy']).toMatch(/camera=\(\).*microphone=\(\).*geolocation=\(\)/);
  expect(h['x-request-id']).toMatch(/^[\w.:-]{1,128}$/);
}

/** Records CSP violations (the DOM event) and console messages about the policy, from the first script on. */
async function watchCsp(page: Page) {
  const consoleHits: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(m.text())) consoleHits.push(m.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return {
    violations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    consoleHits,
  };
}

test.describe('Content-Security-Policy and security headers', () => {
  for (const path of ['/', '/login', '/carts/00000000-0000-4000-8000-000000000000/history']) {
    test(`${path}: a nonce-based policy without 'unsafe-inline' scripts, and every script carries the nonce`, async ({ request }) => {
      const res = await request.get(path, { maxRedirects: 0 });
      const h = res.headers();
      expectStaticHeaders(h);
      const csp = h['content-security-policy'];
      expect(csp, 'CSP header').toBeTruthy();
      const d = directives(csp);
      const scriptSrc = d.get('script-src') ?? [];
      const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(scriptSrc.find((v) => v.startsWith("'nonce-")) ?? '')?.[1];
      expect(nonce, `nonce in ${scriptSrc.join(' ')}`).toBeTruthy();
      expect(scriptSrc).toContain("'strict-dynamic'");
      expect(scriptSrc).not.toContain("'unsafe-inline'");
      expect(scriptSrc).not.toContain("'unsafe-eval'");
      expect(d.get('object-src')).toEqual(["'none'"]);
      expect(d.get('base-uri')).toEqual(["'self'"]);
      expect(d.get('form-action')).toEqual(["'self'"]);
      expect(d.get('frame-ancestors')).toEqual(["'none'"]);
      expect(d.get('default-src')).toEqual(["'self'"]);
      expect(h['strict-transport-security'], 'no HSTS over plain http').toBeUndefined();
      if (res.status() === 200) {
        const html = await res.text();
        const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
        expect(scripts.length).toBeGreaterThan(0);
        for (const tag of scripts) expect(tag, 'script tag with the nonce').toContain(`nonce="${nonce}"`);
      }
      // A fresh nonce for every response.
      const again = (await request.get(path, { maxRedirects: 0 })).headers()['content-security-policy'];
      expect(again).not.toBe(csp);
    });
  }

  test('API answers: the static headers, a JSON-only policy, the request id echoed or made', async ({ request }) => {
    const ok = await request.get('/api/products', { headers: { 'X-Request-Id': 'sec-check.1:abc' } });
    expect(ok.status()).toBe(200);
    expectStaticHeaders(ok.headers());
    expect(ok.headers()['x-request-id']).toBe('sec-check.1:abc');
    expect(ok.headers()['content-security-policy']).toBe(`default-src 'none'; frame-ancestors 'none'`);

    const bad = await request.get('/api/products', { headers: { 'X-Request-Id': 'no spaces <allowed>' } });
    expect(bad.headers()['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    // Errors carry them too.
    const unauth = await request.post('/api/carts');
    expect(unauth.status()).toBe(401);
    expectStaticHeaders(unauth.headers());
    const malformed = await request.get('/api/carts/%E0%A4%A', { headers: { 'X-Request-Id': 'bad-path-1' } });
    expect(malformed.status()).toBe(400);
    expect((await malformed.json()).error.code).toBe('malformed_path');
    expect(malformed.headers()['x-request-id']).toBe('bad-path-1');
    expectStaticHeaders(malformed.headers());

    // Pages get the request id as well (the ops logs correlate by it).
    const page = await request.get('/login', { headers: { 'X-Request-Id': 'page-req-7' } });
    expect(page.headers()['x-request-id']).toBe('page-req-7');
  });

  test('over https (TLS ended at a proxy that says so): Strict-Transport-Security and upgrade-insecure-requests', async ({ request }) => {
    const res = await request.get('/login', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(res.headers()['strict-transport-security']).toMatch(/^max-age=\d{8,}/);
    expect(directives(res.headers()['content-security-policy']).has('upgrade-insecure-requests')).toBe(true);
  });

  test('with CSP on, the shop hydrates and works: catalog → add to cart → cart, with no violation reported', async ({ page, baseURL }) => {
    await emptyOpenCart(baseURL!, 'alice');
    const csp = await watchCsp(page);
    await signInAs(page, 'alice'); // the login form is a server action
    const catalog = new Catalog(page);
    await catalog.open();
    await catalog.addToCart('Ceramic mug');
    await expect(catalog.status('Ceramic mug')).toHaveText(/Added Ceramic mug/);
    await catalog.header.expectCount(1);
    const cart = new CartPage(page);
    await catalog.header.cartLink.click();
    await expect(page).toHaveURL(/\/cart$/);
    await expect(cart.line('Ceramic mug')).toHaveCount(1);
    await hydrated(cart.increase('Ceramic mug'));
    await cart.increase('Ceramic mug').click();
    await expect(cart.quantity('Ceramic mug')).toHaveValue('2');
    await cart.idle();
    await cart.header.expectCount(2);
    // react-query: the carts list page fetches on the client.
    await page.goto('/carts');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    expect(await csp.violations()).toEqual([]);
    expect(csp.consoleHits).toEqual([]);
  });

  test('an inline script without the nonce (as an injection would add) is refused, and the page still hydrates', async ({ page }) => {
    const csp = await watchCsp(page);
    await page.route('**/login', async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace('</head>', `<script>document.documentElement.dataset.pwned = '1'</script></head>`);
      await route.fulfill({ response: res, body: html });
    });
    await page.goto('/login');
    await hydrated(page.getByRole('button', { name: 'Sign in', exact: true }));
    expect(await page.evaluate(() => document.documentElement.dataset.pwned)).toBeUndefined();
    await expect.poll(() => csp.violations()).toEqual([expect.stringMatching(/^script-src(-elem)? inline$/)]);
  });
});

test.describe('sign-in answers', () => {
  /** One credentials sign-in through the API; the redirect and how long the password check took. */
  async function attempt(api: APIRequestContext, email: string, password: string) {
    const { csrfToken } = (await (await api.get('/api/auth/csrf')).json()) as { csrfToken: string };
    const started = performance.now();
    const res = await api.post('/api/auth/callback/credentials', { form: { csrfToken, email, password }, maxRedirects: 0 });
    return { res, ms: performance.now() - started };
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  test('an unknown email and a wrong password get the same answer, in about the same time', async ({ baseURL }) => {
    const api = await pwRequest.newContext({ baseURL });
    try {
      const wrong: number[] = [];
      const unknown: number[] = [];
      let wrongRes: APIResponse | undefined;
      let unknownRes: APIResponse | undefined;
      for (let i = 0; i < 9; i++) {
        const a = await attempt(api, demo.bob.email, `not-bobs-password-${i}`);
        const b = await attempt(api, `nobody-${i}@example.com`, `not-bobs-password-${i}`);
        wrong.push(a.ms);
        unknown.push(b.ms);
        [wrongRes, unknownRes] = [a.res, b.res];
      }
      expect(wrongRes!.status()).toBe(302);
      expect(unknownRes!.status()).toBe(wrongRes!.status());
      expect(unknownRes!.headers()['location']).toBe(wrongRes!.headers()['location']);
      expect(wrongRes!.headers()['location']).toContain('error=CredentialsSignin');
      const fmt = (xs: number[]) => `min ${Math.min(...xs).toFixed(1)} median ${median(xs).toFixed(1)} ms`;
      test.info().annotations.push({ type: 'timing', description: `wrong password: ${fmt(wrong)}; unknown email: ${fmt(unknown)}` });
      // The fastest of each is the least disturbed by a busy machine. Without the dummy hash an unknown
      // email skips scrypt and answers in a fraction of the time.
      const [w, u] = [Math.min(...wrong), Math.min(...unknown)];
      expect(u, `unknown email ${fmt(unknown)} vs wrong password ${fmt(wrong)}`).toBeGreaterThan(w * 0.4);
    } finally {
      await api.dispose();
    }
  });

  test('the login page says the same for an unknown email and a wrong password', async ({ page }) => {
    await page.goto('/login');
    await hydrated(page.getByRole('button', { name: 'Sign in', exact: true }));
    const status = page.locator('form').getByRole('status');
    await submitLogin(page, demo.bob.email, 'not-bobs-password');
    await expect(status).toHaveText('Wrong email or password.');
    await submitLogin(page, 'nobody@example.com', 'not-bobs-password');
    await expect(status).toHaveText('Wrong email or password.');
    await expect(page).toHaveURL(/\/login/);
  });

  test('over https the session cookie is __Secure- and Secure (HttpOnly, SameSite=Lax)', async ({ baseURL }) => {
    const api = await pwRequest.newContext({ baseURL, extraHTTPHeaders: { 'X-Forwarded-Proto': 'https' } });
    try {
      const { res } = await attempt(api, demo.alice.email, demo.alice.password);
      expect(res.status()).toBe(302);
      const cookies = res.headersArray().filter((x) => x.name.toLowerCase() === 'set-cookie').map((x) => x.value);
      const session = cookies.find((c) => c.startsWith('__Secure-authjs.session-token='));
      expect(session, cookies.join('\n')).toBeDefined();
      expect(session).toMatch(/;\s*Secure/i);
      expect(session).toMatch(/;\s*HttpOnly/i);
      expect(session).toMatch(/;\s*SameSite=Lax/i);
    } finally {
      await api.dispose();
    }
  });
});

// ---- rate limits, on servers of their own ---------------------------------------------------------

const TOO_MANY = /^Too many attempts; try again in (\d+) s\.$/;

/** 429, a Retry-After in whole seconds within the window, and the API's JSON error saying the same. */
async function expectRateLimited(res: APIResponse, windowSeconds: number): Promise<number> {
  expect(res.status(), await res.text()).toBe(429);
  const retryAfter = Number(res.headers()['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('rate_limited');
  expect(body.error.message).toMatch(TOO_MANY);
  expect(Number(TOO_MANY.exec(body.error.message)![1])).toBe(retryAfter);
  expectStaticHeaders(res.headers());
  return retryAfter;
}

/** Posts to the credentials callback as an API client would, from `ip` (the server trusts one proxy hop). */
async function apiSignIn(baseURL: string, email: string, password: string, xff: string) {
  const api = await pwRequest.newContext({ baseURL, extraHTTPHeaders: { 'X-Forwarded-For': xff } });
  const { csrfToken } = (await (await api.get('/api/auth/csrf')).json()) as { csrfToken: string };
  const res = await api.post('/api/auth/callback/credentials', { form: { csrfToken, email, password }, maxRedirects: 0 });
  return { api, res };
}

test.describe('rate limits behind a trusted proxy (TRUST_PROXY=1: the address is the last X-Forwarded-For hop)', () => {
  test.describe.configure({ mode: 'serial' });
  let server: SpawnedServer;
  const opened: APIRequestContext[] = [];

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    server = await startServer({
      TRUST_PROXY: '1',
      RATE_LIMIT_SIGNIN: '3/60',
      RATE_LIMIT_SIGNIN_IP: '6/60',
      RATE_LIMIT_COMMANDS: '5/60',
    });
  });
  test.afterAll(async () => {
    for (const a of opened) await a.dispose();
    await server?.stop();
  });

  const signedIn = async (email: string, password: string, ip: string) => {
    const { api, res } = await apiSignIn(server.baseURL, email, password, ip);
    opened.push(api);
    expect(res.status()).toBe(302);
    expect(res.headers()['location']).not.toContain('error=');
    return api;
  };
  const from = async (api: APIRequestContext, ip: string) => {
    // The same session (cookies) from another address.
    const other = await pwRequest.newContext({ baseURL: server.baseURL, extraHTTPHeaders: { 'X-Forwarded-For': ip }, storageState: await api.storageState() });
    opened.push(other);
    return other;
  };

  test('API commands: 429 over the limit per user (from any address) and per address (for any user), nothing written', async () => {
    const alice = await signedIn(demo.alice.email, demo.alice.password, '10.4.0.1');
    const cartId = await newCart(alice); // command 1
    for (let i = 0; i < 4; i++) {
      const res = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 } });
      expect(res.status(), await res.text()).toBe(200); // commands 2-5
    }
    await expectRateLimited(await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 } }), 60);
    await expectRateLimited(await alice.post('/api/carts'), 60);
    // Per user: alice from another address is still over her limit.
    const aliceElsewhere = await from(alice, '10.4.0.2');
    await expectRateLimited(await aliceElsewhere.delete(`/api/carts/${cartId}/items/ceramic-mug`), 60);
    // Reads are not commands; the cart holds exactly the four adds.
    const cart = await (await alice.get(`/api/carts/${cartId}`)).json();
    expect(cart.version).toBe(5);
    expect(cart.itemCount).toBe(4);

    // Per address: bob's first command from alice's address is refused; from his own it runs.
    const bob = await signedIn(demo.bob.email, demo.bob.password, '10.4.0.3');
    const bobAtAlices = await from(bob, '10.4.0.1');
    await expectRateLimited(await bobAtAlices.post('/api/carts'), 60);
    expect((await bob.post('/api/carts')).status()).toBe(201);
    // A client cannot pick its address: only the last hop (added by the trusted proxy) counts.
    const spoof = await from(bob, '203.0.113.9, 10.4.0.1');
    await expectRateLimited(await spoof.post('/api/carts'), 60);
  });

  test('server actions: the catalog says "Too many attempts; try again in N s." and the cart stays as it was', async ({ browser }) => {
    const context = await browser.newContext({ baseURL: server.baseURL, extraHTTPHeaders: { 'X-Forwarded-For': '10.5.0.1' } });
    const page = await context.newPage();
    try {
      await signInAs(page, 'admin');
      const catalog = new Catalog(page);
      await catalog.open();
      for (let i = 1; i <= 5; i++) {
        await catalog.addToCart('Paper filters');
        await expect(catalog.status('Paper filters')).toHaveText(/^Added Paper filters/);
        await catalog.header.expectCount(i);
      }
      await catalog.addToCart('Paper filters');
      await expect(catalog.status('Paper filters')).toHaveText(TOO_MANY);
      await page.reload();
      await catalog.header.expectCount(5);
    } finally {
      await context.close();
    }
  });

  test('API sign-in: failures per email (successes do not count), then 429 even with the right password', async () => {
    // Successes are given back: more sign-ins than the limit, all fine.
    for (let i = 0; i < 4; i++) await signedIn(demo.alice.email, demo.alice.password, `10.1.1.${i}`);

    const secret = `Wrong-Pa55-${crypto.randomUUID()}`;
    for (let i = 0; i < 3; i++) {
      const { api, res } = await apiSignIn(server.baseURL, demo.bob.email, `${secret}-${i}`, `10.1.0.${i}`);
      opened.push(api);
      expect(res.status()).toBe(302);
      expect(res.headers()['location']).toContain('error=CredentialsSignin');
    }
    const { api, res } = await apiSignIn(server.baseURL, 'BOB@example.com ', demo.bob.password, '10.1.0.9');
    opened.push(api);
    await expectRateLimited(res, 60);
    expect(res.headers()['set-cookie'] ?? '').not.toContain('session-token');
    // Auth.js also reads a JSON body: the email in it counts the same.
    const asJson = await api.post('/api/auth/callback/credentials', { data: { email: demo.bob.email, password: demo.bob.password }, maxRedirects: 0 });
    await expectRateLimited(asJson, 60);
    // Another account is not affected.
    await signedIn(demo.alice.email, demo.alice.password, '10.1.0.9');

    // The logs count the refusals and never hold the passwords.
    await expect.poll(() => (server.logs().match(/"event":"sign_in_refused"/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(server.logs()).not.toContain(secret);
    expect(server.logs()).not.toContain('Wrong-Pa55');
    expect(server.logs()).not.toContain(`"password"`);
    expect(server.logs()).toMatch(/"event":"rate_limited","limit":"signin_email"/);
    expect(server.logs(), 'a refused sign-in is not a server error').not.toMatch(/"level":50/);
  });

  test('API sign-in: attempts per address, whatever the email', async () => {
    for (let i = 0; i < 6; i++) {
      const { api, res } = await apiSignIn(server.baseURL, `nobody-${i}@example.com`, 'guess', '10.2.0.1');
      opened.push(api);
      expect(res.status()).toBe(302);
    }
    const refused = await apiSignIn(server.baseURL, demo.alice.email, demo.alice.password, '10.2.0.1');
    opened.push(refused.api);
    await expectRateLimited(refused.res, 60);
    const elsewhere = await apiSignIn(server.baseURL, demo.alice.email, demo.alice.password, '10.2.0.2');
    opened.push(elsewhere.api);
    expect(elsewhere.res.status()).toBe(302);
  });

  test('the login page: "Too many attempts; try again in N s." after the failures, and no sign-in', async ({ browser }) => {
    const context = await browser.newContext({ baseURL: server.baseURL, extraHTTPHeaders: { 'X-Forwarded-For': '10.3.0.1' } });
    const page = await context.newPage();
    try {
      await page.goto('/login');
      await hydrated(page.getByRole('button', { name: 'Sign in', exact: true }));
      const status = page.locator('form').getByRole('status');
      for (let i = 0; i < 3; i++) {
        await submitLogin(page, demo.admin.email, `not-the-password-${i}`);
        await expect(status).toHaveText('Wrong email or password.');
        await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
      }
      await submitLogin(page, demo.admin.email, demo.admin.password);
      await expect(status).toHaveText(TOO_MANY);
      const seconds = Number(TOO_MANY.exec((await status.innerText()).trim())![1]);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(60);
      await expect(page).toHaveURL(/\/login/);
      expect((await context.cookies()).some((c) => c.name.includes('session-token'))).toBe(false);
    } finally {
      await context.close();
    }
  });
});

test.describe('rate limits with no proxy in front (TRUST_PROXY unset)', () => {
  let server: SpawnedServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000);
    server = await startServer({ RATE_LIMIT_SIGNIN_IP: '3/60' });
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('a client-written X-Forwarded-For does not buy new attempts: the socket address counts', async () => {
    const apis: APIRequestContext[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const { api, res } = await apiSignIn(server.baseURL, `nobody-${i}@example.com`, 'guess', `198.51.100.${i}`);
        apis.push(api);
        expect(res.status()).toBe(302);
      }
      const { api, res } = await apiSignIn(server.baseURL, 'nobody-9@example.com', 'guess', '198.51.100.99');
      apis.push(api);
      await expectRateLimited(res, 60);
      expect(server.logs()).toMatch(/"limit":"signin_ip","ip":"(::ffff:)?127\.0\.0\.1"/);
    } finally {
      for (const a of apis) await a.dispose();
    }
  });
});
