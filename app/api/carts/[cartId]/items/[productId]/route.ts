import { changeQuantity, removeItem } from '@/server/cart/handler';
import { commandContext, commandResponse } from '@/server/http/command-context';
import { cartIdParam, productIdParam } from '@/server/http/params';
import { methodNotAllowed, readJson, route } from '@/server/http/respond';
import { ChangeQuantityBody } from '@/server/http/schemas';

type Params = { cartId: string; productId: string };

export const PATCH = route<Params>(async (req, { params, requestId }) => {
  const ctx = await commandContext(req, requestId);
  const cartId = cartIdParam(params.cartId);
  const productId = productIdParam(params.productId);
  const body = await readJson(req, ChangeQuantityBody);
  return commandResponse(await changeQuantity(ctx, cartId, { productId, quantity: body.quantity }));
});

export const DELETE = route<Params>(async (req, { params, requestId }) => {
  const ctx = await commandContext(req, requestId);
  return commandResponse(await removeItem(ctx, cartIdParam(params.cartId), { productId: productIdParam(params.productId) }));
});

const notAllowed = methodNotAllowed('PATCH', 'DELETE');
export { notAllowed as GET, notAllowed as POST, notAllowed as PUT };
