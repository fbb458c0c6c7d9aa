'use client';

import { useEffect, useRef } from 'react';

type Options = {
  /** The cart the page holds now and its version (the server's answer, not an optimistic guess). */
  cartId: string | undefined;
  version: number;
  /** While this page's own command is in flight, its own notification must not count as someone else's. */
  busy: boolean;
  /** Something changed that the page does not hold yet: fetch the open cart. */
  onNewer: () => void;
  /** The feed is connected (true) or not (false): the page polls while it is not. */
  onConnection: (connected: boolean) => void;
};

/** `{ cartId, version }` from a `cart` event's data, or null for anything else. */
function changeOf(data: unknown): { cartId: string; version: number } | null {
  try {
    const c = JSON.parse(String(data)) as { cartId?: unknown; version?: unknown };
    return typeof c.cartId === 'string' && typeof c.version === 'number' && Number.isInteger(c.version) ? { cartId: c.cartId, version: c.version } : null;
  } catch {
    return null;
  }
}

/**
 * Follows the server-sent events of the shopper's carts (GET /api/carts/live). A change to the cart held
 * at or below its version is ignored, so this page's own changes never flicker; a change seen while a
 * command of ours is in flight waits until it has answered (it is most likely our own). A change to
 * another cart (one opened on another device) asks for the open cart again, once per version. The
 * browser reconnects by itself after a dropped connection; after a refused one (the server away, 503) we
 * reconnect with backoff. Each (re)connection starts with the open cart's version, so nothing missed
 * meanwhile stays missed.
 */
export function useLiveCart({ cartId, version, busy, onNewer, onConnection, enabled = true }: Options & { enabled?: boolean }): void {
  const now = useRef({ cartId, version, busy, onNewer, onConnection });
  /** Per cart: the newest version the feed announced, and the newest we fetched for. */
  const seen = useRef(new Map<string, { version: number; asked: number }>());

  const check = () => {
    const { cartId: held, version: heldVersion, busy: waiting, onNewer: fetchNewer } = now.current;
    if (waiting) return;
    let fetch = false;
    for (const [id, s] of seen.current) {
      if (s.version <= s.asked || (id === held && s.version <= heldVersion)) continue;
      s.asked = s.version;
      fetch = true;
    }
    if (fetch) fetchNewer();
  };

  useEffect(() => {
    now.current = { cartId, version, busy, onNewer, onConnection };
    check();
  });

  useEffect(() => {
    // Guests have no session for the feed (it answers 401): their page polls instead.
    if (!enabled) return;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const connect = () => {
      source = new EventSource('/api/carts/live');
      source.addEventListener('open', () => {
        failures = 0;
        now.current.onConnection(true);
      });
      source.addEventListener('cart', (e) => {
        const c = changeOf((e as MessageEvent).data);
        if (!c) return;
        const s = seen.current.get(c.cartId) ?? { version: 0, asked: 0 };
        s.version = Math.max(s.version, c.version);
        seen.current.set(c.cartId, s);
        check();
      });
      source.addEventListener('error', () => {
        now.current.onConnection(false);
        if (source?.readyState !== EventSource.CLOSED) return; // the browser is already reconnecting
        source.close();
        retry = setTimeout(connect, Math.min(30_000, 1_000 * 2 ** failures++));
      });
    };
    connect();
    return () => {
      clearTimeout(retry);
      source?.close();
      now.current.onConnection(false);
    };
  }, [enabled]); // one feed for the page's life; check() reads refs only
}
