import type { Metadata } from 'next';
import { notFound, redirect } from 'next/navigation';
import { z } from 'zod';
import { CartNav } from '@/components/timeline/cart-nav';
import { TimeTravel } from '@/components/timeline/time-travel';
import { currentUser } from '@/server/auth';
import { getCartTimeline } from '@/server/cart/history';
import { versionAt } from '@/server/cart/timeline';
import { AppError } from '@/server/http/errors';
import { CartIdSchema } from '@/server/http/schemas';

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
  const user = await currentUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(`/carts/${cartId}/time-travel`)}`);
  if (!CartIdSchema.safeParse(cartId).success) notFound();
  const sp = Search.parse(await searchParams);
  const { cart, events } = await getCartTimeline(user, cartId).catch((e) => {
    if (e instanceof AppError && e.status === 404) notFound();
    throw e;
  });
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
