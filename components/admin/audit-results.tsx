import Link from 'next/link';
import type { AuditPage } from '@/server/audit/types';
import { AUDIT_PATH, auditHref, hasFilters, type AuditParams } from './audit-links';
import { AuditTable } from './audit-table';
import { ExportMenu } from './export-menu';

/** One page of the log in a card: what is shown, the export menu, the rows (or why there are none), the pager. */
export function AuditResults({ page, values }: { page: AuditPage; values: AuditParams }) {
  const n = page.events.length;
  const older = page.nextCursor ? auditHref({ ...values, after: page.nextCursor }) : null;
  const newest = values.after ? auditHref({ ...values, after: undefined }) : null;
  return (
    <section aria-labelledby="audit-results-heading" className="rounded-2xl border border-stone-200 bg-white">
      <div className="flex flex-wrap items-center justify-between gap-3 border-b border-stone-200 px-4 py-3 sm:px-5">
        <div>
          <h2 id="audit-results-heading" className="font-semibold text-stone-900">
            Events
          </h2>
          <p className="text-xs text-stone-500" data-testid="audit-count">
            {n === 0 ? 'Nothing to show' : `${n} ${n === 1 ? 'event' : 'events'}, newest first`}
            {hasFilters(values) ? ' · filtered' : ''}
          </p>
        </div>
        {n > 0 && <ExportMenu values={values} />}
      </div>

      {n === 0 ? (
        <div className="px-6 py-14 text-center" data-testid="audit-empty">
          <div aria-hidden className="mx-auto mb-3 grid h-12 w-12 place-items-center rounded-full bg-stone-100 text-stone-500">
            <svg viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="2">
              <circle cx="11" cy="11" r="6.5" />
              <path d="m16 16 4.5 4.5" strokeLinecap="round" />
            </svg>
          </div>
          <p className="font-medium text-stone-900">
            {values.after ? 'No older events.' : hasFilters(values) ? 'No events match these filters.' : 'No cart events yet.'}
          </p>
          <p className="mt-1 text-sm text-stone-500">
            {values.after ? (
              <Link href={newest!} className="font-medium text-brand-700 underline underline-offset-4">
                Back to the newest
              </Link>
            ) : hasFilters(values) ? (
              <Link href={AUDIT_PATH} className="font-medium text-brand-700 underline underline-offset-4">
                Clear the filters
              </Link>
            ) : (
              'Events appear here as shoppers fill their carts.'
            )}
          </p>
        </div>
      ) : (
        <AuditTable events={page.events} />
      )}

      {(older || (newest && n > 0)) && (
        <nav aria-label="Pages" className="flex items-center justify-between gap-3 border-t border-stone-200 px-4 py-3 text-sm sm:px-5">
          {newest && n > 0 ? (
            <Link href={newest} className="rounded-lg px-3 py-1.5 font-medium text-stone-700 hover:bg-stone-100">
              ← Newest events
            </Link>
          ) : (
            <span />
          )}
          {older && (
            <Link href={older} rel="next" className="rounded-lg border border-stone-300 bg-white px-3 py-1.5 font-semibold text-stone-800 hover:bg-stone-50">
              Older events →
            </Link>
          )}
        </nav>
      )}
    </section>
  );
}
