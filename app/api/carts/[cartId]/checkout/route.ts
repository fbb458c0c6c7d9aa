import { checkOut } from '@/server/cart/handler';
import { commandContext, commandResponse } from '@/server/http/command-context';
import { cartIdParam } from '@/server/http/params';
import { methodNotAllowed, readJson, route } from '@/server/http/respond';
import { CheckoutBody } from '@/server/http/schemas';

export const POST = route<{ cartId: string }>(async (req, { params, requestId }) => {
  const ctx = await commandContext(req, requestId);
  // The body is optional (older clients send none): { expectedTotalCents } is the total the shopper saw.
  const hasBody = req.headers.get('content-length') !== '0' && (req.headers.has('content-type') || req.headers.has('content-length'));
  const body = hasBody ? await readJson(req, CheckoutBody) : {};
  return commandResponse(await checkOut(ctx, cartIdParam(params.cartId), body));
});

const notAllowed = methodNotAllowed('POST');
export { notAllowed as GET, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
