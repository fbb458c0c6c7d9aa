import Link from 'next/link';
import { AUDIT_PATH, hasFilters, type AuditParams } from './audit-links';
import { eventTypeLabels } from './event-types';

const field = 'block w-full min-w-0 rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm text-stone-900 shadow-xs placeholder:text-stone-400 focus:border-brand-500';
const label = 'mb-1 block text-xs font-semibold uppercase tracking-wide text-stone-500';

/** A plain GET form: applying it loads the first page of the filtered log (the cursor is dropped). */
export function AuditFilters({ values }: { values: AuditParams }) {
  return (
    <form
      method="get"
      action={AUDIT_PATH}
      role="search"
      aria-label="Filter events"
      className="rounded-2xl border border-stone-200 bg-white p-4 sm:p-5"
    >
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3 lg:items-end xl:grid-cols-[minmax(0,1fr)_minmax(0,1.25fr)_minmax(0,1fr)_14rem_14rem_auto]">
        <div>
          <label htmlFor="audit-user" className={label}>
            User
          </label>
          <input id="audit-user" name="userId" defaultValue={values.userId} placeholder="user-bob" autoComplete="off" spellCheck={false} className={field} />
        </div>
        <div>
          <label htmlFor="audit-cart" className={label}>
            Cart
          </label>
          <input
            id="audit-cart"
            name="cartId"
            defaultValue={values.cartId}
            placeholder="Cart id (UUID)"
            autoComplete="off"
            spellCheck={false}
            className={`${field} font-mono`}
          />
        </div>
        <div>
          <label htmlFor="audit-type" className={label}>
            Event type
          </label>
          <select id="audit-type" name="type" defaultValue={values.type ?? ''} className={field}>
            <option value="">All types</option>
            {Object.entries(eventTypeLabels).map(([type, text]) => (
              <option key={type} value={type}>
                {text}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="audit-from" className={label}>
            From
          </label>
          <input id="audit-from" name="from" type="datetime-local" step={1} defaultValue={values.from} aria-describedby="audit-utc" className={field} />
        </div>
        <div>
          <label htmlFor="audit-to" className={label}>
            To
          </label>
          <input id="audit-to" name="to" type="datetime-local" step={1} defaultValue={values.to} aria-describedby="audit-utc" className={field} />
        </div>
        {values.limit && <input type="hidden" name="limit" value={values.limit} />}
        <div className="flex items-center gap-2 sm:col-span-2 lg:col-span-1">
          <button
            type="submit"
            className="inline-flex flex-1 items-center justify-center rounded-lg bg-brand-600 px-4 py-2 text-sm font-semibold text-white transition-colors hover:bg-brand-700 lg:flex-none"
          >
            Apply
          </button>
          {hasFilters(values) && (
            <Link href={AUDIT_PATH} className="rounded-lg px-3 py-2 text-sm font-medium text-stone-600 hover:bg-stone-100">
              Reset
            </Link>
          )}
        </div>
      </div>
      <p id="audit-utc" className="mt-3 text-xs text-stone-500">
        Times are UTC. From is inclusive, To exclusive.
      </p>
    </form>
  );
}
