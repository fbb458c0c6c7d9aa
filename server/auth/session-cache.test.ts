import { NextRequest } from 'next/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { seedDemo } from '@/db/seed';
import { createTestDatabase } from '@/server/testing/db';
import { reportTokenExpiry, SessionCache, sessionCacheKey } from './session-cache';

// currentUser() reads the request's headers through next/headers (Auth.js's auth() does too).
const request = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock('next/headers', () => ({ headers: async () => request.headers, cookies: async () => ({ get: () => undefined }) }));

process.env.AUTH_SECRET ??= 'session-cache-test-secret-0123456789abcdef';

describe('SessionCache', () => {
  const user = { userId: 'user-alice' };
  let t = 1_000_000;
  const now = () => t;
  beforeEach(() => {
    t = 1_000_000;
  });

  it('reuses a signed-in answer until the token expires', async () => {
    const c = new SessionCache<typeof user>(10, 600_000, now);
    const load = vi.fn(async () => {
      reportTokenExpiry(t / 1000 + 60);
      return user;
    });
    expect(await c.get('k', load)).toBe(user);
    t += 59_000;
    expect(await c.get('k', load)).toBe(user);
    expect(load).toHaveBeenCalledTimes(1);
    t += 1_000; // the token's exp
    await c.get('k', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('never longer than its own bound', async () => {
    const c = new SessionCache<typeof user>(10, 5_000, now);
    const load = vi.fn(async () => {
      reportTokenExpiry(t / 1000 + 3600);
      return user;
    });
    await c.get('k', load);
    t += 5_000;
    await c.get('k', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing for a signed-out answer, an unknown expiry, an expired token or a request without a session cookie', async () => {
    const c = new SessionCache<typeof user>(10, 600_000, now);
    const signedOut = vi.fn(async () => {
      reportTokenExpiry(t / 1000 + 60);
      return null;
    });
    await c.get('a', signedOut);
    await c.get('a', signedOut);
    expect(signedOut).toHaveBeenCalledTimes(2);
    const noExpiry = vi.fn(async () => user);
    await c.get('b', noExpiry);
    await c.get('b', noExpiry);
    expect(noExpiry).toHaveBeenCalledTimes(2);
    const expired = vi.fn(async () => {
      reportTokenExpiry(t / 1000 - 1);
      return user;
    });
    await c.get('c', expired);
    await c.get('c', expired);
    expect(expired).toHaveBeenCalledTimes(2);
    const noKey = vi.fn(async () => {
      reportTokenExpiry(t / 1000 + 60);
      return user;
    });
    await c.get(null, noKey);
    await c.get(null, noKey);
    expect(noKey).toHaveBeenCalledTimes(2);
    expect(c.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the oldest', async () => {
    const c = new SessionCache<typeof user>(3, 600_000, now);
    const load = async () => {
      reportTokenExpiry(t / 1000 + 60);
      return user;
    };
    for (const k of ['a', 'b', 'c', 'd']) await c.get(k, load);
    expect(c.size).toBe(3);
    const again = vi.fn(load);
    await c.get('a', again);
    expect(again).toHaveBeenCalledTimes(1);
  });
});

describe('sessionCacheKey', () => {
  const key = (h: Record<string, string>) => sessionCacheKey(new Headers(h));

  it('is null without a session cookie', () => {
    expect(key({})).toBeNull();
    expect(key({ cookie: 'eventcart-guest=abc; authjs.csrf-token=x' })).toBeNull();
  });

  it('depends on the session cookie(s) and the origin headers, not on other cookies', () => {
    const base = key({ cookie: 'authjs.session-token=abc', host: 'shop' });
    expect(base).not.toBeNull();
    expect(key({ cookie: 'eventcart-guest=1; authjs.session-token=abc; authjs.csrf-token=z', host: 'shop' })).toBe(base);
    expect(key({ cookie: 'authjs.session-token=abd', host: 'shop' })).not.toBe(base);
    expect(key({ cookie: 'authjs.session-token=abc', host: 'shop', 'x-forwarded-proto': 'https' })).not.toBe(base);
    expect(key({ cookie: 'authjs.session-token=abc', host: 'other' })).not.toBe(base);
    expect(key({ cookie: 'authjs.session-token.0=abc; authjs.session-token.1=def', host: 'shop' })).not.toBe(
      key({ cookie: 'authjs.session-token.0=abc', host: 'shop' }),
    );
  });
});

describe('currentUser with the real Auth.js', () => {
  let h: DbHandle & { drop: () => Promise<void> };
  let mod: typeof import('./index');
  beforeAll(async () => {
    h = await createTestDatabase('pglite');
    await seedDemo(h.db);
    setDbHandle(h);
    mod = await import('./index');
  });
  afterAll(async () => {
    setDbHandle(undefined);
    await h?.drop();
  });

  async function signIn(origin: string): Promise<string> {
    const csrf = await mod.handlers.GET(new NextRequest(`${origin}/api/auth/csrf`));
    const jar = csrf.headers.getSetCookie().map((c) => c.split(';')[0]);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const res = await mod.handlers.POST(
      new NextRequest(`${origin}/api/auth/callback/credentials`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.join('; ') },
        body: new URLSearchParams({ csrfToken, email: 'alice@example.com', password: 'alice' }).toString(),
      }),
    );
    const session = res.headers.getSetCookie().find((c) => c.startsWith('authjs.session-token='));
    expect(session).toBeDefined();
    return session!.split(';')[0];
  }

  it('answers the same user for a session cookie on every call, and nobody for a tampered or missing one', async () => {
    const session = await signIn('http://127.0.0.1:3000');
    request.headers = new Headers({ host: '127.0.0.1:3000', 'x-forwarded-proto': 'http', cookie: session });
    const first = await mod.currentUser();
    expect(first).toMatchObject({ userId: 'user-alice', role: 'shopper', email: 'alice@example.com' });
    expect(await mod.currentUser()).toEqual(first);

    const [name, value] = session.split('=');
    const tampered = value.slice(0, -4) + (value.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    request.headers = new Headers({ host: '127.0.0.1:3000', 'x-forwarded-proto': 'http', cookie: `${name}=${tampered}` });
    expect(await mod.currentUser()).toBeNull();

    request.headers = new Headers({ host: '127.0.0.1:3000', 'x-forwarded-proto': 'http' });
    expect(await mod.currentUser()).toBeNull();
    await expect(mod.requireUser()).rejects.toMatchObject({ status: 401 });

    // Over https Auth.js reads only the __Secure- cookie: the plain one signs nobody in there, cached or not.
    request.headers = new Headers({ host: '127.0.0.1:3000', 'x-forwarded-proto': 'https', cookie: session });
    expect(await mod.currentUser()).toBeNull();
  });
});
