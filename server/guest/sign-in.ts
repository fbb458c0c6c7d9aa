import 'server-only';
import { mergeGuestCarts } from '../cart/merge';
import { currentRequestId } from '../http/request-context';
import { log } from '../log';
import { clearGuestId, readGuestId } from './identity';

/**
 * Auth.js `events.signIn`: runs after every successful sign-in (the login form's server action and the
 * credentials callback route alike). A browser that shopped as a guest gets its cart merged into the
 * shopper's open cart, then forgets the guest. A failed merge must not fail the sign-in: the guest
 * cart and cookie are kept, and the next sign-in tries again.
 */
export async function mergeGuestOnSignIn(user: { id?: string | null; role?: unknown }): Promise<void> {
  let guestId: string | null;
  try {
    guestId = await readGuestId();
  } catch {
    return; // called outside a request (unit tests of the auth handlers): no cookies to read
  }
  if (!guestId || !user.id || (user.role !== 'shopper' && user.role !== 'admin')) return;
  try {
    const merged = await mergeGuestCarts({ userId: user.id, role: user.role }, guestId, { correlationId: currentRequestId() });
    log.info(
      { event: 'guest_cart_merged', userId: user.id, carts: merged.map((m) => ({ from: m.fromCartId, into: m.intoCartId, lines: m.lines.length, capped: m.capped.length })) },
      merged.length ? 'guest cart merged on sign-in' : 'guest had no open cart to merge',
    );
    await clearGuestId();
  } catch (err) {
    log.error({ err, userId: user.id }, 'guest cart merge failed; the guest cart is kept for the next sign-in');
  }
}
