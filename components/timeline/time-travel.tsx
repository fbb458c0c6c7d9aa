'use client';

import { useMemo, useState } from 'react';
import { diffCarts } from '@/server/cart/diff';
import type { CartEventEnvelope } from '@/server/cart/events';
import { evolve, type CartState } from '@/server/cart/evolve';
import { describeEvent } from '@/server/cart/registry';
import { versionAt } from '@/server/cart/timeline';
import { LineTable } from '../orders/line-table';
import { formatDateTime, formatMoney } from '../ui/format';
import { StatusBadge } from '../ui/status-badge';
import { EventIcon } from './event-icon';

type Event = CartEventEnvelope & { actorName: string };

/** datetime-local wants local wall time without zone. */
const toLocalInput = (iso: string) => {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

function setUrl(params: Record<string, string | undefined>) {
  const url = new URL(window.location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  window.history.replaceState(null, '', url);
}

export function TimeTravel({
  events,
  initialVersion,
  initialAt,
  initialCompare,
}: {
  events: Event[];
  initialVersion: number;
  initialAt: string | null;
  initialCompare: number | null;
}) {
  const last = events.length;
  // The same evolve the server folds with, once per version: states[v] is the cart at version v.
  const states = useMemo(() => {
    const out: (CartState | null)[] = [null];
    for (const e of events) out.push(evolve(out.at(-1)!, e));
    return out;
  }, [events]);
  const [version, setVersion] = useState(initialVersion);
  const [at, setAt] = useState<string | null>(initialAt);
  const [compare, setCompare] = useState<number | null>(initialCompare);
  const [when, setWhen] = useState(() => toLocalInput(initialAt ?? events[Math.max(0, initialVersion - 1)]?.occurredAt ?? new Date().toISOString()));

  const state = states[version];
  const event = version > 0 ? events[version - 1] : null;
  const view = event ? describeEvent(event, states[version - 1], states[version]!) : null;

  const goVersion = (v: number) => {
    const next = Math.max(1, Math.min(last, v));
    setVersion(next);
    setAt(null);
    setUrl({ version: String(next), at: undefined });
  };
  const jump = () => {
    const moment = new Date(when);
    if (Number.isNaN(moment.getTime())) return;
    const v = versionAt(events, moment);
    setVersion(v);
    setAt(moment.toISOString());
    setUrl({ at: moment.toISOString(), version: undefined });
  };
  const chooseCompare = (raw: string) => {
    const v = raw === '' ? null : Math.max(1, Math.min(last, Math.trunc(Number(raw)) || 1));
    setCompare(v);
    setUrl({ compare: v === null ? undefined : String(v) });
  };

  return (
    <div className="space-y-6">
      <section aria-label="Choose a point in time" className="space-y-4 rounded-2xl border border-stone-200 bg-white p-4 sm:p-6">
        <div className="flex items-center gap-3">
          <button
            type="button"
            onClick={() => goVersion(version - 1)}
            disabled={version <= 1}
            aria-label="Previous version"
            className="h-9 w-9 shrink-0 rounded-lg border border-stone-300 hover:bg-stone-50 disabled:opacity-40"
          >
            ‹
          </button>
          <input
            type="range"
            min={1}
            max={last}
            step={1}
            value={Math.max(1, version)}
            aria-label="Version"
            aria-valuetext={`Version ${version} of ${last}${view ? `: ${view.title}` : ''}`}
            onChange={(e) => goVersion(Number(e.currentTarget.value))}
            className="h-2 w-full cursor-pointer accent-brand-600"
          />
          <button
            type="button"
            onClick={() => goVersion(version + 1)}
            disabled={version >= last}
            aria-label="Next version"
            className="h-9 w-9 shrink-0 rounded-lg border border-stone-300 hover:bg-stone-50 disabled:opacity-40"
          >
            ›
          </button>
        </div>
        <p className="text-sm text-stone-600" aria-live="polite" data-testid="tt-position">
          {version === 0 ? (
            <>The cart did not exist yet at {at ? formatDateTime(at) : 'that moment'}.</>
          ) : (
            <>
              <span className="font-semibold text-stone-900">
                Version {version} of {last}
              </span>
              {view && (
                <>
                  {' '}
                  · <EventIcon name={view.icon} className="inline h-4 w-4 align-[-2px]" /> {view.title} · by {event!.actorName} · {formatDateTime(event!.occurredAt)}
                </>
              )}
              {at && <> · as of {formatDateTime(at)}</>}
            </>
          )}
        </p>
        <div className="flex flex-wrap items-end gap-3">
          <label className="text-sm font-medium text-stone-700">
            As of
            <input
              type="datetime-local"
              step={1}
              value={when}
              onChange={(e) => setWhen(e.currentTarget.value)}
              onKeyDown={(e) => e.key === 'Enter' && jump()}
              className="mt-1 block rounded-lg border border-stone-300 px-3 py-1.5"
            />
          </label>
          <button type="button" onClick={jump} className="rounded-lg bg-stone-900 px-4 py-2 text-sm font-semibold text-white hover:bg-stone-700">
            Jump to time
          </button>
          <label className="text-sm font-medium text-stone-700 sm:ml-auto">
            Compare with version
            <input
              type="number"
              min={1}
              max={last}
              value={compare ?? ''}
              placeholder="none"
              onChange={(e) => chooseCompare(e.currentTarget.value)}
              className="mt-1 block w-28 rounded-lg border border-stone-300 px-3 py-1.5"
            />
          </label>
        </div>
      </section>

      {compare === null ? (
        <CartAt label={`Version ${version}`} state={state} />
      ) : (
        <Compare from={{ version: compare, state: states[compare] }} to={{ version, state }} />
      )}
    </div>
  );
}

function CartAt({ label, state }: { label: string; state: CartState | null }) {
  return (
    <section aria-label={`Cart at ${label}`} className="rounded-2xl border border-stone-200 bg-white p-4 sm:p-6" data-testid="tt-cart">
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <h2 className="font-semibold">{label}</h2>
        {state && <StatusBadge status={state.status} />}
        {state && <span className="text-sm text-stone-500">{state.itemCount} items</span>}
      </div>
      {!state ? (
        <p className="text-stone-600">No cart yet.</p>
      ) : state.items.length === 0 ? (
        <p className="text-stone-600">Empty cart · total {formatMoney(0, state.currency)}</p>
      ) : (
        <div className="overflow-x-auto">
          <LineTable items={state.items} currency={state.currency} totalCents={state.totalCents} />
        </div>
      )}
    </section>
  );
}

function Compare({ from, to }: { from: { version: number; state: CartState | null }; to: { version: number; state: CartState | null } }) {
  const d = diffCarts(from.state, to.state);
  const currency = to.state?.currency ?? from.state?.currency ?? 'EUR';
  const delta = d.totalDeltaCents;
  return (
    <div className="space-y-4">
      <section aria-label="Differences" className="rounded-2xl border border-stone-200 bg-white p-4 sm:p-6" data-testid="tt-diff">
        <h2 className="mb-2 font-semibold">
          From version {from.version} to version {to.version}
        </h2>
        <ul className="space-y-1 text-sm">
          {d.added.map((l) => (
            <li key={`a-${l.productId}`} className="text-emerald-800">
              <span className="font-semibold">Added</span> {l.quantity} × {l.name}
            </li>
          ))}
          {d.removed.map((l) => (
            <li key={`r-${l.productId}`} className="text-red-800">
              <span className="font-semibold">Removed</span> {l.quantity} × {l.name}
            </li>
          ))}
          {d.changed.map((c) => (
            <li key={`c-${c.productId}`} className="text-amber-900">
              <span className="font-semibold">Changed</span> {c.name}: {c.before.quantity} → {c.after.quantity}
              {c.before.unitPriceCents !== c.after.unitPriceCents &&
                ` (unit price ${formatMoney(c.before.unitPriceCents, currency)} → ${formatMoney(c.after.unitPriceCents, currency)})`}
            </li>
          ))}
          {d.status && (
            <li>
              <span className="font-semibold">Status</span> {d.status.before} → {d.status.after}
            </li>
          )}
          <li className="pt-1 font-semibold" data-testid="tt-total-delta">
            Total {delta >= 0 ? '+' : '−'}
            {formatMoney(Math.abs(delta), currency)}
          </li>
        </ul>
        {d.added.length + d.removed.length + d.changed.length === 0 && !d.status && <p className="text-sm text-stone-600">No differences in the lines.</p>}
      </section>
      <div className="grid gap-4 lg:grid-cols-2">
        <CartAt label={`Version ${from.version}`} state={from.state} />
        <CartAt label={`Version ${to.version}`} state={to.state} />
      </div>
    </div>
  );
}
