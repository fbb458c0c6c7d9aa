import Link from 'next/link';
import { currentUser } from '@/server/auth';
import { signOutAction } from '@/server/auth/actions';
import { getOpenCart } from '@/server/cart/queries';
import type { Actor } from '@/server/eventstore';
import { guestActor, readGuestId } from '@/server/guest/identity';
import { isDatabaseUnavailable } from '@/server/http/errors';
import { log } from '@/server/log';

/** The cart badge is not worth a blank page: with the database away the header shows no count. */
async function openCartOf(user: Actor) {
  try {
    return await getOpenCart(user);
  } catch (e) {
    if (!isDatabaseUnavailable(e)) throw e;
    log.warn({ err: e }, 'header: database unavailable, cart count left out');
    return null;
  }
}

export async function SiteHeader() {
  const user = await currentUser();
  // Not signed in: the count of this browser's guest cart, if it has one.
  const guestId = user ? null : await readGuestId();
  const viewer = user ?? (guestId ? guestActor(guestId) : null);
  const cart = viewer ? await openCartOf(viewer) : null;
  const count = cart?.itemCount ?? 0;
  return (
    <header className="sticky top-0 z-20 border-b border-stone-200 bg-white/90 backdrop-blur">
      <div className="mx-auto flex h-16 max-w-6xl items-center gap-2 px-3 sm:gap-4 sm:px-4">
        <Link href="/" className="flex shrink-0 items-center gap-2 text-lg font-bold tracking-tight text-brand-900">
          <span aria-hidden className="grid h-8 w-8 place-items-center rounded-lg bg-brand-600 text-white">e</span>
          <span className="hidden min-[400px]:inline">eventcart</span>
        </Link>
        <nav aria-label="Main" className="ml-auto flex min-w-0 items-center gap-0.5 whitespace-nowrap text-sm font-medium sm:gap-3">
          <Link href="/" className="hidden rounded-md px-2 py-1 text-stone-700 hover:bg-stone-100 sm:inline-block">
            Shop
          </Link>
          {user?.role === 'admin' && (
            <Link href="/admin/audit" className="rounded-md px-1.5 py-1 text-stone-700 hover:bg-stone-100 sm:px-2">
              Admin
            </Link>
          )}
          {user && (
            <Link href="/carts" className="rounded-md px-1.5 py-1 text-stone-700 hover:bg-stone-100 sm:px-2">
              My carts
            </Link>
          )}
          <Link
            href="/cart"
            className="relative flex items-center gap-1 rounded-md px-1.5 py-1 text-stone-700 hover:bg-stone-100 sm:px-2"
            aria-label={`Cart, ${count} ${count === 1 ? 'item' : 'items'}`}
          >
            <svg aria-hidden viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2">
              <path d="M3 4h2l2.4 11.2a2 2 0 0 0 2 1.6h7.8a2 2 0 0 0 2-1.5L21 8H6" strokeLinecap="round" strokeLinejoin="round" />
              <circle cx="10" cy="20" r="1.3" />
              <circle cx="17" cy="20" r="1.3" />
            </svg>
            <span className="hidden sm:inline">Cart</span>
            <span
              data-testid="cart-count"
              className={`min-w-5 rounded-full px-1.5 text-center text-xs font-bold ${count ? 'bg-brand-600 text-white' : 'bg-stone-200 text-stone-600'}`}
            >
              {count}
            </span>
          </Link>
          {user ? (
            <form action={signOutAction} className="flex items-center gap-2 sm:ml-1">
              <span className="hidden text-stone-500 md:inline">{user.name}</span>
              <button type="submit" className="rounded-md px-1.5 py-1 text-stone-700 hover:bg-stone-100 sm:px-2">
                Sign out
              </button>
            </form>
          ) : (
            <Link href="/login" className="ml-1 rounded-md bg-brand-600 px-3 py-1.5 text-white hover:bg-brand-700">
              Sign in
            </Link>
          )}
        </nav>
      </div>
    </header>
  );
}
