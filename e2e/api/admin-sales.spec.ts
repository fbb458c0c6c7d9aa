import { addItem, createCart, expect, expectError, expectOk, sleep, test } from './helpers';

// GET /api/admin/sales reads the sales-daily projection, which an asynchronous subscriber inside the
// app server (started by instrumentation.ts) fills from CartCheckedOut events.

type SalesDay = { day: string; productId: string; units: number; revenueCents: number; orders: number };
type Sales = { from: string; to: string; days: SalesDay[] };

const today = () => new Date().toISOString().slice(0, 10);

test.describe('GET /api/admin/sales', () => {
  test('401 signed out, 403 for a shopper, 400 for a bad range', async ({ as }) => {
    const [anon, alice, admin] = await Promise.all([as(null), as('alice'), as('admin')]);
    await expectError(await anon.get('/api/admin/sales'), 401, 'unauthorized');
    await expectError(await alice.get('/api/admin/sales'), 403, 'forbidden');
    await expectError(await alice.get('/api/admin/sales?from=nonsense'), 403, 'forbidden');
    const bad = await expectError(await admin.get('/api/admin/sales?from=2026-13-01'), 400, 'invalid_input');
    expect(bad.issues?.[0].path).toEqual(['from']);
    await expectError(await admin.get('/api/admin/sales?from=2026-03-05&to=2026-03-01'), 400, 'invalid_range');
    await expectError(await admin.get('/api/admin/sales?day=2026-03-01'), 400, 'invalid_input');
  });

  test("a checkout shows up in today's row for its products within seconds", async ({ as }) => {
    const [bob, admin] = await Promise.all([as('bob'), as('admin')]);
    const day = today();
    const row = async () => {
      const sales = await expectOk<Sales>(await admin.get(`/api/admin/sales?from=${day}&to=${day}`));
      expect(sales).toMatchObject({ from: day, to: day });
      return sales.days.find((d) => d.productId === 'paper-filters') ?? { day, productId: 'paper-filters', units: 0, revenueCents: 0, orders: 0 };
    };
    const before = await row();

    const { cartId } = await createCart(bob);
    await addItem(bob, cartId, 'paper-filters', 2);
    await expectOk(await bob.post(`/api/carts/${cartId}/checkout`));

    // Usually within a poll (0.5 s). On a shared PostgreSQL server another session's open transaction
    // can hold the subscriber back for a while (README, "Asynchronous subscribers"): allow 30 s.
    let after = before;
    for (const deadline = Date.now() + 30_000; after.units < before.units + 2 && Date.now() < deadline; ) {
      await sleep(100);
      after = await row();
    }
    // Other tests may sell filters meanwhile: at least ours arrived, with its price.
    expect(after.units).toBeGreaterThanOrEqual(before.units + 2);
    expect(after.orders).toBeGreaterThanOrEqual(before.orders + 1);
    expect(after.revenueCents - before.revenueCents).toBeGreaterThanOrEqual(2 * 650);
    expect(after.day).toBe(day);
  });
});

test('the OpenAPI document describes GET /api/admin/sales', async ({ as }) => {
  const anon = await as(null);
  const doc = await expectOk<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>(await anon.get('/api/openapi.json'));
  expect(Object.keys(doc.paths['/api/admin/sales'].get.responses).sort()).toEqual(['200', '400', '401', '403']);
});
