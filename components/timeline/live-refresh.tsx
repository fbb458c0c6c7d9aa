'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';

/**
 * Keeps a server-rendered cart page (the history's newest events) current: when the cart's live feed
 * (GET /api/carts/{id}/live) announces a version newer than the one rendered, the page re-renders on
 * the server. Renders nothing; if the feed is down the page is simply as fresh as its last load.
 */
export function LiveRefresh({ cartId, version }: { cartId: string; version: number }) {
  const router = useRouter();
  const rendered = useRef(version);
  const asked = useRef(version);
  useEffect(() => {
    rendered.current = version;
  }, [version]);

  useEffect(() => {
    const source = new EventSource(`/api/carts/${encodeURIComponent(cartId)}/live`);
    source.addEventListener('cart', (e) => {
      let v: unknown;
      try {
        v = (JSON.parse(String((e as MessageEvent).data)) as { version?: unknown }).version;
      } catch {
        return;
      }
      if (typeof v !== 'number' || v <= rendered.current || v <= asked.current) return;
      asked.current = v;
      router.refresh();
    });
    return () => source.close();
  }, [cartId, router]);

  return null;
}
