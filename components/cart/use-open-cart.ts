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

/**
 * The shopper's open cart, kept fresh: refetched every few seconds and on focus, so a change made on
 * another device shows up here. The server's answer always replaces what we guessed.
 */
export function useOpenCart(initial: OpenCart | null, guest = false) {
  const qc = useQueryClient();
  const query = useQuery({
    queryKey: openCartKey,
    // A guest has no API session: its cart comes through a server action that reads the guest cookie.
    queryFn: guest ? openGuestCartAction : fetchOpenCart,
    initialData: initial,
    refetchInterval: 3_000,
  });
  return { cart: query.data ?? null, setCart: (c: OpenCart | null) => qc.setQueryData(openCartKey, c), refetch: query.refetch };
}
