'use client';

import { useActionState } from 'react';
import { updateProductAction, type CatalogActionResult } from '@/server/catalog/actions';
import type { AdminProduct } from '@/server/catalog/commands';
import { formatMoney } from '../ui/format';

const field = 'w-full rounded-lg border border-stone-300 bg-white px-2.5 py-1.5 text-sm tabular-nums shadow-xs focus:border-brand-500 aria-[invalid=true]:border-red-500';
const euros = (cents: number) => (cents / 100).toFixed(2);

/** Every product with an inline edit form; the form carries the product's version (optimistic check). */
export function CatalogTable({ products }: { products: AdminProduct[] }) {
  return (
    <div className="relative overflow-x-auto rounded-2xl border border-stone-200 bg-white">
      <table className="w-full min-w-[760px] text-sm">
        <caption className="sr-only">Products with price and stock</caption>
        <thead className="border-b border-stone-200 bg-stone-50 text-left text-xs font-semibold uppercase tracking-wide text-stone-500">
          <tr>
            <th scope="col" className="px-4 py-2.5 sm:pl-5">Product</th>
            <th scope="col" className="w-36 px-3 py-2.5">Price (€)</th>
            <th scope="col" className="w-28 px-3 py-2.5">Stock</th>
            <th scope="col" className="w-48 px-3 py-2.5">Reason (stock)</th>
            <th scope="col" className="px-3 py-2.5 text-right">Version</th>
            <th scope="col" className="px-4 py-2.5 sm:pr-5">
              <span className="sr-only">Save</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100">
          {products.map((p) => (
            <CatalogRow key={p.id} product={p} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FieldError({ id, errors }: { id: string; errors?: string[] }) {
  if (!errors?.length) return null;
  return (
    <p id={id} className="mt-1 text-xs font-medium text-red-700">
      {errors[0]}
    </p>
  );
}

function CatalogRow({ product }: { product: AdminProduct }) {
  const [state, action, pending] = useActionState<CatalogActionResult | null, FormData>(updateProductAction, null);
  // The server's answer is the truth: after a save the row shows (and the form carries) what it returned.
  const p = state?.ok ? state.product : product;
  const formId = `edit-${p.id}`;
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const conflict = state && !state.ok && state.code === 'version_conflict';
  return (
    <tr id={`product-${p.id}`} data-testid={`catalog-row-${p.id}`} className="align-top">
      <td className="px-4 py-3 sm:pl-5">
        <div className="font-medium text-stone-900">{p.name}</div>
        <div className="font-mono text-xs text-stone-500">{p.id}</div>
        <div className="mt-0.5 text-xs text-stone-500">
          now <span data-testid="current-price">{formatMoney(p.priceCents, p.currency)}</span> · <span data-testid="current-stock">{p.stock}</span> in stock
        </div>
      </td>
      <td className="px-3 py-3">
        <label htmlFor={`${formId}-price`} className="sr-only">
          Price of {p.name} in euros
        </label>
        <input
          key={`price-${p.version}`}
          id={`${formId}-price`}
          form={formId}
          name="price"
          inputMode="decimal"
          defaultValue={euros(p.priceCents)}
          aria-invalid={!!errors?.price}
          aria-describedby={errors?.price ? `${formId}-price-error` : undefined}
          className={field}
        />
        <FieldError id={`${formId}-price-error`} errors={errors?.price} />
      </td>
      <td className="px-3 py-3">
        <label htmlFor={`${formId}-stock`} className="sr-only">
          Stock of {p.name}
        </label>
        <input
          key={`stock-${p.version}`}
          id={`${formId}-stock`}
          form={formId}
          name="stock"
          inputMode="numeric"
          defaultValue={p.stock}
          aria-invalid={!!errors?.stock}
          aria-describedby={errors?.stock ? `${formId}-stock-error` : undefined}
          className={field}
        />
        <FieldError id={`${formId}-stock-error`} errors={errors?.stock} />
      </td>
      <td className="px-3 py-3">
        <label htmlFor={`${formId}-reason`} className="sr-only">
          Reason for a stock change of {p.name}
        </label>
        <input key={`reason-${p.version}`} id={`${formId}-reason`} form={formId} name="reason" placeholder="e.g. delivery" className={field} />
        <FieldError id={`${formId}-reason-error`} errors={errors?.reason} />
      </td>
      <td className="whitespace-nowrap px-3 py-3 text-right tabular-nums text-stone-700" data-testid="product-version">
        v{p.version}
      </td>
      <td className="px-4 py-3 sm:pr-5">
        <form id={formId} action={action} aria-label={`Edit ${p.name}`} className="flex flex-col items-end gap-1">
          <input type="hidden" name="productId" value={p.id} />
          <input type="hidden" name="expectedVersion" value={p.version} />
          <button
            type="submit"
            disabled={pending}
            className="rounded-lg bg-brand-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-brand-700 disabled:bg-stone-300"
          >
            {pending ? 'Saving…' : 'Save'}
          </button>
          <p role="status" aria-live="polite" data-testid="row-status" className="max-w-56 text-right text-xs">
            {state && (
              <span className={state.ok ? 'text-emerald-700' : 'font-medium text-red-700'}>
                {state.message}
                {conflict && (
                  <>
                    {' '}
                    <a href={`/admin/catalog#product-${p.id}`} onClick={() => location.reload()} className="underline">
                      Reload
                    </a>
                  </>
                )}
              </span>
            )}
          </p>
        </form>
      </td>
    </tr>
  );
}
