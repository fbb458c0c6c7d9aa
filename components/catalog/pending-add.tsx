'use client';

import { useEffect, useRef, useState } from 'react';
import { addToCartAction } from '@/server/cart/actions';
import { added } from './add-to-cart-button';

type Pending = { productId: string; productName: string } | null;

/**
 * A shopper who pressed "Add to cart" while signed out comes back here after signing in with
 * ?add=<productId>: finish what they asked for once, say so, and drop the parameter from the URL.
 * Always mounted, so the message survives the page refresh the add itself causes.
 */
export function PendingAdd({ pending }: { pending: Pending }) {
  const [job] = useState(pending);
  const started = useRef(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    if (!job || started.current) return;
    started.current = true;
    // Drop ?add= at once, so a reload does not add it again.
    window.history.replaceState(null, '', '/');
    void addToCartAction(job.productId, 1, '/').then((res) =>
      setMessage(res.ok ? { ok: true, text: added(res.cart, job.productId, job.productName) } : { ok: false, text: res.error.message }),
    );
  }, [job]);

  if (!job) return null;
  return (
    <p
      role="status"
      aria-live="polite"
      data-testid="pending-add"
      className={`mb-6 rounded-xl border px-4 py-3 text-sm ${
        message?.ok === false ? 'border-red-200 bg-red-50 text-red-800' : 'border-emerald-200 bg-emerald-50 text-emerald-900'
      }`}
    >
      {message ? message.text : `Adding ${job.productName} to your cart…`}
    </p>
  );
}
