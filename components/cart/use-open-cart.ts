'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { openGuestCartAction } from '@/server/cart/actions';
import type { CartState } from '@/server/cart/evolve';
import type { Repricing } from '@/server/cart/reprice';

/** The open cart as the server answers it: with the lines whose catalog price changed (repricing). */
export type OpenCart = CartState & { repricing?: Repricing };

export const openCartKey = ['cart', 'open'] as const;

async function fetchOpenCart(): Promise<OpenCart | null> {
  const res = await fetch('/api/carts?status=open&limit=1', { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`Could not load the cart (${res.status})`);
  const { carts } = (await res.json()) as { carts: OpenCart[] };
  return carts.find((c) => c.status === 'open') ?? null;
}

/** An answer about the same cart at an older version (a fetch that left before a change committed) loses. */
function newest(old: unknown, next: unknown): unknown {
  const [a, b] = [old as CartState | null | undefined, next as CartState | null | undefined];
  return a && b && a.cartId === b.cartId && b.version < a.version ? a : next;
}

/**
 * The shopper's open cart. The live feed (use-live-cart.ts) tells the page when to refetch; while it is
 * not connected, or there is no cart to follow, the page polls every few seconds instead. Refetched on
 * focus too. The server's answer always replaces what we guessed.
 */
export function useOpenCart(initial: OpenCart | null, opts: { poll?: boolean; guest?: boolean } = {}) {
  const qc = useQueryClient();
  const query = useQuery({
    queryKey: openCartKey,
    // A guest has no API session: its cart comes through a server action that reads the guest cookie.
    queryFn: opts.guest ? openGuestCartAction : fetchOpenCart,
    initialData: initial,
    refetchInterval: opts.poll === false ? false : 3_000,
    structuralSharing: newest,
  });
  return { cart: query.data ?? null, setCart: (c: OpenCart | null) => qc.setQueryData(openCartKey, c), refetch: query.refetch };
}
