import 'server-only';
import NextAuth from 'next-auth';
import { headers } from 'next/headers';
import Credentials from 'next-auth/providers/credentials';
import { z } from 'zod';
import type { Actor } from '../eventstore';
import { forbidden, unauthorized } from '../http/errors';
import { signInSucceeded } from '../http/rate-limit';
import { mergeGuestOnSignIn } from '../guest/sign-in';
import { log } from '../log';
import { resolveAuthSecret } from './secret';
import { reportTokenExpiry, SessionCache, sessionCacheKey } from './session-cache';
import { verifyCredentials } from './users';

const CredentialsInput = z.object({
  email: z.string().trim().email().max(254),
  password: z.string().min(1).max(200),
});

export const { handlers, auth, signIn, signOut } = NextAuth({
  secret: resolveAuthSecret(),
  // Behind a load balancer or on localhost the Host header is the app's own; AUTH_URL pins it if set.
  trustHost: true,
  session: { strategy: 'jwt', maxAge: 30 * 24 * 3600 },
  pages: { signIn: '/login' },
  logger: {
    // A wrong password is an answer, not a server error: count it at info, never log the credentials.
    error(error) {
      // `type`, not `name`: the production build minifies class names (a wrong password was logged as an error).
      if ((error as { type?: string }).type === 'CredentialsSignin') log.info({ event: 'sign_in_refused' }, 'sign-in refused');
      else log.error({ err: error }, 'auth error');
    },
    warn(code) {
      log.warn({ code }, 'auth warning');
    },
    debug() {},
  },
  providers: [
    Credentials({
      credentials: { email: { label: 'Email' }, password: { label: 'Password', type: 'password' } },
      async authorize(raw) {
        const parsed = CredentialsInput.safeParse(raw);
        if (!parsed.success) return null;
        const user = await verifyCredentials(parsed.data.email, parsed.data.password);
        // The attempt was counted against the email before we got here (sign-in route, server action);
        // only failures stay counted.
        if (user) signInSucceeded(parsed.data.email);
        return user;
      },
    }),
  ],
  // A guest's cart is merged into the shopper's on every successful sign-in (server/guest/sign-in.ts).
  events: { signIn: ({ user }) => mergeGuestOnSignIn(user as { id?: string; role?: unknown }) },
  callbacks: {
    jwt({ token, user }) {
      // Inside currentUser()'s auth() call: the verified token's expiry bounds how long its answer is reused.
      reportTokenExpiry(token.exp);
      if (user) {
        token.uid = user.id;
        token.role = (user as { role?: string }).role;
      }
      return token;
    },
    session({ session, token }) {
      if (session.user) {
        (session.user as { id?: string }).id = token.uid as string;
        (session.user as { role?: string }).role = token.role as string;
      }
      return session;
    },
  },
});

export type SignedInUser = Actor & { name: string; email: string };

const sessions = new SessionCache<SignedInUser>();

async function userFromSession(): Promise<SignedInUser | null> {
  const session = await auth();
  const u = session?.user as { id?: string; role?: string; name?: string; email?: string } | undefined;
  if (!u?.id || (u.role !== 'shopper' && u.role !== 'admin')) return null;
  return { userId: u.id, role: u.role, name: u.name ?? '', email: u.email ?? '' };
}

/** The signed-in user, or null. A session cookie's answer is reused until its token expires (session-cache.ts). */
export async function currentUser(): Promise<SignedInUser | null> {
  const user = await sessions.get(sessionCacheKey(await headers()), userFromSession);
  return user && { ...user };
}

/** The signed-in user, or a 401. */
export async function requireUser(): Promise<SignedInUser> {
  const user = await currentUser();
  if (!user) throw unauthorized();
  return user;
}

/** The signed-in admin, or 401 (signed out) / 403 (a shopper). */
export async function requireAdmin(): Promise<SignedInUser> {
  const user = await requireUser();
  if (user.role !== 'admin') throw forbidden('Only admins may do this.');
  return user;
}
