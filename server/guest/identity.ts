import 'server-only';
import { randomUUID } from 'node:crypto';
import { cookies, headers } from 'next/headers';
import { z } from 'zod';
import type { Actor } from '../eventstore';

// A visitor who is not signed in shops as a guest: a random id in an httpOnly cookie is the only thing
// that ties the browser to its cart (122 random bits, so the id itself is the secret, like a session
// id). Made only when a guest first adds to a cart, never on a page view; cleared on sign-in, when
// the guest cart is merged into the shopper's (server/guest/merge.ts). Browsers only: the JSON API
// still needs a signed-in session.

const PLAIN = 'eventcart-guest';
/** Over https the cookie is __Host-: Secure, Path=/, no Domain, so no other site or subdomain can plant one. */
const HOST = '__Host-eventcart-guest';
const MAX_AGE_SECONDS = 30 * 24 * 3600;

export const GuestIdSchema = z.string().regex(/^guest_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

export const guestActor = (guestId: string): Actor => ({ userId: guestId, role: 'guest' });

/** https as Auth.js decides it: AUTH_URL when set, else the request's protocol (X-Forwarded-Proto behind a proxy). */
async function overHttps(): Promise<boolean> {
  if (process.env.AUTH_URL) return process.env.AUTH_URL.startsWith('https:');
  const h = await headers();
  return (h.get('x-forwarded-proto') ?? '').split(',')[0].trim() === 'https';
}

/** The guest id this browser holds, or null (no cookie, or one that is not ours). Pages may call it. */
export async function readGuestId(): Promise<string | null> {
  const jar = await cookies();
  for (const name of [HOST, PLAIN]) {
    const parsed = GuestIdSchema.safeParse(jar.get(name)?.value);
    if (parsed.success) return parsed.data;
  }
  return null;
}

/** The browser's guest id, made and set now if it has none. Server actions and route handlers only. */
export async function ensureGuestId(): Promise<string> {
  const existing = await readGuestId();
  if (existing) return existing;
  const id = `guest_${randomUUID()}`;
  const secure = await overHttps();
  (await cookies()).set(secure ? HOST : PLAIN, id, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: MAX_AGE_SECONDS,
  });
  return id;
}

/** Forgets the guest (after its cart was merged on sign-in). Server actions and route handlers only. */
export async function clearGuestId(): Promise<void> {
  const jar = await cookies();
  const secure = await overHttps();
  for (const name of [HOST, PLAIN]) {
    if (jar.has(name)) jar.set(name, '', { httpOnly: true, sameSite: 'lax', secure: secure || name === HOST, path: '/', maxAge: 0 });
  }
}
