import { requireUser } from '@/server/auth';
import { assertAdmin } from '@/server/audit/queries';
import { updateProduct } from '@/server/catalog/commands';
import { json, methodNotAllowed, parseParams, readJson, route } from '@/server/http/respond';
import { ProductIdSchema, UpdateProductBody } from '@/server/http/schemas';
import { z } from 'zod';

export const dynamic = 'force-dynamic';

/** Admins change a product's price and/or stock; each change is an event on the product's stream. */
export const PATCH = route<{ productId: string }>(async (req, { params, requestId }) => {
  const user = await requireUser();
  assertAdmin(user); // 403 before looking at the body
  const { productId } = parseParams(params, z.object({ productId: ProductIdSchema }));
  const body = await readJson(req, UpdateProductBody);
  const result = await updateProduct(user, productId, body, { correlationId: requestId });
  return json(result, { headers: { ETag: `"${result.product.version}"` } });
});

const notAllowed = methodNotAllowed('PATCH');
export { notAllowed as GET, notAllowed as POST, notAllowed as PUT, notAllowed as DELETE };
