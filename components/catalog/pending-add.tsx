'use client';

import { useEffect, useRef, useState } from 'react';
import { addToCartAction } from '@/server/cart/actions';
import { added } from './add-to-cart-button';

/**
 * A shopper who pressed "Add to cart" while signed out comes back here after signing in with
 * ?add=<productId>: finish what they asked for once, say so, and drop the parameter from the URL.
 */
export function PendingAdd({ productId, productName }: { productId: string; productName: string }) {
  const done = useRef(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    if (done.current) return;
    done.current = true;
    void addToCartAction(productId, 1, '/').then((res) => {
      setMessage(res.ok ? { ok: true, text: added(res.cart, productId, productName) } : { ok: false, text: res.error.message });
      // Drop ?add= without a navigation, so a reload does not add it again and this message stays.
      window.history.replaceState(null, '', '/');
    });
  }, [productId, productName]);

  return (
    <p
      role="status"
      aria-live="polite"
      data-testid="pending-add"
      className={`mb-6 rounded-xl border px-4 py-3 text-sm ${
        message?.ok === false ? 'border-red-200 bg-red-50 text-red-800' : 'border-emerald-200 bg-emerald-50 text-emerald-900'
      }`}
    >
      {message ? message.text : `Adding ${productName} to your cart…`}
    </p>
  );
}
