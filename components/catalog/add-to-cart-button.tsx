'use client';

import { useState, useTransition } from 'react';
import { addToCartAction } from '@/server/cart/actions';
import type { CartState } from '@/server/cart/evolve';

/** Says how many are in the cart now, so a second add is announced too. */
export function added(cart: CartState, productId: string, name: string) {
  const n = cart.items.find((l) => l.productId === productId)?.quantity ?? 0;
  return `Added ${name} · ${n} in your cart`;
}

export function AddToCartButton({ productId, productName, disabled }: { productId: string; productName: string; disabled: boolean }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  return (
    <div className="flex flex-col gap-1">
      <button
        type="button"
        disabled={disabled || pending}
        aria-label={`Add to cart: ${productName}`}
        onClick={() => {
          setMessage(null);
          startTransition(async () => {
            const res = await addToCartAction(productId, 1, `/?add=${encodeURIComponent(productId)}`);
            setMessage(res.ok ? { ok: true, text: added(res.cart, productId, productName) } : { ok: false, text: res.error.message });
          });
        }}
        className="w-full rounded-lg bg-brand-600 px-3 py-2 text-sm font-semibold text-white transition-colors hover:bg-brand-700 disabled:cursor-not-allowed disabled:bg-stone-300 disabled:text-stone-500"
      >
        {disabled ? 'Unavailable' : pending ? 'Adding…' : 'Add to cart'}
      </button>
      <p role="status" aria-live="polite" className={`min-h-5 text-xs ${message?.ok === false ? 'text-red-700' : 'text-emerald-700'}`}>
        {message?.text}
      </p>
    </div>
  );
}
