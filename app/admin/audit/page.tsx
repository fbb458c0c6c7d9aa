import type { Metadata } from 'next';
import { AuditError } from '@/components/admin/audit-error';
import { AuditFilters } from '@/components/admin/audit-filters';
import { pickAuditParams, toDateTimeLocal } from '@/components/admin/audit-links';
import { AuditResults } from '@/components/admin/audit-results';
import { searchEvents } from '@/server/audit/queries';
import { currentUser } from '@/server/auth';
import { AuditEventsQuery } from '@/server/http/schemas';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Audit log' };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function AuditPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await currentUser();
  // The admin layout answers everyone else (sign in / 403); searchEvents would refuse them too.
  if (user?.role !== 'admin') return null;

  const values = pickAuditParams(await searchParams);
  const parsed = AuditEventsQuery.safeParse(values);
  const form = parsed.success
    ? { ...values, from: parsed.data.from && toDateTimeLocal(parsed.data.from), to: parsed.data.to && toDateTimeLocal(parsed.data.to) }
    : values;
  const page = parsed.success ? await searchEvents(user, parsed.data) : null;

  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-2xl font-bold">Audit log</h1>
        <p className="mt-1 text-stone-600">Every event of every cart, and every price or stock change in the catalog, newest first.</p>
      </header>
      <AuditFilters values={form} />
      {parsed.success ? (
        <AuditResults page={page!} values={values} />
      ) : (
        <AuditError issues={parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))} />
      )}
    </div>
  );
}
