import type { Metadata } from 'next';
import Link from 'next/link';
import { z } from 'zod';
import { DashboardView } from '@/components/admin/analytics/dashboard';
import { cartDashboard, CART_FUNNEL_SUBSCRIBER } from '@/server/analytics/funnel';
import { utcDay } from '@/server/analytics/sales-daily';
import { currentUser } from '@/server/auth';
import { subscriberLag } from '@/server/subscribers';

export const metadata: Metadata = { title: 'Analytics' };
export const dynamic = 'force-dynamic';

const RANGES = [7, 30, 90] as const;
const Query = z.object({ days: z.coerce.number().pipe(z.union(RANGES.map((r) => z.literal(r)))).catch(30) });

export default async function AnalyticsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // The layout refuses non-admins; a page renders alongside its layout, so it must not load data for them.
  const user = await currentUser();
  if (user?.role !== 'admin') return null;
  const { days } = Query.parse(await searchParams);
  const to = utcDay(new Date());
  const from = utcDay(new Date(Date.parse(to) - (days - 1) * 86_400_000));
  const [data, lags] = await Promise.all([cartDashboard(user, { from, to }), subscriberLag()]);
  const lag = lags.find((l) => l.subscriber === CART_FUNNEL_SUBSCRIBER);
  return (
    <div className="space-y-6">
      <header className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-2xl font-bold">Analytics</h1>
          <p className="max-w-3xl text-stone-600">
            From the cart events by asynchronous projections (<code className="text-sm">cart-funnel</code>, <code className="text-sm">sales-daily</code>
            ): {lag && lag.events > 0 ? `${lag.events} events behind, ${lag.seconds} s` : 'up to date'}. Days are UTC.
          </p>
        </div>
        <nav aria-label="Range" className="inline-flex rounded-lg border border-stone-200 bg-white p-0.5 text-sm">
          {RANGES.map((r) => (
            <Link
              key={r}
              href={`/admin/analytics?days=${r}`}
              aria-current={r === days ? 'page' : undefined}
              className={`rounded-md px-3 py-1 font-medium ${r === days ? 'bg-stone-800 text-white' : 'text-stone-600 hover:bg-stone-100'}`}
            >
              {r} days
            </Link>
          ))}
        </nav>
      </header>
      <DashboardView data={data} />
    </div>
  );
}
