import type { Metadata } from 'next';
import { ProjectionsPanel } from '@/components/admin/projections-panel';
import { currentUser } from '@/server/auth';
import { projectionStatus } from '@/server/projections/jobs';
import { readModelStats } from '@/server/projections/stats';

export const metadata: Metadata = { title: 'Projections' };
export const dynamic = 'force-dynamic';

const n = (x: number) => x.toLocaleString('en-GB');

export default async function ProjectionsPage() {
  // The layout refuses non-admins; a page renders alongside its layout, so it must not load data for them.
  const user = await currentUser();
  if (user?.role !== 'admin') return null;
  const [status, stats] = await Promise.all([projectionStatus(), readModelStats()]);
  return (
    <div className="space-y-6">
      <header className="space-y-2">
        <h1 className="text-2xl font-bold">Projections</h1>
        <p className="max-w-3xl text-stone-600">
          The <code className="text-sm">carts</code> and <code className="text-sm">orders</code> tables are read models, written from the
          cart events in the same transaction. Check them against the events, or rebuild them from the events.
        </p>
      </header>
      <dl className="grid grid-cols-3 gap-3 text-sm sm:max-w-xl" aria-label="Read model sizes">
        {[
          ['Cart streams', stats.streams],
          ['Rows in carts', stats.carts],
          ['Rows in orders', stats.orders],
        ].map(([label, value]) => (
          <div key={label} className="rounded-xl border border-stone-200 bg-white px-3 py-2 sm:px-4">
            <dt className="text-xs text-stone-500">{label}</dt>
            <dd className="text-lg font-semibold tabular-nums">{n(Number(value))}</dd>
          </div>
        ))}
      </dl>
      <ProjectionsPanel initial={status} />
    </div>
  );
}
