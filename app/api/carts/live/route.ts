import { requireUser } from '@/server/auth';
import { getOpenCart } from '@/server/cart/queries';
import { methodNotAllowed, route } from '@/server/http/respond';
import { cartHub, userTopic } from '@/server/live/hub';
import { cartEventStream } from '@/server/live/sse';

export const dynamic = 'force-dynamic';

/**
 * Server-sent events for the signed-in user's own carts (what the /cart page follows): first the open
 * cart's version (if there is one), then one `cart` event per committed change to any cart they own,
 * so a cart opened on another device is noticed too. A read, so no rate limit.
 */
export const GET = route(async (req) => {
  const user = await requireUser();
  return cartEventStream({
    hub: cartHub(),
    topic: userTopic(user.userId),
    signal: req.signal,
    current: async () => {
      const open = await getOpenCart(user);
      return open && { cartId: open.cartId, version: open.version };
    },
  });
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
