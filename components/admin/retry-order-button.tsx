'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { retryOrderAction } from '@/server/orders/actions';

/** Admin: retry a failed order, then show what happened. */
export function RetryOrderButton({ orderId }: { orderId: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-3">
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          start(async () => {
            const r = await retryOrderAction(orderId);
            setMessage(r.ok ? { ok: true, text: `Retried: attempt ${r.order.attempt} is ${r.order.status.replace('_', ' ')}` } : { ok: false, text: r.error.message });
            router.refresh();
          })
        }
        className="rounded-lg bg-stone-800 px-4 py-2 text-sm font-semibold text-white hover:bg-stone-900 disabled:bg-stone-400"
      >
        {pending ? 'Retrying…' : 'Retry order'}
      </button>
      <span role="status" aria-live="polite" data-testid="retry-message" className={`text-sm ${message?.ok ? 'text-emerald-800' : 'text-red-800'}`}>
        {message?.text}
      </span>
    </div>
  );
}
