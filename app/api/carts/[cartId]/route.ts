import { requireUser } from '@/server/auth';
import { abandonCart } from '@/server/cart/handler';
import { getCart } from '@/server/cart/queries';
import { commandContext, commandResponse } from '@/server/http/command-context';
import { cartIdParam } from '@/server/http/params';
import { json, methodNotAllowed, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

export const GET = route<{ cartId: string }>(async (_req, { params }) => {
  const user = await requireUser();
  const cart = await getCart(user, cartIdParam(params.cartId));
  return json(cart, { headers: { ETag: `"${cart.version}"` } });
});

/** Abandon: the cart closes (status abandoned) and its reservations are released. */
export const DELETE = route<{ cartId: string }>(async (req, { params, requestId }) => {
  const ctx = await commandContext(req, requestId);
  return commandResponse(await abandonCart(ctx, cartIdParam(params.cartId)));
});

const notAllowed = methodNotAllowed('GET', 'DELETE');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH };
