import { NextRequest } from 'next/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setDbHandle, type DbHandle } from '@/db/client';
import { seedDemo } from '@/db/seed';
import { createTestDatabase } from '@/server/testing/db';

// Auth.js marks its cookies Secure (and prefixes them __Secure- / __Host-) when the app is served over
// https: it decides from AUTH_URL when set, else from the request's own protocol (behind a proxy,
// Next derives it from X-Forwarded-Proto). Checked here against the real handlers and a real sign-in.

process.env.AUTH_SECRET ??= 'cookie-test-secret-0123456789abcdef';

const { handlers } = await import('./index');

let h: DbHandle & { drop: () => Promise<void> };
beforeAll(async () => {
  h = await createTestDatabase('pglite');
  await seedDemo(h.db);
  setDbHandle(h);
});
afterAll(async () => {
  setDbHandle(undefined);
  await h?.drop();
});
afterEach(() => {
  delete process.env.AUTH_URL;
});

/** Signs alice in through the credentials callback at `origin`; returns every Set-Cookie line seen. */
async function signInAt(origin: string, password = 'alice'): Promise<{ status: number; location: string | null; cookies: string[] }> {
  const csrfRes = await handlers.GET(new NextRequest(`${origin}/api/auth/csrf`));
  const csrfCookies = csrfRes.headers.getSetCookie();
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const res = await handlers.POST(
    new NextRequest(`${origin}/api/auth/callback/credentials`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: csrfCookies.map((c) => c.split(';')[0]).join('; '),
      },
      body: new URLSearchParams({ csrfToken, email: 'alice@example.com', password }).toString(),
    }),
  );
  return { status: res.status, location: res.headers.get('location'), cookies: [...csrfCookies, ...res.headers.getSetCookie()] };
}

const cookie = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`));

describe('session cookies', () => {
  it('over https: __Secure-authjs.session-token, Secure, HttpOnly, SameSite=Lax; the CSRF cookie is __Host-', async () => {
    const { status, location, cookies } = await signInAt('https://shop.example');
    expect(status).toBe(302);
    expect(location).not.toContain('error=');
    const session = cookie(cookies, '__Secure-authjs.session-token');
    expect(session, cookies.join('\n')).toBeDefined();
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie(cookies, '__Host-authjs.csrf-token')).toMatch(/;\s*Secure/i);
    expect(cookie(cookies, 'authjs.session-token')).toBeUndefined();
  });

  it('with an https AUTH_URL, even when the request reaches the app over plain http (TLS ends at a proxy)', async () => {
    process.env.AUTH_URL = 'https://shop.example';
    const { status, cookies } = await signInAt('http://127.0.0.1:3000');
    expect(status).toBe(302);
    expect(cookie(cookies, '__Secure-authjs.session-token')).toMatch(/;\s*Secure/i);
  });

  it('over plain http (local development): no prefix and no Secure flag, or the browser would drop them', async () => {
    const { status, cookies } = await signInAt('http://127.0.0.1:3000');
    expect(status).toBe(302);
    const session = cookie(cookies, 'authjs.session-token');
    expect(session).toBeDefined();
    expect(session).not.toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*HttpOnly/i);
  });

  it('a wrong password sets no session cookie', async () => {
    const { status, location, cookies } = await signInAt('https://shop.example', 'not-alices-password');
    expect(status).toBe(302);
    expect(location).toContain('error=CredentialsSignin');
    expect(cookies.some((c) => c.includes('session-token='))).toBe(false);
  });
});
