import { expect, test, type APIRequestContext, type Browser, type Page } from './fixtures/test';
import { apiAs, newCart } from './fixtures/api';
import { CartPage, Catalog, emptyOpenCart, signInAs } from './fixtures/shop';

// Live carts: an open /cart page follows changes made elsewhere through server-sent events
// (GET /api/carts/{id}/live), without a reload and without polling.

/** Well inside "within a second" on an idle machine; the slack is for a loaded CI box. */
const LIVE_MS = 3_000;

test.describe('two devices of one shopper, both on /cart', () => {
  test.describe.configure({ mode: 'serial' });
  test.beforeEach(async ({ baseURL }) => {
    await emptyOpenCart(baseURL!, 'bob');
  });

  async function device(browser: Browser): Promise<CartPage> {
    const page = await (await browser.newContext()).newPage();
    await signInAs(page, 'bob');
    const cart = new CartPage(page);
    await cart.open();
    await expect(page.getByTestId('live-status'), 'the live feed connects').toHaveText('Live');
    // A reload would drop this mark: the checks below prove the page changed in place.
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    return cart;
  }
  const notReloaded = (page: Page) => page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

  test('a change on one device shows on the other within moments, both ways, without a reload', async ({ browser }) => {
    const a = await device(browser);
    const b = await device(browser);
    // No poll may do the work: count B's cart fetches (a live update makes exactly one per change).
    let fetchesB = 0;
    b.page.on('request', (r) => {
      if (r.url().includes('/api/carts?status=open')) fetchesB++;
    });
    try {
      await expect(b.emptyState).toBeVisible();

      // A adds in the shop (another page of A's), B's open cart page shows the line.
      const shopA = new Catalog(await a.page.context().newPage());
      await shopA.open();
      let started = Date.now();
      await shopA.addToCart('Paper filters');
      await expect(b.quantity('Paper filters')).toHaveValue('1', { timeout: LIVE_MS });
      test.info().annotations.push({ type: 'live update A -> B (ms)', description: String(Date.now() - started) });
      await expect(b.page.getByTestId('cart-live-note')).toHaveText('Updated on another device');
      await b.header.expectCount(1); // the server-rendered header follows too
      await b.page.screenshot({ path: test.info().outputPath('updated-on-another-device.png') });
      await shopA.page.close();

      // A's /cart page (open all along) follows its own shop page too.
      await expect(a.quantity('Paper filters')).toHaveValue('1', { timeout: LIVE_MS });

      // A changes the quantity on /cart: B follows.
      started = Date.now();
      await a.setQuantity('Paper filters', 3);
      await expect(b.quantity('Paper filters')).toHaveValue('3', { timeout: LIVE_MS });
      await expect(b.itemCount).toHaveText('3');
      test.info().annotations.push({ type: 'live update A -> B (ms)', description: String(Date.now() - started) });

      // And back: B changes it, A follows; B's own change is not announced as someone else's.
      await expect(b.page.getByTestId('cart-live-note')).toHaveText('', { timeout: 15_000 });
      started = Date.now();
      await b.setQuantity('Paper filters', 2);
      await expect(b.messages).toHaveText('Paper filters: quantity 2');
      await expect(a.quantity('Paper filters')).toHaveValue('2', { timeout: LIVE_MS });
      test.info().annotations.push({ type: 'live update B -> A (ms)', description: String(Date.now() - started) });
      await expect(a.page.getByTestId('cart-live-note')).toHaveText('Updated on another device');
      await expect(a.header.cartCount).toHaveText('2');
      await b.page.waitForTimeout(1_000);
      await expect(b.page.getByTestId('cart-live-note')).toHaveText('');
      await expect(b.quantity('Paper filters')).toHaveValue('2');

      // A removes the line: B's page empties.
      await a.remove('Paper filters');
      await expect(b.emptyState).toBeVisible({ timeout: LIVE_MS });

      expect(await notReloaded(a.page)).toBe(true);
      expect(await notReloaded(b.page)).toBe(true);
      // Three changes from A (add, change, remove) plus at most a focus refetch or two; a 3 s poll
      // over this test's length would have made many more.
      expect(fetchesB).toBeLessThanOrEqual(6);
    } finally {
      await a.page.context().close();
      await b.page.context().close();
    }
  });
});

test.describe('GET /api/carts/{id}/live', () => {
  /** Reads the server-sent events of a live stream (a cart's, or with no cart id the user's) as the API client's user. */
  async function openStream(api: APIRequestContext, baseURL: string, cartId: string | null) {
    const cookie = (await api.storageState()).cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const abort = new AbortController();
    const res = await fetch(`${baseURL}/api/carts/${cartId ? `${cartId}/` : ''}live`, { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    /** The next `cart` event's data. */
    const next = async (ms = LIVE_MS) => {
      const until = Date.now() + ms;
      for (;;) {
        const m = /event: cart\ndata: (.*)\n\n/.exec(buffer);
        if (m) {
          buffer = buffer.slice(m.index + m[0].length);
          return JSON.parse(m[1]) as { cartId: string; version: number; types: string[] };
        }
        if (Date.now() > until) throw new Error(`no cart event within ${ms} ms; got ${JSON.stringify(buffer)}`);
        const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), until - Date.now()))]);
        if (chunk?.done) throw new Error('the stream ended');
        if (chunk) buffer += decoder.decode(chunk.value);
      }
    };
    return { res, next, close: () => abort.abort() };
  }

  test('the owner gets the version now, then every change; an admin may listen; others are refused', async ({ baseURL }) => {
    const alice = await apiAs(baseURL!, 'alice');
    const bob = await apiAs(baseURL!, 'bob');
    const admin = await apiAs(baseURL!, 'admin');
    const anonymous = await apiAs(baseURL!, null);
    try {
      const cartId = await newCart(alice);
      const mine = await openStream(alice, baseURL!, cartId);
      const watching = await openStream(admin, baseURL!, cartId);
      const alicesCarts = await openStream(alice, baseURL!, null);
      const bobsCarts = await openStream(bob, baseURL!, null);
      try {
        // The user's feed starts with their open cart: the newest, the one just made.
        expect(await alicesCarts.next()).toEqual({ cartId, version: 1, types: [] });
        expect(mine.res.status).toBe(200);
        expect(mine.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
        expect(mine.res.headers.get('cache-control')).toBe('no-cache, no-transform');
        expect(await mine.next()).toEqual({ cartId, version: 1, types: [] });
        expect(await watching.next()).toEqual({ cartId, version: 1, types: [] });

        const added = await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 2 } });
        const answered = Date.now();
        expect(added.status()).toBe(200);
        expect(await mine.next()).toEqual({ cartId, version: 2, types: ['ItemAdded'] });
        test.info().annotations.push({ type: 'event after the command answered (ms)', description: String(Date.now() - answered) });
        expect(await watching.next()).toEqual({ cartId, version: 2, types: ['ItemAdded'] });
        // A refused command (no such product) commits nothing and sends nothing: the next event is the next change.
        expect((await alice.post(`/api/carts/${cartId}/items`, { data: { productId: 'no-such-thing', quantity: 1 } })).status()).toBe(404);
        expect((await alice.delete(`/api/carts/${cartId}/items/ceramic-mug`)).status()).toBe(200);
        expect(await mine.next()).toEqual({ cartId, version: 3, types: ['ItemRemoved'] });
        expect(await alicesCarts.next()).toEqual({ cartId, version: 2, types: ['ItemAdded'] });
        expect(await alicesCarts.next()).toEqual({ cartId, version: 3, types: ['ItemRemoved'] });
        // A cart opened meanwhile (another device) is on the user's feed too.
        const another = await newCart(alice);
        expect(await alicesCarts.next()).toEqual({ cartId: another, version: 1, types: ['CartOpened'] });
        // Nothing of alice's reaches bob (his feed may open with his own open cart, if he has one).
        await expect(async () => {
          for (;;) expect((await bobsCarts.next(500)).cartId).not.toBe(cartId);
        }).rejects.toThrow(/no cart event within 500 ms/);
      } finally {
        for (const s of [mine, watching, alicesCarts, bobsCarts]) s.close();
      }

      const asBob = await bob.get(`/api/carts/${cartId}/live`, { timeout: 5_000 });
      expect(asBob.status()).toBe(404);
      expect((await asBob.json()).error.code).toBe('cart_not_found');
      const signedOut = await anonymous.get(`/api/carts/${cartId}/live`, { timeout: 5_000 });
      expect(signedOut.status()).toBe(401);
      const malformed = await alice.get(`/api/carts/not-a-cart/live`, { timeout: 5_000 });
      expect(malformed.status()).toBe(404);
      expect((await alice.post(`/api/carts/${cartId}/live`)).status()).toBe(405);
      expect((await anonymous.get('/api/carts/live', { timeout: 5_000 })).status()).toBe(401);
    } finally {
      await Promise.all([alice, bob, admin, anonymous].map((c) => c.dispose()));
    }
  });
});

test('the history page of a cart shows new events as they happen, without a reload', async ({ browser, baseURL }) => {
  const api = await apiAs(baseURL!, 'alice');
  const page = await (await browser.newContext()).newPage();
  try {
    const cartId = await newCart(api);
    await signInAs(page, 'alice');
    await page.goto(`/carts/${cartId}/history`);
    const entries = page.getByTestId('history-entry');
    await expect(entries).toHaveCount(1);
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    // No need to wait for the feed: it opens with the cart's version, so a change before that is caught too.
    expect((await api.post(`/api/carts/${cartId}/items`, { data: { productId: 'ceramic-mug', quantity: 1 } })).status()).toBe(200);
    await expect(entries.nth(0).getByRole('heading')).toHaveText('Added 1 × Ceramic mug', { timeout: LIVE_MS });
    expect((await api.delete(`/api/carts/${cartId}/items/ceramic-mug`)).status()).toBe(200);
    await expect(entries.nth(0).getByRole('heading')).toHaveText('Removed Ceramic mug (1)', { timeout: LIVE_MS });
    await expect(entries).toHaveCount(3);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  } finally {
    await page.context().close();
    await api.dispose();
  }
});
