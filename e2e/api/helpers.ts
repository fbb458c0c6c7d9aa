import { test as base, expect, type APIRequestContext, type APIResponse } from '../fixtures/test';
import { apiAs, json, type DemoUser } from '../fixtures/api';

// Shared by the JSON API specs: signed-in clients that are disposed after each test, and a guard that
// fails the test when any response it received was a 5xx (a 5xx is always a bug in this API).

export type ErrorBody = {
  error: { code: string; message: string; issues?: { path: string[]; code: string; message: string }[]; details?: Record<string, unknown> };
};

export type CartLine = { productId: string; name: string; unitPriceCents: number; quantity: number; lineTotalCents: number };

export type Cart = {
  cartId: string;
  userId: string;
  status: 'open' | 'checked_out';
  items: CartLine[];
  itemCount: number;
  totalCents: number;
  currency: string;
  version: number;
  orderId: string | null;
  createdAt: string;
  updatedAt: string;
};

export type CommandBody = { cartId: string; version: number; events: { type: string; version: number }[]; orderId?: string; cart: Cart };

export type CartEvent = {
  globalPosition: number;
  version: number;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  occurredAt: string;
  actor: { userId: string; role: string };
  correlationId: string;
  causationId: string | null;
};

/** `available`: stock minus the units live cart reservations hold (what can still be added). */
export type Product = { id: string; name: string; priceCents: number; stock: number; available: number; currency: string };

export type Order = { orderId: string; cartId: string; userId: string; items: CartLine[]; itemCount: number; totalCents: number; currency: string; placedAt: string };

export const CART_KEYS = ['cartId', 'userId', 'status', 'items', 'itemCount', 'totalCents', 'currency', 'version', 'orderId', 'createdAt', 'updatedAt'];

type Who = DemoUser | null;

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'fetch'] as const;

/** Records every 5xx answered to this client (the test fails on them in teardown). */
function guard(api: APIRequestContext, failures: string[]): APIRequestContext {
  const seen = new WeakSet<APIResponse>();
  for (const m of METHODS) {
    const original = api[m].bind(api) as (...args: unknown[]) => Promise<APIResponse>;
    (api as unknown as Record<string, unknown>)[m] = async (...args: unknown[]) => {
      const res = await original(...args);
      if (res.status() >= 500 && !seen.has(res)) {
        seen.add(res);
        failures.push(`${m.toUpperCase()} ${res.url()} -> ${res.status()} ${await res.text().catch(() => '')}`);
      }
      return res;
    };
  }
  return api;
}

export const test = base.extend<{ as: (who: Who) => Promise<APIRequestContext> }>({
  as: async ({ baseURL }, use) => {
    const made: APIRequestContext[] = [];
    const failures: string[] = [];
    await use(async (who) => {
      const api = guard(await apiAs(baseURL!, who), failures);
      made.push(api);
      return api;
    });
    // A failed disposal (e.g. trace files) must not hide the 5xx check.
    await Promise.all(made.map((api) => api.dispose().catch(() => {})));
    expect(failures, 'no response may have a 5xx status').toEqual([]);
  },
});

export { expect, json };

/**
 * Request options that send `text` byte for byte as application/json. (Playwright JSON-encodes a string
 * `data` again when the content type is JSON, so raw text has to go as a Buffer.)
 */
export const rawJson = (text: string) => ({ data: Buffer.from(text, 'utf8'), headers: { 'content-type': 'application/json' } });

export const randomUuid = () => crypto.randomUUID();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asserts the status and the error shape `{ error: { code, message } }`; returns the error. */
export async function expectError(res: APIResponse, status: number, code?: string): Promise<ErrorBody['error']> {
  const text = await res.text();
  expect(res.status(), `${res.url()} answered ${text}`).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  if (code) expect(body.error.code, text).toBe(code);
  return body.error;
}

export async function expectOk<T = CommandBody>(res: APIResponse, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status(), `${res.url()} answered ${text}`).toBe(status);
  return JSON.parse(text) as T;
}

export async function createCart(api: APIRequestContext): Promise<CommandBody> {
  return expectOk<CommandBody>(await api.post('/api/carts'), 201);
}

export async function addItem(api: APIRequestContext, cartId: string, productId: string, quantity: number): Promise<CommandBody> {
  return expectOk(await api.post(`/api/carts/${cartId}/items`, { data: { productId, quantity } }));
}

export async function getCart(api: APIRequestContext, cartId: string): Promise<Cart> {
  return expectOk<Cart>(await api.get(`/api/carts/${cartId}`));
}

export async function getEvents(api: APIRequestContext, cartId: string): Promise<CartEvent[]> {
  return (await expectOk<{ events: CartEvent[] }>(await api.get(`/api/carts/${cartId}/events?limit=500`))).events;
}

export async function getProducts(api: APIRequestContext): Promise<Map<string, Product>> {
  const { products } = await expectOk<{ products: Product[] }>(await api.get('/api/products'));
  return new Map(products.map((p) => [p.id, p]));
}

/**
 * A product with stock in [min, max], preferring the one named. Specs that check stock out use this so a
 * database reused across runs (where a favourite product may be sold out) still has something to buy;
 * it fails, never skips, when the catalog has nothing left. Units other specs' carts hold (reservations,
 * docs/reservations.md) cannot be added, so at least `min` must be available too.
 */
export async function productWithStock(api: APIRequestContext, preferred: string, min: number, max = Infinity): Promise<Product> {
  const products = await getProducts(api);
  const fits = (p: Product | undefined): p is Product => !!p && p.available >= min && p.stock <= max;
  const chosen = fits(products.get(preferred)) ? products.get(preferred) : [...products.values()].find(fits);
  expect(chosen, `a product with stock between ${min} and ${max}`).toBeTruthy();
  return chosen!;
}
