import type { Metadata } from 'next';
import { CartView } from '@/components/cart/cart-view';
import { currentUser } from '@/server/auth';
import { newestGuestMerge } from '@/server/cart/merge';
import { getOpenCart } from '@/server/cart/queries';
import { guestActor, readGuestId } from '@/server/guest/identity';

export const metadata: Metadata = { title: 'Your cart' };

export default async function CartPage() {
  const user = await currentUser();
  if (user) {
    const cart = await getOpenCart(user);
    // Just signed in with a guest cart: say what came in from it (the history has the details).
    const merge = cart ? await newestGuestMerge(cart) : null;
    return <CartView initialCart={cart} mergeNotice={merge} />;
  }
  // Not signed in: the guest cart of this browser, if it has one (the cookie is only read here, never made).
  const guestId = await readGuestId();
  return <CartView initialCart={guestId ? await getOpenCart(guestActor(guestId)) : null} guest />;
}
