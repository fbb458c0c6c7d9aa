'use client';

import { useEffect, useState } from 'react';
import { Button } from './button';

type Cause = 'checking' | 'database' | 'other';

/**
 * What a visitor sees when a page fails: never a stack trace. Production hides the server's error
 * message, so the notice asks /api/ready whether the database is away and says so plainly; otherwise it
 * owns up to a fault on our side. Either way, one button tries the page again.
 */
export function OutageNotice({ digest, onRetry }: { digest?: string; onRetry: () => void }) {
  const [cause, setCause] = useState<Cause>('checking');
  const [retrying, setRetrying] = useState(false);

  useEffect(() => {
    let live = true;
    fetch('/api/ready', { cache: 'no-store' })
      .then(async (res) => {
        const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
        const down = res.status === 503 && body?.error?.code === 'database_unavailable';
        if (live) setCause(down ? 'database' : 'other');
      })
      .catch(() => live && setCause('database'));
    return () => {
      live = false;
    };
  }, []);

  const title = cause === 'other' ? 'Something went wrong on our side' : "The shop can't reach its database";
  const text =
    cause === 'other'
      ? 'This page could not be shown. Please try again in a moment.'
      : 'What is already in your cart is safe. This usually clears up within a few seconds; please try again.';

  return (
    <section role="alert" aria-labelledby="outage-title" className="mx-auto max-w-lg py-16 text-center" data-testid="outage-notice">
      <div aria-hidden className="mx-auto grid h-14 w-14 place-items-center rounded-2xl bg-brand-100 text-brand-700">
        <svg viewBox="0 0 24 24" className="h-7 w-7" fill="none" stroke="currentColor" strokeWidth="2">
          <ellipse cx="12" cy="5" rx="8" ry="3" />
          <path d="M4 5v6c0 1.7 3.6 3 8 3s8-1.3 8-3V5M4 11v6c0 1.7 3.6 3 8 3" strokeLinecap="round" />
          <path d="M17 15l4 4m0-4l-4 4" strokeLinecap="round" />
        </svg>
      </div>
      <h1 id="outage-title" className="mt-5 text-2xl font-bold tracking-tight text-stone-900">
        {cause === 'checking' ? 'This page could not be shown' : title}
      </h1>
      <p className="mt-2 text-stone-600">{cause === 'checking' ? 'Checking what happened…' : text}</p>
      <div className="mt-6 flex justify-center">
        <Button
          type="button"
          disabled={retrying}
          onClick={() => {
            setRetrying(true);
            onRetry();
            // A retry that fails again re-renders this notice; let the button be pressed again.
            setTimeout(() => setRetrying(false), 1500);
          }}
        >
          {retrying ? 'Trying again…' : 'Try again'}
        </Button>
      </div>
      {digest ? <p className="mt-6 text-xs text-stone-400">Reference: {digest}</p> : null}
    </section>
  );
}
