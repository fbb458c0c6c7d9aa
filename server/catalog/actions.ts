'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { currentUser } from '../auth';
import { decimalToCents } from '../cart/upcast';
import { inAction } from '../http/action-context';
import { toAppError } from '../http/errors';
import { currentRequestId } from '../http/request-context';
import { log } from '../log';
import { updateProduct, type AdminProduct } from './commands';
import { MAX_PRICE_CENTS, MAX_STOCK } from './events';

type Field = 'price' | 'stock' | 'reason';

export type CatalogActionResult =
  | { ok: true; product: AdminProduct; message: string }
  | { ok: false; code: string; message: string; fieldErrors?: Partial<Record<Field, string[]>> };

// The form sends euros as typed ("12.5", "12,50"); money becomes integer cents here, at the edge.
const Price = z
  .string()
  .trim()
  .transform((s) => s.replace(',', '.'))
  .pipe(z.string().regex(/^\d{1,6}(\.\d{1,2})?$/, 'A price in euros with at most two decimals, e.g. 12.50.'))
  .transform(decimalToCents)
  .pipe(z.number().max(MAX_PRICE_CENTS, 'At most €100,000.00.'));

const Form = z.object({
  productId: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  expectedVersion: z.coerce.number().int().min(0),
  price: Price,
  stock: z.coerce.number({ error: 'Stock is a whole number.' }).int('Stock is a whole number.').min(0, 'Stock cannot be negative.').max(MAX_STOCK),
  reason: z.string().trim().max(200, 'At most 200 characters.').optional(),
});

/** The inline edit form of one product on /admin/catalog (useActionState). */
export async function updateProductAction(_prev: CatalogActionResult | null, formData: FormData): Promise<CatalogActionResult> {
  return inAction(async () => {
    const parsed = Form.safeParse(Object.fromEntries(formData));
    if (!parsed.success) {
      const fieldErrors = z.flattenError(parsed.error).fieldErrors as Partial<Record<Field, string[]>>;
      return { ok: false, code: 'invalid_input', message: parsed.error.issues[0]?.message ?? 'Invalid input.', fieldErrors };
    }
    const user = await currentUser();
    const { productId, expectedVersion, price, stock, reason } = parsed.data;
    try {
      const actor = user ? { userId: user.userId, role: user.role } : null;
      const r = await updateProduct(actor, productId, { priceCents: price, stock, reason, expectedVersion }, { correlationId: currentRequestId() });
      revalidatePath('/', 'layout');
      const what = r.events.map((e) => (e.type === 'ProductPriceChanged' ? 'price' : 'stock')).join(' and ');
      return { ok: true, product: r.product, message: what ? `${r.product.name}: ${what} saved.` : `${r.product.name}: nothing changed.` };
    } catch (e) {
      const err = toAppError(e);
      if (err.status >= 500) log.error({ err: e }, 'catalog action failed');
      const field: Field | undefined = err.code === 'invalid_price' ? 'price' : err.code === 'invalid_stock' ? 'stock' : undefined;
      return { ok: false, code: err.code, message: err.message, ...(field ? { fieldErrors: { [field]: [err.message] } } : {}) };
    }
  });
}
