import type { Metadata } from 'next';
import Link from 'next/link';
import { z } from 'zod';
import { CartNav } from '@/components/timeline/cart-nav';
import { HistoryList } from '@/components/timeline/history-list';
import { LiveRefresh } from '@/components/timeline/live-refresh';
import { getCartHistory } from '@/server/cart/history';
import { cartPageViewer, orNotFound } from '@/server/http/page-guards';

export const metadata: Metadata = { title: 'Cart history' };

const Search = z.object({ before: z.coerce.number().int().min(2).optional().catch(undefined) });

export default async function HistoryPage({
  params,
  searchParams,
}: {
  params: Promise<{ cartId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { cartId } = await params;
  const user = await cartPageViewer(cartId, 'history');
  const { before } = Search.parse(await searchParams);
  const history = await orNotFound(getCartHistory(user, cartId, { before }));
  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <CartNav cart={history.cart} current="history" />
      {/* The newest events follow the cart live; an older page stays as it is. */}
      {!before && <LiveRefresh cartId={cartId} version={history.cart.version} />}
      {before && (
        <p className="text-sm">
          <Link href={`/carts/${cartId}/history`} className="font-medium text-brand-700 hover:underline">
            ← Newest events
          </Link>
        </p>
      )}
      {history.entries.length === 0 ? (
        <p className="text-stone-600">No events here.</p>
      ) : (
        <HistoryList entries={history.entries} cartId={cartId} />
      )}
      {history.olderCursor && (
        <Link
          href={`/carts/${cartId}/history?before=${history.olderCursor}`}
          className="inline-block rounded-lg border border-stone-300 bg-white px-4 py-2 text-sm font-semibold hover:bg-stone-50"
        >
          Show older
        </Link>
      )}
    </div>
  );
}

// No loading.tsx here on purpose: the page renders before it is sent, so a cart that is not yours
// answers with a real 404 status instead of a streamed 200.
