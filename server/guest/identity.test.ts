import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The guest cookie: made only on request, httpOnly + SameSite=Lax, __Host- and Secure over https,
// ignored when it does not hold a well-formed guest id.

type Set = { name: string; value: string; opts: Record<string, unknown> };
const req = vi.hoisted(() => ({ jar: new Map<string, string>(), sets: [] as Set[], headers: new Headers() }));
vi.mock('next/headers', () => ({
  headers: async () => req.headers,
  cookies: async () => ({
    get: (name: string) => (req.jar.has(name) ? { name, value: req.jar.get(name) } : undefined),
    has: (name: string) => req.jar.has(name),
    set: (name: string, value: string, opts: Record<string, unknown>) => {
      req.sets.push({ name, value, opts });
      if (opts.maxAge === 0) req.jar.delete(name);
      else req.jar.set(name, value);
    },
  }),
}));

const { clearGuestId, ensureGuestId, readGuestId } = await import('./identity');

beforeEach(() => {
  req.jar.clear();
  req.sets = [];
  req.headers = new Headers();
});
afterEach(() => {
  delete process.env.AUTH_URL;
});

describe('guest identity cookie', () => {
  it('is made once, on the first ensureGuestId, httpOnly and SameSite=Lax; later calls reuse it', async () => {
    expect(await readGuestId()).toBeNull();
    expect(req.sets).toEqual([]);
    const id = await ensureGuestId();
    expect(id).toMatch(/^guest_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(req.sets).toEqual([
      { name: 'eventcart-guest', value: id, opts: { httpOnly: true, sameSite: 'lax', secure: false, path: '/', maxAge: 30 * 24 * 3600 } },
    ]);
    expect(await ensureGuestId()).toBe(id);
    expect(await readGuestId()).toBe(id);
    expect(req.sets).toHaveLength(1);
  });

  it('over https (X-Forwarded-Proto or AUTH_URL) it is __Host- and Secure', async () => {
    req.headers = new Headers({ 'x-forwarded-proto': 'https' });
    await ensureGuestId();
    expect(req.sets[0]).toMatchObject({ name: '__Host-eventcart-guest', opts: { secure: true, path: '/' } });

    req.jar.clear();
    req.sets = [];
    req.headers = new Headers();
    process.env.AUTH_URL = 'https://shop.example';
    await ensureGuestId();
    expect(req.sets[0]).toMatchObject({ name: '__Host-eventcart-guest', opts: { secure: true } });
  });

  it('a cookie that is not a guest id is ignored (a new one is made instead)', async () => {
    for (const bad of ['user-alice', 'guest_', 'guest_../../x', `guest_${'0'.repeat(36)}`]) {
      req.jar.set('eventcart-guest', bad);
      expect(await readGuestId(), bad).toBeNull();
    }
    const id = await ensureGuestId();
    expect(id).not.toBe(`guest_${'0'.repeat(36)}`);
  });

  it('clearing forgets the guest', async () => {
    const id = await ensureGuestId();
    expect(await readGuestId()).toBe(id);
    await clearGuestId();
    expect(await readGuestId()).toBeNull();
    expect(req.sets.at(-1)).toMatchObject({ name: 'eventcart-guest', value: '', opts: { maxAge: 0 } });
  });
});
