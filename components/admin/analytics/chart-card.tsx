'use client';

import { useId, useState, type ReactNode } from 'react';

/**
 * A chart with its table: "Chart" and "Table" switch between the picture and the same figures as
 * rows, for screen readers, exact values and copying.
 */
export function ChartCard({ title, description, chart, table, testId }: { title: string; description?: string; chart: ReactNode; table: ReactNode; testId: string }) {
  const [view, setView] = useState<'chart' | 'table'>('chart');
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="rounded-2xl border border-stone-200 bg-white p-4 sm:p-5" data-testid={testId}>
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div>
          <h2 id={headingId} className="font-semibold">
            {title}
          </h2>
          {description ? <p className="text-sm text-stone-500">{description}</p> : null}
        </div>
        <div role="group" aria-label={`${title}: view`} className="inline-flex rounded-lg border border-stone-200 p-0.5 text-sm">
          {(['chart', 'table'] as const).map((v) => (
            <button
              key={v}
              type="button"
              aria-pressed={view === v}
              onClick={() => setView(v)}
              className={`rounded-md px-2.5 py-1 font-medium ${view === v ? 'bg-stone-800 text-white' : 'text-stone-600 hover:bg-stone-100'}`}
            >
              {v === 'chart' ? 'Chart' : 'Table'}
            </button>
          ))}
        </div>
      </div>
      <div className="mt-4">{view === 'chart' ? <div className="h-64 w-full">{chart}</div> : <div className="max-h-80 overflow-auto">{table}</div>}</div>
    </section>
  );
}

export function DataTable({ head, rows, caption }: { head: string[]; rows: (string | number)[][]; caption: string }) {
  return (
    <table className="w-full text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead className="sticky top-0 bg-white text-left text-stone-500">
        <tr>
          {head.map((h, i) => (
            <th key={h} scope="col" className={`py-1.5 pr-3 font-medium ${i > 0 ? 'text-right' : ''}`}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        {rows.map((r, i) => (
          <tr key={i}>
            {r.map((c, j) => (
              <td key={j} className={`py-1.5 pr-3 ${j > 0 ? 'text-right tabular-nums' : ''}`}>
                {c}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
