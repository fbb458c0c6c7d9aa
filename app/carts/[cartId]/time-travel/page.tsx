import type { Metadata } from 'next';
import { z } from 'zod';
import { CartNav } from '@/components/timeline/cart-nav';
import { TimeTravel } from '@/components/timeline/time-travel';
import { getCartTimeline } from '@/server/cart/history';
import { versionAt } from '@/server/cart/timeline';
import { cartPageViewer, orNotFound } from '@/server/http/page-guards';

export const metadata: Metadata = { title: 'Time travel' };

const Search = z.object({
  version: z.coerce.number().int().min(1).optional().catch(undefined),
  at: z.iso.datetime({ offset: true }).optional().catch(undefined),
  compare: z.coerce.number().int().min(1).optional().catch(undefined),
});

export default async function TimeTravelPage({
  params,
  searchParams,
}: {
  params: Promise<{ cartId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { cartId } = await params;
  const user = await cartPageViewer(cartId, 'time-travel');
  const sp = Search.parse(await searchParams);
  const { cart, events } = await orNotFound(getCartTimeline(user, cartId));
  const last = events.length;
  const initialVersion = sp.at ? versionAt(events, new Date(sp.at)) : Math.min(sp.version ?? last, last);
  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <CartNav cart={cart} current="time-travel" />
      <TimeTravel
        events={events}
        initialVersion={initialVersion}
        initialAt={sp.at ? new Date(sp.at).toISOString() : null}
        initialCompare={sp.compare ? Math.min(sp.compare, last) : null}
      />
    </div>
  );
}
