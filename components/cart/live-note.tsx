'use client';

import { useEffect, useState } from 'react';

const SHOWN_MS = 8_000;

/**
 * Beside the cart's title: a quiet "Live" while the live feed is connected, and for a few seconds after
 * a change from another device or tab, a note saying so (announced politely to screen readers).
 */
export function LiveNote({ connected, updatedAt }: { connected: boolean; updatedAt: number }) {
  const [faded, setFaded] = useState(0);
  useEffect(() => {
    if (!updatedAt) return;
    const t = setTimeout(() => setFaded(updatedAt), SHOWN_MS);
    return () => clearTimeout(t);
  }, [updatedAt]);
  const show = updatedAt > 0 && faded !== updatedAt;

  return (
    <span className="inline-flex items-center gap-2 text-xs">
      {connected && (
        <span
          data-testid="live-status"
          title="Changes from your other devices and tabs appear here as they happen"
          className="inline-flex items-center gap-1 font-medium text-emerald-700"
        >
          <span aria-hidden className="inline-block h-2 w-2 rounded-full bg-emerald-500" />
          Live
        </span>
      )}
      <span role="status" aria-live="polite" data-testid="cart-live-note" className="text-stone-600">
        {show ? 'Updated on another device' : ''}
      </span>
    </span>
  );
}
