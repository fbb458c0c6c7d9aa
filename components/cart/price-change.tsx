import type { Repricing } from '@/server/cart/reprice';
import { formatMoney } from '../ui/format';

/** "+€2.00" / "−€1.50": a difference, signed. */
export function signedMoney(cents: number, currency: string): string {
  return `${cents < 0 ? '−' : '+'}${formatMoney(Math.abs(cents), currency)}`;
}

/** Above the lines when catalog prices changed since they were added: what changed and what checkout charges. */
export function PriceChangeNotice({ repricing, currency }: { repricing: Repricing; currency: string }) {
  return (
    <section
      aria-labelledby="price-change-title"
      data-testid="repricing-notice"
      className="h-fit rounded-2xl border border-violet-200 bg-violet-50 p-4 text-sm text-violet-950 sm:px-6 lg:col-start-1"
    >
      <h2 id="price-change-title" className="font-semibold">
        {repricing.lines.length === 1 ? 'A price changed' : 'Prices changed'} since you added {repricing.lines.length === 1 ? 'this item' : 'these items'}
      </h2>
      <ul className="mt-1 space-y-0.5">
        {repricing.lines.map((l) => (
          <li key={l.productId}>
            {l.name}: {formatMoney(l.fromCents, currency)} → <span className="font-semibold">{formatMoney(l.toCents, currency)}</span> each
          </li>
        ))}
      </ul>
      <p className="mt-2 text-violet-900">
        The total now uses the current prices ({signedMoney(repricing.differenceCents, currency)}); checkout charges exactly the total shown.
      </p>
    </section>
  );
}
