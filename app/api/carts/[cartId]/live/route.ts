import { requireUser } from '@/server/auth';
import { getCart } from '@/server/cart/queries';
import { cartIdParam } from '@/server/http/params';
import { methodNotAllowed, route } from '@/server/http/respond';
import { cartHub, cartTopic } from '@/server/live/hub';
import { cartEventStream } from '@/server/live/sse';

export const dynamic = 'force-dynamic';

/**
 * Server-sent events: the cart's version now, then one `cart` event per committed change, from any
 * app server. Who may GET the cart may listen (the owner, or an admin); a read, so no rate limit.
 */
export const GET = route<{ cartId: string }>(async (req, { params }) => {
  const user = await requireUser();
  const cartId = cartIdParam(params.cartId);
  return cartEventStream({
    hub: cartHub(),
    topic: cartTopic(cartId),
    signal: req.signal,
    current: async () => ({ cartId, version: (await getCart(user, cartId)).version }),
  });
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
