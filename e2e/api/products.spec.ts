import { expect, test } from '../fixtures/test';

test('GET /api/products lists the demo catalog with prices in cents and local pictures', async ({ request }) => {
  const res = await request.get('/api/products');
  expect(res.status()).toBe(200);
  const { products } = (await res.json()) as { products: Record<string, unknown>[] };
  expect(products.length).toBeGreaterThanOrEqual(12);
  for (const p of products) {
    expect(Object.keys(p).sort()).toEqual(['available', 'currency', 'description', 'id', 'imageUrl', 'name', 'priceCents', 'stock'].sort());
    // Available = stock minus what live cart reservations hold: never more than the stock, never negative.
    expect(Number(p.available)).toBeGreaterThanOrEqual(0);
    expect(Number(p.available)).toBeLessThanOrEqual(Number(p.stock));
    expect(Number.isInteger(p.priceCents)).toBe(true);
    expect(String(p.imageUrl)).toMatch(/^\/products\/[a-z0-9-]+\.svg$/);
    const img = await request.get(String(p.imageUrl));
    expect(img.status(), String(p.imageUrl)).toBe(200);
  }
  expect(products.map((p) => p.id)).toContain('espresso-beans');
});
