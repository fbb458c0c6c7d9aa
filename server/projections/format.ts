// Words for the CLI and the admin page (pure, no server imports).
import type { FieldValue, Mismatch, Phase } from './types';

const phaseLabels: Record<Phase, string> = {
  preparing: 'Preparing shadow tables',
  verifying: 'Checking carts',
  building: 'Building shadow tables',
  orphans: 'Looking for orphan rows',
  catching_up: 'Catching up new writes',
  swapping: 'Swapping tables',
  done: 'Done',
};

export const phaseLabel = (p: Phase) => phaseLabels[p] ?? p;

/** A value as it reads in a report: JSON, cut short when long (cart lines can be). */
export function formatValue(v: FieldValue, max = 160): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v ?? null);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `MISMATCH cart <id> carts.total_cents: expected 4980, actual 1` (one line per difference). */
export function formatMismatch(m: Mismatch): string {
  const where = m.projection === 'orders' ? `orders[${m.key}]` : m.projection;
  if (m.field === 'row') {
    const what = m.actual === 'missing' ? 'row missing (the events say it should exist)' : 'row present but no event explains it';
    return `MISMATCH cart ${m.cartId} ${where}: ${what}`;
  }
  return `MISMATCH cart ${m.cartId} ${where}.${m.field}: expected ${formatValue(m.expected)}, actual ${formatValue(m.actual)}`;
}

/**
 * One number for the progress bar across the phases: the batches (building or verifying) are nearly
 * all of the work; the rest gets a thin slice each so the bar never goes backwards.
 */
export function overallPercent(kind: 'verify' | 'rebuild', p: { phase: Phase; done: number; total: number }): number {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const slices: Record<Phase, [number, number]> =
    kind === 'verify'
      ? { preparing: [0, 0], verifying: [0, 95], building: [0, 95], orphans: [95, 99], catching_up: [99, 99], swapping: [99, 99], done: [100, 100] }
      : { preparing: [0, 2], verifying: [2, 90], building: [2, 90], orphans: [90, 93], catching_up: [93, 97], swapping: [97, 99], done: [100, 100] };
  const [from, to] = slices[p.phase] ?? [0, 0];
  return Math.round(from + (to - from) * frac);
}
