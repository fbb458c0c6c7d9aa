import fs from 'node:fs';
import path from 'node:path';
import type { APIRequestContext, APIResponse, Browser, Page } from './fixtures/test';
import { apiAs, signIn as signInApi, type DemoUser } from './fixtures/api';
import { Catalog } from './fixtures/shop';
import { createCart, expect, expectOk, test, type Cart, type CommandBody, type Product } from './api/helpers';

// The authorisation matrix: signed out / alice (the owner of the cart and the order) / bob (another
// shopper) / admin x every page, every route handler and the server action a browser can reach without
// a cart id. Each cell is the status (or redirect) it must get; the tables are printed for the report.
// The cart actions that take a cart id are called directly, with the same matrix, in
// server/cart/actions.test.ts (a browser only ever sends its own cart's id).
//
// Rows for pages that do not exist in this checkout (app/admin/*/page.tsx) are left out until their
// file lands, and a guard fails when app/ has a page or route handler the matrix does not list.

type Who = 'signed out' | 'alice' | 'bob' | 'admin';
const WHO: Who[] = ['signed out', 'alice', 'bob', 'admin'];
const demoUser = (who: Who): DemoUser | null => (who === 'signed out' ? null : who);
type Cells = Record<Who, string>;
const all = (cell: string): Cells => ({ 'signed out': cell, alice: cell, bob: cell, admin: cell });
/** Admin endpoints: 401 signed out, 403 for shoppers. */
const adminOnly = (cell: string): Cells => ({ 'signed out': '401', alice: '403', bob: '403', admin: cell });
const signedIn = (cell: string, out = '401'): Cells => ({ 'signed out': out, alice: cell, bob: cell, admin: cell });
/** Alice's own things: admins may read them, bob must not even learn they exist. */
const alicesRead = (out: string): Cells => ({ 'signed out': out, alice: '200', bob: '404', admin: '200' });
const alicesWrite: Cells = { 'signed out': '401', alice: '200', bob: '404', admin: '403' };

const root = path.resolve(import.meta.dirname, '..');
const exists = (file: string) => fs.existsSync(path.join(root, file));

// Stock that nothing else in the suite counts (fuzz.spec.ts uses others).
const ADD = 'pour-over-dripper';
const BUY = 'cold-brew-jar';
const BUY_NAME = 'Cold brew jar';

type World = { aliceCart: string; checkoutCart: string; aliceOrder: string };

async function setUp(alice: APIRequestContext): Promise<World> {
  const { products } = await expectOk<{ products: Product[] }>(await alice.get('/api/products'));
  const stock = (id: string) => products.find((p) => p.id === id)?.stock ?? 0;
  expect(stock(BUY), `${BUY} needs two units in stock for this spec`).toBeGreaterThanOrEqual(2);
  expect(stock(ADD), `${ADD} must be in stock`).toBeGreaterThanOrEqual(3);
  const cartWith = async (productId: string) => {
    const { cartId } = await createCart(alice);
    await expectOk(await alice.post(`/api/carts/${cartId}/items`, { data: { productId, quantity: 1 } }));
    return cartId;
  };
  const orderCart = await cartWith(BUY);
  const aliceOrder = (await expectOk<CommandBody>(await alice.post(`/api/carts/${orderCart}/checkout`))).orderId!;
  return { aliceCart: await cartWith(ADD), checkoutCart: await cartWith(BUY), aliceOrder };
}

/** `app/carts/(list)/page.tsx` -> `/carts`; `app/api/carts/[cartId]/route.ts` -> `/api/carts/[cartId]`. */
function routesIn(dir: string, file: 'page.tsx' | 'route.ts'): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name === file) {
        const rel = path.relative(path.join(root, 'app'), path.dirname(p)).split(path.sep);
        found.push('/' + rel.filter((s) => s && !/^\(.*\)$/.test(s)).join('/'));
      }
    }
  };
  walk(path.join(root, dir));
  return found.sort();
}

function printTable(title: string, table: Record<string, Partial<Cells>>) {
  console.log(`\n${title}`);
  console.table(Object.fromEntries(Object.entries(table).map(([row, cells]) => [row, Object.fromEntries(WHO.map((w) => [w, cells[w] ?? '']))])));
}

// ------------------------------------------------------------------ pages

type PageRow = { pattern: string; url: (w: World) => string; expected: Cells; file?: string };

const login = (to: string) => `→ /login?callbackUrl=${to}`;
const pageRows: PageRow[] = [
  { pattern: '/', url: () => '/', expected: all('200') },
  { pattern: '/login', url: () => '/login', expected: { ...all('→ /'), 'signed out': '200' } },
  // Signed out, /cart is the browser's guest cart (empty without a guest cookie).
  { pattern: '/cart', url: () => '/cart', expected: all('200') },
  { pattern: '/carts', url: () => '/carts', expected: signedIn('200', login('/carts')) },
  { pattern: '/orders/[orderId]', url: (w) => `/orders/${w.aliceOrder}`, expected: alicesRead(login('/orders/{aliceOrder}')) },
  { pattern: '/carts/[cartId]/history', url: (w) => `/carts/${w.aliceCart}/history`, expected: alicesRead(login('/carts/{aliceCart}/history')) },
  {
    pattern: '/carts/[cartId]/time-travel',
    url: (w) => `/carts/${w.aliceCart}/time-travel`,
    expected: alicesRead(login('/carts/{aliceCart}/time-travel')),
  },
  ...['audit', 'orders', 'projections', 'notifications', 'analytics', 'catalog'].map((name) => ({
    pattern: `/admin/${name}`,
    file: `app/admin/${name}/page.tsx`,
    url: () => `/admin/${name}`,
    // Shoppers get the admin layout's refusal; signed out, sign in and come back to this page.
    expected: { 'signed out': login(`/admin/${name}`), alice: '403 (admin layout)', bob: '403 (admin layout)', admin: '200' },
  })),
  {
    pattern: '/admin/orders/[orderId]',
    file: 'app/admin/orders/[orderId]/page.tsx',
    url: (w) => `/admin/orders/${w.aliceOrder}`,
    expected: { 'signed out': login('/admin/orders/{aliceOrder}'), alice: '403 (admin layout)', bob: '403 (admin layout)', admin: '200' },
  },
];

/** Shows ids as their names, so cells read the same on every run. */
const named = (s: string, w: World) =>
  s.replaceAll(w.aliceCart, '{aliceCart}').replaceAll(w.checkoutCart, '{checkoutCart}').replaceAll(w.aliceOrder, '{aliceOrder}');

/**
 * The answer a page gave, read over HTTP with the browser's cookies: its status, where it sends the
 * browser, or the admin layout's refusal. A page with a loading.tsx streams, so its redirect travels
 * inside the 200 (a NEXT_REDIRECT digest the browser follows after hydration); a page without one
 * answers 307. Redirects are then followed in the browser too, to see the user land there.
 */
async function visit(page: Page, url: string, w: World): Promise<string> {
  const res = await page.context().request.get(url, { maxRedirects: 0 });
  const html = await res.text();
  const target =
    res.status() >= 300 && res.status() < 400
      ? new URL(res.headers()['location'], page.url() === 'about:blank' ? 'http://x' : page.url())
      : undefined;
  const streamed = /NEXT_REDIRECT;(?:replace|push);([^;]+);/.exec(html)?.[1];
  const to = target ? target.pathname + target.search : streamed;
  if (to) {
    await page.goto(url);
    await expect.soft(page, `the browser follows ${url} to ${to}`).toHaveURL((u) => u.pathname === new URL(to, u).pathname);
    return named(`→ ${decodeURIComponent(to)}`, w);
  }
  if (html.includes('data-testid="admin-refused"')) return '403 (admin layout)';
  return String(res.status());
}

async function browserAs(browser: Browser, who: Who): Promise<Page> {
  const context = await browser.newContext();
  const user = demoUser(who);
  if (user) await signInApi(context.request, user);
  return context.newPage();
}

// ------------------------------------------------------------------ route handlers

type ApiRow = {
  name: string;
  pattern: string;
  call: (api: APIRequestContext, w: World) => Promise<APIResponse>;
  expected: Cells;
  /** The cart a refusal must leave untouched. */
  writes?: (w: World) => string;
};

/**
 * A server-sent events stream never ends, so APIRequestContext (which reads the whole body) cannot ask
 * it: fetch with the context's cookies, take the status, and hang up on a 200 (errors are plain JSON).
 */
let appBaseURL: string; // the worker's app server, set before the first row is called

async function streamAnswer(api: APIRequestContext, path: string): Promise<APIResponse> {
  const cookie = (await api.storageState()).cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const abort = new AbortController();
  const res = await fetch(new URL(path, appBaseURL), { headers: { cookie }, signal: abort.signal });
  const body = res.ok ? '' : await res.text();
  abort.abort();
  return { status: () => res.status, text: async () => body, json: async () => JSON.parse(body) } as unknown as APIResponse;
}

const apiRows: ApiRow[] = [
  { name: 'GET /api/health', pattern: '/api/health', call: (a) => a.get('/api/health'), expected: all('200') },
  { name: 'GET /api/ready', pattern: '/api/ready', call: (a) => a.get('/api/ready'), expected: all('200') },
  // Open unless METRICS_TOKEN is set (the test server sets none; e2e/api/ops.spec.ts covers the token).
  { name: 'GET /api/metrics', pattern: '/api/metrics', call: (a) => a.get('/api/metrics'), expected: all('200') },
  { name: 'GET /api/openapi.json', pattern: '/api/openapi.json', call: (a) => a.get('/api/openapi.json'), expected: all('200') },
  { name: 'GET /api/products', pattern: '/api/products', call: (a) => a.get('/api/products'), expected: all('200') },
  { name: 'GET /api/auth/session', pattern: '/api/auth/[...nextauth]', call: (a) => a.get('/api/auth/session'), expected: all('200') },
  { name: 'GET /api/carts', pattern: '/api/carts', call: (a) => a.get('/api/carts'), expected: signedIn('200') },
  { name: 'POST /api/carts', pattern: '/api/carts', call: (a) => a.post('/api/carts'), expected: signedIn('201') },
  { name: 'GET /api/carts/{aliceCart}', pattern: '/api/carts/[cartId]', call: (a, w) => a.get(`/api/carts/${w.aliceCart}`), expected: alicesRead('401') },
  { name: 'GET /api/carts/live (SSE)', pattern: '/api/carts/live', call: (a) => streamAnswer(a, '/api/carts/live'), expected: signedIn('200') },
  {
    name: 'GET /api/carts/{aliceCart}/live (SSE)',
    pattern: '/api/carts/[cartId]/live',
    call: (a, w) => streamAnswer(a, `/api/carts/${w.aliceCart}/live`),
    expected: alicesRead('401'),
  },
  {
    name: 'GET /api/carts/{aliceCart}/events',
    pattern: '/api/carts/[cartId]/events',
    call: (a, w) => a.get(`/api/carts/${w.aliceCart}/events`),
    expected: alicesRead('401'),
  },
  {
    name: 'GET /api/carts/{aliceCart}/state?version=1',
    pattern: '/api/carts/[cartId]/state',
    call: (a, w) => a.get(`/api/carts/${w.aliceCart}/state?version=1`),
    expected: alicesRead('401'),
  },
  {
    name: 'GET /api/carts/{aliceCart}/diff?from=1&to=2',
    pattern: '/api/carts/[cartId]/diff',
    call: (a, w) => a.get(`/api/carts/${w.aliceCart}/diff?from=1&to=2`),
    expected: alicesRead('401'),
  },
  {
    name: `POST /api/carts/{aliceCart}/items`,
    pattern: '/api/carts/[cartId]/items',
    call: (a, w) => a.post(`/api/carts/${w.aliceCart}/items`, { data: { productId: ADD, quantity: 1 } }),
    expected: alicesWrite,
    writes: (w) => w.aliceCart,
  },
  {
    name: `PATCH /api/carts/{aliceCart}/items/${ADD}`,
    pattern: '/api/carts/[cartId]/items/[productId]',
    call: (a, w) => a.patch(`/api/carts/${w.aliceCart}/items/${ADD}`, { data: { quantity: 3 } }),
    expected: alicesWrite,
    writes: (w) => w.aliceCart,
  },
  {
    name: `DELETE /api/carts/{aliceCart}/items/${ADD}`,
    pattern: '/api/carts/[cartId]/items/[productId]',
    call: (a, w) => a.delete(`/api/carts/${w.aliceCart}/items/${ADD}`),
    expected: alicesWrite,
    writes: (w) => w.aliceCart,
  },
  {
    name: 'POST /api/carts/{checkoutCart}/checkout',
    pattern: '/api/carts/[cartId]/checkout',
    call: (a, w) => a.post(`/api/carts/${w.checkoutCart}/checkout`),
    expected: alicesWrite,
    writes: (w) => w.checkoutCart,
  },
  { name: 'GET /api/orders', pattern: '/api/orders', call: (a) => a.get('/api/orders'), expected: signedIn('200') },
  {
    name: 'GET /api/orders/{aliceOrder}',
    pattern: '/api/orders/[orderId]',
    call: (a, w) => a.get(`/api/orders/${w.aliceOrder}`),
    expected: alicesRead('401'),
  },
  { name: 'GET /api/admin/events', pattern: '/api/admin/events', call: (a) => a.get('/api/admin/events?limit=1'), expected: adminOnly('200') },
  {
    name: 'GET /api/admin/events/export',
    pattern: '/api/admin/events/export',
    call: (a, w) => a.get(`/api/admin/events/export?format=json&cartId=${w.aliceCart}`),
    expected: adminOnly('200'),
  },
  {
    // A product that does not exist: the admin's answer (404) comes only after the 401/403 checks, and nothing changes.
    name: 'PATCH /api/admin/products/no-such-product',
    pattern: '/api/admin/products/[productId]',
    call: (a) => a.patch('/api/admin/products/no-such-product', { data: { priceCents: 100 } }),
    expected: adminOnly('404'),
  },
  { name: 'GET /api/admin/orders', pattern: '/api/admin/orders', call: (a) => a.get('/api/admin/orders?limit=1'), expected: adminOnly('200') },
  {
    name: 'GET /api/admin/orders/{aliceOrder}',
    pattern: '/api/admin/orders/[orderId]',
    call: (a, w) => a.get(`/api/admin/orders/${w.aliceOrder}`),
    expected: adminOnly('200'),
  },
  {
    // Alice's order is confirmed: only a failed order can be retried (409), and nothing changes.
    name: 'POST /api/admin/orders/{aliceOrder}/retry',
    pattern: '/api/admin/orders/[orderId]/retry',
    call: (a, w) => a.post(`/api/admin/orders/${w.aliceOrder}/retry`),
    expected: adminOnly('409'),
  },
  { name: 'GET /api/admin/sales', pattern: '/api/admin/sales', call: (a) => a.get('/api/admin/sales'), expected: adminOnly('200') },
  { name: 'GET /api/admin/analytics', pattern: '/api/admin/analytics', call: (a) => a.get('/api/admin/analytics'), expected: adminOnly('200') },
  {
    name: 'GET /api/admin/projections/status',
    pattern: '/api/admin/projections/status',
    call: (a) => a.get('/api/admin/projections/status'),
    expected: adminOnly('200'),
  },
  {
    name: 'POST /api/admin/projections/verify',
    pattern: '/api/admin/projections/verify',
    call: (a) => a.post('/api/admin/projections/verify'),
    expected: adminOnly('202|409'),
  },
  {
    name: 'POST /api/admin/projections/rebuild',
    pattern: '/api/admin/projections/rebuild',
    call: (a) => a.post('/api/admin/projections/rebuild'),
    expected: adminOnly('202|409'),
  },
  { name: 'GET /api/no-such-route', pattern: '/api/[[...path]]', call: (a) => a.get('/api/no-such-route'), expected: all('404') },
];

// ------------------------------------------------------------------ the tests

test.describe.configure({ mode: 'default' });

test.describe('access matrix', () => {
  let world: World;
  test.beforeAll(async ({ app }) => {
    appBaseURL = app.baseURL;
    const alice = await apiAs(app.baseURL, 'alice');
    try {
      world = await setUp(alice);
    } finally {
      await alice.dispose();
    }
  });

  test('the matrix lists every page and every route handler in app/', () => {
    const listedPages = new Set(pageRows.map((r) => r.pattern));
    expect(routesIn('app', 'page.tsx').filter((p) => !listedPages.has(p)), 'pages without a row in pageRows').toEqual([]);
    const listedRoutes = new Set(apiRows.map((r) => r.pattern));
    expect(routesIn('app/api', 'route.ts').filter((p) => !listedRoutes.has(p)), 'route handlers without a row in apiRows').toEqual([]);
  });

  test('pages', async ({ browser }) => {
    test.setTimeout(120_000);
    const rows = pageRows.filter((r) => !r.file || exists(r.file));
    const table: Record<string, Partial<Cells>> = {};
    for (const who of WHO) {
      const page = await browserAs(browser, who);
      try {
        for (const row of rows) {
          const url = row.url(world);
          const label = named(url, world);
          const expected = row.expected[who];
          const actual = await visit(page, url, world);
          (table[label] ??= {})[who] = actual === expected ? actual : `${actual} ✗ (want ${expected})`;
          expect.soft(actual, `${who} opens ${label}`).toBe(expected);
        }
      } finally {
        await page.context().close();
      }
    }
    const missing = pageRows.filter((r) => r.file && !exists(r.file)).map((r) => r.pattern);
    printTable(`Pages (status, final URL or the admin layout's refusal)${missing.length ? `; not in this checkout yet: ${missing.join(', ')}` : ''}`, table);
  });

  test('route handlers', async ({ as }) => {
    const clients = Object.fromEntries(await Promise.all(WHO.map(async (w) => [w, await as(demoUser(w))] as const))) as Record<Who, APIRequestContext>;
    const version = async (cartId: string) => (await expectOk<Cart>(await clients.alice.get(`/api/carts/${cartId}`))).version;
    const table: Record<string, Partial<Cells>> = {};
    for (const row of apiRows) {
      table[row.name] = {};
      // The owner last: every refusal is checked against a cart nobody has changed yet.
      for (const who of ['signed out', 'bob', 'admin', 'alice'] as Who[]) {
        const before = row.writes ? await version(row.writes(world)) : 0;
        const res = await row.call(clients[who], world);
        const actual = String(res.status());
        const expected = row.expected[who];
        // "202|409": a job endpoint may find a job of an earlier test still running.
        const ok = expected.split('|').includes(actual);
        table[row.name][who] = ok ? actual : `${actual} ✗ (want ${expected})`;
        expect.soft(ok, `${who}: ${row.name} answered ${actual} ${await res.text()}, want ${expected}`).toBe(true);
        if (res.status() >= 400) {
          const body = (await res.json()) as { error?: { code?: string } };
          expect.soft(typeof body.error?.code, `${who}: ${row.name} answers a JSON error`).toBe('string');
        }
        if (row.writes && res.status() >= 400) {
          expect.soft(await version(row.writes(world)), `${who}: ${row.name} was refused and changed nothing`).toBe(before);
        }
      }
    }
    // The admin row started a verify or rebuild job: let it finish before other specs run theirs.
    await expect
      .poll(async () => ((await (await clients.admin.get('/api/admin/projections/status')).json()) as { job?: { state?: string } | null }).job?.state, {
        timeout: 60_000,
      })
      .not.toBe('running');
    printTable('Route handlers (HTTP status)', table);
  });

  test('server action reachable without a cart id: addToCartAction from the catalog', async ({ browser, as }) => {
    const table: Record<string, Partial<Cells>> = {};
    const row = `addToCartAction('${BUY}') via "Add to cart"`;
    const expected: Cells = {
      // Signed out, into a guest cart of this browser's own (merged into the shopper's on sign-in).
      'signed out': `Added ${BUY_NAME} (guest cart)`,
      alice: `Added ${BUY_NAME}`,
      bob: `Added ${BUY_NAME}`,
      admin: `Added ${BUY_NAME}`,
    };
    table[row] = {};
    for (const who of WHO) {
      const page = await browserAs(browser, who);
      try {
        const catalog = new Catalog(page);
        await catalog.open();
        let actual: string;
        if (who === 'signed out') {
          await catalog.addToCart(BUY_NAME);
          const guest = (await page.context().cookies()).some((c) => c.name === 'eventcart-guest');
          actual = (await catalog.status(BUY_NAME).innerText()).replace(/ · .*$/, '') + (guest ? ' (guest cart)' : ' (no guest cookie)');
        } else {
          await catalog.addToCart(BUY_NAME);
          actual = (await catalog.status(BUY_NAME).innerText()).replace(/ · .*$/, '');
          // Put the shopper's open cart back as it was: the line this test added goes again.
          const api = await as(demoUser(who));
          const [open] = (await expectOk<{ carts: Cart[] }>(await api.get('/api/carts?status=open&limit=1'))).carts;
          expect(open.userId).toBe(`user-${who}`);
          await expectOk(await api.delete(`/api/carts/${open.cartId}/items/${BUY}`));
        }
        table[row][who] = actual === expected[who] ? actual : `${actual} ✗ (want ${expected[who]})`;
        expect.soft(actual, `${who}: ${row}`).toBe(expected[who]);
      } finally {
        await page.context().close();
      }
    }
    printTable('Server actions through the UI (the cart-id actions: server/cart/actions.test.ts)', table);
  });
});
