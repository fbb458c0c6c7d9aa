import { exportHref, type AuditParams } from './audit-links';

/** A small menu without JavaScript: the downloads carry the current filters, not the page. */
export function ExportMenu({ values }: { values: AuditParams }) {
  return (
    <details className="group relative">
      <summary className="flex cursor-pointer list-none items-center gap-1.5 rounded-lg border border-stone-300 bg-white px-3 py-1.5 text-sm font-semibold text-stone-800 hover:bg-stone-50 [&::-webkit-details-marker]:hidden">
        <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path d="M10 3v10m0 0-4-4m4 4 4-4M4 16h12" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        Export
        <svg aria-hidden viewBox="0 0 20 20" className="h-3.5 w-3.5 transition-transform group-open:rotate-180" fill="currentColor">
          <path d="M5.5 7.5 10 12l4.5-4.5z" />
        </svg>
      </summary>
      <ul className="absolute right-0 z-10 mt-2 w-44 overflow-hidden rounded-xl border border-stone-200 bg-white py-1 text-sm shadow-lg">
        <li>
          <a href={exportHref(values, 'csv')} download className="block px-4 py-2 font-medium text-stone-800 hover:bg-stone-50">
            Export CSV
          </a>
        </li>
        <li>
          <a href={exportHref(values, 'json')} download className="block px-4 py-2 font-medium text-stone-800 hover:bg-stone-50">
            Export JSON
          </a>
        </li>
      </ul>
    </details>
  );
}
