import { requireUser } from '@/server/auth';
import { getCart } from '@/server/cart/queries';
import { cartIdParam } from '@/server/http/params';
import { json, methodNotAllowed, route } from '@/server/http/respond';

export const dynamic = 'force-dynamic';

export const GET = route<{ cartId: string }>(async (_req, { params }) => {
  const user = await requireUser();
  const cart = await getCart(user, cartIdParam(params.cartId));
  return json(cart, { headers: { ETag: `"${cart.version}"` } });
});

const notAllowed = methodNotAllowed('GET');
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
