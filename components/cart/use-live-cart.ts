'use client';

import { useEffect, useRef } from 'react';

type Options = {
  cartId: string | undefined;
  /** The version the page holds now (the server's answer, not an optimistic guess). */
  version: number;
  /** While this page's own command is in flight, its own notification must not count as someone else's. */
  busy: boolean;
  /** A newer version exists: fetch the cart. Called once per newer version. */
  onNewer: (version: number) => void;
  /** The feed is connected (true) or not (false): the page polls while it is not. */
  onConnection: (connected: boolean) => void;
};

/** The version from a `cart` event's data, or null for anything else. */
function versionOf(data: unknown): number | null {
  try {
    const v = (JSON.parse(String(data)) as { version?: unknown }).version;
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
  } catch {
    return null;
  }
}

/**
 * Follows the cart's server-sent events (GET /api/carts/{id}/live). Versions at or below the one held are
 * ignored, so this page's own changes never flicker; a newer one seen while a command of ours is in
 * flight waits until it has answered (it is most likely our own). The browser reconnects by itself after
 * a dropped connection; after a refused one (the server away, 503) we reconnect with backoff. Each
 * (re)connection starts with the cart's current version, so nothing missed meanwhile stays missed.
 */
export function useLiveCart({ cartId, version, busy, onNewer, onConnection }: Options): void {
  const now = useRef({ version, busy, onNewer, onConnection });
  const seen = useRef({ version: 0, asked: 0 });

  const check = () => {
    const { version: held, busy: waiting, onNewer: fetchNewer } = now.current;
    const s = seen.current;
    if (waiting || s.version <= held || s.version <= s.asked) return;
    s.asked = s.version;
    fetchNewer(s.version);
  };

  useEffect(() => {
    now.current = { version, busy, onNewer, onConnection };
    check();
  });

  useEffect(() => {
    if (!cartId) return;
    seen.current = { version: 0, asked: 0 };
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const connect = () => {
      source = new EventSource(`/api/carts/${encodeURIComponent(cartId)}/live`);
      source.addEventListener('open', () => {
        failures = 0;
        now.current.onConnection(true);
      });
      source.addEventListener('cart', (e) => {
        const v = versionOf((e as MessageEvent).data);
        if (v === null) return;
        seen.current.version = Math.max(seen.current.version, v);
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
  }, [cartId]); // check() reads refs only
}
