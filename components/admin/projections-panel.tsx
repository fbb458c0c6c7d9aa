'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { formatValue, overallPercent, phaseLabel } from '@/server/projections/format';
import type { JobKind, JobView, Mismatch, ProjectionStatus } from '@/server/projections/types';
import { Button } from '../ui/button';
import { formatDateTime } from '../ui/format';

export const projectionStatusKey = ['admin', 'projections', 'status'] as const;

async function fetchStatus(): Promise<ProjectionStatus> {
  const res = await fetch('/api/admin/projections/status', { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`Could not load the status (${res.status})`);
  return (await res.json()) as ProjectionStatus;
}

async function startJob(kind: JobKind): Promise<JobView> {
  const res = await fetch(`/api/admin/projections/${kind}`, { method: 'POST', headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => null)) as { job?: JobView; error?: { message: string } } | null;
  if (!res.ok || !body?.job) throw new Error(body?.error?.message ?? `The server answered ${res.status}.`);
  return body.job;
}

const n = (x: number) => x.toLocaleString('en-GB');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export function ProjectionsPanel({ initial }: { initial: ProjectionStatus }) {
  const qc = useQueryClient();
  const router = useRouter();
  const { data } = useQuery({
    queryKey: projectionStatusKey,
    queryFn: fetchStatus,
    initialData: initial,
    // Poll quickly while something runs, and not at all otherwise.
    refetchInterval: (q) => (q.state.data?.job?.state === 'running' || q.state.data?.rebuildRunning ? 400 : false),
  });
  const start = useMutation({
    mutationFn: startJob,
    onSuccess: (job) => {
      qc.setQueryData<ProjectionStatus>(projectionStatusKey, (s) => ({ job, rebuildRunning: job.kind === 'rebuild' || !!s?.rebuildRunning }));
      void qc.invalidateQueries({ queryKey: projectionStatusKey });
    },
  });

  const job = data?.job ?? null;
  const running = job?.state === 'running';
  const busyElsewhere = !!data?.rebuildRunning && !(running && job?.kind === 'rebuild');
  const disabled = running || busyElsewhere || start.isPending;

  // When a job ends, the counts rendered by the server are stale: fetch the page again.
  const lastState = useRef(job?.state);
  useEffect(() => {
    if (lastState.current === 'running' && job?.state !== 'running') router.refresh();
    lastState.current = job?.state;
  }, [job?.state, router]);

  return (
    <div className="space-y-6">
      <section aria-labelledby="actions-title" className="rounded-2xl border border-stone-200 bg-white p-4 sm:p-6">
        <h2 id="actions-title" className="sr-only">
          Actions
        </h2>
        <div className="grid gap-4 sm:grid-cols-2">
          <div className="flex flex-col gap-3 rounded-xl bg-stone-50 p-4">
            <p className="text-sm text-stone-700">
              <strong className="text-stone-900">Verify</strong> folds every cart&apos;s events and compares the result with the{' '}
              <code className="text-xs">carts</code> and <code className="text-xs">orders</code> tables, column by column. It changes
              nothing.
            </p>
            <Button variant="secondary" className="mt-auto self-start" disabled={disabled} onClick={() => start.mutate('verify')}>
              Verify
            </Button>
          </div>
          <div className="flex flex-col gap-3 rounded-xl bg-stone-50 p-4">
            <p className="text-sm text-stone-700">
              <strong className="text-stone-900">Rebuild</strong> builds both tables afresh from the events beside the live ones, lists
              what differed, then swaps them in. The shop keeps running throughout.
            </p>
            <Button className="mt-auto self-start" disabled={disabled} onClick={() => start.mutate('rebuild')}>
              Rebuild
            </Button>
          </div>
        </div>
        <div role="status" aria-live="polite" className="mt-3 text-sm empty:hidden">
          {start.isError ? <span className="font-medium text-red-700">{start.error.message}</span> : null}
          {!start.isError && busyElsewhere ? (
            <span className="text-amber-800">A rebuild is running on another app server or from the command line. Try again when it is done.</span>
          ) : null}
        </div>
      </section>

      {/* Keyed by job: a new job gets a new bar instead of one sliding back from the last job's 100%. */}
      {job && <JobCard key={job.id} job={job} />}
    </div>
  );
}

function JobCard({ job }: { job: JobView }) {
  const title = job.kind === 'rebuild' ? 'Rebuild' : 'Verify';
  const pct = job.state === 'succeeded' ? 100 : overallPercent(job.kind, job.progress);
  const step =
    job.state === 'running'
      ? `${phaseLabel(job.progress.phase)}${job.progress.total > 0 ? ` · ${n(job.progress.done)} of ${plural(job.progress.total, 'cart')}` : ''}`
      : job.state === 'succeeded'
        ? 'Completed'
        : 'Failed';
  return (
    <section aria-labelledby="job-title" className="space-y-5 rounded-2xl border border-stone-200 bg-white p-4 sm:p-6" data-testid="projection-job">
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <h2 id="job-title" className="text-lg font-semibold">
          {job.state === 'running' ? `${title} running` : `Last ${title.toLowerCase()}`}
        </h2>
        <p className="text-xs text-stone-500">
          started {formatDateTime(job.startedAt)} by {job.startedBy}
          {job.finishedAt ? ` · finished ${formatDateTime(job.finishedAt)}` : ''}
        </p>
      </div>

      <div>
        <div className="mb-1.5 flex justify-between gap-4 text-sm">
          <span id="job-step" className={job.state === 'failed' ? 'font-medium text-red-700' : 'text-stone-700'}>
            {step}
          </span>
          <span className="tabular-nums text-stone-600">{pct}%</span>
        </div>
        <div
          role="progressbar"
          aria-label={`${title} progress`}
          aria-describedby="job-step"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          aria-valuetext={`${step}, ${pct}%`}
          className="h-2.5 overflow-hidden rounded-full bg-stone-200"
        >
          <div
            className={`h-full rounded-full transition-[width] duration-300 ${job.state === 'failed' ? 'bg-red-500' : job.state === 'succeeded' ? 'bg-emerald-600' : 'bg-brand-600'}`}
            style={{ width: `${pct}%` }}
          />
        </div>
      </div>

      {job.state === 'failed' && (
        <p role="alert" aria-label="Job failed" className="rounded-lg bg-red-50 p-3 text-sm text-red-800">
          {job.error} {job.kind === 'rebuild' ? 'The live tables were not changed.' : ''}
        </p>
      )}

      {job.report && <Report job={job} report={job.report} />}
    </section>
  );
}

function Report({ job, report }: { job: JobView; report: NonNullable<JobView['report']> }) {
  const clean = report.totalMismatches === 0;
  return (
    <div className="space-y-4" data-testid="projection-report">
      <div className={`rounded-xl p-4 ${clean ? 'bg-emerald-50 text-emerald-900' : 'bg-amber-50 text-amber-900'}`}>
        <p className="text-lg font-semibold" data-testid="mismatch-count">
          {plural(report.totalMismatches, 'mismatch', 'mismatches')}
          {!clean && ` in ${plural(report.mismatchedCarts, 'cart')}`}
        </p>
        <p className="mt-1 text-sm">
          {clean
            ? job.kind === 'rebuild'
              ? 'The rebuilt tables matched the live ones; they are now in place.'
              : 'The read models match the events.'
            : job.kind === 'rebuild'
              ? 'These differences between the events and the old tables are repaired: the rebuilt tables are now live.'
              : 'The read models differ from the events. Rebuild to repair them.'}
        </p>
      </div>
      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3 lg:grid-cols-5">
        <Stat label="Carts checked" value={n(report.checked)} />
        <Stat label="Duration" value={seconds(report.durationMs)} />
        {report.rows && <Stat label="Rows now live" value={Object.entries(report.rows).map(([t, x]) => `${t} ${n(x)}`).join(' · ')} />}
        {report.swapMs !== undefined && <Stat label="Tables locked for" value={`${n(report.swapMs)} ms`} />}
        {report.caughtUp !== undefined && <Stat label="Changed meanwhile, caught up" value={plural(report.caughtUp, 'cart')} />}
      </dl>
      {!clean && <MismatchList mismatches={report.mismatches} total={report.totalMismatches} />}
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded-lg border border-stone-200 px-3 py-2">
      <dt className="text-xs text-stone-500">{label}</dt>
      <dd className="font-medium tabular-nums">{value}</dd>
    </div>
  );
}

function where(m: Mismatch) {
  return m.field === 'row' ? 'whole row' : m.field;
}

type CartLineLike = { productId: string; quantity: number };
const isLines = (v: unknown): v is CartLineLike[] =>
  Array.isArray(v) && v.every((l) => !!l && typeof l === 'object' && 'productId' in l && 'quantity' in l);

/** A value for people: cart lines as "3 × paper-filters", whole-row cases in words, the rest as JSON. */
function Value({ m, side }: { m: Mismatch; side: 'expected' | 'actual' }) {
  const v = m[side];
  if (m.field === 'row') {
    const present = v === 'present';
    return <span className={`font-sans ${present ? '' : 'italic text-stone-500'}`}>{present ? 'a row' : side === 'expected' ? 'no row (no events)' : 'no row'}</span>;
  }
  if (isLines(v)) {
    return (
      <span title={JSON.stringify(v)}>{v.length === 0 ? <span className="font-sans italic text-stone-500">no lines</span> : v.map((l) => `${l.quantity} × ${l.productId}`).join(', ')}</span>
    );
  }
  return <span title={typeof v === 'string' ? v : JSON.stringify(v)}>{formatValue(v)}</span>;
}

function CartLink({ cartId }: { cartId: string }) {
  return (
    <Link href={`/carts/${cartId}/history`} className="font-mono text-brand-700 underline-offset-4 hover:underline" title={cartId}>
      {cartId.slice(0, 8)}
    </Link>
  );
}

function MismatchList({ mismatches, total }: { mismatches: Mismatch[]; total: number }) {
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? mismatches : mismatches.slice(0, 50);
  return (
    <div>
      <h3 className="mb-2 font-semibold">Mismatching carts</h3>
      {/* Wide screens: a table. Phones: one card per difference. */}
      <table className="hidden w-full table-fixed text-left text-sm md:table">
        <colgroup>
          <col className="w-28" />
          <col className="w-48" />
          <col className="w-32" />
          <col />
          <col />
        </colgroup>
        <thead className="border-b border-stone-200 text-xs uppercase tracking-wide text-stone-500">
          <tr>
            <th className="py-2 pr-3 font-semibold">Cart</th>
            <th className="py-2 pr-3 font-semibold">Table</th>
            <th className="py-2 pr-3 font-semibold">Field</th>
            <th className="py-2 pr-3 font-semibold">Expected (events)</th>
            <th className="py-2 font-semibold">Actual (read model)</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100 align-top">
          {shown.map((m, i) => (
            <tr key={`${m.cartId}-${m.projection}-${m.key}-${m.field}-${i}`} data-testid="mismatch-row">
              <td className="py-2 pr-3">
                <CartLink cartId={m.cartId} />
              </td>
              <td className="py-2 pr-3">
                {m.projection}
                {m.projection === 'orders' && <span className="block font-mono text-xs text-stone-500">{m.key}</span>}
              </td>
              <td className="py-2 pr-3 font-mono text-xs">{where(m)}</td>
              <td className="break-words py-2 pr-3 font-mono text-xs">
                <Value m={m} side="expected" />
              </td>
              <td className="break-words py-2 font-mono text-xs">
                <Value m={m} side="actual" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ul className="space-y-2 md:hidden">
        {shown.map((m, i) => (
          <li key={`${m.cartId}-${m.projection}-${m.key}-${m.field}-${i}`} className="rounded-lg border border-stone-200 p-3 text-sm">
            <div className="flex items-baseline justify-between gap-2">
              <CartLink cartId={m.cartId} />
              <span className="font-mono text-xs text-stone-600">
                {m.projection} · {where(m)}
              </span>
            </div>
            {m.projection === 'orders' && <p className="mt-0.5 text-right font-mono text-xs text-stone-500">{m.key}</p>}
            <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 font-mono text-xs">
              <dt className="font-sans text-stone-500">expected</dt>
              <dd className="break-words">
                <Value m={m} side="expected" />
              </dd>
              <dt className="font-sans text-stone-500">actual</dt>
              <dd className="break-words">
                <Value m={m} side="actual" />
              </dd>
            </dl>
          </li>
        ))}
      </ul>
      {mismatches.length > shown.length && (
        <Button variant="secondary" className="mt-3" onClick={() => setShowAll(true)}>
          Show all {n(mismatches.length)}
        </Button>
      )}
      {total > mismatches.length && (
        <p className="mt-2 text-xs text-stone-500">
          The first {n(mismatches.length)} of {n(total)} are listed here; <code>npm run projections:verify</code> prints them all.
        </p>
      )}
    </div>
  );
}
