import 'server-only';
import { notFound, redirect } from 'next/navigation';
import { currentUser, type SignedInUser } from '../auth';
import { AppError } from './errors';
import { CartIdSchema } from './schemas';

/** Pages: the signed-in user, or a redirect to sign in that comes back to `path`. */
export async function signedInOrRedirect(path: string): Promise<SignedInUser> {
  const user = await currentUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(path)}`);
  return user;
}

/** A cart page's viewer: signed in (else sign in and come back) and a well-formed cart id (else 404). */
export async function cartPageViewer(cartId: string, view: string): Promise<SignedInUser> {
  const user = await signedInOrRedirect(`/carts/${cartId}/${view}`);
  if (!CartIdSchema.safeParse(cartId).success) notFound();
  return user;
}

/** Pages show a query's 404 (missing, or not yours) as the not-found page; other errors go on. */
export function orNotFound<T>(query: Promise<T>): Promise<T> {
  return query.catch((e) => {
    if (e instanceof AppError && e.status === 404) notFound();
    throw e;
  });
}
