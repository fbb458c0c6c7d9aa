'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { abandonCartAction } from '@/server/cart/actions';

/** For the cart list: abandon an open cart (its reservations are released), then show the list again. */
export function AbandonCartButton({ cartId }: { cartId: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        disabled={pending}
        aria-label={`Abandon cart ${cartId.slice(0, 8)}`}
        onClick={() =>
          startTransition(async () => {
            const res = await abandonCartAction(cartId);
            if (res.ok) {
              setError(null);
              router.refresh();
            } else setError(res.error.message);
          })
        }
        className="font-medium text-stone-600 underline decoration-stone-300 hover:text-red-700 disabled:text-stone-400"
      >
        {pending ? 'Abandoning…' : 'Abandon'}
      </button>
      <span role="status" aria-live="polite" className="text-xs font-medium text-red-700">
        {error}
      </span>
    </span>
  );
}
