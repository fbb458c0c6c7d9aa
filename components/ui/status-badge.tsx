const styles: Record<string, string> = {
  open: 'bg-sky-50 text-sky-800',
  checked_out: 'bg-emerald-50 text-emerald-800',
  abandoned: 'bg-stone-200 text-stone-700',
  expired: 'bg-amber-50 text-amber-800',
  merged: 'bg-violet-50 text-violet-800',
};
const labels: Record<string, string> = { open: 'Open', checked_out: 'Checked out', abandoned: 'Abandoned', expired: 'Expired', merged: 'Merged' };

export function StatusBadge({ status }: { status: string }) {
  return <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${styles[status] ?? 'bg-stone-100'}`}>{labels[status] ?? status}</span>;
}
